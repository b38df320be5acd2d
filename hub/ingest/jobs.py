"""Running uploads: `enqueue(upload_id)` hands an upload to a worker.

- Embedded (the default, no HUB_REDIS_URL): a pool of HUB_INGEST_THREADS worker threads in
  the server process, made on first use.
- With HUB_REDIS_URL: an RQ queue (HUB_INGEST_QUEUE); `hub worker` processes on any machine
  that shares the database and the spool folder run the job, `JOB_FUNCTION`: a function of
  the worker's module (hub/cli/worker.py), which can build the app the job runs in.

Either way the job only names the upload id: the worker reads the rest from the database
(nothing secret or personal goes through Redis), and a job run twice is harmless, because
only one worker can claim an upload (hub.ingest.lifecycle).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from flask import Flask, current_app

from hub.ingest.state import state

log = logging.getLogger(__name__)

# RQ finds a job's function by this name in the worker process.
JOB_FUNCTION = "hub.cli.worker.run_upload_job"
# Names that jobs queued by earlier versions carry; they still run (`run_upload_job` below).
LEGACY_JOB_FUNCTIONS = ("hub.ingest.jobs.run_upload_job",)
# Our own lease and recovery bound how long an upload may run; RQ's timeout only has to be
# longer than the largest upload could ever take.
JOB_TIMEOUT_SECONDS = 24 * 3600
RESULT_TTL_SECONDS = 24 * 3600


def enqueue(upload_id: str, *, app: Flask | None = None) -> None:
    app = app or current_app._get_current_object()
    settings = app.extensions["hub.settings"]
    if settings.redis_url:
        redis_queue(app).enqueue_call(
            JOB_FUNCTION,
            args=(upload_id,),
            timeout=JOB_TIMEOUT_SECONDS,
            result_ttl=RESULT_TTL_SECONDS,
            failure_ttl=RESULT_TTL_SECONDS,
            description=f"process upload {upload_id}",
        )
        return
    embedded_runner(app).submit(upload_id)


# -- embedded -------------------------------------------------------------------------------


class EmbeddedRunner:
    """Worker threads in the server process."""

    def __init__(self, app: Flask, threads: int):
        self.app = app
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="hub-ingest")
        self._futures: set[Future] = set()
        self._lock = threading.Lock()

    def submit(self, upload_id: str) -> Future:
        future = self.pool.submit(self._run, upload_id)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._forget)
        return future

    def _run(self, upload_id: str) -> str | None:
        return process_in(self.app, upload_id)

    def _forget(self, future: Future) -> None:
        with self._lock:
            self._futures.discard(future)

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every queued upload has finished (tests, shutdown). True if idle."""
        with self._lock:
            pending = set(self._futures)
        done, not_done = wait(pending, timeout=timeout)
        return not not_done

    def shutdown(self, *, cancel: bool = False) -> None:
        """Wait for the running uploads; with `cancel`, drop those not yet started (they stay
        `received` and are queued again at the next start)."""
        self.pool.shutdown(wait=True, cancel_futures=cancel)


def embedded_runner(app: Flask | None = None) -> EmbeddedRunner:
    app = app or current_app._get_current_object()
    ingest = state(app)
    with ingest.lock:
        if ingest.runner is None:
            threads = app.extensions["hub.settings"].ingest_threads
            ingest.runner = EmbeddedRunner(app, threads)
        return ingest.runner


# -- Redis (RQ) -----------------------------------------------------------------------------


def redis_queue(app: Flask | None = None):
    """The RQ queue of `app`'s settings, on one Redis client per app."""
    from redis import Redis
    from rq import Queue

    app = app or current_app._get_current_object()
    settings = app.extensions["hub.settings"]
    ingest = state(app)
    with ingest.lock:
        if ingest.redis is None:
            ingest.redis = Redis.from_url(settings.redis_url)
    return Queue(settings.ingest_queue, connection=ingest.redis)


_job_app: Flask | None = None
_job_app_lock = threading.Lock()


def use_app_for_jobs(app: Flask | None) -> None:
    """The app queued jobs work in, in this process (`hub worker` sets it; so do tests that
    run an RQ worker in-process). None forgets it."""
    global _job_app
    with _job_app_lock:
        _job_app = app


def job_app(build: Callable[[], Flask] | None = None) -> Flask:
    """The app of this worker process: the one set by `use_app_for_jobs`, else one made once
    by `build` (the worker's module builds it from the HUB_* settings)."""
    global _job_app
    with _job_app_lock:
        if _job_app is None:
            if build is None:
                raise RuntimeError(
                    "no app to run upload jobs in: run them with `hub worker`, which sets it"
                )
            _job_app = build()
        return _job_app


def process_in(app: Flask, upload_id: str) -> str | None:
    """Process one upload in `app`: what every job, threaded or queued, comes down to."""
    from hub.ingest.pipeline import process_upload

    with app.app_context():
        return process_upload(upload_id)


def run_upload_job(upload_id: str) -> str | None:
    """The RQ job under its name before the house moved it (LEGACY_JOB_FUNCTIONS): jobs
    queued by an earlier version still run, in the app `hub worker` set for this process.
    New jobs name hub.cli.worker.run_upload_job."""
    return process_in(job_app(), upload_id)
