"""How an operation documents the problem+json answers it may give (RFC 9457), for the
OpenAPI document: `responses={..., **problem_responses({413: "why"})}`."""

from __future__ import annotations

from typing import Any

PROBLEM_REF = "#/components/schemas/Problem"

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
            # The one Problem schema hub/api/openapi_doc.py puts in the components.
            "content": {"application/problem+json": {"schema": {"$ref": PROBLEM_REF}}},
            **({"headers": _RETRY_AFTER} if status == 503 else {}),
        }
        for status, description in described.items()
    }
