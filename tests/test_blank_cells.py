"""blank_mask (the vectorised form the refresh uses on whole columns) agrees with is_blank, the definition,
cell by cell, on hostile mixes of what readers hand over; GridRows behaves as the row lists it replaces."""

import datetime as dt
import random

import numpy as np
import pandas as pd
import pytest

from xl_kpi.cells import blank_mask, is_blank
from xl_kpi.ledger.formats import grid
from xl_kpi.ledger.raw import GridRows, RawTable


class Text(str):
    """A str subclass (as some readers return): decided by is_blank itself."""


CELLS = [None, "", " ", "\t\n", "\xa0", "\u3000", "x", " x ", "0", 0.0, -0.0, 1.5, float("nan"), float("inf"),
         np.float64("nan"), np.float32("nan"), np.float64(2), 3, 0, True, False, np.bool_(True), np.int64(4),
         dt.date(2024, 1, 1), dt.datetime(2024, 1, 1), dt.time(0, 0), dt.timedelta(0), pd.NA, pd.NaT,
         np.datetime64("NaT"), np.datetime64("2024-01-01"), Text(" "), Text("a"), b"", complex(1, 2), "#N/A"]


@pytest.mark.parametrize("size", [1, 2, 7, 300])
def test_blank_mask_is_is_blank_on_every_cell(size):
    rng = random.Random(size)
    for _ in range(100):
        values = [rng.choice(CELLS) for _ in range(size)]
        arr = np.empty(size, dtype=object)
        arr[:] = values
        assert blank_mask(arr).tolist() == [is_blank(v) for v in values], values


@pytest.mark.parametrize("kind", [str, float, type(None), dt.date, Text, np.float32, pd.Timestamp])
def test_a_column_of_one_type_is_is_blank_on_every_cell(kind):
    """A column of one type is decided in one step (a ledger's ids, months, amounts): as is_blank decides."""
    pool = [v for v in CELLS + [pd.Timestamp("2024-01-01"), np.float32(1), Text("")] if type(v) is kind]
    rng = random.Random(str(kind))
    for size in (1, 2, 50):
        values = [rng.choice(pool) for _ in range(size)]
        arr = np.empty(size, dtype=object)
        arr[:] = values
        assert blank_mask(arr).tolist() == [is_blank(v) for v in values], values


def test_blank_mask_keeps_the_shape_of_a_grid():
    cells = np.array([[None, "a", 1.0], ["  ", float("nan"), pd.NaT]], dtype=object)
    assert blank_mask(cells).tolist() == [[True, False, False], [True, True, True]]
    assert blank_mask(np.empty((0, 3), dtype=object)).shape == (0, 3)


def test_grid_rows_read_as_the_row_lists():
    cells = np.array([["a", 1.0, None], ["b", 2.0, "x"], ["c", None, None]], dtype=object)
    rows = GridRows(cells)
    as_lists = [list(r) for r in cells.tolist()]
    assert len(rows) == 3 and list(rows) == as_lists and rows[1] == ["b", 2.0, "x"]
    assert list(rows[1:]) == as_lists[1:] and not GridRows(cells[:0])
    table = RawTable(["A", "B", "C"], rows)
    assert grid(table) is cells  # the formats read the array itself, no copy
    assert grid(RawTable(["A", "B", "C"], as_lists)).tolist() == cells.tolist()
