"""A missing column is an error, not a column of empty cells: every provider's contract
rejects a file whose header lost one of its columns, and says which and what it looks like."""

from __future__ import annotations

import csv
import io

import pytest

from hub import clock, db
from hub.synthetic import UPLOADS, make_feeds, make_population

from .ingest_support import HOTSPOTS, POLICE, STREET, events, process, staged_rows, uploader

# One feed of each contract, as the demo's partners send them.
ONE_FEED_PER_CONTRACT = {dataset: (agreement, partner) for agreement, partner, dataset in UPLOADS}


@pytest.fixture(scope="module")
def feeds():
    today = clock.today()
    population = make_population(size=1000, seed=11, today=today)
    return make_feeds(population, seed=11, today=today)


def feed_csv(feed, rename: dict[str, str] | None = None, drop: str | None = None) -> bytes:
    rename = rename or {}
    columns = [c for c in feed.columns if c != drop]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([rename.get(c, c) for c in columns])
    writer.writerows([row[c] for c in columns] for row in feed.rows)
    return out.getvalue().encode()


def renamed(column: str) -> str:
    """What a sender's system might have made of a column name."""
    return "Crime Reference" if column == "Crime ID" else f"{column} reference"


@pytest.mark.parametrize("dataset", sorted(ONE_FEED_PER_CONTRACT))
def test_a_renamed_column_rejects_the_upload_and_names_the_column(app, feeds, dataset):
    agreement, partner = ONE_FEED_PER_CONTRACT[dataset]
    feed = feeds[(partner, dataset)]
    column = feed.columns[0]
    upload = process(
        app, uploader(partner), agreement, dataset, feed_csv(feed, {column: renamed(column)})
    )

    assert upload.status == "rejected"
    hint = f"{renamed(column)!r} looks like {column!r}: rename it, or map it in the contract"
    assert hint in upload.cause
    assert upload.report["error"]["code"] == "missing_columns"
    assert upload.report["error"]["missing"] == [column]
    assert upload.report["error"]["looks_like"] == {column: renamed(column)}
    assert staged_rows(db.get_engine(app), agreement, dataset) == 0
    (event,) = events(app, "upload.rejected")
    assert event.details["code"] == "missing_columns"
    # The message names columns, never values.
    first = feed.rows[0]
    assert not [v for v in first.values() if len(v) >= 6 and v in upload.cause]


def test_an_optional_column_left_out_rejects_unless_the_contract_lets_it_be_left_out(app, feeds):
    feed = feeds[(POLICE, STREET)]
    without_outcome = process(
        app, uploader(POLICE), HOTSPOTS, STREET, feed_csv(feed, drop="Last outcome category")
    )
    assert without_outcome.status == "rejected"
    assert without_outcome.report["error"]["missing"] == ["Last outcome category"]
    assert "A missing column is not a column of empty cells" in without_outcome.cause

    # `Context` is marked `mayBeOmitted` in the contract: a file may leave it out.
    without_context = process(
        app, uploader(POLICE), HOTSPOTS, STREET, feed_csv(feed, drop="Context")
    )
    assert without_context.status == "published", without_context.cause
    assert any("'Context'" in w for w in without_context.report["warnings"])
