"""Every agency's feed for both agreements, as the CSV files `make demo` uploads.

    population = make_population(size=20_000, seed=2026)
    files = write_feeds(out_dir, population, seed=2026)   # one FeedFile per upload

Files go to OUT_DIR/<agreement>/<partner>/<dataset>.csv: UTF-8, a header of the contract's
column names in the contract's order, LF line ends. The council's ASB extract is shared
under both agreements, so it is written once per agreement, byte for byte the same.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from hub.synthetic import council, nhs, police, police_stop_search, police_street, schools
from hub.synthetic.dates import DEFAULT_TODAY
from hub.synthetic.flaws import Flaw, rejected_rows
from hub.synthetic.population import DEFAULT_SEED, Resident
from hub.synthetic.records import Feed
from hub.synthetic.world import World

HOTSPOTS = "crime-asb-hotspots"
EARLY_INTERVENTION = "early-intervention-young-people"
SCHOOL_PARTNERS = ("riverside-academy", "hillcrest-high-school")

# (partner, dataset) -> the generator of that provider's feed.
GENERATORS: dict[tuple[str, str], Callable[[World], Feed]] = {
    (police.PARTNER, police_street.STREET): police_street.street_crime,
    (police.PARTNER, police_stop_search.STOP_SEARCH): police_stop_search.stop_search,
    (police.PARTNER, police.CONTACTS): police.contacts,
    (council.PARTNER, council.ASB): council.asb_reports,
    (council.PARTNER, council.REFERRALS): council.referrals,
    (nhs.PARTNER, nhs.ATTENDANCES): nhs.attendances,
    **{
        (school, dataset): (lambda w, s=school, make=make: make(w, s))
        for school in SCHOOL_PARTNERS
        for dataset, make in (
            (schools.ATTENDANCE, schools.attendance),
            (schools.EXCLUSIONS, schools.exclusions),
        )
    },
}

# (agreement, partner, dataset): every upload the agreements in policies/ provide for.
UPLOADS: tuple[tuple[str, str, str], ...] = (
    (HOTSPOTS, police.PARTNER, police_street.STREET),
    (HOTSPOTS, police.PARTNER, police_stop_search.STOP_SEARCH),
    (HOTSPOTS, council.PARTNER, council.ASB),
    (EARLY_INTERVENTION, police.PARTNER, police.CONTACTS),
    (EARLY_INTERVENTION, council.PARTNER, council.REFERRALS),
    (EARLY_INTERVENTION, council.PARTNER, council.ASB),
    (EARLY_INTERVENTION, nhs.PARTNER, nhs.ATTENDANCES),
    *((EARLY_INTERVENTION, s, schools.ATTENDANCE) for s in SCHOOL_PARTNERS),
    *((EARLY_INTERVENTION, s, schools.EXCLUSIONS) for s in SCHOOL_PARTNERS),
)


@dataclass(frozen=True)
class FeedFile:
    path: Path
    agreement: str
    dataset: str
    partner: str
    rows: int
    flaws: tuple[Flaw, ...]

    def rejected_rows(self, stage: str | None = None) -> list[int]:
        """Data rows (from 1) the hub will set aside: at `stage` (row_check or identifier)
        or at either."""
        return rejected_rows(self.flaws, stage)


def make_feeds(
    population: Iterable[Resident], *, seed: int = DEFAULT_SEED, today: date = DEFAULT_TODAY
) -> dict[tuple[str, str], Feed]:
    """Each provider's feed, keyed by (partner, dataset). `today` is the extract date: the
    feeds cover the twelve whole months before its month. Give the `today` the population
    was made with."""
    world = World(tuple(population), seed, today)
    return {key: make(world) for key, make in GENERATORS.items()}


def write_feeds(
    out_dir: Path | str,
    population: Iterable[Resident],
    *,
    seed: int = DEFAULT_SEED,
    today: date = DEFAULT_TODAY,
) -> list[FeedFile]:
    """Write one CSV per upload (see UPLOADS) under `out_dir`; return them in that order."""
    feeds = make_feeds(population, seed=seed, today=today)
    files = []
    for agreement, partner, dataset in UPLOADS:
        feed = feeds[(partner, dataset)]
        path = Path(out_dir) / agreement / partner / f"{dataset}.csv"
        write_csv(path, feed)
        files.append(FeedFile(path, agreement, dataset, partner, len(feed.rows), feed.flaws))
    return files


def write_csv(path: Path, feed: Feed) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(feed.columns)
        writer.writerows([row[c] for c in feed.columns] for row in feed.rows)
