"""Browser tests: Debian's Chromium driven by Playwright, against a real `hub demo` process
with its demo data, on SQLite and on PostgreSQL.

One demo hub per database for the whole session (its data takes a while to load); tests
must not change what other tests read, or must make their own data.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy.engine import make_url

from hub.auth import person_label
from tests.e2e.conftest import HUB, free_port, hub_env, wait_ready

CHROMIUM = "/usr/bin/chromium"
COHORT_VIEW = "early-intervention-cohort"
DATA_TIMEOUT_SECONDS = 300
READY_LINE = "The demo is ready at"
_TOKENS: dict[tuple[str, str], tuple[str, float]] = {}


@dataclass
class DemoHub:
    url: str
    instance: Path
    process: subprocess.Popen
    log: Path

    @property
    def clients(self) -> list[dict]:
        return json.loads((self.instance / "demo-clients.json").read_text())

    def client(self, *, role: str, partner: str | None = None) -> dict:
        for item in self.clients:
            if role in item["roles"] and (partner is None or item["partner"] == partner):
                return item
        raise AssertionError(f"no demo client with role {role} of {partner}")

    @property
    def people(self) -> list[dict]:
        """The demo's people at its OpenID Provider (instance/demo-people.json)."""
        return json.loads((self.instance / "demo-people.json").read_text())

    def person(self, *, role: str, partner: str | None = None) -> dict:
        for item in self.people:
            if role in item["roles"] and (partner is None or item["partner"] == partner):
                return item
        raise AssertionError(f"no demo person with role {role} of {partner}")

    def token(self, client: dict) -> str:
        # One token per client for a while: each costs the hub a slow secret check, and the
        # machine the tests share may be busy.
        kept = _TOKENS.get((self.url, client["client_id"]))
        if kept and kept[1] > time.monotonic():
            return kept[0]
        answer = requests.post(
            f"{self.url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client["client_id"], client["client_secret"]),
            timeout=60,
        )
        answer.raise_for_status()
        token = answer.json()
        _TOKENS[(self.url, client["client_id"])] = (
            token["access_token"],
            time.monotonic() + token["expires_in"] / 2,
        )
        return token["access_token"]


def _cohort_answers(hub: DemoHub) -> bool:
    try:
        return _cohort_answered(hub)
    except requests.Timeout:  # busy loading the demo's data on a shared machine: ask again
        return False


def _cohort_answered(hub: DemoHub) -> bool:
    analyst = hub.client(role="analyst", partner="northshire-council")
    headers = {"Authorization": f"Bearer {hub.token(analyst)}"}
    view = requests.get(f"{hub.url}/api/v1/views/{COHORT_VIEW}", headers=headers, timeout=10)
    if view.status_code != 200:
        return False
    answer = requests.post(
        f"{hub.url}/api/v1/views/{COHORT_VIEW}/query",
        headers=headers,
        json={
            "purpose": view.json()["purpose"],
            "justification": "Browser test set-up: is the demo data loaded?",
            "limit": 1,
        },
        timeout=30,
    )
    return answer.status_code == 200 and bool(answer.json()["rows"])


def _start_demo(tmp: Path, database_url: str) -> Iterator[DemoHub]:
    port = free_port()
    log = tmp / "hub-demo.log"
    env = hub_env(tmp, database_url, port)
    with log.open("w") as out:
        process = subprocess.Popen(
            [HUB, "demo"], env=env, stdout=out, stderr=subprocess.STDOUT, text=True
        )
    hub = DemoHub(
        url=f"http://127.0.0.1:{port}", instance=tmp / "instance", process=process, log=log
    )
    try:
        wait_ready(hub.url, process, timeout=120)
        deadline = time.monotonic() + DATA_TIMEOUT_SECONDS
        # The story's last line: every feed published, the views answered.
        while READY_LINE not in log.read_text(errors="replace") or not _cohort_answers(hub):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the demo's data did not load:\n" + log.read_text()[-4000:])
            time.sleep(2)
        yield hub
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def demo_hub(request, tmp_path_factory) -> Iterator[DemoHub]:
    """`hub demo` serving the demo data, one per database for the session."""
    tmp = tmp_path_factory.mktemp(f"demo-{request.param}")
    if request.param == "sqlite":
        yield from _start_demo(tmp, f"sqlite:///{tmp / 'hub.sqlite3'}")
        return
    server = request.getfixturevalue("postgres_server")
    url = server.clone()
    try:
        yield from _start_demo(tmp, url)
    finally:
        name = make_url(url).database
        server.drop(name)
        server.created.remove(name)


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, tmp_path):
    """A fresh browser context (no cookies, no storage) per test."""
    context = chromium.new_context(accept_downloads=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Issue 11: the pages' CSP allows no inline script or style; a page that breaks it says so.
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def at_provider(page, person: dict) -> None:
    """On the provider's login page: the person's username and password, submit."""
    page.wait_for_selector("#username")
    page.fill("#username", person["username"])
    page.fill("#password", person["password"])
    page.click("#sign-in")


def sign_in(page, hub: DemoHub, who: dict, *, next_path: str = "/") -> dict:
    """Sign in the way a person does: the hub's sign-in page, their organisation, then the
    real login page of its OpenID Provider. `who` is a demo person, or a demo client whose
    partner and first role name the person to sign in as. Returns the person."""
    person = who if "username" in who else hub.person(role=who["roles"][0], partner=who["partner"])
    page.goto(f"{hub.url}/sign-in?next={next_path}")
    page.click(f"#providers a[data-partner={person['partner']}]")
    at_provider(page, person)
    page.wait_for_selector("[data-testid=signed-in-as]")
    # As the audit log names them: `client_id` is the person's label there.
    return {**person, "client_id": person_label(issuer=person["issuer"], subject=person["subject"])}
