"""A forecast for next month, its patrol zones as RFC 7946 GeoJSON, and the disparity report.

Pure: no Flask, no database. Zones are connected groups of the selected cells (H3 neighbours),
drawn as one polygon each (longitude, latitude, WGS84, closed rings, no `crs`: RFC 7946).
A zone's forecast count derives from partner data, so a count under the agreement's minimum
cell size is shown as null with `suppressed: true`; cell counts are never shown, so that none
can be had by subtraction from a zone's.
"""

from __future__ import annotations

import calendar
import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

import h3
import numpy as np

from hub.views.forecast.method import (
    BASELINE_MODEL,
    MODEL_VERSION,
    VICTIM_REPORTED,
    Evaluation,
    Event,
    History,
    ModelSpec,
    cells_for_budget,
    month_name,
    score,
    select,
)

DISCLAIMER = (
    "A forecast of where crime is likely to be recorded next month, made from past recorded "
    "crime. It says nothing about any person: it is not a prediction of offenders or victims, "
    "and recorded crime reflects where crime is reported and where police look. Use it to "
    "plan visible patrols, never as grounds to stop or search anyone."
)
PATROL = {
    "dwell_minutes_min": 10,
    "dwell_minutes_max": 15,
    "revisit_every_minutes": 120,
    "randomise_order": True,
    "guidance": (
        "Koper (1995): visit each zone for 10-15 minutes, about every 2 hours, in a random "
        "order; longer stops add little, shorter ones deter less."
    ),
}


@dataclass
class Zone:
    rank: int
    cells: list[str]
    forecast_count: float


@dataclass
class Forecast:
    forecast_id: str
    model: ModelSpec
    served_because: str
    budget_pct: float
    valid_from: date
    valid_to: date
    data_cutoff: str
    training_months: list[str]
    crime_types: list[str]
    resolution: int
    zones: list[Zone]
    selected: list[str]
    pai_backtest: float | None
    baseline_pai_backtest: float | None
    pei_backtest: float | None
    cells_in_area: int
    bbox: tuple[float, float, float, float]


def horizon(history: History) -> tuple[str, date, date]:
    last = history.first_month + history.counts.shape[0] - 1
    nxt = month_name(last + 1)
    year, mon = (int(x) for x in nxt.split("-"))
    return month_name(last), date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


def make_forecast(
    history: History,
    evaluation: Evaluation,
    *,
    budget_pct: float,
    crime_types: list[str],
    wanted: ModelSpec | None = None,
    salt: str = "",
) -> Forecast:
    model, because = evaluation.served(budget_pct, wanted)
    t_count = history.counts.shape[0]
    scores = score(model, history, t_count)
    grid = history.grid
    chosen = select(scores, cells_for_budget(grid.size, budget_pct))
    selected = [grid.cells[i] for i in chosen]
    zones = _zones(selected, {grid.cells[i]: float(scores[i]) for i in chosen})
    cutoff, valid_from, valid_to = horizon(history)
    served = evaluation.result(model, budget_pct)
    base = evaluation.result(BASELINE_MODEL, budget_pct)
    digest = hashlib.sha256(
        json.dumps([salt, model.label, budget_pct, cutoff, selected]).encode()
    ).hexdigest()[:16]
    return Forecast(
        forecast_id=f"fc-{digest}",
        model=model,
        served_because=because,
        budget_pct=budget_pct,
        valid_from=valid_from,
        valid_to=valid_to,
        data_cutoff=cutoff,
        training_months=history.months,
        crime_types=crime_types,
        resolution=grid.resolution,
        zones=zones,
        selected=selected,
        pai_backtest=served.pai.mean if served else None,
        baseline_pai_backtest=base.pai.mean if base else None,
        pei_backtest=served.pei.mean if served else None,
        cells_in_area=grid.size,
        bbox=grid.bbox,
    )


