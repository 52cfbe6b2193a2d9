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
from xl_kpi.ledger_excel import (cohort_retention_table, mrr_bridge_table, mrr_movements_table,
                                  trailing_retention_table)
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
    (0, "#NUM!", "window must be a whole number"), (2.5, "#NUM!", "window must be a whole number"),
    (-12.0, "#NUM!", "window must be a whole number"), ("0", "#NUM!", "window must be a whole number"),
    ("twelve", "#VALUE!", "window must be a whole number"), (True, "#VALUE!", "window must be a whole number"),
    # Python's float() reads these; Excel does not read them as numbers
    ("1_2", "#VALUE!", "window must be a whole number"), ("nan", "#VALUE!", "window must be a whole number"),
    ("inf", "#VALUE!", "window must be a whole number"),
    (NA, "#N/A", "window holds #N/A"), ("#DIV/0!", "#DIV/0!", "window holds #DIV/0!"),
    (((3.0, 4.0),), "#VALUE!", "window must be a single value"),
])
def test_trailing_window_errors(window, literal, reason):
    assert_error(trailing_retention_table(*excel_ranges(HAND_ROWS), window), literal, reason)


def test_trailing_blank_window_is_twelve_and_a_one_cell_range_is_its_value():
    args = excel_ranges(HAND_ROWS)
    assert trailing_retention_table(*args, " 3 ") == trailing_retention_table(*args, 3)  # numeric text, as Excel
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


# --------------------------------------------------------------------------- [fiscal_year_start] and cohort [period]
# The hand ledger's months (tests/test_ledger.HAND_BRIDGE), rolled up by hand:
#              start  new  exp  react  con  churn  end  c_start new react churned c_end months partial
FISCAL_FEB_QUARTERS = {  # a fiscal year starting in February: Nov-Jan is Q4, Feb-Apr Q1, May-Jul Q2
    "FY2024-Q4": (0,   180, 0,   0,    0,   0,    180, 0,      3,  0,    0,      3,    1,     True),   # Jan only
    "FY2025-Q1": (180, 40,  20,  30,   0,   270,  0,   3,      1,  1,    5,      0,    3,     False),  # Feb-Apr
    "FY2025-Q2": (0,   200, 50,  160,  30,  0,    380, 0,      1,  2,    0,      3,    2,     True),   # May-Jun
}
FISCAL_APRIL_YEARS = {  # April - March: Jan-Mar 2024 close FY2024, Apr-Jun 2024 open FY2025
    "FY2024": (0,   220, 20, 30,  0,  80,  190, 0, 4, 1, 2, 3, 3, True),
    "FY2025": (190, 200, 50, 160, 30, 190, 380, 3, 1, 2, 3, 3, 3, True),
}
_MONEY_AND_COUNTS = ("Starting MRR", "New MRR", "Expansion MRR", "Reactivation MRR", "Contraction MRR", "Churned MRR",
                     "Ending MRR", "Customers Start", "New Customers", "Reactivated Customers",
                     "Churned Customers", "Customers End", "Months", "Partial")


def _by_period(rows):
    """{period name: values of _MONEY_AND_COUNTS} from spilled rows."""
    where = [rows[0].index(h) for h in _MONEY_AND_COUNTS]
    return {row[0]: tuple(row[j] for j in where) for row in rows[1:]}


@pytest.mark.parametrize("period, start, want", [("quarter", 2, FISCAL_FEB_QUARTERS), ("year", 4, FISCAL_APRIL_YEARS),
                                                 ("Quarter", "2", FISCAL_FEB_QUARTERS), ("year", ((4.0,),), FISCAL_APRIL_YEARS)])
def test_bridge_fiscal_periods_hand_worked(period, start, want):
    rows = mrr_bridge_table(*excel_ranges(HAND_ROWS, trailing_blanks=1000), period, None, start)
    assert rows[0][-2:] == ["Months", "Partial"]
    assert _by_period(rows) == want
    for row in rows[1:]:  # the bridge identity per period
        s, n, e, r, c, ch, end = _by_period([rows[0], row])[row[0]][:7]
        assert s + n + e + r - c - ch == pytest.approx(end)
    assert_rows_equal_frame(rows, rollup(mrr_bridge(hand_ledger()), period.lower(), int(float(str(np.ravel(start)[0])))))


def test_bridge_fiscal_quarter_dates_and_calendar_default():
    args = excel_ranges(HAND_ROWS)
    feb = mrr_bridge_table(*args, "quarter", None, 2)
    assert [row[:3] for row in feb[1:]] == [
        ["FY2024-Q4", dt.datetime(2023, 11, 1), dt.datetime(2024, 1, 1)],
        ["FY2025-Q1", dt.datetime(2024, 2, 1), dt.datetime(2024, 4, 1)],
        ["FY2025-Q2", dt.datetime(2024, 5, 1), dt.datetime(2024, 7, 1)]]
    calendar = mrr_bridge_table(*args, "quarter")
    assert [row[0] for row in calendar[1:]] == ["2024-Q1", "2024-Q2"]
    # omitted, blank cell, empty text and 1 all mean calendar periods
    for blank in (None, "", "  ", 1, 1.0, ((None,),)):
        assert mrr_bridge_table(*args, "quarter", None, blank) == calendar
    # by month the setting changes nothing (but is still checked)
    assert mrr_bridge_table(*args, "month", None, 7) == mrr_bridge_table(*args)
    assert_error(mrr_bridge_table(*args, "month", None, 0), "#NUM!", "fiscal_year_start must be a month number")


