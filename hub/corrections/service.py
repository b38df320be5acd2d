"""Row-level corrections from a dataset's provider: rectify, erase, restrict (UK GDPR Art.
16-18, DPA 2018 s.46-47), and the notices they owe (Art. 19, s.48). Whole-upload withdrawals
and replacements are corrections too (`rows_removed`, called by ingest in its transaction).

One correction batch is one transaction: the rows change, the erasure registry clears every
side table of an erased row, the correction is recorded, one notice per recipient is made (with
its webhook deliveries), and one `dataset.corrected` audit event (a DPA 2018 s.62 *alteration*
or *erasure* entry: counts and row numbers, never a value) is appended. Anything wrong, and
nothing changes.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from flask import current_app
from sqlalchemy import Connection, MetaData, Table, and_, func, inspect, select, update

from hub import audit, clock, db
from hub.agreements import Agreement, Resource, current_policies, decide, enforce
from hub.audit import NewEvent
from hub.auth import Identity
from hub.corrections.parse import Item, parse_corrections
from hub.corrections.recipients import (
    Told,
    aggregate_recipients,
    cells_of_row,
    people_of_row,
    person_recipients,
)
from hub.db.models import Correction, Upload
from hub.errors import NotFound, ValidationFailed
from hub.ingest import ChunkTransformer, keyring, map_header
from hub.notify import NoticePlan, SubjectPlan, record_notices
from hub.store import (
    RESTRICTED_AT,
    ROW,
    UPLOAD_ID,
    ErasedRow,
    build_table,
    dataset_tables,
    layout_for,
    loader_for,
    row_keyed_tables,
    upload_table,
)
from hub.store.erasure import delete_dataset_row
from hub.views import ViewSpec, all_views

ACTION = "dataset.correct"
EVENT = "dataset.corrected"
# The legal ground of a batch, and the operations each allows.
LEGAL_GROUNDS: dict[str, tuple[str, ...]] = {
    "uk-gdpr-art16": ("rectify",),  # right to rectification
    "uk-gdpr-art17": ("erase",),  # right to erasure
    "uk-gdpr-art18": ("restrict",),  # right to restriction
    "dpa2018-s46": ("rectify", "restrict"),  # rectify; restrict where evidence must be kept
    "dpa2018-s47": ("erase", "restrict"),  # erase; restrict instead
    "court-order": ("rectify", "erase", "restrict"),
    "provider-error": ("rectify", "erase", "restrict"),  # the provider found its own mistake
}
CHANGE = {"rectify": "rectified", "erase": "erased", "restrict": "restricted"}
# What may look like an identifier in a reason: long digit runs (NHS numbers, with or
# without spaces), UPN-like and PNC-like shapes, and postcodes. A reason is free text that
# goes into the audit log, which holds no identifier.
_LOOKS_LIKE_ID = re.compile(
    r"(\d[\s-]?){6,}|\b[A-Z]\d{11}[0-9A-Z]\b|\b\d{2,4}/\d{4,8}[A-Z]\b"
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class CorrectionOut:
    correction: Correction
    notices: int
    recipients: tuple[str, ...]


RecordRefResolver = Any  # (connection, agreement_id, dataset, partner, ref) -> (upload, row)
_RESOLVER = "hub.corrections.record_ref"


def set_record_ref_resolver(app, resolver: RecordRefResolver) -> None:
    """The hook for rows named by the contract's record reference (`_record_ref`): a function
    `(connection, *, agreement_id, dataset, partner, record_ref) -> (upload_id, row) | None`.
    Until one is set, `_record_ref` is refused and rows are named by upload and row."""
    app.extensions[_RESOLVER] = resolver


def check_reason(reason: str | None, legal_ground: str | None, ops: set[str]) -> None:
    reason = (reason or "").strip()
    if not reason or len(reason) > 1000:
        raise ValidationFailed(
            "Say why, in `reason` (1 to 1000 characters): it goes into the s.62 log.",
            code="reason_required",
        )
    if _LOOKS_LIKE_ID.search(reason):
        raise ValidationFailed(
            "`reason` looks as if it holds an identifier (a long number, a UPN, a PNC ID or a "
            "postcode). Say why without naming the person: the rows are named by reference.",
            code="reason_has_identifier",
        )
    if legal_ground not in LEGAL_GROUNDS:
        raise ValidationFailed(
            f"`legal_ground` is one of: {', '.join(LEGAL_GROUNDS)}.", code="legal_ground_required"
        )
    refused = sorted(ops - set(LEGAL_GROUNDS[legal_ground]))
    if refused:
        raise ValidationFailed(
            f"Legal ground `{legal_ground}` does not cover {', '.join(refused)}; it covers "
            f"{', '.join(LEGAL_GROUNDS[legal_ground])}. Send those in another batch.",
            code="legal_ground_mismatch",
        )


def correct_rows(
    *,
    identity: Identity,
    agreement_id: str,
    dataset: str,
    data: bytes,
    media_type: str | None,
    reason: str | None,
    legal_ground: str | None,
    request_id: str = "",
) -> CorrectionOut:
    """Apply a corrections file (hub/corrections/parse.py) as one transaction."""
    resource = Resource(kind="dataset", agreement_id=agreement_id, dataset=dataset)
    audit.note(action=ACTION, resource=resource.label)
    enforce(decide(identity, ACTION, resource))
    items, columns = parse_corrections(data, media_type)
    check_reason(reason, legal_ground, {i.op for i in items})
    policies = current_policies()
    agreement = policies.agreements[agreement_id]
    contract = policies.contracts[dataset]
    layout, table = dataset_tables().get(agreement, contract)
    new_rows = _transform(items, columns, agreement, contract, layout)
    correction_id = str(uuid.uuid4())
    with db.unit_of_work() as session:
        connection = session.connection()
        located = _locate(connection, session, items, identity, agreement_id, dataset)
        told: dict[str, Told] = defaultdict(Told)
        erased: set[str] = set()
        counts = {"rectify": 0, "erase": 0, "restrict": 0}
        touched = []
        now = clock.now()
        for item in items:
            upload, row = located[item.line]
            old = _row(connection, table, upload.id, row)
            if old is None:
                raise ValidationFailed(
                    f"Line {item.line}: upload {upload.id} has no row {row} (set aside at "
                    "ingest, or erased already); nothing was changed.",
                    code="row_not_found",
                    extra={"line": item.line},
                )
            new = new_rows.get(item.line)
            _tell(connection, told, agreement, dataset, old, CHANGE[item.op], upload, new)
            if item.op == "rectify":
                _rectify(connection, table, upload.id, row, old, new)
            elif item.op == "restrict":
                connection.execute(
                    update(table)
                    .where(and_(table.c[UPLOAD_ID] == upload.id, table.c[ROW] == row))
                    .values({RESTRICTED_AT: now})
                )
            else:
                erased |= _erase(connection, agreement, dataset, layout, upload.id, row, old)
            counts[item.op] += 1
            touched.append({"op": item.op, "upload_id": upload.id, "row": row})
        correction = Correction(
            id=correction_id,
            agreement_id=agreement_id,
            dataset=dataset,
            partner_id=identity.partner,
            client_id=identity.client_id,
            request_id=request_id,
            kind="rows",
            reason=reason.strip(),
            legal_ground=legal_ground,
            counts=counts,
            rows=touched,
            created_at=now,
        )
        session.add(correction)
        session.flush()
        notices = record_notices(
            session,
            correction_id=correction_id,
            agreement_id=agreement_id,
            dataset=dataset,
            plans=_plans(told, agreement.linkage_domain),
            erased=erased,
        )
        recipients = tuple(sorted(n.recipient_partner for n in notices))
        audit.append(
            session,
            _event(correction, identity, request_id, recipients, len(notices)),
        )
        session.expunge(correction)
    audit.note(details={"correction": correction_id, "counts": counts, "notices": len(notices)})
    return CorrectionOut(correction, len(notices), recipients)


def _event(correction: Correction, actor, request_id: str, recipients, notices: int) -> NewEvent:
    counts = correction.counts
    kinds = []
    if counts.get("rectify") or counts.get("restrict") or correction.kind == "replace":
        kinds.append("alteration")
    if counts.get("erase") or correction.kind == "withdraw":
        kinds.append("erasure")
    return NewEvent(
        action=EVENT,
        resource=f"dataset:{correction.agreement_id}/{correction.dataset}",
        outcome="allowed",
        reason=correction.reason,
        request_id=request_id or "",
        actor=actor,
        details={
            "correction": correction.id,
            "kind": correction.kind,
            "agreement": correction.agreement_id,
            "dataset": correction.dataset,
            "upload_id": correction.upload_id,
            "counts": counts,
            "legal_ground": correction.legal_ground,
            "s62": kinds,
            "uploads": sorted({r["upload_id"] for r in correction.rows})[:50],
            "recipients": list(recipients),
            "notices": notices,
        },
    )


# -- steps ------------------------------------------------------------------------------------


def _transform(items: list[Item], columns, agreement: Agreement, contract, layout):
    """The rectified rows as the store keeps them (checked and pseudonymised as at ingest):
    line -> {column: value}. Refuses the batch if any fails its contract."""
    rectify = [i for i in items if i.op == "rectify"]
    if not rectify:
        return {}
    header = map_header(
        list(columns),
        list(contract.column_names),
        set(contract.header_columns),
        aliases=contract.header_aliases,
        where="the corrections file's header",
    )
    found = header.found
    data = {
        name: [
            i.values.get(found[header.positions[name]]) if name in header.positions else None
            for i in rectify
        ]
        for name in contract.column_names
    }
    index = pd.Index([i.line for i in rectify], name=ROW)
    frame = pd.DataFrame(data, index=index, columns=list(contract.column_names), dtype=object)
    transform = ChunkTransformer(
        contract=contract, layout=layout, domain=agreement.linkage_domain, keyring=keyring()
    )
    result = transform(frame)
    if result.failures or result.checks_not_run:
        problems = [
            {"line": f["row"], "column": f["column"], "check": f["check"], "message": f["message"]}
            for f in result.failures[:100]
        ]
        raise ValidationFailed(
            f"{result.invalid_rows} rectified row(s) fail their contract; nothing was changed.",
            code="corrections_invalid",
            extra={"problems": problems, "checks_not_run": result.checks_not_run},
        )
    out = {}
    for position, line in enumerate(result.rows.tolist()):
        out[line] = {n: result.columns[k][position] for k, n in enumerate(result.names)}
    return out


def _locate(connection: Connection, session, items, identity, agreement_id, dataset):
    """line -> (upload, row), each upload the caller's, of this dataset, published."""
    resolver = current_app.extensions.get(_RESOLVER)
    out: dict[int, tuple[Upload, int]] = {}
    seen: set[tuple[str, int]] = set()
    uploads: dict[str, Upload | None] = {}
    for item in items:
        upload_id, row = item.upload_id, item.row
        if item.record_ref and not (upload_id and row is not None):
            if resolver is None:
                raise ValidationFailed(
                    f"Line {item.line}: this hub does not keep record references yet; name the "
                    "row by `_upload_id` and `_row`.",
                    code="record_ref_unsupported",
                    extra={"line": item.line},
                )
            found = resolver(
                connection,
                agreement_id=agreement_id,
                dataset=dataset,
                partner=identity.partner,
                record_ref=item.record_ref,
            )
            if found is None:
                raise ValidationFailed(
                    f"Line {item.line}: no published row has that record reference.",
                    code="row_not_found",
                    extra={"line": item.line},
                )
            upload_id, row = found
        if upload_id not in uploads:
            try:
                uuid.UUID(upload_id)
                uploads[upload_id] = session.get(
                    Upload, upload_id, with_for_update=db.is_postgres(session)
                )
            except ValueError:
                uploads[upload_id] = None
        upload = uploads[upload_id]
        if (
            upload is None
            or upload.partner_id != identity.partner
            or (upload.agreement_id, upload.dataset) != (agreement_id, dataset)
        ):
            raise NotFound(
                f"Line {item.line}: there is no upload {upload_id} of `{dataset}` under "
                f"`{agreement_id}` that your organisation sent.",
                extra={"line": item.line},
            )
        if upload.status != "published":
            raise ValidationFailed(
                f"Line {item.line}: upload {upload_id} is `{upload.status}`, not published: "
                "its rows are not shared, so there is nothing to correct.",
                code="upload_not_published",
                extra={"line": item.line},
            )
        if (upload_id, row) in seen:
            raise ValidationFailed(
                f"Line {item.line}: row {row} of upload {upload_id} is corrected twice in this "
                "file; send one correction per row.",
                code="row_twice",
                extra={"line": item.line},
            )
        seen.add((upload_id, row))
        out[item.line] = (upload, row)
    return out


