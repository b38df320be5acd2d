"""The IG officer's console under /console: server-rendered pages, signed in as an
`ig_officer`.

Every page view is one audit event (hub.api.audit_hook audits /console like /api/): the route
notes `console.view` with the page's path and the names of the filters used, never their
values, which a person may have typed anything into. What a page shows is decided by
`hub.agreements.decide` through the same services the API calls; a state-changing form
(approve, suspend, resume) is recorded by the service it calls under its own action.

Pages: agreements.py, uploads.py and audit_trail.py (part A); report.py, seen.py and
flags.py (part B: the s.62 report, "who has seen this person", flags).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, g, render_template, request

from hub import audit
from hub.agreements import Resource, agreement_states, current_policies, decide
from hub.auth import Identity
from hub.web.session import check_csrf, signed_in

bp = Blueprint("console", __name__)

VIEW = "console.view"


@bp.before_request
def _forms_carry_csrf():
    check_csrf()


def officer() -> Identity:
    """The signed-in IG officer of this request (after `@signed_in("ig_officer")`)."""
    return g.identity


def note_view(*, filters: Iterable[str] = (), **details: Any) -> None:
    """Record this request as a console page view: `console.view` of the page's path, with
    the names of the filters used (never their values) and any other counts given."""
    used = sorted({name for name in filters})
    audit.note(
        action=VIEW,
        resource=request.path,
        details={**({"filters": used} if used else {}), **details},
    )


@dataclass(frozen=True)
class Page:
    href: str
    title: str
    summary: str


PAGES: tuple[Page, ...] = (
    Page(
        "/console/agreements",
        "Agreements",
        "Status, parties and their approvals, review dates; approve, suspend and resume.",
    ),
    Page(
        "/console/uploads",
        "Uploads",
        "Every upload under your organisation's agreements, by partner, with its validation "
        "report.",
    ),
    Page(
        "/console/audit",
        "Audit trail",
        "Who did what, filtered by partner, analyst, view, action, outcome and date; each "
        "event with its inclusion proof in the signed log.",
    ),
    Page(
        "/console/report",
        "s.62 report",
        "The DPA 2018 s.62 logging report: collection, alteration, consultation, disclosure, "
        "combination and erasure.",
    ),
    Page(
        "/console/seen",
        "Who has seen this person",
        "The queries whose answers showed a given person, by pseudonym.",
    ),
    Page(
        "/console/reidentifications",
        "Re-identification",
        "Requests to re-identify one person (DPA 2018 s.171) awaiting your decision, and their "
        "history.",
    ),
    Page("/console/flags", "Flags", "Patterns in the log that an IG officer should look at."),
    Page(
        "/console/notifications",
        "Notices of corrections",
        "Corrections, whom they were sent to, and notices not acknowledged after 30 days.",
    ),
)


def _agreements_at_a_glance(identity: Identity) -> dict[str, Any] | None:
    """How many of the officer's agreements are in each status, and how many are due for
    review; None if the officer may not list agreements."""
    if not decide(identity, "agreement.list", Resource(kind="agreement")).allowed:
        return None
    mine = {a.id for a in current_policies().agreements_of(identity.partner)}
    states = [s for s in agreement_states() if s.agreement_id in mine]
    return {
        "statuses": dict(sorted(Counter(s.status for s in states).items())),
        "due_for_review": sum(1 for s in states if s.due_for_review),
    }


@bp.get("")
@signed_in("ig_officer")
def index():
    note_view()
    glance = _agreements_at_a_glance(officer())
    return render_template("console/index.html", pages=PAGES, glance=glance)


# The pages register their routes on `bp` when imported; imported last, as they import `bp`.
# Part A: agreements, audit_trail, uploads. Part B (another helper): flags, report, seen.
from hub.web.console import (  # noqa: E402,F401
    agreements,
    audit_trail,
    flags,
    notifications,
    reidentifications,
    report,
    seen,
    uploads,
)
