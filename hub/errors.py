"""HubError and its subclasses, each with a stable `code`, and the one handler that turns
them into RFC 9457 problem+json. Nothing else in the hub knows HTTP status codes.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any, ClassVar

from flask import Flask, Response, current_app, g, has_request_context, json, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


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


class ServiceUnavailable(HubError):
    status = 503
    code = "unavailable"
    title = "Service unavailable"


_HTTP_EXCEPTIONS: dict[int, type[HubError]] = {
    400: InvalidRequest,
    401: Unauthenticated,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
}


def problem_response(error: HubError) -> Response:
    body = {
        "type": f"https://hub.example/problems/{error.code}",
        "title": error.title,
        "status": error.status,
        "code": error.code,
        "detail": error.detail,
        **error.extra,
    }
    request_id = getattr(g, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    page = _error_page(body)
    if page is not None:
        response = Response(page, status=error.status, mimetype="text/html")
    else:
        response = Response(json.dumps(body), status=error.status, mimetype=PROBLEM_JSON)
    response.headers.update(error.headers())
    # The audit hook reads these to record why the request failed.
    g.error_code = error.code
    g.error_outcome = error.outcome
    return response


# The web pages register a renderer here (hub.web): a person at a browser on a page gets an
# HTML page saying the same as the problem document. API clients always get problem+json.
ERROR_PAGE_EXTENSION = "hub.error_page"


def _error_page(body: dict[str, Any]) -> str | None:
    if not has_request_context():
        return None
    render = current_app.extensions.get(ERROR_PAGE_EXTENSION)
    if render is None or request.path.startswith(("/api/", "/oauth/", "/.well-known/")):
        return None
    best = request.accept_mimetypes.best_match(["application/problem+json", "text/html"])
    if best != "text/html":
        return None
    return render(body)


def from_http_exception(exc: HTTPException) -> HubError:
    kind = _HTTP_EXCEPTIONS.get(exc.code or 500, HubError)
    allowed = ", ".join(getattr(exc, "valid_methods", None) or [])
    detail = {
        404: "No such resource. See /openapi.json for the hub's API.",
        405: f"This resource does not accept that method. Allowed: {allowed}.",
        413: "The request body is larger than the hub accepts.",
    }.get(exc.code or 0, exc.description or "The request could not be handled.")
    return kind(detail)


def init_app(app: Flask) -> None:
    @app.errorhandler(HubError)
    def _hub_error(error: HubError):
        return problem_response(error)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return problem_response(from_http_exception(exc))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        # The server log gets the exception's type and where it was raised, but not its
        # message: a message can quote the data it choked on, and data may hold identifiers.
        # The caller gets a request id to quote, never a trace.
        log.error(
            "unhandled %s on request %s\n%s",
            type(exc).__name__,
            g.get("request_id", "-"),
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        return problem_response(
            HubError(
                "Something went wrong on our side. Quote the request_id to the hub's operators."
            )
        )
