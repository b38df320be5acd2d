"""What `hub upload` prints: one line per state while waiting, then the report."""

from __future__ import annotations

from pathlib import Path

from hub.client.report import progress_line, render
from hub.client.sender import media_type_of, outcome_code

REJECTED = {
    "id": "u-1",
    "status": "rejected",
    "agreement_id": "crime-asb-hotspots",
    "dataset": "police-street-crime",
    "size_bytes": 1234,
    "sha256": "ab" * 32,
    "counts": {"read": 3, "accepted": 0, "rejected": 3},
    "rejected_because": ["3 of 3 rows failed their checks (100.00%); the contract allows 1.00%"],
    "row_failures": [
        {"row": 2, "column": "Month", "check": "is_date", "message": "Month is not a date"},
    ],
    "row_failures_omitted": 2,
    "failure_summary": [{"column": "Month", "check": "is_date", "count": 3}],
    "expectations": [
        {
            "rule": "not empty",
            "column": None,
            "blocking": True,
            "outcome": "passed",
            "observed": {"observed_value": 3, "missing_percent": 6.8965},
        }
    ],
    "warnings": ["1 blank row(s) were skipped."],
}


def test_progress_lines():
    assert progress_line({"status": "received", "progress": {"stage": "received"}}) == "received"
    line = progress_line(
        {
            "status": "processing",
            "progress": {
                "stage": "loading",
                "rows_read": 20000,
                "bytes_read": 50,
                "total_bytes": 200,
            },
        }
    )
    assert line == "processing: loading, 20,000 rows, 25% of the file"


def test_the_report_names_rows_columns_and_checks():
    text = render(REJECTED)
    assert "Upload u-1: rejected" in text
    assert "rows read 3, accepted 0, rejected 3" in text
    assert "Not published because:" in text
    assert "  2    Month   is_date  Month is not a date" in text
    assert "… and 2 more" in text
    assert "observed_value=3, missing_percent=6.90" in text
    assert "1 blank row(s) were skipped." in text
    assert outcome_code(REJECTED) == 1
    assert outcome_code({"status": "published"}) == 0


def test_media_types_from_file_names():
    assert media_type_of(Path("a.CSV")) == "text/csv"
    assert media_type_of(Path("a.jsonl")) == "application/x-ndjson"
    assert media_type_of(Path("a.parquet")) == "application/vnd.apache.parquet"
    assert media_type_of(Path("a.txt")) == "application/octet-stream"
