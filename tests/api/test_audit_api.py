"""The audit log as callers see it: one event per request, the events API for IG officers,
and the checkpoint, key and proofs anyone can use to check the log without trusting the hub."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from hub import clock, db, errors
from hub.audit import merkle, note, parse_and_verify_note, signed_checkpoint
from hub.audit.events import canonical_json
from hub.auth import current_identity
from hub.db.models import AuditCheckpoint, AuditEvent
from tests.helpers import bearer, token_for, unique_id

EVENTS = "/api/v1/audit/events"


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def readers():
    """The policies grant audit.read to admins and to IG officers of a party."""


@pytest.fixture
def routes(app):
    """Test-only routes under /api/, added before the app serves its first request."""

    @app.get("/api/v1/test-audit/items/<item_id>", doc_ui=False)
    def item(path=None, item_id=None):
        return {"ok": True}

    def boom():
        raise RuntimeError("an unexpected failure with a secret in its message")

    def refuse():
        raise errors.Forbidden("Not for you.")

    def noted():
        note(action="test.noted", resource="test/thing", details={"rows": 3})
        note(
            reason="because",
            details={"columns": 2},
            actor={"client": "c-x", "partner": "p-x", "roles": ["analyst"]},
        )
        return {"ok": True}

    def writes_then_fails():
        with db.unit_of_work() as session:
            session.add(AuditCheckpoint(size=424242, root="00" * 32, note="not a note"))
            session.flush()
            raise errors.Conflict("It clashed.")

    def who():
        return {"client": current_identity().client_id}

    for rule, view in [
        ("/api/v1/test-audit/boom", boom),
        ("/api/v1/test-audit/refuse", refuse),
        ("/api/v1/test-audit/noted", noted),
        ("/api/v1/test-audit/writes", writes_then_fails),
        ("/api/v1/test-audit/who", who),
    ]:
        app.add_url_rule(rule, view.__name__, view, methods=["GET", "POST"])
    return app


def events(app) -> list[AuditEvent]:
    with app.app_context(), db.read_only() as session:
        found = list(session.execute(select(AuditEvent).order_by(AuditEvent.index)).scalars())
        session.expunge_all()
        return found


def only_event(app) -> AuditEvent:
    found = events(app)
    assert len(found) == 1, [(e.action, e.resource) for e in found]
    return found[0]


def checkpoint_now(client, app) -> str:
    """A checkpoint signed for the log's current size, as the hub's schedule would sign it,
    then fetched as anyone fetches it (the endpoint serves the latest kept)."""
    with app.app_context():
        signed_checkpoint(app)
    return client.get("/api/v1/audit/checkpoint").get_data(as_text=True)


def officer_token(client, app, roles=("ig_officer",)) -> str:
    return token_for(client, app, partner="northshire-council", roles=list(roles))


# -- the request hook ------------------------------------------------------------------------


def test_requests_outside_the_api_are_not_audited(client, app):
    assert client.get("/healthz").status_code == 200
    assert client.get("/openapi.json").status_code == 200
    assert events(app) == []


def test_a_successful_request_is_one_allowed_event(client, app):
    r = client.get("/api/v1/audit/public-key", headers={"X-Request-Id": "req-public-key-1"})
    assert r.status_code == 200
    e = only_event(app)
    assert (e.index, e.action, e.resource, e.outcome, e.reason) == (
        0,
        "audit.verify",
        "audit/public-key",
        "allowed",
        "ok",
    )
    assert e.request_id == "req-public-key-1"
    assert e.actor_client is None and e.actor_partner is None
    assert e.details == {"http": {"method": "GET", "status": 200}}
    assert json.loads(e.leaf)["actor"] is None


def test_resource_is_the_matched_rule_with_its_arguments_never_the_query(routes, client, app):
    assert client.get("/api/v1/test-audit/items/abc?nhs_number=9434765919").status_code == 200
    e = only_event(app)
    assert (e.action, e.resource, e.outcome) == (
        "http.request",
        "/api/v1/test-audit/items/abc",
        "allowed",
    )
    assert b"9434765919" not in bytes(e.leaf)


def test_an_unmatched_path_is_recorded_without_the_path(client, app):
    r = client.get("/api/v1/people/9434765919?dob=1970-01-01")
    assert r.status_code == 404
    e = only_event(app)
    assert (e.resource, e.outcome, e.reason) == ("(unmatched)", "failed", "not_found")
    assert b"9434765919" not in bytes(e.leaf) and b"1970" not in bytes(e.leaf)


def test_an_unhandled_exception_is_a_failed_event(routes, client, app):
    r = client.get("/api/v1/test-audit/boom")
    assert r.status_code == 500
    e = only_event(app)
    assert (e.outcome, e.reason, e.resource) == (
        "failed",
        "internal_error",
        "/api/v1/test-audit/boom",
    )
    assert e.details["http"] == {"method": "GET", "status": 500, "code": "internal_error"}
    assert b"secret" not in bytes(e.leaf)


def test_a_refusal_is_a_denied_event(routes, client, app):
    assert client.post("/api/v1/test-audit/refuse").status_code == 403
    e = only_event(app)
    assert (e.outcome, e.reason) == ("denied", "forbidden")
    assert e.details["http"]["method"] == "POST"


def test_what_a_route_notes_is_what_the_event_says(routes, client, app):
    assert client.get("/api/v1/test-audit/noted").status_code == 200
    e = only_event(app)
    assert (e.action, e.resource, e.reason) == ("test.noted", "test/thing", "because")
    assert (e.actor_client, e.actor_partner, e.actor_roles) == ("c-x", "p-x", ["analyst"])
    assert e.details == {"rows": 3, "columns": 2, "http": {"method": "GET", "status": 200}}


def test_the_event_is_kept_when_the_requests_own_work_rolled_back(routes, client, app):
    assert client.get("/api/v1/test-audit/writes").status_code == 409
    e = only_event(app)
    assert (e.outcome, e.reason) == ("failed", "conflict")
    with app.app_context(), db.read_only() as session:
        assert session.get(AuditCheckpoint, 424242) is None


def test_the_verified_caller_is_the_actor(routes, client, app):
    partner = unique_id("police")
    token = token_for(client, app, partner=partner, roles=["analyst"])
    r = client.get("/api/v1/test-audit/who", headers=bearer(token))
    assert r.status_code == 200
    e = events(app)[-1]
    assert (e.actor_client, e.actor_partner, e.actor_roles) == (
        r.get_json()["client"],
        partner,
        ["analyst"],
    )


def test_a_bad_token_is_a_denied_event_with_no_actor(routes, client, app):
    r = client.get("/api/v1/test-audit/who", headers=bearer("not-a-token"))
    assert r.status_code == 401
    e = only_event(app)
    assert (e.outcome, e.reason, e.actor_client) == ("denied", "unauthenticated", None)
    assert b"not-a-token" not in bytes(e.leaf)


def test_the_token_endpoint_is_audited(client, app):
    r = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("nobody", "wrong")
    )
    assert r.status_code in (400, 401)
    e = only_event(app)
    assert e.resource == "/oauth/token"
    assert e.outcome in ("denied", "failed")
    assert b"wrong" not in bytes(e.leaf)


def test_when_the_log_cannot_be_written_the_answer_is_withheld(
    routes, client, app, monkeypatch, caplog
):
    import hub.api.audit_hook

    def broken(*args, **kwargs):
        raise RuntimeError("database is gone; parameters: nhs=9434765919")

    monkeypatch.setattr(hub.api.audit_hook, "append", broken)
    r = client.get("/api/v1/test-audit/items/abc", headers={"X-Request-Id": "req-broken-log"})
    assert r.status_code == 503
    assert r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["code"] == "unavailable" and "ok" not in body
    assert r.headers["X-Request-Id"] == "req-broken-log"
    assert "RuntimeError" in caplog.text and "req-broken-log" in caplog.text
    assert "9434765919" not in caplog.text
    assert events(app) == []


# -- GET /api/v1/audit/events ----------------------------------------------------------------


def test_reading_events_needs_a_token(client, app, readers):
    r = client.get(EVENTS)
    assert r.status_code == 401
    e = only_event(app)
    assert (e.action, e.outcome, e.reason) == ("audit.read", "denied", "unauthenticated")


def test_an_analyst_may_not_read_the_log(client, app, readers):
    token = officer_token(client, app, roles=("analyst",))
    r = client.get(EVENTS, headers=bearer(token))
    assert r.status_code == 403
    e = events(app)[-1]
    assert (e.action, e.outcome) == ("audit.read", "denied")
    assert "needs the ig_officer role" in e.reason


def test_an_ig_officer_of_a_partner_in_no_agreement_may_not_read_the_log(client, app):
    token = token_for(client, app, partner="westshire-council", roles=["ig_officer"])
    r = client.get(EVENTS, headers=bearer(token))
    assert r.status_code == 403
    assert r.get_json()["code"] == "forbidden"
    assert events(app)[-1].outcome == "denied"


def test_an_admin_reads_events_with_their_leaves(client, app, readers):
    # The whole log: an admin's (an IG officer reads its part: tests/api/test_audit_scope.py).
    token = officer_token(client, app, roles=("admin",))
    client.get("/api/v1/audit/public-key")
    r = client.get(EVENTS, headers=bearer(token))
    assert r.status_code == 200
    page = r.get_json()
    assert page["next_cursor"] is None
    assert [i["index"] for i in page["items"]] == [0, 1]  # the token, then the key
    for item in page["items"]:
        leaf = base64.b64decode(item["leaf"])
        assert hashlib.sha256(b"\x00" + leaf).hexdigest() == item["leaf_hash"]
        fields = {k: v for k, v in item.items() if k not in ("leaf", "leaf_hash")}
        assert canonical_json(fields) == leaf
    reading = events(app)[-1]
    assert (reading.action, reading.outcome) == ("audit.read", "allowed")
    assert reading.details["returned"] == 2


def test_events_are_filtered(client, app, readers):
    token = officer_token(client, app, roles=("admin",))
    client.get("/api/v1/audit/public-key")
    client.get("/api/v1/nowhere")
    before_reads = clock.now().isoformat()
    me = events(app)[0].actor_client

    def indexes(**query):
        r = client.get(EVENTS, query_string=query, headers=bearer(token))
        assert r.status_code == 200, r.get_json()
        return [i["index"] for i in r.get_json()["items"]]

    assert indexes(outcome="failed") == [2]
    assert indexes(action="audit.verify") == [1]
    assert indexes(actor=me, action="token.issue") == [0]
    assert indexes(partner="no-such-partner") == []
    assert indexes(from_index=1, until=before_reads) == [1, 2]  # each read is an event too
    assert indexes(action="audit.read", outcome="allowed") == [3, 4, 5, 6, 7]
    assert indexes(since=(clock.now() + timedelta(minutes=1)).isoformat()) == []


def test_events_come_in_pages_with_a_cursor(client, app, readers):
    token = officer_token(client, app, roles=("admin",))
    for _ in range(4):
        client.get("/api/v1/audit/public-key")
    seen, cursor = [], None
    while True:
        query = {"limit": 2, "action": "audit.verify"} | ({"cursor": cursor} if cursor else {})
        page = client.get(EVENTS, query_string=query, headers=bearer(token)).get_json()
        seen += [i["index"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [1, 2, 3, 4]

    newest, cursor = [], None
    while True:
        query = {"limit": 3, "action": "audit.verify", "order": "desc"} | (
            {"cursor": cursor} if cursor else {}
        )
        page = client.get(EVENTS, query_string=query, headers=bearer(token)).get_json()
        newest += [i["index"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert newest == [4, 3, 2, 1]

    first = client.get(EVENTS, query_string={"limit": 1}, headers=bearer(token)).get_json()
    other = client.get(
        EVENTS,
        query_string={"limit": 1, "outcome": "denied", "cursor": first["next_cursor"]},
        headers=bearer(token),
    )
    assert other.status_code == 400 and "other filters" in other.get_json()["detail"]
    garbage = client.get(EVENTS, query_string={"cursor": "!!!"}, headers=bearer(token))
    assert garbage.status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        {"limit": 1001},
        {"limit": 0},
        {"outcome": "maybe"},
        {"since": "2026-01-01T00:00:00"},
        {"from_index": -1},
        {"order": "newest"},
    ],
)
def test_bad_queries_are_refused(client, app, readers, query):
    token = officer_token(client, app)
    r = client.get(EVENTS, query_string=query, headers=bearer(token))
    assert r.status_code == 400
    assert r.mimetype == "application/problem+json"


# -- checking the log without trusting the hub -----------------------------------------------


def independent_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 MTH, from the definition, with nothing of the hub's."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(
        b"\x01" + independent_root(leaves[:k]) + independent_root(leaves[k:])
    ).digest()


def test_the_signed_checkpoint_is_the_root_of_the_leaves_anyone_can_fetch(client, app, readers):
    token = officer_token(client, app, roles=("admin",))
    for path in ("/api/v1/audit/public-key", "/api/v1/nope", EVENTS):
        client.get(path, headers=bearer(token))

    r = client.get("/api/v1/audit/checkpoint")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    key = client.get("/api/v1/audit/public-key").get_json()
    signed = parse_and_verify_note(r.get_data(as_text=True), key["verifier_key"])
    assert signed.origin == key["origin"] == app.extensions["hub.settings"].effective_audit_origin

    leaves, cursor = [], None
    while True:
        query = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get(EVENTS, query_string=query, headers=bearer(token)).get_json()
        leaves += [base64.b64decode(i["leaf"]) for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(leaves) > signed.size == 4  # the token, key, 404 and events requests
    assert signed.root == independent_root(leaves[: signed.size])


def test_checkpoint_requests_serve_the_latest_kept_checkpoint_and_sign_nothing(client, app):
    """Issue 11 item 8: every anonymous GET /checkpoint signed and stored a new checkpoint."""
    first = client.get("/api/v1/audit/checkpoint").get_data(as_text=True)
    assert first.split("\n")[1] == "0"  # a log with no checkpoint gets its first one, once
    for _ in range(20):
        assert client.get("/api/v1/audit/checkpoint").get_data(as_text=True) == first
    with app.app_context(), db.read_only() as session:
        assert session.execute(select(AuditCheckpoint.size)).scalars().all() == [0]
    # The hub's own schedule signs the next one; the endpoint then serves that.
    with app.app_context():
        newer = signed_checkpoint(app)
    assert newer.size == 21
    assert client.get("/api/v1/audit/checkpoint").get_data(as_text=True) == newer.note


def test_public_key_matches_the_signing_key(client, app):
    from cryptography.hazmat.primitives import serialization

    body = client.get("/api/v1/audit/public-key").get_json()
    public = serialization.load_pem_public_key(body["public_key_pem"].encode())
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    name = body["origin"]
    assert body["key_id"] == hashlib.sha256(name.encode() + b"\n\x01" + raw).digest()[:4].hex()
    material = base64.b64encode(b"\x01" + raw).decode()
    assert body["verifier_key"] == f"{name}+{body['key_id']}+{material}"


def test_inclusion_and_consistency_proofs_verify_against_signed_checkpoints(client, app):
    for _ in range(5):
        client.get("/api/v1/audit/public-key")
    key = client.get("/api/v1/audit/public-key").get_json()["verifier_key"]
    old = parse_and_verify_note(checkpoint_now(client, app), key)
    for _ in range(3):
        client.get("/api/v1/audit/public-key")
    new = parse_and_verify_note(checkpoint_now(client, app), key)
    assert (old.size, new.size) == (6, 10)

    p = client.get(
        "/api/v1/audit/proof/consistency", query_string={"from": old.size, "to": new.size}
    ).get_json()
    assert merkle.verify_consistency(
        old_size=old.size,
        new_size=new.size,
        old_root=old.root,
        new_root=new.root,
        proof=[bytes.fromhex(h) for h in p["proof"]],
    )
    stored = {e.index: bytes(e.leaf) for e in events(app)}
    for index in range(new.size):
        p = client.get(
            "/api/v1/audit/proof/inclusion", query_string={"index": index, "size": new.size}
        ).get_json()
        assert merkle.verify_inclusion(
            index=index,
            size=new.size,
            leaf_hash=hashlib.sha256(b"\x00" + stored[index]).digest(),
            proof=[bytes.fromhex(h) for h in p["proof"]],
            root=new.root,
        )
    too_far = client.get("/api/v1/audit/proof/inclusion", query_string={"index": 0, "size": 10_000})
    assert too_far.status_code == 404


def test_the_audit_api_is_described_in_openapi(client):
    doc = client.get("/openapi.json").get_json()
    for path in (
        EVENTS,
        "/api/v1/audit/checkpoint",
        "/api/v1/audit/public-key",
        "/api/v1/audit/proof/inclusion",
        "/api/v1/audit/proof/consistency",
    ):
        assert path in doc["paths"], path
    params = {p["name"] for p in doc["paths"][EVENTS]["get"]["parameters"]}
    assert {
        "actor",
        "partner",
        "action",
        "outcome",
        "since",
        "until",
        "from_index",
        "limit",
        "cursor",
    } <= params
    assert {"EventPage", "EventOut", "PublicKeyOut"} <= set(doc["components"]["schemas"])
    assert (
        "text/plain"
        in doc["paths"]["/api/v1/audit/checkpoint"]["get"]["responses"]["200"]["content"]
    )
