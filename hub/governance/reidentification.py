"""Governed re-identification (DPA 2018 s.171): one person an analyst was shown, a stated
legal ground, two parties' approval, one time-limited reveal of the providers' own record
references.

The hub holds no raw identifiers, so a reveal gives the providing partners' own references
for the person's rows (`dataset`, `upload_id`, `row` and, where the contract names one, the
`sourceRecordRef` column's value, sealed in hub/store/references.py). The provider resolves
them in its own system: s.171 consent stays with the controller who de-identified the data.

    submitted -1st approval-> partially_approved -2nd approval-> approved -fetch-> revealed
        |                          |                              `-TTL-> expired
        |-any rejection-> rejected |-any rejection-> rejected
        `-requester withdraws-> withdrawn (also from partially_approved and approved)

Rules (each refusal is a 403 with its own code and `rule`):

- one person per request, and one the requester's organisation was shown: the pseudonym must
  be in the disclosures of `origin_request_id`, a `view.query` by that organisation;
- a ground (`basis`, s.171(3)/(4)), the legislation, a case reference, a justification and a
  necessity statement, which may not look like an identifier (the suspension-reason check);
- two approvals from IG officers of two different parties, one of them a provider whose rows
  the person has (the controller); the requester may not decide, and a party decides once
  (so the requester's own organisation supplies at most one approval); any rejection ends it;
- approving and fetching read the agreement's lifecycle at each decision (`agreements.decide`):
  a suspension stops every pending request at once;
- the requester fetches once, within `HUB_REIDENTIFICATION_TTL_SECONDS` (72 h) of the second
  approval; a second fetch or a late one is 410. Only the rows of providers among the
  approvers are revealed.

Audit: each step is one event (`reidentification.request|approve|reject|withdraw|reveal`, and
the system's `reidentification.expired`, once) with the request id, ground, case reference,
partners, status {from, to}, counts and deadline: never the pseudonym or a reference.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlmodel import Session

from hub import audit, clock, db
from hub.agreements import (
    Policies,
    Resource,
    current_policies,
    decide,
    enforce,
    looks_like_identifier,
)
from hub.audit import Actor, NewEvent
from hub.audit.request_event import Record
from hub.auth import Identity
from hub.db.models import (
    AuditEvent,
    ReidentificationApproval,
    ReidentificationRequest,
    ReidentificationReveal,
    Upload,
    ViewDisclosure,
)
from hub.errors import Conflict, Forbidden, Gone, InvalidRequest, NotFound
from hub.store import (
    EXPIRES_AT,
    ROW,
    UPLOAD_ID,
    DatasetTables,
    dataset_tables,
    read_record_references,
)
from hub.views import EXTENSION as VIEWS
from hub.views import ViewSpec

BASES = {
    "s171_3a_crime": "s.171(3)(a): necessary for preventing or detecting crime",
    "s171_3b_enactment": "s.171(3)(b): required or authorised by an enactment or rule of law",
    "s171_3b_court_order": "s.171(3)(b): required by the order of a court or tribunal",
    "s171_3c_public_interest": "s.171(3)(c): justified as being in the public interest",
    "s171_4b_controller_consent": "s.171(4)(b): with the consent of the controller",
}

SUBMITTED = "submitted"
PARTIALLY_APPROVED = "partially_approved"
APPROVED = "approved"
REVEALED = "revealed"
EXPIRED = "expired"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
STATUSES = (SUBMITTED, PARTIALLY_APPROVED, APPROVED, REVEALED, EXPIRED, REJECTED, WITHDRAWN)
PENDING = (SUBMITTED, PARTIALLY_APPROVED)
FINAL = (REVEALED, EXPIRED, REJECTED, WITHDRAWN)
APPROVALS_NEEDED = 2
# A pending request nobody has acted on for this long is flagged on the console.
STALE_AFTER = timedelta(days=5)

SYSTEM_ACTOR = Actor(client=None, partner=None, roles=("system",))
MAX_TEXT = 2000
# Rows and linking keys gathered for one person are bounded: one person has few records.
MAX_ROWS = 2000
MAX_LINKS = 500
NOT_HELD = "data no longer held"


@dataclass(frozen=True)
class Decided:
    partner: str
    client: str
    decision: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class RequestView:
    """A request as the console and the API show it: no pseudonym, no reference."""

    id: str
    agreement_id: str
    view_id: str
    origin_request_id: str
    requester_client: str
    requester_partner: str
    basis: str
    basis_text: str
    legislation: str
    case_reference: str
    justification: str
    necessity_statement: str
    target_providers: tuple[str, ...]
    rows_held: dict[str, int]  # provider -> rows of the person held now
    status: str
    created_at: datetime
    updated_at: datetime
    approved_at: datetime | None
    expires_at: datetime | None
    decisions: tuple[Decided, ...]
    revealed_at: datetime | None = None
    revealed_rows: int | None = None

    @property
    def approvals(self) -> list[Decided]:
        return [d for d in self.decisions if d.decision == "approve"]

    @property
    def age(self) -> timedelta:
        return clock.now() - _utc(self.created_at)

    @property
    def stale(self) -> bool:
        return self.status in PENDING and self.age >= STALE_AFTER


@dataclass(frozen=True)
class RevealedRow:
    dataset: str
    provider: str
    upload_id: str
    row: int
    reference_column: str | None
    reference: str | None


@dataclass(frozen=True)
class Revealed:
    request: RequestView
    rows: tuple[RevealedRow, ...]
    reason: str | None = None  # why there are none, if there are none


@dataclass
class Context:
    """What the service reads besides the database: the app's policies, views, tables and
    the key that opens record references. The doors build it (hub.api, hub.web, hub.cli)."""

    policies: Policies
    views: dict[str, ViewSpec]
    tables: DatasetTables
    reference_key: bytes
    ttl: timedelta
    record: Record = field(default=audit.append)


# -- reading ---------------------------------------------------------------------------------


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _decisions(session: Session, request_id: str) -> tuple[Decided, ...]:
    rows = session.execute(
        select(ReidentificationApproval)
        .where(ReidentificationApproval.request_id == request_id)
        .order_by(ReidentificationApproval.id)
    ).scalars()
    return tuple(Decided(r.partner, r.client, r.decision, r.reason, _utc(r.at)) for r in rows)


def _view_of(session: Session, row: ReidentificationRequest, rows_held=None) -> RequestView:
    reveal = session.get(ReidentificationReveal, row.id)
    return RequestView(
        id=row.id,
        agreement_id=row.agreement_id,
        view_id=row.view_id,
        origin_request_id=row.origin_request_id,
        requester_client=row.requester_client,
        requester_partner=row.requester_partner,
        basis=row.basis,
        basis_text=BASES.get(row.basis, row.basis),
        legislation=row.legislation,
        case_reference=row.case_reference,
        justification=row.justification,
        necessity_statement=row.necessity_statement,
        target_providers=tuple(row.target_providers or ()),
        rows_held=dict(rows_held or {}),
        status=row.status,
        created_at=_utc(row.created_at),
        updated_at=_utc(row.updated_at),
        approved_at=_utc(row.approved_at),
        expires_at=_utc(row.expires_at),
        decisions=_decisions(session, row.id),
        revealed_at=_utc(reveal.fetched_at) if reveal else None,
        revealed_rows=reveal.rows if reveal else None,
    )


def _resource(agreement_id: str) -> Resource:
    return Resource(kind="reidentification", agreement_id=agreement_id)


def _label(request_id: str) -> str:
    return f"reidentification:{request_id}"


def _details(row: ReidentificationRequest, **more: Any) -> dict[str, Any]:
    """What every event of a request says: never the pseudonym or a reference."""
    return {
        "reidentification": row.id,
        "agreement": row.agreement_id,
        "basis": row.basis,
        "case_reference": row.case_reference,
        "requester_partner": row.requester_partner,
        "target_providers": list(row.target_providers or ()),
        **more,
    }


def _refuse(code: str, rule: str, detail: str, *, status: type = Forbidden):
    audit.note(reason=detail, details={"rule": rule})
    return status(detail, code=code, extra={"rule": rule})


def _locked(session: Session, request_id: str) -> ReidentificationRequest:
    row = session.get(
        ReidentificationRequest,
        request_id,
        with_for_update=db.is_postgres(session),
        populate_existing=True,
    )
    if row is None:
        raise NotFound(
            f"There is no re-identification request `{request_id[:40]}`: "
            "GET /api/v1/reidentifications lists yours."
        )
    return row


def _agreement_of(request_id: str) -> str:
    """The agreement of a request, read before deciding: a decision reads the lifecycle,
    which may record a transition, so it is made outside the request's write transaction."""
    with db.read_only() as session:
        row = session.get(ReidentificationRequest, request_id)
        if row is None:
            raise NotFound(
                f"There is no re-identification request `{request_id[:40]}`: "
                "GET /api/v1/reidentifications lists yours."
            )
        return row.agreement_id


