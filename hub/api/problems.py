"""HTTP errors, mapped in one place: every HubError (and every HTTPException or unexpected
exception) becomes an RFC 9457 problem+json answer, or, for a person at a page, the same
problem as an HTML page.
"""

from __future__ import annotations

import logging
import traceback
from html import escape
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
    TooManyRequests,
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
    429: TooManyRequests,
}


# How long a caller of a 503 waits before trying again, unless the error says otherwise.
RETRY_AFTER_UNAVAILABLE = 30


def problem_type(error: HubError) -> str:
    """The problem type's URI: a page the hub serves (GET /problems/<code>, one per kind of
    error), under the hub's own public address (its issuer). The kind is the error class's
    code; a more specific `code` of the same kind is in the body."""
    base = ""
    if has_request_context():
        settings = current_app.extensions.get("hub.settings")
        base = settings.effective_issuer if settings is not None else request.host_url.rstrip("/")
    return f"{base}/problems/{type(error).code}"


def problem_response(error: HubError) -> Response:
    body = {
        "type": problem_type(error),
        "title": error.title,
        "status": error.status,
        "code": error.code,
        "detail": error.detail,
        **error.extra,
    }
    if has_request_context():
        body.setdefault("instance", request.path)  # the request that failed (no query)
    request_id = getattr(g, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    page = _error_page(body)
    if page is not None:
        response = Response(page, status=error.status, mimetype="text/html")
    else:
        response = Response(json.dumps(body), status=error.status, mimetype=PROBLEM_JSON)
    response.headers.update(error.headers())
    response.headers.update(getattr(error, "response_headers", {}))
    if error.status == 503 and "Retry-After" not in response.headers:
        response.headers["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE)
    accepted = error.extra.get("accepted") if error.status == 415 else None
    if accepted:
        # RFC 9110 15.5.16: say which media types the resource accepts, in a header too.
        response.headers["Accept-Post"] = ", ".join(accepted)
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
    error = kind(detail)
    if exc.code == 405 and allowed:
        error.response_headers = {"Allow": allowed}  # RFC 9110 15.5.6
    return error


_ADVICE = {
    400: "The request does not match the API. The problem's `detail` (and `errors`, field by "
    "field) says what to change; /openapi.json describes every operation.",
    401: "Send an access token (`Authorization: Bearer ...`) from POST /oauth/token, or a "
    "client id and secret to /oauth/token. The `detail` says what was wrong with the one sent.",
    403: "The caller is known but not allowed: the `detail` and `rule` say which rule of the "
    "agreements refused it, and who can change that.",
    404: "There is no such resource, or none the caller may see.",
    405: "The resource does not accept that method: the `Allow` header lists the ones it does.",
    409: "The request conflicts with the resource's state (for example, an agreement already "
    "suspended, or an Idempotency-Key used for another request).",
    413: "The body is larger than the hub accepts: send less, or in parts.",
    415: "The hub does not read that media type here: the `Accept-Post` header and the "
    "problem's `accepted` list the ones it does.",
    422: "The request was read but did not pass validation: the `detail` says what to fix.",
    429: "A rate limit is spent: wait for the seconds in `Retry-After`, then try again.",
    500: "Something failed on the hub's side: quote the `request_id` to the hub's operators.",
    503: "The hub (or a part it needs) is unavailable for now: try again after `Retry-After`.",
}


def problem_kinds() -> dict[str, type[HubError]]:
    """Every kind of problem the hub answers with, by its code (the error classes)."""
    kinds: dict[str, type[HubError]] = {}
    todo: list[type[HubError]] = [HubError]
    while todo:
        kind = todo.pop()
        kinds.setdefault(kind.code, kind)
        todo.extend(kind.__subclasses__())
    return kinds


def _problem_page(code: str):
    kind = problem_kinds().get(code)
    if kind is None:
        raise NotFound(f"There is no problem type `{code}`: /problems lists them.")
    advice = _ADVICE.get(kind.status, "")
    doc = " ".join((kind.__doc__ or "").split()) if kind is not HubError else ""
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(kind.title)} · problem types · the hub</title></head><body>"
        f"<h1>{escape(kind.title)}</h1>"
        f"<p>Problem type <code>{escape(code)}</code>, HTTP status {kind.status}, as the hub "
        "answers it in an RFC 9457 <code>application/problem+json</code> document.</p>"
        + (f"<p>{escape(doc)}</p>" if doc else "")
        + (f"<p>{escape(advice)}</p>" if advice else "")
        + '<p><a href="/problems">Every problem type</a></p></body></html>'
    )
    return Response(page, mimetype="text/html")


def _problem_index():
    items = "".join(
        f'<li><a href="/problems/{escape(code)}"><code>{escape(code)}</code></a>: '
        f"{escape(kind.title)} ({kind.status})</li>"
        for code, kind in sorted(problem_kinds().items())
    )
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Problem types · the hub</title></head><body><h1>Problem types</h1>"
        "<p>The <code>type</code> of every problem the hub answers with is one of these "
        f"pages; the problem's <code>code</code> may name a more specific case.</p><ul>{items}"
        "</ul></body></html>"
    )
    return Response(page, mimetype="text/html")


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
    app.add_url_rule("/problems", "problem_types", _problem_index, methods=["GET"])
    app.add_url_rule("/problems/<code>", "problem_type", _problem_page, methods=["GET"])

    @app.errorhandler(HubError)
    def _hub_error(error: HubError):
        return problem_response(error)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code == 429 and getattr(exc, "response", None) is not None:
            return exc.response  # Flask-Limiter's breach, already a problem (hub.api.rate_limits)
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
