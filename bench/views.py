"""The early-intervention cohort through the hub's HTTP API against the same query written by
hand and run directly, on PostgreSQL, in one run.

Makes linked feeds of one synthetic county (the same young people in the schools', the
police's and the hospital's records; default 1,000,000 police contacts, 200,000 school rows
of attendance and exclusions, 50,000 A&E attendances), then, against a fresh database:

  load:  `hub serve` and two `hub worker`s (Redis queue) run as real processes; each party's
         IG officer approves the agreement, then each feed is sent as its partner's uploader
         would (POST .../uploads) and goes through the whole ingest pipeline (contract
         checks, pseudonymisation, COPY, publish). Then ANALYZE, as autovacuum would soon.
  api:   a council analyst asks POST /api/v1/views/early-intervention-cohort/query with the
         agreement's purpose and a justification, and reads every row (pages of --page-size,
         the API's maximum by default; the time of a run is the sum of its pages, from
         sending the first request to the last answer parsed as JSON);
  sql:   the same question written by hand in SQL from the view's meaning (not compiled by
         the hub; the fastest of the forms tried), run with psycopg on one open connection,
         every row fetched.

Both are warmed up first, then run alternately --runs times, so that a busy machine slows
both alike. The answers must be equal row for row. The last line is JSON: api_p50_ms,
sql_p50_ms, ratio (api / sql), runs, rows, and the rows loaded. Goal (issue 4): ratio <= 1.3.
`--keep` keeps the loaded database; `--reuse-database NAME` times again without loading.

    .venv/bin/python bench/views.py [--police-rows N] [--school-rows N] [--ae-rows N]
        [--runs 20] [--page-size 10000] [--database-url URL] [--redis-url URL]
        [--keep | --reuse-database NAME]
"""

from __future__ import annotations

import argparse
import calendar
import csv
import json
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import psycopg
import requests
from _common import DEFAULT_DATABASE_URL, HubProcesses, database_url, scratch_database

from hub import clock
from hub.synthetic.identifiers import nhs_number, pnc_id, spaced_nhs_number, upn

AGREEMENT = "early-intervention-young-people"
PURPOSE = "safeguarding-early-help"
VIEW = "early-intervention-cohort"
SCHOOLS = {"riverside-academy": "4001", "hillcrest-high-school": "4002"}
FORENAMES = "Aaliyah Ben Chloe Daniel Ella Finley Grace Harry Isla Jack Kai Layla Mason".split()
SURNAMES = "Smith Jones Taylor Brown Williams Wilson Patel Khan O'Neill Robinson Wright".split()
LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters a postcode's inward code may end with
DISTRICTS = ["NE1", "NE2", "NE4", "NE6", "NE8", "NE12", "NE15", "NE23", "SR1", "SR4", "DH1"]
ROLES = ["victim", "suspect", "witness", "missing_person", "person_of_concern"]
OFFENCES = ["Violence against the person", "Robbery", "Theft offences", "Drug offences",
            "Criminal damage and arson", "Public order offences", ""]  # fmt: skip
REASONS = "PP PA VP VA OW BU RA DA DM TH PD MT OT".split()
SESSIONS = {"autumn": 142, "spring": 118, "summer": 126}
MAX_PAGE = 10_000  # hub.views.query.MAX_LIMIT


# --- linked feeds -------------------------------------------------------------------------------


@dataclass
class Person:
    nhs: str
    dob: date
    postcode: str
    sex: str
    upn: str = ""
    school: str = ""
    at_risk: bool = False


def _postcode(rng: random.Random) -> str:
    return f"{rng.choice(DISTRICTS)} {rng.randrange(10)}{rng.choice(LETTERS)}{rng.choice(LETTERS)}"


def _day_within(rng: random.Random, today: date, days: int) -> date:
    return today - timedelta(days=rng.randrange(days))


