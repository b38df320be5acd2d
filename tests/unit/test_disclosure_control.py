"""Disclosure control of aggregate views: primary and secondary suppression, rounding, and the
attacker's check that no suppressed cell can be worked out by subtraction."""

from __future__ import annotations

from itertools import product

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.views.disclosure_control import (
    FLAGS,
    PRIMARY,
    SECONDARY,
    RecoveredCell,
    recoverable_cells,
    suppress,
)

MONTHS = ["2024-01", "2024-02", "2024-03"]


def grid(counts: dict[str, list[int]], measure: str = "incidents") -> list[dict]:
    """LSOA x month rows from {lsoa: [count per month]}."""
    return [
        {"lsoa": lsoa, "month": month, measure: n}
        for lsoa, per_month in counts.items()
        for month, n in zip(MONTHS, per_month, strict=True)
    ]


def pattern(result, dims=("lsoa", "month"), measure="incidents") -> dict[tuple, str]:
    return {tuple(r[d] for d in dims): r[FLAGS][measure] for r in result.rows if r[FLAGS]}


def primary_only(rows, *, dimensions, measures, k, measure_total=None, measures_add_up=True):
    """What a naive publisher would release: small cells blanked, totals left as they are."""
    full = suppress(
        rows, dimensions=dimensions, measures=measures, min_cell_size=1, totals="all",
        measure_total=measure_total, measures_add_up=measures_add_up,
    )  # fmt: skip
    columns = [*measures, *([measure_total] if measure_total else [])]

    def blank(row):
        return {c: (None if c in columns and 0 < row[c] < k else v) for c, v in row.items()}

    return [blank(r) for r in full.rows], {g: [blank(r) for r in t] for g, t in full.totals.items()}


# --- hand-made tables with known answers --------------------------------------------------

LSOA_BY_MONTH = {
    "E01000001": [12, 3, 20],
    "E01000002": [15, 18, 25],
    "E01000003": [9, 11, 7],
}


def test_one_small_cell_is_protected_by_a_rectangle_of_complements():
    result = suppress(
        grid(LSOA_BY_MONTH), dimensions=["lsoa", "month"], measures=["incidents"],
        min_cell_size=5, totals="all",
    )  # fmt: skip
    # The 3 is primary. Its row and column each need a second suppression, and each of those
    # needs another in its own column or row: the four corners of a rectangle.
    assert pattern(result) == {
        ("E01000001", "2024-02"): PRIMARY,
        ("E01000001", "2024-03"): SECONDARY,
        ("E01000003", "2024-02"): SECONDARY,
        ("E01000003", "2024-03"): SECONDARY,
    }
    assert [r["incidents"] for r in result.rows] == [12, None, None, 15, 18, 25, 9, None, None]
    assert result.summary == {"cells": 9, "primary": 1, "secondary": 3}
    # Totals are sums of the original counts, all published here.
    assert [r["incidents"] for r in result.totals[("lsoa",)]] == [35, 58, 27]
    assert [r["incidents"] for r in result.totals[("month",)]] == [36, 32, 52]
    assert result.totals[()] == [{"incidents": 120, FLAGS: {}}]
    found = recoverable_cells(
        result.rows, dimensions=["lsoa", "month"], measures=["incidents"],
        published_totals=result.totals,
    )  # fmt: skip
    assert found == []


def test_primary_suppression_alone_gives_the_small_cell_away():
    rows, totals = primary_only(
        grid(LSOA_BY_MONTH), dimensions=["lsoa", "month"], measures=["incidents"], k=5
    )
    found = recoverable_cells(
        rows, dimensions=["lsoa", "month"], measures=["incidents"], published_totals=totals
    )
    assert (
        RecoveredCell(("lsoa", "month"), {"lsoa": "E01000001", "month": "2024-02"}, "incidents", 3)
        in found
    )
    # Even with no totals published beside the table, a coarser query is a margin.
    rows_only = recoverable_cells(rows, dimensions=["lsoa", "month"], measures=["incidents"])
    assert rows_only == []  # ...which is why suppress assumes every margin is known


