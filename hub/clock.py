"""The one "now" the hub reads.

Every business date the hub works out (an agreement's term, "the last 12 months" of a view,
retention, the time of an audit event or a record) comes from `now()` or `today()` here,
never from `datetime.now()`. Production runs on the system clock. Tests and demos pin it with
`HUB_CLOCK_START` (an instant): the clock then reads that instant when the process starts and
runs on from there, so leases and timeouts still see time pass. `HUB_CLOCK_STARTED_AT` (a real
instant) says when that reading held, so that several processes pinned together agree.

Protocol lifetimes that third parties check with their own clocks (JWT `exp`/`iat`, signed
cookies) stay on the system clock: they measure elapsed time, not the calendar.

People see Europe/London time (`london`); the API speaks UTC.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class PinnedClock:
    """Reads `start` at the real instant `started_at` (default: now) and runs on from there."""

    def __init__(self, start: datetime, *, started_at: datetime | None = None):
        if start.tzinfo is None or (started_at is not None and started_at.tzinfo is None):
            raise ValueError("a pinned clock needs aware datetimes (with a time zone)")
        self.start = start.astimezone(UTC)
        self.started_at = started_at.astimezone(UTC) if started_at else datetime.now(UTC)
        self._offset = self.start.timestamp() - self.started_at.timestamp()

    def now(self) -> datetime:
        return datetime.fromtimestamp(time.time() + self._offset, UTC)

    def __repr__(self) -> str:
        return f"PinnedClock({self.start.isoformat()})"


_clock: Clock = SystemClock()


def install(clock: Clock) -> Clock:
    """Make `clock` the process's clock; returns the one it replaces."""
    global _clock
    previous, _clock = _clock, clock
    return previous


def current() -> Clock:
    return _clock


def from_settings(start: datetime | None, started_at: datetime | None = None) -> Clock:
    return SystemClock() if start is None else PinnedClock(start, started_at=started_at)


def now() -> datetime:
    """The current instant, in UTC."""
    return _clock.now()


def london(moment: datetime) -> datetime:
    """`moment` in Europe/London time, for people."""
    return moment.astimezone(LONDON)


def today() -> date:
    """Today's date in Europe/London: the day agreements, views and reports count by."""
    return london(now()).date()
