"""Northshire Police's feed of contacts with children and young people (person level)."""

from __future__ import annotations

import random
from datetime import date

from hub.synthetic import flaws, style
from hub.synthetic.dates import age_on
from hub.synthetic.geography import incident_lsoa
from hub.synthetic.identifiers import short_pnc_id
from hub.synthetic.population import POLICE_CONTACT, Resident
from hub.synthetic.records import Feed, FlawPlan, Record, assemble
from hub.synthetic.world import World, pick

PARTNER = "northshire-police"
CONTACTS = "police-contacts"
CONTACT_COLUMNS = (
    "contact_id",
    "pnc_id",
    "nhs_number",
    "forename",
    "surname",
    "date_of_birth",
    "postcode",
    "gender",
    "ethnicity",
    "contact_date",
    "contact_role",
    "offence_group",
    "weapon_involved",
    "lsoa_code",
)
_OLDEST = date(1990, 1, 1)  # the contract's earliest date of birth: young people only

_ROLES_COHORT = {
    "suspect": 42,
    "victim": 25,
    "person_of_concern": 15,
    "missing_person": 12,
    "witness": 6,
}
_ROLES_BACKGROUND = {
    "victim": 45,
    "witness": 25,
    "suspect": 18,
    "person_of_concern": 6,
    "missing_person": 6,
}
_OFFENCES_COHORT = {
    "Violence against the person": 34,
    "Robbery": 11,
    "Drug offences": 14,
    "Possession of weapons offences": 10,
    "Theft offences": 13,
    "Criminal damage and arson": 8,
    "Public order offences": 8,
    "Sexual offences": 2,
}
_OFFENCES_BACKGROUND = {
    "Violence against the person": 30,
    "Theft offences": 28,
    "Criminal damage and arson": 12,
    "Public order offences": 10,
    "Sexual offences": 5,
    "Robbery": 4,
    "Drug offences": 6,
    "Possession of weapons offences": 2,
    "Miscellaneous crimes against society": 3,
}
_CONTACTS_PER_COHORT_MEMBER = {1: 25, 2: 25, 3: 20, 4: 13, 5: 10, 6: 7}
# Chance of a police contact in the year, by age on the extract date (background).
_BACKGROUND_RATE = ((range(10, 18), 0.03), (range(18, 26), 0.05), (range(26, 40), 0.025))

PLAN = FlawPlan(
    limit=0.05,
    corruptions=(
        flaws.nhs_check("nhs_number"),
        flaws.pnc_check("pnc_id"),
        flaws.uk_date("date_of_birth"),
        flaws.digit_in_name("forename"),
        flaws.short_nhs("nhs_number"),
        flaws.truncated_postcode("postcode"),
        flaws.uk_date("contact_date"),
    ),
    names=("forename", "surname"),
    late_column="contact_date",
)


def contacts(world: World) -> Feed:
    rng = world.rng(CONTACTS)
    records: list[Record] = []
    for person in world.with_signal(POLICE_CONTACT):
        count = pick(rng, _CONTACTS_PER_COHORT_MEMBER)
        records += _person_contacts(world, rng, person, count, cohort=True)
    for person in world.background(born_from=_OLDEST):
        age = person.age(world.today)
        rate = next((r for ages, r in _BACKGROUND_RATE if age in ages), 0.0)
        if rate and rng.random() < rate:
            count = 1 if rng.random() < 0.8 else 2
            records += _person_contacts(world, rng, person, count, cohort=False)
    return assemble(
        PARTNER,
        CONTACTS,
        CONTACT_COLUMNS,
        records,
        rng,
        PLAN,
        id_column="contact_id",
        make_id=_contact_id,
    )


def _contact_id(number: int, row: dict[str, str]) -> str:
    return f"NP-{row['contact_date'][2:4]}-{number:06d}"


def _person_contacts(world, rng, person: Resident, count: int, *, cohort: bool) -> list[Record]:
    # What the force holds about the person is the same on each of their contacts.
    knows_nhs = rng.random() < (0.7 if cohort else 0.2)
    pnc = person.pnc_id if person.pnc_id and rng.random() < 0.95 else ""
    if pnc and rng.random() < 0.3:
        pnc = short_pnc_id(pnc)
    nhs = style.nhs_number(rng, person.nhs_number, spaced=0.1) if knows_nhs else ""
    out = []
    for _ in range(count):
        late = rng.random() < 0.015
        day = world.window.late_day(rng) if late else world.event_day(rng, person)
        if age_on(person.date_of_birth, day) < 10:
            continue  # nobody under ten is recorded here
        row = {
            "pnc_id": pnc,
            "nhs_number": nhs,
            "forename": person.forename,
            # Police systems hold surnames in capitals.
            "surname": person.surname.upper(),
            "date_of_birth": person.date_of_birth.isoformat(),
            "postcode": style.postcode(rng, person.postcode, present=0.95),
            "gender": _gender(rng, person),
            "ethnicity": _ethnicity(rng, person),
            "contact_date": day.isoformat(),
            **_what_happened(rng, person, cohort),
        }
        out.append(Record(row, (day, person.id), late=late))
    return out


def _gender(rng: random.Random, person: Resident) -> str:
    roll = rng.random()
    return "unknown" if roll < 0.015 else "other" if roll < 0.018 else person.sex


def _ethnicity(rng: random.Random, person: Resident) -> str:
    roll = rng.random()
    return "" if roll < 0.03 else "Not stated" if roll < 0.11 else person.ethnicity


def _what_happened(rng: random.Random, person: Resident, cohort: bool) -> dict[str, str]:
    role = pick(rng, _ROLES_COHORT if cohort else _ROLES_BACKGROUND)
    offence = pick(rng, _OFFENCES_COHORT if cohort else _OFFENCES_BACKGROUND)
    if role in ("missing_person", "person_of_concern") and rng.random() < 0.8:
        offence = ""
    if offence == "Possession of weapons offences":
        weapon = "true"
    elif offence in ("Violence against the person", "Robbery"):
        weapon = "true" if rng.random() < (0.25 if cohort else 0.08) else "false"
    else:
        weapon = "false" if offence else ""
    if weapon and rng.random() < 0.1:
        weapon = ""
    roll = rng.random()
    if roll < 0.05:
        lsoa = ""
    elif roll < (0.6 if cohort else 0.5):
        lsoa = incident_lsoa(rng).code
    else:
        lsoa = person.lsoa_code
    return {
        "contact_role": role,
        "offence_group": offence,
        "weapon_involved": weapon,
        "lsoa_code": lsoa,
    }
