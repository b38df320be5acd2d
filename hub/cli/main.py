"""The `hub` command: serve, demo, db upgrade, clients, agreements check, audit verify."""

from __future__ import annotations

import sys

import click

from hub import agreements, audit, auth, db, ingest, retention
from hub.errors import ConfigurationError


def build_app(**overrides):
    """Settings from HUB_* variables, then the app; a bad setting or policy stops here."""
    from pydantic import ValidationError

    from hub.app import create_app
    from hub.settings import Settings

    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = "_".join(str(part) for part in first.get("loc", ()))
        fail(f"invalid setting {'HUB_' + field.upper() if field else ''}: {first['msg']}")
    try:
        return create_app(settings)
    except ConfigurationError as exc:
        fail(str(exc))


def fail(message: str) -> None:
    click.echo(f"hub: cannot start: {message}", err=True)
    sys.exit(2)


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


def prepare_database(app) -> None:
    """Migrate and load the policies into the database; both are idempotent."""
    with app.app_context():
        db.upgrade(db.get_engine())
        agreements.sync_to_database()


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

    from hub.demo_run import run_demo

    started = time.time()  # the demo says how long the cohort took to answer from here
    app = build_app(mode="demo")
    prepare_database(app)
    run_demo(app, started=started, serve=not no_serve, data=not no_data)


main.add_command(auth.cli)
main.add_command(agreements.cli)
main.add_command(audit.cli)
main.add_command(ingest.upload_cli)
main.add_command(ingest.worker_cli)
main.add_command(retention.cli)
