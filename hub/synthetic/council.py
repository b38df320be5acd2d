"""Northshire County Council's feeds: children's services referrals and ASB reports."""

from __future__ import annotations

import random
from datetime import date, timedelta

from hub.synthetic import flaws, style
from hub.synthetic.dates import evening_time
from hub.synthetic.geography import LSOA_BY_CODE, incident_lsoa
from hub.synthetic.population import ASB_SUBJECT, CHILDRENS_SERVICES, POLICE_CONTACT, Resident
from hub.synthetic.records import Feed, FlawPlan, Record, assemble
from hub.synthetic.world import World, pick

PARTNER = "northshire-council"
REFERRALS = "council-childrens-services"
REFERRAL_COLUMNS = (
    "referral_id",
    "nhs_number",
    "upn",
    "forename",
    "surname",
    "date_of_birth",
    "postcode",
    "referral_date",
    "referral_source",
    "involvement",
    "primary_need",
    "closed_date",
)
_SOURCES_COHORT = {
    "police": 40,
    "school": 22,
    "health": 12,
    "local_authority": 10,
    "individual": 8,
    "other": 8,
}
_SOURCES_BACKGROUND = {
    "police": 22,
    "school": 20,
    "health": 17,
    "local_authority": 12,
    "individual": 15,
    "other": 14,
}
_INVOLVEMENT_COHORT = {
    "no_further_action": 15,
    "early_help": 35,
    "child_in_need": 32,
    "child_protection_plan": 12,
    "looked_after": 6,
}
_INVOLVEMENT_BACKGROUND = {
    "no_further_action": 42,
    "early_help": 30,
    "child_in_need": 20,
    "child_protection_plan": 6,
    "looked_after": 2,
}
_NEEDS_COHORT = {"N6": 28, "N1": 22, "N4": 18, "N5": 16, "N8": 6, "N3": 4, "N7": 3, "N2": 3}
_NEEDS_BACKGROUND = {
    "N1": 45,
    "N4": 15,
    "N5": 12,
    "N3": 8,
    "N2": 6,
    "N6": 5,
    "N7": 3,
    "N8": 3,
    "N9": 3,
}
# Days from referral to closure; None: usually still open at the extract.
_OPEN_FOR = {
    "no_further_action": (1, 20),
    "early_help": (60, 200),
    "child_in_need": (90, 300),
    "child_protection_plan": None,
    "looked_after": None,
}
_BACKGROUND_REFERRAL_RATE = 0.035  # of children 0-17 in a year

REFERRAL_PLAN = FlawPlan(
    limit=0.05,
    corruptions=(
        flaws.nhs_check("nhs_number"),
        flaws.upn_check("upn"),
        flaws.uk_date("date_of_birth"),
        flaws.literal("involvement", "involvement_as_label", "Early Help"),
        flaws.short_nhs("nhs_number"),
        flaws.uk_date("referral_date"),
    ),
    names=("forename", "surname"),
    late_column="referral_date",
)


def referrals(world: World) -> Feed:
    rng = world.rng(REFERRALS)
    records: list[Record] = []
    for person in world.with_signal(CHILDRENS_SERVICES):
        for _ in range(1 if rng.random() < 0.7 else 2):
            records.append(_referral(world, rng, person, cohort=True))
    for person in world.background(ages=range(0, 18)):
        if rng.random() < _BACKGROUND_REFERRAL_RATE:
            records.append(_referral(world, rng, person, cohort=False))
    return assemble(
        PARTNER,
        REFERRALS,
        REFERRAL_COLUMNS,
        records,
        rng,
        REFERRAL_PLAN,
        id_column="referral_id",
        make_id=lambda n, row: f"CS-{n:07d}",
    )


def _referral(world: World, rng: random.Random, person: Resident, *, cohort: bool) -> Record:
    late = rng.random() < 0.015
    day = world.window.late_day(rng) if late else world.event_day(rng, person)
    day = max(day, person.date_of_birth + timedelta(days=1))
    sources = dict(_SOURCES_COHORT if cohort else _SOURCES_BACKGROUND)
    if cohort and POLICE_CONTACT not in person.signals:
        sources["police"] = 8
    involvement = pick(rng, _INVOLVEMENT_COHORT if cohort else _INVOLVEMENT_BACKGROUND)
    row = {
        "nhs_number": style.maybe(rng, 0.92, style.nhs_number(rng, person.nhs_number, spaced=0.1)),
        "upn": style.maybe(rng, 0.85, person.upn or ""),
        "forename": person.forename,
        "surname": person.surname,
        "date_of_birth": person.date_of_birth.isoformat(),
        "postcode": style.postcode(rng, person.postcode),
        "referral_date": day.isoformat(),
        "referral_source": pick(rng, sources),
        "involvement": involvement,
        "primary_need": style.maybe(
            rng, 0.92, pick(rng, _NEEDS_COHORT if cohort else _NEEDS_BACKGROUND)
        ),
        "closed_date": _closed(rng, day, involvement, world.window.end),
    }
    return Record(row, (day, person.id), late=late)


def _closed(rng: random.Random, opened: date, involvement: str, end: date) -> str:
    span = _OPEN_FOR[involvement] or ((200, 700) if rng.random() < 0.2 else None)
    if span is None:
        return ""
    closed = opened + timedelta(days=rng.randint(*span))
    return closed.isoformat() if closed <= end else ""


