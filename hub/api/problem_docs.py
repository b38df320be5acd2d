"""How an operation documents the problem+json answers it may give (RFC 9457), for the
OpenAPI document: `responses={..., **problem_responses({413: "why"})}`."""

from __future__ import annotations

from typing import Any

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string", "description": "Stable: what went wrong."},
        "detail": {"type": "string", "description": "What to do about it."},
        "request_id": {"type": "string"},
    },
    "additionalProperties": True,
}

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before sending the request again.",
        "schema": {"type": "integer"},
    }
}


def problem_responses(described: dict[int, str]) -> dict[int, dict[str, Any]]:
    """One problem+json response per status; 503 answers carry Retry-After."""
    return {
        status: {
            "description": description,
            "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}},
            **({"headers": _RETRY_AFTER} if status == 503 else {}),
        }
        for status, description in described.items()
    }
