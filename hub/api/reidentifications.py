"""Governed re-identification (DPA 2018 s.171), hub/governance/reidentification.py:

POST /api/v1/reidentifications              an analyst asks about one person they were shown
GET  /api/v1/reidentifications[?status=]    the requests the caller may read
GET  /api/v1/reidentifications/{id}         one of them, with the rows held per provider
POST /api/v1/reidentifications/{id}/approvals   an IG officer approves or rejects
POST /api/v1/reidentifications/{id}/withdraw    the requester withdraws
GET  /api/v1/reidentifications/{id}/reveal      the requester fetches the references, once

No answer but the reveal holds the pseudonym or a reference; the reveal is `no-store`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from hub import audit, auth
from hub.governance import reidentification as ri

api = APIBlueprint(
    "reidentifications",
    __name__,
    url_prefix="/api/v1",
    abp_tags=[
        Tag(
            name="reidentifications",
            description=(
                "Governed re-identification of one person (DPA 2018 s.171): a ground, two "
                "parties' approval, one time-limited reveal of the providers' own references."
            ),
        )
    ],
    abp_security=[{"bearer": []}],
)

Basis = Literal[
    "s171_3a_crime",
    "s171_3b_enactment",
    "s171_3b_court_order",
    "s171_3c_public_interest",
    "s171_4b_controller_consent",
]
StatusName = Literal[
    "submitted", "partially_approved", "approved", "revealed", "expired", "rejected", "withdrawn"
]
NO_STORE = {"Cache-Control": "no-store"}


class RequestPath(BaseModel):
    id: str = Field(pattern=r"^[0-9a-f-]{36}$", description="The re-identification request id.")


class RequestBody(BaseModel):
    origin_request_id: str = Field(
        min_length=1,
        max_length=64,
        description="The request id (X-Request-Id) of the view query whose answer showed the "
        "person.",
    )
    pseudonym: str = Field(
        pattern=r"^[0-9a-f]{64}$", description="The person's pseudonym, as the answer gave it."
    )
    basis: Basis = Field(description="The DPA 2018 s.171(3)/(4) ground.")
    legislation: str = Field(
        min_length=1, max_length=300, description="The law behind it, e.g. Children Act 1989 s.47."
    )
    case_reference: str = Field(min_length=1, max_length=200)
    justification: str = Field(min_length=1, max_length=2000)
    necessity_statement: str = Field(
        min_length=1,
        max_length=2000,
        description="Why re-identifying this person is necessary; text that looks like an "
        "identifier is refused.",
    )


class DecisionBody(BaseModel):
    decision: Literal["approve", "reject"]
    reason: str | None = Field(
        default=None, max_length=1000, description="Required to reject; name no person."
    )


class ListQuery(BaseModel):
    status: StatusName | None = None


class DecisionOut(BaseModel):
    partner: str
    client: str
    decision: Literal["approve", "reject"]
    reason: str
    at: datetime


class RequestOut(BaseModel):
    id: str
    agreement: str
    view: str
    origin_request_id: str
    requester_client: str
    requester_partner: str
    basis: Basis
    basis_text: str
    legislation: str
    case_reference: str
    justification: str
    necessity_statement: str
    target_providers: list[str] = Field(
        description="The providers whose rows the person has: one must approve."
    )
    rows_held: dict[str, int] = Field(
        default_factory=dict, description="Rows of the person held now, per provider."
    )
    status: StatusName
    created_at: datetime
    approved_at: datetime | None
    expires_at: datetime | None = Field(description="The reveal's deadline, once approved.")
    decisions: list[DecisionOut]
    revealed_at: datetime | None
    revealed_rows: int | None


class RequestList(BaseModel):
    items: list[RequestOut]


class RevealedRowOut(BaseModel):
    dataset: str
    provider: str
    upload_id: str
    row: int = Field(description="The row's number in the file the provider sent.")
    reference_column: str | None = Field(
        description="The contract's source record reference column, if it names one."
    )
    reference: str | None = Field(description="The provider's own reference for the row.")


class RevealOut(BaseModel):
    request: RequestOut
    rows: list[RevealedRowOut]
    reason: str | None = Field(default=None, description="Why there are no rows, if none.")


def _out(view: ri.RequestView) -> RequestOut:
    return RequestOut(
        id=view.id,
        agreement=view.agreement_id,
        view=view.view_id,
        origin_request_id=view.origin_request_id,
        requester_client=view.requester_client,
        requester_partner=view.requester_partner,
        basis=view.basis,
        basis_text=view.basis_text,
        legislation=view.legislation,
        case_reference=view.case_reference,
        justification=view.justification,
        necessity_statement=view.necessity_statement,
        target_providers=list(view.target_providers),
        rows_held=view.rows_held,
        status=view.status,
        created_at=view.created_at,
        approved_at=view.approved_at,
        expires_at=view.expires_at,
        decisions=[
            DecisionOut(
                partner=d.partner, client=d.client, decision=d.decision, reason=d.reason, at=d.at
            )
            for d in view.decisions
        ],
        revealed_at=view.revealed_at,
        revealed_rows=view.revealed_rows,
    )


@api.post("/reidentifications", responses={201: RequestOut})
def create_reidentification(body: RequestBody):
    """Ask to re-identify one person your organisation's query was shown, with the ground.
    Two parties' IG officers must approve, one of them a provider of the person's rows."""
    audit.note(action="reidentification.request", resource="reidentification")
    identity = auth.current_identity()
    view = ri.submit_request(
        ri.current_context(audit.note_event),
        identity,
        origin_request_id=body.origin_request_id,
        pseudonym=body.pseudonym,
        basis=body.basis,
        legislation=body.legislation,
        case_reference=body.case_reference,
        justification=body.justification,
        necessity_statement=body.necessity_statement,
    )
    return _out(view).model_dump(mode="json"), 201, NO_STORE


@api.get("/reidentifications", responses={200: RequestList})
def list_reidentifications(query: ListQuery):
    """The requests you may read: an IG officer's, under their organisation's agreements; an
    analyst's, those of their organisation. Newest first."""
    audit.note(action="reidentification.read", resource="reidentification")
    identity = auth.current_identity()
    items = ri.list_requests(ri.current_context(), identity, status=query.status)
    audit.note(details={"returned": len(items)})
    return RequestList(items=[_out(v) for v in items]).model_dump(mode="json"), 200, NO_STORE


