"""The IG officer's s.62 report, "who has seen this person" and flags, in a real browser
against `hub demo` and its synthetic data (SQLite and PostgreSQL).

Each test makes its own queries or refusals through the API first, with texts unique to the
test, and then finds them in the console; nothing here changes what other tests read.
"""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path

import requests

from hub.pseudonymise import Keyring, nhs_check_digit, normalise, pseudonym
from tests.browser.conftest import DemoHub, sign_in

COHORT = "early-intervention-cohort"
EARLY = "early-intervention-young-people"
OFFICER_PARTNER = "northshire-council"
SCHOOL_DATASETS = ("school-exclusions", "school-attendance")
REFUSALS = 5  # hub.governance.REFUSALS_PER_DAY


def _bearer(hub: DemoHub, client: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {hub.token(client)}"}


def _query_cohort(hub: DemoHub, *, justification: str, case_reference: str) -> requests.Response:
    analyst = hub.client(role="analyst", partner="northshire-council")
    answer = requests.post(
        f"{hub.url}/api/v1/views/{COHORT}/query",
        headers=_bearer(hub, analyst),
        json={
            "purpose": "safeguarding-early-help",
            "justification": justification,
            "case_reference": case_reference,
            "limit": 10_000,
        },
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return answer


def _officer(page, hub: DemoHub, next_path: str) -> dict:
    officer = hub.client(role="ig_officer", partner=OFFICER_PARTNER)
    return sign_in(page, hub, officer, next_path=next_path)


def test_the_s62_report_lists_a_query_and_downloads_as_csv(page, demo_hub, tmp_path):
    unique = uuid.uuid4().hex[:8]
    justification = f"=Browser test s.62 {unique}: early help panel"
    case_reference = f"S62-{unique}"
    answer = _query_cohort(demo_hub, justification=justification, case_reference=case_reference)

    _officer(page, demo_hub, "/console/report")
    page.wait_for_selector("#report-table")
    row = page.locator("#report-table tbody tr", has_text=case_reference)
    assert row.count() == 1
    text = row.inner_text()
    assert justification in text
    assert COHORT in text and "consultation and disclosure" in text
    assert str(len(answer.json()["rows"])) in text
    assert row.get_attribute("data-request-id") == answer.headers["X-Request-Id"]
    # The demo's uploads are disclosures from their providers to the agreement's recipients.
    assert page.locator("#report-table tbody tr", has_text="school-exclusions").count() >= 1

    with page.expect_download() as download:
        page.click("#download-csv")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith("s62-report-northshire-council-")
    with saved.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    (mine,) = [r for r in rows if r["case_reference"] == case_reference]
    assert mine["justification"] == "'" + justification  # a formula stays text
    assert mine["view"] == COHORT
    assert mine["recipients"] == "northshire-council"
    assert mine["request_id"] == answer.headers["X-Request-Id"]
    assert any(r["category"] == "disclosure" for r in rows)


def _demo_person(hub: DemoHub, shown: set[str]) -> tuple[str, str]:
    """(UPN, NHS number) of someone the cohort query showed, from the demo's own feed files
    and its pseudonym key (the test is the oracle here, as views_support is in the
    integration tests)."""
    key = (hub.instance / "keys" / "pseudonym-master.key").read_bytes()
    keyring = Keyring(key)
    feeds = hub.instance / "demo-feeds"
    manifest = json.loads((feeds / "manifest.json").read_text())
    for feed in manifest["feeds"]:
        if feed["agreement"] != EARLY or feed["dataset"] not in SCHOOL_DATASETS:
            continue
        with Path(feeds, feed["path"]).open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                try:
                    upn = normalise(kind="upn", value=row["upn"])
                    nhs = normalise(kind="nhs_number", value=row["nhs_number"])
                except ValueError:
                    continue
                if pseudonym(kind="upn", value=upn, domain=EARLY, keyring=keyring) in shown:
                    return upn, nhs
    raise AssertionError("nobody the cohort showed has a UPN and NHS number in a school feed")


def test_who_has_seen_a_person_lists_the_query_and_keeps_the_number_nowhere(page, demo_hub):
    unique = uuid.uuid4().hex[:8]
    case_reference = f"SEEN-{unique}"
    answer = _query_cohort(
        demo_hub, justification=f"Browser test who-has-seen {unique}", case_reference=case_reference
    )
    shown = {row["person"] for row in answer.json()["rows"]}
    upn, nhs = _demo_person(demo_hub, shown)
    spaced = f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}"

    officer = _officer(page, demo_hub, "/console/seen")
    page.check("#kind-nhs_number")
    page.fill("#identifier", spaced)
    page.click("#seen-form button[type=submit]")
    page.wait_for_selector("#seen-result")
    row = page.locator("#seen-table tbody tr", has_text=case_reference)
    assert row.count() == 1
    assert row.get_attribute("data-request-id") == answer.headers["X-Request-Id"]
    assert "northshire-council" in row.inner_text()
    assert "/console/seen" in page.url and nhs not in page.url
    assert page.input_value("#identifier") == ""  # not shown back
    assert nhs not in page.content() and spaced not in page.content()

    # A wrong check digit: a clear message, and the value is not repeated.
    wrong = nhs[:9] + next(d for d in "0123456789" if d != nhs_check_digit(nhs[:9]))
    page.check("#kind-nhs_number")
    page.fill("#identifier", wrong)
    page.click("#seen-form button[type=submit]")
    message = page.wait_for_selector("#seen-error").inner_text()
    assert "The NHS number you entered is not valid (check digit" in message
    assert wrong not in page.content()

    # Nowhere: the hub's log file, the audit events (which name the kind and the count).
    logged = demo_hub.log.read_text(errors="replace")
    events = requests.get(
        f"{demo_hub.url}/api/v1/audit/events",
        params={"action": "person.lookup", "actor": officer["client_id"], "limit": 100},
        headers=_bearer(demo_hub, demo_hub.client(role="ig_officer", partner=officer["partner"])),
        timeout=30,
    )
    assert events.status_code == 200, events.text
    items = events.json()["items"]
    assert [e["details"]["kind"] for e in items][-2:] == ["nhs_number", "nhs_number"]
    assert items[-2]["details"]["matched_queries"] >= 1
    assert items[-1]["details"]["valid"] is False
    for secret in (nhs, spaced, wrong, upn):
        assert secret not in logged
        assert secret not in events.text


def test_flags_explain_the_rules_and_show_a_burst_of_refusals(page, demo_hub):
    outsider = next(
        c
        for c in demo_hub.clients
        if "analyst" in c["roles"] and c["partner"] == "westshire-council"
    )
    headers = _bearer(demo_hub, outsider)
    for _ in range(REFUSALS):
        refused = requests.post(
            f"{demo_hub.url}/api/v1/views/{COHORT}/query",
            headers=headers,
            json={"purpose": "safeguarding-early-help", "justification": "Browser test flags"},
            timeout=30,
        )
        assert refused.status_code == 403

    _officer(page, demo_hub, "/console/flags")
    rules = page.inner_text("#flag-rules")
    for words in ("Unusual query volume", "Queries out of hours", "Repeated refusals"):
        assert words in rules
    assert "mean plus 3 standard deviations" in rules
    flag = page.locator(
        f'tr.flag[data-rule="repeated-refusals"][data-client="{outsider["client_id"]}"]'
    )
    assert flag.count() >= 1
    assert "refused requests" in flag.first.inner_text()

    flag.first.locator("a", has_text="The events").click()
    page.wait_for_url("**/console/audit?**")
    assert f"analyst={outsider['client_id']}" in page.url and "outcome=denied" in page.url
    page.wait_for_selector("#audit-events")
    assert outsider["client_id"] in page.inner_text("#audit-events")
