"""The hub as a client of each partner's OpenID Provider, with Authlib's Flask client.

One registered client per partner that has `sign_in` in policies/partners.yaml: discovery
from `<issuer>/.well-known/openid-configuration`, the provider's keys from its JWKS, the
authorization code flow with PKCE (S256), `state` and `nonce` kept in the signed cookie until
the person comes back. A partner whose client secret is missing from the environment cannot
be signed in at (its button says which variable to set); nothing falls back.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app, request

from hub import auth, errors
from hub.agreements import current_policies
from hub.auth.people import SignInRefused, person_from_claims
from hub.settings import Settings

log = logging.getLogger(__name__)

EXTENSION = "hub.oidc"
DEMO_PEOPLE = "demo-people.json"


@dataclass
class PartnerProvider:
    partner: str
    name: str
    issuer: str
    redirect_uri: str
    roles_claim: str
    name_claim: str
    role_map: dict[str, str]
    client: Any = None
    problem: str | None = None

    @property
    def ready(self) -> bool:
        return self.client is not None


@dataclass
class Registry:
    oauth: OAuth
    providers: dict[str, PartnerProvider]


def redirect_uri(settings: Settings, partner: str) -> str:
    """Where the partner's provider sends people back: register exactly this URI there."""
    return f"{settings.effective_issuer}/sign-in/{partner}/callback"


def init_app(app: Flask, settings: Settings) -> None:
    oauth = OAuth(app)
    providers: dict[str, PartnerProvider] = {}
    with app.app_context():
        partners = current_policies().partners
    for partner in partners.values():
        config = partner.sign_in
        if config is None:
            continue
        issuer = config.issuer.rstrip("/")
        entry = PartnerProvider(
            partner=partner.id,
            name=partner.name,
            issuer=issuer,
            redirect_uri=redirect_uri(settings, partner.id),
            roles_claim=config.roles_claim,
            name_claim=config.name_claim,
            role_map=dict(config.roles),
        )
        secret = settings.oidc_client_secrets.get(config.client_secret_env)
        if not secret:
            entry.problem = f"not configured: set {config.client_secret_env}"
        else:
            entry.client = oauth.register(
                name=partner.id,
                client_id=config.client_id,
                client_secret=secret,
                server_metadata_url=f"{issuer}/.well-known/openid-configuration",
                client_kwargs={"scope": config.scope, "code_challenge_method": "S256"},
            )
        providers[partner.id] = entry
    app.extensions[EXTENSION] = Registry(oauth=oauth, providers=providers)


def provider(partner: str) -> PartnerProvider:
    """The partner's provider, ready to sign in at; NotFound or ServiceUnavailable if not."""
    entry = current_app.extensions[EXTENSION].providers.get(partner)
    if entry is None:
        raise errors.NotFound(
            f"There is no sign-in for {partner!r}: pick your organisation on the sign-in page."
        )
    if not entry.ready:
        raise errors.ServiceUnavailable(
            f"Sign-in at {entry.name} is {entry.problem} (the hub's operators set it)."
        )
    return entry


def start_sign_in(entry: PartnerProvider):
    """The redirect to the partner's provider (state, nonce and PKCE verifier kept in the
    signed cookie by Authlib)."""
    try:
        return entry.client.authorize_redirect(entry.redirect_uri)
    except Exception as exc:  # noqa: BLE001 - discovery failed: the provider does not answer
        log.warning("OIDC discovery at %s failed (%s)", entry.issuer, type(exc).__name__)
        raise errors.ServiceUnavailable(
            f"{entry.name}'s sign-in service does not answer: try again later, or tell "
            "your organisation's IT service desk."
        ) from exc


def complete_sign_in(partner: str) -> auth.Identity:
    """The person coming back from their provider, checked and mapped to this partner's roles
    only; `SignInRefused` or `Unauthenticated` saying what to do otherwise."""
    entry = provider(partner)
    if request.args.get("error"):
        said = request.args.get("error_description") or request.args["error"]
        raise SignInRefused(f"{entry.name}'s sign-in answered: {said[:200]}. Try again.")
    try:
        token = entry.client.authorize_access_token()
    except Exception as exc:  # noqa: BLE001 - every failure to check the answer refuses it
        log.info("OIDC sign-in at %s refused (%s)", entry.issuer, type(exc).__name__)
        raise errors.Unauthenticated(
            f"The sign-in at {entry.name} could not be checked ({type(exc).__name__}): it may "
            "have expired or come from another browser. Start again from the sign-in page."
        ) from exc
    claims = token.get("userinfo")
    if not claims:
        raise errors.Unauthenticated(
            f"{entry.name}'s provider sent no ID token: start again from the sign-in page."
        )
    person, roles = person_from_claims(
        claims,
        partner=entry.partner,
        issuer=entry.issuer,
        roles_claim=entry.roles_claim,
        name_claim=entry.name_claim,
        role_map=entry.role_map,
    )
    return auth.Identity(
        client_id=auth.person_label(issuer=person.issuer, subject=person.subject),
        partner=entry.partner,
        roles=roles,
        person=person,
    )


def demo_people() -> list[dict[str, Any]]:
    """In demo mode only: the demo's people (with passwords), to show on the sign-in page."""
    settings = current_app.extensions["hub.settings"]
    if settings.mode != "demo":
        return []
    try:
        items = json.loads((Path(settings.instance_path) / DEMO_PEOPLE).read_text())
    except (OSError, ValueError):
        return []
    return [p for p in items if isinstance(p, dict) and "username" in p]
