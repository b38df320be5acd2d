"""PostgreSQL: a dataset table partitioned by upload, one table (partition) per upload.

    load     CREATE TABLE <upload's table> (LIKE <dataset table>), no index; one COPY per chunk
    check    duplicate keys and dataset checks read the upload's table alone
    publish  CREATE INDEX for each of the dataset table's indexes (sorted, in bulk), then,
             in the publish transaction with the status flip and its audit event,
             ALTER TABLE <dataset table> ATTACH PARTITION <upload's table> FOR VALUES IN (id)
    delete   DROP TABLE (reject, withdraw, replace, recovery, retention)

Keeping a B-tree up to date row by row made the COPY of an indexed table the slowest part of
an ingest; building each index once, from sorted rows, costs a small part of that
(research/ingest-floor.md). The upload's table is invisible to readers until it is attached
(readers read the dataset table), so a publish is still all or nothing, and a CHECK
constraint on `_upload_id` lets ATTACH skip its scan of the rows.

A dataset table made before partitioning (one plain table with every upload's rows) is
converted the first time the hub opens it: it becomes the partition of the uploads it holds.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import datetime

from sqlalchemy import Column, Connection, MetaData, Table, text

from hub.store.tables import EXPIRES_AT, UPLOAD_ID

UPLOAD_TABLE_PREFIX = "ds_up_"
LEGACY_PREFIX = "ds_legacy_"
# The names of the tables this module makes; never a dataset table's (those hold "__" and
# are either shorter than 38 characters or exactly 63).
_OWN_TABLE = re.compile(r"ds_up_[0-9a-f]{32}|ds_legacy_[0-9a-f]{24}")


def is_partition_table(name: str) -> bool:
    """Whether `name` is an upload's own table or a converted one (not a dataset table)."""
    return _OWN_TABLE.fullmatch(name) is not None


def upload_table_name(upload_id: str) -> str:
    """The name of an upload's own table: its id (a UUID the hub made) as hex."""
    return UPLOAD_TABLE_PREFIX + uuid.UUID(upload_id).hex


def is_partitioned(connection: Connection, name: str) -> bool:
    return _relkind(connection, name) == "p"


def create_upload_table(
    connection: Connection, parent: Table, upload_id: str, expires_at: datetime
) -> Table:
    """A new, empty table of the upload's own with the dataset table's columns, no index,
    and `_upload_id`/`_expires_at` as defaults (no row carries them in the COPY). Drops one
    an earlier attempt left."""
    name = upload_table_name(upload_id)
    q = connection.dialect.identifier_preparer.quote
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {q(name)}")
    connection.exec_driver_sql(
        f"CREATE TABLE {q(name)} (LIKE {q(parent.name)} INCLUDING DEFAULTS, "
        f"CONSTRAINT {q(name + '_upload')} CHECK ({q(UPLOAD_ID)} = '{_uuid(upload_id)}'))"
    )
    stamp = connection.execute(text("SELECT CAST(:t AS timestamptz)::text"), {"t": expires_at})
    connection.exec_driver_sql(
        f"ALTER TABLE {q(name)} ALTER COLUMN {q(UPLOAD_ID)} SET DEFAULT '{_uuid(upload_id)}', "
        f"ALTER COLUMN {q(EXPIRES_AT)} SET DEFAULT '{stamp.scalar()}'"
    )
    return upload_table(parent, upload_id)


def upload_table(parent: Table, upload_id: str) -> Table:
    """The SQLAlchemy Table of an upload's own table (the dataset table's columns)."""
    return Table(
        upload_table_name(upload_id),
        MetaData(),
        *(Column(c.name, c.type, nullable=c.nullable) for c in parent.columns),
    )


def build_upload_indexes(connection: Connection, parent: Table, upload_id: str) -> None:
    """The dataset table's indexes on the upload's table, each built in one sorted pass.
    ATTACH then adopts them as the partitions of the dataset table's indexes."""
    name = upload_table_name(upload_id)
    q = connection.dialect.identifier_preparer.quote
    connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
    for number, index in enumerate(sorted(parent.indexes, key=lambda i: i.name)):
        using = index.dialect_options["postgresql"].get("using") or "btree"
        columns = ", ".join(q(c.name) for c in index.columns)
        connection.exec_driver_sql(
            f"CREATE INDEX IF NOT EXISTS {q(f'{name}_ix{number}')} ON {q(name)} "
            f"USING {using} ({columns})"
        )


