"""The public transparency page: no sign-in, not audited, nothing about a person or a client;
the agreements in force, monthly counts from the audit log and the latest checkpoint."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from hub import clock, db
from hub.db.models import AuditEvent
from hub.governance import agreements_in_force, monthly_counts
from hub.governance.periods import add_months, london_midnight, month_start
from tests.integration.governance_support import add_event


def _size(app) -> int:
    with app.app_context(), db.read_only() as session:
        return session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def _month_row(html: str, month: str) -> list[int]:
    row = re.search(rf'<tr data-month="{month}">(.*?)</tr>', html, re.S).group(1)
    return [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row)]


def test_the_page_shows_agreements_counts_and_the_checkpoint_without_sign_in(app, client):
    last_month = add_months(month_start(clock.today()), -1)
    in_last_month = london_midnight(last_month) + timedelta(hours=12)  # safely inside it
    for _ in range(3):
        add_event(
            app,
            action="dataset.upload",
            client="up-1",
            partner="riverside-academy",
            time=in_last_month,
        )
    add_event(
        app,
        action="upload.published",
        client="up-1",
        partner="riverside-academy",
        time=in_last_month,
    )
    for outcome in ("allowed", "allowed", "denied"):
        add_event(
            app,
            action="view.query",
            outcome=outcome,
            client="secret-analyst-id",
            partner="northshire-council",
            time=in_last_month,
        )
    add_event(
        app,
        action="token.issue",
        outcome="denied",
        client="secret-analyst-id",
        partner="northshire-council",
    )
    assert client.get("/api/v1/audit/checkpoint").status_code == 200  # signs one
    before = _size(app)

    page = client.get("/transparency")
    assert page.status_code == 200
    html = page.text
    # Agreements in force (the fixture approved them all), with what the ICO code asks for.
    for words in (
        "Early intervention for young people",
        "Crime and ASB hot spots",
        "Northshire Hospitals NHS Foundation Trust",
        "Riverside Academy (provider)",
        "730 days",
        "DPA 2018 Part 3: s.35(2)(b); Sch8 para1; Sch8 para4",
        "UK GDPR Art. 6(1)(e); Art. 9(2)(g); Art. 10",
        "Children Act 2004, s.11",
        "DPIA-NCC-2025-014",
    ):
        assert words in html, words
    assert "Identify children and young people at risk" in html
    # Twelve months, the counts of last month from the log.
    assert len(re.findall(r'<tr data-month="', html)) == 12
    assert _month_row(html, last_month.strftime("%Y-%m")) == [3, 1, 2, 1]
    # This month: the refused token request (and nothing else counted so far).
    assert _month_row(html, clock.today().strftime("%Y-%m"))[3] >= 1
    # The checkpoint and how to verify it.
    assert re.search(r'data-testid="checkpoint-size">\d+<', html)
    assert "/api/v1/audit/public-key" in html and "hub-verify" in html
    assert "docs/verifying-the-log.md" in html
    # Nothing about a client, and no audit event for a public page view.
    assert "secret-analyst-id" not in html
    assert _size(app) == before
    assert "public" in page.headers["Cache-Control"]


@pytest.mark.agreements_proposed
def test_agreements_not_yet_approved_are_not_in_force(app):
    with app.app_context():
        from hub.agreements import current_policies

        assert agreements_in_force(current_policies(), today=clock.today()) == []


def test_monthly_counts_use_uk_months(app):
    # 23:30 UTC on 31 July is 00:30 on 1 August in the UK (summer time).
    add_event(
        app,
        action="view.query",
        client="a",
        partner="northshire-council",
        time=datetime(2026, 7, 31, 23, 30, tzinfo=UTC),
    )
    with app.app_context():
        months = {m.month.month: m for m in monthly_counts(today=datetime(2026, 8, 5).date())}
    assert months[8].queries == 1 and months[7].queries == 0
