"""python -m hub.synthetic OUT_DIR [--size N] [--seed S] [--today YYYY-MM-DD]"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from hub.synthetic.dates import DEFAULT_TODAY
from hub.synthetic.feeds import FeedFile, write_feeds
from hub.synthetic.population import DEFAULT_SEED, DEFAULT_SIZE, make_population


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hub.synthetic",
        description="Write a synthetic Northshire's feeds, one CSV per upload.",
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument(
        "--size", type=int, default=DEFAULT_SIZE, help="residents (default %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="default %(default)s")
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=DEFAULT_TODAY,
        help="the extract date; feeds cover the 12 months before its month (default %(default)s)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    population = make_population(size=args.size, seed=args.seed, today=args.today)
    files = write_feeds(args.out_dir, population, seed=args.seed, today=args.today)
    elapsed = time.perf_counter() - started
    print(table(files, args.out_dir))
    cohort = sum(1 for p in population if p.signals)
    print(
        f"\n{len(population)} residents, a cohort of {cohort} young people; "
        f"{sum(f.rows for f in files)} rows in {len(files)} files in {elapsed:.1f}s"
    )
    return 0


def table(files: list[FeedFile], root: Path) -> str:
    header = ("file", "agreement", "dataset", "partner", "rows", "set aside")
    lines = [
        (
            str(f.path.relative_to(root)),
            f.agreement,
            f.dataset,
            f.partner,
            str(f.rows),
            str(len(f.rejected_rows())),
        )
        for f in files
    ]
    widths = [max(len(r[i]) for r in [header, *lines]) for i in range(len(header))]
    numeric = {4, 5}

    def render(row) -> str:
        return "  ".join(
            cell.rjust(w) if i in numeric else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    return "\n".join([render(header), render(["-" * w for w in widths]), *map(render, lines)])


if __name__ == "__main__":
    sys.exit(main())
