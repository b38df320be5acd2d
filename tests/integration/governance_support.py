"""Helpers for the governance tests: signing in to the console with Flask's test client (a
person's server-side session, as the OpenID sign-in opens it, in the test client's cookie),
and crafting audit events as the hub's own code appends them."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import datetime
from typing import Any

from hub import audit, auth, db
from hub.agreements import current_policies
from hub.audit import NewEvent

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(
    client, app, *, partner: str, roles=("ig_officer",), name: str = "Test Officer"
) -> tuple[str, str]:
    """A person of `partner` signed in on this test client, as the OpenID sign-in leaves them
    (a server-side session whose key the cookie holds); returns (their label, the key)."""
    with app.app_context():
        issuer = current_policies().partners[partner].sign_in.issuer
        person = auth.Person(issuer=issuer, subject=f"test-{uuid.uuid4().hex[:12]}", name=name)
        key, identity = auth.start_session(person=person, partner=partner, roles=frozenset(roles))
    with client.session_transaction() as cookie:
        cookie[auth.SESSION_KEY] = key
        cookie[auth.CSRF_KEY] = secrets.token_urlsafe(16)
    return identity.client_id, key


def add_event(
    app,
    *,
    action: str,
    outcome: str = "allowed",
    client: str | None = None,
    partner: str | None = None,
    roles: tuple[str, ...] = (),
    details: dict[str, Any] | None = None,
    resource: str = "test",
    time: datetime | None = None,
    request_id: str = "",
) -> int:
    """Append one event to the log, as the hook or the pipeline would."""
    actor = {"client": client, "partner": partner, "roles": list(roles)} if client else None
    with app.app_context():
        return audit.append(
            db.get_engine(),
            NewEvent(
                action=action,
                resource=resource,
                outcome=outcome,
                reason="test",
                request_id=request_id,
                actor=actor,
                details=details or {},
                time=time,
            ),
        )
