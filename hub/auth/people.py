"""Who a person is and what they may do, from the ID token their partner's provider signed.

The partner is the issuer's, never a claim's: a provider speaks only for its own partner.
Its claims give roles only through that partner's own mapping in policies/partners.yaml, so
a person from issuer A who claims B's roles (or to be of B) gets none and is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.auth.identity import Person
from hub.errors import Forbidden

# A claim by which a provider might say which organisation the person is of.
PARTNER_CLAIM = "hub_partner"


class SignInRefused(Forbidden):
    code = "sign_in_refused"


def person_from_claims(
    claims: Mapping[str, Any],
    *,
    partner: str,
    issuer: str,
    roles_claim: str,
    name_claim: str,
    role_map: Mapping[str, str],
) -> tuple[Person, frozenset[str]]:
    """The person and their hub roles for `partner`, from verified ID token claims; or
    `SignInRefused` saying why (another issuer, another partner, no role)."""
    if claims.get("iss") != issuer:
        raise SignInRefused(
            f"This sign-in came from the issuer {claims.get('iss')!r}, not {partner}'s own "
            f"({issuer}): sign in at your own organisation's provider."
        )
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise SignInRefused("The provider named no subject (`sub`) for this person.")
    claimed = claims.get(PARTNER_CLAIM)
    if claimed is not None and claimed != partner:
        raise SignInRefused(
            f"You signed in at {partner}'s provider, which cannot make you act for "
            f"{claimed!r}: sign in at that organisation's own provider, if you belong to it."
        )
    values = claims.get(roles_claim) or []
    if isinstance(values, str):
        values = values.split()
    roles = frozenset(role_map[v] for v in values if isinstance(v, str) and v in role_map)
    name = claims.get(name_claim) or claims.get("preferred_username") or subject
    person = Person(issuer=issuer, subject=subject, name=str(name)[:200])
    if not roles:
        raise SignInRefused(
            f"{person.name}: {partner}'s provider gives you none of the groups that map to a "
            f"hub role ({', '.join(sorted(role_map))} in `{roles_claim}`). Ask your "
            "organisation's IG team for access."
        )
    return person, roles
