"""The sender's side: `hub upload` sends a file through the HTTP API and follows it.

It speaks only the public API, as a partner's own system would: a token from
POST /oauth/token (client credentials), the file streamed as the raw request body, then
GET on the upload's Location until processing is done. It holds no secrets but the
client's own and never reads the hub's database.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import requests

DEFAULT_URL = "http://127.0.0.1:8000"
BLOCK = 256 * 1024
MEDIA_TYPES = {
    ".csv": "text/csv",
    ".ndjson": "application/x-ndjson",
    ".jsonl": "application/x-ndjson",
    ".parquet": "application/vnd.apache.parquet",
}

# How many times `send` tries when the hub answers 503 (it says when with Retry-After).
BUSY_ATTEMPTS = 3

# Exit codes of `hub upload`.
PUBLISHED, NOT_PUBLISHED, REFUSED = 0, 1, 2


class SendFailed(Exception):
    """The hub refused the request, or could not be reached: nothing was processed."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: int | None = None,
    ):
        super().__init__(message)
        self.message, self.status, self.code = message, status, code
        self.retry_after = retry_after


@dataclass(frozen=True)
class Sender:
    url: str
    client_id: str
    client_secret: str
    timeout: float = 60.0  # per HTTP request, not for the whole upload

    def session(self) -> requests.Session:
        session = requests.Session()
        session.headers["User-Agent"] = "hub-upload"
        return session

    def token(self, session: requests.Session) -> str:
        response = self._call(
            session,
            "POST",
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(self.client_id, self.client_secret),
        )
        return response.json()["access_token"]

    def send(
        self,
        session: requests.Session,
        token: str,
        *,
        agreement: str,
        dataset: str,
        path: Path,
        replaces: str | None = None,
        idempotency_key: str | None = None,
        on_bytes: Callable[[int], None] = lambda n: None,
    ) -> tuple[int, dict[str, Any]]:
        """Stream `path` as the body; (HTTP status, the upload) — 202 new, 200 seen before."""
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": media_type_of(path),
            # RFC 9530: the hub checks the bytes it received against this before it keeps
            # them, so a file changed or cut on its way is refused, never published.
            "Content-Digest": content_digest(path),
        }
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        params = {"replaces": replaces} if replaces else None
        for attempt in range(1, BUSY_ATTEMPTS + 1):
            with open(path, "rb") as handle:
                body = _Counting(handle, path.stat().st_size, on_bytes)
                try:
                    response = self._call(
                        session,
                        "POST",
                        f"/api/v1/agreements/{agreement}/datasets/{dataset}/uploads",
                        data=body,
                        headers=headers,
                        params=params,
                    )
                except SendFailed as failed:
                    # 503 (busy, or the database failing over) says when to come back.
                    if failed.status != 503 or attempt == BUSY_ATTEMPTS:
                        raise
                    time.sleep(min(failed.retry_after or 5, 30))
                    continue
            return response.status_code, response.json()
        raise AssertionError("unreachable")

    def correct(
        self,
        session: requests.Session,
        token: str,
        *,
        agreement: str,
        dataset: str,
        path: Path,
        reason: str,
        legal_ground: str,
    ) -> dict[str, Any]:
        """Send a corrections file (rectify / erase / restrict rows); the hub's answer."""
        media_type = (
            "application/x-ndjson" if path.suffix.lower() in (".ndjson", ".jsonl") else "text/csv"
        )
        with open(path, "rb") as handle:
            response = self._call(
                session,
                "POST",
                f"/api/v1/agreements/{agreement}/datasets/{dataset}/corrections",
                data=handle.read(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": media_type},
                params={"reason": reason, "legal_ground": legal_ground},
            )
        return response.json()

    def status(self, session: requests.Session, token: str, location: str) -> dict[str, Any]:
        response = self._call(
            session, "GET", location, headers={"Authorization": f"Bearer {token}"}
        )
        return response.json()

    def follow(
        self,
        session: requests.Session,
        token: str,
        upload: dict[str, Any],
        *,
        on_status: Callable[[dict[str, Any]], None] = lambda u: None,
        wait_seconds: float = 3600.0,
        interval: float = 0.5,
    ) -> dict[str, Any]:
        """Poll the upload until it is done (or `wait_seconds` pass); the last answer."""
        deadline = time.monotonic() + wait_seconds
        while not upload.get("done"):
            if time.monotonic() > deadline:
                raise SendFailed(
                    f"The upload {upload.get('id')} is still {upload.get('status')} after "
                    f"{wait_seconds:.0f} s; follow it at {self.url}{upload.get('location')}."
                )
            time.sleep(interval)
            interval = min(interval * 1.5, 5.0)
            upload = self.status(session, token, upload["location"])
            on_status(upload)
        return upload

    def _call(self, session: requests.Session, method: str, path: str, **kwargs):
        url = self.url.rstrip("/") + path
        try:
            response = session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.ConnectionError as exc:
            raise SendFailed(
                f"Could not reach the hub at {self.url} ({type(exc).__name__}). Check HUB_URL "
                "and that the hub is running. If the file is large, the hub may have refused "
                "it before reading it all: see its HUB_MAX_UPLOAD_BYTES."
            ) from exc
        except requests.Timeout as exc:
            raise SendFailed(f"The hub at {self.url} did not answer in time.") from exc
        if response.status_code >= 400:
            raise _problem(response)
        return response


def content_digest(path: Path) -> str:
    """The RFC 9530 Content-Digest field of the file's bytes (sha-256)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK):
            digest.update(block)
    return f"sha-256=:{base64.b64encode(digest.digest()).decode()}:"


def media_type_of(path: Path) -> str:
    """What the file's name says it is; the hub tells from the bytes otherwise."""
    return MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")


def outcome_code(upload: dict[str, Any]) -> int:
    return PUBLISHED if upload.get("status") == "published" else NOT_PUBLISHED


def _problem(response: requests.Response) -> SendFailed:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    # problem+json has `detail`; the OAuth token endpoint answers RFC 6749 errors.
    detail = body.get("detail") or body.get("error_description") or body.get("error")
    code = body.get("code") or body.get("error")
    message = f"The hub answered {response.status_code}"
    message += f" ({code})" if code else ""
    message += f": {detail}" if detail else "."
    for item in body.get("errors") or []:
        if isinstance(item, dict):
            message += f"\n  {item.get('location')}: {item.get('message')}"
    for item in body.get("problems") or []:  # a corrections file: line, column, check
        if isinstance(item, dict):
            message += (
                f"\n  line {item.get('line')}, {item.get('column')} ({item.get('check')}): "
                f"{item.get('message')}"
            )
    retry_after = response.headers.get("Retry-After", "")
    return SendFailed(
        message,
        status=response.status_code,
        code=code,
        retry_after=int(retry_after) if retry_after.isdigit() else None,
    )


class _Counting:
    """The file as a request body: read in blocks, each block counted for the progress bar.

    `len` lets requests send a Content-Length, so the hub can refuse an oversized file
    before it is sent.
    """

    def __init__(self, handle: BinaryIO, size: int, on_bytes: Callable[[int], None]):
        self._handle, self.len, self._on_bytes = handle, size, on_bytes

    def read(self, size: int = -1) -> bytes:
        block = self._handle.read(BLOCK if size is None or size < 0 else size)
        if block:
            self._on_bytes(len(block))
        return block
