"""Work a process does for ingest besides running jobs: at start, create the dataset tables
and recover uploads whose worker died; then look for such uploads again every little while
(another process may die at any time)."""

from __future__ import annotations

import logging
import threading

from flask import Flask

from hub.agreements import current_policies
from hub.ingest.lifecycle import LEASE_SECONDS, recover_stale_uploads
from hub.ingest.state import state
from hub.store import dataset_tables

log = logging.getLogger(__name__)


def prepare_ingest(app: Flask) -> dict[str, list[str]]:
    """Create every dataset table the policies name and recover stale uploads, once."""
    with app.app_context():
        dataset_tables(app).ensure_all(current_policies())
        return recover_stale_uploads(every_received=True)


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
