"""Generalisation of quasi-identifiers: dates to months or years, postcodes to districts or
sectors, dates of birth to age bands."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub import clock
from hub.pseudonymise import AGE_BANDS, RULES, InvalidIdentifier, age_band, age_on, generalise


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        ("year_month", "2019-07-04", "2019-07"),
        ("year_month", "4/7/2019", "2019-07"),
        ("year_month", date(2019, 7, 4), "2019-07"),
        ("year_month", datetime(2019, 7, 4, 23, 59), "2019-07"),
        ("year", "29/02/2000", "2000"),
        ("year", "2030-01-01", "2030"),  # any date, not only past ones
        ("postcode_district", "SW1A 1AA", "SW1A"),
        ("postcode_district", "sw1a1aa", "SW1A"),
        ("postcode_district", "M1 1AE", "M1"),
        ("postcode_sector", "SW1A 1AA", "SW1A 1"),
        ("postcode_sector", "dn551pt", "DN55 1"),
        ("postcode_sector", "GIR 0AA", "GIR 0"),
    ],
)
def test_rules(rule, value, expected):
    assert generalise(rule, value) == expected


@pytest.mark.parametrize(
    ("born", "on", "band"),
    [
        ("2020-06-15", date(2020, 6, 15), "0-4"),
        ("2020-06-15", date(2025, 6, 14), "0-4"),
        ("2020-06-15", date(2025, 6, 15), "5-9"),
        ("15/06/2008", date(2025, 6, 14), "15-17"),
        ("15/06/2007", date(2025, 6, 15), "18-24"),
        ("2000-02-29", date(2018, 2, 28), "15-17"),  # 29 February: 18 on 1 March
        ("2000-02-29", date(2018, 3, 1), "18-24"),
        ("1940-01-01", date(2025, 1, 1), "85+"),
        ("1900-01-01", date(2025, 1, 1), "85+"),
    ],
)
def test_age_bands_at_a_reference_date(born, on, band):
    assert generalise("age_band", born, reference_date=on) == band


def test_age_band_defaults_to_today():
    assert generalise("age_band", clock.today().isoformat()) == "0-4"


def test_the_bands_cover_every_age_without_gaps():
    assert [age_band(age) for age in (0, 4, 5, 9, 10, 14, 15, 17, 18, 24, 25, 34, 84, 85, 120)] == [
        "0-4", "0-4", "5-9", "5-9", "10-14", "10-14", "15-17", "15-17", "18-24", "18-24",
        "25-34", "25-34", "75-84", "85+", "85+",
    ]  # fmt: skip
    for (_, high), (low, _) in zip(AGE_BANDS, AGE_BANDS[1:], strict=False):
        assert low == high + 1
    with pytest.raises(ValueError):
        age_band(-1)


@settings(deadline=None)
@given(st.dates(min_value=date(1900, 1, 1)), st.dates(min_value=date(1900, 1, 1)))
def test_age_on_agrees_with_counting_birthdays(born, on):
    if born > on:
        return
    birthdays = sum(
        1
        for year in range(born.year + 1, on.year + 1)
        if (date(year, born.month, born.day) if (born.month, born.day) != (2, 29) else
            date(year, 3, 1) if year % 4 or (year % 100 == 0 and year % 400) else
            date(year, 2, 29)) <= on
    )  # fmt: skip
    assert age_on(born, on) == birthdays


@pytest.mark.parametrize(
    ("rule", "value", "kind", "code"),
    [
        ("year_month", "2019-02-30", "date", "not_a_date"),
        ("year", "July 2019", "date", "bad_format"),
        ("postcode_district", "QA1 1AA", "postcode", "not_a_postcode"),
        ("postcode_sector", "", "postcode", "empty"),
        ("age_band", "2030-01-01", "date_of_birth", "after_reference_date"),
        ("age_band", "31/02/2000", "date_of_birth", "not_a_date"),
    ],
)
def test_invalid_values_raise_without_the_value(rule, value, kind, code):
    with pytest.raises(InvalidIdentifier) as info:
        generalise(rule, value, reference_date=date(2025, 1, 1))
    assert (info.value.kind, info.value.code) == (kind, code)
    if value:
        assert value not in str(info.value) and value not in repr(info.value)


def test_an_unknown_rule_is_a_programming_error():
    assert set(RULES) == {"year_month", "year", "postcode_district", "postcode_sector", "age_band"}
    with pytest.raises(ValueError, match="unknown generalisation rule"):
        generalise("month", "2019-07-04")
