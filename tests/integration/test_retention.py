"""Retention on SQLite and PostgreSQL: data past its retention is deleted, each deletion is
an audit event, and what cannot be attributed is kept and reported."""

from __future__ import annotations

import dataclasses
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day

from sqlalchemy import Column, MetaData, String, Table, insert, select, text, update
from sqlmodel.sql.sqltypes import UTCDateTime

from hub import clock, db
from hub.agreements import current_policies
from hub.audit import verifier_key, verify_log
from hub.cli.retention import cli
from hub.db.models import AgreementRecord, Upload
from hub.ingest import spool_path
from hub.retention import (
    AGREEMENT_ENDED,
    ROW_EXPIRY,
    run_retention,
    start_retention_schedule,
    stop_retention_schedule,
)
from hub.store import DatasetTables, table_name, upload_table_name
from hub.views import queries_that_returned, record_disclosures
from tests.helpers import bearer, token_for

from .ingest_support import (
    ATTENDANCE,
    ATTENDANCE_HEADER,
    EARLY,
    HOTSPOTS,
    POLICE,
    SCHOOL,
    STREET,
    as_utc,
    attendance_rows,
    dataset_table,
    events,
    police_variant,
    process,
    pupils,
    reading,
    staged_rows,
    to_csv,
    upload_of,
    uploader,
)

ACTION = "retention.delete"


def publish_street(app, n: int, seed: int) -> Upload:
    upload = process(app, uploader(POLICE), HOTSPOTS, STREET, police_variant(n, seed=seed)[0])
    assert upload.status == "published", upload.cause
    return upload


def publish_attendance(app, n: int, seed: int) -> Upload:
    data = to_csv(ATTENDANCE_HEADER, attendance_rows(pupils(n, seed=seed)))
    upload = process(app, uploader(SCHOOL), EARLY, ATTENDANCE, data)
    assert upload.status == "published", upload.cause
    return upload


def age(engine, upload: Upload, *, expired_at: datetime) -> None:
    """Time passes for one upload: its rows' expiry becomes `expired_at`."""
    name = table_name(upload.agreement_id, upload.dataset)
    table = Table(
        name, MetaData(), Column("_upload_id", String), Column("_expires_at", UTCDateTime())
    )
    with engine.begin() as connection:
        connection.execute(
            update(table).where(table.c._upload_id == upload.id).values(_expires_at=expired_at)
        )


def ended_cutoff(app, agreement: str) -> datetime:
    """Noon on the first day the agreement's data may no longer be kept."""
    with app.app_context():
        terms = current_policies().agreements[agreement]
    day = terms.end + timedelta(days=terms.retention_days + 1)
    return datetime.combine(day, time_of_day(12), tzinfo=UTC)


def verified(app) -> int:
    with app.app_context():
        origin = app.extensions["hub.audit"].origin
        key = verifier_key(origin, app.extensions["hub.keys"].audit_signing_key)
        return verify_log(db.get_engine(app), verifier_key=key).size


def retention(app, **kwargs):
    with app.app_context():
        return run_retention(**kwargs)


