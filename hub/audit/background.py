"""The thread each serving process runs so that a quiet log is still signed: every little
while it signs a checkpoint if one is due (HUB_CHECKPOINT_EVERY_*)."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from flask import Flask

from hub import clock, db
from hub.audit.log import LogCorrupted, append, current_size
from hub.audit.state import audit_config, checkpointer, signing_key
from hub.db.models import AuditCheckpoint

log = logging.getLogger(__name__)


def tick(app: Flask, *, moment: datetime | None = None) -> AuditCheckpoint | None:
    """One round of the background thread: record the count of unauthenticated requests of a
    minute that is over (hub.audit.unauthenticated), then sign and keep a checkpoint if one
    is due."""
    with app.app_context():
        summary = audit_config(app).unauthenticated.summary_due(moment or clock.now())
        if summary is not None:
            append(db.get_engine(app), summary)
        return checkpointer(app).checkpoint_if_due(
            db.get_engine(app), signing_key(app), moment=moment
        )


def start_background(app: Flask, *, every: float | None = None) -> None:
    """A daemon thread that checkpoints a quiet log: call once per serving process."""
    state = checkpointer(app)
    with state._lock:
        if state.background is not None:
            return
        stop = state.background = threading.Event()
    interval = every if every is not None else max(1.0, min(state.every_seconds / 2, 60.0))

    def loop() -> None:
        try:  # read the log once now, so that the first request does not wait for it
            with app.app_context(), db.read_only() as session:
                state.proof_tree(session, current_size(session))
        except LogCorrupted as exc:
            log.critical("audit log contradicts a kept checkpoint: %s", exc)
        except Exception as exc:  # noqa: BLE001 - the first request reads it instead
            log.warning("reading the audit log failed (%s)", type(exc).__name__)
        while True:
            try:
                tick(app)
            except LogCorrupted as exc:
                log.critical("audit checkpoint refused: %s; run `hub audit verify`", exc)
            except Exception as exc:  # noqa: BLE001 - try again next round
                log.warning("audit checkpoint failed (%s)", type(exc).__name__)
            if stop.wait(interval):
                return

    threading.Thread(target=loop, name="hub-audit-checkpoints", daemon=True).start()


def stop_background(app: Flask) -> None:
    state = checkpointer(app)
    with state._lock:
        if state.background is not None:
            state.background.set()
            state.background = None
