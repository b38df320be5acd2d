"""Every request body is bounded (DESIGN.md decision 10): in size, in nesting, in the time it
takes to arrive, and in how many are read at once.

- **Size.** An upload has its own limit (HUB_MAX_UPLOAD_BYTES, hub/api/upload_body.py);
  every other body (JSON, forms) has HUB_MAX_JSON_BYTES, refused with 413 before a byte is
  read when Content-Length says so, and as soon as a chunked body passes it.
- **Nesting.** A JSON body nested deeper than MAX_JSON_DEPTH is refused (400
  `json_too_deep`) before it is parsed: the hub's requests need a few levels, and a parser
  that recurses would run out of stack on 1,000.
- **Whole or nothing.** A body that ends before its Content-Length, or a chunked body
  without its last chunk, raises IncompleteBody (400 `incomplete_body`) on the read that
  finds it out, so nothing built from it is kept.
- **Time.** A body must keep coming: it may take HUB_BODY_TIMEOUT_SECONDS plus one second
  per HUB_BODY_MIN_RATE bytes received (Apache mod_reqtimeout's rule), and no single read may
  wait longer than HUB_BODY_TIMEOUT_SECONDS. Past that the hub stops reading (408
  `body_timeout`). Durations are measured on the monotonic clock, not hub.clock: they are
  elapsed time, not a date.
- **At once.** At most HUB_BODY_READERS requests of one process read a body at the same
  time; another gets 503 `busy` with Retry-After, unread. With gunicorn's threads that keeps
  threads free for everything else (/healthz, reads, tokens) however many senders trickle.

A request whose body was cut short, refused unread or timed out has its connection's read
side shut, so that the server does not wait for the rest of it before closing.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from typing import Any

from flask import Flask, current_app, g, request
from flask.json.provider import DefaultJSONProvider

from hub.errors import BodyTimeout, Busy, IncompleteBody, InvalidRequest, PayloadTooLarge

MAX_JSON_DEPTH = 32
# Endpoints whose body is a file, read by hub/api/upload_body.py under its own limit.
UPLOAD_ENDPOINTS = frozenset({"ingest.submit"})
_CLOSE = "hub.close_connection"
_SLOT = "_body_reader_slot"

# A JSON string, possessively (no backtracking), so that brackets inside strings are skipped.
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth(data: bytes | str, *, stop_at: int = MAX_JSON_DEPTH) -> int:
    """How deeply `data` nests arrays and objects (stops counting past `stop_at`)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        if byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_at:
                    return deepest
        else:
            depth -= 1
    return deepest


def _too_deep() -> InvalidRequest:
    return InvalidRequest(
        f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep. The hub's requests "
        "need only a few levels: send the fields as /openapi.json describes them.",
        code="json_too_deep",
        extra={"max_depth": MAX_JSON_DEPTH},
    )


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing a document nested deeper than MAX_JSON_DEPTH before parsing."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if json_depth(s) > MAX_JSON_DEPTH:
            raise _too_deep()
        try:
            return json.loads(s, **kwargs)
        except RecursionError:
            raise _too_deep() from None


def too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The request body is larger than the hub accepts here ({max_bytes:,} bytes). Send "
        "less: fewer filters or values, shorter texts.",
        extra={"max_bytes": max_bytes},
    )


