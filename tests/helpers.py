"""Helpers any test may use: unique ids, partners, OAuth clients and access tokens.

Tokens come the way a partner's system gets them: POST /oauth/token over HTTP.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from hub import db
from hub.auth import Identity, create_client
from hub.db.models import Partner


def unique_id(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def ensure_partner(app, partner: str, *, kind: str = "other") -> None:
    """Make the partner row unless it is there (the agreements sync may have made it)."""
    with app.app_context(), db.unit_of_work() as session:
        if session.get(Partner, partner) is None:
            session.add(Partner(id=partner, name=f"Test partner {partner}", kind=kind))


def make_client(
    app, *, partner: str, roles: Iterable[str], name: str = "test client"
) -> tuple[str, str]:
    """A new client of `partner` (made if missing); returns (client_id, secret)."""
    ensure_partner(app, partner)
    with app.app_context():
        record, secret = create_client(name=name, partner=partner, roles=list(roles))
    return record.client_id, secret


def fetch_token(client, client_id: str, secret: str, *, scope: str | None = None) -> str:
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    response = client.post("/oauth/token", data=data, auth=(client_id, secret))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["access_token"]


def token_for(client, app, *, partner: str, roles: Iterable[str]) -> str:
    """An access token for a new client of `partner` holding `roles`, got over HTTP."""
    client_id, secret = make_client(app, partner=partner, roles=roles)
    return fetch_token(client, client_id, secret)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def approve_every_agreement(app) -> None:
    """Every loaded agreement approved by every party, through the lifecycle's service
    functions (as each party's IG officer), so that data may be shared under it."""
    from hub import audit
    from hub.agreements import agreement_states, approve, current_policies

    with app.app_context():
        for state in agreement_states():
            agreement = current_policies().agreements[state.agreement_id]
            if state.status in ("expired", "superseded"):
                continue  # nothing to approve
            for party in agreement.parties:
                officer = Identity(
                    client_id=f"test-ig-{party.partner}"[:64],
                    partner=party.partner,
                    roles=frozenset({"ig_officer"}),
                )
                approve(officer, agreement.id, record=audit.append)


def approve_over_http(base_url: str, clients: Iterable[dict], *, session=None) -> None:
    """Every agreement approved over HTTP by each party's IG officer among `clients` (dicts
    with client_id, client_secret, partner and roles, as in instance/demo-clients.json), the
    way IG officers approve them against a running hub."""
    import requests

    http = session or requests
    for officer in (c for c in clients if "ig_officer" in c["roles"]):
        token = http.post(
            f"{base_url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(officer["client_id"], officer["client_secret"]),
            timeout=30,
        ).json()["access_token"]
        listed = http.get(f"{base_url}/api/v1/agreements", headers=bearer(token), timeout=30)
        assert listed.status_code == 200, listed.text
        for agreement in listed.json()["items"]:
            answer = http.post(
                f"{base_url}/api/v1/agreements/{agreement['id']}/approvals",
                headers=bearer(token),
                timeout=30,
            )
            assert answer.status_code in (200, 201), answer.text
