"""The `hub` command: serve, demo, db upgrade, clients, agreements check, audit verify."""

from __future__ import annotations

import sys

import click

from hub import agreements, audit, auth, db
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
        where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        fail(f"invalid setting {where.upper() and 'HUB_' + where.upper() if where != 'settings' else where}: {first['msg']}")
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
    with app.app_context():
        db.upgrade(db.get_engine())
        agreements.sync_to_database()
    click.echo(f"database at revision {db.current_revision(db.get_engine(app))}")


main.add_command(auth.cli)
main.add_command(agreements.cli)
main.add_command(audit.cli)
