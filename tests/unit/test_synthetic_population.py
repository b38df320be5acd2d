"""The synthetic Northshire population: valid fictional identifiers, a consistent geography,
a few thousand young people and a cohort known to several agencies."""

from __future__ import annotations

import collections
import re
from datetime import date

import pytest

from hub.pseudonymise import normalise
from hub.synthetic import (
    DEFAULT_TODAY,
    EXCLUSION,
    HOT_SPOTS,
    LSOAS,
    MIN_SIGNALS,
    PERSISTENT_ABSENCE,
    SCHOOLS,
    SIGNALS,
    make_population,
)
from hub.synthetic.geography import LSOA_BY_NAME, LSOA_BY_POSTCODE

SIZE = 2_000


@pytest.fixture(scope="module")
def population():
    return make_population(size=SIZE, seed=2026)


def test_the_same_seed_gives_the_same_people_and_another_seed_others(population):
    assert make_population(size=SIZE, seed=2026) == population
    assert make_population(size=SIZE, seed=7) != population


def test_size_is_the_number_of_residents_with_distinct_ids(population):
    assert len(population) == SIZE
    assert len({p.id for p in population}) == SIZE


def test_a_population_too_small_to_fill_every_feed_is_refused():
    with pytest.raises(ValueError, match="at least"):
        make_population(size=500)


def test_nhs_numbers_are_valid_unique_and_from_the_test_range(population):
    numbers = [p.nhs_number for p in population]
    assert len(set(numbers)) == len(numbers)
    for number in numbers:
        assert normalise(kind="nhs_number", value=number) == number
        assert number.startswith("999")


def test_school_age_children_have_valid_upns_of_the_fictional_authority(population):
    ay_start = date(DEFAULT_TODAY.year - 1, 8, 31)  # 2025/26, the last complete school year
    with_upn = [p for p in population if p.upn]
    assert len({p.upn for p in with_upn}) == len(with_upn)
    for person in with_upn:
        assert normalise(kind="upn", value=person.upn) == person.upn
        assert person.upn[1:4] == "999"
        assert 4 <= person.age(ay_start) <= 17
    school_age = [p for p in population if 5 <= p.age(ay_start) <= 15]
    assert all(p.upn for p in school_age)


def test_pupils_of_the_partner_schools_are_of_secondary_age(population):
    ay_start = date(DEFAULT_TODAY.year - 1, 8, 31)
    pupils = [p for p in population if p.school]
    assert {p.school for p in pupils} == set(SCHOOLS)
    assert all(11 <= p.age(ay_start) <= 17 and p.upn for p in pupils)
    # Most secondary-age children attend one of the two partner schools.
    secondary = [p for p in population if 11 <= p.age(ay_start) <= 15]
    assert sum(1 for p in secondary if p.school) / len(secondary) > 0.8


def test_pnc_ids_are_valid_and_mostly_held_by_teenagers_and_adults(population):
    holders = [p for p in population if p.pnc_id]
    assert holders
    for person in holders:
        assert normalise(kind="pnc_id", value=person.pnc_id) == person.pnc_id
        assert person.age(DEFAULT_TODAY) >= 14
    assert sum(1 for p in holders if p.signals) > 0


def test_postcodes_are_valid_fictional_and_each_lies_in_one_lsoa(population):
    for person in population:
        assert normalise(kind="postcode", value=person.postcode) == person.postcode
        assert person.postcode.startswith("NX")
        assert LSOA_BY_POSTCODE[person.postcode].code == person.lsoa_code


def test_the_geography_is_sixty_fictional_lsoas_named_as_ons_names_them():
    assert len(LSOAS) == 60
    assert len({lsoa.code for lsoa in LSOAS}) == 60
    for lsoa in LSOAS:
        assert re.fullmatch(r"E01999[0-9]{3}", lsoa.code)
        assert re.fullmatch(r"Northshire [0-9]{3}[A-D]", lsoa.name)
        assert 49.8 <= lsoa.latitude <= 60.9 and -8.7 <= lsoa.longitude <= 1.8
    assert all(h.lsoa in LSOA_BY_NAME for h in HOT_SPOTS)


def test_names_are_diverse_and_are_names(population):
    for person in population[:300]:
        assert normalise(kind="person_name", value=person.forename)
        assert normalise(kind="person_name", value=person.surname)
    assert len({p.surname for p in population}) > 150
    ethnicities = collections.Counter(p.ethnicity for p in population)
    assert set(ethnicities) == {"White", "Asian", "Black", "Mixed", "Other"}
    assert ethnicities["White"] / SIZE < 0.9


def test_the_cohort_is_young_people_with_several_signals(population):
    cohort = [p for p in population if p.cohort]
    assert len(cohort) == round(SIZE * 0.0225)
    window_start = date(DEFAULT_TODAY.year - 1, DEFAULT_TODAY.month, 1)
    for person in cohort:
        assert 10 <= person.age(DEFAULT_TODAY) <= 17
        assert len(person.signals) >= MIN_SIGNALS
        assert set(person.signals) <= set(SIGNALS)
        assert window_start <= person.risk_from < DEFAULT_TODAY
        if not person.school:  # a school can only report its own pupils
            assert PERSISTENT_ABSENCE not in person.signals
            assert EXCLUSION not in person.signals
    assert all(not p.signals and p.risk_from is None for p in population if not p.cohort)


def test_at_demo_size_a_few_thousand_young_people_and_a_cohort_of_hundreds():
    population = make_population()
    young = [p for p in population if 10 <= p.age(DEFAULT_TODAY) <= 17]
    cohort = [p for p in population if p.cohort]
    assert len(population) == 20_000
    assert 3_000 <= len(young) <= 5_000
    assert 300 <= len(cohort) <= 600
    # Deprivation weighs on who is in the cohort: the estates' share is above their
    # share of young people.
    estates = {LSOA_BY_NAME[h.lsoa].code for h in HOT_SPOTS if h.character == "estate"}
    share = sum(p.lsoa_code in estates for p in cohort) / len(cohort)
    assert share > sum(p.lsoa_code in estates for p in young) / len(young)
