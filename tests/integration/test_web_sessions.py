"""People's sessions are held on the server: sign-out ends one for good, so does an idle
spell or the end of the working day, whatever the provider's token lifetime."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from hub import auth, clock, db
from hub.db.models import WebSession
from tests.integration.governance_support import sign_in


def _cookie(client, key: str, csrf: str = "c" * 22) -> None:
    with client.session_transaction() as cookie:
        cookie[auth.SESSION_KEY] = key
        cookie[auth.CSRF_KEY] = csrf


def _csrf(client) -> str:
    with client.session_transaction() as cookie:
        return cookie[auth.CSRF_KEY]


def _ended(app) -> list[tuple[str | None, str | None]]:
    with app.app_context(), db.read_only() as session:
        return [(r.end_reason, r.display_name) for r in session.exec(select(WebSession)).all()]


def _later(pinned, seconds: int) -> None:
    clock.install(clock.PinnedClock(clock.now() + timedelta(seconds=seconds)))


def test_sign_out_ends_the_session_and_a_copied_cookie_gets_the_sign_in_page(app, client):
    _, key = sign_in(client, app, partner="northshire-council", name="Jo Bennett")
    page = client.get("/console")
    assert page.status_code == 200 and "Jo Bennett" in page.text
    answer = client.post("/sign-out", data={"csrf": _csrf(client)})
    assert answer.status_code == 302
    assert _ended(app) == [("signed_out", "Jo Bennett")]

    thief = app.test_client()
    _cookie(thief, key)  # the old session cookie's key, copied before sign-out
    page = thief.get("/console")
    assert page.status_code == 302 and page.location.startswith("/sign-in?next=/console")
    assert thief.get("/api/v1/agreements").status_code == 401


def test_an_idle_session_ends_and_stays_ended(app, client, pinned_clock):
    sign_in(client, app, partner="northshire-council")
    idle = app.extensions["hub.settings"].session_idle_seconds
    _later(pinned_clock, idle - 60)
    assert client.get("/console").status_code == 200  # in use: it stays open
    _later(pinned_clock, idle + 1)
    assert client.get("/console").status_code == 302
    assert [reason for reason, _ in _ended(app)] == ["idle_timeout"]


def test_a_session_in_use_ends_at_its_absolute_timeout(app, client, pinned_clock):
    sign_in(client, app, partner="northshire-council")
    settings = app.extensions["hub.settings"]
    spent = 0
    while spent + settings.session_idle_seconds // 2 < settings.session_absolute_seconds:
        _later(pinned_clock, settings.session_idle_seconds // 2)
        spent += settings.session_idle_seconds // 2
        assert client.get("/console").status_code == 200
    _later(pinned_clock, settings.session_idle_seconds // 2)
    assert client.get("/console").status_code == 302
    assert [reason for reason, _ in _ended(app)] == ["absolute_timeout"]


def test_the_pages_api_calls_use_the_session_and_changes_need_its_csrf_token(app, client):
    sign_in(client, app, partner="northshire-council", roles=("analyst",))
    assert client.get("/api/v1/views").status_code == 200
    body = {"purpose": "x", "justification": "test"}
    refused = client.post("/api/v1/views/early-intervention-cohort/query", json=body)
    assert refused.status_code == 403 and refused.json["code"] == "csrf_failed"
    with_token = client.post(
        "/api/v1/views/early-intervention-cohort/query",
        json=body,
        headers={"X-CSRF-Token": _csrf(client)},
    )
    assert with_token.json.get("code") != "csrf_failed"
