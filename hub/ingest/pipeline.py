"""`process_upload(upload_id)`: the ingest pipeline, chunk by chunk, in bounded memory.

    claim -> parse -> per chunk: row checks, identifiers, pseudonyms, generalisation, allowed
    columns, load (one short transaction each, with the lease checked in it) -> duplicate keys
    -> dataset checks (Great Expectations, in the database) -> publish or reject

Rows are staged as they are loaded, but no reader sees them. On PostgreSQL they go into a
table of the upload's own, with no index (hub.store.partitions); at publish its indexes are
built in bulk and the publish transaction attaches it to the dataset table, flips the status
and appends the audit event. On SQLite they go into the dataset table, where readers see
only rows of `published` uploads. Rejecting deletes the staged rows (drops the upload's
table) and flips the status to `rejected`. A worker killed at any point leaves staged rows of
an upload that is still `processing`: recovery hands it to another attempt, which deletes
them first (hub.ingest.lifecycle).

Runs inside an app context (a worker thread of the server, or a `hub worker` process).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import Engine, update

from hub import audit, clock, db
from hub.agreements import agreement_state, current_policies
from hub.contracts import DatasetCheck
from hub.db.models import Upload
from hub.ingest import lifecycle as lc
from hub.ingest.duplicates import (
    OF_PUBLISHED,
    remove_duplicates_in_upload,
    remove_duplicates_of_published,
)
from hub.ingest.expectations import run_dataset_checks
from hub.ingest.failures import FailureLog
from hub.ingest.parse import DEFAULT_CHUNK_SIZE, parse_file
from hub.ingest.parse_errors import ParseError
from hub.ingest.state import state
from hub.ingest.transform import ChunkTransformer
from hub.store import (
    attach_upload,
    build_upload_indexes,
    create_upload_table,
    dataset_tables,
    delete_rows,
    loader_for,
    prune_record_references,
    store_record_references,
)

log = logging.getLogger(__name__)

NO_ROWS = "no_rows"
# Rows per chunk: what the worker holds in memory at once (with the parse stage's buffers).
CHUNK_ROWS = DEFAULT_CHUNK_SIZE


class LeaseLost(Exception):
    """Another worker, recovery or a withdrawal took the upload: stop, change nothing."""


class ShuttingDown(LeaseLost):
    """The process is stopping: the upload goes back to the queue, untouched."""


class Rejected(Exception):
    """The upload cannot publish: the file or its rows fail the contract."""

    def __init__(self, reasons: list[str], error: dict[str, Any] | None = None):
        super().__init__("; ".join(reasons))
        self.reasons = reasons
        self.error = error


def process_upload(upload_id: str, *, worker_id: str | None = None) -> str | None:
    """Process one upload to an end state. Returns that status, or None if this worker did
    not get (or lost) the upload. Never raises for bad data; an unexpected error ends the
    upload `failed` with a cause that names no value."""
    engine = db.get_engine()
    worker_id = worker_id or lc.new_worker_id()
    if not lc.claim(engine, upload_id, worker_id):
        return None
    try:
        with lc.Heartbeat(engine, upload_id, worker_id) as heartbeat:
            return _Run(engine, upload_id, worker_id, heartbeat).run()
    except ShuttingDown:
        lc.release(engine, upload_id, worker_id)
        log.info("upload %s: handed back for the next start (the process is stopping)", upload_id)
        return None
    except LeaseLost:
        log.info("upload %s: lease lost; another worker or a withdrawal has it", upload_id)
        return None
    except Exception as exc:  # noqa: BLE001 - the upload must end, whatever went wrong
        # The type only: an exception's text can quote the data.
        log.error("upload %s failed with %s", upload_id, type(exc).__name__)
        return _fail_after_error(engine, upload_id, worker_id, type(exc).__name__)


@dataclass
class _Run:
    engine: Engine
    upload_id: str
    worker_id: str
    heartbeat: lc.Heartbeat
    report: dict[str, Any] = field(default_factory=dict)
    read: int = 0
    invalid: int = 0
    # Seconds per stage (durations, not times of day), for the report and bench/ingest.py.
    seconds: dict[str, float] = field(default_factory=dict)

    def _took(self, stage: str, started: float) -> None:
        self.seconds[stage] = round(self.seconds.get(stage, 0.0) + time.perf_counter() - started, 3)

    def run(self) -> str:
        settings = current_app.extensions["hub.settings"]
        self.spool_dir: Path = settings.effective_spool_dir
        with db.read_only(self.engine) as session:
            self.upload = session.get(Upload, self.upload_id)
        policies = current_policies()
        agreement = policies.agreements.get(self.upload.agreement_id)
        contract = policies.contracts.get(self.upload.dataset)
        if agreement is None or contract is None:
            return self._fail(
                "The agreement or the dataset's contract is no longer in the hub's policies, "
                "so the upload cannot be processed. Ask the hub's operators.",
                "policy_missing",
            )
        self.agreement, self.contract = agreement, contract
        self.layout, self.table = dataset_tables().get(agreement, contract)
        self.partitioned = db.is_postgres(self.engine)
        self.expires_at = self.upload.created_at + timedelta(days=agreement.retention_days)
        self.failures = FailureLog()
        self.report = {
            "contract": {"dataset": contract.dataset, "version": contract.version},
            "progress": self._progress("parsing"),
        }
        self._clear_staged_rows()
        path = lc.spool_path(self.spool_dir, self.upload_id)
        if not path.exists():
            return self._fail(
                "The uploaded file is no longer in the hub's spool; send it again.",
                "spool_missing",
            )
        try:
            self._load(path)
            self._still_wanted()
            checks = self._check()
            self._still_wanted()
            stopped = self._agreement_stopped()
            if stopped:
                return self._fail(stopped, "agreement_not_active")
            return self._publish(checks)
        except Rejected as rejection:
            return self._reject(rejection)

    # -- stages ------------------------------------------------------------------------------

    def _load(self, path: Path) -> None:
        contract = self.contract
        try:
            feed = parse_file(
                path,
                media_type=self.upload.media_type,
                contract_columns=list(contract.column_names),
                required=contract.header_columns,
                aliases=contract.header_aliases,
                chunk_size=CHUNK_ROWS,
            )
            self.report.update(format=feed.format, encoding=feed.encoding)
            transform = ChunkTransformer(
                contract=contract,
                layout=self.layout,
                domain=self.agreement.linkage_domain,
                keyring=state().keyring,
            )
            with _Loading(self, self.expires_at) as loading:
                chunks = iter(feed.chunks())
                while True:
                    started = time.perf_counter()
                    chunk = next(chunks, None)
                    self._took("parse", started)
                    if chunk is None:
                        break
                    self._still_wanted()
                    started = time.perf_counter()
                    result = transform(chunk)
                    self._took("transform", started)
                    self.read += len(chunk)
                    self.invalid += result.invalid_rows
                    self.failures.add(result.failures)
                    if result.checks_not_run:
                        raise Rejected(result.checks_not_run)
                    self.report["progress"] = self._progress("loading", path)
                    started = time.perf_counter()
                    loading.put(result, dict(self.report))
                    self._took("wait_for_load", started)
                started = time.perf_counter()
            self._took("wait_for_load", started)
            self.seconds["load"] = loading.busy
            self.report["warnings"] = feed.warnings()
        except ParseError as error:
            raise Rejected(
                [error.detail],
                {"code": error.code, "message": error.detail, "row": error.row, **error.details},
            ) from None
        if self.read == 0:
            raise Rejected(
                ["The file has no data rows: only a header, or nothing but blank rows."],
                {"code": NO_ROWS, "message": "The file has no data rows."},
            )

    def _check(self) -> list[DatasetCheck]:
        self.report["progress"] = self._progress("checking")
        started = time.perf_counter()
        with self.engine.begin() as connection:
            self._renew(connection, report=self.report)
            self.invalid += self._remove_duplicates(connection)
        self._took("duplicates", started)
        started = time.perf_counter()
        checks = run_dataset_checks(
            self.engine,
            self.layout,
            self.contract,
            upload_id=self.upload_id,
            table_name=self.staged.name,
        )
        self._took("dataset_checks", started)
        self.report["dataset_checks"] = [c.model_dump() for c in checks]
        audit.append(
            self.engine,
            lc.event(
                self.upload,
                "upload.validated",
                "allowed",
                "The upload was checked against its contract.",
                counts=self._counts(published=False),
                invalid_rows=self.invalid,
                dataset_checks=[
                    {"rule": c.rule, "success": c.success, "blocking": c.blocking} for c in checks
                ],
            ),
        )
        reasons = self._reasons(checks)
        if reasons:
            raise Rejected(reasons)
        return checks

    def _publish(self, checks: list[DatasetCheck]) -> str:
        self.report["progress"] = self._progress("publishing")
        if self.partitioned:
            # Committed, and still invisible: the table is not yet a partition.
            started = time.perf_counter()
            with self.engine.begin() as connection:
                self._renew(connection, report=self.report)
            # Not in the renewing transaction: it would hold the upload's row, and the
            # heartbeat would wait behind the index builds.
            with self.engine.begin() as connection:
                build_upload_indexes(connection, self.table, self.upload_id)
            self._still_wanted()
            self._took("indexes", started)
        started = time.perf_counter()
        with db.unit_of_work(self.engine) as session:
            connection = session.connection()
            _lock_dataset(connection, self.layout.table_name)
            # The upload row before the tables: a withdrawal locks them in that order too.
            self._owned(session)
            # Uploads published since the first look may now hold some of these keys.
            late = self._remove_duplicates(connection, published_only=True)
            if late:
                self.invalid += late
                reasons = self._reasons(checks)
                if reasons:
                    raise Rejected(reasons)
            replaced = self._replace(session)
            if self.partitioned:
                attach_upload(connection, self.table, self.upload_id)
            upload = self._finish(session, lc.PUBLISHED, cause=None)
            audit.append(
                session,
                lc.event(
                    upload,
                    "upload.published",
                    "allowed",
                    "The upload passed its contract and its rows are published.",
                    counts=upload.counts,
                    replaces=replaced,
                ),
            )
        lc.discard_spool(self.spool_dir, self.upload_id)
        self._took("publish", started)
        log.info("upload %s published; seconds per stage: %s", self.upload_id, self.seconds)
        return lc.PUBLISHED

    def _agreement_stopped(self) -> str | None:
        """Why the agreement no longer lets this upload publish, if it doesn't. The API
        refused new uploads from the moment of a suspension; this stops one already being
        processed. (A suspension in the instant between this look and the publish itself
        still lets that one upload through; its audit event shows the order.)"""
        current = agreement_state(self.upload.agreement_id)
        if current.status == "active" and self.upload.agreement_version in (None, current.version):
            return None
        if current.status == "active":
            why = "was changed (a new version) while the upload was processed"
        else:
            why = f"is {current.status.replace('_', ' ')}"
        return (
            f"Nothing was published: agreement `{self.upload.agreement_id}` {why}. "
            "Send the file again once the agreement is active."
        )

    def _reject(self, rejection: Rejected) -> str:
        self.report["rejected_because"] = rejection.reasons
        if rejection.error:
            self.report["error"] = {k: v for k, v in rejection.error.items() if v is not None}
        cause = "Nothing was published: " + "; ".join(rejection.reasons)
        with db.unit_of_work(self.engine) as session:
            upload = self._finish(session, lc.REJECTED, cause=cause[:1000], deleting=True)
            audit.append(
                session,
                lc.event(
                    upload,
                    "upload.rejected",
                    "failed",
                    cause[:1000],
                    counts=upload.counts,
                    code=(rejection.error or {}).get("code", "contract_failed"),
                ),
            )
        lc.discard_spool(self.spool_dir, self.upload_id)
        return lc.REJECTED

    def _fail(self, cause: str, code: str) -> str:
        with db.unit_of_work(self.engine) as session:
            upload = self._owned(session)
            delete_rows(session, upload)
            lc.fail(session, upload, cause=cause, code=code)
        lc.discard_spool(self.spool_dir, self.upload_id)
        return lc.FAILED

    # -- helpers -----------------------------------------------------------------------------

    def _remove_duplicates(self, connection, *, published_only: bool = False) -> int:
        removed = 0
        if not published_only:
            removed += remove_duplicates_in_upload(
                connection,
                self.staged,
                self.layout,
                self.contract,
                upload_id=self.upload_id,
                log=self.failures,
            )
        removed += remove_duplicates_of_published(
            connection,
            self.staged,
            self.layout,
            self.contract,
            upload_id=self.upload_id,
            replaces=self.upload.replaces,
            log=self.failures,
            published=self.table,
        )
        if removed and self.contract.record_reference is not None:
            # A row set aside as a duplicate takes its record reference with it.
            prune_record_references(
                connection, self.staged, dataset=self.upload.dataset, upload_id=self.upload_id
            )
        return removed

    def _reasons(self, checks: list[DatasetCheck]) -> list[str]:
        reasons = []
        limit = self.contract.max_invalid_fraction
        fraction = self.invalid / self.read if self.read else 0.0
        self.report.update(
            rows=self.read,
            invalid_rows=self.invalid,
            invalid_fraction=fraction,
            max_invalid_fraction=limit,
        )
        if fraction > limit:
            reasons.append(
                f"{self.invalid} of {self.read} rows failed their checks ({fraction:.2%}); the "
                f"contract allows {limit:.2%}"
            )
        reasons.extend(
            f"dataset check `{c.rule}` failed" for c in checks if c.blocking and not c.success
        )
        repeated = sum(
            n for (_, check), n in self.failures.by_check.items() if check == OF_PUBLISHED
        )
        if reasons and repeated:
            earlier = sorted({f["upload"] for f in self.failures.kept if f.get("upload")})
            reasons.append(
                f"{repeated} rows are already published (upload {', '.join(earlier)}): a row is "
                "never stored twice. If this file corrects or replaces that upload, send it with "
                f"`replaces` (hub upload --replaces {earlier[0] if earlier else 'UPLOAD_ID'})"
            )
        return reasons

    def _replace(self, session) -> str | None:
        replaces = self.upload.replaces
        if not replaces:
            return None
        old = session.get(Upload, replaces, with_for_update=_row_locks(session))
        if old is None or old.status != lc.PUBLISHED:
            raise Rejected(
                [
                    f"upload {replaces}, which this one replaces, is no longer published "
                    "(withdrawn or replaced meanwhile)"
                ]
            )
        # Replacing published rows is a correction: recipients of the changed rows are told.
        from hub.ingest.state import rows_removed

        rows_removed(
            session, old, kind="replace", actor=lc.actor_of(self.upload), replacement=self.upload
        )
        delete_rows(session, old)
        old.status = lc.REPLACED
        old.replaced_by = self.upload_id
        old.updated_at = clock.now()
        session.add(old)
        return replaces

    def _finish(self, session, status: str, *, cause: str | None, deleting: bool = False):
        upload = self._owned(session)
        if deleting:
            delete_rows(session, upload)
        now = clock.now()
        published = status == lc.PUBLISHED
        self.report["progress"] = {**self.report["progress"], "stage": status}
        self.report.setdefault("rows", self.read)
        self.report.update(self.failures.as_report())
        self.report["stage_seconds"] = dict(self.seconds)
        upload.status = status
        upload.cause = cause
        upload.counts = self._counts(published=published)
        upload.report = self.report
        upload.finished_at = now
        upload.updated_at = now
        upload.heartbeat_at = now
        upload.worker_id = None
        session.add(upload)
        session.flush()
        return upload

    def _still_wanted(self) -> None:
        if self.heartbeat.lost.is_set():
            raise LeaseLost
        if state().stopping.is_set():
            raise ShuttingDown

    def _owned(self, session) -> Upload:
        """The upload row, locked, provided this worker still holds the lease."""
        upload = session.get(
            Upload, self.upload_id, with_for_update=_row_locks(session), populate_existing=True
        )
        if upload is None or upload.status != lc.PROCESSING or upload.worker_id != self.worker_id:
            raise LeaseLost
        return upload

    def _counts(self, *, published: bool) -> dict[str, int]:
        accepted = self.read - self.invalid if published else 0
        return {"read": self.read, "accepted": accepted, "rejected": self.read - accepted}

    def _renew(self, connection, **values: Any) -> None:
        now = clock.now()
        result = connection.execute(
            update(Upload)
            .where(lc.holds_lease(self.upload_id, self.worker_id))
            .values(heartbeat_at=now, updated_at=now, **values)
        )
        if result.rowcount != 1:
            raise LeaseLost

    def _clear_staged_rows(self) -> None:
        """Rows an earlier attempt staged before its worker died; on PostgreSQL, then a new
        table of the upload's own to load into."""
        with db.unit_of_work(self.engine) as session:
            upload = self._owned(session)
            delete_rows(session, upload)
            self.staged = self.table
            if self.partitioned:
                self.staged = create_upload_table(
                    session.connection(), self.table, self.upload_id, self.expires_at
                )

    def _progress(self, stage: str, path: Path | None = None) -> dict[str, Any]:
        total = self.upload.size_bytes
        done = total if stage not in ("parsing", "loading") else _bytes_read(path, total)
        return {"stage": stage, "rows_read": self.read, "bytes_read": done, "total_bytes": total}


