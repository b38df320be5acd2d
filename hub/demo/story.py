"""The demo's story, told over HTTP once the hub answers: approve the agreements, send every
feed as its partner's uploader, follow each to published, query the views, say how to.

`hub demo` starts it as a child process (`python -m hub.demo.story`, the plan as JSON on
stdin) just before gunicorn takes over the main process. A child, not a thread: gunicorn's
arbiter forks workers, and a fork copies a thread's locks (stdout's, the connection pool's)
in whatever state they are in. The child speaks only the public API, as the partners' own
systems would, holds no app and no database connection, and dies with its parent.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from hub.demo.clients import DemoClient, ig_officer_example
from hub.demo.guide import ViewGuide, describe, render_views

POLL_SECONDS = 0.25
READY_WAIT_SECONDS = 120
UPLOAD_WAIT_SECONDS = 600
READY_LINE = "The demo is ready"


@dataclass(frozen=True)
class Story:
    url: str
    started: float  # time.time() when `hub demo` started
    parent_pid: int
    agreements: dict[str, list[str]]  # agreement id -> its parties
    clients: list[DemoClient]
    views: list[ViewGuide]
    outsiders: list[DemoClient] = field(default_factory=list)
    # None with `hub demo --no-data`: the story approves and shows the views, empty.
    feeds: list[dict[str, Any]] | None = None  # hub.demo.feeds.DemoFeed fields
    feeds_folder: str = ""
    feeds_shown: str = ""  # the folder as the introduction names it
    extract_date: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Story:
        data = json.loads(text)
        return cls(
            **{
                **data,
                "clients": [DemoClient(**c) for c in data["clients"]],
                "views": [ViewGuide.from_json(v) for v in data["views"]],
                "outsiders": [DemoClient(**c) for c in data.get("outsiders", [])],
            }
        )


def start_story(story: Story) -> subprocess.Popen:
    """The child process; its output goes to the demo's terminal."""
    child = subprocess.Popen([sys.executable, "-m", "hub.demo.story"], stdin=subprocess.PIPE)
    assert child.stdin is not None
    child.stdin.write(story.to_json().encode())
    child.stdin.close()
    return child


class StoryError(Exception):
    """Something the newcomer should read: what went wrong and what to do."""


class ParentGone(Exception):
    """`hub demo` stopped: so does the story, quietly."""


def say(line: str = "") -> None:
    print(line, flush=True)


