"""GET /api/v1/views, GET /api/v1/views/{id}, POST /api/v1/views/{id}/query. Thin: parse,
call hub.views.query, serialise (JSON, CSV or Parquet by Accept)."""

from __future__ import annotations

from typing import Any, Literal

from flask import Response, g, request
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field

from hub import audit, auth, clock
from hub.agreements import current_policies
from hub.views import export
from hub.views.compile import CallerFilterValue
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
    kind: Literal["person", "aggregate"]
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


class ViewList(BaseModel):
    items: list[ViewSummary]


class FilterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    column: str
    op: Literal["eq", "ne", "lt", "le", "gt", "ge", "in"]
    value: Any


class QueryBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose: str = Field(max_length=100, description="The agreement's purpose id.")
    justification: str = Field(max_length=2000, description="Why this query; required.")
    case_reference: str | None = Field(default=None, max_length=200)
    filters: list[FilterIn] = []
    columns: list[str] | None = None
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=200)


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


@api.get("/views/<id>", responses={200: ViewOut})
def read_view(path: ViewPath):
    """A view's columns (types, descriptions), agreement, purpose and cell rule."""
    audit.note(action="view.read", resource=f"view:{path.id}")
    identity = auth.current_identity()
    policies = current_policies()
    view = get_view(path.id)
    authorise(identity=identity, view=view, policies=policies, today=clock.today())
    agreement = policies.agreements[view.agreement]
    types = column_types(view, policies)
    return ViewOut(
        id=view.id,
        title=view.title,
        kind=view.kind,
        agreement=view.agreement,
        description=view.description,
        purpose=agreement.purpose.id,
        purpose_description=agreement.purpose.description,
        columns=[ViewColumnOut(name=n, type=t, description=d) for n, (t, d) in types.items()],
        filters=[FilterOut(column=f.column, ops=list(f.ops)) for f in view.filters],
        min_cell_size=agreement.min_cell_size if view.kind == "aggregate" else None,
    ).model_dump(mode="json")


@api.post("/views/<id>/query", responses={200: QueryOut})
def query_view(path: ViewPath, body: QueryBody):
    """Run a view for the agreement's purpose with a justification: JSON, or CSV / Parquet
    by `Accept` (text/csv, application/vnd.apache.parquet)."""
    audit.note(action="view.query", resource=f"view:{path.id}")
    identity = auth.current_identity()
    policies = current_policies()
    view = get_view(path.id)
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