def test_a_line_with_a_single_small_cell_gets_the_next_smallest_as_secondary():
    rows = [{"lsoa": "A", "n": 2}, {"lsoa": "B", "n": 40}, {"lsoa": "C", "n": 30}]
    result = suppress(rows, dimensions=["lsoa"], measures=["n"], min_cell_size=5, totals="all")
    assert [r["n"] for r in result.rows] == [None, 40, None]
    assert [r[FLAGS] for r in result.rows] == [{"n": PRIMARY}, {}, {"n": SECONDARY}]
    assert result.totals[()] == [{"n": 72, FLAGS: {}}]


def test_suppressed_cells_of_a_line_must_not_add_up_to_a_small_number():
    # 1 and 2 are both suppressed, but total minus the shown cells would say "3".
    rows = [{"lsoa": x, "n": n} for x, n in zip("ABCD", [1, 2, 50, 60], strict=True)]
    result = suppress(rows, dimensions=["lsoa"], measures=["n"], min_cell_size=5, totals="all")
    assert [r["n"] for r in result.rows] == [None, None, None, 60]
    assert result.rows[2][FLAGS] == {"n": SECONDARY}


def test_three_dimensions_a_small_cell_is_protected_by_a_cube():
    counts = {key: 20 + i for i, key in enumerate(product("xyz", "pqr", "uvw"))}
    counts[("y", "q", "v")] = 2
    rows = [{"a": a, "b": b, "c": c, "n": n} for (a, b, c), n in counts.items()]
    result = suppress(rows, dimensions=["a", "b", "c"], measures=["n"], min_cell_size=5,
                      totals="all")  # fmt: skip
    hidden = pattern(result, dims=("a", "b", "c"), measure="n")
    assert hidden[("y", "q", "v")] == PRIMARY
    # With every one-way line's total known, the least a single cell needs is the corners of
    # a 2x2x2 cube: two values on each axis.
    assert len(hidden) == 8
    assert all(len({key[axis] for key in hidden}) == 2 for axis in range(3))
    assert set(product(*({key[axis] for key in hidden} for axis in range(3)))) == set(hidden)
    assert all(not r[FLAGS] for rows in result.totals.values() for r in rows)
    assert recoverable_cells(result.rows, dimensions=["a", "b", "c"], measures=["n"],
                             published_totals=result.totals) == []  # fmt: skip


def test_a_table_of_large_cells_suppresses_nothing():
    result = suppress(
        grid({"A": [10, 11, 12], "B": [50, 60, 70]}), dimensions=["lsoa", "month"],
        measures=["incidents"], min_cell_size=10, totals="all",
    )  # fmt: skip
    assert result.summary == {"cells": 6, "primary": 0, "secondary": 0}
    assert [r["incidents"] for r in result.rows] == [10, 11, 12, 50, 60, 70]


def test_min_cell_size_one_suppresses_nothing():
    result = suppress(
        grid({"A": [1, 2, 0], "B": [1, 60, 70]}), dimensions=["lsoa", "month"],
        measures=["incidents"], min_cell_size=1, totals="all",
    )  # fmt: skip
    assert result.summary == {"cells": 6, "primary": 0, "secondary": 0}
    assert [r["incidents"] for r in result.rows] == [1, 2, 0, 1, 60, 70]


