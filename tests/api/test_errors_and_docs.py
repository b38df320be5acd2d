"""What a caller sees when things go wrong, and the API's own description."""

from hub.errors import Conflict


def test_unknown_path_is_problem_json(client):
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["code"] == "not_found"
    assert body["status"] == 404
    assert "openapi.json" in body["detail"]
    assert body["request_id"] == r.headers["X-Request-Id"]


def test_wrong_method_is_problem_json(client):
    r = client.delete("/healthz")
    assert r.status_code == 405
    assert r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["code"] == "method_not_allowed"
    assert "GET" in body["detail"]


def test_unexpected_error_has_no_stack_trace(app, caplog):
    @app.get("/api/v1/test-explodes", doc_ui=False)
    def explodes():
        nhs_number = "".join(["943", "476", "5919"])  # built at run time, as data would be
        raise RuntimeError(f"secret internals: could not read {nhs_number}")

    r = app.test_client().get("/api/v1/test-explodes")
    assert r.status_code == 500
    assert r.mimetype == "application/problem+json"
    text = r.get_data(as_text=True)
    assert "Traceback" not in text and "secret internals" not in text
    assert r.get_json()["code"] == "internal_error"
    # The log says what and where, not the message, which could quote identifiers.
    logged = caplog.text
    assert "RuntimeError" in logged and "explodes" in logged
    assert "9434765919" not in logged


def test_hub_error_keeps_its_code(app):
    @app.get("/api/v1/test-conflict", doc_ui=False)
    def conflicting():
        raise Conflict("Already there: use the existing one.", code="already_exists")

    r = app.test_client().get("/api/v1/test-conflict")
    assert r.status_code == 409
    assert r.get_json()["code"] == "already_exists"


def test_request_id_is_echoed_when_sane(client):
    r = client.get("/healthz", headers={"X-Request-Id": "abc-123-def-456"})
    assert r.headers["X-Request-Id"] == "abc-123-def-456"
    r = client.get("/healthz", headers={"X-Request-Id": "<script>"})
    assert r.headers["X-Request-Id"] != "<script>"


def test_readyz_reports_database_and_policies(client):
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.get_json()["checks"] == {"database": "ok", "policies": "ok"}


def test_openapi_document_is_3_1_and_describes_the_api(client):
    r = client.get("/openapi.json")
    assert r.status_code == 200
    doc = r.get_json()
    assert doc["openapi"].startswith("3.1")
    for path in (
        "/oauth/token",
        "/.well-known/jwks.json",
        "/.well-known/oauth-authorization-server",
        "/api/v1/agreements",
        "/api/v1/agreements/{id}",
        "/api/v1/contracts/{dataset}",
        "/api/v1/audit/events",
        "/api/v1/audit/checkpoint",
        "/api/v1/audit/public-key",
        "/healthz",
        "/readyz",
    ):
        assert path in doc["paths"], path
    assert "bearer" in doc["components"]["securitySchemes"]


def test_docs_page_uses_local_assets_only(client):
    r = client.get("/docs")
    assert r.status_code == 302
    page = client.get(r.headers["Location"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "swagger-ui-bundle.js" in html
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html.replace("https://www.w3.org", "")
    with client.get("/openapi/swagger/js/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200
