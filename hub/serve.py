"""Serving the app with gunicorn, from the `hub serve` and `hub demo` commands."""

from __future__ import annotations

from flask import Flask
from gunicorn.app.base import BaseApplication

from hub import audit, db
from hub.ingest import start_background
from hub.retention import start_retention_schedule


class HubServer(BaseApplication):
    """Gunicorn around an app that is already built (and so already checked)."""

    def __init__(self, app: Flask, *, host: str, port: int, workers: int, threads: int):
        self.application = app
        self.options = {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "accesslog": "-",
            # Query strings could carry anything; the access log shows the path only.
            "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        # Runs in each worker after the fork: connections opened by the parent (migrations,
        # sync) must not be shared between processes.
        db.get_engine(self.application).dispose(close=False)
        # Each worker runs its own ingest threads and recovery (HUB_REDIS_URL moves the
        # processing to `hub worker` processes instead).
        start_background(self.application)
        # And its retention job (HUB_RETENTION_INTERVAL_SECONDS; overlapping runs are safe).
        start_retention_schedule(self.application)
        # And its audit checkpoints, so that a quiet log is still signed (HUB_CHECKPOINT_*).
        audit.start_background(self.application)
        return self.application


def serve(app: Flask, *, host: str, port: int, workers: int = 2, threads: int = 4) -> None:
    HubServer(app, host=host, port=port, workers=workers, threads=threads).run()