def _row(connection: Connection, table: Table, upload_id: str, row: int) -> dict | None:
    found = connection.execute(
        select(table).where(and_(table.c[UPLOAD_ID] == upload_id, table.c[ROW] == row))
    ).first()
    return None if found is None else dict(found._mapping)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _rectify(connection, table: Table, upload_id: str, row: int, old: dict, new: dict) -> None:
    """The corrected row in place of the old one, under the same (upload, row)."""
    connection.execute(
        table.delete().where(and_(table.c[UPLOAD_ID] == upload_id, table.c[ROW] == row))
    )
    names = list(new)
    loader_for(connection).load(
        connection,
        table,
        upload_id=upload_id,
        rows=np.array([row], dtype=np.int64),
        expires_at=_aware(old["_expires_at"]),
        names=names,
        columns=[[new[n]] for n in names],
    )
    if old.get(RESTRICTED_AT) is not None:  # a rectified restricted row stays restricted
        connection.execute(
            update(table)
            .where(and_(table.c[UPLOAD_ID] == upload_id, table.c[ROW] == row))
            .values({RESTRICTED_AT: old[RESTRICTED_AT]})
        )


def _pseudonyms(layout, row: dict) -> set[str]:
    return {row[c.name] for c in layout.columns if c.role == "pseudonym" and row.get(c.name)}


