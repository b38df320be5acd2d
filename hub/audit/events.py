"""Audit events and their canonical leaf bytes.

A leaf is the canonical JSON of an event: keys sorted, UTF-8, no insignificant whitespace,
non-ASCII characters as themselves. Every field of the leaf is also a column of
`audit_events`, so `verify` can rebuild the bytes from the columns and compare.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hub import clock

OUTCOMES = ("allowed", "denied", "failed")

# Column widths of audit_events: values are cut to fit before they are hashed, so the leaf
# and the columns always agree.
MAX_ACTION = 100
MAX_RESOURCE = 500
MAX_REASON = 1000
MAX_REQUEST_ID = 64
MAX_ACTOR_FIELD = 64
# An event's details, as canonical JSON, never exceed this (docs/audit-events.md). Top-level
# entries that do not fit are kept as their size and SHA-256 under `omitted`, smallest
# entries first, so the leaf still commits to what was left out.
MAX_DETAILS_BYTES = 16 * 1024
# Room kept for naming what was omitted; keys are cut to MAX_DETAIL_KEY characters there.
OMITTED_BYTES = 2048
MAX_DETAIL_KEY = 64
MAX_ACTOR_ISSUER = 500
MAX_ACTOR_SUBJECT = 255
MAX_ACTOR_NAME = 200


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with microseconds: 2026-01-31T09:15:02.000123Z."""
    if moment.utcoffset() is None:
        raise ValueError("audit times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now() -> datetime:
    return clock.now()


@dataclass(frozen=True)
class Actor:
    """Who acted. `kind` is `person` (signed in at their partner's provider: `issuer`,
    `subject` and a display `name`) or `system` (an OAuth client: `client`, and `owner`, the
    name its operators gave it). Events from before people signed in have no kind: their
    leaves hold only client, partner and roles, and still verify."""

    client: str | None
    partner: str | None
    roles: tuple[str, ...] = ()
    kind: str | None = None
    issuer: str | None = None
    subject: str | None = None
    name: str | None = None
    owner: str | None = None

    @classmethod
    def of(cls, value: Any) -> Actor | None:
        """An Actor from an Identity, a dict {client, partner, roles, kind?, issuer?, ...},
        an Actor or None.

        An actor with no client, no partner and no roles is no actor: null in the leaf.
        """
        if value is None:
            return None
        if isinstance(value, Actor):
            actor = value
        elif isinstance(value, dict):
            actor = cls(
                value.get("client"),
                value.get("partner"),
                tuple(value.get("roles") or ()),
                **{key: value.get(key) for key in _EXTRA},
            )
        else:  # an auth Identity, duck-typed: audit depends on nothing of ours but db
            person = getattr(value, "person", None)
            actor = cls(
                value.client_id,
                value.partner,
                tuple(value.roles),
                kind="person" if person is not None else "system",
                issuer=person.issuer if person is not None else None,
                subject=person.subject if person is not None else None,
                name=person.name if person is not None else None,
                owner=getattr(value, "owner", None) if person is None else None,
            )
        client = _cut(actor.client, MAX_ACTOR_FIELD) or None
        partner = _cut(actor.partner, MAX_ACTOR_FIELD) or None
        roles = tuple(sorted({str(role) for role in actor.roles}))
        if client is None and partner is None and not roles:
            return None
        extra = {key: _cut(getattr(actor, key), limit) or None for key, limit in _EXTRA.items()}
        if extra["kind"] not in (None, "person", "system"):
            extra["kind"] = None
        return cls(client, partner, roles, **extra)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "client": self.client,
            "partner": self.partner,
            "roles": list(self.roles),
        }
        for key in _EXTRA:
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out

    @property
    def display(self) -> str:
        """How pages and reports name the actor: a person's name, or `system <client>`."""
        if self.kind == "person" and self.name:
            return self.name
        if self.kind == "system":
            return f"system {self.client}" + (f" ({self.owner})" if self.owner else "")
        return self.client or ""


# The actor's optional fields and their column widths.
_EXTRA = {
    "kind": 16,
    "issuer": MAX_ACTOR_ISSUER,
    "subject": MAX_ACTOR_SUBJECT,
    "name": MAX_ACTOR_NAME,
    "owner": MAX_ACTOR_NAME,
}


