"""Signing in to the hub's pages: the browser's access token, kept in the session cookie.

There is one way to prove who you are, an access token from POST /oauth/token; the pages
do not invent a second. The sign-in page gets a token for a client id and secret (in the
browser, from /oauth/token, so issuing it is audited like any other), or takes a pasted
token, and posts it here. The token then lives in a signed, HttpOnly, SameSite cookie and is
verified on every page request exactly as a Bearer header is: signature, expiry, and the
client not revoked. The session ends when the token expires.

Forms carry a per-session CSRF token as well; SameSite alone leaves older browsers open.
"""

from __future__ import annotations

import functools
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from hub import audit, auth, errors
from hub.auth import Identity

bp = Blueprint("session", __name__)

_TOKEN = "token"  # noqa: S105 - the session key's name, not a secret
_EXPIRES = "expires"
_CSRF = "csrf"


def csrf_token() -> str:
    """The session's CSRF token, made on first use; templates put it in every form."""
    token = session.get(_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        session[_CSRF] = token
    return token


def check_csrf() -> None:
    """Refuse a state-changing form post that does not carry this session's CSRF token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.form.get("csrf", "") or request.headers.get("X-CSRF-Token", "")
    expected = session.get(_CSRF, "")
    if not expected or not hmac.compare_digest(sent, expected):
        raise errors.Forbidden(
            "This form has expired or did not come from the hub's own page: "
            "reload the page and try again.",
            code="csrf_failed",
        )


def page_identity() -> Identity | None:
    """Who is signed in on this browser, verified now; None if nobody (or the token ended)."""
    token = session.get(_TOKEN)
    if not token:
        return None
    if session.get(_EXPIRES, 0) <= time.time():
        session.pop(_TOKEN, None)
        return None
    try:
        return auth.identity_from_token(token)
    except errors.Unauthenticated:
        session.pop(_TOKEN, None)
        return None


def signed_in(*roles: str) -> Callable:
    """Page decorator: a signed-in person holding one of `roles` (any role if none named).
    Nobody signed in: off to the sign-in page, coming back here afterwards."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            identity = page_identity()
            if identity is None:
                return redirect(url_for("session.sign_in", next=request.full_path.rstrip("?")))
            if roles and not identity.has_role(*roles):
                raise errors.Forbidden(
                    f"This page is for the roles {', '.join(roles)}; you are signed in as "
                    f"{identity.client_id} ({', '.join(sorted(identity.roles)) or 'no roles'}). "
                    "Sign out and sign in with a client that holds the role."
                )
            return view(*args, **kwargs)

        return wrapper

    return decorator


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _safe_next(target: str | None) -> str:
    # Only a path on this hub: never an open redirect to somewhere else.
    if not target:
        return "/"
    if _CONTROL.search(target) or len(target) > 2000:
        raise errors.InvalidRequest(
            "The `next` field (the page to go to after signing in) must be a path on this "
            "hub of at most 2,000 characters, without control characters such as CR or LF. "
            "Open the page you want and sign in from there.",
            code="bad_next",
        )
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def demo_clients() -> list[dict[str, Any]]:
    """In demo mode only, the demo's clients (with secrets) for one-click sign-in."""
    settings = current_app.extensions["hub.settings"]
    if settings.mode != "demo":
        return []
    path = Path(settings.instance_path) / "demo-clients.json"
    try:
        items = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    return [item for item in items if isinstance(item, dict) and "client_id" in item]


@bp.get("/sign-in")
def sign_in():
    return render_template(
        "sign_in.html",
        next=_safe_next(request.args.get("next")),
        demo_clients=demo_clients(),
        error=None,
    )


@bp.post("/sign-in")
def sign_in_post():
    check_csrf()
    token = request.form.get("token", "").strip()
    target = _safe_next(request.form.get("next"))
    audit.note(action="session.start", resource="/sign-in")
    try:
        identity = auth.identity_from_token(token) if token else None
    except errors.Unauthenticated as exc:
        g.error_code, g.error_outcome = exc.code, exc.outcome
        identity, message = None, exc.detail
    else:
        message = "Give a client id and secret, or paste an access token."
    if identity is None:
        page = render_template(
            "sign_in.html", next=target, demo_clients=demo_clients(), error=message
        )
        return page, 401
    session.clear()
    session[_TOKEN] = token
    session[_EXPIRES] = auth.token_expiry(token)
    session[_CSRF] = secrets.token_urlsafe(32)
    session.permanent = False
    return redirect(target)


@bp.post("/sign-out")
def sign_out():
    check_csrf()
    audit.note(action="session.end", resource="/sign-out")
    page_identity()  # so the event names who signed out
    session.clear()
    return redirect(url_for("session.sign_in"))
