"""The lifecycle of an agreement in the database: approvals, suspension and resumption, and
the transitions that time (or a changed file) brings. The statuses and how they are worked
out are in hub/agreements/state.py; this module reads and writes the facts.

- A version (one content hash of the file, an `AgreementRecord`) starts `proposed`
  (hub/agreements/sync.py). Each party's IG officer approves it (`approve`); approvals are of
  that version only. A changed file is a new version and needs every party's approval again.
- Any party's IG officer may `suspend` it with a reason (takes effect at the next decision,
  that is at once) and `resume` it. A suspension is of the agreement, whatever its version.
- Every change is one audit event (`agreement.approve`, ...), with `details.status`
  {from, to}, handed to the `record` the caller passes: `audit.note_event` makes it the HTTP
  request's own event, `audit.append` appends it in the transaction that made the change. A
  change that time brings (`active` on the
  start date, `expired` after the end) is appended with a system actor as
  `agreement.activated`, `agreement.expired`, ... the first time a process works the state
  out after it happened (every decision that shares data, every read of the API, and
  `hub db upgrade` / `hub serve` at start).
- "Once" holds across processes: `AgreementRecord.status` is the last status recorded, and a
  transition is written by a transaction that locks the version's row (SELECT ... FOR UPDATE
  on PostgreSQL; SQLite's BEGIN IMMEDIATE locks the database), works the state out again and
  updates the status only if it still differs, appending the event in that same transaction.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from hub import audit, clock, db
from hub.agreements import rules
from hub.agreements.current import current_policies, enforce
from hub.agreements.model import Agreement
from hub.agreements.rules import Decision, Lifecycle, Resource
from hub.agreements.state import (
    ACTIVE,
    EXPIRED,
    NOT_STARTED,
    PROPOSED,
    SUPERSEDED,
    SUSPENDED,
    AgreementState,
    PartyApproval,
    Suspension,
    VersionInfo,
    evaluate,
)
from hub.audit import Record
from hub.auth import Identity
from hub.db.models import AgreementApproval, AgreementRecord, AgreementSuspension
from hub.errors import Conflict, Forbidden, HubError, InvalidRequest, NotFound

log = logging.getLogger(__name__)

# The actor of events no request caused (a date passing, a file loaded at start).
SYSTEM_ACTOR = audit.Actor(client=None, partner=None, roles=("system",))

# The audit action of a transition no request made, by the status reached.
TRANSITION_ACTIONS = {
    PROPOSED: "agreement.proposed",
    NOT_STARTED: "agreement.scheduled",
    ACTIVE: "agreement.activated",
    SUSPENDED: "agreement.suspended",
    EXPIRED: "agreement.expired",
    SUPERSEDED: "agreement.superseded",
}

MAX_REASON = 1000

# A reason is read by every party and kept in the audit log for good, so it may not carry
# what looks like a personal identifier: an NHS number, a UPN, a PNC ID, a postcode, or any
# long run of digits. (Names and dates of birth cannot be told from prose; the API says so.)
_IDENTIFIER_LIKE = re.compile(
    # a long number standing alone: not the digits inside a version hash or another token
    # of letters and digits (an agreement's sha256 is quoted in reasons)
    r"(?<![0-9A-Za-z])\d{8,}(?![0-9A-Za-z])"
    r"|\b\d{3}[ -]\d{3}[ -]\d{4}\b"  # an NHS number as printed
    r"|\b[A-Z]\d{11}[0-9A-Z]\b"  # a UPN
    r"|\b\d{2}(?:\d{2})?/\d{1,7}[A-Z]\b"  # a PNC ID
    r"|\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b",  # a postcode
    re.IGNORECASE,
)


def looks_like_identifier(text: str) -> bool:
    """Whether free text (a reason, a justification, a necessity statement) looks as if it
    holds a personal identifier: the check suspension reasons pass."""
    return bool(_IDENTIFIER_LIKE.search(text or ""))


class LifecycleUnavailable(HubError):
    """The state of an agreement cannot be worked out (its version is not in the database)."""

    status = 503
    code = "agreement_state_unavailable"
    title = "Agreement state unavailable"


@dataclass(frozen=True)
class _Facts:
    """What the database holds about the loaded version of one agreement."""

    record_id: int
    recorded_status: str
    approval_round: int
    approvals: dict[str, PartyApproval]
    suspension: Suspension | None
    suspension_id: int | None
    versions: list[VersionInfo]


# -- reading -----------------------------------------------------------------------------------


def current_version(agreement_id: str) -> str:
    """The content hash of the agreement file this process loaded: the version it runs."""
    file = current_policies().files.get(agreement_id)
    if file is None:
        raise NotFound(
            f"There is no agreement `{agreement_id}`: GET /api/v1/agreements lists yours."
        )
    return file.sha256


def agreement_states(*, today: date | None = None) -> list[AgreementState]:
    """The state of every loaded agreement, with its versions (recording any transition)."""
    today = today or clock.today()
    return [_state(agreement_id, today) for agreement_id in current_policies().agreements]


def agreement_state(agreement_id: str, *, today: date | None = None) -> AgreementState:
    """The state of one agreement, with its versions; NotFound if it is not loaded."""
    return _state(agreement_id, today or clock.today())


def lifecycle_state(agreement_id: str, today: date) -> AgreementState:
    """The state `decide` asks for, without the version history, read afresh: a suspension
    takes effect at the next decision. (`lifecycle_once` reads it once for many decisions.)"""
    return _state(agreement_id, today, with_versions=False)


def lifecycle_once() -> Lifecycle:
    """A `Lifecycle` for the decisions of one moment (the views one request lists, the
    datasets of one query): each agreement's state is read once, on first use."""
    seen: dict[tuple[str, date], AgreementState] = {}

    def lifecycle(agreement_id: str, today: date) -> AgreementState:
        key = (agreement_id, today)
        if key not in seen:
            seen[key] = lifecycle_state(agreement_id, today)
        return seen[key]

    return lifecycle


