"""Governed re-identification through the HTTP API, on SQLite and PostgreSQL, with the cohort
published through the real ingest pipeline: a council analyst asks about one person the
cohort showed them, two parties' IG officers approve, the analyst fetches the providers'
own record references once. Each separation rule, the deadline, single use and suspension;
and the pseudonym and the references appear nowhere but in the one reveal answer."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from hub import clock, db
from hub.db.models import AuditEvent, RecordReference, Upload
from hub.pseudonymise import Keyring, normalise, pseudonym
from tests.helpers import bearer, fetch_token, make_client
from tests.integration.governance_support import sign_in
from tests.integration.test_governance_seen import _database_text, _lookup
from tests.integration.views_support import EARLY, kept_rows, publish_population

COHORT = "/api/v1/views/early-intervention-cohort"
API = "/api/v1/reidentifications"
SCHOOLS = ("riverside-academy", "hillcrest-high-school")


class Caller:
    """One client of a partner, with its token: the same client across the steps."""

    def __init__(self, app, client, partner: str, *roles: str):
        self.client = client
        self.partner = partner
        self.client_id, secret = make_client(app, partner=partner, roles=list(roles))
        self.headers = bearer(fetch_token(client, self.client_id, secret))

    def get(self, path: str):
        return self.client.get(path, headers=self.headers)

    def post(self, path: str, body: dict | None = None):
        return self.client.post(path, json=body, headers=self.headers)


def _canonical(kind: str, value: str) -> str | None:
    try:
        return normalise(kind=kind, value=value) if value else None
    except ValueError:
        return None


def _expected(app, published, person: str) -> dict[str, set[str]]:
    """dataset -> the record references of the person's rows, from the raw feeds: the
    schools' exclusions by UPN, the police contacts linked by NHS number or by date of
    birth with postcode (as the cohort links them)."""
    keyring = Keyring(app.extensions["hub.keys"].pseudonym_master_key)
    nhs, dobpc = set(), set()
    exclusions, upns = set(), set()
    for school in SCHOOLS:
        for dataset in ("school-exclusions", "school-attendance"):
            for row in kept_rows(published.feeds[(school, dataset)]):
                upn = _canonical("upn", row["upn"])
                if upn is None:
                    continue
                if pseudonym(kind="upn", value=upn, domain=EARLY, keyring=keyring) != person:
                    continue
                upns.add(row["upn"])
                if dataset == "school-exclusions":
                    exclusions.add(row["exclusion_id"])
                if n := _canonical("nhs_number", row.get("nhs_number", "")):
                    nhs.add(n)
                dob = _canonical("date_of_birth", row["date_of_birth"])
                pc = _canonical("postcode", row.get("postcode", ""))
                if dob and pc:
                    dobpc.add((dob, pc))
    contacts = set()
    for row in kept_rows(published.feeds[("northshire-police", "police-contacts")]):
        n = _canonical("nhs_number", row.get("nhs_number", ""))
        dob = _canonical("date_of_birth", row.get("date_of_birth", ""))
        pc = _canonical("postcode", row.get("postcode", ""))
        if (n and n in nhs) or (dob and pc and (dob, pc) in dobpc):
            contacts.add(row["contact_id"])
    return {"school-exclusions": exclusions, "police-contacts": contacts, "upn": upns}


@pytest.fixture
def shown(app, client):
    """The cohort published and queried by a council analyst: (published, analyst, answer)."""
    published = publish_population(app, agreements=(EARLY,))
    analyst = Caller(app, client, "northshire-council", "analyst")
    answer = analyst.post(
        f"{COHORT}/query",
        {
            "purpose": "safeguarding-early-help",
            "justification": "Early help panel: who needs an offer of help this month.",
            "case_reference": "EH-RI-1",
        },
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["rows"], "the cohort is empty"
    return published, analyst, answer


def _ask(caller: Caller, answer, person: str, **changes):
    body = {
        "origin_request_id": answer.headers["X-Request-Id"],
        "pseudonym": person,
        "basis": "s171_3a_crime",
        "legislation": "Children Act 1989, s.47",
        "case_reference": "SG-2026-0412",
        "justification": "Strategy discussion: the person is at risk of exploitation.",
        "necessity_statement": "The school and the force must act on their own records.",
    }
    body.update(changes)
    return caller.post(API, body)


def _person_with(answer, column: str) -> str:
    rows = sorted(answer.get_json()["rows"], key=lambda r: (-r[column], r["person"]))
    assert rows[0][column] > 0, f"nobody in the cohort has {column}"
    return rows[0]["person"]


def _leaves(app) -> list[bytes]:
    with app.app_context(), db.read_only() as session:
        return [bytes(leaf) for (leaf,) in session.execute(select(AuditEvent.leaf))]


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context(), db.read_only() as session:
        return list(
            session.execute(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.index)
            ).scalars()
        )


def test_the_whole_path_reveals_the_references_once_and_nothing_leaks(app, client, shown, caplog):
    caplog.set_level(logging.DEBUG)
    published, analyst, answer = shown
    person = _person_with(answer, "police_contacts")
    expected = _expected(app, published, person)
    assert expected["police-contacts"], "the person has no police contact in the raw feed"

    asked = _ask(analyst, answer, person)
    assert asked.status_code == 201, asked.get_json()
    request = asked.get_json()
    assert request["status"] == "submitted"
    assert "northshire-police" in request["target_providers"]
    assert person not in asked.text
    rid = request["id"]

    police_ig = Caller(app, client, "northshire-police", "ig_officer")
    council_ig = Caller(app, client, "northshire-council", "ig_officer")
    listed = police_ig.get(f"{API}?status=submitted")
    assert listed.status_code == 200
    assert [r["id"] for r in listed.get_json()["items"]] == [rid]
    assert person not in listed.text

    # Not yet approved: nothing to fetch.
    assert analyst.get(f"{API}/{rid}/reveal").status_code == 409

    first = police_ig.post(f"{API}/{rid}/approvals", {"decision": "approve"})
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["status"] == "partially_approved"
    second = council_ig.post(f"{API}/{rid}/approvals", {"decision": "approve"})
    assert second.status_code == 200, second.get_json()
    approved = second.get_json()
    assert approved["status"] == "approved"
    assert approved["expires_at"]

    # Only the requester fetches.
    other = Caller(app, client, "northshire-council", "analyst")
    refused = other.get(f"{API}/{rid}/reveal")
    assert refused.status_code == 403
    assert refused.get_json()["code"] == "reidentification_not_requester"

    revealed = analyst.get(f"{API}/{rid}/reveal")
    assert revealed.status_code == 200, revealed.get_json()
    assert revealed.headers["Cache-Control"] == "no-store"
    body = revealed.get_json()
    assert body["request"]["status"] == "revealed"
    got: dict[str, set[str]] = {}
    for row in body["rows"]:
        assert row["provider"] in ("northshire-police", "northshire-council")
        if row["reference_column"]:
            got.setdefault(row["dataset"], set()).add(row["reference"])
    # The police approved, so their rows are revealed: exactly the person's contacts. No
    # school approved, so no school row is.
    assert got.get("police-contacts") == expected["police-contacts"]
    assert "school-exclusions" not in got
    references = {r["reference"] for r in body["rows"] if r["reference"]}

    again = analyst.get(f"{API}/{rid}/reveal")
    assert again.status_code == 410
    assert again.get_json()["code"] == "reidentification_already_revealed"

    # One event per step, allowed or refused, with the request id; never the person.
    for action, outcomes in (
        ("reidentification.request", ["allowed"]),
        ("reidentification.approve", ["allowed", "allowed"]),
        ("reidentification.reveal", ["failed", "denied", "allowed", "denied"]),
    ):
        events = _events(app, action)
        assert [e.outcome for e in events] == outcomes, action
        assert all(e.details.get("reidentification") in (rid, None) for e in events)
    reveal_event = next(
        e for e in _events(app, "reidentification.reveal") if e.outcome == "allowed"
    )
    assert reveal_event.details["reidentification"] == rid
    assert reveal_event.details["basis"] == "s171_3a_crime"
    assert reveal_event.details["rows_revealed"] == len(body["rows"])

    secrets = {person, *references}
    for leaf in _leaves(app):
        text = leaf.decode()
        assert not any(s in text for s in secrets)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(s in logged for s in secrets)
    stored = _database_text(app)
    assert not any(ref in stored for ref in references), "a reference is in the database in clear"
    for page in (police_ig.get(API), police_ig.get(f"{API}/{rid}"), analyst.get(API)):
        assert page.status_code == 200
        assert not any(s in page.text for s in secrets)

    # The pages: the console's history, the s.62 report (the reveal is a disclosure) and the
    # public counts; none shows the person or a reference.
    officer = app.test_client()
    sign_in(officer, app, partner="northshire-police")
    console = officer.get("/console/reidentifications")
    assert console.status_code == 200
    assert f'data-request="{rid}" data-status="revealed"' in console.text
    assert console.headers["Cache-Control"] == "no-store"
    today = clock.today().isoformat()
    report = officer.get(f"/console/report.csv?from={today}&to={today}")
    assert report.status_code == 200
    lines = [line for line in report.text.splitlines() if "re-identification" in line]
    assert len(lines) == 1 and ",disclosure," in lines[0] and "SG-2026-0412" in lines[0]
    assert "s171_3a_crime" in lines[0] and "police-contacts" in lines[0]
    public = app.test_client().get("/transparency")
    assert public.status_code == 200
    assert 'data-testid="reid-requests">1<' in public.text
    assert 'data-testid="reid-approvals">2<' in public.text
    assert 'data-testid="reid-reveals">1<' in public.text
    # Who has seen this person lists the request beside the queries.
    seen = _lookup(officer, "upn", sorted(expected["upn"])[0])
    assert seen.status_code == 200
    assert f'data-reidentification="{rid}"' in seen.text
    for page in (console, report, public, seen):
        assert not any(s in page.text for s in secrets)


def test_each_separation_rule(app, client, shown):
    published, _, answer = shown
    person = _person_with(answer, "police_contacts")
    # A council client that is both analyst and IG officer: the requester may not decide.
    both = Caller(app, client, "northshire-council", "analyst", "ig_officer")
    # Shown to the council, not to this client's own query... but the query was the council's:
    # any council analyst may ask about it.
    asked = _ask(both, answer, person)
    assert asked.status_code == 201, asked.get_json()
    rid = asked.get_json()["id"]

    own = both.post(f"{API}/{rid}/approvals", {"decision": "approve"})
    assert own.status_code == 403
    assert own.get_json()["code"] == "reidentification_own_request"

    council_ig = Caller(app, client, "northshire-council", "ig_officer")
    council_ig_2 = Caller(app, client, "northshire-council", "ig_officer")
    assert council_ig.post(f"{API}/{rid}/approvals", {"decision": "approve"}).status_code == 200
    twice = council_ig_2.post(f"{API}/{rid}/approvals", {"decision": "approve"})
    assert twice.status_code == 403
    assert twice.get_json()["code"] == "reidentification_same_party"
    assert council_ig.get(f"{API}/{rid}").get_json()["status"] == "partially_approved"

    # A party that provides none of the person's rows cannot give the second approval when
    # the first was not a provider's either.
    providers = set(asked.get_json()["target_providers"])
    outsider = next(
        p
        for p in ("northshire-hospitals", "riverside-academy", "hillcrest-high-school")
        if p not in providers
    )
    not_provider = Caller(app, client, outsider, "ig_officer").post(
        f"{API}/{rid}/approvals", {"decision": "approve"}
    )
    assert not_provider.status_code == 403
    assert not_provider.get_json()["code"] == "reidentification_needs_provider_approval"

    # Any rejection ends it.
    police_ig = Caller(app, client, "northshire-police", "ig_officer")
    no_reason = police_ig.post(f"{API}/{rid}/approvals", {"decision": "reject"})
    assert no_reason.status_code == 400
    rejected = police_ig.post(
        f"{API}/{rid}/approvals", {"decision": "reject", "reason": "Not necessary: use s.47."}
    )
    assert rejected.status_code == 200
    assert rejected.get_json()["status"] == "rejected"
    late = Caller(app, client, "riverside-academy", "ig_officer").post(
        f"{API}/{rid}/approvals", {"decision": "approve"}
    )
    assert late.status_code == 409

    # Only a person the requester's organisation was shown.
    police_analyst = Caller(app, client, "northshire-police", "analyst")
    not_theirs = _ask(police_analyst, answer, person)
    assert not_theirs.status_code == 403
    assert not_theirs.get_json()["code"] == "reidentification_not_disclosed_to_you"
    never_shown = _ask(both, answer, "0" * 64)
    assert never_shown.status_code == 403
    assert never_shown.get_json()["code"] == "reidentification_not_disclosed_to_you"
    assert "0" * 64 not in never_shown.text

    # A ground and a justification are required; a necessity statement naming someone is not.
    assert _ask(both, answer, person, basis=None).status_code == 400
    assert _ask(both, answer, person, justification="").status_code == 400
    named = _ask(both, answer, person, necessity_statement="NHS number 943 476 5919 is at risk")
    assert named.status_code == 400
    assert named.get_json()["code"] == "reidentification_text_has_identifier"
    assert "943 476 5919" not in named.text

    # Without a token: 401, audited under the action asked for.
    anonymous = client.get(API)
    assert anonymous.status_code == 401
    assert [e.outcome for e in _events(app, "reidentification.read")][-1] == "denied"

    # Withdrawn by the requester only.
    second = _ask(both, answer, person).get_json()["id"]
    assert council_ig.post(f"{API}/{second}/withdraw").status_code == 403
    withdrawn = both.post(f"{API}/{second}/withdraw")
    assert withdrawn.status_code == 200
    assert withdrawn.get_json()["status"] == "withdrawn"


def test_the_deadline_and_a_suspension(app, client, shown, pinned_clock):
    _, analyst, answer = shown
    person = _person_with(answer, "police_contacts")
    police_ig = Caller(app, client, "northshire-police", "ig_officer")
    council_ig = Caller(app, client, "northshire-council", "ig_officer")

    late = _ask(analyst, answer, person).get_json()["id"]
    pending = _ask(analyst, answer, person).get_json()["id"]
    for rid in (late,):
        assert police_ig.post(f"{API}/{rid}/approvals", {"decision": "approve"}).status_code == 200
        assert council_ig.post(f"{API}/{rid}/approvals", {"decision": "approve"}).status_code == 200
    assert police_ig.post(f"{API}/{pending}/approvals", {"decision": "approve"}).status_code == 200

    # A suspension stops the pending request at once: no approval, no reveal.
    suspended = council_ig.post(
        f"/api/v1/agreements/{EARLY}/suspend", {"reason": "Review of the sharing."}
    )
    assert suspended.status_code == 200, suspended.get_json()
    blocked = council_ig.post(f"{API}/{pending}/approvals", {"decision": "approve"})
    assert blocked.status_code == 403
    assert blocked.get_json()["rule"] == "suspended"
    fetch = analyst.get(f"{API}/{late}/reveal")
    assert fetch.status_code == 403
    assert fetch.get_json()["rule"] == "suspended"
    assert council_ig.post(f"/api/v1/agreements/{EARLY}/resume").status_code == 200

    # Data withdrawn after the approval: the reveal answers with no rows, and says why.
    withdrawn = _ask(analyst, answer, person).get_json()["id"]
    assert (
        police_ig.post(f"{API}/{withdrawn}/approvals", {"decision": "approve"}).status_code == 200
    )
    assert (
        council_ig.post(f"{API}/{withdrawn}/approvals", {"decision": "approve"}).status_code == 200
    )
    police_uploader = Caller(app, client, "northshire-police", "uploader")
    with app.app_context(), db.read_only() as session:
        police_upload = session.execute(
            select(Upload.id).where(
                Upload.dataset == "police-contacts", Upload.status == "published"
            )
        ).scalar_one()
    gone_data = police_uploader.client.delete(
        f"/api/v1/uploads/{police_upload}", headers=police_uploader.headers
    )
    assert gone_data.status_code == 200, gone_data.get_json()
    empty = analyst.get(f"{API}/{withdrawn}/reveal")
    assert empty.status_code == 200
    assert empty.get_json()["rows"] == []
    assert empty.get_json()["reason"] == "data no longer held"
    with app.app_context(), db.read_only() as session:
        assert not session.execute(
            select(RecordReference.row).where(RecordReference.upload_id == police_upload)
        ).first()

    # Past the deadline (72 h from the second approval): 410, and one expiry event.
    clock.install(clock.PinnedClock(clock.now() + timedelta(hours=72, minutes=1)))
    gone = analyst.get(f"{API}/{late}/reveal")
    assert gone.status_code == 410
    assert gone.get_json()["code"] == "reidentification_expired"
    assert analyst.get(f"{API}/{late}/reveal").status_code == 410
    expired = _events(app, "reidentification.expired")
    assert len(expired) == 1
    assert expired[0].details["reidentification"] == late
    assert expired[0].details["status"] == {"from": "approved", "to": "expired"}
    assert person not in bytes(expired[0].leaf).decode()
