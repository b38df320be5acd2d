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

from hub import agreements, audit, errors, governance
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
    approvers = governance.actor_names({p.approved_by for p in state.parties if p.approved_by})
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
        "resume_requested_by": list(state.resume_requested_by),
        "suspended_at": _when(getattr(state, "suspended_at", None)),
        "parties": [
            {
                "partner": p.partner,
                "name": names.get(p.partner, p.partner),
                "approved": p.approved,
                "approved_at": _when(p.approved_at),
                "approved_by": approvers.get(p.approved_by, p.approved_by),
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


def _content(agreement_id: str) -> dict[str, Any]:
    """What the officer approves: the agreement's terms as the hub runs them."""
    a = agreements.current_policies().agreements[agreement_id]
    names = _party_names()
    return {
        "purpose": {"id": a.purpose.id, "description": a.purpose.description},
        "parties": [
            {"partner": p.partner, "name": names.get(p.partner, p.partner), "roles": p.roles}
            for p in a.parties
        ],
        "lawful_bases": [
            {"provider": b.provider, "text": governance.basis_text(b), "notes": b.notes}
            for b in a.lawful_basis
        ],
        "datasets": [
            {
                "dataset": d.dataset,
                "provider": d.provider,
                "recipients": [{"partner": r.partner, "fields": r.fields} for r in d.recipients],
            }
            for d in a.datasets
        ],
        "retention_days": a.retention_days,
        "start": a.start.isoformat(),
        "end": a.end.isoformat(),
        "review_date": a.review_date.isoformat(),
        "dpia_reference": a.dpia_reference,
        "min_cell_size": a.min_cell_size,
        "linkage_domain": a.linkage_domain,
    }


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_shown(v)}" for k, v in value.items())
    return str(value)


def _diff(agreement_id: str, version: str) -> dict[str, Any] | None:
    found = agreements.diff_from_last_approved(agreement_id, version)
    if found is None:
        return None
    return {
        "base": found.base_version,
        "base_short": found.base_version[:12],
        "changes": [
            {"path": c.path, "kind": c.kind, "before": _shown(c.before), "after": _shown(c.after)}
            for c in found.changes
        ],
    }


def _detail_page(agreement_id: str, *, refusal: str | None = None, status: int = 200):
    identity = officer()
    state = agreements.agreement_state(agreement_id)
    return render_template(
        "console/agreement.html",
        agreement=_view(state, identity.partner),
        content=_content(agreement_id),
        diff=_diff(agreement_id, state.version),
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
    if state.status == "suspended":
        asked = ", ".join(state.resume_requested_by)
        return (
            f"Your request to resume is recorded (asked so far: {asked}). The agreement stays "
            f"suspended until {state.suspended_by_partner} resumes it or every other party asks."
        )
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
    # The form says whom the officer acts for: never a partner they do not belong to.
    acting_for = request.form.get("for_partner") or identity.partner
    if acting_for != identity.partner:
        raise errors.Forbidden(
            f"You belong to {identity.partner}, so you cannot {action} for {acting_for[:64]}: "
            f"only {acting_for[:64]}'s own IG officers can.",
            code="not_your_partner",
        )
    if request.form.get("confirm") != "yes":
        # Nothing changes yet: the officer sees what they are about to do, and confirms.
        audit.note(reason="confirmation_asked", details={"confirmed": False})
        _read(agreement_id)
        state = agreements.agreement_state(agreement_id)
        return render_template(
            "console/agreement_confirm.html",
            action=action,
            reason=reason,
            agreement=_view(state, identity.partner),
            content=_content(agreement_id),
            diff=_diff(agreement_id, state.version),
        )
    audit.note(details={"confirmed": True})
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
