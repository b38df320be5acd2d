"""What a route protected by auth answers, for good tokens and for every kind of bad one."""

from __future__ import annotations

import time
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import RSAKey

from hub.auth import current_identity, require, revoke_client
from tests.helpers import bearer, fetch_token, make_client, token_for, unique_id

WHOAMI = "/api/v1/test-whoami"
IG_ONLY = "/api/v1/test-ig-only"


@pytest.fixture
def protected(app):
    """Two test-only routes, added before the app serves its first request."""

    @app.get(WHOAMI, doc_ui=False)
    def whoami():
        identity = current_identity()
        assert current_identity() is identity  # verified once per request
        return {
            "client_id": identity.client_id,
            "partner": identity.partner,
            "roles": sorted(identity.roles),
        }

    @app.get(IG_ONLY, doc_ui=False)
    @require("ig_officer")
    def ig_only():
        return {"ok": True}

    return app


@pytest.fixture
def http(protected):
    return protected.test_client()


@pytest.fixture
def signing_key(test_keys) -> RSAKey:
    """The app's own signing key, to forge tokens that differ from real ones in one way."""
    key = RSAKey.import_key(test_keys["token_signing_key"], {"alg": "RS256", "use": "sig"})
    key.ensure_kid()
    return key


@pytest.fixture(scope="session")
def other_key() -> RSAKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key = RSAKey.import_key(private, {"alg": "RS256", "use": "sig"})
    key.ensure_kid()
    return key


@pytest.fixture
def registered(app):
    """A real client of a fresh partner: (client_id, partner)."""
    partner = unique_id("council")
    client_id, _ = make_client(app, partner=partner, roles=["analyst", "ig_officer"])
    return client_id, partner


@pytest.fixture
def issued(app, http):
    """A real client of a fresh partner and a token from /oauth/token:
    (client_id, secret, partner, token)."""
    partner = unique_id("council")
    client_id, secret = make_client(app, partner=partner, roles=["analyst", "ig_officer"])
    return client_id, secret, partner, fetch_token(http, client_id, secret)


def claims_for(settings, who: str, of_partner: str, **changes) -> dict:
    """Claims like the hub's; a change to None leaves that claim out."""
    now = int(time.time())
    claims = {
        "iss": settings.effective_issuer,
        "aud": settings.audience,
        "sub": who,
        "client_id": who,
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "scope": "analyst",
        "partner": of_partner,
        "roles": ["analyst"],
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def forge(key: RSAKey, claims: dict, **header) -> str:
    """Sign `claims` with `key`; a header value of None leaves that header out."""
    fields = {"alg": "RS256", "typ": "at+jwt", "kid": key.kid, **header}
    return jwt.encode({k: v for k, v in fields.items() if v is not None}, claims, key)


def assert_unauthenticated(response, *words: str) -> str:
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == "unauthenticated"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    detail = body["detail"]
    for word in words:
        assert word in detail
    return detail


def test_a_good_token_names_the_caller(http, issued):
    client_id, _, partner, token = issued
    r = http.get(WHOAMI, headers=bearer(token))
    assert r.status_code == 200
    assert r.get_json() == {
        "client_id": client_id,
        "partner": partner,
        "roles": ["analyst", "ig_officer"],
    }


def test_token_for_helper_gives_a_working_token(app, http):
    partner = unique_id("nhs")
    token = token_for(http, app, partner=partner, roles=["uploader"])
    r = http.get(WHOAMI, headers=bearer(token))
    assert r.status_code == 200
    assert r.get_json()["partner"] == partner
    assert r.get_json()["roles"] == ["uploader"]


def test_no_token_says_how_to_get_one(http):
    assert_unauthenticated(http.get(WHOAMI), "/oauth/token", "Bearer")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "token abc"])
def test_other_authorization_schemes_are_refused(http, header):
    assert_unauthenticated(http.get(WHOAMI, headers={"Authorization": header}), "Bearer")


@pytest.mark.parametrize("garbage", ["abc", "a.b.c", "....", "e30.e30.", "eyJhbGciOiJub25lIn0.e30"])
def test_garbage_tokens_are_refused(http, garbage):
    assert_unauthenticated(http.get(WHOAMI, headers=bearer(garbage)), "/oauth/token")


def test_expired_token_says_to_get_a_new_one(http, settings, signing_key, registered):
    client_id, partner = registered
    past = int(time.time()) - 3600
    token = forge(signing_key, claims_for(settings, client_id, partner, iat=past, exp=past + 900))
    r = http.get(WHOAMI, headers=bearer(token))
    detail = assert_unauthenticated(r, "expired", "/oauth/token")
    assert token not in r.get_data(as_text=True)
    assert token not in detail and token not in r.headers["WWW-Authenticate"]


