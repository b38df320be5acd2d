"""Liveness and readiness, for load balancers and orchestrators."""

from __future__ import annotations

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel
from sqlalchemy import text

from hub import db
from hub.errors import ServiceUnavailable

api = APIBlueprint("health", __name__, abp_tags=[Tag(name="health")])


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}


@api.get("/healthz", responses={200: Health})
def healthz():
    """The process is up."""
    return Health(status="ok").model_dump()


@api.get("/readyz", responses={200: Health})
def readyz():
    """The database answers and the policies are loaded."""
    checks: dict[str, str] = {}
    try:
        with db.get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure to reach the database means not ready
        checks["database"] = "unreachable"
    checks["policies"] = "ok" if "hub.policies" in current_app.extensions else "not loaded"
    if any(value != "ok" for value in checks.values()):
        raise ServiceUnavailable(
            "The hub is not ready: " + ", ".join(f"{k} {v}" for k, v in checks.items()),
            extra={"checks": checks},
        )
    return Health(status="ok", checks=checks).model_dump()
