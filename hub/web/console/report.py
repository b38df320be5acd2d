"""The DPA 2018 s.62 report for a period: /console/report (a page) and /console/report.csv.

Every consultation (view query) and disclosure (published upload) under the agreements the
officer's partner is party to, from hub.governance.s62. Each request is one audit event,
`report.s62`, naming the period and how many entries the report held.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Response, g, render_template, request

from hub import audit, clock, errors
from hub.agreements import Resource, current_policies, decide, enforce
from hub.auth import Identity
from hub.governance import CSV_COLUMNS, S62Entry, day_bounds, london, s62_entries, to_csv
from hub.views import get_view
from hub.web.console import bp, officer
from hub.web.session import signed_in

ACTION = "report.s62"
DEFAULT_DAYS = 30
MAX_DAYS = 3660  # ten years: a longer period is a typo
SHOWN = 500  # entries shown on the page; the CSV has them all


class BadPeriod(errors.InvalidRequest):
    pass


def authorise(identity: Identity) -> None:
    """The report reads the audit log: IG officers of a party (and admins) only."""
    enforce(decide(identity, "audit.read", Resource(kind="audit")))


def _day(name: str, default: date) -> date:
    text = (request.args.get(name) or "").strip()
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadPeriod(
            f"`{name}` should be a date as YYYY-MM-DD (for example {default.isoformat()})."
        ) from None


def period() -> tuple[date, date]:
    today = clock.today()
    last = _day("to", today)
    first = _day("from", last - timedelta(days=DEFAULT_DAYS - 1))
    if first > last:
        raise BadPeriod("The period starts after it ends: give a `from` date on or before `to`.")
    if (last - first).days >= MAX_DAYS:
        raise BadPeriod(f"A report covers at most {MAX_DAYS} days: choose a shorter period.")
    return first, last


def _view_agreement(view_id: str) -> str | None:
    try:
        return get_view(view_id).agreement
    except errors.NotFound:
        return None


def entries_for(identity: Identity, first: date, last: date) -> list[S62Entry]:
    since, until = day_bounds(first, last)
    return s62_entries(
        partner=identity.partner,
        since=since,
        until=until,
        policies=current_policies(),
        view_agreement=_view_agreement,
    )


def _note(first: date | None, last: date | None, *, kind: str, entries: int | None) -> None:
    details = {"format": kind}
    if first and last:
        details.update({"from": first.isoformat(), "to": last.isoformat()})
    if entries is not None:
        details["entries"] = entries
    audit.note(action=ACTION, resource=request.path, details=details)


@bp.get("/report")
@signed_in("ig_officer")
def report():
    identity = officer()
    _note(None, None, kind="html", entries=None)
    authorise(identity)
    try:
        first, last = period()
    except BadPeriod as exc:
        g.error_code, g.error_outcome = exc.code, exc.outcome  # for the audit event
        page = render_template(
            "console/report.html",
            error=exc.detail,
            first=request.args.get("from", ""),
            last=request.args.get("to", ""),
            entries=[],
            shown=[],
            london=london,
        )
        return page, exc.status
    entries = entries_for(identity, first, last)
    _note(first, last, kind="html", entries=len(entries))
    return render_template(
        "console/report.html",
        error=None,
        first=first.isoformat(),
        last=last.isoformat(),
        entries=entries,
        shown=entries[:SHOWN],
        limit=SHOWN,
        partner=identity.partner,
        columns=CSV_COLUMNS,
        london=london,
    )


@bp.get("/report.csv")
@signed_in("ig_officer")
def report_csv():
    identity = officer()
    _note(None, None, kind="csv", entries=None)
    authorise(identity)
    first, last = period()  # a bad period is a 400 problem page: nothing to download
    entries = entries_for(identity, first, last)
    _note(first, last, kind="csv", entries=len(entries))
    name = f"s62-report-{identity.partner}-{first.isoformat()}-to-{last.isoformat()}.csv"
    return Response(
        to_csv(entries),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
