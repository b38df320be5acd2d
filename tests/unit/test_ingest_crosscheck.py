"""The crosscheck of issue 12: the hub's transform (row checks compiled once and run on
distinct values, identifiers worked once per distinct value across the upload through a
bounded cache) against the transform as it was (pandera on every chunk, no cache: kept in
tests/unit/reference_transform.py), on a corpus with every kind of bad value the contracts
know. Same kept rows, same stored cells, same failures (row, column, check, message, value),
in the same order, chunk by chunk."""

from __future__ import annotations

import random
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from hub.contracts import load_contracts
from hub.ingest.transform import ChunkTransformer
from hub.pseudonymise import Keyring
from hub.settings import PROJECT_ROOT
from hub.store import layout_for
from hub.synthetic import make_feeds, make_population
from tests.unit.reference_transform import ReferenceTransformer

CONTRACTS = load_contracts(PROJECT_ROOT / "contracts")
KEYRING = Keyring(b"k" * 32)
CHUNK = 331  # small chunks: the same values come back in later chunks, through the cache

# Every kind of bad or edge value the contracts' checks and the identifier kinds know:
# missing and blank, padding, case, check digits and letters, separators, dates that do not
# exist or fall outside a range, other date forms, numbers PostgreSQL could not hold,
# booleans spelt otherwise, characters a COPY must escape, NUL, non-ASCII, overlong text.
BAD_VALUES = [
    "", " ", "   ", "  padded  ", "x", "ABCD\n", "a\tb", "back\\slash", "a\x00b", '"quoted"',
    "TRUE", " true", "True", "false ", "yes", "1", "0", "-1", "+5", "007", "1e999", "-1e3",
    "nan", "inf", "1_000", "12345678901234567890", "3.5", ".5", "1.", "٣",
    "2024-02-30", "2023-02-29", "30/01/2020", "1989-12-31", "1990-01-01", "2099-01-01",
    "2024-13-01", "2024-1-1", "20240601", "2024-06-01T10:00", "2024-06-01T10:00:00Z",
    "2024-06-01 10:00:00+01:00", "2024-06-01T10:00:00.123456789+0100", "10:30", "25:00",
    "O\u2019Brien", "Ann-Marie", "J0hn", "ß", "日本", "a" * 300,
    "NE1 1AA", "ne1 1aa", "NE11AA", "NE1 1AA ", "SW1A 1AA", "SW1A1AA", "GIR 0AA", "NE1 1CI",
    "943 476 5919", "9434765919", "9434765918", "943-476-5919", "0000000000",
    "12/345678A", "12/345678B", "2012/1234567Z", "12/0A", "A123456789012", "E01008000",
    "W010000000", "M", "F", "male", "female", "unknown", "Other", "victim", "Victim",
]  # fmt: skip


def _mutations(value: str, rng: random.Random) -> list[str]:
    if not value:
        return []
    digits = [i for i, c in enumerate(value) if c.isdigit()]
    out = [value.lower(), value.upper(), f" {value}", f"{value} ", value.replace(" ", "")]
    if digits:
        i = rng.choice(digits)
        out.append(value[:i] + str((int(value[i]) + 1) % 10) + value[i + 1 :])
    out.append(value[:-1] + ("Z" if value[-1] != "Z" else "A"))
    return out


