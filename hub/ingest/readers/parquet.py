"""Parquet (application/vnd.apache.parquet), read batch by batch with
pyarrow.parquet.ParquetFile.iter_batches, only the columns the contract names.

Rows are numbered from 1 (row index + 1). Every value becomes text: strings as they are
(dictionary-encoded too), numbers, booleans ("true"/"false"), dates and decimals as Arrow
writes them, timestamps as ISO 8601 ("2019-05-31T23:01:00", "…Z" when in UTC, fractions
of a second only when not zero). Null and "" become None. Nested types (lists, structs,
maps) are refused as `unsupported_type`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..parse_errors import BAD_ENCODING, NOT_PARQUET, UNSUPPORTED_TYPE, ParseError
from ..parse_format import PARQUET
from ..parse_header import HeaderMap
from .base import ParseStats, RawChunk, Rechunker


def _not_parquet() -> ParseError:
    return ParseError(
        NOT_PARQUET,
        "The file could not be read as Parquet: it is not a Parquet file, or it is "
        "incomplete. Send the whole .parquet file.",
    )


def _open(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError):
        raise _not_parquet() from None


def as_text(values: pa.Array) -> pa.Array:
    """A string array of `values`, with "" as null."""
    kind = values.type
    if pa.types.is_dictionary(kind):
        return as_text(values.dictionary_decode())
    if pa.types.is_timestamp(kind):
        text = pc.cast(values, pa.string())
        text = pc.replace_substring(text, " ", "T", max_replacements=1)
        text = pc.replace_substring_regex(text, r"\.0+(Z?)$", r"\1")
    else:
        text = pc.cast(values, pa.string())
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _nested(kind: pa.DataType) -> bool:
    return pa.types.is_nested(kind)


class ParquetSource:
    format = PARQUET
    encoding: str | None = None
    header_where = "the Parquet schema"
    header_row: int | None = None

    def __init__(self, path: str | Path):
        self.path = Path(path)
        with _open(self.path) as file:
            self.schema = file.schema_arrow
        self.header: list[str] | None = list(self.schema.names)

    def chunks(self, header: HeaderMap, chunk_size: int, stats: ParseStats) -> Iterator[RawChunk]:
        wanted = {name: self.header[i] for name, i in header.positions.items()}
        for found in wanted.values():
            kind = self.schema.field(found).type
            if _nested(kind):
                raise ParseError(
                    UNSUPPORTED_TYPE,
                    f"The column {found!r} holds {kind}; the hub reads only flat columns "
                    "(text, numbers, booleans, dates, timestamps).",
                    details={"column": found},
                )
        rechunker = Rechunker(chunk_size)
        next_row = 1
        with _open(self.path) as file:
            batches = file.iter_batches(batch_size=chunk_size, columns=list(wanted.values()))
            while True:
                try:
                    batch = next(batches)
                except StopIteration:
                    break
                except (pa.ArrowException, OSError):
                    raise _not_parquet() from None
                n = batch.num_rows
                columns = {}
                for name, found in wanted.items():
                    try:
                        text = as_text(batch.column(found))
                    except pa.ArrowInvalid:
                        raise ParseError(
                            BAD_ENCODING,
                            f"The column {found!r} holds bytes that are not UTF-8 text in "
                            f"rows {next_row}-{next_row + n - 1}.",
                            details={"column": found},
                        ) from None
                    columns[name] = text.to_numpy(zero_copy_only=False)
                numbers = np.arange(next_row, next_row + n, dtype=np.int64)
                next_row += n
                yield from rechunker.add(RawChunk(numbers, columns))
        yield from rechunker.flush()


def open_parquet(path: str | Path) -> ParquetSource:
    """Reads the footer for the schema; raises `not_parquet` if it cannot."""
    return ParquetSource(path)
