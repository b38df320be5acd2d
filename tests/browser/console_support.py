"""Helpers for the IG console's browser tests: signing in as an officer or an analyst, and
checking that no raw identifier from the demo's feeds shows on a page."""

from __future__ import annotations

import csv
import functools
import re
from pathlib import Path

from tests.browser.conftest import DemoHub, sign_in

OFFICER_PARTNER = "northshire-council"

# The feeds' columns that hold a person's identifiers, as the partners send them.
IDENTIFIER_COLUMNS = {
    "upn",
    "nhs_number",
    "pnc_id",
    "postcode",
    "subject_postcode",
    "date_of_birth",
    "subject_date_of_birth",
}
NAME_COLUMNS = (("forename", "surname"), ("subject_forename", "subject_surname"))
# Dates of birth from here on could be any date the console shows (agreement terms, upload
# times), so they are left out of the check; the residents born then are a few babies.
_DOB_FROM = "2024-01-01"
_WORD = re.compile(r"[A-Za-z0-9/\-]+")


def sign_in_officer(page, hub: DemoHub, *, partner: str = OFFICER_PARTNER, next_path="/console"):
    officer = hub.client(role="ig_officer", partner=partner)
    return sign_in(page, hub, officer, next_path=next_path)


def _spaced(value: str) -> str:
    return " ".join(value.split())


@functools.cache
def _identifiers(feeds: Path) -> frozenset[str]:
    found: set[str] = set()
    for path in feeds.rglob("*.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                for column in IDENTIFIER_COLUMNS & row.keys():
                    value = _spaced(row[column] or "")
                    if len(value) < 6 or ("date_of_birth" in column and value >= _DOB_FROM):
                        continue
                    found.update({value, value.replace(" ", "")})
                for first, last in NAME_COLUMNS:
                    if row.get(first) and row.get(last):
                        found.add(_spaced(f"{row[first]} {row[last]}"))
    return frozenset(found)


def raw_identifiers(hub: DemoHub) -> frozenset[str]:
    """Every identifier value (and full name) in the demo's feeds, as sent."""
    feeds = hub.instance / "demo-feeds"
    identifiers = _identifiers(feeds)
    assert identifiers, f"no feeds under {feeds}: did the demo write its data?"
    return identifiers


def _phrases(text: str) -> set[str]:
    """The page's words and runs of two and three words: identifiers written with spaces
    (a postcode, an NHS number as printed, a full name) are such runs."""
    words = _WORD.findall(text)
    out = set(words)
    for n in (2, 3):
        out.update(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    return out


def assert_no_raw_identifiers(page, hub: DemoHub) -> None:
    """Neither the page's text nor its HTML (attributes, scripts) holds a raw identifier."""
    seen = _phrases(page.inner_text("body")) | _phrases(page.content())
    leaked = seen & raw_identifiers(hub)
    assert not leaked, f"{page.url} shows raw identifiers: {sorted(leaked)[:5]}"
