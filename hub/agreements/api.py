"""GET /api/v1/agreements and /api/v1/agreements/{id}: the agreements a caller is party to.

Admins and IG officers of a party see the whole record; an analyst of a recipient or an
uploader of a provider sees the part that concerns them: parties, purpose, dates, and the
datasets and fields they receive or provide.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from hub import audit, auth
from hub.agreements.decide import (
    WHOLE_RECORD_RULES,
    Resource,
    current_policies,
    decide,
    enforce,
    london_today,
)
from hub.agreements.model import Agreement, LawfulBasis, Policies, Purpose
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


class AgreementSummary(BaseModel):
    id: str
    title: str
    purpose: Purpose
    start: date
    end: date
    review_date: date
    in_force: bool
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


class AgreementList(BaseModel):
    items: list[AgreementSummary]


@api.get("/agreements", responses={200: AgreementList})
def list_agreements():
    """The agreements the caller's organisation is party to (every one, for admins)."""
    audit.note(action="agreement.list", resource=Resource(kind="agreement").label)
    identity = auth.current_identity()
    policies = current_policies()
    enforce(decide(identity, "agreement.list", Resource(kind="agreement"), policies=policies))
    items = []
    for agreement in policies.agreements.values():
        decision = decide(
            identity,
            "agreement.read",
            Resource(kind="agreement", agreement_id=agreement.id),
            policies=policies,
        )
        if decision.allowed:
            items.append(_summary(agreement, identity.partner, _view(decision.rule)))
    return AgreementList(items=items).model_dump(mode="json")


@api.get("/agreements/<id>", responses={200: AgreementOut})
def read_agreement(path: AgreementPath):
    """One agreement with its datasets: the whole record, or the part that concerns the caller."""
    resource = Resource(kind="agreement", agreement_id=path.id)
    audit.note(action="agreement.read", resource=resource.label)
    identity = auth.current_identity()
    policies = current_policies()
    agreement = policies.agreements.get(path.id)
    if agreement is None:
        raise NotFound(f"There is no agreement `{path.id}`: GET /api/v1/agreements lists yours.")
    decision = enforce(decide(identity, "agreement.read", resource, policies=policies))
    return _record(agreement, policies, identity.partner, _view(decision.rule)).model_dump(
        mode="json"
    )


def _view(rule: str) -> View:
    return "whole" if rule in WHOLE_RECORD_RULES else "part"


def _summary(agreement: Agreement, partner: str, view: View) -> AgreementSummary:
    party = agreement.party(partner)
    return AgreementSummary(
        id=agreement.id,
        title=agreement.title,
        purpose=agreement.purpose,
        start=agreement.start,
        end=agreement.end,
        review_date=agreement.review_date,
        in_force=agreement.in_force(london_today()),
        your_roles=list(party.roles) if party else [],
        view=view,
    )


def _record(agreement: Agreement, policies: Policies, partner: str, view: View) -> AgreementOut:
    summary = _summary(agreement, partner, view)
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
            }
        )
    return record
