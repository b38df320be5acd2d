"""`hub upload` end to end through the HTTP API, served by the test client (no server
process: tests/e2e/test_upload_cli.py runs it against `hub demo`)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from hub import db
from hub.cli.upload import upload_cli
from hub.client.sender import Sender
from tests.helpers import bearer, make_client, token_for
from tests.helpers_ingest import (
    CRIME,
    POLICE_ROWS,
    STREET,
    FlaskTransport,
    police_csv,
    police_lines,
    with_ingest,
)
from tests.integration.ingest_support import staged_rows, visible_rows

URL = "http://hub.test"


@pytest.fixture
def app(app):
    return with_ingest(app)


@pytest.fixture
def through_test_client(client, monkeypatch):
    """Every session the sender opens talks to the app through the test client."""
    opened = Sender.session

    def session(self):
        made = opened(self)
        made.mount(URL, FlaskTransport(client))
        return made

    monkeypatch.setattr(Sender, "session", session)


@pytest.fixture
def upload(app, tmp_path, through_test_client):
    client_id, secret = make_client(app, partner="northshire-police", roles=["uploader"])

    def run(data: bytes, *args: str, secret_override: str | None = None, dataset: str = STREET):
        path = tmp_path / "street.csv"
        path.write_bytes(data)
        env = {
            "HUB_URL": URL,
            "HUB_CLIENT_ID": client_id,
            "HUB_CLIENT_SECRET": secret_override or secret,
        }
        argv = ["--agreement", CRIME, "--dataset", dataset, str(path), *args]
        return CliRunner(env=env).invoke(upload_cli, argv, catch_exceptions=False)

    return run


def test_a_published_upload_exits_0_with_its_report(upload):
    result = upload(police_csv(30))

    assert result.exit_code == 0, result.output
    assert ": published" in result.stdout
    assert "rows read 30, accepted 30, rejected 0" in result.stdout
    assert "Dataset expectations:" in result.stdout
    assert "Sending street.csv" in result.stderr

    again = upload(police_csv(30))
    assert again.exit_code == 0, again.output
    assert "already has this file" in again.stderr


def test_a_rejected_upload_exits_1_with_its_failures(upload):
    lines = police_lines()[:21]
    lines[5] = lines[5].replace(",2026-02,", ",Feb 2026,")  # row 6: not a yyyy-MM month
    result = upload(("\n".join(lines) + "\n").encode())

    assert result.exit_code == 1, result.output
    assert ": rejected" in result.stdout
    assert "Row failures:" in result.stdout
    assert "Month" in result.stdout
    assert "Feb 2026" not in result.stdout  # the report names the check, not the value


def test_refusals_exit_2_with_the_problem(upload):
    wrong_secret = upload(police_csv(3), secret_override="not-the-secret")
    assert wrong_secret.exit_code == 2
    assert "401" in wrong_secret.stderr

    not_ours = upload(police_csv(3), dataset="council-asb-reports")
    assert not_ours.exit_code == 2
    assert "403 (forbidden)" in not_ours.stderr


def test_missing_credentials_exit_2(tmp_path):
    path = tmp_path / "street.csv"
    path.write_bytes(police_csv(3))
    result = CliRunner(env={"HUB_CLIENT_ID": None, "HUB_CLIENT_SECRET": None}).invoke(
        upload_cli, ["--agreement", CRIME, "--dataset", STREET, str(path)]
    )
    assert result.exit_code == 2
    assert "HUB_CLIENT_ID" in result.stderr


def hot_spots(client, app) -> list[dict]:
    headers = bearer(token_for(client, app, partner="northshire-police", roles=["analyst"]))
    answer = client.post(
        "/api/v1/views/crime-asb-hotspots/query",
        json={"purpose": "patrol-planning", "justification": "Checking the month's counts."},
        headers=headers,
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["rows"]


def upload_id(output: str) -> str:
    return re.search(r"upload ([0-9a-f-]{36})", output).group(1)


def test_a_renamed_column_exits_1_and_names_the_column(upload, app):
    lines = police_lines()
    lines[0] = lines[0].replace("Crime ID", "Crime Reference")
    result = upload(("\n".join(lines) + "\n").encode())

    assert result.exit_code == 1, result.output
    assert ": rejected" in result.stdout
    assert "'Crime Reference' looks like 'Crime ID': rename it, or map it" in result.stdout
    assert staged_rows(db.get_engine(app), CRIME, STREET) == 0


def test_the_real_month_sent_twice_is_stored_once(upload, app, client):
    first = upload(police_csv())
    assert first.exit_code == 0, first.output
    once = hot_spots(client, app)
    first_id = upload_id(first.output)

    # The same rows in other bytes (Windows line endings), without `--replaces`: refused, with
    # the way to replace the first. Crime rows repeat by Crime ID, anti-social behaviour rows
    # (no Crime ID) by the contract's rowIdentity.
    again = "\r\n".join(police_lines()).encode() + b"\r\n"
    refused = upload(again)
    assert refused.exit_code == 1, refused.output
    assert f"hub upload --replaces {first_id}" in refused.stdout
    assert hot_spots(client, app) == once

    replaced = upload(again, "--replaces", first_id)
    assert replaced.exit_code == 0, replaced.output
    assert hot_spots(client, app) == once
    assert len(visible_rows(db.get_engine(app), CRIME, STREET)) == POLICE_ROWS


def test_rows_without_a_crime_id_sent_again_are_found_by_their_row_identity(upload, app):
    lines = police_lines()
    asb = [lines[0], *(line for line in lines[1:] if line.startswith(","))]  # no Crime ID
    assert len(asb) > 5
    first = upload(("\n".join(asb) + "\n").encode())
    assert first.exit_code == 0, first.output

    refused = upload(("\r\n".join(asb) + "\r\n").encode())
    assert refused.exit_code == 1, refused.output
    assert f"{len(asb) - 1} rows are already published" in refused.stdout
    assert len(visible_rows(db.get_engine(app), CRIME, STREET)) == len(asb) - 1
