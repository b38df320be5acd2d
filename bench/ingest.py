"""Whole ingest against a plain COPY of the same CSV, on PostgreSQL, in one run.

Generates N rows (default 1,000,000) of police contacts: incidents with a PNC ID, an NHS
number, a name, a date of birth, a postcode and an LSOA, all valid by their check digits.
Then, against a fresh database on the same server:

  (a) COPY: psycopg streams the CSV into an equivalent table (every column text);
  (b) hub:  `hub serve` and one `hub worker` (Redis queue) run as real processes; the file is
      sent to POST /api/v1/agreements/.../uploads as an uploader would, and the clock stops
      when GET /api/v1/uploads/{id} says `published`.

  (c) floor: the rows the hub stored, COPY'd (from a dump made after the run, not timed)
      into an unindexed table like the dataset table, then the dataset table's indexes
      built on it: what the database alone must do for what the hub keeps.

The worker's peak RSS is its VmHWM from /proc (the worker and any child it forks).
The last line is JSON: rows, copy_rows_per_s, hub_rows_per_s, ratio (hub time / COPY time),
floor_ratio (hub time / floor time), peak_rss_mb, and stage_seconds (the pipeline's own
durations per stage, from the upload's report: parse, transform, wait_for_load, load (the
loader thread's COPYs), duplicates, dataset_checks, indexes, publish; receive is the HTTP
upload until 202). Goals (issue 12): ratio <= 6.0 and floor_ratio <= 1.5 at 1,000,000 rows
on a 2-core machine; worker peak RSS <= 500 MB at 1M and 5M rows, and no more than 10%
higher at 5M.

    .venv/bin/python bench/ingest.py [--rows N] [--database-url URL] [--redis-url URL]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg
import requests
from _common import DEFAULT_DATABASE_URL, HubProcesses, peak_rss_mb, scratch_database

from hub.pseudonymise import nhs_check_digit
from hub.synthetic.identifiers import pnc_id

AGREEMENT = "early-intervention-young-people"
DATASET = "police-contacts"
PARTNER = "northshire-police"
HEADER = [
    "contact_id", "pnc_id", "nhs_number", "forename", "surname", "date_of_birth", "postcode",
    "gender", "ethnicity", "contact_date", "contact_role", "offence_group", "weapon_involved",
    "lsoa_code",
]  # fmt: skip
FORENAMES = "Aaliyah Ben Chloe Daniel Ella Finley Grace Harry Isla Jack Kai Layla Mason".split()
SURNAMES = "Smith Jones Taylor Brown Williams Wilson Patel Khan O'Neill Robinson Wright".split()
LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters a postcode's inward code may end with
DISTRICTS = ["NE1", "NE2", "NE4", "NE6", "NE8", "NE12", "NE15", "NE23", "SR1", "SR4", "DH1"]
ROLES = ["victim", "suspect", "witness", "missing_person", "person_of_concern"]
OFFENCES = ["Violence against the person", "Robbery", "Theft offences", "Drug offences",
            "Criminal damage and arson", "Public order offences", ""]  # fmt: skip


def _nhs_number(rng: random.Random) -> str:
    while True:
        first9 = f"999{rng.randrange(1_000_000):06d}"
        check = nhs_check_digit(first9)
        if check is not None:
            return first9 + check


def _pnc_id(rng: random.Random) -> str:
    return pnc_id(rng.randrange(2005, 2025), rng.randrange(1, 9_999_999))


def _postcode(rng: random.Random) -> str:
    inward = f"{rng.randrange(10)}{rng.choice(LETTERS)}{rng.choice(LETTERS)}"
    return f"{rng.choice(DISTRICTS)} {inward}"


def write_contacts(path: Path, rows: int, seed: int = 2026) -> None:
    rng = random.Random(seed)
    # A person appears several times: the population is a fifth of the rows.
    people = [
        (
            _pnc_id(rng) if rng.random() < 0.6 else "",
            _nhs_number(rng) if rng.random() < 0.7 else "",
            rng.choice(FORENAMES),
            rng.choice(SURNAMES),
            (date(2005, 1, 1) + timedelta(days=rng.randrange(6000))).isoformat(),
            _postcode(rng),
            rng.choice(["male", "female", "unknown"]),
            rng.choice(["Asian", "Black", "Mixed", "White", "Other", "Not stated"]),
        )
        for _ in range(max(1, rows // 5))
    ]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        start = date(2025, 12, 1)
        for n in range(rows):
            person = rng.choice(people)
            out.writerow(
                [
                    f"NP-{n:09d}",
                    *person,
                    (start + timedelta(days=rng.randrange(365))).isoformat(),
                    rng.choice(ROLES),
                    rng.choice(OFFENCES),
                    rng.choice(["true", "false"]),
                    f"E01{rng.randrange(8000, 9999):06d}",
                ]
            )


def plain_copy(url: str, csv_path: Path) -> float:
    with psycopg.connect(url, autocommit=False) as conn:
        columns = ", ".join(f'"{c}" text' for c in HEADER)
        conn.execute(f"CREATE TABLE bench_copy ({columns})")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cur, open(csv_path, "rb") as source:
            with cur.copy("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                while block := source.read(1024 * 1024):
                    copy.write(block)
        conn.commit()
        return time.perf_counter() - started


def floor_copy(url: str, dump: Path) -> float:
    """COPY of the stored rows into an unindexed copy of the dataset table, then its indexes."""
    table = f"ds_{AGREEMENT.replace('-', '_')}__{DATASET.replace('-', '_')}"
    with psycopg.connect(url, autocommit=False) as conn:
        indexes = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s", (table,)
        ).fetchall()
        conn.execute(f"CREATE TABLE bench_floor (LIKE {table})")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cur, open(dump, "rb") as source:
            with cur.copy("COPY bench_floor FROM STDIN") as copy:
                while block := source.read(1024 * 1024):
                    copy.write(block)
        conn.commit()
        conn.execute("SET maintenance_work_mem = '256MB'")
        for n, (definition,) in enumerate(indexes):
            using = definition[definition.index(" USING ") :]
            conn.execute(f"CREATE INDEX bench_floor_{n} ON bench_floor{using}")
        conn.commit()
        return time.perf_counter() - started


def dump_stored(url: str, dump: Path) -> None:
    table = f"ds_{AGREEMENT.replace('-', '_')}__{DATASET.replace('-', '_')}"
    with psycopg.connect(url) as conn, conn.cursor() as cur, open(dump, "wb") as out:
        with cur.copy(f"COPY (SELECT * FROM {table}) TO STDOUT") as copy:
            for block in copy:
                out.write(block)


def stage_seconds(url: str) -> dict:
    with psycopg.connect(url) as conn:
        (report,) = conn.execute(
            "SELECT report FROM uploads WHERE status = 'published' ORDER BY created_at DESC"
        ).fetchone()
    if isinstance(report, str):
        report = json.loads(report)
    return report.get("stage_seconds", {})


def hub_ingest(
    url: str, redis_url: str, csv_path: Path, workdir: Path
) -> tuple[float, float, float]:
    with HubProcesses(url, workdir, redis_url=redis_url, workers=1) as hub:
        hub.approve(AGREEMENT)
        client = hub.add_client(partner=PARTNER, roles=["uploader"])
        headers = {"Authorization": f"Bearer {hub.token(client)}", "Content-Type": "text/csv"}
        (worker,) = hub.workers
        peak = 0.0
        started = time.perf_counter()
        with open(csv_path, "rb") as body:
            answer = requests.post(
                f"{hub.base}/api/v1/agreements/{AGREEMENT}/datasets/{DATASET}/uploads",
                data=body,
                headers=headers,
                timeout=3600,
            )
        receive = time.perf_counter() - started
        if answer.status_code not in (200, 202):
            raise SystemExit(f"upload refused: {answer.status_code} {answer.text[:500]}")
        location = hub.base + answer.headers["Location"]
        while True:
            peak = max(peak, peak_rss_mb(worker.pid))
            status = requests.get(location, headers=headers, timeout=30).json()
            if status["status"] in ("published", "rejected", "failed"):
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        peak = max(peak, peak_rss_mb(worker.pid))
        if status["status"] != "published":
            raise SystemExit(f"the upload ended {status['status']}: {json.dumps(status)[:2000]}")
        return elapsed, peak, receive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="a PostgreSQL server where the benchmark may create a database",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    args = parser.parse_args()

    with (
        scratch_database(args.database_url) as bench_url,
        tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp,
    ):
        workdir = Path(tmp)
        csv_path = workdir / "contacts.csv"
        t = time.perf_counter()
        write_contacts(csv_path, args.rows)
        size_mb = csv_path.stat().st_size / 1e6
        took = time.perf_counter() - t
        print(f"generated {args.rows:,} rows ({size_mb:.0f} MB) in {took:.1f} s")
        copy_s = plain_copy(bench_url, csv_path)
        print(f"plain COPY:  {copy_s:8.2f} s  {args.rows / copy_s:12,.0f} rows/s")
        hub_s, peak, receive = hub_ingest(bench_url, args.redis_url, csv_path, workdir)
        print(f"hub ingest:  {hub_s:8.2f} s  {args.rows / hub_s:12,.0f} rows/s  (to published)")
        print(f"worker peak RSS: {peak:.0f} MB")
        stages = {"receive": round(receive, 3), **stage_seconds(bench_url)}
        print(f"stages (s): {stages}")
        dump = workdir / "stored.copy"
        dump_stored(bench_url, dump)
        floor_s = floor_copy(bench_url, dump)
        print(f"floor (COPY of the stored rows + their indexes): {floor_s:8.2f} s")
        print(
            json.dumps(
                {
                    "rows": args.rows,
                    "copy_rows_per_s": round(args.rows / copy_s),
                    "hub_rows_per_s": round(args.rows / hub_s),
                    "ratio": round(hub_s / copy_s, 2),
                    "floor_ratio": round(hub_s / floor_s, 2),
                    "copy_s": round(copy_s, 2),
                    "floor_s": round(floor_s, 2),
                    "hub_s": round(hub_s, 2),
                    "peak_rss_mb": round(peak),
                    "stage_seconds": stages,
                }
            )
        )


if __name__ == "__main__":
    main()
