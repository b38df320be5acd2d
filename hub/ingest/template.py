"""A CSV template for a dataset: the contract's header and a few rows that pass its checks.

Senders start from a file the hub accepts instead of from the contract's prose. Every value
is synthetic: NHS numbers from the 999 range (never issued), UPNs of local authority 999
(no such authority), PNC IDs with serials from 9999000, public postcodes, invented names.
Each value comes from the first source that applies: an identifier kind, the listed
values (enum), the contract's examples, the valid values a quality rule lists, then the
logical type with its pattern, bounds and lengths.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import re._parser as sre  # the standard library's own regex parser (3.11+), to build matches
from collections.abc import Callable
from datetime import date, datetime, timedelta

from hub.contracts import Column, Contract
from hub.pseudonymise import nhs_check_digit, pnc_check_character, upn_check_letter

ROWS = 3
_FORENAMES = ("Alex", "Sam", "Jordan", "Casey", "Riley")
_SURNAMES = ("Smith", "Jones", "Taylor", "Brown", "Wilson")
_POSTCODES = ("NE1 4ST", "NE2 1AB", "NE6 5QD", "SR1 3SD", "DH1 3NJ")
_DATES_OF_BIRTH = (date(2010, 3, 14), date(2011, 7, 2), date(2009, 11, 23))
_RECENT = date(2026, 1, 12)
# A place inside every UK latitude/longitude bound the contracts use (Newcastle upon Tyne).
_LATITUDE, _LONGITUDE = 54.9738, -1.6132
_JDK_TOKENS = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}


def template_rows(contract: Contract, rows: int = ROWS) -> list[dict[str, str]]:
    """`rows` rows of text, keyed by the contract's column names, that pass its row checks."""
    listed = _quality_valid_values(contract)
    return [
        {
            column.name: example_value(column, row, listed.get(column.name, ()))
            for column in contract.columns
        }
        for row in range(rows)
    ]


