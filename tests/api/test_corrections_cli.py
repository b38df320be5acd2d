"""`hub upload --corrections FILE` through the HTTP API, served by the test client: the school
restricts a pupil's row and is told who was notified; a bad file exits 2 naming the line and
the column, never the value."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hub.cli.upload import upload_cli
from hub.client.sender import Sender
from tests.helpers import make_client
from tests.helpers_ingest import FlaskTransport
from tests.integration.corrections_support import (  # noqa: F401 - fixtures
    COUNCIL,
    EARLY,
    EXCLUSIONS,
    HEADER,
    PEOPLE_VIEW,
    SCHOOL,
    analyst,
    corrections_body,
    people,
    published,
    query,
    row_of,
    settings,
    upn_pseudonym,
)

URL = "http://hub.test"


@pytest.fixture
def run(app, client, tmp_path, monkeypatch):
    opened = Sender.session

    def session(self):
        made = opened(self)
        made.mount(URL, FlaskTransport(client))
        return made

    monkeypatch.setattr(Sender, "session", session)
    client_id, secret = make_client(app, partner=SCHOOL, roles=["uploader"])

    def invoke(body: str, *args: str):
        path = tmp_path / "corrections.csv"
        path.write_text(body)
        env = {"HUB_URL": URL, "HUB_CLIENT_ID": client_id, "HUB_CLIENT_SECRET": secret}
        argv = ["--agreement", EARLY, "--dataset", EXCLUSIONS, "--corrections", str(path), *args]
        return CliRunner(env=env).invoke(upload_cli, argv, catch_exceptions=False)

    return invoke


def test_hub_upload_corrections_restricts_a_row_and_says_who_was_told(
    app,
    client,
    run,
    published,  # noqa: F811 - the fixture
):
    feed, upload = published
    key = upn_pseudonym(app, feed.pupils[0].upn)
    council = analyst(client, app, COUNCIL)
    assert key in people(query(client, council, PEOPLE_VIEW))
    row = row_of(app, key)["_row"]

    restrict = corrections_body([["restrict", upload.id, str(row)] + [""] * len(HEADER)])
    done = run(
        restrict,
        "--reason",
        "Accuracy contested; kept while it is checked.",
        "--legal-ground",
        "uk-gdpr-art18",
    )
    assert done.exit_code == 0, done.output
    assert "restrict 1" in done.stdout
    assert f"Recipients told (1): {COUNCIL}." in done.stdout
    assert key not in people(query(client, council, PEOPLE_VIEW))

    bad = list(feed.rows[1])
    bad[HEADER.index("upn")] = "Q99999999999"
    refused = run(
        corrections_body([["rectify", upload.id, str(row + 1), *bad]]),
        "--reason",
        "Wrong code.",
        "--legal-ground",
        "uk-gdpr-art16",
    )
    assert refused.exit_code == 2
    assert "line 2, upn" in refused.stderr
    assert "Q99999999999" not in refused.output

    missing = run(restrict)
    assert missing.exit_code == 2 and "--reason and --legal-ground" in missing.stderr
