"""Issue 11 items 7 and 8: failed token requests are limited per client id and per address,
failed authentication per address, and anonymous requests per address; each refusal is a 429
problem+json with Retry-After. Unauthenticated requests cannot grow the log without bound."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hub import clock, db
from hub.app import create_app
from hub.audit.unauthenticated import ACTION as COUNTED
from hub.db.models import AuditEvent
from tests.conftest import make_settings
from tests.helpers import bearer, fetch_token, make_client


@pytest.fixture
def limited(tmp_path, database_url, test_keys):
    settings = make_settings(
        tmp_path,
        database_url,
        test_keys,
        rate_limit_failed_token_per_client="3/minute",
        rate_limit_failed_token_per_address="5/minute",
        rate_limit_failed_auth_per_address="4/minute",
        rate_limit_anonymous_per_address="6/minute",
        audit_unauthenticated_events_per_minute=5,
    )
    app = create_app(settings)
    from hub.agreements import sync_to_database

    with app.app_context():
        sync_to_database()
    yield app
    db.get_engine(app).dispose()


def assert_429(response) -> dict:
    assert response.status_code == 429, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) >= 1
    problem = response.get_json()
    assert problem["status"] == 429 and problem["code"] == "too_many_requests"
    return problem


def token_request(client, client_id, secret, **environ):
    return client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
        environ_base=environ,
    )


def test_wrong_secrets_are_limited_per_client_id(limited):
    client = limited.test_client()
    client_id, secret = make_client(limited, partner="northshire-council", roles=["analyst"])
    for n in range(3):
        address = {"REMOTE_ADDR": f"10.0.0.{n + 1}"}  # from several addresses
        assert token_request(client, client_id, "wrong", **address).status_code == 401
    # Spent: even the right secret waits now, so that guessing gets nowhere.
    assert_429(token_request(client, client_id, secret, REMOTE_ADDR="10.0.0.9"))
    # Another client is not affected.
    other_id, other_secret = make_client(limited, partner="northshire-council", roles=["analyst"])
    assert token_request(client, other_id, other_secret).status_code == 200


def test_failed_token_requests_are_limited_per_address(limited):
    client = limited.test_client()
    for n in range(5):
        assert token_request(client, f"guess-{n}", "wrong").status_code == 401
    assert_429(token_request(client, "guess-again", "wrong"))
    client_id, secret = make_client(limited, partner="northshire-council", roles=["analyst"])
    assert token_request(client, client_id, secret, REMOTE_ADDR="10.1.1.1").status_code == 200


def test_bad_tokens_are_limited_per_address(limited):
    client = limited.test_client()
    for _ in range(4):
        r = client.get("/api/v1/agreements", headers=bearer("not-a-token"))
        assert r.status_code == 401
    assert_429(client.get("/api/v1/agreements", headers=bearer("not-a-token")))
    other = limited.test_client()
    client_id, secret = make_client(limited, partner="northshire-council", roles=["analyst"])
    token = fetch_token(other, client_id, secret)
    fine = other.get(
        "/api/v1/agreements", headers=bearer(token), environ_base={"REMOTE_ADDR": "10.2.2.2"}
    )
    assert fine.status_code == 200


def test_anonymous_requests_are_limited_per_address(limited):
    client = limited.test_client()
    for _ in range(6):
        assert client.get("/api/v1/audit/public-key").status_code == 200
    problem = assert_429(client.get("/api/v1/audit/checkpoint"))
    assert "without credentials" in problem["detail"]
    assert client.get("/healthz").status_code == 200  # probes are not limited
    elsewhere = client.get("/api/v1/audit/public-key", environ_base={"REMOTE_ADDR": "10.3.3.3"})
    assert elsewhere.status_code == 200


def test_unauthenticated_requests_cannot_grow_the_log_without_bound(limited):
    """Item 8: at most N events a minute one by one, then one event that counts the rest."""
    client = limited.test_client()
    for n in range(40):  # 40 addresses, so that the per-address limits do not stop them
        r = client.get("/api/v1/audit/public-key", environ_base={"REMOTE_ADDR": f"10.9.0.{n}"})
        assert r.status_code == 200

    def actions():
        with limited.app_context(), db.read_only() as session:
            query = select(AuditEvent.action).where(
                AuditEvent.action.in_(["audit.verify", COUNTED])
            )
            return list(session.execute(query.order_by(AuditEvent.index)).scalars())

    assert actions() == ["audit.verify"] * 5
    # A minute later the next request first records how many were only counted.
    pinned = clock.current()
    clock.install(clock.PinnedClock(pinned.now() + timedelta(seconds=61)))
    try:
        client.get("/api/v1/audit/public-key", environ_base={"REMOTE_ADDR": "10.9.1.1"})
    finally:
        clock.install(pinned)
    with limited.app_context(), db.read_only() as session:
        counted = session.execute(
            select(AuditEvent).where(AuditEvent.action == COUNTED)
        ).scalar_one()
    assert counted.details["requests"] == 35
    assert counted.details["counts"] == [
        {"action": "audit.verify", "outcome": "allowed", "status": 200, "requests": 35}
    ]
    assert actions() == ["audit.verify"] * 5 + [COUNTED, "audit.verify"]


def test_a_verified_caller_is_always_recorded(limited):
    client = limited.test_client()
    client_id, secret = make_client(limited, partner="northshire-council", roles=["analyst"])
    token = fetch_token(client, client_id, secret)
    for _ in range(12):
        assert client.get("/api/v1/agreements", headers=bearer(token)).status_code == 200
    with limited.app_context(), db.read_only() as session:
        listed = session.execute(
            select(func.count()).where(AuditEvent.action == "agreement.list")
        ).scalar_one()
    assert listed == 12


def test_limits_are_shared_across_processes_through_redis(
    tmp_path, database_url, test_keys, redis_url
):
    """Two apps on one Redis (as two gunicorn workers or two machines): failures at one
    count at the other."""
    apps = [
        create_app(
            make_settings(
                tmp_path / name,
                database_url,
                test_keys,
                redis_url=redis_url,
                rate_limit_failed_token_per_client="2/minute",
                rate_limit_failed_token_per_address="1000/minute",
            )
        )
        for name in ("one", "two")
    ]
    try:
        from hub.agreements import sync_to_database

        with apps[0].app_context():
            sync_to_database()
        client_id, _ = make_client(apps[0], partner="northshire-council", roles=["analyst"])
        first, second = (a.test_client() for a in apps)
        assert token_request(first, client_id, "wrong").status_code == 401
        assert token_request(second, client_id, "wrong").status_code == 401
        assert_429(token_request(first, client_id, "wrong"))
        assert_429(token_request(second, client_id, "wrong"))
    finally:
        for a in apps:
            db.get_engine(a).dispose()