def test_zeros_are_shown_and_never_used_as_complements():
    # Zeros describe nobody, and the reader knows them, so they hide nothing: the complement
    # for the 2 must be a non-zero cell even though the zeros are smaller.
    result = suppress(
        grid({"A": [2, 0, 30], "B": [0, 0, 40], "C": [25, 0, 35]}), dimensions=["lsoa", "month"],
        measures=["incidents"], min_cell_size=5, totals="all",
    )  # fmt: skip
    published = {(r["lsoa"], r["month"]): r["incidents"] for r in result.rows}
    assert all(published[key] == 0 for key in [("A", MONTHS[1]), ("B", MONTHS[0]),
                                                ("B", MONTHS[1]), ("C", MONTHS[1])])  # fmt: skip
    assert pattern(result) == {
        ("A", MONTHS[0]): PRIMARY,
        ("A", MONTHS[2]): SECONDARY,
        ("C", MONTHS[0]): SECONDARY,
        ("C", MONTHS[2]): SECONDARY,
    }


def test_a_group_with_no_row_is_a_zero_the_reader_knows():
    # Only one LSOA has a February row, so the February total IS that cell: suppressing
    # it needs the February total (a margin) suppressed too.
    rows = [
        {"lsoa": "A", "month": "Jan", "n": 2},
        {"lsoa": "A", "month": "Feb", "n": 50},
        {"lsoa": "B", "month": "Jan", "n": 30},
        {"lsoa": "B", "month": "Mar", "n": 30},
        {"lsoa": "C", "month": "Jan", "n": 30},
        {"lsoa": "C", "month": "Mar", "n": 30},
    ]
    result = suppress(rows, dimensions=["lsoa", "month"], measures=["n"], min_cell_size=5,
                      totals="all")  # fmt: skip
    assert recoverable_cells(result.rows, dimensions=["lsoa", "month"], measures=["n"],
                             published_totals=result.totals) == []  # fmt: skip
    # Row A's only complement is its February cell, and February has no other row.
    assert result.rows[1][FLAGS] == {"n": SECONDARY}
    months = {r["month"]: r for r in result.totals[("month",)]}
    assert months["Feb"] == {"month": "Feb", "n": None, FLAGS: {"n": SECONDARY}}


def test_measures_that_add_up_are_a_line_too():
    row = [{"lsoa": "A", "charged": 3, "no_further_action": 40, "other": 50}]
    measures = ["charged", "no_further_action", "other"]
    apart = suppress(row, dimensions=["lsoa"], measures=measures, min_cell_size=5,
                     measures_add_up=False)  # fmt: skip
    assert apart.rows[0][FLAGS] == {"charged": PRIMARY}
    together = suppress(row, dimensions=["lsoa"], measures=measures, min_cell_size=5,
                        measure_total="all_outcomes", totals="all")  # fmt: skip
    assert together.rows[0] == {
        "lsoa": "A", "charged": None, "no_further_action": None, "other": 50,
        "all_outcomes": 93, FLAGS: {"charged": PRIMARY, "no_further_action": SECONDARY},
    }  # fmt: skip
    assert recoverable_cells(together.rows, dimensions=["lsoa"], measures=measures,
                             measure_total="all_outcomes",
                             published_totals=together.totals) == []  # fmt: skip
    rows, totals = primary_only(row, dimensions=["lsoa"], measures=measures, k=5,
                                measure_total="all_outcomes")  # fmt: skip
    assert [c.value for c in recoverable_cells(rows, dimensions=["lsoa"], measures=measures,
                                               measure_total="all_outcomes")] == [3]  # fmt: skip


def test_rounding_is_off_by_default_and_rounds_every_published_count():
    rows = grid(LSOA_BY_MONTH)
    plain = suppress(rows, dimensions=["lsoa", "month"], measures=["incidents"],
                     min_cell_size=5, totals="all")  # fmt: skip
    rounded = suppress(rows, dimensions=["lsoa", "month"], measures=["incidents"],
                       min_cell_size=5, totals="all", rounding_base=5)  # fmt: skip
    assert plain.rounding_base is None and rounded.rounding_base == 5
    assert [r[FLAGS] for r in rounded.rows] == [r[FLAGS] for r in plain.rows]
    assert [r["incidents"] for r in rounded.rows] == [10, None, None, 15, 20, 25, 10, None, None]
    assert [r["incidents"] for r in rounded.totals[("lsoa",)]] == [35, 60, 25]
    assert rounded.totals[()][0]["incidents"] == 120