def _erase(connection, agreement: Agreement, dataset: str, layout, upload_id, row, old) -> set[str]:
    """Delete the row and clear every registered side table; the pseudonyms no row holds any
    more (they are kept nowhere, not even in the notices)."""
    pseudonyms = _pseudonyms(layout, old)
    erased = ErasedRow(
        agreement_id=agreement.id,
        dataset=dataset,
        linkage_domain=agreement.linkage_domain,
        upload_id=upload_id,
        row=row,
        pseudonyms=frozenset(pseudonyms),
    )
    delete_dataset_row(connection, erased)
    gone = frozenset(p for p in pseudonyms if not _still_held(connection, agreement, p))
    erased = ErasedRow(**{**erased.__dict__, "gone": gone})
    row_keyed_tables().erase(connection, erased)
    return set(gone)


def _peek(connection, agreement: Agreement, dataset: str):
    """(layout, table) of a dataset table of `agreement`, if it exists; read through the
    caller's connection. (dataset_tables().get would create a missing table on another
    connection, which on SQLite waits for this transaction's write lock.)"""
    layout = layout_for(agreement, current_policies().contracts[dataset])
    if not inspect(connection).has_table(layout.table_name):
        return None, None
    return layout, build_table(layout, MetaData())


def _still_held(connection, agreement: Agreement, pseudonym: str) -> bool:
    for ds in sorted({share.dataset for share in agreement.datasets}):
        layout, table = _peek(connection, agreement, ds)
        if table is None:
            continue
        for column in layout.columns:
            if column.role != "pseudonym":
                continue
            found = connection.execute(
                select(table.c[UPLOAD_ID]).where(table.c[column.name] == pseudonym).limit(1)
            ).first()
            if found is not None:
                return True
    return False


