"""The decision rules: who may do what, a pure function of the identity, the action, the
resource, the policies, the day and, for sharing data, the agreement's lifecycle status.
No Flask, no database: hub/agreements/decide.py fills these in for the current app.

Deny by default: each action has its rules, and whatever no rule allows is refused, with a
reason that says why and what to do. `enforce(decision)` tells the audit log the reason and
raises `Forbidden` for a refusal (hub/agreements/decide.py). One name per action, here, in
policies and in audit events.

| action          | allowed for                                                             |
|-----------------|-------------------------------------------------------------------------|
| agreement.list  | admin; any member (analyst, ig_officer, uploader) of a party to one     |
| agreement.read  | admin, IG officer of a party (whole record); analyst of a recipient and |
|                 | uploader of a provider (the part that concerns them)                    |
| contract.read   | admin; IG officer of a party sharing the dataset; uploader of its       |
|                 | provider                                                                |
| audit.read      | admin; IG officer of a party                                            |
| client.manage   | admin                                                                   |
| dataset.upload  | uploader of the dataset's provider, while the agreement is `active`     |
| dataset.correct | uploader of the dataset's provider, whatever the agreement's status     |
|                 | (rectification and erasure must stay possible after it ends)            |
| upload.read     | uploader of the dataset's provider; IG officer of a party               |
| view.query      | analyst of a recipient, while the agreement is `active`                 |
| forecast.run    | as view.query: a forecast view's run and its patrol-zone export         |
| forecast.export |                                                                         |
| agreement.approve | IG officer of a party (whether the change is possible at all is for   |
| agreement.suspend | the lifecycle to say: hub/agreements/lifecycle.py)                    |
| agreement.resume  |                                                                       |
| reidentification.request  | analyst of a recipient, while the agreement is `active`       |
| reidentification.read     | IG officer of a party; analyst of a recipient (their own)     |
| reidentification.approve  | IG officer of a party, while the agreement is `active` (the   |
| reidentification.reject   | request's own separation rules: hub/governance/reidentification.py) |
| reidentification.withdraw | analyst of a recipient (the requester)                        |
| reidentification.reveal   | analyst of a recipient (the requester), while `active`        |

`active` is the agreement's lifecycle status (hub/agreements/state.py): every party approved
the version loaded, nobody suspended it, and today is between start and end. It is read from
the database at each decision (the `lifecycle` passed in; hub.agreements.decide gives
hub.agreements.lifecycle's), so a suspension takes effect at once; if it cannot be read, the
decision is a refusal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal, get_args

from hub.agreements.model import Agreement, Policies
from hub.agreements.state import ACTIVE, EXPIRED, NOT_STARTED, PROPOSED, SUSPENDED, AgreementState
from hub.auth.identity import Identity

log = logging.getLogger(__name__)

Action = Literal[
    "agreement.list",
    "agreement.read",
    "contract.read",
    "audit.read",
    "client.manage",
    "dataset.upload",
    "dataset.correct",
    "upload.read",
    "view.query",
    "forecast.run",
    "forecast.export",
    "agreement.approve",
    "agreement.suspend",
    "agreement.resume",
    "reidentification.request",
    "reidentification.read",
    "reidentification.approve",
    "reidentification.reject",
    "reidentification.withdraw",
    "reidentification.reveal",
]
ACTIONS: tuple[str, ...] = get_args(Action)
ResourceKind = Literal[
    "agreement", "contract", "dataset", "upload", "view", "audit", "client", "reidentification"
]

# The lifecycle state of an agreement on a day: (agreement_id, today) -> AgreementState.
Lifecycle = Callable[[str, date], AgreementState]

# Rules under which a party member sees the whole agreement rather than its own part.
WHOLE_RECORD_RULES = frozenset({"admin", "party-ig-officer"})


@dataclass(frozen=True)
class Resource:
    kind: ResourceKind
    agreement_id: str | None = None
    dataset: str | None = None

    @property
    def label(self) -> str:
        """How audit events name the resource, e.g. "
        "`dataset:early-intervention/school-attendance`."""
        parts = [p for p in (self.agreement_id, self.dataset) if p]
        return f"{self.kind}:{'/'.join(parts)}" if parts else self.kind


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    rule: str


