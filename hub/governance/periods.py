"""Days and months as an IG officer means them: in UK local time (Europe/London), turned into
the UTC instants the audit log is kept in."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def london_midnight(day: date) -> datetime:
    """The instant (UTC) a London day starts: 23:00 UTC the day before in summer."""
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[start of `first`, start of the day after `last`) in UTC, both days London days."""
    return london_midnight(first), london_midnight(last + timedelta(days=1))


def as_utc(moment: datetime) -> datetime:
    # Defensive: a driver that hands back a naive time hands back UTC (the log keeps UTC).
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def london(moment: datetime) -> datetime:
    return as_utc(moment).astimezone(LONDON)


def london_day(moment: datetime) -> date:
    return london(moment).date()


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, 1)


def last_months(today: date, count: int) -> list[date]:
    """The first days of the `count` months up to and including today's, oldest first."""
    this = month_start(today)
    return [add_months(this, -n) for n in range(count - 1, -1, -1)]
