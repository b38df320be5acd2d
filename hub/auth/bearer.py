"""Who is calling: the Bearer access token of the current request, checked every time."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from typing import Any

from flask import g, request, session

from hub.auth import notes, sessions
from hub.auth.clients import find_client
from hub.auth.identity import Identity
from hub.auth.state import auth_state
from hub.auth.tokens import RENEW_HINT, TokenRejected, verify_access_token
from hub.errors import Forbidden, Unauthenticated


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    if not header:
        raise Unauthenticated(
            "This request needs an access token: get one from POST /oauth/token "
            "and send it as `Authorization: Bearer <token>`.",
            credentials_given=False,
        )
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated(
            "Send the access token as `Authorization: Bearer <token>`; "
            "get one from POST /oauth/token."
        )
    return token


def _identity_from(claims: dict[str, Any]) -> Identity:
    # The token alone is not enough: a client revoked a second ago must be refused now.
    client = find_client(claims["client_id"])
    if client is None:
        # Signed by this hub's key, for a client it has no record of (a token from another
        # instance sharing the key, or a database restored without the client): not revoked.
        raise Unauthenticated(
            "This hub has no client with the id this access token was issued to: ask the "
            "hub's operators for a client (`hub clients list` shows the ones it has)."
        )
    if client.revoked_at is not None:
        raise Unauthenticated(
            "The client this access token was issued to has been revoked: ask the hub's "
            "operators for a new client."
        )
    if client.partner_id != claims["partner"]:
        raise Unauthenticated(f"The client now belongs to another partner: {RENEW_HINT}.")
    # Roles the client has lost since the token was issued no longer count.
    roles = frozenset(claims["roles"]) & frozenset(client.roles)
    return Identity(
        client_id=client.client_id, partner=client.partner_id, roles=roles, owner=client.name
    )


def current_identity() -> Identity:
    """The verified caller of this request, or `Unauthenticated` saying what to do.

    A system sends its access token as a Bearer header. A person's pages (same origin) send
    their session cookie instead: the session is looked up on the server, and a request that
    changes something must carry the session's CSRF token in `X-CSRF-Token`.
    """
    if "identity" in g:
        return g.identity
    if not request.headers.get("Authorization") and session.get(sessions.SESSION_KEY):
        identity = session_identity_now()
        if identity is not None:
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                sent = request.headers.get("X-CSRF-Token", "")
                expected = session.get(sessions.CSRF_KEY, "")
                if not expected or not hmac.compare_digest(sent, expected):
                    raise Forbidden(
                        "This request came with the page's session but without its CSRF "
                        "token: reload the page and try again.",
                        code="csrf_failed",
                    )
            return identity
    return identity_from_token(_bearer_token())


def session_identity_now() -> Identity | None:
    """The person whose open session this request's cookie names (None if none); remembered
    on `g` and told to the audit log like a token's caller."""
    identity = sessions.session_identity(
        session.get(sessions.SESSION_KEY, ""), timeouts=auth_state().timeouts
    )
    if identity is not None:
        g.identity = identity
        notes.caller(identity)
    return identity


def identity_from_token(token: str) -> Identity:
    """Verify `token` as the caller of this request (the Bearer header's, or the one a web
    page's session holds), remember it on `g` and tell the audit log who called."""
    try:
        claims = verify_access_token(token, config=auth_state().tokens)
    except TokenRejected as rejected:
        raise Unauthenticated(rejected.reason[:1].upper() + rejected.reason[1:] + ".") from rejected
    identity = _identity_from(claims)
    g.identity = identity
    notes.caller(identity)
    return identity


def token_expiry(token: str) -> int:
    """The `exp` of a token that `identity_from_token` accepted."""
    return int(verify_access_token(token, config=auth_state().tokens)["exp"])


def require(*roles: str) -> Callable:
    """Route decorator: a verified caller, holding one of `roles` if any are named.

    What a caller may do with which data is for `agreements.decide`; this only checks who
    is calling and in what capacity.
    """

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            identity = current_identity()
            if roles and not identity.has_role(*roles):
                raise Forbidden(
                    f"This needs an access token with one of the roles {', '.join(roles)}; "
                    "ask for it in the scope at /oauth/token, or ask the hub's operators "
                    "to give the client that role."
                )
            return view(*args, **kwargs)

        return wrapper

    return decorator