# --- anti-social behaviour ----------------------------------------------------------------------

ASB = "council-asb-reports"
ASB_COLUMNS = (
    "report_id",
    "reported_date",
    "incident_date",
    "incident_time",
    "asb_category",
    "asb_type",
    "location_description",
    "lsoa_code",
    "latitude",
    "longitude",
    "subject_forename",
    "subject_surname",
    "subject_date_of_birth",
    "subject_postcode",
)
_REPORTS_PER_RESIDENT = 0.05
_CATEGORIES = {"nuisance": 68, "personal": 22, "environmental": 10}
_TYPES = {
    "nuisance": {
        "Rowdy or nuisance behaviour": 40,
        "Noise": 20,
        "Vehicle nuisance": 12,
        "Drug use or dealing": 10,
        "Street drinking": 6,
        "Nuisance neighbours": 5,
        "Misuse of fireworks": 4,
        "Begging": 3,
    },
    "personal": {
        "Intimidation or harassment": 55,
        "Threatening behaviour": 30,
        "Nuisance neighbours": 10,
        "Hate-motivated incident": 5,
    },
    "environmental": {"Fly-tipping": 45, "Graffiti": 25, "Littering": 15, "Abandoned vehicle": 15},
}
_WHERE = ("Outside", "Near", "Rear of", "Alley behind", "Car park at", "Bus stop on")

ASB_PLAN = FlawPlan(
    limit=0.01,
    rate=0.003,
    corruptions=(
        flaws.literal("incident_time", "time_with_full_stop", "19.30", needs_value=False),
        flaws.swapped_coordinates("latitude", "longitude"),
        flaws.uk_date("reported_date"),
        flaws.digit_in_name("subject_forename"),
    ),
    names=("subject_forename", "subject_surname"),
    late_column="reported_date",
)


def asb_reports(world: World) -> Feed:
    rng = world.rng(ASB)
    records: list[Record] = []
    for person in world.with_signal(ASB_SUBJECT):
        for _ in range(pick(rng, {1: 40, 2: 35, 3: 25})):
            records.append(_report(world, rng, person, cohort=True))
    named = world.background(ages=range(14, 61))
    for person in rng.sample(named, min(len(named), round(len(world.population) * 0.004))):
        records.append(_report(world, rng, person, cohort=False))
    for _ in range(max(0, round(len(world.population) * _REPORTS_PER_RESIDENT) - len(records))):
        records.append(_report(world, rng, None, cohort=False))
    return assemble(
        PARTNER,
        ASB,
        ASB_COLUMNS,
        records,
        rng,
        ASB_PLAN,
        id_column="report_id",
        make_id=lambda n, row: f"ASB-{row['reported_date'][:4]}-{n:05d}",
    )


def _report(world: World, rng: random.Random, person: Resident | None, *, cohort: bool):
    late = rng.random() < 0.01
    incident = world.window.late_day(rng) if late else world.event_day(rng, person)
    reported = min(
        incident + timedelta(days=pick(rng, {0: 50, 1: 20, 3: 15, 7: 10, 14: 5})),
        world.window.end if not late else world.window.start - timedelta(days=1),
    )
    category = "personal" if person and rng.random() < 0.35 else pick(rng, _CATEGORIES)
    if person and category == "environmental":
        category = "nuisance"
    hour, minute = evening_time(rng)
    row = {
        "reported_date": reported.isoformat(),
        "incident_date": style.maybe(rng, 0.96, incident.isoformat()),
        "incident_time": style.maybe(rng, 0.88, f"{hour:02d}:{minute:02d}"),
        "asb_category": category,
        "asb_type": style.maybe(rng, 0.97, pick(rng, _TYPES[category])),
        **_place(rng, person, cohort),
        **(_subject(rng, person) if person else {}),
    }
    return Record(row, (reported, incident), late=late)


def _place(rng: random.Random, person: Resident | None, cohort: bool) -> dict[str, str]:
    if rng.random() < 0.05:
        return {}  # the caller could not say where
    if person is not None and cohort and rng.random() < 0.4:
        lsoa = LSOA_BY_CODE[person.lsoa_code]
    else:
        lsoa = incident_lsoa(rng, hot_share=1.2)
    place = rng.choice(lsoa.places)
    return {
        "location_description": style.maybe(rng, 0.85, f"{rng.choice(_WHERE)} {place.name}"),
        "lsoa_code": lsoa.code,
        # Geocoded from the caller's description: near the map point, not on it.
        "latitude": f"{place.latitude + rng.uniform(-0.001, 0.001):.5f}",
        "longitude": f"{place.longitude + rng.uniform(-0.0015, 0.0015):.5f}",
    }


def _subject(rng: random.Random, person: Resident) -> dict[str, str]:
    return {
        "subject_forename": style.maybe(rng, 0.95, person.forename),
        "subject_surname": style.maybe(rng, 0.95, person.surname),
        "subject_date_of_birth": style.maybe(rng, 0.85, person.date_of_birth.isoformat()),
        "subject_postcode": style.postcode(rng, person.postcode, present=0.75),
    }