def _cut(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    return str(value)[:limit]


def normalise_details(details: dict[str, Any] | None) -> dict[str, Any]:
    """Details as they will read back from the JSON column: canonical JSON, parsed again,
    and no larger than MAX_DETAILS_BYTES (see `bound_details`)."""
    if not details:
        return {}
    if not isinstance(details, dict):
        raise TypeError("audit details must be a JSON object")
    return json.loads(canonical_json(bound_details(details)))


def bound_details(details: dict[str, Any]) -> dict[str, Any]:
    """`details` if its canonical JSON fits MAX_DETAILS_BYTES. Else the top-level entries
    that fit in all but OMITTED_BYTES of it, smallest first (ties by key); `omitted` holds
    {key: {bytes, sha256}} for the others while they fit in OMITTED_BYTES, and
    `omitted_count` how many there were. The bound holds whatever the caller gives."""
    if len(canonical_json(details)) <= MAX_DETAILS_BYTES:
        return details
    sized = sorted(
        ((canonical_json(value), str(key), value) for key, value in details.items()),
        key=lambda item: (len(item[0]), item[1]),
    )
    kept: dict[str, Any] = {}
    omitted: dict[str, Any] = {}
    count = 0
    room = MAX_DETAILS_BYTES - OMITTED_BYTES
    listed = OMITTED_BYTES - 64  # `"omitted":{}`, `"omitted_count":N`, braces and commas
    for text, key, value in sized:
        cost = len(canonical_json(key)) + 2 + len(text)
        if key not in ("omitted", "omitted_count") and cost <= room:
            kept[key] = value
            room -= cost
            continue
        count += 1
        name = key[:MAX_DETAIL_KEY]  # named once, however many long keys share it
        note = {"bytes": len(text), "sha256": hashlib.sha256(text).hexdigest()}
        cost = len(canonical_json({name: note}))
        if name not in omitted and cost <= listed:
            omitted[name] = note
            listed -= cost
    return {**kept, "omitted": omitted, "omitted_count": count}


@dataclass(frozen=True)
class NewEvent:
    """An event to append. `append` gives it its index and, if it has none, its time."""

    action: str
    resource: str
    outcome: str
    reason: str = ""
    request_id: str = ""
    actor: Actor | None = None
    details: dict[str, Any] = field(default_factory=dict)
    time: datetime | None = None

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        object.__setattr__(self, "action", _cut(self.action, MAX_ACTION) or "")
        object.__setattr__(self, "resource", _cut(self.resource, MAX_RESOURCE) or "")
        object.__setattr__(self, "reason", _cut(self.reason, MAX_REASON) or "")
        object.__setattr__(self, "request_id", _cut(self.request_id, MAX_REQUEST_ID) or "")
        object.__setattr__(self, "actor", Actor.of(self.actor))
        object.__setattr__(self, "details", normalise_details(self.details))
        if self.time is not None:
            # The database keeps microseconds; so does the leaf.
            object.__setattr__(self, "time", self.time.astimezone(UTC))


def leaf_document(
    *,
    index: int,
    time: datetime,
    request_id: str,
    actor: Actor | None,
    action: str,
    resource: str,
    outcome: str,
    reason: str,
    details: dict[str, Any],
) -> dict[str, Any]:
    return {
        "index": index,
        "time": format_time(time),
        "request_id": request_id,
        "actor": actor.as_json() if actor else None,
        "action": action,
        "resource": resource,
        "outcome": outcome,
        "reason": reason,
        "details": details,
    }


def leaf_bytes(**fields: Any) -> bytes:
    """The canonical leaf bytes of an event; keyword arguments as `leaf_document`."""
    return canonical_json(leaf_document(**fields))


def row_document(row: Any) -> dict[str, Any]:
    """The leaf document rebuilt from an `AuditEvent` row's columns."""
    return leaf_document(
        index=row.index,
        time=row.time,
        request_id=row.request_id,
        actor=Actor.of(
            {
                "client": row.actor_client,
                "partner": row.actor_partner,
                "roles": row.actor_roles,
                "kind": row.actor_kind,
                "issuer": row.actor_issuer,
                "subject": row.actor_subject,
                "name": row.actor_name,
                "owner": row.actor_owner,
            }
        ),
        action=row.action,
        resource=row.resource,
        outcome=row.outcome,
        reason=row.reason,
        details=row.details or {},
    )


def row_leaf_bytes(row: Any) -> bytes:
    return canonical_json(row_document(row))
