"""The IG console's audit trail, in a real browser against `hub demo`: filters, an event's
details, and its inclusion proof checked by the hub and again by the browser."""

from __future__ import annotations

import json
from datetime import timedelta

import requests

from hub import clock
from tests.browser.console_support import assert_no_raw_identifiers, sign_in_officer

COHORT = "early-intervention-cohort"


def _column(page, n: int) -> list[str]:
    return page.locator(f"#audit-events tbody tr td:nth-child({n})").all_inner_texts()


def _filter(page, **fields) -> None:
    for name, value in fields.items():
        selector = f"#f-{name}"
        if page.locator(selector).evaluate("e => e.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
    with page.expect_navigation():
        page.click("#audit-filters button[type=submit]")


def test_filter_by_action_and_outcome_and_open_an_events_proof(page, demo_hub):
    sign_in_officer(page, demo_hub, next_path="/console/audit")
    assert page.locator("#audit-events tbody tr").count() > 0
    _filter(page, action="upload.published", outcome="allowed")
    assert set(_column(page, 4)) == {"upload.published"}
    assert set(_column(page, 6)) == {"allowed"}
    assert_no_raw_identifiers(page, demo_hub)

    first = page.locator("#audit-events tbody tr").first
    index = first.get_attribute("data-index")
    first.locator("a").click()
    page.wait_for_selector("#event-fields")
    assert page.inner_text("h1") == f"Audit event {index}"
    details = json.loads(page.inner_text("#event-details"))
    assert (
        details["counts"]["read"] == details["counts"]["accepted"] + details["counts"]["rejected"]
    )
    assert page.inner_text("#server-verification") == "verified"
    page.wait_for_selector("#browser-verification.ok")
    assert page.inner_text("#browser-verification").startswith("verified in your browser")
    note = page.inner_text("#checkpoint-note")
    assert int(note.splitlines()[1]) > int(index)  # the checkpoint's size covers the event
    assert page.locator("#proof-hashes li").count() > 0
    assert_no_raw_identifiers(page, demo_hub)


def test_a_refusal_is_found_by_analyst_and_outcome(page, demo_hub):
    outsider = demo_hub.client(role="analyst", partner="westshire-council")
    refused = requests.get(
        f"{demo_hub.url}/api/v1/views/{COHORT}",
        headers={"Authorization": f"Bearer {demo_hub.token(outsider)}"},
        timeout=10,
    )
    assert refused.status_code == 403

    sign_in_officer(page, demo_hub, next_path="/console/audit")
    _filter(page, analyst=outsider["client_id"], outcome="denied")
    assert set(_column(page, 6)) == {"denied"}
    assert all(outsider["client_id"] in who for who in _column(page, 3))
    assert any(f"view:{COHORT}" in resource for resource in _column(page, 5))

    page.locator("#audit-events tbody tr a").first.click()
    page.wait_for_selector("#event-outcome")
    assert page.inner_text("#event-outcome") == "denied"
    page.wait_for_selector("#browser-verification.ok")


def test_filters_by_view_partner_and_date(page, demo_hub):
    sign_in_officer(page, demo_hub, next_path=f"/console/audit?view={COHORT}")
    resources = _column(page, 5)
    assert resources and all(f"view:{COHORT}" in r for r in resources)

    page.goto(f"{demo_hub.url}/console/audit?partner=northshire-police")
    who = _column(page, 3)
    assert who and all("northshire-police" in w for w in who)

    today = clock.now().date()
    page.goto(f"{demo_hub.url}/console/audit")
    _filter(page, **{"from": today.isoformat(), "to": today.isoformat()})
    assert page.locator("#audit-events tbody tr").count() > 0
    _filter(page, **{"from": (today + timedelta(days=1)).isoformat(), "to": ""})
    page.wait_for_selector("#no-events")

    answer = page.goto(f"{demo_hub.url}/console/audit?date_from=yesterday")
    assert answer.status == 400
    assert "must be a date" in page.inner_text("#filter-problems")


def test_every_console_page_view_is_an_audit_event(page, demo_hub):
    officer = sign_in_officer(page, demo_hub, next_path="/console/uploads?status=published")
    page.goto(f"{demo_hub.url}/console/audit?action=console.view&analyst={officer['client_id']}")
    resources = _column(page, 5)
    assert "/console/uploads" in resources
    page.locator("#audit-events tbody tr", has_text="/console/uploads").first.locator("a").click()
    details = json.loads(page.inner_text("#event-details"))
    assert details["filters"] == ["status"]  # the filters' names, never their values
    assert "published" not in json.dumps(details)
    assert details["http"] == {"method": "GET", "status": 200}
