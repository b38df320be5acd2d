"""The flags page over a real audit log: refusals made over HTTP, crafted query bursts and
late-night queries; each flag links to the audit trail filtered to it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

from hub import clock
from hub.governance import REFUSALS_PER_DAY, VOLUME_MIN_QUERIES, london_day
from tests.helpers import bearer, fetch_token, make_client
from tests.integration.governance_support import add_event, sign_in
from tests.integration.ingest_support import events

_ROW = re.compile(r'<tr class="flag" data-rule="([^"]+)" data-client="([^"]+)">(.*?)</tr>', re.S)


def _flags(html: str) -> dict[tuple[str, str], str]:
    return {(rule, client): body for rule, client, body in _ROW.findall(html)}


def _link(body: str) -> dict[str, list[str]]:
    href = unescape(re.search(r'<a href="(/console/audit\?[^"]+)">The events', body).group(1))
    return parse_qs(urlsplit(href).query)


def test_flags_show_the_rules_and_what_matches_them(app, client):
    # Refusals made over HTTP: an outsider's analyst asking for a view again and again.
    outsider_id, secret = make_client(app, partner="westshire-council", roles=["analyst"])
    headers = bearer(fetch_token(client, outsider_id, secret))
    for _ in range(REFUSALS_PER_DAY):
        refused = client.post(
            "/api/v1/views/early-intervention-cohort/query",
            json={"purpose": "safeguarding-early-help", "justification": "Trying my luck"},
            headers=headers,
        )
        assert refused.status_code == 403
    # A burst of queries far above the analyst's usual days, and one at 02:00 UK time.
    now = clock.now()
    for days_ago in range(1, 8):
        for _ in range(2):
            add_event(
                app,
                action="view.query",
                resource="view:early-intervention-cohort",  # as the hook names a query
                client="busy-analyst",
                partner="northshire-council",
                roles=("analyst",),
                time=now - timedelta(days=days_ago),
            )
    for _ in range(VOLUME_MIN_QUERIES + 10):
        add_event(
            app,
            action="view.query",
            resource="view:early-intervention-cohort",  # as the hook names a query
            client="busy-analyst",
            partner="northshire-council",
            roles=("analyst",),
        )
    yesterday = clock.today() - timedelta(days=1)
    night = datetime(yesterday.year, yesterday.month, yesterday.day, 2, tzinfo=UTC)
    add_event(
        app,
        action="view.query",
        resource="view:early-intervention-cohort",  # as the hook names a query
        client="night-owl",
        partner="northshire-police",
        roles=("analyst",),
        time=night,
    )

    sign_in(client, app, partner="northshire-police")
    page = client.get("/console/flags")
    assert page.status_code == 200, page.text
    html = page.text
    for words in ("Unusual query volume", "Queries out of hours", "Repeated refusals"):
        assert words in html
    assert f"At least {REFUSALS_PER_DAY} requests by one client refused" in html

    flags = _flags(html)
    refusals = _link(flags[("repeated-refusals", outsider_id)])
    assert refusals["analyst"] == [outsider_id]
    assert refusals["outcome"] == ["denied"]
    today = clock.today().isoformat()
    assert today in refusals["date_from"] + refusals["date_to"]
    volume = _link(flags[("unusual-volume", "busy-analyst")])
    assert volume["action"] == ["view.query"]
    assert f"{VOLUME_MIN_QUERIES + 10} queries" in flags[("unusual-volume", "busy-analyst")]
    assert ("out-of-hours", "night-owl") in flags
    assert london_day(night) == yesterday

    shorter = client.get("/console/flags?days=1")
    assert ("out-of-hours", "night-owl") not in _flags(shorter.text)
    bad = client.get("/console/flags?days=abc")
    assert bad.status_code == 200 and "whole number from 1 to 366" in bad.text

    viewed = [e for e in events(app, "console.view") if e.resource == "/console/flags"]
    assert [e.details.get("filters") for e in viewed] == [None, ["days"], ["days"]]
    assert viewed[0].details["flags"] == len(_ROW.findall(html))
