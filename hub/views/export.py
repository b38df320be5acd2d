"""A query's answer as CSV or Parquet.

CSV cells that a spreadsheet would run as a formula (starting with = + - @, or a tab or
carriage return that some spreadsheets strip first) get a leading single quote: OWASP's advice
against CSV injection. Numbers are written as numbers, so a negative count is never touched.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

CSV = "text/csv"
PARQUET = "application/vnd.apache.parquet"
JSON = "application/json"
GEOJSON = "application/geo+json"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(columns: list[str], rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([escape_cell(c) for c in columns])
    for row in rows:
        writer.writerow(["" if row[c] is None else escape_cell(row[c]) for c in columns])
    return out.getvalue().encode("utf-8")


def to_parquet(columns: list[str], rows: list[dict[str, Any]], types: dict[str, str]) -> bytes:
    """`types`: column -> "integer" or "string", so that an empty answer keeps its schema."""
    schema = pa.schema(
        [(c, pa.int64() if types.get(c) == "integer" else pa.string()) for c in columns]
    )
    table = pa.Table.from_pylist([{c: r[c] for c in columns} for r in rows], schema=schema)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def negotiate(accept: str | None) -> str:
    """JSON unless the caller asks for CSV, Parquet or GeoJSON first."""
    for part in (accept or "").split(","):
        kind = part.split(";")[0].strip().lower()
        if kind in (CSV, PARQUET, JSON, GEOJSON):
            return kind
        if kind in ("application/parquet", "application/x-parquet"):
            return PARQUET
    return JSON
