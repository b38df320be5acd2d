"""The `forecast.run` and `forecast.export` use cases, and the published figures.

A forecast view reads its one place-level source (published uploads within retention),
back-tests its models by rolling origin, serves the accepted model (or the baseline, saying
so), draws patrol zones, and reports the disparity beside it. Each run and each GeoJSON export
is one audit event (the request's), with the purpose, justification, model served, budget and
a hash of the answer: never a location or a count.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from hub import audit, clock, db
from hub.agreements import Agreement, Policies
from hub.auth import Identity
from hub.errors import InvalidRequest, NotFound
from hub.store import dataset_tables
from hub.views.compile import _base
from hub.views.forecast.method import (
    VICTIM_REPORTED,
    Evaluation,
    Event,
    History,
    ModelSpec,
    backtest,
    cells_for_budget,
    make_grid,
    make_history,
    score,
)
from hub.views.forecast.method import (
    select as select_cells,
)
from hub.views.forecast.report import evaluate_events
from hub.views.forecast.zones import (
    DISCLAIMER,
    PATROL,
    Forecast,
    disparity,
    feature_collection,
    make_forecast,
    shown_count,
    summary,
)
from hub.views.query import QueryRequest, authorise, check_purpose
from hub.views.spec import ViewSpec

METHOD = (
    "Cells are H3 hexagons; the study area is every cell in the bounding box of the located "
    "events. Each model scores every cell with the crimes expected next month: last_n_months "
    "(the mean of the last n months), ewma (an exponentially weighted mean) and kde (a Gaussian "
    "kernel density at the cell centres, bandwidth by likelihood cross-validation). The top "
    "cells within the area budget are chosen. Rolling-origin back-test: for each of the last "
    "12 months with at least 3 months before it, train on the months before and score the "
    "month: hit rate, PAI = (n/N)/(a/A), PEI* = n / the most any selection of that size held, "
    "RRI = hit rate / the forecast's own share. A model is served only if it beats "
    "last_n_months(n=3) with a bootstrap 95% interval of the mean PAI gain above zero; "
    "otherwise the baseline is served. Police-initiated crime types are left out unless the "
    "agreement's DPIA lists them. No person is ever forecast."
)


@dataclass
class ForecastAnswer:
    view: ViewSpec
    forecast: Forecast
    evaluation: Evaluation
    disparity: dict[str, Any]
    min_cell_size: int

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for zone in self.forecast.zones:
            count = shown_count(zone.forecast_count, self.min_cell_size)
            out.append(
                {
                    "rank": zone.rank,
                    "forecast_count": count,
                    "suppressed": count is None,
                    "h3_cells": zone.cells,
                }
            )
        return out

    def meta(self) -> dict[str, Any]:
        return {
            **summary(self.forecast),
            "min_cell_size": self.min_cell_size,
            "evaluation": self.evaluation.as_dict(),
            "disparity": self.disparity,
        }

    def geojson(self) -> dict[str, Any]:
        return feature_collection(
            self.forecast,
            min_cell_size=self.min_cell_size,
            extra={"min_cell_size": self.min_cell_size, "disparity": self.disparity},
        )


def crime_types_of(view: ViewSpec) -> list[str]:
    f = view.forecast
    assert f is not None
    return list(f.crime_types) if f.crime_types is not None else list(VICTIM_REPORTED)


def models_of(view: ViewSpec) -> list[ModelSpec]:
    f = view.forecast
    assert f is not None
    out = []
    for m in f.models:
        key = {"last_n_months": "n", "ewma": "halflife", "kde": "bandwidth"}[m.model]
        out.append(ModelSpec.of(m.model, **{key: getattr(m, key)}))
    return out


def load_events(view: ViewSpec, policies: Policies, *, today: date) -> list[Event]:
    """Every located row of the view's source (all crime types: the disparity report needs
    the victim-reported ones whatever the forecast reads)."""
    f = view.forecast
    assert f is not None
    agreement = policies.agreements[view.agreement]
    source = view.sources[0]
    table = dataset_tables().get(agreement, policies.contracts[source.dataset])[1]
    base = _base(source, table, today, clock.now()).subquery("s")
    fields = f.fields
    columns = [
        func.substr(base.c[fields.month], 1, 7).label("month"),
        base.c[fields.latitude].label("lat"),
        base.c[fields.longitude].label("lon"),
    ]
    if fields.crime_type:
        columns.append(base.c[fields.crime_type].label("kind"))
    if fields.area:
        columns.append(base.c[fields.area].label("area"))
    statement = select(*columns).where(
        base.c[fields.latitude].is_not(None),
        base.c[fields.longitude].is_not(None),
        base.c[fields.month].is_not(None),
    )
    with db.get_engine().connect() as connection:
        rows = connection.execute(statement).mappings().all()
    return [
        Event(
            str(r["month"]),
            float(r["lat"]),
            float(r["lon"]),
            str(r.get("kind") or ""),
            str(r.get("area") or ""),
        )
        for r in rows
    ]


_CACHE: dict[str, tuple[str, Any]] = {}
_CACHE_LOCK = threading.Lock()


def evaluate_view(
    view: ViewSpec, policies: Policies, *, today: date
) -> tuple[History, Evaluation, list[Event]]:
    """The view's history and back-test, computed once per version of its data."""
    events = load_events(view, policies, today=today)
    types = crime_types_of(view)
    typed = (
        [e for e in events if e.crime_type in types] if view.forecast.fields.crime_type else events
    )
    if not typed:
        raise NotFound(
            f"View `{view.id}` has no located events yet: upload the source "
            f"`{view.sources[0].dataset}` first."
        )
    key = hashlib.sha256(
        json.dumps([view.model_dump(mode="json"), len(events), _fingerprint(typed)]).encode()
    ).hexdigest()
    with _CACHE_LOCK:
        hit = _CACHE.get(view.id)
    if hit and hit[0] == key:
        history, evaluation = hit[1]
        return history, evaluation, events
    resolution = int(view.forecast.unit.split(":")[1])
    try:
        history = make_history(typed, make_grid(typed, resolution))
    except ValueError as exc:  # a study area too large to grid
        raise InvalidRequest(f"View `{view.id}`: {exc}.") from None
    evaluation = backtest(
        history, models_of(view), [float(b) for b in view.forecast.area_budget_pct]
    )
    with _CACHE_LOCK:
        _CACHE[view.id] = (key, (history, evaluation))
    return history, evaluation, events


