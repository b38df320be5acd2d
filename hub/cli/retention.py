"""`hub retention run [--dry-run]`: delete data past its retention now, and say what went."""

from __future__ import annotations

import sys

import click

from hub.cli.context import app_for_command
from hub.retention import run_retention


@click.group("retention")
def cli() -> None:
    """Delete data past its retention, with an audit event for each deletion."""


@cli.command("run")
@click.option("--dry-run", is_flag=True, help="Show what would be deleted; delete nothing.")
def run_command(dry_run: bool) -> None:
    """Delete rows past their expiry and all data of agreements ended beyond their retention,
    and print each deletion per agreement, dataset and upload. Exit 1 if a deletion failed."""
    app = app_for_command()
    with app.app_context():
        report = run_retention(dry_run=dry_run)
    for line in report.lines():
        click.echo(line)
    if report.errors:
        sys.exit(1)