def _corpus(contract, rows: list[dict[str, str]], seed: int) -> pd.DataFrame:
    rng = random.Random(seed)
    names = list(contract.column_names)
    base = [{c: r.get(c, "") for c in names} for r in rows] or [{c: "" for c in names}]
    out = list(base)
    for column in names:
        seen = [r[column] for r in base if r[column]]
        values = list(BAD_VALUES)
        for value in rng.sample(seen, min(5, len(seen))):
            values.extend(_mutations(value, rng))
        if contract.column(column).enum:
            values.extend(v.upper() for v in contract.column(column).enum)
        for value in values:
            row = dict(rng.choice(base))
            row[column] = value
            out.append(row)
    out.extend(rng.choice(out) for _ in range(len(out) // 3))  # repeats across chunks
    rng.shuffle(out)
    frame = pd.DataFrame(out, columns=names, dtype=object)
    frame = frame.where(frame != "", None)  # the parse stage's missing value
    # Row numbers as a sender sees them: header is row 1; a few gaps as for blank records.
    frame.index = pd.Index(np.arange(2, len(frame) + 2) + np.arange(len(frame)) // 50, name="row")
    return frame


def _agreement(contract, allowed: set[str]):
    recipient = SimpleNamespace(fields=allowed)
    share = SimpleNamespace(recipients=[recipient])
    return SimpleNamespace(id="crosscheck", shares=lambda dataset: [share])


@pytest.fixture(scope="module")
def feeds():
    population = make_population(size=1000, seed=2026)
    by_dataset: dict[str, list[dict[str, str]]] = {}
    for (_, dataset), feed in make_feeds(population).items():
        by_dataset.setdefault(dataset, []).extend(feed.rows[:150])
    return by_dataset


def _layouts(contract):
    names = list(contract.column_names)
    return {
        "all": layout_for(_agreement(contract, set(names)), contract),
        "none": layout_for(_agreement(contract, set()), contract),
        "half": layout_for(_agreement(contract, set(names[::2])), contract),
    }


@pytest.mark.parametrize("dataset", sorted(CONTRACTS))
def test_new_transform_gives_the_same_rows_and_failures_as_the_old(dataset, feeds):
    contract = CONTRACTS[dataset]
    frame = _corpus(contract, feeds.get(dataset, []), seed=len(dataset))
    assert len(frame) > 500
    for which, layout in _layouts(contract).items():
        args = {"contract": contract, "layout": layout, "domain": "cross", "keyring": KEYRING}
        new = ChunkTransformer(**args, cache_entries=150)  # small: it clears and refills
        old = ReferenceTransformer(**args)
        failures = kept = 0
        for start in range(0, len(frame), CHUNK):
            chunk = frame.iloc[start : start + CHUNK]
            a, b = old(chunk), new(chunk)
            where = f"{dataset} layout {which} chunk at {start}"
            assert b.rows.tolist() == a.rows.tolist(), where
            assert b.names == a.names, where
            for name, x, y in zip(a.names, a.columns, b.columns, strict=True):
                assert list(y) == list(x), f"{where}: column {name}"
            assert b.failures == a.failures, where
            assert b.invalid_rows == a.invalid_rows, where
            assert b.checks_not_run == a.checks_not_run, where
            failures += len(a.failures)
            kept += len(a.rows)
        assert failures > 100 and kept > 100, (dataset, which, failures, kept)
        if any(c.is_identifier or c.generalise for c in contract.columns):
            assert sum(c.computed for c in new.caches.values()) > 0


def test_no_failure_quotes_an_identifier(feeds):
    for dataset, contract in CONTRACTS.items():
        frame = _corpus(contract, feeds.get(dataset, []), seed=1)
        layout = _layouts(contract)["all"]
        new = ChunkTransformer(contract=contract, layout=layout, domain="d", keyring=KEYRING)
        for start in range(0, len(frame), 500):
            for failure in new(frame.iloc[start : start + 500]).failures:
                if "value" in failure:
                    assert contract.column(failure["column"]).values_reportable


def test_vectorised_pattern_checks_answer_as_python_re_does(feeds):
    """The pattern check runs in RE2 (Arrow) with Python's `re` asked again on refusals: on
    every contract pattern and the corpus's values, the same answer as `re.search`."""
    import re

    from hub.contracts.compile_rows import row_checks

    seen = 0
    for dataset, contract in CONTRACTS.items():
        frame = _corpus(contract, feeds.get(dataset, []), seed=2)
        values = pd.Series(
            sorted({v for v in frame.to_numpy().ravel().tolist() if v is not None}), dtype=object
        )
        for column in contract.columns:
            if not column.pattern:
                continue
            (test,) = [t for name, _, t in row_checks(column) if name == "pattern"]
            pattern = re.compile(column.pattern)
            expected = [v == "" or bool(pattern.search(v)) for v in values]
            assert test(values).tolist() == expected, (dataset, column.name)
            seen += 1
    assert seen > 10