def agreement_terms(agreement_id: str, version: str) -> Agreement:
    """The terms of one version of an agreement, as loaded: those that govern the data shared
    under it (`Upload.agreement_version`), even after the file changed."""
    with db.read_only() as session:
        record = session.exec(
            select(AgreementRecord).where(
                AgreementRecord.agreement_id == agreement_id,
                AgreementRecord.content_hash == version,
            )
        ).first()
    if record is None:
        raise NotFound(f"Agreement `{agreement_id}` has no version {version} in the hub.")
    return Agreement.model_validate(record.document)


def _state(agreement_id: str, today: date, *, with_versions: bool = True) -> AgreementState:
    agreement = _agreement(agreement_id)
    version = current_version(agreement_id)
    engine = db.get_engine()
    with db.read_only(engine) as session:
        facts = _facts(session, agreement_id, version, with_versions=with_versions)
    state = _evaluate(agreement, version, facts, today)
    if state.status != facts.recorded_status:
        _settle(engine, agreement, version, today)
    return state


def settle_all(*, today: date | None = None) -> None:
    """Record the transitions time brought to every loaded agreement (at start, say)."""
    today = today or clock.today()
    engine = db.get_engine()
    for agreement_id, agreement in current_policies().agreements.items():
        _settle(engine, agreement, current_version(agreement_id), today)


