"""Fixtures shared by every test.

Every test that takes `app` (or `engine`) runs twice: on a fresh SQLite file and on a fresh
PostgreSQL database cloned from a migrated template. PostgreSQL comes from
HUB_TEST_DATABASE_URL (default: the server on 127.0.0.1:5432); `make test` makes sure one
answers. In CI (CI=true) a PostgreSQL test that cannot run fails instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hub import clock, db
from hub.settings import PROJECT_ROOT, Settings

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# Every test starts with the hub's clock at this instant (HUB_TEST_NOW moves it: the suite
# must pass at any instant, e.g. month and year ends, 29 February, the days the UK changes its
# clocks, and the last hour of a UTC day that is already the next day in London).
PIN = datetime.fromisoformat(os.environ.get("HUB_TEST_NOW") or "2026-11-25T10:30:00+00:00")
if PIN.tzinfo is None:
    raise pytest.UsageError(f"HUB_TEST_NOW needs a time zone, e.g. {PIN.isoformat()}Z")


@pytest.fixture(autouse=True)
def pinned_clock() -> Iterator[clock.PinnedClock]:
    """The hub's clock for this test: at PIN when the test starts, running on from there. The
    app fixtures and the server processes a test starts read the same clock."""
    pinned = clock.PinnedClock(PIN)
    previous = clock.install(pinned)
    yield pinned
    clock.install(previous)


def clock_settings() -> dict:
    """The settings that give a hub (in this process or another) the test's clock."""
    current = clock.current()
    if not isinstance(current, clock.PinnedClock):
        return {}
    return {"clock_start": current.start, "clock_started_at": current.started_at}


def _pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(scope="session")
def test_keys() -> dict[str, str]:
    """Keys made once per run: generating RSA keys per test would only slow the suite."""
    return {
        "token_signing_key": _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        "audit_signing_key": _pem(ed25519.Ed25519PrivateKey.generate()),
        "pseudonym_master_key": os.urandom(32).hex(),
    }


