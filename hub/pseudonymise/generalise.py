"""Generalisation of quasi-identifiers: coarser values that still serve analysis.

    year_month         date -> "YYYY-MM"
    year               date -> "YYYY"
    postcode_district  postcode -> outward code          "SW1A 1AA" -> "SW1A"
    postcode_sector    postcode -> outward + inward digit "SW1A 1AA" -> "SW1A 1"
    age_band           date of birth -> age band at a reference date ("0-4" ... "85+")

Dates are read as ISO `YYYY-MM-DD` or UK `DD/MM/YYYY` (or given as `date`); postcodes are
normalised and checked first. Errors are InvalidIdentifier and never hold the value.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from types import MappingProxyType

from hub import clock
from hub.pseudonymise.errors import InvalidIdentifier
from hub.pseudonymise.kinds import DATE_OF_BIRTH, KINDS, POSTCODE, parse_date

# (lowest age, highest age or None for the open top band). Ages 85 and over are one band:
# extreme ages are rare enough to identify people.
AGE_BANDS: tuple[tuple[int, int | None], ...] = (
    (0, 4),
    (5, 9),
    (10, 14),
    (15, 17),
    (18, 24),
    (25, 34),
    (35, 44),
    (45, 54),
    (55, 64),
    (65, 74),
    (75, 84),
    (85, None),
)
_BAND_BY_AGE = tuple(
    next(
        f"{low}-{high}" if high is not None else f"{low}+"
        for low, high in AGE_BANDS
        if low <= age and (high is None or age <= high)
    )
    for age in range(AGE_BANDS[-1][0] + 1)
)


def age_band(age: int) -> str:
    """The band ("0-4", "5-9", "10-14", "15-17", "18-24", "25-34", ..., "75-84", "85+") of an
    age in whole years."""
    if type(age) is not int or age < 0:
        raise ValueError("age_band: age is a whole number of years, zero or more")
    return _BAND_BY_AGE[min(age, len(_BAND_BY_AGE) - 1)]


def age_on(born: date, on: date) -> int:
    """Age in whole years on date `on` of someone born on `born` (29 February birthdays
    fall on 1 March in other years)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _year_month(value: str | date, reference_date: date | None) -> str:
    day = parse_date(value)
    return f"{day.year:04d}-{day.month:02d}"


def _year(value: str | date, reference_date: date | None) -> str:
    return f"{parse_date(value).year:04d}"


def _postcode_district(value: str, reference_date: date | None) -> str:
    return KINDS[POSTCODE].normalise(value).partition(" ")[0]


def _postcode_sector(value: str, reference_date: date | None) -> str:
    outward, _, inward = KINDS[POSTCODE].normalise(value).partition(" ")
    return f"{outward} {inward[0]}"


def _age_band(value: str | date, reference_date: date | None) -> str:
    born = parse_date(value, kind=DATE_OF_BIRTH)
    on = reference_date if reference_date is not None else clock.today()
    if born > on:
        raise InvalidIdentifier(DATE_OF_BIRTH, "after_reference_date")
    return age_band(age_on(born, on))


RULES: MappingProxyType[str, Callable[[str | date, date | None], str]] = MappingProxyType(
    {
        "year_month": _year_month,
        "year": _year,
        "postcode_district": _postcode_district,
        "postcode_sector": _postcode_sector,
        "age_band": _age_band,
    }
)


def generalise(rule: str, value: str | date, *, reference_date: date | None = None) -> str:
    """`value` generalised by `rule` (one of RULES). `reference_date` is the day ages are
    computed at for `age_band` (default today; pass the extract's date for repeatable output).

    Raises InvalidIdentifier for an invalid value and ValueError for an unknown rule.
    """
    apply = RULES.get(rule) if type(rule) is str else None
    if apply is None:
        raise ValueError(f"unknown generalisation rule; known: {', '.join(RULES)}")
    return apply(value, reference_date)
