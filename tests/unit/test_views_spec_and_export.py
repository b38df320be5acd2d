"""View specs are checked against the agreements at start; exports are safe to open."""

from __future__ import annotations

import csv
import io
import shutil

import pyarrow.parquet as pq
import pytest

from hub.agreements import load_policies
from hub.settings import PROJECT_ROOT
from hub.views import ViewProblems, check_views, load_views
from hub.views.export import negotiate, to_csv, to_parquet

POLICIES, CONTRACTS = PROJECT_ROOT / "policies", PROJECT_ROOT / "contracts"


@pytest.fixture(scope="module")
def policies():
    return load_policies(POLICIES, CONTRACTS)


def test_the_example_views_load(policies):
    views = load_views(POLICIES, policies)
    assert set(views) == {
        "early-intervention-cohort",
        "crime-asb-hotspots",
        "violence-hotspots",
        "street-crime-forecast",
    }


def with_view(tmp_path, name: str, text: str):
    folder = tmp_path / "policies"
    shutil.copytree(POLICIES, folder)
    (folder / "views" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


ETHNICITY = """\
id: nosy
title: Nosy
description: Reads what the council is not granted.
agreement: early-intervention-young-people
kind: aggregate
partners: [northshire-council]
roles: [analyst]
sources:
  - alias: police
    dataset: police-contacts
aggregate:
  dimensions:
    - name: ethnicity
      description: x
      sources: {police: ethnicity}
  measures:
    - {name: contacts, source: police, description: x}
"""


def test_a_view_that_reads_a_field_the_agreement_does_not_grant_is_an_error(tmp_path, policies):
    folder = with_view(tmp_path, "nosy", ETHNICITY)
    _, problems = check_views(folder, policies)
    assert len(problems) == 1
    (problem,) = problems
    assert problem.path.name == "nosy.yaml" and problem.line == 15
    assert "`ethnicity`" in problem.problem and "northshire-council" in problem.problem
    with pytest.raises(ViewProblems) as caught:
        load_views(folder, policies)
    assert "nosy.yaml:15:" in str(caught.value) and "\n" not in str(caught.value)


def test_a_view_may_not_read_a_source_record_reference(tmp_path, policies):
    folder = with_view(
        tmp_path, "nosy", ETHNICITY.replace("{police: ethnicity}", "{police: contact_id}")
    )
    _, problems = check_views(folder, policies)
    assert [p.line for p in problems] == [15], [str(p) for p in problems]
    assert "is the source record reference of `police-contacts`" in problems[0].problem
    with pytest.raises(ViewProblems):
        load_views(folder, policies)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("dataset: police-contacts", "dataset: police-street-crime"), "does not share"),
        (("partners: [northshire-council]", "partners: [riverside-academy]"), "not a recipient"),
        (("kind: aggregate", "kind: aggregate\nsurprise: 1"), "not a known field"),
        (("agreement: early-intervention-young-people", "agreement: nope"), "unknown agreement"),
    ],
)
def test_other_view_mistakes_name_the_line(tmp_path, policies, change, expected):
    folder = with_view(tmp_path, "nosy", ETHNICITY.replace(*change))
    _, problems = check_views(folder, policies)
    assert any(expected in p.problem for p in problems), [str(p) for p in problems]
    assert all(p.line > 1 for p in problems)


def test_csv_cells_that_start_a_formula_are_escaped():
    rows = [
        {"a": '=HYPERLINK("x")', "b": "+1", "c": "-2", "d": "@SUM(A1)", "e": -3},
        {"a": "plain", "b": None, "c": "\tx", "d": "ok", "e": 4},
    ]
    read = list(csv.reader(io.StringIO(to_csv(list("abcde"), rows).decode())))
    assert read[1] == ['\'=HYPERLINK("x")', "'+1", "'-2", "'@SUM(A1)", "-3"]  # -3: a number
    assert read[2] == ["plain", "", "'\tx", "ok", "4"]


def test_parquet_keeps_types_and_reads_back_with_pyarrow():
    data = to_parquet(
        ["p", "n"],
        [{"p": "ab", "n": 3}, {"p": "cd", "n": None}],
        {"p": "pseudonym", "n": "integer"},
    )
    table = pq.read_table(io.BytesIO(data))
    assert table.column("n").to_pylist() == [3, None]
    assert str(table.schema.field("n").type) == "int64"
    empty = pq.read_table(io.BytesIO(to_parquet(["p"], [], {})))
    assert empty.num_rows == 0 and empty.column_names == ["p"]


def test_accept_chooses_the_format():
    assert negotiate(None) == "application/json"
    assert negotiate("text/csv;q=0.9, application/json") == "text/csv"
    assert negotiate("application/vnd.apache.parquet") == "application/vnd.apache.parquet"
    assert negotiate("*/*") == "application/json"


def test_an_invalid_view_stops_the_hub_at_start(tmp_path, test_keys):
    from hub.app import create_app
    from tests.conftest import make_settings

    folder = with_view(tmp_path, "nosy", ETHNICITY)
    settings = make_settings(tmp_path, None, test_keys, policies_dir=folder)
    with pytest.raises(ViewProblems, match=r"nosy\.yaml:15: `police\.ethnicity`"):
        create_app(settings)
