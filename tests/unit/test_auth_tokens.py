"""Issuing and checking access tokens, without a database or a request."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives import serialization
from joserfc import jwt

from hub.auth.server import RegisteredClient
from hub.auth.tokens import AccessTokenGenerator, TokenConfig, TokenRejected, verify_access_token

ISSUER = "https://hub.example"
AUDIENCE = "hub-api"


@pytest.fixture
def config(test_keys) -> TokenConfig:
    key = serialization.load_pem_private_key(test_keys["token_signing_key"].encode(), None)
    return TokenConfig.create(issuer=ISSUER, audience=AUDIENCE, ttl_seconds=600, private_key=key)


def client() -> RegisteredClient:
    return RegisteredClient(
        client_id="c1",
        secret_hash="unused",
        partner="p1",
        roles=frozenset({"analyst", "uploader"}),
        revoked=False,
    )


def issue(config: TokenConfig, scope="analyst uploader") -> dict:
    generator = AccessTokenGenerator(config)
    return generator.generate(grant_type="client_credentials", client=client(), scope=scope)


def test_issued_tokens_verify_and_carry_the_hubs_claims(config):
    token = issue(config)
    claims = verify_access_token(token["access_token"], config=config)
    assert claims["iss"] == ISSUER and claims["aud"] == AUDIENCE
    assert claims["sub"] == claims["client_id"] == "c1"
    assert claims["partner"] == "p1"
    assert claims["roles"] == ["analyst", "uploader"]
    assert claims["exp"] - claims["iat"] == 600 == token["expires_in"]


def test_header_names_the_key_and_type(config):
    token = issue(config)["access_token"]
    header = jwt.decode(token, config.verifying).header
    kid = config.public_jwks()["keys"][0]["kid"]
    assert header == {"alg": "RS256", "typ": "at+jwt", "kid": kid}


def test_kid_is_stable_for_a_key(config, test_keys):
    key = serialization.load_pem_private_key(test_keys["token_signing_key"].encode(), None)
    again = TokenConfig.create(issuer=ISSUER, audience=AUDIENCE, ttl_seconds=60, private_key=key)
    assert again.public_jwks() == config.public_jwks()


def test_public_jwks_has_no_private_parts(config):
    (key,) = config.public_jwks()["keys"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_another_audience_or_issuer_is_refused(config):
    token = issue(config)["access_token"]
    elsewhere = TokenConfig.create(
        issuer=ISSUER,
        audience="other-api",
        ttl_seconds=600,
        private_key=config.signing.keys[0].private_key,
    )
    with pytest.raises(TokenRejected, match="audience"):
        verify_access_token(token, config=elsewhere)
    other_issuer = TokenConfig.create(
        issuer="https://other.example",
        audience=AUDIENCE,
        ttl_seconds=600,
        private_key=config.signing.keys[0].private_key,
    )
    with pytest.raises(TokenRejected, match="issuer"):
        verify_access_token(token, config=other_issuer)


def _signed(config: TokenConfig, claims: dict, **header) -> str:
    return jwt.encode({"alg": "RS256", "typ": "at+jwt", **header}, claims, config.signing)


def _claims(**changes) -> dict:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "c1",
        "client_id": "c1",
        "iat": now,
        "exp": now + 60,
        "jti": "j",
        "partner": "p1",
        "roles": ["analyst"],
    }
    claims.update(changes)
    return claims


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"exp": int(time.time()) - 60}, "expired"),
        ({"nbf": int(time.time()) + 3600}, "not valid yet"),
        ({"iat": int(time.time()) + 3600}, "issue time"),
        ({"roles": "analyst"}, "claims"),
        ({"partner": 7}, "claims"),
        ({"sub": "someone-else"}, "claims"),
        ({"exp": "tomorrow"}, "'exp'"),
    ],
)
def test_claim_problems_are_named(config, changes, reason):
    with pytest.raises(TokenRejected, match=reason):
        verify_access_token(_signed(config, _claims(**changes)), config=config)


def test_a_token_living_longer_than_the_hub_issues_is_refused(config):
    """Issue 11 item 12: signed with the real key, but with an expiry 10 years ahead."""
    now = int(time.time())
    ten_years = _claims(iat=now, exp=now + 10 * 365 * 86400)
    with pytest.raises(TokenRejected, match="lives longer than this hub issues"):
        verify_access_token(_signed(config, ten_years), config=config)
    just_right = _claims(iat=now, exp=now + config.ttl_seconds)
    assert verify_access_token(_signed(config, just_right), config=config)["sub"] == "c1"


def test_an_empty_roles_list_is_allowed(config):
    assert verify_access_token(_signed(config, _claims(roles=[])), config=config)["roles"] == []


@pytest.mark.parametrize(
    "garbage",
    ["", "x", "a.b", "a.b.c", "a.b.c.d.e", "....", "e30.e30.e30", "\u00e9.\u00e9.\u00e9", "%.%.%"],
)
def test_garbage_is_rejected_not_crashed_on(config, garbage):
    with pytest.raises(TokenRejected):
        verify_access_token(garbage, config=config)


def test_alg_none_is_rejected(config):
    import base64
    import json

    def part(value) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    token = f"{part({'alg': 'none', 'typ': 'at+jwt'})}.{part(_claims())}."
    with pytest.raises(TokenRejected, match="signature"):
        verify_access_token(token, config=config)
