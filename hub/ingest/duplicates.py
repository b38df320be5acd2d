"""Duplicate keys: a contract column marked `unique: true` holds each value once per upload
and once across the published uploads of the same agreement and dataset.

Checked in the database over the loaded (not yet visible) rows, so memory stays flat however
large the upload: a window function finds repeats within the upload (the first row in file
order keeps the value, later rows fail) and a join finds values already published (except in
the upload being replaced). The failing rows are deleted from the staged rows and reported
as failed rows with check `duplicate_in_upload` or `duplicate_of_published`.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, delete, func, select

from hub.contracts import Contract
from hub.db.models import Upload
from hub.ingest.failures import FailureLog
from hub.ingest.storage import ROW, UPLOAD_ID, Layout

IN_UPLOAD = "duplicate_in_upload"
OF_PUBLISHED = "duplicate_of_published"
PUBLISHED = "published"


def remove_duplicates_in_upload(
    connection: Connection,
    table: Table,
    layout: Layout,
    contract: Contract,
    *,
    upload_id: str,
    log: FailureLog,
) -> int:
    removed = 0
    for source, key in _unique_keys(table, layout, contract):
        ranked = (
            select(
                table.c[ROW].label("row"),
                func.min(table.c[ROW]).over(partition_by=key).label("first"),
            )
            .where(table.c[UPLOAD_ID] == upload_id, key.is_not(None))
            .subquery()
        )
        repeats = select(ranked.c.row, ranked.c.first).where(ranked.c.row > ranked.c.first)
        listed = connection.execute(repeats.order_by(ranked.c.row).limit(log.cap)).all()
        if not listed:
            continue
        count = connection.execute(select(func.count()).select_from(repeats.subquery())).scalar()
        connection.execute(
            delete(table).where(
                table.c[UPLOAD_ID] == upload_id,
                table.c[ROW].in_(select(repeats.subquery().c.row)),
            )
        )
        log.add_counted(
            source,
            IN_UPLOAD,
            count,
            [
                {
                    "row": row,
                    "column": source,
                    "check": IN_UPLOAD,
                    "message": f"{source} must be unique; row {first} of this file has the "
                    "same value",
                }
                for row, first in listed
            ],
        )
        removed += count
    return removed


def remove_duplicates_of_published(
    connection: Connection,
    table: Table,
    layout: Layout,
    contract: Contract,
    *,
    upload_id: str,
    replaces: str | None,
    log: FailureLog,
) -> int:
    uploads = Upload.__table__
    removed = 0
    for source, key in _unique_keys(table, layout, contract):
        other = table.alias("published_rows")
        clashes = (
            select(table.c[ROW].label("row"), func.min(other.c[UPLOAD_ID]).label("upload"))
            .join(other, other.c[key.name] == key)
            .join(uploads, uploads.c.id == other.c[UPLOAD_ID])
            .where(
                table.c[UPLOAD_ID] == upload_id,
                key.is_not(None),
                uploads.c.status == PUBLISHED,
                other.c[UPLOAD_ID] != upload_id,
            )
            .group_by(table.c[ROW])
        )
        if replaces:
            clashes = clashes.where(other.c[UPLOAD_ID] != replaces)
        found = clashes.subquery()
        listed = connection.execute(select(found).order_by(found.c.row).limit(log.cap)).all()
        if not listed:
            continue
        count = connection.execute(select(func.count()).select_from(found)).scalar()
        connection.execute(
            delete(table).where(
                table.c[UPLOAD_ID] == upload_id,
                table.c[ROW].in_(select(clashes.subquery().c.row)),
            )
        )
        log.add_counted(
            source,
            OF_PUBLISHED,
            count,
            [
                {
                    "row": row,
                    "column": source,
                    "check": OF_PUBLISHED,
                    "message": f"{source} must be unique; published upload {upload} already "
                    "has the same value",
                }
                for row, upload in listed
            ],
        )
        removed += count
    return removed


def _unique_keys(table: Table, layout: Layout, contract: Contract):
    for column in contract.columns:
        if not column.unique:
            continue
        target = layout.check_column(column.name)
        if target is not None:
            yield column.name, table.c[target.name]
