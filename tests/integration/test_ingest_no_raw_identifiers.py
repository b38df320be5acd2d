"""Raw identifiers never reach the database or any file the hub keeps (DESIGN decisions 3, 4).

Uploads person-level files (published, rejected for invalid identifiers, withdrawn), then
reads every row of every table as text and every file under instance/, and looks for each
identifier value as sent and in its canonical form.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import MetaData, select

from hub.ingest import withdraw_upload
from hub.pseudonymise import normalise

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
)

KINDS = ("upn", "nhs_number", "person_name", "person_name", "date_of_birth", "postcode")


def test_no_table_or_file_holds_a_raw_identifier(app, engine):
    school = uploader(SCHOOL)
    published_pupils = pupils(40, seed=21)
    published = process(
        app, school, EARLY, ATTENDANCE, to_csv(ATTENDANCE_HEADER, attendance_rows(published_pupils))
    )
    assert published.status == "published"

    rejected_pupils = pupils(10, seed=22)
    rows = attendance_rows(rejected_pupils, term="spring")
    rows[0][1] = "943 476 5918"  # an invalid NHS number
    rejected = process(app, school, EARLY, ATTENDANCE, to_csv(ATTENDANCE_HEADER, rows))
    assert rejected.status == "rejected"

    withdrawn_pupils = pupils(10, seed=23)
    withdrawn = process(
        app,
        school,
        EARLY,
        ATTENDANCE,
        to_csv(ATTENDANCE_HEADER, attendance_rows(withdrawn_pupils, term="summer")),
    )
    with app.app_context():
        withdraw_upload(identity=school, upload_id=withdrawn.id)

    secrets = {"943 476 5918", "9434765918"}
    for person in published_pupils + rejected_pupils + withdrawn_pupils:
        for kind, value in zip(KINDS, person.identifiers(), strict=True):
            secrets.add(value)
            secrets.add(normalise(kind=kind, value=value))
    assert len(secrets) > 300

    found = []
    with reading(engine) as connection:
        metadata = MetaData()
        metadata.reflect(connection)
        assert "ds_early_intervention_young_people__school_attendance" in metadata.tables
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                text = " ".join(_text(value) for value in row)
                found += [(table.name, s) for s in secrets if s in text]
    assert found == []

    settings = app.extensions["hub.settings"]
    assert settings.effective_spool_dir.is_dir()  # the uploads went through the spool
    files = [p for p in settings.instance_path.rglob("*") if p.is_file()]
    if engine.dialect.name == "sqlite":  # the database file and its write-ahead log
        database = Path(engine.url.database)
        files += [p for p in database.parent.glob(database.name + "*") if p.is_file()]
        assert database in files
    for path in files:
        data = path.read_bytes()
        found += [(str(path), s) for s in secrets if s.encode() in data]
    assert found == []


def _text(value) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
