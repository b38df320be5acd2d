"""The OAuth 2.0 authorization server: Authlib's, wired to the hub's clients and tokens.

Only the client credentials grant (RFC 6749 section 4.4), with client_secret_basic or
client_secret_post. One server per app, because issuer, audience and key are per app.
"""

from __future__ import annotations

from dataclasses import dataclass

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
)
from authlib.oauth2.rfc6749.util import extract_basic_authorization, scope_to_list

from hub.auth import notes
from hub.auth.clients import find_client, secret_matches, spend_the_time_of_a_check
from hub.auth.identity import ROLES
from hub.auth.tokens import AccessTokenGenerator, TokenConfig

AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
GRANT_TYPES = ["client_credentials"]
# RFC 6749 section 3.2: parameters of the token request must not repeat.
_SINGLE_PARAMETERS = ("grant_type", "scope", "client_id", "client_secret")


@dataclass(frozen=True)
class RegisteredClient(ClientMixin):
    """What Authlib needs to know of an OAuthClient row, read once per token request."""

    client_id: str
    secret_hash: str
    partner: str
    roles: frozenset[str]
    revoked: bool

    def get_client_id(self) -> str:
        return self.client_id

    def check_client_secret(self, client_secret: str) -> bool:
        # Check the hash even for a revoked client: the answer takes as long either way.
        matches = secret_matches(secret_hash=self.secret_hash, secret=client_secret)
        return matches and not self.revoked

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in AUTH_METHODS

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES

    def get_allowed_scope(self, scope: str | None) -> str:
        # No scope asks for every role the client has (RFC 6749 section 3.3 lets us choose).
        requested = set(scope_to_list(scope) or []) or self.roles
        return " ".join(sorted(requested))


def query_client(client_id: str) -> RegisteredClient | None:
    row = find_client(client_id)
    if row is None:
        spend_the_time_of_a_check()
        return None
    return RegisteredClient(
        client_id=row.client_id,
        secret_hash=row.secret_hash,
        partner=row.partner_id,
        roles=frozenset(row.roles),
        revoked=row.revoked_at is not None,
    )


def save_token(token: dict, request) -> None:
    # Access tokens are self-contained JWTs and nothing needs storing; the audit log
    # records that one was issued, and to whom.
    client: RegisteredClient = request.client
    notes.token_issued(
        client_id=client.client_id,
        partner=client.partner,
        roles=sorted(scope_to_list(token.get("scope")) or []),
    )


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def validate_requested_scope(self) -> None:
        requested = set(scope_to_list(self.request.payload.scope) or [])
        allowed = self.request.client.roles
        if not requested <= allowed:
            # Name what may be asked for; never echo the request's own text.
            raise InvalidScopeError(
                "The scope must be roles this client holds, separated by spaces: "
                + " ".join(sorted(allowed))
                + ". Leave scope out to get all of them."
            )


class ClientAuthenticationFailed(InvalidClientError):
    """One description whatever went wrong, so that a caller cannot tell an unknown client
    from a wrong secret or a revoked client.

    RFC 6749 section 5.2: credentials sent with HTTP Basic (or none at all) get 401 and a
    Basic challenge. Credentials sent in the body get 400 and no challenge: a challenge there
    would make a browser's fetch (the sign-in page) open a password dialog, not answer.
    """

    description = (
        "Client authentication failed: the client id is unknown, the secret is wrong, or the "
        "client was revoked (the hub does not say which). Send the client_id and secret with "
        "HTTP Basic (or as client_id and client_secret in the form body); if you are sure of "
        "both, ask the hub's operators about the client."
    )

    def __init__(self, *, challenge: bool = True):
        super().__init__()
        self.challenge = challenge
        self.status_code = 401 if challenge else 400

    def get_headers(self):
        headers = [pair for pair in super().get_headers() if pair[0] != "WWW-Authenticate"]
        if self.challenge:
            headers.append(
                (
                    "WWW-Authenticate",
                    f'Basic realm="hub", error="{self.error}", '
                    f'error_description="{self.description}"',
                )
            )
        return headers


_DESCRIPTIONS = {
    "unsupported_grant_type": "This hub issues tokens only for grant_type=client_credentials.",
}


class HubAuthorizationServer(AuthorizationServer):
    def create_token_response(self, request=None):
        oauth_request = self.create_oauth2_request(request)
        try:
            self._check_parameters(oauth_request)
        except OAuth2Error as error:
            return self.handle_error_response(oauth_request, error)
        return super().create_token_response(request)

    @staticmethod
    def _check_parameters(oauth_request) -> None:
        # Authlib would call a missing grant_type unsupported; RFC 6749 calls it invalid_request.
        if not oauth_request.payload.grant_type:
            raise InvalidRequestError(
                "Send grant_type=client_credentials in an application/x-www-form-urlencoded body."
            )
        basic_client_id = _basic_client_id(oauth_request)
        body_client_id = oauth_request.form.get("client_id")
        # RFC 6749 section 2.3: one way of authenticating per request. Some client libraries
        # repeat the client_id in the body next to HTTP Basic; that alone is harmless.
        if basic_client_id and (
            "client_secret" in oauth_request.form
            or (body_client_id and body_client_id != basic_client_id)
        ):
            raise InvalidRequestError(
                "Authenticate one way only: HTTP Basic or client_id and client_secret in the body."
            )
        repeated = [
            name
            for name in _SINGLE_PARAMETERS
            if len(oauth_request.payload.datalist.get(name, [])) > 1
        ]
        if repeated:
            raise InvalidRequestError(f"Send each parameter once: {', '.join(repeated)}.")

    def handle_error_response(self, request, error):
        if isinstance(error, InvalidClientError):
            error = ClientAuthenticationFailed(challenge=_challenges(request))
        elif error.error in _DESCRIPTIONS:
            error.description = _DESCRIPTIONS[error.error]
        client = getattr(request, "client", None)
        notes.token_refused(
            error=error.error,
            client_id=client.client_id if client else _attempted_client_id(request),
            partner=client.partner if client else None,
        )
        return super().handle_error_response(request, error)


def _basic_client_id(request) -> str | None:
    try:
        client_id, _secret = extract_basic_authorization(request.headers)
    except UnicodeDecodeError as exc:
        # Authlib would let this escape as a server error; it is a failed authentication.
        raise ClientAuthenticationFailed() from exc
    return client_id


def _challenges(request) -> bool:
    # Challenge unless the caller authenticated in the body (client_secret_post).
    in_body = "client_id" in request.form and not request.headers.get("Authorization")
    return not in_body


def _attempted_client_id(request) -> str | None:
    try:
        client_id = _basic_client_id(request)
    except ClientAuthenticationFailed:
        client_id = None
    return client_id or request.form.get("client_id")


def create_server(config: TokenConfig) -> HubAuthorizationServer:
    server = HubAuthorizationServer(query_client=query_client, save_token=save_token)
    server.scopes_supported = list(ROLES)
    server.register_grant(ClientCredentialsGrant)
    server.register_token_generator("default", AccessTokenGenerator(config))
    return server