# -- expiry ----------------------------------------------------------------------------------


def expire_due(*, now: datetime | None = None, only: str | None = None) -> int:
    """Move approved requests past their deadline to `expired`, one system event each,
    recorded once (the status change and the event are one transaction)."""
    now = now or clock.now()
    table = ReidentificationRequest.__table__
    with db.read_only() as session:
        query = select(table.c.id).where(table.c.status == APPROVED, table.c.expires_at <= now)
        if only:
            query = query.where(table.c.id == only)
        due = [r for (r,) in session.execute(query)]
    expired = 0
    for request_id in due:
        with db.unit_of_work() as session:
            changed = session.execute(
                update(table)
                .where(table.c.id == request_id, table.c.status == APPROVED)
                .values(status=EXPIRED, updated_at=now)
            ).rowcount
            if changed != 1:
                continue  # another process recorded it
            row = session.get(ReidentificationRequest, request_id, populate_existing=True)
            audit.append(
                session,
                NewEvent(
                    action="reidentification.expired",
                    resource=_label(request_id),
                    outcome="allowed",
                    reason="The approved request was not fetched before its deadline.",
                    request_id=request_id,
                    actor=SYSTEM_ACTOR,
                    details=_details(
                        row,
                        status={"from": APPROVED, "to": EXPIRED},
                        expires_at=_utc(row.expires_at).isoformat(),
                    ),
                ),
            )
            expired += 1
    return expired


