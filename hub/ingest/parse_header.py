"""Match the column names a sender used to the contract's column names.

Rules, in order, for each name found in the file:
1. exact match with a contract column;
2. otherwise the same after normalising both: trim, case-insensitive (casefold), "_" read
   as a space, runs of whitespace (including non-breaking spaces) collapsed to one space,
   a stray byte-order mark dropped. So "crime_id", " CRIME  ID " and "Crime ID" all match
   the contract column "Crime ID". Hyphens and other punctuation are NOT ignored.
3. otherwise the column is extra: ignored, and named in `HeaderMap.warnings()`.

Two found columns that land on the same contract column are `duplicate_columns`; a
required contract column that no found column matches is `missing_columns`. Optional
contract columns not found are reported in `missing_optional` and read as all None.
Columns with an empty name (Excel often leaves some at the right) are ignored and
counted, never treated as duplicates of each other.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from .parse_errors import DUPLICATE_COLUMNS, MISSING_COLUMNS, ParseError


def normalise_column_name(name: str) -> str:
    """The form two names are compared in when they do not match exactly."""
    return " ".join(name.replace("\ufeff", "").replace("_", " ").split()).casefold()


@dataclass(frozen=True)
class HeaderMap:
    """How the columns of one file map to a contract.

    `positions` maps each contract column found in the file to its 0-based position in
    `found`. `renamed` lists the found names that matched only after normalising.
    """

    found: tuple[str, ...]
    contract_columns: tuple[str, ...]
    positions: dict[str, int]
    renamed: dict[str, str] = field(default_factory=dict)
    missing_optional: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    unnamed: int = 0

    def resolve(self, name: str) -> str | None:
        """The contract column a name found in the file stands for, or None (an extra).
        Used for NDJSON, where each record names its own keys."""
        return _resolver(self.contract_columns)(name)

    def warnings(self) -> list[str]:
        """Sentences for the sender about columns that were ignored or added."""
        notes = []
        if self.extra:
            notes.append(
                f"{len(self.extra)} column(s) not in the contract were ignored: "
                + ", ".join(repr(n) for n in self.extra)
                + "."
            )
        if self.unnamed:
            notes.append(f"{self.unnamed} column(s) with an empty name were ignored.")
        if self.missing_optional:
            notes.append(
                f"{len(self.missing_optional)} optional column(s) were not in the file and "
                "are read as empty: " + ", ".join(repr(n) for n in self.missing_optional) + "."
            )
        return notes


@functools.lru_cache(maxsize=64)
def _resolver(contract_columns: tuple[str, ...]):
    contract = list(contract_columns)
    exact = set(contract)
    by_norm: dict[str, str | None] = {}
    for column in contract:
        key = normalise_column_name(column)
        # Two contract columns that normalise alike can only be matched exactly.
        by_norm[key] = None if key in by_norm else column

    def resolve(name: str) -> str | None:
        if name in exact:
            return name
        return by_norm.get(normalise_column_name(name))

    return resolve


def map_header(
    found: list[str],
    contract_columns: list[str],
    required: set[str],
    *,
    where: str = "row 1",
    row: int | None = 1,
) -> HeaderMap:
    """Map the names in a file's header (in file order) to `contract_columns`.

    `where` says in messages where the names came from ("row 1" for CSV, "the Parquet
    schema", "the first record (line 3)" for NDJSON) and `row` is the row number the errors
    carry. Raises ParseError `duplicate_columns` or `missing_columns`. The messages name
    columns, never values; if no found name matches the contract at all, the found names
    are not repeated, since the "header" is then probably a row of data.
    """
    unknown_required = set(required) - set(contract_columns)
    if unknown_required:
        raise ValueError(f"required columns not in the contract: {sorted(unknown_required)}")
    resolve = _resolver(tuple(contract_columns))
    positions: dict[str, int] = {}
    claimants: dict[str, list[str]] = {}
    renamed: dict[str, str] = {}
    extra: list[str] = []
    unnamed = 0
    for position, name in enumerate(found):
        if not name.strip():
            unnamed += 1
            continue
        target = resolve(name)
        if target is None:
            extra.append(name)
            continue
        claimants.setdefault(target, []).append(name)
        positions.setdefault(target, position)
        if name != target:
            renamed[name] = target

    duplicated = {target: names for target, names in claimants.items() if len(names) > 1}
    if duplicated:
        parts = [
            f"{target!r} (from {', '.join(repr(n) for n in names)})"
            for target, names in duplicated.items()
        ]
        raise ParseError(
            DUPLICATE_COLUMNS,
            f"{where[:1].upper()}{where[1:]} has more than one column for: "
            + "; ".join(parts)
            + ". Keep one column for each and upload the file again.",
            row=row,
            details={"duplicates": {t: list(n) for t, n in duplicated.items()}},
        )

    missing = [c for c in contract_columns if c in required and c not in positions]
    if not positions:
        raise ParseError(
            MISSING_COLUMNS,
            f"None of the {len(found)} column name(s) in {where} match the contract "
            f"({where} must hold the column names). Expected: "
            + ", ".join(repr(c) for c in contract_columns)
            + ".",
            row=row,
            details={"missing": missing, "expected": list(contract_columns)},
        )
    if missing:
        named = [n for n in found if n.strip()]
        raise ParseError(
            MISSING_COLUMNS,
            f"The file has no column for {len(missing)} required column(s): "
            + ", ".join(repr(c) for c in missing)
            + f". Columns found in {where}: "
            + ", ".join(repr(n) for n in named)
            + ". Names match ignoring case, spaces and underscores.",
            row=row,
            details={"missing": missing, "found": named},
        )
    return HeaderMap(
        found=tuple(found),
        contract_columns=tuple(contract_columns),
        positions=positions,
        renamed=renamed,
        missing_optional=tuple(c for c in contract_columns if c not in positions),
        extra=tuple(extra),
        unnamed=unnamed,
    )
