"""Raw data.police.uk monthly street-crime CSVs, read for offline evaluation.

Rows with no location are left out (they belong to no cell), and so are rows the hub's
contract would refuse (a month not YYYY-MM, a point outside the UK bounds); nothing is stored.
The columns are the published ones: Month, Longitude, Latitude, LSOA code, Crime type.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from hub.views.forecast.method import Event

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_LAT, _LON = (49.8, 60.9), (-8.7, 1.8)  # the contract's bounds (contracts/police/...)


def read_police_uk(
    folder: Path | str,
    *,
    crime_types: list[str] | None = None,
    lsoa_name_prefix: str | None = None,
) -> list[Event]:
    """Every located row of every *.csv under `folder` (data.police.uk's layout nests them in
    YYYY-MM/ folders), of `crime_types` if given, in LSOAs whose name starts with
    `lsoa_name_prefix` if given (a force's file holds crimes just over its border too)."""
    events = []
    paths = sorted(Path(folder).rglob("*.csv")) if Path(folder).is_dir() else [Path(folder)]
    for path in paths:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                try:
                    lat, lon = float(row["Latitude"]), float(row["Longitude"])
                except (KeyError, TypeError, ValueError):
                    continue
                month = (row.get("Month") or "")[:7]
                if not (
                    _MONTH.match(month) and _LAT[0] <= lat <= _LAT[1] and _LON[0] <= lon <= _LON[1]
                ):
                    continue
                kind = row.get("Crime type") or ""
                name = row.get("LSOA name") or ""
                if lsoa_name_prefix is not None and not name.startswith(lsoa_name_prefix):
                    continue
                if crime_types is not None and kind not in crime_types:
                    continue
                events.append(Event(month, lat, lon, kind, row.get("LSOA code") or ""))
    return events
