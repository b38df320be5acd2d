"""The agreement lifecycle over HTTP, on SQLite and PostgreSQL: proposed -> approved by every
party -> active; suspended (uploads and queries refused at once) and resumed; expired past
its end; a changed file is a new version needing new approvals; reviews that are due."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from hub import clock, db
from hub.agreements import (
    agreement_state,
    agreement_terms,
    sync_to_database,
)
from hub.app import create_app
from hub.db.models import AuditEvent, Upload
from hub.settings import PROJECT_ROOT
from tests.conftest import make_settings
from tests.helpers import approve_every_agreement, bearer, token_for
from tests.helpers_ingest import police_csv, send, wait_for_upload

HOTSPOTS = "crime-asb-hotspots"
EARLY = "early-intervention-young-people"
POLICE, COUNCIL = "northshire-police", "northshire-council"
VIEW = "crime-asb-hotspots"
HOTSPOTS_FILE = Path("agreements") / f"{HOTSPOTS}.yaml"


def events(app, *actions: str) -> list[SimpleNamespace]:
    """The audit events of `actions`, in order, as plain values."""
    with app.app_context(), db.read_only() as session:
        rows = session.execute(
            select(AuditEvent).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.index)
        ).scalars()
        return [
            SimpleNamespace(
                action=e.action,
                outcome=e.outcome,
                resource=e.resource,
                reason=e.reason,
                actor_client=e.actor_client,
                actor_partner=e.actor_partner,
                actor_roles=list(e.actor_roles),
                details=dict(e.details),
            )
            for e in rows
        ]


class Hub:
    """One app and the tokens of the people who act on it."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self._tokens: dict[tuple[str, str], str] = {}

    def token(self, partner: str, role: str) -> str:
        key = (partner, role)
        if key not in self._tokens:
            self._tokens[key] = token_for(self.client, self.app, partner=partner, roles=[role])
        return self._tokens[key]

    def get(self, url: str, partner: str, role: str = "ig_officer", **kwargs):
        return self.client.get(url, headers=bearer(self.token(partner, role)), **kwargs)

    def post(self, url: str, partner: str, role: str = "ig_officer", **kwargs):
        return self.client.post(url, headers=bearer(self.token(partner, role)), **kwargs)

    def approve(self, partner: str, agreement: str = HOTSPOTS, role: str = "ig_officer"):
        return self.post(f"/api/v1/agreements/{agreement}/approvals", partner, role)

    def suspend(self, partner: str, reason, agreement: str = HOTSPOTS, role: str = "ig_officer"):
        body = {} if reason is None else {"reason": reason}
        return self.post(f"/api/v1/agreements/{agreement}/suspend", partner, role, json=body)

    def resume(self, partner: str, agreement: str = HOTSPOTS, **body):
        # The body is optional: {"reason": ...} or nothing at all.
        url = f"/api/v1/agreements/{agreement}/resume"
        return self.post(url, partner, json=body) if body else self.post(url, partner)

    def state(self, agreement: str = HOTSPOTS, partner: str = POLICE) -> dict:
        response = self.get(f"/api/v1/agreements/{agreement}", partner)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def upload(self, rows: int = 3, *, start: int = 0):
        return send(self.client, self.token(POLICE, "uploader"), police_csv(rows, start=start))

    def upload_and_wait(self, rows: int = 3, *, start: int = 0) -> dict:
        response = self.upload(rows, start=start)
        assert response.status_code == 202, response.get_json()
        return wait_for_upload(
            self.client, self.token(POLICE, "uploader"), response.get_json()["id"]
        )

    def query(self, partner: str = COUNCIL):
        return self.post(
            f"/api/v1/views/{VIEW}/query",
            partner,
            "analyst",
            json={"purpose": "patrol-planning", "justification": "Planning next month's patrols."},
        )


@pytest.fixture
def hub(app) -> Hub:
    return Hub(app)


@pytest.fixture
def apps(tmp_path, database_url, test_keys):
    """make(policies_dir, name): an app on the test's database with those policies, synced
    (as `hub serve` does at start); several may share the database, like server processes."""
    made = []

    def make(policies_dir: Path, name: str = "a") -> Hub:
        settings = make_settings(
            tmp_path / name, database_url, test_keys, policies_dir=policies_dir
        )
        app = create_app(settings)
        with app.app_context():
            sync_to_database()
        made.append(app)
        return Hub(app)

    yield make
    for app in made:
        db.get_engine(app).dispose()


