"""The spool: an upload's bytes on disk, written as they arrive, hashed on the way.

The body is never held whole in memory. Whatever goes wrong while it arrives (over the limit,
cut short, too slow, the disk full, its digest wrong), the partial file is removed before the
error goes up: a spool file holds raw identifiers. Files a dead process left behind are swept
by `sweep_stale` (hub/ingest/background.py runs it at start and on a schedule).
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from hub.errors import (
    HubError,
    IncompleteBody,
    InsufficientStorage,
    InvalidRequest,
    PayloadTooLarge,
)

log = logging.getLogger(__name__)

BLOCK = 1024 * 1024
PART_SUFFIX = ".part"
SPOOLED_SUFFIX = ".upload"
# Digest algorithms of RFC 9530 Content-Digest the hub checks.
DIGESTS = {"sha-256": "sha256", "sha-512": "sha512"}


@dataclass(frozen=True)
class SpooledFile:
    path: Path
    sha256: str
    size_bytes: int


@dataclass(frozen=True)
class Expected:
    """What the sender said the body would be: its length, and digests by RFC 9530 name."""

    size_bytes: int | None = None
    digests: dict[str, bytes] = field(default_factory=dict)


def _blocks(stream: BinaryIO) -> Iterable[bytes]:
    while True:
        try:
            block = stream.read(BLOCK)
        except HubError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure to read means the body is not whole
            raise IncompleteBody(
                "The request body could not be read to its end (the connection broke): "
                "nothing of it was processed. Send it again.",
            ) from exc
        if not block:
            return
        yield block


def disk_full(reserve_bytes: int) -> InsufficientStorage:
    return InsufficientStorage(
        "The hub has no room to keep this upload just now (its spool disk is full). Nothing "
        "was kept. Send it again later; the hub's operators have been told.",
        extra={"reserve_bytes": reserve_bytes},
    )


def _free_bytes(spool_dir: Path) -> int:
    return shutil.disk_usage(spool_dir).free


def spool(
    stream: BinaryIO,
    *,
    spool_dir: Path,
    max_bytes: int,
    expected: Expected | None = None,
    reserve_bytes: int = 0,
) -> SpooledFile:
    """Copy `stream` into a new file under `spool_dir`; refuse it past `max_bytes`, short of
    `expected.size_bytes`, unlike `expected.digests`, or when the disk would keep less than
    `reserve_bytes` free."""
    expected = expected or Expected()
    spool_dir.mkdir(parents=True, exist_ok=True)
    if expected.size_bytes and _free_bytes(spool_dir) - expected.size_bytes < reserve_bytes:
        log.error("spool disk full: refused an upload of %d bytes", expected.size_bytes)
        raise disk_full(reserve_bytes)
    path = spool_dir / f"{uuid.uuid4().hex}{PART_SUFFIX}"
    digest = hashlib.sha256()
    others = {name: hashlib.new(DIGESTS[name]) for name in expected.digests if name != "sha-256"}
    size = 0
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            for block in _blocks(stream):
                size += len(block)
                if size > max_bytes:
                    raise PayloadTooLarge(
                        f"The file is larger than the hub accepts ({max_bytes:,} bytes). "
                        "Split it into smaller uploads, or ask the hub's operators to raise "
                        "HUB_MAX_UPLOAD_BYTES.",
                        extra={"max_bytes": max_bytes},
                    )
                if reserve_bytes and _free_bytes(spool_dir) - len(block) < reserve_bytes:
                    raise disk_full(reserve_bytes)
                digest.update(block)
                for other in others.values():
                    other.update(block)
                _write(out, block, reserve_bytes)
            _flush(out, reserve_bytes)
        if expected.size_bytes is not None and size < expected.size_bytes:
            raise IncompleteBody(
                f"The request body ended after {size:,} bytes of the {expected.size_bytes:,} "
                "its Content-Length declares: nothing of it was processed. Send it again.",
                extra={"received_bytes": size},
            )
        _check_digests(expected, {"sha-256": digest, **others})
    except InsufficientStorage:
        path.unlink(missing_ok=True)
        log.error("spool disk full: an upload was refused and its partial file removed")
        raise
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if size == 0:
        path.unlink(missing_ok=True)
        raise InvalidRequest(
            "The upload is empty: send the file as the request body (or as the `file` field "
            "of a multipart form).",
            code="empty_file",
        )
    final = path.with_name(f"{digest.hexdigest()[:16]}-{path.stem}{SPOOLED_SUFFIX}")
    path.rename(final)
    return SpooledFile(path=final, sha256=digest.hexdigest(), size_bytes=size)


def _write(out: BinaryIO, block: bytes, reserve_bytes: int) -> None:
    try:
        out.write(block)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise disk_full(reserve_bytes) from None
        raise


def _flush(out: BinaryIO, reserve_bytes: int) -> None:
    try:
        out.flush()
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise disk_full(reserve_bytes) from None
        raise


def _check_digests(expected: Expected, computed: dict[str, object]) -> None:
    for name, want in expected.digests.items():
        got = computed[name].digest()  # type: ignore[attr-defined]
        if not hmac.compare_digest(got, want):
            raise InvalidRequest(
                f"The body's {name} digest is not the one its Content-Digest header gives: "
                "the file changed or was cut on its way. Nothing of it was processed; send it "
                "again.",
                code="digest_mismatch",
                extra={"algorithm": name},
            )


@dataclass(frozen=True)
class Sweep:
    """What one sweep of the spool removed: files left by transfers that died."""

    removed: int
    bytes: int


def sweep_stale(spool_dir: Path, *, stale_seconds: int, keep: set[str]) -> Sweep:
    """Remove partial files (`*.part`) and spooled files no live upload holds (`*.upload`)
    untouched for `stale_seconds`; `keep` names the `<upload id>.upload` files of uploads
    still waiting or processing, never removed here.

    A file's age is measured by the file system's own clock (its mtime against the system
    time), not hub.clock: it is elapsed time on this disk, not a date.
    """
    if not spool_dir.is_dir():
        return Sweep(0, 0)
    cutoff = time.time() - stale_seconds
    removed = size = 0
    for path in spool_dir.iterdir():
        name = path.name
        if name in keep:
            continue
        if not name.endswith((PART_SUFFIX, SPOOLED_SUFFIX)):
            continue
        try:
            stat = path.stat()
            if stat.st_mtime >= cutoff:
                continue
            path.unlink()
        except FileNotFoundError:
            continue
        removed += 1
        size += stat.st_size
    return Sweep(removed, size)
