"""Deleting what the plan found, each deletion with its audit event in the same transaction.

One short transaction per (dataset table, upload), so that a large delete never holds the
database for long (SQLite has one writer):

1. lock the upload row (PostgreSQL: SELECT ... FOR UPDATE; SQLite: the engine begins every
   transaction IMMEDIATE, which takes the database's write lock) and check it is still not
   in flight;
2. DELETE its rows the rule names, counting them;
3. if any were deleted: mark the upload `expired` when none of its rows are left, and append
   the `retention.delete` audit event — in the same transaction, so the deletion and its
   record commit together or not at all (a crash leaves both undone, and the next run does
   both again).

Two processes running at once cannot both record a deletion: the second waits for the lock
the first holds, then deletes nothing (the rows are gone) and so records nothing. An event is
appended only for rows this transaction deleted, which makes the run idempotent: a second run
deletes nothing and records nothing.

The upload's leftover spool file, if any, goes after the commit (a file is not part of a
transaction); a crash in between is caught by the sweep at the end of the next run.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import Engine, delete, select
from sqlalchemy import text as sa_text
from sqlmodel import Session

from hub import audit, clock, db
from hub.agreements import Policies, current_policies
from hub.audit import Actor, NewEvent
from hub.db.models import RecordReference, Upload, ViewDisclosure
from hub.ingest import discard_spool, spool_path
from hub.retention.plan import (
    EXPIRED,
    EXPIRES_AT,
    IN_FLIGHT,
    PUBLISHED,
    UPLOAD_ID,
    DisclosureTarget,
    Target,
    chunks,
    dataset_table,
    make_plan,
)
from hub.retention.report import AGREEMENT_ENDED, ROW_EXPIRY, Deletion, RetentionReport
from hub.store import delete_record_references, drop_upload_rows, upload_table

log = logging.getLogger(__name__)

ACTION = "retention.delete"
ACTOR = Actor(client="hub-retention", partner=None, roles=())
# View disclosures of an ended agreement go a batch per transaction.
DISCLOSURE_BATCH = 10_000


def run_retention(
    engine: Engine | None = None,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    policies: Policies | None = None,
    spool_dir: Path | None = None,
) -> RetentionReport:
    """Delete rows past their expiry and all data of agreements ended beyond their retention,
    recording each deletion in the audit log. `dry_run` reports and deletes nothing.

    Left out, `engine`, `policies` and `spool_dir` are the current app's (an app context is
    needed then); `now` is the present moment (tests pass another).
    """
    now = now or clock.now()
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    engine = engine or db.get_engine()
    policies = policies if policies is not None else current_policies()
    if spool_dir is None and has_app_context():
        spool_dir = current_app.extensions["hub.settings"].effective_spool_dir
    report = RetentionReport(now=now, dry_run=dry_run, run_id=f"retention-{uuid.uuid4().hex}")

    plan = make_plan(engine, policies=policies, now=now)
    report.left_alone.extend(plan.left_alone)
    for target in plan.targets:
        if dry_run:
            report.deletions.append(_as_planned(target))
            continue
        try:
            deletion = _delete_upload_rows(engine, target, now=now, run_id=report.run_id)
        except Exception as exc:  # noqa: BLE001 - one failed deletion must not stop the rest
            log.warning(
                "retention: deleting rows of upload %s failed (%s)",
                target.upload_id,
                type(exc).__name__,
            )
            report.errors.append(
                f"{target.agreement} / {target.dataset}: upload {target.upload_id}: "
                f"{type(exc).__name__}; nothing of it was deleted, the next run tries again"
            )
            continue
        if deletion is not None:
            report.deletions.append(deletion)
            if deletion.upload_expired and spool_dir is not None:
                discard_spool(spool_dir, target.upload_id)
    for target in plan.disclosures:
        if dry_run:
            report.deletions.append(
                Deletion(
                    target.agreement,
                    None,
                    None,
                    target.rows,
                    AGREEMENT_ENDED,
                    target.reason,
                    target.version,
                )
            )
            continue
        try:
            report.deletions.extend(_delete_disclosures(engine, target, run_id=report.run_id))
        except Exception as exc:  # noqa: BLE001
            log.warning(
                "retention: deleting view disclosures of %s failed (%s)",
                target.agreement,
                type(exc).__name__,
            )
            report.errors.append(
                f"{target.agreement}: view disclosures: {type(exc).__name__}; the next run "
                "tries again"
            )
    if not dry_run and spool_dir is not None:
        report.spool_files_removed += sweep_spool(engine, spool_dir)
    return report


def _as_planned(target: Target) -> Deletion:
    return Deletion(
        target.agreement,
        target.dataset,
        target.upload_id,
        target.rows,
        target.rule,
        target.reason,
        target.version,
        upload_expired=target.empties_upload and target.status == PUBLISHED,
    )


def _delete_upload_rows(
    engine: Engine, target: Target, *, now: datetime, run_id: str
) -> Deletion | None:
    table = dataset_table(target.table)
    with db.unit_of_work(engine) as session:
        upload = session.get(
            Upload, target.upload_id, with_for_update=_row_locks(session), populate_existing=True
        )
        if (
            upload is None
            or upload.status in IN_FLIGHT
            or (upload.agreement_id, upload.dataset) != (target.agreement, target.dataset)
        ):
            return None  # it changed since the plan: the next run looks again
        connection = session.connection()
        if _whole_partition(connection, table, upload.id, target, now):
            deleted = drop_upload_rows(connection, target.table, upload.id)
        else:
            where = table.c[UPLOAD_ID] == upload.id
            if target.rule == ROW_EXPIRY:
                where = where & (table.c[EXPIRES_AT] <= now)
            deleted = connection.execute(delete(table).where(where)).rowcount or 0
        if deleted <= 0:
            return None  # another run got there first, and recorded it
        # The rows' record references go with them (all of the upload's, or those expired).
        if target.rule == ROW_EXPIRY:
            references = RecordReference.__table__
            connection.execute(
                delete(references).where(
                    references.c.dataset == upload.dataset,
                    references.c.upload_id == upload.id,
                    references.c.expires_at <= now,
                )
            )
        else:
            delete_record_references(connection, dataset=upload.dataset, upload_id=upload.id)
        left = connection.execute(
            select(table.c[UPLOAD_ID]).where(table.c[UPLOAD_ID] == upload.id).limit(1)
        ).first()
        expired = left is None and upload.status == PUBLISHED
        if expired:
            _mark_expired(session, upload, target)
        index = audit.append(
            session,
            NewEvent(
                action=ACTION,
                resource=f"/agreements/{target.agreement}/datasets/{target.dataset}",
                outcome="allowed",
                reason=target.reason,
                request_id=run_id,
                actor=ACTOR,
                details={
                    "agreement": target.agreement,
                    "dataset": target.dataset,
                    "upload_ids": [upload.id],
                    "row_count": deleted,
                    "rule": target.rule,
                    "agreement_version": target.version,
                    "upload_expired": expired,
                    "as_of": now.astimezone(UTC).isoformat(),
                },
            ),
        )
    return Deletion(
        target.agreement,
        target.dataset,
        target.upload_id,
        deleted,
        target.rule,
        target.reason,
        target.version,
        upload_expired=expired,
        audit_index=index,
    )


def _whole_partition(connection, table, upload_id: str, target: Target, now: datetime) -> bool:
    """Whether every row of the upload goes and it has a table of its own (PostgreSQL,
    hub.store.partitions): then deleting it is a DROP TABLE."""
    if not db.is_postgres(connection):
        return False
    own = upload_table(table, upload_id)
    found = connection.execute(sa_text("SELECT to_regclass(:n)"), {"n": own.name}).scalar()
    if found is None:
        return False
    if target.rule != ROW_EXPIRY:
        return True
    kept = select(own.c[EXPIRES_AT]).where(own.c[EXPIRES_AT] > now).limit(1)
    return connection.execute(kept).first() is None


def _mark_expired(session: Session, upload: Upload, target: Target) -> None:
    moment = clock.now()
    upload.status = EXPIRED
    if target.rule == ROW_EXPIRY:
        upload.cause = (
            f"Its rows reached the end of the agreement's retention period and were deleted "
            f"on {moment.date().isoformat()}."
        )
    else:
        upload.cause = f"{target.reason} Its rows were deleted on {moment.date().isoformat()}."
    upload.updated_at = moment
    report = dict(upload.report or {})
    report["progress"] = {**report.get("progress", {}), "stage": EXPIRED}
    upload.report = report
    session.add(upload)
    session.flush()


def _delete_disclosures(engine: Engine, target: DisclosureTarget, *, run_id: str) -> list[Deletion]:
    """The agreement's view disclosure records, a batch per transaction, an event per batch."""
    disclosures = ViewDisclosure.__table__
    done: list[Deletion] = []
    while True:
        with db.unit_of_work(engine) as session:
            batch = select(disclosures.c.id).where(disclosures.c.agreement_id == target.agreement)
            batch = batch.order_by(disclosures.c.id).limit(DISCLOSURE_BATCH)
            if _row_locks(session):
                # Two runs at once: the second skips rows the first holds instead of
                # waiting to find them gone.
                batch = batch.with_for_update(skip_locked=True)
            ids = list(session.execute(batch).scalars())
            if not ids:
                return done
            deleted = (
                session.execute(delete(disclosures).where(disclosures.c.id.in_(ids))).rowcount or 0
            )
            if deleted <= 0:
                return done
            index = audit.append(
                session,
                NewEvent(
                    action=ACTION,
                    resource=f"/agreements/{target.agreement}/view-disclosures",
                    outcome="allowed",
                    reason=target.reason,
                    request_id=run_id,
                    actor=ACTOR,
                    details={
                        "agreement": target.agreement,
                        "dataset": None,
                        "upload_ids": [],
                        "records": "view_disclosures",
                        "row_count": deleted,
                        "rule": AGREEMENT_ENDED,
                        "agreement_version": target.version,
                    },
                ),
            )
        done.append(
            Deletion(
                target.agreement,
                None,
                None,
                deleted,
                AGREEMENT_ENDED,
                target.reason,
                target.version,
                audit_index=index,
            )
        )


def sweep_spool(engine: Engine, spool_dir: Path) -> int:
    """Remove spool files left behind by uploads that are now `expired` (they hold the file as
    sent, raw identifiers and all). Lists the spool folder, which holds few files."""
    if not spool_dir.is_dir():
        return 0
    candidates: list[str] = []
    for path in spool_dir.glob("*.upload"):
        upload_id = path.name.removesuffix(".upload")
        if spool_path(spool_dir, upload_id) == path:
            candidates.append(upload_id)
    removed = 0
    for chunk in chunks(candidates):
        with db.read_only(engine) as session:
            expired = list(
                session.execute(
                    select(Upload.id).where(Upload.id.in_(chunk), Upload.status == EXPIRED)
                ).scalars()
            )
        for upload_id in expired:
            discard_spool(spool_dir, upload_id)
            removed += 1
    return removed


def _row_locks(session: Session) -> bool:
    # SQLite took the whole database's write lock at BEGIN IMMEDIATE; PostgreSQL locks rows.
    return db.is_postgres(session)