def policies_with(tmp_path: Path, replace: dict[str, str] | None = None) -> Path:
    """A copy of the shipped policies with text in the hot-spots agreement replaced."""
    target = tmp_path / "policies"
    shutil.copytree(PROJECT_ROOT / "policies", target)
    for old, new in (replace or {}).items():
        edit(target, old, new)
    return target


def edit(policies: Path, old: str, new: str, *, agreement: str = HOTSPOTS) -> None:
    path = policies / "agreements" / f"{agreement}.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


# -- proposed -> approved -> active ------------------------------------------------------------


@pytest.mark.agreements_proposed
def test_an_agreement_is_active_once_every_party_has_approved_it(hub):
    state = hub.state()
    assert state["status"] == "proposed" and state["in_force"] is False
    assert state["awaiting"] == [POLICE, COUNCIL]
    assert [a["approved"] for a in state["approvals"]] == [False, False]
    loaded = events(hub.app, "agreement.proposed")
    assert [(e.resource, e.outcome, e.actor_roles) for e in loaded if HOTSPOTS in e.resource] == [
        (f"agreement:{HOTSPOTS}", "allowed", ["system"])
    ]

    first = hub.approve(POLICE)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["status"] == "proposed"
    assert first.get_json()["awaiting"] == [COUNCIL]
    again = hub.approve(POLICE)  # approving twice changes nothing
    assert again.status_code == 200
    assert again.get_json()["approvals"] == first.get_json()["approvals"]

    last = hub.approve(COUNCIL)
    assert last.status_code == 201
    body = last.get_json()
    assert body["status"] == "active" and body["in_force"] is True and body["awaiting"] == []
    approvals = {a["partner"]: a for a in body["approvals"]}
    assert approvals[POLICE]["approved_at"] and approvals[COUNCIL]["approved_at"]
    # The whole record (IG officers) says which client approved; the part (analysts) does not.
    assert (
        approvals[COUNCIL]["approved_by"] == events(hub.app, "agreement.approve")[-1].actor_client
    )
    listed = hub.get("/api/v1/agreements", COUNCIL, "analyst").get_json()["items"]
    mine = next(a for a in listed if a["id"] == HOTSPOTS)
    assert mine["status"] == "active"
    assert {a["approved_by"] for a in mine["approvals"]} == {None}
    assert next(a for a in listed if a["id"] == EARLY)["status"] == "proposed"

    approved = events(hub.app, "agreement.approve")
    assert [(e.outcome, e.actor_partner) for e in approved] == [
        ("allowed", POLICE),
        ("allowed", POLICE),
        ("allowed", COUNCIL),
    ]
    assert approved[0].details["status"] == {"from": "proposed", "to": "proposed"}
    assert approved[1].details["already_approved"] is True
    assert approved[2].details["status"] == {"from": "proposed", "to": "active"}
    assert approved[2].details["version"] == body["version"]
    assert {e.resource for e in approved} == {f"agreement:{HOTSPOTS}"}


@pytest.mark.agreements_proposed
def test_nothing_is_uploaded_or_queried_until_every_party_approves(hub):
    refused = hub.upload()
    assert refused.status_code == 403
    problem = refused.get_json()
    assert problem["rule"] == "awaiting-approval"
    assert f"`{HOTSPOTS}` is awaiting approval by `{POLICE}` and `{COUNCIL}`" in problem["detail"]
    query = hub.query()
    assert query.status_code == 403 and query.get_json()["rule"] == "awaiting-approval"
    views = hub.get("/api/v1/views", COUNCIL, "analyst").get_json()["items"]
    assert VIEW not in {v["id"] for v in views}

    hub.approve(POLICE)
    still = hub.upload()
    assert still.status_code == 403
    assert f"awaiting approval by `{COUNCIL}`:" in still.get_json()["detail"]

    hub.approve(COUNCIL)
    assert hub.upload_and_wait()["status"] == "published"
    assert hub.query().status_code == 200

    uploads = events(hub.app, "dataset.upload")
    assert [e.outcome for e in uploads] == ["denied", "denied", "allowed"]
    assert uploads[0].details["rule"] == "awaiting-approval"
    assert uploads[0].reason == problem["detail"]


