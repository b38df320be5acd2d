"""The calendar the feeds share: the last twelve months, school terms, UK clock changes."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

DEFAULT_TODAY = date(2026, 11, 1)


def months_back(day: date, months: int) -> date:
    """The first day of the month `months` before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Window:
    """The twelve whole months before the extract's month: what the feeds report on."""

    today: date

    @property
    def start(self) -> date:
        return months_back(self.today, 12)

    @property
    def end(self) -> date:  # inclusive
        return months_back(self.today, 0) - timedelta(days=1)

    @property
    def months(self) -> list[date]:
        return [months_back(self.today, n) for n in range(12, 0, -1)]

    @property
    def academic_year(self) -> int:
        """The autumn year of the last complete academic year (2025 for 2025/26)."""
        return self.today.year - 1 if self.today.month >= 9 else self.today.year - 2

    def day(self, rng: random.Random, *, after: date | None = None) -> date:
        start = max(self.start, after) if after else self.start
        span = (self.end - start).days
        return start + timedelta(days=rng.randint(0, max(span, 0)))

    def late_day(self, rng: random.Random) -> date:
        """A day one to four months before the window: a record sent late."""
        return self.start - timedelta(days=rng.randint(20, 120))


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def shift_days(day: date, low: int, high: int, rng: random.Random, *, limit: date) -> date:
    return min(day + timedelta(days=rng.randint(low, high)), limit)


# --- school terms -------------------------------------------------------------------------------

TERMS = ("autumn", "spring", "summer")


def term_of(day: date) -> str | None:
    if day.month in (9, 10, 11, 12):
        return "autumn"
    if day.month in (1, 2, 3):
        return "spring"
    if day.month in (4, 5, 6, 7) and not (day.month == 7 and day.day > 22):
        return "summer"
    return None


def school_day(rng: random.Random, start: date, end: date) -> date:
    """A weekday in term time between `start` and `end` (inclusive)."""
    for _ in range(200):
        day = start + timedelta(days=rng.randint(0, max((end - start).days, 0)))
        if day.weekday() < 5 and term_of(day) and not (day.month == 12 and day.day > 19):
            return day
    return start


def academic_year_label(autumn_year: int) -> str:
    return f"{autumn_year}/{(autumn_year + 1) % 100:02d}"


# --- clocks ---------------------------------------------------------------------------------


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def uk_offset(moment: datetime) -> str:
    """ "+01:00" in British Summer Time (last Sunday of March to last Sunday of October),
    "+00:00" otherwise: hospital systems record local time with its offset."""
    start, end = _last_sunday(moment.year, 3), _last_sunday(moment.year, 10)
    return "+01:00" if start <= moment.date() < end else "+00:00"


def local_timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + uk_offset(moment)


def evening_time(rng: random.Random) -> tuple[int, int]:
    """An hour and minute weighted to late afternoon, evening and night, when violence and
    anti-social behaviour peak."""
    hour = rng.choices(range(24), weights=_EVENING)[0]
    return hour, rng.randrange(60)


_EVENING = (6, 5, 4, 2, 1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 10, 10, 9, 8, 7)
