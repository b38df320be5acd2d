"""The OpenAPI document, made true about errors (issue 11).

flask-openapi3 documents every operation's 400 as a JSON array of pydantic errors and no
other error at all. The hub answers every error (but the OAuth token endpoint's own, RFC 6749
section 5.2) with one RFC 9457 `application/problem+json` object. This rewrites the generated
document once, after every blueprint is registered: each operation lists the problems it can
answer with, and their headers (Allow, Retry-After, WWW-Authenticate, Accept-Post).
"""

from __future__ import annotations

from typing import Any

from flask_openapi3 import OpenAPI

from hub.api.problems import PROBLEM_JSON

PROBLEM_REF = "#/components/schemas/Problem"
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details, with the hub's stable `code`.",
    "type": "object",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {
            "type": "string",
            "format": "uri",
            "description": "A page the hub serves about this kind of problem: /problems/<kind>.",
        },
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "code": {"type": "string", "description": "Stable: what to branch on."},
        "detail": {"type": "string", "description": "What was wrong and what to do."},
        "instance": {"type": "string", "description": "The path of the request that failed."},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "For a request that does not match the API: one per field.",
            "items": {
                "type": "object",
                "properties": {"location": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}

_HEADER = {"schema": {"type": "string"}}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
    }
}
_DESCRIPTIONS = {
    "400": "The request does not match the API, or is not valid.",
    "401": "No valid credentials: send an access token from POST /oauth/token.",
    "403": "The agreements do not allow this caller to do this.",
    "404": "No such resource, or none the caller may see.",
    "405": "The resource does not accept that method.",
    "409": "The request conflicts with the resource's current state.",
    "413": "The request body is larger than the hub accepts.",
    "415": "The hub does not accept the body's media type here.",
    "422": "The request was read but did not pass validation.",
    "429": "A rate limit is spent.",
    "503": "The hub, or a part it needs (the database, the audit log), is unavailable.",
}
_HEADERS: dict[str, dict[str, Any]] = {
    "401": {"WWW-Authenticate": {"description": "RFC 6750 challenge.", **_HEADER}},
    "405": {"Allow": {"description": "The methods the resource accepts.", **_HEADER}},
    "415": {"Accept-Post": {"description": "The media types accepted.", **_HEADER}},
    "429": _RETRY_AFTER,
    "503": _RETRY_AFTER,
}
# The OAuth token endpoint answers its own errors in RFC 6749 form (application/json).
_OAUTH_PATHS = ("/oauth/token",)


def problem(status: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _DESCRIPTIONS.get(status, "A problem."),
        "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}},
    }
    if status in _HEADERS:
        response["headers"] = _HEADERS[status]
    return response


def _statuses(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    statuses = ["400", "405", "429", "503"]
    if operation.get("security"):
        statuses += ["401", "403"]
    if "{" in path or path.startswith("/api/v1/audit/proof/"):
        statuses.append("404")
    if method != "get":
        statuses += ["409", "422"]
    if operation.get("requestBody") or method != "get":
        statuses += ["413", "415"]
    return statuses


def make_true(app: OpenAPI) -> dict[str, Any]:
    """Rewrite the app's generated document in place (both /openapi.json and the API
    browser's copy serve it); return it."""
    document = app.api_doc
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("ValidationErrorModel", None)
    schemas["Problem"] = PROBLEM_SCHEMA
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if path in _OAUTH_PATHS:
                responses["429"] = problem("429")
                responses["503"] = problem("503")
                responses["405"] = problem("405")
                continue
            for status in _statuses(path, method, operation):
                responses[status] = problem(status)
    return document
