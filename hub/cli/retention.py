"""`hub retention run [--dry-run]`: delete data past its retention now, and say what went."""

from __future__ import annotations

import sys

import click


def _app():
    """The app of flask's test runner if there is one, else one built from HUB_* settings."""
    from flask.cli import ScriptInfo

    info = click.get_current_context().find_object(ScriptInfo)
    if info is not None:
        return info.load_app()
    from hub.cli import build_app

    return build_app()


@click.group("retention")
def cli() -> None:
    """Delete data past its retention, with an audit event for each deletion."""


@cli.command("run")
@click.option("--dry-run", is_flag=True, help="Show what would be deleted; delete nothing.")
def run_command(dry_run: bool) -> None:
    """Delete rows past their expiry and all data of agreements ended beyond their retention,
    and print each deletion per agreement, dataset and upload. Exit 1 if a deletion failed."""
    from hub.retention.run import run_retention

    app = _app()
    with app.app_context():
        report = run_retention(dry_run=dry_run)
    for line in report.lines():
        click.echo(line)
    if report.errors:
        sys.exit(1)
