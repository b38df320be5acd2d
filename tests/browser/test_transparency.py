"""The public transparency page in a real browser, without signing in, against `hub demo`."""

from __future__ import annotations

import re

import requests

from hub import clock


def test_the_public_page_shows_agreements_monthly_counts_and_the_checkpoint(page, demo_hub):
    # Ask for a checkpoint first, so that the hub has signed at least one.
    signed = requests.get(f"{demo_hub.url}/api/v1/audit/checkpoint", timeout=30)
    assert signed.status_code == 200
    size_then = int(signed.text.splitlines()[1])

    page.goto(f"{demo_hub.url}/transparency")
    assert page.locator("[data-testid=signed-in-as]").count() == 0
    assert "/sign-in" not in page.url

    agreements = page.inner_text("#agreements")
    for words in (
        "Early intervention for young people",
        "Crime and ASB hot spots",
        "Northshire Police",
        "Riverside Academy",
        "730 days",
        "UK GDPR Art. 6(1)(e)",
        "DPA 2018 Part 3",
    ):
        assert words in agreements, words
    assert page.locator("#agreements table.datasets").count() == 2

    rows = page.locator("#monthly-counts tbody tr")
    assert rows.count() == 12
    this_month = page.locator(f'#monthly-counts tr[data-month="{clock.today():%Y-%m}"]')
    counts = [int(n) for n in re.findall(r"\d+", this_month.inner_text().split("\t", 1)[-1])]
    uploads, published, queries, _refusals = counts[-4:]
    # The demo uploaded its feeds and ran its views this month (or the tests did).
    assert uploads >= 1 and published >= 1 and queries >= 1

    assert int(page.inner_text("[data-testid=checkpoint-size]")) >= size_then
    note = page.inner_text("#checkpoint-note")
    assert re.match(r"^\S+\n\d+\n[A-Za-z0-9+/=]{44}\n", note), note
    verify = page.inner_text("#how-to-verify")
    assert "/api/v1/audit/checkpoint" in verify and "/api/v1/audit/public-key" in verify
    assert "hub-verify" in verify and "docs/verifying-the-log.md" in verify
    # No client ids on a public page.
    for client in demo_hub.clients:
        assert client["client_id"] not in page.content()
