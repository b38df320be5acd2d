"""Disclosure control for aggregate views: small-cell suppression, secondary (complementary)
suppression so that totals cannot give suppressed cells away, and optional rounding.

Pure functions: no database, no Flask, no I/O. docs/disclosure-control.md explains the
method for IG officers, what it protects against and what it does not.

The model, in brief. A GROUP BY result (one row per group: dimension values and one or more
counts) is the inside of a table. Every margin of that table (the sum over any set of
dimensions, and over the measures when they add up) is a number a reader may know: the view
may publish it as a total, and any coarser query of the same view returns it as a cell. So
the margins are cells too, and the table is protected with all of them:

* primary: every count, inside or margin, in 1..min_cell_size-1 is suppressed. Zeros are
  shown (they describe nobody), and the reader is assumed to know them, so a zero never
  hides anything and is never used as a complement;
* secondary: a *line* is a margin with the cells that add up to it (for example one LSOA's
  months and the LSOA total). A line gives a cell away when exactly one of its members is
  suppressed, or when its total is published and its suppressed cells add up to a small
  number. Such a line gets one more suppression, chosen by a fixed preference order, and
  the lines of that cell are checked in turn, until no line gives anything away.
"""

from __future__ import annotations

import heapq
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

PRIMARY = "primary"
SECONDARY = "secondary"
FLAGS = "suppressed"  # the key of each output row holding {column: PRIMARY | SECONDARY}

Row = dict[str, Any]
Grouping = tuple[str, ...]