def test_bridge_fiscal_periods_by_segment_add_up_to_the_total():
    ids, months, amounts = excel_ranges(HAND_ROWS)
    rows = mrr_bridge_table(ids, months, amounts, "quarter", plan_column(), 2)
    df = hand_ledger().assign(plan=[PLANS[c] for c, _, _ in HAND_ROWS])
    assert_rows_equal_frame(rows, rollup(mrr_bridge(df, segment="plan"), "quarter", 2))
    total = _by_period(mrr_bridge_table(ids, months, amounts, "quarter", None, 2))
    seg = {}
    for row in rows[1:]:
        values = _by_period([rows[0][1:], row[1:]])[row[1]]
        seg[row[1]] = [a + b for a, b in zip(seg.get(row[1], [0] * 12), values[:12])]
    assert {k: tuple(v) for k, v in seg.items()} == {k: v[:12] for k, v in total.items()}


FISCAL_ERRORS = [
    (0, "#NUM!"), (13, "#NUM!"), (-1.0, "#NUM!"), (4.5, "#NUM!"), ("4.5", "#NUM!"), (1e300, "#NUM!"),
    ("April", "#VALUE!"), (True, "#VALUE!"), (dt.datetime(2024, 4, 1), "#VALUE!"),
    (NA, "#N/A"), ("#REF!", "#REF!"), (-2146826281, "#DIV/0!"), (((4.0, 5.0),), "#VALUE!"),
]


@pytest.mark.parametrize("value, literal", FISCAL_ERRORS)
def test_fiscal_year_start_errors(value, literal):
    args = excel_ranges(HAND_ROWS)
    for result in (mrr_bridge_table(*args, "quarter", None, value),
                   cohort_retention_table(*args, "logo", "quarter", value)):
        err = assert_error(result, literal, "fiscal_year_start")
        assert "\n" not in err.reason


# Cohorts of the hand ledger: first active months A, B, D Jan; C Mar (its Feb row is 0); E May.
# Calendar quarters: 2024-Q1 = {A, B, D, C}, read at the end of March (A 120, C 40, D 30) and of June (A 90, C 40);
# 2024-Q2 = {E}, June 250. Starting MRR: Q1 100 + 50 + 30 + 40 = 220, Q2 200.
HAND_QUARTER_COHORTS = {
    "logo": [["Cohort", 0, 1], ["2024-Q1", 3 / 4, 2 / 4], ["2024-Q2", 1.0, ""]],
    "revenue": [["Cohort", 0, 1], ["2024-Q1", 190 / 220, 130 / 220], ["2024-Q2", 250 / 200, ""]],
}


@pytest.mark.parametrize("basis", ["logo", "revenue"])
def test_cohort_quarters_hand_worked(basis):
    rows = cohort_retention_table(*excel_ranges(HAND_ROWS, trailing_blanks=5000), basis, "quarter")
    want = HAND_QUARTER_COHORTS[basis]
    assert rows[0] == want[0] and [r[0] for r in rows] == [r[0] for r in want]
    for got, expected in zip(rows[1:], want[1:]):
        assert got[1:] == [pytest.approx(v) if v != "" else "" for v in expected[1:]]


def test_cohort_fiscal_quarters_hand_worked():
    # February fiscal years: Nov-Jan (FY2024-Q4) = {A, B, D}, all active at its end (Jan), nobody at the end of
    # FY2025-Q1 (April), FY2025-Q2 ends in July, after the data; Feb-Apr = {C}: inactive in April; May-Jul = {E}.
    rows = cohort_retention_table(*excel_ranges(HAND_ROWS), None, "quarter", 2)
    assert rows == [["Cohort", 0, 1, 2], ["FY2024-Q4", 1.0, 0.0, ""], ["FY2025-Q1", 0.0, "", ""],
                    ["FY2025-Q2", "", "", ""]]
    years = cohort_retention_table(*excel_ranges(HAND_ROWS), "revenue", "year", 4)  # FY2024 = {A, B, D, C}: March
    assert [r[0] for r in rows[1:]] and years[0] == ["Cohort", 0, 1]
    assert years[1][0] == "FY2024" and years[1][1] == pytest.approx(190 / 220) and years[1][2] == ""
    assert years[2] == ["FY2025", "", ""]  # E's fiscal year ends in March 2025


def test_cohort_period_month_blank_and_errors():
    args = excel_ranges(HAND_ROWS)
    monthly = cohort_retention_table(*args)
    for blank in (None, "", "month", " Month "):
        assert cohort_retention_table(*args, None, blank) == monthly
    assert cohort_retention_table(*args, "revenue", "month", 4) == cohort_retention_table(*args, "revenue")
    assert_error(cohort_retention_table(*args, "logo", "week"), "#VALUE!", 'period must be "month", "quarter" or')
    assert_error(cohort_retention_table(*args, "logo", NA), "#N/A", "period holds #N/A")
    assert_error(cohort_retention_table(*args, "logo", 3.0), "#VALUE!", "period must be")


def test_cohort_periods_match_python_on_a_random_ledger():
    from xl_kpi.ledger import cohort_retention

    df = generate_ledger(n_customers=250, n_months=27, seed=5)
    args = excel_ranges(list(df.itertuples(index=False)), trailing_blanks=100)
    for basis, period, start in (("logo", "quarter", 1), ("revenue", "quarter", 7), ("logo", "year", 4)):
        rows = cohort_retention_table(*args, basis, period, start)
        want = cohort_retention(df, basis=basis, period=period, fiscal_year_start=start)
        assert rows[0] == ["Cohort", *range(want.shape[1])] and len(rows) == 1 + len(want)
        got = np.array([[np.nan if v == "" else v for v in row[1:]] for row in rows[1:]], dtype=float)
        np.testing.assert_allclose(got, want.to_numpy(float), rtol=1e-12, equal_nan=True)
