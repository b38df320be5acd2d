"""The parse stage: a file on disk in, chunks of text out, in bounded memory.

    feed = parse_file(path, media_type="text/csv", contract_columns=[...], required={...})
    feed.warnings()            # ignored / missing optional columns, known up front
    for chunk in feed.chunks(): ...

Each chunk is a pandas.DataFrame:
- columns: the contract's column names, in the contract's order; an optional column the
  file lacks is all None;
- values: Python str, or None where the value is missing. Missing means an empty field
  ("" and ,, alike), JSON null or "", or a Parquet null. Values are not trimmed.
  dtype is object throughout, so None stays None (pandas' own string dtype would turn it
  into NaN);
- index: named "row" (ROW), int64, the sender's own row number, for messages such as
  "row 7: ...":
  * CSV: as a spreadsheet numbers rows: the header is row 1, the first data row row 2.
    Records are counted, not lines: a quoted field holding a line break does not move
    the rows after it. Blank records (an empty line, or only commas) are skipped but
    still counted, so the numbers never drift from what the sender sees.
  * NDJSON: the line number (line 1 is row 1; blank lines skipped but counted).
  * Parquet: the row index + 1.
Every chunk but the last has exactly `chunk_size` rows. A file with a header and no data
rows (CSV header only, NDJSON of blank lines, Parquet with no rows) gives no chunks: it
is not an error here, callers decide.

CSV means comma-separated (no other delimiter), double quotes, CRLF/LF/CR line endings,
in UTF-8, UTF-8 with a byte-order mark or Windows-1252 (readers/encoding.py decides in a
first streaming pass). NDJSON must be UTF-8.

Errors are ParseError (hub/ingest/parse_errors.py) with a stable code and, where one row
is at fault, its number. Messages never repeat a cell value. Read one `chunks()` iterator
at a time per feed: they share `stats`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .parse_format import CSV, NDJSON, PARQUET, SNIFF_BYTES, detect_format
from .parse_header import HeaderMap, map_header
from .readers import ParseStats, Source, open_csv, open_ndjson, open_parquet

ROW = "row"
DEFAULT_CHUNK_SIZE = 10_000


@dataclass(frozen=True)
class ParsedFeed:
    """An opened, header-checked file. `chunks()` reads it (again) from the start each
    time it is called; `stats` is filled in as the chunks are read."""

    path: Path
    format: str
    encoding: str | None
    header: HeaderMap
    chunk_size: int
    source: Source = field(repr=False)
    stats: ParseStats = field(default_factory=ParseStats)

    def chunks(self) -> Iterator[pd.DataFrame]:
        self.stats.rows = self.stats.chunks = 0
        self.stats.ignored_keys.clear()
        if self.source.header is None:
            return
        columns = self.header.contract_columns
        for raw in self.source.chunks(self.header, self.chunk_size, self.stats):
            n = len(raw.rows)
            data = {
                name: raw.columns[name] if name in raw.columns else np.full(n, None, dtype=object)
                for name in columns
            }
            self.stats.rows += n
            self.stats.chunks += 1
            index = pd.Index(raw.rows, name=ROW)
            yield pd.DataFrame(data, index=index, columns=columns, dtype=object)

    def warnings(self) -> list[str]:
        """Notes for the sender; complete once `chunks()` has been read to the end."""
        notes = self.header.warnings()
        later = sorted(self.stats.ignored_keys - set(self.header.extra))
        if later:
            more = " and others" if self.stats.ignored_keys_truncated else ""
            notes.append(
                "Keys not in the contract were ignored: "
                + ", ".join(repr(k) for k in later)
                + more
                + "."
            )
        if self.stats.blank_rows:
            notes.append(f"{self.stats.blank_rows} blank row(s) were skipped.")
        return notes


def open_source(format: str, path: str | Path) -> Source:
    opener = {CSV: open_csv, NDJSON: open_ndjson, PARQUET: open_parquet}[format]
    return opener(path)


def parse_file(
    path: str | Path,
    *,
    media_type: str | None,
    contract_columns: list[str],
    required: set[str],
    aliases: dict[str, tuple[str, ...]] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    source: Source | None = None,
) -> ParsedFeed:
    """Opens `path`, works out its format and encoding and checks its header against the
    contract. Reading the rows is left to `ParsedFeed.chunks()`. `source` lets a caller
    pass a reader opened by hand (open_csv(path, engine="python"), say)."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    path = Path(path)
    if source is None:
        with open(path, "rb") as f:
            first_bytes = f.read(SNIFF_BYTES)
        source = open_source(detect_format(media_type, first_bytes), path)
    if source.header is None:
        header = HeaderMap(found=(), contract_columns=tuple(contract_columns), positions={})
    else:
        header = map_header(
            source.header,
            contract_columns,
            required,
            aliases=aliases,
            where=source.header_where,
            row=source.header_row,
        )
    return ParsedFeed(
        path=path,
        format=source.format,
        encoding=source.encoding,
        header=header,
        chunk_size=chunk_size,
        source=source,
    )
