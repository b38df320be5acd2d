"""POST /oauth/token, the JWKS and the server metadata, as an OAuth client sees them."""

from __future__ import annotations

import base64
import json
import time

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import text

from hub.auth import revoke_client
from tests.helpers import make_client, unique_id

TOKEN = "/oauth/token"
CLIENT_CREDENTIALS = {"grant_type": "client_credentials"}


def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def b64url_int(part: str) -> int:
    return int.from_bytes(b64url_decode(part), "big")


def verify_with_jwks(token: str, jwks: dict) -> tuple[dict, dict]:
    """Check an RS256 JWT with `cryptography` alone, not with the libraries the hub uses."""
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = json.loads(b64url_decode(header_b64))
    (jwk,) = [key for key in jwks["keys"] if key["kid"] == header["kid"]]
    public_key = rsa.RSAPublicNumbers(b64url_int(jwk["e"]), b64url_int(jwk["n"])).public_key()
    public_key.verify(
        b64url_decode(signature_b64),
        f"{header_b64}.{payload_b64}".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    return header, json.loads(b64url_decode(payload_b64))


@pytest.fixture
def partner_client(app):
    """A client of a fresh partner with two roles: (client_id, secret, partner)."""
    partner = unique_id("police")
    client_id, secret = make_client(app, partner=partner, roles=["uploader", "analyst"])
    return client_id, secret, partner


def assert_oauth_error(response, status: int, error: str) -> dict:
    assert response.status_code == status
    # RFC 6749 section 5.2: plain JSON, never cached; not problem+json.
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["error"] == error
    assert body["error_description"]
    return body


def test_client_secret_basic_gets_a_bearer_token(client, partner_client, settings):
    client_id, secret, _ = partner_client
    r = client.post(TOKEN, data=CLIENT_CREDENTIALS, auth=(client_id, secret))
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Pragma"] == "no-cache"
    body = r.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.access_token_ttl_seconds
    assert body["scope"] == "analyst uploader"
    assert "refresh_token" not in body


def test_client_secret_post_gets_a_bearer_token(client, partner_client):
    client_id, secret, _ = partner_client
    r = client.post(
        TOKEN, data={**CLIENT_CREDENTIALS, "client_id": client_id, "client_secret": secret}
    )
    assert r.status_code == 200
    assert r.get_json()["token_type"] == "Bearer"


def test_token_is_an_rfc9068_jwt_that_verifies_against_the_jwks(client, partner_client, settings):
    client_id, secret, partner = partner_client
    before = int(time.time())
    token = client.post(TOKEN, data=CLIENT_CREDENTIALS, auth=(client_id, secret)).get_json()[
        "access_token"
    ]
    jwks = client.get("/.well-known/jwks.json").get_json()

    header, claims = verify_with_jwks(token, jwks)

    assert header["typ"] == "at+jwt"
    assert header["alg"] == "RS256"
    assert claims["iss"] == settings.effective_issuer
    assert claims["aud"] == settings.audience
    assert claims["sub"] == claims["client_id"] == client_id
    assert claims["partner"] == partner
    assert claims["roles"] == ["analyst", "uploader"]
    assert claims["scope"] == "analyst uploader"
    assert before <= claims["iat"] <= int(time.time())
    assert claims["exp"] == claims["iat"] + settings.access_token_ttl_seconds
    assert claims["jti"]


def test_each_token_has_its_own_jti(client, partner_client):
    client_id, secret, _ = partner_client
    tokens = [
        client.post(TOKEN, data=CLIENT_CREDENTIALS, auth=(client_id, secret)).get_json()[
            "access_token"
        ]
        for _ in range(2)
    ]
    jtis = {json.loads(b64url_decode(t.split(".")[1]))["jti"] for t in tokens}
    assert len(jtis) == 2


def test_scope_narrows_the_roles(client, partner_client):
    client_id, secret, _ = partner_client
    data = {**CLIENT_CREDENTIALS, "scope": "uploader"}
    r = client.post(TOKEN, data=data, auth=(client_id, secret))
    assert r.status_code == 200
    assert r.get_json()["scope"] == "uploader"
    claims = json.loads(b64url_decode(r.get_json()["access_token"].split(".")[1]))
    assert claims["roles"] == ["uploader"]


@pytest.mark.parametrize("scope", ["admin", "uploader ig_officer", "superuser"])
def test_scope_beyond_the_clients_roles_is_invalid_scope(client, partner_client, scope):
    client_id, secret, _ = partner_client
    r = client.post(TOKEN, data={**CLIENT_CREDENTIALS, "scope": scope}, auth=(client_id, secret))
    body = assert_oauth_error(r, 400, "invalid_scope")
    assert "analyst uploader" in body["error_description"]  # says what may be asked for


def test_wrong_secret_is_invalid_client_with_a_challenge(client, partner_client):
    client_id, _, _ = partner_client
    r = client.post(TOKEN, data=CLIENT_CREDENTIALS, auth=(client_id, "not-the-secret"))
    assert_oauth_error(r, 401, "invalid_client")
    assert r.headers["WWW-Authenticate"].startswith("Basic ")
    assert 'error="invalid_client"' in r.headers["WWW-Authenticate"]


def test_wrong_secret_in_the_body_is_400_without_a_challenge(client, partner_client):
    # No Basic challenge for body credentials: a browser's fetch would open a password dialog.
    client_id, _, _ = partner_client
    r = client.post(
        TOKEN, data={**CLIENT_CREDENTIALS, "client_id": client_id, "client_secret": "nope"}
    )
    body = assert_oauth_error(r, 400, "invalid_client")
    assert "WWW-Authenticate" not in r.headers
    with_basic = client.post(TOKEN, data=CLIENT_CREDENTIALS, auth=(client_id, "nope"))
    assert with_basic.get_json() == body


def test_unknown_client_looks_the_same_as_a_wrong_secret(client, partner_client):
    client_id, _, _ = partner_client
    wrong_secret = client.post(TOKEN, data=CLIENT_CREDENTIALS, auth=(client_id, "nope"))
    unknown = client.post(TOKEN, data=CLIENT_CREDENTIALS, auth=("no-such-client", "nope"))
    assert unknown.status_code == wrong_secret.status_code == 401
    assert unknown.get_json() == wrong_secret.get_json()


def test_no_credentials_is_invalid_client(client):
    r = client.post(TOKEN, data=CLIENT_CREDENTIALS)
    assert_oauth_error(r, 401, "invalid_client")


def test_undecodable_basic_credentials_are_invalid_client(client):
    garbage = base64.b64encode(b"\xff\xfe:\xff").decode()
    r = client.post(TOKEN, data=CLIENT_CREDENTIALS, headers={"Authorization": f"Basic {garbage}"})
    assert_oauth_error(r, 401, "invalid_client")


def test_revoked_client_gets_no_token(app, client, partner_client):
    client_id, secret, _ = partner_client
    with app.app_context():
        revoke_client(client_id=client_id)
    r = client.post(TOKEN, data=CLIENT_CREDENTIALS, auth=(client_id, secret))
    assert_oauth_error(r, 401, "invalid_client")


@pytest.mark.parametrize("grant_type", ["password", "authorization_code", "refresh_token", "x"])
def test_other_grant_types_are_unsupported(client, partner_client, grant_type):
    client_id, secret, _ = partner_client
    r = client.post(TOKEN, data={"grant_type": grant_type}, auth=(client_id, secret))
    body = assert_oauth_error(r, 400, "unsupported_grant_type")
    assert "client_credentials" in body["error_description"]


def test_missing_grant_type_is_invalid_request(client, partner_client):
    client_id, secret, _ = partner_client
    r = client.post(TOKEN, data={"scope": "uploader"}, auth=(client_id, secret))
    body = assert_oauth_error(r, 400, "invalid_request")
    assert "grant_type=client_credentials" in body["error_description"]


def test_json_body_is_invalid_request(client, partner_client):
    client_id, secret, _ = partner_client
    r = client.post(TOKEN, json=CLIENT_CREDENTIALS, auth=(client_id, secret))
    body = assert_oauth_error(r, 400, "invalid_request")
    assert "x-www-form-urlencoded" in body["error_description"]


def test_repeated_parameters_are_invalid_request(client, partner_client):
    client_id, secret, _ = partner_client
    r = client.post(
        TOKEN,
        data="grant_type=client_credentials&scope=uploader&scope=analyst",
        content_type="application/x-www-form-urlencoded",
        auth=(client_id, secret),
    )
    assert_oauth_error(r, 400, "invalid_request")


def test_two_ways_of_authenticating_at_once_is_invalid_request(client, partner_client):
    client_id, secret, _ = partner_client
    r = client.post(
        TOKEN,
        data={**CLIENT_CREDENTIALS, "client_id": client_id, "client_secret": secret},
        auth=(client_id, secret),
    )
    assert_oauth_error(r, 400, "invalid_request")


def test_the_client_id_repeated_in_the_body_next_to_basic_is_fine(client, partner_client):
    client_id, secret, _ = partner_client
    data = {**CLIENT_CREDENTIALS, "client_id": client_id}
    assert client.post(TOKEN, data=data, auth=(client_id, secret)).status_code == 200
    other = {**CLIENT_CREDENTIALS, "client_id": "someone-else"}
    r = client.post(TOKEN, data=other, auth=(client_id, secret))
    assert_oauth_error(r, 400, "invalid_request")


def test_secrets_are_stored_only_as_slow_hashes(app, engine, partner_client):
    client_id, secret, _ = partner_client
    with engine.connect() as connection:
        row = (
            connection.execute(
                text("SELECT * FROM oauth_clients WHERE client_id = :id"), {"id": client_id}
            )
            .mappings()
            .one()
        )
    assert row["secret_hash"].startswith("scrypt:")
    assert all(secret not in str(value) for value in row.values())


def test_jwks_publishes_the_public_signing_key_only(client):
    r = client.get("/.well-known/jwks.json")
    assert r.status_code == 200
    assert r.cache_control.public and r.cache_control.max_age
    (key,) = r.get_json()["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert key["kid"] and key["n"] and key["e"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_authorization_server_metadata(client, settings):
    r = client.get("/.well-known/oauth-authorization-server")
    assert r.status_code == 200
    meta = r.get_json()
    issuer = settings.effective_issuer
    assert meta == {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/oauth/token",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": ["uploader", "analyst", "ig_officer", "admin"],
        "response_types_supported": [],
    }


def test_openapi_describes_the_token_endpoint_as_a_form(client):
    doc = client.get("/openapi.json").get_json()
    operation = doc["paths"]["/oauth/token"]["post"]
    form = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert "grant_type" in form["required"]
    assert {"200", "400", "401"} <= set(operation["responses"])
    assert "/.well-known/jwks.json" in doc["paths"]
    assert "/.well-known/oauth-authorization-server" in doc["paths"]
