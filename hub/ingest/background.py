"""Work a process does for ingest besides running jobs: at start, create the dataset tables,
recover uploads whose worker died and sweep the spool of partial files dead transfers left;
then do both again every little while (another process may die at any time).

Each sweep at start is an audit event (`spool.swept`, with how many files and bytes it
removed, maybe none); a scheduled sweep is one only when it removed something, so that a
quiet hub does not grow its permanent log by an event every 30 s.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask
from sqlalchemy import select

from hub import audit, db
from hub.agreements import current_policies
from hub.audit import NewEvent
from hub.db.models import Upload
from hub.ingest.lifecycle import (
    LEASE_SECONDS,
    PROCESSING,
    RECEIVED,
    recover_stale_uploads,
    spool_path,
)
from hub.ingest.spool import Sweep, sweep_stale
from hub.ingest.state import state
from hub.store import dataset_tables

log = logging.getLogger(__name__)


def prepare_ingest(app: Flask) -> dict[str, list[str]]:
    """Create every dataset table the policies name and recover stale uploads, once."""
    with app.app_context():
        dataset_tables(app).ensure_all(current_policies())
        sweep_spool(app, at_start=True)
        return recover_stale_uploads(every_received=True)


def sweep_spool(app: Flask, *, at_start: bool = False) -> Sweep:
    """Remove the spool's stale partial files (hub.ingest.spool.sweep_stale), keeping the
    files of uploads still waiting or processing; record the sweep (see the module's doc)."""
    settings = app.extensions["hub.settings"]
    spool_dir = settings.effective_spool_dir
    with app.app_context():
        engine = db.get_engine()
        with db.read_only(engine) as session:
            live = session.execute(
                select(Upload.id).where(Upload.status.in_([RECEIVED, PROCESSING]))
            ).scalars()
            keep = {spool_path(spool_dir, upload_id).name for upload_id in live}
        swept = sweep_stale(spool_dir, stale_seconds=settings.spool_stale_seconds, keep=keep)
        if swept.removed:
            log.warning(
                "spool swept: removed %d stale partial file(s), %d bytes, left by transfers "
                "that died",
                swept.removed,
                swept.bytes,
            )
        if swept.removed or at_start:
            audit.append(
                engine,
                NewEvent(
                    action="spool.swept",
                    resource="spool",
                    outcome="allowed",
                    reason="start" if at_start else "schedule",
                    details={
                        "removed": swept.removed,
                        "bytes": swept.bytes,
                        "stale_after_seconds": settings.spool_stale_seconds,
                    },
                ),
            )
    return swept


def start_background(app: Flask, *, every: float = LEASE_SECONDS / 2) -> None:
    """`prepare_ingest`, then a daemon thread that recovers stale uploads every `every`
    seconds. Call once per process that serves the hub or runs `hub worker`."""
    ingest = state(app)
    with ingest.lock:
        if ingest.background is not None:
            return
        stop = threading.Event()
        ingest.background = stop
    prepare_ingest(app)

    def loop() -> None:
        while not stop.wait(every):
            try:
                with app.app_context():
                    recover_stale_uploads()
            except Exception as exc:  # noqa: BLE001 - try again next round
                log.warning("upload recovery failed (%s)", type(exc).__name__)
            try:
                sweep_spool(app)
            except Exception as exc:  # noqa: BLE001 - try again next round
                log.warning("spool sweep failed (%s)", type(exc).__name__)

    threading.Thread(target=loop, name="hub-ingest-recovery", daemon=True).start()


def stop_background(app: Flask) -> None:
    ingest = state(app)
    with ingest.lock:
        if ingest.background is not None:
            ingest.background.set()
            ingest.background = None


def ingest_stopping(app: Flask) -> None:
    """Tell the uploads being processed to hand their lease back at their next chunk."""
    state(app).stopping.set()


def stop_ingest(app: Flask) -> None:
    """The process is stopping: stop recovering, and have the uploads being processed hand
    their lease back at their next chunk (they are processed again at the next start)."""
    stop_background(app)
    ingest = state(app)
    ingest.stopping.set()
    if ingest.runner is not None:
        ingest.runner.shutdown(cancel=True)
