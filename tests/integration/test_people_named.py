"""s.62(3): the log establishes who consulted. A person's query names the person (issuer,
subject, display name) and their partner in its audit event, on the console's trail and in
the s.62 report and its CSV; a system's names it as a system and who runs it."""

from __future__ import annotations

import csv
import io

from hub.agreements import current_policies
from tests.helpers import make_client
from tests.integration.governance_support import sign_in
from tests.integration.ingest_support import events

COHORT = "early-intervention-cohort"


def _csrf(client) -> str:
    from hub import auth

    with client.session_transaction() as cookie:
        return cookie[auth.CSRF_KEY]


def _query(client, headers: dict) -> None:
    view = client.get(f"/api/v1/views/{COHORT}", headers=headers)
    assert view.status_code == 200, view.text
    body = {"purpose": view.json["purpose"], "justification": "Early help panel, named test"}
    answer = client.post(f"/api/v1/views/{COHORT}/query", json=body, headers=headers)
    assert answer.status_code == 200, answer.text


def test_a_persons_query_names_them_in_the_event_the_trail_and_the_s62_csv(app, client):
    label, _ = sign_in(
        client, app, partner="northshire-council", roles=("analyst",), name="Alex Morgan"
    )
    _query(client, {"X-CSRF-Token": _csrf(client)})
    system_id, secret = make_client(
        app, partner="northshire-council", roles=["analyst"], name="Council case system"
    )
    token = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(system_id, secret)
    ).json["access_token"]
    _query(client, {"Authorization": f"Bearer {token}"})

    queries = [e for e in events(app, "view.query") if e.outcome == "allowed"]
    person, system = queries
    with app.app_context():
        issuer = current_policies().partners["northshire-council"].sign_in.issuer
    assert (person.actor_kind, person.actor_name, person.actor_issuer) == (
        "person",
        "Alex Morgan",
        issuer,
    )
    assert person.actor_subject.startswith("test-")
    assert (person.actor_client, person.actor_partner) == (label, "northshire-council")
    assert (system.actor_kind, system.actor_owner, system.actor_client) == (
        "system",
        "Council case system",
        system_id,
    )
    # The event's leaf holds the person as well (what hub-verify and the API give out).
    api_actor = client.get(
        "/api/v1/audit/events",
        query_string={"action": "view.query"},
        headers={"Authorization": f"Bearer {_officer_token(app, client)}"},
    ).json["items"]
    assert {"kind": "person", "name": "Alex Morgan", "issuer": issuer}.items() <= next(
        e["actor"] for e in api_actor if e["actor"]["client"] == label
    ).items()

    officer = app.test_client()
    sign_in(officer, app, partner="northshire-council", name="Jo Bennett")
    trail = officer.get("/console/audit", query_string={"action": "view.query"})
    assert trail.status_code == 200
    assert "Alex Morgan" in trail.text and "Council case system" in trail.text
    assert officer.get(f"/console/audit/{person.index}").text.count("verified") >= 1

    report = officer.get("/console/report")
    assert "Alex Morgan" in report.text
    rows = list(csv.DictReader(io.StringIO(officer.get("/console/report.csv").text)))
    by_index = {int(r["audit_index"]): r for r in rows}
    named = by_index[person.index]
    assert (named["actor_kind"], named["person_name"], named["person_issuer"]) == (
        "person",
        "Alex Morgan",
        issuer,
    )
    assert named["person_subject"] == person.actor_subject
    machine = by_index[system.index]
    assert (machine["actor_kind"], machine["system_owner"], machine["person_name"]) == (
        "system",
        "Council case system",
        "",
    )


def _officer_token(app, client) -> str:
    officer_id, secret = make_client(app, partner="northshire-council", roles=["ig_officer"])
    return client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(officer_id, secret)
    ).json["access_token"]