# -- suspend and resume ------------------------------------------------------------------------


def test_a_suspension_stops_uploads_and_queries_at_once_until_resumed(hub, settings):
    assert hub.upload_and_wait()["status"] == "published"
    assert hub.query().status_code == 200
    # A second server process on the same database, already serving.
    other = Hub(create_app(settings))
    try:
        assert other.query(POLICE).status_code == 200

        reason = "Council reported a possible breach; pausing while we investigate."
        suspended = hub.suspend(COUNCIL, reason)
        assert suspended.status_code == 200, suspended.get_json()
        body = suspended.get_json()
        assert body["status"] == "suspended" and body["in_force"] is False
        assert body["suspension"]["reason"] == reason
        assert body["suspension"]["by_partner"] == COUNCIL

        for server in (hub, other):
            upload = server.upload(3, start=3)
            assert upload.status_code == 403
            problem = upload.get_json()
            assert problem["rule"] == "suspended"
            assert f"suspended by `{COUNCIL}`" in problem["detail"]
            assert "possible breach" in problem["detail"]
            query = server.query(POLICE)
            assert query.status_code == 403 and query.get_json()["rule"] == "suspended"
        assert other.get(f"/api/v1/views/{VIEW}", POLICE, "analyst").status_code == 403
        # Its parties still read it, and its audit log.
        assert other.state(partner=POLICE)["status"] == "suspended"

        # The other party cannot lift the council's suspension: only the council can.
        refused = other.resume(POLICE, reason="We think it is fine.")
        assert refused.status_code == 403, refused.get_json()
        assert refused.get_json()["code"] == "not_the_suspending_party"
        assert other.state(partner=POLICE)["status"] == "suspended"

        resumed = other.resume(COUNCIL, reason="Investigated: no breach.")
        assert resumed.status_code == 200, resumed.get_json()
        assert resumed.get_json()["status"] == "active"
        assert resumed.get_json()["suspension"] is None
        assert hub.upload_and_wait(3, start=3)["status"] == "published"
        assert hub.query().status_code == 200
    finally:
        db.get_engine(other.app).dispose()

    changes = events(hub.app, "agreement.suspend", "agreement.resume")
    assert [(e.action, e.outcome, e.actor_partner) for e in changes] == [
        ("agreement.suspend", "allowed", COUNCIL),
        ("agreement.resume", "denied", POLICE),
        ("agreement.resume", "allowed", COUNCIL),
    ]
    assert changes[0].details["status"] == {"from": "active", "to": "suspended"}
    assert changes[0].details["suspension_reason"] == reason
    assert changes[2].details["status"] == {"from": "suspended", "to": "active"}
    assert changes[2].details["resume_reason"] == "Investigated: no breach."
    assert changes[2].details["suspended"]["by_partner"] == COUNCIL
    refusals = [e for e in events(hub.app, "dataset.upload", "view.query") if e.outcome == "denied"]
    assert len(refusals) == 4
    assert {e.details["rule"] for e in refusals} == {"suspended"}


def test_a_suspension_of_many_parties_is_lifted_by_its_party_or_by_every_other_together(hub):
    parties = [p["partner"] for p in hub.state(EARLY, partner=COUNCIL)["approvals"]]
    assert len(parties) >= 3
    assert (
        hub.suspend(COUNCIL, "Breach reported at the council.", agreement=EARLY).status_code == 200
    )
    others = [p for p in parties if p != COUNCIL]
    for n, partner in enumerate(others, start=1):
        answer = hub.resume(partner, reason="Agreed to resume.", agreement=EARLY)
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        if n < len(others):
            # Asked, not lifted: still suspended, and who has asked is shown.
            assert body["status"] == "suspended"
            assert body["suspension"]["resume_requested_by"] == sorted(others[:n])
            again = hub.resume(partner, agreement=EARLY)
            assert again.status_code == 409
            assert again.get_json()["code"] == "resume_already_requested"
        else:
            assert body["status"] == "active" and body["suspension"] is None
    asks = events(hub.app, "agreement.resume")
    assert [e.details.get("resume_requested", False) for e in asks if e.outcome == "allowed"] == [
        True
    ] * (len(others) - 1) + [False]

    # The suspending party's IG officer lifts it alone.
    assert hub.suspend(COUNCIL, "Again.", agreement=EARLY).status_code == 200
    lifted = hub.resume(COUNCIL, agreement=EARLY)
    assert lifted.status_code == 200 and lifted.get_json()["status"] == "active"


