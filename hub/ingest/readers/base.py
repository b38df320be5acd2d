"""What every reader hands the parse stage: raw chunks of text columns with row numbers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

import numpy as np

from ..parse_header import HeaderMap

# Caps the list of unknown NDJSON keys kept for the warnings: keys could be data.
MAX_REPORTED_KEYS = 20


class RawChunk(NamedTuple):
    """`rows`: int64 sender row numbers. `columns`: contract column name -> object array of
    str or None, for the contract columns the file has (all the same length as `rows`)."""

    rows: np.ndarray
    columns: dict[str, np.ndarray]


@dataclass
class ParseStats:
    """Counts a reader keeps while it runs; final once the chunks are exhausted."""

    rows: int = 0
    chunks: int = 0
    blank_rows: int = 0
    ignored_keys: set[str] = field(default_factory=set)
    ignored_keys_truncated: bool = False

    def ignore_key(self, key: str) -> None:
        if key in self.ignored_keys:
            return
        if len(self.ignored_keys) < MAX_REPORTED_KEYS:
            self.ignored_keys.add(key)
        else:
            self.ignored_keys_truncated = True


class Source(Protocol):
    """An opened file of one format. `header` is None when the file has no records at all
    (only possible for NDJSON); `header_where` and `header_row` say, for messages, where
    the column names came from."""

    format: str
    encoding: str | None
    header: list[str] | None
    header_where: str
    header_row: int | None

    def chunks(
        self, header: HeaderMap, chunk_size: int, stats: ParseStats
    ) -> Iterator[RawChunk]: ...


class Rechunker:
    """Collects pieces of any size and hands out chunks of exactly `chunk_size` rows."""

    def __init__(self, chunk_size: int):
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        self.chunk_size = chunk_size
        self._pieces: list[RawChunk] = []
        self._size = 0

    def add(self, piece: RawChunk) -> Iterator[RawChunk]:
        """Adds a piece and yields every full chunk now available."""
        if len(piece.rows):
            self._pieces.append(piece)
            self._size += len(piece.rows)
        while self._size >= self.chunk_size:
            yield self._take(self.chunk_size)

    def flush(self) -> Iterator[RawChunk]:
        if self._size:
            yield self._take(self._size)

    def _take(self, n: int) -> RawChunk:
        taken: list[RawChunk] = []
        count = 0
        while count < n:
            piece = self._pieces[0]
            need = n - count
            if len(piece.rows) <= need:
                taken.append(self._pieces.pop(0))
                count += len(piece.rows)
            else:
                taken.append(_slice(piece, 0, need))
                self._pieces[0] = _slice(piece, need, len(piece.rows))
                count += need
        self._size -= n
        if len(taken) == 1:
            return taken[0]
        return RawChunk(
            np.concatenate([p.rows for p in taken]),
            {name: np.concatenate([p.columns[name] for p in taken]) for name in taken[0].columns},
        )


def _slice(piece: RawChunk, start: int, stop: int) -> RawChunk:
    return RawChunk(
        piece.rows[start:stop], {name: a[start:stop] for name, a in piece.columns.items()}
    )
