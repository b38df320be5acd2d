"""The fast CSV reader: pyarrow's streaming CSV reader, block by block.

It reads the same records as csv_python.py and numbers them the same way (the header is
row 1; one record, one row; blank records skipped but counted). It raises
pyarrow.ArrowInvalid for anything it cannot read (a row with the wrong number of fields,
a record longer than a block); the CSV source then hands over to the reference reader,
which resumes after the last row handed out and names the row at fault. An unclosed
quote at the very end of the file is caught here through the end-of-file marker.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pacsv

from .base import ParseStats, RawChunk
from .csv_python import MARK, marker_line, unclosed_quote
from .encoding import WINDOWS_1252

BLOCK_SIZE = 1 << 20


class _FileThenTail(io.RawIOBase):
    """The file's bytes followed by `tail`."""

    def __init__(self, path, tail: bytes):
        self._file = open(path, "rb")  # closed by close()
        self._tail = tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._file.readinto(buffer)
        if n:
            return n
        n = min(len(buffer), len(self._tail))
        buffer[:n] = self._tail[:n]
        self._tail = self._tail[n:]
        return n

    def close(self) -> None:
        self._file.close()
        super().close()


def arrow_chunks(
    path,
    *,
    encoding: str,
    ends_with_newline: bool,
    width: int,
    positions: Mapping[str, int],
    chunk_size: int,
    stats: ParseStats,
    block_size: int | None = None,
) -> Iterator[RawChunk]:
    block_size = block_size or BLOCK_SIZE
    names = [f"c{i}" for i in range(width)]
    wanted = list(positions.items())
    tail = ("" if ends_with_newline else "\n") + marker_line(width)
    pending = _Pending(chunk_size, [name for name, _ in wanted])
    stats.blank_rows = 0
    next_row = 1  # the header is the first record Arrow reads
    seen_marker = False
    with _FileThenTail(path, tail.encode("ascii")) as stream:
        reader = pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(
                column_names=names,
                block_size=block_size,
                # Arrow skips a UTF-8 byte-order mark itself.
                encoding=WINDOWS_1252 if encoding == WINDOWS_1252 else "utf8",
            ),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
        for batch in reader:
            n = batch.num_rows
            if n == 0:
                continue
            numbers = np.arange(next_row, next_row + n, dtype=np.int64)
            next_row += n
            keep = np.ones(n, dtype=bool)
            if numbers[0] == 1:
                keep[0] = False
            last = batch.column(width - 1)[n - 1].as_py()
            if last is not None and MARK in last:
                if all(batch.column(i)[n - 1].as_py() == MARK for i in range(width)):
                    keep[n - 1] = False
                    seen_marker = True
                else:
                    raise unclosed_quote(int(numbers[n - 1]))
            filled = batch.column(0).is_valid()
            for i in range(1, width):
                filled = pc.or_(filled, batch.column(i).is_valid())
            filled = filled.to_numpy(zero_copy_only=False)
            stats.blank_rows += int(np.count_nonzero(keep & ~filled))
            keep &= filled
            piece = pa.RecordBatch.from_arrays(
                [batch.column(i) for _, i in wanted] + [pa.array(numbers)],
                names=[*pending.names, _ROW],
            )
            if not keep.all():
                piece = piece.filter(pa.array(keep))
            yield from pending.add(piece)
    if not seen_marker:
        raise unclosed_quote(next_row - 1)
    yield from pending.flush()


_ROW = "\x00row"


class _Pending:
    """Arrow batches waiting to become chunks of exactly `chunk_size` rows. They stay in
    Arrow (slicing and joining there copies nothing) until a chunk is handed out."""

    def __init__(self, chunk_size: int, names: list[str]):
        self.chunk_size = chunk_size
        self.names = names
        self._batches: list[pa.RecordBatch] = []
        self._rows = 0

    def add(self, batch: pa.RecordBatch) -> Iterator[RawChunk]:
        if batch.num_rows:
            self._batches.append(batch)
            self._rows += batch.num_rows
        while self._rows >= self.chunk_size:
            table = pa.Table.from_batches(self._batches)
            rest = table.slice(self.chunk_size)
            self._batches = rest.to_batches()
            self._rows = rest.num_rows
            yield self._chunk(table.slice(0, self.chunk_size))

    def flush(self) -> Iterator[RawChunk]:
        if self._rows:
            yield self._chunk(pa.Table.from_batches(self._batches))

    def _chunk(self, table: pa.Table) -> RawChunk:
        return RawChunk(
            table.column(_ROW).to_numpy(),
            {name: table.column(name).to_numpy(zero_copy_only=False) for name in self.names},
        )