def _settle(engine, agreement: Agreement, version: str, today: date) -> None:
    """Record once the status the version has come to, if it is not the one last recorded."""
    with db.unit_of_work(engine) as session:
        facts = _facts(session, agreement.id, version, lock=True)
        state = _evaluate(agreement, version, facts, today)
        if state.status == facts.recorded_status:
            return  # another process (or request) recorded it first
        _set_status(session, facts, state.status)
        audit.append(
            session,
            audit.NewEvent(
                action=TRANSITION_ACTIONS[state.status],
                resource=_label(agreement.id),
                outcome="allowed",
                reason=f"Agreement `{agreement.id}` is now {state.status.replace('_', ' ')}.",
                actor=SYSTEM_ACTOR,
                details={
                    "version": version,
                    "status": {"from": facts.recorded_status, "to": state.status},
                    "today": today.isoformat(),
                },
            ),
        )


def _facts(
    session: Session,
    agreement_id: str,
    version: str,
    *,
    lock: bool = False,
    with_versions: bool = False,
) -> _Facts:
    query = select(AgreementRecord).where(
        AgreementRecord.agreement_id == agreement_id, AgreementRecord.content_hash == version
    )
    record = session.exec(query.with_for_update() if lock else query).first()
    if record is None:
        raise LifecycleUnavailable(
            f"Agreement `{agreement_id}` (version {version[:12]}) is not in the hub's database: "
            "the hub's operators must run `hub db upgrade` (or restart the hub)."
        )
    approvals = {
        a.partner_id: PartyApproval(a.partner_id, True, a.approved_at, a.client_id)
        for a in session.exec(
            select(AgreementApproval).where(
                AgreementApproval.agreement_record_id == record.id,
                AgreementApproval.approval_round == record.approval_round,
            )
        )
    }
    open_suspension = session.exec(
        select(AgreementSuspension).where(
            AgreementSuspension.agreement_id == agreement_id,
            AgreementSuspension.resumed_at.is_(None),
        )
    ).first()
    versions = []
    if with_versions:
        versions = [
            VersionInfo(r.content_hash, r.loaded_at, r.status)
            for r in session.exec(
                select(AgreementRecord)
                .where(AgreementRecord.agreement_id == agreement_id)
                .order_by(AgreementRecord.id)
            )
        ]
    return _Facts(
        record_id=record.id,
        recorded_status=record.status,
        approval_round=record.approval_round,
        approvals=approvals,
        suspension=(
            Suspension(
                reason=open_suspension.reason,
                partner=open_suspension.suspended_by_partner,
                client=open_suspension.suspended_by_client,
                at=open_suspension.suspended_at,
                resume_requested_by=tuple(open_suspension.resume_requested_by or ()),
            )
            if open_suspension
            else None
        ),
        suspension_id=open_suspension.id if open_suspension else None,
        versions=versions,
    )


_AS_RECORDED: Any = object()


def _evaluate(
    agreement: Agreement,
    version: str,
    facts: _Facts,
    today: date,
    *,
    approvals: dict[str, PartyApproval] | None = None,
    suspension: Suspension | None = _AS_RECORDED,
) -> AgreementState:
    """The state from the facts; `approvals` and `suspension` stand in for the facts as a
    transaction is about to change them. In the version history the loaded version shows the
    status in force, the others the status last recorded."""
    state = evaluate(
        agreement,
        version=version,
        today=today,
        approvals=facts.approvals if approvals is None else approvals,
        suspension=facts.suspension if suspension is _AS_RECORDED else suspension,
        superseded=facts.recorded_status == SUPERSEDED,
    )
    return replace(
        state,
        versions=[
            VersionInfo(v.version, v.loaded_at, state.status) if v.version == version else v
            for v in facts.versions
        ],
    )


def _set_status(session: Session, facts: _Facts, status: str) -> None:
    if status != facts.recorded_status:
        session.execute(
            update(AgreementRecord)
            .where(AgreementRecord.id == facts.record_id)
            .values(status=status, status_changed_at=clock.now())
        )


# -- changing ----------------------------------------------------------------------------------


