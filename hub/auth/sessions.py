"""People's sessions on the hub's pages, held on the server.

A session starts when a person has signed in at their partner's OpenID Provider
(hub/web/sign_in.py). The browser's cookie holds only the session's random key; the hub keeps
its SHA-256 with the person, their partner and roles. Every request looks the session up:
it is refused once ended (sign-out), once idle for `idle` seconds, or once `absolute`
seconds have passed since sign-in, whatever the provider's token lifetime was. A copy of an
ended session's cookie opens nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hub import clock, db
from hub.auth.identity import Identity, Person
from hub.db.models import WebSession

# The keys in the (signed) cookie: the session's key, and its CSRF token.
SESSION_KEY = "sid"
CSRF_KEY = "csrf"
# Seen-at is written at most this often: a page with many API calls costs no write each.
_TOUCH_EVERY = timedelta(seconds=30)


@dataclass(frozen=True)
class Timeouts:
    idle_seconds: int
    absolute_seconds: int


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def person_label(*, issuer: str, subject: str) -> str:
    """A person's stable one-column label (64 characters at most), for records keyed by the
    caller's id: `person:` and a hash of issuer + subject. Pages and events name the person."""
    digest = hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()[:40]
    return f"person:{digest}"


def _aware(moment: datetime) -> datetime:
    # SQLite gives naive datetimes back; every time the hub writes is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _identity(row: WebSession) -> Identity:
    return Identity(
        client_id=person_label(issuer=row.issuer, subject=row.subject),
        partner=row.partner_id,
        roles=frozenset(row.roles),
        person=Person(issuer=row.issuer, subject=row.subject, name=row.display_name),
    )


def start_session(*, person: Person, partner: str, roles: frozenset[str]) -> tuple[str, Identity]:
    """A new session for a person who has just signed in; returns the cookie's key."""
    key = secrets.token_urlsafe(32)
    now = clock.now()
    row = WebSession(
        id=_key_hash(key),
        partner_id=partner,
        issuer=person.issuer,
        subject=person.subject,
        display_name=person.name[:200],
        roles=sorted(roles),
        created_at=now,
        last_seen_at=now,
    )
    with db.unit_of_work() as session:
        session.add(row)
        identity = _identity(row)
    return key, identity


def session_identity(key: str, *, timeouts: Timeouts) -> Identity | None:
    """Who the session with this key is, if it is still open; None if it never was, has
    ended, or has timed out (a timed-out session is ended here, for good)."""
    if not key:
        return None
    now = clock.now()
    with db.unit_of_work() as session:
        row = session.get(WebSession, _key_hash(key))
        if row is None or row.ended_at is not None:
            return None
        if now - _aware(row.created_at) > timedelta(seconds=timeouts.absolute_seconds):
            row.ended_at, row.end_reason = now, "absolute_timeout"
            session.add(row)
            return None
        if now - _aware(row.last_seen_at) > timedelta(seconds=timeouts.idle_seconds):
            row.ended_at, row.end_reason = now, "idle_timeout"
            session.add(row)
            return None
        if now - _aware(row.last_seen_at) >= _TOUCH_EVERY:
            row.last_seen_at = now
            session.add(row)
        return _identity(row)


def end_session(key: str, *, reason: str = "signed_out") -> bool:
    """End the session with this key now; True if it was open."""
    if not key:
        return False
    with db.unit_of_work() as session:
        row = session.get(WebSession, _key_hash(key))
        if row is None or row.ended_at is not None:
            return False
        row.ended_at, row.end_reason = clock.now(), reason
        session.add(row)
    return True
