"""Flags worth a look: /console/flags?days=30, the rules of hub.governance.flags over the
audit log of the last `days` UK days, each flag linking to the audit trail that shows it."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from flask import render_template, request

from hub import clock, governance
from hub.governance import DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS, Flag, day_bounds
from hub.web.console import bp, note_view, officer
from hub.web.console.report import authorise
from hub.web.session import signed_in


def audit_trail_link(flag: Flag) -> str:
    """The audit trail (/console/audit, part A's filters) for the flag's client and day, and
    the rule's action or outcome. The trail's dates are UTC days: the link spans the UTC days
    that the UK day touches, so it shows every event of the flag (and perhaps an hour more)."""
    since, until = day_bounds(flag.day, flag.day)
    params = {"analyst": flag.client}
    if flag.action:
        params["action"] = flag.action
    if flag.outcome:
        params["outcome"] = flag.outcome
    params["date_from"] = since.date().isoformat()
    params["date_to"] = (until - timedelta(microseconds=1)).date().isoformat()
    return "/console/audit?" + urlencode(params)


def _days() -> tuple[int, str | None]:
    text = (request.args.get("days") or "").strip()
    if not text:
        return DEFAULT_WINDOW_DAYS, None
    if text.isdigit() and 1 <= int(text) <= MAX_WINDOW_DAYS:
        return int(text), None
    return DEFAULT_WINDOW_DAYS, (
        f"`days` is a whole number from 1 to {MAX_WINDOW_DAYS}; "
        f"showing the last {DEFAULT_WINDOW_DAYS} days instead."
    )


@bp.get("/flags")
@signed_in("ig_officer")
def flags():
    days, problem = _days()
    authorise(officer())
    today = clock.today()
    found = governance.find_flags(
        today=today, days=days, scope=governance.audit_scope(officer())
    )
    note_view(filters=["days"] if request.args.get("days") else (), flags=len(found))
    return render_template(
        "console/flags.html",
        flags=found,
        names=governance.actor_names({f.client for f in found}),
        days=days,
        first=today - timedelta(days=days - 1),
        today=today,
        problem=problem,
        link=audit_trail_link,
        titles=governance.RULE_TITLES,
        rules=_rules(),
    )


def _rules() -> dict[str, str]:
    g = governance
    return {
        g.VOLUME: (
            f"An analyst ran at least {g.VOLUME_MIN_QUERIES} view queries in a day, more than "
            f"their own usual day: the mean plus {g.VOLUME_SD_FACTOR:g} standard deviations of "
            f"their other days with queries in the window. An analyst with fewer than "
            f"{g.VOLUME_MIN_BASELINE_DAYS} such days is compared with the others instead: more "
            f"than {g.VOLUME_PEER_MULTIPLE:g} times the median day of every other analyst."
        ),
        g.OUT_OF_HOURS: (
            f"View queries before {g.WORK_STARTS:%H:%M} or from {g.WORK_ENDS:%H:%M} UK time, "
            "or on a Saturday or Sunday (bank holidays are not known to the hub); one flag "
            "per analyst and day."
        ),
        g.REFUSALS: (
            f"At least {g.REFUSALS_PER_DAY} requests by one client refused (outcome "
            "`denied`, whatever was asked) in one day."
        ),
    }
