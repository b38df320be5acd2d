"""The contract's dataset-level Great Expectations suite, run over the loaded rows of one
upload in the database.

Why in the database: the checks are on the whole upload (row count, uniqueness, null shares,
value sets) and an upload may be far larger than memory. Great Expectations' SQL datasource
pushes every metric down as SQL (COUNT, GROUP BY ...), so the worker holds no rows. It reads a
view made for the run, of this upload's rows only (`WHERE _upload_id = ...`), that names each
column by its contract name, so the suite compiled from the contract runs unchanged; the view
is dropped after the run.

What the checks see is what the hub stores: identifiers as pseudonyms (the same value gives
the same pseudonym, so uniqueness and null shares are exact) and columns no recipient may see
as keyed digests (hub.store.tables). A check on a column stored in neither form cannot run;
it is reported as not run and fails if it is blocking (closed, not open).
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine

from hub import db
from hub.contracts import Contract, DatasetCheck, compile_expectation_suite, observed_figures
from hub.contracts.compile_dataset import gx
from hub.store.tables import UPLOAD_ID, Layout

# Great Expectations builds its contexts and registries on first use; one run at a time per
# process keeps that safe with the embedded worker threads.
_GX_LOCK = threading.Lock()


def run_dataset_checks(
    engine: Engine,
    layout: Layout,
    contract: Contract,
    *,
    upload_id: str,
    table_name: str | None = None,
) -> list[DatasetCheck]:
    """`table_name`: where the upload's rows are (its own table on PostgreSQL; default the
    dataset table)."""
    suite = compile_expectation_suite(contract)
    if not suite.expectations:
        return []
    available = {c.name for c in contract.columns if layout.check_column(c.name) is not None}
    runnable, skipped = [], {}
    for expectation in suite.expectations:
        missing = [c for c in _columns_of(expectation) if c not in available]
        if missing:
            skipped[expectation.id] = missing
        else:
            runnable.append(expectation)
    results: dict[str, Any] = {}
    if runnable:
        query = upload_query(engine, layout, contract, upload_id, table_name=table_name)
        results = _validate(engine, query, upload_id, suite, runnable)
    checks = []
    for expectation in suite.expectations:
        meta = expectation.meta or {}
        column = getattr(expectation, "column", None)
        blocking = bool(meta.get("blocking", True))
        common = {
            "rule": meta.get("rule", expectation.expectation_type),
            "expectation": expectation.expectation_type,
            "column": column,
            "blocking": blocking,
        }
        if expectation.id in skipped:
            checks.append(
                DatasetCheck(
                    **common,
                    success=False,
                    message="not run: the agreement stores no form of column(s) "
                    + ", ".join(f"`{c}`" for c in skipped[expectation.id]),
                )
            )
            continue
        result = results[expectation.id]
        raised = (result.exception_info or {}).get("raised_exception", False)
        checks.append(
            DatasetCheck(
                **common,
                success=bool(result.success) and not raised,
                observed=observed_figures(result.result or {}),
                message="the check could not run on this upload"
                if raised
                else meta.get("description", ""),
            )
        )
    return checks


def _columns_of(expectation) -> list[str]:
    column = getattr(expectation, "column", None)
    if column:
        return [column]
    return list(getattr(expectation, "column_list", None) or [])


def upload_query(
    engine: Engine,
    layout: Layout,
    contract: Contract,
    upload_id: str,
    *,
    table_name: str | None = None,
) -> str:
    """SELECT of one upload's rows with each available column under its contract name."""
    preparer = engine.dialect.identifier_preparer
    parts = []
    for column in contract.columns:
        target = layout.check_column(column.name)
        if target is not None:
            parts.append(f"{preparer.quote(target.name)} AS {preparer.quote(column.name)}")
    # Quoted identifiers, and an id that is a UUID the hub made (checked here): safe to write
    # into the text of a view, which takes no parameters.
    if not _is_uuid(upload_id):
        raise ValueError("upload ids are UUIDs")
    return (
        f"SELECT {', '.join(parts) or '1 AS one'} "  # noqa: S608
        f"FROM {preparer.quote(table_name or layout.table_name)} "
        f"WHERE {preparer.quote(UPLOAD_ID)} = '{upload_id}'"
    )


def _validate(engine, query, upload_id, suite, runnable) -> dict[str, Any]:
    module = gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    url = engine.url.render_as_string(hide_password=False)
    with _GX_LOCK:
        context = module.get_context(
            mode="ephemeral",
            project_config=DataContextConfig(
                analytics_enabled=False,
                progress_bars=ProgressBarsConfig(globally=False),
                store_backend_defaults=InMemoryStoreBackendDefaults(),
            ),
        )
        if db.is_postgres(engine):
            source = context.data_sources.add_postgres("hub", connection_string=url)
        else:
            source = context.data_sources.add_sqlite("hub", connection_string=url)
        view = _create_view(engine, upload_id, query)
        try:
            asset = source.add_table_asset("upload", table_name=view)
            batch = asset.add_batch_definition_whole_table("all").get_batch()
            if len(runnable) == len(suite.expectations):
                run, original = suite, {e.id: e.id for e in runnable}
            else:
                # An expectation belongs to one suite: the runnable ones go in as copies.
                run = module.ExpectationSuite(name=suite.name, expectations=[])
                original = {}
                for expectation in runnable:
                    copy = expectation.copy()
                    copy.id = None
                    original[run.add_expectation(copy).id] = expectation.id
            outcome = batch.validate(run, result_format="BASIC")
        finally:
            # Its own engine: closed here, or its connections outlive the run.
            source.get_engine().dispose()
            _drop_view(engine, view)
    return {original[r.expectation_config.id]: r for r in outcome.results}


def view_name(upload_id: str) -> str:
    return "_gx_upload_" + upload_id.replace("-", "")


def _create_view(engine: Engine, upload_id: str, query: str) -> str:
    """A view of the upload's rows for Great Expectations. A view rather than a query asset:
    for a query asset it runs the query once in full to learn the columns, and psycopg would
    fetch every row of the upload into memory; a view's columns come from the catalogue."""
    name = view_name(upload_id)
    quoted = engine.dialect.identifier_preparer.quote(name)
    with engine.begin() as connection:
        # A worker that died mid-check may have left it.
        connection.exec_driver_sql(f"DROP VIEW IF EXISTS {quoted}")
        connection.exec_driver_sql(f"CREATE VIEW {quoted} AS {query}")
    return name


def _drop_view(engine: Engine, name: str) -> None:
    quoted = engine.dialect.identifier_preparer.quote(name)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP VIEW IF EXISTS {quoted}")


def _is_uuid(text: str) -> bool:
    import uuid

    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False
