"""The failures of one upload, kept in bounded memory: the first `cap` in full, and a count
for every (column, check) pair however many there are."""

from __future__ import annotations

from collections import Counter
from typing import Any

DEFAULT_CAP = 1000


class FailureLog:
    def __init__(self, cap: int = DEFAULT_CAP):
        self.cap = cap
        self.kept: list[dict[str, Any]] = []
        self.total = 0
        self.by_check: Counter[tuple[str, str]] = Counter()

    def add(self, failures: list[dict[str, Any]]) -> None:
        for failure in failures:
            self.by_check[(failure["column"], failure["check"])] += 1
        self.total += len(failures)
        room = self.cap - len(self.kept)
        if room > 0:
            self.kept.extend(failures[:room])

    def add_counted(self, column: str, check: str, count: int, listed: list[dict[str, Any]]):
        """Failures found in the database: `count` of them, `listed` the first few."""
        self.by_check[(column, check)] += count
        self.total += count
        room = self.cap - len(self.kept)
        if room > 0:
            self.kept.extend(listed[:room])

    def as_report(self) -> dict[str, Any]:
        return {
            "row_failures": sorted(self.kept, key=lambda f: (f["row"], f["column"], f["check"])),
            "row_failures_omitted": self.total - len(self.kept),
            "failure_counts": [
                {"column": column, "check": check, "count": count}
                for (column, check), count in sorted(self.by_check.items())
            ],
        }