def test_only_ig_officers_of_its_parties_change_an_agreement(hub):
    cases = [
        # (partner, role, what) -> rule
        ("riverside-academy", "ig_officer", "approve", "not-a-party"),
        ("riverside-academy", "ig_officer", "suspend", "not-a-party"),
        (COUNCIL, "analyst", "approve", "role-not-allowed"),
        (POLICE, "uploader", "suspend", "role-not-allowed"),
        ("northshire-data-hub", "admin", "suspend", "not-a-party"),
    ]
    for partner, role, what, rule in cases:
        if what == "approve":
            response = hub.approve(partner, role=role)
        else:
            response = hub.suspend(partner, "Because.", role=role)
        assert response.status_code == 403, (partner, role, what)
        assert response.get_json()["rule"] == rule, (partner, role, what)
    assert hub.state()["status"] == "active"
    denied = events(hub.app, "agreement.approve", "agreement.suspend")
    assert [(e.action, e.outcome) for e in denied] == [
        ("agreement.approve", "denied"),
        ("agreement.suspend", "denied"),
        ("agreement.approve", "denied"),
        ("agreement.suspend", "denied"),
        ("agreement.suspend", "denied"),
    ]


def test_a_suspension_needs_a_reason_that_names_no_one(hub):
    for reason in (None, ""):
        response = hub.suspend(POLICE, reason)
        assert response.status_code == 400, reason
        assert response.get_json()["code"] == "invalid_request"
    blank = hub.suspend(POLICE, "   ")
    assert blank.status_code == 400 and blank.get_json()["code"] == "reason_required"
    for reason in ("Complaint about NHS number 943 476 5919.", "Incident at NE1 4ST."):
        identifying = hub.suspend(POLICE, reason)
        assert identifying.status_code == 400
        problem = identifying.get_json()
        assert problem["code"] == "reason_has_identifier"
        assert "943" not in problem["detail"] and "NE1" not in problem["detail"]
    assert hub.state()["status"] == "active"
    with hub.app.app_context(), db.read_only() as session:
        leaves = b"".join(bytes(e.leaf) for e in session.execute(select(AuditEvent)).scalars())
    assert b"943 476 5919" not in leaves and b"NE1 4ST" not in leaves


def test_a_reason_quoting_a_version_hash_is_not_taken_for_an_identifier(hub):
    """Issue 11 item 16: the version an IG officer suspends over is named by its sha256."""
    version = "3b1f20240913" + "7" * 12 + "c0ffee" + "12345678" + "d" * 26
    response = hub.suspend(POLICE, f"Version {version} names a dataset we never agreed to.")
    assert response.status_code == 200, response.get_json()
    assert hub.state()["status"] == "suspended"


def test_impossible_transitions_are_conflicts(hub):
    not_suspended = hub.resume(POLICE)
    assert not_suspended.status_code == 409
    assert not_suspended.get_json()["code"] == "not_suspended"
    assert hub.suspend(POLICE, "Audit of access controls.").status_code == 200
    twice = hub.suspend(COUNCIL, "Another reason.")
    assert twice.status_code == 409
    problem = twice.get_json()
    assert problem["code"] == "already_suspended"
    assert f"already suspended by `{POLICE}`" in problem["detail"]
    assert hub.resume(COUNCIL).status_code == 403  # only the suspending party, of two
    assert hub.resume(POLICE).status_code == 200
    assert hub.resume(POLICE).status_code == 409


