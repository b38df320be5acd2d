"""GET /api/v1/views, GET /api/v1/views/{id}, POST /api/v1/views/{id}/query. Thin: parse,
call hub.views.query (or, for forecast views, hub.views.forecast.run), serialise (JSON, CSV or
Parquet by Accept; forecasts JSON or application/geo+json patrol zones)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from flask import Response, g, request
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field

from hub import audit, auth, clock, notify
from hub.agreements import current_policies
from hub.api.problem_docs import problem_responses
from hub.errors import InvalidRequest
from hub.views import export
from hub.views.compile import CallerFilterValue
from hub.views.forecast.run import run_forecast
from hub.views.query import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    QueryRequest,
    authorise,
    column_types,
    get_view,
    run_query,
    views_for,
)

api = APIBlueprint(
    "views",
    __name__,
    url_prefix="/api/v1",
    abp_tags=[Tag(name="views", description="Joined, access-controlled views for analysts.")],
    abp_security=[{"bearer": []}],
)


class ViewPath(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$", description="The view id.")


class ViewColumnOut(BaseModel):
    name: str
    type: Literal["pseudonym", "string", "integer"]
    description: str


class FilterOut(BaseModel):
    column: str
    ops: list[str]


class ViewSummary(BaseModel):
    id: str
    title: str
    kind: Literal["person", "aggregate", "forecast"]
    agreement: str


class ViewOut(ViewSummary):
    description: str
    purpose: str = Field(description="The only purpose a query may give: the agreement's.")
    purpose_description: str
    columns: list[ViewColumnOut]
    filters: list[FilterOut]
    min_cell_size: int | None = Field(
        default=None,
        description="Aggregates: smaller counts are suppressed (null), with secondary suppression.",
    )


class CorrectedOut(BaseModel):
    id: str = Field(description="The notice's id: GET /api/v1/notifications/{id}.")
    type: str
    created_at: str


class ViewWithCorrections(ViewOut):
    corrected_since_seen: list[CorrectedOut] = Field(
        default=[],
        description="Notices to your organisation that earlier answers of this view were "
        "corrected since you last ran it (the analyst page shows a banner).",
    )


class ViewList(BaseModel):
    items: list[ViewSummary]


# Bounds on a query (DESIGN.md decision 10): with the texts' lengths they bound the body
# and the audit event the query leaves.
MAX_FILTERS = 20
MAX_IN_VALUES = 100
MAX_VALUE_LENGTH = 100
MAX_COLUMNS = 50
Scalar = Annotated[str, Field(max_length=MAX_VALUE_LENGTH)] | int | float | bool | None


class FilterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    column: str = Field(max_length=100)
    op: Literal["eq", "ne", "lt", "le", "gt", "ge", "in"]
    value: Scalar | Annotated[list[Scalar], Field(max_length=MAX_IN_VALUES)] = Field(
        description=f"A string, number, boolean or null; for `in`, a list of at most "
        f"{MAX_IN_VALUES} of them."
    )


class QueryBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose: str = Field(max_length=100, description="The agreement's purpose id.")
    justification: str = Field(max_length=2000, description="Why this query; required.")
    case_reference: str | None = Field(default=None, max_length=200)
    filters: list[FilterIn] = Field(default=[], max_length=MAX_FILTERS)
    columns: list[Annotated[str, Field(max_length=100)]] | None = Field(
        default=None, max_length=MAX_COLUMNS
    )
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=200)
    budget_pct: Literal[1, 2, 5] | None = Field(
        default=None, description="Forecast views: the share of the area (%); default the largest."
    )
    model: str | None = Field(
        default=None,
        max_length=100,
        description="Forecast views: the model wanted, e.g. `ewma(halflife=2)`. It is served "
        "only if it beat the baseline in the back-test; otherwise the baseline is.",
    )


class QueryOut(BaseModel):
    columns: list[str]
    rows: list[dict[str, Any]]
    next_cursor: str | None


@api.get("/views", responses={200: ViewList})
def list_views():
    """The views the caller may query now."""
    audit.note(action="view.list", resource="view")
    identity = auth.current_identity()
    items = [
        ViewSummary(id=v.id, title=v.title, kind=v.kind, agreement=v.agreement)
        for v in views_for(identity, current_policies())
    ]
    return ViewList(items=items).model_dump(mode="json")


@api.get("/views/<id>", responses={200: ViewWithCorrections})
def read_view(path: ViewPath):
    """A view's columns (types, descriptions), agreement, purpose and cell rule."""
    audit.note(action="view.read", resource=f"view:{path.id}")
    identity = auth.current_identity()
    policies = current_policies()
    view = get_view(path.id)
    authorise(identity=identity, view=view, policies=policies, today=clock.today())
    agreement = policies.agreements[view.agreement]
    types = column_types(view, policies)
    corrected = [
        CorrectedOut(id=n.id, type=n.type, created_at=notify.iso(n.created_at))
        for n in notify.views_corrected_since(identity=identity, view_id=view.id)
    ]
    return ViewWithCorrections(
        corrected_since_seen=corrected,
        id=view.id,
        title=view.title,
        kind=view.kind,
        agreement=view.agreement,
        description=view.description,
        purpose=agreement.purpose.id,
        purpose_description=agreement.purpose.description,
        columns=[ViewColumnOut(name=n, type=t, description=d) for n, (t, d) in types.items()],
        filters=[FilterOut(column=f.column, ops=list(f.ops)) for f in view.filters],
        min_cell_size=agreement.min_cell_size if view.kind != "person" else None,
    ).model_dump(mode="json")


