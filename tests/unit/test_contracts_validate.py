"""Contracts compile to row checks (pandera) and dataset checks (Great Expectations), and a
report names row, column and check, never an identifier's value."""


import pandas as pd
import pytest

from hub.contracts import (
    compile_expectation_suite,
    compile_row_schema,
    load_contracts,
    validate,
)
from hub.settings import PROJECT_ROOT
from tests.data import POLICE_STREET_CSV

POLICE_CSV = POLICE_STREET_CSV
STREET_COLUMNS = [
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
]
STOP_SEARCH_COLUMNS = [
    "Type",
    "Date",
    "Part of a policing operation",
    "Policing operation",
    "Latitude",
    "Longitude",
    "Gender",
    "Age range",
    "Self-defined ethnicity",
    "Officer-defined ethnicity",
    "Legislation",
    "Object of search",
    "Outcome",
    "Outcome linked to object of search",
    "Removal of more than just outer clothing",
]


@pytest.fixture(scope="module")
def contracts():
    return load_contracts(PROJECT_ROOT / "contracts")


@pytest.fixture(scope="module")
def street(contracts):
    return contracts["police-street-crime"]


@pytest.fixture(scope="module")
def police_month() -> pd.DataFrame:
    if not POLICE_CSV.exists():
        pytest.fail(f"the sample month {POLICE_CSV} is missing")
    return pd.read_csv(POLICE_CSV, dtype=str, keep_default_na=False)


def test_police_contracts_name_the_columns_exactly_as_published(contracts):
    assert list(contracts["police-street-crime"].column_names) == STREET_COLUMNS
    assert list(contracts["police-stop-search"].column_names) == STOP_SEARCH_COLUMNS


def test_the_real_police_month_passes_every_row_unchanged(street, police_month):
    assert len(police_month) == 688
    report = validate(street, police_month)
    assert report.row_failures == [], report.row_failures[:5]
    assert report.columns == []
    assert report.invalid_rows == 0
    assert report.rows == 688
    assert all(check.success for check in report.dataset_checks), report.dataset_checks
    assert report.accepted


def test_the_row_schema_alone_accepts_the_real_month(street, police_month):
    # The pandera schema itself, as ingest will use it chunk by chunk.
    schema = compile_row_schema(street)
    assert set(schema.columns) == set(STREET_COLUMNS)
    validated = schema.validate(police_month, lazy=True)
    assert len(validated) == 688


def test_bad_rows_name_row_column_and_check(street, police_month):
    bad = police_month.head(20).copy()
    bad.loc[0, "Crime type"] = "Burgalry"
    bad.loc[1, "Month"] = "2026-13"
    bad.loc[2, "Longitude"] = "west"
    bad.loc[3, "Latitude"] = "70.5"
    bad.loc[4, "Location"] = ""
    bad.loc[5, "LSOA code"] = "X01000001"
    report = validate(street, bad)
    found = {(f.row, f.column, f.check) for f in report.row_failures}
    assert found == {
        (1, "Crime type", "enum"),
        (2, "Month", "is_date"),
        (3, "Longitude", "is_number"),
        (4, "Latitude", "maximum"),
        (5, "Location", "required"),
        (6, "LSOA code", "pattern"),
    }
    assert report.invalid_row_numbers == [1, 2, 3, 4, 5, 6]
    # Public, non-identifier columns may be quoted to help the provider fix them.
    assert {f.value for f in report.row_failures if f.row == 1} == {"Burgalry"}
    # Six bad rows of twenty is more than the 1% the contract allows.
    assert not report.accepted
    assert "6 of 20 rows failed row checks" in report.rejected_because[0]


def test_a_few_bad_rows_within_the_allowance_are_accepted(street, police_month):
    bad = police_month.copy()
    bad.loc[10, "Crime type"] = "Burgalry"
    report = validate(street, bad)
    assert report.invalid_rows == 1
    assert report.accepted  # 1 of 688 is within maxInvalidFraction 0.01
    assert report.invalid_row_numbers == [11]


def test_row_numbers_count_from_first_row(street, police_month):
    bad = police_month.head(3).copy()
    bad.loc[2, "Month"] = "Feb 2026"
    report = validate(street, bad, first_row=1001)
    assert [(f.row, f.column) for f in report.row_failures] == [(1003, "Month")]


def test_missing_and_unexpected_columns_reject_the_file(street, police_month):
    frame = police_month.drop(columns=["Context"]).assign(Notes="")
    report = validate(street, frame)
    assert {(p.column, p.check) for p in report.columns} == {
        ("Context", "missing_column"),
        ("Notes", "unexpected_column"),
    }
    assert not report.accepted


def test_a_duplicate_crime_id_fails_a_blocking_dataset_check(street, police_month):
    frame = police_month.copy()
    frame.loc[1, "Crime ID"] = frame.loc[0, "Crime ID"]
    report = validate(street, frame)
    unique = next(c for c in report.dataset_checks if c.column == "Crime ID")
    assert not unique.success and unique.blocking
    assert unique.observed["unexpected_count"] == 2
    assert report.rejected_because == ["dataset check `Crime ID is unique` failed"]


