"""Dataset tables: one per (agreement, dataset), SQLAlchemy Core, built from the contract and
the agreement.

A table holds only what the agreement lets some recipient of the dataset see (the union of
the recipients' fields), in the form the hub keeps it:

- an identifier column holds its pseudonym (64 hex characters, HMAC-SHA256 in the
  agreement's linkage domain); if the contract also generalises it, the generalised form goes
  in a second column `<name>_<rule>` (date_of_birth -> date_of_birth_year_month);
- a generalised quasi-identifier that is not an identifier holds the generalised form;
- any other column holds the value as sent (integers, numbers and booleans typed; dates and
  times as the text the contract's format checked).

Internal columns start with an underscore and views never show them: `_upload_id` and `_row`
(the sender's row number; together the primary key), `_expires_at` (from the agreement's
retention), `_restricted_at` (set when the provider restricts the row: no view shows it),
and `_key_<name>`: a keyed digest of a contract column the agreement does not let
anyone see but that a check needs (a `unique` id, a `rowIdentity` column, a null-count
rule). The digest is HMAC-SHA256 under a key of its own, so it shows whether two rows agree
and nothing else.

The contract's source record reference (`sourceRecordRef`, the provider's own key for the
row) is never a column here: it is sealed in `record_references` (hub/store/references.py),
which no view reads; only its keyed digest is kept if a check needs it (a `unique` id).

Rows are visible only while their upload is `published` and the row is not restricted:
every reader joins `uploads` and filters `_restricted_at`.

On PostgreSQL a dataset table is partitioned by upload (`PARTITION BY LIST (_upload_id)`,
hub/store/partitions.py): an upload is loaded into a table of its own with no index, its
indexes are built in bulk when it publishes, and it is attached in the publish transaction;
deleting an upload drops its table. The pseudonym and digest columns are `COLLATE "C"`
(hex: the same order as any other collation, half the cost to index), and only the columns
views and checks look up are indexed (the pseudonyms, the digests, unique columns, and a
BRIN index on `_expires_at` for retention). SQLite keeps one plain table with a primary key.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    Engine,
    Index,
    MetaData,
    String,
    Table,
    Text,
    inspect,
)
from sqlalchemy.exc import DBAPIError
from sqlmodel.sql.sqltypes import UTCDateTime

from hub.agreements import Agreement, Policies
from hub.contracts import Column as ContractColumn
from hub.contracts import Contract
from hub.errors import ConfigurationError

UPLOAD_ID = "_upload_id"
ROW = "_row"
EXPIRES_AT = "_expires_at"
# Set when the provider restricts the row (UK GDPR Art. 18, DPA 2018 s.46-47): kept, shown
# by no view. Every reader filters it out as it filters rows of unpublished uploads.
RESTRICTED_AT = "_restricted_at"
KEY_PREFIX = "_key_"
MAX_IDENTIFIER = 63  # PostgreSQL cuts longer names, which could make two names one
PSEUDONYM_LENGTH = 64

Role = Literal["value", "pseudonym", "generalised", "key"]

_SAFE = re.compile(r"[^a-z0-9_]")
# Metrics whose dataset check needs the column even when no recipient may see it.
_KEYED_METRICS = ("nullValues", "missingValues", "duplicateValues")


@dataclass(frozen=True)
class StoredColumn:
    """One column of a dataset table and the contract column it comes from."""

    source: ContractColumn
    name: str  # in the table
    role: Role
    rule: str | None = None  # the generalisation rule, for role "generalised"

    @property
    def sql_type(self):
        if self.role in ("pseudonym", "key"):
            # Hex: byte order is every collation's order, and "C" compares bytes.
            return String(PSEUDONYM_LENGTH).with_variant(
                String(PSEUDONYM_LENGTH, collation="C"), "postgresql"
            )
        if self.role == "generalised":
            return Text()
        return {"integer": BigInteger(), "number": Double(), "boolean": Boolean()}.get(
            self.source.logical_type, Text()
        )

    @property
    def indexed(self) -> bool:
        return self.role in ("pseudonym", "key") or self.source.unique


@dataclass(frozen=True)
class Layout:
    """Where each contract column goes in one agreement's dataset table."""

    agreement_id: str
    dataset: str
    table_name: str
    columns: tuple[StoredColumn, ...]

    def for_source(self, name: str) -> list[StoredColumn]:
        return [c for c in self.columns if c.source.name == name]

    def check_column(self, name: str) -> StoredColumn | None:
        """The column a dataset check on contract column `name` reads: its stored form (the
        pseudonym, the value, the generalised value) or its keyed digest; None if neither."""
        candidates = self.for_source(name)
        for role in ("pseudonym", "value", "key", "generalised"):
            for column in candidates:
                if column.role == role:
                    return column
        return None

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def table_name(agreement_id: str, dataset: str) -> str:
    """`ds_<agreement>__<dataset>`, dashes as underscores; a long pair is cut and given a hash
    of the full pair, so that two pairs never share a table."""
    agreement = _SAFE.sub("_", agreement_id.lower())
    data = _SAFE.sub("_", dataset.lower())
    name = f"ds_{agreement}__{data}"
    if len(name) <= MAX_IDENTIFIER:
        return name
    digest = hashlib.sha256(f"{agreement_id}\x1f{dataset}".encode()).hexdigest()[:10]
    return f"{name[: MAX_IDENTIFIER - 11]}_{digest}"