def decide(
    identity: Identity,
    action: str,
    resource: Resource,
    *,
    policies: Policies,
    today: date,
    lifecycle: Lifecycle,
) -> Decision:
    """Whether `identity` may do `action` to `resource`; deny unless a rule allows it.

    `lifecycle` gives an agreement's state on `today`, for sharing decisions.
    """
    if not isinstance(resource, Resource):
        raise TypeError(
            f"decide() takes a hub.agreements.Resource, not {type(resource).__name__} "
            f"{resource!r}: e.g. Resource(kind='audit')"
        )
    context = _Context(identity, resource, policies, today, lifecycle)
    rule = _RULES.get(action)
    if rule is None:
        return _deny(
            "unknown-action", f"`{action}` is not an action the hub knows; nothing allows it."
        )
    if identity.has_role("admin") and action in _ADMIN_ACTIONS:
        return Decision(True, f"Admins may {_ADMIN_ACTIONS[action]}.", "admin")
    if identity.partner not in policies.partners:
        return _deny(
            "unknown-partner",
            f"Partner `{identity.partner}` is not in policies/partners.yaml, so it is party to no "
            "agreement: ask the hub's operators to add it and an agreement that names it.",
        )
    return rule(context)


@dataclass(frozen=True)
class _Context:
    identity: Identity
    resource: Resource
    policies: Policies
    today: date
    lifecycle: Lifecycle

    @property
    def partner(self) -> str:
        return self.identity.partner

    def has(self, role: str) -> bool:
        return self.identity.has_role(role)


def _deny(rule: str, reason: str) -> Decision:
    return Decision(False, reason, rule)


_ADMIN_ACTIONS = {
    "agreement.list": "list every agreement",
    "agreement.read": "read every agreement",
    "contract.read": "read every contract",
    "audit.read": "read the audit log",
    "client.manage": "manage OAuth clients",
}


def _agreement(c: _Context) -> Agreement | Decision:
    """The resource's agreement, if the caller's partner is party to it; else the refusal."""
    agreement_id = c.resource.agreement_id
    if not agreement_id:
        return _deny("no-agreement", "Name the agreement this is done under (its id).")
    agreement = c.policies.agreements.get(agreement_id)
    if agreement is None:
        return _deny(
            "unknown-agreement",
            f"There is no agreement `{agreement_id}`: GET /api/v1/agreements lists yours.",
        )
    if agreement.party(c.partner) is None:
        return _deny(
            "not-a-party",
            f"`{c.partner}` is not a party to agreement `{agreement_id}`: only its parties may use "
            "it. Ask its IG officers to add your organisation, or use an agreement you are party "
            "to.",
        )
    return agreement


def _wrong_role(c: _Context, action: str, needed: str) -> Decision:
    held = ", ".join(sorted(c.identity.roles)) or "no roles"
    return _deny(
        "role-not-allowed",
        f"{action} needs {needed}; this client holds {held}. Ask your organisation's hub "
        "administrator for a client with that role.",
    )