# -- the person's rows -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    dataset: str
    provider: str
    upload_id: str
    row: int


def person_rows(ctx: Context, *, view: ViewSpec, pseudonym: str) -> list[_Row]:
    """The rows held now (published, within retention) of the person the view names by
    `pseudonym`, in the view's sources, linked as the view links them: the population's rows
    by the person key, the other sources' by any one set of linking pseudonyms."""
    person = view.person
    if person is None:
        return []
    agreement = ctx.policies.agreements[view.agreement]
    uploads = Upload.__table__
    now = clock.now()
    datasets = list(dict.fromkeys(s.dataset for s in view.sources))
    population = list(dict.fromkeys(view.source(a).dataset for a in person.population))
    tables = {d: ctx.tables.get(agreement, ctx.policies.contracts[d])[1] for d in datasets}
    found: dict[tuple[str, str, int], _Row] = {}
    links: set[tuple[int, tuple[str, ...]]] = set()

    def held(table):
        return (
            select(table.c[UPLOAD_ID], table.c[ROW], uploads.c.partner_id)
            .join(uploads, uploads.c.id == table.c[UPLOAD_ID])
            .where(uploads.c.status == "published", table.c[EXPIRES_AT] > now)
        )

    with db.get_engine().connect() as connection:
        for dataset in population:
            table = tables[dataset]
            groups = [(n, g) for n, g in enumerate(person.link) if all(f in table.c for f in g)]
            query = held(table).add_columns(*(table.c[f] for _, g in groups for f in g))
            query = query.where(table.c[person.key] == pseudonym).limit(MAX_ROWS)
            for upload_id, row, partner, *values in connection.execute(query):
                found[(dataset, upload_id, row)] = _Row(dataset, partner, upload_id, int(row))
                for n, group in groups:
                    part, values = tuple(values[: len(group)]), values[len(group) :]
                    if all(part):  # a missing identifier links nobody (as in the view)
                        links.add((n, part))
        chosen = sorted(links)[:MAX_LINKS]
        for dataset in (d for d in datasets if d not in population):
            table = tables[dataset]
            matches = [
                and_(*(table.c[f] == v for f, v in zip(person.link[n], part, strict=True)))
                for n, part in chosen
                if all(f in table.c for f in person.link[n])
            ]
            if not matches:
                continue
            query = held(table).where(or_(*matches)).limit(MAX_ROWS)
            for upload_id, row, partner in connection.execute(query):
                found[(dataset, upload_id, row)] = _Row(dataset, partner, upload_id, int(row))
    return sorted(found.values(), key=lambda r: (r.dataset, r.provider, r.upload_id, r.row))


