"""Views: joined, access-controlled views for analysts, specified in policies/views/*.yaml.

`init_app` loads and checks the views against the agreements (after agreements.init_app);
an invalid view stops the hub with one line naming the file and line. hub/api/views.py serves
them; `run_query` is the use case; `queries_that_returned` answers "who has seen this person".
"""

from __future__ import annotations

from flask import Flask

from hub.agreements import current_policies
from hub.settings import Settings
from hub.views.disclosure_record import (
    Disclosure,
    erase_disclosures,
    queries_that_returned,
    record_disclosures,
)
from hub.views.export import escape_cell, to_csv, to_parquet
from hub.views.loader import ViewProblems, check_views, load_views
from hub.views.query import (
    EXTENSION,
    QueryRequest,
    QueryResult,
    ViewsState,
    get_view,
    run_query,
    views_for,
)
from hub.views.spec import ViewSpec


def forecast_views() -> list[ViewSpec]:
    """Every forecast view loaded (for the transparency page: not per identity)."""
    from hub.views.query import state

    return [v for v in state().views.values() if v.kind == "forecast"]


def all_views() -> list[ViewSpec]:
    """Every view this hub has (no decision: for working out who was shown what)."""
    from hub.views.query import state

    return list(state().views.values())


def init_app(app: Flask, settings: Settings) -> None:
    with app.app_context():
        policies = current_policies()
    app.extensions[EXTENSION] = ViewsState(views=load_views(settings.policies_dir, policies))
    # An erased person leaves no disclosure behind (after store.init_app made the registry).
    from hub.store import row_keyed_tables

    row_keyed_tables(app).register("view_disclosures", erase_disclosures)


__all__ = [
    "EXTENSION",
    "Disclosure",
    "all_views",
    "QueryRequest",
    "QueryResult",
    "ViewProblems",
    "ViewSpec",
    "check_views",
    "erase_disclosures",
    "forecast_views",
    "escape_cell",
    "get_view",
    "init_app",
    "load_views",
    "queries_that_returned",
    "record_disclosures",
    "run_query",
    "to_csv",
    "to_parquet",
    "views_for",
]
