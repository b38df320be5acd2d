"""Northshire Hospitals' A&E attendances, with the Cardiff Model questions on assaults: when,
where (kind of place, the place as the patient said it, its LSOA) and with what weapon."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from hub.synthetic import flaws, style
from hub.synthetic.dates import evening_time, local_timestamp
from hub.synthetic.geography import LSOA_BY_CODE, LSOA_BY_NAME, incident_lsoa
from hub.synthetic.population import AE_ASSAULT, Resident
from hub.synthetic.records import Feed, FlawPlan, Record, assemble
from hub.synthetic.world import World, pick

PARTNER = "northshire-hospitals"
ATTENDANCES = "nhs-ae-attendances"
COLUMNS = (
    "attendance_id",
    "nhs_number",
    "date_of_birth",
    "postcode",
    "sex",
    "arrived_at",
    "arrival_mode",
    "assault",
    "assault_date",
    "assault_time",
    "assault_location_type",
    "assault_location",
    "assault_lsoa_code",
    "weapon",
)
_OLDEST = date(1990, 1, 1)  # the contract's earliest date of birth
_PLACES_COHORT = {
    "street": 40,
    "park_open_space": 15,
    "home": 10,
    "school": 8,
    "public_transport": 5,
    "shop": 5,
    "pub_bar_club": 3,
    "other": 6,
    "not_known": 8,
}
_PLACES_BACKGROUND = {
    "street": 35,
    "home": 20,
    "pub_bar_club": 18,
    "workplace": 5,
    "park_open_space": 5,
    "shop": 4,
    "public_transport": 3,
    "other": 4,
    "not_known": 6,
}
_WEAPONS_COHORT = {
    "body_fist_or_feet": 42,
    "knife_or_sharp_object": 16,
    "blunt_object": 10,
    "bottle_or_glass": 6,
    "other": 6,
    "none": 6,
    "not_known": 12,
    "firearm": 0.5,
}
_WEAPONS_BACKGROUND = {
    "body_fist_or_feet": 55,
    "bottle_or_glass": 12,
    "knife_or_sharp_object": 5,
    "blunt_object": 6,
    "other": 5,
    "none": 7,
    "not_known": 10,
}
_VENUES = (
    "The Anchor",
    "The Ship Inn",
    "The Lantern",
    "Rosie's Bar",
    "Club Nova",
    "The Fisherman's Arms",
    "Vault 9",
)
_SCHOOL_LSOA = {"riverside-academy": "Northshire 010C", "hillcrest-high-school": "Northshire 006B"}
_SCHOOL_NAMES = {
    "riverside-academy": "Riverside Academy",
    "hillcrest-high-school": "Hillcrest High School",
}

PLAN = FlawPlan(
    limit=0.05,
    corruptions=(
        flaws.nhs_check("nhs_number"),
        flaws.no_offset("arrived_at"),
        flaws.uk_date("date_of_birth"),
        flaws.literal("assault", "assault_as_y", "Y"),
        flaws.short_nhs("nhs_number"),
        flaws.truncated_postcode("postcode"),
    ),
    late_column="arrived_at",
)


def attendances(world: World) -> Feed:
    rng = world.rng(ATTENDANCES)
    records: list[Record] = []
    for person in world.population:
        if person.date_of_birth < _OLDEST:
            continue
        if AE_ASSAULT in person.signals:
            for _ in range(1 if rng.random() < 0.75 else 2):
                records.append(_attendance(world, rng, person, assault=True))
        for _ in range(_visits(rng, person.age(world.today))):
            assault = rng.random() < (0.04 if 14 <= person.age(world.today) <= 30 else 0.015)
            records.append(_attendance(world, rng, person, assault=assault and not person.signals))
    return assemble(
        PARTNER,
        ATTENDANCES,
        COLUMNS,
        records,
        rng,
        PLAN,
        id_column="attendance_id",
        make_id=lambda n, row: f"NHFT-AE-{n:07d}",
    )


def _visits(rng: random.Random, age: int) -> int:
    """Attendances in the year: about a quarter of people come once, a few more often."""
    roll = rng.random() * (1.25 if 16 <= age <= 30 or age < 5 else 1.0)
    return 0 if roll > 0.22 else 1 if roll > 0.04 else 2 if roll > 0.01 else 3


def _attendance(world: World, rng: random.Random, person: Resident, *, assault: bool):
    late = rng.random() < 0.01
    day = world.window.late_day(rng) if late else world.event_day(rng, person if assault else None)
    day = max(day, person.date_of_birth)
    hour, minute = evening_time(rng) if assault else (rng.randint(7, 23), rng.randrange(60))
    arrived = datetime(day.year, day.month, day.day, hour, minute)
    modes = (
        {"ambulance": 35, "walk_in": 50, "police": 12, "other": 3}
        if assault
        else {"ambulance": 22, "walk_in": 68, "police": 3, "other": 7}
    )
    row = {
        "nhs_number": style.nhs_number(rng, person.nhs_number, spaced=0.3),
        "date_of_birth": person.date_of_birth.isoformat(),
        "postcode": style.postcode(rng, person.postcode, present=0.98),
        "sex": "not_known" if rng.random() < 0.005 else person.sex,
        "arrived_at": local_timestamp(arrived),
        "arrival_mode": style.maybe(rng, 0.98, pick(rng, modes)),
        "assault": "true" if assault else "false",
    }
    if assault:
        row.update(_cardiff(rng, person, arrived))
    return Record(row, (arrived, person.id), late=late)


def _cardiff(rng: random.Random, person: Resident, arrived: datetime) -> dict[str, str]:
    """The Cardiff Model answers; a patient does not always give them all."""
    happened = arrived - timedelta(minutes=rng.randint(20, 240))
    cohort = bool(person.signals)
    kind = pick(rng, _PLACES_COHORT if cohort else _PLACES_BACKGROUND)
    if kind == "school" and not person.school:
        kind = "street"
    place, lsoa = _where(rng, person, kind)
    return {
        "assault_date": happened.date().isoformat(),
        "assault_time": style.maybe(rng, 0.75, happened.strftime("%H:%M")),
        "assault_location_type": kind,
        "assault_location": style.maybe(rng, 0.9, place),
        "assault_lsoa_code": style.maybe(rng, 0.85, lsoa),
        "weapon": pick(rng, _WEAPONS_COHORT if cohort else _WEAPONS_BACKGROUND),
    }


def _where(rng: random.Random, person: Resident, kind: str) -> tuple[str, str]:
    if kind == "not_known":
        return "", ""
    if kind == "home":
        return "Own home", person.lsoa_code
    if kind == "school":
        return _SCHOOL_NAMES[person.school], LSOA_BY_NAME[_SCHOOL_LSOA[person.school]].code
    if kind == "workplace":
        lsoa = LSOA_BY_CODE[person.lsoa_code] if rng.random() < 0.3 else incident_lsoa(rng)
        return f"At work, {rng.choice(lsoa.streets)}", lsoa.code
    lsoa = incident_lsoa(rng, hot_share=1.4)
    street = rng.choice(lsoa.streets)
    described = {
        "street": f"{street}",
        "pub_bar_club": f"{rng.choice(_VENUES)}, {street}",
        "park_open_space": f"Park off {street}",
        "public_transport": rng.choice(("Bus station", f"Bus stop, {street}", "On the bus")),
        "shop": f"Outside the shops, {street}",
        "other": f"Near {street}",
    }[kind]
    return described, lsoa.code
