"""`hub worker`: process uploads from the Redis queue (HUB_REDIS_URL, HUB_INGEST_QUEUE)."""

from __future__ import annotations

import click


@click.command("worker")
@click.option("--burst", is_flag=True, help="Process the queued uploads, then exit.")
def worker_cli(burst: bool) -> None:
    """Process uploads from the Redis queue; run as many as wanted, on any machine that
    shares the database and the spool folder."""
    from rq import SimpleWorker

    from hub.cli import build_app, fail, prepare_database
    from hub.ingest.background import start_background
    from hub.ingest.jobs import redis_queue, use_app_for_jobs

    app = build_app()
    settings = app.extensions["hub.settings"]
    if not settings.redis_url:
        fail("hub worker needs HUB_REDIS_URL (without it the server runs uploads itself)")
    prepare_database(app)
    start_background(app)
    # One app per process, reused by every job: SimpleWorker runs jobs in this process
    # rather than forking per job, so the app, its engine and Great Expectations load once.
    use_app_for_jobs(app)
    queue = redis_queue(app)
    click.echo(f"hub worker: queue {settings.ingest_queue}")
    SimpleWorker([queue], connection=queue.connection).work(burst=burst)
