"""A view and a request compile to ONE SQLAlchemy Core statement, the same on SQLite and
PostgreSQL. Joins, counts and filters all run in the database; Python only pages and, for
aggregates, applies disclosure control to the grouped result.

Every source reads only rows of `published` uploads (the ingest visibility rule) that have
not passed their retention (`_expires_at`) and that their provider has not restricted
(`_restricted_at`).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)

from hub import clock
from hub.db.models import Upload
from hub.views.spec import Filter, Source, ViewSpec

PERSON = "_person"  # the person key of each person-level row: the cursor and the disclosure
TableOf = Callable[[str], Table]  # dataset -> its table under the view's agreement


@dataclass(frozen=True)
class CallerFilterValue:
    column: str
    op: str
    value: Any


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier (the month's last day if it has fewer)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def condition(column: ColumnElement, f: Filter | CallerFilterValue, today: date) -> ColumnElement:
    op, value = f.op, f.value
    if op == "within_last_months":
        # Dates and times are stored as ISO text, which orders like the dates themselves.
        return column >= months_before(today, int(value)).isoformat()
    if op == "age_under":
        # On a year-month of birth: born after the month `value` years ago is certainly
        # younger; the month itself is left out, the cautious side for "under 18".
        return column > f"{today.year - int(value):04d}-{today.month:02d}"
    if op == "in":
        return column.in_(list(value)) if value else false()
    return {
        "eq": column.__eq__,
        "ne": column.__ne__,
        "lt": column.__lt__,
        "le": column.__le__,
        "gt": column.__gt__,
        "ge": column.__ge__,
    }[op](value)


def _base(source: Source, table: Table, today: date, now: datetime) -> Select:
    uploads = Upload.__table__
    where = [condition(table.c[f.field], f, today) for f in source.where]
    return (
        select(table)
        .join(uploads, uploads.c.id == table.c._upload_id)
        .where(
            uploads.c.status == "published",
            table.c._expires_at > now,
            table.c._restricted_at.is_(None),  # restricted rows: kept, shown by no view
            *where,
        )
    )


def person_statement(
    view: ViewSpec,
    table_of: TableOf,
    *,
    today: date,
    filters: list[CallerFilterValue] = (),  # type: ignore[assignment]
    after: str | None = None,
    limit: int,
    now: datetime | None = None,
) -> Select:
    """One row per person, ordered by the person key; `limit` rows after `after`."""
    person = view.person
    assert person is not None
    now = now or clock.now()
    carried = list(dict.fromkeys([*person.carry, *(f for g in person.link for f in g)]))
    carried = [f for f in carried if f != person.key]
    bases = {
        s.alias: (_base(s, table_of(s.dataset), today, now).subquery(s.alias), s)
        for s in view.sources
    }

    # The population: a union of its sources, one row per key per source, then per key.
    parts = []
    for alias in person.population:
        sub, source = bases[alias]
        query = select(
            sub.c[person.key].label(PERSON), *(func.max(sub.c[f]).label(f) for f in carried)
        )
        query = query.where(sub.c[person.key].is_not(None)).group_by(sub.c[person.key])
        if source.having:
            h = source.having
            share = sum((func.coalesce(func.sum(sub.c[p]), 0) for p in h.parts), literal(0))
            query = query.having(share >= func.sum(sub.c[h.of]) * h.at_least)
        parts.append(query)
    union = union_all(*parts).subquery("population")
    people = (
        select(union.c[PERSON], *(func.max(union.c[f]).label(f) for f in carried))
        .group_by(union.c[PERSON])
        .subquery("people")
    )

    def count(alias: str, persons) -> ColumnElement:
        """Rows of `alias` for each row of `persons` (people or r): a correlated subquery."""
        sub, _ = bases[alias]
        if alias in person.population:
            match = sub.c[person.key] == persons.c[PERSON]
        else:
            # Equal pseudonyms in the same linkage domain: any one set of keys is enough.
            # NULL never equals NULL in SQL, so a missing identifier links nobody.
            match = or_(
                *(and_(*(sub.c[f] == persons.c[f] for f in group)) for group in person.link)
            )
        return select(func.count()).select_from(sub).where(match).scalar_subquery()

    # Counts that `require` reads are made once per person in `r`, behind a fence (OFFSET 0:
    # without it PostgreSQL folds `r` into the outer query and runs each count twice per
    # person, for the WHERE and again for the SELECT). Counts only shown are made in the
    # outer query, for the people who pass `require`. Keyset pagination (never OFFSET scans)
    # is inside the fence, so that the database can push the bound down to the population.
    required = {a for group in person.require for a in group}
    counted = _counted(view)
    inner_where = [condition(people.c[f.field], f, today) for f in person.where]
    if after is not None:
        inner_where.append(people.c[PERSON] > after)
    inner = select(
        people.c[PERSON],
        *(people.c[f] for f in carried),
        *(count(alias, people).label(f"_n_{alias}") for alias in counted if alias in required),
    ).where(*inner_where)
    r = (inner.offset(0) if required else inner).subquery("r")
    counts = {
        alias: r.c[f"_n_{alias}"] if alias in required else count(alias, r) for alias in counted
    }

    columns = {
        c.name: (r.c[PERSON] if c.field == person.key else r.c[c.field])
        if c.field
        else counts[c.count]
        for c in view.columns
    }
    where: list[ColumnElement] = [
        or_(*(counts[alias] > 0 for alias in group)) for group in person.require
    ]
    where += [condition(columns[f.column], f, today) for f in filters]
    return (
        select(*(expr.label(name) for name, expr in columns.items()), r.c[PERSON])
        .where(and_(true(), *where))
        .order_by(r.c[PERSON])
        .limit(limit)
    )


def _counted(view: ViewSpec) -> list[str]:
    person = view.person
    assert person is not None
    wanted = {c.count for c in view.columns if c.count} | {a for g in person.require for a in g}
    return [s.alias for s in view.sources if s.alias in wanted]


def aggregate_statement(
    view: ViewSpec, table_of: TableOf, *, today: date, now: datetime | None = None
) -> Select:
    """Counts per group over every source (UNION ALL then GROUP BY), ordered by the groups.
    Rows with an empty dimension are left out: they belong to no place or month."""
    agg = view.aggregate
    assert agg is not None
    now = now or clock.now()
    parts = []
    for source in view.sources:
        sub = _base(source, table_of(source.dataset), today, now).subquery(source.alias)
        dims = []
        for dim in agg.dimensions:
            column = sub.c[dim.sources[source.alias]]
            dims.append((func.substr(column, 1, dim.first) if dim.first else column, column))
        parts.append(
            select(
                *(expr.label(d.name) for (expr, _), d in zip(dims, agg.dimensions, strict=True)),
                *(
                    literal(1 if m.source == source.alias else 0).label(m.name)
                    for m in agg.measures
                ),
            ).where(*(column.is_not(None) for _, column in dims))
        )
    u = union_all(*parts).subquery("u")
    names = [d.name for d in agg.dimensions]
    return (
        select(
            *(u.c[n] for n in names), *(func.sum(u.c[m.name]).label(m.name) for m in agg.measures)
        )
        .group_by(*(u.c[n] for n in names))
        .order_by(*(u.c[n] for n in names))
    )
