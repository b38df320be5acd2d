"""The CSV template of every contract passes that contract: header, row and dataset checks."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from hub.contracts import load_contracts, validate
from hub.ingest.template import template_csv, template_rows
from hub.pseudonymise import normalise
from hub.settings import PROJECT_ROOT

CONTRACTS = load_contracts(PROJECT_ROOT / "contracts")


@pytest.mark.parametrize("dataset", sorted(CONTRACTS))
def test_the_template_passes_its_contract(dataset):
    contract = CONTRACTS[dataset]
    text = template_csv(contract)
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)

    assert list(frame.columns) == list(contract.column_names)
    assert len(frame) >= 3
    report = validate(contract, frame)
    assert report.columns == []
    assert report.row_failures == [], report.row_failures
    assert [c.rule for c in report.dataset_checks if not c.success] == []
    assert report.accepted


@pytest.mark.parametrize("dataset", sorted(CONTRACTS))
def test_template_identifiers_are_valid_and_synthetic(dataset):
    contract = CONTRACTS[dataset]
    for row in template_rows(contract):
        for column in contract.identifier_columns:
            value = row[column.name]
            normalise(kind=column.identifier_kind, value=value)  # raises if invalid
            if column.identifier_kind == "nhs_number":
                assert value.startswith("999")  # the range the NHS never issues
            if column.identifier_kind == "upn":
                assert value[1:4] == "999"  # no local authority has the number 999


def test_unique_columns_differ_between_rows():
    for contract in CONTRACTS.values():
        rows = template_rows(contract, rows=5)
        for column in contract.columns:
            if column.unique:
                assert len({r[column.name] for r in rows}) == 5, (contract.dataset, column.name)