def allowed_fields(agreement: Agreement, dataset: str) -> set[str]:
    """The contract columns any recipient of `dataset` may see under `agreement`."""
    fields: set[str] = set()
    for share in agreement.shares(dataset=dataset):
        for recipient in share.recipients:
            fields.update(recipient.fields)
    return fields


def layout_for(agreement: Agreement, contract: Contract) -> Layout:
    allowed = allowed_fields(agreement, contract.dataset)
    keyed = _columns_checks_need(contract)
    columns: list[StoredColumn] = []
    for column in contract.columns:
        if column.source_record_ref and column.name not in keyed:
            continue  # kept only in record_references (hub/store/references.py)
        if column.name in allowed and not column.source_record_ref:
            if column.is_identifier:
                columns.append(StoredColumn(column, column.physical_name, "pseudonym"))
                if column.generalise:
                    columns.append(
                        StoredColumn(
                            column,
                            f"{column.physical_name}_{column.generalise}",
                            "generalised",
                            column.generalise,
                        )
                    )
            elif column.generalise:
                columns.append(
                    StoredColumn(column, column.physical_name, "generalised", column.generalise)
                )
            else:
                columns.append(StoredColumn(column, column.physical_name, "value"))
        elif column.name in keyed:
            columns.append(StoredColumn(column, KEY_PREFIX + column.physical_name, "key"))
    name = table_name(agreement.id, contract.dataset)
    _check_names(name, columns)
    return Layout(agreement.id, contract.dataset, name, tuple(columns))


def _columns_checks_need(contract: Contract) -> set[str]:
    needed = {c.name for c in contract.columns if c.unique} | set(contract.row_identity)
    for rule in contract.quality:
        if rule.metric not in _KEYED_METRICS:
            continue
        if rule.column:
            needed.add(rule.column)
        needed.update(rule.arguments.get("properties") or ())
    return needed


def _check_names(table: str, columns: list[StoredColumn]) -> None:
    seen = {UPLOAD_ID, ROW, EXPIRES_AT, RESTRICTED_AT}
    for column in columns:
        where = f"dataset table {table}: column `{column.name}` (from `{column.source.name}`)"
        if column.name in seen:
            raise ConfigurationError(
                f"{where} clashes with another column; give the contract column another "
                "physicalName"
            )
        if len(column.name) > MAX_IDENTIFIER or not column.name:
            raise ConfigurationError(
                f"{where} is longer than {MAX_IDENTIFIER} characters; shorten its physicalName"
            )
        seen.add(column.name)


