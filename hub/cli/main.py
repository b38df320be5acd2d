"""The `hub` command: serve, demo, db upgrade, clients, agreements, audit, upload, worker,
retention, forecast."""

from __future__ import annotations

import click

from hub import db
from hub.cli import (
    agreements,
    audit,
    clients,
    forecast,
    reidentifications,
    retention,
    upload,
    worker,
)
from hub.cli.context import build_app, load_settings, prepare_database


@click.group()
def main() -> None:
    """The multi-agency data-sharing hub."""


@main.group("db")
def db_group() -> None:
    """The hub's database."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations, then load partners and agreements into the database."""
    app = build_app()
    prepare_database(app)
    click.echo(f"database at revision {db.current_revision(db.get_engine(app))}")


@main.command("serve")
@click.option("--workers", default=2, show_default=True, help="Worker processes.")
@click.option("--threads", default=4, show_default=True, help="Threads per worker.")
def serve_command(workers: int, threads: int) -> None:
    """Serve the hub on HUB_HOST:HUB_PORT."""
    from hub.serve import serve

    app = build_app()
    prepare_database(app)
    settings = app.extensions["hub.settings"]
    serve(app, host=settings.host, port=settings.port, workers=workers, threads=threads)


@main.command("demo")
@click.option("--no-serve", is_flag=True, help="Prepare everything, print it, and exit.")
@click.option(
    "--no-data",
    is_flag=True,
    help="Write and send no synthetic feeds: an empty hub, agreements approved.",
)
def demo_command(no_serve: bool, no_data: bool) -> None:
    """Prepare instance/, the database, the demo clients and the synthetic feeds; serve; then
    approve the agreements, upload the feeds and query the views over HTTP."""
    import time

    from hub.demo.people import ensure_client_secrets
    from hub.demo.run import run_demo

    started = time.time()  # the demo says how long the cohort took to answer from here
    first = load_settings(mode="demo")
    # The hub's secrets at the demo's OpenID Provider go into the environment first, where
    # the settings read HUB_OIDC_SECRET_* from.
    ensure_client_secrets(first.instance_path, first.policies_dir)
    app = build_app(mode="demo")
    prepare_database(app)
    run_demo(app, started=started, serve=not no_serve, data=not no_data)


main.add_command(clients.cli)
main.add_command(agreements.cli)
main.add_command(audit.cli)
main.add_command(upload.upload_cli)
main.add_command(worker.worker_cli)
main.add_command(retention.cli)
main.add_command(forecast.cli)
main.add_command(reidentifications.cli)