def test_a_dataframe_gives_the_same_answer_as_rows():
    rows = grid(LSOA_BY_MONTH)
    kwargs = {"dimensions": ["lsoa", "month"], "measures": ["incidents"], "min_cell_size": 5,
              "totals": [["lsoa"], []]}  # fmt: skip
    assert suppress(pd.DataFrame(rows), **kwargs) == suppress(rows, **kwargs)


def test_the_same_input_gives_the_same_output():
    rows = grid({"A": [6, 6, 6], "B": [6, 2, 6], "C": [6, 6, 6]})  # ties everywhere
    first = suppress(rows, dimensions=["lsoa", "month"], measures=["incidents"], min_cell_size=5)
    assert all(
        suppress(rows, dimensions=["lsoa", "month"], measures=["incidents"], min_cell_size=5)
        == first
        for _ in range(3)
    )
    assert len(pattern(first)) == 4


@pytest.mark.parametrize(
    ("rows", "kwargs", "message"),
    [
        ([{"g": "A", "n": 1}, {"g": "A", "n": 2}], {}, "repeats the group"),
        ([{"g": "A", "n": -1}], {}, "cannot be negative"),
        ([{"g": "A", "n": 1.5}], {}, "whole number"),
        ([{"g": "A", "n": None}], {}, "whole number"),
        ([{"g": "A"}], {}, "no column 'n'"),
        ([{"g": "A", "n": 1}], {"min_cell_size": 0}, "min_cell_size"),
        ([{"g": "A", "n": 1}], {"rounding_base": 0}, "rounding_base"),
        ([{"g": "A", "n": 1}], {"totals": [["h"]]}, "grouping"),
        ([{"g": "A", "n": 1}], {"totals": [["g"]]}, "grouping"),
        ([{"g": "A", "n": 1}], {"measure_total": "n"}, "distinct"),
        ([{"g": "A", "n": 1}], {"measure_total": "all", "measures_add_up": False}, "add up"),
    ],
)
def test_invalid_input_is_refused(rows, kwargs, message):
    with pytest.raises(ValueError, match=message):
        suppress(rows, **{"dimensions": ["g"], "measures": ["n"], "min_cell_size": 5, **kwargs})


# --- properties over random tables ---------------------------------------------------------


@st.composite
def tables(draw):
    """A GROUP BY result: up to 3 dimensions of up to 4 values, some groups absent (zero),
    1-3 measures, counts that are often small, and a threshold."""
    dims = [f"d{i}" for i in range(draw(st.integers(1, 3)))]
    measures = [f"m{i}" for i in range(draw(st.integers(1, 3)))]
    sizes = [draw(st.integers(1, 4)) for _ in dims]
    count = st.one_of(st.integers(0, 6), st.integers(0, 60))
    rows = []
    for coords in product(*(range(size) for size in sizes)):
        if draw(st.booleans()) or not rows:
            row = {d: f"v{c}" for d, c in zip(dims, coords, strict=True)}
            rows.append(row | {m: draw(count) for m in measures})
    add_up = draw(st.booleans())
    return {
        "rows": rows,
        "dimensions": dims,
        "measures": measures,
        "min_cell_size": draw(st.integers(1, 12)),
        "measures_add_up": add_up,
        "measure_total": "total" if add_up else None,
    }


def lines(rows, totals, *, dimensions, measures, measure_total):
    """Every published line: (its total row, its member rows, the column; None for the line
    of a row's measures). The line of a total at grouping G along dimension d is the cells
    at G + d with the same G values."""
    tables_by_grouping = {tuple(dimensions): rows, **totals}
    for grouping, table_rows in tables_by_grouping.items():
        for d in dimensions:
            if d in grouping:
                continue
            finer = tuple(x for x in dimensions if x in grouping or x == d)
            for total in table_rows:
                members = [r for r in tables_by_grouping[finer]
                           if all(r[g] == total[g] for g in grouping)]  # fmt: skip
                for column in [*measures, *([measure_total] if measure_total else [])]:
                    yield total, members, column
        if measure_total:  # the measures of a row add up to its measure total
            for row in table_rows:
                yield row, [row] * len(measures), None


