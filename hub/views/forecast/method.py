"""Hot-spot forecasting, the pure part: cells, models, metrics and rolling-origin back-tests.

No Flask, no database: events in (month, latitude, longitude, crime type, area), figures out.

Cells are H3 hexagons (equal area within a few per cent at one resolution, so the share of
the study area a selection covers is its share of the study area's cells). The study area is
every cell whose centre lies in the bounding box of the located events, plus every cell that
holds an event.

Models score each cell with the count expected next month:

last_n_months(n)     the mean count of the last n months (the "simple count" baseline)
ewma(halflife)       an exponentially weighted mean, weights halving every `halflife` months
kde(bandwidth)       a Gaussian kernel density of the training events at the cell centres,
                     bandwidth in metres, or `cv`: chosen by likelihood on the last training
                     month of a fit on the months before it

Metrics of a selection of k cells of the K in the study area against a month's n of N events
(NIJ, Chainey et al. 2008, Levine):

hit rate   n / N
PAI        (n / N) / (k / K)
PEI*       n / n*, n* the most events any k cells held that month (1 for the oracle, never
           more)
RRI        (n / N) / (s / S), the recapture rate: s the forecast's expected events in the
           selection, S in the whole study area (1: the model's share came true)

A back-test scores the models at each origin t (train on months before t, score month t) and
reports each metric's mean and 10th-90th percentiles over the origins. A model is accepted at
a budget only if its mean PAI beats the baseline's (last 3 months) and the 2.5th percentile
of a bootstrap of the mean per-origin difference is above zero; otherwise the baseline is
served, and the answer says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import h3
import numpy as np

MODEL_VERSION = "hub-forecast-1"
BASELINE = ("last_n_months", (("n", 3),))
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 18
MAX_ORIGINS = 12
MIN_TRAINING_MONTHS = 3
MAX_CELLS = 250_000  # the study area's cells: about 3,700 km2 at H3 res 10
CV_BANDWIDTHS_M = (50.0, 100.0, 200.0, 400.0, 800.0)
_EARTH_M = 6_371_008.8
# Victim-reported data.police.uk crime types: what a forecast reads unless the agreement's DPIA
# lists more. Police-initiated types (drugs, weapons possession, public order) measure where
# police look as much as where crime is, and feed back on themselves (Lum & Isaac 2016).
VICTIM_REPORTED = (
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Other theft",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
)


@dataclass(frozen=True)
class Event:
    month: str  # YYYY-MM
    latitude: float
    longitude: float
    crime_type: str = ""
    area: str = ""  # e.g. the LSOA code, for the disparity report


@dataclass(frozen=True)
class ModelSpec:
    name: str  # last_n_months | ewma | kde
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def label(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in self.params)
        return f"{self.name}({inner})"

    def param(self, key: str) -> Any:
        return dict(self.params)[key]

    @classmethod
    def of(cls, name: str, **params: Any) -> ModelSpec:
        return cls(name, tuple(sorted(params.items())))


BASELINE_MODEL = ModelSpec(*BASELINE)


def month_index(month: str) -> int:
    year, mon = month.split("-")[:2]
    return int(year) * 12 + int(mon) - 1


def month_name(index: int) -> str:
    year, mon = divmod(index, 12)
    return f"{year:04d}-{mon + 1:02d}"


# ---- cells -----------------------------------------------------------------------------


@dataclass
class Grid:
    resolution: int
    cells: list[str]
    index: dict[str, int]
    bbox: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    centres: np.ndarray  # K x 2 metres (x east, y north) about the bbox centre
    origin: tuple[float, float]  # lat, lon of the projection's centre

    @property
    def size(self) -> int:
        return len(self.cells)

    def project(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        lat0, lon0 = self.origin
        x = np.radians(lon - lon0) * math.cos(math.radians(lat0)) * _EARTH_M
        y = np.radians(lat - lat0) * _EARTH_M
        return np.column_stack([x, y])

    def cell_area_km2(self) -> float:
        return float(h3.average_hexagon_area(self.resolution, unit="km^2"))


def make_grid(events: Sequence[Event], resolution: int) -> Grid:
    if not events:
        raise ValueError("no located events: nothing to forecast")
    lats = [e.latitude for e in events]
    lons = [e.longitude for e in events]
    bbox = (min(lons), min(lats), max(lons), max(lats))
    width_km = (bbox[2] - bbox[0]) * 111.32 * math.cos(math.radians((bbox[1] + bbox[3]) / 2))
    height_km = (bbox[3] - bbox[1]) * 110.57
    estimate = width_km * height_km / h3.average_hexagon_area(resolution, unit="km^2")
    if estimate > MAX_CELLS:
        raise ValueError(
            f"the study area would hold about {estimate:,.0f} cells (at most {MAX_CELLS:,}): "
            "forecast one force area at a time, or use a coarser unit"
        )
    box = h3.LatLngPoly(
        [(bbox[1], bbox[0]), (bbox[1], bbox[2]), (bbox[3], bbox[2]), (bbox[3], bbox[0])]
    )
    cells = set(h3.h3shape_to_cells(box, resolution))
    cells.update(h3.latlng_to_cell(e.latitude, e.longitude, resolution) for e in events)
    ordered = sorted(cells)
    origin = ((bbox[1] + bbox[3]) / 2, (bbox[0] + bbox[2]) / 2)
    grid = Grid(
        resolution, ordered, {c: i for i, c in enumerate(ordered)}, bbox, np.empty(0), origin
    )
    centre = np.array([h3.cell_to_latlng(c) for c in ordered])
    grid.centres = grid.project(centre[:, 0], centre[:, 1])
    return grid


@dataclass
class History:
    """Events per month per cell, and where they were, for the months held. Locations are
    kept as the distinct points (data.police.uk snaps crimes to a few map points) with their
    count per month, so that a kernel density is a matrix product."""

    grid: Grid
    first_month: int  # month index of row 0
    counts: np.ndarray  # T x K
    points: np.ndarray  # U x 2 metres: the distinct event locations
    point_counts: np.ndarray  # T x U: events per month at each
    _kernels: dict = field(default_factory=dict, repr=False)

    @property
    def months(self) -> list[str]:
        return [month_name(self.first_month + t) for t in range(self.counts.shape[0])]

    def density(self, h: float, weights: np.ndarray, *, at_points: bool = False) -> np.ndarray:
        """Gaussian kernel density (per m2) at the cell centres (or at the points) of events
        at the points with `weights`."""
        total = float(weights.sum())
        if total <= 0:
            return np.zeros(len(self.points) if at_points else self.grid.size)
        key = (h, at_points)
        kernel = self._kernels.get(key)
        at = self.points if at_points else self.grid.centres
        if kernel is None and len(at) * len(self.points) <= KERNEL_CACHE_ENTRIES:
            kernel = self._kernels[key] = _kernel(at, self.points, h)
        if kernel is not None:
            out = kernel @ weights
        else:  # too large to keep: in chunks of the cells
            out = np.concatenate(
                [
                    _kernel(at[i : i + 2048], self.points, h) @ weights
                    for i in range(0, len(at), 2048)
                ]
            )
        return out / (2 * math.pi * h * h * total)


KERNEL_CACHE_ENTRIES = 20_000_000  # 160 MB of float64 at most per bandwidth


def _kernel(at: np.ndarray, where: np.ndarray, h: float) -> np.ndarray:
    d2 = (at * at).sum(axis=1)[:, None] + (where * where).sum(axis=1)[None, :] - 2.0 * at @ where.T
    return np.exp(-np.maximum(d2, 0.0) / (2 * h * h))


def make_history(events: Sequence[Event], grid: Grid) -> History:
    first = min(month_index(e.month) for e in events)
    last = max(month_index(e.month) for e in events)
    t_count = last - first + 1
    counts = np.zeros((t_count, grid.size), dtype=np.int64)
    rows = np.array([month_index(e.month) - first for e in events], dtype=np.int64)
    cells = np.array(
        [grid.index[h3.latlng_to_cell(e.latitude, e.longitude, grid.resolution)] for e in events],
        dtype=np.int64,
    )
    np.add.at(counts, (rows, cells), 1)
    lat = np.array([e.latitude for e in events], dtype=float)
    lon = np.array([e.longitude for e in events], dtype=float)
    projected = np.round(grid.project(lat, lon), 1)
    points, which = np.unique(projected, axis=0, return_inverse=True)
    point_counts = np.zeros((t_count, len(points)), dtype=np.int64)
    np.add.at(point_counts, (rows, which.reshape(-1)), 1)
    return History(grid, first, counts, points, point_counts)


# ---- models ----------------------------------------------------------------------------


def score(model: ModelSpec, history: History, upto: int) -> np.ndarray:
    """Expected events per cell in month `upto`, from months [0, upto)."""
    past = history.counts[:upto].astype(float)
    if past.shape[0] == 0:
        return np.zeros(history.grid.size)
    if model.name == "last_n_months":
        n = int(model.param("n"))
        return past[-n:].mean(axis=0)
    if model.name == "ewma":
        halflife = float(model.param("halflife"))
        ages = np.arange(past.shape[0])[::-1]
        weights = 0.5 ** (ages / halflife)
        return (weights[:, None] * past).sum(axis=0) / weights.sum()
    if model.name == "kde":
        bandwidth = model.param("bandwidth")
        h = choose_bandwidth(history, upto) if bandwidth == "cv" else float(bandwidth)
        weights = history.point_counts[:upto].sum(axis=0).astype(float)
        density = history.density(h, weights)
        total = past.sum(axis=1).mean()
        return density * (total / density.sum()) if density.sum() > 0 else density
    raise ValueError(f"unknown model {model.name}")


def choose_bandwidth(history: History, upto: int) -> float:
    """Likelihood cross-validation: fit on months before the last training month, score the
    log-likelihood of that month's events; the bandwidth that scores best."""
    if upto < 2:
        return 200.0
    held = history.point_counts[upto - 1].astype(float)
    fitted = history.point_counts[: upto - 1].sum(axis=0).astype(float)
    if held.sum() == 0 or fitted.sum() == 0:
        return 200.0
    best, best_ll = 200.0, -math.inf
    for h in CV_BANDWIDTHS_M:
        density = history.density(h, fitted, at_points=True)
        ll = float((held * np.log(density + 1e-12)).sum())
        if ll > best_ll:
            best, best_ll = h, ll
    return best


