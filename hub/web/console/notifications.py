"""Notices of corrections: /console/notifications, per recipient, the notices under the
officer's agreements not acknowledged yet, and those overdue (not acknowledged within 30
days, UK GDPR Art. 12(3)'s month); and per correction its fan-out (told, acknowledged)."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from hub import clock, db, notify
from hub.agreements import current_policies
from hub.db.models import Correction, Notification
from hub.web.console import bp, note_view, officer
from hub.web.console.report import authorise
from hub.web.session import signed_in


@bp.get("/notifications")
@signed_in("ig_officer")
def notifications():
    identity = officer()
    authorise(identity)
    mine = sorted(a.id for a in current_policies().agreements_of(identity.partner))
    now = clock.now()
    due = notify.overdue_by_recipient(agreement_ids=mine, now=now)
    with db.read_only() as session:
        recent = list(
            session.execute(
                select(Correction)
                .where(Correction.agreement_id.in_(mine or [""]))
                .order_by(Correction.created_at.desc())
                .limit(50)
            ).scalars()
        )
        told = list(
            session.execute(
                select(Notification).where(
                    Notification.correction_id.in_([c.id for c in recent] or [""])
                )
            ).scalars()
        )
    fan_out = {
        c.id: (
            sum(1 for n in told if n.correction_id == c.id),
            sum(1 for n in told if n.correction_id == c.id and n.acked_at is not None),
        )
        for c in recent
    }
    note_view(
        outstanding=sum(d.outstanding for d in due), overdue=sum(len(d.overdue) for d in due)
    )
    return render_template(
        "console/notifications.html",
        due=due,
        overdue_days=notify.OVERDUE_DAYS,
        corrections=recent,
        fan_out=fan_out,
        iso=notify.iso,
        now=now,
    )
