"""Helpers for the ingest tests: identities, files, submitting, waiting, reading rows."""

from __future__ import annotations

import csv
import io
import random
import secrets
import string
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, MetaData, Table, create_engine, func, select, text
from sqlmodel import Session

from hub import db
from hub.auth import Identity
from hub.db.models import AuditEvent, Upload
from hub.ingest import embedded_runner, spool, submit_upload
from hub.pseudonymise import nhs_check_digit, upn_check_letter
from hub.store import table_name, upload_table_name
from tests.data import POLICE_STREET_CSV

POLICE_FILE = POLICE_STREET_CSV
HOTSPOTS = "crime-asb-hotspots"
STREET = "police-street-crime"
EARLY = "early-intervention-young-people"
ATTENDANCE = "school-attendance"
POLICE = "northshire-police"
SCHOOL = "riverside-academy"


def uploader(partner: str, client_id: str | None = None) -> Identity:
    return Identity(client_id or f"client-{secrets.token_hex(4)}", partner, frozenset({"uploader"}))


def officer(partner: str) -> Identity:
    return Identity(f"ig-{secrets.token_hex(4)}", partner, frozenset({"ig_officer"}))


def submit(app, identity: Identity, agreement: str, dataset: str, data: bytes, **kwargs):
    """submit_upload of `data` as a spooled file; returns (upload, created)."""
    settings = app.extensions["hub.settings"]
    media_type = kwargs.pop("media_type", "text/csv")
    with app.app_context():
        spooled = spool(
            io.BytesIO(data),
            spool_dir=settings.effective_spool_dir,
            max_bytes=settings.max_upload_bytes,
        )
        return submit_upload(
            identity=identity,
            agreement_id=agreement,
            dataset=dataset,
            spooled=spooled,
            media_type=media_type,
            **kwargs,
        )


def wait_all(app, timeout: float = 120) -> None:
    assert embedded_runner(app).drain(timeout), "uploads still running"


def upload_of(app, upload_id: str) -> Upload:
    with reading(db.get_engine(app)) as connection, Session(bind=connection) as session:
        upload = session.get(Upload, upload_id)
        session.expunge_all()
        return upload


def process(app, identity, agreement, dataset, data: bytes, **kwargs) -> Upload:
    """Submit and wait for the embedded workers; the upload as it ended."""
    upload, _ = submit(app, identity, agreement, dataset, data, **kwargs)
    wait_all(app)
    return upload_of(app, upload.id)


@contextmanager
def reading(engine) -> Iterator[Connection]:
    """A connection that only reads. On SQLite it does not take the write lock (the hub's
    engine begins every transaction IMMEDIATE), so it reads while a worker holds that lock."""
    if engine.dialect.name != "sqlite":
        with engine.connect() as connection:
            yield connection
        return
    reader = create_engine(engine.url)
    try:
        with reader.connect() as connection:
            yield connection
    finally:
        reader.dispose()


def dataset_table(connection, agreement: str, dataset: str) -> Table:
    return Table(table_name(agreement, dataset), MetaData(), autoload_with=connection)


def staged_rows(engine, agreement: str, dataset: str, upload_id: str | None = None) -> int:
    """Rows stored for the dataset, visible or not: in the dataset table, and on PostgreSQL
    in the upload's own table while it is not attached (hub.store.partitions)."""
    with reading(engine) as connection:
        table = dataset_table(connection, agreement, dataset)
        query = select(func.count()).select_from(table)
        if upload_id:
            query = query.where(table.c._upload_id == upload_id)
        count = connection.execute(query).scalar_one()
        if upload_id and engine.dialect.name == "postgresql":
            own = upload_table_name(upload_id)
            attached = connection.execute(
                text(
                    "SELECT to_regclass(:n) IS NOT NULL, EXISTS (SELECT 1 FROM pg_inherits "
                    "WHERE inhrelid = to_regclass(:n))"
                ),
                {"n": own},
            ).one()
            if attached[0] and not attached[1]:
                count += connection.exec_driver_sql(f"SELECT count(*) FROM {own}").scalar_one()
        return count