def _rows_held(ctx: Context, row: ReidentificationRequest) -> dict[str, int]:
    view = ctx.views.get(row.view_id)
    if view is None:
        return {}
    return dict(Counter(r.provider for r in person_rows(ctx, view=view, pseudonym=row.pseudonym)))


# -- the steps -------------------------------------------------------------------------------


def _text(name: str, value: str | None, *, limit: int, label: str, check: bool) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidRequest(
            f"Give {label} (`{name}`): the IG officers who decide read it.",
            code="reidentification_incomplete",
            extra={"field": name},
        )
    if len(text) > limit:
        raise InvalidRequest(f"`{name}` is at most {limit} characters.", extra={"field": name})
    if check and looks_like_identifier(text):
        raise InvalidRequest(
            f"The {label} looks as if it holds a personal identifier (a long number, an NHS "
            "number, a UPN, a PNC ID or a postcode). Every party reads it and the hub keeps it: "
            "describe the need without naming anyone, and keep case details in your own records.",
            code="reidentification_text_has_identifier",
            extra={"field": name},
        )
    return text


def submit_request(
    ctx: Context,
    identity: Identity,
    *,
    origin_request_id: str,
    pseudonym: str,
    basis: str,
    legislation: str,
    case_reference: str,
    justification: str,
    necessity_statement: str,
) -> RequestView:
    """A request to re-identify one person the requester's organisation was shown."""
    audit.note(action="reidentification.request", resource="reidentification")
    if basis not in BASES:
        raise InvalidRequest(
            "Name the ground (`basis`) the re-identification rests on: one of "
            + ", ".join(BASES)
            + " (DPA 2018 s.171(3) and (4)).",
            code="reidentification_incomplete",
            extra={"field": "basis"},
        )
    legislation = _text("legislation", legislation, limit=300, label="the legislation", check=True)
    case_reference = _text(
        "case_reference", case_reference, limit=200, label="the case reference", check=False
    )
    justification = _text(
        "justification", justification, limit=MAX_TEXT, label="the justification", check=True
    )
    necessity = _text(
        "necessity_statement",
        necessity_statement,
        limit=MAX_TEXT,
        label="the necessity statement",
        check=True,
    )
    d, e = ViewDisclosure.__table__, AuditEvent.__table__
    with db.read_only() as session:
        shown = session.execute(
            select(d.c.view_id, d.c.agreement_id, d.c.linkage_domain, e.c.actor_partner)
            .join(e, (e.c.request_id == d.c.request_id) & (e.c.action == "view.query"))
            .where(d.c.request_id == origin_request_id, d.c.pseudonym == pseudonym)
            .limit(1)
        ).first()
    if shown is None or shown.actor_partner != identity.partner:
        raise _refuse(
            "reidentification_not_disclosed_to_you",
            "not-disclosed-to-requester",
            "You may ask to re-identify only a person a query by your organisation was shown: "
            "give the request id of that query (`origin_request_id`, its X-Request-Id) and the "
            "person's pseudonym from its answer.",
        )
    view_id, agreement_id, domain, _ = shown
    audit.note(resource=_resource(agreement_id).label)
    enforce(decide(identity, "reidentification.request", _resource(agreement_id)))
    view = ctx.views.get(view_id)
    rows = person_rows(ctx, view=view, pseudonym=pseudonym) if view else []
    providers = sorted({r.provider for r in rows})
    if not providers:
        raise Conflict(
            "The hub no longer holds any row of this person (withdrawn, replaced or past "
            "retention), so there is nothing a provider could resolve.",
            code="reidentification_nothing_held",
        )
    now = clock.now()
    row = ReidentificationRequest(
        id=str(uuid.uuid4()),
        agreement_id=agreement_id,
        linkage_domain=domain,
        view_id=view_id,
        pseudonym=pseudonym,
        origin_request_id=origin_request_id,
        requester_client=identity.client_id,
        requester_partner=identity.partner,
        basis=basis,
        legislation=legislation,
        case_reference=case_reference,
        justification=justification,
        necessity_statement=necessity,
        target_providers=providers,
        status=SUBMITTED,
        created_at=now,
        updated_at=now,
    )
    with db.unit_of_work() as session:
        session.add(row)
        session.flush()
        ctx.record(
            session,
            NewEvent(
                action="reidentification.request",
                resource=_label(row.id),
                outcome="allowed",
                reason="A re-identification was requested, with its ground.",
                actor=identity,
                details=_details(
                    row,
                    view=view_id,
                    legislation=legislation,
                    justification=justification,
                    origin_request_id=origin_request_id,
                    status={"from": None, "to": SUBMITTED},
                    rows_held=len(rows),
                ),
            ),
        )
        return _view_of(session, row, Counter(r.provider for r in rows))


