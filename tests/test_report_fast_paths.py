"""The report builder's fast paths for a column of texts (the movements table's customer ids and movement
types, 100,000 rows) against the loops they replace, written here as they were: the same cells, the same
column widths, on hostile values (missing values of every kind, flags, numbers, str subclasses, pandas'
string dtypes)."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from xl_kpi.refresh.report.content import _text_values
from xl_kpi.refresh.report.layout import _column_text_width, format_text, text_width
from xl_kpi.refresh.report.model import Column


def former_text_values(values) -> np.ndarray:
    out = []
    for v in pd.Series(values).tolist():
        if isinstance(v, (bool, np.bool_)):
            out.append("partial" if v else None)
        elif v is None or (isinstance(v, float) and np.isnan(v)):
            out.append(None)
        else:
            out.append(str(v))
    return np.array(out, dtype=object)


def former_long_text_width(col: Column) -> float:
    values = col.values
    lengths = pd.Series(values).astype(str).str.len().to_numpy()
    top = np.argsort(lengths)[-50:]
    return max(text_width(format_text(values[i], col.format_at(int(i)))) for i in top)


TEXTS = ["cus_000123", "a & b", "", " ", "caf\u00e9", "x\x01y", "_x0041_", "ÄÖÜ long name here", "<t>"]


def columns(rng: random.Random):
    """Text columns as frames hold them: all texts (object or string dtype), and with strays in them."""
    texts = [rng.choice(TEXTS) + str(rng.randrange(10**rng.randrange(1, 8))) for _ in range(rng.randrange(0, 400))]
    yield texts
    yield pd.Series(texts, dtype=object)
    yield pd.Series(texts, dtype="string")
    yield pd.Series(texts, dtype="str") if hasattr(pd, "StringDtype") else texts
    strays = [None, np.nan, True, False, np.bool_(True), 7, 1.5, pd.NA, np.str_("np"), pd.Timestamp("2024-01-01")]
    mixed = [rng.choice(strays) if rng.random() < 0.2 else t for t in texts]
    yield pd.Series(mixed, dtype=object)
    if texts:
        yield pd.Series([*texts[:-1], None], dtype="string")
        yield pd.Series([np.str_(t) for t in texts], dtype=object)


@pytest.mark.parametrize("seed", range(6))
def test_text_cells_and_widths_are_the_former_loops(seed):
    rng = random.Random(seed)
    for values in columns(rng):
        got, want = _text_values(values), former_text_values(values)
        assert got.dtype == want.dtype == object and got.shape == want.shape
        assert [(type(v), v) for v in got.tolist()] == [(type(v), v) for v in want.tolist()]
        col = Column("Customer ID", got, None)
        if len(got) > 200:  # the long-column measure (a few report rows are measured one by one)
            assert _column_text_width(col) == former_long_text_width(col)


def test_numbers_already_floats_are_what_to_numeric_gives():
    from xl_kpi.refresh.report.content import _as_float

    rng = np.random.default_rng(3)
    floats = np.concatenate([rng.normal(0, 1e6, 300), [np.nan, np.inf, -np.inf, -0.0, 5e-324]])
    for values in (floats, pd.Series(floats), pd.Series(floats, index=np.arange(len(floats))[::-1]),
                   floats[::2], pd.Series(floats, dtype="Float64"), floats.astype(np.float32), floats.tolist()):
        want = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        got = _as_float(values)
        assert got.dtype == np.float64 and np.array_equal(got, want, equal_nan=True)
        assert np.array_equal(np.signbit(got), np.signbit(want))
        assert not np.shares_memory(got, np.asarray(values) if not isinstance(values, list) else got[:0])


def test_changes_says_what_the_escaping_expression_finds():
    """text.changes (one pass of bytes for an ASCII text) against the expression text() searches with, on
    every character class it knows, in ASCII texts and others, and on long joined columns."""
    from xl_kpi.ooxml.text import CHANGED, changes, text

    rng = random.Random(9)
    alphabet = ["a", "Z", "0", " ", "_", "x", "_x", "0041", "_x004G_", "_x0041_", "&", "<", ">", '"', "'", "\t",
                "\n", "\r", "\x00", "\x01", "\x0b", "\x1f", "\x7f", "\u00e9", "\ufffe", "\uffff", "\U0001f600"]
    samples = ["", "cus_000123", "cus_x0041_7", "_x0041", "x0041_"]
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 8))) for _ in range(5000)]
    samples += ["".join(rng.choice(["cus_0001", "churn", "new", "_x00", "41_"]) for _ in range(2000))
                for _ in range(20)]
    for s in samples:
        assert changes(s) == (CHANGED.search(s) is not None) == (text(s) != s), repr(s)
