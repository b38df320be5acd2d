"""Issue 11 item 8: how many events unauthenticated requests can add to the log, by design."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.audit.unauthenticated import ACTION, UnauthenticatedBudget

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_at_most_the_budget_a_minute_then_one_counting_event():
    budget = UnauthenticatedBudget(per_minute=3)
    admitted = [
        budget.admit(
            T0 + timedelta(seconds=i), action="audit.verify", outcome="allowed", status=200
        )
        for i in range(10)
    ]
    assert admitted == [True] * 3 + [False] * 7
    assert budget.summary_due(T0 + timedelta(seconds=59)) is None  # the minute is not over
    summary = budget.summary_due(T0 + timedelta(seconds=60))
    assert summary.action == ACTION and summary.actor is None
    assert summary.details["requests"] == 7
    assert summary.details["counts"] == [
        {"action": "audit.verify", "outcome": "allowed", "status": 200, "requests": 7}
    ]
    assert budget.summary_due(T0 + timedelta(seconds=61)) is None  # once
    # A new minute starts a new budget.
    assert budget.admit(T0 + timedelta(seconds=61), action="x", outcome="denied", status=401)


def test_the_counting_event_is_bounded_whatever_is_sent():
    budget = UnauthenticatedBudget(per_minute=0)
    for i in range(5000):
        budget.admit(T0, action="agreement.read", outcome="denied", status=401 if i % 2 else 404)
    summary = budget.summary_due(T0 + timedelta(minutes=1))
    assert summary.details["requests"] == 5000
    assert len(summary.details["counts"]) == 2  # keys are action, outcome and status only


def test_nothing_counted_means_no_event():
    budget = UnauthenticatedBudget(per_minute=5)
    budget.admit(T0, action="a", outcome="allowed", status=200)
    assert budget.summary_due(T0 + timedelta(minutes=5)) is None
