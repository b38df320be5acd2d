"""How a command gets its app: the one helper every `hub` command uses.

Flask's test runner (`app.test_cli_runner()`) hands its app to a command through the click
context (a ScriptInfo); `hub` itself builds one from the HUB_* settings. A bad setting or an
invalid policy stops the command here, with one line naming it (exit 2).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask
from flask.cli import ScriptInfo
from pydantic import ValidationError

from hub import agreements, db
from hub.app import create_app
from hub.errors import ConfigurationError, HubError
from hub.settings import Settings


def app_for_command(**overrides) -> Flask:
    """The app of the click context (Flask's test runner) if it has one, else one built from
    HUB_* settings with `overrides`."""
    context = click.get_current_context(silent=True)
    info = context.find_object(ScriptInfo) if context is not None else None
    if info is not None and info.create_app is not None:
        return info.load_app()
    return build_app(**overrides)


def build_app(**overrides) -> Flask:
    """Settings from HUB_* variables, then the app; a bad setting or policy stops here."""
    settings = load_settings(**overrides)
    try:
        return create_app(settings)
    except ConfigurationError as exc:
        fail(str(exc))


def load_settings(**overrides) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        fail(settings_problem(exc))


def settings_problem(exc: ValidationError) -> str:
    """One line for the first invalid HUB_* setting."""
    first = exc.errors()[0]
    field = "_".join(str(part) for part in first.get("loc", ()))
    return f"invalid setting {'HUB_' + field.upper() if field else ''}: {first['msg']}"


@contextmanager
def app_context(**overrides) -> Iterator[Flask]:
    """`app_for_command()`'s app context; a HubError raised inside ends the command with its
    detail (exit 1)."""
    app = app_for_command(**overrides)
    with app.app_context():
        try:
            yield app
        except HubError as error:
            raise click.ClickException(error.detail) from error


def prepare_database(app: Flask) -> None:
    """Migrate and load the policies into the database; both are idempotent."""
    with app.app_context():
        db.upgrade(db.get_engine())
        agreements.sync_to_database()


def fail(message: str) -> None:
    click.echo(f"hub: cannot start: {message}", err=True)
    sys.exit(2)
