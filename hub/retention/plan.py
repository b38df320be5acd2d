"""What a retention run should delete, found with reads only (a dry run stops here).

Two rules, per (dataset table, upload):

- `row_expiry`: rows whose `_expires_at` (received time + the agreement's retention, set at
  load) is at or before `now`. Found through the index on `_expires_at`, so a run reads only
  expired rows, however large the tables.
- `agreement_ended`: every row of an agreement whose end date plus its retention period has
  passed (in UK local time, as agreements are dated). The retention is that of the agreement
  version the upload was shared under when the upload records it, else the current one.

Fail safe: rows are deleted only when an upload record names them, for the table's own
agreement and dataset, and the upload is not being processed; an agreement whose terms are
found neither in policies/ nor in the stored versions is never deleted whole. Anything left
alone is reported, with why.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    case,
    create_engine,
    func,
    inspect,
    select,
)
from sqlmodel.sql.sqltypes import UTCDateTime

from hub import db
from hub.agreements import Policies
from hub.db.models import AgreementRecord, Upload, ViewDisclosure
from hub.retention.report import AGREEMENT_ENDED, ROW_EXPIRY, LeftAlone, Rule
from hub.retention.terms import Terms, TermsBook
from hub.store import is_partition_table, table_name

LONDON = ZoneInfo("Europe/London")
# The dataset tables' internal columns (docs/SEAMS.md, ingest: storage).
UPLOAD_ID = "_upload_id"
EXPIRES_AT = "_expires_at"
TABLE_PREFIX = "ds_"
# Upload statuses (hub/ingest): rows of an upload still in flight are left to the pipeline.
IN_FLIGHT = frozenset({"received", "processing"})
PUBLISHED = "published"
EXPIRED = "expired"
_CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True)
class Target:
    """Rows of one upload in one dataset table that a rule says to delete."""

    agreement: str
    dataset: str
    table: str
    upload_id: str
    rule: Rule
    rows: int  # as counted while planning; the delete counts again
    upload_rows: int  # every row the upload holds in the table
    status: str
    version: str | None
    reason: str

    @property
    def empties_upload(self) -> bool:
        return self.rows >= self.upload_rows


@dataclass(frozen=True)
class DisclosureTarget:
    """The view disclosure records (who saw whom) of an agreement ended beyond retention."""

    agreement: str
    rows: int
    version: str | None
    reason: str


@dataclass
class Plan:
    targets: list[Target] = field(default_factory=list)
    disclosures: list[DisclosureTarget] = field(default_factory=list)
    left_alone: list[LeftAlone] = field(default_factory=list)


def local_day(now: datetime) -> date:
    return now.astimezone(LONDON).date()


def dataset_table(name: str) -> Table:
    """The columns retention reads of a dataset table, from its name alone: rows stay
    removable after the agreement or contract that built the table has changed."""
    return Table(
        name,
        MetaData(),
        Column(UPLOAD_ID, String(36)),
        Column(EXPIRES_AT, UTCDateTime()),
    )


@dataclass(frozen=True)
class UploadInfo:
    id: str
    agreement_id: str
    dataset: str
    status: str
    version: str | None  # the agreement version (content hash) it was shared under, if known


def ended_reason(terms: Terms, retention_days: int) -> str:
    until = terms.end + timedelta(days=retention_days)
    return (
        f"Agreement {terms.agreement_id} ended on {terms.end.isoformat()}; its data may be "
        f"kept {retention_days} days after the end, until {until.isoformat()}: all of it "
        "is deleted."
    )


EXPIRY_REASON = (
    "Rows past their expiry (kept for the agreement's retention period from when they were "
    "received) are deleted."
)


def make_plan(engine: Engine, *, policies: Policies, now: datetime) -> Plan:
    plan = Plan()
    today = local_day(now)
    with _reader(engine) as reader, db.read_only(reader) as session:
        connection = session.connection()
        book = TermsBook(session, policies)
        existing = set(inspect(connection).get_table_names())
        pairs = set(session.execute(select(Upload.agreement_id, Upload.dataset).distinct()).all())
        for agreement in policies.agreements.values():
            pairs.update((agreement.id, share.dataset) for share in agreement.datasets)
        named = {table_name(a, d): (a, d) for a, d in pairs}
        for name in sorted(existing - set(named)):
            # An upload's own table (PostgreSQL) is part of its dataset table, not one.
            if name.startswith(TABLE_PREFIX) and not is_partition_table(name):
                plan.left_alone.append(
                    LeftAlone(
                        None,
                        None,
                        None,
                        None,
                        f"table {name} is named by no upload and no agreement, so its rows "
                        "cannot be attributed; the hub's operators should look at it",
                    )
                )
        unknown: set[str] = set()
        for name, (agreement, dataset) in sorted(named.items()):
            if name not in existing:
                continue
            terms = book.terms(agreement)
            if terms is None and agreement not in unknown and _has_rows(connection, name):
                unknown.add(agreement)
                plan.left_alone.append(
                    LeftAlone(
                        agreement,
                        None,
                        None,
                        None,
                        "neither policies/ nor the stored agreement versions give its end "
                        "date and retention, so only rows past their own expiry are deleted",
                    )
                )
            _plan_table(connection, plan, book, agreement, dataset, name, terms, today, now)
        _plan_disclosures(session, plan, book, policies, today)
    return plan


@contextmanager
def _reader(engine: Engine) -> Iterator[Engine]:
    """An engine for the plan's reads. The hub's SQLite engine begins every transaction
    IMMEDIATE, taking the write lock; planning only reads, so on SQLite it reads through an
    engine of its own that takes no lock (WAL lets it read while others write)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        yield engine
        return
    reader = create_engine(url, connect_args={"timeout": 30})
    try:
        yield reader
    finally:
        reader.dispose()


