"""Which reader a file needs, from its declared media type and its first bytes."""

from __future__ import annotations

from typing import Final

from .parse_errors import (
    COMPRESSED_FILE,
    EMPTY_FILE,
    EMPTY_FILE_MESSAGE,
    MEDIA_TYPE_MISMATCH,
    NOT_PARQUET,
    UNSUPPORTED_MEDIA_TYPE,
    ParseError,
)

CSV: Final = "csv"
NDJSON: Final = "ndjson"
PARQUET: Final = "parquet"

# The first one of each is the name the hub documents; the others are aliases seen in use.
MEDIA_TYPES: Final[dict[str, str]] = {
    "text/csv": CSV,
    "application/csv": CSV,
    "application/vnd.ms-excel": CSV,  # what browsers on Windows send for a .csv file
    "application/x-ndjson": NDJSON,
    "application/ndjson": NDJSON,
    "application/jsonl": NDJSON,
    "application/vnd.apache.parquet": PARQUET,
    "application/x-parquet": PARQUET,
}
# Declared types that say nothing: the first bytes decide.
UNSPECIFIC: Final = frozenset({"", "application/octet-stream"})

PARQUET_MAGIC: Final = b"PAR1"
SNIFF_BYTES: Final = 4096  # how many first bytes callers should pass


# Compressed files, by their magic numbers: the hub reads files as they are, not archives.
COMPRESSED: Final = (
    (b"\x1f\x8b", "gzip"),
    (b"PK\x03\x04", "zip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
)


def refuse_compressed(first_bytes: bytes) -> None:
    """Raises `compressed_file` for a gzip, zip, bzip2, xz, zstd or 7z file."""
    for magic, name in COMPRESSED:
        if first_bytes.startswith(magic):
            raise ParseError(
                COMPRESSED_FILE,
                f"The file is {name}-compressed. Decompress it and send the CSV, NDJSON or "
                "Parquet file itself (Parquet compresses its own columns).",
                details={"compression": name},
            )


def _looks_like_json_object(first_bytes: bytes) -> bool:
    return first_bytes.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n").startswith(b"{")


def detect_format(media_type: str | None, first_bytes: bytes) -> str:
    """ "csv", "ndjson" or "parquet".

    `media_type` is the declared Content-Type (parameters such as `; charset=utf-8` are
    ignored); `first_bytes` the file's first bytes (SNIFF_BYTES is plenty). A declared type
    wins, but a Parquet file declared as something else (or the reverse) is refused rather
    than misread. With no type, or application/octet-stream, the bytes decide: Parquet's
    magic number, then a line starting with "{" (NDJSON), else CSV.
    """
    if not first_bytes:
        raise ParseError(EMPTY_FILE, EMPTY_FILE_MESSAGE)
    refuse_compressed(first_bytes)
    declared = (media_type or "").split(";", 1)[0].strip().lower()
    is_parquet = first_bytes.startswith(PARQUET_MAGIC)
    if declared in UNSPECIFIC:
        if is_parquet:
            return PARQUET
        return NDJSON if _looks_like_json_object(first_bytes) else CSV
    kind = MEDIA_TYPES.get(declared)
    if kind is None:
        raise ParseError(
            UNSUPPORTED_MEDIA_TYPE,
            f"The hub does not read {declared!r} files. Send text/csv, application/x-ndjson "
            "or application/vnd.apache.parquet.",
        )
    if kind == PARQUET and not is_parquet:
        raise ParseError(
            NOT_PARQUET,
            "The file was sent as Parquet but does not start with Parquet's magic number "
            "'PAR1'. Send the .parquet file itself, or declare the type it really has.",
        )
    if kind != PARQUET and is_parquet:
        raise ParseError(
            MEDIA_TYPE_MISMATCH,
            f"The file was sent as {declared} but is a Parquet file. Declare it as "
            "application/vnd.apache.parquet.",
        )
    return kind
