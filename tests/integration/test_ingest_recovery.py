"""A worker killed mid-load leaves no visible rows, and recovery finishes the upload; uploads
running at the same time keep each other's keys unique. SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from hub import clock, db
from hub.db.models import Upload
from hub.ingest import jobs, recover_stale_uploads
from hub.ingest.lifecycle import MAX_ATTEMPTS, claim, spool_path
from hub.settings import PROJECT_ROOT

from .ingest_support import (
    HOTSPOTS,
    POLICE,
    STREET,
    events,
    police_rows,
    police_variant,
    staged_rows,
    submit,
    to_csv,
    upload_of,
    uploader,
    visible_rows,
    wait_all,
)

# The worker process: the real pipeline, with its loader made to stop (as if it hung) when it
# is about to load chunk N+1, after N chunks are committed. The pause lives here, in the test.
WORKER = r"""
import sys, time
from hub.app import create_app
from hub.ingest import pipeline, process_upload
from hub.store import loaders

upload_id, committed = sys.argv[1], int(sys.argv[2])
pipeline.CHUNK_ROWS = 100
calls = 0

def stop_after_committed(cls):
    original = cls.load
    def load(self, *args, **kwargs):
        global calls
        calls += 1
        if calls > committed:
            print("STAGED", flush=True)
            time.sleep(600)
        return original(self, *args, **kwargs)
    cls.load = load

stop_after_committed(loaders.PostgresLoader)
stop_after_committed(loaders.SqliteLoader)
app = create_app()
with app.app_context():
    process_upload(upload_id)
