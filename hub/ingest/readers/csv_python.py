"""The reference CSV reader: Python's csv module, one record at a time.

It defines what a CSV file means to the hub (the Arrow reader in csv_arrow.py must agree
with it, and hands over to it whenever Arrow cannot go on), and it is where the precise
errors come from: `ragged_row`, `unbalanced_quotes` and `field_too_long`, with the row.

Rows are counted as records, not lines: the header is row 1 and each record after it is
one more row, however many lines a quoted field inside it spans. A record with no value
at all (a blank line, or a line of commas) is skipped but still counted, so the numbers
stay those a spreadsheet shows.

After the file's last byte the reader sees one more record made of MARK in every field.
MARK holds NUL characters, which the encoding sniff has already refused in the file, so
it cannot be data. If a quoted field is never closed, the marker ends up inside that
field instead of on its own: that is how an unclosed quote at the end of a file is told
apart from a field that really ends with a line break.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator, Mapping

import numpy as np

from ..parse_errors import FIELD_TOO_LONG, RAGGED_ROW, UNBALANCED_QUOTES, ParseError
from .base import ParseStats, RawChunk, Rechunker

MARK = "\x00hub-end-of-file\x00"


def marker_line(width: int) -> str:
    return ",".join([MARK] * width) + "\n"


def unclosed_quote(row: int) -> ParseError:
    return ParseError(
        UNBALANCED_QUOTES,
        f"Row {row} opens a quoted field that is never closed, so the rest of the file was "
        f'read as part of it. Add the missing closing quote (") in row {row}.',
        row=row,
    )


def ragged(row: int, fields: int, width: int, first_line: int, last_line: int) -> ParseError:
    if first_line == last_line == row:
        where = ""
    elif first_line == last_line:
        where = f" (line {first_line} of the file)"
    else:
        where = f" (lines {first_line}-{last_line} of the file)"
    return ParseError(
        RAGGED_ROW,
        f"Row {row}{where} has {fields} field(s) but the header (row 1) has {width}. Each row "
        "needs one value for every column: check for a missing or extra comma, or an "
        "unclosed quote, in or just before this row.",
        row=row,
        details={"fields": fields, "expected_fields": width},
    )


def too_long(row: int) -> ParseError:
    limit = csv.field_size_limit()
    return ParseError(
        FIELD_TOO_LONG,
        f"Row {row} has a field longer than {limit:,} characters. This usually means a "
        f"quote in or before row {row} is not closed.",
        row=row,
    )


def objects(column: np.ndarray) -> np.ndarray:
    """An object array of str with "" made None."""
    column = np.array(column, dtype=object)
    column[column == ""] = None
    return column


def python_chunks(
    path,
    *,
    encoding: str,
    width: int,
    positions: Mapping[str, int],
    chunk_size: int,
    stats: ParseStats,
    after_row: int = 0,
) -> Iterator[RawChunk]:
    """Chunks of the data rows numbered above `after_row` (rows up to it were handed out
    already by the Arrow reader). Counts every blank row of the file into `stats`."""
    marker = [MARK] * width
    rechunker = Rechunker(chunk_size)
    stats.blank_rows = 0
    records: list[list[str]] = []
    numbers: list[int] = []
    row = 0
    line = 0

    def piece() -> RawChunk:
        table = np.array(records, dtype=object).reshape(len(records), width)
        return RawChunk(
            np.array(numbers, dtype=np.int64),
            {name: objects(table[:, i]) for name, i in positions.items()},
        )

    with open(path, encoding=encoding, newline="") as text:
        reader = csv.reader(itertools.chain(text, [marker_line(width)]))
        while True:
            first_line = line + 1
            try:
                record = next(reader)
            except csv.Error:
                raise too_long(row + 1) from None
            except StopIteration:  # only if the marker was swallowed without a trace
                raise unclosed_quote(row) from None
            row += 1
            line = reader.line_num
            if record == marker:
                break
            if record and MARK in record[-1]:
                raise unclosed_quote(row)
            if row == 1:
                continue
            if not any(record):
                stats.blank_rows += 1
                continue
            if len(record) != width:
                raise ragged(row, len(record), width, first_line, line)
            if row <= after_row:
                continue
            records.append(record)
            numbers.append(row)
            if len(records) == chunk_size:
                yield from rechunker.add(piece())
                records.clear()
                numbers.clear()
    if records:
        yield from rechunker.add(piece())
    yield from rechunker.flush()
