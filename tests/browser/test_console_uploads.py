"""The IG console's uploads pages, in a real browser against `hub demo`."""

from __future__ import annotations

import requests

from tests.browser.console_support import assert_no_raw_identifiers, sign_in_officer


def _rows(page):
    rows = page.locator("#uploads tbody tr")
    return [rows.nth(i) for i in range(rows.count())]


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def test_uploads_show_their_validation_outcomes_and_open_a_report(page, demo_hub):
    sign_in_officer(page, demo_hub, next_path="/console/uploads")
    rows = _rows(page)
    # The council is party to both agreements: every feed of the demo is listed, published.
    assert len(rows) >= 11
    assert {row.get_attribute("data-status") for row in rows} == {"published"}
    invalid = [row for row in rows if _number(row.locator("td.invalid").inner_text()) > 0]
    assert invalid, "the demo's feeds carry deliberate flaws: some rows are set aside"
    for row in rows:
        cells = row.locator("td").all_inner_texts()
        rows_read, valid, set_aside = (_number(cells[i]) for i in (4, 5, 6))
        assert rows_read == valid + set_aside
    assert_no_raw_identifiers(page, demo_hub)

    dataset = invalid[0].locator("td").nth(3).inner_text()
    invalid[0].locator("a", has_text="report").click()
    page.wait_for_selector("#upload-status")
    assert page.inner_text("#upload-status") == "published"
    assert dataset in page.inner_text("h1")
    assert _number(page.inner_text("#rows-invalid")) > 0
    failures = page.locator("#row-failures tbody tr")
    assert failures.count() > 0
    row_number, column, check, message = failures.first.locator("td").all_inner_texts()
    assert int(row_number) >= 2  # the sender's row number; the header is row 1
    assert column and check and message
    assert page.locator("#expectations tbody tr").count() > 0
    assert page.locator("#expectations .badge", has_text="passed").count() > 0
    assert_no_raw_identifiers(page, demo_hub)


def test_uploads_filter_by_partner_agreement_dataset_and_status(page, demo_hub):
    sign_in_officer(page, demo_hub, next_path="/console/uploads")
    page.select_option("#f-partner", "northshire-police")
    page.click("#upload-filters button[type=submit]")
    page.wait_for_url("**/console/uploads?partner=northshire-police*")
    police = _rows(page)
    assert police and {r.locator("td").nth(1).inner_text() for r in police} == {"northshire-police"}

    page.select_option("#f-agreement", "crime-asb-hotspots")
    page.select_option("#f-dataset", "police-street-crime")
    page.click("#upload-filters button[type=submit]")
    page.wait_for_url("**dataset=police-street-crime*")
    street = _rows(page)
    assert len(street) == 1
    assert street[0].locator("td").nth(3).inner_text() == "police-street-crime"

    page.select_option("#f-status", "rejected")
    page.click("#upload-filters button[type=submit]")
    page.wait_for_selector("#no-uploads")

    # A value not offered (typed into the address bar) is refused, saying why.
    answer = page.goto(f"{demo_hub.url}/console/uploads?partner=westshire-council")
    assert answer.status == 400
    assert "choose one from the list" in page.inner_text("#filter-problems")


def test_a_school_officer_sees_only_its_agreements_uploads(page, demo_hub):
    sign_in_officer(page, demo_hub, partner="riverside-academy", next_path="/console/uploads")
    agreements = {r.locator("td").nth(2).inner_text() for r in _rows(page)}
    assert agreements == {"early-intervention-young-people"}
    # An upload under the other agreement is "not found" for it, as for an unknown id.
    council = demo_hub.client(role="ig_officer", partner="northshire-council")
    listed = requests.get(
        f"{demo_hub.url}/api/v1/uploads",
        params={"agreement": "crime-asb-hotspots", "limit": 1},
        headers={"Authorization": f"Bearer {demo_hub.token(council)}"},
        timeout=10,
    )
    hotspots_upload = listed.json()["items"][0]["id"]
    answer = page.goto(f"{demo_hub.url}/console/uploads/{hotspots_upload}")
    assert answer.status == 404
    assert "no upload" in page.inner_text("main").lower()
