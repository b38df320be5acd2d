"""Agreements: /console/agreements (the agreements the officer's organisation is party to,
with status, version, parties and their approvals, dates) and /console/agreements/<id> (one
agreement, its versions, and the forms to approve, suspend and resume it).

Reading is decided as `agreement.list` / `agreement.read`. The forms call the lifecycle
service (hub.agreements: approve, suspend, resume), which decides, changes the state and
notes the request's audit event under its own action (`agreement.suspend`, ...). A refusal
is shown on the agreement's page, with the service's message saying what to do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import flash, g, get_flashed_messages, redirect, render_template, request, url_for

from hub import agreements, audit, errors
from hub.web.console import bp, note_view, officer
from hub.web.session import signed_in

ACTIONS = ("approve", "suspend", "resume")


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _party_names() -> dict[str, str]:
    return {pid: p.name for pid, p in agreements.current_policies().partners.items()}


def _view(state, partner: str) -> dict[str, Any]:
    """What the pages show of an agreement's state."""
    names = _party_names()
    mine = state.approval_of(partner)
    return {
        "id": state.agreement_id,
        "title": state.title,
        "version": state.version,
        "short_version": state.version[:12],
        "status": state.status,
        "start": state.start.isoformat(),
        "end": state.end.isoformat(),
        "review_date": state.review_date.isoformat(),
        "due_for_review": state.due_for_review,
        "suspended_reason": state.suspended_reason,
        "suspended_by": state.suspended_by_partner,
        "suspended_at": _when(getattr(state, "suspended_at", None)),
        "parties": [
            {
                "partner": p.partner,
                "name": names.get(p.partner, p.partner),
                "approved": p.approved,
                "approved_at": _when(p.approved_at),
                "approved_by": p.approved_by,
                "mine": p.partner == partner,
            }
            for p in state.parties
        ],
        "awaiting": [p.partner for p in state.parties if not p.approved],
        "approved_by_me": bool(mine and mine.approved),
        "versions": [
            {
                "version": v.version,
                "short": v.version[:12],
                "loaded_at": _when(v.loaded_at),
                "status": v.status,
                "current": v.version == state.version,
            }
            for v in reversed(state.versions or [])
        ],
    }


def _mine(partner: str) -> set[str]:
    return {a.id for a in agreements.current_policies().agreements_of(partner)}


@bp.get("/agreements")
@signed_in("ig_officer")
def agreement_list():
    identity = officer()
    note_view()
    agreements.enforce(
        agreements.decide(identity, "agreement.list", agreements.Resource(kind="agreement"))
    )
    mine = _mine(identity.partner)
    states = [s for s in agreements.agreement_states() if s.agreement_id in mine]
    note_view(returned=len(states))
    return render_template(
        "console/agreements.html",
        agreements=[_view(s, identity.partner) for s in states],
    )


def _detail_page(agreement_id: str, *, refusal: str | None = None, status: int = 200):
    identity = officer()
    state = agreements.agreement_state(agreement_id)
    return render_template(
        "console/agreement.html",
        agreement=_view(state, identity.partner),
        results=get_flashed_messages(category_filter=["result"]),
        refusal=refusal,
    ), status


def _read(agreement_id: str) -> None:
    agreements.enforce(
        agreements.decide(
            officer(),
            "agreement.read",
            agreements.Resource(kind="agreement", agreement_id=agreement_id),
        )
    )


@bp.get("/agreements/<agreement_id>")
@signed_in("ig_officer")
def agreement_detail(agreement_id: str):
    note_view()
    _read(agreement_id)
    return _detail_page(agreement_id)


def _result(action: str, state) -> str:
    status = state.status.replace("_", " ")
    if action == "approve":
        waiting = [p.partner for p in state.parties if not p.approved]
        more = f"; still awaiting {', '.join(waiting)}" if waiting else ""
        return f"Approved version {state.version[:12]}. The agreement is {status}{more}."
    if action == "suspend":
        return f"Suspended. The agreement is {status}: nothing is shared under it until resumed."
    return f"Resumed. The agreement is {status}."


@bp.post("/agreements/<agreement_id>/<action>")
@signed_in("ig_officer")
def agreement_action(agreement_id: str, action: str):
    identity = officer()
    if action not in ACTIONS:
        raise errors.NotFound(f"Agreements can be {', '.join(ACTIONS)}d; not “{action[:30]}”.")
    reason = (request.form.get("reason") or "").strip()
    audit.note(
        action=f"agreement.{action}",
        resource=agreements.Resource(kind="agreement", agreement_id=agreement_id).label,
    )
    try:
        # The change's event is this request's own: the audit hook appends it.
        if action == "approve":
            state = agreements.approve(identity, agreement_id, record=audit.note_event)
        elif action == "suspend":
            state = agreements.suspend(
                identity, agreement_id, reason=reason, record=audit.note_event
            )
        else:
            state = agreements.resume(
                identity, agreement_id, reason=reason or None, record=audit.note_event
            )
    except errors.HubError as exc:
        # The action is noted; this is its refusal, shown where it was asked for.
        g.error_code, g.error_outcome = exc.code, exc.outcome
        if isinstance(exc, errors.NotFound) or exc.code == "forbidden":
            raise
        return _detail_page(agreement_id, refusal=exc.detail, status=exc.status)
    flash(_result(action, state), "result")
    return redirect(url_for("console.agreement_detail", agreement_id=agreement_id), code=303)
