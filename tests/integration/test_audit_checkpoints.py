"""Checkpoints the hub keeps by itself, one root per size, and `hub audit verify --checkpoint`
proving that a checkpoint saved yesterday is consistent with today's log."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text

from hub import db
from hub.audit import (
    LogCorrupted,
    LogForked,
    append,
    merkle,
    sign_checkpoint,
    start_background,
    stop_background,
    store_checkpoint,
)
from hub.audit.background import tick
from hub.audit.checkpointer import Checkpointer
from hub.audit.events import NewEvent, now, row_leaf_bytes
from hub.audit.log import current_size
from hub.audit.state import checkpointer
from hub.cli.audit import cli as audit_cli
from hub.db.models import AuditCheckpoint, AuditEvent
from tests.conftest import make_settings

API = "/api/v1/audit"


def event(n: int) -> NewEvent:
    return NewEvent(action="test.append", resource=f"test/{n}", outcome="allowed", details={"n": n})


def kept(engine) -> list[AuditCheckpoint]:
    with db.read_only(engine) as session:
        rows = list(
            session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.size)).scalars()
        )
        session.expunge_all()
        return rows


def size_of(engine) -> int:
    with db.read_only(engine) as session:
        return current_size(session)


def signing(app):
    return app.extensions["hub.audit"].origin, app.extensions["hub.keys"].audit_signing_key


# -- when checkpoints are made --------------------------------------------------------------


def test_a_quiet_log_is_checkpointed_once_the_last_checkpoint_is_old(app, engine):
    state = Checkpointer(origin=signing(app)[0], every_events=1000, every_seconds=60)
    key = signing(app)[1]
    for n in range(3):
        append(engine, event(n))
    start = now()
    assert state.checkpoint_if_due(engine, key, moment=start) is None  # 3 events, fresh
    first = state.checkpoint_if_due(engine, key, moment=start + timedelta(seconds=61))
    assert first is not None and first.size == size_of(engine)
    later = first.created_at + timedelta(seconds=120)
    assert state.checkpoint_if_due(engine, key, moment=later) is None  # old, but no growth
    append(engine, event(3))
    assert state.checkpoint_if_due(engine, key, moment=later).size == first.size + 1
    assert [c.size for c in kept(engine)] == [first.size, first.size + 1]


def test_the_background_tick_checkpoints_what_requests_did_not(tmp_path, database_url, test_keys):
    from hub.agreements import sync_to_database
    from hub.app import create_app

    app = create_app(make_settings(tmp_path, database_url, test_keys, checkpoint_every_seconds=30))
    with app.app_context():
        sync_to_database()
    engine = db.get_engine(app)
    try:
        client = app.test_client()
        for _ in range(3):
            client.get(f"{API}/public-key")
        before = kept(engine)  # the requests signed nothing: not 1000 events, not 30 s old
        assert all(c.size < size_of(engine) for c in before)
        assert tick(app) is None
        made = tick(app, moment=now() + timedelta(seconds=31))
        assert made is not None and made.size == size_of(engine)
        assert [c.size for c in kept(engine)] == [*(c.size for c in before), made.size]
    finally:
        engine.dispose()


def test_the_background_thread_runs_and_stops(tmp_path, database_url, test_keys):
    from hub.app import create_app

    app = create_app(make_settings(tmp_path, database_url, test_keys, checkpoint_every_seconds=1))
    engine = db.get_engine(app)
    try:
        append(engine, event(0))
        start_background(app, every=0.05)
        start_background(app, every=0.05)  # a second call is a no-op
        deadline = time.monotonic() + 60
        while not kept(engine) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [c.size for c in kept(engine)] == [1]
        assert checkpointer(app).background is not None
    finally:
        stop_background(app)
        engine.dispose()
    assert checkpointer(app).background is None


# -- one root per size ----------------------------------------------------------------------


def test_a_second_root_for_a_size_is_refused_and_the_first_kept(app, engine):
    origin, key = signing(app)
    for n in range(4):
        append(engine, event(n))
    state = Checkpointer(origin=origin, every_events=1000, every_seconds=300)
    stored = state.ensure(engine, key)
    forged_root = bytes(32)
    forged = sign_checkpoint(origin=origin, size=stored.size, root=forged_root, private_key=key)
    with pytest.raises(LogForked, match=f"size {stored.size}"):
        with db.unit_of_work(engine) as session:
            store_checkpoint(session, size=stored.size, root=forged_root, note=forged)
    [row] = [c for c in kept(engine) if c.size == stored.size]
    assert (row.root, row.note) == (stored.root, stored.note)
    # the same root again is no conflict: it is the checkpoint already kept
    with db.unit_of_work(engine) as session:
        again = store_checkpoint(
            session, size=stored.size, root=bytes.fromhex(stored.root), note=stored.note
        )
        assert again.note == stored.note


def test_processes_signing_at_once_keep_one_checkpoint_per_size(app, engine):
    origin, key = signing(app)
    for n in range(7):
        append(engine, event(n))
    # separate Checkpointers stand for separate processes (each with its own running tree)
    signers = [Checkpointer(origin=origin, every_events=1, every_seconds=1) for _ in range(4)]
    results, failures = [], []

    def sign(state):
        try:
            results.append(state.ensure(engine, key).note)
        except Exception as exc:  # noqa: BLE001
            failures.append(exc)

    threads = [threading.Thread(target=sign, args=(s,)) for s in signers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert len(set(results)) == 1
    rows = kept(engine)
    assert [c.size for c in rows] == [size_of(engine)]
    assert rows[0].note == results[0]


def test_a_running_tree_signs_the_root_it_read_even_if_old_rows_are_edited_later(app, engine):
    origin, key = signing(app)
    state = Checkpointer(origin=origin, every_events=1000, every_seconds=300)
    for n in range(3):
        append(engine, event(n))
    first = state.ensure(engine, key)
    with db.unit_of_work(engine) as session:
        session.execute(
            text('UPDATE audit_events SET leaf_hash = :h WHERE "index" = 0'), {"h": "00" * 32}
        )
    append(engine, event(3))
    second = state.ensure(engine, key)
    with db.read_only(engine) as session:
        leaves = [
            bytes(r)
            for r in session.execute(select(AuditEvent.leaf).order_by(AuditEvent.index)).scalars()
        ]
    assert bytes.fromhex(first.root) == merkle.root(leaves[: first.size])
    assert bytes.fromhex(second.root) == merkle.root(leaves)  # not the edited hash

    # a process that reads the log only now finds it contradicts the checkpoints kept
    append(engine, event(4))
    fresh = Checkpointer(origin=origin, every_events=1000, every_seconds=300)
    with pytest.raises(LogCorrupted, match=f"the first {second.size} events no longer hash"):
        fresh.ensure(engine, key)
    assert [c.size for c in kept(engine)] == [first.size, second.size]


# -- hub audit verify --checkpoint: yesterday's checkpoint against today's log --------------


@pytest.fixture
def yesterday(client, app, tmp_path):
    """A checkpoint saved after some requests (as an outsider would keep it), then more."""
    for _ in range(5):
        client.get(f"{API}/public-key")
    path = tmp_path / "yesterday.note"
    path.write_bytes(client.get(f"{API}/checkpoint").get_data())
    for _ in range(9):
        client.get(f"{API}/public-key")
    client.get(f"{API}/checkpoint")  # a checkpoint kept today as well
    return path


def verify(runner, path):
    return runner.invoke(audit_cli, ["verify", "--checkpoint", str(path)])


def saved_size(path) -> int:
    return int(path.read_text().split("\n")[1])


def test_yesterdays_checkpoint_is_proved_consistent_with_today(app, engine, runner, yesterday):
    result = verify(runner, yesterday)
    assert result.exit_code == 0, result.output
    size = saved_size(yesterday)
    today = size_of(engine)
    assert f"saved checkpoint {yesterday} verified" in result.output
    assert f"size {size}" in result.output
    assert "today's log extends it (consistency proof of" in result.output
    assert f"from size {size} to {today})" in result.output
    assert f"audit log verified: {today} events" in result.output


def test_a_checkpoint_of_the_empty_log_verifies(app, client, runner, tmp_path):
    origin, key = signing(app)
    path = tmp_path / "empty.note"
    path.write_text(sign_checkpoint(origin=origin, size=0, root=merkle.EMPTY_ROOT, private_key=key))
    client.get(f"{API}/public-key")
    result = verify(runner, path)
    assert result.exit_code == 0, result.output
    assert "consistency proof of 0 hashes from size 0" in result.output


def test_a_saved_checkpoint_with_an_altered_root_fails(runner, yesterday):
    lines = yesterday.read_text().split("\n")
    lines[2] = "A" * 43 + "="  # another 32-byte root, base64
    yesterday.write_text("\n".join(lines))
    result = verify(runner, yesterday)
    assert result.exit_code == 1
    assert "NOT verified" in result.output
    assert "not a checkpoint signed by this hub's key" in result.output


def test_a_saved_checkpoint_signed_by_another_key_fails(app, runner, yesterday):
    origin, _ = signing(app)
    other = Ed25519PrivateKey.generate()
    size = saved_size(yesterday)
    yesterday.write_text(
        sign_checkpoint(origin=origin, size=size, root=bytes(32), private_key=other)
    )
    result = verify(runner, yesterday)
    assert result.exit_code == 1
    assert "no signature by the given key" in result.output


def test_a_different_root_signed_by_the_hub_itself_for_that_size_is_caught(app, runner, yesterday):
    """A hub that signed two roots for one size (a fork shown to someone) is caught."""
    origin, key = signing(app)
    size = saved_size(yesterday)
    yesterday.write_text(sign_checkpoint(origin=origin, size=size, root=bytes(32), private_key=key))
    result = verify(runner, yesterday)
    assert result.exit_code == 1
    assert f"the first {size} events now hash to" in result.output
    assert "altered after that checkpoint was signed" in result.output


def test_an_edited_event_before_the_saved_size_fails(engine, runner, yesterday):
    with db.unit_of_work(engine) as session:
        session.execute(text("UPDATE audit_events SET outcome = 'denied' WHERE \"index\" = 2"))
    result = verify(runner, yesterday)
    assert result.exit_code == 1
    assert "event 2: its columns do not match its stored leaf bytes" in result.output


def test_history_rewritten_with_its_hashes_and_checkpoints_is_caught_by_the_saved_one(
    engine, runner, yesterday
):
    """The database alone cannot tell: every leaf and hash agree, and the hub's own
    checkpoints were deleted. The checkpoint kept outside the hub still tells."""
    with db.unit_of_work(engine) as session:
        row = session.get(AuditEvent, 1)
        row.outcome = "denied"
        row.leaf = row_leaf_bytes(row)
        row.leaf_hash = merkle.leaf_hash(row.leaf).hex()
        session.execute(text("DELETE FROM audit_checkpoints"))
    assert runner.invoke(audit_cli, ["verify"]).exit_code == 0  # the database is self-consistent
    result = verify(runner, yesterday)
    assert result.exit_code == 1
    size = saved_size(yesterday)
    assert f"the saved checkpoint (size {size}" in result.output
    assert f"the first {size} events now hash to" in result.output


def test_a_log_cut_back_below_the_saved_size_fails(engine, runner, yesterday):
    size = saved_size(yesterday)
    with db.unit_of_work(engine) as session:
        session.execute(text('DELETE FROM audit_events WHERE "index" >= :n'), {"n": size - 2})
        session.execute(text("DELETE FROM audit_checkpoints"))
        session.execute(text("UPDATE audit_head SET size = :n"), {"n": size - 2})
    result = verify(runner, yesterday)
    assert result.exit_code == 1
    assert f"covers {size} events but the log now holds only {size - 2}" in result.output


def test_an_unreadable_checkpoint_file_is_reported(runner, tmp_path):
    path = tmp_path / "not-a-note"
    path.write_text("hello\n")
    result = verify(runner, path)
    assert result.exit_code == 1
    assert "not a checkpoint signed by this hub's key" in result.output
    missing = runner.invoke(audit_cli, ["verify", "--checkpoint", str(tmp_path / "nope")])
    assert missing.exit_code == 2
    assert "does not exist" in missing.output


# -- the running tree answers proofs as the whole tree would ---------------------------------


def test_the_running_tree_gives_the_roots_and_proofs_of_the_stored_leaves(engine, monkeypatch):
    from hub.audit import tree as tree_module

    monkeypatch.setattr(tree_module, "BLOCK", 8)  # many blocks from few events
    for n in range(150):
        append(engine, event(n))
    with db.read_only(engine) as session:
        hashes = [
            bytes.fromhex(h)
            for h in session.execute(
                select(AuditEvent.leaf_hash).order_by(AuditEvent.index)
            ).scalars()
        ]
        tree = tree_module.LogTree()
        for size in (1, 7, 8, 9, 16, 33, 64, 100, 128, 129, len(hashes)):
            assert tree.root(session, size) == merkle.root_from_hashes(hashes[:size])
            for index in {0, size // 3, size // 2, size - 1}:
                assert tree.inclusion_proof(session, index, size) == (
                    merkle.inclusion_proof_from_hashes(index, size, hashes)
                )
            for old in {1, 2, 8, size // 2, size - 1, size} & set(range(1, size + 1)):
                assert tree.consistency_proof(session, old, size) == (
                    merkle.consistency_proof_from_hashes(old, size, hashes)
                )
        assert tree.root(session, 5) == merkle.root_from_hashes(hashes[:5])  # an older size
