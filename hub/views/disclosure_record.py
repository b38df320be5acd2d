"""Which person pseudonyms each person-level query returned, kept apart from the audit log.

The log's leaves hold no pseudonyms (they are published to verifiers); this table lets an IG
officer answer "who has seen this person": join `request_id` to the audit event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, String, bindparam, delete, func, insert, literal, select
from sqlalchemy.dialects.postgresql import ARRAY

from hub import clock, db
from hub.db.models import AuditEvent, ViewDisclosure


@dataclass(frozen=True)
class Disclosure:
    request_id: str
    view_id: str
    agreement_id: str
    disclosed_at: datetime
    audit_index: int | None  # the audit event of the query, once it is appended
    actor_client: str | None
    actor_partner: str | None


def record_disclosures(
    *,
    request_id: str,
    view_id: str,
    agreement_id: str,
    linkage_domain: str,
    pseudonyms: Iterable[str],
) -> int:
    unique = list(dict.fromkeys(pseudonyms))
    if not unique:
        return 0
    fixed = {
        "request_id": request_id,
        "view_id": view_id,
        "agreement_id": agreement_id,
        "linkage_domain": linkage_domain,
        "disclosed_at": clock.now(),
    }
    table = ViewDisclosure.__table__
    with db.unit_of_work() as session:
        if db.is_postgres(session):
            # A page holds up to thousands of people: one statement with one array parameter
            # instead of a round trip per row (which cost more than the query's own SQL).
            people = func.unnest(bindparam("pseudonyms", unique, type_=ARRAY(String)))
            session.execute(
                insert(table).from_select(
                    [*fixed, "pseudonym"],
                    select(*(literal(v, type_=table.c[k].type) for k, v in fixed.items()), people),
                )
            )
        else:
            session.execute(insert(table), [{**fixed, "pseudonym": p} for p in unique])
    return len(unique)


def queries_that_returned(*, linkage_domain: str, pseudonym: str) -> list[Disclosure]:
    """Every view query that showed this person, oldest first, with who asked (from the
    audit event of the same request, when it was recorded)."""
    d, e = ViewDisclosure.__table__, AuditEvent.__table__
    query = (
        select(
            d.c.request_id,
            d.c.view_id,
            d.c.agreement_id,
            d.c.disclosed_at,
            e.c.index,
            e.c.actor_client,
            e.c.actor_partner,
        )
        .outerjoin(e, (e.c.request_id == d.c.request_id) & (e.c.action == "view.query"))
        .where(d.c.linkage_domain == linkage_domain, d.c.pseudonym == pseudonym)
        .order_by(d.c.id)
    )
    with db.get_engine().connect() as connection:
        return [Disclosure(*row) for row in connection.execute(query)]


def erase_disclosures(connection: Connection, erased) -> int:
    """The erasure registry's eraser (hub.store.row_keyed_tables): an erased person no longer
    in any row of the agreement leaves no disclosure. The audit events of the queries stay:
    they never held the pseudonym."""
    if not erased.gone:
        return 0
    d = ViewDisclosure.__table__
    result = connection.execute(
        delete(d).where(
            d.c.linkage_domain == erased.linkage_domain, d.c.pseudonym.in_(sorted(erased.gone))
        )
    )
    return result.rowcount or 0
