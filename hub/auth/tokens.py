"""JWT access tokens per RFC 9068: how the hub signs them and how it checks them.

Nothing here touches the database or the request; `bearer.py` does that.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.errors import (
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet, RSAKey

ALGORITHM = "RS256"
TOKEN_TYPES = ("at+jwt", "application/at+jwt")  # RFC 9068 section 4: either spelling
# Clocks of the hub's web processes may differ a little; a few seconds, never minutes.
LEEWAY_SECONDS = 5

RENEW_HINT = "request a new one at /oauth/token"


@dataclass(frozen=True)
class TokenConfig:
    issuer: str
    audience: str
    ttl_seconds: int
    signing: KeySet  # the private key, with its kid
    verifying: KeySet  # the same key, public half only: what /.well-known/jwks.json serves

    @classmethod
    def create(
        cls, *, issuer: str, audience: str, ttl_seconds: int, private_key: rsa.RSAPrivateKey
    ) -> TokenConfig:
        key = RSAKey.import_key(private_key, {"use": "sig", "alg": ALGORITHM})
        key.ensure_kid()  # RFC 7638 thumbprint: stable for a key, new when the key changes
        public = RSAKey.import_key(key.as_dict(private=False))
        return cls(
            issuer=issuer,
            audience=audience,
            ttl_seconds=ttl_seconds,
            signing=KeySet([key]),
            verifying=KeySet([public]),
        )

    def public_jwks(self) -> dict[str, Any]:
        return self.verifying.as_dict(private=False)


class AccessTokenGenerator(JWTBearerTokenGenerator):
    """Authlib's RFC 9068 generator with the hub's key, audience, lifetime and claims."""

    def __init__(self, config: TokenConfig):
        super().__init__(
            issuer=config.issuer,
            alg=ALGORITHM,
            expires_generator=lambda client, grant_type: config.ttl_seconds,
        )
        self.config = config

    def get_jwks(self) -> KeySet:
        # A key set (not a bare key) makes joserfc write the key's `kid` into the header.
        return self.config.signing

    def get_audiences(self, client, user, scope) -> str:
        return self.config.audience

    def get_extra_claims(self, client, grant_type, user, scope) -> dict[str, Any]:
        return {"partner": client.partner, "roles": sorted(scope.split())}


class TokenRejected(Exception):
    """The token cannot be used. `reason` is for the caller and never contains the token."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _claims_registry(config: TokenConfig) -> jwt.JWTClaimsRegistry:
    essential = {"essential": True}
    return jwt.JWTClaimsRegistry(
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": config.issuer},
        aud={"essential": True, "value": config.audience},
        exp=essential,
        iat=essential,
        sub=essential,
        jti=essential,
        client_id=essential,
        partner=essential,
        roles={"essential": True, "allow_blank": True},
    )


_CLAIM_REASONS = {
    "iss": f"the access token was issued by another issuer: {RENEW_HINT}",
    "aud": f"the access token is meant for another service (audience): {RENEW_HINT}",
    "nbf": "the access token is not valid yet: check the clock of the machine that sent it",
    "iat": f"the access token has an invalid issue time: {RENEW_HINT}",
}


def verify_access_token(token: str, *, config: TokenConfig) -> dict[str, Any]:
    """Check signature, typ, iss, aud, exp and the claims the hub needs; return the claims.

    Authlib's JWTBearerTokenValidator accepts a token without `typ` and reports every
    failure as the same `invalid_token`; callers here need to know what to do next.
    """
    try:
        decoded = jwt.decode(token, config.verifying, algorithms=[ALGORITHM])
    except InvalidKeyIdError as exc:
        raise TokenRejected(
            f"the access token was not signed by a current key of this hub: {RENEW_HINT}"
        ) from exc
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        # Malformed text, a bad signature, another algorithm: all mean the same to a caller.
        raise TokenRejected(
            f"the access token is malformed or its signature does not verify: {RENEW_HINT}"
        ) from exc

    typ = str(decoded.header.get("typ", "")).lower()
    if typ not in TOKEN_TYPES:
        raise TokenRejected(f"this is not an access token (its typ must be at+jwt): {RENEW_HINT}")

    claims = decoded.claims
    try:
        _claims_registry(config).validate(claims)
    except ExpiredTokenError as exc:
        raise TokenRejected(f"the access token has expired: {RENEW_HINT}") from exc
    except (InvalidClaimError, MissingClaimError) as exc:
        reason = _CLAIM_REASONS.get(
            exc.claim, f"the access token lacks a valid '{exc.claim}' claim: {RENEW_HINT}"
        )
        raise TokenRejected(reason) from exc

    roles = claims.get("roles")
    if (
        not isinstance(roles, list)
        or not all(isinstance(role, str) for role in roles)
        or not isinstance(claims.get("partner"), str)
        or claims.get("sub") != claims.get("client_id")
    ):
        raise TokenRejected(f"the access token's claims are not the hub's: {RENEW_HINT}")
    if claims["iat"] > time.time() + LEEWAY_SECONDS:
        raise TokenRejected(_CLAIM_REASONS["iat"])
    # A token signed with the real key but living longer than the hub issues them for
    # (a leaked key, or a token made by hand) is refused: lifetimes are the hub's to set.
    try:
        lifetime = float(claims["exp"]) - float(claims["iat"])
    except (TypeError, ValueError) as exc:
        raise TokenRejected(_CLAIM_REASONS["iat"]) from exc
    if lifetime > config.ttl_seconds + LEEWAY_SECONDS:
        raise TokenRejected(
            f"the access token lives longer than this hub issues tokens for "
            f"({config.ttl_seconds} s): {RENEW_HINT}"
        )
    return claims
