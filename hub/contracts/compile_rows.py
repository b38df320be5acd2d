"""A contract as a pandera schema for per-row checks over the file as text.

Providers send text (CSV): every column arrives as a string and an empty string is a missing
value. The schema checks each cell as the contract says — present when required, a number, a
date in the stated format, a pattern, one of the listed values, within a range — without
changing it. Each check has a stable name (`required`, `pattern`, `is_date`, `maximum`, ...)
that reports use; checks other than `required` pass on empty cells.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd

from hub.contracts.loader import strptime_format
from hub.contracts.model import Column, Contract

if TYPE_CHECKING:
    import pandera.pandas as pa

_ISO_TIMESTAMP = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?"  # date and time
_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})"
_JDK_TOKEN_PATTERNS = {
    "yyyy": r"\d{4}",
    "MM": r"\d{2}",
    "dd": r"\d{2}",
    "HH": r"\d{2}",
    "mm": r"\d{2}",
    "ss": r"\d{2}",
}
_BOOLEANS = ("true", "false")
_DEFAULT_FORMATS = {"date": "yyyy-MM-dd", "time": "HH:mm"}

Test = Callable[[pd.Series], pd.Series]


def compile_row_schema(contract: Contract) -> pa.DataFrameSchema:
    """The pandera schema that checks each row of `contract`'s dataset, given as text."""
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        {column.name: _column(column) for column in contract.columns},
        name=contract.dataset,
        strict=True,
        ordered=False,
        metadata={"dataset": contract.dataset, "version": contract.version},
    )


def _column(column: Column) -> pa.Column:
    import pandera.pandas as pa

    checks = [
        pa.Check(test, name=name, error=message, element_wise=False)
        for name, message, test in row_checks(column)
    ]
    return pa.Column(
        None,  # text: the checks below say what the text must look like
        checks=checks,
        nullable=True,
        required=True,
        description=column.description or None,
        title=column.physical_name,
    )


def row_checks(column: Column) -> list[tuple[str, str, Test]]:
    """(name, message, test) for each check on `column`; a test maps text to pass/fail."""
    checks: list[tuple[str, str, Test]] = []
    if column.required:
        checks.append(("required", "is empty but required", lambda s: s != ""))
    kind = column.logical_type
    if kind == "string":
        checks.extend(_string_checks(column))
    elif kind in ("number", "integer"):
        checks.extend(_number_checks(column))
    elif kind == "boolean":
        checks.append(
            (
                "is_boolean",
                "is not true or false",
                _optional(lambda s: s.str.lower().isin(_BOOLEANS)),
            )
        )
    elif kind in ("date", "time", "timestamp"):
        checks.extend(_date_checks(column))
    if column.enum:
        allowed = frozenset(column.enum)
        checks.append(
            (
                "enum",
                f"is not one of the {len(allowed)} listed values",
                _optional(lambda s: s.isin(allowed)),
            )
        )
    return checks


def _optional(test: Test) -> Test:
    """Empty cells pass: whether a value must be there is the `required` check's business."""

    def check(series: pd.Series) -> pd.Series:
        # The parse stage gives None for a missing cell; a hand-built frame may hold "".
        empty = series.isna() | (series == "")
        return empty | test(series).fillna(False).astype(bool)

    return check


def _string_checks(column: Column) -> list[tuple[str, str, Test]]:
    checks: list[tuple[str, str, Test]] = []
    if column.pattern:
        checks.append(("pattern", f"does not match {column.pattern}", _pattern(column.pattern)))
    if column.min_length is not None:
        low = column.min_length
        checks.append(
            (
                "min_length",
                f"is shorter than {low} characters",
                _optional(lambda s: s.str.len() >= low),
            )
        )
    if column.max_length is not None:
        high = column.max_length
        checks.append(
            (
                "max_length",
                f"is longer than {high} characters",
                _optional(lambda s: s.str.len() <= high),
            )
        )
    return checks


