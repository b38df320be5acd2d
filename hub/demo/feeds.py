"""The demo's data: synthetic Northshire's feeds, written once to instance/demo-feeds/.

The feeds are deterministic in (size, seed, extract date). The extract date is the first day
of the month the demo first ran in, not a fixed date: the views count "the last 12 months"
and "under 18" from the day of the query, so feeds of a fixed year would empty the cohort a
year later. `manifest.json` records what was written; a later run reuses the files as they
are (same bytes, so the hub answers 200 with the existing uploads instead of adding data).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from hub import clock

SEED = 2026
SIZE = 20_000
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class DemoFeed:
    path: str  # relative to the feeds folder
    agreement: str
    partner: str
    dataset: str
    rows: int
    set_aside: int  # rows the generator made invalid on purpose
    sha256: str


@dataclass(frozen=True)
class DemoFeeds:
    folder: Path
    extract_date: date
    residents: int
    seed: int
    feeds: list[DemoFeed]
    written_now: bool

    def file(self, feed: DemoFeed) -> Path:
        return self.folder / feed.path


def ensure_demo_feeds(folder: Path, *, today: date | None = None) -> DemoFeeds:
    """The feeds in `folder`, written now if no complete set is there."""
    existing = _read(folder)
    if existing is not None:
        return existing
    extract = (today or clock.today()).replace(day=1)
    return _write(folder, extract)


def _read(folder: Path) -> DemoFeeds | None:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        feeds = [DemoFeed(**item) for item in manifest["feeds"]]
        found = DemoFeeds(
            folder=folder,
            extract_date=date.fromisoformat(manifest["extract_date"]),
            residents=int(manifest["residents"]),
            seed=int(manifest["seed"]),
            feeds=feeds,
            written_now=False,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    # A file missing or edited since: write the set again rather than upload half of it.
    if not feeds or any(_sha256(found.file(f)) != f.sha256 for f in feeds):
        return None
    return found


def _write(folder: Path, extract: date) -> DemoFeeds:
    # Imported here: generating is the only use, and `hub demo --no-data` never needs it.
    from hub.synthetic import make_population, write_feeds

    # Write beside, then swap in: an interrupted run leaves no half-written set behind.
    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    population = make_population(size=SIZE, seed=SEED, today=extract)
    files = write_feeds(staging, population, seed=SEED, today=extract)
    feeds = [
        DemoFeed(
            path=str(f.path.relative_to(staging)),
            agreement=f.agreement,
            partner=f.partner,
            dataset=f.dataset,
            rows=f.rows,
            set_aside=len(f.rejected_rows()),
            sha256=_sha256(f.path),
        )
        for f in files
    ]
    manifest = {
        "extract_date": extract.isoformat(),
        "residents": len(population),
        "seed": SEED,
        "feeds": [asdict(f) for f in feeds],
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    staging.replace(folder)
    return DemoFeeds(folder, extract, len(population), SEED, feeds, written_now=True)


def _sha256(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None
