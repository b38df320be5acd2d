"""/healthz while slow senders trickle uploads at the hub (issue 11, item 5).

`hub serve` runs as a real process (its defaults: 2 gthread workers x 4 threads) on a fresh
PostgreSQL database. First /healthz alone: one request after another for --seconds, each
timed from connect to the last byte (a request that fails or takes over 30 s counts as
30 s). Then the same while --senders uploaders each POST a large CSV upload and trickle its
body at --rate bytes/s; a sender the hub cuts off (408) or refuses unread (503) opens a new
connection and starts again, as a stubborn client would. Both phases run in the same run, on
the same machine, so a busy machine slows both alike.

The last line is JSON: p50/p99/max of /healthz in ms and errors, without and with the
senders, and what the senders were answered. `--unguarded` serves with the body guards
turned off (a reader for every thread, an hour's body timeout): the hub as it was.

    .venv/bin/python bench/slow_clients.py [--senders 20] [--rate 200] [--seconds 20]
        [--database-url URL] [--unguarded]
"""

from __future__ import annotations

import argparse
import collections
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_DATABASE_URL, HubProcesses, scratch_database  # noqa: E402

AGREEMENT = "crime-asb-hotspots"
UPLOADS = f"/api/v1/agreements/{AGREEMENT}/datasets/police-street-crime/uploads"
HEADER = b"Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code\n"
DECLARED_BYTES = 45_000_000  # what the senders' Content-Length promises
CAP_SECONDS = 30.0


def healthz_times(base: str, seconds: float) -> tuple[list[float], int]:
    """Sequential GET /healthz for `seconds`: each one's time in ms, and how many failed."""
    times, errors = [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            ok = requests.get(f"{base}/healthz", timeout=CAP_SECONDS).status_code == 200
        except requests.RequestException:
            ok = False
        elapsed = (time.perf_counter() - started) * 1000
        if not ok:
            errors += 1
            elapsed = max(elapsed, CAP_SECONDS * 1000)
        times.append(elapsed)
        time.sleep(0.05)
    return times, errors


def summary(times: list[float], errors: int) -> dict:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return {
        "requests": len(times),
        "p50_ms": round(statistics.median(ordered), 1),
        "p99_ms": round(p99, 1),
        "max_ms": round(ordered[-1], 1),
        "errors": errors,
    }


class SlowSender(threading.Thread):
    """Trickles an upload body at `rate` bytes/s; reconnects whenever the hub ends it."""

    def __init__(self, base: str, token: str, rate: int, stop: threading.Event, answers):
        super().__init__(daemon=True)
        where = urlsplit(base)
        self.address = (where.hostname, where.port)
        self.head = (
            f"POST {UPLOADS} HTTP/1.1\r\nHost: {where.netloc}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: text/csv\r\n"
            f"Content-Length: {DECLARED_BYTES}\r\n\r\n"
        ).encode()
        self.rate, self.stop, self.answers = rate, stop, answers

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self._one()
            except OSError:
                self.answers["reset"] += 1
                self.stop.wait(0.5)

    def _one(self) -> None:
        with socket.create_connection(self.address, timeout=10) as sock:
            sock.sendall(self.head + HEADER)
            sock.setblocking(False)
            step = max(1, self.rate // 10)
            row = b"x" * (step - 1) + b"\n"
            while not self.stop.is_set():
                try:
                    answer = sock.recv(4096)
                except BlockingIOError:
                    answer = None
                if answer is not None:  # answered (or closed) before the body was sent
                    status = (
                        answer.split(b" ", 2)[1].decode() if answer[:5] == b"HTTP/" else "closed"
                    )
                    self.answers[status] += 1
                    if status == "503":
                        self.stop.wait(1.0)  # a stubborn client, not one that honours Retry-After
                    return
                try:
                    sock.send(row)
                except BlockingIOError:
                    pass
                self.stop.wait(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--rate", type=int, default=200, help="bytes per second per sender")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--unguarded", action="store_true", help="turn the body guards off")
    args = parser.parse_args()

    env = {"HUB_BODY_READERS": "1024", "HUB_BODY_TIMEOUT_SECONDS": "3600"} if args.unguarded else {}
    with (
        tempfile.TemporaryDirectory() as workdir,
        scratch_database(args.database_url) as url,
        HubProcesses(url, Path(workdir), env=env) as hub,
    ):
        hub.approve(AGREEMENT)
        token = hub.token(hub.add_client(partner="northshire-police", roles=["uploader"]))
        healthz_times(hub.base, 2)  # warm up
        baseline = summary(*healthz_times(hub.base, args.seconds))
        print(f"/healthz alone: {baseline}", flush=True)

        stop = threading.Event()
        answers: collections.Counter = collections.Counter()
        senders = [
            SlowSender(hub.base, token, args.rate, stop, answers) for _ in range(args.senders)
        ]
        for sender in senders:
            sender.start()
        time.sleep(1.0)  # let them all connect
        slow = summary(*healthz_times(hub.base, args.seconds))
        stop.set()
        for sender in senders:
            sender.join(timeout=15)
        print(f"/healthz with {args.senders} senders at {args.rate} B/s: {slow}", flush=True)
        print(
            json.dumps(
                {
                    "bench": "slow_clients",
                    "guarded": not args.unguarded,
                    "senders": args.senders,
                    "rate_bytes_per_s": args.rate,
                    "seconds": args.seconds,
                    "baseline": baseline,
                    "with_senders": slow,
                    "sender_answers": dict(answers),
                }
            )
        )


if __name__ == "__main__":
    main()
