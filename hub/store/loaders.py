"""Bulk loaders: a chunk of checked, pseudonymised rows into a dataset table.

`PostgresLoader` streams the chunk through `COPY ... FROM STDIN` in PostgreSQL's text format,
written as one block per chunk (psycopg 3's `Copy.write`): the server parses the numbers,
booleans and timestamps, so Python only joins strings. `SqliteLoader` uses executemany.
Both write on the caller's connection, inside its transaction.

A chunk is column-oriented: `names` (table columns) and `columns` (one sequence per name of
str or None, as the pipeline made them: values as sent, pseudonyms, generalised forms).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import numpy as np
from sqlalchemy import Boolean, Connection, Engine, Table
from sqlalchemy.types import BigInteger, Double

from hub.db import is_postgres
from hub.store.tables import EXPIRES_AT, ROW, UPLOAD_ID

# PostgreSQL's COPY text format: a backslash starts an escape; tab, newline and carriage
# return separate fields and rows.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_NULL = "\\N"
_TRUE = frozenset({"true", "t", "yes", "y", "on", "1"})


class Loader(Protocol):
    def load(
        self,
        connection: Connection,
        table: Table,
        *,
        upload_id: str,
        rows: np.ndarray,
        expires_at: datetime,
        names: Sequence[str],
        columns: Sequence[Sequence[str | None]],
        defaults: bool = False,
    ) -> int: ...


class PostgresLoader:
    """COPY in text format: one `write` per chunk. `defaults`: the table (an upload's own,
    hub.store.partitions) fills `_upload_id` and `_expires_at` itself, so rows carry neither."""

    def load(
        self,
        connection: Connection,
        table: Table,
        *,
        upload_id: str,
        rows: np.ndarray,
        expires_at: datetime,
        names: Sequence[str],
        columns: Sequence[Sequence[str | None]],
        defaults: bool = False,
    ) -> int:
        count = len(rows)
        if not count:
            return 0
        preparer = connection.dialect.identifier_preparer
        if defaults:
            targets = ", ".join(preparer.quote(n) for n in (ROW, *names))
            fields = [list(map(str, rows.tolist()))]
        else:
            targets = ", ".join(preparer.quote(n) for n in (UPLOAD_ID, ROW, EXPIRES_AT, *names))
            fixed = f"{upload_id}\t"
            expires = "\t" + expires_at.isoformat()
            fields = [[f"{fixed}{row}{expires}" for row in rows.tolist()]]
        fields.extend(_copy_text(column) for column in columns)
        block = "\n".join(map("\t".join, zip(*fields, strict=True))) + "\n"
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:
            statement = f"COPY {preparer.format_table(table)} ({targets}) FROM STDIN"
            with cursor.copy(statement) as copy:
                copy.write(block)
        return count


def _copy_text(values: Sequence[str | None]) -> list[str]:
    present = [v for v in values if v is not None]
    # One scan over the joined column decides whether any value needs escaping at all:
    # pseudonyms, numbers and codes never do.
    joined = "\x1f".join(present)
    if "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
        return [_COPY_NULL if v is None else v.translate(_COPY_ESCAPES) for v in values]
    return [_COPY_NULL if v is None else v for v in values]


class SqliteLoader:
    """executemany of plain tuples, with the values typed as the table's columns are."""

    def load(
        self,
        connection: Connection,
        table: Table,
        *,
        upload_id: str,
        rows: np.ndarray,
        expires_at: datetime,
        names: Sequence[str],
        columns: Sequence[Sequence[str | None]],
        defaults: bool = False,
    ) -> int:
        count = len(rows)
        if not count:
            return 0
        preparer = connection.dialect.identifier_preparer
        targets = [UPLOAD_ID, ROW, EXPIRES_AT, *names]
        statement = (
            f"INSERT INTO {preparer.format_table(table)} "  # noqa: S608
            f"({', '.join(preparer.quote(n) for n in targets)}) "
            f"VALUES ({', '.join('?' for _ in targets)})"
        )
        stamp = table.c[EXPIRES_AT].type._cached_bind_processor(connection.dialect)(expires_at)
        typed = [
            _sqlite_values(table.c[name].type, column)
            for name, column in zip(names, columns, strict=True)
        ]
        data = [
            (upload_id, row, stamp, *values)
            for row, *values in zip(rows.tolist(), *typed, strict=True)
        ]
        connection.exec_driver_sql(statement, data)
        return count


def _sqlite_values(kind, values: Sequence[str | None]) -> Sequence:
    if isinstance(kind, Boolean):
        return [None if v is None else int(v.strip().lower() in _TRUE) for v in values]
    if isinstance(kind, BigInteger):
        return [None if v is None else int(v) for v in values]
    if isinstance(kind, Double):
        return [None if v is None else float(v) for v in values]
    return values


def loader_for(engine: Engine | Connection) -> Loader:
    return PostgresLoader() if is_postgres(engine) else SqliteLoader()
