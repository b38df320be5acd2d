"""A forecast view over HTTP on street crime published through the real pipeline: patrol zones
as valid RFC 7946 GeoJSON, no suppressed count anywhere, the purpose rule, and an audit event
for every run and export."""

from __future__ import annotations

import json

import geojson

from tests.helpers import bearer, token_for

from .ingest_support import events
from .views_support import CRIME_AGREEMENT, publish_population

FORECAST = "/api/v1/views/street-crime-forecast"
MIN_CELL = 5  # crime-asb-hotspots' min_cell_size
GEO = {"Accept": "application/geo+json"}


def ask(**kw):
    return {"purpose": "patrol-planning", "justification": "Weekly tasking meeting.", **kw}


def analyst(client, app, partner="northshire-police"):
    return bearer(token_for(client, app, partner=partner, roles=["analyst"]))


def _rings(geometry):
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    return [ring for polygon in geometry["coordinates"] for ring in polygon]


def _counts(value, path=""):
    """Every (path, number) under a key naming a count, anywhere in an answer."""
    if isinstance(value, dict):
        for k, v in value.items():
            if "count" in k and (isinstance(v, int | float) and not isinstance(v, bool)):
                yield f"{path}.{k}", v
            yield from _counts(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _counts(v, f"{path}[{i}]")


def test_patrol_zones_are_valid_geojson_inside_the_study_area(app, client):
    publish_population(app, size=2000, agreements=(CRIME_AGREEMENT,))
    headers = {**analyst(client, app), **GEO}
    answer = client.post(f"{FORECAST}/query", json=ask(budget_pct=2), headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    assert answer.mimetype == "application/geo+json"
    body = answer.get_json()
    parsed = geojson.loads(answer.get_data(as_text=True))
    assert parsed.is_valid, parsed.errors()
    assert body["type"] == "FeatureCollection" and "crs" not in body
    min_lon, min_lat, max_lon, max_lat = body["forecast"]["study_area_bbox"]
    # Northshire sits at about 54.45 N, 0.90 E: longitude first, or these fail.
    assert 0.5 < min_lon < max_lon < 1.3 and 54.0 < min_lat < max_lat < 55.0
    pad = 0.002  # a cell reaches past the centre that put it in the study area
    features = body["features"]
    assert features
    west, south, east, north = body["bbox"]  # RFC 7946: it holds every geometry
    assert all(
        west <= lon <= east and south <= lat <= north
        for f in features
        for ring in _rings(f["geometry"])
        for lon, lat in ring
    )
    assert [f["properties"]["rank"] for f in features] == list(range(1, len(features) + 1))
    for feature in features:
        for ring in _rings(feature["geometry"]):
            assert ring[0] == ring[-1] and len(ring) >= 4  # closed
            for lon, lat in ring:
                assert min_lon - pad <= lon <= max_lon + pad
                assert min_lat - pad <= lat <= max_lat + pad
        p = feature["properties"]
        assert p["patrol"]["dwell_minutes_min"] == 10 and p["patrol"]["dwell_minutes_max"] == 15
        assert p["patrol"]["revisit_every_minutes"] == 120 and p["patrol"]["randomise_order"]
        assert "not a prediction of offenders" in p["disclaimer"]
        assert p["valid_from"].endswith("-01") and p["valid_to"] > p["valid_from"]
        assert p["pai_backtest"] is not None and p["baseline_pai_backtest"] is not None
        assert p["model"] in ("last_n_months", "ewma", "kde")
    assert all(v >= MIN_CELL for _, v in _counts(body))
    meta = body["forecast"]
    assert meta["budget_pct"] == 2 and meta["served_because"]
    assert meta["disparity"]["areas"]
    (export,) = events(app, "forecast.export")
    assert export.outcome == "allowed" and export.details["forecast_id"] == meta["forecast_id"]
    assert export.details["purpose"] == "patrol-planning"


def test_no_count_under_the_minimum_cell_size_is_shown(app, client):
    publish_population(app, size=1000, agreements=(CRIME_AGREEMENT,))  # a small town
    headers = analyst(client, app, "northshire-council")
    answer = client.post(f"{FORECAST}/query", json=ask(), headers=headers)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    rows = body["rows"]
    assert rows and any(r["suppressed"] for r in rows)  # small counts to hide
    for row in rows:
        assert (row["forecast_count"] is None) == row["suppressed"]
    zones = client.post(f"{FORECAST}/query", json=ask(), headers={**headers, **GEO}).get_json()
    for answer_body in (body, zones):
        shown = list(_counts(answer_body))
        assert all(v >= MIN_CELL for _, v in shown), shown
    for feature in zones["features"]:
        p = feature["properties"]
        assert (p["forecast_count"] is None) == p["suppressed"]
    # The audit events say what was served, never a count or a place.
    for event in [*events(app, "forecast.run"), *events(app, "forecast.export")]:
        text = json.dumps(event.details)
        assert "h3_cells" not in text and not list(_counts(event.details))


def test_a_forecast_is_run_only_for_the_agreements_purpose(app, client):
    publish_population(app, size=1000, agreements=(CRIME_AGREEMENT,))
    headers = analyst(client, app)
    wrong = client.post(
        f"{FORECAST}/query", json=ask(purpose="safeguarding-early-help"), headers=headers
    )
    assert wrong.status_code == 403 and wrong.get_json()["code"] == "wrong_purpose"
    unsaid = client.post(f"{FORECAST}/query", json=ask(justification=" "), headers=headers)
    assert unsaid.status_code == 403
    other = bearer(token_for(client, app, partner="westshire-council", roles=["analyst"]))
    outside = client.post(f"{FORECAST}/query", json=ask(), headers=other)
    assert outside.status_code == 403
    denied = [e for e in events(app, "forecast.run") if e.outcome == "denied"]
    assert len(denied) == 3
    ran = client.post(f"{FORECAST}/query", json=ask(model="kde(bandwidth=cv)"), headers=headers)
    assert ran.status_code == 200
    meta = ran.get_json()["forecast"]
    served = meta["model"]
    if served != "kde(bandwidth=cv)":  # not accepted: the baseline, and the answer says so
        assert served == "last_n_months(n=3)" and "baseline is served" in meta["served_because"]
    assert events(app, "forecast.run")[-1].outcome == "allowed"
    bad = client.post(f"{FORECAST}/query", json=ask(budget_pct=3), headers=headers)
    assert bad.status_code == 400


def test_the_method_accuracy_and_disparity_are_published_on_the_transparency_page(app, client):
    publish_population(app, size=1000, agreements=(CRIME_AGREEMENT,))
    page = client.get("/transparency")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    section = html[html.index('id="forecast-street-crime-forecast"') :]
    section = section[: section.index("</section>")]
    assert "kernel density" in section and "bootstrap" in section  # the method
    types = section[section.index('class="crime-types">') :].split("</dd>")[0]
    assert "Burglary" in types and "Drugs" not in types  # victim-reported only
    assert 'data-model="last_n_months(n=3)"' in section and "PEI*" in section
    assert 'class="disparity"' in section and "Share of patrol attention" in section
    assert "not a prediction of offenders" in section

    # The operator's back-test of the stored source, with its audit event.
    from hub.cli.forecast import cli

    result = app.test_cli_runner().invoke(cli, ["evaluate", "--view", "street-crime-forecast"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("months ") and "last_n_months(n=3)" in result.output
    (evaluated,) = events(app, "forecast.evaluate")
    assert evaluated.outcome == "allowed" and evaluated.details["view"] == "street-crime-forecast"
    assert set(evaluated.details["served"]) == {"1", "2", "5"}