class County:
    """Pupils of two schools (a few at risk), and the other people the police and the hospital
    meet; every NHS number is unique, so that records link exactly when they should."""

    def __init__(self, *, pupils: int, police_people: int, ae_people: int, today: date, seed: int):
        self.rng = rng = random.Random(seed)
        self.today = today
        used: set[str] = set()

        def person(dob: date) -> Person:
            sex = rng.choice(["male", "female"])
            return Person(nhs_number(rng, used), dob, _postcode(rng), sex)

        self.pupils = []
        for n in range(pupils):
            # Years 7 to 13: 11 to 19 years old today.
            p = person(today - timedelta(days=rng.randrange(11 * 365, 19 * 365)))
            p.school = "riverside-academy" if n % 2 else "hillcrest-high-school"
            p.upn = upn(SCHOOLS[p.school], 2000 + n // 1000 % 100, n % 1000)  # unique
            p.at_risk = rng.random() < 0.12
            self.pupils.append(p)
        young = [p for p in self.pupils if rng.random() < (0.8 if p.at_risk else 0.1)]
        self.police_people = young + [
            person(date(2005, 1, 1) + timedelta(days=rng.randrange(6000)))
            for _ in range(max(1, police_people - len(young)))
        ]
        sick = [p for p in self.pupils if rng.random() < (0.3 if p.at_risk else 0.05)]
        self.ae_people = sick + [
            person(date(1990, 1, 1) + timedelta(days=rng.randrange(12000)))
            for _ in range(max(1, ae_people - len(sick)))
        ]
        self.pnc = {id(p): pnc_id(rng.randrange(2005, 2025), rng.randrange(1, 9_999_999))
                    for p in self.police_people if rng.random() < 0.6}  # fmt: skip


def _writer(path: Path, header: list[str]):
    handle = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115 - caller closes
    out = csv.writer(handle)
    out.writerow(header)
    return handle, out


def write_police(county: County, path: Path, rows: int) -> None:
    rng, today = county.rng, county.today
    handle, out = _writer(path, [
        "contact_id", "pnc_id", "nhs_number", "forename", "surname", "date_of_birth",
        "postcode", "gender", "ethnicity", "contact_date", "contact_role", "offence_group",
        "weapon_involved", "lsoa_code",
    ])  # fmt: skip
    people = county.police_people
    with handle:
        for n in range(rows):
            p = rng.choice(people)
            out.writerow([
                f"NP-{n:09d}",
                county.pnc.get(id(p), ""),
                p.nhs if rng.random() < 0.3 else "",  # the police rarely know it
                rng.choice(FORENAMES),
                rng.choice(SURNAMES),
                p.dob.isoformat(),
                p.postcode if rng.random() < 0.9 else "",
                p.sex,
                rng.choice(["Asian", "Black", "Mixed", "White", "Other", "Not stated"]),
                _day_within(rng, today, 730).isoformat(),
                rng.choice(ROLES),
                rng.choice(OFFENCES),
                rng.choice(["true", "false"]),
                f"E01{rng.randrange(8000, 9999):06d}",
            ])  # fmt: skip


def write_ae(county: County, path: Path, rows: int) -> None:
    rng, today = county.rng, county.today
    handle, out = _writer(path, [
        "attendance_id", "nhs_number", "date_of_birth", "postcode", "sex", "arrived_at",
        "arrival_mode", "assault", "assault_date", "assault_time", "assault_location_type",
        "assault_location", "assault_lsoa_code", "weapon",
    ])  # fmt: skip
    with handle:
        for n in range(rows):
            p = rng.choice(county.ae_people)
            day = _day_within(rng, today, 730)
            assault = rng.random() < 0.1
            out.writerow([
                f"NHFT-AE-{n:08d}",
                spaced_nhs_number(p.nhs) if rng.random() < 0.3 else p.nhs,
                p.dob.isoformat(),
                p.postcode if rng.random() < 0.98 else "",
                p.sex,
                f"{day.isoformat()}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00+00:00",
                rng.choice(["ambulance", "walk_in", "police", "other"]),
                "true" if assault else "false",
                day.isoformat() if assault else "",
                "",
                rng.choice(["street", "home", "park_open_space"]) if assault else "",
                "",
                f"E01{rng.randrange(8000, 9999):06d}" if assault else "",
                rng.choice(["none", "body_fist_or_feet", "bottle_or_glass"]) if assault else "",
            ])  # fmt: skip


def write_schools(county: County, folder: Path, rows: int) -> dict[tuple[str, str], Path]:
    """Attendance per pupil per term for two school years, and exclusions: `rows` in all."""
    rng, today = county.rng, county.today
    year = today.year if today.month >= 9 else today.year - 1  # the current school year
    years = [f"{y}/{(y + 1) % 100:02d}" for y in (year - 2, year - 1)]
    paths, files = {}, {}
    for school in SCHOOLS:
        for dataset, header in (
            ("school-attendance", [
                "upn", "nhs_number", "forename", "surname", "date_of_birth", "postcode",
                "academic_year", "term", "sessions_possible", "sessions_authorised_absence",
                "sessions_unauthorised_absence",
            ]),
            ("school-exclusions", [
                "exclusion_id", "upn", "nhs_number", "forename", "surname", "date_of_birth",
                "postcode", "start_date", "exclusion_type", "sessions", "reason",
            ]),
        ):  # fmt: skip
            paths[(school, dataset)] = path = folder / f"{school}-{dataset}.csv"
            files[(school, dataset)] = _writer(path, header)

    def identity(p: Person, school_knows_nhs: bool) -> list[str]:
        return [
            p.upn,
            p.nhs if school_knows_nhs else "",
            rng.choice(FORENAMES),
            rng.choice(SURNAMES),
            p.dob.isoformat(),
            p.postcode,
        ]

    knows_nhs = {p.upn: rng.random() < 0.75 for p in county.pupils}
    attendance = 0
    for p in county.pupils:
        mean = 0.16 if p.at_risk else 0.055
        rate = min(0.9, rng.lognormvariate(0, 0.6) * mean)
        out = files[(p.school, "school-attendance")][1]
        for label in years:
            for term, possible in SESSIONS.items():
                missed = min(possible, round(possible * rate * rng.uniform(0.7, 1.3)))
                unauthorised = round(missed * rng.uniform(0.2, 0.7))
                out.writerow([
                    *identity(p, knows_nhs[p.upn]), label, term, possible,
                    missed - unauthorised, unauthorised,
                ])  # fmt: skip
                attendance += 1
    at_risk = [p for p in county.pupils if p.at_risk]
    for n in range(max(0, rows - attendance)):
        p = rng.choice(at_risk) if rng.random() < 0.7 else rng.choice(county.pupils)
        permanent = rng.random() < 0.03
        files[(p.school, "school-exclusions")][1].writerow([
            f"EX-{n:08d}",
            *identity(p, knows_nhs[p.upn]),
            _day_within(rng, today, 730).isoformat(),
            "permanent_exclusion" if permanent else "suspension",
            "" if permanent else rng.randint(1, 10),
            rng.choice(REASONS),
        ])  # fmt: skip
    for handle, _ in files.values():
        handle.close()
    return paths


def write_feeds(folder: Path, *, police: int, school: int, ae: int, today: date):
    # Six attendance rows per pupil (two years, three terms) leave a tenth for exclusions.
    pupils = max(10, school * 9 // 10 // 6)
    county = County(
        pupils=pupils, police_people=police // 5, ae_people=ae // 2, today=today, seed=2026
    )
    feeds = {("northshire-police", "police-contacts"): folder / "police-contacts.csv"}
    write_police(county, feeds[("northshire-police", "police-contacts")], police)
    feeds[("northshire-hospitals", "nhs-ae-attendances")] = folder / "nhs-ae-attendances.csv"
    write_ae(county, feeds[("northshire-hospitals", "nhs-ae-attendances")], ae)
    feeds.update(write_schools(county, folder, school))
    return feeds


# --- loading through the hub --------------------------------------------------------------------


def split_feeds(
    feeds: dict[tuple[str, str], Path], parts: int
) -> list[tuple[tuple[str, str], Path]]:
    """Each feed as `parts` files of consecutive rows (the header in each): one upload each,
    so that each dataset table holds `parts` uploads (on PostgreSQL, `parts` partitions)."""
    if parts <= 1:
        return list(feeds.items())
    out = []
    for key, path in feeds.items():
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            rows = list(reader)
        size = -(-len(rows) // parts)
        for n in range(parts):
            chunk = rows[n * size : (n + 1) * size]
            if not chunk:
                break
            part = path.with_name(f"{path.stem}.part{n:03d}.csv")
            with open(part, "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(header)
                writer.writerows(chunk)
            out.append((key, part))
    return out


def upload_all(hub: HubProcesses, feeds) -> None:
    locations = {}
    items = feeds.items() if isinstance(feeds, dict) else feeds
    bearers: dict[str, dict[str, str]] = {}  # one client per partner, however many uploads
    for (partner, dataset), path in items:
        if partner not in bearers:
            bearers[partner] = hub.bearer(partner=partner, roles=["uploader"])
        headers = dict(bearers[partner])
        headers["Content-Type"] = "text/csv"
        with open(path, "rb") as body:
            answer = requests.post(
                f"{hub.base}/api/v1/agreements/{AGREEMENT}/datasets/{dataset}/uploads",
                data=body,
                headers=headers,
                timeout=3600,
            )
        if answer.status_code not in (200, 202):
            raise SystemExit(f"upload of {path.name} refused: {answer.status_code} {answer.text}")
        locations[path.name] = (hub.base + answer.headers["Location"], headers)
    pending = dict(locations)
    while pending:
        for name, (location, headers) in list(pending.items()):
            status = requests.get(location, headers=headers, timeout=30).json()
            if status["status"] == "published":
                del pending[name]
            elif status["status"] in ("rejected", "failed"):
                raise SystemExit(f"{name} ended {status['status']}: {json.dumps(status)[:2000]}")
        time.sleep(1)


# --- the two ways of asking ---------------------------------------------------------------------

# The view, written by hand from policies/views/early-intervention-cohort.yaml: people under
# 18 known to school (an exclusion in the last 12 months, or 10% or more of possible sessions
# missed), linked to police contacts and A&E attendances of the last 12 months by NHS number
# or by date of birth and postcode together; only rows of published uploads within retention.
HAND_SQL = """
WITH exclusions AS (
    SELECT x.upn, x.nhs_number, x.date_of_birth, x.postcode,
           x.date_of_birth_year_month AS born, x.postcode_postcode_district AS district
    FROM ds_early_intervention_young_people__school_exclusions x
    JOIN uploads u ON u.id = x._upload_id AND u.status = 'published'
    WHERE x._expires_at > now() AND x.start_date >= %(since)s AND x.upn IS NOT NULL
), absent AS (
    SELECT a.upn, max(a.nhs_number) AS nhs_number, max(a.date_of_birth) AS date_of_birth,
           max(a.postcode) AS postcode, max(a.date_of_birth_year_month) AS born,
           max(a.postcode_postcode_district) AS district
    FROM ds_early_intervention_young_people__school_attendance a
    JOIN uploads u ON u.id = a._upload_id AND u.status = 'published'
    WHERE a._expires_at > now() AND a.upn IS NOT NULL
    GROUP BY a.upn
    HAVING coalesce(sum(a.sessions_authorised_absence), 0)
         + coalesce(sum(a.sessions_unauthorised_absence), 0) >= 0.1 * sum(a.sessions_possible)
), people AS (
    SELECT upn, max(nhs_number) AS nhs_number, max(date_of_birth) AS date_of_birth,
           max(postcode) AS postcode, max(born) AS born, max(district) AS district
    FROM (SELECT upn, nhs_number, date_of_birth, postcode, born, district FROM exclusions
          UNION ALL
          SELECT upn, nhs_number, date_of_birth, postcode, born, district FROM absent) AS known
    GROUP BY upn
    HAVING max(born) > %(born_after)s
), linked AS MATERIALIZED (
    -- MATERIALIZED: each count once per person (inlined, PostgreSQL would count again for
    -- the SELECT list after filtering on the counts in the WHERE).
    SELECT p.upn, p.born, p.district,
           (SELECT count(*)
            FROM ds_early_intervention_young_people__police_contacts c
            JOIN uploads u ON u.id = c._upload_id AND u.status = 'published'
            WHERE c._expires_at > now() AND c.contact_date >= %(since)s
              AND (c.nhs_number = p.nhs_number
                   OR (c.date_of_birth = p.date_of_birth AND c.postcode = p.postcode))
           ) AS police_contacts,
           (SELECT count(*)
            FROM ds_early_intervention_young_people__nhs_ae_attendances e
            JOIN uploads u ON u.id = e._upload_id AND u.status = 'published'
            WHERE e._expires_at > now() AND e.arrived_at >= %(since)s
              AND (e.nhs_number = p.nhs_number
                   OR (e.date_of_birth = p.date_of_birth AND e.postcode = p.postcode))
           ) AS ae_attendances
    FROM people p
), excluded AS (
    SELECT upn, count(*) AS n FROM exclusions GROUP BY upn
)
SELECT l.upn AS person, l.born, l.district AS postcode_district,
       coalesce(excluded.n, 0) AS school_exclusions, l.police_contacts, l.ae_attendances
FROM linked l LEFT JOIN excluded ON excluded.upn = l.upn
WHERE l.police_contacts > 0 OR l.ae_attendances > 0
ORDER BY l.upn
"""
COLUMNS = [
    "person", "born", "postcode_district", "school_exclusions", "police_contacts",
    "ae_attendances",
]  # fmt: skip


def months_ago(day: date, months: int) -> date:
    """The same day `months` earlier (the month's last day if it has fewer)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def sql_parameters(today: date) -> dict[str, str]:
    # "Under 18" from a year-month of birth: born after the month 18 years ago.
    return {
        "since": months_ago(today, 12).isoformat(),
        "born_after": f"{today.year - 18:04d}-{today.month:02d}",
    }


def ask_sql(conn: psycopg.Connection, today: date) -> list[tuple]:
    with conn.cursor() as cursor:
        cursor.execute(HAND_SQL, sql_parameters(today))
        return cursor.fetchall()


def ask_api(session: requests.Session, base: str, page_size: int) -> tuple[list[tuple], int]:
    rows, cursor, pages = [], None, 0
    while True:
        body = {
            "purpose": PURPOSE,
            "justification": "Benchmark: the early help panel's monthly cohort review.",
            "limit": page_size,
            **({"cursor": cursor} if cursor else {}),
        }
        answer = session.post(f"{base}/api/v1/views/{VIEW}/query", json=body, timeout=600)
        if answer.status_code != 200:
            raise SystemExit(f"the query failed: {answer.status_code} {answer.text[:2000]}")
        page = answer.json()
        pages += 1
        rows += [tuple(r[c] for c in COLUMNS) for r in page["rows"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return rows, pages


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


def describe(name: str, times: list[float]) -> str:
    q = statistics.quantiles(times, n=10)
    return (
        f"{name}: p50 {statistics.median(times):8.1f} ms   min {min(times):8.1f}   "
        f"p90 {q[-1]:8.1f}   max {max(times):8.1f}   mean {statistics.fmean(times):8.1f}"
    )


def measure(hub: HubProcesses, url: str, *, runs: int, warmup: int, page_size: int) -> dict:
    today = clock.today()
    session = requests.Session()
    session.headers.update(hub.bearer(partner="northshire-council", roles=["analyst"]))
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(warmup):
            api_rows, pages = ask_api(session, hub.base, page_size)
            sql_rows = ask_sql(conn, today)
        if sorted(api_rows) != sorted(sql_rows):
            api_set, sql_set = set(api_rows), set(sql_rows)
            raise SystemExit(
                f"the API and the SQL disagree: {len(api_rows)} rows against {len(sql_rows)}; "
                f"{len(api_set - sql_set)} only in the API, {len(sql_set - api_set)} only in SQL"
            )
        api_ms, sql_ms = [], []
        for _ in range(runs):
            took, (rows, _) = timed(lambda: ask_api(session, hub.base, page_size))
            api_ms.append(took)
            took, _ = timed(lambda: ask_sql(conn, today))
            sql_ms.append(took)
    print(f"cohort: {len(api_rows):,} people, {pages} page(s) of at most {page_size:,}")
    print(describe("api", api_ms))
    print(describe("sql", sql_ms))
    api_p50, sql_p50 = statistics.median(api_ms), statistics.median(sql_ms)
    return {
        "api_p50_ms": round(api_p50, 1),
        "sql_p50_ms": round(sql_p50, 1),
        "ratio": round(api_p50 / sql_p50, 2),
        "runs": runs,
        "rows": len(api_rows),
        "pages": pages,
        "page_size": page_size,
    }


def table_sizes(url: str) -> dict[str, int]:
    """Rows per dataset table of the agreement (every row, published or not)."""
    with psycopg.connect(url) as conn:
        names = conn.execute(
            "SELECT tablename FROM pg_tables WHERE tablename LIKE 'ds\\_early\\_intervention%'"
        ).fetchall()
        sizes = {
            name.split("__", 1)[1]: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            for (name,) in names
        }
    return {name: n for name, n in sorted(sizes.items()) if n}


def loaded(sizes: dict[str, int]) -> dict[str, int]:
    return {
        "police_rows": sizes.get("police_contacts", 0),
        "school_rows": sizes.get("school_attendance", 0) + sizes.get("school_exclusions", 0),
        "ae_rows": sizes.get("nhs_ae_attendances", 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--police-rows", type=int, default=1_000_000)
    parser.add_argument("--school-rows", type=int, default=200_000)
    parser.add_argument("--ae-rows", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--page-size", type=int, default=MAX_PAGE)
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="a PostgreSQL server where the benchmark may create a database",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument(
        "--uploads-per-dataset",
        type=int,
        default=1,
        help="send each feed as this many uploads (many partitions per dataset table)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the loaded database")
    parser.add_argument(
        "--reuse-database", metavar="NAME", help="query a database kept by --keep; load nothing"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    settings = {"HUB_ACCESS_TOKEN_TTL_SECONDS": "3600"}

    with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp:
        workdir = Path(tmp)
        if args.reuse_database:
            url = database_url(args.database_url, args.reuse_database)
            with HubProcesses(url, workdir, env=settings) as hub:
                sizes = table_sizes(url)
                print(f"reusing {args.reuse_database}: {sizes}")
                figures = measure(
                    hub, url, runs=args.runs, warmup=args.warmup, page_size=args.page_size
                )
        else:
            with scratch_database(args.database_url, keep=args.keep) as url:
                t = time.perf_counter()
                feeds = write_feeds(
                    workdir,
                    police=args.police_rows,
                    school=args.school_rows,
                    ae=args.ae_rows,
                    today=clock.today(),
                )
                size = sum(p.stat().st_size for p in feeds.values()) / 1e6
                took = time.perf_counter() - t
                print(f"generated {len(feeds)} feeds ({size:.0f} MB) in {took:.1f} s")
                with HubProcesses(
                    url, workdir, redis_url=args.redis_url, workers=2, env=settings
                ) as hub:
                    t = time.perf_counter()
                    hub.approve(AGREEMENT)
                    upload_all(hub, split_feeds(feeds, args.uploads_per_dataset))
                    with psycopg.connect(url, autocommit=True) as conn:
                        conn.execute("ANALYZE")
                    sizes = table_sizes(url)
                    took = time.perf_counter() - t
                    print(f"loaded through the ingest pipeline, then ANALYZE, in {took:.1f} s")
                    print(f"rows: {sizes}")
                    figures = measure(
                        hub, url, runs=args.runs, warmup=args.warmup, page_size=args.page_size
                    )
        figures.update(loaded(sizes), loaded_via="ingest pipeline (HTTP uploads, hub worker)")
        figures["uploads_per_dataset"] = args.uploads_per_dataset
    print(f"bench took {time.perf_counter() - started:.0f} s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
