"""The thread each serving process runs to send webhook deliveries that are due
(HUB_WEBHOOK_INTERVAL_SECONDS; 0 turns it off). Deliveries are claimed one by one with a
conditional UPDATE, so several processes share the work without sending one twice."""

from __future__ import annotations

import logging
import threading

from flask import Flask

EXTENSION = "hub.notify.background"
log = logging.getLogger(__name__)


def start_background(app: Flask) -> None:
    from hub.notify.webhooks import deliver_due

    every = app.extensions["hub.settings"].webhook_interval_seconds
    if not every or app.extensions.get(EXTENSION) is not None:
        return
    stop = app.extensions[EXTENSION] = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            try:
                with app.app_context():
                    deliver_due()
            except Exception as exc:  # noqa: BLE001 - try again next round
                log.warning("webhook deliveries failed (%s)", type(exc).__name__)

    threading.Thread(target=loop, name="hub-webhooks", daemon=True).start()


def stop_background(app: Flask) -> None:
    stop = app.extensions.pop(EXTENSION, None)
    if stop is not None:
        stop.set()
