"""The analyst page at `/`, in a real browser, against `hub demo` and its synthetic data.

What an analyst sees: the sign-in prompt, the views they may query, a query refused without
a justification (the hub's own words), rows named by pseudonyms and never by a raw
identifier, downloads that are the same rows (and are audited as queries of their own), and
the hot spots on a map with suppressed cells marked. Every test only reads the demo's data.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import requests

from hub.auth import person_label
from tests.browser.conftest import at_provider, sign_in

COHORT = "early-intervention-cohort"
HOTSPOTS = "crime-asb-hotspots"
PSEUDONYM = re.compile(r"^[0-9a-f]{64}$")
# Raw identifiers as they would look on a page: an NHS number (10 digits, maybe spaced) and
# a UPN (a letter, 11 digits, a digit or letter), each standing alone, not inside a pseudonym.
NHS_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{3}[ -]?\d{3}[ -]?\d{4}(?![0-9A-Za-z])")
UPN = re.compile(r"(?<![0-9A-Za-z])[A-Z]\d{11}[0-9A-Z](?![0-9A-Za-z])")
IDENTIFIER_COLUMNS = (
    "upn",
    "nhs_number",
    "pnc_id",
    "date_of_birth",
    "postcode",
    "subject_date_of_birth",
    "subject_postcode",
)
NAME_COLUMNS = (("forename", "surname"), ("subject_forename", "subject_surname"))
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _raw_identifiers(hub) -> set[str]:
    """Every identifier the partners sent the demo hub, from the feed files themselves, and
    each person's full name."""
    found: set[str] = set()
    for path in Path(hub.instance, "demo-feeds").rglob("*.csv"):
        with path.open(newline="") as source:
            for row in csv.DictReader(source):
                for column in IDENTIFIER_COLUMNS:
                    value = (row.get(column) or "").strip()
                    if len(value) >= 6:
                        found.add(value)
                for first, last in NAME_COLUMNS:
                    if row.get(first) and row.get(last):
                        found.add(f"{row[first].strip()} {row[last].strip()}")
    assert len(found) > 1000, "the demo's feeds were not found"
    return found


def _assert_no_raw_identifier(text: str, raw: set[str]) -> None:
    assert not NHS_NUMBER.search(text), NHS_NUMBER.search(text).group(0)
    assert not UPN.search(text), UPN.search(text).group(0)
    tokens = set(re.findall(r"[0-9A-Za-z]+", text))
    for value in raw:
        # A value of letters and digits only must not stand alone (a pseudonym is hex and
        # may hold any short run of digits); anything else must not appear at all.
        shown = value in tokens if value.isalnum() else value in text
        assert not shown, "a raw identifier from the demo's feeds is on the page"


def _sign_in_with_demo_button(page, hub, label: str) -> dict:
    """Sign in as the demo person `partner · role` names, at their provider's login page."""
    partner, role = (part.strip() for part in label.split("·"))
    person = sign_in(page, hub, hub.person(role=role, partner=partner), next_path="/")
    page.wait_for_url(f"{hub.url}/")
    return person


def _open_view(page, title: str) -> None:
    page.wait_for_selector(".view-open")
    page.get_by_role("button", name=title, exact=True).click()
    page.wait_for_selector("#view-detail:not([hidden])")
    assert page.inner_text("#view-title") == title


def _run(page, justification: str, *, limit: int | None = None) -> None:
    page.fill("#justification", justification)
    if limit is not None:
        page.fill("#limit", str(limit))
    page.click("#run-query")
    page.wait_for_selector("#result:not([hidden]), #query-problem:not([hidden])")


def _table(page) -> tuple[list[str], list[list[str]]]:
    # The view's columns: not the row's action ("Request re-identification").
    headers = page.eval_on_selector_all(
        "#result-table thead th:not(.row-action)", "els => els.map(e => e.textContent)"
    )
    rows = page.eval_on_selector_all(
        "#result-table tbody tr",
        "rows => rows.map(r => [...r.cells].filter(c => !c.classList.contains('row-action'))"
        ".map(c => c.textContent))",
    )
    return headers, rows


def _queries_audited(hub, analyst: dict, justification: str) -> list[dict]:
    """The `view.query` audit events of the person `analyst` with `justification`, as an IG
    officer reads them through the API."""
    officer = hub.client(role="ig_officer", partner=analyst["partner"])
    label = person_label(issuer=analyst["issuer"], subject=analyst["subject"])
    answer = requests.get(
        f"{hub.url}/api/v1/audit/events",
        params={"actor": label, "action": "view.query", "limit": 1000},
        headers={"Authorization": f"Bearer {hub.token(officer)}"},
        timeout=30,
    )
    answer.raise_for_status()
    return [e for e in answer.json()["items"] if e["details"].get("justification") == justification]


