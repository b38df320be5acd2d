"""An agreement's lifecycle status as a pure function of the facts: which version is loaded,
which parties approved it, whether it is suspended, and today's date. No I/O here: the
database side is hub/agreements/lifecycle.py, and `decide` (tests too) can evaluate states
without a database.

Statuses, first match wins:

| status        | when                                                                   |
|---------------|------------------------------------------------------------------------|
| `superseded`  | a newer version of the file has been loaded (by this or another        |
|               | process): the version this process runs governs nothing new            |
| `expired`     | today is after `end`                                                   |
| `suspended`   | a party's IG officer suspended it and nobody has resumed it            |
| `proposed`    | some party has not approved this version yet                           |
| `not_started` | every party approved it, but today is before `start`                   |
| `active`      | every party approved it and today is between `start` and `end`         |

Only `active` lets data be shared (uploads, view queries).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal, get_args

from hub.agreements.model import Agreement

Status = Literal["proposed", "not_started", "active", "suspended", "expired", "superseded"]
STATUSES: tuple[str, ...] = get_args(Status)
PROPOSED, NOT_STARTED, ACTIVE, SUSPENDED, EXPIRED, SUPERSEDED = STATUSES


@dataclass(frozen=True)
class PartyApproval:
    partner: str
    approved: bool
    approved_at: datetime | None = None
    approved_by: str | None = None  # the IG officer's client id


@dataclass(frozen=True)
class VersionInfo:
    """One version of the agreement file as loaded, and its last recorded status."""

    version: str  # SHA-256 of the file
    loaded_at: datetime
    status: str


@dataclass(frozen=True)
class Suspension:
    reason: str
    partner: str
    client: str
    at: datetime
    resume_requested_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class AgreementState:
    agreement_id: str
    title: str
    version: str  # SHA-256 of the file this process loaded
    status: str
    parties: list[PartyApproval]
    start: date
    end: date
    review_date: date
    due_for_review: bool
    suspended_reason: str | None = None
    suspended_by_partner: str | None = None
    suspended_at: datetime | None = None
    resume_requested_by: tuple[str, ...] = ()
    versions: list[VersionInfo] = field(default_factory=list)  # oldest first
    today: date | None = None  # the day the status was worked out for

    @property
    def awaiting(self) -> list[str]:
        """The parties that have not approved this version, in the file's order."""
        return [p.partner for p in self.parties if not p.approved]

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    def approval_of(self, partner: str) -> PartyApproval | None:
        return next((p for p in self.parties if p.partner == partner), None)


def evaluate(
    agreement: Agreement,
    *,
    version: str,
    today: date,
    approvals: Mapping[str, PartyApproval] | None = None,
    suspension: Suspension | None = None,
    superseded: bool = False,
    versions: Sequence[VersionInfo] = (),
) -> AgreementState:
    """The state of `agreement` (loaded at `version`) on `today`, given the approvals of that
    version by partner and the open suspension, if any."""
    approvals = approvals or {}
    parties = [
        approvals.get(p.partner)
        if approvals.get(p.partner) is not None and approvals[p.partner].approved
        else PartyApproval(partner=p.partner, approved=False)
        for p in agreement.parties
    ]
    if superseded:
        status = SUPERSEDED
    elif today > agreement.end:
        status = EXPIRED
    elif suspension is not None:
        status = SUSPENDED
    elif not all(p.approved for p in parties):
        status = PROPOSED
    elif today < agreement.start:
        status = NOT_STARTED
    else:
        status = ACTIVE
    return AgreementState(
        agreement_id=agreement.id,
        title=agreement.title,
        version=version,
        status=status,
        parties=parties,
        start=agreement.start,
        end=agreement.end,
        review_date=agreement.review_date,
        due_for_review=agreement.review_date <= today,
        suspended_reason=suspension.reason if suspension else None,
        suspended_by_partner=suspension.partner if suspension else None,
        suspended_at=suspension.at if suspension else None,
        resume_requested_by=suspension.resume_requested_by if suspension else (),
        versions=list(versions),
        today=today,
    )


def approved_by_every_party(
    agreement: Agreement, *, version: str, today: date, at: datetime | None = None
) -> AgreementState:
    """The state as if every party had approved `version`: for tests and tools that decide
    without a database."""
    moment = at or datetime(today.year, today.month, today.day, tzinfo=UTC)
    approvals = {
        p.partner: PartyApproval(p.partner, True, moment, f"approver-{p.partner}")
        for p in agreement.parties
    }
    return evaluate(agreement, version=version, today=today, approvals=approvals)
