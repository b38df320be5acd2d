"""The forecast method on synthetic months with planted structure: what an analyst would
check before trusting a PAI figure."""

from __future__ import annotations

import h3
import numpy as np
import pytest

from hub.views.forecast.method import (
    BASELINE_MODEL,
    Event,
    ModelSpec,
    backtest,
    cells_for_budget,
    make_grid,
    make_history,
    metrics,
    score,
    select,
)

CENTRE = (54.45, 0.90)
RES = 10


def _area_cells() -> list[str]:
    """A patch of cells round the centre: the study area of the planted months."""
    return sorted(h3.grid_disk(h3.latlng_to_cell(*CENTRE, RES), 9))


def _planted(months: int = 12, base: float = 0.3, hot_factor: float = 10, seed: int = 7):
    rng = np.random.default_rng(seed)
    cells = _area_cells()
    hot = cells[len(cells) // 3]
    events = []
    for m in range(months):
        month = f"2025-{m + 1:02d}"
        for cell in cells:
            rate = base * (hot_factor if cell == hot else 1)
            lat, lon = h3.cell_to_latlng(cell)
            events += [Event(month, lat, lon, "Burglary", "E01999001")] * int(rng.poisson(rate))
    return events, cells, hot


def test_a_planted_hot_spot_ranks_first_and_its_pai_is_the_hand_computation():
    events, cells, hot = _planted()
    history = make_history(events, make_grid(events, RES))
    grid = history.grid
    assert set(cells) <= set(grid.cells)
    for model in (ModelSpec.of("last_n_months", n=3), ModelSpec.of("ewma", halflife=2)):
        scores = score(model, history, history.counts.shape[0])
        assert grid.cells[int(np.argmax(scores))] == hot, model.label

    # One cell chosen (the hot spot) against the last month: PAI = (n/N) / (1/K).
    chosen = np.array([grid.index[hot]])
    actual = history.counts[-1]
    n, total, k_all = int(actual[grid.index[hot]]), int(actual.sum()), grid.size
    assert n > 0
    found = metrics(chosen, actual)
    assert found.pai == pytest.approx((n / total) / (1 / k_all))
    assert found.hit_rate == pytest.approx(n / total)


def test_random_forecasts_average_a_pai_of_one():
    events, _, _ = _planted(months=2, base=1.0, hot_factor=1, seed=3)
    history = make_history(events, make_grid(events, RES))
    actual = history.counts[-1]
    rng = np.random.default_rng(11)
    k = cells_for_budget(history.grid.size, 5)
    pais = [
        metrics(rng.choice(history.grid.size, size=k, replace=False), actual).pai
        for _ in range(500)
    ]
    assert np.mean(pais) == pytest.approx(1.0, abs=0.1)


def test_pei_is_one_for_the_oracle_and_never_above():
    events, _, _ = _planted(seed=5)
    history = make_history(events, make_grid(events, RES))
    actual = history.counts[-1]
    for budget in (1, 2, 5):
        k = cells_for_budget(history.grid.size, budget)
        oracle = metrics(select(actual.astype(float), k), actual)
        assert oracle.pei == pytest.approx(1.0)
    evaluation = backtest(
        history,
        [ModelSpec.of("ewma", halflife=2), ModelSpec.of("kde", bandwidth="cv")],
        [1, 2, 5],
    )
    assert evaluation.origins
    for result in evaluation.results:
        for m in result.per_origin:
            assert m.pei is None or m.pei <= 1 + 1e-12
        # No back-test beats the oracle of its own months.
        assert result.pai.mean <= evaluation.oracle_pai[result.budget_pct].mean + 1e-9


def test_a_model_no_better_than_the_baseline_is_not_served():
    events, _, _ = _planted(base=1.0, hot_factor=1, seed=9)  # no structure to find
    history = make_history(events, make_grid(events, RES))
    wanted = ModelSpec.of("last_n_months", n=1)
    evaluation = backtest(history, [wanted], [5])
    model, because = evaluation.served(5, wanted)
    assert model == BASELINE_MODEL
    assert "baseline" in because and "did not beat" in because


def test_a_model_that_beats_the_baseline_is_served():
    # The hot spot stays two months, then moves: last month knows where it is in the second
    # month, three months point at the old one.
    rng = np.random.default_rng(2)
    cells = _area_cells()
    events = []
    for m in range(15):
        hot = cells[(m // 2) * 17 % len(cells)]
        for cell in cells:
            lat, lon = h3.cell_to_latlng(cell)
            rate = 8.0 if cell == hot else 0.05
            count = int(rng.poisson(rate))
            events += [Event(f"{2024 + m // 12}-{m % 12 + 1:02d}", lat, lon)] * count
    history = make_history(events, make_grid(events, RES))
    wanted = ModelSpec.of("last_n_months", n=1)
    budget = 100 / history.grid.size  # one cell
    evaluation = backtest(history, [wanted], [budget])
    result = evaluation.result(wanted, budget)
    assert result.pai_gain.mean > 0 and result.pai_gain.low > 0
    assert result.accepted
    model, because = evaluation.served(budget)
    assert model == wanted and "beat" in because


def test_zones_show_counts_at_or_over_the_minimum_and_suppress_the_rest():
    from hub.views.forecast.zones import feature_collection, make_forecast

    events, _, hot = _planted(base=0.3, hot_factor=30, seed=4)
    history = make_history(events, make_grid(events, RES))
    evaluation = backtest(history, [], [5])
    forecast = make_forecast(history, evaluation, budget_pct=5, crime_types=["Burglary"])
    body = feature_collection(forecast, min_cell_size=5)
    first = body["features"][0]["properties"]
    assert hot in first["h3_cells"] and first["forecast_count"] >= 5 and not first["suppressed"]
    others = [f["properties"] for f in body["features"][1:]]
    assert others and all(
        (p["forecast_count"] is None) == p["suppressed"]
        and (p["forecast_count"] is None or p["forecast_count"] >= 5)
        for p in others
    )
    assert any(p["suppressed"] for p in others)
    # Longitude first: the planted town is at 54.45 N, 0.90 E.
    lon, lat = body["features"][0]["geometry"]["coordinates"][0][0]
    assert abs(lon - 0.90) < 0.05 and abs(lat - 54.45) < 0.05