def test_signed_out_visit_shows_the_sign_in_prompt(page, demo_hub):
    page.goto(f"{demo_hub.url}/")
    prompt = page.wait_for_selector("#signed-out:not([hidden])")
    assert "not signed in" in prompt.inner_text()
    assert page.get_attribute("#sign-in-prompt", "href") == "/sign-in?next=/"
    assert page.is_hidden("#analyst")
    page.click("#sign-in-prompt")
    page.wait_for_url("**/sign-in?next=/")


def test_council_analyst_runs_the_cohort_and_downloads_it(page, demo_hub, tmp_path):
    analyst = demo_hub.person(role="analyst", partner="northshire-council")
    page.goto(f"{demo_hub.url}/")
    page.click("#sign-in-prompt")
    page.click("#providers a[data-partner=northshire-council]")
    at_provider(page, analyst)
    page.wait_for_url(f"{demo_hub.url}/")
    page.wait_for_selector(".view-open")
    listed = page.eval_on_selector_all(".view-open", "els => els.map(e => e.dataset.viewId)")
    assert set(listed) == {COHORT, HOTSPOTS, "violence-hotspots", "street-crime-forecast"}

    _open_view(page, "Early intervention cohort")
    assert page.input_value("#purpose") == "safeguarding-early-help"
    assert page.inner_text("#purpose-description").strip()
    assert "The person's pseudonym" in page.inner_text("#columns-table")
    justification = f"Browser test: early help panel list {uuid.uuid4().hex[:8]}"
    _run(page, justification)
    assert page.is_hidden("#query-problem")

    headers, rows = _table(page)
    assert headers[0] == "person" and "police_contacts" in headers
    assert rows and all(PSEUDONYM.match(row[0]) for row in rows)
    assert page.inner_text("#row-count").startswith(f"{len(rows)} rows")
    assert page.is_hidden("#map-panel")  # a person view has no map
    raw = _raw_identifiers(demo_hub)
    _assert_no_raw_identifier(page.inner_text("body"), raw)
    _assert_no_raw_identifier(page.content(), raw)

    with page.expect_download() as started:
        page.click("#download-csv")
    download = started.value
    assert download.suggested_filename.startswith(f"{COHORT}-")
    assert download.suggested_filename.endswith(".csv")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    table = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8"), newline="")))
    assert table[0] == headers
    assert table[1:] == rows  # the same rows as the page, in the same order
    for line in table:
        for value in line:
            assert not value.startswith(FORMULA_START), "a CSV cell would run as a formula"
    _assert_no_raw_identifier(saved.read_text(encoding="utf-8"), raw)

    with page.expect_download() as started:
        page.click("#download-parquet")
    parquet = tmp_path / started.value.suggested_filename
    assert parquet.suffix == ".parquet"
    started.value.save_as(parquet)
    frame = pq.read_table(parquet)
    assert frame.column_names == headers
    assert frame.column("person").to_pylist() == [row[0] for row in rows]
    assert "Saved" in page.inner_text("#download-note")

    # The query and each download are queries of their own in the audit log.
    events = _queries_audited(demo_hub, analyst, justification)
    assert [e["outcome"] for e in events] == ["allowed", "allowed", "allowed"]
    assert all(e["details"]["rows"] == len(rows) for e in events)
    # Each names the person, as their provider does, and their partner.
    for event in events:
        actor = event["actor"]
        assert actor["kind"] == "person"
        assert actor["name"] == analyst["name"]
        assert (actor["issuer"], actor["subject"]) == (analyst["issuer"], analyst["subject"])
        assert actor["partner"] == "northshire-council"


def test_load_more_fetches_the_next_page(page, demo_hub):
    _sign_in_with_demo_button(page, demo_hub, "northshire-council · analyst")
    _open_view(page, "Early intervention cohort")
    _run(page, "Browser test: paging through the cohort", limit=25)
    assert "there are more" in page.inner_text("#row-count")
    first, first_rows = _table(page)
    assert len(first_rows) == 25
    page.click("#load-more")
    # A locator, not wait_for_function: the page's CSP refuses the eval that one uses.
    page.locator("#result-table tbody tr").nth(25).wait_for()
    _, rows = _table(page)
    assert rows[:25] == first_rows
    people = [row[0] for row in rows]
    assert len(set(people)) == len(people)  # the next page, not the first again


