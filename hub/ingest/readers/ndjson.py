"""NDJSON (application/x-ndjson): one JSON object per line, UTF-8.

Rows are numbered by line: line 1 is row 1. Blank lines are skipped (and counted in
`ParseStats.blank_rows`) but still count as lines. Each line must be a JSON object whose
values are strings, numbers, true/false or null; numbers keep the text they were written
with ("1.50" stays "1.50"), true/false become "true"/"false", null and "" become None.
The keys of the first object are the file's header (checked against the contract like a
CSV header); later objects may leave keys out (read as None) or add keys (a key that
matches no contract column is ignored and named in the warnings).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..parse_errors import (
    BAD_ENCODING,
    BAD_JSON,
    DUPLICATE_COLUMNS,
    FIELD_TOO_LONG,
    ParseError,
)
from ..parse_format import NDJSON
from ..parse_header import HeaderMap
from .base import ParseStats, RawChunk, Rechunker
from .encoding import UTF8, refuse_utf16_or_binary

MAX_LINE_BYTES = 1 << 20


class _Duplicate(Exception):
    def __init__(self, key: str):
        self.key = key


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return result


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) for every non-blank line; raises the encoding and size errors."""
    with open(path, "rb") as f:
        number = 0
        while raw := f.readline(MAX_LINE_BYTES + 1):
            number += 1
            if len(raw) > MAX_LINE_BYTES:
                raise ParseError(
                    FIELD_TOO_LONG,
                    f"Line {number} is longer than {MAX_LINE_BYTES:,} bytes. Each record "
                    "must be on one line of its own.",
                    row=number,
                )
            if number == 1:
                refuse_utf16_or_binary(raw[:4])
                raw = raw.removeprefix(codecs.BOM_UTF8)
            try:
                text = raw.decode(UTF8)
            except UnicodeDecodeError:
                raise ParseError(
                    BAD_ENCODING,
                    f"Line {number} is not valid UTF-8. NDJSON files must be UTF-8.",
                    row=number,
                ) from None
            yield number, text


def parse_record(text: str, row: int) -> dict[str, Any]:
    """One line as a JSON object with number literals kept as text."""
    try:
        record = json.loads(
            text.strip(),
            parse_int=str,
            parse_float=str,
            parse_constant=_refuse_constant,
            object_pairs_hook=_pairs,
        )
    except _Duplicate as dup:
        raise ParseError(
            DUPLICATE_COLUMNS,
            f"Line {row} has the key {dup.key!r} more than once.",
            row=row,
        ) from None
    except RecursionError:
        raise ParseError(
            BAD_JSON,
            f"Line {row} is nested too deeply to read (arrays or objects in arrays). Each line "
            "must be one JSON object whose values are strings, numbers, true, false or null.",
            row=row,
        ) from None
    except ValueError as error:  # JSONDecodeError, or NaN / Infinity
        reason = error.msg if isinstance(error, json.JSONDecodeError) else f"{error} is not JSON"
        where = f" at character {error.colno}" if isinstance(error, json.JSONDecodeError) else ""
        raise ParseError(
            BAD_JSON, f"Line {row} is not valid JSON ({reason}{where}).", row=row
        ) from None
    if not isinstance(record, dict):
        raise ParseError(BAD_JSON, f"Line {row} is not a JSON object ({{...}}).", row=row)
    return record


def _text(value: Any, key: str, row: int) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    raise ParseError(
        BAD_JSON,
        f"Line {row}: the value of {key!r} is a JSON object or array. Values must be "
        "strings, numbers, true, false or null.",
        row=row,
        details={"key": key},
    )


class NdjsonSource:
    format = NDJSON
    encoding: str | None = UTF8

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.header: list[str] | None = None
        self.header_where = "the first record"
        self.header_row: int | None = None
        for number, text in _lines(self.path):
            if text.strip():
                self.header = list(parse_record(text, number))
                self.header_where = f"the first record (line {number})"
                self.header_row = number
                break

    def chunks(self, header: HeaderMap, chunk_size: int, stats: ParseStats) -> Iterator[RawChunk]:
        wanted = list(header.contract_columns)
        rechunker = Rechunker(chunk_size)
        stats.blank_rows = 0
        columns: dict[str, list[str | None]] = {name: [] for name in wanted}
        numbers: list[int] = []

        def piece() -> RawChunk:
            return RawChunk(
                np.array(numbers, dtype=np.int64),
                {name: np.array(values, dtype=object) for name, values in columns.items()},
            )

        for number, text in _lines(self.path):
            if not text.strip():
                stats.blank_rows += 1
                continue
            record = parse_record(text, number)
            row: dict[str, str | None] = {}
            for key, value in record.items():
                name = header.resolve(key)
                if name is None:
                    stats.ignore_key(key)
                    continue
                if name in row:
                    raise ParseError(
                        DUPLICATE_COLUMNS,
                        f"Line {number} has more than one key for the column {name!r}.",
                        row=number,
                    )
                row[name] = _text(value, key, number)
            for name in wanted:
                columns[name].append(row.get(name))
            numbers.append(number)
            if len(numbers) == chunk_size:
                yield from rechunker.add(piece())
                columns = {name: [] for name in wanted}
                numbers = []
        if numbers:
            yield from rechunker.add(piece())
        yield from rechunker.flush()


def open_ndjson(path: str | Path) -> NdjsonSource:
    """Reads up to the first record for its keys; raises ParseError if that fails."""
    return NdjsonSource(path)
