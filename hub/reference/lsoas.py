"""Where each LSOA is: one point per 2021 LSOA code, for drawing aggregate views on a map.

The hub reads `lsoa-centroids.csv` from HUB_REFERENCE_DIR (default `reference/` in the
repository) when it starts: columns `lsoa_code,lsoa_name,latitude,longitude` (WGS84), one
row per LSOA, and an optional one-line `lsoa-centroids.attribution` the map shows. The file
shipped is synthetic Northshire's 60 LSOAs; `python -m hub.reference --from FILE` turns the
ONS LSOA 2021 population-weighted centroids into the same format (docs/views.md).

Public reference data: no person, no agency's records. A bad file stops the hub with one line
naming the file, the line and the fix, like a bad policy file.
"""

from __future__ import annotations

import csv
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hub import errors

CENTROIDS_FILE = "lsoa-centroids.csv"
ATTRIBUTION_FILE = "lsoa-centroids.attribution"
COLUMNS = ("lsoa_code", "lsoa_name", "latitude", "longitude")
# GSS codes: E01 (England) and W01 (Wales) are LSOAs; any GSS-shaped code is accepted so that
# other small-area codes (Scottish data zones S01…) can be drawn the same way.
CODE = re.compile(r"^[A-Z][0-9]{8}$")
# The UK with its seas, as the contracts check coordinates; a point outside is a swapped
# latitude/longitude or easting/northing, which would draw the map in the wrong place.
LATITUDES = (49.0, 61.5)
LONGITUDES = (-9.0, 2.5)


@dataclass(frozen=True)
class LsoaPoint:
    code: str
    name: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class LsoaReference:
    points: dict[str, LsoaPoint]  # by code, in file order
    attribution: str
    path: Path


def _problem(path: Path, line: int | None, message: str) -> errors.ConfigurationError:
    where = f"{path}:{line}" if line else str(path)
    return errors.ConfigurationError(f"{where}: {message}")


def _coordinate(text: str, bounds: tuple[float, float], what: str) -> float:
    value = float(text)
    if not bounds[0] <= value <= bounds[1]:
        raise ValueError(f"{what} {value} is outside the UK ({bounds[0]} to {bounds[1]})")
    return value


def load_lsoa_reference(folder: Path) -> LsoaReference:
    """The LSOA points in `folder`; ConfigurationError naming the file and line otherwise."""
    path = folder / CENTROIDS_FILE
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise _problem(
            path,
            None,
            f"cannot read it ({exc.strerror}); set HUB_REFERENCE_DIR to the folder holding "
            f"{CENTROIDS_FILE}, or regenerate it with `python -m hub.reference`",
        ) from exc
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise _problem(
            path, 1, f"the header lacks {', '.join(missing)}; it must be {','.join(COLUMNS)}"
        )
    points: dict[str, LsoaPoint] = {}
    for row in reader:
        line = reader.line_num
        code = (row["lsoa_code"] or "").strip()
        if not CODE.match(code):
            raise _problem(path, line, f"`{code}` is not a GSS code such as E01000001")
        if code in points:
            raise _problem(path, line, f"`{code}` appears twice; keep one row per LSOA")
        try:
            latitude = _coordinate(row["latitude"] or "", LATITUDES, "latitude")
            longitude = _coordinate(row["longitude"] or "", LONGITUDES, "longitude")
        except ValueError as exc:
            raise _problem(
                path, line, f"{exc}; give WGS84 decimal degrees, not eastings and northings"
            ) from exc
        name = (row["lsoa_name"] or "").strip() or code
        points[code] = LsoaPoint(code, name, latitude, longitude)
    if not points:
        raise _problem(path, None, "it has no rows; regenerate it with `python -m hub.reference`")
    try:
        attribution = (folder / ATTRIBUTION_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        attribution = ""
    return LsoaReference(points=points, attribution=attribution, path=path)


def write_lsoa_reference(
    folder: Path, points: list[LsoaPoint], *, attribution: str
) -> tuple[Path, Path]:
    """Write `points` and the attribution line in the format `load_lsoa_reference` reads."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CENTROIDS_FILE
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for p in points:
            writer.writerow([p.code, p.name, f"{p.latitude:.6f}", f"{p.longitude:.6f}"])
    note = folder / ATTRIBUTION_FILE
    note.write_text(attribution.strip() + "\n", encoding="utf-8")
    return path, note


def replace_lsoa_reference(
    folder: Path, points: list[LsoaPoint], *, attribution: str
) -> tuple[Path, Path]:
    """`write_lsoa_reference`, once the points pass the checks the hub makes at start:
    ConfigurationError (naming "the new file") and nothing written if the hub would refuse."""
    with tempfile.TemporaryDirectory() as scratch:
        draft, _ = write_lsoa_reference(Path(scratch), points, attribution=attribution)
        try:
            load_lsoa_reference(Path(scratch))
        except errors.ConfigurationError as exc:
            raise errors.ConfigurationError(
                exc.detail.replace(str(draft), "the converted file")
            ) from None
    return write_lsoa_reference(folder, points, attribution=attribution)