def build_table(
    layout: Layout, metadata: MetaData | None = None, *, partitioned: bool = False
) -> Table:
    """The SQLAlchemy Table of `layout` (not created). `partitioned`: PostgreSQL's table
    partitioned by upload, with no primary key (an upload's rows are its partition)."""
    metadata = metadata if metadata is not None else MetaData()
    name = layout.table_name
    key = not partitioned
    table = Table(
        name,
        metadata,
        Column(UPLOAD_ID, String(36), primary_key=key, nullable=False),
        Column(ROW, BigInteger, primary_key=key, autoincrement=False, nullable=False),
        Column(EXPIRES_AT, UTCDateTime(), nullable=False),
        Column(RESTRICTED_AT, UTCDateTime(), nullable=True),
        *(Column(c.name, c.sql_type, nullable=True) for c in layout.columns),
        **({"postgresql_partition_by": f"LIST ({UPLOAD_ID})"} if partitioned else {}),
    )
    # Unpartitioned, the primary key (_upload_id, _row) serves lookups and deletes by upload.
    for column in layout.columns:
        if column.indexed:
            Index(_index_name(name, column.name), table.c[column.name])
    if partitioned:
        # One value per upload: a BRIN index is a few pages and lets retention skip uploads.
        Index(_index_name(name, EXPIRES_AT), table.c[EXPIRES_AT], postgresql_using="brin")
    else:
        Index(_index_name(name, EXPIRES_AT), table.c[EXPIRES_AT])
    return table


def _index_name(table: str, column: str) -> str:
    name = f"ix_{table}__{column}"
    if len(name) <= MAX_IDENTIFIER:
        return name
    return f"ix_{hashlib.sha256(name.encode()).hexdigest()[:20]}_{column[:30]}"


class DatasetTables:
    """The dataset tables of one engine: built once, created (and given new columns)
    idempotently on first use in this process."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.metadata = MetaData()
        self._tables: dict[tuple[str, str], tuple[Layout, Table]] = {}
        self._lock = threading.Lock()

    def get(self, agreement: Agreement, contract: Contract) -> tuple[Layout, Table]:
        key = (agreement.id, contract.dataset)
        found = self._tables.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._tables.get(key)
            if found is None:
                layout = layout_for(agreement, contract)
                partitioned = self.engine.dialect.name == "postgresql"
                table = build_table(layout, self.metadata, partitioned=partitioned)
                ensure_table(self.engine, table)
                found = self._tables[key] = (layout, table)
        return found

    def ensure_all(self, policies: Policies) -> list[str]:
        """Every dataset table the policies name; returns their names."""
        names = []
        for agreement in policies.agreements.values():
            for dataset in sorted({share.dataset for share in agreement.datasets}):
                contract = policies.contracts[dataset]
                layout, _ = self.get(agreement, contract)
                names.append(layout.table_name)
        return names


def ensure_table(engine: Engine, table: Table) -> None:
    """Create the table and its indexes if missing, and add columns a newer agreement or
    contract allows. Columns are never dropped: rows already stored keep them."""
    try:
        _ensure_table(engine, table)
    except DBAPIError:
        # Another process created the same table or index a moment earlier: look again.
        _ensure_table(engine, table)


def _ensure_table(engine: Engine, table: Table) -> None:
    with engine.begin() as connection:
        if table.dialect_options["postgresql"].get("partition_by"):
            from hub.store.partitions import partition_legacy_table

            partition_legacy_table(connection, table)
        table.create(connection, checkfirst=True)
        existing = {c["name"] for c in inspect(connection).get_columns(table.name)}
        preparer = connection.dialect.identifier_preparer
        for column in table.columns:
            if column.name not in existing:
                kind = column.type.compile(dialect=connection.dialect)
                connection.exec_driver_sql(
                    f"ALTER TABLE {preparer.format_table(table)} "
                    f"ADD COLUMN {preparer.format_column(column)} {kind}"
                )
        known = {ix["name"] for ix in inspect(connection).get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in known:
                index.create(connection, checkfirst=True)
