"""The ingest stage: parse -> validate -> pseudonymise -> stage -> publish (see DESIGN.md).

Parsing (hub/ingest/parse.py): a spooled file on disk in, DataFrame chunks of text with
the sender's row numbers out, in bounded memory.
"""

from .parse import DEFAULT_CHUNK_SIZE, ROW, ParsedFeed, parse_file
from .parse_errors import ParseError
from .parse_format import CSV, NDJSON, PARQUET, detect_format
from .parse_header import HeaderMap, map_header, normalise_column_name
from .readers import ParseStats, open_csv, open_ndjson, open_parquet

__all__ = [
    "CSV",
    "DEFAULT_CHUNK_SIZE",
    "NDJSON",
    "PARQUET",
    "ROW",
    "HeaderMap",
    "ParseError",
    "ParseStats",
    "ParsedFeed",
    "detect_format",
    "map_header",
    "normalise_column_name",
    "open_csv",
    "open_ndjson",
    "open_parquet",
    "parse_file",
]
