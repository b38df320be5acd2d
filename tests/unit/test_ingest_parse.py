"""The parse stage as a sender's file meets it: every row read, numbered as the sender
counts rows, and errors that name the row and never a value."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hub.errors import HubError
from hub.ingest.parse import ROW, parse_file
from hub.ingest.parse_errors import ParseError
from hub.ingest.readers import open_csv
from tests.data import POLICE_STREET_CSV

DATA = Path(__file__).resolve().parents[1] / "data" / "ingest"
POLICE_FILE = POLICE_STREET_CSV
POLICE_COLUMNS = [
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
    "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
]  # fmt: skip
COLUMNS = ["Crime ID", "Month", "Location", "Crime type", "Last outcome category"]
REQUIRED = {"Month", "Crime type"}
CSV = "text/csv"


def parse(path, media_type=CSV, *, columns=COLUMNS, required=REQUIRED, chunk_size=10_000,
          engine=None):  # fmt: skip
    source = open_csv(path, engine=engine) if engine else None
    return parse_file(
        path,
        media_type=media_type,
        contract_columns=columns,
        required=required,
        chunk_size=chunk_size,
        source=source,
    )


def read_all(path, media_type=CSV, **kwargs) -> pd.DataFrame:
    chunks = list(parse(path, media_type, **kwargs).chunks())
    return pd.concat(chunks) if chunks else pd.DataFrame(columns=COLUMNS)


def error_of(path, media_type=CSV, **kwargs) -> ParseError:
    with pytest.raises(ParseError) as info:
        read_all(path, media_type, **kwargs)
    return info.value


# -- CSV: what is read ------------------------------------------------------------------


def test_the_published_police_file_is_read_whole_as_it_is():
    feed = parse(POLICE_FILE, columns=POLICE_COLUMNS, chunk_size=250)
    chunks = list(feed.chunks())
    assert [len(c) for c in chunks] == [250, 250, 188]
    frame = pd.concat(chunks)
    assert len(frame) == 688 and feed.stats.rows == 688
    assert frame.index.name == ROW
    assert frame.index[0] == 2 and frame.index[-1] == 689
    assert list(frame.index) == list(range(2, 690))
    assert list(frame.columns) == POLICE_COLUMNS
    assert feed.encoding == "utf-8" and feed.warnings() == []
    with open(POLICE_FILE, newline="", encoding="utf-8") as f:
        expected = list(csv.reader(f))
    first, last = expected[1], expected[-1]
    assert frame.loc[2].tolist() == [v or None for v in first]
    assert frame.loc[689].tolist() == [v or None for v in last]
    asb = frame[frame["Crime type"] == "Anti-social behaviour"]
    assert len(asb) and asb["Crime ID"].isna().all()
    assert frame["Context"].isna().all()
    assert frame["Crime type"].nunique() == 14


def test_chunks_are_strings_and_none_with_row_numbers_as_the_index():
    frame = read_all(DATA / "incidents_crlf.csv")
    assert all(dtype == "object" for dtype in frame.dtypes)
    assert frame.index.dtype == "int64" and frame.index.name == "row"
    assert frame.loc[3, "Crime ID"] is None  # empty field
    assert frame.loc[3, "Last outcome category"] is None  # empty last field
    assert frame.loc[4, "Location"] == "On or near Bank, EC2"
    assert all(isinstance(v, str) for v in frame["Month"])


def test_utf8_with_a_byte_order_mark():
    feed = parse(DATA / "incidents_utf8_bom.csv")
    frame = pd.concat(feed.chunks())
    assert feed.encoding == "utf-8-sig"
    assert feed.header.positions["Crime ID"] == 0  # the mark is not part of the name
    assert frame.loc[2, "Crime ID"] == "a1"
    assert list(frame.index) == [2, 3, 4]


def test_windows_1252_is_recognised_and_decoded():
    feed = parse(DATA / "incidents_cp1252.csv")
    frame = pd.concat(feed.chunks())
    assert feed.encoding == "cp1252"
    assert frame.loc[2, "Location"] == "On or near Café Rouge"
    assert frame.loc[2, "Last outcome category"] == "Fined £50"
    assert frame.loc[3, "Location"] == "On or near Rue de l'Église"


def test_crlf_line_endings_leave_no_carriage_returns():
    frame = read_all(DATA / "incidents_crlf.csv")
    assert list(frame.index) == [2, 3, 4]
    assert frame.loc[2, "Last outcome category"] == "Under investigation"
    assert not frame.stack().str.contains("\r").any()


@pytest.mark.parametrize("engine", ["auto", "python"])
def test_a_quoted_line_break_is_one_row_and_later_rows_keep_their_numbers(engine):
    frame = read_all(DATA / "quoted_newline.csv", engine=engine)
    assert list(frame.index) == [2, 3, 4]  # records, not lines (the file has 7 lines)
    assert frame.loc[2, "Location"] == "On or near\nCheapside"
    assert frame.loc[3, "Location"] == "Two\r\nline\r\nbreaks"
    assert frame.loc[4, "Location"] == "On or near Moorgate"


@pytest.mark.parametrize("engine", ["auto", "python"])
def test_blank_rows_are_skipped_but_counted(engine):
    feed = parse(DATA / "blank_rows.csv", engine=engine)
    frame = pd.concat(feed.chunks())
    assert list(frame.index) == [2, 5]  # row 3 is an empty line, row 4 only commas
    assert feed.stats.blank_rows == 3  # and the empty line at the end
    assert "3 blank row(s) were skipped." in feed.warnings()


def test_header_only_gives_no_chunks():
    feed = parse(DATA / "header_only.csv")
    assert list(feed.chunks()) == []
    assert feed.stats.rows == 0


def test_header_only_without_a_final_line_break(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text(",".join(COLUMNS))
    assert list(parse(path).chunks()) == []


def test_a_last_row_without_a_line_break_is_read(tmp_path):
    path = tmp_path / "last.csv"
    path.write_text(",".join(COLUMNS) + "\na1,2026-02,x,Drugs,done")
    frame = read_all(path)
    assert frame.loc[2, "Last outcome category"] == "done"


def test_a_quoted_field_may_end_with_a_line_break_at_the_end_of_the_file(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(",".join(COLUMNS) + '\na1,2026-02,x,Drugs,"two\nlines\n"')
    frame = read_all(path)
    assert frame.loc[2, "Last outcome category"] == "two\nlines\n"


def test_chunks_of_exactly_chunk_size_with_their_row_numbers(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for i in range(25_000):
            writer.writerow([f"id{i}", "2026-02", f"place {i}", "Drugs", ""])
    feed = parse(path, chunk_size=10_000)
    chunks = list(feed.chunks())
    assert [len(c) for c in chunks] == [10_000, 10_000, 5_000]
    assert [(c.index[0], c.index[-1]) for c in chunks] == [
        (2, 10_001), (10_002, 20_001), (20_002, 25_001)
    ]  # fmt: skip
    assert chunks[1].loc[10_002, "Crime ID"] == "id10000"
    assert feed.stats.chunks == 3 and feed.stats.rows == 25_000


def test_chunks_can_be_read_again():
    feed = parse(DATA / "incidents_crlf.csv")
    assert pd.concat(feed.chunks()).equals(pd.concat(feed.chunks()))
    assert feed.stats.rows == 3


def test_the_fast_and_the_reference_reader_agree_on_the_whole_corpus(tmp_path):
    readable = [
        "incidents_utf8_bom.csv", "incidents_cp1252.csv", "incidents_crlf.csv",
        "quoted_newline.csv", "blank_rows.csv", "header_only.csv",
    ]  # fmt: skip
    for name in readable:
        fast = read_all(DATA / name, engine="arrow", chunk_size=2)
        reference = read_all(DATA / name, engine="python", chunk_size=2)
        pd.testing.assert_frame_equal(fast, reference, check_index_type=False)


def test_a_row_longer_than_arrows_block_is_read_by_the_reference_reader(tmp_path, monkeypatch):
    import hub.ingest.readers.csv_arrow as arrow
    import hub.ingest.readers.delimited as delimited

    monkeypatch.setattr(arrow, "BLOCK_SIZE", 1 << 16)
    handed_over_after = []

    def python_chunks(*args, after_row, **kwargs):
        handed_over_after.append(after_row)
        return reference(*args, after_row=after_row, **kwargs)

    reference = delimited.python_chunks
    monkeypatch.setattr(delimited, "python_chunks", python_chunks)
    path = tmp_path / "long.csv"
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for i in range(40):
            # rows 2-21 are short, rows 22-41 longer than Arrow's block (within csv's limit)
            writer.writerow([f"id{i}", "2026-02", "x" * (100_000 if i >= 20 else 10), "Drugs", ""])
    frame = read_all(path, chunk_size=5)
    assert handed_over_after and handed_over_after[0] > 0
    assert list(frame.index) == list(range(2, 42))
    assert frame["Location"].str.len().tolist() == [10] * 20 + [100_000] * 20


# -- CSV: errors a sender can act on ----------------------------------------------------


def test_errors_are_hub_errors_with_a_stable_code():
    error = error_of(DATA / "empty.csv")
    assert isinstance(error, HubError)
    assert error.code == "empty_file" and error.status == 422


def test_an_empty_file():
    assert error_of(DATA / "empty.csv").code == "empty_file"


@pytest.mark.parametrize("engine", ["auto", "python"])
def test_an_unclosed_quote_at_the_end_names_the_row(engine):
    error = error_of(DATA / "unbalanced_quote_at_end.csv", engine=engine)
    assert error.code == "unbalanced_quotes"
    assert error.row == 3
    assert "Row 3" in error.detail


def test_an_unclosed_quote_in_the_middle_of_a_file_names_the_row(tmp_path):
    path = tmp_path / "q.csv"
    rows = [f"id{i},2026-02,place,Drugs,\n" for i in range(5)]
    rows[2] = 'id2,2026-02,"place,Drugs,\n'  # row 4 opens a quote
    path.write_text(",".join(COLUMNS) + "\n" + "".join(rows))
    error = error_of(path)
    assert error.code == "unbalanced_quotes"
    assert error.row == 4


@pytest.mark.parametrize("engine", ["auto", "python"])
def test_a_row_with_too_many_fields_is_named(engine):
    error = error_of(DATA / "ragged_too_many.csv", engine=engine)
    assert error.code == "ragged_row"
    assert error.row == 4
    assert error.details == {"fields": 6, "expected_fields": 5}
    assert "Row 4 has 6 field(s) but the header (row 1) has 5" in error.detail


@pytest.mark.parametrize("engine", ["auto", "python"])
def test_a_row_with_too_few_fields_is_named(engine):
    error = error_of(DATA / "ragged_too_few.csv", engine=engine)
    assert error.code == "ragged_row"
    assert error.row == 3
    assert error.details == {"fields": 4, "expected_fields": 5}


def test_a_ragged_row_after_a_quoted_line_break_gives_row_and_lines(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(",".join(COLUMNS) + '\na1,2026-02,"two\nlines",Drugs,\nb2,2026-02,x,Drugs\n')
    error = error_of(path)
    assert error.row == 3
    assert "(line 4 of the file)" in error.detail


def test_rows_before_a_late_ragged_row_are_handed_out_once(tmp_path):
    path = tmp_path / "late.csv"
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for i in range(30_000):
            writer.writerow([f"id{i}", "2026-02", "place", "Drugs", ""])
        writer.writerow(["bad", "2026-02", "place", "Drugs"])
    seen = []
    with pytest.raises(ParseError) as info:
        for chunk in parse(path, chunk_size=10_000).chunks():
            seen.extend(chunk.index)
    assert info.value.code == "ragged_row" and info.value.row == 30_002
    assert seen == list(range(2, 30_002))  # each good row exactly once, in order


def test_utf16_is_refused_naming_the_accepted_encodings():
    error = error_of(DATA / "incidents_utf16.csv")
    assert error.code == "bad_encoding"
    assert "UTF-16" in error.detail
    assert "UTF-8" in error.detail and "Windows-1252" in error.detail


def test_utf16_without_a_byte_order_mark_is_refused(tmp_path):
    path = tmp_path / "u.csv"
    path.write_bytes(",".join(COLUMNS).encode("utf-16-le"))
    assert error_of(path).code == "bad_encoding"


def test_a_binary_file_is_refused(tmp_path):
    path = tmp_path / "b.csv"
    path.write_bytes(bytes(range(256)) * 4)
    assert error_of(path).code == "bad_encoding"


def test_utf8_with_a_byte_order_mark_must_stay_utf8(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ",".join(COLUMNS).encode() + b"\na1,2026-02,\xa3,Drugs,\n")
    error = error_of(path)
    assert error.code == "bad_encoding" and "byte-order mark" in error.detail


def test_windows_1252_is_found_after_the_first_block(tmp_path):
    path = tmp_path / "late1252.csv"
    body = "".join(f"id{i},2026-02,Café,Drugs,\n" for i in range(60_000))
    path.write_bytes((",".join(COLUMNS) + "\n" + body).encode("cp1252"))
    feed = parse(path)
    assert feed.encoding == "cp1252"
    assert sum(len(c) for c in feed.chunks()) == 60_000


def test_another_delimiter_is_named(tmp_path):
    error = error_of(DATA / "semicolons.csv")
    assert error.code == "unsupported_delimiter"
    assert "comma" in error.detail


def test_an_empty_first_row_is_not_a_header(tmp_path):
    path = tmp_path / "nohead.csv"
    path.write_text("\n" + ",".join(COLUMNS) + "\n")
    error = error_of(path)
    assert error.code == "missing_header" and error.row == 1


def test_messages_never_repeat_cell_values(tmp_path):
    secret = "9434765919"  # an NHS-number-like value
    cases = {
        "too_many": ",".join(COLUMNS) + f"\n{secret},2026-02,x,Drugs,,extra\n",
        "too_few": ",".join(COLUMNS) + f"\n{secret},2026-02,x\n",
        "quote": ",".join(COLUMNS) + f'\na1,2026-02,"{secret},Drugs,\n',
        "headerless": f"{secret},2026-02,x,Drugs,\n",
    }
    for name, text in cases.items():
        path = tmp_path / f"{name}.csv"
        path.write_text(text)
        error = error_of(path)
        assert secret not in error.detail, name
        assert secret not in json.dumps(error.extra), name


# -- Headers ----------------------------------------------------------------------------


def test_headers_match_ignoring_case_spacing_and_underscores():
    feed = parse(DATA / "header_case_spacing.csv")
    frame = pd.concat(feed.chunks())
    assert list(frame.columns) == COLUMNS
    assert frame.loc[2, "Crime ID"] == "a1"
    assert frame.loc[2, "Last outcome category"] == "Under investigation"
    assert feed.header.renamed[" crime_id "] == "Crime ID"


def test_missing_required_columns_are_listed_with_what_was_found():
    error = error_of(DATA / "missing_and_extra.csv")
    assert error.code == "missing_columns" and error.row == 1
    assert error.details["missing"] == ["Month"]
    assert error.details["found"] == ["Crime ID", "Location", "Officer notes", "Crime type"]
    assert "'Month'" in error.detail and "'Officer notes'" in error.detail


def test_extra_columns_are_ignored_with_a_warning_and_missing_optional_ones_are_none():
    feed = parse(DATA / "missing_and_extra.csv", required={"Crime type"})
    frame = pd.concat(feed.chunks())
    assert list(frame.columns) == COLUMNS
    assert frame.loc[2, "Month"] is None and frame.loc[2, "Crime type"] == "Burglary"
    assert feed.header.extra == ("Officer notes",)
    warnings = " ".join(feed.warnings())
    assert "'Officer notes'" in warnings and "'Month'" in warnings


def test_duplicate_columns_are_refused(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("Crime ID,Month,crime_id,Crime type\na,2026-02,b,Drugs\n")
    error = error_of(path)
    assert error.code == "duplicate_columns"
    assert "'Crime ID'" in error.detail and "'crime_id'" in error.detail


# -- NDJSON -----------------------------------------------------------------------------

NDJSON = "application/x-ndjson"


def test_ndjson_rows_are_numbered_by_line():
    feed = parse(DATA / "incidents.ndjson", NDJSON)
    frame = pd.concat(feed.chunks())
    assert list(frame.index) == [1, 2, 4]  # line 3 is blank
    assert list(frame.columns) == COLUMNS
    assert frame.loc[1].tolist() == [
        "a1", "2026-02", "On or near Cheapside", "Burglary", "Under investigation"
    ]  # fmt: skip
    assert frame.loc[2, "Crime ID"] is None  # null
    assert frame.loc[2, "Last outcome category"] is None  # ""
    assert frame.loc[2, "Location"] is None  # key left out
    assert frame.loc[4, "Crime ID"] == "c3"  # "crime_id"
    assert all(dtype == "object" for dtype in frame.dtypes)
    warnings = " ".join(feed.warnings())
    assert "'Longitude'" in warnings and "'Count'" in warnings and "'Flag'" in warnings


def test_ndjson_numbers_keep_their_text_and_booleans_are_lowercase(tmp_path):
    path = tmp_path / "n.ndjson"
    path.write_text(json.dumps({"Month": "2026-02", "Crime type": 1.50, "Location": True})
                    .replace("1.5", "1.50") + "\n")  # fmt: skip
    frame = read_all(path, NDJSON)
    assert frame.loc[1, "Crime type"] == "1.50"
    assert frame.loc[1, "Location"] == "true"


def test_a_bad_ndjson_line_is_named():
    error = error_of(DATA / "bad_line.ndjson", NDJSON)
    assert error.code == "bad_json" and error.row == 3
    assert "Line 3" in error.detail


@pytest.mark.parametrize(
    "line",
    ['["a", "b"]', '{"Month": "2026-02", "Crime type": {"x": 1}}', '{"Month": NaN}',
     '{"Month": "a", "Month": "b"}'],
)  # fmt: skip
def test_ndjson_lines_that_are_not_flat_objects(tmp_path, line):
    path = tmp_path / "x.ndjson"
    path.write_text('{"Month": "2026-02", "Crime type": "Drugs"}\n' + line + "\n")
    error = error_of(path, NDJSON)
    assert error.code in ("bad_json", "duplicate_columns") and error.row == 2


def test_ndjson_first_record_is_checked_like_a_header(tmp_path):
    path = tmp_path / "x.ndjson"
    path.write_text('\n{"Crime ID": "a", "Location": "x"}\n')
    error = error_of(path, NDJSON)
    assert error.code == "missing_columns" and error.row == 2
    assert "first record (line 2)" in error.detail


def test_ndjson_not_utf8_is_named(tmp_path):
    path = tmp_path / "x.ndjson"
    path.write_bytes(b'{"Month": "2026-02", "Crime type": "Drugs"}\n{"Month": "\xa3"}\n')
    error = error_of(path, NDJSON)
    assert error.code == "bad_encoding" and error.row == 2


def test_ndjson_of_blank_lines_gives_no_chunks(tmp_path):
    path = tmp_path / "x.ndjson"
    path.write_text("\n\n")
    assert list(parse(path, NDJSON).chunks()) == []


# -- Parquet ----------------------------------------------------------------------------

PARQUET = "application/vnd.apache.parquet"


def test_parquet_round_trip_in_chunks(tmp_path):
    path = tmp_path / "x.parquet"
    n = 2_500
    table = pa.table(
        {
            "crime_id": [f"id{i}" if i % 3 else None for i in range(n)],
            "Month": ["2026-02"] * n,
            "Crime type": pa.array(["Drugs", "Robbery"] * (n // 2)).dictionary_encode(),
            "Location": [""] * n,
            "Count": list(range(n)),
        }
    )
    pq.write_table(table, path, row_group_size=700)
    feed = parse(path, PARQUET, chunk_size=1_000)
    chunks = list(feed.chunks())
    assert [len(c) for c in chunks] == [1_000, 1_000, 500]
    frame = pd.concat(chunks)
    assert list(frame.index) == list(range(1, n + 1))
    assert list(frame.columns) == COLUMNS
    assert frame.loc[1, "Crime ID"] is None and frame.loc[2, "Crime ID"] == "id1"
    assert frame.loc[2, "Crime type"] == "Robbery"
    assert frame["Location"].isna().all()  # "" is missing, as in CSV
    assert frame["Last outcome category"].isna().all()  # not in the file
    assert all(dtype == "object" for dtype in frame.dtypes)
    assert "'Count'" in " ".join(feed.warnings())


def test_parquet_values_become_text(tmp_path):
    import datetime as dt
    from decimal import Decimal

    path = tmp_path / "t.parquet"
    table = pa.table(
        {
            "Month": pa.array([dt.date(2026, 2, 1)]),
            "Crime type": pa.array([dt.datetime(2019, 5, 31, 23, 1)], pa.timestamp("us", "UTC")),
            "Location": pa.array([Decimal("1.25")], pa.decimal128(5, 2)),
            "Crime ID": pa.array([7]),
            "Last outcome category": pa.array([False]),
        }
    )
    pq.write_table(table, path)
    frame = read_all(path, PARQUET)
    assert frame.loc[1].tolist() == ["7", "2026-02-01", "1.25", "2019-05-31T23:01:00Z", "false"]


def test_a_nested_parquet_column_is_refused(tmp_path):
    path = tmp_path / "n.parquet"
    pq.write_table(pa.table({"Month": ["2026-02"], "Crime type": [["a", "b"]]}), path)
    error = error_of(path, PARQUET)
    assert error.code == "unsupported_type" and "'Crime type'" in error.detail


def test_a_file_sent_as_parquet_that_is_not(tmp_path):
    assert error_of(DATA / "incidents_crlf.csv", PARQUET).code == "not_parquet"


def test_a_truncated_parquet_file(tmp_path):
    path = tmp_path / "cut.parquet"
    pq.write_table(pa.table({"Month": ["2026-02"] * 100, "Crime type": ["Drugs"] * 100}), path)
    path.write_bytes(path.read_bytes()[:-20])
    assert error_of(path, PARQUET).code == "not_parquet"


def test_parquet_missing_columns_name_the_schema(tmp_path):
    path = tmp_path / "m.parquet"
    pq.write_table(pa.table({"Month": ["2026-02"], "Other": ["x"]}), path)
    error = error_of(path, PARQUET)
    assert error.code == "missing_columns" and "Parquet schema" in error.detail
    assert error.row is None


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_random_awkward_fields_read_the_same_by_both_readers(tmp_path, seed, line_end):
    import random

    rng = random.Random(seed)
    alphabet = ["a", "b", " ", ",", '"', "\n", "\r\n", "é", "£", "'"]
    expected = {}
    path = tmp_path / "awkward.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator=line_end)
        writer.writerow(COLUMNS)
        row = 1
        for _ in range(300):
            row += 1
            if rng.random() < 0.05:
                f.write(line_end)  # a blank line: skipped, counted
                continue
            values = ["".join(rng.choices(alphabet, k=rng.randrange(0, 6))) for _ in COLUMNS]
            writer.writerow(values)
            if any(values):
                expected[row] = [v or None for v in values]
    for engine in ("arrow", "python"):
        frame = read_all(path, engine=engine, chunk_size=64)
        assert list(frame.index) == list(expected), engine
        assert frame.to_numpy().tolist() == list(expected.values()), engine


def test_an_unclosed_quote_in_the_header_does_not_echo_the_data(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text('Crime ID,Month,"Location,Crime type\n9434765919,2026-02,x,Drugs\n')
    error = error_of(path)
    assert error.code == "unbalanced_quotes" and error.row == 1
    assert "9434765919" not in error.detail