def test_rows_past_their_expiry_are_deleted_and_the_deletion_is_in_the_log(app, client, engine):
    old = publish_street(app, 40, seed=1)
    kept = publish_street(app, 30, seed=2)
    age(engine, old, expired_at=clock.now() - timedelta(minutes=1))

    report = retention(app)

    assert staged_rows(engine, HOTSPOTS, STREET, old.id) == 0
    assert staged_rows(engine, HOTSPOTS, STREET, kept.id) == 30
    assert upload_of(app, old.id).status == "expired"
    if engine.dialect.name == "postgresql":  # retention dropped the upload's partition
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT to_regclass(:n)"), {"n": upload_table_name(old.id)}
            ).scalar()
        assert found is None
    assert upload_of(app, kept.id).status == "published"
    (event,) = events(app, ACTION)
    assert event.outcome == "allowed"
    assert event.actor_client == "hub-retention" and event.actor_partner is None
    assert event.resource == f"/agreements/{HOTSPOTS}/datasets/{STREET}"
    assert event.details["agreement"] == HOTSPOTS
    assert event.details["dataset"] == STREET
    assert event.details["upload_ids"] == [old.id]
    assert event.details["row_count"] == 40
    assert event.details["rule"] == ROW_EXPIRY
    assert event.details["upload_expired"] is True
    assert event.request_id == report.run_id
    assert [(d.upload_id, d.rows, d.audit_index) for d in report.deletions] == [
        (old.id, 40, event.index)
    ]
    assert verified(app) > event.index

    # The sender sees what became of its upload; a second run deletes and records nothing.
    headers = bearer(token_for(client, app, partner=POLICE, roles=["uploader"]))
    answer = client.get(f"/api/v1/uploads/{old.id}", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "expired"
    assert "retention" in answer.get_json()["cause"]
    again = retention(app)
    assert again.deletions == [] and again.errors == []
    assert len(events(app, ACTION)) == 1
    assert staged_rows(engine, HOTSPOTS, STREET, kept.id) == 30


def test_an_agreement_ended_beyond_its_retention_loses_all_its_data(app, engine):
    street = [publish_street(app, 25, seed=3), publish_street(app, 15, seed=4)]
    school = publish_attendance(app, 12, seed=5)
    now = ended_cutoff(app, HOTSPOTS)
    # The other agreement's rows are still within their retention then, whatever day the
    # test runs on (uploaded today, they would expire after the cutoff only on some days).
    age(engine, school, expired_at=now + timedelta(days=30))
    with reading(engine) as connection:
        table = dataset_table(connection, EARLY, ATTENDANCE)
        expiries = connection.execute(select(table.c._expires_at)).scalars().all()
    assert min(as_utc(e) for e in expiries) > now  # the school's rows are within retention
    with app.app_context():
        version = current_policies().files[HOTSPOTS].sha256
        domain = current_policies().agreements[HOTSPOTS].linkage_domain
        record_disclosures(
            request_id=uuid.uuid4().hex,
            view_id="crime-asb-hotspots",
            agreement_id=HOTSPOTS,
            linkage_domain=domain,
            pseudonyms=["a" * 64, "b" * 64],
        )
        record_disclosures(
            request_id=uuid.uuid4().hex,
            view_id="early-intervention-cohort",
            agreement_id=EARLY,
            linkage_domain="early-help",
            pseudonyms=["c" * 64],
        )

    report = retention(app, now=now)

    for upload in street:
        assert staged_rows(engine, HOTSPOTS, STREET, upload.id) == 0
        assert upload_of(app, upload.id).status == "expired"
    assert staged_rows(engine, EARLY, ATTENDANCE, school.id) == 12
    assert upload_of(app, school.id).status == "published"
    recorded = events(app, ACTION)
    rows = {e.details["upload_ids"][0]: e for e in recorded if e.details["upload_ids"]}
    assert set(rows) == {u.id for u in street}
    for upload, n in zip(street, (25, 15), strict=True):
        event = rows[upload.id]
        assert event.details["row_count"] == n
        assert event.details["rule"] == AGREEMENT_ENDED
        assert event.details["agreement_version"] in (version, upload.agreement_version)
        assert "ended on 2028-03-31" in event.reason
    (disclosed,) = [e for e in recorded if not e.details["upload_ids"]]
    assert disclosed.resource == f"/agreements/{HOTSPOTS}/view-disclosures"
    assert disclosed.details["row_count"] == 2
    with app.app_context():
        assert queries_that_returned(linkage_domain=domain, pseudonym="a" * 64) == []
        assert len(queries_that_returned(linkage_domain="early-help", pseudonym="c" * 64)) == 1
    assert report.rows_deleted == 40 and report.disclosures_deleted == 2
    verified(app)

    again = retention(app, now=now)
    assert again.deletions == []
    assert len(events(app, ACTION)) == len(recorded)


def test_an_agreement_whose_file_was_removed_ends_by_its_last_stored_version(app, engine):
    upload = publish_street(app, 20, seed=6)
    now = ended_cutoff(app, HOTSPOTS)
    with app.app_context():
        policies = current_policies()
    without = dataclasses.replace(
        policies,
        agreements={k: v for k, v in policies.agreements.items() if k != HOTSPOTS},
        files={k: v for k, v in policies.files.items() if k != HOTSPOTS},
    )

    report = retention(app, now=now, policies=without)

    assert staged_rows(engine, HOTSPOTS, STREET, upload.id) == 0
    (event,) = events(app, ACTION)
    assert event.details["rule"] == AGREEMENT_ENDED
    assert event.details["agreement_version"] == policies.files[HOTSPOTS].sha256
    assert report.left_alone == []


def test_the_version_data_was_shared_under_governs_its_retention_after_the_end(app, engine):
    upload = publish_street(app, 10, seed=13)
    with app.app_context():
        current = current_policies().agreements[HOTSPOTS]
    # Shared under an earlier version that kept data ten years, not the current one's one.
    old_version = "f" * 64
    document = {**current.model_dump(mode="json"), "retention_days": 3650}
    with app.app_context(), db.unit_of_work() as session:
        session.add(
            AgreementRecord(
                agreement_id=HOTSPOTS, content_hash=old_version, title="v0", document=document
            )
        )
    uploads = Upload.__table__
    with engine.begin() as connection:
        connection.execute(
            update(uploads).where(uploads.c.id == upload.id).values(agreement_version=old_version)
        )
    age(engine, upload, expired_at=datetime(2100, 1, 1, tzinfo=UTC))

    retention(app, now=ended_cutoff(app, HOTSPOTS))  # the current version's terms ran out
    assert staged_rows(engine, HOTSPOTS, STREET, upload.id) == 10
    assert events(app, ACTION) == []

    day = current.end + timedelta(days=3651)
    retention(app, now=datetime.combine(day, time_of_day(12), tzinfo=UTC))
    assert staged_rows(engine, HOTSPOTS, STREET, upload.id) == 0
    (event,) = events(app, ACTION)
    assert event.details["agreement_version"] == old_version
    assert "kept 3650 days after the end" in event.reason


def _partition_for(connection, table: str, upload_id: str) -> None:
    """On PostgreSQL a row goes in its upload's partition (hub.store.partitions): make one
    for rows the test writes by hand."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            f"CREATE TABLE {upload_table_name(upload_id)} PARTITION OF {table} "
            f"FOR VALUES IN ('{upload_id}')"
        )


def test_data_that_cannot_be_attributed_is_kept_and_reported(app, engine):
    publish_street(app, 10, seed=7)  # makes the street-crime table
    past = clock.now() - timedelta(days=1)
    orphan = str(uuid.uuid4())
    with engine.begin() as connection:
        table = Table(table_name(HOTSPOTS, STREET), MetaData(), autoload_with=connection)
        _partition_for(connection, table.name, orphan)
        connection.execute(
            insert(table), [{"_upload_id": orphan, "_row": n, "_expires_at": past} for n in (2, 3)]
        )
    # An agreement in neither policies/ nor the database, with a table and a live upload.
    with app.app_context():
        policies = current_policies()
    gone = policies.agreements[HOTSPOTS].model_copy(update={"id": "gone-agreement"})
    _, gone_table = DatasetTables(engine).get(gone, policies.contracts[STREET])
    stray = Table(
        "ds_stray__nothing", MetaData(), Column("_upload_id", String(36)), Column("x", String(5))
    )
    gone_upload = str(uuid.uuid4())
    with engine.begin() as connection:
        stray.create(connection)
        connection.execute(insert(stray).values(_upload_id=orphan, x="y"))
        connection.execute(
            insert(Upload.__table__).values(
                id=gone_upload,
                agreement_id="gone-agreement",
                dataset=STREET,
                partner_id=POLICE,
                client_id="c",
                status="published",
                sha256="0" * 64,
                size_bytes=1,
                media_type="text/csv",
                counts={},
                report={},
                created_at=past,
                updated_at=past,
                attempts=1,
            )
        )
        _partition_for(connection, gone_table.name, gone_upload)
        connection.execute(
            insert(gone_table).values(
                _upload_id=gone_upload, _row=2, _expires_at=datetime(2100, 1, 1, tzinfo=UTC)
            )
        )
    # An upload being processed keeps its rows even if they are past their expiry.
    busy = publish_street(app, 5, seed=8)
    age(engine, busy, expired_at=past)
    with engine.begin() as connection:
        connection.execute(
            update(Upload.__table__)
            .where(Upload.__table__.c.id == busy.id)
            .values(status="processing")
        )

    report = retention(app, now=datetime(2099, 1, 1, tzinfo=UTC))

    assert staged_rows(engine, HOTSPOTS, STREET, orphan) == 2
    assert staged_rows(engine, "gone-agreement", STREET, gone_upload) == 1
    assert staged_rows(engine, HOTSPOTS, STREET, busy.id) == 5
    why = {(a.agreement, a.upload_id): a.why for a in report.left_alone}
    assert "cannot be attributed" in why[(HOTSPOTS, orphan)]
    assert "neither policies/ nor the stored agreement versions" in why[("gone-agreement", None)]
    assert "still `processing`" in why[(HOTSPOTS, busy.id)]
    assert any("ds_stray__nothing" in a.why for a in report.left_alone)
    assert not [e for e in events(app, ACTION) if e.details["upload_ids"] == [orphan]]
    assert not [e for e in events(app, ACTION) if e.details["agreement"] == "gone-agreement"]


def test_leftover_spool_files_of_expired_uploads_are_removed(app, engine):
    upload = publish_street(app, 10, seed=9)
    spool_dir = app.extensions["hub.settings"].effective_spool_dir
    leftover = spool_path(spool_dir, upload.id)
    leftover.write_bytes(b"as sent")
    unrelated = spool_path(spool_dir, str(uuid.uuid4()))
    unrelated.write_bytes(b"another")
    age(engine, upload, expired_at=clock.now() - timedelta(seconds=1))

    retention(app)

    assert not leftover.exists()
    assert unrelated.exists()


def test_hub_retention_run_prints_each_deletion_and_dry_run_deletes_nothing(app, runner, engine):
    upload = publish_street(app, 12, seed=10)
    age(engine, upload, expired_at=clock.now() - timedelta(hours=1))

    dry = runner.invoke(cli, ["run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run: nothing deleted" in dry.output
    assert f"{HOTSPOTS} / {STREET}" in dry.output
    assert f"would delete 12 row(s) of upload {upload.id} (row expiry; upload expires)" in (
        dry.output
    )
    assert staged_rows(engine, HOTSPOTS, STREET, upload.id) == 12
    assert upload_of(app, upload.id).status == "published"
    assert events(app, ACTION) == []

    done = runner.invoke(cli, ["run"])
    assert done.exit_code == 0, done.output
    (event,) = events(app, ACTION)
    assert (
        f"deleted 12 row(s) of upload {upload.id} (row expiry; upload now expired; "
        f"audit event {event.index})"
    ) in done.output
    assert "total: deleted 12 row(s) of 1 upload(s), 0 view disclosure record(s)" in done.output
    assert staged_rows(engine, HOTSPOTS, STREET, upload.id) == 0

    again = runner.invoke(cli, ["run"])
    assert again.exit_code == 0, again.output
    assert "total: deleted 0 row(s) of 0 upload(s)" in again.output
    assert len(events(app, ACTION)) == 1


def test_the_schedule_runs_retention_in_the_background(app, engine):
    upload = publish_street(app, 8, seed=11)
    age(engine, upload, expired_at=clock.now() - timedelta(seconds=1))
    assert start_retention_schedule(app, every=0) is False  # 0 turns it off
    assert app.extensions["hub.settings"].retention_interval_seconds == 3600
    assert start_retention_schedule(app, every=0.2) is True
    try:
        deadline = time.monotonic() + 60
        while not events(app, ACTION) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop_retention_schedule(app)
    (event,) = events(app, ACTION)
    assert event.details["upload_ids"] == [upload.id]
    assert staged_rows(engine, HOTSPOTS, STREET, upload.id) == 0


def test_views_no_longer_return_deleted_rows(app, client):
    publish_street(app, 60, seed=12)
    headers = bearer(token_for(client, app, partner=POLICE, roles=["analyst"]))
    ask = {"purpose": "patrol-planning", "justification": "Patrol plan for next month."}
    query = "/api/v1/views/crime-asb-hotspots/query"
    before = client.post(query, json=ask, headers=headers)
    assert before.status_code == 200, before.get_json()
    assert before.get_json()["rows"]

    retention(app, now=ended_cutoff(app, HOTSPOTS))

    after = client.post(query, json=ask, headers=headers)
    assert after.status_code == 200, after.get_json()
    assert after.get_json()["rows"] == []
