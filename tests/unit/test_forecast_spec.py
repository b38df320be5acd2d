"""Forecast views are checked at start: the agreement's purpose, victim-reported crime types
unless the DPIA lists more, and never a source of records about people."""

from __future__ import annotations

import shutil

import pytest

from hub.agreements import check_policies, load_policies
from hub.settings import PROJECT_ROOT
from hub.views import ViewProblems, check_views, load_views

POLICIES, CONTRACTS = PROJECT_ROOT / "policies", PROJECT_ROOT / "contracts"
SHIPPED = (POLICIES / "views" / "street-crime-forecast.yaml").read_text()
AGREEMENT = "agreements/crime-asb-hotspots.yaml"


@pytest.fixture(scope="module")
def policies():
    return load_policies(POLICIES, CONTRACTS)


def tree(tmp_path, text: str, agreement_edit: tuple[str, str] | None = None):
    folder = tmp_path / "policies"
    shutil.copytree(POLICIES, folder)
    (folder / "views" / "street-crime-forecast.yaml").write_text(text, encoding="utf-8")
    if agreement_edit:
        path = folder / AGREEMENT
        path.write_text(path.read_text().replace(*agreement_edit))
    return folder


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_shipped_forecast_view_loads(policies):
    view = load_views(POLICIES, policies)["street-crime-forecast"]
    assert view.kind == "forecast" and view.purpose == "patrol-planning"
    assert view.forecast.crime_types is None  # the victim-reported default


DRUGS = SHIPPED.replace("  unit:", "  crime_types: [Burglary, Drugs]\n  unit:")


def test_a_police_initiated_type_is_refused_unless_the_dpia_lists_it(tmp_path, policies):
    folder = tree(tmp_path, DRUGS)
    _, problems = check_views(folder, policies)
    (problem,) = problems
    assert problem.line == line_of(DRUGS, "crime_types:")
    assert (
        "`Drugs` is police-initiated" in problem.problem and "DPIA-NP-2025-007" in problem.problem
    )
    assert "dpia_forecast_crime_types" in problem.fix
    with pytest.raises(ViewProblems) as caught:
        load_views(folder, policies)
    assert "street-crime-forecast.yaml:" in str(caught.value)

    # The DPIA assessed drugs for forecasting: the agreement says so, and the view loads.
    folder = tree(
        tmp_path / "assessed",
        DRUGS,
        ("min_cell_size: 5", "min_cell_size: 5\ndpia_forecast_crime_types: [Drugs]"),
    )
    result = check_policies(folder, CONTRACTS)
    assert result.problems == []
    views, problems = check_views(folder, result.policies)
    assert problems == [] and "Burglary" in views["street-crime-forecast"].forecast.crime_types


def test_an_unknown_dpia_type_stops_the_hub_at_start(tmp_path):
    folder = tree(
        tmp_path,
        SHIPPED,
        ("min_cell_size: 5", "min_cell_size: 5\ndpia_forecast_crime_types: [Dugs]"),
    )
    problems = [str(p) for p in check_policies(folder, CONTRACTS).problems]
    assert any(
        "crime-asb-hotspots.yaml:" in p and "dpia_forecast_crime_types" in p for p in problems
    )


@pytest.mark.parametrize(
    ("change", "expected", "needle"),
    [
        (
            ("purpose: patrol-planning", "purpose: safeguarding-early-help"),
            "must be its agreement's",
            "purpose:",
        ),
        (("purpose: patrol-planning\n", ""), "must be its agreement's", "kind: forecast"),
    ],
)
def test_the_purpose_must_be_the_agreements(tmp_path, policies, change, expected, needle):
    text = SHIPPED.replace(*change)
    _, problems = check_views(tree(tmp_path, text), policies)
    assert any(expected in p.problem and p.line == line_of(text, needle) for p in problems), [
        str(p) for p in problems
    ]


@pytest.mark.parametrize("dataset", ["council-asb-reports"])
def test_a_source_of_records_about_people_is_refused(tmp_path, policies, dataset):
    text = SHIPPED.replace("dataset: police-street-crime", f"dataset: {dataset}")
    _, problems = check_views(tree(tmp_path, text), policies)
    assert any(
        "records about people" in p.problem and p.line == line_of(text, f"dataset: {dataset}")
        for p in problems
    ), [str(p) for p in problems]


def test_a_person_level_source_under_the_other_agreement_is_refused(tmp_path, policies):
    text = (
        SHIPPED.replace(
            "agreement: crime-asb-hotspots", "agreement: early-intervention-young-people"
        )
        .replace("purpose: patrol-planning", "purpose: safeguarding-early-help")
        .replace("dataset: police-street-crime", "dataset: nhs-ae-attendances")
    )
    _, problems = check_views(tree(tmp_path, text), policies)
    assert any("records about people" in p.problem for p in problems), [str(p) for p in problems]
