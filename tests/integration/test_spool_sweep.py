"""Issue 11, item 2: partial spool files a dead transfer left (raw identifiers) are swept on
a schedule as well as at start (tests/e2e/test_upload_integrity.py), and each sweep that
removes something is an audit event; the files of uploads still to process are kept."""

from __future__ import annotations

import os
import time

from sqlalchemy import select

from hub import db
from hub.db.models import AuditEvent
from hub.ingest import start_background, stop_background
from hub.ingest.lifecycle import spool_path

from .ingest_support import HOTSPOTS, POLICE, STREET, police_variant, submit, uploader


def _age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def _sweeps(app) -> list[AuditEvent]:
    with app.app_context(), db.read_only() as session:
        query = select(AuditEvent).where(AuditEvent.action == "spool.swept")
        return list(session.execute(query.order_by(AuditEvent.index)).scalars())


def test_stale_partial_files_are_swept_on_a_schedule_and_recorded(app, monkeypatch):
    from hub.ingest import jobs

    monkeypatch.setattr(jobs, "enqueue", lambda upload_id, **_: None)  # stays `received`
    data, _ = police_variant(5)
    waiting, _ = submit(app, uploader(POLICE), HOTSPOTS, STREET, data)
    spool_dir = app.extensions["hub.settings"].effective_spool_dir
    kept = spool_path(spool_dir, waiting.id)
    _age(kept, 3600)  # old, but its upload is still to be processed

    start_background(app, every=0.1)
    try:
        stale = spool_dir / "00112233445566778899aabbccddeeff.part"
        stale.write_bytes(b"NHS number,Name\n" * 100)
        _age(stale, 3600)
        orphan = spool_dir / "0011223344556677-8899aabbccddeeff00112233445566.upload"
        orphan.write_bytes(b"spooled, never claimed")
        _age(orphan, 3600)
        deadline = time.monotonic() + 30
        while (stale.exists() or orphan.exists()) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop_background(app)

    assert not stale.exists() and not orphan.exists()
    assert kept.exists()
    scheduled = [e for e in _sweeps(app) if e.reason == "schedule"]
    assert sum(e.details["removed"] for e in scheduled) == 2
    assert sum(e.details["bytes"] for e in scheduled) == 1600 + len(b"spooled, never claimed")
    assert all(e.details["removed"] > 0 for e in scheduled)  # quiet sweeps leave no event
    assert [e.reason for e in _sweeps(app)][0] == "start"
