"""The notification feed of each recipient: made in the correcting transaction, read by the
recipient's analysts and IG officers, acknowledged, and watched by the IG console.

Thin on purpose: the feed lists ids, types, counts and links; a notice's subjects (which of
the recipient's own answers showed whom, or which aggregate cells) come from
GET /api/v1/notifications/{id}, an audited read. A recipient is only ever told pseudonyms it
was already shown. For an erasure not even that stays: the subject holds a match token,
HMAC-SHA256 keyed by the notice's id over the pseudonym, which the recipient recomputes over
the pseudonyms in its copies of the answers named by `request_ids`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select, text, update
from sqlmodel import Session

from hub import audit, clock, db
from hub.agreements import Decision, enforce
from hub.audit import NewEvent
from hub.auth import Identity
from hub.db.models import (
    Notification,
    NotificationSubject,
    ViewSeen,
    WebhookDelivery,
    WebhookEndpoint,
)
from hub.errors import Conflict, InvalidRequest, NotFound

ACK_ACTIONS = ("rectified", "erased", "restricted", "no_copy_held")
OVERDUE_DAYS = 30  # UK GDPR Art. 12(3): one month
MAX_LIMIT = 200
READERS = ("analyst", "ig_officer")


@dataclass
class SubjectPlan:
    """One subject of a notice: a person (`pseudonym`) or aggregate `cells` of a view."""

    kind: str  # person | cells
    view_id: str
    change: str  # rectified | erased | restricted | counts_changed
    linkage_domain: str | None = None
    pseudonym: str | None = None
    cells: list[dict[str, Any]] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)


@dataclass
class NoticePlan:
    """What one recipient must be told of one correction."""

    recipient_partner: str
    type: str
    subjects: list[SubjectPlan]

    @property
    def views(self) -> list[str]:
        return sorted({s.view_id for s in self.subjects})


def request_id() -> str:
    """The current HTTP request's id, for events a service appends itself."""
    from flask import g, has_request_context

    return (g.get("request_id") or "") if has_request_context() else ""


def match_token(notification_id: str, pseudonym: str) -> str:
    """What an erasure's subject holds instead of the pseudonym (see the module doc)."""
    return hmac.new(notification_id.encode(), pseudonym.encode(), hashlib.sha256).hexdigest()


def _lock_feed(session: Session) -> None:
    """One maker of notices at a time, so that `seq` grows in commit order and a reader paging
    by it never skips one. SQLite's write lock (BEGIN IMMEDIATE) already serialises them."""
    if db.is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(7240917)"))