class GuardedBody:
    """`wsgi.input`, read under the time rule; a body that ends early raises IncompleteBody.

    The server's socket (gunicorn puts it in the environ) gets a timeout for each read, so a
    sender that stops sending cannot block a read longer than the rule allows.
    """

    def __init__(
        self,
        raw: Any,
        environ: dict[str, Any],
        *,
        timeout: float,
        min_rate: int,
        expected: int | None,
    ):
        self._raw, self._environ = raw, environ
        self._timeout, self._min_rate, self._expected = timeout, min_rate, expected
        self.limit: int | None = None  # the most it gives; more is PayloadTooLarge
        self._started = time.monotonic()
        self._received = 0
        self._sock = environ.get("gunicorn.socket")

    def _left(self) -> float:
        allowed = self._timeout + self._received / self._min_rate
        return allowed - (time.monotonic() - self._started)

    def _fail(self, error: Exception) -> Exception:
        self._environ[_CLOSE] = True
        return error

    def _timed_out(self) -> BodyTimeout:
        return self._fail(
            BodyTimeout(
                f"The request body arrived too slowly: the hub reads a body for "
                f"{self._timeout:g} s plus one second per {self._min_rate:,} bytes received. "
                f"Received {self._received:,} bytes. Send it again over a faster link, or in "
                "smaller files.",
                extra={"received_bytes": self._received},
            )
        )

    def _cut_short(self) -> IncompleteBody:
        expected = ""
        if self._expected:
            expected = f" of the {self._expected:,} its Content-Length declares"
        return self._fail(
            IncompleteBody(
                f"The request body ended after {self._received:,} bytes{expected}: the "
                "connection closed before the whole body arrived, so nothing of it was "
                "processed. Send it again (with the same Idempotency-Key if you gave one).",
                extra={"received_bytes": self._received},
            )
        )

    def _call(self, method: str, *args: Any) -> Any:
        left = self._left()
        if left <= 0:
            raise self._timed_out()
        if self._sock is not None:
            try:
                self._sock.settimeout(min(left, self._timeout))
            except OSError:
                pass  # closed already: the read says how
        try:
            data = getattr(self._raw, method)(*args)
        except TimeoutError:
            raise self._timed_out() from None
        except (BodyTimeout, IncompleteBody):
            raise
        except Exception:  # noqa: BLE001 - any failure to read the body (gunicorn's
            # NoMoreData, ChunkMissingTerminator, a reset connection) means it is not whole
            raise self._cut_short() from None
        finally:
            if self._sock is not None:
                try:
                    self._sock.settimeout(None)
                except OSError:
                    pass
        size = len(data)
        self._received += size
        asked = args[0] if args and isinstance(args[0], int) else -1
        ended = size == 0 and asked != 0 or asked is not None and asked < 0
        if ended and self._expected and self._received < self._expected:
            raise self._cut_short()
        if self._left() <= 0 and not (self._expected and self._received >= self._expected):
            raise self._timed_out()
        return data

    def read(self, size: int | None = -1) -> bytes:
        if self.limit is None:
            return self._call("read", -1 if size is None else size)
        if size is None or size < 0:
            blocks = []
            while block := self.read(64 * 1024):
                blocks.append(block)
            return b"".join(blocks)
        return self._capped(self._call("read", min(size, self.limit - self._received + 1)))

    def readline(self, size: int | None = -1) -> bytes:
        if self.limit is not None:
            room = self.limit - self._received + 1
            size = room if size is None or size < 0 else min(size, room)
        return self._capped(self._call("readline", -1 if size is None else size))

    def _capped(self, data: bytes) -> bytes:
        if self.limit is not None and self._received > self.limit:
            raise self._fail(too_large(self.limit))
        return data

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def __iter__(self):
        while line := self.readline():
            yield line


class BodyGuard:
    """WSGI middleware: every request body goes through GuardedBody."""

    def __init__(self, wsgi_app: Any, *, timeout: float, min_rate: int):
        self.wsgi_app, self.timeout, self.min_rate = wsgi_app, timeout, min_rate

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        raw = environ.get("wsgi.input")
        if raw is not None:
            try:
                expected = int(environ.get("CONTENT_LENGTH") or 0) or None
            except ValueError:
                expected = None
            environ["wsgi.input"] = GuardedBody(
                raw, environ, timeout=self.timeout, min_rate=self.min_rate, expected=expected
            )
        result = self.wsgi_app(environ, start_response)
        if environ.get(_CLOSE):
            _shut_read_side(environ)
        return result


def _shut_read_side(environ: dict[str, Any]) -> None:
    """The rest of the body will not be read: let the server see its end at once (it would
    otherwise wait for it before closing). Writing the answer still works."""
    sock = environ.get("gunicorn.socket")
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RD)
    except OSError:
        pass


def has_body() -> bool:
    return (
        bool(request.content_length)
        or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    )


def init_app(app: Flask) -> None:
    settings = app.extensions["hub.settings"]
    app.json = BoundedJSONProvider(app)
    app.wsgi_app = BodyGuard(
        app.wsgi_app, timeout=settings.body_timeout_seconds, min_rate=settings.body_min_rate
    )
    readers = settings.body_readers or app.extensions.get("hub.default_body_readers", 0)
    app.extensions["hub.body_readers"] = threading.BoundedSemaphore(readers) if readers else None

    @app.before_request
    def _bound_body() -> None:
        if not has_body():
            return
        if request.endpoint not in UPLOAD_ENDPOINTS:
            limit = current_app.extensions["hub.settings"].max_json_bytes
            if request.content_length is not None and request.content_length > limit:
                request.environ[_CLOSE] = True
                raise too_large(limit)
            body = request.environ.get("wsgi.input")
            if isinstance(body, GuardedBody):
                body.limit = limit  # a chunked body, as it arrives
        slots = current_app.extensions.get("hub.body_readers")
        if slots is None:
            return
        if not slots.acquire(blocking=False):
            request.environ[_CLOSE] = True
            raise Busy(
                "The hub is reading as many request bodies as it can at once. Send the "
                "request again in a few seconds (see Retry-After).",
                retry_after=5,
            )
        g.setdefault(_SLOT, slots)

    @app.teardown_request
    def _release_slot(_exc: BaseException | None) -> None:
        slots = g.pop(_SLOT, None)
        if slots is not None:
            slots.release()


def configure_body_readers(app: Flask, threads: int) -> None:
    """`hub serve`: unless HUB_BODY_READERS says otherwise, let a process read bodies on all
    of its threads but two, which stay free for requests without one."""
    settings = app.extensions["hub.settings"]
    if settings.body_readers:
        return
    readers = max(1, threads - 2)
    app.extensions["hub.body_readers"] = threading.BoundedSemaphore(readers)
