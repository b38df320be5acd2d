"""Duplicate keys: a contract column marked `unique: true` holds each value once per upload
and once across the published uploads of the same agreement and dataset.

A row with no key (the contract has no `unique` column, or the row's key is empty, as on
data.police.uk's anti-social behaviour rows) is identified by the contract's `rowIdentity`
columns and by how many rows of its upload came before it with the same values: the n-th
such row of a new upload repeats the n-th such row of a published one. Identical rows within
one file are kept (two incidents at the same anonymised point in a month are two rows), but
the same file sent again finds every one of its rows already published.

Checked in the database over the loaded (not yet visible) rows, so memory stays flat however
large the upload: a window function finds repeats within the upload (the first row in file
order keeps the value, later rows fail) and a join finds values already published (except in
the upload being replaced). The failing rows are deleted from the staged rows and reported
as failed rows with check `duplicate_in_upload` or `duplicate_of_published`.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, Text, and_, cast, delete, func, literal, select

from hub.contracts import Contract
from hub.db.models import Upload
from hub.ingest.failures import FailureLog
from hub.store.tables import ROW, UPLOAD_ID, Layout

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
    published: Table | None = None,
) -> int:
    """`table` holds the upload's staged rows; `published` (default: `table` too) the rows of
    other uploads (on PostgreSQL the dataset table, of which the staged table is not yet a
    partition)."""
    uploads = Upload.__table__
    published = published if published is not None else table
    removed = 0
    for source, key in _unique_keys(table, layout, contract):
        other = published.alias("published_rows")
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
        removed += _remove_clashes(connection, table, upload_id, clashes, source, log)
    identity = _identity_clashes(
        table, published, layout, contract, upload_id=upload_id, replaces=replaces
    )
    if identity is not None:
        source = ", ".join(contract.row_identity)
        removed += _remove_clashes(connection, table, upload_id, identity, source, log)
    return removed


def _remove_clashes(connection, table, upload_id, clashes, source: str, log: FailureLog) -> int:
    """Delete the staged rows `clashes` lists (row, first published upload) and report them."""
    found = clashes.subquery()
    listed = connection.execute(select(found).order_by(found.c.row).limit(log.cap)).all()
    if not listed:
        return 0
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
                "upload": upload,
                "message": f"this row is already in published upload {upload} ({source} "
                "the same); to correct that upload, send the file with `replaces` "
                f"{upload} (hub upload --replaces {upload})",
            }
            for row, upload in listed
        ],
    )
    return count


# Stands for an empty cell when rows are compared column by column: equality on coalesced
# values lets the database hash-join, where IS NOT DISTINCT FROM would compare every pair.
_EMPTY = "\x1f"


def _identity_clashes(
    table, published_table, layout, contract, *, upload_id: str, replaces: str | None
):
    """(row, upload) for each staged row without a key that repeats a published row by the
    contract's rowIdentity, or None if the contract names no row identity."""
    columns = [layout.check_column(name) for name in contract.row_identity]
    if not contract.row_identity or any(c is None for c in columns):
        return None
    uploads = Upload.__table__

    def numbered(t, *where, by_upload: bool):
        keys = [t.c[target.name] for _, target in _unique_keys(t, layout, contract)]
        values = [func.coalesce(cast(t.c[c.name], Text), literal(_EMPTY)) for c in columns]
        partition = [t.c[UPLOAD_ID], *values] if by_upload else values
        return select(
            t.c[UPLOAD_ID].label("upload"),
            t.c[ROW].label("row"),
            func.row_number().over(partition_by=partition, order_by=t.c[ROW]).label("nth"),
            *(v.label(f"v{i}") for i, v in enumerate(values)),
        ).where(*(key.is_(None) for key in keys), *where)

    staged = numbered(table, table.c[UPLOAD_ID] == upload_id, by_upload=False).subquery("staged")
    t = published_table
    others = [t.c[UPLOAD_ID] != upload_id]
    if replaces:
        others.append(t.c[UPLOAD_ID] != replaces)
    published_ids = select(uploads.c.id).where(uploads.c.status == PUBLISHED)
    published = numbered(t, *others, t.c[UPLOAD_ID].in_(published_ids), by_upload=True).subquery(
        "published"
    )
    match = and_(
        staged.c.nth == published.c.nth,
        *(staged.c[f"v{i}"] == published.c[f"v{i}"] for i in range(len(columns))),
    )
    return (
        select(staged.c.row.label("row"), func.min(published.c.upload).label("upload"))
        .join(published, match)
        .group_by(staged.c.row)
    )


def _unique_keys(table: Table, layout: Layout, contract: Contract):
    for column in contract.columns:
        if not column.unique:
            continue
        target = layout.check_column(column.name)
        if target is not None:
            yield column.name, table.c[target.name]
