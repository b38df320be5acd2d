"""What the public transparency page shows: the agreements in force, monthly counts of
uploads, queries and refusals, the latest signed checkpoint of the audit log, and each
forecast view's method, back-test figures and disparity report (Maximum Transparency by
Default: no counts, no places).

Nothing here names a person or an OAuth client: agreements name organisations, counts are
totals over a month, and a checkpoint is a size, a root hash and a signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, func, select

from hub import agreements as agreements_package
from hub import db
from hub.agreements import Agreement, Policies
from hub.db.models import AuditCheckpoint, AuditEvent
from hub.errors import HubError
from hub.governance.describe import basis_text, partner_name
from hub.governance.periods import add_months, as_utc, last_months, london_midnight

MONTHS_SHOWN = 12
UPLOAD = "dataset.upload"
PUBLISHED = "upload.published"
QUERY = "view.query"
QUARTERS_SHOWN = 4
REID_REQUEST = "reidentification.request"
REID_APPROVE = "reidentification.approve"
REID_REJECT = "reidentification.reject"
REID_REVEAL = "reidentification.reveal"


@dataclass(frozen=True)
class PartyOut:
    name: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class BasisOut:
    provider: str
    basis: str
    legislation: tuple[str, ...]


@dataclass(frozen=True)
class DatasetOut:
    dataset: str
    title: str
    provider: str
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class AgreementOut:
    id: str
    title: str
    status: str
    purpose: str
    parties: tuple[PartyOut, ...]
    lawful_bases: tuple[BasisOut, ...]
    datasets: tuple[DatasetOut, ...]
    retention_days: int
    start: date
    end: date
    review_date: date
    dpia_reference: str
    min_cell_size: int


@dataclass(frozen=True)
class MonthOut:
    month: date  # its first day
    uploads: int  # accepted for processing (dataset.upload allowed)
    published: int  # passed their contract and were published
    queries: int  # view queries answered
    refusals: int  # requests refused, any action


@dataclass(frozen=True)
class QuarterOut:
    """Re-identification in one UK calendar quarter (DPA 2018 s.171 requests)."""

    first: date  # the quarter's first day
    requests: int  # requests made
    approvals: int  # approvals given (two are needed per request)
    rejections: int  # requests rejected
    reveals: int  # references revealed (once per approved request)

    @property
    def label(self) -> str:
        return f"{self.first.year} Q{(self.first.month - 1) // 3 + 1}"


@dataclass(frozen=True)
class CheckpointOut:
    size: int
    root: str
    note: str
    created_at: datetime


def _statuses(today: date) -> dict[str, str] | None:
    """Agreement id -> lifecycle status, or None where the hub has no lifecycle to ask."""
    states = getattr(agreements_package, "agreement_states", None)
    if states is None:
        return None
    return {s.agreement_id: s.status for s in states(today=today)}


def agreements_in_force(policies: Policies, *, today: date) -> list[AgreementOut]:
    """The agreements under which data may be shared today: lifecycle status `active` (every
    party approved the version loaded, not suspended, between start and end)."""
    statuses = _statuses(today)
    found = []
    for agreement in sorted(policies.agreements.values(), key=lambda a: a.title):
        if statuses is not None:
            status = statuses.get(agreement.id, "")
            if status != "active":
                continue
        elif not agreement.in_force(today):
            continue
        else:
            status = "in force"
        found.append(_describe(agreement, policies, status))
    return found


def _describe(agreement: Agreement, policies: Policies, status: str) -> AgreementOut:
    def name(partner: str) -> str:
        return partner_name(policies, partner)

    datasets = []
    for share in agreement.datasets:
        contract = policies.contracts.get(share.dataset)
        datasets.append(
            DatasetOut(
                dataset=share.dataset,
                title=contract.title if contract else share.dataset,
                provider=name(share.provider),
                recipients=tuple(name(r.partner) for r in share.recipients),
            )
        )
    return AgreementOut(
        id=agreement.id,
        title=agreement.title,
        status=status,
        purpose=agreement.purpose.description,
        parties=tuple(PartyOut(name(p.partner), tuple(p.roles)) for p in agreement.parties),
        lawful_bases=tuple(
            BasisOut(name(b.provider), basis_text(b), tuple(b.legislation))
            for b in agreement.lawful_basis
        ),
        datasets=tuple(datasets),
        retention_days=agreement.retention_days,
        start=agreement.start,
        end=agreement.end,
        review_date=agreement.review_date,
        dpia_reference=agreement.dpia_reference,
        min_cell_size=agreement.min_cell_size,
    )


def monthly_counts(*, today: date, months: int = MONTHS_SHOWN, engine=None) -> list[MonthOut]:
    """Per UK month, the last `months` up to this one (oldest first): uploads, published
    uploads, queries answered and refusals, counted from the audit log."""
    e = AuditEvent.__table__

    def count(*conditions):
        return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)

    columns = (
        count(e.c.action == UPLOAD, e.c.outcome == "allowed"),
        count(e.c.action == PUBLISHED),
        count(e.c.action == QUERY, e.c.outcome == "allowed"),
        count(e.c.outcome == "denied"),
    )
    out = []
    with (engine or db.get_engine()).connect() as connection:
        for first in last_months(today, months):
            since, until = london_midnight(first), london_midnight(add_months(first, 1))
            row = connection.execute(
                select(*columns).where(e.c.time >= since, e.c.time < until)
            ).one()
            out.append(MonthOut(first, *(int(v) for v in row)))
    return out


def quarterly_reidentifications(
    *, today: date, quarters: int = QUARTERS_SHOWN, engine=None
) -> list[QuarterOut]:
    """Per UK calendar quarter, the last `quarters` up to this one (oldest first): the
    re-identification requests made, approvals, rejections and reveals (allowed events)."""
    e = AuditEvent.__table__

    def count(action: str):
        return func.coalesce(
            func.sum(case((and_(e.c.action == action, e.c.outcome == "allowed"), 1), else_=0)),
            0,
        )

    this = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    firsts = [add_months(this, -3 * n) for n in range(quarters - 1, -1, -1)]
    columns = (count(REID_REQUEST), count(REID_APPROVE), count(REID_REJECT), count(REID_REVEAL))
    out = []
    with (engine or db.get_engine()).connect() as connection:
        for first in firsts:
            since, until = london_midnight(first), london_midnight(add_months(first, 3))
            row = connection.execute(
                select(*columns).where(e.c.time >= since, e.c.time < until)
            ).one()
            out.append(QuarterOut(first, *(int(v) for v in row)))
    return out


def latest_checkpoint(*, engine=None) -> CheckpointOut | None:
    """The newest checkpoint the hub has signed and kept."""
    c = AuditCheckpoint.__table__
    query = select(c.c.size, c.c.root, c.c.note, c.c.created_at).order_by(c.c.size.desc())
    with (engine or db.get_engine()).connect() as connection:
        row = connection.execute(query.limit(1)).first()
    if row is None:
        return None
    return CheckpointOut(row.size, row.root, row.note, as_utc(row.created_at))


def published_forecasts(policies: Policies, *, today: date) -> list[dict]:
    """Each forecast view of an agreement in force: method, crime types, each model's back-test
    PAI and PEI* per budget beside the baseline's, what is served and why, and the disparity
    report. A view whose figures cannot be made says so rather than stopping the page."""
    from hub.views import forecast_views
    from hub.views.forecast.run import published

    out = []
    in_force = {a.id for a in agreements_in_force(policies, today=today)}
    for view in forecast_views():
        if view.agreement not in in_force:
            continue
        try:
            out.append(published(view, policies, today=today))
        except HubError as exc:  # e.g. a study area too large to grid
            out.append({"id": view.id, "title": view.title, "error": exc.detail})
    return out