def _pattern(text: str) -> Test:
    """re.search semantics (JSON Schema patterns are unanchored), cell by cell. A pattern
    with no escape and no `(?` group means the same to RE2 (Arrow's regex engine) except
    that RE2 may refuse what Python accepts (`$` before a final newline): such a pattern
    runs vectorised in RE2 and every refusal is asked again of Python's `re`, so the answer
    is Python's for every cell."""
    pattern = re.compile(text)

    def python(s: pd.Series) -> pd.Series:
        # search() rather than str.contains: the same semantics, without pandas' warning
        # about groups in the pattern.
        return s.map(lambda v: isinstance(v, str) and bool(pattern.search(v)))

    if "\\" in text or "(?" in text:
        return _optional(python)

    def vectorised(s: pd.Series) -> pd.Series:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        values = s.to_numpy(dtype=object)
        if not all(type(v) is str for v in values):
            return python(s)
        matched = pc.match_substring_regex(pa.array(values, type=pa.string()), text)
        passed = matched.to_numpy(zero_copy_only=False).astype(bool)
        for index in np.nonzero(~passed)[0].tolist():
            passed[index] = bool(pattern.search(values[index]))
        return pd.Series(passed, index=s.index)

    return _optional(vectorised)


def _number_checks(column: Column) -> list[tuple[str, str, Test]]:
    if column.logical_type == "integer":
        name, message = "is_integer", "is not a whole number"
        integer = re.compile(r"^[+-]?\d+$")

        def parse(s: pd.Series) -> pd.Series:
            return pd.to_numeric(
                s.where(s.str.fullmatch(integer).fillna(False).astype(bool)), errors="coerce"
            )
    else:
        name, message = "is_number", "is not a number"

        def parse(s: pd.Series) -> pd.Series:
            return pd.to_numeric(s.str.strip().replace("", None), errors="coerce")

    checks: list[tuple[str, str, Test]] = [(name, message, _optional(lambda s: parse(s).notna()))]
    return checks + _range_checks(column, parse)


def _date_checks(column: Column) -> list[tuple[str, str, Test]]:
    kind = column.logical_type
    jdk = column.format or _DEFAULT_FORMATS.get(kind)
    if jdk is not None:
        shape = re.compile("^" + _jdk_regex(jdk) + "$")
        fmt = strptime_format(jdk)

        def parse(s: pd.Series) -> pd.Series:
            shaped = s.where(s.str.fullmatch(shape).fillna(False).astype(bool))
            return pd.to_datetime(shaped, format=fmt, errors="coerce")

        described = f"a {kind} in the form {jdk}"
    else:  # a timestamp without a stated format: ISO 8601
        offset = _OFFSET if column.timezone else _OFFSET + "?"
        shape = re.compile("^" + _ISO_TIMESTAMP + offset + "$")

        def parse(s: pd.Series) -> pd.Series:
            shaped = s.where(s.str.fullmatch(shape).fillna(False).astype(bool))
            return pd.to_datetime(shaped, format="ISO8601", utc=True, errors="coerce")

        described = "an ISO 8601 timestamp" + (" with a UTC offset" if column.timezone else "")
    checks: list[tuple[str, str, Test]] = [
        (f"is_{kind}", f"is not {described}", _optional(lambda s: parse(s).notna()))
    ]
    return checks + _range_checks(column, parse)


def _range_checks(
    column: Column, parse: Callable[[pd.Series], pd.Series]
) -> list[tuple[str, str, Test]]:
    bounds = (
        ("minimum", column.minimum, "is below the minimum", lambda v, b: v >= b),
        ("maximum", column.maximum, "is above the maximum", lambda v, b: v <= b),
        (
            "exclusive_minimum",
            column.exclusive_minimum,
            "is not above the exclusive minimum",
            lambda v, b: v > b,
        ),
        (
            "exclusive_maximum",
            column.exclusive_maximum,
            "is not below the exclusive maximum",
            lambda v, b: v < b,
        ),
    )
    checks: list[tuple[str, str, Test]] = []
    for name, bound, message, compare in bounds:
        if bound is None:
            continue
        limit = _bound(column, bound)
        checks.append((name, f"{message} ({bound})", _in_range(parse, compare, limit)))
    return checks