def _not_active(c: _Context, agreement: Agreement) -> Decision | None:
    """The refusal if `agreement` is not `active` now; None if data may be shared under it.

    Fails closed: a state that cannot be read is a refusal.
    """
    try:
        state = c.lifecycle(agreement.id, c.today)
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, nothing is shared
        log.error(
            "lifecycle state of agreement %s unreadable (%s): refusing",
            agreement.id,
            type(exc).__name__,
        )
        return _deny(
            "lifecycle-unavailable",
            f"The hub cannot read the approval state of agreement `{agreement.id}` now, so "
            "nothing is shared under it. Try again later; if this persists, quote the request_id "
            "to the hub's operators.",
        )
    if state.status == ACTIVE:
        return None
    how = f"POST /api/v1/agreements/{agreement.id}"
    if state.status == PROPOSED:
        return _deny(
            "awaiting-approval",
            f"Agreement `{agreement.id}` is awaiting approval by {_names(state.awaiting)}: "
            "nothing may be shared under it until the IG officer of every party has approved "
            f"this version ({how}/approvals).",
        )
    if state.status == SUSPENDED:
        when = f" on {state.suspended_at:%Y-%m-%d}" if state.suspended_at else ""
        return _deny(
            "suspended",
            f"Agreement `{agreement.id}` was suspended by `{state.suspended_by_partner}`{when} "
            f"(reason: {(state.suspended_reason or 'none given').rstrip('.')}). Nothing may be "
            f"shared under it until an IG officer of a party resumes it ({how}/resume).",
        )
    if state.status in (EXPIRED, NOT_STARTED):
        when = "has not started" if state.status == NOT_STARTED else "has ended"
        return _deny(
            "not-in-force",
            f"Agreement `{agreement.id}` {when} (in force {agreement.start} to {agreement.end}; "
            f"today is {c.today}): nothing may be shared under it now. Its IG officers can "
            "renew it.",
        )
    return _deny(
        "superseded",
        f"Agreement `{agreement.id}` has a newer version than the one this server loaded: "
        "nothing is shared under the old one. The hub's operators must restart it, and every "
        "party approve the new version.",
    )


def _names(partners: list[str]) -> str:
    quoted = [f"`{p}`" for p in partners]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _list_agreements(c: _Context) -> Decision:
    if not c.identity.roles & {"analyst", "ig_officer", "uploader"}:
        return _wrong_role(c, "Listing agreements", "the analyst, ig_officer or uploader role")
    if not c.policies.agreements_of(c.partner):
        return _deny(
            "not-a-party",
            f"`{c.partner}` is party to no agreement, so there is nothing it may list. An "
            "agreement that names it must be added to policies/agreements/ first.",
        )
    return Decision(
        True, f"Members of `{c.partner}` list the agreements it is party to.", "party-member"
    )


def _read_agreement(c: _Context) -> Decision:
    found = _agreement(c)
    if isinstance(found, Decision):
        return found
    if c.has("ig_officer"):
        return Decision(
            True,
            f"IG officers of `{c.partner}`, a party, read the whole agreement.",
            "party-ig-officer",
        )
    if c.has("analyst") and found.has_role(c.partner, "recipient"):
        return Decision(
            True,
            f"Analysts of `{c.partner}`, a recipient, read the part that concerns them.",
            "recipient-analyst",
        )
    if c.has("uploader") and found.has_role(c.partner, "provider"):
        return Decision(
            True,
            f"Uploaders of `{c.partner}`, a provider, read the part that concerns them.",
            "provider-uploader",
        )
    return _wrong_role(
        c,
        "Reading an agreement",
        "the ig_officer role, the analyst role at a recipient or the uploader role at a provider",
    )


def _read_contract(c: _Context) -> Decision:
    dataset = c.resource.dataset
    if not dataset or dataset not in c.policies.contracts:
        return _deny("unknown-dataset", f"There is no contract for dataset `{dataset}`.")
    candidates = (
        [c.policies.agreements.get(c.resource.agreement_id)]
        if c.resource.agreement_id
        else list(c.policies.agreements.values())
    )
    sharing = [
        a for a in candidates if a is not None and a.shares(dataset=dataset) and a.party(c.partner)
    ]
    if not sharing:
        return _deny(
            "not-a-party",
            f"`{c.partner}` is not party to an agreement that shares `{dataset}`: ask the IG "
            "officers "
            "of an agreement that shares it for what you need.",
        )
    if c.has("ig_officer"):
        return Decision(
            True,
            f"IG officers of `{c.partner}` read the contracts of the datasets its agreements "
            "share.",
            "party-ig-officer",
        )
    if c.has("uploader") and any(a.shares(dataset=dataset, provider=c.partner) for a in sharing):
        return Decision(
            True,
            f"Uploaders of `{c.partner}` read the contracts of the datasets it provides.",
            "provider-uploader",
        )
    return _wrong_role(
        c,
        "Reading a contract",
        "the ig_officer role, or the uploader role at the dataset's provider",
    )


