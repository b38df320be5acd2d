"""The hub's storage: one engine per app, units of work, migrations and its own tables."""

from hub.db.engine import is_postgres, make_engine, normalise_url
from hub.db.migrate import current_revision, upgrade
from hub.db.session import get_engine, init_app, read_only, unit_of_work

__all__ = [
    "current_revision",
    "get_engine",
    "init_app",
    "is_postgres",
    "make_engine",
    "normalise_url",
    "read_only",
    "unit_of_work",
    "upgrade",
]
