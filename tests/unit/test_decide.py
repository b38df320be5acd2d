"""decide(identity, action, resource): every role × action, for a party and a non-party, the
dates an agreement is in force and its lifecycle status. Deny by default.

No database here: each decision is given the agreement's lifecycle state (`lifecycle=`), by
default as if every party had approved the version loaded."""

from datetime import UTC, date, datetime, timedelta

import pytest

from hub import audit
from hub.agreements import (
    ACTIONS,
    PartyApproval,
    Resource,
    Suspension,
    approved_by_every_party,
    enforce,
    evaluate,
    load_policies,
)
from hub.agreements import decide as hub_decide
from hub.auth import Identity
from hub.errors import Forbidden
from hub.settings import PROJECT_ROOT

EARLY = "early-intervention-young-people"
HOTSPOTS = "crime-asb-hotspots"
TODAY = date(2026, 6, 1)  # both agreements are in force
OUTSIDER = "westshire-council"  # a known partner, party to no agreement


@pytest.fixture(scope="module")
def policies():
    shipped = load_policies(PROJECT_ROOT / "policies", PROJECT_ROOT / "contracts")
    assert OUTSIDER in shipped.partners and not shipped.agreements_of(OUTSIDER)
    return shipped


def approved(policies):
    """Every agreement approved by every party: its status then depends on the date only."""

    def state(agreement_id, today):
        return approved_by_every_party(policies.agreements[agreement_id], version="v1", today=today)

    return state


def decide(identity, action, resource, *, policies, lifecycle=None, **kwargs):
    return hub_decide(
        identity,
        action,
        resource,
        policies=policies,
        lifecycle=lifecycle or approved(policies),
        **kwargs,
    )


def who(partner: str, *roles: str) -> Identity:
    return Identity(client_id=f"client-{partner}", partner=partner, roles=frozenset(roles))


# The resource each action is asked about in the table.
RESOURCES = {
    "agreement.list": Resource(kind="agreement"),
    "agreement.read": Resource(kind="agreement", agreement_id=EARLY),
    "contract.read": Resource(kind="contract", dataset="school-attendance"),
    "audit.read": Resource(kind="audit"),
    "client.manage": Resource(kind="client"),
    "dataset.upload": Resource(kind="dataset", agreement_id=EARLY, dataset="school-attendance"),
    "dataset.correct": Resource(kind="dataset", agreement_id=EARLY, dataset="school-attendance"),
    "upload.read": Resource(kind="upload", agreement_id=EARLY, dataset="school-attendance"),
    "view.query": Resource(kind="view", agreement_id=EARLY, dataset="school-attendance"),
    "forecast.run": Resource(kind="view", agreement_id=EARLY, dataset="school-attendance"),
    "forecast.export": Resource(kind="view", agreement_id=EARLY, dataset="school-attendance"),
    "agreement.approve": Resource(kind="agreement", agreement_id=EARLY),
    "agreement.suspend": Resource(kind="agreement", agreement_id=EARLY),
    "agreement.resume": Resource(kind="agreement", agreement_id=EARLY),
    **{
        f"reidentification.{verb}": Resource(kind="reidentification", agreement_id=EARLY)
        for verb in ("request", "read", "approve", "reject", "withdraw", "reveal")
    },
}
assert set(RESOURCES) == set(ACTIONS)

# The party each role acts for: the partner for which the role makes most sense.
PARTY = {
    "admin": "northshire-council",
    "ig_officer": "riverside-academy",  # a provider of school-attendance
    "analyst": "northshire-council",  # the recipient of school-attendance
    "uploader": "riverside-academy",  # the provider of school-attendance
}