def test_an_unknown_outcome_category_is_a_warning_not_a_rejection(street, police_month):
    frame = police_month.copy()
    frame.loc[frame.index[:100], "Last outcome category"] = "Suspect given a lollipop"
    report = validate(street, frame)
    known = next(c for c in report.dataset_checks if c.rule == "known outcome categories")
    assert not known.success and not known.blocking
    assert report.invalid_rows == 0
    assert report.accepted


PERSON = {
    "upn": "A123456789012",
    "nhs_number": "943 476 5919",
    "forename": "Jordan",
    "surname": "Smithson",
    "date_of_birth": "2011-04-09",
    "postcode": "NE1 4ST",
    "academic_year": "2025/26",
    "term": "autumn",
    "sessions_possible": "140",
    "sessions_authorised_absence": "6",
    "sessions_unauthorised_absence": "3",
}


def test_person_level_rows_pass_when_well_formed(contracts):
    frame = pd.DataFrame([PERSON, {**PERSON, "upn": "B123456789012", "nhs_number": ""}])
    report = validate(contracts["school-attendance"], frame)
    assert report.row_failures == []
    assert report.accepted


def test_reports_never_hold_identifier_values(contracts):
    attendance = contracts["school-attendance"]
    secrets = {
        "upn": "I12345678901Z",  # I is never a UPN check letter
        "nhs_number": "94347659199999",
        "forename": "X" * 101,
        "surname": "",
        "date_of_birth": "09/04/2011",
        "postcode": "NOT A POSTCODE",
    }
    frame = pd.DataFrame([{**PERSON, **secrets}, {**PERSON, "sessions_possible": "lots"}])
    report = validate(attendance, frame)
    failed = {(f.row, f.column, f.check) for f in report.row_failures}
    assert failed == {
        (1, "upn", "pattern"),
        (1, "nhs_number", "pattern"),
        (1, "forename", "max_length"),
        (1, "surname", "required"),
        (1, "date_of_birth", "is_date"),
        (1, "postcode", "pattern"),
        (2, "sessions_possible", "is_integer"),
    }
    assert all(f.value is None for f in report.row_failures)  # restricted columns: no values
    text = report.model_dump_json()
    for value in secrets.values():
        if value:
            assert value not in text
    assert "Jordan" not in text and "Smithson" not in text


def test_dataset_checks_report_counts_never_values(contracts):
    attendance = contracts["school-attendance"]
    frame = pd.DataFrame([PERSON, PERSON])  # the same pupil and term twice
    report = validate(attendance, frame)
    duplicate = next(c for c in report.dataset_checks if c.rule == "one row per pupil per term")
    assert not duplicate.success and duplicate.blocking
    assert PERSON["upn"] not in report.model_dump_json()


def test_stop_and_search_types(contracts):
    contract = contracts["police-stop-search"]
    row = dict.fromkeys(STOP_SEARCH_COLUMNS, "")
    row.update(
        {
            "Type": "Person search",
            "Date": "2019-05-31T23:01:00+00:00",
            "Gender": "Male",
            "Age range": "18-24",
            "Outcome linked to object of search": "False",
            "Part of a policing operation": "True",
            "Latitude": "51.51",
            "Longitude": "-0.09",
        }
    )
    frame = pd.DataFrame(
        [
            row,
            {**row, "Date": "2019-05-31 23:01"},  # no offset
            {**row, "Age range": "over 99", "Outcome linked to object of search": "maybe"},
        ]
    )
    report = validate(contract, frame)
    assert {(f.row, f.column, f.check) for f in report.row_failures} == {
        (2, "Date", "is_timestamp"),
        (3, "Age range", "enum"),
        (3, "Outcome linked to object of search", "is_boolean"),
    }


def test_expectation_suite_from_the_contract(street):
    suite = compile_expectation_suite(street)
    kinds = {(e.expectation_type, getattr(e, "column", None)) for e in suite.expectations}
    assert kinds == {
        ("expect_column_values_to_be_unique", "Crime ID"),
        ("expect_table_row_count_to_be_between", None),
        ("expect_column_values_to_not_be_null", "LSOA code"),
        ("expect_column_values_to_be_in_set", "Last outcome category"),
    }
    located = next(e for e in suite.expectations if getattr(e, "column", None) == "LSOA code")
    assert located.mostly == pytest.approx(0.8)
    assert located.meta["blocking"] is False
    again = compile_expectation_suite(street)
    assert [e.id for e in again.expectations] == [e.id for e in suite.expectations]


def test_every_shipped_contract_compiles(contracts):
    assert len(contracts) == 8
    for contract in contracts.values():
        compile_row_schema(contract)
        compile_expectation_suite(contract)


def test_a_check_that_cannot_run_is_reported_without_its_error_text(
    street, police_month, monkeypatch
):
    from hub.contracts import compile_rows

    def explode(series):
        raise ValueError(f"cannot read {series.iloc[0]}")

    monkeypatch.setattr(compile_rows, "row_checks", lambda column: [("boom", "explodes", explode)])
    report = validate(street, police_month.head(3), dataset_checks=False)
    assert {(p.column, p.check) for p in report.columns} == {
        (name, "check_not_run") for name in STREET_COLUMNS
    }
    assert "cannot read" not in report.model_dump_json()
    assert not report.accepted