def test_the_lifecycle_endpoints_are_in_the_openapi_document(client):
    document = client.get("/openapi.json").get_json()
    paths = document["paths"]
    for path in ("approvals", "suspend", "resume"):
        operation = paths[f"/api/v1/agreements/{{id}}/{path}"]["post"]
        assert operation["security"] == [{"bearer": []}]
    schemas = document["components"]["schemas"]
    assert schemas["SuspendBody"]["required"] == ["reason"]
    assert "status" in schemas["AgreementSummary"]["properties"]
    assert "due_for_review" in schemas["AgreementSummary"]["properties"]
    parameters = paths["/api/v1/agreements"]["get"]["parameters"]
    assert "due_for_review" in {p["name"] for p in parameters}


# -- time: expired, reviews ----------------------------------------------------------------------


def test_past_its_end_an_agreement_is_expired_and_shares_nothing(apps, tmp_path):
    ended = policies_with(
        tmp_path,
        {
            "start: 2025-04-01": "start: 2024-04-01",
            "end: 2028-03-31": "end: 2025-03-31",
            "review_date: 2027-01-15": "review_date: 2025-01-15",
        },
    )
    hub = apps(ended)
    state = hub.state()
    assert state["status"] == "expired" and state["in_force"] is False
    expired = events(hub.app, "agreement.expired")
    assert len(expired) == 1  # recorded when the hub loaded it, once
    assert expired[0].details["status"] == {"from": "proposed", "to": "expired"}
    assert expired[0].actor_roles == ["system"]

    refused = hub.approve(POLICE)
    assert refused.status_code == 409 and refused.get_json()["code"] == "agreement_expired"
    upload = hub.upload()
    assert upload.status_code == 403
    assert upload.get_json()["rule"] == "not-in-force"
    assert "has ended" in upload.get_json()["detail"]
    hub.state()
    with hub.app.app_context():
        sync_to_database()  # a restart
    assert len(events(hub.app, "agreement.expired")) == 1