class PostgresServer:
    """A reachable server and a migrated template database to clone per test."""

    def __init__(self, url: str):
        self.admin_url = make_url(db.normalise_url(url))
        self.admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        self.template = f"hub_tmpl_{uuid.uuid4().hex[:10]}"
        self.created: list[str] = []

    def url_for(self, name: str) -> str:
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def create_template(self) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.template}"'))
        engine = db.make_engine(self.url_for(self.template))
        db.upgrade(engine)
        engine.dispose()

    def clone(self, template: str | None = None) -> str:
        name = f"hub_t_{uuid.uuid4().hex[:12]}"
        source = template or self.template
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
        self.created.append(name)
        return self.url_for(name)

    def drop(self, name: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        for name in [*self.created, self.template]:
            self.drop(name)
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    url = os.environ.get("HUB_TEST_DATABASE_URL", DEFAULT_PG)
    server = PostgresServer(url)
    try:
        with server.admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        message = f"PostgreSQL at {server.admin_url.render_as_string()} does not answer: {exc}"
        if IN_CI:
            pytest.fail(message + " (in CI a PostgreSQL test may not be skipped)")
        pytest.skip(message)
    server.create_template()
    yield server
    server.close()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis for the job queue tests: HUB_TEST_REDIS_URL (`make test` makes sure one answers)."""
    from redis import Redis
    from redis.exceptions import RedisError

    url = os.environ.get("HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        Redis.from_url(url, socket_connect_timeout=2).ping()
    except RedisError as exc:
        message = f"Redis at {url} does not answer: {exc}"
        if IN_CI:
            pytest.fail(message + " (in CI a Redis test may not be skipped)")
        pytest.skip(message)
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file, copied for each test: cheaper than migrating each time."""
    path = tmp_path_factory.mktemp("sqlite-template") / "hub.sqlite3"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


def _approve_every_agreement_in(database_url: str, keys: dict[str, str], instance: Path) -> None:
    """Sync the shipped policies into the database and approve every agreement as every
    party, through the lifecycle's service functions; then empty the audit log, so that a
    test's log starts with the test's own events."""
    from hub.agreements import sync_to_database
    from hub.app import create_app
    from tests.helpers import approve_every_agreement

    app = create_app(make_settings(instance, database_url, keys))
    try:
        with app.app_context():
            sync_to_database()
        approve_every_agreement(app)
        with app.app_context(), db.unit_of_work() as session:
            for table in ("audit_checkpoints", "audit_events", "audit_head"):
                session.execute(text(f"DELETE FROM {table}"))
    finally:
        db.get_engine(app).dispose()


@pytest.fixture(scope="session")
def approved_sqlite_template(sqlite_template, test_keys, tmp_path_factory) -> Path:
    """The migrated SQLite template with every agreement approved: made once per run."""
    folder = tmp_path_factory.mktemp("sqlite-approved")
    path = folder / "hub.sqlite3"
    shutil.copyfile(sqlite_template, path)
    _approve_every_agreement_in(f"sqlite:///{path}", test_keys, folder / "instance")
    return path


@pytest.fixture(scope="session")
def approved_postgres_template(postgres_server, test_keys, tmp_path_factory) -> str:
    """The name of a PostgreSQL template with every agreement approved."""
    url = postgres_server.clone()
    _approve_every_agreement_in(url, test_keys, tmp_path_factory.mktemp("pg-approved"))
    return make_url(url).database


def _approved(request) -> bool:
    """The `app` fixture starts with every agreement approved, unless the test is marked
    `agreements_proposed`. Tests that build their own hub on `database_url` (as `hub serve`
    does) start from the migrated database, as a new hub does."""
    return (
        "app" in request.fixturenames
        and request.node.get_closest_marker("agreements_proposed") is None
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    approved = _approved(request)
    if request.param == "sqlite":
        path = tmp_path / "hub.sqlite3"
        template = "approved_sqlite_template" if approved else "sqlite_template"
        shutil.copyfile(request.getfixturevalue(template), path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.clone(request.getfixturevalue("approved_postgres_template") if approved else None)
    yield url
    server.drop(make_url(url).database)
    server.created.remove(make_url(url).database)


def make_settings(
    tmp_path, database_url: str | None, keys: dict[str, str], **overrides
) -> Settings:
    values = {
        "mode": "demo",
        "instance_path": tmp_path / "instance",
        "database_url": database_url,
        "host": "127.0.0.1",
        "port": 8000,
        "policies_dir": PROJECT_ROOT / "policies",
        "contracts_dir": PROJECT_ROOT / "contracts",
        # Tests make many requests from one address; tests/api/test_rate_limits.py sets its own.
        "rate_limit_anonymous_per_address": "100000/minute",
        "rate_limit_failed_auth_per_address": "100000/minute",
        "rate_limit_failed_token_per_address": "100000/minute",
        **clock_settings(),
        **keys,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def settings(tmp_path, database_url, test_keys) -> Settings:
    return make_settings(tmp_path, database_url, test_keys)


def pytest_configure(config):
    # Session and module fixtures (made before any test's own clock) read the pinned day too.
    clock.install(clock.PinnedClock(PIN))
    config.addinivalue_line(
        "markers",
        "agreements_proposed: the `app` fixture leaves the agreements `proposed` (unapproved)",
    )


@pytest.fixture
def app(settings):
    """The hub on a fresh database with its policies synced. Unless the test is marked
    `agreements_proposed`, the database comes with every agreement approved by every party
    (as their IG officers would; see `database_url`) and an empty audit log, so that data may
    be shared and the log holds only the test's own events. Marked, the agreements are as
    loaded: `proposed`, with the sync's `agreement.proposed` events in the log."""
    from hub.agreements import sync_to_database
    from hub.app import create_app

    app = create_app(settings)
    with app.app_context():
        sync_to_database()
    yield app
    db.get_engine(app).dispose()


@pytest.fixture
def engine(app):
    return db.get_engine(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_skipped_in_ci: list[str] = []


def pytest_runtest_logreport(report):
    if IN_CI and report.skipped:
        _skipped_in_ci.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if _skipped_in_ci:
        print("\nIn CI no test may be skipped; skipped:\n  " + "\n  ".join(_skipped_in_ci))
        session.exitstatus = 1
