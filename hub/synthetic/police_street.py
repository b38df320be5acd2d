"""Northshire Police's street-level crime and ASB, as data.police.uk publishes it: no names
or identifiers; places are anonymised map points ("On or near ...").

Located incidents concentrate in the hot spots (hub.synthetic.geography.HOT_SPOTS), each
with its own mix of crime types, and in the summer months; elsewhere an LSOA sees a few a
month, so most LSOA-month cells fall under the agreement's minimum cell size.
"""

from __future__ import annotations

import random
from datetime import date

from hub.synthetic import flaws, style
from hub.synthetic.geography import CHARACTER, POLICE_FORCE, incident_lsoa
from hub.synthetic.records import Feed, FlawPlan, Record, assemble
from hub.synthetic.world import World, pick

PARTNER = "northshire-police"
STREET = "police-street-crime"
STREET_COLUMNS = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
_PER_RESIDENT = 0.12  # crimes and ASB incidents a year per resident (England: about 0.1)
_SEASON = (0.9, 0.85, 0.95, 1.0, 1.05, 1.1, 1.2, 1.15, 1.0, 1.0, 0.95, 0.95)  # Jan..Dec
_ASB = "Anti-social behaviour"
_CRIME_TYPES = {
    "general": {
        _ASB: 22,
        "Violence and sexual offences": 30,
        "Criminal damage and arson": 9,
        "Other theft": 7,
        "Burglary": 5,
        "Vehicle crime": 5,
        "Shoplifting": 6,
        "Public order": 7,
        "Drugs": 3,
        "Bicycle theft": 1.5,
        "Theft from the person": 1,
        "Robbery": 1,
        "Possession of weapons": 1,
        "Other crime": 2,
    },
    "night_time_economy": {
        "Violence and sexual offences": 38,
        "Public order": 14,
        _ASB: 15,
        "Theft from the person": 6,
        "Drugs": 6,
        "Robbery": 3,
        "Other theft": 8,
        "Criminal damage and arson": 5,
        "Possession of weapons": 2,
        "Shoplifting": 3,
    },
    "retail": {
        "Shoplifting": 35,
        "Other theft": 12,
        _ASB: 12,
        "Violence and sexual offences": 15,
        "Public order": 6,
        "Theft from the person": 4,
        "Criminal damage and arson": 4,
        "Bicycle theft": 4,
        "Vehicle crime": 4,
        "Robbery": 2,
        "Drugs": 2,
    },
    "estate": {
        _ASB: 28,
        "Violence and sexual offences": 28,
        "Criminal damage and arson": 14,
        "Burglary": 7,
        "Vehicle crime": 6,
        "Drugs": 7,
        "Public order": 5,
        "Possession of weapons": 2,
        "Robbery": 2,
        "Other theft": 1,
    },
    "park": {
        _ASB: 35,
        "Drugs": 15,
        "Violence and sexual offences": 15,
        "Robbery": 8,
        "Criminal damage and arson": 8,
        "Possession of weapons": 4,
        "Theft from the person": 5,
        "Bicycle theft": 5,
        "Public order": 5,
    },
}
_OUTCOMES = {
    "Investigation complete; no suspect identified": 45,
    "Unable to prosecute suspect": 20,
    "Under investigation": 8,
    "Awaiting court outcome": 5,
    "Local resolution": 4,
    "Offender given a caution": 3,
    "Suspect charged": 3,
    "Court result unavailable": 2,
    "Further investigation is not in the public interest": 2,
    "Formal action is not in the public interest": 3,
    "Action to be taken by another organisation": 2,
    "Status update unavailable": 1,
    "Offender given a drugs possession warning": 1,
    "Offender fined": 1,
}

STREET_PLAN = FlawPlan(
    limit=0.01,
    rate=0.002,
    corruptions=(
        flaws.swapped_coordinates("Latitude", "Longitude"),
        flaws.literal("Month", "month_as_text", "Mar 2026"),
    ),
)


def street_crime(world: World) -> Feed:
    rng = world.rng(STREET)
    months = world.window.months
    weights = [_SEASON[m.month - 1] for m in months]
    records = []
    for _ in range(round(len(world.population) * _PER_RESIDENT)):
        month = rng.choices(months, weights=weights)[0]
        records.append(_crime(rng, month, recent=month >= months[-2]))
    return assemble(PARTNER, STREET, STREET_COLUMNS, records, rng, STREET_PLAN)


def _crime(rng: random.Random, month: date, *, recent: bool) -> Record:
    row = {
        "Month": month.strftime("%Y-%m"),
        "Reported by": POLICE_FORCE,
        "Falls within": POLICE_FORCE,
        "Context": "",
    }
    if rng.random() < 0.03:
        lsoa = None
        crime_type = pick(rng, _CRIME_TYPES["general"])
        row.update({"Location": "No Location"})
    else:
        lsoa = incident_lsoa(rng)
        place = rng.choice(lsoa.places)
        crime_type = pick(rng, _CRIME_TYPES[CHARACTER.get(lsoa.code, "general")])
        row.update(
            {
                "Longitude": style.coordinate(place.longitude),
                "Latitude": style.coordinate(place.latitude),
                "Location": place.location,
                "LSOA code": lsoa.code,
                "LSOA name": lsoa.name,
            }
        )
    row["Crime type"] = crime_type
    if crime_type != _ASB:  # ASB incidents have neither id nor outcome
        row["Crime ID"] = f"{rng.getrandbits(256):064x}"
        under = rng.random() < (0.5 if recent else 0.0)
        row["Last outcome category"] = "Under investigation" if under else pick(rng, _OUTCOMES)
    return Record(row, (row["Month"], lsoa.code if lsoa else "~", crime_type))
