"""Check the stored log against itself: every event's leaf against its columns, the indexes
against the head, and every stored checkpoint's root and signature against the tree; and,
given a checkpoint saved earlier (say, yesterday's), that today's log extends it.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Engine, select

from hub import db
from hub.audit import merkle
from hub.audit.events import row_leaf_bytes
from hub.audit.log import current_size, iter_events
from hub.audit.signed_note import Checkpoint, InvalidNote, parse_and_verify_note
from hub.audit.signed_note import verifier_key as make_verifier_key
from hub.db.models import AuditCheckpoint


class VerificationFailed(Exception):
    """The log does not verify. `index` names the first event found wrong, if one is."""

    def __init__(self, message: str, *, index: int | None = None, size: int | None = None):
        super().__init__(message)
        self.index = index
        self.size = size


@dataclass(frozen=True)
class SavedCheckpointVerified:
    """A checkpoint saved earlier is signed by the hub and today's log extends it."""

    size: int
    root: bytes
    proof: list[bytes]


@dataclass(frozen=True)
class Verified:
    size: int
    root: bytes
    checkpoints: int
    saved: SavedCheckpointVerified | None = None
    origins: tuple[str, ...] = ()  # the key names the checkpoints were signed under

    def not_checked(self) -> list[str]:
        """What this check could not establish, in words, with how to close each gap."""
        gaps = []
        if self.checkpoints == 0 and self.saved is None:
            gaps.append(
                "NOT checked: no signed checkpoint was found, so nothing shows that these "
                f"{self.size} events are the ones the hub published. Anyone able to write to "
                "the database could have rewritten or removed events (and deleted the "
                "checkpoints) without this check noticing."
            )
        if self.saved is None:
            gaps.append(
                "NOT checked against a checkpoint kept outside the hub: checkpoints stored in "
                "the hub's own database can be removed with the events they cover. To close "
                "this, save checkpoints elsewhere regularly (`hub-verify --url <hub> --save "
                "FILE`, e.g. daily from another machine) and pass the last one here with "
                "`--checkpoint FILE`."
            )
        return gaps


def verify_log(
    engine: Engine | None = None,
    *,
    verifier_key: str | None = None,
    public_key: Ed25519PublicKey | None = None,
    saved_checkpoint: str | None = None,
) -> Verified:
    """Raise VerificationFailed at the first thing that does not match; else say what held.

    The signatures are checked with `verifier_key`, or with `public_key` under the key name
    each note carries (its origin line): then the check does not depend on the origin the
    hub is configured with now (HUB_AUDIT_ORIGIN, or the host and port of HUB_ISSUER).

    `saved_checkpoint` is a signed note kept from earlier (as GET /checkpoint served it): its
    signature must verify with `verifier_key`, the events before its size must still hash to
    its root, and a consistency proof from its size to today's, built from today's events,
    must verify (RFC 9162 section 2.1.4.2) against its root and today's.
    """
    if (verifier_key is None) == (public_key is None):
        raise ValueError("give verifier_key or public_key")

    def key_for(note: str) -> str:
        if verifier_key is not None:
            return verifier_key
        origin = note.split("\n", 1)[0]
        try:
            return make_verifier_key(origin, public_key)
        except ValueError as exc:
            raise InvalidNote(f"its origin line is not a key name: {exc}") from exc

    saved = (
        _open_saved(saved_checkpoint, key_for) if saved_checkpoint is not None else None
    )
    with db.read_only(engine) as session:
        size = current_size(session)
        if saved is not None and saved.size > size:
            raise VerificationFailed(
                f"the saved checkpoint covers {saved.size} events but the log now holds only "
                f"{size}: events were removed since it was signed",
                size=saved.size,
            )
        checkpoints = list(
            session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.size)).scalars()
        )
        wanted = {c.size for c in checkpoints}
        ranges = []
        if saved is not None:
            wanted.add(saved.size)
            if saved.size > 0:
                ranges = merkle.consistency_ranges(saved.size, size)
        proof_nodes = merkle.RangeRoots(ranges)
        roots = _check_events(session, size, wanted, proof_nodes)
        saved_result = (
            _check_saved(saved, size, roots, proof_nodes.roots()) if saved is not None else None
        )
        for stored in checkpoints:
            _check_checkpoint(stored, roots, key_for)
    origins = sorted({c.note.split("\n", 1)[0] for c in checkpoints})
    return Verified(
        size=size,
        root=roots[size],
        checkpoints=len(checkpoints),
        saved=saved_result,
        origins=tuple(origins),
    )


def _open_saved(note: str, key_for) -> Checkpoint:
    try:
        return parse_and_verify_note(note, key_for(note))
    except InvalidNote as exc:
        raise VerificationFailed(
            f"the saved checkpoint is not a checkpoint signed by this hub's key: {exc}"
        ) from exc


def _check_saved(
    saved: Checkpoint, size: int, roots: dict[int, bytes], proof: list[bytes]
) -> SavedCheckpointVerified:
    if not hmac.compare_digest(roots[saved.size], saved.root):
        raise VerificationFailed(
            f"the saved checkpoint (size {saved.size}, root {saved.root.hex()}): the first "
            f"{saved.size} events now hash to {roots[saved.size].hex()}; the log was altered "
            "after that checkpoint was signed",
            size=saved.size,
        )
    if saved.size == 0:
        consistent = saved.root == merkle.EMPTY_ROOT  # every tree extends the empty one
    else:
        consistent = merkle.verify_consistency(
            old_size=saved.size,
            new_size=size,
            old_root=saved.root,
            new_root=roots[size],
            proof=proof,
        )
    if not consistent:
        raise VerificationFailed(
            f"the saved checkpoint (size {saved.size}): the consistency proof to today's "
            f"{size} events does not verify",
            size=saved.size,
        )
    return SavedCheckpointVerified(size=saved.size, root=saved.root, proof=proof)


def _check_events(
    session, size: int, wanted_sizes: set[int], proof_nodes: merkle.RangeRoots
) -> dict[int, bytes]:
    """Walk the events in index order; return the tree's root at each wanted size and at `size`.

    Each leaf hash is also fed to `proof_nodes`, which builds the subtrees a proof needs.
    """
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
        proof_nodes.add(expected, hashed)
        tree.append(hashed)
        if tree.size in wanted_sizes:
            roots[tree.size] = tree.root()
    if tree.size != size:
        raise VerificationFailed(
            f"event {tree.size} is missing: the log's recorded size is {size}", index=tree.size
        )
    roots[size] = tree.root()
    return roots


def _check_checkpoint(stored: AuditCheckpoint, roots: dict[int, bytes], key_for) -> None:
    size = stored.size
    if size not in roots:
        raise VerificationFailed(
            f"checkpoint {size}: the log holds fewer events than it signed", size=size
        )
    try:
        signed = parse_and_verify_note(stored.note, key_for(stored.note))
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
