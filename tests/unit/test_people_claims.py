"""A person's partner and roles come from their issuer and its own mapping, never from what a
token claims about another partner."""

from __future__ import annotations

import pytest

from hub.auth.people import SignInRefused, person_from_claims

POLICE = "http://127.0.0.1:8400/northshire-police"
COUNCIL = "http://127.0.0.1:8400/northshire-council"
POLICE_ROLES = {"police-analysts": "analyst", "information-governance": "ig_officer"}


def _map(claims, *, issuer=POLICE, partner="northshire-police", role_map=POLICE_ROLES):
    return person_from_claims(
        claims,
        partner=partner,
        issuer=issuer,
        roles_claim="groups",
        name_claim="name",
        role_map=role_map,
    )


def test_the_partners_mapping_gives_the_roles_and_the_name():
    person, roles = _map(
        {"iss": POLICE, "sub": "s1", "name": "Priya Shah", "groups": ["police-analysts", "x"]}
    )
    assert (person.issuer, person.subject, person.name) == (POLICE, "s1", "Priya Shah")
    assert roles == {"analyst"}


def test_a_police_person_claiming_the_councils_groups_gets_no_role_and_is_refused():
    with pytest.raises(SignInRefused, match="none of the groups"):
        _map({"iss": POLICE, "sub": "m", "name": "Mallory", "groups": ["ig-officers", "analysts"]})


def test_a_police_person_claiming_to_be_of_the_council_is_refused_whatever_their_groups():
    with pytest.raises(SignInRefused, match="cannot make you act for 'northshire-council'"):
        _map(
            {
                "iss": POLICE,
                "sub": "m",
                "groups": ["information-governance"],
                "hub_partner": "northshire-council",
            }
        )


def test_a_token_of_issuer_a_is_refused_at_partner_bs_sign_in():
    # The police's ID token brought to the council's callback: the council's mapping would
    # give roles for these groups, but the issuer is not the council's.
    with pytest.raises(SignInRefused, match="not northshire-council's own"):
        _map(
            {"iss": POLICE, "sub": "s1", "groups": ["ig-officers"]},
            issuer=COUNCIL,
            partner="northshire-council",
            role_map={"ig-officers": "ig_officer"},
        )


def test_no_subject_is_refused():
    with pytest.raises(SignInRefused, match="no subject"):
        _map({"iss": POLICE, "groups": ["police-analysts"]})