def record_notices(
    session: Session,
    *,
    correction_id: str,
    agreement_id: str,
    dataset: str,
    plans: list[NoticePlan],
    erased: set[str] | frozenset[str] = frozenset(),
) -> list[Notification]:
    """Make the notices of one correction in the caller's transaction (one per recipient),
    their subjects, and a pending webhook delivery per endpoint of the recipient. Pseudonyms
    in `erased` are kept only as match tokens."""
    if not plans:
        return []
    _lock_feed(session)
    seq = session.execute(select(func.coalesce(func.max(Notification.seq), 0))).scalar_one()
    now = clock.now()
    made = []
    for plan in sorted(plans, key=lambda p: p.recipient_partner):
        seq += 1
        notice = Notification(
            id=str(uuid.uuid4()),
            seq=seq,
            recipient_partner=plan.recipient_partner,
            type=plan.type,
            agreement_id=agreement_id,
            dataset=dataset,
            correction_id=correction_id,
            views=plan.views,
            subject_count=len(plan.subjects),
            created_at=now,
        )
        session.add(notice)
        session.flush()
        for subject in plan.subjects:
            gone = subject.pseudonym is not None and subject.pseudonym in erased
            session.add(
                NotificationSubject(
                    notification_id=notice.id,
                    kind=subject.kind,
                    view_id=subject.view_id,
                    change=subject.change,
                    linkage_domain=subject.linkage_domain,
                    pseudonym=None if gone else subject.pseudonym,
                    match_token=match_token(notice.id, subject.pseudonym) if gone else None,
                    cells=subject.cells,
                    request_ids=sorted(subject.request_ids),
                )
            )
        endpoints = session.execute(
            select(WebhookEndpoint).where(
                WebhookEndpoint.partner_id == plan.recipient_partner,
                WebhookEndpoint.disabled_at.is_(None),
            )
        ).scalars()
        for endpoint in endpoints:
            if endpoint.events and plan.type not in endpoint.events:
                continue
            session.add(
                WebhookDelivery(
                    id=f"msg_{uuid.uuid4().hex}",
                    endpoint_id=endpoint.id,
                    notification_id=notice.id,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
        made.append(notice)
    session.flush()
    return made


# -- the recipient's side ----------------------------------------------------------------------


def _may_read(identity: Identity) -> None:
    if not identity.has_role(*READERS):
        enforce(
            Decision(
                False,
                "Notices are read by the analysts and IG officers of the organisation they are "
                "addressed to; this client has neither role.",
                "role-not-allowed",
            )
        )


def _own(identity: Identity, notification_id: str, *, action: str) -> Notification:
    """The notice, if it is addressed to the caller's organisation; 404 otherwise (ack: 403)."""
    audit.note(action=action, resource=f"notification:{notification_id}")
    try:
        uuid.UUID(notification_id)
    except ValueError:
        notice = None
    else:
        with db.read_only() as session:
            notice = session.get(Notification, notification_id)
    if notice is None:
        raise NotFound(
            f"There is no notice {notification_id}: GET /api/v1/notifications lists yours."
        )
    if notice.recipient_partner != identity.partner:
        enforce(
            Decision(
                False,
                f"Notice {notification_id} is addressed to another organisation; only its "
                "recipient reads or acknowledges it.",
                "not-the-recipient",
            )
        )
    _may_read(identity)
    enforce(
        Decision(
            True,
            f"`{identity.partner}` reads a notice addressed to it.",
            "recipient",
        )
    )
    return notice


def list_notifications(
    *, identity: Identity, after: str | None = None, limit: int = 50, unacked: bool = False
) -> tuple[list[Notification], str | None]:
    """The caller's organisation's notices, oldest first, after the cursor `after`."""
    audit.note(action="notification.read", resource="notifications")
    _may_read(identity)
    enforce(Decision(True, f"`{identity.partner}` reads its own notices.", "recipient"))
    limit = max(1, min(int(limit), MAX_LIMIT))
    query = select(Notification).where(Notification.recipient_partner == identity.partner)
    if after:
        query = query.where(Notification.seq > _read_cursor(after))
    if unacked:
        query = query.where(Notification.acked_at.is_(None))
    query = query.order_by(Notification.seq).limit(limit + 1)
    with db.read_only() as session:
        items = list(session.execute(query).scalars())
    next_cursor = None
    if len(items) > limit:
        items = items[:limit]
    if items:
        # The cursor of the last item, also on the last page: the recipient polls from it.
        next_cursor = _make_cursor(items[-1].seq)
    audit.note(details={"returned": len(items)})
    return items, next_cursor


def _make_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"n{seq}".encode()).decode().rstrip("=")


def _read_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("n"):
            raise ValueError(cursor)
        return int(raw[1:])
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest(
            "The cursor is not one the hub gave: use `next_cursor` from the previous page.",
            code="invalid_cursor",
        ) from exc


def get_notification(
    *, identity: Identity, notification_id: str
) -> tuple[Notification, list[NotificationSubject]]:
    """A notice with its subjects (`notification.read`): the recipient's analysts and IG."""
    notice = _own(identity, notification_id, action="notification.read")
    with db.read_only() as session:
        subjects = list(
            session.execute(
                select(NotificationSubject)
                .where(NotificationSubject.notification_id == notice.id)
                .order_by(NotificationSubject.id)
            ).scalars()
        )
    audit.note(details={"notification": notice.id, "subjects": len(subjects)})
    return notice, subjects


def ack_notification(
    *, identity: Identity, notification_id: str, action: str, note: str | None = None
) -> Notification:
    """`notification.ack`: the recipient says what it did with its copies; audited."""
    notice = _own(identity, notification_id, action="notification.ack")
    if action not in ACK_ACTIONS:
        raise InvalidRequest(f"`action` is one of: {', '.join(ACK_ACTIONS)}.")
    with db.unit_of_work() as session:
        notice = session.get(
            Notification, notice.id, with_for_update=db.is_postgres(session), populate_existing=True
        )
        if notice.acked_at is not None:
            if notice.ack_action == action:
                return notice
            raise Conflict(
                f"Notice {notice.id} was acknowledged already (`{notice.ack_action}`).",
                code="notification_acked",
            )
        notice.acked_at = clock.now()
        notice.ack_action = action
        notice.ack_by = identity.client_id
        notice.ack_note = (note or "")[:1000] or None
        session.add(notice)
        session.flush()
        audit.append(
            session,
            NewEvent(
                action="notification.acknowledged",
                resource=f"notification:{notice.id}",
                outcome="allowed",
                reason=f"Acknowledged by its recipient: {action}.",
                request_id=request_id(),
                actor=identity,
                details={
                    "notification": notice.id,
                    "correction": notice.correction_id,
                    "action": action,
                },
            ),
        )
    return notice


# -- the console and the analyst page ---------------------------------------------------------


@dataclass(frozen=True)
class RecipientDue:
    recipient: str
    outstanding: int
    overdue: list[Notification]


def overdue_by_recipient(
    *, agreement_ids: list[str], now: datetime | None = None
) -> list[RecipientDue]:
    """Per recipient, the notices under `agreement_ids` not yet acknowledged, and those of them
    older than OVERDUE_DAYS (the console's list)."""
    now = now or clock.now()
    if not agreement_ids:
        return []
    cutoff = now - timedelta(days=OVERDUE_DAYS)
    with db.read_only() as session:
        open_ = list(
            session.execute(
                select(Notification)
                .where(
                    Notification.agreement_id.in_(agreement_ids),
                    Notification.acked_at.is_(None),
                )
                .order_by(Notification.recipient_partner, Notification.seq)
            ).scalars()
        )
    by: dict[str, list[Notification]] = defaultdict(list)
    for notice in open_:
        by[notice.recipient_partner].append(notice)
    return [
        RecipientDue(
            recipient,
            len(notices),
            [n for n in notices if _aware(n.created_at) <= cutoff],
        )
        for recipient, notices in sorted(by.items())
    ]


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def mark_view_seen(*, identity: Identity, view_id: str) -> None:
    """The analyst has just seen an answer of `view_id`: the banner starts from here."""
    now = clock.now()
    with db.unit_of_work() as session:
        seen = session.get(ViewSeen, (identity.client_id, view_id))
        if seen is None:
            seen = ViewSeen(client_id=identity.client_id, view_id=view_id, seen_at=now)
        seen.seen_at = now
        session.add(seen)


def views_corrected_since(*, identity: Identity, view_id: str) -> list[Notification]:
    """Notices to the caller's organisation about earlier answers of `view_id` made since this
    analyst last saw an answer of it (every such notice if they never did)."""
    with db.read_only() as session:
        seen = session.get(ViewSeen, (identity.client_id, view_id))
        query = select(Notification).where(Notification.recipient_partner == identity.partner)
        if seen is not None:
            query = query.where(Notification.created_at > seen.seen_at)
        notices = list(session.execute(query.order_by(Notification.seq)).scalars())
    return [n for n in notices if view_id in (n.views or [])]


# -- erasure ----------------------------------------------------------------------------------


def erase_subjects(connection: Connection, erased) -> int:
    """The erasure registry's eraser (hub.store.row_keyed_tables): earlier notices that named
    an erased person keep only a match token."""
    if not erased.gone:
        return 0
    t = NotificationSubject.__table__
    rows = connection.execute(
        select(t.c.id, t.c.notification_id, t.c.pseudonym).where(
            t.c.linkage_domain == erased.linkage_domain, t.c.pseudonym.in_(sorted(erased.gone))
        )
    ).all()
    for row in rows:
        connection.execute(
            update(t)
            .where(t.c.id == row.id)
            .values(pseudonym=None, match_token=match_token(row.notification_id, row.pseudonym))
        )
    return len(rows)


def iso(moment: datetime | None) -> str | None:
    """UTC ISO 8601, as the API speaks (SQLite gives datetimes back without their zone)."""
    from datetime import UTC

    if moment is None:
        return None
    return _aware(moment).astimezone(UTC).isoformat().replace("+00:00", "Z")
