"""The IG console's agreements pages, in a real browser against `hub demo`."""

from __future__ import annotations

import requests

from tests.browser.conftest import sign_in
from tests.browser.console_support import (
    OFFICER_PARTNER,
    assert_no_raw_identifiers,
    sign_in_officer,
)

HOTSPOTS = "crime-asb-hotspots"
EARLY = "early-intervention-young-people"


def _analyst_headers(hub) -> dict[str, str]:
    analyst = hub.client(role="analyst", partner=OFFICER_PARTNER)
    return {"Authorization": f"Bearer {hub.token(analyst)}"}


def _purpose(hub) -> str:
    view = requests.get(
        f"{hub.url}/api/v1/views/{HOTSPOTS}", headers=_analyst_headers(hub), timeout=10
    )
    assert view.status_code == 200, view.text
    return view.json()["purpose"]


def _query_hotspots(hub, purpose: str) -> int:
    """An analyst of the council queries the hot-spots view over the API: the status."""
    answer = requests.post(
        f"{hub.url}/api/v1/views/{HOTSPOTS}/query",
        headers=_analyst_headers(hub),
        json={
            "purpose": purpose,
            "justification": "Browser test: is the agreement in force?",
            "limit": 1,
        },
        timeout=30,
    )
    return answer.status_code


def _confirm(page, action: str) -> None:
    """The confirmation page: it says what is about to happen and shows the agreement's
    content; nothing has changed until the officer confirms."""
    page.wait_for_selector("#confirm-form")
    assert page.inner_text("h1").startswith(f"Confirm: {action}")
    assert page.is_visible("#agreement-content")
    page.click("#confirm")


def _resume_if_suspended(hub, agreement: str) -> None:
    officer = hub.client(role="ig_officer", partner=OFFICER_PARTNER)
    requests.post(
        f"{hub.url}/api/v1/agreements/{agreement}/resume",
        headers={"Authorization": f"Bearer {hub.token(officer)}"},
        json={},
        timeout=10,
    )


def test_the_overview_links_every_console_page(page, demo_hub):
    sign_in_officer(page, demo_hub, next_path="/console")
    links = page.locator("ul.console-pages h2 a")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        "/console/agreements",
        "/console/uploads",
        "/console/audit",
        "/console/report",
        "/console/seen",
        "/console/reidentifications",
        "/console/flags",
        "/console/notifications",
    ]
    assert "2 active" in page.inner_text("#agreements-at-a-glance")


def test_an_officer_sees_the_agreements_with_their_status_and_approvals(page, demo_hub):
    sign_in_officer(page, demo_hub, next_path="/console/agreements")
    rows = page.locator("#agreements tbody tr")
    assert {rows.nth(i).get_attribute("data-agreement") for i in range(rows.count())} == {
        HOTSPOTS,
        EARLY,
    }
    early = page.locator(f"tr[data-agreement={EARLY}]")
    assert early.get_attribute("data-status") == "active"
    assert early.locator(".agreement-status").inner_text() == "active"
    parties = early.locator("li[data-party]")
    assert parties.count() == 5
    for i in range(parties.count()):
        assert parties.nth(i).get_attribute("data-approved") == "yes"
        assert "approved" in parties.nth(i).inner_text()
    assert_no_raw_identifiers(page, demo_hub)

    page.click(f"tr[data-agreement={EARLY}] a")
    page.wait_for_selector("#agreement-status")
    assert page.inner_text("#agreement-status") == "active"
    assert len(page.inner_text("#agreement-version")) == 12
    assert page.locator("#parties tbody tr[data-approved=yes]").count() == 5
    assert page.locator("#approved-by-me").count() == 1  # the demo approved for every party
    assert_no_raw_identifiers(page, demo_hub)


def test_only_the_agreements_of_the_officers_partner_are_shown(page, demo_hub):
    sign_in_officer(page, demo_hub, partner="riverside-academy", next_path="/console/agreements")
    rows = page.locator("#agreements tbody tr")
    assert [rows.nth(i).get_attribute("data-agreement") for i in range(rows.count())] == [EARLY]
    page.goto(f"{demo_hub.url}/console/agreements/{HOTSPOTS}")
    assert "not a party" in page.inner_text("main")


def test_suspending_stops_queries_and_resuming_restarts_them(page, demo_hub):
    purpose = _purpose(demo_hub)
    assert _query_hotspots(demo_hub, purpose) == 200
    sign_in_officer(page, demo_hub, next_path=f"/console/agreements/{HOTSPOTS}")
    try:
        # A reason that looks like it names someone is refused, with what to do instead.
        page.fill("#suspend-reason", "Complaint about 9990000000")
        page.click("#suspend-form button[type=submit]")
        _confirm(page, "suspend")
        refused = page.wait_for_selector("#action-refused")
        assert "personal identifier" in refused.inner_text()
        assert page.inner_text("#agreement-status") == "active"

        page.fill("#suspend-reason", "A provider reported a breach; paused while it is reviewed.")
        page.click("#suspend-form button[type=submit]")
        _confirm(page, "suspend")
        page.wait_for_selector("#action-result")
        assert page.inner_text("#agreement-status") == "suspended"
        assert "paused while it is reviewed" in page.inner_text("#suspension")
        assert _query_hotspots(demo_hub, purpose) == 403

        page.goto(f"{demo_hub.url}/console/agreements")
        row = page.locator(f"tr[data-agreement={HOTSPOTS}]")
        assert row.get_attribute("data-status") == "suspended"
        assert "paused while it is reviewed" in row.locator(".suspension").inner_text()

        page.click(f"tr[data-agreement={HOTSPOTS}] a")
        page.fill("#resume-reason", "The review found no breach.")
        page.click("#resume-form button[type=submit]")
        _confirm(page, "resume")
        page.wait_for_selector("#action-result")
        assert "Resumed" in page.inner_text("#action-result")
        assert page.inner_text("#agreement-status") == "active"
        assert _query_hotspots(demo_hub, purpose) == 200
        assert_no_raw_identifiers(page, demo_hub)
    finally:
        _resume_if_suspended(demo_hub, HOTSPOTS)

    # Both changes are in the audit trail, as the officer's own actions.
    page.goto(f"{demo_hub.url}/console/audit?action=agreement.suspend")
    outcomes = page.locator("#audit-events tbody tr td:nth-child(6)").all_inner_texts()
    assert "allowed" in outcomes and "failed" in outcomes  # the refused reason, then the one


def test_an_analyst_gets_a_refusal_page_for_every_console_page(page, demo_hub):
    analyst = demo_hub.client(role="analyst", partner=OFFICER_PARTNER)
    sign_in(page, demo_hub, analyst, next_path="/")
    for path in ("/console", "/console/agreements", "/console/uploads", "/console/audit"):
        answer = page.goto(f"{demo_hub.url}{path}")
        assert answer.status == 403, path
        assert "for the roles ig_officer" in page.inner_text("main")
