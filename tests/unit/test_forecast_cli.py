"""`hub forecast evaluate --csv`: the back-test of raw data.police.uk monthly files, offline."""

from __future__ import annotations

import csv
import json

import h3
import numpy as np
from click.testing import CliRunner

from hub.cli.forecast import cli
from hub.settings import PROJECT_ROOT

REAL = PROJECT_ROOT / "tests" / "data" / "police-uk"
COLUMNS = (REAL / "2026-02-city-of-london-street.csv").read_text().splitlines()[0].split(",")


def test_the_real_month_has_no_back_test_but_its_oracle_ceiling():
    result = CliRunner().invoke(
        cli, ["evaluate", "--csv", str(REAL), "--lsoa-name", "City of London", "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["months"] == ["2026-02"] and body["origins"] == []
    assert body["cells_in_area"] == 318  # H3 res 10 over the City's victim-reported points
    assert 8.5 < body["oracle_pai"]["5"]["mean"] < 9.0  # the research measured 8.7
    assert all(not r["accepted"] for r in body["results"])


def test_a_folder_of_monthly_files_is_back_tested(tmp_path):
    rng = np.random.default_rng(1)
    cells = sorted(h3.grid_disk(h3.latlng_to_cell(51.515, -0.09, 10), 6))
    for month in range(1, 9):
        folder = tmp_path / f"2025-{month:02d}"
        folder.mkdir()
        with (folder / f"2025-{month:02d}-city-of-london-street.csv").open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(COLUMNS)
            for i, cell in enumerate(cells):
                lat, lon = h3.cell_to_latlng(cell)
                kind = "Drugs" if i % 7 == 0 else "Burglary"
                for _ in range(int(rng.poisson(6 if i == 3 else 0.4))):
                    writer.writerow(["", f"2025-{month:02d}", "x", "x", lon, lat, "On or near",
                                     "E01000001", "City of London 001A", kind, "", ""])  # fmt: skip
            writer.writerow(["", f"2025-{month:02d}", "x", "x", "", "", "No Location", "", "",
                             "Burglary", "", ""])  # fmt: skip
    result = CliRunner().invoke(cli, ["evaluate", "--csv", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("months 2025-01..2025-08 (8)") and "origins 5" in lines[0]
    baseline = next(line for line in lines if line.startswith("last_n_months(n=3)"))
    assert "baseline" in baseline
    assert any(line.startswith("oracle (ceiling)") for line in lines)
    assert sum(1 for line in lines if line.rstrip().endswith("yes")) == 3  # one per budget


def test_one_of_view_or_csv_is_needed():
    result = CliRunner().invoke(cli, ["evaluate"])
    assert result.exit_code == 2 and "--view" in result.output
