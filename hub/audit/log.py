"""Appending to and reading the log.

`append` takes the next index by incrementing the single `audit_head` row with an upsert
(`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`), which locks that row until the
transaction ends: on PostgreSQL concurrent appends queue on the row lock, on SQLite on the
database lock (the engine begins every transaction with BEGIN IMMEDIATE). The event is
inserted in the same transaction, so indexes are gap-free and never reused.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import ColumnElement, Engine, false, literal, or_, select, text
from sqlmodel import Session

from hub import db
from hub.audit import merkle
from hub.audit.events import NewEvent, leaf_bytes, now
from hub.audit.signed_note import sign_checkpoint
from hub.db.models import AuditCheckpoint, AuditEvent, AuditHead, Upload

if TYPE_CHECKING:
    from hub.audit.tree import LogTree

_NEXT_INDEX = text(
    "INSERT INTO audit_head (id, size) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET size = audit_head.size + 1 "
    "RETURNING size"
)


def append(target: Session | Engine | None, event: NewEvent) -> int:
    """Append one event and return its index.

    Given an Engine (or None: the current app's), the append is its own short transaction,
    committed before this returns: use that for the request hook, so that an event is
    recorded even when the request's own work rolled back. Given a Session, the append joins
    that session's transaction (the head row stays locked until it ends).
    """
    if isinstance(target, Session):
        return _append(target, event)
    with db.unit_of_work(target) as session:
        return _append(session, event)


def _append(session: Session, event: NewEvent) -> int:
    size = session.execute(_NEXT_INDEX).scalar_one()
    index = size - 1
    # The time is taken under the lock, so that times never go backwards along the indexes.
    moment = event.time or now()
    leaf = leaf_bytes(
        index=index,
        time=moment,
        request_id=event.request_id,
        actor=event.actor,
        action=event.action,
        resource=event.resource,
        outcome=event.outcome,
        reason=event.reason,
        details=event.details,
    )
    actor = event.actor
    session.add(
        AuditEvent(
            index=index,
            time=moment,
            request_id=event.request_id,
            actor_client=actor.client if actor else None,
            actor_partner=actor.partner if actor else None,
            actor_roles=list(actor.roles) if actor else [],
            actor_kind=actor.kind if actor else None,
            actor_issuer=actor.issuer if actor else None,
            actor_subject=actor.subject if actor else None,
            actor_name=actor.name if actor else None,
            actor_owner=actor.owner if actor else None,
            action=event.action,
            resource=event.resource,
            outcome=event.outcome,
            reason=event.reason,
            details=event.details,
            leaf=leaf,
            leaf_hash=merkle.leaf_hash(leaf).hex(),
        )
    )
    session.flush()
    return index


def current_size(session: Session) -> int:
    size = session.execute(select(AuditHead.size).where(AuditHead.id == 1)).scalar_one_or_none()
    return size or 0


def leaf_hashes(session: Session, size: int) -> list[bytes]:
    """The leaf hashes of the first `size` events, in index order."""
    rows = session.execute(
        select(AuditEvent.leaf_hash).where(AuditEvent.index < size).order_by(AuditEvent.index)
    ).scalars()
    hashes = [bytes.fromhex(h) for h in rows]
    if len(hashes) != size:
        raise LookupError(f"the log should hold {size} events but {len(hashes)} were found")
    return hashes


def tree_root(session: Session, size: int) -> bytes:
    return merkle.root_from_hashes(leaf_hashes(session, size))


@dataclass(frozen=True)
class EventFilter:
    actor: str | None = None
    partner: str | None = None
    action: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    from_index: int | None = None
    resource_contains: str | None = None  # e.g. a view id: `view:<id>` resources


# The kinds of resource label that name an agreement first (`<kind>:<agreement>[/<dataset>]`,
# hub.agreements.Resource.label).
_AGREEMENT_KINDS = ("agreement", "dataset", "contract", "upload", "audit")


@dataclass(frozen=True)
class EventScope:
    """The part of the log one organisation's IG officers may read: the events its own
    clients caused, and the events about the agreements it is party to (the agreements
    themselves, their datasets and contracts, the uploads under them, the views over them,
    and retention under them). Everything else (another organisation's sign-ins, token
    requests, listings, and the agreements it is not party to) is not theirs to read.
    Admins read the whole log: no scope."""

    partner: str
    agreements: tuple[str, ...] = ()
    views: tuple[str, ...] = ()  # the views of those agreements


def scope_condition(scope: EventScope, table=None) -> ColumnElement[bool]:
    """The SQL condition for the events in `scope` (on AuditEvent, or its Core table)."""
    e = table.c if table is not None else AuditEvent
    about: list[ColumnElement[bool]] = [e.actor_partner == scope.partner]
    for agreement in scope.agreements:
        for kind in _AGREEMENT_KINDS:
            about.append(e.resource == f"{kind}:{agreement}")
            about.append(e.resource.startswith(f"{kind}:{agreement}/", autoescape=True))
        # retention's `/agreements/<id>/...` and the request hook's route paths
        about.append(e.resource.contains(f"/agreements/{agreement}/", autoescape=True))
        about.append(e.resource.endswith(f"/agreements/{agreement}", autoescape=True))
    if scope.views:
        about.append(e.resource.in_([f"view:{view}" for view in scope.views]))
    if scope.agreements:
        uploads = select(literal("upload:") + Upload.id).where(
            Upload.agreement_id.in_(scope.agreements)
        )
        about.append(e.resource.in_(uploads.scalar_subquery()))
    return or_(false(), *about)


def read_events(
    session: Session,
    where: EventFilter,
    *,
    after: int | None = None,
    before: int | None = None,
    newest_first: bool = False,
    limit: int = 100,
    scope: EventScope | None = None,
) -> list[AuditEvent]:
    """Events matching `where`, in index order (or newest first), with an index above
    `after` and below `before`; only those in `scope` if one is given."""
    order = AuditEvent.index.desc() if newest_first else AuditEvent.index
    query = select(AuditEvent).order_by(order).limit(limit)
    if scope is not None:
        query = query.where(scope_condition(scope))
    if where.actor is not None:
        query = query.where(AuditEvent.actor_client == where.actor)
    if where.partner is not None:
        query = query.where(AuditEvent.actor_partner == where.partner)
    if where.action is not None:
        query = query.where(AuditEvent.action == where.action)
    if where.outcome is not None:
        query = query.where(AuditEvent.outcome == where.outcome)
    if where.since is not None:
        query = query.where(AuditEvent.time >= where.since)
    if where.until is not None:
        query = query.where(AuditEvent.time < where.until)
    if where.from_index is not None:
        query = query.where(AuditEvent.index >= where.from_index)
    if where.resource_contains is not None:
        query = query.where(AuditEvent.resource.contains(where.resource_contains, autoescape=True))
    if after is not None:
        query = query.where(AuditEvent.index > after)
    if before is not None:
        query = query.where(AuditEvent.index < before)
    return list(session.execute(query).scalars())


def iter_events(session: Session, *, batch: int = 1000) -> Iterator[AuditEvent]:
    """Every event in index order, a batch at a time (for verify over large logs)."""
    after = -1
    while True:
        rows = read_events(session, EventFilter(), after=after, limit=batch)
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].index
        for row in rows:  # keep memory flat over large logs
            session.expunge(row)


def leaf_b64(row: AuditEvent) -> str:
    return base64.b64encode(row.leaf).decode("ascii")


class LogCorrupted(Exception):
    """The stored log disagrees with itself: a checkpoint's root is not the tree's root."""


class LogForked(LogCorrupted):
    """A second, different root was offered for a size that already has a signed checkpoint.

    The hub signs one root per size; two would prove the log forked, so the store refuses.
    """


def leaf_hashes_between(session: Session, start: int, stop: int) -> list[bytes]:
    """The leaf hashes of events start .. stop - 1, in index order; all of them or LookupError.

    Indexes are unique integers, so as many rows as the range is wide means none is missing.
    """
    rows = session.execute(
        select(AuditEvent.leaf_hash)
        .where(AuditEvent.index >= start, AuditEvent.index < stop)
        .order_by(AuditEvent.index)
    ).scalars()
    hashes = [bytes.fromhex(h) for h in rows]
    if len(hashes) != max(stop - start, 0):
        raise LookupError(f"events {start} to {stop - 1} should be in the log but are not all")
    return hashes


def _insert_ignoring_conflict(session: Session, model, **values) -> None:
    if db.is_postgres(session):
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(model).values(**values).on_conflict_do_nothing()
    session.execute(statement)


def store_checkpoint(session: Session, *, size: int, root: bytes, note: str) -> AuditCheckpoint:
    """Keep the signed checkpoint for `size`; the stored one if another process was first.

    Race-safe across processes: the size is the primary key, so of two concurrent inserts one
    is a no-op. A root other than the one already stored for `size` raises LogForked, and
    the stored row is never changed.
    """
    _insert_ignoring_conflict(
        session, AuditCheckpoint, size=size, root=root.hex(), note=note, created_at=now()
    )
    stored = session.get(AuditCheckpoint, size, populate_existing=True)
    if stored is None:
        raise LogCorrupted(f"the checkpoint for size {size} was not stored")
    if stored.root != root.hex():
        raise LogForked(
            f"a checkpoint for size {size} already holds root {stored.root}; refusing to keep "
            f"a second root {root.hex()} for that size: the log has forked or was altered"
        )
    return stored


def ensure_checkpoint(
    engine: Engine | None,
    *,
    origin: str,
    private_key: Ed25519PrivateKey,
    tree: LogTree | None = None,
) -> AuditCheckpoint:
    """The stored checkpoint for the log's current size, signed now if there is none yet.

    A size is signed once: a second signature for a size would only ever repeat the first
    (Ed25519 is deterministic), and a differing root means the log was altered, which raises
    LogCorrupted rather than signing it. With `tree`, the root comes from that running tree
    (reading only the new leaves); without, from every leaf in the database.
    """
    with db.unit_of_work(engine) as session:
        size = current_size(session)
        if tree is None:
            root = tree_root(session, size)
        else:
            last = last_checkpoint(session)
            known = (last.size, bytes.fromhex(last.root)) if last is not None else None
            root = tree.root(session, size, known=known)
        stored = session.get(AuditCheckpoint, size)
        if stored is not None:
            if stored.root != root.hex():
                raise LogCorrupted(f"the checkpoint for size {size} does not match the log's root")
            return stored
        note = sign_checkpoint(origin=origin, size=size, root=root, private_key=private_key)
        return store_checkpoint(session, size=size, root=root, note=note)


def last_checkpoint(session: Session) -> AuditCheckpoint | None:
    return session.execute(
        select(AuditCheckpoint).order_by(AuditCheckpoint.size.desc()).limit(1)
    ).scalar_one_or_none()


def first_event_time(session: Session) -> datetime | None:
    return session.execute(
        select(AuditEvent.time).where(AuditEvent.index == 0)
    ).scalar_one_or_none()


def read_checkpoints(
    session: Session, *, after: int | None = None, limit: int = 100
) -> list[AuditCheckpoint]:
    """Stored checkpoints by increasing size, with a size above `after`."""
    query = select(AuditCheckpoint).order_by(AuditCheckpoint.size).limit(limit)
    if after is not None:
        query = query.where(AuditCheckpoint.size > after)
    return list(session.execute(query).scalars())
