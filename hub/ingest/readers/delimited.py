"""CSV files: comma-separated, double-quoted, any mix of CRLF, LF and CR line endings,
quoted fields may hold commas, quotes ("" inside quotes) and line breaks.

Only the comma is accepted as the delimiter. Encodings: see encoding.py. The file is
read twice, both times streaming: once to decide its encoding, once to parse it.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pyarrow as pa

from ..parse_errors import MISSING_HEADER, UNSUPPORTED_DELIMITER, ParseError
from ..parse_format import CSV
from ..parse_header import HeaderMap
from .base import ParseStats, RawChunk
from .csv_arrow import arrow_chunks
from .csv_python import MARK, marker_line, python_chunks, too_long, unclosed_quote
from .encoding import TextSniff, sniff_text_encoding

Engine = Literal["auto", "arrow", "python"]


def read_csv_header(path: str | Path, encoding: str) -> list[str]:
    """The names in row 1, as written. Raises `missing_header`, `unsupported_delimiter` or
    `unbalanced_quotes` (a quote in row 1 never closed: the names would hold data)."""
    with open(path, encoding=encoding, newline="") as text:
        try:
            header = next(csv.reader(itertools.chain(text, [marker_line(1)])), [])
        except csv.Error:
            raise too_long(1) from None
    if header and MARK in header[-1]:
        if header == [MARK]:  # nothing before the marker: a file of blank lines
            header = []
        else:
            raise unclosed_quote(1)
    if not any(name.strip() for name in header):
        raise ParseError(
            MISSING_HEADER,
            "Row 1 is empty. Row 1 must hold the column names, separated by commas.",
            row=1,
        )
    if len(header) == 1:
        for mark, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            if mark in header[0]:
                raise ParseError(
                    UNSUPPORTED_DELIMITER,
                    f"Row 1 holds a single column whose name contains {name}: the columns "
                    "seem to be separated by something other than commas. The hub reads "
                    "comma-separated files only.",
                    row=1,
                )
    return header


class CsvSource:
    """An opened CSV file. `engine`: "auto" (Arrow, handing over to the reference reader
    when Arrow cannot go on), or "arrow" / "python" alone (for tests and benchmarks)."""

    format = CSV
    header_where = "row 1"
    header_row = 1

    def __init__(self, path: str | Path, *, engine: Engine = "auto"):
        self.path = Path(path)
        self.engine = engine
        self.sniff: TextSniff = sniff_text_encoding(self.path)
        self.encoding: str | None = self.sniff.encoding
        self.header: list[str] | None = read_csv_header(self.path, self.sniff.encoding)

    def chunks(self, header: HeaderMap, chunk_size: int, stats: ParseStats) -> Iterator[RawChunk]:
        assert self.header is not None
        common = {
            "encoding": self.sniff.encoding,
            "width": len(self.header),
            "positions": header.positions,
            "chunk_size": chunk_size,
            "stats": stats,
        }
        last_row = 0
        if self.engine != "python":
            try:
                for chunk in arrow_chunks(
                    self.path, ends_with_newline=self.sniff.ends_with_newline, **common
                ):
                    last_row = int(chunk.rows[-1])
                    yield chunk
                return
            except pa.ArrowInvalid:
                if self.engine == "arrow":
                    raise
        yield from python_chunks(self.path, after_row=last_row, **common)


def open_csv(path: str | Path, *, engine: Engine = "auto") -> CsvSource:
    """Sniffs the encoding and reads the header; raises ParseError if either is unusable."""
    return CsvSource(path, engine=engine)