def _views_reading(agreement_id: str, dataset: str) -> list[ViewSpec]:
    return [
        v
        for v in all_views()
        if v.agreement == agreement_id and any(s.dataset == dataset for s in v.sources)
    ]


def _tell(
    connection,
    told: dict[str, Told],
    agreement: Agreement,
    dataset: str,
    old: dict,
    change: str,
    upload: Upload,
    new: dict | None = None,
) -> None:
    """Add what each recipient must be told of one row's change to `told`."""

    def table_of(ds: str) -> Table | None:
        return _peek(connection, agreement, ds)[1]

    since = _aware(upload.finished_at) if upload.finished_at else None
    today = clock.today()
    for view in _views_reading(agreement.id, dataset):
        if view.kind == "person":
            keys = people_of_row(connection, view, dataset, old, table_of)
            found = person_recipients(
                connection, view, linkage_domain=agreement.linkage_domain, keys=keys, since=since
            )
            for partner, people in found.items():
                for pseudonym, request_ids in people.items():
                    told[partner].add_person(view.id, pseudonym, change, request_ids)
        elif view.kind == "aggregate":
            # A forecast (kind: forecast) shows zones of places, not the cells a query chose;
            # its recipients are not told per row (docs/corrections.md).
            cells = cells_of_row(view, dataset, old, today)
            if new is not None:
                cells += [c for c in cells_of_row(view, dataset, new, today) if c not in cells]
            for partner, (covered, request_ids) in aggregate_recipients(
                connection, view, cells=cells, since=since, today=today
            ).items():
                for cell in covered:
                    told[partner].add_cell(view.id, cell, request_ids)


