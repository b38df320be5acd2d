"""Data for the view tests: a small synthetic Northshire published through the real ingest
pipeline (submit_upload + the embedded workers), and the expected answers worked out from
the raw feeds, independently of the SQL the views compile to."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date

from hub import clock
from hub.pseudonymise import Keyring, normalise, pseudonym
from hub.synthetic import UPLOADS, make_feeds, make_population
from hub.synthetic.records import Feed
from hub.views.compile import months_before

from .ingest_support import process, uploader

EARLY = "early-intervention-young-people"
CRIME_AGREEMENT = "crime-asb-hotspots"


@dataclass(frozen=True)
class Published:
    feeds: dict[tuple[str, str], Feed]
    today: date


def feed_bytes(feed: Feed) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(feed.columns)
    writer.writerows([row[c] for c in feed.columns] for row in feed.rows)
    return out.getvalue().encode("utf-8")


def publish_population(app, *, size: int = 1000, agreements=(EARLY, CRIME_AGREEMENT)) -> Published:
    """Every feed of `agreements` submitted and published, as the partners would send them.
    The population is made for today, so that "the last 12 months" holds data."""
    today = clock.today()
    population = make_population(size=size, seed=7, today=today)
    feeds = make_feeds(population, seed=7, today=today)
    for agreement, partner, dataset in UPLOADS:
        if agreement not in agreements:
            continue
        upload = process(
            app, uploader(partner), agreement, dataset, feed_bytes(feeds[(partner, dataset)])
        )
        assert upload.status == "published", (agreement, partner, dataset, upload.cause)
    return Published(feeds, today)


def kept_rows(feed: Feed) -> list[dict[str, str]]:
    """The rows the pipeline keeps: the feed's known flaws say which it sets aside."""
    rejected = set(feed.rejected_rows())
    return [row for n, row in enumerate(feed.rows, start=1) if n not in rejected]


def _canonical(kind: str, value: str) -> str | None:
    try:
        return normalise(kind=kind, value=value) if value else None
    except ValueError:
        return None  # a flawed identifier: the pipeline rejects or blanks it


def expected_cohort(app, published: Published) -> set[str]:
    """The cohort worked out in Python from the raw feeds, as UPN pseudonyms."""
    feeds, today = published.feeds, published.today
    since = months_before(today, 12).isoformat()
    people: dict[str, dict] = {}

    def person(row):
        upn = _canonical("upn", row["upn"])
        if upn is None:
            return None
        p = people.setdefault(upn, {"nhs": set(), "dobpc": set(), "dob": None, "absent": [0, 0]})
        nhs = _canonical("nhs_number", row.get("nhs_number", ""))
        dob = _canonical("date_of_birth", row["date_of_birth"])
        pc = _canonical("postcode", row.get("postcode", ""))
        if nhs:
            p["nhs"].add(nhs)
        if dob:
            p["dob"] = dob
        if dob and pc:
            p["dobpc"].add((dob, pc))
        return p

    excluded, absent = set(), set()
    for school in ("riverside-academy", "hillcrest-high-school"):
        for row in kept_rows(feeds[(school, "school-exclusions")]):
            p = person(row)
            if p is not None and row["start_date"] >= since:
                excluded.add(_canonical("upn", row["upn"]))
        for row in kept_rows(feeds[(school, "school-attendance")]):
            p = person(row)
            if p is None:
                continue
            try:
                p["absent"][0] += int(row["sessions_authorised_absence"]) + int(
                    row["sessions_unauthorised_absence"]
                )
                p["absent"][1] += int(row["sessions_possible"])
            except ValueError:
                continue
    for upn, p in people.items():
        if p["absent"][1] and p["absent"][0] >= 0.1 * p["absent"][1]:
            absent.add(upn)

    def contacts(feed: Feed, date_column: str) -> tuple[Counter, Counter]:
        by_nhs, by_dobpc = Counter(), Counter()
        for row in kept_rows(feed):
            if row[date_column][:10] < since:
                continue
            nhs = _canonical("nhs_number", row.get("nhs_number", ""))
            dob = _canonical("date_of_birth", row.get("date_of_birth", ""))
            pc = _canonical("postcode", row.get("postcode", ""))
            if nhs:
                by_nhs[nhs] += 1
            if dob and pc:
                by_dobpc[(dob, pc)] += 1
        return by_nhs, by_dobpc

    police = contacts(feeds[("northshire-police", "police-contacts")], "contact_date")
    ae = contacts(feeds[("northshire-hospitals", "nhs-ae-attendances")], "arrived_at")
    cutoff = f"{today.year - 18:04d}-{today.month:02d}"
    cohort = set()
    for upn in excluded | absent:
        p = people[upn]
        if p["dob"] is None or p["dob"][:7] <= cutoff:
            continue
        linked = any(
            any(n in source[0] for n in p["nhs"]) or any(k in source[1] for k in p["dobpc"])
            for source in (police, ae)
        )
        if linked:
            cohort.add(upn)
    keyring = Keyring(app.extensions["hub.keys"].pseudonym_master_key)
    return {pseudonym(kind="upn", value=u, domain=EARLY, keyring=keyring) for u in cohort}


def expected_hotspots(published: Published) -> dict[tuple[str, str], dict[str, int]]:
    """(lsoa, month) -> true counts, from the raw street-crime and ASB feeds."""
    feeds = published.feeds
    cells: dict[tuple[str, str], dict[str, int]] = {}
    for row in kept_rows(feeds[("northshire-police", "police-street-crime")]):
        if row["LSOA code"] and row["Crime type"] != "Anti-social behaviour":
            cell = cells.setdefault((row["LSOA code"], row["Month"][:7]), Counter())
            cell["crimes"] += 1
    for row in kept_rows(feeds[("northshire-council", "council-asb-reports")]):
        if row["lsoa_code"] and row["incident_date"]:
            cell = cells.setdefault((row["lsoa_code"], row["incident_date"][:7]), Counter())
            cell["asb_reports"] += 1
    return cells


def raw_identifiers(published: Published) -> set[str]:
    """Every raw identifier value in the early-intervention feeds, as sent."""
    columns = {
        "upn",
        "nhs_number",
        "pnc_id",
        "postcode",
        "date_of_birth",
        "subject_postcode",
        "subject_date_of_birth",
    }
    found = set()
    for (partner, dataset), feed in published.feeds.items():
        for row in feed.rows:
            for column in columns & set(feed.columns):
                value = row[column].strip()
                if len(value) >= 6:
                    found.add(value)
                    found.add(value.replace(" ", ""))
    return found
