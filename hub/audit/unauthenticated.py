"""How requests without a verified caller are recorded, so that they cannot grow the log
without bound (docs/audit.md, "Unauthenticated requests").

Anyone can send a request, so each serving process records at most `per_minute` of them as
events of their own in each minute; past that, it counts them (by action, outcome and HTTP
status: a bounded set, none of it chosen by the sender) and, once the minute is over,
appends one `audit.unauthenticated_counted` event with the counts. The log then grows by at
most `per_minute + 1` events a minute per process whatever is sent, and no request goes
unaccounted for. Requests by a verified caller are always recorded one by one.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hub.audit.events import NewEvent, format_time

ACTION = "audit.unauthenticated_counted"
WINDOW = timedelta(minutes=1)


@dataclass
class UnauthenticatedBudget:
    per_minute: int
    _start: datetime | None = None
    _recorded: int = 0
    _counted: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def admit(self, moment: datetime, *, action: str, outcome: str, status: int) -> bool:
        """True if this request is recorded as its own event; False if it is only counted."""
        with self._lock:
            if self._start is None or moment - self._start >= WINDOW:
                if self._counted:  # not yet summarised: keep counting in the old minute
                    self._counted[(action, outcome, status)] += 1
                    return False
                self._start, self._recorded = moment, 0
            if self._recorded < self.per_minute:
                self._recorded += 1
                return True
            self._counted[(action, outcome, status)] += 1
            return False

    def summary_due(self, moment: datetime) -> NewEvent | None:
        """The counting event for a minute that is over, once; None if none is due."""
        with self._lock:
            if not self._counted or self._start is None or moment - self._start < WINDOW:
                return None
            counted, start = self._counted, self._start
            self._counted, self._start, self._recorded = Counter(), None, 0
        counts = [
            {"action": a, "outcome": o, "status": s, "requests": n}
            for (a, o, s), n in sorted(counted.items())
        ]
        return NewEvent(
            action=ACTION,
            resource="unauthenticated",
            outcome="allowed",
            reason=f"unauthenticated requests past {self.per_minute} a minute are counted",
            request_id="",
            actor=None,
            details={
                "from": format_time(start),
                "to": format_time(start + WINDOW),
                "recorded_one_by_one": self.per_minute,
                "requests": sum(counted.values()),
                "counts": counts,
            },
        )
