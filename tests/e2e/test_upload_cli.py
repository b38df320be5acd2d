"""`hub upload` against `hub demo` in real processes: the real month of police street crime."""

from __future__ import annotations

import json
import subprocess

from tests.e2e.conftest import HUB
from tests.helpers import approve_over_http
from tests.helpers_ingest import POLICE_FILE, POLICE_ROWS


def _upload(running_demo, client: dict, *args: str, secret: str | None = None):
    env = {
        **running_demo.env,
        "HUB_URL": running_demo.url,
        "HUB_CLIENT_ID": client["client_id"],
        "HUB_CLIENT_SECRET": secret or client["client_secret"],
    }
    return subprocess.run(
        [HUB, "upload", *args], env=env, capture_output=True, text=True, timeout=300
    )


def _police_uploader(running_demo) -> dict:
    clients = json.loads((running_demo.instance / "demo-clients.json").read_text())
    # Data is shared only under approved agreements: each party's IG officer approves them
    # (again, if the demo has already: approving twice changes nothing).
    approve_over_http(running_demo.url, clients)
    return next(
        c for c in clients if c["partner"] == "northshire-police" and "uploader" in c["roles"]
    )


STREET = ("--agreement", "crime-asb-hotspots", "--dataset", "police-street-crime")


def test_hub_upload_publishes_a_month_of_street_crime(running_demo, tmp_path):
    police = _police_uploader(running_demo)

    first = _upload(running_demo, police, *STREET, str(POLICE_FILE))

    assert first.returncode == 0, first.stdout + first.stderr
    assert ": published" in first.stdout
    assert f"rows read {POLICE_ROWS:,}" in first.stdout
    assert "Dataset expectations:" in first.stdout
    assert "Sending" in first.stderr

    again = _upload(running_demo, police, *STREET, str(POLICE_FILE))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "already has this file" in again.stderr

    # Rows 2..11 again with the header dropped: not the contract's columns.
    lines = POLICE_FILE.read_text().splitlines()
    bad = tmp_path / "no-header.csv"
    bad.write_text("\n".join(lines[1:12]) + "\n")
    rejected = _upload(running_demo, police, *STREET, str(bad))
    assert rejected.returncode == 1, rejected.stdout + rejected.stderr
    assert ": rejected" in rejected.stdout


def test_hub_upload_refusals_exit_2_with_the_problem(running_demo, tmp_path):
    police = _police_uploader(running_demo)

    wrong_secret = _upload(running_demo, police, *STREET, str(POLICE_FILE), secret="wrong")
    assert wrong_secret.returncode == 2
    assert "401" in wrong_secret.stderr and "invalid_client" in wrong_secret.stderr

    not_provider = _upload(
        running_demo,
        police,
        "--agreement",
        "crime-asb-hotspots",
        "--dataset",
        "council-asb-reports",
        str(POLICE_FILE),
    )
    assert not_provider.returncode == 2
    assert "403" in not_provider.stderr and "provide" in not_provider.stderr

    no_credentials = subprocess.run(
        [HUB, "upload", *STREET, str(POLICE_FILE)],
        env={k: v for k, v in running_demo.env.items() if not k.startswith("HUB_CLIENT")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert no_credentials.returncode == 2
    assert "HUB_CLIENT_ID" in no_credentials.stderr

    unreachable = subprocess.run(
        [HUB, "upload", *STREET, "--url", "http://127.0.0.1:9", str(POLICE_FILE)],
        env={**running_demo.env, "HUB_CLIENT_ID": "x", "HUB_CLIENT_SECRET": "y"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unreachable.returncode == 2
    assert "Could not reach the hub" in unreachable.stderr