def visible_rows(engine, agreement: str, dataset: str) -> list[dict]:
    """What a reader sees: rows of published uploads only (docs/SEAMS.md, visibility)."""
    uploads = Upload.__table__
    with reading(engine) as connection:
        table = dataset_table(connection, agreement, dataset)
        query = (
            select(table)
            .join(uploads, uploads.c.id == table.c._upload_id)
            .where(uploads.c.status == "published")
            .order_by(table.c._upload_id, table.c._row)
        )
        return [dict(row._mapping) for row in connection.execute(query)]


def as_utc(moment: datetime) -> datetime:
    """A datetime read back from a reflected table: SQLite gives it without its zone (UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def events(app, action: str) -> list[AuditEvent]:
    with app.app_context(), db.read_only() as session:
        return list(
            session.execute(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.index)
            ).scalars()
        )


# -- police street crime ------------------------------------------------------------------------


def police_bytes() -> bytes:
    return POLICE_FILE.read_bytes()


def police_rows() -> tuple[list[str], list[list[str]]]:
    with open(POLICE_FILE, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def police_variant(n: int | None = None, *, seed: int = 0) -> tuple[bytes, list[str]]:
    """A street-crime file made from the real one, with fresh Crime IDs (so that it clashes
    with no other upload); returns the bytes and the Crime IDs."""
    header, rows = police_rows()
    rng = random.Random(seed)
    rows = [list(r) for r in rows if r[0]][: n or None]
    ids = []
    for row in rows:
        row[0] = f"{rng.getrandbits(256):064x}"
        ids.append(row[0])
    return to_csv(header, rows), ids


def to_csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


# -- school attendance (identifiers) ----------------------------------------------------------

ATTENDANCE_HEADER = [
    "upn",
    "nhs_number",
    "forename",
    "surname",
    "date_of_birth",
    "postcode",
    "academic_year",
    "term",
    "sessions_possible",
    "sessions_authorised_absence",
    "sessions_unauthorised_absence",
]
_POSTCODE_AREAS = ["NE1", "SW1A", "M1", "B33", "LS6", "CR2"]
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass
class Pupil:
    upn: str
    nhs_number: str
    forename: str
    surname: str
    date_of_birth: str
    postcode: str

    def identifiers(self) -> list[str]:
        return [
            self.upn,
            self.nhs_number,
            self.forename,
            self.surname,
            self.date_of_birth,
            self.postcode,
        ]


def pupil(rng: random.Random) -> Pupil:
    while True:
        first9 = "".join(rng.choice(string.digits) for _ in range(9))
        check = nhs_check_digit(first9)
        if check is not None and len(set(first9)) > 1:
            break
    nhs = f"{first9[:3]} {first9[3:6]} {first9[6:]}{check}"
    last12 = "".join(rng.choice(string.digits) for _ in range(12))
    upn = upn_check_letter(last12) + last12
    born = date(2010, 9, 1) + timedelta(days=rng.randrange(4 * 365))
    # Made-up names of rare letter runs, so that a search for them finds nothing by chance.
    forename = "Q" + "".join(rng.choice("xzvkjq") for _ in range(7))
    surname = "Zy" + "".join(rng.choice("qxjvkz") for _ in range(8))
    postcode = (
        f"{rng.choice(_POSTCODE_AREAS)} {rng.randrange(10)}"
        f"{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"
    )
    return Pupil(upn, nhs, forename, surname, born.isoformat(), postcode)


def attendance_rows(pupils: list[Pupil], *, term: str = "autumn") -> list[list[str]]:
    return [
        [
            p.upn,
            p.nhs_number,
            p.forename,
            p.surname,
            p.date_of_birth,
            p.postcode,
            "2025/26",
            term,
            "140",
            "6",
            "2",
        ]
        for p in pupils
    ]


def pupils(n: int, seed: int = 1) -> list[Pupil]:
    rng = random.Random(seed)
    return [pupil(rng) for _ in range(n)]
