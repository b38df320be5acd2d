"""Data and helpers for the corrections tests: the shipped policies plus two test views over
school exclusions (one person view for the council and the police, one aggregate per month),
a small exclusions feed published through the real pipeline, analysts who query it, and a
real local HTTP server that receives webhooks."""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import standardwebhooks.webhooks as swh
from sqlalchemy import select

from hub import clock, db
from hub.pseudonymise import Keyring, pseudonym
from hub.settings import PROJECT_ROOT
from tests.conftest import make_settings
from tests.helpers import bearer, token_for

from .ingest_support import Pupil, dataset_table, process, pupils, reading, to_csv, uploader

EARLY = "early-intervention-young-people"
EXCLUSIONS = "school-exclusions"
SCHOOL = "riverside-academy"
COUNCIL = "northshire-council"
POLICE = "northshire-police"
PEOPLE_VIEW = "exclusions-people"
MONTHS_VIEW = "exclusions-by-month"
PURPOSE = "safeguarding-early-help"

PEOPLE_YAML = f"""
id: {PEOPLE_VIEW}
title: Pupils with an exclusion (test view)
description: One row per pupil with an exclusion, for the council and the police.
agreement: {EARLY}
kind: person
partners: [{COUNCIL}, {POLICE}]
roles: [analyst]
sources:
  - alias: exclusions
    dataset: {EXCLUSIONS}
person:
  key: upn
  population: [exclusions]
  link:
    - [upn]
columns:
  - name: person
    field: upn
    description: The pupil's pseudonym.
  - name: exclusions
    count: exclusions
    description: Exclusions.
"""

MONTHS_YAML = f"""
id: {MONTHS_VIEW}
title: Exclusions per month (test view)
description: Exclusions per month of their start.
agreement: {EARLY}
kind: aggregate
partners: [{COUNCIL}, {POLICE}]
roles: [analyst]
sources:
  - alias: exclusions
    dataset: {EXCLUSIONS}
aggregate:
  dimensions:
    - name: month
      description: The month the exclusion started (YYYY-MM).
      sources: {{exclusions: start_date}}
      first: 7
  measures:
    - {{name: exclusions, source: exclusions, description: Exclusions.}}
filters:
  - {{column: month, ops: [eq, in, ge, le]}}
"""

HEADER = [
    "exclusion_id",
    "upn",
    "nhs_number",
    "forename",
    "surname",
    "date_of_birth",
    "postcode",
    "start_date",
    "exclusion_type",
    "sessions",
    "reason",
]


def policies_with_test_views(tmp_path):
    """The shipped policies (same agreement files: still approved) and the two test views."""
    target = tmp_path / "policies"
    shutil.copytree(PROJECT_ROOT / "policies", target)
    (target / "views" / f"{PEOPLE_VIEW}.yaml").write_text(PEOPLE_YAML)
    (target / "views" / f"{MONTHS_VIEW}.yaml").write_text(MONTHS_YAML)
    return target


def exclusion_row(p: Pupil, n: int, *, start: str, reason: str = "VP") -> list[str]:
    return [
        f"EX-{n:06d}",
        p.upn,
        p.nhs_number,
        p.forename,
        p.surname,
        p.date_of_birth,
        p.postcode,
        start,
        "suspension",
        "2",
        reason,
    ]


@dataclass
class Feed:
    pupils: list[Pupil]
    rows: list[list[str]]

    def csv(self) -> bytes:
        return to_csv(HEADER, self.rows)


def exclusions_feed(n: int = 12, *, seed: int = 5) -> Feed:
    """`n` pupils, one suspension each: the first six in October, the rest in September."""
    found = pupils(n, seed=seed)
    rows = [
        exclusion_row(p, i + 1, start="2026-10-05" if i < 6 else "2026-09-14")
        for i, p in enumerate(found)
    ]
    return Feed(found, rows)


def upn_pseudonym(app, upn: str) -> str:
    keyring = Keyring(app.extensions["hub.keys"].pseudonym_master_key)
    return pseudonym(kind="upn", value=upn, domain=EARLY, keyring=keyring)


@dataclass
class Analyst:
    partner: str
    headers: dict[str, str]


def analyst(client, app, partner: str) -> Analyst:
    return Analyst(partner, bearer(token_for(client, app, partner=partner, roles=["analyst"])))


def query(client, who: Analyst, view: str, *, filters=(), why: str = "Panel review."):
    answer = client.post(
        f"/api/v1/views/{view}/query",
        json={"purpose": PURPOSE, "justification": why, "filters": list(filters)},
        headers=who.headers,
    )
    assert answer.status_code == 200, answer.get_json()
    return answer


def correct(client, headers, body: str, *, reason: str, legal_ground: str, kind="text/csv"):
    return client.post(
        f"/api/v1/agreements/{EARLY}/datasets/{EXCLUSIONS}/corrections",
        query_string={"reason": reason, "legal_ground": legal_ground},
        data=body.encode(),
        headers={**headers, "Content-Type": kind},
    )


def advance(seconds: float) -> None:
    """Move the hub's clock on (the test's pinned clock is put back after the test)."""
    clock.install(clock.PinnedClock(clock.now() + timedelta(seconds=seconds)))


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]


@dataclass
class Receiver:
    """A real HTTP server on a loopback port: answers the statuses in `answers` in turn (the
    last one ever after) and keeps what it received."""

    answers: list[int]
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://127.0.0.1:{port}/hooks/hub"

    def __enter__(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.received.append(Received(body, dict(self.headers.items())))
                index = min(len(receiver.received) - 1, len(receiver.answers) - 1)
                self.send_response(receiver.answers[index])
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def settings(tmp_path, database_url, test_keys):
    return make_settings(
        tmp_path, database_url, test_keys, policies_dir=policies_with_test_views(tmp_path)
    )


@pytest.fixture
def hub_clock_for_receivers(monkeypatch):
    """The webhook receiver checks timestamps against the hub's (pinned) clock."""

    class HubDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return clock.now().astimezone(tz) if tz else clock.now()

    monkeypatch.setattr(swh, "datetime", HubDatetime)


@pytest.fixture
def published(app):
    feed = exclusions_feed()
    upload = process(app, uploader(SCHOOL), EARLY, EXCLUSIONS, feed.csv())
    assert upload.status == "published", upload.cause
    return feed, upload


def stored_rows(app) -> list[dict]:
    with reading(db.get_engine(app)) as connection:
        table = dataset_table(connection, EARLY, EXCLUSIONS)
        return [dict(r._mapping) for r in connection.execute(select(table))]


def row_of(app, upn_key: str) -> dict:
    found = [r for r in stored_rows(app) if r["upn"] == upn_key]
    assert len(found) == 1
    return found[0]


def people(answer) -> set[str]:
    return {r["person"] for r in answer.get_json()["rows"]}


def feed_of(client, who) -> list[dict]:
    answer = client.get("/api/v1/notifications", headers=who.headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["items"]


def corrections_body(rows: list[list[str]], header=HEADER) -> str:
    lines = [",".join(["_op", "_upload_id", "_row", *header])]
    lines += [",".join(r) for r in rows]
    return "\n".join(lines) + "\n"