# ---- selection and metrics -------------------------------------------------------------


def cells_for_budget(size: int, budget_pct: float) -> int:
    return max(1, int(math.floor(size * budget_pct / 100 + 1e-9)))


def select(scores: np.ndarray, k: int) -> np.ndarray:
    """The k cells with the highest scores; ties go to the lower cell index (stable)."""
    order = np.argsort(-scores, kind="stable")
    return order[:k]


@dataclass(frozen=True)
class Metrics:
    hit_rate: float | None
    pai: float | None
    pei: float | None
    rri: float | None


def metrics(selected: np.ndarray, actual: np.ndarray, scores: np.ndarray | None = None) -> Metrics:
    k, size = len(selected), len(actual)
    total = float(actual.sum())
    if total == 0:
        return Metrics(None, None, None, None)
    n = float(actual[selected].sum())
    hit = n / total
    best = float(np.sort(actual)[::-1][:k].sum())
    pei = n / best if best > 0 else None
    rri = None
    if scores is not None and scores.sum() > 0 and scores[selected].sum() > 0:
        rri = hit / (float(scores[selected].sum()) / float(scores.sum()))
    return Metrics(hit, hit / (k / size), pei, rri)


# ---- back-tests ------------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    mean: float | None
    p10: float | None
    p90: float | None

    def as_dict(self) -> dict[str, float | None]:
        return {"mean": _r(self.mean), "p10": _r(self.p10), "p90": _r(self.p90)}


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def spread(values: Iterable[float | None]) -> Spread:
    kept = [v for v in values if v is not None]
    if not kept:
        return Spread(None, None, None)
    arr = np.array(kept)
    return Spread(float(arr.mean()), float(np.percentile(arr, 10)), float(np.percentile(arr, 90)))


