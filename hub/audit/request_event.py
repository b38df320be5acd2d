"""What the current request's audit event will say. Routes and services `note(...)` what
they know (the action, the resource, why it was allowed or refused, details); the HTTP hook
(hub/api/audit_hook.py) appends the event once the answer is made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g
from sqlalchemy import Engine
from sqlmodel import Session

from hub.audit.events import NewEvent

_NOTE = "_audit_note"

# Where a service hands the audit event of a change it made, with the session (or engine) it
# made it in: `append` appends it there; `note_event` makes it the HTTP request's own event.
# The caller chooses, so the service works the same wherever it is called from.
Record = Callable[[Session | Engine, NewEvent], object]


def note(
    *,
    action: str | None = None,
    resource: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    actor: Any = None,
) -> None:
    """Tell the audit hook about the current request. Later notes override earlier ones;
    details are merged. `actor` is an Identity or a dict {client, partner, roles}.

    Details are read by IG officers: never put secrets, tokens or raw identifiers in them.
    """
    current: dict[str, Any] = g.setdefault(_NOTE, {})
    for key, value in (("action", action), ("resource", resource), ("reason", reason)):
        if value is not None:
            current[key] = value
    if actor is not None:
        current["actor"] = actor
    if details:
        current.setdefault("details", {}).update(details)


def noted() -> dict[str, Any]:
    """What has been noted about the current request so far."""
    return g.get(_NOTE, {})


def note_event(_target: Any, event: NewEvent) -> None:
    """Make `event` the current request's own event: its action, resource, reason and
    details are noted, and the hook appends it (with the caller as actor) once the answer is
    made. It has `append`'s signature, so a service that records an event takes either: the
    HTTP door passes this one, a command or a test passes `append`."""
    note(
        action=event.action, resource=event.resource, reason=event.reason, details=event.details
    )
