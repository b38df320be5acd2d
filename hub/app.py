"""The application factory. No module-level app, engine or settings."""

from __future__ import annotations

import re
import uuid

from flask import g, redirect, request
from flask_openapi3 import Info, OpenAPI

from hub import (
    __version__,
    agreements,
    audit,
    auth,
    clock,
    contracts,
    db,
    errors,
    health,
    ingest,
    views,
    web,
)
from hub.keys import load_keys
from hub.settings import Settings

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from POST /oauth/token (client credentials).",
    }
}


def _validation_failed(exc):
    # flask-openapi3 hands us pydantic's errors; we answer problem+json like everything else.
    problems = [
        {"location": ".".join(str(part) for part in err.get("loc", ())), "message": err.get("msg")}
        for err in exc.errors(include_input=False, include_url=False)
    ]
    raise errors.InvalidRequest(
        "The request does not match the API: see `errors` for each field, and /openapi.json.",
        extra={"errors": problems},
    )


def create_app(settings: Settings | None = None) -> OpenAPI:
    settings = settings or Settings()
    clock.install(clock.from_settings(settings.clock_start, settings.clock_started_at))
    settings.instance_path.mkdir(parents=True, exist_ok=True)

    app = OpenAPI(
        __name__,
        info=Info(
            title="The hub",
            version=__version__,
            description="Multi-agency data sharing under declared agreements.",
        ),
        security_schemes=SECURITY_SCHEMES,
        doc_prefix="/openapi",
        validation_error_status=400,
        validation_error_callback=_validation_failed,
        instance_path=str(settings.instance_path),
        instance_relative_config=False,
        static_folder=None,  # hub.web serves /static from its own package
    )
    app.config.update(MAX_CONTENT_LENGTH=None, JSON_SORT_KEYS=False)
    app.extensions["hub.settings"] = settings
    app.extensions["hub.keys"] = load_keys(settings)

    errors.init_app(app)
    db.init_app(app, settings.effective_database_url)

    @app.before_request
    def _request_id():
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response):
        response.headers["X-Request-Id"] = g.get("request_id", "")
        return response

    # Policies are loaded and checked before anything serves: an invalid file stops the hub.
    agreements.init_app(app, settings)
    contracts.init_app(app, settings)
    auth.init_app(app, settings)
    audit.init_app(app, settings)
    ingest.init_app(app, settings)
    views.init_app(app, settings)  # after agreements: views are checked against them

    app.register_api(auth.api)
    app.register_api(agreements.api)
    app.register_api(contracts.api)
    app.register_api(audit.api)
    app.register_api(ingest.api)
    app.register_api(views.api)
    app.register_api(health.api)
    web.init_app(app, settings)  # the pages: analyst, IG console, transparency, sign-in

    @app.get("/openapi.json", doc_ui=False)
    def openapi_document():
        return app.api_doc

    @app.get("/docs", doc_ui=False)
    def docs():
        return redirect("/openapi/swagger")

    return app


def get_settings() -> Settings:
    from flask import current_app

    return current_app.extensions["hub.settings"]