@dataclass(frozen=True)
class Interval:
    """The mean per-origin PAI gain over the baseline, and its bootstrap 95% interval."""

    mean: float
    low: float
    high: float


@dataclass
class ModelResult:
    model: ModelSpec
    budget_pct: float
    per_origin: list[Metrics]
    hit_rate: Spread
    pai: Spread
    pei: Spread
    rri: Spread
    pai_gain: Interval | None = None  # mean PAI minus the baseline's, with the bootstrap interval
    accepted: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model.label,
            "budget_pct": self.budget_pct,
            "hit_rate": self.hit_rate.as_dict(),
            "pai": self.pai.as_dict(),
            "pei": self.pei.as_dict(),
            "rri": self.rri.as_dict(),
            "pai_gain_over_baseline": None
            if self.pai_gain is None
            else {
                "mean": _r(self.pai_gain.mean),
                "ci95_low": _r(self.pai_gain.low),
                "ci95_high": _r(self.pai_gain.high),
            },
            "accepted": self.accepted,
        }


@dataclass
class Evaluation:
    origins: list[str]
    cells_in_area: int
    results: list[ModelResult] = field(default_factory=list)
    oracle_pai: dict[float, Spread] = field(default_factory=dict)

    def result(self, model: ModelSpec, budget_pct: float) -> ModelResult | None:
        return next(
            (r for r in self.results if r.model == model and r.budget_pct == budget_pct), None
        )

    def served(self, budget_pct: float, wanted: ModelSpec | None = None) -> tuple[ModelSpec, str]:
        """The model to serve at a budget and why: the best accepted one, else the baseline."""
        candidates = [
            r
            for r in self.results
            if r.budget_pct == budget_pct and r.accepted and wanted in (None, r.model)
        ]
        if candidates:
            best = max(candidates, key=lambda r: r.pai.mean or 0.0)
            return best.model, (
                f"{best.model.label} beat {BASELINE_MODEL.label} in the back-test at "
                f"{budget_pct:g}% of the area (bootstrap 95% interval of the PAI gain above 0)."
            )
        if not self.origins:
            return BASELINE_MODEL, (
                f"Too few months to back-test (at least {MIN_TRAINING_MONTHS + 1} are needed): "
                f"the baseline {BASELINE_MODEL.label} is served."
            )
        what = wanted.label if wanted else "no model"
        return BASELINE_MODEL, (
            f"{what} beat the baseline {BASELINE_MODEL.label} in the back-test at {budget_pct:g}% "
            "of the area with a bootstrap 95% interval above 0, so the baseline is served."
            if wanted is None
            else f"{what} did not beat the baseline {BASELINE_MODEL.label} in the back-test at "
            f"{budget_pct:g}% of the area with a bootstrap 95% interval above 0, so the baseline "
            "is served."
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "origins": self.origins,
            "cells_in_area": self.cells_in_area,
            "baseline": BASELINE_MODEL.label,
            "results": [r.as_dict() for r in self.results],
            "oracle_pai": {f"{b:g}": s.as_dict() for b, s in self.oracle_pai.items()},
        }