def decide_request(
    ctx: Context, identity: Identity, request_id: str, *, decision: str, reason: str | None
) -> RequestView:
    """An IG officer's approval or rejection of a pending request."""
    if decision not in ("approve", "reject"):
        raise InvalidRequest("`decision` is `approve` or `reject`.", extra={"field": "decision"})
    action = f"reidentification.{decision}"
    audit.note(action=action, resource=_label(request_id))
    expire_due(only=request_id)
    text = (reason or "").strip()
    if decision == "reject" and not text:
        raise InvalidRequest(
            "Say why you reject the request (`reason`): the requester and every party read it.",
            code="reason_required",
        )
    if len(text) > 1000:
        raise InvalidRequest("A reason is at most 1000 characters.")
    if text and looks_like_identifier(text):
        raise InvalidRequest(
            "The reason looks as if it holds a personal identifier: describe the decision "
            "without naming anyone.",
            code="reason_has_identifier",
        )
    enforce(decide(identity, action, _resource(_agreement_of(request_id))))
    with db.unit_of_work() as session:
        row = _locked(session, request_id)
        if row.status not in PENDING:
            raise Conflict(
                f"The request is {row.status.replace('_', ' ')}: a decision is possible only "
                "while it is pending.",
                code="reidentification_not_pending",
                extra={"status": row.status},
            )
        if identity.client_id == row.requester_client:
            raise _refuse(
                "reidentification_own_request",
                "requester-may-not-decide",
                "You made this request, so you may not decide on it: two other parties' IG "
                "officers must.",
            )
        earlier = _decisions(session, row.id)
        if any(d.partner == identity.partner for d in earlier):
            raise _refuse(
                "reidentification_same_party",
                "one-decision-per-party",
                f"`{identity.partner}` has already decided on this request: the second approval "
                "must come from another party's IG officer.",
            )
        approvals = [d for d in earlier if d.decision == "approve"]
        providers = set(row.target_providers or ())
        if (
            decision == "approve"
            and len(approvals) + 1 >= APPROVALS_NEEDED
            and identity.partner not in providers
            and not any(d.partner in providers for d in approvals)
        ):
            raise _refuse(
                "reidentification_needs_provider_approval",
                "provider-must-approve",
                "One of the two approvals must come from the IG officer of a provider whose "
                f"records the person has ({', '.join(sorted(providers))}): the controller who "
                "de-identified the data must consent (DPA 2018 s.171).",
            )
        now = clock.now()
        session.add(
            ReidentificationApproval(
                request_id=row.id,
                partner=identity.partner,
                client=identity.client_id,
                decision=decision,
                reason=text,
                at=now,
            )
        )
        before = row.status
        more: dict[str, Any] = {}
        if decision == "reject":
            row.status = REJECTED
        elif len(approvals) + 1 >= APPROVALS_NEEDED:
            row.status = APPROVED
            row.approved_at = now
            row.expires_at = now + ctx.ttl
            more["expires_at"] = row.expires_at.astimezone(UTC).isoformat()
        else:
            row.status = PARTIALLY_APPROVED
        row.updated_at = now
        session.add(row)
        session.flush()
        ctx.record(
            session,
            NewEvent(
                action=action,
                resource=_label(row.id),
                outcome="allowed",
                reason=f"`{identity.partner}` {'approved' if decision == 'approve' else 'rejected'}"
                " the re-identification request.",
                actor=identity,
                details=_details(
                    row,
                    partner=identity.partner,
                    provider_approval=identity.partner in providers,
                    approvals=len(approvals) + (decision == "approve"),
                    status={"from": before, "to": row.status},
                    rule="party-ig-officer",
                    **more,
                ),
            ),
        )
        return _view_of(session, row)


