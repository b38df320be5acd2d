"""GET /api/v1/agreements and /api/v1/agreements/{id}: the agreements a caller is party to,
with their lifecycle status; POST .../approvals, .../suspend and .../resume: the IG officers
of the parties change it (hub/agreements/lifecycle.py).

Admins and IG officers of a party see the whole record; an analyst of a recipient or an
uploader of a provider sees the part that concerns them: parties, purpose, dates, status,
and the datasets and fields they receive or provide.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field, model_validator

from hub import audit, auth, clock
from hub.agreements import (
    WHOLE_RECORD_RULES,
    Agreement,
    AgreementState,
    Policies,
    Resource,
    Status,
    agreement_state,
    agreement_states,
    current_policies,
    decide,
    enforce,
    record_approval,
    resume,
    suspend,
)
from hub.agreements.model import LawfulBasis, Purpose
from hub.errors import NotFound

api = APIBlueprint(
    "agreements",
    __name__,
    url_prefix="/api/v1",
    abp_tags=[
        Tag(name="agreements", description="Data-sharing agreements (policies/agreements/).")
    ],
    abp_security=[{"bearer": []}],
)

View = Literal["whole", "part"]


class AgreementPath(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$", description="The agreement id.")


class PartyOut(BaseModel):
    partner: str
    name: str
    kind: str
    roles: list[str]


class RecipientOut(BaseModel):
    partner: str
    fields: list[str] = Field(description="The contract's columns this recipient may see.")


class DatasetOut(BaseModel):
    dataset: str = Field(
        description="The dataset id; its contract is at /api/v1/contracts/{dataset}."
    )
    title: str
    provider: str
    contract_version: str
    recipients: list[RecipientOut]


class ApprovalOut(BaseModel):
    partner: str
    approved: bool
    approved_at: datetime | None = None
    approved_by: str | None = Field(
        default=None,
        description="The IG officer's client that approved (the whole record only).",
    )


class SuspensionOut(BaseModel):
    reason: str
    by_partner: str
    at: datetime | None
    resume_requested_by: list[str] = Field(
        default_factory=list,
        description="Other parties that asked to resume. The suspending party's IG officer "
        "resumes alone; otherwise every other party must ask.",
    )


class VersionOut(BaseModel):
    version: str = Field(description="SHA-256 of the agreement file.")
    loaded_at: datetime
    status: Status = Field(description="In force for the loaded version; else as last recorded.")


class AgreementSummary(BaseModel):
    id: str
    title: str
    purpose: Purpose
    start: date
    end: date
    review_date: date
    status: Status = Field(
        description=(
            "`proposed` (awaiting a party's approval), `not_started` (approved, before `start`), "
            "`active` (data may be shared), `suspended`, `expired` (after `end`) or "
            "`superseded` (this server runs an older version of the file)."
        )
    )
    in_force: bool = Field(description="`status` is `active`: data may be shared under it.")
    version: str = Field(description="SHA-256 of the agreement file this server runs.")
    approvals: list[ApprovalOut] = Field(description="Each party's approval of this version.")
    awaiting: list[str] = Field(description="The parties yet to approve this version.")
    suspension: SuspensionOut | None = None
    due_for_review: bool = Field(description="Its review date has come.")
    your_roles: list[str] = Field(description="The roles of the caller's organisation in it.")
    view: View = Field(description="`whole` record, or the `part` that concerns the caller.")


class AgreementOut(AgreementSummary):
    parties: list[PartyOut]
    datasets: list[DatasetOut]
    # The whole record only (admins and IG officers of a party):
    lawful_basis: list[LawfulBasis] | None = None
    retention_days: int | None = None
    dpia_reference: str | None = None
    linkage_domain: str | None = None
    min_cell_size: int | None = None
    content_hash: str | None = Field(default=None, description="SHA-256 of the agreement file.")
    versions: list[VersionOut] | None = Field(
        default=None, description="Every version of the file loaded, oldest first."
    )


class AgreementList(BaseModel):
    items: list[AgreementSummary]


class AgreementQuery(BaseModel):
    due_for_review: bool | None = Field(
        default=None, description="`true`: only the agreements whose review date has come."
    )


class SuspendBody(BaseModel):
    reason: str = Field(
        min_length=1,
        max_length=1000,
        description=(
            "Why, for every party and the audit log. Name no person: a reason that looks as if "
            "it holds an identifier is refused."
        ),
    )


class ResumeBody(BaseModel):
    reason: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="before")
    @classmethod
    def _no_body(cls, data: Any) -> Any:
        return {} if data is None else data  # the body is optional: POST with none resumes


@api.get("/agreements", responses={200: AgreementList})
def list_agreements(query: AgreementQuery):
    """The agreements the caller's organisation is party to (every one, for admins), with
    their status; `?due_for_review=true` keeps those whose review date has come."""
    audit.note(action="agreement.list", resource=Resource(kind="agreement").label)
    identity = auth.current_identity()
    policies = current_policies()
    enforce(decide(identity, "agreement.list", Resource(kind="agreement"), policies=policies))
    if query.due_for_review is not None:
        audit.note(details={"due_for_review": query.due_for_review})
    states = {s.agreement_id: s for s in agreement_states(today=clock.today())}
    items = []
    for agreement in policies.agreements.values():
        decision = decide(
            identity,
            "agreement.read",
            Resource(kind="agreement", agreement_id=agreement.id),
            policies=policies,
        )
        state = states[agreement.id]
        if query.due_for_review is not None and state.due_for_review != query.due_for_review:
            continue
        if decision.allowed:
            items.append(_summary(agreement, state, identity.partner, _view(decision.rule)))
    return AgreementList(items=items).model_dump(mode="json")


@api.get("/agreements/<id>", responses={200: AgreementOut})
def read_agreement(path: AgreementPath):
    """One agreement with its datasets and status: the whole record (with the versions of
    its file), or the part that concerns the caller."""
    resource = Resource(kind="agreement", agreement_id=path.id)
    audit.note(action="agreement.read", resource=resource.label)
    identity = auth.current_identity()
    policies = current_policies()
    agreement = _known(policies, path.id)
    decision = enforce(decide(identity, "agreement.read", resource, policies=policies))
    state = agreement_state(path.id, today=clock.today())
    return _answer(agreement, state, policies, identity.partner, decision.rule)


@api.post(
    "/agreements/<id>/approvals",
    responses={200: AgreementOut, 201: AgreementOut},
)
def approve_agreement(path: AgreementPath):
    """Approve the version of the agreement the hub runs, for the caller's organisation (an
    IG officer of a party). 201 when recorded; 200 when it was already approved. The
    agreement becomes `active` once every party has approved it (and its term has begun)."""
    identity = auth.current_identity()
    policies = current_policies()
    _known(policies, path.id, action="agreement.approve")
    state, created = record_approval(
        identity, path.id, record=audit.note_event, today=clock.today()
    )
    return _answer(
        policies.agreements[path.id],
        state,
        policies,
        identity.partner,
        "party-ig-officer",
        status=201 if created else 200,
    )


@api.post("/agreements/<id>/suspend", responses={200: AgreementOut})
def suspend_agreement(path: AgreementPath, body: SuspendBody):
    """Suspend the agreement, with a reason, as an IG officer of a party: from this moment
    nothing is uploaded or queried under it, until an IG officer of a party resumes it."""
    identity = auth.current_identity()
    policies = current_policies()
    _known(policies, path.id, action="agreement.suspend")
    state = suspend(
        identity, path.id, reason=body.reason, record=audit.note_event, today=clock.today()
    )
    return _answer(
        policies.agreements[path.id], state, policies, identity.partner, "party-ig-officer"
    )


@api.post("/agreements/<id>/resume", responses={200: AgreementOut})
def resume_agreement(path: AgreementPath, body: ResumeBody):
    """Resume a suspended agreement, as an IG officer of a party (an optional reason)."""
    identity = auth.current_identity()
    policies = current_policies()
    _known(policies, path.id, action="agreement.resume")
    state = resume(
        identity, path.id, reason=body.reason, record=audit.note_event, today=clock.today()
    )
    return _answer(
        policies.agreements[path.id], state, policies, identity.partner, "party-ig-officer"
    )


def _known(policies: Policies, agreement_id: str, *, action: str | None = None) -> Agreement:
    if action:
        audit.note(
            action=action, resource=Resource(kind="agreement", agreement_id=agreement_id).label
        )
    agreement = policies.agreements.get(agreement_id)
    if agreement is None:
        raise NotFound(
            f"There is no agreement `{agreement_id}`: GET /api/v1/agreements lists yours."
        )
    return agreement


def _answer(
    agreement: Agreement,
    state: AgreementState,
    policies: Policies,
    partner: str,
    rule: str,
    *,
    status: int = 200,
):
    record = _record(agreement, state, policies, partner, _view(rule))
    return record.model_dump(mode="json"), status


def _view(rule: str) -> View:
    return "whole" if rule in WHOLE_RECORD_RULES else "part"


def _summary(
    agreement: Agreement, state: AgreementState, partner: str, view: View
) -> AgreementSummary:
    party = agreement.party(partner)
    return AgreementSummary(
        id=agreement.id,
        title=agreement.title,
        purpose=agreement.purpose,
        start=agreement.start,
        end=agreement.end,
        review_date=agreement.review_date,
        status=state.status,
        in_force=state.active,
        version=state.version,
        approvals=[
            ApprovalOut(
                partner=p.partner,
                approved=p.approved,
                approved_at=p.approved_at,
                approved_by=p.approved_by if view == "whole" else None,
            )
            for p in state.parties
        ],
        awaiting=state.awaiting,
        suspension=(
            SuspensionOut(
                reason=state.suspended_reason or "",
                by_partner=state.suspended_by_partner or "",
                at=state.suspended_at,
                resume_requested_by=list(state.resume_requested_by),
            )
            if state.suspended_by_partner
            else None
        ),
        due_for_review=state.due_for_review,
        your_roles=list(party.roles) if party else [],
        view=view,
    )


def _record(
    agreement: Agreement, state: AgreementState, policies: Policies, partner: str, view: View
) -> AgreementOut:
    summary = _summary(agreement, state, partner, view)
    parties = [
        PartyOut(
            partner=p.partner,
            name=policies.partners[p.partner].name if p.partner in policies.partners else p.partner,
            kind=policies.partners[p.partner].kind if p.partner in policies.partners else "",
            roles=list(p.roles),
        )
        for p in agreement.parties
    ]
    datasets = []
    for share in agreement.datasets:
        if view == "whole" or share.provider == partner:
            recipients = share.recipients  # a provider sees who receives what of its data
        else:
            recipients = [r for r in share.recipients if r.partner == partner]
        if not recipients:
            continue  # this dataset does not concern the caller
        contract = policies.contracts.get(share.dataset)
        datasets.append(
            DatasetOut(
                dataset=share.dataset,
                title=contract.title if contract else share.dataset,
                provider=share.provider,
                contract_version=contract.version if contract else "",
                recipients=[
                    RecipientOut(partner=r.partner, fields=list(r.fields)) for r in recipients
                ],
            )
        )
    record = AgreementOut(**summary.model_dump(), parties=parties, datasets=datasets)
    if view == "whole":
        file = policies.files.get(agreement.id)
        record = record.model_copy(
            update={
                "lawful_basis": agreement.lawful_basis,
                "retention_days": agreement.retention_days,
                "dpia_reference": agreement.dpia_reference,
                "linkage_domain": agreement.linkage_domain,
                "min_cell_size": agreement.min_cell_size,
                "content_hash": file.sha256 if file else None,
                "versions": [
                    VersionOut(version=v.version, loaded_at=v.loaded_at, status=v.status)
                    for v in state.versions
                ],
            }
        )
    return record