def with_baseline(models: Sequence[ModelSpec]) -> list[ModelSpec]:
    out = list(dict.fromkeys(models))
    if BASELINE_MODEL not in out:
        out.insert(0, BASELINE_MODEL)
    return out


def origins_of(history: History, max_origins: int = MAX_ORIGINS) -> list[int]:
    """Month rows to score: the last `max_origins` with enough months before them."""
    t_count = history.counts.shape[0]
    return [t for t in range(MIN_TRAINING_MONTHS, t_count)][-max_origins:]


def bootstrap_interval(
    diffs: Sequence[float], *, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED
) -> tuple[float, float]:
    arr = np.asarray(diffs, dtype=float)
    rng = np.random.default_rng(seed)
    means = arr[rng.integers(0, len(arr), size=(resamples, len(arr)))].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def backtest(
    history: History,
    models: Sequence[ModelSpec],
    budgets: Sequence[float],
    *,
    max_origins: int = MAX_ORIGINS,
) -> Evaluation:
    models = with_baseline(models)
    origins = origins_of(history, max_origins)
    size = history.grid.size
    evaluation = Evaluation([month_name(history.first_month + t) for t in origins], size)
    per: dict[tuple[ModelSpec, float], list[Metrics]] = {}
    for t in origins:
        actual = history.counts[t]
        for model in models:
            scores = score(model, history, t)
            for b in budgets:
                chosen = select(scores, cells_for_budget(size, b))
                per.setdefault((model, b), []).append(metrics(chosen, actual, scores))
    scored = origins or [history.counts.shape[0] - 1]  # no origins: the ceiling of the last month
    for b in budgets:
        k = cells_for_budget(size, b)
        evaluation.oracle_pai[b] = spread(
            metrics(select(history.counts[t].astype(float), k), history.counts[t]).pai
            for t in scored
        )
    for (model, b), found in per.items():
        result = ModelResult(
            model,
            b,
            found,
            spread(m.hit_rate for m in found),
            spread(m.pai for m in found),
            spread(m.pei for m in found),
            spread(m.rri for m in found),
        )
        if model != BASELINE_MODEL and origins:
            base = per[(BASELINE_MODEL, b)]
            diffs = [
                m.pai - s.pai
                for m, s in zip(found, base, strict=True)
                if m.pai is not None and s.pai is not None
            ]
            if diffs:
                low, high = bootstrap_interval(diffs)
                mean = float(np.mean(diffs))
                result.pai_gain = Interval(mean, low, high)
                result.accepted = mean > 0 and low > 0
        evaluation.results.append(result)
    return evaluation
