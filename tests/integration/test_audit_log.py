"""Appending, checkpoints and `hub audit verify` on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text

from hub import db
from hub.audit import append, ensure_checkpoint, merkle, parse_and_verify_note, verifier_key
from hub.audit.events import NewEvent, row_leaf_bytes
from hub.audit.log import LogCorrupted, current_size, leaf_hashes
from hub.cli.audit import cli as audit_cli
from hub.db.models import AuditCheckpoint, AuditEvent


def event(n: int = 0, **overrides) -> NewEvent:
    values = {
        "action": "test.append",
        "resource": f"test/{n}",
        "outcome": "allowed",
        "reason": "ok",
        "request_id": f"req-{n:08d}",
        "actor": {"client": "client-1", "partner": "partner-1", "roles": ["analyst"]},
        "details": {"n": n},
    }
    values.update(overrides)
    return NewEvent(**values)


def rows(engine) -> list[AuditEvent]:
    with db.read_only(engine) as session:
        found = list(session.execute(select(AuditEvent).order_by(AuditEvent.index)).scalars())
        session.expunge_all()
        return found


def signing(app):
    origin = app.extensions["hub.audit"].origin
    key = app.extensions["hub.keys"].audit_signing_key
    return origin, key


def test_appends_take_consecutive_indexes_and_store_the_leaf(engine):
    assert [append(engine, event(n)) for n in range(3)] == [0, 1, 2]
    stored = rows(engine)
    assert [r.index for r in stored] == [0, 1, 2]
    for r in stored:
        assert bytes(r.leaf) == row_leaf_bytes(r)
        assert r.leaf_hash == merkle.leaf_hash(bytes(r.leaf)).hex()
    assert stored[0].time <= stored[1].time <= stored[2].time
    with db.read_only(engine) as session:
        assert current_size(session) == 3


def test_an_append_in_a_session_rolls_back_with_it_and_leaves_no_gap(engine):
    append(engine, event(0))
    with pytest.raises(RuntimeError), db.unit_of_work(engine) as session:
        append(session, event(1))
        raise RuntimeError("the use case failed")
    assert append(engine, event(2)) == 1
    assert [r.resource for r in rows(engine)] == ["test/0", "test/2"]


def test_an_append_on_the_engine_is_kept_when_the_work_before_it_rolled_back(engine):
    with pytest.raises(RuntimeError), db.unit_of_work(engine) as session:
        session.add(AuditCheckpoint(size=99, root="00" * 32, note="not a note"))
        session.flush()
        raise RuntimeError("the request's own work failed")
    # The request hook's way: its own short transaction once the request's work has ended.
    append(engine, event(0))
    assert [r.index for r in rows(engine)] == [0]
    with db.read_only(engine) as session:
        assert session.get(AuditCheckpoint, 99) is None


@pytest.mark.parametrize("threads,per_thread", [(8, 25)])
def test_concurrent_appends_never_share_or_skip_an_index(engine, threads, per_thread):
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def work(t: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                append(engine, event(t * 1000 + i))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not errors, errors
    stored = rows(engine)
    total = threads * per_thread
    assert [r.index for r in stored] == list(range(total))
    assert len({r.details["n"] for r in stored}) == total
    for r in stored:
        assert bytes(r.leaf) == row_leaf_bytes(r)
    with db.read_only(engine) as session:
        assert current_size(session) == total
        hashes = leaf_hashes(session, total)
    root = merkle.root([bytes(r.leaf) for r in stored])
    assert merkle.root_from_hashes(hashes) == root
    for index in (0, total // 2, total - 1):
        proof = merkle.inclusion_proof_from_hashes(index, total, hashes)
        assert merkle.verify_inclusion(
            index=index, size=total, leaf_hash=hashes[index], proof=proof, root=root
        )


def test_a_checkpoint_is_signed_once_per_size(app, engine):
    origin, key = signing(app)
    empty = ensure_checkpoint(engine, origin=origin, private_key=key)
    assert empty.size == 0 and empty.root == merkle.EMPTY_ROOT.hex()
    for n in range(5):
        append(engine, event(n))
    first = ensure_checkpoint(engine, origin=origin, private_key=key)
    again = ensure_checkpoint(engine, origin=origin, private_key=key)
    assert (first.size, first.note) == (again.size, again.note) == (5, first.note)
    signed = parse_and_verify_note(first.note, verifier_key(origin, key))
    assert signed.size == 5
    assert signed.root == merkle.root([bytes(r.leaf) for r in rows(engine)])
    with db.read_only(engine) as session:
        assert session.execute(select(AuditCheckpoint.size)).scalars().all() == [0, 5]


def test_no_second_root_is_signed_for_a_size(app, engine):
    origin, key = signing(app)
    append(engine, event(0))
    ensure_checkpoint(engine, origin=origin, private_key=key)
    with db.unit_of_work(engine) as session:
        session.execute(text("UPDATE audit_events SET leaf_hash = :h"), {"h": "00" * 32})
    with pytest.raises(LogCorrupted):
        ensure_checkpoint(engine, origin=origin, private_key=key)
    with db.read_only(engine) as session:
        assert len(session.execute(select(AuditCheckpoint)).scalars().all()) == 1


# -- hub audit verify ------------------------------------------------------------------------


def fill(app, engine, n: int = 6) -> None:
    origin, key = signing(app)
    for i in range(n):
        append(engine, event(i))
        if i == 2:
            ensure_checkpoint(engine, origin=origin, private_key=key)
    ensure_checkpoint(engine, origin=origin, private_key=key)


def test_verify_passes_on_an_untouched_log(app, engine, runner):
    fill(app, engine)
    result = runner.invoke(audit_cli, ["verify"])
    assert result.exit_code == 0, result.output
    root = merkle.root([bytes(r.leaf) for r in rows(engine)]).hex()
    first, *rest = result.output.strip().splitlines()
    origin = app.extensions["hub.audit"].origin
    assert first == f"audit log verified: 6 events, root {root}, 2 checkpoints (signed as {origin})"
    # What the hub's own database cannot prove is said, with how to close it.
    assert any("hub-verify --url" in line and "--save" in line for line in rest)


def test_verify_says_plainly_what_it_could_not_check_with_no_checkpoints(app, engine, runner):
    """Issue 11 item 13: every checkpoint deleted and an old event rewritten consistently."""
    fill(app, engine)
    with db.unit_of_work(engine) as session:
        session.execute(text("DELETE FROM audit_checkpoints"))
        row = session.get(AuditEvent, 1)
        row.outcome = "denied"
        row.leaf = row_leaf_bytes(row)
        row.leaf_hash = merkle.leaf_hash(row.leaf).hex()
    result = runner.invoke(audit_cli, ["verify"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("audit log NOT fully verified: 6 events")
    assert "audit log verified" not in result.output
    assert any("no signed checkpoint was found" in line for line in lines)
    assert any("hub-verify --url <hub> --save FILE" in line for line in lines)


def test_verify_does_not_depend_on_the_port_it_is_run_with(
    app, engine, settings, tmp_path, test_keys
):
    """Issue 11 item 13: checkpoints signed by a hub on port 8123, verified by a command run
    without HUB_PORT (the default 8000, so another origin)."""
    from hub.app import create_app
    from tests.conftest import make_settings

    served = create_app(settings.model_copy(update={"port": 8123}))
    assert served.extensions["hub.audit"].origin != app.extensions["hub.audit"].origin
    origin, key = served.extensions["hub.audit"].origin, served.extensions["hub.keys"]
    for i in range(4):
        append(engine, event(i))
    ensure_checkpoint(engine, origin=origin, private_key=key.audit_signing_key)
    elsewhere = create_app(
        make_settings(tmp_path / "cli", settings.database_url, test_keys)
    )
    result = elsewhere.test_cli_runner().invoke(audit_cli, ["verify"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("audit log verified: 4 events")
    assert f"signed as {origin}" in result.output
    db.get_engine(served).dispose()
    db.get_engine(elsewhere).dispose()



def test_verify_names_the_first_event_whose_columns_were_edited(app, engine, runner):
    fill(app, engine)
    with db.unit_of_work(engine) as session:
        session.execute(
            text("UPDATE audit_events SET outcome = 'denied' WHERE \"index\" IN (2, 4)")
        )
    result = runner.invoke(audit_cli, ["verify"])
    assert result.exit_code == 1
    assert "event 2:" in result.output
    assert "event 4" not in result.output


def test_verify_catches_an_event_rewritten_with_its_leaf_through_the_checkpoint(
    app, engine, runner
):
    fill(app, engine)
    with db.unit_of_work(engine) as session:
        row = session.get(AuditEvent, 1)
        row.outcome = "denied"
        row.leaf = row_leaf_bytes(row)
        row.leaf_hash = merkle.leaf_hash(row.leaf).hex()
    result = runner.invoke(audit_cli, ["verify"])
    assert result.exit_code == 1
    assert "checkpoint 3:" in result.output
    assert "no longer hash to the signed root" in result.output


def test_verify_catches_a_deleted_event(app, engine, runner):
    fill(app, engine)
    with db.unit_of_work(engine) as session:
        session.execute(text('DELETE FROM audit_events WHERE "index" = 3'))
    result = runner.invoke(audit_cli, ["verify"])
    assert result.exit_code == 1
    assert "event 3 is missing" in result.output


def test_verify_catches_a_forged_checkpoint_signature(app, engine, runner):
    fill(app, engine)
    with db.unit_of_work(engine) as session:
        stored = session.get(AuditCheckpoint, 6)
        stored.note = stored.note.replace("\n6\n", "\n7\n")
    result = runner.invoke(audit_cli, ["verify"])
    assert result.exit_code == 1
    assert "checkpoint 6:" in result.output