class Hub:
    """The hub's HTTP API as the demo's clients: one token per client, reused."""

    def __init__(self, story: Story):
        self.story = story
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "hub-demo"
        self.tokens: dict[str, str] = {}

    def alive(self) -> None:
        if os.getppid() != self.story.parent_pid:
            raise ParentGone

    def token(self, client: DemoClient) -> str:
        if client.client_id not in self.tokens:
            r = self.session.post(
                f"{self.story.url}/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(client.client_id, client.client_secret),
                timeout=30,
            )
            if r.status_code != 200:
                raise StoryError(
                    f"The hub refused a token to the demo client {client.client_id} "
                    f"({r.status_code}). Delete instance/demo-clients.json and run `make demo` "
                    "again to make a new set."
                )
            self.tokens[client.client_id] = r.json()["access_token"]
        return self.tokens[client.client_id]

    def call(self, method: str, path: str, client: DemoClient, **kwargs) -> requests.Response:
        self.alive()
        headers = {"Authorization": f"Bearer {self.token(client)}", **kwargs.pop("headers", {})}
        return self.session.request(
            method, f"{self.story.url}{path}", headers=headers, timeout=120, **kwargs
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_WAIT_SECONDS
        while time.monotonic() < deadline:
            self.alive()
            try:
                if self.session.get(f"{self.story.url}/readyz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(POLL_SECONDS)
        raise StoryError(f"The hub did not answer {self.story.url}/readyz in time.")


def problem(r: requests.Response) -> str:
    try:
        body = r.json()
    except ValueError:
        return f"{r.status_code}"
    if not isinstance(body, dict):
        return f"{r.status_code}"
    return f"{r.status_code} {body.get('code') or body.get('error') or ''}: " + str(
        body.get("detail") or body.get("error_description") or body.get("title") or ""
    )


def client_of(story: Story, partner: str, role: str) -> DemoClient:
    for c in story.clients:
        if c.partner == partner and role in c.roles:
            return c
    raise StoryError(
        f"instance/demo-clients.json has no {role} of {partner}: delete the file and run "
        "`make demo` again."
    )


# --- the chapters ------------------------------------------------------------------------------


def approve_agreements(hub: Hub) -> None:
    """Each party's IG officer approves each agreement; a hub without an approval step (404)
    has nothing to approve."""
    story = hub.story
    say("Agreements, approved by each party's IG officer:")
    answered = False  # once an approval answered 2xx, the endpoint exists: a 404 is an error
    for agreement, parties in story.agreements.items():
        new, already = [], []
        for partner in parties:
            officer = client_of(story, partner, "ig_officer")
            r = hub.call("POST", f"/api/v1/agreements/{agreement}/approvals", officer, json={})
            if r.status_code == 404 and not answered:
                say("  none needed: this hub has no approval step (POST …/approvals answered 404);")
                say("  agreements are in force from their start date.")
                return
            if r.status_code not in (200, 201):
                raise StoryError(
                    f"The IG officer of {partner} could not approve {agreement}: {problem(r)}"
                )
            answered = True
            (new if r.status_code == 201 else already).append(partner)
        if not already:
            said = f"approved now by the IG officers of its {len(new)} parties"
        elif not new:
            said = f"already approved by its {len(already)} parties"
        else:
            said = f"approved now by {', '.join(new)}; before by {', '.join(already)}"
        say(f"  {agreement}: {said}")


@dataclass
class Sent:
    feed: dict[str, Any]
    upload: dict[str, Any]
    seen_before: bool


def send_feeds(hub: Hub) -> list[Sent]:
    """Send every feed at once (the hub processes them side by side), then follow each."""
    story = hub.story
    folder = Path(story.feeds_folder)
    sent = []
    for feed in story.feeds:
        uploader = client_of(story, feed["partner"], "uploader")
        with (folder / feed["path"]).open("rb") as body:
            r = hub.call(
                "POST",
                f"/api/v1/agreements/{feed['agreement']}/datasets/{feed['dataset']}/uploads",
                uploader,
                data=body,
                headers={"Content-Type": "text/csv"},
            )
        if r.status_code not in (200, 202):
            raise StoryError(
                f"The hub refused {feed['dataset']} from {feed['partner']} under "
                f"{feed['agreement']}: {problem(r)}"
            )
        sent.append(Sent(feed, r.json(), seen_before=r.status_code == 200))
    return sent


def follow(hub: Hub, item: Sent) -> dict[str, Any]:
    uploader = client_of(hub.story, item.feed["partner"], "uploader")
    upload = item.upload
    deadline = time.monotonic() + UPLOAD_WAIT_SECONDS
    while not upload.get("done"):
        if time.monotonic() > deadline:
            raise StoryError(
                f"Upload {upload['id']} ({item.feed['dataset']}) is still {upload['status']} "
                f"after {UPLOAD_WAIT_SECONDS} s: GET {hub.story.url}{upload['location']}."
            )
        time.sleep(POLL_SECONDS)
        r = hub.call("GET", upload["location"], uploader)
        if r.status_code != 200:
            raise StoryError(f"Following upload {upload['id']}: {problem(r)}")
        upload = r.json()
    return upload


def _seconds(stamps: dict[str, str], start: str, end: str) -> str:
    if start not in stamps or end not in stamps:
        return "-"
    took = datetime.fromisoformat(stamps[end]) - datetime.fromisoformat(stamps[start])
    return f"{took.total_seconds():.1f} s"


def upload_line(item: Sent, upload: dict[str, Any]) -> str:
    """One feed: its rows and outcome, how long it waited in the queue (received to started)
    and how long it took (started to finished), from the hub's own record of the upload."""
    feed, counts = item.feed, upload.get("counts") or {}
    rows, invalid = counts.get("read", 0), counts.get("rejected", 0)
    stamps = upload.get("timestamps") or {}
    if item.seen_before:
        waited, took = "sent before", ""
    else:
        waited = _seconds(stamps, "received", "started")
        took = _seconds(stamps, "started", "finished")
    line = (
        f"    {feed['dataset']:<27} {feed['partner']:<22} {rows:>6,}  "
        f"{upload.get('status', '?'):<10} {invalid:>7,}  {waited:>8}  {took:>7}"
    ).rstrip()
    cause = upload.get("cause") or "; ".join(upload.get("rejected_because") or [])
    if upload.get("status") != "published" and cause:
        line += f"\n      why: {cause}"
    return line


def upload_feeds(hub: Hub) -> bool:
    story = hub.story
    say(
        f"Uploading {len(story.feeds)} feeds from {story.feeds_shown} as the partners' uploader "
        "clients;"
    )
    say("each is checked against its contract and pseudonymised (rows with an invalid")
    say("identifier or value are set aside and reported, never stored):")
    sent = send_feeds(hub)
    published, agreement = True, None
    for item in sent:
        upload = follow(hub, item)
        if item.feed["agreement"] != agreement:
            agreement = item.feed["agreement"]
            say(f"  {agreement}")
            say(
                f"    {'dataset':<27} {'partner':<22} {'rows':>6}  {'status':<10} {'invalid':>7}"
                f"  {'queued':>8}  {'took':>7}"
            )
        published &= upload.get("status") == "published"
        say(upload_line(item, upload))
    if not published:
        say(
            "  Not every feed was published: the views leave out what was not. "
            "`hub upload` prints a feed's whole report."
        )
    return published


def try_views(hub: Hub, *, timed: bool) -> None:
    story = hub.story
    say("The views answer:")
    for guide in story.views:
        if not guide.clients:
            continue
        client = guide.clients[0]
        r = hub.call("POST", f"/api/v1/views/{guide.id}/query", client, json=guide.query_body(1000))
        if guide.kind == "forecast" and r.status_code == 404:
            say(f"  {guide.id:<26} no data to forecast from yet: {problem(r)}")
            continue
        if r.status_code != 200:
            say(f"  {guide.id}: refused or failed for {describe(client)}: {problem(r)}")
            continue
        answer = r.json()
        rows = answer["rows"]
        more = "+" if answer.get("next_cursor") else ""
        if guide.kind == "person":
            what = f"{len(rows):,}{more} young people"
        elif guide.kind == "forecast":
            meta = answer["forecast"]
            what = (
                f"{len(rows):,} patrol zones for {meta['valid_from'][:7]}, model "
                f"{meta['model']} (back-test PAI {meta['pai_backtest']}, baseline "
                f"{meta['baseline_pai_backtest']})"
            )
        else:
            hidden = sum(1 for row in rows for value in row.values() if value is None)
            what = f"{len(rows):,}{more} rows of counts, {hidden:,} small counts suppressed"
        say(f"  {guide.id:<26} {what} (as {describe(client)})")
        if guide.kind == "person" and timed:
            seconds = time.time() - story.started
            say(f"  (the cohort answered {seconds:.0f} s after `hub demo` started)")


def tell(story: Story) -> int:
    hub = Hub(story)
    hub.wait_ready()
    say()
    approve_agreements(hub)
    say()
    if story.feeds:
        upload_feeds(hub)
    else:
        say("No data (--no-data): nothing is uploaded, so the views answer with no rows.")
        say("Send your own files with `hub upload` (see README) as a partner's uploader.")
    say()
    try_views(hub, timed=bool(story.feeds))
    say()
    say(render_views(story.url, story.views, story.outsiders))
    say()
    say(ig_officer_example(story.url, story.clients))
    say()
    data = f" (feeds of the 12 months before {story.extract_date})" if story.feeds else ""
    say(f"{READY_LINE} at {story.url}{data}.")
    say("Stop it with Ctrl-C; `make demo` again reuses the database, clients and feeds.")
    return 0


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to end this process when `hub demo` ends; elsewhere `Hub.alive` notices."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:
        raise ParentGone


def main() -> int:
    story = Story.from_json(sys.stdin.read())
    try:
        _die_with_parent(story.parent_pid)
        return tell(story)
    except (ParentGone, KeyboardInterrupt):
        return 0
    except StoryError as exc:
        say(f"hub demo: the demo data could not be loaded: {exc}")
        return 1
    except requests.RequestException as exc:
        say(f"hub demo: lost the hub at {story.url} ({type(exc).__name__}); is it still running?")
        return 1


if __name__ == "__main__":
    sys.exit(main())
