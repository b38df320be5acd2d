"""Merkle hash trees exactly as RFC 6962 section 2.1 (and RFC 9162 section 2.1) define them.

Pure functions, no I/O. Leaves are leaf *input* bytes (the canonical event bytes); the
`*_from_hashes` variants take leaf hashes, so that callers holding stored hashes (the log
keeps one per event) compute roots and proofs without rehashing every leaf.

    leaf hash   = SHA-256(0x00 || leaf)
    node hash   = SHA-256(0x01 || left || right)
    empty tree  = SHA-256("")

Work is linear in the number of leaves and memory logarithmic beyond the input list.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1): RFC 6962's k."""
    return 1 << ((n - 1).bit_length() - 1)


class TreeBuilder:
    """Appends leaf hashes one by one and gives the root of the tree so far at any time.

    It keeps the roots of the perfect subtrees that make up the tree (a compact range), so
    appending is amortised O(1) and `root()` is O(log n).
    """

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[bytes] = []

    def append(self, hash_: bytes) -> None:
        self._stack.append(hash_)
        self.size += 1
        size = self.size
        while size & 1 == 0:  # merge perfect subtrees of equal height
            right = self._stack.pop()
            self._stack[-1] = node_hash(self._stack[-1], right)
            size >>= 1

    def copy(self) -> TreeBuilder:
        other = TreeBuilder()
        other.size, other._stack = self.size, list(self._stack)
        return other

    def extend(self, hashes: Iterable[bytes]) -> TreeBuilder:
        for h in hashes:
            self.append(h)
        return self

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        result = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            result = node_hash(left, result)
        return result


def root_from_hashes(hashes: Sequence[bytes]) -> bytes:
    return TreeBuilder().extend(hashes).root()


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over leaf inputs."""
    return root_from_hashes([leaf_hash(leaf) for leaf in leaves])


def _subtree(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    return TreeBuilder().extend(hashes[i] for i in range(lo, hi)).root()


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges [lo, hi) whose subtree hashes make PATH(index, D[size]) (RFC 6962
    section 2.1.1), in proof order: from the leaf up. The ranges are disjoint."""
    if not 0 <= index < size:
        raise ValueError(f"no leaf {index} in a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    lo, hi, m = 0, size, index
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m = lo + k, m - k
    ranges.reverse()  # RFC order: from the leaf up
    return ranges


def inclusion_proof_from_hashes(index: int, size: int, hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 section 2.1.1, given the leaf hashes of at least `size` leaves."""
    ranges = inclusion_ranges(index, size)
    if size > len(hashes):
        raise ValueError(f"a tree of size {size} needs {size} leaves; {len(hashes)} given")
    return [_subtree(hashes, lo, hi) for lo, hi in ranges]


def inclusion_proof(index: int, size: int, leaves: Sequence[bytes]) -> list[bytes]:
    return inclusion_proof_from_hashes(index, size, [leaf_hash(x) for x in leaves[:size]])


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges [lo, hi) whose subtree hashes make PROOF(m, D[n]) (RFC 6962 section
    2.1.2), in proof order; none when m == n. The ranges are disjoint."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to size {new_size}")
    ranges: list[tuple[int, int]] = []
    lo, hi, m, complete = 0, new_size, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    if old_size != new_size and not complete:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


def consistency_proof_from_hashes(
    old_size: int, new_size: int, hashes: Sequence[bytes]
) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 6962 section 2.1.2 for 0 < m <= n; empty when m == n."""
    ranges = consistency_ranges(old_size, new_size)
    if new_size > len(hashes):
        raise ValueError(f"a tree of size {new_size} needs {new_size} leaves; {len(hashes)} given")
    return [_subtree(hashes, lo, hi) for lo, hi in ranges]


class RangeRoots:
    """The roots of disjoint leaf ranges, built while leaf hashes stream past in index order:
    a proof over a log too large to hold, in memory logarithmic in its size."""

    def __init__(self, ranges: Sequence[tuple[int, int]]) -> None:
        self._ranges = list(ranges)
        self._order = sorted(range(len(self._ranges)), key=lambda j: self._ranges[j][0])
        self._builders = [TreeBuilder() for _ in self._ranges]
        self._at = 0

    def add(self, index: int, hash_: bytes) -> None:
        """Feed the leaf hash at `index`; indexes must come in increasing order."""
        order, ranges = self._order, self._ranges
        while self._at < len(order) and ranges[order[self._at]][1] <= index:
            self._at += 1
        if self._at < len(order) and ranges[order[self._at]][0] <= index:
            self._builders[order[self._at]].append(hash_)

    def roots(self) -> list[bytes]:
        """The ranges' roots, in the order the ranges were given."""
        for (lo, hi), builder in zip(self._ranges, self._builders, strict=True):
            if builder.size != hi - lo:
                raise ValueError(f"leaves {lo} to {hi - 1} were not all given")
        return [builder.root() for builder in self._builders]


def consistency_proof(old_size: int, new_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    return consistency_proof_from_hashes(
        old_size, new_size, [leaf_hash(x) for x in leaves[:new_size]]
    )


def _hashes_ok(*hashes: bytes) -> bool:
    return all(isinstance(h, bytes | bytearray) and len(h) == HASH_SIZE for h in hashes)


def verify_inclusion(
    *, index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if not 0 <= index < size or not _hashes_ok(leaf_hash, root, *proof):
        return False
    fn, sn, r = index, size - 1, bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and hmac.compare_digest(r, root)


def verify_consistency(
    *, old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2; equal sizes need an empty proof and equal roots."""
    if old_size < 0 or new_size < old_size:
        return False
    if old_size == new_size:
        return not proof and hmac.compare_digest(bytes(old_root), bytes(new_root))
    if old_size == 0 or not proof or not _hashes_ok(old_root, new_root, *proof):
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is a subtree
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and hmac.compare_digest(fr, old_root) and hmac.compare_digest(sr, new_root)
