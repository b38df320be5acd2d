"""Hot-spot forecasts: the pure method (method.py: cells, models, metrics, back-tests), zones
and the disparity report (zones.py), raw data.police.uk files (police_uk.py); run.py is the
use case that reads a view's source from the database and is imported as
hub.views.forecast.run.
"""

from hub.views.forecast.method import (
    BASELINE_MODEL,
    VICTIM_REPORTED,
    Evaluation,
    Event,
    History,
    ModelSpec,
    backtest,
    make_grid,
    make_history,
    metrics,
)
from hub.views.forecast.police_uk import read_police_uk
from hub.views.forecast.zones import (
    DISCLAIMER,
    PATROL,
    disparity,
    feature_collection,
    make_forecast,
)

__all__ = [
    "BASELINE_MODEL",
    "DISCLAIMER",
    "PATROL",
    "VICTIM_REPORTED",
    "Evaluation",
    "Event",
    "History",
    "ModelSpec",
    "backtest",
    "disparity",
    "feature_collection",
    "make_forecast",
    "make_grid",
    "make_history",
    "metrics",
    "read_police_uk",
]
