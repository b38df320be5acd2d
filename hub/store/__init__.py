"""The store: the dataset tables generated from contracts and agreements, the bulk loaders
that fill them, and the row deletes that empty them.

One table per (agreement, dataset), SQLAlchemy Core (hub/store/tables.py); rows are loaded
by `PostgresLoader` (COPY) or `SqliteLoader` (executemany) and are visible only while their
upload is `published`. On PostgreSQL the tables are partitioned by upload
(hub/store/partitions.py): an upload loads into a table of its own, indexed and attached
when it publishes, dropped when it is deleted. `dataset_tables()` is the app's one table
cache: ingest, views, governance and the pages share it.
"""

from hub.store.loaders import Loader, PostgresLoader, SqliteLoader, loader_for
from hub.store.partitions import (
    attach_upload,
    build_upload_indexes,
    create_upload_table,
    drop_upload_rows,
    is_partition_table,
    upload_table,
    upload_table_name,
)
from hub.store.rows import delete_rows
from hub.store.state import dataset_tables, init_app
from hub.store.tables import (
    EXPIRES_AT,
    KEY_PREFIX,
    PSEUDONYM_LENGTH,
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
    "ROW",
    "UPLOAD_ID",
    "DatasetTables",
    "Layout",
    "Loader",
    "PostgresLoader",
    "SqliteLoader",
    "StoredColumn",
    "allowed_fields",
    "attach_upload",
    "build_upload_indexes",
    "create_upload_table",
    "drop_upload_rows",
    "build_table",
    "dataset_tables",
    "delete_rows",
    "ensure_table",
    "init_app",
    "is_partition_table",
    "layout_for",
    "loader_for",
    "table_name",
    "upload_table",
    "upload_table_name",
]