# (role, action) -> (rule for the party, rule for the non-party); "+" marks an allow.
TABLE = {
    ("admin", "agreement.list"): ("+admin", "+admin"),
    ("admin", "agreement.read"): ("+admin", "+admin"),
    ("admin", "contract.read"): ("+admin", "+admin"),
    ("admin", "audit.read"): ("+admin", "+admin"),
    ("admin", "client.manage"): ("+admin", "+admin"),
    ("admin", "dataset.upload"): ("role-not-allowed", "not-a-party"),
    ("admin", "upload.read"): ("role-not-allowed", "not-a-party"),
    ("admin", "view.query"): ("role-not-allowed", "not-a-party"),
    ("ig_officer", "agreement.list"): ("+party-member", "not-a-party"),
    ("ig_officer", "agreement.read"): ("+party-ig-officer", "not-a-party"),
    ("ig_officer", "contract.read"): ("+party-ig-officer", "not-a-party"),
    ("ig_officer", "audit.read"): ("+party-ig-officer", "not-a-party"),
    ("ig_officer", "client.manage"): ("role-not-allowed", "role-not-allowed"),
    ("ig_officer", "dataset.upload"): ("role-not-allowed", "not-a-party"),
    ("ig_officer", "upload.read"): ("+party-ig-officer", "not-a-party"),
    ("ig_officer", "view.query"): ("role-not-allowed", "not-a-party"),
    ("analyst", "agreement.list"): ("+party-member", "not-a-party"),
    ("analyst", "agreement.read"): ("+recipient-analyst", "not-a-party"),
    ("analyst", "contract.read"): ("role-not-allowed", "not-a-party"),
    ("analyst", "audit.read"): ("role-not-allowed", "role-not-allowed"),
    ("analyst", "client.manage"): ("role-not-allowed", "role-not-allowed"),
    ("analyst", "dataset.upload"): ("role-not-allowed", "not-a-party"),
    ("analyst", "upload.read"): ("role-not-allowed", "not-a-party"),
    ("analyst", "view.query"): ("+recipient-analyst-in-force", "not-a-party"),
    ("uploader", "agreement.list"): ("+party-member", "not-a-party"),
    ("uploader", "agreement.read"): ("+provider-uploader", "not-a-party"),
    ("uploader", "contract.read"): ("+provider-uploader", "not-a-party"),
    ("uploader", "audit.read"): ("role-not-allowed", "role-not-allowed"),
    ("uploader", "client.manage"): ("role-not-allowed", "role-not-allowed"),
    ("uploader", "dataset.upload"): ("+provider-uploader-in-force", "not-a-party"),
    ("uploader", "upload.read"): ("+provider-uploader", "not-a-party"),
    ("uploader", "view.query"): ("role-not-allowed", "not-a-party"),
}
# Only the provider's uploaders correct a dataset (whatever the agreement's status).
TABLE[("admin", "dataset.correct")] = ("role-not-allowed", "not-a-party")
TABLE[("ig_officer", "dataset.correct")] = ("role-not-allowed", "not-a-party")
TABLE[("analyst", "dataset.correct")] = ("role-not-allowed", "not-a-party")
TABLE[("uploader", "dataset.correct")] = ("+provider-uploader", "not-a-party")
# Only the IG officers of its parties change an agreement's lifecycle; admins of the hub do not.
for _action in ("agreement.approve", "agreement.suspend", "agreement.resume"):
    TABLE[("admin", _action)] = ("role-not-allowed", "not-a-party")
    TABLE[("ig_officer", _action)] = ("+party-ig-officer", "not-a-party")
    TABLE[("analyst", _action)] = ("role-not-allowed", "not-a-party")
    TABLE[("uploader", _action)] = ("role-not-allowed", "not-a-party")
# A forecast's run and its export are decided as a query of its view.
for _action in ("forecast.run", "forecast.export"):
    for _role in PARTY:
        TABLE[(_role, _action)] = TABLE[(_role, "view.query")]
# Re-identification: analysts of a recipient ask, read, withdraw and fetch; IG officers of a
# party read and decide (the request's own separation rules are hub.governance's).
_REID_ALLOWED = {
    "request": ("analyst",),
    "read": ("analyst", "ig_officer"),
    "approve": ("ig_officer",),
    "reject": ("ig_officer",),
    "withdraw": ("analyst",),
    "reveal": ("analyst",),
}
for _verb, _roles in _REID_ALLOWED.items():
    for _role in PARTY:
        allowed = f"+party-{_role.replace('_', '-')}"
        TABLE[(_role, f"reidentification.{_verb}")] = (
            allowed if _role in _roles else "role-not-allowed",
            "not-a-party",
        )
assert set(TABLE) == {(role, action) for role in PARTY for action in ACTIONS}

ROWS = [
    pytest.param(
        role,
        action,
        party,
        expected[0 if party else 1],
        id=f"{role}-{action}-{'party' if party else 'non-party'}",
    )
    for (role, action), expected in TABLE.items()
    for party in (True, False)
]


@pytest.mark.parametrize(("role", "action", "is_party", "expected"), ROWS)
def test_every_role_action_and_party(policies, role, action, is_party, expected):
    partner = PARTY[role] if is_party else OUTSIDER
    decision = decide(who(partner, role), action, RESOURCES[action], policies=policies, today=TODAY)
    allowed = expected.startswith("+")
    assert decision.allowed is allowed, decision
    assert decision.rule == expected.lstrip("+"), decision
    assert decision.reason


