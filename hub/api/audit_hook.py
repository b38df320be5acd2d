"""The request hook: exactly one audit event for every request to /api/ or /oauth/token (and
to the console's pages and signing in and out). create_app registers it.

After the append the hook signs a checkpoint if one is due (hub.audit.checkpointer).

Routes (and auth, and agreements.enforce) say what a request was with `audit.note(...)`; the
hook fills in the rest after the response is made, allowed, denied or failed alike. Requests
that ended in an exception reach it too: hub/api/problems.py turns every exception into a
problem response first. If the event cannot be appended, the caller gets a 503 instead of
the answer.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, Response, current_app, g, request

from hub import clock, db
from hub.api.problems import database_unavailable, database_unreachable, problem_response
from hub.audit import Actor, LogCorrupted, NewEvent, append, audit_config, noted
from hub.errors import ServiceUnavailable

log = logging.getLogger(__name__)

UNMATCHED = "(unmatched)"
DEFAULT_ACTION = "http.request"
_DONE = "_audit_recorded"
_RULE_ARG = re.compile(r"<(?:[^<>:]+:)?([^<>:]+)>")


def init_app(app: Flask) -> None:
    app.after_request(_record)


# The console's pages show and change what the API does; signing in and out are who-did-what.
_AUDITED_PAGES = ("/console", "/sign-in", "/sign-out")


def is_audited(path: str) -> bool:
    if path.startswith("/api/") or path == "/oauth/token":
        return True
    return any(path == page or path.startswith(page + "/") for page in _AUDITED_PAGES)


def _resource() -> str:
    rule = request.url_rule
    if rule is None:
        return UNMATCHED
    args = request.view_args or {}
    return _RULE_ARG.sub(lambda m: str(args.get(m.group(1), m.group(0))), rule.rule)


def event_for(response: Response) -> NewEvent:
    so_far: dict[str, Any] = noted()
    status = response.status_code
    if status < 400:
        outcome = "allowed"
    elif g.get("error_outcome") == "denied":
        outcome = "denied"
    else:
        outcome = "failed"
    error_code = g.get("error_code")
    reason = so_far.get("reason") or error_code or ("ok" if status < 400 else f"http_{status}")
    if outcome == "failed" and error_code:
        # A request that was allowed and then failed: its cause is the failure (a body cut
        # short, a full disk), not the reason it was allowed.
        reason = error_code
    http: dict[str, Any] = {"method": request.method, "status": status}
    if status >= 400 and error_code:
        http["code"] = error_code
    return NewEvent(
        action=so_far.get("action") or DEFAULT_ACTION,
        resource=so_far.get("resource") or _resource(),
        outcome=outcome,
        reason=reason,
        request_id=g.get("request_id") or "",
        actor=Actor.of(so_far.get("actor") or g.get("identity")),
        details={**so_far.get("details", {}), "http": http},
    )


def _verified_caller(event: NewEvent) -> bool:
    """A caller the hub knows: a verified token or session, or a client whose secret was
    just accepted. Everything else (anonymous, or credentials refused) is unauthenticated."""
    return g.get("identity") is not None or (event.outcome == "allowed" and event.actor is not None)


def _record(response: Response) -> Response:
    if not is_audited(request.path) or g.get(_DONE):
        return response
    g.setdefault(_DONE, True)
    try:
        event = event_for(response)
        budget = audit_config(current_app).unauthenticated
        moment = clock.now()
        summary = budget.summary_due(moment)
        if summary is not None:
            append(db.get_engine(), summary)
        if not _verified_caller(event) and not budget.admit(
            moment, action=event.action, outcome=event.outcome, status=response.status_code
        ):
            return response  # counted, not recorded one by one (hub/audit/unauthenticated)
        index = append(db.get_engine(), event)
    except Exception as exc:  # noqa: BLE001 - any failure to record must withhold the answer
        # The type only: a database error's text can carry the event's values.
        log.error(
            "audit append failed (%s); answering 503 to request %s",
            type(exc).__name__,
            g.get("request_id", "-"),
        )
        response.close()  # the withheld answer may hold a file or a stream
        if database_unreachable(exc):
            return problem_response(database_unavailable())
        return problem_response(
            ServiceUnavailable(
                "The audit log is unavailable, so the hub withholds its answer. "
                "Try again later; if this persists, quote the request_id to the hub's operators."
            )
        )
    _checkpoint_if_due(size=index + 1)
    return response


def _checkpoint_if_due(*, size: int) -> None:
    """After an append: sign a checkpoint if one is due. The event is recorded and the answer
    stands whatever happens here; a refused checkpoint is logged for the operators."""
    config = audit_config(current_app)
    try:
        config.checkpoints.checkpoint_if_due(
            db.get_engine(), current_app.extensions["hub.keys"].audit_signing_key, size=size
        )
    except LogCorrupted as exc:
        log.critical("audit checkpoint refused: %s; run `hub audit verify`", exc)
    except Exception as exc:  # noqa: BLE001 - the next append or the background tick retries
        log.warning("audit checkpoint failed (%s)", type(exc).__name__)
