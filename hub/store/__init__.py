"""The store: the dataset tables generated from contracts and agreements, the bulk loaders
that fill them, and the row deletes that empty them.

One table per (agreement, dataset), SQLAlchemy Core (hub/store/tables.py); rows are loaded
by `PostgresLoader` (COPY) or `SqliteLoader` (executemany) and are visible only while their
upload is `published` (and the row not restricted). `dataset_tables()` is the app's one
table cache: ingest, views, governance and the pages share it. `row_keyed_tables()` is the
registry of the tables an erasure must clear (hub/store/erasure.py).
"""

from hub.store.erasure import ErasedRow, Eraser, RowKeyedTables, row_keyed_tables
from hub.store.loaders import Loader, PostgresLoader, SqliteLoader, loader_for
from hub.store.rows import delete_rows
from hub.store.state import dataset_tables, init_app
from hub.store.tables import (
    EXPIRES_AT,
    KEY_PREFIX,
    PSEUDONYM_LENGTH,
    RESTRICTED_AT,
    ROW,
    UPLOAD_ID,
    DatasetTables,
    Layout,
    StoredColumn,
    allowed_fields,
    build_table,
    ensure_table,
    layout_for,
    table_name,
)

__all__ = [
    "EXPIRES_AT",
    "KEY_PREFIX",
    "PSEUDONYM_LENGTH",
    "RESTRICTED_AT",
    "ROW",
    "UPLOAD_ID",
    "DatasetTables",
    "ErasedRow",
    "Eraser",
    "RowKeyedTables",
    "Layout",
    "Loader",
    "PostgresLoader",
    "SqliteLoader",
    "StoredColumn",
    "allowed_fields",
    "build_table",
    "dataset_tables",
    "delete_rows",
    "ensure_table",
    "init_app",
    "layout_for",
    "loader_for",
    "row_keyed_tables",
    "table_name",
]
