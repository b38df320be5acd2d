"""The DPA 2018 s.62 report: for a period, every consultation and disclosure of the data shared
under the agreements a partner is party to, read from the audit log.

Section 62 asks a controller to log consultation and disclosure with the justification, the
date and time, and as far as possible who consulted or disclosed the data and who received
it. In the hub those are two kinds of audit event:

Who: every event of a person's request names the person (display name, and issuer + subject
at their partner's OpenID Provider); a system's names its client and who runs it. The CSV
has a column for each.

- a view query (`view.query`, allowed): the analyst consulted the joined data, and it was
  disclosed to the analyst's partner. The event holds the view, the purpose, the analyst's
  justification and case reference, and how many rows were returned.
- a published upload (`upload.published`): the provider disclosed a dataset to the
  recipients the agreement names for it, under the provider's lawful basis.
- a correction (`dataset.corrected`, hub.corrections): rows rectified or restricted are an
  *alteration*, rows erased (or an upload withdrawn) an *erasure*, with the reason, the legal
  ground, the counts and the recipients that were told; never a value.
- a re-identification reveal (`reidentification.reveal`, allowed): the providers' own record
  references for one person were disclosed to the requester, under the s.171 ground and
  legislation the request gave (hub/governance/reidentification.py).

Only allowed queries are consultations; refused ones disclosed nothing (the audit trail and
the flags page show them).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from hub import db
from hub.agreements import Policies
from hub.db.models import AuditEvent
from hub.governance.describe import basis_text, recipients_of
from hub.governance.periods import as_utc, london
from hub.views import escape_cell

QUERY = "view.query"
PUBLISHED = "upload.published"
CORRECTED = "dataset.corrected"
REVEAL = "reidentification.reveal"
CONSULTATION = "consultation and disclosure"
DISCLOSURE = "disclosure"
ALTERATION = "alteration"
ERASURE = "erasure"
_BATCH = 2000

# view id -> its agreement id, or None for a view this hub no longer has.
ViewAgreement = Callable[[str], str | None]


@dataclass(frozen=True)
class S62Entry:
    time: datetime  # UTC
    category: str  # CONSULTATION (a query) or DISCLOSURE (an upload)
    audit_index: int
    request_id: str
    client: str | None
    partner: str | None  # the analyst's partner, or the provider
    who: Who
    agreement: str
    view: str | None
    dataset: str | None
    upload_id: str | None
    purpose: str
    lawful_basis: str
    justification: str
    case_reference: str
    rows: int | None
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class Who:
    """Who consulted or disclosed, as s.62(3) asks: a person (their name, and issuer +
    subject at their partner's provider) or a system (its client and who runs it)."""

    kind: str  # person | system | "" (an event from before the hub named people)
    name: str
    issuer: str
    subject: str
    owner: str

    @property
    def display(self) -> str:
        if self.kind == "person":
            return self.name
        if self.kind == "system":
            return "system" + (f" ({self.owner})" if self.owner else "")
        return ""


def who_of(event: AuditEvent) -> Who:
    return Who(
        kind=event.actor_kind or "",
        name=event.actor_name or "",
        issuer=event.actor_issuer or "",
        subject=event.actor_subject or "",
        owner=event.actor_owner or "",
    )


def _events(since: datetime, until: datetime, *, engine=None) -> Iterator[AuditEvent]:
    """Allowed queries and published uploads in [since, until), in log order, in batches."""
    after = -1
    while True:
        with db.read_only(engine) as session:
            rows = list(
                session.execute(
                    select(AuditEvent)
                    .where(
                        AuditEvent.action.in_((QUERY, PUBLISHED, CORRECTED, REVEAL)),
                        AuditEvent.outcome == "allowed",
                        AuditEvent.time >= since,
                        AuditEvent.time < until,
                        AuditEvent.index > after,
                    )
                    .order_by(AuditEvent.index)
                    .limit(_BATCH)
                ).scalars()
            )
        yield from rows
        if len(rows) < _BATCH:
            return
        after = rows[-1].index


def _text(value) -> str:
    return "" if value is None else str(value)


def _query_entry(event: AuditEvent, policies: Policies, agreement_id: str) -> S62Entry:
    details = event.details or {}
    rows = details.get("rows")
    return S62Entry(
        time=as_utc(event.time),
        category=CONSULTATION,
        audit_index=event.index,
        request_id=event.request_id,
        client=event.actor_client,
        partner=event.actor_partner,
        who=who_of(event),
        agreement=agreement_id,
        view=_text(details.get("view")) or None,
        dataset=None,
        upload_id=None,
        purpose=_text(details.get("purpose")),
        lawful_basis="",
        justification=_text(details.get("justification")),
        case_reference=_text(details.get("case_reference")),
        rows=rows if isinstance(rows, int) else None,
        recipients=(event.actor_partner,) if event.actor_partner else (),
    )


def _upload_entry(event: AuditEvent, policies: Policies, agreement_id: str) -> S62Entry:
    details = event.details or {}
    agreement = policies.agreements.get(agreement_id)
    dataset = _text(details.get("dataset"))
    provider = event.actor_partner
    counts = details.get("counts") or {}
    accepted = counts.get("accepted") if isinstance(counts, dict) else None
    if agreement is not None:
        recipients = tuple(recipients_of(agreement, dataset=dataset, provider=provider))
        purpose = agreement.purpose.id
        basis = basis_text(agreement.basis_for(provider or ""))
        justification = f"Shared under agreement {agreement.id} ({agreement.dpia_reference})"
    else:
        recipients, purpose, basis, justification = (), "", "", ""
    return S62Entry(
        time=as_utc(event.time),
        category=DISCLOSURE,
        audit_index=event.index,
        request_id=event.request_id,
        client=event.actor_client,
        partner=provider,
        who=who_of(event),
        agreement=agreement_id,
        view=None,
        dataset=dataset or None,
        upload_id=_text(details.get("upload_id")) or None,
        purpose=purpose,
        lawful_basis=basis,
        justification=justification,
        case_reference="",
        rows=accepted if isinstance(accepted, int) else None,
        recipients=recipients,
    )


def _correction_entry(event: AuditEvent, policies: Policies, agreement_id: str) -> S62Entry:
    details = event.details or {}
    kinds = details.get("s62") or []
    counts = details.get("counts") or {}
    rows = (
        sum(v for v in counts.values() if isinstance(v, int)) if isinstance(counts, dict) else None
    )
    return S62Entry(
        time=as_utc(event.time),
        category=" and ".join(k for k in (ALTERATION, ERASURE) if k in kinds) or ALTERATION,
        audit_index=event.index,
        request_id=event.request_id,
        client=event.actor_client,
        partner=event.actor_partner,
        who=who_of(event),
        agreement=agreement_id,
        view=None,
        dataset=_text(details.get("dataset")) or None,
        upload_id=_text(details.get("upload_id")) or None,
        purpose="",
        lawful_basis=_text(details.get("legal_ground")),
        justification=event.reason,
        case_reference=_text(details.get("correction")),
        rows=rows,
        recipients=tuple(details.get("recipients") or ()),
    )


def _reveal_entry(event: AuditEvent, policies: Policies, agreement_id: str) -> S62Entry:
    details = event.details or {}
    datasets = details.get("datasets") or {}
    rows = details.get("rows_revealed")
    basis = _text(details.get("basis"))
    legislation = _text(details.get("legislation"))
    return S62Entry(
        time=as_utc(event.time),
        category=DISCLOSURE,
        audit_index=event.index,
        request_id=event.request_id,
        client=event.actor_client,
        partner=event.actor_partner,
        who=who_of(event),
        agreement=agreement_id,
        view=_text(details.get("view")) or None,
        dataset=" ".join(sorted(datasets)) if isinstance(datasets, dict) and datasets else None,
        upload_id=None,
        purpose=f"re-identification {_text(details.get('reidentification'))}".strip(),
        lawful_basis=f"DPA 2018 {basis}" + (f"; {legislation}" if legislation else ""),
        justification=_text(details.get("justification")),
        case_reference=_text(details.get("case_reference")),
        rows=rows if isinstance(rows, int) else None,
        recipients=(event.actor_partner,) if event.actor_partner else (),
    )


def s62_entries(
    *,
    partner: str,
    since: datetime,
    until: datetime,
    policies: Policies,
    view_agreement: ViewAgreement,
    engine=None,
) -> list[S62Entry]:
    """Every consultation and disclosure in [since, until) under an agreement `partner` is
    party to, oldest first. A query of a view the hub no longer has cannot be placed under an
    agreement and is left out (the audit trail still holds it)."""
    mine = {a.id for a in policies.agreements_of(partner)}
    entries: list[S62Entry] = []
    for event in _events(since, until, engine=engine):
        details = event.details or {}
        if event.action == QUERY:
            agreement_id = view_agreement(_text(details.get("view")))
            if agreement_id in mine:
                entries.append(_query_entry(event, policies, agreement_id))
        elif event.action == REVEAL:
            agreement_id = _text(details.get("agreement"))
            if agreement_id in mine:
                entries.append(_reveal_entry(event, policies, agreement_id))
        else:
            agreement_id = _text(details.get("agreement"))
            if agreement_id in mine:
                make = _correction_entry if event.action == CORRECTED else _upload_entry
                entries.append(make(event, policies, agreement_id))
    return entries


CSV_COLUMNS = (
    "time_utc",
    "time_london",
    "category",
    "audit_index",
    "request_id",
    "client",
    "actor_kind",
    "person_name",
    "person_issuer",
    "person_subject",
    "system_owner",
    "partner",
    "agreement",
    "view",
    "dataset",
    "upload_id",
    "purpose",
    "lawful_basis",
    "justification",
    "case_reference",
    "rows",
    "recipients",
)


def csv_row(entry: S62Entry) -> list:
    values = {
        "time_utc": entry.time.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "time_london": london(entry.time).strftime("%Y-%m-%d %H:%M:%S"),
        "category": entry.category,
        "audit_index": entry.audit_index,
        "request_id": entry.request_id,
        "client": entry.client,
        "actor_kind": entry.who.kind,
        "person_name": entry.who.name,
        "person_issuer": entry.who.issuer,
        "person_subject": entry.who.subject,
        "system_owner": entry.who.owner,
        "partner": entry.partner,
        "agreement": entry.agreement,
        "view": entry.view,
        "dataset": entry.dataset,
        "upload_id": entry.upload_id,
        "purpose": entry.purpose,
        "lawful_basis": entry.lawful_basis,
        "justification": entry.justification,
        "case_reference": entry.case_reference,
        "rows": entry.rows,
        "recipients": " ".join(entry.recipients),
    }
    # Justifications and case references are typed by people: a cell starting "=" must
    # stay text in a spreadsheet (hub.views.escape_cell, OWASP's CSV injection advice).
    return ["" if values[c] is None else escape_cell(values[c]) for c in CSV_COLUMNS]


def to_csv(entries: list[S62Entry]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow(csv_row(entry))
    return out.getvalue().encode("utf-8")
