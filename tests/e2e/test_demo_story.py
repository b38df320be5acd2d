"""`hub demo` tells the story in a real process: it uploads the synthetic feeds over HTTP as
the partners' clients, and the cohort and hot-spot views answer, as its printed curl says."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from hub.demo.story import READY_LINE
from tests.e2e.conftest import HUB, free_port, hub_env

STORY_TIMEOUT = 600  # seconds; generous, the machine may be busy (no timing assertions)
PSEUDONYM = re.compile(r"^[0-9a-f]{64}$")
IDENTIFIER_COLUMNS = ("nhs_number", "upn", "pnc_id")


@dataclass
class Demo:
    url: str
    process: subprocess.Popen
    instance: Path
    env: dict[str, str]
    lines: list[str] = field(default_factory=list)
    ended: threading.Event = field(default_factory=threading.Event)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = STORY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return
            if "the demo data could not be loaded" in self.output or self.ended.is_set():
                break
            time.sleep(0.5)
        raise AssertionError(f"`hub demo` never printed {text!r}:\n{self.output}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.ended.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_demo(env: dict[str, str], url: str, instance: Path, *args: str) -> Demo:
    process = subprocess.Popen(
        [HUB, "demo", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as in a terminal: Ctrl-C reaches all
    )
    demo = Demo(url=url, process=process, instance=instance, env=env)

    def read() -> None:  # the pipe must be drained, or a full pipe would stall the demo
        assert process.stdout is not None
        for line in process.stdout:
            demo.lines.append(line.rstrip("\n"))
        demo.ended.set()

    threading.Thread(target=read, daemon=True).start()
    return demo


@pytest.fixture
def demo_env(tmp_path, database_url):
    port = free_port()
    return hub_env(tmp_path, database_url, port), f"http://127.0.0.1:{port}", tmp_path / "instance"


@pytest.fixture
def demos():
    started: list[Demo] = []
    yield started
    for demo in started:
        demo.stop()


def clients_of(demo: Demo) -> list[dict]:
    return json.loads((demo.instance / "demo-clients.json").read_text())


def client(demo: Demo, partner: str, role: str) -> dict:
    return next(c for c in clients_of(demo) if c["partner"] == partner and role in c["roles"])


def token(demo: Demo, who: dict) -> str:
    r = requests.post(
        f"{demo.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(who["client_id"], who["client_secret"]),
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def query(demo: Demo, who: dict, view: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {token(demo, who)}"}
    described = requests.get(f"{demo.url}/api/v1/views/{view}", headers=headers, timeout=30)
    assert described.status_code == 200, described.text
    body = {"purpose": described.json()["purpose"], "justification": "e2e: the demo story"}
    return requests.post(
        f"{demo.url}/api/v1/views/{view}/query", json=body, headers=headers, timeout=120
    )


def raw_identifiers(instance: Path) -> set[str]:
    """Every NHS number, UPN and PNC ID in the demo's feed files, as written and bare."""
    found: set[str] = set()
    for path in (instance / "demo-feeds").rglob("*.csv"):
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                for column in IDENTIFIER_COLUMNS:
                    value = (row.get(column) or "").strip()
                    if len(value) >= 8:
                        found |= {value, re.sub(r"[\s/-]", "", value)}
    return found


def printed_example(output: str, view: str) -> str:
    """The shell lines the demo printed to try `view`: after its URL line, under `Try it`."""
    lines = output.splitlines()
    at = next(i for i, line in enumerate(lines) if f"/api/v1/views/{view} " in line)
    start = next(i for i in range(at, len(lines)) if "Try it" in lines[i]) + 1
    end = next(i for i in range(start, len(lines)) if not lines[i].strip())
    return textwrap.dedent("\n".join(lines[start:end]))


