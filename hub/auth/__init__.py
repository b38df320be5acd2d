"""OAuth 2.0 authorization server for machine clients, JWT access tokens, and who is calling.

Clients get tokens at POST /oauth/token (client credentials); routes learn the caller with
`current_identity()` or `@require(...)`.
"""

from __future__ import annotations

from flask import Flask

from hub.auth.bearer import (
    current_identity,
    identity_from_token,
    require,
    session_identity_now,
    token_expiry,
)
from hub.auth.clients import create_client, list_clients, revoke_client
from hub.auth.identity import ROLES, Identity, Person
from hub.auth.server import create_server
from hub.auth.sessions import (
    CSRF_KEY,
    SESSION_KEY,
    Timeouts,
    end_session,
    person_label,
    start_session,
)
from hub.auth.state import EXTENSION, AuthState
from hub.auth.tokens import TokenConfig
from hub.settings import Settings


def init_app(app: Flask, settings: Settings) -> None:
    tokens = TokenConfig.create(
        issuer=settings.effective_issuer,
        audience=settings.audience,
        ttl_seconds=settings.access_token_ttl_seconds,
        private_key=app.extensions["hub.keys"].token_signing_key,
    )
    timeouts = Timeouts(
        idle_seconds=settings.session_idle_seconds,
        absolute_seconds=settings.session_absolute_seconds,
    )
    app.extensions[EXTENSION] = AuthState(
        tokens=tokens, server=create_server(tokens), timeouts=timeouts
    )


__all__ = [
    "CSRF_KEY",
    "ROLES",
    "SESSION_KEY",
    "Identity",
    "Person",
    "Timeouts",
    "end_session",
    "person_label",
    "session_identity_now",
    "start_session",
    "create_client",
    "current_identity",
    "identity_from_token",
    "init_app",
    "list_clients",
    "require",
    "revoke_client",
    "token_expiry",
]
