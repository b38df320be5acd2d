"""What auth tells the audit log about the current request.

The audit package's request hook writes the event; auth only notes who called and why the
token endpoint answered as it did.
"""

from __future__ import annotations

from flask import g

from hub import audit
from hub.auth.identity import Identity

ACTION = "token.issue"
RESOURCE = "/oauth/token"
# RFC 6749 errors that refuse this caller, as opposed to requests that are malformed.
DENIALS = frozenset({"invalid_client", "invalid_scope", "unauthorized_client"})


def token_issued(*, client_id: str, partner: str, roles: list[str]) -> None:
    audit.note(
        action=ACTION,
        resource=RESOURCE,
        reason="issued",
        actor={"client": client_id, "partner": partner, "roles": roles, "kind": "system"},
    )


def token_refused(*, error: str, client_id: str | None, partner: str | None) -> None:
    # hub.api.problems sets these for problem+json; the token endpoint answers in RFC 6749's
    # own format, so it sets them itself for the audit hook.
    g.error_code = error
    g.error_outcome = "denied" if error in DENIALS else "failed"
    audit.note(
        action=ACTION,
        resource=RESOURCE,
        reason=error,
        # Only the client_id tried: the partner is named only once the client is authenticated.
        actor={"client": client_id, "partner": partner, "roles": []},
    )


def caller(identity: Identity) -> None:
    audit.note(actor=identity)