def _zones(selected: list[str], expected: dict[str, float]) -> list[Zone]:
    left, groups = set(selected), []
    for cell in selected:  # in rank order, so a zone starts at its best cell
        if cell not in left:
            continue
        group, todo = [], [cell]
        left.discard(cell)
        while todo:
            here = todo.pop()
            group.append(here)
            for near in h3.grid_disk(here, 1):
                if near in left:
                    left.discard(near)
                    todo.append(near)
        groups.append(sorted(group))
    sums = [sum(expected[c] for c in g) for g in groups]
    order = sorted(range(len(groups)), key=lambda i: (-sums[i], groups[i][0]))
    return [Zone(rank + 1, groups[i], sums[i]) for rank, i in enumerate(order)]


def shown_count(value: float, min_cell_size: int) -> int | None:
    """A forecast count as shown: rounded to a whole number, null under the minimum."""
    rounded = int(round(value))
    return None if rounded < min_cell_size else rounded


def zone_geometry(cells: list[str]) -> dict[str, Any]:
    """The zone's outline: a Polygon (or MultiPolygon), [lon, lat], rings closed."""
    geo = h3.cells_to_geo(cells)
    return {"type": geo["type"], "coordinates": _closed(geo["coordinates"], geo["type"])}


def _closed(coordinates: Any, kind: str) -> Any:
    def ring(points):
        pts = [[round(float(x), 7), round(float(y), 7)] for x, y in points]
        if pts[0] != pts[-1]:
            pts.append(list(pts[0]))
        return pts

    if kind == "Polygon":
        return [ring(r) for r in coordinates]
    return [[ring(r) for r in poly] for poly in coordinates]


