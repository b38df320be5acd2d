"""Issue 11 item 11: security headers on every answer, a CSP that allows no inline script,
and `Cache-Control: no-store` on the console and on every answer that may carry personal
data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hub.app import create_app
from tests.conftest import make_settings
from tests.helpers import bearer, token_for

TEMPLATES = Path(__file__).resolve().parents[2] / "hub" / "web" / "templates"


def assert_hardened(response) -> None:
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(
    "path", ["/", "/sign-in", "/console", "/transparency", "/openapi/swagger", "/healthz"]
)
def test_pages_carry_the_security_headers(client, path):
    response = client.get(path)
    assert response.status_code < 500
    assert_hardened(response)
    assert "Strict-Transport-Security" not in response.headers  # the issuer is http here


def test_the_console_and_the_api_are_not_stored(client, app):
    token = token_for(client, app, partner="northshire-council", roles=["ig_officer"])
    for response in (
        client.get("/console"),
        client.get("/console", headers=bearer(token)),
        client.get("/api/v1/agreements", headers=bearer(token)),
        client.get("/api/v1/audit/events", headers=bearer(token)),
        client.get("/api/v1/uploads", headers=bearer(token)),
        client.get("/api/v1/nope"),
    ):
        assert_hardened(response)
        assert response.headers["Cache-Control"] == "no-store", response.request.path


def test_hsts_when_the_issuer_is_https(tmp_path, database_url, test_keys):
    settings = make_settings(tmp_path, database_url, test_keys, issuer="https://hub.example.org")
    app = create_app(settings)
    response = app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert_hardened(response)


def test_no_template_holds_inline_script_or_style():
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not inline_script.search(text), template
        assert not handler.search(text), template
        assert "<style" not in text and "style=" not in text, template
        assert not re.search(r"(href|src|action)=\"javascript:", text, re.I), template


def test_the_api_browser_page_has_no_inline_script(client):
    page = client.get("/openapi/swagger").get_data(as_text=True)
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    assert "<style" not in page
    with client.get("/static/swagger-init.js") as script:
        assert script.status_code == 200