@api.get("/reidentifications/<id>", responses={200: RequestOut})
def read_reidentification(path: RequestPath):
    """One request, with the rows of the person held now per provider."""
    audit.note(action="reidentification.read", resource=f"reidentification:{path.id}")
    identity = auth.current_identity()
    view = ri.read_request(ri.current_context(), identity, path.id)
    audit.note(resource=f"reidentification:{path.id}")
    return _out(view).model_dump(mode="json"), 200, NO_STORE


@api.post("/reidentifications/<id>/approvals", responses={200: RequestOut})
def decide_reidentification(path: RequestPath, body: DecisionBody):
    """Approve or reject, as an IG officer of a party other than the requester's client;
    a party decides once. Any rejection ends the request."""
    audit.note(action=f"reidentification.{body.decision}", resource=f"reidentification:{path.id}")
    identity = auth.current_identity()
    view = ri.decide_request(
        ri.current_context(audit.note_event),
        identity,
        path.id,
        decision=body.decision,
        reason=body.reason,
    )
    return _out(view).model_dump(mode="json"), 200, NO_STORE


@api.post("/reidentifications/<id>/withdraw", responses={200: RequestOut})
def withdraw_reidentification(path: RequestPath):
    """Withdraw your own request (before it is revealed)."""
    audit.note(action="reidentification.withdraw", resource=f"reidentification:{path.id}")
    identity = auth.current_identity()
    view = ri.withdraw_request(ri.current_context(audit.note_event), identity, path.id)
    return _out(view).model_dump(mode="json"), 200, NO_STORE


@api.get("/reidentifications/<id>/reveal", responses={200: RevealOut})
def reveal_reidentification(path: RequestPath):
    """The providers' own references for the person's rows: once, by the requester, before
    the deadline. A second fetch or a late one answers 410."""
    audit.note(action="reidentification.reveal", resource=f"reidentification:{path.id}")
    identity = auth.current_identity()
    revealed = ri.reveal(ri.current_context(audit.note_event), identity, path.id)
    body = RevealOut(
        request=_out(revealed.request),
        rows=[
            RevealedRowOut(
                dataset=r.dataset,
                provider=r.provider,
                upload_id=r.upload_id,
                row=r.row,
                reference_column=r.reference_column,
                reference=r.reference,
            )
            for r in revealed.rows
        ],
        reason=revealed.reason,
    )
    return body.model_dump(mode="json"), 200, {**NO_STORE, "Pragma": "no-cache"}
