"""HubError and its subclasses, each with a stable `code` and the HTTP status it stands for.

No Flask here: a stage raises these without knowing how it is served. hub/api/problems.py
turns them into RFC 9457 problem+json, in one place.
"""

from __future__ import annotations

from typing import Any, ClassVar


class HubError(Exception):
    """A failure a caller can act on. `detail` says what was wrong and what to do."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "Internal error"
    # How the audit log classes this failure: `denied` (a refusal) or `failed`.
    outcome: ClassVar[str] = "failed"

    def __init__(
        self, detail: str, *, extra: dict[str, Any] | None = None, code: str | None = None
    ):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}
        if code:
            self.code = code  # a more specific stable code for the same status

    def headers(self) -> dict[str, str]:
        return {}


class ConfigurationError(HubError):
    """The hub cannot start: an invalid setting, key, agreement or contract file."""

    code = "configuration_error"
    title = "The hub is misconfigured"


class InvalidRequest(HubError):
    status = 400
    code = "invalid_request"
    title = "The request is not valid"


class Unauthenticated(HubError):
    status = 401
    code = "unauthenticated"
    title = "Authentication required"
    outcome = "denied"

    def __init__(self, detail: str, *, credentials_given: bool = True, **kwargs):
        super().__init__(detail, **kwargs)
        self.credentials_given = credentials_given

    def headers(self) -> dict[str, str]:
        # RFC 6750 section 3.1: a request with no credentials gets a bare challenge.
        if not self.credentials_given:
            return {"WWW-Authenticate": 'Bearer realm="hub"'}
        description = self.detail.replace('"', "'")
        return {
            "WWW-Authenticate": (
                f'Bearer realm="hub", error="invalid_token", error_description="{description}"'
            )
        }


class Forbidden(HubError):
    status = 403
    code = "forbidden"
    title = "Not allowed"
    outcome = "denied"


class NotFound(HubError):
    status = 404
    code = "not_found"
    title = "Not found"


class MethodNotAllowed(HubError):
    status = 405
    code = "method_not_allowed"
    title = "Method not allowed"


class Conflict(HubError):
    status = 409
    code = "conflict"
    title = "Conflict"


class Gone(HubError):
    """What was asked for existed once and is there no more (a used or expired reveal)."""

    status = 410
    code = "gone"
    title = "Gone"
    outcome = "denied"

    def headers(self) -> dict[str, str]:
        return {"Cache-Control": "no-store"}


class PayloadTooLarge(HubError):
    status = 413
    code = "payload_too_large"
    title = "The request body is too large"


class UnsupportedMediaType(HubError):
    status = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


class ValidationFailed(HubError):
    status = 422
    code = "validation_failed"
    title = "The request did not pass validation"


class TooManyRequests(HubError):
    """RFC 6585: a rate limit is spent; Retry-After says when to try again."""

    status = 429
    code = "too_many_requests"
    title = "Too many requests"
    outcome = "denied"

    def __init__(self, detail: str, *, retry_after: int = 60, **kwargs):
        super().__init__(detail, **kwargs)
        self.retry_after = retry_after
        self.extra.setdefault("retry_after", retry_after)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class ServiceUnavailable(HubError):
    status = 503
    code = "unavailable"
    title = "Service unavailable"


class IncompleteBody(InvalidRequest):
    """The request body ended before its Content-Length, or a chunked body before its last
    chunk (the sender's connection broke): nothing of it is processed."""

    code = "incomplete_body"
    title = "The request body is incomplete"


class BodyTimeout(HubError):
    """The request body arrived too slowly: the hub stopped reading it."""

    status = 408
    code = "body_timeout"
    title = "The request body arrived too slowly"


class InsufficientStorage(HubError):
    """The hub has no room to keep the upload (its spool disk is full)."""

    status = 507
    code = "insufficient_storage"
    title = "The hub has no room for this upload"


class Busy(HubError):
    """Too many requests are sending bodies to this process at once; try again shortly."""

    status = 503
    code = "busy"
    title = "The hub is busy"

    def __init__(self, detail: str, *, retry_after: int = 5, **kwargs):
        super().__init__(detail, **kwargs)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class DatabaseUnavailable(ServiceUnavailable):
    """The database does not answer (it is restarting or failing over)."""

    code = "database_unavailable"
    title = "The database is unavailable"

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "5"}