def zone_properties(forecast: Forecast, zone: Zone, min_cell_size: int) -> dict[str, Any]:
    count = shown_count(zone.forecast_count, min_cell_size)
    return {
        "rank": zone.rank,
        "h3_cells": zone.cells,
        "h3_resolution": forecast.resolution,
        "forecast_count": count,
        "suppressed": count is None,
        "valid_from": forecast.valid_from.isoformat(),
        "valid_to": forecast.valid_to.isoformat(),
        "forecast_id": forecast.forecast_id,
        "model": forecast.model.name,
        "model_params": dict(forecast.model.params),
        "model_version": MODEL_VERSION,
        "data_cutoff": forecast.data_cutoff,
        "training_months": forecast.training_months,
        "crime_types": forecast.crime_types,
        "pai_backtest": _round(forecast.pai_backtest),
        "baseline_pai_backtest": _round(forecast.baseline_pai_backtest),
        "patrol": PATROL,
        "disclaimer": DISCLAIMER,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def feature_collection(
    forecast: Forecast, *, min_cell_size: int, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """RFC 7946 FeatureCollection of the zones; `forecast` (a foreign member) says the rest."""
    features = [
        {
            "type": "Feature",
            "id": f"{forecast.forecast_id}-{zone.rank}",
            "geometry": zone_geometry(zone.cells),
            "properties": zone_properties(forecast, zone, min_cell_size),
        }
        for zone in forecast.zones
    ]
    body: dict[str, Any] = {"type": "FeatureCollection"}
    if features:  # RFC 7946 5: the bbox holds every geometry
        points = [point for f in features for ring in _rings(f["geometry"]) for point in ring]
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        body["bbox"] = [min(lons), min(lats), max(lons), max(lats)]
    body["features"] = features
    body["forecast"] = {**summary(forecast), **(extra or {})}
    return body


def _rings(geometry: dict[str, Any]) -> list:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    return [ring for polygon in geometry["coordinates"] for ring in polygon]


def summary(forecast: Forecast) -> dict[str, Any]:
    return {
        "forecast_id": forecast.forecast_id,
        "model": forecast.model.label,
        "model_version": MODEL_VERSION,
        "served_because": forecast.served_because,
        "budget_pct": forecast.budget_pct,
        "valid_from": forecast.valid_from.isoformat(),
        "valid_to": forecast.valid_to.isoformat(),
        "data_cutoff": forecast.data_cutoff,
        "training_months": forecast.training_months,
        "crime_types": forecast.crime_types,
        "unit": f"h3:{forecast.resolution}",
        "cells_in_area": forecast.cells_in_area,
        "study_area_bbox": [round(v, 7) for v in forecast.bbox],
        "cells_selected": len(forecast.selected),
        "pai_backtest": _round(forecast.pai_backtest),
        "baseline_pai_backtest": _round(forecast.baseline_pai_backtest),
        "pei_backtest": _round(forecast.pei_backtest),
        "patrol": PATROL,
        "disclaimer": DISCLAIMER,
    }


# ---- the disparity report --------------------------------------------------------------


def disparity(
    forecast: Forecast,
    events: list[Event],
    *,
    resolution: int,
    min_cell_size: int,
    previous: list[str] | None = None,
) -> dict[str, Any]:
    """Per area: the zones' share of patrol attention (selected cells) beside the area's share
    of victim-reported crime over the training months. A ratio over 1 is more attention than
    victim-reported crime alone would give. Areas with fewer victim-reported crimes than the
    minimum cell size are pooled into `other areas`, so that no share gives a small count
    away. `repeated_share`: the share of this month's cells that the same model also chose
    last month (a feedback-loop indicator)."""
    victim = [e for e in events if e.crime_type in VICTIM_REPORTED]
    area_of_cell: dict[str, Counter] = {}
    crimes: Counter = Counter()
    for e in victim:
        crimes[e.area or "unknown"] += 1
    for e in events:
        cell = h3.latlng_to_cell(e.latitude, e.longitude, resolution)
        area_of_cell.setdefault(cell, Counter())[e.area or "unknown"] += 1
    attention: Counter = Counter()
    for cell in forecast.selected:
        votes = area_of_cell.get(cell)
        attention[votes.most_common(1)[0][0] if votes else "unknown"] += 1
    total_crime = sum(crimes.values()) or 1
    total_cells = len(forecast.selected) or 1
    rows, pooled_crime, pooled_cells = [], 0, 0
    for area in sorted(set(crimes) | set(attention)):
        if crimes[area] < min_cell_size:
            pooled_crime += crimes[area]
            pooled_cells += attention[area]
            continue
        rows.append(_row(area, attention[area], crimes[area], total_cells, total_crime))
    if pooled_crime or pooled_cells:
        rows.append(_row("other areas", pooled_cells, pooled_crime, total_cells, total_crime))
    rows.sort(key=lambda r: (-(r["ratio"] or 0), r["area"]))
    repeated = None
    if previous is not None and forecast.selected:
        repeated = round(len(set(previous) & set(forecast.selected)) / len(forecast.selected), 3)
    over = [r["area"] for r in rows if r["ratio"] is not None and r["ratio"] >= 2]
    return {
        "method": (
            "Share of the zones' cells in each area (each cell belongs to the area where most "
            "of its recorded events were) beside the area's share of victim-reported crime in "
            "the training months. Ratio = attention share / crime share."
        ),
        "areas": rows,
        "over_attended": over,
        "repeated_share": repeated,
    }


def _row(area: str, cells: int, crimes: int, total_cells: int, total_crime: int) -> dict:
    attention = cells / total_cells
    crime = crimes / total_crime
    return {
        "area": area,
        "attention_share": round(attention, 3),
        "victim_crime_share": round(crime, 3),
        "ratio": round(attention / crime, 2) if crime > 0 else None,
    }


def oracle_pai(history: History, t: int, budget_pct: float) -> float | None:
    """The best PAI any selection of that size could have had on month row t."""
    actual = history.counts[t]
    if actual.sum() == 0:
        return None
    k = cells_for_budget(history.grid.size, budget_pct)
    best = float(np.sort(actual)[::-1][:k].sum())
    return (best / float(actual.sum())) / (k / history.grid.size)
