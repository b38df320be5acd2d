"""The hub as an operator meets it: `hub demo` and `hub serve` in real processes."""

from __future__ import annotations

import json
import subprocess

import requests

from tests.e2e.conftest import HUB, free_port, hub_env


def _token(url: str, client: dict) -> str:
    r = requests.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client["client_id"], client["client_secret"]),
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def test_demo_serves_with_its_clients(running_demo):
    url = running_demo.url
    clients = json.loads((running_demo.instance / "demo-clients.json").read_text())
    roles = {role for c in clients for role in c["roles"]}
    assert roles == {"uploader", "analyst", "ig_officer", "admin"}
    for c in clients:
        assert set(c) == {"client_id", "client_secret", "partner", "roles"}

    admin = next(c for c in clients if "admin" in c["roles"])
    token = _token(url, admin)
    r = requests.get(
        f"{url}/api/v1/agreements", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert r.status_code == 200
    assert r.json()["items"]

    checkpoint = requests.get(
        f"{url}/api/v1/audit/checkpoint", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert checkpoint.status_code == 200
    assert "\n\n— " in checkpoint.text

    r = requests.get(f"{url}/api/v1/agreements", timeout=10)
    assert r.status_code == 401
    assert r.headers["Content-Type"].startswith("application/problem+json")


def test_demo_run_again_reuses_what_exists(running_demo):
    before = json.loads((running_demo.instance / "demo-clients.json").read_text())
    running_demo.stop()
    again = subprocess.run(
        [HUB, "demo", "--no-serve"],
        env=running_demo.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    after = json.loads((running_demo.instance / "demo-clients.json").read_text())
    assert after == before


def test_broken_agreement_stops_the_server_naming_the_file(tmp_path, database_url, policies_copy):
    broken = sorted((policies_copy / "agreements").glob("*.yaml"))[0]
    broken.write_text(broken.read_text() + "\nend: [this is not a date\n")
    env = hub_env(tmp_path, database_url, free_port(), HUB_POLICIES_DIR=str(policies_copy))
    result = subprocess.run([HUB, "serve"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("hub: cannot start:")
    assert broken.name in lines[0]
