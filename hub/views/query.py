"""The `view.query` use case: decide, check purpose and justification, run one statement,
protect small cells, record what was disclosed, and tell the audit log what happened.

Security-relevant, so keyword-only arguments throughout.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import Table

from hub import audit, clock, db
from hub.agreements import (
    Agreement,
    Lifecycle,
    Policies,
    Resource,
    decide,
    enforce,
    lifecycle_once,
)
from hub.auth import Identity
from hub.errors import Forbidden, InvalidRequest, NotFound
from hub.store import dataset_tables, layout_for
from hub.views.compile import (
    PERSON,
    CallerFilterValue,
    aggregate_statement,
    person_statement,
)
from hub.views.disclosure_control import suppress
from hub.views.disclosure_record import record_disclosures
from hub.views.spec import ViewSpec

EXTENSION = "hub.views"
DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
_PSEUDONYM = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class ViewsState:
    views: dict[str, ViewSpec]


@dataclass(frozen=True)
class QueryRequest:
    purpose: str
    justification: str
    case_reference: str | None = None
    filters: list[CallerFilterValue] = field(default_factory=list)
    columns: list[str] | None = None
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    budget_pct: float | None = None  # forecast views: the share of the area (1, 2 or 5)
    model: str | None = None  # forecast views: the model wanted, e.g. "ewma(halflife=2)"


@dataclass(frozen=True)
class QueryResult:
    view: ViewSpec
    columns: list[str]
    rows: list[dict[str, Any]]
    next_cursor: str | None
    sha256: str
    suppression: dict[str, int] | None = None


def state() -> ViewsState:
    return current_app.extensions[EXTENSION]


def views_for(
    identity: Identity, policies: Policies, *, today: date | None = None
) -> list[ViewSpec]:
    """The views `identity` may query now: its partner and role are named by the view, and
    the agreement lets it query every source."""
    lifecycle = lifecycle_once()  # one moment: each agreement's state is read once
    return [
        v
        for v in state().views.values()
        if _refusal(identity, v, policies, today, lifecycle) is None
    ]


def get_view(view_id: str) -> ViewSpec:
    view = state().views.get(view_id)
    if view is None:
        raise NotFound(f"There is no view `{view_id}`: GET /api/v1/views lists yours.")
    return view


def _refusal(
    identity: Identity,
    view: ViewSpec,
    policies: Policies,
    today: date | None,
    lifecycle: Lifecycle,
    action: str | None = None,
):
    action = action or ("forecast.run" if view.kind == "forecast" else "view.query")
    for dataset in dict.fromkeys(s.dataset for s in view.sources):
        decision = decide(
            identity,
            action,
            Resource(kind="view", agreement_id=view.agreement, dataset=dataset),
            policies=policies,
            today=today,
            lifecycle=lifecycle,
        )
        if not decision.allowed:
            return decision
    if identity.partner not in view.partners or not identity.has_role(*view.roles):
        return False
    return None


def authorise(
    *,
    identity: Identity,
    view: ViewSpec,
    policies: Policies,
    today: date | None = None,
    action: str | None = None,
) -> None:
    """Raise Forbidden (and note why for the audit event) unless `identity` may query (or,
    for forecast views, run or export: `action`)."""
    refusal = _refusal(identity, view, policies, today, lifecycle_once(), action)
    if refusal is False:
        reason = (
            f"View `{view.id}` is for analysts of {', '.join(view.partners)}; "
            f"`{identity.partner}` may not query it. Ask its IG officers."
        )
        audit.note(reason=reason, details={"rule": "view-partners"})
        raise Forbidden(reason, extra={"rule": "view-partners"})
    if refusal is not None:
        enforce(refusal)


def run_query(
    *,
    identity: Identity,
    view: ViewSpec,
    request: QueryRequest,
    policies: Policies,
    request_id: str,
    today: date | None = None,
) -> QueryResult:
    today = today or clock.today()
    audit.note(
        details={
            "view": view.id,
            "purpose": request.purpose,
            "justification": request.justification,
            "case_reference": request.case_reference,
            "filters": [f.__dict__ for f in request.filters],
        }
    )
    authorise(identity=identity, view=view, policies=policies, today=today)
    agreement = policies.agreements[view.agreement]
    check_purpose(view, agreement, request)
    columns = _columns(view, request)
    _check_filters(view, request.filters)
    if not 1 <= request.limit <= MAX_LIMIT:
        raise InvalidRequest(f"`limit` is from 1 to {MAX_LIMIT}.")

    table_of = _table_of(agreement, policies)
    if view.kind == "person":
        result = _person(view, agreement, request, columns, table_of, today, request_id)
    else:
        result = _aggregate(view, agreement, request, columns, table_of, today)
    audit.note(
        details={
            "rows": len(result.rows),
            "result_sha256": result.sha256,
            **({"suppression": result.suppression} if result.suppression else {}),
        }
    )
    return result


def check_purpose(view: ViewSpec, agreement: Agreement, request: QueryRequest) -> None:
    if request.purpose != agreement.purpose.id:
        reason = (
            f"View `{view.id}` may be queried only for the purpose of agreement "
            f"`{agreement.id}`: `{agreement.purpose.id}` ({agreement.purpose.description})."
        )
        audit.note(reason=reason, details={"rule": "wrong-purpose"})
        raise Forbidden(reason, code="wrong_purpose", extra={"rule": "wrong-purpose"})
    if not (request.justification or "").strip():
        reason = (
            "Say why you need this query in `justification` (DPA 2018 s.62 logs the "
            "justification of every consultation and disclosure)."
        )
        audit.note(reason=reason, details={"rule": "no-justification"})
        raise Forbidden(reason, code="justification_required", extra={"rule": "no-justification"})


def _columns(view: ViewSpec, request: QueryRequest) -> list[str]:
    names = view.column_names
    if request.columns is None:
        return names
    unknown = [c for c in request.columns if c not in names]
    if unknown or not request.columns:
        raise InvalidRequest(f"`columns` may name: {', '.join(names)}.")
    return [c for c in names if c in request.columns]


def _check_filters(view: ViewSpec, filters: list[CallerFilterValue]) -> None:
    allowed = {f.column: f.ops for f in view.filters}
    for f in filters:
        if f.op not in allowed.get(f.column, ()):
            offer = "; ".join(f"{c}: {', '.join(ops)}" for c, ops in allowed.items()) or "none"
            raise InvalidRequest(
                f"View `{view.id}` cannot be filtered by `{f.column} {f.op}`. Allowed: {offer}."
            )
        if f.op == "in" and not isinstance(f.value, list):
            raise InvalidRequest(f"Filter `{f.column} in` takes a list.")


def _table_of(agreement: Agreement, policies: Policies):
    tables = dataset_tables()

    def table_of(dataset: str) -> Table:
        return tables.get(agreement, policies.contracts[dataset])[1]

    return table_of


def _person(view, agreement, request, columns, table_of, today, request_id) -> QueryResult:
    after = _decode_cursor(request.cursor) if request.cursor else None
    statement = person_statement(
        view, table_of, today=today, filters=request.filters, after=after, limit=request.limit + 1
    )
    with db.get_engine().connect() as connection:
        result = connection.execute(statement)
        position = {name: i for i, name in enumerate(result.keys())}
        fetched = result.fetchall()  # at once, as tuples: a page can hold thousands of rows
    more = len(fetched) > request.limit
    fetched = fetched[: request.limit]
    shown = [(c, position[c]) for c in columns]
    rows = [{c: r[i] for c, i in shown} for r in fetched]
    person = position[PERSON]
    persons = [r[person] for r in fetched]
    next_cursor = _encode_cursor(persons[-1]) if more else None
    # Which people were shown, apart from the audit log: "who has seen this person".
    record_disclosures(
        request_id=request_id,
        view_id=view.id,
        agreement_id=agreement.id,
        linkage_domain=agreement.linkage_domain,
        pseudonyms=persons,
    )
    return QueryResult(view, columns, rows, next_cursor, result_hash(columns, rows))


def _aggregate(view, agreement, request, columns, table_of, today) -> QueryResult:
    agg = view.aggregate
    statement = aggregate_statement(view, table_of, today=today)
    with db.get_engine().connect() as connection:
        grouped = [dict(r._mapping) for r in connection.execute(statement)]
    dims = [d.name for d in agg.dimensions]
    measures = [m.name for m in agg.measures]
    for row in grouped:
        for m in measures:
            row[m] = int(row[m])  # PostgreSQL sums are Decimal/bigint
    # Suppression runs on the whole table, never on a caller's slice of it: secondary
    # suppression chosen per slice could differ between slices and give cells away.
    protected = suppress(
        grouped,
        dimensions=dims,
        measures=measures,
        min_cell_size=agreement.min_cell_size,
        measure_total=agg.total,
    )
    rows = [r for r in protected.rows if _matches(r, request.filters)]
    start = _decode_offset(request.cursor) if request.cursor else 0
    page = rows[start : start + request.limit]
    more = start + request.limit < len(rows)
    out = [{c: r[c] for c in columns} for r in page]
    next_cursor = _encode_cursor(f"o{start + request.limit}") if more else None
    return QueryResult(
        view, columns, out, next_cursor, result_hash(columns, out), dict(protected.summary)
    )


def _matches(row: dict[str, Any], filters: list[CallerFilterValue]) -> bool:
    for f in filters:
        value = row.get(f.column)
        if f.op == "in":
            ok = value in f.value
        elif f.op in ("eq", "ne"):
            ok = (value == f.value) == (f.op == "eq")
        elif value is None:
            ok = False  # a suppressed count never matches a comparison
        else:
            try:
                ok = {
                    "lt": value < f.value,
                    "le": value <= f.value,
                    "gt": value > f.value,
                    "ge": value >= f.value,
                }[f.op]
            except TypeError:
                raise InvalidRequest(f"Filter `{f.column}`: compare like with like.") from None
        if not ok:
            return False
    return True


def result_hash(columns: list[str], rows: list[dict[str, Any]]) -> str:
    """SHA-256 of the answer as canonical JSON, whatever format it was sent in: the log can
    show later what was disclosed without holding it."""
    body = json.dumps(
        {"columns": columns, "rows": rows},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidRequest(
            "`cursor` is not one this view gave: pass next_cursor as is."
        ) from None


def _decode_cursor(cursor: str) -> str:
    value = _decode(cursor)
    if not _PSEUDONYM.match(value):
        raise InvalidRequest("`cursor` is not one this view gave: pass next_cursor as is.")
    return value


def _decode_offset(cursor: str) -> int:
    value = _decode(cursor)
    if not re.fullmatch(r"o\d{1,9}", value):
        raise InvalidRequest("`cursor` is not one this view gave: pass next_cursor as is.")
    return int(value[1:])


def column_types(view: ViewSpec, policies: Policies) -> dict[str, tuple[str, str]]:
    """column -> (type, description). Types: pseudonym, string, integer."""
    if view.kind == "forecast":
        return {
            "rank": ("integer", "The zone's rank: 1 is where most crime is forecast."),
            "forecast_count": (
                "integer",
                "Crimes forecast in the zone next month; null when under the minimum cell size.",
            ),
            "suppressed": ("string", "true when forecast_count is withheld."),
            "h3_cells": ("string", "The zone's H3 cells."),
        }
    if view.kind == "aggregate":
        agg = view.aggregate
        out = {d.name: ("string", d.description) for d in agg.dimensions}
        out.update({m.name: ("integer", m.description) for m in agg.measures})
        if agg.total:
            out[agg.total] = ("integer", "The sum of the counts in this row.")
        return out
    agreement = policies.agreements[view.agreement]
    anchor = view.source(view.person.population[0])
    layout = layout_for(agreement, policies.contracts[anchor.dataset])
    roles = {c.name: c.role for c in layout.columns}
    out = {}
    for c in view.columns:
        if c.count:
            out[c.name] = ("integer", c.description)
        else:
            kind = "pseudonym" if roles.get(c.field) == "pseudonym" else "string"
            out[c.name] = (kind, c.description)
    return out
