"""Rate limits (issue 11), with Flask-Limiter: answered 429 problem+json with Retry-After.

- Failed token requests (400/401 from POST /oauth/token), per client id and per address:
  once a client id or an address has used its failures, its token requests are refused
  until the window ends, right or wrong, so guessing a secret gets nowhere.
- Failed authentication elsewhere (a 401: a bad, expired or forged token), per address.
- Anonymous requests (no credentials at all), per address, over the whole hub.

The counters live in Redis when HUB_REDIS_URL is set, so that every process shares them; else
in each process. Windows run on the system clock, like token lifetimes. The liveness and
readiness probes and the static assets are not limited.
"""

from __future__ import annotations

import base64
import binascii
import math
import time
from urllib.parse import unquote

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many

from hub.api.problems import problem_response
from hub.errors import TooManyRequests
from hub.settings import Settings

EXTENSION = "hub.rate_limits"
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a secret
_UNLIMITED = ("/healthz", "/readyz", "/static/", "/openapi/swagger/")
_FAILED = (400, 401)
_MAX_KEY = 200  # a client id longer than any the hub makes is cut: keys stay bounded


class RateLimits:
    def __init__(self, app: Flask, settings: Settings):
        self.failed_token_per_client = parse_many(settings.rate_limit_failed_token_per_client)
        self.failed_token_per_address = parse_many(settings.rate_limit_failed_token_per_address)
        self.failed_auth_per_address = parse_many(settings.rate_limit_failed_auth_per_address)
        self.enabled = settings.rate_limit_enabled
        self.limiter = Limiter(
            key_func=get_remote_address,
            app=app,
            application_limits=[settings.rate_limit_anonymous_per_address],
            application_limits_exempt_when=_not_anonymous,
            storage_uri=settings.redis_url or "memory://",
            storage_options={"socket_connect_timeout": 2} if settings.redis_url else {},
            strategy="fixed-window",
            key_prefix="hub-rate",
            headers_enabled=False,
            on_breach=_anonymous_breach,
            enabled=settings.rate_limit_enabled,
            swallow_errors=True,  # Redis away: serve unlimited rather than fail every request
        )

    # -- explicit counters for failures -----------------------------------------------------

    def _refuse_if_spent(self, items: list[RateLimitItem], *key: str, detail: str) -> None:
        strategy = self.limiter.limiter
        for item in items:
            if not strategy.test(item, *key):
                reset = strategy.get_window_stats(item, *key).reset_time
                raise TooManyRequests(detail, retry_after=max(1, math.ceil(reset - time.time())))

    def _spend(self, items: list[RateLimitItem], *key: str) -> None:
        for item in items:
            self.limiter.limiter.hit(item, *key)

    def before(self) -> None:
        if not self.enabled or request.path.startswith(_UNLIMITED):
            return
        address = get_remote_address() or "-"
        try:
            if request.path == TOKEN_PATH:
                client_id = _attempted_client_id()
                if client_id:
                    self._refuse_if_spent(
                        self.failed_token_per_client,
                        "failed-token-client",
                        client_id,
                        detail="Too many failed token requests for this client id: wait for "
                        "the time in Retry-After, then send the right secret. If you do not know "
                        "it, ask the hub's operators for a new one.",
                    )
                self._refuse_if_spent(
                    self.failed_token_per_address,
                    "failed-token-address",
                    address,
                    detail="Too many failed token requests from this address: wait for the "
                    "time in Retry-After.",
                )
            else:
                self._refuse_if_spent(
                    self.failed_auth_per_address,
                    "failed-auth-address",
                    address,
                    detail="Too many requests with credentials the hub refused came from this "
                    "address: wait for the time in Retry-After, then get a new token at "
                    "/oauth/token.",
                )
        except TooManyRequests:
            raise
        except Exception:  # noqa: BLE001 - the store is away: serve rather than fail closed
            current_app.logger.warning("rate limit store unavailable; request not limited")

    def after(self, response: Response) -> Response:
        if not self.enabled or response.status_code not in _FAILED:
            return response
        if response.status_code == 429:
            return response
        address = get_remote_address() or "-"
        try:
            if request.path == TOKEN_PATH:
                client_id = _attempted_client_id()
                if client_id:
                    self._spend(self.failed_token_per_client, "failed-token-client", client_id)
                self._spend(self.failed_token_per_address, "failed-token-address", address)
            elif response.status_code == 401 and _has_credentials():
                self._spend(self.failed_auth_per_address, "failed-auth-address", address)
        except Exception:  # noqa: BLE001 - as in before()
            current_app.logger.warning("rate limit store unavailable; failure not counted")
        return response


def _has_credentials() -> bool:
    return bool(request.headers.get("Authorization")) or any(
        name.startswith("hub_") for name in request.cookies
    )


def _not_anonymous() -> bool:
    return (
        _has_credentials()
        or request.path.startswith(_UNLIMITED)
        or (
            request.path == TOKEN_PATH  # token requests have limits of their own, above
        )
    )


def _anonymous_breach(limit: RequestLimit) -> Response:
    retry = max(1, math.ceil(limit.reset_at - time.time()))
    return problem_response(
        TooManyRequests(
            "Too many requests without credentials from this address: wait for the time in "
            "Retry-After, or authenticate (an access token from POST /oauth/token).",
            retry_after=retry,
        )
    )


def _attempted_client_id() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        client_id = unquote(decoded.partition(":")[0])
    else:
        client_id = request.form.get("client_id") or ""
    return client_id[:_MAX_KEY] or None


def init_app(app: Flask, settings: Settings) -> None:
    limits = RateLimits(app, settings)
    app.extensions[EXTENSION] = limits
    app.before_request(limits.before)
    app.after_request(limits.after)
