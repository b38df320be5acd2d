"""The residents of Northshire: who they are, where they live, which school, which records.

`make_population` is deterministic in (size, seed, today). About a fifth of residents are
10-17 (the agreement's subject), more than the national eighth, so the demo has a few
thousand young people. A cohort of them (2.25% of residents: 450 of 20,000) carries
`signals`: the concerns the agencies' feeds will show about them in the last twelve months,
at least three each, from `risk_from` on. Everyone else is background.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

from hub.synthetic import identifiers, names
from hub.synthetic.dates import DEFAULT_TODAY, Window, age_on
from hub.synthetic.geography import LSOA_BY_CODE, LSOAS, Lsoa

DEFAULT_SIZE = 20_000
MIN_SIZE = 1_000
DEFAULT_SEED = 2026
COHORT_SHARE = 0.0225

POLICE_CONTACT = "police_contact"
CHILDRENS_SERVICES = "childrens_services_referral"
ASB_SUBJECT = "asb_subject"
AE_ASSAULT = "ae_assault"
PERSISTENT_ABSENCE = "persistent_absence"
EXCLUSION = "exclusion"
SIGNALS = (
    POLICE_CONTACT,
    CHILDRENS_SERVICES,
    ASB_SUBJECT,
    AE_ASSAULT,
    PERSISTENT_ABSENCE,
    EXCLUSION,
)
_SIGNAL_CHANCE = {
    POLICE_CONTACT: 0.85,
    CHILDRENS_SERVICES: 0.6,
    ASB_SUBJECT: 0.35,
    AE_ASSAULT: 0.45,
    PERSISTENT_ABSENCE: 0.65,
    EXCLUSION: 0.5,
}
_SCHOOL_SIGNALS = (PERSISTENT_ABSENCE, EXCLUSION)
MIN_SIGNALS = 3

# (lowest age, highest age, share of residents)
_AGE_BANDS = (
    (0, 4, 0.055),
    (5, 9, 0.065),
    (10, 17, 0.20),
    (18, 24, 0.09),
    (25, 44, 0.24),
    (45, 64, 0.21),
    (65, 95, 0.14),
)
# Older teenagers and boys are over-represented among young people known to several agencies.
_COHORT_AGE_WEIGHT = {10: 0.4, 11: 0.6, 12: 0.8, 13: 1.0, 14: 1.3, 15: 1.5, 16: 1.6, 17: 1.6}
# Fictional primary schools (DfE establishment numbers) that allocated most UPNs.
_PRIMARIES = tuple(str(2101 + n) for n in range(12))
SCHOOLS = {"riverside-academy": "4001", "hillcrest-high-school": "4002"}  # LA 999


@dataclass(frozen=True, slots=True)
class Resident:
    id: int
    nhs_number: str
    forename: str
    surname: str
    sex: str  # male | female
    ethnicity: str  # ONS broad group: White, Asian, Black, Mixed, Other
    heritage: str  # the name pool, for tests and curiosity
    date_of_birth: date
    address: str
    postcode: str
    lsoa_code: str
    upn: str | None = None  # residents of school age (Reception to Year 13)
    school: str | None = None  # partner school on whose roll they were in the last school year
    pnc_id: str | None = None  # canonical YYYY/NNNNNNNC
    signals: tuple[str, ...] = ()  # cohort only: what the agencies' feeds show
    risk_from: date | None = None  # cohort only: when the concerns begin

    @property
    def cohort(self) -> bool:
        return bool(self.signals)

    @property
    def lsoa(self) -> Lsoa:
        return LSOA_BY_CODE[self.lsoa_code]

    def age(self, on: date) -> int:
        return age_on(self.date_of_birth, on)


def make_population(
    *, size: int = DEFAULT_SIZE, seed: int = DEFAULT_SEED, today: date = DEFAULT_TODAY
) -> list[Resident]:
    if size < MIN_SIZE:
        # Fewer, and some feeds come out empty, which no contract accepts.
        raise ValueError(f"size: at least {MIN_SIZE} residents")
    rng = random.Random(f"{seed}:population")
    window = Window(today)
    used_nhs: set[str] = set()
    upns = _UpnAllocator(rng, window.academic_year)
    people = [_resident(rng, n + 1, today, used_nhs, upns) for n in range(size)]
    people = _choose_cohort(rng, people, window, round(size * COHORT_SHARE))
    return _give_pnc_ids(rng, people, today)


def _resident(rng, number, today, used_nhs, upns) -> Resident:
    low, high, _ = rng.choices(_AGE_BANDS, weights=[b[2] for b in _AGE_BANDS])[0]
    age = rng.randint(low, high)
    born = today - timedelta(days=int((age + rng.random()) * 365.25) + 1)
    sex = "male" if rng.random() < 0.49 else "female"
    group = names.heritage(rng)
    lsoa = rng.choice(LSOAS)
    resident = Resident(
        id=number,
        nhs_number=identifiers.nhs_number(rng, used_nhs),
        forename=names.forename(rng, group, sex, born.year),
        surname=names.surname(rng, group),
        sex=sex,
        ethnicity=group.broad,
        heritage=group.key,
        date_of_birth=born,
        address=f"{rng.randint(1, 140)} {rng.choice(lsoa.streets)}",
        postcode=rng.choice(lsoa.postcodes),
        lsoa_code=lsoa.code,
    )
    return upns.enrol(resident)


class _UpnAllocator:
    """UPNs as schools allocate them: on first entry (Reception at four), by that school,
    with the year of allocation and a serial per school and year."""

    def __init__(self, rng: random.Random, academic_year: int):
        self.rng = rng
        self.year = academic_year
        self.serials: dict[tuple[str, int], int] = {}

    def enrol(self, resident: Resident) -> Resident:
        rng = self.rng
        school_age = age_on(resident.date_of_birth, date(self.year, 8, 31))
        if not 4 <= school_age <= 17:
            return resident
        school = None
        chance = 0.88 if 11 <= school_age <= 15 else 0.5 if school_age >= 16 else 0.0
        if rng.random() < chance:
            catchment = resident.lsoa.school
            other = next(s for s in SCHOOLS if s != catchment)
            school = catchment if rng.random() < 0.85 else other
        entry = self.year - (school_age - 4)
        if school and rng.random() < 0.08:  # arrived from abroad: the secondary allocated it
            establishment, allocated = SCHOOLS[school], rng.randint(entry, self.year)
        else:
            establishment, allocated = rng.choice(_PRIMARIES), entry
        return replace(resident, upn=self._next(establishment, allocated), school=school)

    def _next(self, establishment: str, year: int) -> str:
        # Three digits of serial per school and year: a full school passes to the primaries
        # in turn (only populations far above the demo's reach this).
        candidates = (establishment, *_PRIMARIES)
        key = next(((e, year) for e in candidates if self.serials.get((e, year), 0) < 999), None)
        if key is None:
            raise ValueError("size: too many children for the fictional schools' UPN serials")
        serial = self.serials[key] = self.serials.get(key, 0) + 1
        return identifiers.upn(key[0], year, serial)


def _choose_cohort(rng, people: list[Resident], window: Window, wanted: int) -> list[Resident]:
    """Weighted sampling without replacement (Efraimidis-Spirakis keys): deprivation, age
    and sex raise the chance, as they do in practice; nobody is certain to be chosen."""
    keyed = []
    for person in people:
        age = person.age(window.today)
        if age not in _COHORT_AGE_WEIGHT:
            continue
        weight = (12 - person.lsoa.deprivation_decile) * _COHORT_AGE_WEIGHT[age]
        weight *= 1.6 if person.sex == "male" else 1.0
        keyed.append((rng.random() ** (1 / weight), person.id))
    chosen = {pid for _, pid in sorted(keyed, reverse=True)[:wanted]}
    latest_start = window.end - timedelta(days=90)
    out = []
    for person in people:
        if person.id in chosen:
            signals = _signals(rng, person)
            start = window.day(rng)
            person = replace(person, signals=signals, risk_from=min(start, latest_start))
        out.append(person)
    return out


def _signals(rng: random.Random, person: Resident) -> tuple[str, ...]:
    possible = [s for s in SIGNALS if person.school or s not in _SCHOOL_SIGNALS]
    chosen = [s for s in possible if rng.random() < _SIGNAL_CHANCE[s]]
    while len(chosen) < MIN_SIGNALS:
        rest = [s for s in possible if s not in chosen]
        chosen.append(rng.choices(rest, weights=[_SIGNAL_CHANCE[s] for s in rest])[0])
    return tuple(s for s in SIGNALS if s in chosen)


def _give_pnc_ids(rng, people: list[Resident], today: date) -> list[Resident]:
    """PNC records: most cohort members of 14 and over with police contact, a few per cent
    of adults, hardly any other children. The year is when the record was made."""
    used: set[int] = set()
    out = []
    for person in people:
        age = person.age(today)
        if POLICE_CONTACT in person.signals and age >= 14:
            chance, first_age = 0.55, 10
        elif 14 <= age <= 17:
            chance, first_age = 0.01, 10
        elif 18 <= age <= 35:
            chance, first_age = 0.045, 12
        elif 36 <= age <= 75:
            chance, first_age = 0.025, 14
        else:
            chance, first_age = 0.0, 0
        if chance and rng.random() < chance:
            earliest = max(person.date_of_birth.year + first_age, 1990)
            year = rng.randint(min(earliest, today.year), today.year)
            serial = rng.randrange(1_000, 999_999)
            while (year, serial) in used:
                serial = rng.randrange(1_000, 999_999)
            used.add((year, serial))
            person = replace(person, pnc_id=identifiers.pnc_id(year, serial))
        out.append(person)
    return out
