"""The flag rules over crafted events: volume against the analyst's own days or their peers',
out-of-hours queries in UK time (summer and winter), repeated refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hub.governance import (
    OUT_OF_HOURS,
    REFUSALS,
    REFUSALS_PER_DAY,
    VOLUME,
    VOLUME_MIN_BASELINE_DAYS,
    VOLUME_MIN_QUERIES,
    EventFact,
    evaluate,
    out_of_hours,
)

# A Wednesday in winter (UK time = UTC) and one in summer (UK time = UTC + 1).
WINTER = date(2026, 1, 14)
SUMMER = date(2026, 7, 15)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """`hour`:`minute` UTC on `day`."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def queries(client, day, n, *, hour=10, outcome="allowed", partner="northshire-council"):
    return [
        EventFact(at(day, hour, i % 60), client, partner, "view.query", outcome) for i in range(n)
    ]


def of(flags, rule):
    return [f for f in flags if f.rule == rule]


def test_a_day_far_above_the_analysts_own_usual_day_is_flagged():
    facts = []
    for n in range(VOLUME_MIN_BASELINE_DAYS + 2):  # usual days: 8 to 12 queries
        facts += queries("alice", WINTER - timedelta(days=n + 1), 8 + n % 5)
    facts += queries("alice", WINTER, 60)
    (flag,) = of(evaluate(facts), VOLUME)
    assert (flag.client, flag.day, flag.count) == ("alice", WINTER, 60)
    assert flag.partner == "northshire-council"
    assert "their usual day" in flag.why
    assert flag.action == "view.query"


def test_a_busy_analyst_on_a_usual_busy_day_is_not_flagged():
    facts = []
    for n in range(10):
        facts += queries("bob", WINTER - timedelta(days=n), 40 + (n % 3) * 5)
    assert of(evaluate(facts), VOLUME) == []


def test_an_analyst_without_a_baseline_is_compared_with_peers():
    facts = []
    for n in range(6):
        facts += queries(f"peer-{n}", WINTER, 4)
    facts += queries("newcomer", WINTER, VOLUME_MIN_QUERIES + 5)  # 25 > 5 x median 4
    facts += queries("modest", WINTER, 15)  # under the floor: never flagged
    (flag,) = of(evaluate(facts), VOLUME)
    assert flag.client == "newcomer"
    assert "other analysts' median day: 4" in flag.why


def test_below_the_floor_nothing_is_flagged_whatever_the_baseline():
    facts = []
    for n in range(1, 8):
        facts += queries("carol", WINTER - timedelta(days=n), 1)
    facts += queries("carol", WINTER, VOLUME_MIN_QUERIES - 1)
    assert of(evaluate(facts), VOLUME) == []


def test_out_of_hours_is_uk_time_in_winter_and_summer():
    # Winter: 06:59 UTC is 06:59 UK (out); 07:00 in. Summer: 06:30 UTC is 07:30 UK (in),
    # 18:30 UTC is 19:30 UK (out).
    assert out_of_hours(at(WINTER, 6, 59))
    assert not out_of_hours(at(WINTER, 7, 0))
    assert not out_of_hours(at(WINTER, 18, 59))
    assert out_of_hours(at(WINTER, 19, 0))
    assert not out_of_hours(at(SUMMER, 6, 30))
    assert out_of_hours(at(SUMMER, 18, 30))
    assert out_of_hours(at(date(2026, 1, 17), 12))  # a Saturday
    assert out_of_hours(at(date(2026, 1, 18), 12))  # a Sunday


def test_out_of_hours_queries_give_one_flag_per_analyst_and_day():
    facts = queries("dave", WINTER, 3, hour=22) + queries("dave", WINTER, 5, hour=11)
    facts += queries("erin", date(2026, 1, 17), 2, hour=12)  # Saturday midday
    # 23:30 UTC on a summer day is 00:30 UK time the next day.
    facts += [EventFact(at(SUMMER, 23, 30), "frank", "northshire-police", "view.query", "denied")]
    flags = {(f.client, f.day): f for f in of(evaluate(facts), OUT_OF_HOURS)}
    assert set(flags) == {
        ("dave", WINTER),
        ("erin", date(2026, 1, 17)),
        ("frank", SUMMER + timedelta(days=1)),
    }
    assert flags[("dave", WINTER)].count == 3
    assert "weekend" in flags[("erin", date(2026, 1, 17))].why
    assert "outside working hours" in flags[("dave", WINTER)].why


def test_repeated_refusals_of_any_action_by_one_client_in_a_day():
    refusals = [
        EventFact(at(WINTER, 10, i), "mallory", "westshire-council", action, "denied")
        for i, action in enumerate(["view.query", "agreement.read"] * REFUSALS_PER_DAY)
    ][:REFUSALS_PER_DAY]
    few = [
        EventFact(at(WINTER, 10, i), "oscar", "northshire-council", "view.query", "denied")
        for i in range(REFUSALS_PER_DAY - 1)
    ]
    allowed = [
        EventFact(at(WINTER, 11, i), "oscar", "northshire-council", "view.read", "allowed")
        for i in range(10)
    ]
    (flag,) = of(evaluate(refusals + few + allowed), REFUSALS)
    assert (flag.client, flag.count, flag.day) == ("mallory", REFUSALS_PER_DAY, WINTER)
    assert flag.outcome == "denied" and flag.action is None


def test_flags_come_most_recent_day_first():
    facts = [
        EventFact(at(WINTER - timedelta(days=2), 10, i), "x", None, "token.issue", "denied")
        for i in range(REFUSALS_PER_DAY)
    ] + queries("y", WINTER, 1, hour=21)
    assert [f.rule for f in evaluate(facts)] == [OUT_OF_HOURS, REFUSALS]


def test_three_reidentification_requests_by_one_analyst_in_the_window_are_flagged():
    from hub.governance.flags import REIDENTIFICATION, REIDENTIFICATIONS

    def asked(client: str, day: date, outcome: str = "allowed") -> EventFact:
        moment = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=11)
        return EventFact(moment, client, "northshire-council", REIDENTIFICATION, outcome)

    facts = [asked("carol", WINTER - timedelta(days=n * 9)) for n in range(3)]
    facts += [asked("dave", WINTER), asked("dave", WINTER - timedelta(days=2))]
    facts += [asked("dave", WINTER, outcome="denied")]  # refused: not a request made
    (flag,) = of(evaluate(facts), REIDENTIFICATIONS)
    assert (flag.client, flag.count, flag.day) == ("carol", 3, WINTER)
    assert flag.action == REIDENTIFICATION