def _plans(told: dict[str, Told], linkage_domain: str) -> list[NoticePlan]:
    plans = []
    for partner, what in sorted(told.items()):
        subjects = [
            SubjectPlan(
                kind="person",
                view_id=view,
                change=change,
                linkage_domain=linkage_domain,
                pseudonym=pseudonym,
                request_ids=sorted(ids),
            )
            for (view, pseudonym), (change, ids) in sorted(what.people.items())
        ]
        subjects += [
            SubjectPlan(
                kind="cells",
                view_id=view,
                change="counts_changed",
                cells=cells,
                request_ids=sorted(ids),
            )
            for view, (cells, ids) in sorted(what.cells.items())
        ]
        if not subjects:
            continue
        changes = {s.change for s in subjects if s.kind == "person"}
        if not changes:
            kind = "aggregate.changed"
        elif len(changes) == 1:
            kind = f"record.{changes.pop()}"
        else:
            kind = "record.corrected"
        plans.append(NoticePlan(partner, kind, subjects))
    return plans


# -- whole uploads ------------------------------------------------------------------------------


def _rows_of(connection: Connection, table: Table, upload_id: str):
    """A select of one upload's rows. On PostgreSQL an upload being published is not yet
    attached to its dataset table (hub.store.partitions): read its own table then."""
    if db.is_postgres(connection):
        own = upload_table(table, upload_id)
        found = connection.execute(select(func.to_regclass(own.name))).scalar()
        if found is not None:
            return select(own)
    return select(table).where(table.c[UPLOAD_ID] == upload_id)


def rows_removed(session, upload: Upload, *, kind: str, actor, replacement=None) -> None:
    """ingest's listener (hub.ingest.on_rows_removed): a published upload is being withdrawn
    or replaced, in `session`'s transaction. Its recipients are told of every row that goes
    (withdraw) or that the replacement does not hold unchanged (replace)."""
    policies = current_policies()
    agreement = policies.agreements.get(upload.agreement_id)
    contract = policies.contracts.get(upload.dataset)
    if agreement is None or contract is None:
        return
    layout, table = dataset_tables().get(agreement, contract)
    connection = session.connection()
    internal = {UPLOAD_ID, ROW, "_expires_at", RESTRICTED_AT}

    def content(row: dict) -> tuple:
        return tuple(sorted((k, v) for k, v in row.items() if k not in internal))

    kept: set[tuple] = set()
    if replacement is not None:
        for found in connection.execute(_rows_of(connection, table, replacement.id)):
            kept.add(content(dict(found._mapping)))
    told: dict[str, Told] = defaultdict(Told)
    changed = 0
    for found in connection.execute(select(table).where(table.c[UPLOAD_ID] == upload.id)):
        row = dict(found._mapping)
        if replacement is not None and content(row) in kept:
            continue
        changed += 1
        change = "erased" if kind == "withdraw" else "rectified"
        _tell(connection, told, agreement, upload.dataset, row, change, upload)
    now = clock.now()
    correction = Correction(
        id=str(uuid.uuid4()),
        agreement_id=upload.agreement_id,
        dataset=upload.dataset,
        partner_id=upload.partner_id,
        client_id=getattr(actor, "client_id", None) or (actor or {}).get("client") or "",
        request_id=(replacement.request_id if replacement is not None else None) or "",
        kind=kind,
        upload_id=upload.id,
        reason=(
            "Upload withdrawn by its sender."
            if kind == "withdraw"
            else f"Upload replaced by upload {replacement.id}."
        ),
        legal_ground="provider-error",
        counts={"withdraw" if kind == "withdraw" else "replace": changed},
        rows=[],
        created_at=now,
    )
    session.add(correction)
    session.flush()
    notices = record_notices(
        session,
        correction_id=correction.id,
        agreement_id=upload.agreement_id,
        dataset=upload.dataset,
        plans=_plans(told, agreement.linkage_domain),
    )
    audit.append(
        session,
        _event(
            correction,
            actor,
            correction.request_id,
            tuple(sorted(n.recipient_partner for n in notices)),
            len(notices),
        ),
    )
