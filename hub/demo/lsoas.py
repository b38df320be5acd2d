"""python -m hub.demo.lsoas [--out DIR]

Writes synthetic Northshire's 60 LSOA points (hub.synthetic.geography) in the format the hub
reads from HUB_REFERENCE_DIR: the file the repository ships, so that the demo's map has its
places. Real points come from the ONS (`python -m hub.reference --from FILE`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hub.errors import ConfigurationError
from hub.reference import LsoaPoint
from hub.reference.lsoas import CENTROIDS_FILE, replace_lsoa_reference
from hub.settings import PROJECT_ROOT
from hub.synthetic.geography import LSOAS

ATTRIBUTION = "LSOA points: synthetic Northshire (hub.synthetic.geography); not real places."


def synthetic_points() -> list[LsoaPoint]:
    return [LsoaPoint(x.code, x.name, x.latitude, x.longitude) for x in LSOAS]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hub.demo.lsoas",
        description=f"Write {CENTROIDS_FILE} with synthetic Northshire's LSOA points.",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=PROJECT_ROOT / "reference",
        help="folder to write to, HUB_REFERENCE_DIR (default %(default)s)",
    )
    args = parser.parse_args(argv)
    points = synthetic_points()
    try:
        path, note = replace_lsoa_reference(args.out, points, attribution=ATTRIBUTION)
    except ConfigurationError as exc:
        print(f"python -m hub.demo.lsoas: the hub would refuse it: {exc.detail}", file=sys.stderr)
        return 1
    print(f"{len(points)} LSOA points written to {path} (attribution in {note.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
