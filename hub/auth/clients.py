"""OAuth clients: machine callers that belong to one partner and hold some roles.

A client's secret is shown once, when the client is made; the hub stores only a slow hash.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterable

from sqlmodel import select
from werkzeug.security import check_password_hash, generate_password_hash

from hub import clock, db
from hub.auth.identity import ROLES
from hub.db.models import OAuthClient, Partner
from hub.errors import InvalidRequest, NotFound

# scrypt is werkzeug's default; naming it keeps a future default change from passing unseen.
HASH_METHOD = "scrypt"


def hash_secret(secret: str) -> str:
    return generate_password_hash(secret, method=HASH_METHOD)


def secret_matches(*, secret_hash: str, secret: str) -> bool:
    return check_password_hash(secret_hash, secret)


@functools.cache
def _decoy_hash() -> str:
    return hash_secret(secrets.token_urlsafe(32))


def spend_the_time_of_a_check() -> None:
    """Hash a throwaway secret, so an unknown client_id answers no faster than a known one."""
    check_password_hash(_decoy_hash(), "not-a-secret")


def _clean_roles(roles: Iterable[str]) -> list[str]:
    given = sorted({role.strip() for role in roles if role and role.strip()})
    unknown = [role for role in given if role not in ROLES]
    if unknown or not given:
        raise InvalidRequest(
            f"Give a client one or more of the roles {', '.join(ROLES)}"
            + (f"; not {', '.join(unknown)}." if unknown else "."),
            code="unknown_role",
        )
    return given


def create_client(*, name: str, partner: str, roles: Iterable[str]) -> tuple[OAuthClient, str]:
    """Make a client for `partner` with `roles`; return it and its secret (shown only now)."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidRequest("Give the client a name of 1 to 200 characters.", code="invalid_name")
    clean_roles = _clean_roles(roles)
    secret = secrets.token_urlsafe(32)
    with db.unit_of_work() as session:
        if session.get(Partner, partner) is None:
            raise InvalidRequest(
                f"There is no partner '{partner}': partners come from policies/partners.yaml "
                "and reach the database with `hub db upgrade`.",
                code="unknown_partner",
            )
        client = OAuthClient(
            # Hex, so that an id never starts with "-" and reads as an option to `hub clients`.
            client_id=secrets.token_hex(10),
            secret_hash=hash_secret(secret),
            name=name,
            partner_id=partner,
            roles=clean_roles,
        )
        session.add(client)
    return client, secret


def revoke_client(*, client_id: str) -> OAuthClient:
    """Revoke a client: it gets no more tokens and the tokens it holds stop working now."""
    with db.unit_of_work() as session:
        client = session.get(OAuthClient, client_id)
        if client is None:
            raise NotFound(f"There is no client '{client_id}': `hub clients list` shows them.")
        if client.revoked_at is None:  # revoking twice keeps the first time
            client.revoked_at = clock.now()
            session.add(client)
    return client


def list_clients() -> list[OAuthClient]:
    with db.read_only() as session:
        statement = select(OAuthClient).order_by(OAuthClient.created_at, OAuthClient.client_id)
        clients = list(session.exec(statement).all())
        # read_only() ends with a rollback, which would expire the rows we hand back.
        session.expunge_all()
    return clients


def find_client(client_id: str) -> OAuthClient | None:
    """The client with this id, revoked or not; None if there is none."""
    with db.read_only() as session:
        client = session.get(OAuthClient, client_id)
        session.expunge_all()  # see list_clients
    return client
