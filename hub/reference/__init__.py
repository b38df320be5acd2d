"""Reference data the pages need and no partner sends: where each LSOA is, for maps.

`init_app` reads HUB_REFERENCE_DIR at start (a bad file stops the hub, naming the file and
line); hub/api/reference.py serves GET /api/v1/reference/lsoas. `python -m hub.reference
--from FILE` converts the ONS centroids (docs/views.md); `python -m hub.demo.lsoas` writes
the default file, synthetic Northshire's points.
"""

from __future__ import annotations

from flask import Flask, current_app

from hub.reference.lsoas import (
    LsoaPoint,
    LsoaReference,
    load_lsoa_reference,
    write_lsoa_reference,
)
from hub.settings import Settings

EXTENSION = "hub.reference.lsoas"


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions[EXTENSION] = load_lsoa_reference(settings.reference_dir)


def current_reference() -> LsoaReference:
    return current_app.extensions[EXTENSION]


__all__ = [
    "LsoaPoint",
    "LsoaReference",
    "current_reference",
    "init_app",
    "load_lsoa_reference",
    "write_lsoa_reference",
]
