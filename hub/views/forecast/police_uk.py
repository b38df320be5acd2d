"""Raw data.police.uk monthly street-crime CSVs, read for offline evaluation.

Rows with no location are left out (they belong to no cell); nothing is stored. The columns
are the published ones: Month, Longitude, Latitude, LSOA code, Crime type.
"""

from __future__ import annotations

import csv
from pathlib import Path

from hub.views.forecast.method import Event


def read_police_uk(folder: Path | str, *, crime_types: list[str] | None = None) -> list[Event]:
    """Every located row of every *.csv under `folder` (data.police.uk's layout nests them in
    YYYY-MM/ folders), of `crime_types` if given."""
    events = []
    paths = sorted(Path(folder).rglob("*.csv")) if Path(folder).is_dir() else [Path(folder)]
    for path in paths:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                try:
                    lat, lon = float(row["Latitude"]), float(row["Longitude"])
                except (KeyError, TypeError, ValueError):
                    continue
                kind = row.get("Crime type") or ""
                if crime_types is not None and kind not in crime_types:
                    continue
                events.append(Event(row["Month"][:7], lat, lon, kind, row.get("LSOA code") or ""))
    return events