def attach_upload(connection: Connection, parent: Table, upload_id: str) -> None:
    q = connection.dialect.identifier_preparer.quote
    connection.exec_driver_sql(
        f"ALTER TABLE {q(parent.name)} ATTACH PARTITION {q(upload_table_name(upload_id))} "
        f"FOR VALUES IN ('{_uuid(upload_id)}')"
    )


def drop_upload_rows(connection: Connection, name: str, upload_id: str) -> int:
    """Delete every row of the upload from dataset table `name`: drop its own table (attached
    or not), and delete what a table converted from before partitioning holds of it."""
    q = connection.dialect.identifier_preparer.quote
    own = upload_table_name(upload_id)
    count = 0
    if _relkind(connection, own) == "r":
        counted = f"SELECT count(*) FROM {q(own)}"  # noqa: S608 - a quoted name the hub made
        count = connection.exec_driver_sql(counted).scalar() or 0
        connection.exec_driver_sql(f"DROP TABLE {q(own)}")
    if _relkind(connection, name) is not None:
        result = connection.execute(
            text(f"DELETE FROM {q(name)} WHERE {q(UPLOAD_ID)} = :id"),  # noqa: S608 - quoted
            {"id": upload_id},
        )
        count += result.rowcount or 0
    return count


def partition_legacy_table(connection: Connection, table: Table) -> None:
    """Convert a plain dataset table (from before partitioning) into `table`, partitioned:
    the old table becomes the partition of the uploads it holds, with its pseudonym columns
    given the partitioned table's collation. Does nothing if there is no such table."""
    if _relkind(connection, table.name) != "r":
        return
    q = connection.dialect.identifier_preparer.quote
    legacy = LEGACY_PREFIX + hashlib.sha256(table.name.encode()).hexdigest()[:24]
    connection.exec_driver_sql(f"LOCK TABLE {q(table.name)} IN ACCESS EXCLUSIVE MODE")
    connection.exec_driver_sql(f"ALTER TABLE {q(table.name)} RENAME TO {q(legacy)}")
    indexes = connection.execute(
        text("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
             "AND tablename = :t ORDER BY indexname"),
        {"t": legacy},
    ).scalars().all()  # fmt: skip
    for number, index in enumerate(indexes):
        connection.exec_driver_sql(f"ALTER INDEX {q(index)} RENAME TO {q(f'{legacy}_{number}')}")
    table.create(connection)
    old = _columns(connection, legacy)
    new = _columns(connection, table.name)
    for column, kind in old.items():
        if column not in new:
            connection.exec_driver_sql(f"ALTER TABLE {q(table.name)} ADD COLUMN {q(column)} {kind}")
        elif new[column] != kind:
            connection.exec_driver_sql(
                f"ALTER TABLE {q(legacy)} ALTER COLUMN {q(column)} TYPE {new[column]}"
            )
    for column, kind in new.items():
        if column not in old:
            connection.exec_driver_sql(f"ALTER TABLE {q(legacy)} ADD COLUMN {q(column)} {kind}")
    ids = connection.exec_driver_sql(
        f"SELECT DISTINCT {q(UPLOAD_ID)} FROM {q(legacy)} ORDER BY 1"  # noqa: S608 - quoted
    ).scalars().all()  # fmt: skip
    if not ids:
        connection.exec_driver_sql(f"DROP TABLE {q(legacy)}")
        return
    values = ", ".join("'" + i.replace("'", "''") + "'" for i in ids)
    connection.exec_driver_sql(
        f"ALTER TABLE {q(table.name)} ATTACH PARTITION {q(legacy)} FOR VALUES IN ({values})"
    )


def _columns(connection: Connection, name: str) -> dict[str, str]:
    """column -> its type as PostgreSQL writes it (with a collation other than the default)."""
    rows = connection.execute(
        text(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) || "
            "CASE WHEN a.attcollation <> t.typcollation "
            "THEN ' COLLATE ' || quote_ident(c.collname) ELSE '' END "
            "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
            "LEFT JOIN pg_collation c ON c.oid = a.attcollation "
            "WHERE a.attrelid = to_regclass(:t) AND a.attnum > 0 AND NOT a.attisdropped"
        ),
        {"t": connection.dialect.identifier_preparer.quote(name)},
    )
    return dict(rows.all())


def _relkind(connection: Connection, name: str) -> str | None:
    return connection.execute(
        text(
            "SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = :name AND n.nspname = current_schema()"
        ),
        {"name": name},
    ).scalar()


def _uuid(upload_id: str) -> str:
    """An upload id as a literal: a UUID the hub made, checked, so safe to write in SQL."""
    return str(uuid.UUID(upload_id))
