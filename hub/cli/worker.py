"""`hub worker`: process uploads from the Redis queue (HUB_REDIS_URL, HUB_INGEST_QUEUE).

This is the worker's module: the queued job names `run_upload_job` here
(hub.ingest.jobs.JOB_FUNCTION), so that a job can build its app from the HUB_* settings.
"""

from __future__ import annotations

import click

from hub.app import create_app
from hub.cli.context import app_for_command, fail, prepare_database
from hub.ingest import jobs, start_background


@click.command("worker")
@click.option("--burst", is_flag=True, help="Process the queued uploads, then exit.")
def worker_cli(burst: bool) -> None:
    """Process uploads from the Redis queue; run as many as wanted, on any machine that
    shares the database and the spool folder."""
    from rq import SimpleWorker

    app = app_for_command()
    settings = app.extensions["hub.settings"]
    if not settings.redis_url:
        fail("hub worker needs HUB_REDIS_URL (without it the server runs uploads itself)")
    prepare_database(app)
    start_background(app)
    # One app per process, reused by every job: SimpleWorker runs jobs in this process
    # rather than forking per job, so the app, its engine and Great Expectations load once.
    jobs.use_app_for_jobs(app)
    queue = jobs.redis_queue(app)
    # Great Expectations takes seconds to import: before the first job, not inside it.
    from hub.contracts.compile_dataset import gx

    gx()
    click.echo(f"hub worker: queue {settings.ingest_queue}")
    SimpleWorker([queue], connection=queue.connection).work(burst=burst)


def run_upload_job(upload_id: str) -> str | None:
    """The RQ job (hub.ingest.jobs.JOB_FUNCTION): process one upload in this worker process's
    app, built once from the HUB_* settings if `hub worker` did not set it."""
    return jobs.process_in(jobs.job_app(build=create_app), upload_id)
