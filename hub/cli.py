"""The `hub` command: serve, demo, db upgrade, clients, agreements check, audit verify."""

from __future__ import annotations

import sys

import click

from hub import agreements, audit, auth, db, ingest
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
def demo_command(no_serve: bool) -> None:
    """Prepare instance/, the database and the demo clients, then serve."""
    from hub.demo import ensure_demo_clients, introduction
    from hub.serve import serve

    app = build_app(mode="demo")
    prepare_database(app)
    settings = app.extensions["hub.settings"]
    with app.app_context():
        clients_file, clients = ensure_demo_clients(settings.instance_path / "demo-clients.json")
    click.echo(introduction(settings, clients_file, clients))
    if not no_serve:
        serve(app, host=settings.host, port=settings.port)


main.add_command(auth.cli)
main.add_command(agreements.cli)
main.add_command(audit.cli)
main.add_command(ingest.upload_cli)
main.add_command(ingest.worker_cli)
