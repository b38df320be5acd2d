"""Reference data the pages need and no partner sends: where each LSOA is, for maps.

`init_app` reads HUB_REFERENCE_DIR at start (a bad file stops the hub, naming the file and
line) and serves GET /api/v1/reference/lsoas. `python -m hub.reference` regenerates the
default file from synthetic Northshire, or converts the ONS centroids (docs/views.md).
"""

from __future__ import annotations

from flask_openapi3 import OpenAPI

from hub.reference.api import EXTENSION, api
from hub.reference.lsoas import (
    LsoaPoint,
    LsoaReference,
    load_lsoa_reference,
    write_lsoa_reference,
)
from hub.settings import Settings


def init_app(app: OpenAPI, settings: Settings) -> None:
    app.extensions[EXTENSION] = load_lsoa_reference(settings.reference_dir)
    app.register_api(api)


__all__ = [
    "LsoaPoint",
    "LsoaReference",
    "api",
    "init_app",
    "load_lsoa_reference",
    "write_lsoa_reference",
]
