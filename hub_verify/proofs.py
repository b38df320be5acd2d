"""RFC 6962 Merkle tree hashing and the proof checks of RFC 9162 section 2.1.3.2 (inclusion)
and 2.1.4.2 (consistency), written out step by step so that they can be read against the RFC.

    leaf hash   = SHA-256(0x00 || leaf)
    node hash   = SHA-256(0x01 || left || right)
    empty tree  = SHA-256("")
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _well_formed(*hashes: bytes) -> bool:
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in hashes)


def verify_inclusion(
    *, index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """True if `proof` shows that the leaf hash `leaf` sits at `index` in the tree of `size`
    leaves whose root is `root` (RFC 9162 section 2.1.3.2)."""
    if not 0 <= index < size or not _well_formed(leaf, root, *proof):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            while fn % 2 == 0 and fn != 0:  # climb past the levels where we were a left edge
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and hmac.compare_digest(r, root)


def verify_consistency(
    *, first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True if `proof` shows that the tree of `second` leaves (root `second_root`) extends the
    tree of `first` leaves (root `first_root`) (RFC 9162 section 2.1.4.2).

    Equal sizes need equal roots and an empty proof; every tree extends the empty tree.
    """
    if not _well_formed(first_root, second_root, *proof) or not 0 <= first <= second:
        return False
    if first == second:
        return not proof and hmac.compare_digest(first_root, second_root)
    if first == 0:
        return not proof and hmac.compare_digest(first_root, EMPTY_ROOT)
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # step 2: first is a power of two, its root is a node
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1  # step 3
    while fn % 2 == 1:  # step 4
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]  # step 5
    for c in path[1:]:  # step 6
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return (  # step 7
        sn == 0 and hmac.compare_digest(fr, first_root) and hmac.compare_digest(sr, second_root)
    )
