"""ParseError: a problem with an uploaded file that the sender can fix.

Every message names row numbers, column names and counts, never a cell value: cells may
hold identifiers (DESIGN.md decision 3). Row numbers are the sender's, as a person counts
rows in a spreadsheet (CSV header = row 1); see hub/ingest/parse.py.
"""

from __future__ import annotations

from typing import Any

from hub.errors import ValidationFailed

# The stable codes. `header_only` is deliberately not among them: a file with a header and
# no data rows parses to zero chunks and the caller decides what that means.
EMPTY_FILE = "empty_file"
MISSING_HEADER = "missing_header"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
MEDIA_TYPE_MISMATCH = "media_type_mismatch"
BAD_ENCODING = "bad_encoding"
UNSUPPORTED_DELIMITER = "unsupported_delimiter"
UNBALANCED_QUOTES = "unbalanced_quotes"
RAGGED_ROW = "ragged_row"
FIELD_TOO_LONG = "field_too_long"
BAD_JSON = "bad_json"
NOT_PARQUET = "not_parquet"
UNSUPPORTED_TYPE = "unsupported_type"
MISSING_COLUMNS = "missing_columns"
DUPLICATE_COLUMNS = "duplicate_columns"
COMPRESSED_FILE = "compressed_file"

ACCEPTED_ENCODINGS = "UTF-8 (with or without a byte-order mark) or Windows-1252"
EMPTY_FILE_MESSAGE = "The file is empty (0 bytes). Upload a file with a header row and data."


class ParseError(ValidationFailed):
    """The file cannot be read as the declared format. `code` is stable; `row` is the
    sender's 1-based row number when the problem is in one row. Becomes problem+json 422
    through hub.errors like every HubError; `row` and `details` go into the body."""

    def __init__(
        self,
        code: str,
        message: str,
        row: int | None = None,
        *,
        details: dict[str, Any] | None = None,
    ):
        extra: dict[str, Any] = dict(details or {})
        if row is not None:
            extra["row"] = row
        super().__init__(message, extra=extra, code=code)
        self.row = row
        self.details = dict(details or {})

    def __repr__(self) -> str:
        return f"ParseError({self.code!r}, {self.detail!r}, row={self.row!r})"
