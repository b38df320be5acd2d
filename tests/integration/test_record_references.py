"""Record references (the contract's `sourceRecordRef` column) are sealed at rest, outside the
dataset table, open only for their own row, and leave with their rows: one by one
(`delete_record_references`, which erasure calls) or with their upload (`delete_rows`)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hub import clock, db
from hub.db.models import RecordReference, Upload
from hub.store import (
    delete_record_references,
    delete_rows,
    read_record_references,
    store_record_references,
    table_name,
)
from hub.store.references import unseal
from tests.integration.views_support import EARLY

DATASET = "police-contacts"
UPLOAD = "8c1f6f5e-1d3a-4c2b-9a57-3e1f0c2d4b6a"  # an upload id as the hub makes them (a UUID)


def test_references_are_sealed_open_for_their_row_only_and_are_deleted(app, engine):
    key = app.extensions["hub.keys"].record_reference_key
    expires = clock.now() + timedelta(days=30)
    with app.app_context():
        with engine.begin() as connection:
            stored = store_record_references(
                connection,
                key=key,
                dataset=DATASET,
                upload_id=UPLOAD,
                rows=[1, 2, 3, 4],
                references=["NP-C-0001", "NP-C-0002", None, "  "],
                expires_at=expires,
            )
        assert stored == 2  # empty references are not kept
        with engine.connect() as connection:
            sealed = dict(
                connection.execute(
                    select(RecordReference.row, RecordReference.sealed).where(
                        RecordReference.upload_id == UPLOAD
                    )
                ).all()
            )
            assert set(sealed) == {1, 2}
            assert all(b"NP-C-000" not in bytes(v) for v in sealed.values())
            # A sealed value moved to another row, or opened with another key, does not open.
            assert unseal(key, dataset=DATASET, upload_id=UPLOAD, row=2, sealed=sealed[1]) is None
            assert (
                unseal(b"\0" * 32, dataset=DATASET, upload_id=UPLOAD, row=1, sealed=sealed[1])
                is None
            )
            assert read_record_references(
                connection, key=key, dataset=DATASET, upload_id=UPLOAD, row_numbers=[1, 2, 3]
            ) == {1: "NP-C-0001", 2: "NP-C-0002"}
        with db.unit_of_work() as session:
            assert (
                delete_record_references(
                    session, dataset=DATASET, upload_id=UPLOAD, row_numbers=[1, 9]
                )
                == 1
            )
        with engine.connect() as connection:
            assert read_record_references(
                connection, key=key, dataset=DATASET, upload_id=UPLOAD, row_numbers=[1, 2]
            ) == {2: "NP-C-0002"}
        with db.unit_of_work() as session:
            delete_rows(session, Upload(id=UPLOAD, agreement_id=EARLY, dataset=DATASET))
        with engine.connect() as connection:
            left = connection.execute(
                select(RecordReference.row).where(RecordReference.upload_id == UPLOAD)
            ).all()
        assert left == []


def test_a_published_upload_keeps_one_sealed_reference_per_stored_row(app, engine):
    """Through the real pipeline: each stored row of a police-contacts upload has its
    reference sealed, a row set aside as a duplicate takes its reference with it, and the
    dataset table has no column for it."""
    from sqlalchemy import func, inspect

    from hub.synthetic import make_feeds, make_population
    from tests.integration.ingest_support import process, uploader, visible_rows
    from tests.integration.views_support import feed_bytes

    today = clock.today()
    feeds = make_feeds(make_population(size=1000, seed=3, today=today), seed=3, today=today)
    feed = feeds[("northshire-police", "police-contacts")]
    data = feed_bytes(feed)
    lines = data.decode().splitlines()
    data = ("\n".join([*lines, lines[1]]) + "\n").encode()  # the first row sent twice
    upload = process(app, uploader("northshire-police"), EARLY, DATASET, data)
    assert upload.status == "published", upload.cause
    rows = visible_rows(engine, EARLY, DATASET)
    key = app.extensions["hub.keys"].record_reference_key
    with engine.connect() as connection:
        held = connection.execute(
            select(func.count()).where(RecordReference.upload_id == upload.id)
        ).scalar_one()
        references = read_record_references(
            connection,
            key=key,
            dataset=DATASET,
            upload_id=upload.id,
            row_numbers=[r["_row"] for r in rows],
        )
    assert held == len(rows) == len(references)
    sent = {row["contact_id"] for row in feed.rows}
    assert set(references.values()) <= sent
    columns = {c["name"] for c in inspect(engine).get_columns(table_name(EARLY, DATASET))}
    assert "contact_id" not in columns