def _fingerprint(events: list[Event]) -> str:
    digest = hashlib.sha256()
    for e in sorted(events, key=lambda e: (e.month, e.latitude, e.longitude, e.crime_type)):
        digest.update(f"{e.month},{e.latitude},{e.longitude},{e.crime_type}\n".encode())
    return digest.hexdigest()


def _budget(view: ViewSpec, wanted: float | None) -> float:
    budgets = [float(b) for b in view.forecast.area_budget_pct]
    if wanted is None:
        return max(budgets)
    if float(wanted) not in budgets:
        raise InvalidRequest(
            f"View `{view.id}` forecasts for {', '.join(f'{b:g}' for b in budgets)}% of the "
            "area: pass one of them as `budget_pct`."
        )
    return float(wanted)


def _model(view: ViewSpec, wanted: str | None) -> ModelSpec | None:
    if wanted is None:
        return None
    for m in models_of(view):
        if wanted in (m.label, m.name):
            return m
    offer = ", ".join(m.label for m in models_of(view))
    raise InvalidRequest(f"View `{view.id}` has no model `{wanted[:60]}`: use one of {offer}.")


def answer_for(
    view: ViewSpec,
    agreement: Agreement,
    history: History,
    evaluation: Evaluation,
    events: list[Event],
    *,
    budget_pct: float,
    model: ModelSpec | None = None,
) -> ForecastAnswer:
    forecast = make_forecast(
        history,
        evaluation,
        budget_pct=budget_pct,
        crime_types=crime_types_of(view),
        wanted=model,
        salt=view.id,
    )
    previous = None
    if history.counts.shape[0] >= 2:  # what the same model chose a month earlier
        scores = score(forecast.model, history, history.counts.shape[0] - 1)
        chosen = select_cells(scores, cells_for_budget(history.grid.size, budget_pct))
        previous = [history.grid.cells[i] for i in chosen]
    report = disparity(
        forecast,
        events,
        resolution=history.grid.resolution,
        min_cell_size=agreement.min_cell_size,
        previous=previous,
    )
    return ForecastAnswer(view, forecast, evaluation, report, agreement.min_cell_size)


