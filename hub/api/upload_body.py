"""An upload's body, from the request to the spool: the raw body or one multipart part.

The body never sits whole in memory. A raw body streams straight into the spool; a
multipart form goes through werkzeug's parser, whose file parts land in anonymous
temporary files next to the spool, and the `file` part is then spooled. Sizes are checked
up front from Content-Length when the sender gives one (nothing is read), and again
while the bytes arrive (a chunked body has no Content-Length).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.http import parse_options_header
from werkzeug.wrappers import Request

from hub.errors import InvalidRequest, PayloadTooLarge, UnsupportedMediaType
from hub.ingest.parse_errors import ParseError
from hub.ingest.parse_format import (
    CSV,
    MEDIA_TYPES,
    NDJSON,
    PARQUET,
    SNIFF_BYTES,
    detect_format,
)
from hub.ingest.spool import DIGESTS, Expected, SpooledFile, spool

# The names the hub documents for the three formats (parse_format.MEDIA_TYPES has aliases).
CANONICAL = {
    CSV: "text/csv",
    NDJSON: "application/x-ndjson",
    PARQUET: "application/vnd.apache.parquet",
}
ACCEPTED = tuple(CANONICAL.values())
MULTIPART = "multipart/form-data"
OCTET_STREAM = "application/octet-stream"
# Types a browser may give a file part that say nothing certain: the first bytes decide.
_VAGUE_PART_TYPES = frozenset({"", OCTET_STREAM, "text/plain", "application/json"})
# Room for the multipart boundaries, part headers and small fields around the file.
MULTIPART_OVERHEAD = 64 * 1024
# Memory for fields other than the file; werkzeug also holds each 64 KiB read of the body
# under this limit, so it must exceed that. Flask's own default.
FORM_MEMORY_BYTES = 500 * 1024


@dataclass(frozen=True)
class Received:
    spooled: SpooledFile
    media_type: str  # one of ACCEPTED
    filename: str | None
    fields: dict[str, str]  # the multipart form's other fields; empty for a raw body
    digests_checked: tuple[str, ...] = ()  # the Content-Digest algorithms the body matched


def declared_type(request: Request) -> str:
    """The request's media type, lower case, without parameters; 415 unless accepted."""
    mimetype = request.mimetype.lower()
    if mimetype in MEDIA_TYPES or mimetype in (MULTIPART, OCTET_STREAM):
        return mimetype
    given = f"`{mimetype}`" if mimetype else "no Content-Type"
    raise UnsupportedMediaType(
        f"The hub does not accept {given} for an upload. Send the file as the request body "
        f"with Content-Type {', '.join(ACCEPTED)} (or {OCTET_STREAM} to let the hub tell "
        f"from the bytes), or as the `file` field of a {MULTIPART} form.",
        extra={"accepted": [*ACCEPTED, OCTET_STREAM, MULTIPART]},
    )


def check_length(request: Request, *, max_bytes: int) -> None:
    """Refuse a body whose declared length is over the limit, before reading any of it."""
    limit = max_bytes + (MULTIPART_OVERHEAD if request.mimetype == MULTIPART else 0)
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(max_bytes)


_DIGEST_MEMBER = re.compile(r"^\s*([a-z][a-z0-9_.*-]*)\s*=\s*:([A-Za-z0-9+/=]*):\s*(?:;.*)?$")


def content_digests(request: Request) -> dict[str, bytes]:
    """RFC 9530 `Content-Digest`, by algorithm: the ones the hub checks (sha-256, sha-512).

    A header the hub cannot read, or one that gives none of those, is refused: a sender who
    asks for a check gets one or is told why not.
    """
    header = request.headers.get("Content-Digest")
    if header is None:
        return {}
    digests: dict[str, bytes] = {}
    for member in header.split(","):
        match = _DIGEST_MEMBER.match(member)
        if not match:
            raise _bad_digest(header)
        name, value = match.group(1), match.group(2)
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise _bad_digest(header) from None
        if name in DIGESTS:
            if len(raw) != hashlib.new(DIGESTS[name]).digest_size:
                raise _bad_digest(header)
            digests[name] = raw
    if not digests:
        raise _bad_digest(header)
    return digests


def _bad_digest(header: str) -> InvalidRequest:
    return InvalidRequest(
        "The Content-Digest header cannot be checked: give it as RFC 9530 says, e.g. "
        "`Content-Digest: sha-256=:<base64 of the SHA-256 of the body>:` (sha-256 or sha-512).",
        code="bad_content_digest",
    )


