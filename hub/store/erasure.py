"""The row-keyed tables an erasure must clear: a small registry, one per app.

An erased row must leave no value behind anywhere the hub writes (UK GDPR Art. 17, DPA 2018
s.47): not in its dataset table, and not in the side tables that hold something of it, keyed
by its row or by its pseudonyms: the disclosure record (hub.views), the notices' subjects
(hub.notify), and later linkage tokens and re-identification references. Each stage that keeps
such a table registers an eraser for it in its `init_app`:

    from hub.store import row_keyed_tables
    row_keyed_tables(app).register("view_disclosures", erase_disclosures)

An eraser is `eraser(connection, erased: ErasedRow) -> int` (rows it deleted or blanked); it
runs in the erasing transaction, so the erasure and every side table commit together or not
at all. `erase_row(connection, erased)` runs them all, the dataset table first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    MetaData,
    String,
    Table,
    and_,
    delete,
    inspect,
)

from hub.store.references import delete_record_references
from hub.store.tables import ROW, UPLOAD_ID, table_name

EXTENSION = "hub.store.row_keyed_tables"
DATASET = "dataset"
RECORD_REFERENCES = "record_references"


@dataclass(frozen=True)
class ErasedRow:
    """What erasers are told of one erased row. `pseudonyms` are the row's pseudonym values
    (every identifier column); `gone` are those that no remaining row of the agreement holds:
    side tables keyed by a person clear only those (another row may still be that person)."""

    agreement_id: str
    dataset: str
    linkage_domain: str
    upload_id: str
    row: int
    pseudonyms: frozenset[str] = frozenset()
    gone: frozenset[str] = frozenset()


Eraser = Callable[[Connection, ErasedRow], int]


class RowKeyedTables:
    """The erasers of one app, in the order registered (the dataset table's first)."""

    def __init__(self) -> None:
        self._erasers: dict[str, Eraser] = {
            DATASET: delete_dataset_row,
            RECORD_REFERENCES: delete_row_reference,
        }
        self._lock = threading.Lock()

    def register(self, name: str, eraser: Eraser) -> None:
        """Add (or replace) the eraser of side table `name`."""
        with self._lock:
            self._erasers[name] = eraser

    def names(self) -> list[str]:
        return list(self._erasers)

    def erase(self, connection: Connection, erased: ErasedRow) -> dict[str, int]:
        """Run every eraser in the caller's transaction; rows affected per table."""
        return {name: eraser(connection, erased) for name, eraser in list(self._erasers.items())}


def row_keyed_tables(app: Flask | None = None) -> RowKeyedTables:
    app = app or current_app._get_current_object()
    found = app.extensions.get(EXTENSION)
    if found is None:
        found = app.extensions.setdefault(EXTENSION, RowKeyedTables())
    return found


def delete_dataset_row(connection: Connection, erased: ErasedRow) -> int:
    """The row itself, from its dataset table (by name: works whatever the contract is now)."""
    name = table_name(erased.agreement_id, erased.dataset)
    if not inspect(connection).has_table(name):
        return 0
    table = Table(name, MetaData(), Column(UPLOAD_ID, String(36)), Column(ROW, BigInteger))
    result = connection.execute(
        delete(table).where(
            and_(table.c[UPLOAD_ID] == erased.upload_id, table.c[ROW] == erased.row)
        )
    )
    return result.rowcount or 0


def delete_row_reference(connection: Connection, erased: ErasedRow) -> int:
    """The row's sealed record reference (hub/store/references.py), if its contract has one."""
    return delete_record_references(
        connection, dataset=erased.dataset, upload_id=erased.upload_id, row_numbers=[erased.row]
    )
