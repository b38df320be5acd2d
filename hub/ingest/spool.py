"""The spool: an upload's bytes on disk, written as they arrive, hashed on the way.

The body is never held whole in memory; a body over the limit is removed and refused.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from hub.errors import InvalidRequest, PayloadTooLarge

BLOCK = 1024 * 1024


@dataclass(frozen=True)
class SpooledFile:
    path: Path
    sha256: str
    size_bytes: int


def _blocks(stream: BinaryIO) -> Iterable[bytes]:
    while True:
        block = stream.read(BLOCK)
        if not block:
            return
        yield block


def spool(stream: BinaryIO, *, spool_dir: Path, max_bytes: int) -> SpooledFile:
    """Copy `stream` into a new file under `spool_dir`; refuse it past `max_bytes`."""
    spool_dir.mkdir(parents=True, exist_ok=True)
    path = spool_dir / f"{uuid.uuid4().hex}.part"
    digest = hashlib.sha256()
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
                digest.update(block)
                out.write(block)
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
    final = path.with_name(f"{digest.hexdigest()[:16]}-{path.stem}.upload")
    path.rename(final)
    return SpooledFile(path=final, sha256=digest.hexdigest(), size_bytes=size)
