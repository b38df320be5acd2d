"""Deleting an upload's rows from its dataset table, with their record references (withdraw,
replace, reject, recovery): on PostgreSQL, dropping the upload's own table
(hub.store.partitions)."""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table, delete, inspect
from sqlmodel import Session

from hub.db import is_postgres
from hub.db.models import Upload
from hub.store.partitions import drop_upload_rows
from hub.store.references import delete_record_references
from hub.store.tables import UPLOAD_ID, table_name


def delete_rows(session: Session, upload: Upload) -> int:
    """Delete every row of `upload`, in the session's transaction. Works from the table's
    name alone, so rows are removable even after the agreement or contract has changed."""
    name = table_name(upload.agreement_id, upload.dataset)
    connection = session.connection()
    delete_record_references(connection, dataset=upload.dataset, upload_id=upload.id)
    if is_postgres(connection):
        return drop_upload_rows(connection, name, upload.id)
    if not inspect(connection).has_table(name):
        return 0  # nothing was ever loaded for this agreement and dataset
    table = Table(name, MetaData(), Column(UPLOAD_ID, String(36)))
    result = connection.execute(delete(table).where(table.c[UPLOAD_ID] == upload.id))
    return result.rowcount or 0
