"""What auth keeps per app: token settings and the authorization server.

Per app rather than per module, because each app has its own issuer, audience and key.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from hub.auth.server import HubAuthorizationServer
from hub.auth.sessions import Timeouts
from hub.auth.tokens import TokenConfig

EXTENSION = "hub.auth"


@dataclass(frozen=True)
class AuthState:
    tokens: TokenConfig
    server: HubAuthorizationServer
    timeouts: Timeouts


def auth_state() -> AuthState:
    return current_app.extensions[EXTENSION]
