"""Each partner school's feeds: attendance per pupil per term of the last complete school
year, and the suspensions and permanent exclusions within the last twelve months of it."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from hub.synthetic import flaws, style
from hub.synthetic.dates import TERMS, academic_year_label, school_day
from hub.synthetic.population import EXCLUSION, PERSISTENT_ABSENCE, Resident
from hub.synthetic.records import Feed, FlawPlan, Record, assemble
from hub.synthetic.world import World, pick

ATTENDANCE = "school-attendance"
ATTENDANCE_COLUMNS = (
    "upn",
    "nhs_number",
    "forename",
    "surname",
    "date_of_birth",
    "postcode",
    "academic_year",
    "term",
    "sessions_possible",
    "sessions_authorised_absence",
    "sessions_unauthorised_absence",
)
_SESSIONS = {"autumn": 142, "spring": 118, "summer": 126}  # two a day, term by term
# Background absence: lognormal around 5.5% of sessions, so that about a fifth of pupils
# miss 10% or more (persistent absence), as in England since 2021.
_ABSENCE_MU, _ABSENCE_SIGMA = math.log(0.055), 0.7
PERSISTENT = 0.10  # DfE: a pupil missing 10% or more of possible sessions

ATTENDANCE_PLAN = FlawPlan(
    limit=0.05,
    corruptions=(
        flaws.upn_check("upn"),
        flaws.nhs_check("nhs_number"),
        flaws.uk_date("date_of_birth"),
        flaws.literal("sessions_unauthorised_absence", "not_a_number", "N/A"),
    ),
    names=("forename", "surname"),
)


def attendance(world: World, school: str) -> Feed:
    rng = world.rng(f"{ATTENDANCE}:{school}")
    year = academic_year_label(world.window.academic_year)
    records = []
    for pupil in world.pupils(school):
        rate = _absence_rate(rng, pupil)
        nhs = style.maybe(rng, 0.75, style.nhs_number(rng, pupil.nhs_number, spaced=0.05))
        postcode = style.postcode(rng, pupil.postcode, present=0.96)
        for order, term in enumerate(TERMS):
            possible = _SESSIONS[term] - (rng.randint(10, 60) if rng.random() < 0.04 else 0)
            missed = min(possible, round(possible * rate * rng.uniform(0.7, 1.3)))
            unauthorised = round(
                missed
                * (0.6 if PERSISTENT_ABSENCE in pupil.signals else 0.3)
                * rng.uniform(0.6, 1.4)
            )
            unauthorised = min(unauthorised, missed)
            row = {
                "upn": pupil.upn,
                "nhs_number": nhs,
                "forename": pupil.forename,
                "surname": pupil.surname,
                "date_of_birth": pupil.date_of_birth.isoformat(),
                "postcode": postcode,
                "academic_year": year,
                "term": term,
                "sessions_possible": str(possible),
                "sessions_authorised_absence": str(missed - unauthorised),
                "sessions_unauthorised_absence": str(unauthorised),
            }
            # The school's system exports term by term, pupils by name.
            records.append(Record(row, (order, pupil.surname, pupil.forename, pupil.upn)))
    return assemble(school, ATTENDANCE, ATTENDANCE_COLUMNS, records, rng, ATTENDANCE_PLAN)


def _absence_rate(rng: random.Random, pupil: Resident) -> float:
    if PERSISTENT_ABSENCE in pupil.signals:
        return rng.uniform(0.15, 0.45)
    rate = min(0.6, rng.lognormvariate(_ABSENCE_MU, _ABSENCE_SIGMA))
    # A cohort member whose school is not worried about attendance stays under the line,
    # so that the signals say exactly what the feeds show.
    return min(rate, 0.08) if pupil.signals else rate


# --- exclusions --------------------------------------------------------------------------------

EXCLUSIONS = "school-exclusions"
EXCLUSION_COLUMNS = (
    "exclusion_id",
    "upn",
    "nhs_number",
    "forename",
    "surname",
    "date_of_birth",
    "postcode",
    "start_date",
    "exclusion_type",
    "sessions",
    "reason",
)
_PREFIX = {"riverside-academy": "RA", "hillcrest-high-school": "HH"}
_REASONS_COHORT = {
    "PA": 14,
    "PP": 20,
    "VA": 16,
    "VP": 8,
    "OW": 6,
    "DA": 10,
    "PD": 14,
    "DM": 4,
    "TH": 3,
    "BU": 3,
    "OT": 2,
}
_REASONS_BACKGROUND = {
    "PD": 38,
    "VA": 14,
    "VP": 12,
    "PP": 10,
    "BU": 5,
    "DA": 5,
    "DM": 5,
    "RA": 2,
    "LG": 1,
    "SM": 1,
    "TH": 2,
    "MT": 3,
    "OT": 2,
}
_LENGTH = {1: 14, 2: 30, 3: 12, 4: 14, 5: 12, 6: 6, 8: 6, 10: 6}  # sessions (half days)
_BACKGROUND_RATE = 0.035

EXCLUSION_PLAN = FlawPlan(
    limit=0.05,
    corruptions=(
        flaws.upn_check("upn"),
        flaws.literal("sessions", "half_session", "0.5"),
        flaws.literal("reason", "reason_as_label", "Persistent disruptive behaviour"),
        flaws.uk_date("start_date"),
    ),
    names=("forename", "surname"),
    late_column="start_date",
)


def exclusions(world: World, school: str) -> Feed:
    rng = world.rng(f"{EXCLUSIONS}:{school}")
    # Within the window and within the school year the roll is for.
    end = min(world.window.end, date(world.window.academic_year + 1, 7, 22))
    records = []
    for pupil in world.pupils(school):
        if EXCLUSION in pupil.signals:
            count = pick(rng, {1: 45, 2: 30, 3: 15, 4: 10})
            permanent = rng.random() < 0.06
        elif not pupil.signals and rng.random() < _BACKGROUND_RATE:
            count, permanent = (1 if rng.random() < 0.8 else 2), False
        else:
            continue
        records += _pupil_exclusions(world, rng, pupil, count, permanent, end)
    prefix = _PREFIX[school]
    return assemble(
        school,
        EXCLUSIONS,
        EXCLUSION_COLUMNS,
        records,
        rng,
        EXCLUSION_PLAN,
        id_column="exclusion_id",
        make_id=lambda n, row: f"{prefix}-EX-{n:05d}",
    )


def _pupil_exclusions(world, rng, pupil: Resident, count, permanent, end) -> list[Record]:
    cohort = bool(pupil.signals)
    nhs = style.maybe(rng, 0.7, style.nhs_number(rng, pupil.nhs_number, spaced=0.05))
    postcode = style.postcode(rng, pupil.postcode, present=0.95)
    start = world.window.start
    if pupil.risk_from:
        start = max(start, min(pupil.risk_from, end))
    days = sorted(school_day(rng, start, end) for _ in range(count))
    out = []
    for number, day in enumerate(days, start=1):
        late = rng.random() < 0.015
        if late:
            before = world.window.start - timedelta(days=1)
            day = school_day(rng, before - timedelta(days=120), before)
        last_one = permanent and number == len(days)
        row = {
            "upn": pupil.upn,
            "nhs_number": nhs,
            "forename": pupil.forename,
            "surname": pupil.surname,
            "date_of_birth": pupil.date_of_birth.isoformat(),
            "postcode": postcode,
            "start_date": day.isoformat(),
            "exclusion_type": "permanent_exclusion" if last_one else "suspension",
            "sessions": "" if last_one else str(pick(rng, _LENGTH)),
            "reason": pick(rng, _REASONS_COHORT if cohort else _REASONS_BACKGROUND),
        }
        out.append(Record(row, (day, pupil.id), late=late))
    return out
