"""Who has seen this person: the console's lookup finds the queries that showed a person from
their UPN, NHS number or PNC ID, and the identifier is kept nowhere: not in the database, the
logs, the audit log or the session. On SQLite and PostgreSQL, with data published through
the real ingest pipeline."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest
from sqlalchemy import MetaData, select

from hub import db
from hub.pseudonymise import Keyring, nhs_check_digit, normalise, pseudonym
from tests.helpers import bearer, token_for
from tests.integration.governance_support import csrf_of, sign_in
from tests.integration.ingest_support import events, reading
from tests.integration.views_support import EARLY, kept_rows, publish_population

COHORT = "/api/v1/views/early-intervention-cohort"
SCHOOLS = ("riverside-academy", "hillcrest-high-school")


@dataclass(frozen=True)
class Person:
    upn: str  # as a school sent it
    nhs_number: str  # canonical (10 digits)
    pnc_id: str | None  # as the police sent it


def _canonical(kind: str, value: str) -> str | None:
    try:
        return normalise(kind=kind, value=value) if value else None
    except ValueError:
        return None


def _people_in(app, published, shown: set[str]) -> list[Person]:
    """People of the cohort answer with a UPN and an NHS number in a school's feed, those with
    a PNC ID in the police feed (found by NHS number) first."""
    keyring = Keyring(app.extensions["hub.keys"].pseudonym_master_key)
    pnc_by_nhs = {}
    for row in kept_rows(published.feeds[("northshire-police", "police-contacts")]):
        nhs = _canonical("nhs_number", row["nhs_number"])
        if nhs and _canonical("pnc_id", row["pnc_id"]):
            pnc_by_nhs[nhs] = row["pnc_id"]
    people = {}
    for school in SCHOOLS:
        for dataset in ("school-exclusions", "school-attendance"):
            for row in kept_rows(published.feeds[(school, dataset)]):
                upn = _canonical("upn", row["upn"])
                nhs = _canonical("nhs_number", row["nhs_number"])
                if not upn or not nhs:
                    continue
                key = pseudonym(kind="upn", value=upn, domain=EARLY, keyring=keyring)
                if key in shown:
                    people[upn] = Person(row["upn"], nhs, pnc_by_nhs.get(nhs))
    return sorted(people.values(), key=lambda p: (p.pnc_id is None, p.upn))


def _lookup(client, kind: str, value: str):
    form = client.get("/console/seen")
    assert form.status_code == 200
    return client.post(
        "/console/seen",
        data={"csrf": csrf_of(form.text), "kind": kind, "identifier": value},
    )


def _database_text(app) -> str:
    """Every value of every table, as text: what a dump of the database would hold."""
    engine = db.get_engine(app)
    parts = []
    with reading(engine) as connection:
        metadata = MetaData()
        metadata.reflect(connection)
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("utf-8", "replace")
                    parts.append(str(value))
    return "\n".join(parts)


def _spaced(nhs: str) -> str:
    return f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}"


def _invalid_nhs_number(valid: str) -> str:
    body = valid[:9]
    right = nhs_check_digit(body)
    wrong = next(d for d in "0123456789" if d != right)
    return body + wrong


@pytest.fixture
def cohort(app, client):
    """The cohort published and queried once by a council analyst; (published, answer)."""
    published = publish_population(app, agreements=(EARLY,))
    headers = bearer(token_for(client, app, partner="northshire-council", roles=["analyst"]))
    answer = client.post(
        f"{COHORT}/query",
        json={
            "purpose": "safeguarding-early-help",
            "justification": "Early help panel: who needs an offer of help this month.",
            "case_reference": "EH-SEEN-1",
        },
        headers=headers,
    )
    assert answer.status_code == 200, answer.get_json()
    return published, answer


def test_a_person_is_found_by_upn_nhs_number_and_pnc_id_and_kept_nowhere(
    app, client, cohort, caplog
):
    caplog.set_level(logging.DEBUG)
    published, answer = cohort
    shown = {row["person"] for row in answer.get_json()["rows"]}
    people = _people_in(app, published, shown)
    assert people, "the cohort has nobody with a UPN and an NHS number in a school feed"
    person = people[0]
    query_request = answer.headers.get("X-Request-Id")

    sign_in(client, app, partner="northshire-council")
    assert person.pnc_id, "nobody in the cohort has a PNC ID the police feed links by NHS number"
    lookups = [
        ("upn", person.upn),
        ("nhs_number", _spaced(person.nhs_number)),
        ("pnc_id", person.pnc_id),
    ]
    for kind, value in lookups:
        page = _lookup(client, kind, value)
        assert page.status_code == 200, (kind, page.text)
        assert 'data-testid="seen-count">1<' in page.text, kind
        assert "EH-SEEN-1" in page.text
        assert "Early help panel" in page.text
        assert "early-intervention-cohort" in page.text
        assert f'data-request-id="{query_request}"' in page.text
        assert value not in page.text and person.nhs_number not in page.text
        assert page.headers["Cache-Control"] == "no-store"

    invalid = _invalid_nhs_number(person.nhs_number)
    refused = _lookup(client, "nhs_number", invalid)
    assert refused.status_code == 422
    assert "The NHS number you entered is not valid (check digit does not match)" in refused.text
    assert invalid not in refused.text

    lookups_made = events(app, "person.lookup")
    assert [e.details["kind"] for e in lookups_made] == [k for k, _ in lookups] + ["nhs_number"]
    assert all(e.details["matched_queries"] == 1 for e in lookups_made[:-1])
    assert {k: lookups_made[-1].details[k] for k in ("kind", "valid", "problem")} == {
        "kind": "nhs_number",
        "valid": False,
        "problem": "check_digit",
    }
    assert lookups_made[-1].outcome == "failed"

    # Nowhere: the database (audit log included), the logs, the session cookie.
    secrets = {value for _, value in lookups} | {person.nhs_number, invalid}
    secrets |= {_canonical("upn", person.upn), _canonical("pnc_id", person.pnc_id or "")} - {None}
    dump = _database_text(app)
    logged = caplog.text
    cookie = client.get_cookie("hub_session").value
    session = str(app.session_interface.get_signing_serializer(app).loads(cookie))
    for secret in secrets:
        assert secret not in dump
        assert secret not in logged
        assert secret not in session
        assert secret not in cookie


def test_someone_no_query_showed_is_not_found_and_outsiders_are_refused(app, client, cohort):
    published, answer = cohort
    shown = {row["person"] for row in answer.get_json()["rows"]}
    keyring = Keyring(app.extensions["hub.keys"].pseudonym_master_key)
    unseen = next(
        row["upn"]
        for row in kept_rows(published.feeds[("riverside-academy", "school-attendance")])
        if _canonical("upn", row["upn"])
        and pseudonym(kind="upn", value=row["upn"], domain=EARLY, keyring=keyring) not in shown
    )
    sign_in(client, app, partner="northshire-police")  # a party too: the same domain
    page = _lookup(client, "upn", unseen)
    assert page.status_code == 200
    assert 'data-testid="seen-count">0<' in page.text
    assert "No query under your organisation" in page.text

    wrong_kind = _lookup(client, "postcode", "NX1 1AA")
    assert wrong_kind.status_code == 422
    assert "Choose the kind of identifier" in wrong_kind.text

    outsider = app.test_client()
    sign_in(outsider, app, partner="westshire-council")
    assert outsider.get("/console/seen").status_code == 403
    no_csrf = client.post("/console/seen", data={"kind": "upn", "identifier": unseen})
    assert no_csrf.status_code == 403