def _read_audit(c: _Context) -> Decision:
    if not c.has("ig_officer"):
        return _wrong_role(c, "Reading the audit log", "the ig_officer role")
    if c.resource.agreement_id:
        found = _agreement(c)
        if isinstance(found, Decision):
            return found
    elif not c.policies.agreements_of(c.partner):
        return _deny(
            "not-a-party",
            f"`{c.partner}` is party to no agreement, so its IG officers have no audit log to "
            "read.",
        )
    return Decision(
        True,
        f"IG officers of `{c.partner}`, a party, read the events of their own organisation "
        "and of the agreements it is party to.",
        "party-ig-officer",
    )


def _manage_clients(c: _Context) -> Decision:
    return _wrong_role(c, "Managing clients", "the admin role")


def _upload(c: _Context) -> Decision:
    found = _agreement(c)
    if isinstance(found, Decision):
        return found
    if not c.has("uploader"):
        return _wrong_role(c, "Uploading a dataset", "the uploader role")
    dataset = c.resource.dataset
    if not dataset or not found.shares(dataset=dataset, provider=c.partner):
        return _deny(
            "not-the-provider",
            f"Agreement `{found.id}` does not have `{c.partner}` provide `{dataset}`: upload only "
            "the "
            "datasets the agreement names your organisation as provider of (GET /api/v1/agreements/"
            f"{found.id}).",
        )
    refusal = _not_active(c, found)
    if refusal is not None:
        return refusal
    return Decision(
        True,
        f"`{c.partner}` provides `{dataset}` under `{found.id}`, which is in force.",
        "provider-uploader-in-force",
    )


def _correct(c: _Context) -> Decision:
    """Rectify, erase or restrict rows: the provider's uploaders, in force or not (as for a
    withdrawal: UK GDPR Art. 16-18 and DPA 2018 s.46-47 do not end with the agreement)."""
    found = _agreement(c)
    if isinstance(found, Decision):
        return found
    if not c.has("uploader"):
        return _wrong_role(c, "Correcting a dataset", "the uploader role")
    dataset = c.resource.dataset
    if not dataset or not found.shares(dataset=dataset, provider=c.partner):
        return _deny(
            "not-the-provider",
            f"Agreement `{found.id}` does not have `{c.partner}` provide `{dataset}`: only its "
            "provider corrects a dataset.",
        )
    return Decision(
        True,
        f"`{c.partner}` corrects `{dataset}`, which it provides under `{found.id}`.",
        "provider-uploader",
    )


def _read_upload(c: _Context) -> Decision:
    found = _agreement(c)
    if isinstance(found, Decision):
        return found
    dataset = c.resource.dataset
    if c.has("uploader") and dataset and found.shares(dataset=dataset, provider=c.partner):
        return Decision(
            True,
            f"Uploaders of `{c.partner}` read the uploads of the datasets it provides.",
            "provider-uploader",
        )
    if c.has("ig_officer"):
        return Decision(
            True,
            f"IG officers of `{c.partner}`, a party, read the uploads under the agreement.",
            "party-ig-officer",
        )
    if c.has("uploader") and dataset:
        # The role is right; the dataset is not one this organisation sends.
        provided = sorted(d.dataset for d in found.datasets if d.provider == c.partner)
        return _deny(
            "not-the-provider",
            f"Uploaders see the uploads of the datasets their organisation provides; under "
            f"`{found.id}`, `{c.partner}` provides "
            + (", ".join(f"`{d}`" for d in provided) if provided else "no dataset")
            + f", not `{dataset}`. Filter by one of those, or leave `dataset` out.",
        )
    return _wrong_role(
        c,
        "Reading an upload",
        "the uploader role at the dataset's provider, or the ig_officer role",
    )


