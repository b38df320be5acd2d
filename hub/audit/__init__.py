"""STUB (being written): the append-only Merkle audit log."""

import click

from hub.audit.api import api


def init_app(app, settings):
    pass


@click.group("audit")
def cli():
    """Read and verify the audit log."""


__all__ = ["api", "cli", "init_app"]
