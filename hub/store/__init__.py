"""The store: the dataset tables generated from contracts and agreements, the bulk loaders
that fill them, and the row deletes that empty them.

One table per (agreement, dataset), SQLAlchemy Core (hub/store/tables.py); rows are loaded
by `PostgresLoader` (COPY) or `SqliteLoader` (executemany) and are visible only while their
upload is `published` (and the row not restricted). On PostgreSQL the tables are partitioned
by upload (hub/store/partitions.py): an upload loads into a table of its own, indexed and
attached when it publishes, dropped when it is deleted. A row's record reference (the
provider's own key for it) is sealed in `record_references`, beside the table, never in it
(hub/store/references.py). `dataset_tables()` is the app's one table cache: ingest, views,
governance and the pages share it. `row_keyed_tables()` is the registry of the tables an
erasure must clear (hub/store/erasure.py).
"""

from hub.store.erasure import ErasedRow, Eraser, RowKeyedTables, row_keyed_tables
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
from hub.store.references import (
    delete_expired_references,
    delete_record_references,
    prune_record_references,
    read_record_references,
    store_record_references,
)
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
    "attach_upload",
    "build_upload_indexes",
    "create_upload_table",
    "drop_upload_rows",
    "build_table",
    "dataset_tables",
    "delete_expired_references",
    "delete_record_references",
    "delete_rows",
    "ensure_table",
    "init_app",
    "is_partition_table",
    "layout_for",
    "loader_for",
    "prune_record_references",
    "read_record_references",
    "store_record_references",
    "row_keyed_tables",
    "table_name",
    "upload_table",
    "upload_table_name",
]
