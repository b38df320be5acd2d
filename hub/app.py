"""The application factory: the one place that puts the hub together. It initialises each
stage and registers every blueprint (the API's and the pages'). No module-level app, engine
or settings."""

from __future__ import annotations

import re
import uuid

from flask import g, redirect, request
from flask_openapi3 import Info, OpenAPI

from hub import (
    __version__,
    agreements,
    api,
    audit,
    auth,
    clock,
    contracts,
    corrections,
    db,
    governance,
    ingest,
    reference,
    store,
    views,
    web,
)
from hub.api import (
    audit_hook,
    body_limits,
    openapi_doc,
    problems,
    rate_limits,
    security_headers,
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


# The API browser's page: flask-openapi3-swagger's, with its inline script and style moved
# to hub/web/static (the CSP of hub.api.security_headers allows neither inline).
SWAGGER_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>The hub: API</title>
  <link rel="stylesheet" href="swagger/css/swagger-ui.css">
  <link rel="stylesheet" href="/static/swagger.css">
</head>
<body>
<div id="swagger-ui" data-url="{{ doc_url }}"></div>
<script src="swagger/js/swagger-ui-bundle.js"></script>
<script src="swagger/js/swagger-ui-standalone-preset.js"></script>
<script src="/static/swagger-init.js"></script>
</body>
</html>
"""


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
        validation_error_callback=problems.validation_failed,
        instance_path=str(settings.instance_path),
        instance_relative_config=False,
        static_folder=None,  # hub.web serves /static from its own package
    )
    app.config.update(
        MAX_CONTENT_LENGTH=None, JSON_SORT_KEYS=False, SWAGGER_HTML_STRING=SWAGGER_PAGE
    )
    app.extensions["hub.settings"] = settings
    app.extensions["hub.keys"] = load_keys(settings)

    problems.init_app(app)  # first: every later failure is answered as problem+json
    security_headers.init_app(app, settings)  # CSP, nosniff, no-store ... on every answer
    db.init_app(app, settings.effective_database_url)
    body_limits.init_app(app)  # sizes, nesting, time and concurrency of request bodies

    @app.before_request
    def _request_id():
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response):
        response.headers["X-Request-Id"] = g.get("request_id", "")
        return response

    rate_limits.init_app(app, settings)  # 429 for spent limits, before any work is done

    # Policies are loaded and checked before anything serves: an invalid file stops the hub.
    agreements.init_app(app, settings)
    contracts.init_app(app, settings)
    auth.init_app(app, settings)
    audit.init_app(app, settings)
    audit_hook.init_app(app)  # one audit event per /api/, /oauth/token and console request
    store.init_app(app)
    ingest.init_app(app, settings)
    views.init_app(app, settings)  # after agreements: views are checked against them
    # After store and ingest: withdrawals and replacements tell recipients too, and an
    # erasure clears the notices' subjects.
    corrections.init_app(app)
    governance.init_app(app)  # an erasure clears re-identification requests' pseudonyms
    reference.init_app(app, settings)  # the LSOA points the map draws

    for blueprint in api.blueprints():
        app.register_api(blueprint)
    web.init_app(app, settings)  # the pages: analyst, IG console, transparency, sign-in
    for blueprint, prefix in web.blueprints():
        app.register_blueprint(blueprint, url_prefix=prefix)

    openapi_doc.make_true(app)  # every error documented as the problem+json it is

    @app.get("/openapi.json", doc_ui=False)
    def openapi_document():
        return app.api_doc

    @app.get("/docs", doc_ui=False)
    def docs():
        return redirect("/openapi/swagger")

    return app

