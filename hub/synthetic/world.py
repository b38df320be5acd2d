"""What every feed generator shares: the population, the extract date and seeded randomness."""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import date, timedelta

from hub.synthetic.dates import Window
from hub.synthetic.population import Resident


@dataclass(frozen=True)
class World:
    population: tuple[Resident, ...]
    seed: int
    today: date

    @functools.cached_property
    def window(self) -> Window:
        return Window(self.today)

    def rng(self, name: str) -> random.Random:
        """A generator of its own per feed: a change to one feed leaves the others as they
        were. (A str seed is hashed with SHA-512, so the same on every run and platform.)"""
        return random.Random(f"{self.seed}:{name}")

    def with_signal(self, signal: str) -> list[Resident]:
        return [p for p in self.population if signal in p.signals]

    def background(self, *, born_from: date | None = None, ages: range | None = None):
        """Residents outside the cohort, optionally born on or after `born_from` and of an
        age in `ages` on the extract date."""
        return [
            p
            for p in self.population
            if not p.signals
            and (born_from is None or p.date_of_birth >= born_from)
            and (ages is None or p.age(self.today) in ages)
        ]

    def pupils(self, school: str) -> list[Resident]:
        return [p for p in self.population if p.school == school]

    def event_day(self, rng: random.Random, person: Resident | None = None) -> date:
        """A day in the window; for a cohort member, from a month before `risk_from` on,
        so that each one's records cluster into a story rather than scatter over the year."""
        if person is not None and person.risk_from is not None:
            return self.window.day(rng, after=person.risk_from - timedelta(days=30))
        return self.window.day(rng)


def pick(rng: random.Random, weighted: dict):
    """One key of `weighted`, with the values as weights."""
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]
