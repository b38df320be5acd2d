import pytest

from hub.ingest.parse_errors import ParseError
from hub.ingest.parse_header import map_header, normalise_column_name

CONTRACT = ["Crime ID", "Month", "LSOA code", "Crime type", "Context"]
REQUIRED = {"Month", "Crime type"}


def test_exact_names_map_to_their_positions():
    header = map_header(["Month", "Crime type", "Crime ID"], CONTRACT, REQUIRED)
    assert header.positions == {"Month": 0, "Crime type": 1, "Crime ID": 2}
    assert header.renamed == {}
    assert header.missing_optional == ("LSOA code", "Context")
    assert header.extra == ()


@pytest.mark.parametrize(
    "found",
    ["crime type", "CRIME TYPE", "  Crime   type ", "crime_type", "Crime__Type", "Crime\u00a0type",
     "\ufeffCrime type", "crime\ttype"],
)  # fmt: skip
def test_case_spacing_and_underscores_do_not_matter(found):
    header = map_header(["Month", found], CONTRACT, REQUIRED)
    assert header.positions["Crime type"] == 1
    assert header.renamed == {found: "Crime type"}


def test_hyphens_and_other_punctuation_do_matter():
    assert normalise_column_name("LSOA-code") != normalise_column_name("LSOA code")
    header = map_header(["Month", "Crime type", "LSOA-code"], CONTRACT, REQUIRED)
    assert header.extra == ("LSOA-code",)


def test_missing_required_names_what_is_missing_and_what_was_found():
    with pytest.raises(ParseError) as info:
        map_header(["Crime ID", "Crime Category", "Month"], CONTRACT, REQUIRED)
    error = info.value
    assert error.code == "missing_columns" and error.row == 1
    assert error.details == {
        "missing": ["Crime type"],
        "found": ["Crime ID", "Crime Category", "Month"],
        "looks_like": {"Crime type": "Crime Category"},
    }
    assert "'Crime Category' looks like 'Crime type': rename it, or map it" in error.detail


def test_a_renamed_column_is_named_with_the_column_it_looks_like():
    everything = set(CONTRACT)  # a column is required in the header unless it may be omitted
    with pytest.raises(ParseError) as info:
        map_header(["Crime Reference", "Month", "LSOA code", "Crime type", "Context"], CONTRACT,
                   everything)  # fmt: skip
    assert info.value.code == "missing_columns"
    assert info.value.details["missing"] == ["Crime ID"]
    assert info.value.details["looks_like"] == {"Crime ID": "Crime Reference"}
    assert "'Crime Reference' looks like 'Crime ID': rename it, or map it in the contract" in (
        info.value.detail
    )


def test_an_optional_column_missing_from_the_header_is_an_error_unless_it_may_be_omitted():
    found = ["Crime ID", "Month", "LSOA code", "Crime type"]
    with pytest.raises(ParseError) as info:
        map_header(found, CONTRACT, set(CONTRACT))
    assert info.value.details["missing"] == ["Context"]
    header = map_header(found, CONTRACT, set(CONTRACT) - {"Context"})
    assert header.missing_optional == ("Context",)


def test_header_aliases_from_the_contract_are_accepted():
    aliases = {"Crime ID": ("Crime Reference",)}
    found = ["crime reference", "Month", "Crime type"]
    header = map_header(found, CONTRACT, REQUIRED | {"Crime ID"}, aliases=aliases)
    assert header.positions["Crime ID"] == 0
    assert header.resolve("Crime Reference") == "Crime ID"


def test_a_header_that_matches_nothing_is_not_echoed():
    # probably a data row: its "names" could be identifiers
    with pytest.raises(ParseError) as info:
        map_header(["9434765919", "Smith", "2026-02"], CONTRACT, REQUIRED)
    assert info.value.code == "missing_columns"
    assert "Smith" not in info.value.detail and "9434765919" not in info.value.detail
    assert "Smith" not in str(info.value.extra)


def test_extra_and_unnamed_columns_are_warnings():
    header = map_header(["Month", "Notes", "Crime type", "", " "], CONTRACT, REQUIRED)
    assert header.extra == ("Notes",)
    assert header.unnamed == 2
    warnings = header.warnings()
    assert any("'Notes'" in w for w in warnings)
    assert any("2 column(s) with an empty name" in w for w in warnings)
    assert any("'Crime ID'" in w and "leave out" in w for w in warnings)


@pytest.mark.parametrize(
    "found",
    [["Month", "Month", "Crime type"], ["Month", "month", "Crime type"],
     ["Month", "Crime type", "crime_type"]],
)  # fmt: skip
def test_two_columns_for_one_contract_column_are_duplicates(found):
    with pytest.raises(ParseError) as info:
        map_header(found, CONTRACT, REQUIRED)
    assert info.value.code == "duplicate_columns"


def test_duplicate_extra_columns_are_only_extras():
    header = map_header(["Month", "Crime type", "Notes", "Notes"], CONTRACT, REQUIRED)
    assert header.extra == ("Notes", "Notes")


def test_exact_match_wins_over_a_normalised_one():
    contract = ["Crime ID", "crime_id"]
    header = map_header(["crime_id", "Crime ID"], contract, set())
    assert header.positions == {"crime_id": 0, "Crime ID": 1}
    assert header.resolve("CRIME ID") is None  # ambiguous in the contract: exact only


def test_resolve_applies_the_same_rules_to_one_name():
    header = map_header(["Month", "Crime type"], CONTRACT, REQUIRED)
    assert header.resolve("lsoa_code") == "LSOA code"
    assert header.resolve("Notes") is None


def test_required_must_be_contract_columns():
    with pytest.raises(ValueError):
        map_header(["Month"], ["Month"], {"Nope"})