def approve(identity: Identity, agreement_id: str, *, record: Record) -> AgreementState:
    """`agreement.approve`: the caller's party approves the loaded version. Approving twice
    changes nothing. Conflict for an expired or superseded version.

    `record` takes the change's audit event: `audit.note_event` within an HTTP request (the
    request's own event), `audit.append` anywhere else."""
    return record_approval(identity, agreement_id, record=record)[0]


def record_approval(
    identity: Identity, agreement_id: str, *, record: Record, today: date | None = None
) -> tuple[AgreementState, bool]:
    """As `approve`; also says whether this call recorded the approval (False: it already was)."""
    today = today or clock.today()
    agreement, allowed = _authorise(identity, "agreement.approve", agreement_id)
    version = current_version(agreement_id)
    engine = db.get_engine()
    try:
        with db.unit_of_work(engine) as session:
            facts = _facts(session, agreement_id, version, lock=True, with_versions=True)
            before = _evaluate(agreement, version, facts, today)
            mine = before.approval_of(identity.partner)
            if mine is not None and mine.approved:
                _tell(record, session, identity, allowed, _already(version, before))
                return before, False
            if before.status in (EXPIRED, SUPERSEDED):
                raise _cannot("approve", agreement, before)
            row = AgreementApproval(
                agreement_record_id=facts.record_id,
                approval_round=facts.approval_round,
                agreement_id=agreement_id,
                content_hash=version,
                partner_id=identity.partner,
                client_id=identity.client_id,
            )
            session.add(row)
            session.flush()
            approvals = {
                **facts.approvals,
                identity.partner: PartyApproval(
                    identity.partner, True, row.approved_at, identity.client_id
                ),
            }
            after = _evaluate(agreement, version, facts, today, approvals=approvals)
            _set_status(session, facts, after.status)
            _tell(
                record,
                session,
                identity,
                allowed,
                {
                    "version": version,
                    "status": {"from": facts.recorded_status, "to": after.status},
                    "awaiting": after.awaiting,
                },
            )
    except IntegrityError:
        # The same party's approval, sent twice at once: the other one recorded it.
        state = agreement_state(agreement_id, today=today)
        _tell(record, engine, identity, allowed, _already(version, state))
        return state, False
    return after, True


def suspend(
    identity: Identity,
    agreement_id: str,
    *,
    reason: str,
    record: Record,
    today: date | None = None,
) -> AgreementState:
    """`agreement.suspend`: nothing is shared under the agreement from now until it is
    resumed. The reason is required. Conflict if it is suspended already or has ended.
    `record` takes the audit event, as for `approve`."""
    today = today or clock.today()
    agreement, allowed = _authorise(identity, "agreement.suspend", agreement_id)
    reason = _check_reason(reason, required=True)
    version = current_version(agreement_id)
    engine = db.get_engine()
    try:
        with db.unit_of_work(engine) as session:
            facts = _facts(session, agreement_id, version, lock=True, with_versions=True)
            before = _evaluate(agreement, version, facts, today)
            if facts.suspension is not None:
                raise _already_suspended(agreement_id, facts.suspension)
            if before.status == EXPIRED:
                raise _cannot("suspend", agreement, before)
            row = AgreementSuspension(
                agreement_id=agreement_id,
                content_hash=version,
                reason=reason,
                suspended_by_client=identity.client_id,
                suspended_by_partner=identity.partner,
            )
            session.add(row)
            session.flush()
            suspension = Suspension(reason, identity.partner, identity.client_id, row.suspended_at)
            after = _evaluate(agreement, version, facts, today, suspension=suspension)
            _set_status(session, facts, after.status)
            _tell(
                record,
                session,
                identity,
                allowed,
                {
                    "version": version,
                    "status": {"from": facts.recorded_status, "to": after.status},
                    "suspension_reason": reason,
                },
            )
    except IntegrityError:
        # Two parties suspended it at once: the other one's suspension stands.
        state = agreement_state(agreement_id, today=today)
        raise _already_suspended(
            agreement_id,
            Suspension(
                state.suspended_reason or "",
                state.suspended_by_partner or "",
                "",
                state.suspended_at or clock.now(),
            ),
        ) from None
    return after


