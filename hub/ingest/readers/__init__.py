"""One reader per format. Each opens a file (checking what can be checked up front: the
encoding, the header) and then hands out RawChunk pieces of text columns with the
sender's row numbers. hub.ingest.parse turns them into DataFrames."""

from .base import ParseStats, RawChunk, Source
from .delimited import CsvSource, open_csv
from .encoding import TextSniff, sniff_text_encoding
from .ndjson import NdjsonSource, open_ndjson
from .parquet import ParquetSource, open_parquet

__all__ = [
    "CsvSource",
    "NdjsonSource",
    "ParquetSource",
    "ParseStats",
    "RawChunk",
    "Source",
    "TextSniff",
    "open_csv",
    "open_ndjson",
    "open_parquet",
    "sniff_text_encoding",
]
