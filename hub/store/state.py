"""The store of one app: its dataset tables, built (and created in the database) once per
process, whoever reads or writes them first: the pipeline, a view query or a console page."""

from __future__ import annotations

import threading

from flask import Flask, current_app

from hub import db
from hub.store.tables import DatasetTables

EXTENSION = "hub.store"
_LOCK = threading.Lock()


def init_app(app: Flask) -> None:
    """Give `app` its table cache and its registry of row-keyed tables (erasure). Touches no
    database: a table is created on first use."""
    from hub.store.erasure import row_keyed_tables

    dataset_tables(app)
    row_keyed_tables(app)


def dataset_tables(app: Flask | None = None) -> DatasetTables:
    """The app's one DatasetTables (the current app's if none is given)."""
    app = app or current_app._get_current_object()
    found = app.extensions.get(EXTENSION)
    if found is None:
        with _LOCK:
            found = app.extensions.get(EXTENSION)
            if found is None:
                found = app.extensions[EXTENSION] = DatasetTables(db.get_engine(app))
    return found