@settings(deadline=None, max_examples=300)
@given(tables())
def test_after_suppress_nothing_small_is_shown_and_nothing_can_be_recovered(case):
    rows, k = case["rows"], case["min_cell_size"]
    shape = {key: case[key] for key in ("dimensions", "measures", "measure_total")}
    columns = [*case["measures"], *([case["measure_total"]] if case["measure_total"] else [])]
    result = suppress(rows, min_cell_size=k, totals="all",
                      measures_add_up=case["measures_add_up"], **shape)  # fmt: skip
    original = suppress(rows, min_cell_size=1, totals="all",
                        measures_add_up=case["measures_add_up"], **shape)  # fmt: skip

    published = [*zip(result.rows, original.rows, strict=True)]
    for grouping, total_rows in result.totals.items():
        published += zip(total_rows, original.totals[grouping], strict=True)
    for shown, true in published:
        for column in columns:
            value = shown[column]
            # No small count is shown; every shown number, totals included, is the true
            # (original) count; zeros are shown; a blank says why it is blank.
            assert value is None or value == 0 or value >= k
            assert value is None or value == true[column]
            assert (value is None) == (column in shown[FLAGS])
            if true[column] == 0:
                assert value == 0
            if 0 < true[column] < k:
                assert shown[FLAGS][column] == PRIMARY
    assert result.summary["cells"] == len(rows) * len(case["measures"])

    assert recoverable_cells(result.rows, published_totals=result.totals,
                             measures_add_up=case["measures_add_up"], **shape) == []  # fmt: skip

    # No published total has exactly one suppressed cell in its line, and the suppressed
    # cells of a line never add up to a small count.
    truth = {id(s): t for s, t in published}
    for total, members, column in lines(result.rows, result.totals, **shape):
        member_columns = [column] * len(members) if column else case["measures"]
        total_column = column or case["measure_total"]
        blanks = [(m, c) for m, c in zip(members, member_columns, strict=True) if m[c] is None]
        if total[total_column] is None:
            assert blanks, "a suppressed total must have a suppressed cell in each line"
            continue
        assert len(blanks) != 1
        hidden = sum(truth[id(m)][c] for m, c in blanks)
        assert hidden == 0 or hidden >= k


@settings(deadline=None, max_examples=200)
@given(tables())
def test_the_attacker_finds_what_primary_suppression_alone_leaves(case):
    shape = {key: case[key] for key in ("dimensions", "measures", "measure_total")}
    rows, totals = primary_only(case["rows"], k=case["min_cell_size"],
                                measures_add_up=case["measures_add_up"], **shape)  # fmt: skip
    found = recoverable_cells(rows, published_totals=totals,
                              measures_add_up=case["measures_add_up"], **shape)  # fmt: skip
    original = suppress(case["rows"], min_cell_size=1, totals="all",
                        measures_add_up=case["measures_add_up"], **shape)  # fmt: skip
    truth = {tuple(case["dimensions"]): original.rows, **original.totals}
    for cell in found:  # everything it claims is right
        (row,) = [r for r in truth[cell.grouping]
                  if all(r[d] == v for d, v in cell.coordinates.items())]  # fmt: skip
        assert row[cell.column] == cell.value
    # and it finds something exactly when a line has one blank beside a shown total
    exposed = False
    for total, members, column in lines(rows, totals, **shape):
        member_columns = [column] * len(members) if column else case["measures"]
        blanks = sum(m[c] is None for m, c in zip(members, member_columns, strict=True))
        exposed |= total[column or case["measure_total"]] is not None and blanks == 1
    assert bool(found) == exposed
