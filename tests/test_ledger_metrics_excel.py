"""TRAILING_RETENTION, MRR_MOVEMENTS and MRR_BRIDGE's [period] and [segments] with what Excel really passes."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from xl_kpi.excel_values import ExcelError
from xl_kpi.ledger import mrr_bridge, mrr_movements, rollup, trailing_retention
from xl_kpi.ledger.columns import header
from xl_kpi.ledger_excel import mrr_bridge_table, mrr_movements_table, trailing_retention_table
from xl_kpi.sample import generate_ledger
from tests.test_ledger import HAND_ROWS, hand_ledger
from tests.test_ledger_excel import assert_error, excel_ranges

NA = -2146826246
PLANS = {"A": "Pro", "B": "Basic", "C": "Basic", "D": "Pro", "E": "Pro"}


def assert_rows_equal_frame(rows, frame):
    """Spilled rows against the Python frame: header titles, then every cell (NaN -> "", dates -> datetime)."""
    assert rows[0] == [header(c) for c in frame.columns]
    assert len(rows) == 1 + len(frame)
    for row, want in zip(rows[1:], frame.itertuples(index=False)):
        for got, value in zip(row, want):
            if isinstance(value, pd.Timestamp):
                assert isinstance(got, dt.datetime) and got == value.to_pydatetime()
            elif isinstance(value, float) and math.isnan(value):
                assert got == ""  # a blank cell, never nan or inf
            elif isinstance(value, (float, np.floating)):
                assert got == pytest.approx(float(value)) and type(got) in (float, int)
            else:
                assert got == value and not isinstance(got, np.generic)


def plan_column(trailing_blanks=0):
    return tuple((PLANS[c],) for c, _, _ in HAND_ROWS) + ((None,),) * trailing_blanks


# --------------------------------------------------------------------------- TRAILING_RETENTION

@pytest.mark.parametrize("window", [None, 12, 3.0, 1])
def test_trailing_retention_table_matches_python(window):
    df = generate_ledger(n_customers=300, n_months=18, seed=2)
    rows = list(df.itertuples(index=False))
    args = excel_ranges(rows, trailing_blanks=300)
    result = trailing_retention_table(*args) if window is None else trailing_retention_table(*args, window)
    assert_rows_equal_frame(result, trailing_retention(df, window=12 if window is None else int(window)))


def test_trailing_retention_hand_worked_and_whole_columns():
    ids, months, amounts = excel_ranges(HAND_ROWS)
    rows = trailing_retention_table(ids, months, amounts, 3)
    june = rows[-1]
    assert june[0] == dt.datetime(2024, 6, 1) and june[1:6] == [3, 2, pytest.approx(2 / 3), 190, 130]
    assert rows[1][1:] == [""] * 7  # January: no full window yet
    pad = ((None,),) * (1_048_576 - len(ids))  # A:A
    assert trailing_retention_table(ids + pad, months + pad, amounts + pad, 3) == rows


@pytest.mark.parametrize("window, literal, reason", [
    (0, "#VALUE!", "window must be a whole number"), (2.5, "#VALUE!", "window must be a whole number"),
    ("twelve", "#VALUE!", "window must be a whole number"), (True, "#VALUE!", "window must be a whole number"),
    (NA, "#N/A", "window holds #N/A"), ("#DIV/0!", "#DIV/0!", "window holds #DIV/0!"),
    (((3.0, 4.0),), "#VALUE!", "window must be a single value"),
])
def test_trailing_window_errors(window, literal, reason):
    assert_error(trailing_retention_table(*excel_ranges(HAND_ROWS), window), literal, reason)


def test_trailing_blank_window_is_twelve_and_a_one_cell_range_is_its_value():
    args = excel_ranges(HAND_ROWS)
    assert trailing_retention_table(*args, "") == trailing_retention_table(*args)
    assert trailing_retention_table(*args, ((3.0,),)) == trailing_retention_table(*args, 3)


# --------------------------------------------------------------------------- MRR_MOVEMENTS

def test_movements_table_matches_python_and_filters_a_month():
    args = excel_ranges(HAND_ROWS, trailing_blanks=2000)
    everything = mrr_movements_table(*args)
    assert_rows_equal_frame(everything, mrr_movements(hand_ledger()))
    assert everything[0] == ["Month", "Customer", "Movement", "MRR Before", "MRR After", "Change"]
    for month in ("2024-06", dt.datetime(2024, 6, 15), 45458.0, "2024-06-30"):
        june = mrr_movements_table(*args, month)
        assert [r[1:] for r in june[1:]] == [["E", "expansion", 200, 250, 50], ["C", "reactivation", 0, 40, 40],
                                             ["A", "contraction", 120, 90, -30]]
    april_has_only_churn = mrr_movements_table(*args, "2024-04-01")
    assert {r[2] for r in april_has_only_churn[1:]} == {"churn"}


def test_movements_month_without_movement_and_outside_the_data():
    ids, months, amounts = (("a",), ("a",)), ((45292.0,), (45323.0,)), ((10.0,), (10.0,))
    assert mrr_movements_table(ids, months, amounts, "2024-02") == [["Month", "Customer", "Movement", "MRR Before", "MRR After", "Change"]]
    assert_error(mrr_movements_table(ids, months, amounts, "2023-12"), "#N/A", "outside the ledger's months")
    assert_error(mrr_movements_table(ids, months, amounts, "someday"), "#VALUE!", "month must be a date")
    assert_error(mrr_movements_table(ids, months, amounts, NA), "#N/A", "month holds #N/A")
    assert mrr_movements_table(ids, months, amounts, None) == mrr_movements_table(ids, months, amounts, "  ")


# --------------------------------------------------------------------------- MRR_BRIDGE by period and segment

@pytest.mark.parametrize("period", ["quarter", "Year", " QUARTER "])
def test_bridge_by_period_matches_rollup(period):
    rows = mrr_bridge_table(*excel_ranges(HAND_ROWS, trailing_blanks=50), period)
    want = rollup(mrr_bridge(hand_ledger()), period.strip().lower())
    assert_rows_equal_frame(rows, want)
    assert rows[0][:3] == ["Period", "Period Start", "Period End"] and rows[0][-2:] == ["Months", "Partial"]


def test_bridge_period_month_and_blank_are_the_monthly_bridge():
    args = excel_ranges(HAND_ROWS)
    monthly = mrr_bridge_table(*args)
    assert mrr_bridge_table(*args, "month") == monthly and mrr_bridge_table(*args, None) == monthly
    assert mrr_bridge_table(*args, "") == monthly
    assert_error(mrr_bridge_table(*args, "week"), "#VALUE!", 'period must be "month", "quarter" or "year"')
    assert_error(mrr_bridge_table(*args, "#REF!"), "#REF!", "period holds #REF!")


def test_bridge_by_segment_matches_python_with_whole_columns():
    ids, months, amounts = excel_ranges(HAND_ROWS)
    plans = plan_column()
    df = hand_ledger().assign(plan=[PLANS[c] for c, _, _ in HAND_ROWS])
    rows = mrr_bridge_table(ids, months, amounts, None, plans)
    assert_rows_equal_frame(rows, mrr_bridge(df, segment="plan"))
    assert rows[0][0] == "Segment" and {r[0] for r in rows[1:]} == {"Basic", "Pro"}
    pad = ((None,),) * (1_048_576 - len(ids))
    assert mrr_bridge_table(ids + pad, months + pad, amounts + pad, "month", plans + pad) == rows
    by_quarter = mrr_bridge_table(ids, months, amounts, "quarter", plans)
    assert_rows_equal_frame(by_quarter, rollup(mrr_bridge(df, segment="plan"), "quarter"))


def test_segment_errors():
    ids, months, amounts = excel_ranges(HAND_ROWS)
    short = plan_column()[:-1]
    assert_error(mrr_bridge_table(ids, months, amounts, "month", short), "#VALUE!",
                 "customer_ids, months, mrr and segments must be ranges of the same size")
    with_error = plan_column()[:3] + ((NA,),) + plan_column()[4:]
    assert_error(mrr_bridge_table(ids, months, amounts, "month", with_error), "#N/A",
                 "segments, row 4 of the range holds #N/A")
    # an error in the ledger itself comes first (by argument)
    bad_ids = ids[:1] + (("#NUM!",),) + ids[2:]
    assert_error(mrr_bridge_table(bad_ids, months, amounts, "month", with_error), "#NUM!", "customer_ids, row 2")


def test_results_never_hold_nan_inf_or_numpy_values():
    df = generate_ledger(n_customers=200, n_months=15, seed=11)
    args = excel_ranges(list(df.itertuples(index=False)))
    plans = tuple(("Pro" if i % 3 else "Team",) for i in range(len(df)))
    for rows in (trailing_retention_table(*args), mrr_movements_table(*args), mrr_bridge_table(*args, "year", plans)):
        for row in rows[1:]:
            for v in row:
                assert not isinstance(v, (np.generic, ExcelError))
                assert not (isinstance(v, float) and not math.isfinite(v))
