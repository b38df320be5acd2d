"""Northshire Police's stop and search, as data.police.uk publishes it: anonymised, with a
map point, the searched person's gender, age range and ethnicity, and no identifier.

The people searched are drawn from the population (young men most, and the cohort more than
others), so the age ranges and ethnicities are those of the town.
"""

from __future__ import annotations

import random
from datetime import datetime

from hub.synthetic import flaws, style
from hub.synthetic.dates import evening_time
from hub.synthetic.geography import incident_lsoa
from hub.synthetic.population import Resident
from hub.synthetic.records import Feed, FlawPlan, Record, assemble
from hub.synthetic.world import World, pick

PARTNER = "northshire-police"
STOP_SEARCH = "police-stop-search"
STOP_SEARCH_COLUMNS = (
    "Type",
    "Date",
    "Part of a policing operation",
    "Policing operation",
    "Latitude",
    "Longitude",
    "Gender",
    "Age range",
    "Self-defined ethnicity",
    "Officer-defined ethnicity",
    "Legislation",
    "Object of search",
    "Outcome",
    "Outcome linked to object of search",
    "Removal of more than just outer clothing",
)
_SEARCHES_PER_RESIDENT = 0.012
_MISUSE_OF_DRUGS = "Misuse of Drugs Act 1971 (section 23)"
_PACE = "Police and Criminal Evidence Act 1984 (section 1)"
_GROUNDS = {
    (_MISUSE_OF_DRUGS, "Controlled drugs"): 58,
    (_PACE, "Offensive weapons"): 14,
    (_PACE, "Stolen goods"): 10,
    (_PACE, "Article for use in theft"): 6,
    (_PACE, "Anything to threaten or harm anyone"): 3,
    ("Criminal Justice and Public Order Act 1994 (section 60)", "Offensive weapons"): 4,
    ("Firearms Act 1968 (section 47)", "Firearms"): 1,
    (_PACE, "Articles for use in criminal damage"): 4,
}
_SEARCH_OUTCOMES = {
    "A no further action disposal": 68,
    "Arrest": 13,
    "Community resolution": 8,
    "Khat or Cannabis warning": 5,
    "Summons / charged by post": 3,
    "Penalty Notice for Disorder": 2,
    "Caution (simple or conditional)": 1,
}
_SELF_DEFINED = {
    "british": "White - English/Welsh/Scottish/Northern Irish/British",
    "irish": "White - Irish",
    "polish": "White - Any other White background",
    "romanian": "White - Any other White background",
    "pakistani": "Asian/Asian British - Pakistani",
    "indian": "Asian/Asian British - Indian",
    "bangladeshi": "Asian/Asian British - Bangladeshi",
    "chinese": "Asian/Asian British - Chinese",
    "african": "Black/African/Caribbean/Black British - African",
    "caribbean": "Black/African/Caribbean/Black British - Caribbean",
    "mixed": "Mixed/Multiple ethnic groups - White and Black Caribbean",
    "arab": "Other ethnic group - Arab",
    "other": "Other ethnic group - Any other ethnic group",
}

SEARCH_PLAN = FlawPlan(
    limit=0.01,
    rate=0.003,
    corruptions=(
        flaws.no_offset("Date"),
        flaws.literal("Age range", "age_range_spaced", "18 - 24"),
    ),
)


def stop_search(world: World) -> Feed:
    rng = world.rng(STOP_SEARCH)
    cohort = [p for p in world.population if p.signals]
    others = [p for p in world.population if 14 <= p.age(world.today) <= 50]
    other_weights = [
        (3 if p.sex == "male" else 1) * (3 if p.age(world.today) < 30 else 1) for p in others
    ]
    records = []
    for _ in range(round(len(world.population) * _SEARCHES_PER_RESIDENT)):
        # Searches fall on the young people already known to agencies more than on others.
        if cohort and rng.random() < 0.3:
            person = rng.choice(cohort)
        else:
            person = rng.choices(others, weights=other_weights)[0]
        records.append(_search(world, rng, person))
    return assemble(PARTNER, STOP_SEARCH, STOP_SEARCH_COLUMNS, records, rng, SEARCH_PLAN)


def _search(world: World, rng: random.Random, person: Resident) -> Record:
    day = world.event_day(rng, person)
    hour, minute = evening_time(rng)
    moment = datetime(day.year, day.month, day.day, hour, minute)
    kind = pick(rng, {"Person search": 82, "Person and Vehicle search": 12, "Vehicle search": 6})
    legislation, searched_for = pick(rng, _GROUNDS)
    outcome = pick(rng, _SEARCH_OUTCOMES)
    operation = pick(rng, {"False": 75, "": 20, "True": 5})
    row = {
        "Type": kind,
        # data.police.uk gives UTC with its offset, whatever the clocks said.
        "Date": moment.strftime("%Y-%m-%dT%H:%M:%S") + "+00:00",
        "Part of a policing operation": operation,
        "Policing operation": "Operation Lantern" if operation == "True" else "",
        "Legislation": style.maybe(rng, 0.97, legislation),
        "Object of search": searched_for,
        "Outcome": outcome,
        "Outcome linked to object of search": _linked(rng, outcome),
        "Removal of more than just outer clothing": pick(rng, {"False": 92, "True": 2, "": 6}),
    }
    if rng.random() < 0.9:
        place = rng.choice(incident_lsoa(rng, hot_share=1.3).places)
        row["Latitude"] = style.coordinate(place.latitude)
        row["Longitude"] = style.coordinate(place.longitude)
    if kind != "Vehicle search":  # a vehicle alone has no gender, age or ethnicity
        row["Gender"] = "Male" if person.sex == "male" else "Female"
        row["Age range"] = style.maybe(rng, 0.97, _age_range(person.age(day)))
        row["Self-defined ethnicity"] = _self_defined(rng, person)
        row["Officer-defined ethnicity"] = style.maybe(rng, 0.92, person.ethnicity)
    return Record(row, (row["Date"],))


def _linked(rng: random.Random, outcome: str) -> str:
    if outcome == "A no further action disposal":
        return "False"
    return pick(rng, {"True": 60, "False": 30, "": 10})


def _age_range(age: int) -> str:
    if age < 10:
        return "under 10"
    if age < 18:
        return "10-17"
    return "18-24" if age < 25 else "25-34" if age < 35 else "over 34"


def _self_defined(rng: random.Random, person: Resident) -> str:
    roll = rng.random()
    if roll < 0.05:
        return ""
    if roll < 0.17:
        return "Other ethnic group - Not stated"
    return _SELF_DEFINED[person.heritage]
