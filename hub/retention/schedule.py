"""The retention job: a daemon thread per serving process that runs `run_retention` every
HUB_RETENTION_INTERVAL_SECONDS (0 turns it off).

Several processes (gunicorn workers, several machines) may each run it: a deletion is
recorded only by the transaction that deleted the rows (hub/retention/run.py), so runs that
overlap do not record anything twice. The first run comes a random moment (up to a minute)
after start, so that workers started together do not all scan at once.
"""

from __future__ import annotations

import logging
import random
import threading

from flask import Flask

from hub.retention.run import run_retention

log = logging.getLogger(__name__)

EXTENSION = "hub.retention"
FIRST_RUN_WITHIN = 60.0
_LOCK = threading.Lock()


def start_retention_schedule(app: Flask, *, every: float | None = None) -> bool:
    """Start the retention thread of this process, once; False if the setting turns it off."""
    if every is None:
        every = float(app.extensions["hub.settings"].retention_interval_seconds)
    if every <= 0:
        log.info("retention schedule off (HUB_RETENTION_INTERVAL_SECONDS=0)")
        return False
    with _LOCK:
        if app.extensions.get(EXTENSION) is not None:
            return True
        stop = threading.Event()
        app.extensions[EXTENSION] = stop
    first = random.uniform(0, min(every, FIRST_RUN_WITHIN))  # noqa: S311 - spreading only

    def loop() -> None:
        wait = first
        while not stop.wait(wait):
            wait = every
            try:
                with app.app_context():
                    report = run_retention()
            except Exception as exc:  # noqa: BLE001 - try again next round
                log.warning("retention run failed (%s)", type(exc).__name__)
                continue
            _log(report)

    threading.Thread(target=loop, name="hub-retention", daemon=True).start()
    return True


def stop_retention_schedule(app: Flask) -> None:
    with _LOCK:
        stop = app.extensions.pop(EXTENSION, None)
    if stop is not None:
        stop.set()


def _log(report) -> None:
    if report.deletions or report.errors:
        log.info(
            "retention run %s: deleted %d rows of %d uploads and %d view disclosure records",
            report.run_id,
            report.rows_deleted,
            len({d.upload_id for d in report.deletions if d.upload_id}),
            report.disclosures_deleted,
        )
    for item in report.left_alone:
        log.warning(
            "retention left alone: %s / %s upload %s: %s",
            item.agreement,
            item.dataset,
            item.upload_id,
            item.why,
        )
    for error in report.errors:
        log.warning("retention: %s", error)