"""


def settings_env(settings) -> dict[str, str]:
    """The HUB_* environment that makes a process build the same app as `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    for name in (
        "mode",
        "instance_path",
        "database_url",
        "policies_dir",
        "contracts_dir",
        "token_signing_key",
        "audit_signing_key",
        "pseudonym_master_key",
        "redis_url",
        "ingest_queue",
        "clock_start",
        "clock_started_at",
    ):
        value = getattr(settings, name)
        if value is not None:
            env[f"HUB_{name.upper()}"] = (
                value.isoformat() if name.startswith("clock") else str(value)
            )
    return env


def queued_only(monkeypatch) -> list[str]:
    """Keep submitted uploads out of the embedded workers; returns the ids queued."""
    queued: list[str] = []
    monkeypatch.setattr(jobs, "enqueue", lambda upload_id, **_: queued.append(upload_id))
    return queued


def test_a_worker_killed_mid_load_leaves_nothing_visible_and_recovery_publishes(
    app, engine, settings, monkeypatch
):
    data, ids = police_variant()
    queued = queued_only(monkeypatch)
    upload, _ = submit(app, uploader(POLICE), HOTSPOTS, STREET, data)
    assert queued == [upload.id]

    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, upload.id, "3"],
        env=settings_env(settings),
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = _read_line(worker, timeout=120)
        assert line == "STAGED"
        # Three chunks are in the table, committed, and no reader sees them.
        assert staged_rows(engine, HOTSPOTS, STREET, upload.id) == 300
        assert visible_rows(engine, HOTSPOTS, STREET) == []
        assert upload_of(app, upload.id).status == "processing"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        worker.stdout.close()

    assert upload_of(app, upload.id).status == "processing"
    assert visible_rows(engine, HOTSPOTS, STREET) == []

    monkeypatch.undo()  # recovery queues the retry on the embedded workers
    with app.app_context():
        # A just-killed worker's heartbeat is fresh: nothing is recovered yet.
        assert recover_stale_uploads()["retried"] == []
        outcome = recover_stale_uploads(stale_after=timedelta(0))
    assert outcome["retried"] == [upload.id]
    wait_all(app)
    finished = upload_of(app, upload.id)
    assert finished.status == "published", finished.cause
    assert finished.attempts == 2
    assert finished.counts == {"read": len(ids), "accepted": len(ids), "rejected": 0}
    rows = visible_rows(engine, HOTSPOTS, STREET)
    assert sorted(r["crime_id"] for r in rows) == sorted(ids)


def _read_line(process: subprocess.Popen, *, timeout: float) -> str:
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.append(process.stdout.readline().strip()))
    reader.start()
    reader.join(timeout)
    if not found:
        process.kill()
        pytest.fail("the worker did not reach the pause")
    return found[0]


def test_an_upload_whose_worker_keeps_dying_ends_failed(app, engine, monkeypatch):
    queued_only(monkeypatch)
    data, _ = police_variant(20)
    upload, _ = submit(app, uploader(POLICE), HOTSPOTS, STREET, data)
    with app.app_context():
        assert claim(engine, upload.id, "dead-worker")
        with db.unit_of_work() as session:
            session.execute(
                update(Upload)
                .where(Upload.id == upload.id)
                .values(attempts=MAX_ATTEMPTS, heartbeat_at=clock.now() - timedelta(hours=1))
            )
        outcome = recover_stale_uploads()
    assert outcome["failed"] == [upload.id]
    failed = upload_of(app, upload.id)
    assert failed.status == "failed"
    assert "stopped 3 times" in failed.cause
    assert failed.report["error"]["code"] == "worker_lost"
    spool_dir = app.extensions["hub.settings"].effective_spool_dir
    assert not spool_path(spool_dir, upload.id).exists()
    assert [e.details["upload_id"] for e in events(app, "upload.failed")] == [upload.id]


def test_a_received_upload_with_no_job_is_queued_again(app, monkeypatch):
    queued = queued_only(monkeypatch)
    upload, _ = submit(app, uploader(POLICE), HOTSPOTS, STREET, police_variant(5)[0])
    with app.app_context():
        assert recover_stale_uploads()["requeued"] == []
        outcome = recover_stale_uploads(stale_after=timedelta(0))
    assert outcome["requeued"] == [upload.id]
    assert queued == [upload.id, upload.id]


def test_a_second_worker_cannot_take_a_claimed_upload(app, engine, monkeypatch):
    queued_only(monkeypatch)
    upload, _ = submit(app, uploader(POLICE), HOTSPOTS, STREET, police_variant(5)[0])
    with app.app_context():
        assert claim(engine, upload.id, "worker-a")
        assert not claim(engine, upload.id, "worker-b")
        from hub.ingest import process_upload

        assert process_upload(upload.id) is None


def test_concurrent_uploads_to_one_dataset_all_publish(app, engine):
    files = [police_variant(120, seed=100 + n) for n in range(4)]
    results: list = []

    def send(data: bytes) -> None:
        results.append(submit(app, uploader(POLICE), HOTSPOTS, STREET, data)[0].id)

    threads = [threading.Thread(target=send, args=(data,)) for data, _ in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_all(app)
    assert [upload_of(app, i).status for i in results] == ["published"] * 4
    rows = visible_rows(engine, HOTSPOTS, STREET)
    assert sorted(r["crime_id"] for r in rows) == sorted(i for _, ids in files for i in ids)


def test_concurrent_uploads_sharing_keys_publish_each_key_once(app, engine):
    header, real = police_rows()
    base = [list(r) for r in real if r[0]][:300]
    shared = [f"{n:064x}" for n in range(2)]  # 2 of 300 rows: under the 1% limit

    def file_with(prefix: int) -> bytes:
        rows = [list(r) for r in base]
        for n, row in enumerate(rows):
            row[0] = shared[n] if n < len(shared) else f"{prefix:08x}{n:056x}"
        return to_csv(header, rows)

    uploads = []
    threads = [
        threading.Thread(
            target=lambda p=p: uploads.append(
                submit(app, uploader(POLICE), HOTSPOTS, STREET, file_with(p))[0].id
            )
        )
        for p in (1, 2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_all(app)
    ended = [upload_of(app, i) for i in uploads]
    assert [u.status for u in ended] == ["published", "published"]
    rows = visible_rows(engine, HOTSPOTS, STREET)
    assert len(rows) == 2 + 298 + 298
    assert len({r["crime_id"] for r in rows}) == len(rows)
    # One of the two uploads lost the race for the shared ids and reports them.
    assert sorted(u.counts["rejected"] for u in ended) == [0, 2]


def test_rq_jobs_run_in_a_hub_worker_process(tmp_path, database_url, test_keys, redis_url):
    """A job names its function under the worker's module; a job queued by an earlier
    version, under the old name, still runs in the same worker."""
    import uuid

    from redis import Redis
    from rq import Queue

    from hub.agreements import sync_to_database
    from hub.app import create_app
    from tests.conftest import make_settings
    from tests.helpers import approve_every_agreement

    queue = f"hub-test-{uuid.uuid4().hex[:10]}"
    settings = make_settings(
        tmp_path, database_url, test_keys, redis_url=redis_url, ingest_queue=queue
    )
    app = create_app(settings)
    redis = Redis.from_url(settings.redis_url)
    try:
        with app.app_context():
            sync_to_database()
        approve_every_agreement(app)
        data, ids = police_variant(60)
        upload, created = submit(app, uploader(POLICE), HOTSPOTS, STREET, data)
        assert created
        assert upload_of(app, upload.id).status == "received"  # queued in Redis, not run here
        rq_queue = Queue(queue, connection=redis)
        assert [job.func_name for job in rq_queue.jobs] == ["hub.cli.worker.run_upload_job"]
        # An upload whose job was queued before the job function moved, under its old name.
        old_data, old_ids = police_variant(40, seed=1)
        old, created = submit(app, uploader(POLICE), HOTSPOTS, STREET, old_data)
        assert created
        old_job = rq_queue.jobs[-1]
        assert old_job.args == (old.id,)
        old_job.delete()
        rq_queue.enqueue_call(jobs.LEGACY_JOB_FUNCTIONS[0], args=(old.id,))
        assert redis.llen(f"rq:queue:{queue}") == 2

        env = settings_env(settings)
        done = subprocess.run(
            [sys.executable, "-c", "from hub.cli import main; main(['worker', '--burst'])"],
            env=env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        for sent in (upload, old):
            finished = upload_of(app, sent.id)
            assert finished.status == "published", finished.cause
        engine = db.get_engine(app)
        assert sorted(r["crime_id"] for r in visible_rows(engine, HOTSPOTS, STREET)) == sorted(
            ids + old_ids
        )
    finally:
        for key in redis.scan_iter(f"rq:*{queue}*"):
            redis.delete(key)
        redis.close()
        app.extensions["hub.ingest"].redis.close()
        db.get_engine(app).dispose()
        time.sleep(0)


def test_a_lost_worker_and_its_retry_leave_an_audit_event_and_a_log_line(
    app, engine, monkeypatch, caplog
):
    """Issue 11, item 16: recovery used to hand the upload back silently."""
    queued_only(monkeypatch)
    data, _ = police_variant(21)
    upload, _ = submit(app, uploader(POLICE), HOTSPOTS, STREET, data)
    with app.app_context():
        assert claim(engine, upload.id, "dead-worker")
        with db.unit_of_work() as session:
            session.execute(
                update(Upload)
                .where(Upload.id == upload.id)
                .values(heartbeat_at=clock.now() - timedelta(hours=1))
            )
        with caplog.at_level("WARNING", logger="hub.ingest.lifecycle"):
            outcome = recover_stale_uploads()
    assert outcome["retried"] == [upload.id]
    (lost,) = events(app, "upload.worker_lost")
    assert lost.outcome == "failed" and lost.reason == "worker_lost"
    assert lost.details["upload_id"] == upload.id
    assert lost.details["worker"] == "dead-worker"
    assert (lost.details["attempt"], lost.details["then"]) == (1, "retried")
    logged = [r.getMessage() for r in caplog.records if upload.id in r.getMessage()]
    assert logged and "queued again" in logged[0] and "dead-worker" in logged[0]
