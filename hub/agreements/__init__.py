"""STUB (being written): partners, agreements as code, decisions."""

import click

from hub.agreements.api import api


def init_app(app, settings):
    app.extensions["hub.policies"] = object()


def sync_to_database():
    pass


@click.group("agreements")
def cli():
    """Check and inspect agreements."""


__all__ = ["api", "cli", "init_app", "sync_to_database"]
