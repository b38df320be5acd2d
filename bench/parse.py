"""How fast the parse stage reads CSV: rows per second, end to end.

Writes N rows (default 1,000,000) of a file shaped like data.police.uk street-level crime
(12 columns, about 210 bytes a row, some empty fields, some quoted fields with commas and
a few with line breaks) into a temporary folder, then times parse_file(...).chunks() read
to the end, once per engine ("auto" is what the hub uses: Arrow, handing over to the
Python csv module only when it must; "python" is that reference reader alone).
Timings include the encoding sniff pass and building the DataFrames. For comparison,
"pandas-c" times pandas.read_csv(chunksize=...) with its C parser and the same output
(object columns, None for empty): a baseline only, since it cannot see a row with too
few fields (it pads it silently) and so is not one of the hub's readers.
The last line printed is JSON.

    .venv/bin/python bench/parse.py [--rows N] [--chunk-size N] [--engines auto,python,pandas-c]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
import time
from pathlib import Path

import pandas as pd

from hub.ingest.parse import parse_file
from hub.ingest.readers import open_csv

COLUMNS = [
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
]  # fmt: skip
TYPES = [
    "Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson",
    "Drugs", "Other theft", "Public order", "Robbery", "Shoplifting",
    "Theft from the person", "Vehicle crime", "Violence and sexual offences",
]  # fmt: skip
OUTCOMES = [
    "Under investigation", "Investigation complete; no suspect identified",
    "Unable to prosecute suspect", "Awaiting court outcome", "Local resolution",
]  # fmt: skip
PLACES = ["Cheapside", "Fleet Street", "Bishopsgate", "Moorgate", "London Wall, EC2"]


def write_incidents(path: Path, rows: int, seed: int = 2026) -> None:
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for i in range(rows):
            asb = rng.random() < 0.3
            context = ""
            if i % 1000 == 0:
                context = "Reported by phone,\nfollowed up in person"
            writer.writerow(
                [
                    "" if asb else rng.randbytes(32).hex(),
                    "2026-02",
                    "City of London Police",
                    "City of London Police",
                    f"{-0.09 + rng.random() / 50:.6f}",
                    f"{51.51 + rng.random() / 50:.6f}",
                    f"On or near {rng.choice(PLACES)}",
                    f"E0100{rng.randrange(10000):04d}",
                    f"City of London 00{rng.randrange(10)}{'ABCDEF'[rng.randrange(6)]}",
                    "Anti-social behaviour" if asb else rng.choice(TYPES),
                    "" if asb else rng.choice(OUTCOMES),
                    context,
                ]
            )


def pandas_c_rows(path: Path, chunk_size: int) -> int:
    rows = 0
    for frame in pd.read_csv(path, chunksize=chunk_size, dtype=object, na_filter=False,
                             keep_default_na=False, skip_blank_lines=False):  # fmt: skip
        values = frame.to_numpy(dtype=object)
        values[values == ""] = None
        rows += len(pd.DataFrame(values, columns=frame.columns, dtype=object))
    return rows


def time_engine(path: Path, engine: str, chunk_size: int) -> dict:
    start = time.perf_counter()
    if engine == "pandas-c":
        rows = pandas_c_rows(path, chunk_size)
        seconds = time.perf_counter() - start
        return {"engine": engine, "rows": rows, "seconds": round(seconds, 3),
                "rows_per_second": round(rows / seconds)}  # fmt: skip
    feed = parse_file(
        path,
        media_type="text/csv",
        contract_columns=COLUMNS,
        required={"Month", "Crime type"},
        chunk_size=chunk_size,
        source=open_csv(path, engine=engine),
    )
    rows = sum(len(chunk) for chunk in feed.chunks())
    seconds = time.perf_counter() - start
    return {"engine": engine, "rows": rows, "seconds": round(seconds, 3),
            "rows_per_second": round(rows / seconds)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-size", type=int, default=10_000)
    parser.add_argument("--engines", default="auto,python,pandas-c")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "incidents.csv"
        start = time.perf_counter()
        write_incidents(path, args.rows)
        size = path.stat().st_size
        print(f"wrote {args.rows:,} rows, {size / 2**20:.1f} MiB in "
              f"{time.perf_counter() - start:.1f}s")  # fmt: skip
        results = []
        for engine in args.engines.split(","):
            result = time_engine(path, engine, args.chunk_size)
            assert result["rows"] == args.rows, result
            print(f"{engine:>6}: {result['rows']:,} rows in {result['seconds']:.2f}s = "
                  f"{result['rows_per_second']:,} rows/s")  # fmt: skip
            results.append(result)
    print(json.dumps({"benchmark": "parse.csv", "rows": args.rows, "bytes": size,
                      "chunk_size": args.chunk_size, "results": results}))  # fmt: skip


if __name__ == "__main__":
    main()