def resume(
    identity: Identity,
    agreement_id: str,
    *,
    reason: str | None = None,
    record: Record,
    today: date | None = None,
) -> AgreementState:
    """`agreement.resume`: lift the open suspension. The suspending party's IG officer lifts
    it alone; another party's only asks, and the suspension is lifted once every party but
    the suspending one has asked (every party together; in a two-party agreement, then, only
    the suspending party can). Until then the agreement stays
    suspended and the answer says who is awaited. Once lifted, the agreement is whatever its
    approvals and dates make it. Conflict if not suspended, or if this party asked already.
    `record` takes the audit event, as for `approve`."""
    today = today or clock.today()
    agreement, allowed = _authorise(identity, "agreement.resume", agreement_id)
    reason = _check_reason(reason, required=False)
    version = current_version(agreement_id)
    engine = db.get_engine()
    with db.unit_of_work(engine) as session:
        facts = _facts(session, agreement_id, version, lock=True, with_versions=True)
        if facts.suspension is None:
            raise Conflict(
                f"Agreement `{agreement_id}` is not suspended, so there is nothing to resume "
                f"(GET /api/v1/agreements/{agreement_id} shows its status).",
                code="not_suspended",
            )
        suspender = facts.suspension.partner
        if identity.partner != suspender:
            asked = set(facts.suspension.resume_requested_by) | {identity.partner}
            others = {p.partner for p in agreement.parties} - {suspender}
            if len(others) < 2:
                # One other party alone never overrules the one that suspended.
                raise Forbidden(
                    f"Agreement `{agreement_id}` was suspended by {suspender}; with two parties "
                    f"only {suspender}'s IG officer can resume it. Ask them to.",
                    code="not_the_suspending_party",
                    extra={"rule": "suspending-party-resumes"},
                )
            awaited = sorted(others - asked)
            if identity.partner in facts.suspension.resume_requested_by:
                raise Conflict(
                    f"{identity.partner} has already asked to resume `{agreement_id}`; it stays "
                    f"suspended until {suspender} resumes it, or until "
                    f"{', '.join(awaited) or 'every other party'} ask as well.",
                    code="resume_already_requested",
                )
            if awaited:
                session.execute(
                    update(AgreementSuspension)
                    .where(AgreementSuspension.id == facts.suspension_id)
                    .values(resume_requested_by=sorted(asked))
                )
                still = replace(facts.suspension, resume_requested_by=tuple(sorted(asked)))
                after = _evaluate(agreement, version, facts, today, suspension=still)
                _tell(
                    record,
                    session,
                    identity,
                    allowed,
                    {
                        "version": version,
                        "status": {"from": facts.recorded_status, "to": after.status},
                        "resume_requested": True,
                        "resume_requested_by": sorted(asked),
                        "awaiting": awaited,
                        "suspended": {"by_partner": suspender, "reason": facts.suspension.reason},
                    },
                )
                return after
        lifted = session.execute(
            update(AgreementSuspension)
            .where(
                AgreementSuspension.id == facts.suspension_id,
                AgreementSuspension.resumed_at.is_(None),
            )
            .values(
                resumed_at=clock.now(),
                resumed_by_client=identity.client_id,
                resumed_by_partner=identity.partner,
                resume_reason=reason,
            )
        )
        if lifted.rowcount != 1:
            raise Conflict(
                f"Agreement `{agreement_id}` was resumed by someone else a moment ago.",
                code="not_suspended",
            )
        after = _evaluate(agreement, version, facts, today, suspension=None)
        _set_status(session, facts, after.status)
        _tell(
            record,
            session,
            identity,
            allowed,
            {
                "version": version,
                "status": {"from": facts.recorded_status, "to": after.status},
                "resume_reason": reason,
                "suspended": {
                    "by_partner": facts.suspension.partner,
                    "at": facts.suspension.at.isoformat(),
                    "reason": facts.suspension.reason,
                },
            },
        )
    return after


