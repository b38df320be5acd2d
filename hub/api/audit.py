"""HTTP: the events (for IG officers and admins), and what anyone needs to check the log
without trusting the hub: the signed checkpoint, the checkpoints kept, the public key,
inclusion and consistency proofs (RFC 6962 / 9162). Hashes in JSON are hex; the checkpoint
note carries its root in base64, as C2SP says.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Literal

from flask import Response, current_app
from flask_openapi3 import APIBlueprint, Tag
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from hub import agreements, auth, db, errors, governance
from hub.audit import audit_config, latest_checkpoint, note
from hub.audit.events import canonical_json, format_time, row_document
from hub.audit.log import (
    EventFilter,
    LogCorrupted,
    current_size,
    leaf_b64,
    read_checkpoints,
    read_events,
)
from hub.audit.signed_note import key_id, raw_public_key, verifier_key

api = APIBlueprint(
    "audit",
    __name__,
    url_prefix="/api/v1/audit",
    abp_tags=[Tag(name="audit", description="The append-only, verifiable audit log.")],
)

READ = "audit.read"
VERIFY = "audit.verify"
BEARER = [{"bearer": []}]


class EventsQuery(BaseModel):
    actor: str | None = Field(None, max_length=64, description="The caller's client id.")
    partner: str | None = Field(None, max_length=64, description="The caller's partner id.")
    action: str | None = Field(None, max_length=100, description="e.g. dataset.upload")
    outcome: Literal["allowed", "denied", "failed"] | None = None
    since: AwareDatetime | None = Field(None, description="Events at or after this time.")
    until: AwareDatetime | None = Field(None, description="Events before this time.")
    from_index: int | None = Field(None, ge=0, description="Events at or after this index.")
    order: Literal["asc", "desc"] = Field(
        "asc", description="`asc`: oldest first, by index; `desc`: the newest events first."
    )
    limit: int = Field(100, ge=1, le=1000)
    cursor: str | None = Field(
        None, max_length=200, description="The previous page's next_cursor, with the same filters."
    )


class ActorOut(BaseModel):
    client: str | None = Field(description="The system's client id, or a person's label.")
    partner: str | None
    roles: list[str]
    kind: Literal["person", "system"] | None = Field(
        None, description="`person` (signed in at their partner's provider) or `system`."
    )
    issuer: str | None = Field(None, description="A person's OpenID Provider.")
    subject: str | None = Field(None, description="A person's subject at that provider.")
    name: str | None = Field(None, description="A person's display name.")
    owner: str | None = Field(None, description="Who runs a system client (its name).")


class EventOut(BaseModel):
    index: int
    time: str = Field(description="RFC 3339, UTC, microseconds.")
    request_id: str
    actor: ActorOut | None
    action: str
    resource: str
    outcome: Literal["allowed", "denied", "failed"]
    reason: str
    details: dict[str, Any]
    leaf: str = Field(description="Base64 of the canonical leaf bytes (RFC 6962 leaf input).")
    leaf_hash: str = Field(description="Hex of SHA-256(0x00 || leaf).")


class EventPage(BaseModel):
    items: list[EventOut]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null at the end."
    )


class PublicKeyOut(BaseModel):
    origin: str
    key_id: str = Field(description="Hex of the 4-byte signed-note key id.")
    verifier_key: str = Field(description="<name>+<hex key id>+<base64(0x01 || Ed25519 key)>")
    public_key_pem: str


class InclusionQuery(BaseModel):
    index: int = Field(ge=0, description="The event's index (its leaf's position).")
    size: int | None = Field(
        None, ge=1, description="The tree size, e.g. a signed checkpoint's; the current if omitted."
    )


class InclusionOut(BaseModel):
    """RFC 6962 / 9162 inclusion proof: the audit path from the leaf up, hex SHA-256 hashes."""

    index: int
    size: int
    proof: list[str]


class ConsistencyQuery(BaseModel):
    from_: int = Field(alias="from", ge=1, description="The older tree size.")
    to: int | None = Field(
        None, ge=1, description="The newer tree size; the current size if omitted."
    )


class ConsistencyOut(BaseModel):
    """RFC 6962 / 9162 consistency proof between the trees of `from` and `to` leaves."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_: int = Field(alias="from")
    to: int
    proof: list[str]


