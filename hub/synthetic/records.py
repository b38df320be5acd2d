"""From generated records to a feed: order, reference numbers, then the known flaws."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from hub.synthetic.flaws import Corruption, Flaw, name_typo, rejected_rows


@dataclass(frozen=True)
class Feed:
    """One provider's file for one dataset: rows of text keyed by the contract's columns."""

    partner: str
    dataset: str
    columns: tuple[str, ...]
    rows: list[dict[str, str]]
    flaws: tuple[Flaw, ...]

    def rejected_rows(self, stage: str | None = None) -> list[int]:
        return rejected_rows(self.flaws, stage)


@dataclass
class Record:
    row: dict[str, str]
    key: tuple  # extract order: usually the event's date and time
    late: bool = False  # sent after its time: it goes at the end of the extract


@dataclass(frozen=True)
class FlawPlan:
    limit: float  # the contract's maxInvalidFraction (the tests check the two agree)
    corruptions: tuple[Corruption, ...] = ()
    rate: float = 0.006  # rows given a rejected flaw, before the cap below
    names: tuple[str, ...] = ()  # columns that get accepted typos
    typo_rate: float = 0.01
    late_column: str | None = None


def assemble(
    partner: str,
    dataset: str,
    columns: tuple[str, ...],
    records: list[Record],
    rng: random.Random,
    plan: FlawPlan,
    *,
    id_column: str | None = None,
    make_id: Callable[[int, dict[str, str]], str] | None = None,
) -> Feed:
    records = sorted(records, key=lambda r: (r.late, r.key))
    rows = [{c: r.row.get(c, "") for c in columns} for r in records]
    if id_column and make_id:
        for number, row in enumerate(rows, start=1):
            row[id_column] = make_id(number, row)
    flaws = [Flaw(n, plan.late_column, "late", None) for n, r in enumerate(records, 1) if r.late]
    flaws += _typos(rows, rng, plan)
    flaws += _rejected(rows, rng, plan)
    return Feed(partner, dataset, columns, rows, tuple(sorted(flaws, key=_order)))


def _order(flaw: Flaw) -> tuple:
    return (flaw.row, flaw.column or "", flaw.kind)


def _typos(rows, rng: random.Random, plan: FlawPlan) -> list[Flaw]:
    flaws = []
    for number, row in enumerate(rows, start=1):
        if plan.names and rng.random() < plan.typo_rate:
            column = rng.choice(plan.names)
            if row[column]:
                row[column] = name_typo(row[column], rng)
                flaws.append(Flaw(number, column, "name_typo", None))
    return flaws


def rejected_count(rows: int, plan: FlawPlan) -> int:
    """`rate` of the rows, but never more than half what the contract allows, so every feed
    publishes with its flaws reported; at least one wherever half the limit allows one."""
    cap = int(rows * plan.limit / 2)
    return min(max(round(rows * plan.rate), 1), cap) if plan.corruptions else 0


def _rejected(rows, rng: random.Random, plan: FlawPlan) -> list[Flaw]:
    chosen = sorted(rng.sample(range(len(rows)), rejected_count(len(rows), plan)))
    flaws = []
    corruptions = plan.corruptions
    for turn, index in enumerate(chosen):
        row = rows[index]
        for step in range(len(corruptions)):
            corruption = corruptions[(turn + step) % len(corruptions)]
            if corruption.applies(row):
                corruption.apply(row, corruption.column, rng)
                flaws.append(
                    Flaw(index + 1, corruption.column, corruption.kind, corruption.rejected_by)
                )
                break
    return flaws
