"""Hot-spot forecast accuracy: each model's back-test PAI and PEI* at 5% of the area beside the
baseline's (last_n_months(n=3)), one JSON line per dataset.

  demo-county   the demo's twelve months of Northshire street crime (hub.synthetic, the feed
                the demo uploads), victim-reported types, H3 res 10: a rolling-origin
                back-test over the months with three or more before them.
  city-of-london-2026-02
                the one real data.police.uk month shipped with the tests (City of London
                LSOAs only, victim-reported, H3 res 10). One month allows no back-test, so it
                is a sanity check against its oracle ceiling: each model fitted on the month
                and scored on the same month (in-sample) must not exceed the oracle's PAI,
                and last_n_months(n=1) in-sample IS the oracle (PEI* 1).

Figures, not assertions: nothing here fails on a number. Offline: no database, no server.

    .venv/bin/python bench/forecast.py [--police-uk DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hub.synthetic import make_feeds, make_population  # noqa: E402
from hub.synthetic.feeds import write_csv  # noqa: E402
from hub.views.forecast import VICTIM_REPORTED, read_police_uk  # noqa: E402
from hub.views.forecast.method import (  # noqa: E402
    BASELINE_MODEL,
    cells_for_budget,
    metrics,
    score,
    select,
)
from hub.views.forecast.report import DEFAULT_MODELS, evaluate_events  # noqa: E402

BUDGET = 5.0
REAL = ROOT / "tests" / "data" / "police-uk"


def _r(value):
    return None if value is None else round(value, 3)


def demo_county() -> dict:
    feed = make_feeds(make_population())[("northshire-police", "police-street-crime")]
    with tempfile.TemporaryDirectory() as folder:
        write_csv(Path(folder) / "street.csv", feed)
        events = read_police_uk(folder)
    started = time.perf_counter()
    history, evaluation = evaluate_events(events, crime_types=VICTIM_REPORTED, budgets=[BUDGET])
    seconds = time.perf_counter() - started
    served, because = evaluation.served(BUDGET)
    models = {}
    for model in DEFAULT_MODELS:
        r = evaluation.result(model, BUDGET)
        models[model.label] = {
            "pai": _r(r.pai.mean),
            "pai_p10": _r(r.pai.p10),
            "pai_p90": _r(r.pai.p90),
            "pei": _r(r.pei.mean),
            "accepted": r.accepted,
        }
    base = evaluation.result(BASELINE_MODEL, BUDGET)
    return {
        "dataset": "demo-county",
        "months": len(history.months),
        "origins": len(evaluation.origins),
        "cells_in_area": history.grid.size,
        "budget_pct": BUDGET,
        "baseline": BASELINE_MODEL.label,
        "baseline_pai": _r(base.pai.mean),
        "baseline_pei": _r(base.pei.mean),
        "models": models,
        "oracle_pai": _r(evaluation.oracle_pai[BUDGET].mean),
        "served": served.label,
        "served_because": because,
        "seconds": round(seconds, 2),
    }


def real_month(folder: Path) -> dict:
    events = read_police_uk(
        folder, crime_types=list(VICTIM_REPORTED), lsoa_name_prefix="City of London"
    )
    history, evaluation = evaluate_events(events, budgets=[BUDGET])
    actual = history.counts[0]
    k = cells_for_budget(history.grid.size, BUDGET)
    oracle = metrics(select(actual.astype(float), k), actual)
    models = {}
    for model in DEFAULT_MODELS:  # in-sample: fitted on the month, scored on it
        scores = score(model, history, 1)
        m = metrics(select(scores, k), actual, scores)
        models[model.label] = {"pai_in_sample": _r(m.pai), "pei_in_sample": _r(m.pei)}
    base = models[BASELINE_MODEL.label]
    return {
        "dataset": "city-of-london-2026-02",
        "months": len(history.months),
        "origins": 0,
        "events": int(actual.sum()),
        "cells_in_area": history.grid.size,
        "budget_pct": BUDGET,
        "baseline": BASELINE_MODEL.label,
        "baseline_pai": base["pai_in_sample"],
        "baseline_pei": base["pei_in_sample"],
        "models": models,
        "oracle_pai": _r(oracle.pai),
        "within_ceiling": all(m["pai_in_sample"] <= oracle.pai + 1e-9 for m in models.values()),
        "note": "one month: no back-test; in-sample figures against the oracle ceiling",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--police-uk", type=Path, default=REAL, help="folder of street CSVs")
    args = parser.parse_args()
    print(json.dumps(demo_county()), flush=True)
    print(json.dumps(real_month(args.police_uk)), flush=True)


if __name__ == "__main__":
    main()