class _Loading:
    """Loads chunks on a thread of its own while the next chunk is checked and pseudonymised:
    the database works (COPY, index upkeep) while Python works. At most one chunk waits, so
    memory stays bounded. Each chunk is one short transaction that renews the lease first; a
    failure there (the lease lost, the database gone) is raised in the pipeline's thread at
    its next `put`, or when the block ends."""

    def __init__(self, run: _Run, expires_at):
        self.run = run
        self.expires_at = expires_at
        self.loader = loader_for(run.engine)
        self.reference_key = current_app.extensions["hub.keys"].record_reference_key
        self.queue: queue.Queue = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.busy = 0.0  # seconds spent loading
        self.thread = threading.Thread(
            target=self._work, name=f"load-{run.upload_id[:8]}", daemon=True
        )

    def __enter__(self) -> _Loading:
        self.thread.start()
        return self

    def put(self, result, report: dict[str, Any]) -> None:
        self._raise()
        self.queue.put((result, report))

    def __exit__(self, kind, error, traceback) -> None:
        self.queue.put(None)
        self.thread.join()
        if kind is None:
            self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def _work(self) -> None:
        run = self.run
        while (item := self.queue.get()) is not None:
            if self.error is not None:
                continue  # drain: the pipeline stops at its next put
            result, report = item
            started = time.perf_counter()
            try:
                with run.engine.begin() as connection:
                    run._renew(connection, report=report)
                    self.loader.load(
                        connection,
                        run.staged,
                        upload_id=run.upload_id,
                        rows=result.rows,
                        expires_at=self.expires_at,
                        names=result.names,
                        columns=result.columns,
                        defaults=run.partitioned,
                    )
                    if result.references is not None:
                        store_record_references(
                            connection,
                            key=self.reference_key,
                            dataset=run.upload.dataset,
                            upload_id=run.upload_id,
                            rows=result.rows.tolist(),
                            references=result.references,
                            expires_at=self.expires_at,
                        )
            except BaseException as exc:  # noqa: BLE001 - handed to the pipeline's thread
                self.error = exc
            self.busy = round(self.busy + time.perf_counter() - started, 3)


