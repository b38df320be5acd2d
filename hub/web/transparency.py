"""The public transparency page at /transparency: no sign-in, nothing about any person.

It shows the agreements in force (parties, purposes, lawful bases, datasets, retention), per
month the counts of uploads, queries and refusals, per quarter the re-identification
requests, approvals and reveals, the latest signed checkpoint of the audit log with how to
verify it, and each hot-spot forecast's method, back-test accuracy beside its baseline and
disparity report. Being public, it is not audited per view (the audit hook
records /api/ and the console, not this page) and its figures are cached for a short while,
so that a busy page costs the database a few queries a minute.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date

from flask import Blueprint, current_app, make_response, render_template

from hub import clock, governance
from hub.agreements import current_policies

bp = Blueprint("transparency", __name__)

CACHE_SECONDS = 60
_CACHE = "hub.web.transparency"


@dataclass(frozen=True)
class Summary:
    today: date
    agreements: list[governance.AgreementOut]
    months: list[governance.MonthOut]
    quarters: list[governance.QuarterOut]
    checkpoint: governance.CheckpointOut | None
    forecasts: list[dict]
    made_at: float


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.summary: Summary | None = None


def summary() -> Summary:
    cache: _Cache = current_app.extensions.setdefault(_CACHE, _Cache())
    with cache.lock:
        found = cache.summary
        today = clock.today()
        if (
            found is None
            or found.today != today
            or time.monotonic() - found.made_at > CACHE_SECONDS
        ):
            found = cache.summary = Summary(
                today=today,
                agreements=governance.agreements_in_force(current_policies(), today=today),
                months=governance.monthly_counts(today=today),
                quarters=governance.quarterly_reidentifications(today=today),
                checkpoint=governance.latest_checkpoint(),
                forecasts=governance.published_forecasts(current_policies(), today=today),
                made_at=time.monotonic(),
            )
        return found


@bp.get("/transparency")
def page():
    response = make_response(
        render_template("transparency.html", summary=summary(), cache_seconds=CACHE_SECONDS)
    )
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response
