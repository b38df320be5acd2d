"""Validate a dataset against its contract, and the report that says what failed.

A report names the row number, the column and the failed check. It never holds the value of
an identifier column: a value is quoted only for columns the contract classifies `public`
that carry no identifier (Decision 3 of DESIGN.md).
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, computed_field

from hub.contracts.compile_dataset import compile_expectation_suite, gx
from hub.contracts.compile_rows import compile_row_schema
from hub.contracts.model import Contract

# Figures from a Great Expectations result that are counts or shares, never values.
_OBSERVED = (
    "element_count",
    "missing_count",
    "missing_percent",
    "unexpected_count",
    "unexpected_percent",
    "observed_value",
)


class RowFailure(BaseModel):
    model_config = ConfigDict(extra="forbid")

    row: int = Field(description="Data row number, from 1 (the header line is not a row).")
    column: str
    check: str = Field(
        description="The failed check: required, pattern, enum, is_date, maximum, ..."
    )
    message: str
    value: str | None = Field(
        default=None, description="The cell, only for public non-identifier columns."
    )


class ColumnProblem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    column: str
    check: Literal["missing_column", "unexpected_column", "check_not_run"]
    message: str


class DatasetCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: str
    expectation: str
    column: str | None = None
    success: bool
    blocking: bool
    observed: dict[str, float | int | None] = {}
    message: str = ""


class Report(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset: str
    version: str
    rows: int
    invalid_rows: int
    max_invalid_fraction: float
    columns: list[ColumnProblem] = []
    row_failures: list[RowFailure] = []
    row_failures_omitted: int = Field(
        default=0, description="Failures not listed because the list is capped."
    )
    invalid_row_numbers: list[int] = []
    dataset_checks: list[DatasetCheck] = []

    @computed_field
    @property
    def invalid_fraction(self) -> float:
        return self.invalid_rows / self.rows if self.rows else 0.0

    @computed_field
    @property
    def rejected_because(self) -> list[str]:
        reasons = [p.message for p in self.columns]
        if self.invalid_fraction > self.max_invalid_fraction:
            reasons.append(
                f"{self.invalid_rows} of {self.rows} rows failed row checks "
                f"({self.invalid_fraction:.2%}; the contract allows "
                f"{self.max_invalid_fraction:.2%})"
            )
        reasons.extend(
            f"dataset check `{c.rule}` failed"
            for c in self.dataset_checks
            if c.blocking and not c.success
        )
        return reasons

    @computed_field
    @property
    def accepted(self) -> bool:
        return not self.rejected_because


def validate(
    contract: Contract,
    frame: pd.DataFrame,
    *,
    first_row: int = 1,
    max_row_failures: int = 1000,
    dataset_checks: bool = True,
) -> Report:
    """Check `frame` (the file as text: read it with dtype=str, keep_default_na=False)."""
    import pandera.pandas as pa

    text = _as_text(frame)
    columns, failures, invalid = [], [], set()
    try:
        compile_row_schema(contract).validate(text, lazy=True)
    except pa.errors.SchemaErrors as exc:
        columns, failures, invalid = _row_failures(contract, exc, first_row)
    failures.sort(key=lambda f: (f.row, _position(contract, f.column), f.check))
    checks = _dataset_checks(contract, text, columns) if dataset_checks else []
    return Report(
        dataset=contract.dataset,
        version=contract.version,
        rows=len(text),
        invalid_rows=len(invalid),
        max_invalid_fraction=contract.max_invalid_fraction,
        columns=columns,
        row_failures=failures[:max_row_failures],
        row_failures_omitted=max(0, len(failures) - max_row_failures),
        invalid_row_numbers=sorted(invalid),
        dataset_checks=checks,
    )


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    text = frame.reset_index(drop=True)
    text.columns = [str(c) for c in text.columns]
    return text.astype(object).where(text.notna(), "").astype(str)


def _position(contract: Contract, column: str) -> int:
    names = contract.column_names
    return names.index(column) if column in names else len(names)


def _row_failures(contract: Contract, exc, first_row: int):
    schema = exc.schema
    columns: list[ColumnProblem] = []
    failures: list[RowFailure] = []
    invalid: set[int] = set()
    cases = exc.failure_cases
    for case in cases.itertuples(index=False):
        if case.schema_context == "DataFrameSchema":
            name = str(case.failure_case)
            if case.check == "column_in_dataframe":
                columns.append(
                    ColumnProblem(
                        column=name, check="missing_column", message=f"column `{name}` is missing"
                    )
                )
            elif case.check == "column_in_schema":
                columns.append(
                    ColumnProblem(
                        column=name,
                        check="unexpected_column",
                        message=f"column `{name}` is not in the contract",
                    )
                )
            continue
        column = contract.column(str(case.column))
        if column is None:
            continue  # a column the contract does not have: reported above as unexpected
        number = None if pd.isna(case.check_number) else int(case.check_number)
        if pd.isna(case.index) or number is None:
            # A check that could not run at all; its error text may quote data, so it is not kept.
            name = (
                schema.columns[column.name].checks[number].name
                if number is not None
                else case.check
            )
            columns.append(
                ColumnProblem(
                    column=column.name,
                    check="check_not_run",
                    message=f"check `{name}` could not run on column `{column.name}`",
                )
            )
            continue
        check = schema.columns[column.name].checks[number]
        row = int(case.index) + first_row
        invalid.add(row)
        failures.append(
            RowFailure(
                row=row,
                column=column.name,
                check=check.name,
                message=f"{column.name} {check.error}",
                value=str(case.failure_case) if column.values_reportable else None,
            )
        )
    return columns, failures, invalid


def _dataset_checks(
    contract: Contract, text: pd.DataFrame, columns: list[ColumnProblem]
) -> list[DatasetCheck]:
    suite = compile_expectation_suite(contract)
    if not suite.expectations:
        return []
    missing = {p.column for p in columns if p.check == "missing_column"}
    frame = text.mask(text == "")  # an empty cell is a missing value to Great Expectations
    results = _run_suite(suite, frame)
    checks = []
    for expectation, result in zip(suite.expectations, results, strict=True):
        meta = expectation.meta or {}
        column = getattr(expectation, "column", None)
        raised = (result.exception_info or {}).get("raised_exception", False)
        message = meta.get("description", "")
        if column in missing:
            message = f"not run: column `{column}` is missing"
        elif raised:
            message = "the check could not run on this dataset"
        checks.append(
            DatasetCheck(
                rule=meta.get("rule", expectation.expectation_type),
                expectation=expectation.expectation_type,
                column=column,
                success=bool(result.success) and not raised and column not in missing,
                blocking=bool(meta.get("blocking", True)),
                observed=observed_figures(result.result or {}),
                message=message,
            )
        )
    return checks


def _run_suite(suite, frame: pd.DataFrame) -> list:
    module = gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    context = module.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
            store_backend_defaults=InMemoryStoreBackendDefaults(),
        ),
    )
    asset = context.data_sources.add_pandas("hub").add_dataframe_asset("dataset")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": frame}
    )
    # One result per expectation, in suite order; SUMMARY keeps the counts we report.
    outcome = batch.validate(suite, result_format="SUMMARY")
    by_id = {r.expectation_config.id: r for r in outcome.results}
    return [by_id[e.id] for e in suite.expectations]


def observed_figures(result: dict[str, Any]) -> dict[str, float | int | None]:
    """The counts and shares of a Great Expectations result, never a value from the data."""
    observed = {}
    for key in _OBSERVED:
        value = result.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue  # counts and shares only: never a value from the data
        observed[key] = value
    return observed
