"""python -m hub.reference --from FILE [--names FILE] [--out DIR]

Converts the ONS "LSOA (December 2021) population weighted centroids" for the hub, from the
Open Geography Portal's GeoJSON download (WGS84 points) or a CSV with latitude and longitude
columns. `--names` adds LSOA names from the ONS LSOA 2021 names-and-codes CSV (LSOA21CD,
LSOA21NM) when the centroids file has none. (The file the repository ships, synthetic
Northshire's 60 LSOAs, is written by `python -m hub.demo.lsoas`.)
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from hub.errors import ConfigurationError
from hub.reference.lsoas import (
    CENTROIDS_FILE,
    LsoaPoint,
    replace_lsoa_reference,
)
from hub.settings import PROJECT_ROOT

ONS_ATTRIBUTION = (
    "LSOA points: Office for National Statistics, LSOA (Dec 2021) population weighted "
    "centroids, Open Government Licence v3.0; contains OS data © Crown copyright and "
    "database right."
)
_CODE_KEYS = ("lsoa21cd", "lsoa_code", "lsoacd", "code")
_NAME_KEYS = ("lsoa21nm", "lsoa_name", "lsoanm", "name")
_LAT_KEYS = ("lat", "latitude")
_LON_KEYS = ("long", "lon", "longitude", "lng")


class ConversionError(ValueError):
    pass


def _pick(row: dict, keys: tuple[str, ...]) -> str | None:
    lowered = {str(k).lower(): v for k, v in row.items()}
    for key in keys:
        if lowered.get(key) not in (None, ""):
            return str(lowered[key]).strip()
    return None


def _from_geojson(path: Path) -> list[LsoaPoint]:
    document = json.loads(path.read_text(encoding="utf-8-sig"))
    points = []
    for n, feature in enumerate(document.get("features", []), start=1):
        geometry = feature.get("geometry") or {}
        properties = feature.get("properties") or {}
        code = _pick(properties, _CODE_KEYS)
        if geometry.get("type") != "Point" or code is None:
            raise ConversionError(f"{path}: feature {n} is not a Point with an LSOA21CD")
        longitude, latitude = geometry["coordinates"][:2]  # GeoJSON: [lon, lat], WGS84
        name = _pick(properties, _NAME_KEYS) or code
        points.append(LsoaPoint(code, name, float(latitude), float(longitude)))
    return points


def _from_csv(path: Path) -> list[LsoaPoint]:
    with path.open(newline="", encoding="utf-8-sig") as source:
        reader = csv.DictReader(source)
        points = []
        for row in reader:
            code = _pick(row, _CODE_KEYS)
            latitude, longitude = _pick(row, _LAT_KEYS), _pick(row, _LON_KEYS)
            if code is None or latitude is None or longitude is None:
                raise ConversionError(
                    f"{path}:{reader.line_num}: needs LSOA21CD and latitude/longitude columns "
                    "(LAT, LONG). A file with only x and y holds British National Grid "
                    "eastings and northings: download the GeoJSON instead, which is WGS84."
                )
            name = _pick(row, _NAME_KEYS) or code
            points.append(LsoaPoint(code, name, float(latitude), float(longitude)))
    return points


def _names(path: Path) -> dict[str, str]:
    with path.open(newline="", encoding="utf-8-sig") as source:
        return {
            code: name
            for row in csv.DictReader(source)
            if (code := _pick(row, _CODE_KEYS)) and (name := _pick(row, _NAME_KEYS))
        }


def convert(source: Path, names: Path | None = None) -> list[LsoaPoint]:
    if source.suffix.lower() in (".geojson", ".json"):
        points = _from_geojson(source)
    else:
        points = _from_csv(source)
    if names is not None:
        lookup = _names(names)
        points = [
            LsoaPoint(p.code, lookup.get(p.code, p.name), p.latitude, p.longitude) for p in points
        ]
    return points


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hub.reference",
        description=f"Write {CENTROIDS_FILE}: the LSOA points the analyst page's map draws.",
    )
    parser.add_argument(
        "--from", dest="source", type=Path, required=True, help="ONS centroids, GeoJSON or CSV"
    )
    parser.add_argument("--names", type=Path, help="ONS LSOA 2021 names and codes CSV")
    parser.add_argument("--attribution", help="the line the map shows under the points")
    parser.add_argument(
        "--out",
        type=Path,
        default=PROJECT_ROOT / "reference",
        help="folder to write to, HUB_REFERENCE_DIR (default %(default)s)",
    )
    args = parser.parse_args(argv)
    try:
        points = convert(args.source, args.names)
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        print(f"python -m hub.reference: {exc}", file=sys.stderr)
        return 1
    try:
        path, note = replace_lsoa_reference(
            args.out, points, attribution=args.attribution or ONS_ATTRIBUTION
        )
    except ConfigurationError as exc:
        print(f"python -m hub.reference: the hub would refuse it: {exc.detail}", file=sys.stderr)
        return 1
    print(f"{len(points)} LSOA points written to {path} (attribution in {note.name})")
    print("The hub reads them when it starts; restart it to use them.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
