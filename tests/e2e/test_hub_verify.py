"""`hub-verify`, the standalone verifier, run as an outsider runs it: a separate executable,
no database, no HUB_* settings, against a real `hub serve` process over HTTP."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from hub import db
from hub.audit import merkle
from hub.audit.events import row_leaf_bytes
from hub.db.models import AuditEvent
from tests.e2e.conftest import HUB, free_port, hub_env, wait_ready

HUB_VERIFY = str(Path(sys.executable).with_name("hub-verify"))
API = "/api/v1/audit"


@dataclass
class Served:
    url: str
    token: str
    database_url: str
    env: dict[str, str]
    process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [HUB, "serve", "--workers", "2"],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        _wait_ready(self.url, self.process)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()


def _wait_ready(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    """As conftest's wait_ready, but a slow answer under load is waited for, not an error."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            wait_ready(url, process, timeout=5)
            return
        except AssertionError:
            if process.poll() is not None:
                raise
        except requests.RequestException:
            time.sleep(0.5)
    raise AssertionError(f"hub did not become ready at {url}")


@pytest.fixture
def served(tmp_path, database_url):
    """`hub serve` on a free port (checkpoints every 10 events), and an admin's token."""
    port = free_port()
    env = hub_env(tmp_path, database_url, port, HUB_CHECKPOINT_EVERY_EVENTS="10")
    hub = Served(url=f"http://127.0.0.1:{port}", token="", database_url=database_url, env=env)
    try:
        hub.start()
        added = subprocess.run(
            # An admin reads every event's leaf (an IG officer only its organisation's part).
            [HUB, "clients", "add", "--name", "auditor", "--partner", "northshire-data-hub"]
            + ["--role", "admin", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert added.returncode == 0, added.stderr
        client = json.loads(added.stdout)
        r = requests.post(
            f"{hub.url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client["client_id"], client["client_secret"]),
            timeout=10,
        )
        assert r.status_code == 200, r.text
        hub.token = r.json()["access_token"]
        yield hub
    finally:
        hub.stop()


def hub_verify(tmp_path, *args: str) -> subprocess.CompletedProcess:
    """The executable, with no HUB_* variable set and run from an empty folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    workdir = tmp_path / "outsider"
    workdir.mkdir(exist_ok=True)
    return subprocess.run(
        [HUB_VERIFY, *args], env=env, cwd=workdir, capture_output=True, text=True, timeout=120
    )


def busy(url: str, n: int) -> None:
    for _ in range(n):
        assert requests.get(f"{url}{API}/public-key", timeout=10).status_code == 200


def test_hub_verify_checks_a_running_hub_and_refuses_a_tampered_checkpoint(served, tmp_path):
    url = served.url
    busy(url, 3)
    first = tmp_path / "first.note"

    # first contact: no key given, so the hub's own key is used and the output says so
    tofu = hub_verify(tmp_path, "--url", url, "--save", str(first))
    assert tofu.returncode == 0, tofu.stdout + tofu.stderr
    assert "TRUST ON FIRST USE" in tofu.stdout
    assert "result: verified" in tofu.stdout
    assert first.read_text() and "\n\n\u2014 " in first.read_text()

    # the key, pinned out of band (here: fetched once and written to a file)
    key = requests.get(f"{url}{API}/public-key", timeout=10).json()["verifier_key"]
    key_file = tmp_path / "hub.vkey"
    key_file.write_text(key + "\n")
    busy(url, 12)

    second = tmp_path / "second.note"
    ok = hub_verify(
        tmp_path,
        *("--url", url, "--key-file", str(key_file), "--checkpoint", str(first)),
        *("--index", "0", "--index", "5", "--token", served.token, "--save", str(second)),
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    old_size = int(first.read_text().split("\n")[1])
    new_size = int(second.read_text().split("\n")[1])
    assert old_size < new_size
    assert "TRUST ON FIRST USE" not in ok.stdout
    assert "signature verified" in ok.stdout
    assert f"(size {old_size} -> {new_size}, proof of" in ok.stdout
    assert "ok    inclusion    event 0 " in ok.stdout
    assert "ok    inclusion    event 5 " in ok.stdout
    assert f"result: verified (size {new_size}," in ok.stdout

    # a leaf hash held by the outsider needs no token
    page = requests.get(
        f"{url}{API}/events",
        params={"from_index": 3, "limit": 1},
        headers={"Authorization": f"Bearer {served.token}"},
        timeout=10,
    ).json()
    leaf = base64.b64decode(page["items"][0]["leaf"])
    held = hashlib.sha256(b"\x00" + leaf).hexdigest()
    by_hash = hub_verify(
        tmp_path,
        "--url",
        url,
        "--key",
        key,
        "--checkpoint",
        str(second),
        "--leaf-hash",
        f"3:{held}",
    )
    assert by_hash.returncode == 0, by_hash.stdout + by_hash.stderr
    assert f"event 3 (leaf hash given {held}" in by_hash.stdout

    wrong = hub_verify(tmp_path, "--url", url, "--key", key, "--leaf-hash", f"3:{'ab' * 32}")
    assert wrong.returncode == 1
    assert "event 3" in wrong.stderr and "is NOT in the tree" in wrong.stderr

    no_token = hub_verify(tmp_path, "--url", url, "--key", key, "--index", "2")
    assert no_token.returncode == 1
    assert "--token" in no_token.stderr

    # yesterday's checkpoint, altered: its root no longer carries the hub's signature
    lines = first.read_text().split("\n")
    lines[2] = base64.b64encode(bytes(32)).decode()
    tampered = tmp_path / "tampered.note"
    tampered.write_text("\n".join(lines))
    bad = hub_verify(tmp_path, "--url", url, "--key", key, "--checkpoint", str(tampered))
    assert bad.returncode == 1
    assert "NOT VERIFIED" in bad.stderr
    assert "tampered.note is not a checkpoint signed by this key" in bad.stderr
    assert "result: NOT verified" in bad.stdout

    # a key that is not the hub's
    name = key.split("+")[0]
    stranger = stranger_key(name, Ed25519PrivateKey.generate())
    other = hub_verify(tmp_path, "--url", url, "--key", stranger)
    assert other.returncode == 1
    assert "the hub's current checkpoint does not verify" in other.stderr

    # checkpoints were kept every 10 events along the way, each signed by the same key
    kept = requests.get(f"{url}{API}/checkpoints", timeout=10).json()["items"]
    assert len(kept) >= 2
    assert all(c["note"].startswith(f"{name}\n{c['size']}\n") for c in kept)


def test_hub_verify_catches_history_rewritten_in_the_database(served, tmp_path):
    url = served.url
    busy(url, 4)
    saved = tmp_path / "yesterday.note"
    assert hub_verify(tmp_path, "--url", url, "--save", str(saved)).returncode == 0
    key = requests.get(f"{url}{API}/public-key", timeout=10).json()["verifier_key"]

    # overnight, someone with the database rewrites event 1 with its leaf and hash, so that
    # the rows agree with themselves, deletes the checkpoints kept, and the hub restarts
    served.stop()
    engine = db.make_engine(served.database_url)
    try:
        with db.unit_of_work(engine) as session:
            row = session.get(AuditEvent, 1)
            row.outcome = "denied"
            row.leaf = row_leaf_bytes(row)
            row.leaf_hash = merkle.leaf_hash(row.leaf).hex()
            session.execute(text("DELETE FROM audit_checkpoints"))
    finally:
        engine.dispose()
    served.start()
    busy(url, 3)

    caught = hub_verify(tmp_path, "--url", url, "--key", key, "--checkpoint", str(saved))
    assert caught.returncode == 1, caught.stdout
    assert "ok    checkpoint" in caught.stdout  # today's checkpoint is signed by the hub...
    assert "NOT VERIFIED" in caught.stderr  # ...but does not extend yesterday's
    assert "is NOT consistent with the saved checkpoint" in caught.stderr
    assert "result: NOT verified" in caught.stdout


def test_hub_verify_imports_nothing_of_the_hub():
    probe = (
        "import sys, hub_verify.cli; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('hub', 'flask', 'flask_openapi3', 'sqlalchemy', 'sqlmodel', 'pydantic_settings')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def stranger_key(name: str, key: Ed25519PrivateKey) -> str:
    """A signed-note verifier key for `key` under `name`, built by hand."""
    from cryptography.hazmat.primitives import serialization

    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    material = b"\x01" + raw
    key_id = hashlib.sha256(name.encode() + b"\n" + material).digest()[:4].hex()
    return f"{name}+{key_id}+{base64.b64encode(material).decode()}"
