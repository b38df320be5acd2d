"""An upload's status, its worker's lease, and the audit events of the pipeline.

    received -> processing -> published | rejected | failed;  later withdrawn or replaced

A worker claims an upload with one conditional UPDATE (received -> processing, its worker id,
a heartbeat) and keeps the lease alive with a heartbeat every few seconds. Every later write
of the worker is conditional on still holding the lease, so a worker that lost it (it
stalled, recovery handed the upload to another, or the sender withdrew it) changes nothing.

`recover_stale_uploads` finds uploads whose worker stopped beating (killed, crashed, machine
gone): their staged rows are invisible (only `published` rows are), the next attempt deletes
them first, and after MAX_ATTEMPTS the upload ends `failed` with a cause and its rows gone.
Uploads left `received` with no job (the queue lost it, the server restarted) are queued
again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update
from sqlmodel import Session

from hub import audit, clock, db
from hub.audit import NewEvent
from hub.db.models import Upload
from hub.store import delete_rows

log = logging.getLogger(__name__)

RECEIVED = "received"
PROCESSING = "processing"
PUBLISHED = "published"
REJECTED = "rejected"
FAILED = "failed"
WITHDRAWN = "withdrawn"
REPLACED = "replaced"
TERMINAL = frozenset({PUBLISHED, REJECTED, FAILED, WITHDRAWN, REPLACED})
# Statuses whose upload holds (or is about to hold) rows.
LIVE = frozenset({RECEIVED, PROCESSING, PUBLISHED})

HEARTBEAT_SECONDS = 5.0
# A worker that has not beaten for this long is taken for dead.
LEASE_SECONDS = 60.0
MAX_ATTEMPTS = 3


def new_worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def spool_path(spool_dir: Path, upload_id: str) -> Path:
    """Where an upload's bytes wait for processing (removed once it reaches an end state:
    the file holds raw identifiers)."""
    return spool_dir / f"{upload_id}.upload"


def discard_spool(spool_dir: Path, upload_id: str) -> None:
    spool_path(spool_dir, upload_id).unlink(missing_ok=True)


def claim(engine: Engine, upload_id: str, worker_id: str) -> bool:
    """received -> processing under `worker_id`; False if another worker has it or it ended."""
    now = clock.now()
    with db.unit_of_work(engine) as session:
        result = session.execute(
            update(Upload)
            .where(Upload.id == upload_id, Upload.status == RECEIVED)
            .values(
                status=PROCESSING,
                worker_id=worker_id,
                heartbeat_at=now,
                updated_at=now,
                attempts=Upload.attempts + 1,
            )
        )
        if result.rowcount != 1:
            return False
        session.execute(
            update(Upload)
            .where(Upload.id == upload_id, Upload.started_at.is_(None))
            .values(started_at=now)
        )
        return True


def release(engine: Engine, upload_id: str, worker_id: str) -> bool:
    """processing -> received, as if never claimed: the process is stopping. The attempt does
    not count against MAX_ATTEMPTS; the next attempt deletes what this one staged."""
    with db.unit_of_work(engine) as session:
        result = session.execute(
            update(Upload)
            .where(holds_lease(upload_id, worker_id))
            .values(
                status=RECEIVED,
                worker_id=None,
                heartbeat_at=None,
                updated_at=clock.now(),
                attempts=Upload.attempts - 1,
            )
        )
        return result.rowcount == 1


def holds_lease(upload_id: str, worker_id: str):
    """The WHERE clause of every write a worker makes while it processes an upload."""
    return (
        (Upload.id == upload_id) & (Upload.status == PROCESSING) & (Upload.worker_id == worker_id)
    )


def beat(engine: Engine, upload_id: str, worker_id: str, **values: Any) -> bool:
    """Renew the lease (and set `values`); False if the lease is lost."""
    now = clock.now()
    with db.unit_of_work(engine) as session:
        result = session.execute(
            update(Upload)
            .where(holds_lease(upload_id, worker_id))
            .values(heartbeat_at=now, updated_at=now, **values)
        )
        return result.rowcount == 1


class Heartbeat:
    """A thread that renews the lease every HEARTBEAT_SECONDS while the pipeline works, so
    that a long step (a large chunk, the dataset checks) does not look like a dead worker."""

    def __init__(self, engine: Engine, upload_id: str, worker_id: str):
        self.engine = engine
        self.upload_id = upload_id
        self.worker_id = worker_id
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"heartbeat-{upload_id[:8]}", daemon=True
        )

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                if not beat(self.engine, self.upload_id, self.worker_id):
                    self.lost.set()
                    return
            except Exception as exc:  # noqa: BLE001 - a missed beat is retried on the next
                log.warning(
                    "heartbeat for upload %s failed (%s)", self.upload_id, type(exc).__name__
                )


def actor_of(upload: Upload) -> dict[str, Any]:
    """The pipeline acts on behalf of the client that sent the upload (a system, unless a
    person's page sent it: their label starts `person:`, and their name is in the upload's
    own request event)."""
    kind = "person" if upload.client_id.startswith("person:") else "system"
    return {
        "client": upload.client_id,
        "partner": upload.partner_id,
        "roles": ["uploader"],
        "kind": kind,
    }


def event(
    upload: Upload, action: str, outcome: str, reason: str, *, actor: Any = None, **details: Any
) -> NewEvent:
    """An upload's audit event: counts and the file's SHA-256, never a value. The actor is
    the client that sent it unless another is given (the one that withdrew it)."""
    return NewEvent(
        action=action,
        resource=f"upload:{upload.id}",
        outcome=outcome,
        reason=reason,
        request_id=upload.request_id or "",
        actor=actor or actor_of(upload),
        details={
            "upload_id": upload.id,
            "agreement": upload.agreement_id,
            "dataset": upload.dataset,
            "sha256": upload.sha256,
            **details,
        },
    )


def recover_stale_uploads(
    engine: Engine | None = None,
    *,
    spool_dir: Path | None = None,
    stale_after: timedelta = timedelta(seconds=LEASE_SECONDS),
    enqueue=None,
    every_received: bool = False,
) -> dict[str, list[str]]:
    """Hand uploads whose worker died back to the queue, or end them `failed`.

    `every_received` queues every `received` upload, however recent (at a process's start:
    uploads a stopping process handed back; a job queued twice is harmless).

    Runs inside an app context when `engine`, `spool_dir` or `enqueue` are left out. Returns
    the ids it `retried`, `failed` and `requeued` (received uploads with no job).
    """
    from flask import current_app

    from hub.ingest.jobs import enqueue as default_enqueue

    engine = engine or db.get_engine()
    if spool_dir is None:
        spool_dir = current_app.extensions["hub.settings"].effective_spool_dir
    enqueue = enqueue or default_enqueue
    cutoff = clock.now() - stale_after
    outcome: dict[str, list[str]] = {"retried": [], "failed": [], "requeued": []}
    with db.read_only(engine) as session:
        stale = (
            session.execute(
                select(Upload.id).where(Upload.status == PROCESSING, Upload.heartbeat_at < cutoff)
            )
            .scalars()
            .all()
        )
        waiting = (
            session.execute(
                select(Upload.id).where(
                    Upload.status == RECEIVED,
                    True if every_received else Upload.updated_at < cutoff,
                )
            )
            .scalars()
            .all()
        )
    for upload_id in stale:
        result = _recover_one(engine, upload_id, cutoff, spool_dir)
        if result:
            outcome[result].append(upload_id)
            if result == "retried":
                enqueue(upload_id)
    for upload_id in waiting:
        enqueue(upload_id)
        outcome["requeued"].append(upload_id)
    return outcome


def _recover_one(engine: Engine, upload_id: str, cutoff, spool_dir: Path) -> str | None:
    now = clock.now()
    with db.unit_of_work(engine) as session:
        upload = session.get(Upload, upload_id, with_for_update=_locks(session))
        if upload is None or upload.status != PROCESSING or upload.heartbeat_at >= cutoff:
            return None  # its worker came back, or another recoverer got there first
        lost = upload.worker_id
        if upload.attempts < MAX_ATTEMPTS:
            # The next attempt deletes what this one staged before it loads anything.
            upload.status = RECEIVED
            upload.worker_id = None
            upload.updated_at = now
            session.add(upload)
            session.flush()
            log.warning(
                "upload %s: worker %s stopped beating (attempt %d of %d); queued again",
                upload_id,
                lost,
                upload.attempts,
                MAX_ATTEMPTS,
            )
            audit.append(
                session,
                event(
                    upload,
                    "upload.worker_lost",
                    "failed",
                    "worker_lost",
                    worker=lost,
                    attempt=upload.attempts,
                    max_attempts=MAX_ATTEMPTS,
                    then="retried",
                ),
            )
            return "retried"
        cause = (
            f"The worker processing this upload stopped {upload.attempts} times without "
            "finishing; nothing was published. Send the file again, and tell the hub's "
            "operators if it keeps failing."
        )
        log.error(
            "upload %s: worker %s stopped beating (attempt %d of %d); the upload failed",
            upload_id,
            lost,
            upload.attempts,
            MAX_ATTEMPTS,
        )
        audit.append(
            session,
            event(
                upload,
                "upload.worker_lost",
                "failed",
                "worker_lost",
                worker=lost,
                attempt=upload.attempts,
                max_attempts=MAX_ATTEMPTS,
                then="failed",
            ),
        )
        delete_rows(session, upload)
        fail(session, upload, cause=cause, code="worker_lost")
    discard_spool(spool_dir, upload_id)
    return "failed"


def fail(session: Session, upload: Upload, *, cause: str, code: str) -> None:
    """End an upload `failed` (the caller has deleted its rows), with its audit event."""
    now = clock.now()
    upload.status = FAILED
    upload.cause = cause
    upload.finished_at = now
    upload.updated_at = now
    upload.worker_id = None
    report = dict(upload.report or {})
    report["error"] = {"code": code, "message": cause}
    report["progress"] = {**report.get("progress", {}), "stage": FAILED}
    upload.report = report
    session.add(upload)
    session.flush()
    audit.append(session, event(upload, "upload.failed", "failed", cause, counts=upload.counts))


def _locks(session: Session) -> bool:
    # SQLite takes the whole database's write lock at BEGIN IMMEDIATE; PostgreSQL locks the row.
    return db.is_postgres(session)
