"""The HTTP API: one blueprint module per area, each thin (parse the request into a typed
model, call the stage's function, serialise the answer). HTTP errors are mapped to
problem+json in one place (hub/api/problems.py) and every request is audited by one hook
(hub/api/audit_hook.py). create_app registers what `blueprints()` lists.
"""

from __future__ import annotations

from flask_openapi3 import APIBlueprint

from hub.api import (
    agreements,
    audit,
    auth,
    contracts,
    corrections,
    health,
    notifications,
    reference,
    reidentifications,
    uploads,
    views,
)


def blueprints() -> list[APIBlueprint]:
    """The API's blueprints, in the order the OpenAPI document lists them."""
    return [
        auth.api,
        agreements.api,
        contracts.api,
        audit.api,
        uploads.api,
        corrections.api,
        views.api,
        notifications.api,
        reidentifications.api,
        health.api,
        reference.api,
    ]


__all__ = ["blueprints"]