def test_an_empty_justification_is_refused_in_the_hubs_own_words(page, demo_hub):
    analyst = demo_hub.client(role="analyst", partner="northshire-council")
    _sign_in_with_demo_button(page, demo_hub, "northshire-council · analyst")
    _open_view(page, "Early intervention cohort")
    _run(page, "   ")
    problem = page.wait_for_selector("#query-problem:not([hidden])")
    assert page.is_hidden("#result")
    answer = requests.post(
        f"{demo_hub.url}/api/v1/views/{COHORT}/query",
        json={"purpose": "safeguarding-early-help", "justification": "   "},
        headers={"Authorization": f"Bearer {demo_hub.token(analyst)}"},
        timeout=30,
    )
    assert answer.status_code == 403
    assert page.inner_text("#query-problem .problem-detail") == answer.json()["detail"]
    assert "justification" in problem.inner_text()


def test_police_analyst_sees_the_hot_spots_on_a_map(page, demo_hub):
    _sign_in_with_demo_button(page, demo_hub, "northshire-police · analyst")
    page.wait_for_selector(".view-open")
    listed = page.eval_on_selector_all(".view-open", "els => els.map(e => e.dataset.viewId)")
    assert COHORT not in listed  # council analysts only
    _open_view(page, "Crime and ASB hot spots")
    assert page.inner_text("#view-cell").startswith("5")
    _run(page, "Browser test: where to plan patrols")
    page.wait_for_selector("#map-panel:not([hidden]) path.lsoa-marker")

    headers, rows = _table(page)
    assert headers[:2] == ["lsoa_code", "month"]
    lsoas = {row[0] for row in rows}
    # Every LSOA in the answer is on the map (the reference data knows all 60 of Northshire's).
    assert page.locator("path.lsoa-marker").count() == len(lsoas)
    assert page.locator("path.lsoa-count").count() > 0
    assert page.locator("path.lsoa-suppressed").count() > 0
    suppressed = page.locator("#result-table td .suppressed")
    assert suppressed.count() > 0
    assert "fewer than 5" in suppressed.first.get_attribute("title")
    assert "suppressed" in page.inner_text("#map-legend")

    months = page.eval_on_selector_all("#map-month option", "els => els.map(e => e.value)")
    assert months == sorted({row[1] for row in rows})
    assert page.input_value("#map-month") == months[-1]
    assert page.input_value("#map-measure") == "incidents"
    page.locator("path.lsoa-count").first.click(force=True)
    popup = page.wait_for_selector(".leaflet-popup-content")
    assert "Northshire" in popup.inner_text() and months[-1] in popup.inner_text()

    page.select_option("#map-month", months[0])
    # A locator, not wait_for_function: the page's CSP refuses the eval that one uses.
    page.locator("#map-note", has_text=months[0]).wait_for()
    assert page.locator("path.lsoa-marker").count() == len(lsoas)
    # No tiles from the internet: every image and script on the page is the hub's own.
    sources = page.eval_on_selector_all(
        "img, script[src], link[rel=stylesheet]", "els => els.map(e => e.src || e.href)"
    )
    assert all(s.startswith(demo_hub.url) for s in sources), sources


def test_police_analyst_sees_next_months_patrol_zones_on_the_map(page, demo_hub):
    _sign_in_with_demo_button(page, demo_hub, "northshire-police · analyst")
    _open_view(page, "Street crime forecast (patrol zones)")
    assert "never people" in page.inner_text("#view-kind")
    assert page.is_hidden("#download-csv") and page.is_visible("#download-geojson")
    _run(page, "Browser test: next month's patrol zones")
    page.wait_for_selector("#map-panel:not([hidden]) path.forecast-zone")
    headers, rows = _table(page)
    assert headers == ["rank", "forecast_count", "suppressed", "h3_cells"]
    assert [row[0] for row in rows] == [str(n) for n in range(1, len(rows) + 1)]
    assert page.locator("path.forecast-zone").count() == len(rows)
    for row in rows:  # a count is shown only at or over the minimum cell size
        assert (row[1] == "suppressed") == (row[2] == "yes")
        assert row[1] == "suppressed" or int(row[1]) >= 5
    served = page.inner_text("#forecast-served")
    assert served.startswith("Model served: ") and "baseline" in page.inner_text(
        "#forecast-accuracy"
    )
    assert "10-15 minutes per visit, about every 2 hours" in page.inner_text("#forecast-patrol")
    assert "not a prediction of offenders" in page.inner_text("#forecast-disclaimer")
    page.locator("path.forecast-zone").first.click(force=True)
    popup = page.wait_for_selector(".leaflet-popup-content")
    assert "Zone 1" in popup.inner_text()


def test_an_outsider_analyst_sees_no_views_and_why(page, demo_hub):
    _sign_in_with_demo_button(page, demo_hub, "westshire-council · analyst")
    explanation = page.wait_for_selector("#no-views:not([hidden])")
    text = explanation.inner_text()
    assert "No views are open to you" in text
    assert "westshire-council" in text
    assert "information-governance officer" in text
    assert page.is_hidden("#views-table")
    assert page.is_hidden("#view-detail")