def _query_view(c: _Context) -> Decision:
    found = _agreement(c)
    if isinstance(found, Decision):
        return found
    if not c.has("analyst"):
        return _wrong_role(c, "Querying a view", "the analyst role")
    dataset = c.resource.dataset
    receives = [
        d for d in found.datasets if d.recipient(c.partner) and dataset in (None, d.dataset)
    ]
    if not found.has_role(c.partner, "recipient") or not receives:
        what = f"`{dataset}`" if dataset else "any data"
        return _deny(
            "not-a-recipient",
            f"`{c.partner}` does not receive {what} under agreement `{found.id}`: query only what "
            "the agreement shares with your organisation.",
        )
    refusal = _not_active(c, found)
    if refusal is not None:
        return refusal
    return Decision(
        True,
        f"Analysts of `{c.partner}`, a recipient, query `{found.id}` while it is in force.",
        "recipient-analyst-in-force",
    )


def _change_lifecycle(verb: str) -> Callable[[_Context], Decision]:
    """approve, suspend, resume: the IG officers of the agreement's parties."""

    def rule(c: _Context) -> Decision:
        found = _agreement(c)
        if isinstance(found, Decision):
            return found
        if not c.has("ig_officer"):
            return _wrong_role(c, f"To {verb} an agreement", "the ig_officer role at a party")
        return Decision(
            True,
            f"IG officers of `{c.partner}`, a party, {verb} agreement `{found.id}`.",
            "party-ig-officer",
        )

    return rule


def _reidentification(
    verb: str, role: str | tuple[str, ...], *, in_force: bool, recipient: bool = False
):
    """The re-identification actions: who (role, and a recipient for analysts) under an
    agreement they are party to, and whether it must be `active` (a suspension stops every
    pending request at once). Who may decide on a given request (not its requester, one
    decision per party, a provider among the approvers) is the request's own rule."""

    def rule(c: _Context) -> Decision:
        found = _agreement(c)
        if isinstance(found, Decision):
            return found
        roles = [role] if isinstance(role, str) else list(role)
        held = [r for r in roles if c.has(r)]
        if not held:
            return _wrong_role(c, f"To {verb}", " or ".join(f"the {r} role" for r in roles))
        if recipient and held == ["analyst"] and not found.has_role(c.partner, "recipient"):
            return _deny(
                "not-a-recipient",
                f"`{c.partner}` receives no data under agreement `{found.id}`, so its analysts "
                "were shown nobody to ask about.",
            )
        if in_force:
            refusal = _not_active(c, found)
            if refusal is not None:
                return refusal
        return Decision(
            True,
            f"{held[0].replace('_', ' ').capitalize()}s of `{c.partner}`, a party, {verb} under "
            f"`{found.id}`.",
            f"party-{held[0].replace('_', '-')}",
        )

    return rule


_RULES: dict[str, Callable[[_Context], Decision]] = {
    "agreement.list": _list_agreements,
    "agreement.read": _read_agreement,
    "contract.read": _read_contract,
    "audit.read": _read_audit,
    "client.manage": _manage_clients,
    "dataset.upload": _upload,
    "dataset.correct": _correct,
    "upload.read": _read_upload,
    "view.query": _query_view,
    "forecast.run": _query_view,
    "forecast.export": _query_view,
    "agreement.approve": _change_lifecycle("approve"),
    "agreement.suspend": _change_lifecycle("suspend"),
    "agreement.resume": _change_lifecycle("resume"),
    "reidentification.request": _reidentification(
        "request a re-identification", "analyst", in_force=True, recipient=True
    ),
    "reidentification.read": _reidentification(
        "read re-identification requests",
        ("ig_officer", "analyst"),
        in_force=False,
        recipient=True,
    ),
    "reidentification.approve": _reidentification(
        "approve a re-identification", "ig_officer", in_force=True
    ),
    "reidentification.reject": _reidentification(
        "reject a re-identification", "ig_officer", in_force=False
    ),
    "reidentification.withdraw": _reidentification(
        "withdraw a re-identification request", "analyst", in_force=False, recipient=True
    ),
    "reidentification.reveal": _reidentification(
        "fetch re-identified references", "analyst", in_force=True, recipient=True
    ),
}
assert set(_RULES) == set(ACTIONS)
