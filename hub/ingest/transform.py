"""One chunk of the sender's rows in, the rows to store and the failures out.

For each chunk (a DataFrame of text with the sender's row numbers as index, from parse):

1. per-row checks from the contract (`hub.contracts.RowChecker`: compiled once per upload,
   run on each chunk's distinct values);
2. every identifier column normalised and checked by kind, stored or not (an invalid
   identifier fails its row); stored ones become pseudonyms in the agreement's linkage domain;
3. generalisation of quasi-identifiers as the contract says;
4. only the columns the agreement allows (hub.store.tables.Layout), plus keyed digests
   where a dataset check needs a column nobody may see.

A row with any failure is set aside whole. Failures name the row, column and check, never the
value of an identifier column (a value is quoted only for public non-identifier columns, as
the contracts' report does).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hub.contracts import Column as ContractColumn
from hub.contracts import Contract, RowChecker
from hub.pseudonymise import (
    InvalidIdentifier,
    Keyring,
    generalise,
    get_kind,
    keyed_digests,
    pseudonymise_many,
)
from hub.store.tables import Layout, StoredColumn

# Keys for the `_key_` digests are derived under a name no linkage domain can have (domains
# are slugs without "/"), so a digest never equals a pseudonym.
KEY_DOMAIN_SUFFIX = "/dataset-check-keys"
_MAX_INTEGER_DIGITS = 18  # fits BIGINT whatever the digits are
# A decimal number both PostgreSQL and SQLite read the same way (no "1_000", "inf" or "nan").
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")

Failure = dict[str, Any]


@dataclass
class ChunkResult:
    rows: np.ndarray  # the sender's row numbers of the rows to store
    names: list[str]  # table columns
    columns: list[list[str | None]]  # one per name, aligned with rows
    failures: list[Failure] = field(default_factory=list)
    invalid_rows: int = 0
    checks_not_run: list[str] = field(default_factory=list)
    # The provider's own reference of each stored row (the contract's sourceRecordRef column,
    # as sent), aligned with rows; None if the contract names none. Sealed by the loader.
    references: list[str | None] | None = None


# Distinct values remembered per column across an upload: enough for the identifiers of a
# few hundred thousand people, with memory flat however large the upload (a full cache is
# cleared and refilled, which costs only repeated work, never a different answer).
CACHE_ENTRIES = 150_000


class ValueCache:
    """value -> result of the work done on it (normalise, check, HMAC, generalise), for one
    column across one upload, at most `cap` values. The results depend on the value alone,
    so a hit gives exactly what the work would give again."""

    def __init__(self, cap: int = CACHE_ENTRIES):
        self.cap = cap
        self.data: dict[str, Any] = {}
        self.computed = 0  # values the work ran on

    def results(self, values: list[str], compute) -> list:
        """`compute(misses)` -> one result per miss, run only on values not cached."""
        data = self.data
        misses = [v for v in values if v not in data]
        if misses:
            if len(data) + len(misses) > self.cap:
                data.clear()  # values are distinct within a chunk: all are misses now
                misses = values
            self.computed += len(misses)
            data.update(zip(misses, compute(misses), strict=True))
        return [data[v] for v in values]


class ChunkTransformer:
    """Made once per upload: the row checks are compiled once and the caches hold the work
    done on each distinct value for the whole upload."""

    def __init__(
        self,
        *,
        contract: Contract,
        layout: Layout,
        domain: str,
        keyring: Keyring,
        cache_entries: int = CACHE_ENTRIES,
    ):
        self.contract = contract
        self.layout = layout
        self.domain = domain
        self.keyring = keyring
        self._digest_key = keyring.key_for(domain + KEY_DOMAIN_SUFFIX)
        self._checker = RowChecker(contract)
        self._cache_entries = cache_entries
        self.caches: dict[str, ValueCache] = {}

    def _cache(self, name: str) -> ValueCache:
        cache = self.caches.get(name)
        if cache is None:
            cache = self.caches[name] = ValueCache(self._cache_entries)
        return cache

    def __call__(self, frame: pd.DataFrame) -> ChunkResult:
        rows = frame.index.to_numpy(dtype=np.int64)
        n = len(rows)
        invalid = np.zeros(n, dtype=bool)
        failures: list[Failure] = []

        def fail(position: int, column: str, check: str, message: str, value=None) -> None:
            invalid[position] = True
            failure: Failure = {
                "row": int(rows[position]),
                "column": column,
                "check": check,
                "message": message,
            }
            if value is not None:
                failure["value"] = value
            failures.append(failure)

        checks_not_run = self._row_checks(frame, fail)
        stored: dict[str, list[str | None]] = {}
        for column in self.contract.columns:
            targets = self.layout.for_source(column.name)
            if not targets and not column.is_identifier:
                continue
            values = Distinct(frame[column.name].to_numpy())
            if column.is_identifier:
                self._identifier(column, targets, values, stored, fail)
            for target in targets:
                if target.role == "value":
                    stored[target.name] = self._typed(target, values, fail)
                elif target.role == "generalised":
                    stored[target.name] = self._generalised(target, values, invalid, fail)
                elif target.role == "key" and not column.is_identifier:
                    stored[target.name] = values.spread(self._digests(values.uniques))

        keep = ~invalid
        names = self.layout.names
        columns = [_select(stored[name], keep) for name in names]
        reference = self.contract.record_reference
        references = None
        if reference is not None:
            raw = frame[reference.name].tolist()
            references = _select([_text_or_none(v) for v in raw], keep)
        return ChunkResult(
            references=references,
            rows=rows[keep],
            names=names,
            columns=columns,
            failures=failures,
            invalid_rows=int(invalid.sum()),
            checks_not_run=checks_not_run,
        )

    def _row_checks(self, frame: pd.DataFrame, fail) -> list[str]:
        """The contract's row checks on the chunk's distinct values; returns the checks that
        could not run."""
        found, problems = self._checker(frame)
        for failure in found:
            fail(
                failure["row"],
                failure["column"],
                failure["check"],
                failure["message"],
                failure.get("value"),
            )
        return [p["message"] for p in problems]

    def _identifier(
        self,
        column: ContractColumn,
        targets: list[StoredColumn],
        values: Distinct,
        stored: dict[str, list[str | None]],
        fail,
    ) -> None:
        kind = column.identifier_kind
        roles = {t.role: t for t in targets}
        if "pseudonym" in roles:

            def compute(misses: list[str]) -> list:
                pseudonyms, errors = pseudonymise_many(
                    kind=kind, values=misses, domain=self.domain, keyring=self.keyring
                )
                return _with_errors(pseudonyms, errors)

            results = self._cache(column.name + "/pseudonym").results(values.uniques, compute)
            stored[roles["pseudonym"].name] = values.spread([r[0] for r in results])
        else:

            def compute(misses: list[str]) -> list:
                canonical, errors = _normalise_many(kind, misses)
                digests = self._digests(canonical, prefix=kind) if "key" in roles else canonical
                return _with_errors(digests, errors)

            results = self._cache(column.name + "/key").results(values.uniques, compute)
            if "key" in roles:
                stored[roles["key"].name] = values.spread([r[0] for r in results])
        errors = [(i, r[1]) for i, r in enumerate(results) if r[1] is not None]
        for position, error in values.positions(errors):
            fail(position, column.name, f"valid_{kind}", f"{column.name}: {error}")

    def _typed(self, target: StoredColumn, values: Distinct, fail) -> list[str | None]:
        kind = target.source.logical_type
        name = target.source.name
        uniques = values.uniques
        errors: list[tuple[int, tuple[str, str]]] = []
        if kind in ("number", "integer", "boolean"):
            out: list[str | None] = []
            for index, value in enumerate(uniques):
                text = value.strip()
                if not text:
                    out.append(None)
                    continue
                out.append(text)
                if kind == "number":
                    # The row checks accepted it as a number; the database must hold it.
                    if not _DECIMAL.fullmatch(text) or not math.isfinite(float(text)):
                        errors.append((index, ("is_number", f"{name} is not a finite number")))
                elif kind == "integer" and len(text.lstrip("+-")) > _MAX_INTEGER_DIGITS:
                    errors.append((index, ("is_integer", f"{name} is too large a whole number")))
        else:
            out = uniques
            errors = [
                (index, ("text", f"{name} contains a NUL character"))
                for index, value in enumerate(uniques)
                if "\x00" in value
            ]
        for position, (check, message) in values.positions(errors):
            fail(position, name, check, message)
        return values.spread(out)

    def _generalised(
        self, target: StoredColumn, values: Distinct, invalid: np.ndarray, fail
    ) -> list[str | None]:
        def compute(misses: list[str]) -> list:
            out: list = []
            for value in misses:
                if not value.strip():
                    out.append((None, None))
                    continue
                try:
                    out.append((generalise(target.rule, value), None))
                except InvalidIdentifier as error:
                    out.append((None, error.with_traceback(None)))
            return out

        results = self._cache(target.name + "/generalised").results(values.uniques, compute)
        errors = [(i, r[1]) for i, r in enumerate(results) if r[1] is not None]
        name = target.source.name
        identifier = target.source.is_identifier
        for position, error in values.positions(errors):
            # An identifier that failed its own check has been reported already.
            if not (identifier and invalid[position]):
                fail(position, name, f"generalise_{target.rule}", f"{name}: {error}")
        return values.spread([r[0] for r in results])

    def _digests(self, values: Sequence[str | None], prefix: str = "") -> list[str | None]:
        return keyed_digests(key=self._digest_key, prefix=(prefix + "\x1f").encode(), values=values)


class Distinct:
    """A column of a chunk as its distinct values: the work per value (normalising, HMAC,
    generalising) is done once per distinct value and spread back over the rows. Rows of one
    person, a town's postcodes, common names repeat a lot; a column of all-distinct values
    costs one hash-table pass more."""

    def __init__(self, values: np.ndarray):
        codes, uniques = pd.factorize(values)  # None -> code -1
        self.codes = codes
        self.uniques: list[str] = uniques.tolist()

    def spread(self, results: Sequence) -> list:
        """Per-distinct results back to one per row (None for missing values)."""
        table = np.empty(len(results) + 1, dtype=object)
        table[: len(results)] = results
        table[-1] = None
        return table[self.codes].tolist()

    def positions(self, errors: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
        """(row position, error) for each row whose value had an error."""
        if not errors:
            return []
        by_index = dict(errors)
        bad = np.zeros(len(self.uniques) + 1, dtype=bool)
        bad[list(by_index)] = True
        hits = np.nonzero(bad[self.codes] & (self.codes >= 0))[0]
        return [(int(p), by_index[int(self.codes[p])]) for p in hits]


def _with_errors(results: list, errors: list[tuple[int, Any]]) -> list[tuple[Any, Any]]:
    """(result, error or None) per value."""
    by_position = dict(errors)
    return [(r, by_position.get(i)) for i, r in enumerate(results)]


def _normalise_many(kind: str, values: list) -> tuple[list[str | None], list]:
    """Canonical forms of an identifier column that is checked but not stored."""
    normalise = get_kind(kind).normalise
    canonical: list[str | None] = []
    errors: list[tuple[int, InvalidIdentifier]] = []
    for position, value in enumerate(values):
        if value is None or not value.strip():
            canonical.append(None)
            continue
        try:
            canonical.append(normalise(value))
        except InvalidIdentifier as error:
            canonical.append(None)
            # No traceback: its frames hold the value (as pseudonymise_many does).
            errors.append((position, error.with_traceback(None)))
    return canonical, errors


def _select(values: list, keep: np.ndarray) -> list:
    if keep.all():
        return values
    return [v for v, k in zip(values, keep.tolist(), strict=True) if k]


def _text_or_none(value) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None