# -- helpers -----------------------------------------------------------------------------------


def _agreement(agreement_id: str) -> Agreement:
    agreement = current_policies().agreements.get(agreement_id)
    if agreement is None:
        raise NotFound(
            f"There is no agreement `{agreement_id}`: GET /api/v1/agreements lists yours."
        )
    return agreement


def _label(agreement_id: str) -> str:
    return Resource(kind="agreement", agreement_id=agreement_id).label


@dataclass(frozen=True)
class _Allowed:
    action: str
    agreement_id: str
    decision: Decision


def _authorise(identity: Identity, action: str, agreement_id: str) -> tuple[Agreement, _Allowed]:
    """Decide; raises Forbidden if refused (`enforce` notes why for a request's event)."""
    agreement = _agreement(agreement_id)
    resource = Resource(kind="agreement", agreement_id=agreement_id)
    decision = enforce(
        rules.decide(
            identity,
            action,
            resource,
            policies=current_policies(),
            today=clock.today(),
            lifecycle=lifecycle_state,
        )
    )
    return agreement, _Allowed(action, agreement_id, decision)


def _tell(
    record: Record,
    target: Session | Engine,
    identity: Identity,
    allowed: _Allowed,
    details: dict[str, Any],
) -> None:
    """Hand the change's audit event to `record`, with the transaction that made it."""
    record(
        target,
        audit.NewEvent(
            action=allowed.action,
            resource=_label(allowed.agreement_id),
            outcome="allowed",
            reason=allowed.decision.reason,
            actor=identity,
            details={**details, "rule": allowed.decision.rule},
        ),
    )


def _already(version: str, state: AgreementState) -> dict[str, Any]:
    return {
        "version": version,
        "status": {"from": state.status, "to": state.status},
        "already_approved": True,
    }


def _check_reason(reason: str | None, *, required: bool) -> str | None:
    text = (reason or "").strip()
    if not text:
        if required:
            raise InvalidRequest(
                "Give the reason for suspending the agreement (`reason`): every party reads it.",
                code="reason_required",
            )
        return None
    if len(text) > MAX_REASON:
        raise InvalidRequest(f"A reason is at most {MAX_REASON} characters.")
    if _IDENTIFIER_LIKE.search(text):
        raise InvalidRequest(
            "The reason looks as if it holds a personal identifier (a long number, an NHS "
            "number, a UPN, a PNC ID or a postcode). Every party reads it and the audit log keeps "
            "it for good: describe the problem without naming anyone, and keep case details in "
            "your own records.",
            code="reason_has_identifier",
        )
    return text


_PARTICIPLES = {"approve": "approved", "suspend": "suspended"}


def _cannot(verb: str, agreement: Agreement, state: AgreementState) -> Conflict:
    if state.status == EXPIRED:
        why = f"it ended on {agreement.end}"
        fix = "A renewed agreement (a new file with new dates) needs its own approvals."
    else:
        why = "a newer version of its file has been loaded"
        fix = "The hub's operators must restart this server so that it runs the new version."
    return Conflict(
        f"Agreement `{agreement.id}` cannot be {_PARTICIPLES[verb]} now: {why}. {fix}",
        code=f"agreement_{state.status}",
        extra={"status": state.status},
    )


def _already_suspended(agreement_id: str, suspension: Suspension) -> Conflict:
    return Conflict(
        f"Agreement `{agreement_id}` is already suspended by `{suspension.partner}` since "
        f"{suspension.at:%Y-%m-%d %H:%M} UTC (reason: {suspension.reason.rstrip('.')}). Resume it "
        f"first (POST /api/v1/agreements/{agreement_id}/resume) if the suspension should change.",
        code="already_suspended",
    )
