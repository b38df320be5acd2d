"""Issue 11, items 1, 2 and 5, against a real `hub` process: an upload is whole or nothing.

- A body that ends before its Content-Length, or a chunked body without its last chunk, is
  never processed: no upload, no spool file, an audit event (`failed`, `incomplete_body`);
  a retry with the same Idempotency-Key then succeeds.
- RFC 9530 Content-Digest is checked when given, and `hub upload` always gives it.
- Partial spool files a dead process left are swept at start, and the sweep is recorded.
- A sender that trickles its body is cut off (408), and while slow senders hold what they
  may, /healthz and the others are still answered (the rest get 503 with Retry-After).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import subprocess
import time
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import create_engine, select

from hub.db.models import AuditEvent
from tests.e2e.conftest import HUB, RunningHub, free_port, hub_env, wait_ready
from tests.helpers import approve_over_http, bearer
from tests.helpers_ingest import POLICE_FILE, uploads_url

UPLOADS = uploads_url()


def _start(tmp_path, database_url, **extra: str) -> RunningHub:
    port = free_port()
    env = hub_env(tmp_path, database_url, port, **extra)
    process = subprocess.Popen(
        [HUB, "demo", "--no-data"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    hub = RunningHub(url=url, process=process, instance=tmp_path / "instance", env=env)
    try:
        wait_ready(url, process)
    except BaseException:
        hub.stop()
        raise
    return hub


@pytest.fixture
def served(tmp_path, database_url):
    hub = _start(tmp_path, database_url)
    try:
        yield hub
    finally:
        if hub.process.poll() is None:
            hub.stop()


def _clients(hub: RunningHub) -> list[dict]:
    clients = json.loads((hub.instance / "demo-clients.json").read_text())
    approve_over_http(hub.url, clients)
    return clients


def _token(hub: RunningHub, client: dict) -> str:
    answer = requests.post(
        f"{hub.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client["client_id"], client["client_secret"]),
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def _police(hub: RunningHub) -> tuple[dict, str]:
    police = next(
        c
        for c in _clients(hub)
        if c["partner"] == "northshire-police" and "uploader" in c["roles"]
    )
    return police, _token(hub, police)


def _events(database_url: str, action: str | None) -> list[AuditEvent]:
    engine = create_engine(database_url)
    query = select(AuditEvent).order_by(AuditEvent.index)
    if action:
        query = query.where(AuditEvent.action == action)
    try:
        with engine.connect() as connection:
            return list(connection.execute(query))
    finally:
        engine.dispose()


def _wait_for(check, *, timeout: float = 60.0, what: str = "it"):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.25)


def _spool_files(hub: RunningHub) -> list[str]:
    spool = hub.instance / "spool"
    return sorted(p.name for p in spool.iterdir()) if spool.is_dir() else []


def _open(hub: RunningHub) -> socket.socket:
    where = urlsplit(hub.url)
    return socket.create_connection((where.hostname, where.port), timeout=30)


def _head(hub: RunningHub, token: str, headers: dict[str, str]) -> bytes:
    where = urlsplit(hub.url)
    lines = [
        f"POST {UPLOADS} HTTP/1.1",
        f"Host: {where.netloc}",
        f"Authorization: Bearer {token}",
        "Content-Type: text/csv",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _uploads(hub: RunningHub, token: str) -> list[dict]:
    answer = requests.get(f"{hub.url}/api/v1/uploads", headers=bearer(token), timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def _follow(hub: RunningHub, token: str, upload: dict) -> dict:
    def done():
        answer = requests.get(f"{hub.url}{upload['location']}", headers=bearer(token), timeout=30)
        body = answer.json()
        return body if body.get("done") else None

    return _wait_for(done, timeout=120, what="processing")


def _assert_cut_short_left_nothing(hub, database_url, token, *, before: int) -> AuditEvent:
    def failed():
        events = _events(database_url, "dataset.upload")[before:]
        return [e for e in events if e.outcome == "failed"]

    (event,) = _wait_for(failed, what="the audit event of the cut-short upload")
    assert event.reason == "incomplete_body"
    assert event.details["http"]["code"] == "incomplete_body"
    assert _uploads(hub, token) == []
    _wait_for(lambda: _spool_files(hub) == [], what="the spool emptying")
    return event


def test_a_body_cut_short_of_its_content_length_is_never_processed(served, database_url):
    hub = served
    _, token = _police(hub)
    data = POLICE_FILE.read_bytes()
    before = len(_events(database_url, "dataset.upload"))

    with _open(hub) as sock:
        sock.sendall(
            _head(
                hub, token, {"Content-Length": str(len(data)), "Idempotency-Key": "street-1"}
            )
        )
        sock.sendall(data[: len(data) // 3])
    # Closed after a third of the body.

    _assert_cut_short_left_nothing(hub, database_url, token, before=before)

    again = requests.post(
        f"{hub.url}{UPLOADS}",
        data=data,
        headers={**bearer(token), "Content-Type": "text/csv", "Idempotency-Key": "street-1"},
        timeout=60,
    )
    assert again.status_code == 202, again.text
    assert _follow(hub, token, again.json())["status"] == "published"


def test_a_chunked_body_without_its_last_chunk_is_never_processed(served, database_url):
    hub = served
    _, token = _police(hub)
    data = POLICE_FILE.read_bytes()
    before = len(_events(database_url, "dataset.upload"))

    with _open(hub) as sock:
        sock.sendall(
            _head(hub, token, {"Transfer-Encoding": "chunked", "Idempotency-Key": "street-2"})
        )
        for start in range(0, len(data) // 2, 16 * 1024):
            block = data[start : start + 16 * 1024]
            sock.sendall(f"{len(block):x}\r\n".encode() + block + b"\r\n")
        # No `0\r\n\r\n`: the connection closes mid-body.

    _assert_cut_short_left_nothing(hub, database_url, token, before=before)

    again = requests.post(
        f"{hub.url}{UPLOADS}",
        data=iter([data[:100_000], data[100_000:]]),  # chunked, complete this time
        headers={**bearer(token), "Content-Type": "text/csv", "Idempotency-Key": "street-2"},
        timeout=60,
    )
    assert again.status_code == 202, again.text
    assert _follow(hub, token, again.json())["status"] == "published"


def _digest(data: bytes) -> str:
    return f"sha-256=:{base64.b64encode(hashlib.sha256(data).digest()).decode()}:"


def test_a_content_digest_is_checked_before_anything_is_kept(served, database_url):
    hub = served
    police, token = _police(hub)
    data = POLICE_FILE.read_bytes()
    headers = {**bearer(token), "Content-Type": "text/csv"}

    wrong = requests.post(
        f"{hub.url}{UPLOADS}",
        data=data,
        headers={**headers, "Content-Digest": _digest(data + b"x")},
        timeout=60,
    )
    assert wrong.status_code == 400, wrong.text
    assert wrong.headers["Content-Type"].startswith("application/problem+json")
    assert wrong.json()["code"] == "digest_mismatch"
    assert _uploads(hub, token) == []
    assert _spool_files(hub) == []

    unreadable = requests.post(
        f"{hub.url}{UPLOADS}", data=data, headers={**headers, "Content-Digest": "md5=abc"}
    )
    assert unreadable.status_code == 400 and unreadable.json()["code"] == "bad_content_digest"

    # `hub upload` sends the digest of the file, and the hub says it checked it.
    sent = subprocess.run(
        [
            HUB,
            "upload",
            "--agreement",
            "crime-asb-hotspots",
            "--dataset",
            "police-street-crime",
            str(POLICE_FILE),
        ],
        env={
            **hub.env,
            "HUB_URL": hub.url,
            "HUB_CLIENT_ID": police["client_id"],
            "HUB_CLIENT_SECRET": police["client_secret"],
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert sent.returncode == 0, sent.stdout + sent.stderr
    allowed = [e for e in _events(database_url, "dataset.upload") if e.outcome == "allowed"]
    assert allowed[-1].details["content_digest"] == ["sha-256"]


def test_partial_spool_files_left_by_a_dead_process_are_swept_at_start(tmp_path, database_url):
    spool = tmp_path / "instance" / "spool"
    spool.mkdir(parents=True)
    stale = spool / "0123456789abcdef0123456789abcdef.part"
    stale.write_bytes(b"Crime ID,Month\n" * 1000)  # raw rows a kill -9 left mid-transfer
    old = time.time() - 3600
    os.utime(stale, (old, old))
    fresh = spool / "fedcba9876543210fedcba9876543210.part"  # a transfer still under way
    fresh.write_bytes(b"x")

    hub = _start(tmp_path, database_url)
    try:
        assert not stale.exists()
        assert fresh.exists()
        sweeps = _events(database_url, "spool.swept")
        assert sweeps, "the sweep is recorded"
        assert any(e.details["removed"] == 1 for e in sweeps)
        assert all(e.details["removed"] >= 0 for e in sweeps)
        assert any(e.details["bytes"] == len(b"Crime ID,Month\n" * 1000) for e in sweeps)
    finally:
        hub.stop()


def test_slow_senders_are_cut_off_and_do_not_starve_the_hub(tmp_path, database_url):
    hub = _start(tmp_path, database_url, HUB_BODY_TIMEOUT_SECONDS="3")
    try:
        _, token = _police(hub)
        data = POLICE_FILE.read_bytes()
        senders = []
        for _ in range(12):  # more than the 2 workers x (4 threads - 2) that may read bodies
            sock = _open(hub)
            sock.sendall(_head(hub, token, {"Content-Length": str(len(data))}))
            sock.sendall(data[:200])
            senders.append(sock)

        # Everything else is still answered while they trickle.
        for _ in range(5):
            assert requests.get(f"{hub.url}/healthz", timeout=10).status_code == 200
            for sock in senders:
                try:
                    sock.sendall(data[200:400])
                except OSError:
                    pass  # refused already
            time.sleep(0.5)

        statuses = []
        for sock in senders:
            sock.settimeout(30)
            try:
                head = sock.recv(4096).decode("latin-1")
            except OSError:
                head = ""
            statuses.append(head)
            sock.close()
        answered = [h.split(" ", 2)[1] for h in statuses if h.startswith("HTTP/1.1 ")]
        assert "408" in answered, statuses  # cut off after the body timeout
        assert "503" in answered, statuses  # refused unread, with Retry-After
        assert all("Retry-After:" in h for h in statuses if h.startswith("HTTP/1.1 503"))
        timeouts = [e for e in _events(database_url, None) if e.outcome == "failed"]
        assert {e.reason for e in timeouts} >= {"body_timeout", "busy"}
        _wait_for(lambda: _spool_files(hub) == [], what="the spool emptying")
    finally:
        hub.stop()
