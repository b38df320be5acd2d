"""HTTP for auth: the token endpoint, the public keys and the server's metadata."""

from __future__ import annotations

from flask import make_response
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field

from hub.auth.identity import ROLES
from hub.auth.server import AUTH_METHODS, GRANT_TYPES
from hub.auth.state import auth_state

api = APIBlueprint("auth", __name__, abp_tags=[Tag(name="auth")])

TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a secret
JWKS_PATH = "/.well-known/jwks.json"
# Clients may cache the keys a while; key rotation publishes the new key before using it.
JWKS_MAX_AGE = 300


class TokenRequest(BaseModel):
    """The form body of POST /oauth/token (application/x-www-form-urlencoded)."""

    grant_type: str = Field(description="Always `client_credentials`.")
    scope: str | None = Field(
        default=None,
        description="Roles wanted, separated by spaces; a subset of the client's roles. "
        "Left out: all of the client's roles.",
    )
    client_id: str | None = Field(default=None, description="For client_secret_post only.")
    client_secret: str | None = Field(default=None, description="For client_secret_post only.")


class TokenResponse(BaseModel):
    access_token: str = Field(description="A JWT access token (RFC 9068); send it as Bearer.")
    token_type: str = Field(description="Always `Bearer`.")
    expires_in: int = Field(description="Seconds until the token expires.")
    scope: str = Field(description="The roles the token carries, separated by spaces.")


class OAuthError(BaseModel):
    """RFC 6749 section 5.2: the token endpoint's errors are not problem+json."""

    error: str = Field(
        description="invalid_request, invalid_client, invalid_scope, unauthorized_client "
        "or unsupported_grant_type."
    )
    error_description: str | None = None


class JWK(BaseModel):
    model_config = ConfigDict(extra="allow")

    kty: str
    kid: str
    use: str
    alg: str
    n: str
    e: str


class JWKS(BaseModel):
    keys: list[JWK]


class ServerMetadata(BaseModel):
    """RFC 8414 authorization server metadata."""

    issuer: str
    token_endpoint: str
    jwks_uri: str
    grant_types_supported: list[str]
    token_endpoint_auth_methods_supported: list[str]
    scopes_supported: list[str]
    response_types_supported: list[str]


_TOKEN_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {"schema": TokenRequest.model_json_schema()}
        },
    }
}


@api.post(
    TOKEN_PATH,
    responses={200: TokenResponse, 400: OAuthError, 401: OAuthError},
    openapi_extensions=_TOKEN_REQUEST_BODY,
    description="Authenticate with HTTP Basic (client_secret_basic) or with client_id and "
    "client_secret in the body (client_secret_post). Errors follow RFC 6749 section 5.2, "
    "not problem+json.",
)
def issue_token():
    """Issue an access token (OAuth 2.0 client credentials grant)"""
    # No typed parameters on purpose: flask-openapi3 would answer a bad form with
    # problem+json, and OAuth clients expect RFC 6749's errors. Authlib reads the form.
    response = auth_state().server.create_token_response()
    # Authlib sends no-store on its answers; make sure of it for every answer, errors too.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@api.get(JWKS_PATH, responses={200: JWKS})
def jwks():
    """The public keys that sign access tokens (RFC 7517)"""
    keys = auth_state().tokens.public_jwks()
    response = make_response(JWKS.model_validate(keys).model_dump(exclude_none=True))
    response.cache_control.public = True
    response.cache_control.max_age = JWKS_MAX_AGE
    return response


@api.get("/.well-known/oauth-authorization-server", responses={200: ServerMetadata})
def server_metadata():
    """How to get tokens from this hub (RFC 8414 authorization server metadata)"""
    issuer = auth_state().tokens.issuer
    return ServerMetadata(
        issuer=issuer,
        token_endpoint=issuer + TOKEN_PATH,
        jwks_uri=issuer + JWKS_PATH,
        grant_types_supported=GRANT_TYPES,
        token_endpoint_auth_methods_supported=AUTH_METHODS,
        scopes_supported=list(ROLES),
        response_types_supported=[],
    ).model_dump()
