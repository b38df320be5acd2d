"""Who must be told of a correction to one row, worked out from what the hub recorded when it
disclosed: UK GDPR Art. 19 ("each recipient to whom the personal data have been disclosed").

- **Person views** reading the row's dataset: the people the row belongs to in the view (its
  person key if the row is of the population, else the population's people it links to by
  the view's link rules), then the view's disclosures of those people (`view_disclosures`)
  joined to the allowed `view.query` events of the same request: the recipient
  organisations, with the request ids of their own queries that showed each person.
- **Aggregate views**: the row's cell (its dimension values, e.g. LSOA and month) if the
  view's source counts the row; then every allowed `view.query` of the view whose filters
  let that cell through. Nothing person-level: "counts for these cells changed".

Only queries made since the row's upload was published count: earlier answers did not hold
the row. All of it runs in the correcting transaction, before the row changes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, select

from hub.db.models import AuditEvent, ViewDisclosure
from hub.views import ViewSpec
from hub.views.compile import months_before

QUERY = "view.query"


@dataclass
class Told:
    """What one recipient is owed for one correction, gathered over its rows."""

    # (view, pseudonym) -> (change, request ids)
    people: dict[tuple[str, str], tuple[str, set[str]]] = field(default_factory=dict)
    # view -> (cells, request ids)
    cells: dict[str, tuple[list[dict[str, Any]], set[str]]] = field(default_factory=dict)

    def add_person(self, view: str, pseudonym: str, change: str, request_ids: set[str]) -> None:
        old = self.people.get((view, pseudonym))
        if old is None:
            self.people[(view, pseudonym)] = (change, set(request_ids))
        else:
            # Erased beats restricted beats rectified: the strongest change is what counts.
            order = ("rectified", "restricted", "erased")
            strongest = max(old[0], change, key=order.index)
            self.people[(view, pseudonym)] = (strongest, old[1] | request_ids)

    def add_cell(self, view: str, cell: dict[str, Any], request_ids: set[str]) -> None:
        cells, ids = self.cells.setdefault(view, ([], set()))
        if cell not in cells:
            cells.append(cell)
        ids.update(request_ids)


def people_of_row(
    connection: Connection, view: ViewSpec, dataset: str, row: dict[str, Any], table_of
) -> set[str]:
    """The person keys of view `view` that row `row` (of `dataset`) belongs to."""
    person = view.person
    keys: set[str] = set()
    for source in view.sources:
        if source.dataset != dataset:
            continue
        if source.alias in person.population and row.get(person.key):
            keys.add(row[person.key])
            continue
        for group in person.link:
            if not all(row.get(f) for f in group):
                continue
            for alias in person.population:
                population = view.source(alias)
                table: Table | None = table_of(population.dataset)
                if table is None or not all(f in table.c for f in (*group, person.key)):
                    continue
                found = connection.execute(
                    select(table.c[person.key])
                    .where(and_(*(table.c[f] == row[f] for f in group)))
                    .where(table.c[person.key].is_not(None))
                    .distinct()
                )
                keys.update(k for (k,) in found)
    return keys


def person_recipients(
    connection: Connection,
    view: ViewSpec,
    *,
    linkage_domain: str,
    keys: set[str],
    since: datetime | None,
) -> dict[str, dict[str, set[str]]]:
    """partner -> pseudonym -> request ids of its queries of `view` that showed the person."""
    if not keys:
        return {}
    d, e = ViewDisclosure.__table__, AuditEvent.__table__
    query = (
        select(d.c.request_id, d.c.pseudonym, e.c.actor_partner)
        .join(
            e,
            (e.c.request_id == d.c.request_id) & (e.c.action == QUERY) & (e.c.outcome == "allowed"),
        )
        .where(
            d.c.view_id == view.id,
            d.c.linkage_domain == linkage_domain,
            d.c.pseudonym.in_(sorted(keys)),
        )
    )
    if since is not None:
        query = query.where(d.c.disclosed_at >= since)
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for request_id, pseudonym, partner in connection.execute(query):
        if partner:
            out[partner][pseudonym].add(request_id)
    return out


def _passes(value: Any, op: str, wanted: Any, today: date) -> bool:
    if op == "within_last_months":
        return value is not None and str(value) >= months_before(today, int(wanted)).isoformat()
    if op == "age_under":
        bound = f"{today.year - int(wanted):04d}-{today.month:02d}"
        return value is not None and str(value) > bound
    if op == "in":
        return value in (wanted or [])
    if op in ("eq", "ne"):
        return (value == wanted) == (op == "eq")
    if value is None:
        return False
    try:
        return {
            "lt": value < wanted,
            "le": value <= wanted,
            "gt": value > wanted,
            "ge": value >= wanted,
        }[op]
    except (TypeError, KeyError):
        return True  # cannot tell: the cautious side is to tell the recipient


def cells_of_row(view: ViewSpec, dataset: str, row: dict[str, Any], today: date) -> list[dict]:
    """The aggregate cells of `view` that row `row` (of `dataset`) is counted in."""
    agg = view.aggregate
    cells = []
    for source in view.sources:
        if source.dataset != dataset:
            continue
        if not all(_passes(row.get(f.field), f.op, f.value, today) for f in source.where):
            continue
        cell = {}
        for dim in agg.dimensions:
            value = row.get(dim.sources[source.alias])
            if value is None:
                break
            value = str(value)
            cell[dim.name] = value[: dim.first] if dim.first else value
        else:
            if cell not in cells:
                cells.append(cell)
    return cells


def aggregate_recipients(
    connection: Connection,
    view: ViewSpec,
    *,
    cells: list[dict[str, Any]],
    since: datetime | None,
    today: date,
) -> dict[str, tuple[list[dict], set[str]]]:
    """partner -> (cells its queries of `view` covered, their request ids)."""
    if not cells:
        return {}
    dims = {d.name for d in view.aggregate.dimensions}
    e = AuditEvent.__table__
    query = select(e.c.request_id, e.c.actor_partner, e.c.details).where(
        e.c.action == QUERY, e.c.outcome == "allowed", e.c.resource == f"view:{view.id}"
    )
    if since is not None:
        query = query.where(e.c.time >= since)
    out: dict[str, tuple[list[dict], set[str]]] = {}
    for request_id, partner, details in connection.execute(query):
        if not partner:
            continue
        filters = (details or {}).get("filters") or []
        covered = [
            cell
            for cell in cells
            if all(
                _passes(cell.get(f.get("column")), f.get("op"), f.get("value"), today)
                for f in filters
                if f.get("column") in dims  # a filter on a count: it may have matched
            )
        ]
        if covered:
            found, ids = out.setdefault(partner, ([], set()))
            for cell in covered:
                if cell not in found:
                    found.append(cell)
            ids.add(request_id)
    return out