@api.post(
    "/views/<id>/query",
    responses={
        200: QueryOut,
        **problem_responses(
            {
                413: "The body is larger than HUB_MAX_JSON_BYTES.",
                503: "The database is unavailable: ask again after Retry-After.",
            }
        ),
    },
)
def query_view(path: ViewPath, body: QueryBody):
    """Run a view for the agreement's purpose with a justification: JSON, or CSV / Parquet
    by `Accept` (text/csv, application/vnd.apache.parquet). A forecast view answers JSON
    (ranked zones, back-test, disparity report: `forecast.run`) or, with
    `Accept: application/geo+json`, an RFC 7946 FeatureCollection of patrol zones
    (`forecast.export`)."""
    audit.note(action="view.query", resource=f"view:{path.id}")
    identity = auth.current_identity()
    policies = current_policies()
    view = get_view(path.id)
    if view.kind == "forecast":
        return _forecast(identity, view, body, policies)
    result = run_query(
        identity=identity,
        view=view,
        request=QueryRequest(
            purpose=body.purpose,
            justification=body.justification,
            case_reference=body.case_reference,
            filters=[CallerFilterValue(f.column, f.op, f.value) for f in body.filters],
            columns=body.columns,
            limit=body.limit,
            cursor=body.cursor,
        ),
        policies=policies,
        request_id=g.request_id,
    )
    # The analyst has seen a fresh answer: the corrections banner starts from now.
    notify.mark_view_seen(identity=identity, view_id=view.id)
    kind = export.negotiate(request.headers.get("Accept"))
    headers = {"X-Result-SHA256": result.sha256, "Cache-Control": "no-store"}
    if result.next_cursor:
        headers["X-Next-Cursor"] = result.next_cursor
    if kind == export.CSV:
        return Response(
            export.to_csv(result.columns, result.rows), headers=headers, mimetype="text/csv"
        )
    if kind == export.PARQUET:
        types = {n: t for n, (t, _) in column_types(view, policies).items()}
        return Response(
            export.to_parquet(result.columns, result.rows, types),
            headers=headers,
            mimetype=export.PARQUET,
        )
    body_out = QueryOut(
        columns=result.columns, rows=result.rows, next_cursor=result.next_cursor
    ).model_dump(mode="json")
    return body_out, 200, headers


def _forecast(identity, view, body: QueryBody, policies):
    kind = export.negotiate(request.headers.get("Accept"))
    if kind not in (export.JSON, export.GEOJSON):
        audit.note(action="forecast.run")
        raise InvalidRequest(
            "A forecast view answers application/json or application/geo+json (patrol zones)."
        )
    if body.filters or body.cursor:
        audit.note(action="forecast.run")
        raise InvalidRequest(
            "A forecast view takes no filters and no cursor: give `budget_pct` and `model`."
        )
    answer = run_forecast(
        identity=identity,
        view=view,
        request=QueryRequest(
            purpose=body.purpose,
            justification=body.justification,
            case_reference=body.case_reference,
            budget_pct=body.budget_pct,
            model=body.model,
        ),
        policies=policies,
        export=kind == export.GEOJSON,
    )
    headers = {"Cache-Control": "no-store", "X-Forecast-Id": answer.forecast.forecast_id}
    if kind == export.GEOJSON:
        return Response(
            json.dumps(answer.geojson(), separators=(",", ":")),
            headers=headers,
            mimetype=export.GEOJSON,
        )
    return (
        {"columns": view.column_names, "rows": answer.rows(), "forecast": answer.meta()},
        200,
        headers,
    )
