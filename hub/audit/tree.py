"""This process's running Merkle tree of the log, so that signing a checkpoint and answering
a proof do not read and hash every event each time (both are public, unauthenticated calls).

It keeps the roots of the tree's perfect subtrees (for the current root) and the root of
every complete block of BLOCK leaves (n / BLOCK hashes: 32 bytes per thousand events), and
reads only the events appended since it last looked. A proof's subtree hashes then come from
the blocks, plus at most a few blocks' worth of leaf hashes read from the database.

Leaves already read are not read again, so an edit to old rows does not change what this
process signs or proves; `hub audit verify` finds such an edit. A process that first reads
the log after old rows were rewritten refuses to go on if the rows contradict the last
checkpoint kept (`known`).
"""

from __future__ import annotations

import threading

from sqlmodel import Session

from hub.audit import merkle
from hub.audit.log import LogCorrupted, leaf_hashes_between

BLOCK = 1024  # leaves per cached block root; a power of two


class LogTree:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._builder = merkle.TreeBuilder()  # the whole tree so far
        self._blocks: list[bytes] = []  # the roots of complete blocks, in order
        self._partial = merkle.TreeBuilder()  # the leaves of the incomplete last block

    @property
    def size(self) -> int:
        return self._builder.size

    def sync(self, session: Session, size: int, *, known: tuple[int, bytes] | None = None) -> None:
        """Read the events up to `size` not read yet.

        `known` is the last checkpoint kept, (size, root): when the leaves read now pass that
        size, the tree must have that root there, or LogCorrupted is raised and nothing read
        now is kept.
        """
        with self._lock:
            start = self._builder.size
            if size <= start:
                return
            hashes = leaf_hashes_between(session, start, size)
            builder, partial, blocks = self._builder.copy(), self._partial.copy(), []
            for offset, hashed in enumerate(hashes):
                builder.append(hashed)
                partial.append(hashed)
                if partial.size == BLOCK:
                    blocks.append(partial.root())
                    partial = merkle.TreeBuilder()
                if known is not None and builder.size == known[0] and builder.root() != known[1]:
                    raise LogCorrupted(
                        f"the first {known[0]} events no longer hash to the root signed for "
                        f"size {known[0]}: the log was altered after that checkpoint "
                        f"(found at event {start + offset})"
                    )
            self._builder, self._partial = builder, partial
            self._blocks.extend(blocks)

    def root(self, session: Session, size: int, *, known: tuple[int, bytes] | None = None) -> bytes:
        """MTH of the first `size` events, reading the new ones first."""
        self.sync(session, size, known=known)
        with self._lock:
            if size == self._builder.size:
                return self._builder.root()
        return self.subtree(session, 0, size)

    def subtree(self, session: Session, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi]) for hi up to the size synced: from the blocks where a perfect,
        block-aligned subtree allows, from leaf hashes read from the database elsewhere."""
        with self._lock:
            if hi > self._builder.size:
                raise ValueError(f"the tree has read {self._builder.size} events, not {hi}")
            blocks = self._blocks  # only ever appended to: a stable prefix for this call
        return self._mth(session, blocks, lo, hi)

    def _mth(self, session: Session, blocks: list[bytes], lo: int, hi: int) -> bytes:
        n = hi - lo
        if n == 0:
            return merkle.EMPTY_ROOT
        perfect = n & (n - 1) == 0
        if perfect and n >= BLOCK and lo % BLOCK == 0 and hi // BLOCK <= len(blocks):
            return merkle.root_from_hashes(blocks[lo // BLOCK : hi // BLOCK])
        if n <= BLOCK:
            return merkle.root_from_hashes(leaf_hashes_between(session, lo, hi))
        k = 1 << ((n - 1).bit_length() - 1)  # RFC 6962's split: the largest power of 2 < n
        return merkle.node_hash(
            self._mth(session, blocks, lo, lo + k), self._mth(session, blocks, lo + k, hi)
        )

    def inclusion_proof(self, session: Session, index: int, size: int) -> list[bytes]:
        return [self.subtree(session, lo, hi) for lo, hi in merkle.inclusion_ranges(index, size)]

    def consistency_proof(self, session: Session, old_size: int, new_size: int) -> list[bytes]:
        ranges = merkle.consistency_ranges(old_size, new_size)
        return [self.subtree(session, lo, hi) for lo, hi in ranges]