def receive(
    request: Request, *, spool_dir: Path, max_bytes: int, reserve_bytes: int = 0
) -> Received:
    """Spool the upload of `request` (raw or multipart), checked against `max_bytes`, its
    Content-Length (a body that ends early is refused) and its Content-Digest if given."""
    mimetype = declared_type(request)
    check_length(request, max_bytes=max_bytes)
    digests = content_digests(request)
    if mimetype == MULTIPART:
        return _receive_form(
            request,
            spool_dir=spool_dir,
            max_bytes=max_bytes,
            digests=digests,
            reserve_bytes=reserve_bytes,
        )
    spooled = spool(
        request.stream,
        spool_dir=spool_dir,
        max_bytes=max_bytes,
        expected=Expected(size_bytes=request.content_length, digests=digests),
        reserve_bytes=reserve_bytes,
    )
    return Received(spooled, _settle_type(spooled, mimetype), None, {}, tuple(sorted(digests)))


def _receive_form(
    request: Request,
    *,
    spool_dir: Path,
    max_bytes: int,
    digests: dict[str, bytes],
    reserve_bytes: int,
) -> Received:
    spool_dir.mkdir(parents=True, exist_ok=True)
    opened: list[IO[bytes]] = []

    def temporary_file(*_args, **_kwargs) -> IO[bytes]:
        # Anonymous: the file has no name and disappears when closed, whatever happens.
        handle = tempfile.TemporaryFile(dir=spool_dir)  # closed below
        opened.append(handle)
        return handle

    parser = FormDataParser(
        stream_factory=temporary_file,
        max_form_memory_size=FORM_MEMORY_BYTES,
        max_form_parts=20,
        silent=False,
    )
    mimetype, options = parse_options_header(request.headers.get("Content-Type", ""))
    body = _Capped(request.stream, max_bytes + MULTIPART_OVERHEAD, max_bytes, digests)
    try:
        try:
            _, form, files = parser.parse(body, mimetype, request.content_length, options)
        except RequestEntityTooLarge as exc:
            raise InvalidRequest(
                f"A form field other than `file` is longer than {FORM_MEMORY_BYTES:,} bytes.",
                code="form_field_too_long",
            ) from exc
        except ValueError as exc:
            raise InvalidRequest(
                "The multipart form could not be read (it is cut short or malformed). "
                "Send the file as the `file` field of a multipart/form-data form.",
                code="bad_multipart",
            ) from exc
        part = files.get("file")
        if part is None:
            raise InvalidRequest(
                "The form has no file in a field named `file`: attach the file as `file`.",
                code="missing_file",
            )
        part_type = (part.mimetype or "").lower()
        if part_type not in MEDIA_TYPES and part_type not in _VAGUE_PART_TYPES:
            raise UnsupportedMediaType(
                f"The file part is `{part_type}`, which the hub does not read: attach a CSV, "
                f"NDJSON or Parquet file ({', '.join(ACCEPTED)}).",
                extra={"accepted": list(ACCEPTED)},
            )
        body.check_digests()  # of the whole form, as RFC 9530 has it, before anything is kept
        spooled = spool(
            part.stream, spool_dir=spool_dir, max_bytes=max_bytes, reserve_bytes=reserve_bytes
        )
    finally:
        for handle in opened:
            handle.close()
    declared = OCTET_STREAM if part_type in _VAGUE_PART_TYPES else part_type
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    return Received(
        spooled,
        _settle_type(spooled, declared),
        part.filename or None,
        fields,
        tuple(sorted(digests)),
    )


def _settle_type(spooled: SpooledFile, declared: str) -> str:
    """The documented media type of the file; a vague declaration is settled by its bytes.

    A file whose bytes contradict its declared type (Parquet sent as CSV, or the reverse) is
    refused now, before an upload exists, rather than failing later in the pipeline.
    """
    with open(spooled.path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    try:
        kind = detect_format(None if declared == OCTET_STREAM else declared, head)
    except ParseError:
        spooled.path.unlink(missing_ok=True)
        raise
    return CANONICAL[kind]


def _too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The file is larger than the hub accepts ({max_bytes:,} bytes). Split it into "
        "smaller uploads, or ask the hub's operators to raise HUB_MAX_UPLOAD_BYTES.",
        extra={"max_bytes": max_bytes},
    )


class _Capped:
    """A read-only stream that refuses to give more than `limit` bytes in all, hashing what
    it gives for the body's Content-Digest."""

    def __init__(
        self, stream: BinaryIO, limit: int, max_bytes: int, digests: dict[str, bytes]
    ):
        self._stream, self._left, self._max_bytes = stream, limit, max_bytes
        self._want = digests
        self._hashes = {name: hashlib.new(DIGESTS[name]) for name in digests}

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._left -= len(data)
        if self._left < 0:
            raise _too_large(self._max_bytes)
        for hashed in self._hashes.values():
            hashed.update(data)
        return data

    def check_digests(self) -> None:
        for name, want in self._want.items():
            if not hmac.compare_digest(self._hashes[name].digest(), want):
                raise InvalidRequest(
                    f"The body's {name} digest is not the one its Content-Digest header "
                    "gives: the form changed or was cut on its way. Nothing of it was "
                    "processed; send it again.",
                    code="digest_mismatch",
                    extra={"algorithm": name},
                )