def test_tampered_token_is_refused(http, issued):
    *_, token = issued
    header, payload, signature = token.split(".")
    forged_payload = payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB")
    r = http.get(WHOAMI, headers=bearer(f"{header}.{forged_payload}.{signature}"))
    assert_unauthenticated(r, "signature")


def test_token_signed_by_another_key_is_refused(http, settings, other_key, registered):
    client_id, partner = registered
    token = forge(other_key, claims_for(settings, client_id, partner))
    assert_unauthenticated(http.get(WHOAMI, headers=bearer(token)), "key")


def test_token_signed_by_another_key_under_our_kid_is_refused(
    http, settings, signing_key, other_key, registered
):
    client_id, partner = registered
    token = forge(other_key, claims_for(settings, client_id, partner), kid=signing_key.kid)
    assert_unauthenticated(http.get(WHOAMI, headers=bearer(token)), "signature")


def test_forged_token_with_our_key_is_accepted(http, settings, signing_key, registered):
    # The control for the tests around it: a token differing from these in one way is refused.
    client_id, partner = registered
    token = forge(signing_key, claims_for(settings, client_id, partner))
    assert http.get(WHOAMI, headers=bearer(token)).status_code == 200


def test_wrong_audience_is_refused(http, settings, signing_key, registered):
    client_id, partner = registered
    token = forge(signing_key, claims_for(settings, client_id, partner, aud="another-api"))
    assert_unauthenticated(http.get(WHOAMI, headers=bearer(token)), "audience")


def test_wrong_issuer_is_refused(http, settings, signing_key, registered):
    client_id, partner = registered
    claims = claims_for(settings, client_id, partner, iss="https://elsewhere.example")
    token = forge(signing_key, claims)
    assert_unauthenticated(http.get(WHOAMI, headers=bearer(token)), "issuer")


@pytest.mark.parametrize("typ", ["JWT", "id+jwt", None])
def test_a_jwt_that_is_not_an_access_token_is_refused(http, settings, signing_key, registered, typ):
    client_id, partner = registered
    token = forge(signing_key, claims_for(settings, client_id, partner), typ=typ)
    assert_unauthenticated(http.get(WHOAMI, headers=bearer(token)), "at+jwt")


@pytest.mark.parametrize("missing", ["exp", "client_id", "partner", "roles", "jti"])
def test_a_token_missing_a_claim_is_refused(http, settings, signing_key, registered, missing):
    client_id, partner = registered
    token = forge(signing_key, claims_for(settings, client_id, partner, **{missing: None}))
    assert_unauthenticated(http.get(WHOAMI, headers=bearer(token)), "/oauth/token")


def test_a_token_for_an_unknown_client_is_refused(http, settings, signing_key, registered):
    _, partner = registered
    token = forge(signing_key, claims_for(settings, "no-such-client", partner))
    # Issue 11: not "revoked", which it never was.
    assert_unauthenticated(http.get(WHOAMI, headers=bearer(token)), "no client with the id")


def test_a_token_claiming_another_partner_is_refused(http, settings, signing_key, registered):
    client_id, _ = registered
    token = forge(signing_key, claims_for(settings, client_id, "someone-else"))
    assert_unauthenticated(http.get(WHOAMI, headers=bearer(token)), "partner")


def test_roles_the_client_does_not_hold_do_not_count(http, settings, signing_key, registered):
    client_id, partner = registered
    token = forge(signing_key, claims_for(settings, client_id, partner, roles=["analyst", "admin"]))
    r = http.get(WHOAMI, headers=bearer(token))
    assert r.status_code == 200
    assert r.get_json()["roles"] == ["analyst"]


def test_revoking_a_client_stops_its_tokens_at_once(app, http, issued):
    client_id, _, _, token = issued
    assert http.get(WHOAMI, headers=bearer(token)).status_code == 200
    with app.app_context():
        revoke_client(client_id=client_id)
    assert_unauthenticated(http.get(WHOAMI, headers=bearer(token)), "revoked")


def test_require_lets_the_role_in(http, issued):
    *_, token = issued
    r = http.get(IG_ONLY, headers=bearer(token))
    assert r.status_code == 200


def test_require_refuses_a_token_without_the_role(app, http):
    client_id, secret = make_client(app, partner=unique_id("school"), roles=["analyst"])
    r = http.get(IG_ONLY, headers=bearer(fetch_token(http, client_id, secret)))
    assert r.status_code == 403
    assert r.mimetype == "application/problem+json"
    assert "ig_officer" in r.get_json()["detail"]


def test_require_refuses_a_token_narrowed_by_scope(http, issued):
    client_id, secret, _, _ = issued
    token = fetch_token(http, client_id, secret, scope="analyst")
    assert http.get(IG_ONLY, headers=bearer(token)).status_code == 403


def test_require_without_a_token_is_401(http):
    assert_unauthenticated(http.get(IG_ONLY))