def test_a_client_with_no_roles_may_do_nothing(policies):
    for action in ACTIONS:
        decision = decide(
            who("northshire-council"), action, RESOURCES[action], policies=policies, today=TODAY
        )
        assert not decision.allowed, (action, decision)


# Who else may or may not, beyond the table's chosen parties.
POLICE, COUNCIL, RIVERSIDE = "northshire-police", "northshire-council", "riverside-academy"


def agreement(agreement_id):
    return Resource("agreement", agreement_id)


def contract(dataset, agreement_id=None):
    return Resource("contract", agreement_id, dataset)


def view(agreement_id, dataset=None):
    return Resource("view", agreement_id, dataset)


def data(agreement_id, dataset=None):
    return Resource("dataset", agreement_id, dataset)


CASES = [
    # An analyst of a provider that receives nothing reads nothing and queries nothing.
    (RIVERSIDE, "analyst", "agreement.read", agreement(EARLY), "role-not-allowed"),
    (RIVERSIDE, "analyst", "view.query", view(EARLY, "school-attendance"), "not-a-recipient"),
    # The police receive school exclusions but not attendance.
    (
        POLICE,
        "analyst",
        "view.query",
        view(EARLY, "school-exclusions"),
        "+recipient-analyst-in-force",
    ),
    (POLICE, "analyst", "view.query", view(EARLY, "school-attendance"), "not-a-recipient"),
    (POLICE, "analyst", "view.query", view(EARLY), "+recipient-analyst-in-force"),
    # An uploader uploads only what its partner provides, under that agreement.
    (COUNCIL, "uploader", "dataset.upload", data(EARLY, "school-attendance"), "not-the-provider"),
    (
        COUNCIL,
        "uploader",
        "dataset.upload",
        data(HOTSPOTS, "council-asb-reports"),
        "+provider-uploader-in-force",
    ),
    (RIVERSIDE, "uploader", "dataset.upload", data(HOTSPOTS, "police-street-crime"), "not-a-party"),
    (RIVERSIDE, "uploader", "dataset.upload", data(EARLY), "not-the-provider"),
    (RIVERSIDE, "uploader", "dataset.upload", data(None, "school-attendance"), "no-agreement"),
    (
        RIVERSIDE,
        "uploader",
        "upload.read",
        Resource("upload", EARLY, "police-contacts"),
        "not-the-provider",  # issue 11: not "needs the uploader role; this client holds uploader"
    ),
    # Contracts: of the datasets one provides, or, for IG officers, that one's agreements share.
    (RIVERSIDE, "uploader", "contract.read", contract("police-contacts"), "role-not-allowed"),
    (RIVERSIDE, "uploader", "contract.read", contract("police-street-crime"), "not-a-party"),
    (POLICE, "uploader", "contract.read", contract("school-attendance"), "role-not-allowed"),
    (POLICE, "ig_officer", "contract.read", contract("school-attendance"), "+party-ig-officer"),
    (POLICE, "ig_officer", "contract.read", contract("school-attendance", HOTSPOTS), "not-a-party"),
    # IG officers read the audit of their own agreements only.
    (RIVERSIDE, "ig_officer", "audit.read", Resource("audit", HOTSPOTS), "not-a-party"),
    (RIVERSIDE, "ig_officer", "audit.read", Resource("audit", EARLY), "+party-ig-officer"),
    # The hot-spots agreement has only the police and the council.
    (RIVERSIDE, "ig_officer", "agreement.read", agreement(HOTSPOTS), "not-a-party"),
    (POLICE, "ig_officer", "agreement.read", agreement(HOTSPOTS), "+party-ig-officer"),
    # Unknown things are refused, never guessed at.
    (COUNCIL, "ig_officer", "agreement.read", agreement("no-such-agreement"), "unknown-agreement"),
    (COUNCIL, "ig_officer", "contract.read", contract("no-such-dataset"), "unknown-dataset"),
    (COUNCIL, "admin", "dataset.delete", data(EARLY, "school-attendance"), "unknown-action"),
    ("nowhere-council", "analyst", "agreement.list", Resource("agreement"), "unknown-partner"),
    ("nowhere-council", "admin", "audit.read", Resource("audit"), "+admin"),
    # Several roles: whichever allows.
    (
        COUNCIL,
        "analyst uploader",
        "view.query",
        view(EARLY, "police-contacts"),
        "+recipient-analyst-in-force",
    ),
    (COUNCIL, "analyst ig_officer", "agreement.read", agreement(EARLY), "+party-ig-officer"),
]


