"""Issue 2, done when: a wrong secret, an expired or tampered token, or a token of another
partner is refused with the right answer, and each refusal is an audit event."""

from __future__ import annotations

import time

from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select

from hub import db
from hub.db.models import AuditEvent
from tests.helpers import bearer, make_client, token_for

AGREEMENT = "/api/v1/agreements/early-intervention-young-people"


def last_event(app) -> AuditEvent:
    with app.app_context(), db.read_only() as session:
        return session.execute(
            select(AuditEvent).order_by(AuditEvent.index.desc()).limit(1)
        ).scalar_one()


def test_wrong_secret(client, app):
    client_id, _ = make_client(app, partner="northshire-council", roles=["analyst"])
    r = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, "wrong")
    )
    assert r.status_code == 401
    assert r.get_json()["error"] == "invalid_client"
    assert r.headers["WWW-Authenticate"].startswith("Basic")
    event = last_event(app)
    assert (event.action, event.outcome, event.reason) == (
        "token.issue",
        "denied",
        "invalid_client",
    )
    assert event.actor_client == client_id
    assert "wrong" not in event.leaf.decode()


def test_expired_token(client, app, settings, test_keys):
    client_id, _ = make_client(app, partner="northshire-council", roles=["analyst"])
    key = RSAKey.import_key(test_keys["token_signing_key"], {"alg": "RS256"})
    key.ensure_kid()
    now = int(time.time())
    claims = {
        "iss": settings.effective_issuer,
        "aud": settings.audience,
        "sub": client_id,
        "client_id": client_id,
        "iat": now - 3600,
        "exp": now - 1800,
        "jti": "expired-one",
        "scope": "analyst",
        "partner": "northshire-council",
        "roles": ["analyst"],
    }
    token = jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": key.kid}, claims, key)
    r = client.get(AGREEMENT, headers=bearer(token))
    assert r.status_code == 401
    assert r.mimetype == "application/problem+json"
    assert "expired" in r.get_json()["detail"]
    event = last_event(app)
    assert (event.action, event.outcome, event.reason) == (
        "agreement.read",
        "denied",
        "unauthenticated",
    )
    assert token not in event.leaf.decode()


def test_tampered_token(client, app):
    token = token_for(client, app, partner="northshire-council", roles=["analyst"])
    header, payload, signature = token.split(".")
    tampered = ".".join(
        [header, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")]
    )
    r = client.get(AGREEMENT, headers=bearer(tampered))
    assert r.status_code == 401
    assert r.get_json()["code"] == "unauthenticated"
    event = last_event(app)
    assert (event.outcome, event.reason) == ("denied", "unauthenticated")


def test_token_of_a_partner_outside_the_agreement(client, app):
    token = token_for(client, app, partner="westshire-council", roles=["analyst"])
    r = client.get(AGREEMENT, headers=bearer(token))
    assert r.status_code == 403
    body = r.get_json()
    assert body["code"] == "forbidden"
    event = last_event(app)
    assert (event.action, event.outcome) == ("agreement.read", "denied")
    assert event.actor_partner == "westshire-council"
    assert event.reason  # the decision's reason, which names why

    # A partner in no agreement may not even list them, and that refusal is an event too.
    listing = client.get("/api/v1/agreements", headers=bearer(token))
    assert listing.status_code == 403
    assert (last_event(app).action, last_event(app).outcome) == ("agreement.list", "denied")


def test_a_token_for_an_unknown_client_is_not_called_revoked(client, app, settings, test_keys):
    """Issue 11 item 16: a well-signed token naming a client the hub has no record of."""
    key = RSAKey.import_key(test_keys["token_signing_key"], {"alg": "RS256"})
    key.ensure_kid()
    now = int(time.time())
    claims = {
        "iss": settings.effective_issuer,
        "aud": settings.audience,
        "sub": "no-such-client",
        "client_id": "no-such-client",
        "iat": now,
        "exp": now + 60,
        "jti": "unknown-client",
        "scope": "analyst",
        "partner": "northshire-council",
        "roles": ["analyst"],
    }
    token = jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": key.kid}, claims, key)
    r = client.get(AGREEMENT, headers=bearer(token))
    assert r.status_code == 401
    detail = r.get_json()["detail"]
    assert "revoked" not in detail
    assert "no client with the id" in detail


def test_an_unknown_client_id_at_the_token_endpoint_is_not_called_revoked(client, app):
    r = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("no-such-client", "x")
    )
    assert r.status_code == 401
    description = r.get_json()["error_description"]
    assert "has been revoked" not in description
    assert "unknown" in description and "does not say which" in description
