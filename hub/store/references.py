"""Record references: the provider's own reference for each stored row (the contract's
`sourceRecordRef` column, e.g. a force's contact reference), kept apart from the dataset table.

They live in one side table, `record_references`, keyed by (dataset, upload id, row number),
that no view reads (the view loader refuses a view that names the column, and the agreement
checker a recipient field). Each value is sealed with AES-256-GCM under the record-reference
key (hub.keys.Keys.record_reference_key): a 12-byte random nonce, then the ciphertext and tag;
the additional data is the row's key, so a sealed value moved to another row does not open.
The database never holds a reference in clear.

Only an approved re-identification opens them (hub/governance/reidentification.py). Rows
leave with their upload (`delete_rows`), with their retention (`delete_expired_references`)
and one by one (`delete_record_references`, which erasure calls).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, Table, and_, delete, insert, select
from sqlmodel import Session

from hub.db.models import RecordReference

NONCE = 12
_TABLE = RecordReference.__table__
# Rows per statement when reading or deleting many at once.
_BATCH = 500


def _aad(dataset: str, upload_id: str, row: int) -> bytes:
    return f"hub record reference v1|{dataset}|{upload_id}|{int(row)}".encode()


def seal(key: bytes, *, dataset: str, upload_id: str, row: int, reference: str) -> bytes:
    nonce = os.urandom(NONCE)
    return nonce + AESGCM(key).encrypt(
        nonce, reference.encode("utf-8"), _aad(dataset, upload_id, row)
    )


def unseal(key: bytes, *, dataset: str, upload_id: str, row: int, sealed: bytes) -> str | None:
    """The reference, or None if the value does not open under this key for this row."""
    sealed = bytes(sealed)
    try:
        plain = AESGCM(key).decrypt(sealed[:NONCE], sealed[NONCE:], _aad(dataset, upload_id, row))
    except (InvalidTag, ValueError):
        return None
    return plain.decode("utf-8")


def store_record_references(
    connection: Connection,
    *,
    key: bytes,
    dataset: str,
    upload_id: str,
    rows: Sequence[int],
    references: Sequence[str | None],
    expires_at: datetime,
) -> int:
    """Seal and insert the references of a chunk's stored rows (empty ones are skipped), in
    the caller's transaction: they become visible with the rows, or not at all."""
    values = [
        {
            "dataset": dataset,
            "upload_id": upload_id,
            "row": int(row),
            "sealed": seal(key, dataset=dataset, upload_id=upload_id, row=row, reference=ref),
            "expires_at": expires_at,
        }
        for row, ref in zip(rows, references, strict=True)
        if ref is not None and str(ref).strip()
    ]
    if values:
        connection.execute(insert(_TABLE), values)
    return len(values)


def read_record_references(
    connection: Connection,
    *,
    key: bytes,
    dataset: str,
    upload_id: str,
    row_numbers: Iterable[int],
) -> dict[int, str]:
    """Row number -> reference, for the rows of one upload that have one."""
    wanted = sorted({int(r) for r in row_numbers})
    found: dict[int, str] = {}
    for start in range(0, len(wanted), _BATCH):
        part = wanted[start : start + _BATCH]
        query = select(_TABLE.c.row, _TABLE.c.sealed).where(
            _TABLE.c.dataset == dataset,
            _TABLE.c.upload_id == upload_id,
            _TABLE.c.row.in_(part),
        )
        for row, sealed in connection.execute(query):
            value = unseal(key, dataset=dataset, upload_id=upload_id, row=row, sealed=sealed)
            if value is not None:
                found[int(row)] = value
    return found


def delete_record_references(
    session: Session | Connection,
    *,
    dataset: str,
    upload_id: str,
    row_numbers: Iterable[int] | None = None,
) -> int:
    """Delete the references of the given rows of one upload (every row of it when
    `row_numbers` is None), in the caller's transaction. Returns how many were deleted."""
    connection = session.connection() if isinstance(session, Session) else session
    base = and_(_TABLE.c.dataset == dataset, _TABLE.c.upload_id == upload_id)
    if row_numbers is None:
        return connection.execute(delete(_TABLE).where(base)).rowcount or 0
    wanted = sorted({int(r) for r in row_numbers})
    deleted = 0
    for start in range(0, len(wanted), _BATCH):
        part = wanted[start : start + _BATCH]
        result = connection.execute(delete(_TABLE).where(base, _TABLE.c.row.in_(part)))
        deleted += result.rowcount or 0
    return deleted


def prune_record_references(
    connection: Connection, table: Table, *, dataset: str, upload_id: str
) -> int:
    """Delete the references of an upload whose rows are no longer in its dataset table (set
    aside as duplicates), in the caller's transaction."""
    kept = select(table.c["_row"]).where(table.c["_upload_id"] == upload_id)
    result = connection.execute(
        delete(_TABLE).where(
            _TABLE.c.dataset == dataset,
            _TABLE.c.upload_id == upload_id,
            _TABLE.c.row.not_in(kept),
        )
    )
    return result.rowcount or 0


def delete_expired_references(connection: Connection, *, now: datetime) -> int:
    """Delete the references whose rows have passed their retention."""
    return connection.execute(delete(_TABLE).where(_TABLE.c.expires_at <= now)).rowcount or 0