def withdraw_request(ctx: Context, identity: Identity, request_id: str) -> RequestView:
    audit.note(action="reidentification.withdraw", resource=_label(request_id))
    expire_due(only=request_id)
    enforce(decide(identity, "reidentification.withdraw", _resource(_agreement_of(request_id))))
    with db.unit_of_work() as session:
        row = _locked(session, request_id)
        if identity.client_id != row.requester_client:
            raise _refuse(
                "reidentification_not_requester",
                "requester-only",
                "Only the analyst who made the request may withdraw it.",
            )
        if row.status in FINAL:
            raise Conflict(
                f"The request is {row.status} already: there is nothing to withdraw.",
                code="reidentification_closed",
                extra={"status": row.status},
            )
        before, row.status, row.updated_at = row.status, WITHDRAWN, clock.now()
        session.add(row)
        session.flush()
        ctx.record(
            session,
            NewEvent(
                action="reidentification.withdraw",
                resource=_label(row.id),
                outcome="allowed",
                reason="The requester withdrew the re-identification request.",
                actor=identity,
                details=_details(row, status={"from": before, "to": WITHDRAWN}),
            ),
        )
        return _view_of(session, row)


def _gone_or_not_approved(
    session: Session, identity: Identity, request_id: str, *, before_decision: bool
) -> ReidentificationRequest:
    """The request, if it may be revealed now; else the refusal: 410 once used or past its
    deadline (said first, whoever asks), then (after the decision) requester only, approved."""
    row = _locked(session, request_id)
    if row.status == REVEALED:
        raise _refuse(
            "reidentification_already_revealed",
            "single-use",
            "The references of this request were fetched already: a reveal is given once. "
            "Ask the provider, quoting the request id, if they were lost.",
            status=Gone,
        )
    if row.status == EXPIRED:
        raise _refuse(
            "reidentification_expired",
            "expired",
            "The approval ran out before the references were fetched: make a new request "
            "if they are still needed.",
            status=Gone,
        )
    if before_decision:
        return row
    if identity.client_id != row.requester_client:
        raise _refuse(
            "reidentification_not_requester",
            "requester-only",
            "Only the analyst who made the request may fetch its references.",
        )
    if row.status != APPROVED:
        raise Conflict(
            f"The request is {row.status.replace('_', ' ')}: references are given only once "
            "two parties have approved it.",
            code="reidentification_not_approved",
            extra={"status": row.status},
        )
    return row


def reveal(ctx: Context, identity: Identity, request_id: str) -> Revealed:
    """The one fetch: the approving providers' references for the person's rows."""
    audit.note(action="reidentification.reveal", resource=_label(request_id))
    expire_due(only=request_id)
    with db.read_only() as session:
        _gone_or_not_approved(session, identity, request_id, before_decision=True)
    enforce(decide(identity, "reidentification.reveal", _resource(_agreement_of(request_id))))
    with db.read_only() as session:
        row = _gone_or_not_approved(session, identity, request_id, before_decision=False)
        view = ctx.views.get(row.view_id)
        pseudonym = row.pseudonym
    rows = person_rows(ctx, view=view, pseudonym=pseudonym) if view else []
    with db.unit_of_work() as session:
        row = _gone_or_not_approved(session, identity, request_id, before_decision=False)
        approvers = {d.partner for d in _decisions(session, row.id) if d.decision == "approve"}
        shown = [r for r in rows if r.provider in approvers]
        revealed = _open(ctx, session, shown)
        now = clock.now()
        session.add(
            ReidentificationReveal(
                request_id=row.id, fetched_by=identity.client_id, fetched_at=now, rows=len(shown)
            )
        )
        row.status, row.updated_at = REVEALED, now
        session.add(row)
        session.flush()
        per_dataset = Counter(r.dataset for r in revealed)
        ctx.record(
            session,
            NewEvent(
                action="reidentification.reveal",
                resource=_label(row.id),
                outcome="allowed",
                reason="The requester fetched the approved references, once.",
                actor=identity,
                details=_details(
                    row,
                    view=row.view_id,
                    legislation=row.legislation,
                    justification=row.justification,
                    status={"from": APPROVED, "to": REVEALED},
                    rows_revealed=len(revealed),
                    references_revealed=sum(1 for r in revealed if r.reference),
                    datasets=dict(sorted(per_dataset.items())),
                    providers_revealed=sorted({r.provider for r in revealed}),
                    expires_at=_utc(row.expires_at).isoformat() if row.expires_at else None,
                ),
            ),
        )
        return Revealed(
            request=_view_of(session, row),
            rows=tuple(revealed),
            reason=None if revealed else NOT_HELD,
        )


