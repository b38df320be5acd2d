"""GET /api/v1/reference/lsoas (the map's LSOA points), the file it reads and the converter
from the ONS centroids."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from hub import db
from hub.app import create_app
from hub.db.models import AuditEvent
from hub.errors import ConfigurationError
from hub.reference import load_lsoa_reference
from hub.reference.__main__ import main as reference_main
from hub.settings import PROJECT_ROOT
from hub.synthetic.geography import LSOAS
from tests.conftest import make_settings


def _last_event(app) -> AuditEvent:
    with app.app_context(), db.read_only() as session:
        return session.execute(
            select(AuditEvent).order_by(AuditEvent.index.desc()).limit(1)
        ).scalar_one()


def test_every_northshire_lsoa_has_a_point_and_anyone_may_read_them(client, app):
    answer = client.get("/api/v1/reference/lsoas")
    assert answer.status_code == 200
    body = answer.get_json()
    assert {item["code"] for item in body["items"]} == {lsoa.code for lsoa in LSOAS}
    first = next(item for item in body["items"] if item["code"] == LSOAS[0].code)
    assert first == {
        "code": LSOAS[0].code,
        "name": LSOAS[0].name,
        "latitude": LSOAS[0].latitude,
        "longitude": LSOAS[0].longitude,
    }
    assert "synthetic" in body["attribution"]
    event = _last_event(app)
    assert (event.action, event.resource, event.outcome) == (
        "reference.read",
        "reference:lsoas",
        "allowed",
    )


def test_only_the_codes_asked_for_and_unknown_codes_left_out(client):
    codes = [LSOAS[3].code, LSOAS[0].code, "E01000001"]
    answer = client.get("/api/v1/reference/lsoas", query_string={"codes": ",".join(codes)})
    assert answer.status_code == 200
    assert [item["code"] for item in answer.get_json()["items"]] == codes[:2]


def test_a_malformed_code_list_is_a_problem(client):
    answer = client.get("/api/v1/reference/lsoas", query_string={"codes": "E01999001,nope"})
    assert answer.status_code == 400
    assert answer.headers["Content-Type"] == "application/problem+json"


def test_the_shipped_file_is_synthetic_northshire():
    shipped = load_lsoa_reference(PROJECT_ROOT / "reference")
    assert [(p.code, p.name, p.latitude, p.longitude) for p in shipped.points.values()] == [
        (x.code, x.name, x.latitude, x.longitude) for x in LSOAS
    ]


def test_the_demo_writes_the_shipped_file_again(tmp_path, capsys):
    from hub.demo.lsoas import main as lsoas_main

    assert lsoas_main(["--out", str(tmp_path)]) == 0
    assert "60 LSOA points written" in capsys.readouterr().out
    for name in ("lsoa-centroids.csv", "lsoa-centroids.attribution"):
        assert (tmp_path / name).read_bytes() == (PROJECT_ROOT / "reference" / name).read_bytes()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("code,name\nE01999001,A\n", ":1: the header lacks lsoa_code"),
        (
            "lsoa_code,lsoa_name,latitude,longitude\nE01999001,A,54.4,0.9\nE01999001,B,54.4,0.9\n",
            ":3: `E01999001` appears twice",
        ),
        (
            "lsoa_code,lsoa_name,latitude,longitude\nE01999001,A,452000,512000\n",
            ":2: latitude 452000.0 is outside the UK",
        ),
        ("lsoa_code,lsoa_name,latitude,longitude\nLSOA1,A,54.4,0.9\n", ":2: `LSOA1` is not"),
    ],
)
def test_a_bad_reference_file_stops_the_hub_naming_the_line(tmp_path, test_keys, content, problem):
    folder = tmp_path / "reference"
    folder.mkdir()
    (folder / "lsoa-centroids.csv").write_text(content)
    settings = make_settings(
        tmp_path, f"sqlite:///{tmp_path / 'hub.sqlite3'}", test_keys, reference_dir=folder
    )
    with pytest.raises(ConfigurationError) as raised:
        create_app(settings)
    assert f"lsoa-centroids.csv{problem}" in raised.value.detail


def test_the_ons_centroids_convert_from_geojson(tmp_path, capsys):
    source = tmp_path / "LSOA_PWC_2021.geojson"
    source.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"FID": 1, "LSOA21CD": "E01000001", "GlobalID": "x"},
                        "geometry": {"type": "Point", "coordinates": [-0.0974, 51.5182]},
                    }
                ],
            }
        )
    )
    names = tmp_path / "names.csv"
    names.write_text("LSOA21CD,LSOA21NM\nE01000001,City of London 001A\n")
    out = tmp_path / "reference"
    assert reference_main(["--from", str(source), "--names", str(names), "--out", str(out)]) == 0
    loaded = load_lsoa_reference(out)
    point = loaded.points["E01000001"]
    assert (point.name, point.latitude, point.longitude) == (
        "City of London 001A",
        51.5182,
        -0.0974,
    )
    assert "Office for National Statistics" in loaded.attribution
    assert "1 LSOA points written" in capsys.readouterr().out


def test_eastings_and_northings_are_refused_with_what_to_do(tmp_path, capsys):
    source = tmp_path / "LSOA_PWC_2021.csv"
    source.write_text("FID,LSOA21CD,GlobalID,x,y\n1,E01000001,x,532129,181625\n")
    assert reference_main(["--from", str(source), "--out", str(tmp_path / "out")]) == 1
    assert "download the GeoJSON instead" in capsys.readouterr().err


def test_swapped_coordinates_are_refused_and_nothing_is_replaced(tmp_path, capsys):
    source = tmp_path / "swapped.geojson"
    feature = {
        "type": "Feature",
        "properties": {"LSOA21CD": "E01000001"},
        "geometry": {"type": "Point", "coordinates": [51.5182, -0.0974]},  # [lat, lon]: wrong
    }
    source.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    out = tmp_path / "reference"
    assert reference_main(["--from", str(source), "--out", str(out)]) == 1
    assert "latitude -0.0974 is outside the UK" in capsys.readouterr().err
    assert not out.exists()
