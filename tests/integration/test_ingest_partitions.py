"""PostgreSQL stores each upload as a partition of its own (hub.store.partitions): loaded
unindexed and unattached, indexed and attached when it publishes, dropped when it is
rejected, withdrawn or replaced; a plain dataset table from before is converted in place
with its rows still visible."""

from __future__ import annotations

import pytest
from sqlalchemy import MetaData, insert, text

from hub import db
from hub.agreements import current_policies
from hub.ingest import withdraw_upload
from hub.store import DatasetTables, build_table, layout_for, table_name, upload_table_name

from .ingest_support import (
    ATTENDANCE,
    ATTENDANCE_HEADER,
    EARLY,
    SCHOOL,
    attendance_rows,
    process,
    pupils,
    reading,
    to_csv,
    uploader,
    visible_rows,
)

# Partitions are PostgreSQL's (SQLite keeps one plain table): these tests run on PostgreSQL
# only, rather than skipping their SQLite half.
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def pg(engine):
    assert engine.dialect.name == "postgresql"
    return engine


def _partitions(engine, parent: str) -> list[str]:
    with reading(engine) as connection:
        return connection.execute(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = to_regclass(:p) ORDER BY 1"
            ),
            {"p": parent},
        ).scalars().all()  # fmt: skip


def _exists(engine, name: str) -> bool:
    with reading(engine) as connection:
        return connection.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar() is not None


def _indexes(engine, name: str) -> list[str]:
    with reading(engine) as connection:
        return connection.execute(
            text("SELECT indexdef FROM pg_indexes WHERE tablename = :n ORDER BY 1"), {"n": name}
        ).scalars().all()  # fmt: skip


def test_a_published_upload_is_an_indexed_partition_and_a_withdrawn_one_is_dropped(app, pg):
    parent = table_name(EARLY, ATTENDANCE)
    identity = uploader(SCHOOL)
    upload = process(
        app, identity, EARLY, ATTENDANCE, to_csv(ATTENDANCE_HEADER, attendance_rows(pupils(30)))
    )
    assert upload.status == "published", upload.report
    own = upload_table_name(upload.id)
    assert _partitions(pg, parent) == [own]
    indexes = _indexes(pg, own)
    # The pseudonyms and digests (B-tree) and _expires_at (BRIN); no primary key.
    assert any("USING brin (_expires_at)" in i for i in indexes), indexes
    assert sum("USING btree" in i for i in indexes) >= 1, indexes
    assert not any("UNIQUE" in i for i in indexes), indexes
    with reading(pg) as connection:
        collations = dict(
            connection.execute(
                text(
                    "SELECT a.attname, coalesce(c.collname, '') FROM pg_attribute a "
                    "LEFT JOIN pg_collation c ON c.oid = a.attcollation "
                    "WHERE a.attrelid = to_regclass(:t) AND a.attnum > 0"
                ),
                {"t": parent},
            ).all()
        )
    assert collations["upn"] == "C"
    assert len(visible_rows(pg, EARLY, ATTENDANCE)) == upload.counts["accepted"]

    with app.app_context():
        withdraw_upload(identity=identity, upload_id=upload.id)
    assert not _exists(pg, own)
    assert _partitions(pg, parent) == []
    assert visible_rows(pg, EARLY, ATTENDANCE) == []


def test_a_rejected_upload_leaves_no_table(app, pg):
    rows = attendance_rows(pupils(10))
    for row in rows:
        row[0] = "not a upn"
    upload = process(app, uploader(SCHOOL), EARLY, ATTENDANCE, to_csv(ATTENDANCE_HEADER, rows))
    assert upload.status == "rejected"
    assert not _exists(pg, upload_table_name(upload.id))
    assert _partitions(pg, table_name(EARLY, ATTENDANCE)) == []


def test_a_plain_table_from_before_is_converted_with_its_rows(app, pg):
    with app.app_context():
        policies = current_policies()
        layout = layout_for(policies.agreements[EARLY], policies.contracts[ATTENDANCE])
        first = process(
            app, uploader(SCHOOL), EARLY, ATTENDANCE,
            to_csv(ATTENDANCE_HEADER, attendance_rows(pupils(12, seed=3))),
        )  # fmt: skip
        assert first.status == "published"
        before = visible_rows(pg, EARLY, ATTENDANCE)
        # Make the table as it was before partitioning, holding the same rows.
        with pg.begin() as connection:
            connection.exec_driver_sql(f"DROP TABLE {layout.table_name}")
            plain = build_table(layout, MetaData(), partitioned=False)
            plain.create(connection)
            for column in layout.columns:
                if column.role in ("pseudonym", "key"):  # then: the database's collation
                    connection.exec_driver_sql(
                        f"ALTER TABLE {layout.table_name} ALTER COLUMN {column.name} "
                        'TYPE varchar(64) COLLATE "default"'
                    )
            connection.execute(insert(plain), [{k: v for k, v in r.items()} for r in before])
        assert _partitions(pg, layout.table_name) == []
        # The hub opens the table as a new process would.
        DatasetTables(pg).get(policies.agreements[EARLY], policies.contracts[ATTENDANCE])
    (legacy,) = _partitions(pg, layout.table_name)
    assert legacy.startswith("ds_legacy_")
    assert visible_rows(pg, EARLY, ATTENDANCE) == before
    second = process(
        app, uploader(SCHOOL), EARLY, ATTENDANCE,
        to_csv(ATTENDANCE_HEADER, attendance_rows(pupils(12, seed=4))),
    )  # fmt: skip
    assert second.status == "published", second.report
    assert len(visible_rows(pg, EARLY, ATTENDANCE)) == len(before) + second.counts["accepted"]
    with app.app_context(), db.unit_of_work() as session:
        from hub.store import delete_rows

        assert delete_rows(session, first) == len(before)
    assert len(visible_rows(pg, EARLY, ATTENDANCE)) == second.counts["accepted"]