@pytest.mark.parametrize(("partner", "roles", "action", "resource", "expected"), CASES)
def test_other_cases(policies, partner, roles, action, resource, expected):
    identity = who(partner, *roles.split())
    decision = decide(identity, action, resource, policies=policies, today=TODAY)
    assert decision.allowed is expected.startswith("+"), decision
    assert decision.rule == expected.lstrip("+"), decision


START, END = date(2025, 9, 1), date(2028, 8, 31)  # the early intervention agreement's term

DATES = [
    (START - timedelta(days=1), False),
    (START, True),
    (date(2027, 1, 1), True),
    (END, True),
    (END + timedelta(days=1), False),
]


@pytest.mark.parametrize(("today", "in_force"), DATES, ids=[str(d) for d, _ in DATES])
@pytest.mark.parametrize(
    ("partner", "role", "action", "dataset"),
    [
        ("riverside-academy", "uploader", "dataset.upload", "school-attendance"),
        ("northshire-council", "analyst", "view.query", "school-attendance"),
    ],
)
def test_uploads_and_queries_only_while_in_force(
    policies, partner, role, action, dataset, today, in_force
):
    resource = Resource(
        kind="view" if role == "analyst" else "dataset", agreement_id=EARLY, dataset=dataset
    )
    decision = decide(who(partner, role), action, resource, policies=policies, today=today)
    assert decision.allowed is in_force, decision
    if not in_force:
        assert decision.rule == "not-in-force"
        assert ("has not started" if today < START else "has ended") in decision.reason


@pytest.mark.parametrize("today", [START - timedelta(days=1), END + timedelta(days=1)])
def test_reading_an_agreement_does_not_depend_on_its_dates(policies, today):
    for partner, role in (("riverside-academy", "ig_officer"), ("northshire-council", "analyst")):
        decision = decide(
            who(partner, role),
            "agreement.read",
            Resource("agreement", EARLY),
            policies=policies,
            today=today,
        )
        assert decision.allowed


def test_decide_takes_a_resource(policies):
    with pytest.raises(TypeError, match="takes a hub.agreements.Resource"):
        decide(
            who("northshire-council", "ig_officer"), "audit.read", "audit/events", policies=policies
        )


def test_deny_reasons_say_what_to_do(policies):
    decision = decide(
        who(OUTSIDER, "analyst"),
        "view.query",
        Resource("view", EARLY),
        policies=policies,
        today=TODAY,
    )
    assert not decision.allowed
    assert f"`{OUTSIDER}` is not a party to agreement `{EARLY}`" in decision.reason
    assert "Ask its IG officers" in decision.reason


@pytest.fixture
def notes(monkeypatch):
    recorded = []
    monkeypatch.setattr(audit, "note", lambda **fields: recorded.append(fields), raising=False)
    return recorded


def test_enforce_notes_an_allowed_decision_and_returns_it(policies, notes):
    decision = decide(
        who("riverside-academy", "uploader"),
        "dataset.upload",
        RESOURCES["dataset.upload"],
        policies=policies,
        today=TODAY,
    )
    assert enforce(decision) is decision
    assert notes == [{"reason": decision.reason, "details": {"rule": "provider-uploader-in-force"}}]


def test_enforce_notes_and_refuses_a_denied_decision(policies, notes):
    decision = decide(
        who(OUTSIDER, "uploader"),
        "dataset.upload",
        RESOURCES["dataset.upload"],
        policies=policies,
        today=TODAY,
    )
    with pytest.raises(Forbidden) as info:
        enforce(decision)
    assert info.value.detail == decision.reason
    assert info.value.extra == {"rule": "not-a-party"}
    assert notes == [{"reason": decision.reason, "details": {"rule": "not-a-party"}}]


# -- the lifecycle: only an `active` agreement shares data -------------------------------------

UPLOAD = ("riverside-academy", "uploader", "dataset.upload", data(EARLY, "school-attendance"))
QUERY = ("northshire-council", "analyst", "view.query", view(EARLY, "school-attendance"))
SUSPENDED_AT = datetime(2026, 5, 30, 14, 0, tzinfo=UTC)


def state_of(policies, *, approvers=None, suspension=None, superseded=False):
    """A fixed lifecycle state of the early intervention agreement, whatever the day."""
    agreement = policies.agreements[EARLY]
    approvers = [p.partner for p in agreement.parties] if approvers is None else approvers

    def state(agreement_id, today):
        assert agreement_id == EARLY
        return evaluate(
            agreement,
            version="v1",
            today=today,
            approvals={p: PartyApproval(p, True, SUSPENDED_AT, f"ig-{p}") for p in approvers},
            suspension=suspension,
            superseded=superseded,
        )

    return state


