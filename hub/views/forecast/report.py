"""The back-test as a table for people (`hub forecast evaluate`) and as a figure line."""

from __future__ import annotations

from collections.abc import Sequence

from hub.views.forecast.method import (
    BASELINE_MODEL,
    Evaluation,
    Event,
    History,
    ModelSpec,
    backtest,
    make_grid,
    make_history,
)

DEFAULT_MODELS = (
    ModelSpec.of("last_n_months", n=1),
    ModelSpec.of("last_n_months", n=3),
    ModelSpec.of("last_n_months", n=6),
    ModelSpec.of("ewma", halflife=2),
    ModelSpec.of("kde", bandwidth="cv"),
)


def evaluate_events(
    events: Sequence[Event],
    *,
    resolution: int = 10,
    models: Sequence[ModelSpec] = DEFAULT_MODELS,
    budgets: Sequence[float] = (1, 2, 5),
    crime_types: Sequence[str] | None = None,
    months: tuple[str | None, str | None] = (None, None),
) -> tuple[History, Evaluation]:
    first, last = months
    kept = [
        e
        for e in events
        if (crime_types is None or e.crime_type in crime_types)
        and (first is None or e.month >= first)
        and (last is None or e.month <= last)
    ]
    if not kept:
        raise ValueError("no located events of those crime types and months")
    history = make_history(kept, make_grid(kept, resolution))
    return history, backtest(history, models, budgets)


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def table(history: History, evaluation: Evaluation) -> list[str]:
    """One line per model and budget: mean (p10-p90) of each metric over the origins."""
    lines = [
        f"months {history.months[0]}..{history.months[-1]} ({len(history.months)}), "
        f"cells in area {evaluation.cells_in_area} (H3 res {history.grid.resolution}), "
        f"origins {len(evaluation.origins)}"
        + (f" {evaluation.origins[0]}..{evaluation.origins[-1]}" if evaluation.origins else ""),
        f"{'model':<26} {'budget':>6} {'hit rate':>17} {'PAI':>17} {'PEI*':>17} "
        f"{'RRI':>17} {'gain over baseline':>22} served",
    ]
    if not evaluation.origins:
        lines.append(
            "no origins: a back-test needs at least 4 consecutive months; nothing is accepted"
        )
    for r in sorted(evaluation.results, key=lambda r: (r.budget_pct, r.model.label)):

        def cell(s):
            return f"{_f(s.mean)} ({_f(s.p10)}-{_f(s.p90)})"

        gain = (
            f"{_f(r.pai_gain.mean)} [{_f(r.pai_gain.low)},{_f(r.pai_gain.high)}]"
            if r.pai_gain
            else "baseline"
            if r.model == BASELINE_MODEL
            else "-"
        )
        served, _ = evaluation.served(r.budget_pct)
        lines.append(
            f"{r.model.label:<26} {r.budget_pct:>5g}% {cell(r.hit_rate):>17} {cell(r.pai):>17} "
            f"{cell(r.pei):>17} {cell(r.rri):>17} {gain:>22} {'yes' if served == r.model else ''}"
        )
    for b, s in sorted(evaluation.oracle_pai.items()):
        lines.append(f"{'oracle (ceiling)':<26} {b:>5g}% {'':>17} {_f(s.mean):>17}")
    return lines
