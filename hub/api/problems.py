"""HTTP errors, mapped in one place: every HubError (and every HTTPException or unexpected
exception) becomes an RFC 9457 problem+json answer, or, for a person at a page, the same
problem as an HTML page.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, json, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from hub.errors import (
    DatabaseUnavailable,
    Forbidden,
    HubError,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
    UnsupportedMediaType,
)

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

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


def validation_failed(exc):
    """flask-openapi3's callback for a request that does not match its model: pydantic's
    errors become a problem+json answer like everything else."""
    problems = [
        {"location": ".".join(str(part) for part in err.get("loc", ())), "message": err.get("msg")}
        for err in exc.errors(include_input=False, include_url=False)
    ]
    raise InvalidRequest(
        "The request does not match the API: see `errors` for each field, and /openapi.json.",
        extra={"errors": problems},
    )


def from_http_exception(exc: HTTPException) -> HubError:
    kind = _HTTP_EXCEPTIONS.get(exc.code or 500, HubError)
    allowed = ", ".join(getattr(exc, "valid_methods", None) or [])
    detail = {
        404: "No such resource. See /openapi.json for the hub's API.",
        405: f"This resource does not accept that method. Allowed: {allowed}.",
        413: "The request body is larger than the hub accepts.",
    }.get(exc.code or 0, exc.description or "The request could not be handled.")
    return kind(detail)


def database_unreachable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached now (restarting, failing over, a
    connection cut), as opposed to a fault of the hub's: the caller may simply try again."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(
        exc, sa_exc.OperationalError | sa_exc.DisconnectionError | sa_exc.TimeoutError
    ) or (isinstance(exc, sa_exc.InterfaceError) and "closed" in str(exc.orig or "").lower())


def database_unavailable() -> DatabaseUnavailable:
    return DatabaseUnavailable(
        "The hub's database is not answering just now (it may be restarting or failing "
        "over). Nothing was changed; send the request again after Retry-After seconds."
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(HubError)
    def _hub_error(error: HubError):
        return problem_response(error)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return problem_response(from_http_exception(exc))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if database_unreachable(exc):
            log.warning(
                "database unavailable (%s) on request %s; answering 503",
                type(exc).__name__,
                g.get("request_id", "-"),
            )
            return problem_response(database_unavailable())
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
