"""Signing in to the hub's pages: people, at their own partner's OpenID Provider.

The sign-in page lists the partners whose providers the hub knows (policies/partners.yaml).
A person picks theirs, signs in there, and comes back with an authorization code that the hub
exchanges (hub/web/oidc.py, Authlib's Flask client). The hub then opens a session on the
server (hub.auth.sessions): the signed cookie holds only the session's random key. The
session ends at sign-out, after the idle timeout or after the absolute one; a copy of the
cookie then opens nothing. The provider's token lifetime is not the session's.

Forms carry a per-session CSRF token as well; SameSite alone leaves older browsers open.
"""

from __future__ import annotations

import functools
import hmac
import re
import secrets
from collections.abc import Callable
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
from hub.web import oidc

bp = Blueprint("session", __name__)

_CSRF = auth.CSRF_KEY
_NEXT = "sign_in_next"


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
    """Who is signed in on this browser: the open server-side session the cookie names, or
    None (nobody, or the session ended, timed out or never was)."""
    if "identity" in g:
        return g.identity
    return auth.session_identity_now()


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
                    f"{identity.display} ({', '.join(sorted(identity.roles)) or 'no roles'}). "
                    "Ask your organisation's IG team for the role, or sign in as someone who "
                    "holds it."
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


def _landing(identity: Identity) -> str:
    """Each role's own page: IG officers (and admins) the console, uploaders their uploads,
    analysts the views."""
    if identity.has_role("ig_officer", "admin"):
        return "/console"
    if identity.has_role("uploader"):
        return "/console/uploads"
    return "/"


def _providers() -> list[dict[str, Any]]:
    registry = current_app.extensions[oidc.EXTENSION]
    return [
        {"partner": p.partner, "name": p.name, "ready": p.ready, "problem": p.problem}
        for p in registry.providers.values()
    ]


def _sign_in_page(*, next_path: str, error: str | None, status: int = 200):
    page = render_template(
        "sign_in.html",
        next=next_path,
        providers=_providers(),
        demo_people=oidc.demo_people(),
        error=error,
    )
    return page, status


@bp.get("/sign-in")
def sign_in():
    return _sign_in_page(next_path=_safe_next(request.args.get("next")), error=None)


@bp.get("/sign-in/<partner>")
def sign_in_at(partner: str):
    """Off to the partner's own OpenID Provider (authorization code, PKCE S256, state, nonce).
    Recorded as `session.redirect`; the session starts (`session.start`) at the callback."""
    audit.note(action="session.redirect", resource=f"/sign-in/{partner}")
    target = _safe_next(request.args.get("next"))  # a bad `next` is the sender's 400, first
    provider = oidc.provider(partner)
    session[_NEXT] = target
    return oidc.start_sign_in(provider)


@bp.get("/sign-in/<partner>/callback")
def sign_in_callback(partner: str):
    """The provider sends the person back here: the code is exchanged (with the PKCE
    verifier), the ID token checked (signature by the issuer's JWKS, issuer, audience,
    expiry, nonce), its claims mapped to roles of this partner only, and a session opened."""
    audit.note(action="session.start", resource=f"/sign-in/{partner}")
    target = session.pop(_NEXT, None) or "/"
    try:
        identity = oidc.complete_sign_in(partner)
    except errors.HubError as exc:
        g.error_code, g.error_outcome = exc.code, exc.outcome
        return _sign_in_page(next_path=target, error=exc.detail, status=exc.status)
    key, identity = auth.start_session(
        person=identity.person, partner=identity.partner, roles=identity.roles
    )
    session.clear()
    session[auth.SESSION_KEY] = key
    session[_CSRF] = secrets.token_urlsafe(32)
    session.permanent = False
    g.identity = identity
    audit.note(actor=identity, details={"landing": _landing(identity)})
    return redirect(target if target != "/" else _landing(identity))


@bp.post("/sign-out")
def sign_out():
    check_csrf()
    audit.note(action="session.end", resource="/sign-out")
    page_identity()  # so the event names who signed out
    auth.end_session(session.get(auth.SESSION_KEY, ""))
    session.clear()
    return redirect(url_for("session.sign_in"))