def _fail_after_error(engine: Engine, upload_id: str, worker_id: str, kind: str) -> str | None:
    cause = (
        f"The hub could not process this upload ({kind}); nothing was published. "
        "Tell the hub's operators, quoting the upload id."
    )
    try:
        with db.unit_of_work(engine) as session:
            upload = session.get(Upload, upload_id, with_for_update=_row_locks(session))
            if upload is None or upload.status != lc.PROCESSING or upload.worker_id != worker_id:
                return None
            delete_rows(session, upload)
            lc.fail(session, upload, cause=cause, code="internal_error")
    except Exception as exc:  # noqa: BLE001 - the database itself may be what failed
        # Left `processing`: its heartbeat stops, and recovery retries it later.
        log.error("upload %s: could not record the failure (%s)", upload_id, type(exc).__name__)
        return None
    lc.discard_spool(current_app.extensions["hub.settings"].effective_spool_dir, upload_id)
    return lc.FAILED


def _row_locks(session) -> bool:
    return db.is_postgres(session)


def _lock_dataset(connection, table_name: str) -> None:
    """One publish at a time per dataset table, so that two uploads cannot both publish the
    same unique key. SQLite's write lock (BEGIN IMMEDIATE) already serialises them."""
    if not db.is_postgres(connection):
        return
    key = int.from_bytes(_digest(table_name)[:8], "big", signed=True)
    connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _digest(text: str) -> bytes:
    import hashlib

    return hashlib.sha256(b"hub publish|" + text.encode()).digest()


def _bytes_read(path: Path | None, total: int) -> int | None:
    """How far the parser has read the file: its offset as the kernel knows it (the readers
    do not expose one). None where /proc is not there."""
    if path is None:
        return None
    try:
        target = str(path.resolve())
        for fd in os.listdir("/proc/self/fd"):
            try:
                if os.readlink(f"/proc/self/fd/{fd}") != target:
                    continue
                with open(f"/proc/self/fdinfo/{fd}") as info:
                    for line in info:
                        if line.startswith("pos:"):
                            return min(int(line.split()[1]), total)
            except OSError:
                continue
    except OSError:
        return None
    return None
