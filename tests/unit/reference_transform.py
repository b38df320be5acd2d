"""The ingest transform as it was before issue 12 (pandera per chunk, identifiers per
distinct value per chunk, no cache): the reference the crosscheck compares the hub's
`ChunkTransformer` with. Kept only in the tests.

One chunk of the sender's rows in, the rows to store and the failures out.

For each chunk (a DataFrame of text with the sender's row numbers as index, from parse):

1. per-row checks from the contract (its pandera schema, through `hub.contracts.validate`);
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

import hashlib
import hmac
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hub.contracts import Column as ContractColumn
from hub.contracts import Contract, validate
from hub.pseudonymise import InvalidIdentifier, Keyring, generalise, get_kind, pseudonymise_many
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


class ReferenceTransformer:
    def __init__(self, *, contract: Contract, layout: Layout, domain: str, keyring: Keyring):
        self.contract = contract
        self.layout = layout
        self.domain = domain
        self.keyring = keyring
        self._digest_key = keyring.key_for(domain + KEY_DOMAIN_SUFFIX)

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
            raw = frame[column.name].to_numpy()
            if not targets and not column.is_identifier:
                continue
            values = Distinct(raw)
            if column.is_identifier:
                self._identifier(column, targets, values, stored, fail)
            for target in targets:
                if target.role == "value":
                    stored[target.name] = self._typed(target, raw.tolist(), fail)
                elif target.role == "generalised":
                    stored[target.name] = self._generalised(target, values, invalid, fail)
                elif target.role == "key" and not column.is_identifier:
                    stored[target.name] = values.spread(self._digests(values.uniques))

        keep = ~invalid
        names = self.layout.names
        columns = [_select(stored[name], keep) for name in names]
        return ChunkResult(
            rows=rows[keep],
            names=names,
            columns=columns,
            failures=failures,
            invalid_rows=int(invalid.sum()),
            checks_not_run=checks_not_run,
        )

    def _row_checks(self, frame: pd.DataFrame, fail) -> list[str]:
        """The contract's pandera checks; returns the checks that could not run."""
        positional = frame.reset_index(drop=True)
        report = validate(
            self.contract,
            positional,
            first_row=0,
            max_row_failures=len(positional) * len(self.contract.columns) + 1,
            dataset_checks=False,
        )
        for failure in report.row_failures:
            fail(failure.row, failure.column, failure.check, failure.message, failure.value)
        return [p.message for p in report.columns]

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
            pseudonyms, errors = pseudonymise_many(
                kind=kind, values=values.uniques, domain=self.domain, keyring=self.keyring
            )
            stored[roles["pseudonym"].name] = values.spread(pseudonyms)
        else:
            canonical, errors = _normalise_many(kind, values.uniques)
            if "key" in roles:
                stored[roles["key"].name] = values.spread(self._digests(canonical, prefix=kind))
        for position, error in values.positions(errors):
            fail(position, column.name, f"valid_{kind}", f"{column.name}: {error}")

    def _typed(self, target: StoredColumn, values: list, fail) -> list[str | None]:
        kind = target.source.logical_type
        name = target.source.name
        if kind == "number":
            out: list[str | None] = []
            for position, value in enumerate(values):
                if value is None or not value.strip():
                    out.append(None)
                    continue
                text = value.strip()
                # The row checks accepted it as a number; the database must be able to hold it.
                if not _DECIMAL.fullmatch(text) or not math.isfinite(float(text)):
                    fail(position, name, "is_number", f"{name} is not a finite number")
                out.append(text)
            return out
        if kind == "integer":
            out = []
            for position, value in enumerate(values):
                if value is None or not value.strip():
                    out.append(None)
                    continue
                text = value.strip()
                if len(text.lstrip("+-")) > _MAX_INTEGER_DIGITS:
                    fail(position, name, "is_integer", f"{name} is too large a whole number")
                out.append(text)
            return out
        if kind == "boolean":
            return [None if v is None or not v.strip() else v.strip() for v in values]
        for position, value in enumerate(values):
            if value is not None and "\x00" in value:
                fail(position, name, "text", f"{name} contains a NUL character")
        return values

    def _generalised(
        self, target: StoredColumn, values: Distinct, invalid: np.ndarray, fail
    ) -> list[str | None]:
        out: list[str | None] = []
        errors: list[tuple[int, InvalidIdentifier]] = []
        for index, value in enumerate(values.uniques):
            if not value.strip():
                out.append(None)
                continue
            try:
                out.append(generalise(target.rule, value))
            except InvalidIdentifier as error:
                out.append(None)
                errors.append((index, error.with_traceback(None)))
        name = target.source.name
        identifier = target.source.is_identifier
        for position, error in values.positions(errors):
            # An identifier that failed its own check has been reported already.
            if not (identifier and invalid[position]):
                fail(position, name, f"generalise_{target.rule}", f"{name}: {error}")
        return values.spread(out)

    def _digests(self, values: Sequence[str | None], prefix: str = "") -> list[str | None]:
        key = self._digest_key
        head = (prefix + "\x1f").encode()
        return [
            None
            if v is None or not v.strip()
            else hmac.new(key, head + v.encode(), hashlib.sha256).hexdigest()
            for v in values
        ]


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
