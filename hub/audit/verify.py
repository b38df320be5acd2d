"""Check the stored log against itself: every event's leaf against its columns, the indexes
against the head, and every stored checkpoint's root and signature against the tree.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from sqlalchemy import Engine, select

from hub import db
from hub.audit import merkle
from hub.audit.checkpoint import InvalidNote, parse_and_verify_note
from hub.audit.events import row_leaf_bytes
from hub.audit.log import current_size, iter_events
from hub.db.models import AuditCheckpoint


class VerificationFailed(Exception):
    """The log does not verify. `index` names the first event found wrong, if one is."""

    def __init__(self, message: str, *, index: int | None = None, size: int | None = None):
        super().__init__(message)
        self.index = index
        self.size = size


@dataclass(frozen=True)
class Verified:
    size: int
    root: bytes
    checkpoints: int


def verify_log(engine: Engine | None = None, *, verifier_key: str) -> Verified:
    """Raise VerificationFailed at the first thing that does not match; else say what held."""
    with db.read_only(engine) as session:
        size = current_size(session)
        checkpoints = list(
            session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.size)).scalars()
        )
        roots = _check_events(session, size, {c.size for c in checkpoints})
        for stored in checkpoints:
            _check_checkpoint(stored, roots, verifier_key)
    return Verified(size=size, root=roots[size], checkpoints=len(checkpoints))


def _check_events(session, size: int, wanted_sizes: set[int]) -> dict[int, bytes]:
    """Walk the events in index order; return the tree's root at each wanted size and at `size`."""
    tree = merkle.TreeBuilder()
    roots: dict[int, bytes] = {}
    if 0 in wanted_sizes:
        roots[0] = tree.root()
    for row in iter_events(session):
        expected = tree.size
        if row.index != expected:
            raise VerificationFailed(
                f"event {expected} is missing (the next stored event is {row.index})",
                index=expected,
            )
        if expected >= size:
            raise VerificationFailed(
                f"event {expected} lies beyond the log's recorded size {size}", index=expected
            )
        rebuilt = row_leaf_bytes(row)
        if not hmac.compare_digest(rebuilt, bytes(row.leaf)):
            raise VerificationFailed(
                f"event {expected}: its columns do not match its stored leaf bytes", index=expected
            )
        hashed = merkle.leaf_hash(rebuilt)
        if hashed.hex() != row.leaf_hash:
            raise VerificationFailed(
                f"event {expected}: its stored leaf hash is not SHA-256(0x00 || leaf)",
                index=expected,
            )
        tree.append(hashed)
        if tree.size in wanted_sizes:
            roots[tree.size] = tree.root()
    if tree.size != size:
        raise VerificationFailed(
            f"event {tree.size} is missing: the log's recorded size is {size}", index=tree.size
        )
    roots[size] = tree.root()
    return roots


def _check_checkpoint(stored: AuditCheckpoint, roots: dict[int, bytes], verifier_key: str) -> None:
    size = stored.size
    if size not in roots:
        raise VerificationFailed(
            f"checkpoint {size}: the log holds fewer events than it signed", size=size
        )
    try:
        signed = parse_and_verify_note(stored.note, verifier_key)
    except InvalidNote as exc:
        raise VerificationFailed(f"checkpoint {size}: {exc}", size=size) from exc
    if signed.size != size or signed.root.hex() != stored.root:
        raise VerificationFailed(
            f"checkpoint {size}: its signed note does not match its stored size and root", size=size
        )
    if signed.root != roots[size]:
        raise VerificationFailed(
            f"checkpoint {size}: the events before index {size} no longer hash to the signed "
            "root; the log was altered after it was signed",
            size=size,
        )
