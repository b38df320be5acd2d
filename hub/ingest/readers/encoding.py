"""Decide how a text file is encoded, in one streaming pass of bounded memory.

Accepted: UTF-8, UTF-8 with a byte-order mark, and Windows-1252 (what Excel's plain
"CSV (Comma delimited)" writes on a UK Windows machine). The whole file is read once in
1 MiB blocks through an incremental UTF-8 decoder; if any sequence is invalid UTF-8 the
file is Windows-1252, provided none of the five bytes Windows-1252 leaves undefined
(0x81, 0x8D, 0x8F, 0x90, 0x9D) occurs. A file with a UTF-8 byte-order mark must be UTF-8
throughout. UTF-16 and UTF-32 (by their byte-order marks) and any file holding a NUL byte
(UTF-16 without a mark, or not text at all) are refused as `bad_encoding`.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from ..parse_errors import (
    ACCEPTED_ENCODINGS,
    BAD_ENCODING,
    EMPTY_FILE,
    EMPTY_FILE_MESSAGE,
    ParseError,
)
from ..parse_format import refuse_compressed

BLOCK_SIZE = 1 << 20
UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
WINDOWS_1252 = "cp1252"
_CP1252_UNDEFINED = b"\x81\x8d\x8f\x90\x9d"
_SAVE_AS = "In Excel choose 'Save As' > 'CSV UTF-8 (Comma delimited)'."


@dataclass(frozen=True)
class TextSniff:
    """`encoding` is a Python codec name: "utf-8", "utf-8-sig" or "cp1252"."""

    encoding: str
    size: int
    ends_with_newline: bool


def refuse_utf16_or_binary(first_bytes: bytes) -> None:
    """Raises `compressed_file` for a compressed file, `bad_encoding` for a UTF-32 or UTF-16
    byte-order mark or a NUL byte."""
    refuse_compressed(first_bytes)
    for name, marks in (
        ("UTF-32", (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)),
        ("UTF-16", (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)),
    ):
        if first_bytes.startswith(marks):
            raise ParseError(
                BAD_ENCODING,
                f"The file is encoded as {name}. The hub accepts {ACCEPTED_ENCODINGS}. " + _SAVE_AS,
            )
    if b"\x00" in first_bytes:
        raise ParseError(
            BAD_ENCODING,
            "The file contains NUL bytes: it is UTF-16 without a byte-order mark, or not a "
            f"text file. The hub accepts {ACCEPTED_ENCODINGS}. " + _SAVE_AS,
        )


def _has_cp1252_undefined(block: bytes) -> bool:
    return len(block.translate(None, _CP1252_UNDEFINED)) != len(block)


def _cp1252_undefined_before(path: str | Path, end: int, block_size: int) -> bool:
    with open(path, "rb") as f:
        while end > 0 and (block := f.read(min(block_size, end))):
            end -= len(block)
            if _has_cp1252_undefined(block):
                return True
    return False


def sniff_text_encoding(path: str | Path, *, block_size: int = BLOCK_SIZE) -> TextSniff:
    """Reads the file once and returns its encoding; raises `empty_file` or `bad_encoding`.
    (A file that turns out not to be UTF-8 has its first part, up to the first invalid
    block, read a second time for the Windows-1252 check.)"""
    decoder = codecs.getincrementaldecoder(UTF8)("strict")
    utf8_failed_at: int | None = None  # offset of the first block that is not UTF-8
    cp1252_ok = True
    has_bom = False
    size = 0
    last = b""
    with open(path, "rb") as f:
        while block := f.read(block_size):
            if size == 0:
                refuse_utf16_or_binary(block)
                has_bom = block.startswith(codecs.BOM_UTF8)
            elif b"\x00" in block:
                refuse_utf16_or_binary(b"\x00")
            if utf8_failed_at is None:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as error:
                    if has_bom:
                        raise _bom_but_not_utf8(f"from byte {size + error.start + 1}") from None
                    utf8_failed_at = size
            if utf8_failed_at is not None and cp1252_ok and _has_cp1252_undefined(block):
                cp1252_ok = False
            size += len(block)
            last = block[-1:]
    if size == 0:
        raise ParseError(EMPTY_FILE, EMPTY_FILE_MESSAGE)
    if utf8_failed_at is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            if has_bom:
                raise _bom_but_not_utf8("at its end: the file was cut short") from None
            utf8_failed_at = size  # the file ends inside a multi-byte sequence
    if utf8_failed_at is None:
        encoding = UTF8_BOM if has_bom else UTF8
    elif cp1252_ok and not _cp1252_undefined_before(path, utf8_failed_at, block_size):
        encoding = WINDOWS_1252
    else:
        raise ParseError(
            BAD_ENCODING,
            f"The file is neither UTF-8 nor Windows-1252. The hub accepts {ACCEPTED_ENCODINGS}. "
            + _SAVE_AS,
        )
    return TextSniff(encoding=encoding, size=size, ends_with_newline=last in (b"\n", b"\r"))


def _bom_but_not_utf8(where: str) -> ParseError:
    return ParseError(
        BAD_ENCODING,
        f"The file starts with a UTF-8 byte-order mark but is not valid UTF-8 {where}. "
        f"The hub accepts {ACCEPTED_ENCODINGS}, one encoding for the whole file.",
    )
