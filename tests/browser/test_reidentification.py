"""Governed re-identification in the browser, against a real `hub demo`: the council's analyst
asks about one person of the cohort from its row, the police's and the council's IG officers
approve in the console (with the confirmation), the analyst fetches the references once, and
the console's history and the s.62 report show the reveal. No console page shows the person."""

from __future__ import annotations

import uuid

import requests

from tests.browser.console_support import sign_in_officer
from tests.browser.test_analyst_page import _open_view, _run, _sign_in_with_demo_button, _table

API = "/api/v1/reidentifications"


def _approve(chromium, hub, *, partner: str, request_id: str, pseudonym: str) -> str:
    context = chromium.new_context()
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        sign_in_officer(page, hub, partner=partner, next_path="/console/reidentifications")
        page.goto(f"{hub.url}/console/reidentifications")
        card = page.locator(f"article[data-request='{request_id}']")
        card.wait_for()
        assert "Children Act 1989, s.47" in card.inner_text()
        assert pseudonym not in page.content()
        # Without the confirmation the browser does not send the form.
        card.get_by_role("button", name="Approve").click()
        assert page.url.endswith("/console/reidentifications")
        assert card.get_attribute("data-status") in ("submitted", "partially_approved")
        card.locator("input[name=confirm]").check()
        card.get_by_role("button", name="Approve").click()
        page.wait_for_selector("#decision-result")
        return page.inner_text("#decision-result")
    finally:
        context.close()


def test_an_analyst_requests_two_officers_approve_and_the_references_come_once(
    page, chromium, demo_hub
):
    _sign_in_with_demo_button(page, demo_hub, "northshire-council · analyst")
    _open_view(page, "Early intervention cohort")
    _run(page, f"Browser test: re-identification {uuid.uuid4().hex[:8]}")
    headers, rows = _table(page)
    column = headers.index("police_contacts")
    index = next(i for i, row in enumerate(rows) if int(row[column] or 0) > 0)
    pseudonym = rows[index][0]

    page.locator("[data-testid=request-reidentification]").nth(index).click()
    page.wait_for_selector("#reid-card:not([hidden])")
    page.select_option("#reid-basis", "s171_3a_crime")
    page.fill("#reid-legislation", "Children Act 1989, s.47")
    case = f"SG-BROWSER-{uuid.uuid4().hex[:6]}"
    page.fill("#reid-case", case)
    page.fill("#reid-justification", "Strategy discussion: at risk of exploitation.")
    page.fill("#reid-necessity", "The force must act on its own records of the contacts.")
    page.click("#reid-submit")
    page.wait_for_selector("#reid-done:not([hidden])")
    request_id = page.inner_text("#reid-done").split()[1]
    row = page.locator(f"#reid-requests tr[data-request='{request_id}']")
    assert row.get_attribute("data-status") == "submitted"

    for partner in ("northshire-police", "northshire-council"):
        result = _approve(
            chromium, demo_hub, partner=partner, request_id=request_id, pseudonym=pseudonym
        )
        assert f"case {case}" in result

    page.click("#reid-refresh")
    page.wait_for_selector(f"#reid-requests tr[data-request='{request_id}'][data-status=approved]")
    row.locator("[data-testid=fetch-references]").click()
    page.wait_for_selector("#reid-revealed:not([hidden])")
    revealed = page.eval_on_selector_all(
        "#reid-revealed-table tbody tr",
        "rows => rows.map(r => [...r.cells].map(c => c.textContent))",
    )
    assert revealed and all(r[0] == "northshire-police" for r in revealed)
    assert {r[1] for r in revealed} == {"police-contacts"}
    references = {r[5] for r in revealed}
    assert all(ref and ref != "—" for ref in references)
    page.wait_for_selector(f"#reid-requests tr[data-request='{request_id}'][data-status=revealed]")
    assert row.locator("[data-testid=fetch-references]").count() == 0

    # Once only: the same analyst's client asking again gets 410.
    analyst = demo_hub.client(role="analyst", partner="northshire-council")
    again = requests.get(
        f"{demo_hub.url}{API}/{request_id}/reveal",
        headers={"Authorization": f"Bearer {demo_hub.token(analyst)}"},
        timeout=30,
    )
    assert again.status_code == 410
    assert again.json()["code"] == "reidentification_already_revealed"

    # The console's history and the s.62 report show the reveal; neither shows the person.
    officer = chromium.new_context()
    officer.set_default_timeout(20_000)
    console = officer.new_page()
    try:
        sign_in_officer(console, demo_hub, partner="northshire-police")
        console.goto(f"{demo_hub.url}/console/reidentifications")
        history = console.locator(f"#reidentification-history tr[data-request='{request_id}']")
        assert history.get_attribute("data-status") == "revealed"
        assert case in history.inner_text()
        console.goto(f"{demo_hub.url}/console/report")
        report = (
            console.inner_text("#report")
            if console.locator("#report").count()
            else (console.inner_text("body"))
        )
        assert f"re-identification {request_id}" in report
        assert case in report
        for text in (console.content(), report):
            assert pseudonym not in text
            assert not any(ref in text for ref in references)
    finally:
        officer.close()
