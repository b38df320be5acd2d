"""A contract as a Great Expectations suite for checks on the whole dataset.

Row checks (pandera) look at one cell at a time; these look at the dataset: how many rows,
whether a column is unique, what share of a column is missing or outside a known set. Each
expectation carries `meta.blocking` (a failed blocking expectation rejects the upload) and
`meta.rule` (the quality rule's name, for reports).

great_expectations takes seconds to import, so it is imported here on first use only.
"""

from __future__ import annotations

import uuid
import warnings
from types import ModuleType
from typing import TYPE_CHECKING, Any

from hub.contracts.model import Contract, QualityRule

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

_IDS = uuid.UUID("5b1d7c1e-6a52-4d55-9d0c-2f1f8f0b7a11")


def gx() -> ModuleType:
    """great_expectations, imported on first use."""
    with warnings.catch_warnings():
        # Its file-path data connector imports the stdlib's deprecated sre_* modules.
        warnings.filterwarnings(
            "ignore", message=r"module 'sre_\w+' is deprecated", category=DeprecationWarning
        )
        import great_expectations
        import great_expectations.expectations  # noqa: F401 - the expectation classes
    return great_expectations


def compile_expectation_suite(contract: Contract) -> ExpectationSuite:
    """The dataset-level checks of `contract` as an (unsaved) ExpectationSuite."""
    module = gx()
    expect = module.expectations
    expectations = [
        expect.ExpectColumnValuesToBeUnique(
            column=column.name, meta=_meta(f"{column.name} is unique", blocking=True)
        )
        for column in contract.columns
        if column.unique
    ]
    expectations.extend(_expectation(expect, rule) for rule in contract.quality)
    # Built without a data context: a suite made this way is never saved anywhere.
    suite = module.ExpectationSuite(
        name=f"{contract.dataset}@{contract.version}",
        expectations=expectations,
        meta={"dataset": contract.dataset, "version": contract.version},
    )
    for index, expectation in enumerate(suite.expectations):
        # Stable ids, so results can be matched to expectations and compared between runs.
        expectation.id = str(uuid.uuid5(_IDS, f"{contract.dataset}@{contract.version}#{index}"))
    return suite


def _meta(rule: str, *, blocking: bool, description: str = "") -> dict[str, Any]:
    return {"rule": rule, "blocking": blocking, "description": description}


def _expectation(expect: ModuleType, rule: QualityRule):
    meta = _meta(rule.name, blocking=rule.blocking, description=rule.description)
    if rule.metric == "rowCount":
        return _row_count(expect, rule, meta)
    mostly = _mostly(rule)
    if rule.metric in ("nullValues", "missingValues"):
        return expect.ExpectColumnValuesToNotBeNull(column=rule.column, mostly=mostly, meta=meta)
    if rule.metric == "duplicateValues":
        if rule.column is None:
            return expect.ExpectCompoundColumnsToBeUnique(
                column_list=list(rule.arguments["properties"]), mostly=mostly, meta=meta
            )
        return expect.ExpectColumnValuesToBeUnique(column=rule.column, mostly=mostly, meta=meta)
    if rule.metric == "invalidValues":
        if "validValues" in rule.arguments:
            return expect.ExpectColumnValuesToBeInSet(
                column=rule.column,
                value_set=[str(v) for v in rule.arguments["validValues"]],
                mostly=mostly,
                meta=meta,
            )
        return expect.ExpectColumnValuesToMatchRegex(
            column=rule.column, regex=str(rule.arguments["pattern"]), mostly=mostly, meta=meta
        )
    raise ValueError(f"quality metric {rule.metric} has no expectation")  # the loader refuses these


def _mostly(rule: QualityRule) -> float:
    """The share of rows that must pass, from an upper bound on the share that may fail."""
    if rule.unit == "rows":  # the loader allows only `mustBe: 0` in rows
        return 1.0
    return max(0.0, min(1.0, 1 - float(rule.threshold) / 100))


def _row_count(expect: ModuleType, rule: QualityRule, meta: dict[str, Any]):
    value = rule.threshold
    if rule.operator == "mustBe":
        return expect.ExpectTableRowCountToEqual(value=int(value), meta=meta)
    low, high = {
        "mustBeGreaterThan": (int(value) + 1, None),
        "mustBeGreaterOrEqualTo": (int(value), None),
        "mustBeLessThan": (None, int(value) - 1),
        "mustBeLessOrEqualTo": (None, int(value)),
        "mustBeBetween": (int(value[0]), int(value[1]))
        if isinstance(value, list)
        else (None, None),
    }[rule.operator]
    return expect.ExpectTableRowCountToBeBetween(min_value=low, max_value=high, meta=meta)
