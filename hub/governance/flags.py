"""Flags worth a look: patterns in the audit log an IG officer should check, by rule.

The rules are deliberately simple, so that an officer can say why something was flagged:

- **Unusual query volume**: an analyst's view queries on one day are at least
  VOLUME_MIN_QUERIES and above their own usual day: the mean plus VOLUME_SD_FACTOR standard
  deviations of their other active days in the window. With fewer than
  VOLUME_MIN_BASELINE_DAYS such days the analyst has no baseline yet, and the day is compared
  with their peers instead: above VOLUME_PEER_MULTIPLE times the median of every other
  analyst's active days. With no peers either, VOLUME_MIN_QUERIES alone decides.
- **Queries out of hours**: view queries (allowed or refused) before WORK_STARTS or from
  WORK_ENDS UK time (Europe/London), or on a Saturday or Sunday; one flag per analyst and day.
- **Repeated refusals**: at least REFUSALS_PER_DAY refused requests (outcome `denied`, any
  action) by one client on one day.
- **Repeated re-identification requests**: at least REIDENTIFICATIONS_IN_WINDOW requests to
  re-identify a person (`reidentification.request`, allowed) by one analyst in the window
  (30 days by default); flagged on the day of the latest.

Days are UK days. The rules read the actor, action, outcome and time of events only.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select

from hub import db
from hub.audit import EventScope, scope_condition
from hub.db.models import AuditEvent
from hub.governance.periods import as_utc, day_bounds, london

QUERY = "view.query"
DEFAULT_WINDOW_DAYS = 30
MAX_WINDOW_DAYS = 366

VOLUME_MIN_QUERIES = 20
VOLUME_SD_FACTOR = 3.0
VOLUME_MIN_BASELINE_DAYS = 5
VOLUME_PEER_MULTIPLE = 5.0

WORK_STARTS = time(7, 0)
WORK_ENDS = time(19, 0)
WEEKEND = (5, 6)  # Saturday, Sunday (date.weekday())

REFUSALS_PER_DAY = 5
REIDENTIFICATION = "reidentification.request"
REIDENTIFICATIONS_IN_WINDOW = 3

VOLUME, OUT_OF_HOURS, REFUSALS = "unusual-volume", "out-of-hours", "repeated-refusals"
REIDENTIFICATIONS = "repeated-reidentification"
RULE_TITLES = {
    VOLUME: "Unusual query volume",
    OUT_OF_HOURS: "Queries out of hours",
    REFUSALS: "Repeated refusals",
    REIDENTIFICATIONS: "Repeated re-identification requests",
}


@dataclass(frozen=True)
class EventFact:
    """What the rules read of an event."""

    time: datetime  # UTC
    client: str | None
    partner: str | None
    action: str
    outcome: str


@dataclass(frozen=True)
class Flag:
    rule: str
    client: str
    partner: str | None
    day: date  # UK day
    count: int
    why: str  # the rule applied to this case, in words
    action: str | None  # the audit trail filter that shows the events
    outcome: str | None


def out_of_hours(moment: datetime) -> bool:
    local = london(moment)
    return local.weekday() in WEEKEND or not (WORK_STARTS <= local.time() < WORK_ENDS)


def _daily_queries(facts: Iterable[EventFact]) -> dict[str, Counter]:
    per_client: dict[str, Counter] = defaultdict(Counter)
    for f in facts:
        if f.action == QUERY and f.client:
            per_client[f.client][london(f.time).date()] += 1
    return per_client


def volume_threshold(own_other_days: list[int], peer_days: list[int]) -> tuple[float, str]:
    """The count a day must exceed, and how it was worked out."""
    if len(own_other_days) >= VOLUME_MIN_BASELINE_DAYS:
        mean = statistics.fmean(own_other_days)
        sd = statistics.pstdev(own_other_days)
        return (
            mean + VOLUME_SD_FACTOR * sd,
            f"their usual day: {mean:.1f} ± {sd:.1f} queries "
            f"(mean ± sd over {len(own_other_days)} other days)",
        )
    if peer_days:
        median = statistics.median(peer_days)
        return (
            VOLUME_PEER_MULTIPLE * median,
            f"no baseline of their own yet; other analysts' median day: {median:g} queries",
        )
    return float(VOLUME_MIN_QUERIES - 1), "no baseline: no other analyst queried in the window"


def volume_flags(facts: list[EventFact]) -> list[Flag]:
    partners = {f.client: f.partner for f in facts if f.client}
    daily = _daily_queries(facts)
    flags = []
    for client, days in daily.items():
        peers = [n for other, d in daily.items() if other != client for n in d.values()]
        for day, count in days.items():
            if count < VOLUME_MIN_QUERIES:
                continue
            own = [n for d, n in days.items() if d != day]
            threshold, basis = volume_threshold(own, peers)
            if count > threshold:
                why = f"{count} queries; {basis}"
                flags.append(
                    Flag(VOLUME, client, partners.get(client), day, count, why, QUERY, None)
                )
    return flags


def out_of_hours_flags(facts: list[EventFact]) -> list[Flag]:
    counts: Counter = Counter()
    partners: dict[str, str | None] = {}
    for f in facts:
        if f.action == QUERY and f.client and out_of_hours(f.time):
            counts[(f.client, london(f.time).date())] += 1
            partners[f.client] = f.partner
    return [
        Flag(
            OUT_OF_HOURS,
            client,
            partners[client],
            day,
            n,
            f"{n} {'query' if n == 1 else 'queries'} "
            + ("on a weekend day" if day.weekday() in WEEKEND else "outside working hours"),
            QUERY,
            None,
        )
        for (client, day), n in counts.items()
    ]


def refusal_flags(facts: list[EventFact]) -> list[Flag]:
    counts: Counter = Counter()
    partners: dict[str, str | None] = {}
    for f in facts:
        if f.outcome == "denied" and f.client:
            counts[(f.client, london(f.time).date())] += 1
            partners[f.client] = f.partner
    return [
        Flag(REFUSALS, client, partners[client], day, n, f"{n} refused requests", None, "denied")
        for (client, day), n in counts.items()
        if n >= REFUSALS_PER_DAY
    ]


def reidentification_flags(facts: list[EventFact]) -> list[Flag]:
    requests: dict[str, list[EventFact]] = defaultdict(list)
    for f in facts:
        if f.action == REIDENTIFICATION and f.outcome == "allowed" and f.client:
            requests[f.client].append(f)
    flags = []
    for client, made in requests.items():
        if len(made) < REIDENTIFICATIONS_IN_WINDOW:
            continue
        last = max(made, key=lambda f: f.time)
        n = len(made)
        why = f"{n} re-identification requests in the window"
        flags.append(
            Flag(
                REIDENTIFICATIONS,
                client,
                last.partner,
                london(last.time).date(),
                n,
                why,
                REIDENTIFICATION,
                None,
            )
        )
    return flags


def evaluate(facts: list[EventFact]) -> list[Flag]:
    """Every flag the facts raise, most recent day first, then by rule and client."""
    flags = (
        volume_flags(facts)
        + out_of_hours_flags(facts)
        + refusal_flags(facts)
        + reidentification_flags(facts)
    )
    order = list(RULE_TITLES)
    return sorted(flags, key=lambda f: (-f.day.toordinal(), order.index(f.rule), f.client))


def window(today: date, days: int) -> tuple[datetime, datetime]:
    """The last `days` UK days up to and including today, as UTC bounds."""
    days = max(1, min(days, MAX_WINDOW_DAYS))
    return day_bounds(today - timedelta(days=days - 1), today)


def read_facts(
    *, since: datetime, until: datetime, engine=None, scope: EventScope | None = None
) -> list[EventFact]:
    """The events the rules read: view queries, re-identification requests, and refusals of
    anything; of those, only the ones in `scope` (what the officer may read of the log), if
    given."""
    e = AuditEvent.__table__
    query = (
        select(e.c.time, e.c.actor_client, e.c.actor_partner, e.c.action, e.c.outcome)
        .where(
            e.c.time >= since,
            e.c.time < until,
            or_(e.c.action.in_((QUERY, REIDENTIFICATION)), e.c.outcome == "denied"),
        )
        .order_by(e.c.index)
    )
    if scope is not None:
        query = query.where(scope_condition(scope, table=e))
    with (engine or db.get_engine()).connect() as connection:
        return [EventFact(as_utc(t), c, p, a, o) for t, c, p, a, o in connection.execute(query)]


def actor_names(clients: set[str], *, engine=None) -> dict[str, str]:
    """How pages name each actor of `clients`: a person's display name (from their latest
    event), `system <client> (owner)` for a system, else the client id itself."""
    if not clients:
        return {}
    e = AuditEvent.__table__
    query = (
        select(e.c.actor_client, e.c.actor_kind, e.c.actor_name, e.c.actor_owner)
        .where(e.c.actor_client.in_(sorted(clients)), e.c.actor_kind.is_not(None))
        .order_by(e.c.index)
    )
    names = {client: client for client in clients}
    with (engine or db.get_engine()).connect() as connection:
        for client, kind, name, owner in connection.execute(query):
            if kind == "person" and name:
                names[client] = name
            elif kind == "system":
                names[client] = f"system {client}" + (f" ({owner})" if owner else "")
    return names


def find_flags(
    *,
    today: date,
    days: int = DEFAULT_WINDOW_DAYS,
    engine=None,
    scope: EventScope | None = None,
) -> list[Flag]:
    """The flags over the events in `scope` (the same part of the log the officer reads)."""
    since, until = window(today, days)
    return evaluate(read_facts(since=since, until=until, engine=engine, scope=scope))
