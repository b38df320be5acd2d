"""Match the column names a sender used to the contract's column names.

Rules, in order, for each name found in the file:
1. exact match with a contract column (or one of the names the contract lists for it in
   `headerAliases`);
2. otherwise the same after normalising both: trim, case-insensitive (casefold), "_" read
   as a space, runs of whitespace (including non-breaking spaces) collapsed to one space,
   a stray byte-order mark dropped. So "crime_id", " CRIME  ID " and "Crime ID" all match
   the contract column "Crime ID". Hyphens and other punctuation are NOT ignored.
3. otherwise the column is extra: ignored, and named in `HeaderMap.warnings()`.

Two found columns that land on the same contract column are `duplicate_columns`. A contract
column that no found column matches is `missing_columns`, unless the contract says a sender
may leave it out (`mayBeOmitted`): a missing column is not a column of empty cells. The
message names, for each missing column, the found column that looks most like it, so that
a renamed header ("Crime Reference" for "Crime ID") is easy to put right. Columns the contract
lets a sender leave out are reported in `missing_optional` and read as all None. Columns with
an empty name (Excel often leaves some at the right) are ignored and counted, never treated
as duplicates of each other.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hub.contracts import normalise_column_name

from .parse_errors import DUPLICATE_COLUMNS, MISSING_COLUMNS, ParseError


@dataclass(frozen=True)
class HeaderMap:
    """How the columns of one file map to a contract.

    `positions` maps each contract column found in the file to its 0-based position in
    `found`. `renamed` lists the found names that matched only after normalising.
    """

    found: tuple[str, ...]
    contract_columns: tuple[str, ...]
    positions: dict[str, int]
    aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()
    renamed: dict[str, str] = field(default_factory=dict)
    missing_optional: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    unnamed: int = 0

    def resolve(self, name: str) -> str | None:
        """The contract column a name found in the file stands for, or None (an extra).
        Used for NDJSON, where each record names its own keys."""
        return _resolver(self.contract_columns, self.aliases)(name)

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
                f"{len(self.missing_optional)} column(s) the contract lets a sender leave out "
                "were not in the file and are read as empty: "
                + ", ".join(repr(n) for n in self.missing_optional)
                + "."
            )
        return notes


@functools.lru_cache(maxsize=64)
def _resolver(
    contract_columns: tuple[str, ...], aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()
):
    exact = {column: column for column in contract_columns}
    names = [(column, column) for column in contract_columns]
    for column, others in aliases:
        for other in others:
            exact.setdefault(other, column)
            names.append((other, column))
    by_norm: dict[str, str | None] = {}
    for name, column in names:
        key = normalise_column_name(name)
        # Two contract columns that normalise alike can only be matched exactly.
        by_norm[key] = None if by_norm.get(key, column) != column else column

    def resolve(name: str) -> str | None:
        if name in exact:
            return exact[name]
        return by_norm.get(normalise_column_name(name))

    return resolve


def closest_match(missing: str, candidates: Sequence[str]) -> str | None:
    """The found column name that looks most like the contract column `missing`, if any
    looks like it at all (compared in normalised form)."""
    keyed = {normalise_column_name(c): c for c in candidates}
    best = difflib.get_close_matches(normalise_column_name(missing), keyed, n=1, cutoff=0.5)
    return keyed[best[0]] if best else None


def likely_renames(missing: Sequence[str], extra: Sequence[str]) -> dict[str, str]:
    """For each missing contract column, the extra found column that is probably it renamed."""
    renames: dict[str, str] = {}
    unclaimed = list(extra)
    for column in missing:
        like = closest_match(column, unclaimed)
        if like is None and len(missing) == 1 and len(unclaimed) == 1:
            like = unclaimed[0]  # the one column left over is the likeliest rename
        if like is not None:
            unclaimed.remove(like)
            renames[column] = like
    return renames


def _missing_message(missing: list[str], renames: dict[str, str], where: str) -> str:
    message = (
        f"{where[:1].upper()}{where[1:]} has no column for {len(missing)} column(s) the "
        "contract names: "
        + ", ".join(repr(c) for c in missing)
        + ". A missing column is not a column of empty cells: send every column, with empty "
        "cells where there is no value."
    )
    if renames:
        message += (
            " "
            + "; ".join(
                f"{like!r} looks like {column!r}: rename it, or map it in the contract "
                "(headerAliases)"
                for column, like in renames.items()
            )
            + "."
        )
    return message + " Names match ignoring case, spaces and underscores."


def map_header(
    found: list[str],
    contract_columns: list[str],
    required: set[str],
    *,
    aliases: Mapping[str, Sequence[str]] | None = None,
    where: str = "row 1",
    row: int | None = 1,
) -> HeaderMap:
    """Map the names in a file's header (in file order) to `contract_columns`. `required`
    names the columns the file must have (all but those the contract lets a sender leave
    out); `aliases` other names the contract accepts for a column.

    `where` says in messages where the names came from ("row 1" for CSV, "the Parquet
    schema", "the first record (line 3)" for NDJSON) and `row` is the row number the errors
    carry. Raises ParseError `duplicate_columns` or `missing_columns`. The messages name
    columns, never values; if no found name matches the contract at all, the found names
    are not repeated, since the "header" is then probably a row of data.
    """
    unknown_required = set(required) - set(contract_columns)
    if unknown_required:
        raise ValueError(f"required columns not in the contract: {sorted(unknown_required)}")
    alias_key = tuple(sorted((c, tuple(names)) for c, names in (aliases or {}).items() if names))
    resolve = _resolver(tuple(contract_columns), alias_key)
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
        renames = likely_renames(missing, extra)
        raise ParseError(
            MISSING_COLUMNS,
            _missing_message(missing, renames, where),
            row=row,
            details={"missing": missing, "found": named, "looks_like": renames},
        )
    return HeaderMap(
        found=tuple(found),
        contract_columns=tuple(contract_columns),
        positions=positions,
        aliases=alias_key,
        renamed=renamed,
        missing_optional=tuple(c for c in contract_columns if c not in positions),
        extra=tuple(extra),
        unnamed=unnamed,
    )
