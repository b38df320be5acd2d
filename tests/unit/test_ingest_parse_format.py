import pytest

from hub.ingest.parse_errors import ParseError
from hub.ingest.parse_format import detect_format

CSV_BYTES = b"Crime ID,Month\n"
PARQUET_BYTES = b"PAR1\x15\x04"


@pytest.mark.parametrize(
    ("media_type", "first", "expected"),
    [
        ("text/csv", CSV_BYTES, "csv"),
        ("text/csv; charset=utf-8", CSV_BYTES, "csv"),
        ("TEXT/CSV", CSV_BYTES, "csv"),
        ("application/vnd.ms-excel", CSV_BYTES, "csv"),
        ("application/x-ndjson", b'{"a": 1}\n', "ndjson"),
        ("application/vnd.apache.parquet", PARQUET_BYTES, "parquet"),
        (None, PARQUET_BYTES, "parquet"),
        ("application/octet-stream", b'\xef\xbb\xbf  {"a": 1}\n', "ndjson"),
        (None, CSV_BYTES, "csv"),
        ("", b"\xff\xfeC\x00", "csv"),  # the CSV reader refuses UTF-16 with its own message
    ],
)
def test_formats(media_type, first, expected):
    assert detect_format(media_type, first) == expected


@pytest.mark.parametrize(
    ("media_type", "first", "code"),
    [
        ("text/csv", b"", "empty_file"),
        ("application/vnd.apache.parquet", CSV_BYTES, "not_parquet"),
        ("text/csv", PARQUET_BYTES, "media_type_mismatch"),
        ("application/x-ndjson", PARQUET_BYTES, "media_type_mismatch"),
        ("application/pdf", CSV_BYTES, "unsupported_media_type"),
    ],
)
def test_refusals(media_type, first, code):
    with pytest.raises(ParseError) as info:
        detect_format(media_type, first)
    assert info.value.code == code