class CheckpointsQuery(BaseModel):
    after: int | None = Field(
        None, ge=-1, description="Checkpoints with a size above this (a page's next_cursor)."
    )
    limit: int = Field(100, ge=1, le=1000)


class CheckpointOut(BaseModel):
    size: int
    root: str = Field(description="Hex of the tree's root hash at `size`.")
    note: str = Field(description="The C2SP tlog-checkpoint signed note, as /checkpoint serves.")
    created_at: str = Field(description="When the hub signed it: RFC 3339, UTC.")


class CheckpointPage(BaseModel):
    items: list[CheckpointOut]
    next_cursor: int | None = Field(
        description="Pass as ?after= for the next page; null at the end."
    )


def _filters_digest(where: EventFilter, order: str) -> str:
    values = {k: format_time(v) if isinstance(v, datetime) else v for k, v in vars(where).items()}
    values["order"] = order  # a cursor of one order means nothing in the other
    return hashlib.sha256(canonical_json(values)).hexdigest()[:16]


def _encode_cursor(after: int, digest: str) -> str:
    raw = json.dumps({"after": after, "f": digest}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str, digest: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
        after, given = value["after"], value["f"]
    except (binascii.Error, ValueError, TypeError, KeyError) as exc:
        raise errors.InvalidRequest(
            "`cursor` is not one this API gave out: pass a page's next_cursor unchanged."
        ) from exc
    if not isinstance(after, int) or after < -1:
        raise errors.InvalidRequest("`cursor` is not one this API gave out.")
    if given != digest:
        raise errors.InvalidRequest(
            "`cursor` belongs to a query with other filters: repeat the same filters, "
            "or start again without a cursor."
        )
    return after


def _authorise() -> auth.Identity:
    identity = auth.current_identity()
    agreements.enforce(agreements.decide(identity, READ, agreements.Resource(kind="audit")))
    return identity


@api.get("/events", responses={200: EventPage}, security=BEARER)
def list_events(query: EventsQuery):
    """Audit events in index order (or the newest first, `order=desc`), filtered; for IG
    officers (the events of their own organisation and of the agreements it is party to)
    and admins (every event) (`audit.read`)."""
    note(action=READ, resource="audit/events")
    scope = governance.audit_scope(_authorise())
    where = EventFilter(
        actor=query.actor,
        partner=query.partner,
        action=query.action,
        outcome=query.outcome,
        since=query.since,
        until=query.until,
        from_index=query.from_index,
    )
    newest_first = query.order == "desc"
    digest = _filters_digest(where, query.order)
    last = _decode_cursor(query.cursor, digest) if query.cursor else None
    with db.read_only() as session:
        rows = read_events(
            session,
            where,
            after=None if newest_first else last,
            before=last if newest_first else None,
            newest_first=newest_first,
            limit=query.limit + 1,
            scope=scope,
        )
        more = len(rows) > query.limit
        items = [
            EventOut(**row_document(row), leaf=leaf_b64(row), leaf_hash=row.leaf_hash)
            for row in rows[: query.limit]
        ]
    note(
        details={
            "filters": sorted(k for k, v in vars(where).items() if v is not None),
            "returned": len(items),
        }
    )
    next_cursor = _encode_cursor(items[-1].index, digest) if more else None
    # exclude_unset: an actor's fields are exactly its leaf's (older actors have no `kind`).
    page = EventPage(items=items, next_cursor=next_cursor)
    return page.model_dump(mode="json", exclude_unset=True)


def _signing():
    origin = audit_config(current_app).origin
    return origin, current_app.extensions["hub.keys"].audit_signing_key


def _corrupted() -> errors.HubError:
    return errors.HubError(
        "The audit log failed its own integrity check; the hub's operators must run "
        "`hub audit verify`.",
        code="audit_log_corrupted",
    )


@api.get(
    "/checkpoint",
    responses={
        200: {
            "description": "The latest C2SP tlog-checkpoint signed note (Ed25519) the hub "
            "has kept. The hub signs one every HUB_CHECKPOINT_EVERY_EVENTS events or "
            "HUB_CHECKPOINT_EVERY_SECONDS; a request never makes it sign.",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
def get_checkpoint():
    """The latest signed checkpoint the hub has kept (C2SP tlog-checkpoint); the log may
    have grown since, up to the hub's checkpoint schedule."""
    note(action=VERIFY, resource="audit/checkpoint")
    try:
        stored = latest_checkpoint(current_app)
    except (LogCorrupted, LookupError) as exc:
        raise _corrupted() from exc
    note(details={"size": stored.size})
    return Response(stored.note, mimetype="text/plain")


@api.get("/checkpoints", responses={200: CheckpointPage})
def list_checkpoints(query: CheckpointsQuery):
    """Every checkpoint the hub has signed and kept, by increasing size; one per size."""
    note(action=VERIFY, resource="audit/checkpoints")
    with db.read_only() as session:
        rows = read_checkpoints(session, after=query.after, limit=query.limit + 1)
        items = [
            CheckpointOut(
                size=row.size, root=row.root, note=row.note, created_at=format_time(row.created_at)
            )
            for row in rows[: query.limit]
        ]
    note(details={"returned": len(items)})
    next_cursor = items[-1].size if len(rows) > query.limit else None
    return CheckpointPage(items=items, next_cursor=next_cursor).model_dump()


@api.get("/public-key", responses={200: PublicKeyOut})
def get_public_key():
    """The key that signs checkpoints, as a signed-note verifier key and as PEM."""
    from cryptography.hazmat.primitives import serialization

    note(action=VERIFY, resource="audit/public-key")
    origin, key = _signing()
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return PublicKeyOut(
        origin=origin,
        key_id=key_id(origin, raw_public_key(key)).hex(),
        verifier_key=verifier_key(origin, key),
        public_key_pem=pem.decode("ascii"),
    ).model_dump()


@contextmanager
def _tree(size: int | None) -> Iterator[tuple[int, Any, Any]]:
    """(size, session, tree): the tree of `size` events (the current size if None), from this
    process's running tree (hub.audit.tree), which reads only the events new to it."""
    checkpoints = audit_config(current_app).checkpoints
    with db.read_only() as session:
        current = current_size(session)
        wanted = current if size is None else size
        if wanted > current:
            raise errors.NotFound(f"The log holds {current} events; no tree of size {wanted} yet.")
        try:
            yield wanted, session, checkpoints.proof_tree(session, wanted)
        except (LookupError, LogCorrupted) as exc:
            raise _corrupted() from exc


@api.get("/proof/inclusion", responses={200: InclusionOut})
def get_inclusion_proof(query: InclusionQuery):
    """An RFC 9162 inclusion proof for the event at `index` in the tree of `size` leaves."""
    note(action=VERIFY, resource="audit/proof/inclusion")
    with _tree(query.size) as (size, session, tree):
        if query.index >= size:
            raise errors.NotFound(f"No event {query.index} in a tree of size {size}.")
        proof = tree.inclusion_proof(session, query.index, size)
    note(details={"index": query.index, "size": size})
    return InclusionOut(index=query.index, size=size, proof=[p.hex() for p in proof]).model_dump()


@api.get("/proof/consistency", responses={200: ConsistencyOut})
def get_consistency_proof(query: ConsistencyQuery):
    """An RFC 9162 consistency proof that the tree of `to` leaves extends that of `from`."""
    note(action=VERIFY, resource="audit/proof/consistency")
    with _tree(query.to) as (to, session, tree):
        if query.from_ > to:
            raise errors.InvalidRequest(f"`from` ({query.from_}) must not exceed `to` ({to}).")
        proof = tree.consistency_proof(session, query.from_, to)
    note(details={"from": query.from_, "to": to})
    return ConsistencyOut(from_=query.from_, to=to, proof=[p.hex() for p in proof]).model_dump()
