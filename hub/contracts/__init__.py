"""STUB (being written): ODCS v3 contracts."""

from hub.contracts.api import api


def init_app(app, settings):
    pass


__all__ = ["api", "init_app"]