def template_csv(contract: Contract, rows: int = ROWS) -> str:
    """The template as CSV text (RFC 4180: CRLF line ends, quotes only where needed)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(contract.column_names))
    writer.writeheader()
    writer.writerows(template_rows(contract, rows))
    return out.getvalue()


def example_value(column: Column, row: int, listed: tuple[str, ...] = ()) -> str:
    """A valid value of `column` for template row `row` (0-based), as text."""
    if column.identifier_kind:
        return _IDENTIFIERS[column.identifier_kind](column, row)
    for source in (column.enum, column.examples, listed):
        if source:
            return str(source[row % len(source)])
    return _BY_TYPE.get(column.logical_type, _string)(column, row)


def _quality_valid_values(contract: Contract) -> dict[str, tuple[str, ...]]:
    listed: dict[str, tuple[str, ...]] = {}
    for rule in contract.quality:
        values = (rule.arguments or {}).get("validValues")
        if rule.column and rule.metric == "invalidValues" and values:
            listed[rule.column] = tuple(str(v) for v in values)
    return listed


# --- identifiers ------------------------------------------------------------------------------


def _nhs_number(column: Column, row: int) -> str:
    # Walk the 999 test range to the row's n-th nine-digit start that has a check digit.
    found, body = -1, 0
    while True:
        first9 = f"999{body:06d}"
        check = nhs_check_digit(first9)
        if check is not None:
            found += 1
            if found == row:
                return first9 + check
        body += 1


def _upn(column: Column, row: int) -> str:
    last12 = f"999{2000 + row:04d}26{row + 1:03d}"  # LA 999, establishment, year, serial
    return upn_check_letter(last12) + last12


def _pnc_id(column: Column, row: int) -> str:
    year, serial = 19 + row % 5, 9_999_000 + row
    return f"{year:02d}/{serial:07d}{pnc_check_character(year, serial)}"


def _postcode(column: Column, row: int) -> str:
    return _POSTCODES[row % len(_POSTCODES)]


def _person_name(column: Column, row: int) -> str:
    names = _SURNAMES if "surname" in column.name.lower() else _FORENAMES
    return names[row % len(names)]


def _date_of_birth(column: Column, row: int) -> str:
    return _format_date(column, _within(column, _DATES_OF_BIRTH[row % len(_DATES_OF_BIRTH)]))


_IDENTIFIERS: dict[str, Callable[[Column, int], str]] = {
    "nhs_number": _nhs_number,
    "upn": _upn,
    "pnc_id": _pnc_id,
    "postcode": _postcode,
    "person_name": _person_name,
    "date_of_birth": _date_of_birth,
}


# --- logical types ------------------------------------------------------------------------------


def _string(column: Column, row: int) -> str:
    if column.pattern:
        return _matching(column.pattern, row, _nice_strings(column, row))
    text = f"Example {column.name.replace('_', ' ')} {row + 1}"
    if column.min_length and len(text) < column.min_length:
        text = text.ljust(column.min_length, "x")
    return text[: column.max_length] if column.max_length else text


def _nice_strings(column: Column, row: int) -> list[str]:
    """Readable candidates for patterned strings; the first that matches wins."""
    stem = re.sub(r"[^A-Z0-9]", "", column.name.upper())[:3] or "REF"
    return [
        f"{stem}-{row + 1:04d}",
        f"E0100{row + 1:04d}",  # an LSOA code
        hashlib.sha256(f"{column.name}-{row}".encode()).hexdigest(),
    ]


def _integer(column: Column, row: int) -> str:
    low = _lower_bound(column, 0)
    high = _upper_bound(column, low + 100)
    return str(int(min(max(low, low + 1 + 2 * row), high)))


def _number(column: Column, row: int) -> str:
    name = column.name.lower()
    wanted = _LATITUDE if "lat" in name else _LONGITUDE if "lon" in name else 10.5
    low, high = _lower_bound(column, None), _upper_bound(column, None)
    value = wanted + row / 1000
    if (low is not None and value < low) or (high is not None and value > high):
        low = low if low is not None else (high - 10)
        high = high if high is not None else (low + 10)
        value = (low + high) / 2
    return f"{value:.4f}"


def _boolean(column: Column, row: int) -> str:
    return ("true", "false")[row % 2]


def _date(column: Column, row: int) -> str:
    return _format_date(column, _within(column, _RECENT + timedelta(days=7 * row)))


def _time(column: Column, row: int) -> str:
    moment = datetime(2026, 1, 12, 14 + row % 8, 30)
    return moment.strftime(_strftime(column.format or "HH:mm"))


def _timestamp(column: Column, row: int) -> str:
    moment = datetime(2026, 1, 12, 14, 30) + timedelta(days=row, minutes=5 * row)
    if column.format:
        return moment.strftime(_strftime(column.format))
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + "+00:00"


_BY_TYPE: dict[str, Callable[[Column, int], str]] = {
    "string": _string,
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "date": _date,
    "time": _time,
    "timestamp": _timestamp,
}


# --- bounds and formats ---------------------------------------------------------------------


def _lower_bound(column: Column, default):
    if column.minimum is not None:
        return float(column.minimum)
    if column.exclusive_minimum is not None:
        return float(column.exclusive_minimum) + 1
    return default


def _upper_bound(column: Column, default):
    if column.maximum is not None:
        return float(column.maximum)
    if column.exclusive_maximum is not None:
        return float(column.exclusive_maximum) - 1
    return default


def _within(column: Column, day: date) -> date:
    low = column.minimum if column.minimum is not None else column.exclusive_minimum
    high = column.maximum if column.maximum is not None else column.exclusive_maximum
    if low is not None and day <= _as_date(low):
        day = _as_date(low) + timedelta(days=1)
    if high is not None and day >= _as_date(high):
        day = _as_date(high) - timedelta(days=1)
    return day


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _format_date(column: Column, day: date) -> str:
    return day.strftime(_strftime(column.format or "yyyy-MM-dd"))


def _strftime(jdk: str) -> str:
    return "".join(
        _JDK_TOKENS.get(token, token.replace("%", "%%"))
        for token in re.findall(r"yyyy|MM|dd|HH|mm|ss|.", jdk)
    )


# --- a string that matches a regular expression ---------------------------------------------


def _matching(pattern: str, row: int, candidates: list[str]) -> str:
    # The row checks use a search (re.search semantics), as compile_rows does.
    compiled = re.compile(pattern)
    for candidate in candidates:
        if compiled.search(candidate):
            return candidate
    built = _build(sre.parse(pattern), row)
    if not compiled.search(built):
        raise ValueError(f"cannot build a template value for the pattern {pattern!r}")
    return built


def _build(parsed, row: int) -> str:
    out: list[str] = []
    for op, arg in parsed:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "IN":
            choices = _class_members(arg)
            out.append(choices[(row + len(out)) % len(choices)])
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, item = arg
            out.extend(_build(item, row) for _ in range(low))
        elif name == "SUBPATTERN":
            out.append(_build(arg[-1], row))
        elif name == "BRANCH":
            out.append(_build(arg[1][0], row))
        elif name == "ANY":
            out.append("a")
        elif name == "AT":
            continue  # anchors match no characters
        else:
            raise ValueError(f"unsupported regular expression element {name}")
    return "".join(out)


def _class_members(items) -> list[str]:
    members: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            members.append(chr(arg))
        elif name == "RANGE":
            members.extend(chr(c) for c in range(arg[0], arg[1] + 1))
        elif name == "CATEGORY" and str(arg) == "CATEGORY_DIGIT":
            members.extend("0123456789")
        elif name == "NEGATE":
            raise ValueError("negated character classes are not supported")
    if not members:
        raise ValueError("unsupported character class")
    return members
