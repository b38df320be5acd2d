"""The request hook: exactly one audit event for every request to /api/ or /oauth/token (and
to the console's pages and signing in and out).

After the append the hook signs a checkpoint if one is due (hub.audit.checkpoints).

Routes (and auth, and agreements.enforce) say what a request was with `note(...)`; the hook
fills in the rest after the response is made, allowed, denied or failed alike. Requests that
ended in an exception reach it too: errors.py turns every exception into a problem response
first. If the event cannot be appended, the caller gets a 503 instead of the answer.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, g, request

from hub import db, errors
from hub.audit.checkpoint import check_key_name
from hub.audit.checkpoints import Checkpointer
from hub.audit.events import Actor, NewEvent
from hub.audit.log import LogCorrupted, append

log = logging.getLogger(__name__)

EXTENSION = "hub.audit"
UNMATCHED = "(unmatched)"
DEFAULT_ACTION = "http.request"
_NOTE = "_audit_note"
_DONE = "_audit_recorded"
_RULE_ARG = re.compile(r"<(?:[^<>:]+:)?([^<>:]+)>")


@dataclass(frozen=True)
class AuditConfig:
    origin: str
    checkpoints: Checkpointer


def init_app(app: Flask, settings) -> None:
    origin = settings.effective_audit_origin
    try:
        check_key_name(origin)
    except ValueError as exc:
        raise errors.ConfigurationError(
            f"HUB_AUDIT_ORIGIN: {exc}; use a schema-less URL such as hub.example.org/audit"
        ) from exc
    app.extensions[EXTENSION] = AuditConfig(
        origin=origin,
        checkpoints=Checkpointer(
            origin=origin,
            every_events=settings.checkpoint_every_events,
            every_seconds=settings.checkpoint_every_seconds,
        ),
    )
    app.after_request(_record)


# The console's pages show and change what the API does; signing in and out are who-did-what.
_AUDITED_PAGES = ("/console", "/sign-in", "/sign-out")


def is_audited(path: str) -> bool:
    if path.startswith("/api/") or path == "/oauth/token":
        return True
    return any(path == page or path.startswith(page + "/") for page in _AUDITED_PAGES)


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


def _resource() -> str:
    rule = request.url_rule
    if rule is None:
        return UNMATCHED
    args = request.view_args or {}
    return _RULE_ARG.sub(lambda m: str(args.get(m.group(1), m.group(0))), rule.rule)


def event_for(response: Response) -> NewEvent:
    noted: dict[str, Any] = g.get(_NOTE, {})
    status = response.status_code
    if status < 400:
        outcome = "allowed"
    elif g.get("error_outcome") == "denied":
        outcome = "denied"
    else:
        outcome = "failed"
    error_code = g.get("error_code")
    reason = noted.get("reason") or error_code or ("ok" if status < 400 else f"http_{status}")
    http: dict[str, Any] = {"method": request.method, "status": status}
    if status >= 400 and error_code:
        http["code"] = error_code
    return NewEvent(
        action=noted.get("action") or DEFAULT_ACTION,
        resource=noted.get("resource") or _resource(),
        outcome=outcome,
        reason=reason,
        request_id=g.get("request_id") or "",
        actor=Actor.of(noted.get("actor") or g.get("identity")),
        details={**noted.get("details", {}), "http": http},
    )


def _record(response: Response) -> Response:
    if not is_audited(request.path) or g.get(_DONE):
        return response
    g.setdefault(_DONE, True)
    try:
        index = append(db.get_engine(), event_for(response))
    except Exception as exc:  # noqa: BLE001 - any failure to record must withhold the answer
        # The type only: a database error's text can carry the event's values.
        log.error(
            "audit append failed (%s); answering 503 to request %s",
            type(exc).__name__,
            g.get("request_id", "-"),
        )
        response.close()  # the withheld answer may hold a file or a stream
        return errors.problem_response(
            errors.ServiceUnavailable(
                "The audit log is unavailable, so the hub withholds its answer. "
                "Try again later; if this persists, quote the request_id to the hub's operators."
            )
        )
    _checkpoint_if_due(size=index + 1)
    return response


def _checkpoint_if_due(*, size: int) -> None:
    """After an append: sign a checkpoint if one is due. The event is recorded and the answer
    stands whatever happens here; a refused checkpoint is logged for the operators."""
    config: AuditConfig = current_app.extensions[EXTENSION]
    try:
        config.checkpoints.checkpoint_if_due(
            db.get_engine(), current_app.extensions["hub.keys"].audit_signing_key, size=size
        )
    except LogCorrupted as exc:
        log.critical("audit checkpoint refused: %s; run `hub audit verify`", exc)
    except Exception as exc:  # noqa: BLE001 - the next append or the background tick retries
        log.warning("audit checkpoint failed (%s)", type(exc).__name__)
