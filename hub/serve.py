"""Serving the app with gunicorn, from the `hub serve` and `hub demo` commands."""

from __future__ import annotations

import os
import signal
import sys

from flask import Flask
from gunicorn.app.base import BaseApplication

from hub import audit, db, notify
from hub.api.body_limits import configure_body_readers
from hub.ingest import ingest_stopping, start_background, stop_ingest
from hub.retention import start_retention_schedule, stop_retention_schedule


class HubServer(BaseApplication):
    """Gunicorn around an app that is already built (and so already checked)."""

    def __init__(self, app: Flask, *, host: str, port: int, workers: int, threads: int):
        self.application = app
        self._quitting = False
        # gthread: each request holds a thread while its body arrives. At most `threads - 2`
        # of them read bodies at once (HUB_BODY_READERS), and a body must keep coming
        # (HUB_BODY_TIMEOUT_SECONDS, HUB_BODY_MIN_RATE): slow senders cannot hold them all.
        configure_body_readers(app, threads)
        self.options = {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "accesslog": "-",
            # Query strings could carry anything; the access log shows the path only.
            "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
            # Before the interpreter waits for the ingest threads: they hand their uploads
            # back at the next chunk, so a worker stops in seconds, well inside gunicorn's
            # graceful timeout (which would otherwise end in SIGKILL).
            "post_worker_init": self._post_worker_init,
            "worker_int": self._worker_int,
            "worker_exit": self._worker_exit,
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def _post_worker_init(self, worker) -> None:
        # Ctrl-C sends SIGINT to every process of the terminal's group, and the arbiter then
        # sends each worker SIGQUIT: a second signal cut the worker's clean-up short (an
        # upload ran on, and the arbiter sent SIGKILL after its graceful timeout). Workers
        # leave SIGINT to the arbiter.
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    def _worker_int(self, worker) -> None:
        ingest_stopping(self.application)
        self._quitting = True

    def _worker_exit(self, server, worker) -> None:
        stop_ingest(self.application)
        stop_retention_schedule(self.application)
        audit.stop_background(self.application)
        notify.stop_background(self.application)
        db.get_engine(self.application).dispose()
        if self._quitting:
            # A quick shutdown (Ctrl-C) exits 0 anyway. Tearing the interpreter down takes
            # seconds with pandas, pyarrow and Great Expectations loaded, and nothing is left
            # to save: leave at once. (Other exits keep their status: a boot error must
            # stop the arbiter.)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)

    def run(self) -> None:
        try:
            super().run()
        except SystemExit as stopped:
            # The arbiter has stopped every worker. As in `_worker_exit`: nothing is left to
            # save, and tearing the interpreter down would take seconds after Ctrl-C.
            db.get_engine(self.application).dispose()
            sys.stdout.flush()
            sys.stderr.flush()
            code = stopped.code
            os._exit(code if isinstance(code, int) else (1 if code else 0))

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
        # And its webhook deliveries (HUB_WEBHOOK_INTERVAL_SECONDS; claimed one by one).
        notify.start_background(self.application)
        return self.application


def serve(app: Flask, *, host: str, port: int, workers: int = 2, threads: int = 4) -> None:
    HubServer(app, host=host, port=port, workers=workers, threads=threads).run()