def test_the_day_after_its_end_an_active_agreement_expires_once(app):
    with app.app_context():
        end = agreement_state(HOTSPOTS).end
        assert agreement_state(HOTSPOTS).status == "active"
    after = end + timedelta(days=1)
    errors: list[BaseException] = []

    def look():
        try:
            with app.app_context():
                assert agreement_state(HOTSPOTS, today=after).status == "expired"
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    # Several processes work the state out at the same moment: one event, not several.
    threads = [threading.Thread(target=look) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    expired = events(app, "agreement.expired")
    assert len(expired) == 1
    assert expired[0].details["status"] == {"from": "active", "to": "expired"}
    assert expired[0].details["today"] == after.isoformat()


def test_agreements_due_for_review_are_listed(apps, tmp_path):
    policies = policies_with(tmp_path, {"review_date: 2027-01-15": "review_date: 2025-06-01"})
    # The other's review on the last day of its term: not due while it is in force.
    edit(policies, "review_date: 2027-09-01", "review_date: 2028-08-31", agreement=EARLY)
    hub = apps(policies)
    proposed = hub.get("/api/v1/agreements", POLICE, query_string={"due_for_review": "true"})
    assert [(a["id"], a["status"]) for a in proposed.get_json()["items"]] == [
        (HOTSPOTS, "proposed")
    ]
    approve_every_agreement(hub.app)
    everything = hub.get("/api/v1/agreements", POLICE).get_json()["items"]
    assert {a["id"]: a["due_for_review"] for a in everything} == {HOTSPOTS: True, EARLY: False}
    due = hub.get("/api/v1/agreements", POLICE, query_string={"due_for_review": "true"})
    assert due.status_code == 200
    assert [a["id"] for a in due.get_json()["items"]] == [HOTSPOTS]
    not_due = hub.get("/api/v1/agreements", POLICE, query_string={"due_for_review": "false"})
    assert [a["id"] for a in not_due.get_json()["items"]] == [EARLY]
    # A review date that has come does not stop sharing: the agreement is still in force.
    assert due.get_json()["items"][0]["status"] == "active"


# -- a changed file ----------------------------------------------------------------------------


def test_a_changed_file_needs_every_party_again_and_an_approved_version_returns_approved(
    apps, tmp_path
):
    policies = policies_with(tmp_path)
    first = apps(policies, "first")
    approve_every_agreement(first.app)
    v1 = first.state()["version"]
    sent = first.upload_and_wait()
    assert sent["status"] == "published"

    edit(policies, "retention_days: 365", "retention_days: 180")  # new terms
    second = apps(policies, "second")  # the hub restarted with the changed file
    state = second.state()
    v2 = state["version"]
    assert v2 != v1
    assert state["status"] == "proposed" and state["awaiting"] == [POLICE, COUNCIL]
    assert [(v["version"], v["status"]) for v in state["versions"]] == [
        (v1, "superseded"),
        (v2, "proposed"),
    ]
    superseded = events(second.app, "agreement.superseded")
    assert [e.details["version"] for e in superseded] == [v1]
    assert superseded[0].details["superseded_by"] == v2

    refused = second.upload(3, start=3)
    assert refused.status_code == 403 and refused.get_json()["rule"] == "awaiting-approval"
    # A server still running the old file shares nothing under it either.
    old = first.upload(3, start=3)
    assert old.status_code == 403 and old.get_json()["rule"] == "superseded"

    # The data shared under the first version keeps its version, and so its terms.
    with second.app.app_context():
        with db.read_only() as session:
            upload = session.get(Upload, sent["id"])
        assert upload.agreement_version == v1
        assert agreement_terms(HOTSPOTS, v1).retention_days == 365
        assert agreement_terms(HOTSPOTS, v2).retention_days == 180

    assert second.approve(POLICE).status_code == 201
    assert second.approve(COUNCIL).get_json()["status"] == "active"
    newer = second.upload_and_wait(3, start=3)
    assert newer["status"] == "published"
    with second.app.app_context(), db.read_only() as session:
        assert session.get(Upload, newer["id"]).agreement_version == v2

    # The first file back again: every party approved it, so that approval stands again.
    edit(policies, "retention_days: 180", "retention_days: 365")
    third = apps(policies, "third")
    back = third.state()
    assert back["version"] == v1
    assert back["status"] == "active" and back["awaiting"] == []
    assert [(v["version"], v["status"]) for v in back["versions"]] == [
        (v1, "active"),
        (v2, "superseded"),
    ]
    (returned,) = [
        e for e in events(third.app, "agreement.proposed") if e.details.get("approvals_restored")
    ]
    assert returned.details["version"] == v1
    assert third.upload_and_wait(3, start=6)["status"] == "published"

    # A version no party approved comes back as it left: proposed, awaiting every party.
    edit(policies, "retention_days: 365", "retention_days: 90")
    v3 = apps(policies, "fourth").state()["version"]
    edit(policies, "retention_days: 90", "retention_days: 365")
    apps(policies, "fifth")
    edit(policies, "retention_days: 365", "retention_days: 90")
    again = apps(policies, "sixth").state()
    assert again["version"] == v3
    assert again["status"] == "proposed" and again["awaiting"] == [POLICE, COUNCIL]


def test_approving_a_superseded_version_is_a_conflict(apps, tmp_path):
    policies = policies_with(tmp_path)
    first = apps(policies, "first")
    edit(policies, "retention_days: 365", "retention_days: 180")
    apps(policies, "second")
    refused = first.approve(POLICE)
    assert refused.status_code == 409
    assert refused.get_json()["code"] == "agreement_superseded"


@pytest.mark.agreements_proposed
def test_hub_agreements_status_lists_states_for_operators(hub, runner):
    from hub.cli.agreements import cli

    hub.approve(POLICE)
    result = runner.invoke(cli, ["status"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(
        line.startswith(f"{HOTSPOTS}: proposed") and f"awaiting {COUNCIL}" in line for line in lines
    ), result.output
    as_json = runner.invoke(cli, ["status", "--json"])
    assert as_json.exit_code == 0, as_json.output
    states = {s["id"]: s for s in map(json.loads, as_json.output.splitlines())}
    assert states[HOTSPOTS]["awaiting"] == [COUNCIL]
    assert states[EARLY]["status"] == "proposed"
    # A day when one agreement's review is due (15 January 2027) and the other's is not
    # (1 September 2027), whatever day the test runs on.
    clock.install(clock.PinnedClock(datetime(2027, 3, 1, 9, 0, tzinfo=UTC)))
    due = runner.invoke(cli, ["status", "--due-for-review"])
    assert due.exit_code == 0, due.output
    assert {line.split(":")[0] for line in due.output.splitlines()} == {HOTSPOTS}


# -- the console: what an officer approves, and confirming it -------------------------------


def _console(app, partner: str, roles=("ig_officer",)):
    from tests.integration.governance_support import sign_in

    browser = app.test_client()
    sign_in(browser, app, partner=partner, roles=roles)
    with browser.session_transaction() as cookie:
        csrf = cookie["csrf"]
    return browser, csrf


def test_approving_shows_the_content_and_the_diff_and_asks_to_confirm(apps, tmp_path):
    policies = policies_with(tmp_path)
    first = apps(policies, "first")
    approve_every_agreement(first.app)
    v1 = first.state()["version"]
    edit(policies, "retention_days: 365", "retention_days: 180")
    edit(
        policies,
        "fields: [Date, Latitude, Longitude, Object of search]",
        "fields: [Date, Latitude, Longitude]",
    )
    second = apps(policies, "second")
    browser, csrf = _console(second.app, POLICE)

    page = browser.get(f"/console/agreements/{HOTSPOTS}").text
    assert 'id="agreement-content"' in page and "patrol-planning" in page
    assert "DPA 2018 Part 3" in page  # the police's lawful basis
    assert 'data-recipient="northshire-council"' in page
    assert f'Compared with version <code title="{v1}">' in page
    assert 'data-path="retention_days"' in page
    stop_search = "datasets[police-stop-search].recipients[northshire-council].fields"
    assert f'data-path="{stop_search}"' in page
    assert "Date, Latitude, Longitude, Object of search" in page  # before

    asked = browser.post(f"/console/agreements/{HOTSPOTS}/approve", data={"csrf": csrf})
    assert asked.status_code == 200
    assert 'id="confirm-form"' in asked.text and 'name="confirm" value="yes"' in asked.text
    assert 'data-path="retention_days"' in asked.text  # the diff, on the confirmation too
    assert second.state()["awaiting"] == [POLICE, COUNCIL]  # nothing changed yet

    done = browser.post(
        f"/console/agreements/{HOTSPOTS}/approve",
        data={"csrf": csrf, "confirm": "yes", "for_partner": POLICE},
    )
    assert done.status_code == 303
    assert second.state()["awaiting"] == [COUNCIL]
    approvals = events(second.app, "agreement.approve")
    assert [e.details.get("confirmed") for e in approvals][-2:] == [False, True]


def test_suspend_and_resume_ask_to_confirm_and_no_one_acts_for_another_partner(hub):
    browser, csrf = _console(hub.app, POLICE)
    url = f"/console/agreements/{HOTSPOTS}"
    asked = browser.post(f"{url}/suspend", data={"csrf": csrf, "reason": "Breach review."})
    assert asked.status_code == 200 and 'id="confirm-form"' in asked.text
    assert hub.state()["status"] == "active"

    other = browser.post(
        f"{url}/approve", data={"csrf": csrf, "confirm": "yes", "for_partner": COUNCIL}
    )
    assert other.status_code == 403 and "cannot approve for northshire-council" in other.text

    done = browser.post(
        f"{url}/suspend", data={"csrf": csrf, "reason": "Breach review.", "confirm": "yes"}
    )
    assert done.status_code == 303 and hub.state()["status"] == "suspended"
    asked = browser.post(f"{url}/resume", data={"csrf": csrf})
    assert asked.status_code == 200 and hub.state()["status"] == "suspended"
    done = browser.post(f"{url}/resume", data={"csrf": csrf, "confirm": "yes"})
    assert done.status_code == 303 and hub.state()["status"] == "active"


def test_an_ig_officer_queries_views_only_if_granted_analyst_as_well(hub):
    for roles, expected in ((("ig_officer",), 403), (("ig_officer", "analyst"), 200)):
        browser, csrf = _console(hub.app, POLICE, roles=roles)
        view = browser.get(f"/api/v1/views/{VIEW}")
        body = {"purpose": "patrol-planning", "justification": "Officer checks the view."}
        answer = browser.post(
            f"/api/v1/views/{VIEW}/query", json=body, headers={"X-CSRF-Token": csrf}
        )
        assert answer.status_code == expected, (roles, answer.get_json())
        assert view.status_code == expected