def uploads_of(demo: Demo) -> list[str]:
    ids = []
    for partner in {c["partner"] for c in clients_of(demo) if "uploader" in c["roles"]}:
        who = client(demo, partner, "uploader")
        r = requests.get(
            f"{demo.url}/api/v1/uploads",
            params={"limit": 200},
            headers={"Authorization": f"Bearer {token(demo, who)}"},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        ids += [u["id"] for u in r.json()["items"]]
    return sorted(ids)


def test_demo_uploads_the_feeds_and_the_views_answer_as_printed(demo_env, demos):
    env, url, instance = demo_env
    demo = start_demo(env, url, instance)
    demos.append(demo)
    demo.wait_for(READY_LINE)
    manifest = json.loads((instance / "demo-feeds" / "manifest.json").read_text())
    assert demo.output.count("  published  ") == len(manifest["feeds"]), demo.output
    assert "the cohort answered" in demo.output
    # Each feed's line: how long it waited in the queue, then how long it took, apart.
    timed = re.compile(r" published +\d+ +\d+\.\d s +\d+\.\d s$")
    assert sum(1 for line in demo.lines if timed.search(line)) == len(manifest["feeds"])

    # The cohort, as the council's analyst: people by pseudonym, never a raw identifier.
    council = client(demo, "northshire-council", "analyst")
    cohort = query(demo, council, "early-intervention-cohort")
    assert cohort.status_code == 200, cohort.text
    rows = cohort.json()["rows"]
    assert rows
    assert all(PSEUDONYM.match(row["person"]) for row in rows)
    identifiers = raw_identifiers(instance)
    assert len(identifiers) > 1000
    leaked = [value for value in identifiers if value in cohort.text]
    assert leaked == []

    # A hot-spot view, as the police's analyst: counts per LSOA and month.
    police = client(demo, "northshire-police", "analyst")
    hotspots = query(demo, police, "crime-asb-hotspots")
    assert hotspots.status_code == 200, hotspots.text
    assert hotspots.json()["rows"]
    assert {"lsoa_code", "month", "crimes", "asb_reports"} <= set(hotspots.json()["columns"])

    # The printed examples work as they are, pasted into a shell.
    assert "patrol zones for" in demo.output  # the forecast view answered in the story
    views = (
        "early-intervention-cohort",
        "crime-asb-hotspots",
        "violence-hotspots",
        "street-crime-forecast",
    )
    for view in views:
        script = printed_example(demo.output, view)
        pasted = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert pasted.returncode == 0, pasted.stderr
        answer = json.loads(pasted.stdout)
        assert answer["rows"], (view, answer)
        if view == "early-intervention-cohort":
            assert all(PSEUDONYM.match(row["person"]) for row in answer["rows"])

    # So does the README's IG officer block, pasted as it is, on whatever port the demo has.
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split('```sh\nHUB="http://', 1)[1].split("```", 1)[0]
    pasted = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", 'HUB="http://' + block],
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "HUB_PORT": url.rsplit(":", 1)[1]},
        cwd=instance.parent,
    )
    assert pasted.returncode == 0, pasted.stderr
    outputs = pasted.stdout.splitlines()
    pages = [json.loads(line)["items"] for line in outputs if line.startswith('{"items"')]
    (events,) = [items for items in pages if items and "leaf_hash" in items[0]]
    indexes = [e["index"] for e in events]
    assert len(indexes) == 5 and indexes == sorted(indexes, reverse=True)  # the newest first
    assert any(line.startswith("— ") for line in outputs)  # the signed checkpoint's signature

    # Started again: the same files are the same uploads, nothing is added.
    before = uploads_of(demo)
    assert len(before) == len(manifest["feeds"])
    demo.stop()
    again = start_demo(env, url, instance)
    demos.append(again)
    again.wait_for(READY_LINE)
    assert "written now" not in again.output
    assert again.output.count("sent before") == len(manifest["feeds"]), again.output
    assert uploads_of(again) == before
    assert query(again, council, "early-intervention-cohort").json()["rows"] == rows


def test_ctrl_c_stops_the_demo_mid_upload_and_the_next_start_finishes_the_feeds(demo_env, demos):
    env, url, instance = demo_env
    demo = start_demo(env, url, instance)
    demos.append(demo)
    demo.wait_for("Uploading")
    time.sleep(2)  # the feeds are sent and being processed
    os.killpg(demo.process.pid, signal.SIGINT)  # Ctrl-C in the demo's terminal
    # Well inside gunicorn's 30 s graceful timeout, after which it would SIGKILL a worker.
    # (A liveness bound, not a timing claim: the note gives the measured figure.)
    assert demo.process.wait(timeout=25) == 0
    demo.ended.wait(timeout=10)
    assert "SIGKILL" not in demo.output and "Traceback" not in demo.output, demo.output

    # The uploads it was processing were handed back; the next start processes them.
    again = start_demo(env, url, instance)
    demos.append(again)
    again.wait_for(READY_LINE)
    manifest = json.loads((instance / "demo-feeds" / "manifest.json").read_text())
    assert again.output.count("  published  ") == len(manifest["feeds"]), again.output
    assert len(uploads_of(again)) == len(manifest["feeds"])


def test_no_serve_writes_the_feeds_and_says_how_to_use_them(demo_env):
    env, url, instance = demo_env
    done = subprocess.run(
        [HUB, "demo", "--no-serve"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert (instance / "demo-feeds" / "manifest.json").is_file()
    assert "nothing was approved or uploaded" in done.stdout
    assert "hub upload --agreement" in done.stdout
    assert f"{url}/api/v1/views/early-intervention-cohort/query" in done.stdout


def test_no_data_approves_the_agreements_and_serves_an_empty_hub(demo_env, demos):
    env, url, instance = demo_env
    demo = start_demo(env, url, instance, "--no-data")
    demos.append(demo)
    demo.wait_for(READY_LINE)
    assert not (instance / "demo-feeds").exists()
    assert uploads_of(demo) == []
    cohort = query(demo, client(demo, "northshire-council", "analyst"), "early-intervention-cohort")
    assert cohort.status_code == 200, cohort.text
    assert cohort.json()["rows"] == []
