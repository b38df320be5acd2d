"""Re-identification: /console/reidentifications, the requests awaiting a decision by the
officer's organisation (with everything needed to decide: the ground, the legislation, the
case reference, the justification, the necessity statement, who asked, the query that showed
the person, the rows held per provider, the age, flagged after 5 days) and the history;
/console/reidentifications/<id>/decide approves or rejects, after a confirmation.

The page never shows the pseudonym or a reference (hub/governance/reidentification.py keeps
both out of everything but the one reveal). A decision is recorded by the service under its
own action (`reidentification.approve` / `.reject`); a refusal is shown on the page.
"""

from __future__ import annotations

from flask import flash, g, get_flashed_messages, make_response, redirect, render_template, request

from hub import audit, errors
from hub.governance import current_context, decide_request, list_requests, london
from hub.governance.reidentification import PENDING, STALE_AFTER, awaiting
from hub.web.console import bp, note_view, officer
from hub.web.session import signed_in


def _page(*, refusal: str | None = None, status: int = 200, action: str | None = None):
    identity = officer()
    items = list_requests(current_context(), identity, rows_held=True)
    waiting = awaiting(items, identity.partner)
    waiting_ids = {v.id for v in waiting}
    history = [v for v in items if v.id not in waiting_ids]
    if action is None:
        note_view(returned=len(items), awaiting=len(waiting))
    else:  # a refused decision: the event stays the decision's own
        audit.note(action=action)
    response = make_response(
        render_template(
            "console/reidentifications.html",
            awaiting=waiting,
            history=history,
            pending=PENDING,
            stale_days=STALE_AFTER.days,
            london=london,
            results=get_flashed_messages(category_filter=["result"]),
            refusal=refusal,
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/reidentifications")
@signed_in("ig_officer")
def reidentifications():
    return _page()


@bp.post("/reidentifications/<request_id>/decide")
@signed_in("ig_officer")
def reidentification_decide(request_id: str):
    identity = officer()
    decision = request.form.get("decision", "")
    action = f"reidentification.{decision}" if decision in ("approve", "reject") else None
    audit.note(
        action=action or "reidentification.approve", resource=f"reidentification:{request_id[:40]}"
    )
    try:
        if action is None:
            raise errors.InvalidRequest("Choose approve or reject.")
        if request.form.get("confirm") != "yes":
            raise errors.InvalidRequest(
                "Confirm the decision: tick the box that says you have read the ground and the "
                "necessity statement.",
                code="confirmation_required",
            )
        view = decide_request(
            current_context(audit.note_event),
            identity,
            request_id,
            decision=decision,
            reason=request.form.get("reason"),
        )
    except errors.HubError as exc:
        g.error_code, g.error_outcome = exc.code, exc.outcome
        if isinstance(exc, errors.NotFound):
            raise
        return _page(
            refusal=exc.detail, status=exc.status, action=action or "reidentification.approve"
        )
    done = "Approved" if decision == "approve" else "Rejected"
    flash(
        f"{done} request {view.id[:8]} (case {view.case_reference}). It is "
        f"{view.status.replace('_', ' ')}.",
        "result",
    )
    return redirect("/console/reidentifications", code=303)