@pytest.mark.parametrize("case", [UPLOAD, QUERY], ids=["upload", "query"])
def test_a_proposed_agreement_shares_nothing_and_names_who_must_approve(policies, case):
    partner, role, action, resource = case
    lifecycle = state_of(policies, approvers=["northshire-council", "northshire-police"])
    decision = decide(
        who(partner, role), action, resource, policies=policies, today=TODAY, lifecycle=lifecycle
    )
    assert not decision.allowed
    assert decision.rule == "awaiting-approval"
    assert (
        "awaiting approval by `northshire-hospitals`, `riverside-academy` and "
        "`hillcrest-high-school`" in decision.reason
    )
    assert f"/api/v1/agreements/{EARLY}/approvals" in decision.reason


@pytest.mark.parametrize("case", [UPLOAD, QUERY], ids=["upload", "query"])
def test_a_suspended_agreement_shares_nothing_and_says_why(policies, case):
    partner, role, action, resource = case
    suspension = Suspension("Data breach under investigation.", POLICE, "ig-p", SUSPENDED_AT)
    decision = decide(
        who(partner, role),
        action,
        resource,
        policies=policies,
        today=TODAY,
        lifecycle=state_of(policies, suspension=suspension),
    )
    assert not decision.allowed
    assert decision.rule == "suspended"
    assert "suspended by `northshire-police` on 2026-05-30" in decision.reason
    assert "Data breach under investigation" in decision.reason
    assert f"/api/v1/agreements/{EARLY}/resume" in decision.reason


def test_a_superseded_version_shares_nothing(policies):
    partner, role, action, resource = UPLOAD
    decision = decide(
        who(partner, role),
        action,
        resource,
        policies=policies,
        today=TODAY,
        lifecycle=state_of(policies, superseded=True),
    )
    assert (decision.allowed, decision.rule) == (False, "superseded")


def test_an_expired_agreement_stays_expired_whatever_else_holds(policies):
    suspension = Suspension("Paused.", POLICE, "ig-p", SUSPENDED_AT)
    decision = decide(
        who("riverside-academy", "uploader"),
        "dataset.upload",
        data(EARLY, "school-attendance"),
        policies=policies,
        today=END + timedelta(days=1),
        lifecycle=state_of(policies, suspension=suspension),
    )
    assert (decision.allowed, decision.rule) == (False, "not-in-force")
    assert "has ended" in decision.reason


@pytest.mark.parametrize("case", [UPLOAD, QUERY], ids=["upload", "query"])
def test_a_state_that_cannot_be_read_is_a_refusal(policies, case):
    partner, role, action, resource = case

    def broken(agreement_id, today):
        raise RuntimeError("the database is away")

    decision = decide(
        who(partner, role), action, resource, policies=policies, today=TODAY, lifecycle=broken
    )
    assert (decision.allowed, decision.rule) == (False, "lifecycle-unavailable")
    assert "the database is away" not in decision.reason


def test_without_a_database_nothing_is_shared(policies):
    # No app, no lifecycle given: the default reads the database, which is not there.
    decision = hub_decide(
        who("riverside-academy", "uploader"),
        "dataset.upload",
        data(EARLY, "school-attendance"),
        policies=policies,
        today=TODAY,
    )
    assert (decision.allowed, decision.rule) == (False, "lifecycle-unavailable")


@pytest.mark.parametrize(
    ("partner", "role", "action", "resource"),
    [
        ("riverside-academy", "ig_officer", "agreement.read", agreement(EARLY)),
        ("northshire-council", "analyst", "agreement.read", agreement(EARLY)),
        ("riverside-academy", "ig_officer", "audit.read", Resource("audit", EARLY)),
        (
            "riverside-academy",
            "uploader",
            "upload.read",
            Resource("upload", EARLY, "school-attendance"),
        ),
        ("northshire-police", "ig_officer", "agreement.resume", agreement(EARLY)),
        ("northshire-police", "ig_officer", "agreement.approve", agreement(EARLY)),
    ],
)
def test_reading_and_governing_do_not_wait_for_approval_or_stop_when_suspended(
    policies, partner, role, action, resource
):
    suspension = Suspension("Paused.", POLICE, "ig-p", SUSPENDED_AT)
    for lifecycle in (
        state_of(policies, approvers=[]),
        state_of(policies, suspension=suspension),
    ):
        decision = decide(
            who(partner, role),
            action,
            resource,
            policies=policies,
            today=TODAY,
            lifecycle=lifecycle,
        )
        assert decision.allowed, decision