def _in_range(parse, compare, limit) -> Test:
    def test(series: pd.Series) -> pd.Series:
        values = parse(series)
        # A value that does not parse has failed its type check; it is not out of range too.
        return values.isna() | compare(values, limit)

    return test


def _bound(column: Column, bound):
    if column.logical_type in ("date", "timestamp", "time"):
        stamp = pd.Timestamp(str(bound))
        if column.logical_type == "timestamp" and not column.format:
            stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        return stamp
    return bound


def _jdk_regex(jdk: str) -> str:
    out = []
    for token in re.findall(r"yyyy|MM|dd|HH|mm|ss|.", jdk):
        out.append(_JDK_TOKEN_PATTERNS.get(token, re.escape(token)))
    return "".join(out)


class RowChecker:
    """The contract's row checks, compiled once (per upload) and run on each chunk's
    **distinct values**: every test is per cell, so a test on the distinct values of a column,
    spread back over its rows, gives exactly what it gives on the rows themselves, and a
    value repeated in many rows is checked once. Failures and their order are those of
    `validate` on the same chunk (row, column position, check name), and a value is quoted
    only where a report may quote it (`Column.values_reportable`).
    """

    def __init__(self, contract: Contract):
        self.contract = contract
        self.columns = [(column, row_checks(column)) for column in contract.columns]

    def __call__(self, frame: pd.DataFrame, *, first_row: int = 0):
        """(failures, column problems) for `frame` (text or None, any index). A failure is a
        dict (row, column, check, message[, value]) with row = position + first_row; a
        problem is a ColumnProblem-shaped dict for a check that could not run."""
        import numpy as np

        failures: list[tuple[int, int, str, dict]] = []
        problems: list[dict] = []
        present = set(frame.columns)
        for position, (column, checks) in enumerate(self.columns):
            if column.name not in present:
                problems.append(
                    {
                        "column": column.name,
                        "check": "missing_column",
                        "message": f"column `{column.name}` is missing",
                    }
                )
                continue
            if not checks:
                continue
            raw = frame[column.name].to_numpy(dtype=object)
            codes, uniques = pd.factorize(raw)  # None -> -1
            # As `validate` sees them: a missing cell is the empty text.
            texts = pd.Series(np.append(uniques.astype(object), ""), dtype=object)
            codes = np.where(codes < 0, len(texts) - 1, codes)
            reportable = column.values_reportable
            for check_name, message, test in checks:
                try:
                    passed = np.asarray(test(texts), dtype=bool)
                except Exception:  # noqa: BLE001 - reported as not run, as pandera does
                    problems.append(
                        {
                            "column": column.name,
                            "check": "check_not_run",
                            "message": f"check `{check_name}` could not run on column "
                            f"`{column.name}`",
                        }
                    )
                    continue
                if passed.all():
                    continue
                for row in np.nonzero(~passed[codes])[0].tolist():
                    failure = {
                        "row": row + first_row,
                        "column": column.name,
                        "check": check_name,
                        "message": f"{column.name} {message}",
                    }
                    if reportable:
                        failure["value"] = texts.iat[codes[row]]
                    failures.append((row, position, check_name, failure))
        for name in frame.columns:
            if self.contract.column(str(name)) is None:
                problems.append(
                    {
                        "column": str(name),
                        "check": "unexpected_column",
                        "message": f"column `{name}` is not in the contract",
                    }
                )
        failures.sort(key=lambda f: f[:3])
        return [f[3] for f in failures], problems