def _open(ctx: Context, session: Session, rows: list[_Row]) -> list[RevealedRow]:
    by_upload: dict[tuple[str, str], list[_Row]] = {}
    for r in rows:
        by_upload.setdefault((r.dataset, r.upload_id), []).append(r)
    out: list[RevealedRow] = []
    connection = session.connection()
    for (dataset, upload_id), group in by_upload.items():
        contract = ctx.policies.contracts.get(dataset)
        column = contract.record_reference if contract else None
        references = (
            read_record_references(
                connection,
                key=ctx.reference_key,
                dataset=dataset,
                upload_id=upload_id,
                row_numbers=[r.row for r in group],
            )
            if column
            else {}
        )
        out.extend(
            RevealedRow(
                dataset=dataset,
                provider=r.provider,
                upload_id=upload_id,
                row=r.row,
                reference_column=column.name if column else None,
                reference=references.get(r.row),
            )
            for r in group
        )
    return out


def list_requests(
    ctx: Context, identity: Identity, *, status: str | None = None, rows_held: bool = False
) -> list[RequestView]:
    """The requests the caller may read, newest first: an IG officer's, under the agreements
    their organisation is party to; an analyst's, those their organisation made."""
    audit.note(action="reidentification.read", resource="reidentification")
    expire_due()
    mine = [a.id for a in ctx.policies.agreements_of(identity.partner)]
    readable = [a for a in mine if decide(identity, "reidentification.read", _resource(a)).allowed]
    if not readable:
        enforce(
            decide(
                identity,
                "reidentification.read",
                _resource(mine[0]) if mine else Resource(kind="reidentification"),
            )
        )
    table = ReidentificationRequest
    query = select(table).where(table.agreement_id.in_(readable))
    if not identity.has_role("ig_officer"):
        query = query.where(table.requester_partner == identity.partner)
    if status:
        query = query.where(table.status == status)
    query = query.order_by(table.created_at.desc(), table.id)
    with db.read_only() as session:
        found = session.execute(query).scalars().all()
        views = [_view_of(session, r) for r in found]
    if not rows_held:
        return views
    # Read after the session ends: one connection at a time (SQLite takes its lock per
    # transaction, readers too).
    return [
        dataclasses.replace(v, rows_held=_rows_held(ctx, r))
        for v, r in zip(views, found, strict=True)
    ]


def read_request(ctx: Context, identity: Identity, request_id: str) -> RequestView:
    for item in list_requests(ctx, identity, rows_held=True):
        if item.id == request_id:
            return item
    raise NotFound(
        f"There is no re-identification request `{request_id[:40]}` you may read: "
        "GET /api/v1/reidentifications lists yours."
    )


def awaiting(views: list[RequestView], partner: str) -> list[RequestView]:
    """The pending requests `partner` has not decided on yet."""
    return [
        v
        for v in views
        if v.status in PENDING
        and v.requester_partner is not None
        and all(d.partner != partner for d in v.decisions)
    ]


def current_context(record: Record = audit.append) -> Context:
    """The Context of the current app, recording each step's event with `record`."""
    app = current_app._get_current_object()
    settings = app.extensions["hub.settings"]
    return Context(
        policies=current_policies(),
        views=dict(app.extensions[VIEWS].views),
        tables=dataset_tables(app),
        reference_key=app.extensions["hub.keys"].record_reference_key,
        ttl=timedelta(seconds=settings.reidentification_ttl_seconds),
        record=record,
    )


def all_requests(*, status: str | None = None) -> list[RequestView]:
    """Every request, newest first, after recording the expiries that time has brought: for
    the hub's operators (`hub reidentifications list`). No pseudonym, no reference."""
    expire_due()
    query = select(ReidentificationRequest)
    if status:
        query = query.where(ReidentificationRequest.status == status)
    query = query.order_by(ReidentificationRequest.created_at.desc(), ReidentificationRequest.id)
    with db.read_only() as session:
        return [_view_of(session, r) for r in session.execute(query).scalars().all()]


ERASED_PSEUDONYM = "erased"


def erase_request_pseudonyms(connection, erased) -> int:
    """An erasure's eraser (hub.store.row_keyed_tables): requests about a person no remaining
    row holds keep their record and ground, but no longer the pseudonym."""
    if not erased.gone:
        return 0
    table = ReidentificationRequest.__table__
    result = connection.execute(
        update(table)
        .where(
            and_(
                table.c.linkage_domain == erased.linkage_domain,
                table.c.pseudonym.in_(sorted(erased.gone)),
            )
        )
        .values(pseudonym=ERASED_PSEUDONYM)
    )
    return result.rowcount or 0
