"""STUB (being written): OAuth 2.0 authorization server, clients, JWT access tokens."""

import click

from hub.auth.api import api
from hub.auth.identity import Identity


def init_app(app, settings):
    pass


@click.group("clients")
def cli():
    """Manage OAuth clients."""


__all__ = ["Identity", "api", "cli", "init_app"]