def run_forecast(
    *,
    identity: Identity,
    view: ViewSpec,
    request: QueryRequest,
    policies: Policies,
    export: bool = False,
    today: date | None = None,
) -> ForecastAnswer:
    """`forecast.run` (JSON) or `forecast.export` (GeoJSON zones): decide, check the purpose
    and justification, back-test, forecast, and note it all for the audit event."""
    today = today or clock.today()
    action = "forecast.export" if export else "forecast.run"
    audit.note(
        action=action,
        details={
            "view": view.id,
            "purpose": request.purpose,
            "justification": request.justification,
            "case_reference": request.case_reference,
            "budget_pct": request.budget_pct,
            "model_wanted": request.model,
        },
    )
    authorise(identity=identity, view=view, policies=policies, today=today, action=action)
    agreement = policies.agreements[view.agreement]
    check_purpose(view, agreement, request)
    budget = _budget(view, request.budget_pct)
    wanted = _model(view, request.model)
    history, evaluation, events = evaluate_view(view, policies, today=today)
    answer = answer_for(
        view, agreement, history, evaluation, events, budget_pct=budget, model=wanted
    )
    body = answer.geojson() if export else {"rows": answer.rows(), "forecast": answer.meta()}
    audit.note(
        details={
            "forecast_id": answer.forecast.forecast_id,
            "model_served": answer.forecast.model.label,
            "served_because": answer.forecast.served_because,
            "budget_pct": budget,
            "zones": len(answer.forecast.zones),
            "result_sha256": hashlib.sha256(
                json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()
            ).hexdigest(),
        }
    )
    return answer


def published(view: ViewSpec, policies: Policies, *, today: date | None = None) -> dict[str, Any]:
    """What the transparency page shows of a forecast view: the method, the crime types, the
    back-test figures at each budget and the disparity report (no counts, no places)."""
    today = today or clock.today()
    f = view.forecast
    out: dict[str, Any] = {
        "id": view.id,
        "title": view.title,
        "agreement": view.agreement,
        "purpose": view.purpose,
        "unit": f.unit,
        "crime_types": crime_types_of(view),
        "models": [m.label for m in models_of(view)],
        "area_budget_pct": list(f.area_budget_pct),
        "method": METHOD,
        "patrol": PATROL,
        "disclaimer": DISCLAIMER,
        "evaluation": None,
        "served": {},
        "disparity": None,
    }
    try:
        history, evaluation, events = evaluate_view(view, policies, today=today)
    except NotFound:
        return out
    agreement = policies.agreements[view.agreement]
    out["evaluation"] = evaluation.as_dict()
    for b in f.area_budget_pct:
        model, because = evaluation.served(float(b))
        out["served"][f"{b:g}"] = {"model": model.label, "because": because}
    answer = answer_for(
        view, agreement, history, evaluation, events, budget_pct=float(max(f.area_budget_pct))
    )
    out["disparity"] = answer.disparity
    out["data_cutoff"] = answer.forecast.data_cutoff
    return out


EVALUATE_ACTION = "forecast.evaluate"
EVALUATE_ACTOR = {"client": "hub-forecast-evaluate", "partner": None, "roles": []}


def evaluate_stored(
    view: ViewSpec,
    policies: Policies,
    *,
    months: tuple[str | None, str | None] = (None, None),
    today: date | None = None,
) -> tuple[History, Evaluation]:
    """`hub forecast evaluate --view V`: the back-test on the stored data, by the operator at
    the hub's console, with its audit event (which months, which models, which served)."""
    today = today or clock.today()
    events = load_events(view, policies, today=today)
    types = crime_types_of(view) if view.forecast.fields.crime_type else None
    resolution = int(view.forecast.unit.split(":")[1])
    budgets = [float(b) for b in view.forecast.area_budget_pct]
    details: dict[str, Any] = {"view": view.id, "from": months[0], "to": months[1]}
    try:
        history, evaluation = evaluate_events(
            events,
            resolution=resolution,
            models=models_of(view),
            budgets=budgets,
            crime_types=types,
            months=months,
        )
    except ValueError as exc:
        _evaluated(view, "failed", str(exc), details)
        raise InvalidRequest(f"View `{view.id}`: {exc}.") from None
    served = {f"{b:g}": evaluation.served(b)[0].label for b in budgets}
    _evaluated(view, "allowed", "", {**details, "origins": evaluation.origins, "served": served})
    return history, evaluation


def _evaluated(view: ViewSpec, outcome: str, reason: str, details: dict[str, Any]) -> None:
    audit.append(
        None,
        audit.NewEvent(
            action=EVALUATE_ACTION,
            resource=f"view:{view.id}",
            outcome=outcome,
            reason=reason,
            actor=EVALUATE_ACTOR,
            details=details,
        ),
    )