class _Total:
    """The coordinate of a summed-out axis. A sentinel, because None is a real SQL group."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "TOTAL"


_TOTAL = _Total()

Key = tuple[Any, ...]  # one coordinate per dimension, then the measure; _TOTAL if summed out
Line = tuple[int, Key]  # (the axis the line runs along, the key of its total)


@dataclass(frozen=True)
class SuppressedTable:
    """What may be published.

    `rows`: the input rows in input order, with each suppressed count replaced by None (and
    the others rounded if asked) and `rows[i]["suppressed"] = {column: "primary" |
    "secondary"}`. `totals`: for each grouping asked for (a tuple of dimension names; `()` is
    the grand total), rows of the same shape; totals are sums of the ORIGINAL counts, which
    is exactly why secondary suppression is needed. `summary`: {cells, primary, secondary}
    over the measure cells of `rows`.
    """

    rows: list[Row]
    totals: dict[Grouping, list[Row]]
    summary: dict[str, int]
    min_cell_size: int
    rounding_base: int | None


@dataclass(frozen=True)
class RecoveredCell:
    """A suppressed cell an attacker worked out by subtraction (see `recoverable_cells`)."""

    grouping: Grouping  # the dimensions the cell is grouped by; all of them for a row cell
    coordinates: dict[str, Any]
    column: str  # a measure, or the measure-total column
    value: int


def suppress(
    table: Iterable[Mapping[str, Any]] | Any,
    *,
    dimensions: Sequence[str],
    measures: Sequence[str],
    min_cell_size: int,
    totals: Literal["all"] | Iterable[Sequence[str]] = (),
    measures_add_up: bool = True,
    measure_total: str | None = None,
    rounding_base: int | None = None,
) -> SuppressedTable:
    """Protect the aggregated rows of a view (a list of dicts or a pandas DataFrame).

    `totals`: the groupings whose totals the view publishes alongside the rows ("all": every
    proper subset of `dimensions`, down to the grand total `()`). Whether or not they are
    published, every margin is assumed known to the reader, so the suppression pattern does
    not depend on this argument. `measures_add_up` (default True, the cautious choice): the
    measures split one population (e.g. outcomes), so a reader may know their sum; pass False
    only for measures whose sum means nothing and is published nowhere. `measure_total`: the
    name of a column to publish that sum under, on every row and total. `rounding_base`:
    round every published count to the nearest multiple of it (default off).
    """
    dimensions, measures = tuple(dimensions), tuple(measures)
    _check_columns(dimensions, measures, measure_total, measures_add_up)
    if not _is_whole(min_cell_size):
        raise ValueError(f"min_cell_size must be a whole number >= 1, not {min_cell_size!r}")
    if rounding_base is not None and not _is_whole(rounding_base):
        raise ValueError(f"rounding_base must be None or a whole number >= 1: {rounding_base!r}")
    groupings = _groupings(totals, dimensions)

    rows = _records(table)
    cube = _Cube(rows, dimensions, measures, measures_add_up, counts_required=True)
    status = _protect(cube, min_cell_size)

    def publish_row(coords: Key, names: Grouping) -> Row:
        out: Row = {name: coords[dimensions.index(name)] for name in names}
        flags: dict[str, str] = {}
        columns = [(m, (*coords, m)) for m in measures]
        if measure_total is not None:
            columns.append((measure_total, (*coords, _TOTAL)))
        for column, key in columns:
            if key in status:
                out[column], flags[column] = None, status[key]
            else:
                out[column] = _round(cube.values[key], rounding_base)
        out[FLAGS] = flags
        return out

    out_rows = [publish_row(coords, dimensions) for coords in cube.row_coords]
    out_totals: dict[Grouping, list[Row]] = {}
    for grouping in groupings:
        kept = [dimensions.index(d) for d in grouping]
        seen: dict[Key, None] = {}
        for coords in cube.row_coords:  # first-appearance order, like the rows
            seen.setdefault(tuple(c if a in kept else _TOTAL for a, c in enumerate(coords)), None)
        out_totals[grouping] = [publish_row(coords, grouping) for coords in seen]

    flags = [reason for row in out_rows for c, reason in row[FLAGS].items() if c in measures]
    summary = {
        "cells": len(out_rows) * len(measures),
        "primary": flags.count(PRIMARY),
        "secondary": flags.count(SECONDARY),
    }
    return SuppressedTable(out_rows, out_totals, summary, min_cell_size, rounding_base)


def recoverable_cells(
    table: Iterable[Mapping[str, Any]] | Any,
    *,
    dimensions: Sequence[str],
    measures: Sequence[str],
    published_totals: Mapping[Sequence[str], Iterable[Mapping[str, Any]]] | None = None,
    measures_add_up: bool = True,
    measure_total: str | None = None,
) -> list[RecoveredCell]:
    """The attacker's check: which suppressed cells can be worked out by subtraction?

    Knows only what was published: the rows (None = suppressed; a group with no row is
    zero), the `published_totals` (as in `SuppressedTable.totals`), the `measure_total`
    column if published, and that the measures add up if `measures_add_up`. Repeatedly
    solves any line (a total and the cells that add up to it) with exactly one unknown, so
    one recovered cell may open the next. Returns every suppressed cell, in the rows or in
    the totals, that this works out. It does not attempt linear-programming bounds, and it
    assumes counts were not rounded.
    """
    dimensions, measures = tuple(dimensions), tuple(measures)
    _check_columns(dimensions, measures, measure_total, measures_add_up)
    rows = _records(table)
    cube = _Cube(rows, dimensions, measures, measures_add_up, counts_required=False)

    # What the reader knows: key -> value, or None if unknown. Margins start unknown.
    known: dict[Key, int | None] = {key: None for key in cube.values}
    shown_as_suppressed: dict[Key, tuple[Grouping, str]] = {}

    def read(coords: Key, row: Mapping[str, Any], grouping: Grouping) -> None:
        columns = [(m, (*coords, m)) for m in measures]
        if measure_total is not None and measure_total in row:
            columns.append((measure_total, (*coords, _TOTAL)))
        for column, key in columns:
            if key not in known:
                continue  # a total of groups not in the table: no line to use it in
            if row[column] is None:
                shown_as_suppressed[key] = (grouping, column)
            else:
                known[key] = _count(row[column], f"{grouping} {column}")

    for coords, row in zip(cube.row_coords, rows, strict=True):
        read(coords, row, dimensions)
    for names, total_rows in (published_totals or {}).items():
        grouping = tuple(names)
        for row in total_rows:
            coords = tuple(row[d] if d in grouping else _TOTAL for d in dimensions)
            read(coords, row, grouping)

    recovered: list[RecoveredCell] = []
    lines = cube.lines(with_zeros=True)
    changed = True
    while changed:
        changed = False
        for (_axis, total), members in lines.items():
            unknown = [key for key in (*members, total) if known[key] is None]
            if len(unknown) != 1:
                continue
            (key,) = unknown
            others = sum(known[m] for m in members if m != key)  # type: ignore[misc]
            known[key] = others if key == total else known[total] - others  # type: ignore[operator]
            changed = True
            if key in shown_as_suppressed:
                grouping, column = shown_as_suppressed[key]
                recovered.append(
                    RecoveredCell(
                        grouping,
                        {d: key[a] for a, d in enumerate(dimensions) if d in grouping},
                        column,
                        known[key],  # type: ignore[arg-type]
                    )
                )
    return recovered


# --- the table and its margins ----------------------------------------------------------


class _Cube:
    """The rows as cells keyed by coordinates, with every margin, and the lines between."""

    def __init__(
        self,
        rows: list[Mapping[str, Any]],
        dimensions: Grouping,
        measures: Grouping,
        measures_add_up: bool,
        *,
        counts_required: bool,
    ):
        n_dims = len(dimensions)
        # Axes a line can run along: each dimension, and the measures if they add up.
        self.axes = tuple(range(n_dims)) + ((n_dims,) if measures_add_up else ())
        # First-appearance rank of each value on each axis: the stable order for ties.
        self.rank: list[dict[Any, int]] = [{} for _ in range(n_dims)]
        self.rank.append({m: i for i, m in enumerate(measures)})
        self.row_coords: list[Key] = []
        seen: set[Key] = set()
        inside: dict[Key, int] = {}
        for i, row in enumerate(rows):
            missing = [c for c in (*dimensions, *measures) if c not in row]
            if missing:
                raise ValueError(f"row {i} has no column {missing[0]!r}")
            coords = tuple(row[d] for d in dimensions)
            if any(c is _TOTAL for c in coords):
                raise ValueError(f"row {i}: a dimension value cannot be the TOTAL marker")
            if coords in seen:
                raise ValueError(
                    f"row {i} repeats the group {dict(zip(dimensions, coords, strict=True))}: "
                    "pass one row per group, as GROUP BY returns"
                )
            seen.add(coords)
            self.row_coords.append(coords)
            for axis, value in enumerate(coords):
                self.rank[axis].setdefault(value, len(self.rank[axis]))
            for m in measures:
                value = row[m]
                if value is None and not counts_required:
                    value = 0  # unknown to the reader; only the structure is used
                inside[(*coords, m)] = _count(value, f"row {i} column {m!r}")

        # Every margin: each cell adds its count to the sums over every set of axes.
        self.values: dict[Key, int] = dict(inside)
        for key, count in inside.items():
            for r in range(1, len(self.axes) + 1):
                for summed in combinations(self.axes, r):
                    margin = tuple(_TOTAL if a in summed else c for a, c in enumerate(key))
                    self.values[margin] = self.values.get(margin, 0) + count

    def lines(self, *, with_zeros: bool) -> dict[Line, list[Key]]:
        """Each line's members (its total not included), keyed by (axis, total key).

        Zero cells add nothing and hide nothing (the reader knows them), so protection
        leaves them out; the attacker keeps them, which changes no sum.
        """
        lines: dict[Line, list[Key]] = {}
        for key, count in self.values.items():
            if count == 0 and not with_zeros:
                continue
            for axis in self.axes:
                if key[axis] is not _TOTAL:
                    total = key[:axis] + (_TOTAL,) + key[axis + 1 :]
                    lines.setdefault((axis, total), []).append(key)
        return lines

    def lines_of(self, key: Key) -> list[Line]:
        """The lines a key is in: as a member, and as the total."""
        return [
            (axis, key) if key[axis] is _TOTAL else (axis, key[:axis] + (_TOTAL,) + key[axis + 1 :])
            for axis in self.axes
        ]

    def order(self, key: Key) -> tuple[int, int, tuple[int, ...]]:
        """Inside cells before margins, then smaller counts, then first appearance."""
        ranks = tuple(
            len(self.rank[a]) if c is _TOTAL else self.rank[a][c] for a, c in enumerate(key)
        )
        return (sum(c is _TOTAL for c in key), self.values[key], ranks)


def _protect(cube: _Cube, k: int) -> dict[Key, str]:
    """Primary then secondary suppression over every cell and margin: key -> reason."""
    lines = cube.lines(with_zeros=False)
    status: dict[Key, str] = {key: PRIMARY for key, v in cube.values.items() if 0 < v < k}
    hidden_count = {line: 0 for line in lines}  # suppressed members, the total included
    for key in status:
        for line in cube.lines_of(key):
            if line in hidden_count:
                hidden_count[line] += 1

    def gives_away(line: Line) -> bool:
        hidden = [m for m in lines[line] if m in status]
        total_hidden = line[1] in status
        if len(hidden) + total_hidden == 1:
            return True  # the one suppressed member = the total minus the others
        # A published total minus the shown cells gives the sum of the suppressed ones:
        # that sum must not itself be a small count.
        return not total_hidden and 0 < sum(cube.values[m] for m in hidden) < k

    def preference(candidate: Key, line: Line) -> tuple[Any, ...]:
        # The hypercube idea: prefer a complement whose other lines already have one
        # suppressed member (it protects them too) over one that opens a new exposed line.
        cost = 0
        for other in cube.lines_of(candidate):
            if other != line and other in lines:
                cost += {0: 1, 1: -1}.get(hidden_count[other], 0)
        level, count, ranks = cube.order(candidate)
        return (level, cost, count, ranks)

    queue: list[tuple[Any, int, Line]] = []
    queued: set[Line] = set()

    def push(line: Line) -> None:
        if line in lines and line not in queued:
            queued.add(line)
            heapq.heappush(queue, (cube.order(line[1]), line[0], line))

    for key in list(status):
        for line in cube.lines_of(key):
            push(line)
    while queue:
        *_, line = heapq.heappop(queue)
        queued.discard(line)
        if not gives_away(line):
            continue
        candidates = [m for m in (*lines[line], line[1]) if m not in status]
        chosen = min(candidates, key=lambda c: preference(c, line))
        status[chosen] = SECONDARY
        for other in cube.lines_of(chosen):
            if other in hidden_count:
                hidden_count[other] += 1
            push(other)
        push(line)  # its suppressed cells may still add up to a small number
    return status


# --- small helpers ------------------------------------------------------------------------


def _records(table: Any) -> list[Mapping[str, Any]]:
    if hasattr(table, "to_dict") and hasattr(table, "columns"):  # a pandas DataFrame
        return table.to_dict("records")
    return list(table)


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{where}: a count must be a whole number, not {value!r}")
    try:
        count = operator.index(value)  # ints and numpy ints; not floats, NaN or None
    except TypeError:
        raise ValueError(f"{where}: a count must be a whole number, not {value!r}") from None
    if count < 0:
        raise ValueError(f"{where}: a count cannot be negative ({count})")
    return count


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _round(value: int, base: int | None) -> int:
    """To the nearest multiple of base, halves up (so 7 -> 5 and 8 -> 10 for base 5)."""
    return value if base is None else base * ((value + base // 2) // base)


def _check_columns(
    dimensions: Grouping, measures: Grouping, measure_total: str | None, measures_add_up: bool
) -> None:
    names = [*dimensions, *measures] + ([measure_total] if measure_total is not None else [])
    if not measures:
        raise ValueError("name at least one measure (a count column)")
    if len(set(names)) != len(names) or FLAGS in names:
        raise ValueError(
            f"dimension, measure and measure-total names must be distinct and not {FLAGS!r}"
        )
    if measure_total is not None and not measures_add_up:
        raise ValueError("measure_total publishes the sum of the measures: they must add up")


def _groupings(totals: Literal["all"] | Iterable[Sequence[str]], dimensions: Grouping) -> list:
    if totals == "all":
        return [g for r in range(len(dimensions)) for g in combinations(dimensions, r)]
    groupings = []
    for names in totals:  # type: ignore[union-attr]
        if isinstance(names, str):
            raise ValueError(f"a grouping is a sequence of dimension names, not {names!r}")
        unknown = set(names) - set(dimensions)
        if unknown or len(set(names)) != len(names) or len(names) >= len(dimensions):
            raise ValueError(
                f"a grouping of totals must be distinct dimensions, fewer than all: {names!r}"
            )
        groupings.append(tuple(d for d in dimensions if d in names))
    return groupings
