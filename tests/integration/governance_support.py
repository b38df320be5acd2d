"""Helpers for the governance tests: signing in to the console with Flask's test client, the
way a browser does (a token from /oauth/token, posted to /sign-in with the page's CSRF token),
and crafting audit events as the hub's own code appends them."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from hub import audit, db
from hub.audit import NewEvent
from tests.helpers import fetch_token, make_client

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client, app, *, partner: str, roles=("ig_officer",)) -> tuple[str, str]:
    """A new client of `partner` signed in on this test client; returns (client_id, token)."""
    client_id, secret = make_client(app, partner=partner, roles=list(roles))
    token = fetch_token(client, client_id, secret)
    page = client.get("/sign-in")
    answer = client.post(
        "/sign-in", data={"token": token, "csrf": csrf_of(page.text), "next": "/console"}
    )
    assert answer.status_code == 302, answer.text
    return client_id, token


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