def _has_rows(connection: Connection, name: str) -> bool:
    table = dataset_table(name)
    return connection.execute(select(table.c[UPLOAD_ID]).limit(1)).first() is not None


def _plan_table(
    connection: Connection,
    plan: Plan,
    book: TermsBook,
    agreement: str,
    dataset: str,
    name: str,
    terms: Terms | None,
    today: date,
    now: datetime,
) -> None:
    table = dataset_table(name)
    expired = case((table.c[EXPIRES_AT] <= now, 1), else_=0)
    if terms is not None and today > terms.end:
        # Ended: some uploads may be past the end plus retention; count every row.
        query = select(table.c[UPLOAD_ID], func.count(), func.sum(expired)).group_by(
            table.c[UPLOAD_ID]
        )
        groups = [(u, n, int(e or 0)) for u, n, e in connection.execute(query)]
    else:
        query = (
            select(table.c[UPLOAD_ID], func.count())
            .where(table.c[EXPIRES_AT] <= now)
            .group_by(table.c[UPLOAD_ID])
        )
        expired_counts = dict(connection.execute(query).all())
        # How many rows each such upload holds in all, through the primary key's index: an
        # upload left with none becomes `expired` (and a dry run says so).
        totals: dict[str, int] = {}
        for chunk in _chunks(list(expired_counts)):
            totals.update(
                connection.execute(
                    select(table.c[UPLOAD_ID], func.count())
                    .where(table.c[UPLOAD_ID].in_(chunk))
                    .group_by(table.c[UPLOAD_ID])
                ).all()
            )
        groups = [(u, totals.get(u, n), n) for u, n in expired_counts.items()]
    if not groups:
        return
    uploads = upload_info(connection, [g[0] for g in groups])
    for upload_id, total, expired_rows in sorted(groups):
        upload = uploads.get(upload_id)
        if upload is None:
            plan.left_alone.append(
                LeftAlone(
                    agreement,
                    dataset,
                    upload_id,
                    total,
                    "no upload record names these rows, so they cannot be attributed and are "
                    "kept; the hub's operators should look at them",
                )
            )
            continue
        if (upload.agreement_id, upload.dataset) != (agreement, dataset):
            plan.left_alone.append(
                LeftAlone(
                    agreement,
                    dataset,
                    upload_id,
                    total,
                    f"the upload record names another table ({upload.agreement_id} / "
                    f"{upload.dataset}), so these rows are kept",
                )
            )
            continue
        version = upload.version
        ended_days = None
        if terms is not None and today > terms.end:
            days = book.retention_days(agreement, version)
            if days is not None and today > terms.end + timedelta(days=days):
                ended_days = days
        if ended_days is None and not expired_rows:
            continue
        if upload.status in IN_FLIGHT:
            plan.left_alone.append(
                LeftAlone(
                    agreement,
                    dataset,
                    upload_id,
                    total if ended_days is not None else expired_rows,
                    f"the upload is still `{upload.status}`; the next run looks again",
                )
            )
            continue
        if ended_days is not None:
            plan.targets.append(
                Target(
                    agreement,
                    dataset,
                    name,
                    upload_id,
                    AGREEMENT_ENDED,
                    total,
                    total,
                    upload.status,
                    version or terms.version,
                    ended_reason(terms, ended_days),
                )
            )
        else:
            plan.targets.append(
                Target(
                    agreement,
                    dataset,
                    name,
                    upload_id,
                    ROW_EXPIRY,
                    expired_rows,
                    total,
                    upload.status,
                    version,
                    EXPIRY_REASON,
                )
            )


def upload_info(connection: Connection, ids: list[str]) -> dict[str, UploadInfo]:
    u = Upload.__table__.c
    columns = (u.id, u.agreement_id, u.dataset, u.status, u.agreement_version)
    found: dict[str, UploadInfo] = {}
    for chunk in _chunks(ids):
        for row in connection.execute(select(*columns).where(u.id.in_(chunk))):
            found[row.id] = UploadInfo(*row)
    return found


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _plan_disclosures(
    session, plan: Plan, book: TermsBook, policies: Policies, today: date
) -> None:
    agreements: set[str] = set(policies.agreements)
    agreements.update(session.execute(select(AgreementRecord.agreement_id).distinct()).scalars())
    disclosures = ViewDisclosure.__table__
    for agreement in sorted(agreements):
        terms = book.terms(agreement)
        if terms is None or not terms.ended_beyond_retention(today):
            continue
        count = session.execute(
            select(func.count())
            .select_from(disclosures)
            .where(disclosures.c.agreement_id == agreement)
        ).scalar_one()
        if count:
            plan.disclosures.append(
                DisclosureTarget(
                    agreement,
                    count,
                    terms.version,
                    ended_reason(terms, terms.retention_days),
                )
            )


def chunks(items: Iterable[str]) -> Iterator[list[str]]:
    return _chunks(list(items))
