"""The ingest pipeline end to end at the service level, on SQLite and PostgreSQL: submit ->
worker thread -> published or rejected, with the report a sender can act on."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from hub.store import table_name

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
    events,
    police_bytes,
    police_rows,
    police_variant,
    process,
    pupils,
    staged_rows,
    to_csv,
    uploader,
    visible_rows,
)

HEX64 = re.compile(r"^[0-9a-f]{64}$")


def test_the_real_police_month_publishes_every_row(app, engine):
    identity = uploader(POLICE)
    upload = process(app, identity, HOTSPOTS, STREET, police_bytes(), filename="street.csv")

    assert upload.status == "published", upload.cause
    assert upload.counts == {"read": 688, "accepted": 688, "rejected": 0}
    assert upload.report["row_failures"] == []
    assert upload.report["progress"]["stage"] == "published"
    assert upload.report["progress"]["rows_read"] == 688
    assert {c["rule"]: c["success"] for c in upload.report["dataset_checks"]} == {
        "Crime ID is unique": True,
        "not empty": True,
        "mostly located": True,
        "known outcome categories": True,
    }
    assert upload.started_at and upload.finished_at and upload.finished_at >= upload.started_at

    rows = visible_rows(engine, HOTSPOTS, STREET)
    assert len(rows) == 688
    # Anti-social behaviour rows have no Crime ID, as published.
    assert sum(1 for r in rows if r["crime_id"] is None) == 9
    expires = upload.created_at + timedelta(days=365)
    assert {r["_upload_id"] for r in rows} == {upload.id}
    assert {as_utc(r["_expires_at"]) for r in rows} == {expires}
    # Only what some recipient may see is stored: not Reported by, Falls within, Context.
    assert "reported_by" not in rows[0] and "context" not in rows[0]
    assert rows[0]["longitude"] == pytest.approx(-0.196207)

    published = events(app, "upload.published")
    assert len(published) == 1
    details = published[0].details
    assert details["sha256"] == upload.sha256
    assert details["counts"] == upload.counts
    assert published[0].actor_client == identity.client_id
    assert published[0].actor_partner == POLICE
    assert [e.details["upload_id"] for e in events(app, "upload.validated")] == [upload.id]


def test_identifiers_are_stored_as_pseudonyms_and_generalised(app, engine):
    people = pupils(20)
    data = to_csv(ATTENDANCE_HEADER, attendance_rows(people))
    upload = process(app, uploader(SCHOOL), EARLY, ATTENDANCE, data)
    assert upload.status == "published", upload.report
    rows = visible_rows(engine, EARLY, ATTENDANCE)
    assert len(rows) == 20
    row = rows[0]
    assert HEX64.match(row["upn"]) and HEX64.match(row["nhs_number"])
    assert HEX64.match(row["date_of_birth"]) and HEX64.match(row["postcode"])
    assert row["date_of_birth_year_month"] == people[0].date_of_birth[:7]
    assert row["postcode_postcode_district"] == people[0].postcode.split()[0]
    # Names are identifiers no recipient may see: not stored in any form.
    assert not any("name" in column for column in row)
    assert row["sessions_possible"] == 140


def test_invalid_identifiers_are_failed_rows_without_values(app, engine):
    people = pupils(10, seed=7)
    rows = attendance_rows(people)
    rows[3][1] = "943 476 5918"  # NHS number with a wrong check digit
    rows[6][0] = "A12345678901B"  # not a UPN
    rows[8][3] = "Sm1th"  # a name with a digit
    data = to_csv(ATTENDANCE_HEADER, rows)
    upload = process(app, uploader(SCHOOL), EARLY, ATTENDANCE, data)

    # 3 of 10 rows is over the contract's limit: nothing publishes; the report says why.
    assert upload.status == "rejected"
    assert upload.counts == {"read": 10, "accepted": 0, "rejected": 10}
    assert staged_rows(engine, EARLY, ATTENDANCE) == 0
    failures = upload.report["row_failures"]
    by_row = {(f["row"], f["column"], f["check"]) for f in failures}
    assert (5, "nhs_number", "valid_nhs_number") in by_row  # header is row 1
    assert (8, "upn", "valid_upn") in by_row
    assert (10, "surname", "valid_person_name") in by_row
    assert upload.report["invalid_rows"] == 3
    assert all("value" not in f for f in failures)
    text = repr(upload.report) + (upload.cause or "")
    for value in ("943 476 5918", "9434765918", "A12345678901B", "Sm1th"):
        assert value not in text
    assert "3 of 10 rows failed their checks (30.00%); the contract allows" in upload.cause


def test_failed_rows_under_the_limit_are_reported_and_the_rest_publish(app, engine):
    header, rows = police_rows()
    rows = [list(r) for r in rows]
    rows[10][1] = "Feb 2026"  # not yyyy-MM
    rows[20][9] = "Jaywalking"  # not a listed crime type
    upload = process(app, uploader(POLICE), HOTSPOTS, STREET, to_csv(header, rows))

    assert upload.status == "published", upload.cause
    assert upload.counts == {"read": 688, "accepted": 686, "rejected": 2}
    failures = {(f["row"], f["column"], f["check"]) for f in upload.report["row_failures"]}
    assert failures == {(12, "Month", "is_date"), (22, "Crime type", "enum")}
    assert len(visible_rows(engine, HOTSPOTS, STREET)) == 686
    counts = {(c["column"], c["check"]): c["count"] for c in upload.report["failure_counts"]}
    assert counts == {("Month", "is_date"): 1, ("Crime type", "enum"): 1}


def test_too_many_failed_rows_reject_the_whole_upload(app, engine):
    header, rows = police_rows()
    rows = [list(r) for r in rows]
    for row in rows[:10]:  # 10 of 688 is 1.45%; the contract allows 1%
        row[6] = ""  # Location is required
    upload = process(app, uploader(POLICE), HOTSPOTS, STREET, to_csv(header, rows))

    assert upload.status == "rejected"
    assert upload.counts["accepted"] == 0
    assert "10 of 688 rows failed" in upload.cause
    assert staged_rows(engine, HOTSPOTS, STREET) == 0
    assert visible_rows(engine, HOTSPOTS, STREET) == []
    rejected = events(app, "upload.rejected")
    assert [e.details["upload_id"] for e in rejected] == [upload.id]
    assert rejected[0].outcome == "failed"


def test_a_failed_blocking_expectation_rejects(app, engine):
    # One row per pupil per term is a blocking dataset rule of the contract.
    people = pupils(5, seed=3)
    rows = attendance_rows(people) + attendance_rows(people[:1])
    upload = process(app, uploader(SCHOOL), EARLY, ATTENDANCE, to_csv(ATTENDANCE_HEADER, rows))

    assert upload.status == "rejected"
    assert "dataset check `one row per pupil per term` failed" in upload.cause
    check = next(
        c for c in upload.report["dataset_checks"] if c["rule"] == "one row per pupil per term"
    )
    assert check["success"] is False and check["blocking"] is True
    assert staged_rows(engine, EARLY, ATTENDANCE) == 0


def test_a_header_only_file_is_rejected(app, engine):
    header, _ = police_rows()
    upload = process(app, uploader(POLICE), HOTSPOTS, STREET, to_csv(header, []))
    assert upload.status == "rejected"
    assert upload.report["error"]["code"] == "no_rows"
    assert upload.counts == {"read": 0, "accepted": 0, "rejected": 0}


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda text: text.replace("Crime type,", "Crime kind,", 1), "missing_columns"),
        (lambda text: text + 'x,"unclosed\n', "unbalanced_quotes"),
        (lambda text: text + "a,b,c\n", "ragged_row"),
    ],
    ids=["missing-column", "unbalanced-quotes", "ragged-row"],
)
def test_files_that_do_not_parse_are_rejected_with_the_parse_error(app, engine, mutate, code):
    data = mutate(police_bytes().decode()).encode()
    upload = process(app, uploader(POLICE), HOTSPOTS, STREET, data)
    assert upload.status == "rejected"
    assert upload.report["error"]["code"] == code
    assert upload.cause.startswith("Nothing was published")
    assert staged_rows(engine, HOTSPOTS, STREET) == 0


def test_a_wrongly_encoded_file_is_rejected(app, engine):
    data = police_bytes().decode().encode("utf-16")
    upload = process(app, uploader(POLICE), HOTSPOTS, STREET, data)
    assert upload.status == "rejected"
    assert upload.report["error"]["code"] == "bad_encoding"


def test_dataset_tables_are_named_safely():
    assert table_name(HOTSPOTS, STREET) == "ds_crime_asb_hotspots__police_street_crime"
    long = table_name("a" * 100, "b" * 100)
    assert len(long) <= 63 and long != table_name("a" * 100, "b" * 99)


def test_the_spooled_file_is_removed_once_processed(app):
    upload = process(app, uploader(POLICE), HOTSPOTS, STREET, police_variant(30)[0])
    assert upload.status == "published"
    spool_dir = app.extensions["hub.settings"].effective_spool_dir
    assert list(spool_dir.glob("*")) == []


def test_duplicate_keys_within_an_upload_fail_the_later_rows(app, engine):
    header, rows = police_rows()
    rows = [list(r) for r in rows] + [list(rows[0]), list(rows[1])]
    upload = process(app, uploader(POLICE), HOTSPOTS, STREET, to_csv(header, rows))

    assert upload.status == "published", upload.cause
    assert upload.counts == {"read": 690, "accepted": 688, "rejected": 2}
    failures = [(f["row"], f["check"]) for f in upload.report["row_failures"]]
    assert failures == [(690, "duplicate_in_upload"), (691, "duplicate_in_upload")]
    assert "row 2 of this file" in upload.report["row_failures"][0]["message"]
    assert len(visible_rows(engine, HOTSPOTS, STREET)) == 688


def test_duplicate_keys_across_published_uploads_fail(app, engine):
    first_bytes, ids = police_variant(50, seed=1)
    first = process(app, uploader(POLICE), HOTSPOTS, STREET, first_bytes)
    assert first.status == "published"

    header, real = police_rows()
    rows = [list(r) for r in real if r[0]][:300]
    for number, row in enumerate(rows):
        row[0] = f"{number:064x}"
    rows[0][0], rows[1][0] = ids[3], ids[4]  # two ids already published
    second = process(app, uploader(POLICE), HOTSPOTS, STREET, to_csv(header, rows))

    assert second.status == "published", second.cause
    checks = [(f["row"], f["check"]) for f in second.report["row_failures"]]
    assert checks == [(2, "duplicate_of_published"), (3, "duplicate_of_published")]
    assert first.id in second.report["row_failures"][0]["message"]
    assert len(visible_rows(engine, HOTSPOTS, STREET)) == 50 + 298


def test_an_agreement_suspended_while_an_upload_is_processed_stops_it_publishing(
    app, engine, monkeypatch
):
    from hub import agreements, audit
    from hub.ingest import pipeline

    from .ingest_support import officer, upload_of, visible_rows, wait_all
    from .ingest_support import submit as submit_upload

    checks = pipeline._Run._check

    def suspended_during_the_checks(run):
        found = checks(run)
        agreements.suspend(
            officer(POLICE),
            HOTSPOTS,
            reason="Data breach under investigation.",
            record=audit.append,
        )
        return found

    monkeypatch.setattr(pipeline._Run, "_check", suspended_during_the_checks)
    upload, _ = submit_upload(app, uploader(POLICE), HOTSPOTS, STREET, police_bytes())
    wait_all(app)

    ended = upload_of(app, upload.id)
    assert ended.status == "failed"
    assert f"agreement `{HOTSPOTS}` is suspended" in ended.cause
    assert "Send the file again once the agreement is active" in ended.cause
    assert visible_rows(engine, HOTSPOTS, STREET) == []
    assert staged_rows(engine, HOTSPOTS, STREET, upload.id) == 0
    assert [e.reason for e in events(app, "upload.failed")] != []
