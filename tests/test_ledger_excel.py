"""MRR_BRIDGE / COHORT_RETENTION adapters with what Excel really passes."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xl_kpi.excel_values import ERROR_CODES, ExcelError, to_serial
from xl_kpi.ledger import BRIDGE_COLUMNS, cohort_retention, mrr_bridge
from xl_kpi.ledger_excel import cohort_retention_table, mrr_bridge_table
from xl_kpi.refresh.report import BRIDGE_HEADERS
from xl_kpi.sample import generate_ledger
from tests.test_ledger import HAND_ROWS, hand_ledger

NA = -2146826246
DIV0 = -2146826281


def excel_ranges(rows, trailing_blanks=0, serial_every=2):
    """Ledger rows as three Excel columns (tuples of 1-tuples): every other month as a serial number."""
    ids, months, amounts = [], [], []
    for i, (c, m, v) in enumerate(rows):
        ts = pd.Timestamp(m).to_pydatetime()
        ids.append((c,))
        months.append((to_serial(ts),) if i % serial_every == 0 else (ts,))
        amounts.append((float(v),))
    blank = ((None,),) * trailing_blanks
    return tuple(ids) + blank, tuple(months) + blank, tuple(amounts) + blank


def assert_error(result, literal, reason_part=""):
    assert len(result) == 1 and len(result[0]) == 1
    err = result[0][0]
    assert isinstance(err, ExcelError) and str(err) == literal
    assert reason_part in err.reason, err.reason
    return err


def test_bridge_table_matches_python_and_ignores_trailing_blanks():
    result = mrr_bridge_table(*excel_ranges(HAND_ROWS, trailing_blanks=5000))
    # one vocabulary: the spilled header row is the refresh's MRRBridge table header
    assert result[0] == list(BRIDGE_HEADERS)
    assert result[0][8:13] == ["Customers Start", "New Customers", "Reactivated Customers", "Churned Customers",
                              "Customers End"]
    assert result[0][:3] == ["Month", "Starting MRR", "New MRR"]
    expected = mrr_bridge(hand_ledger())
    assert len(result) == 1 + len(expected)
    for row, (_, want) in zip(result[1:], expected.iterrows()):
        assert isinstance(row[0], dt.datetime) and row[0] == want["month"].to_pydatetime()
        for value, col in zip(row[1:], BRIDGE_COLUMNS[1:]):
            if isinstance(want[col], float) and math.isnan(want[col]):
                assert value == ""  # a blank cell, never inf or nan
            else:
                assert value == pytest.approx(want[col])
                assert isinstance(value, (int, float)) and not isinstance(value, np.generic)
    # the hand-worked figures, as a finance user reads them: April has no rows at all
    april = result[4]
    assert april[0] == dt.datetime(2024, 4, 1)
    assert april[1:8] == [190.0, 0.0, 0.0, 0.0, 0.0, 190.0, 0.0]
    assert april[-1] == ""  # ARPA with no customers


def test_whole_columns_selected():
    ids, months, amounts = excel_ranges(HAND_ROWS)
    pad = ((None,),) * (1_048_576 - len(ids))  # A:A in Excel: every row of the sheet
    assert mrr_bridge_table(ids + pad, months + pad, amounts + pad) == mrr_bridge_table(ids, months, amounts)
    assert cohort_retention_table(ids + pad, months + pad, amounts + pad) == cohort_retention_table(ids, months, amounts)


def test_lists_of_lists_flat_lists_numpy_and_rows():
    ids, months, amounts = excel_ranges(HAND_ROWS)
    reference = mrr_bridge_table(ids, months, amounts)
    as_lists = mrr_bridge_table([list(r) for r in ids], [list(r) for r in months], [list(r) for r in amounts])
    flat = mrr_bridge_table([r[0] for r in ids], [r[0] for r in months], [r[0] for r in amounts])
    horizontal = mrr_bridge_table((tuple(r[0] for r in ids),), (tuple(r[0] for r in months),),
                                  (tuple(r[0] for r in amounts),))
    numpy = mrr_bridge_table(np.array(ids, dtype=object), np.array(months, dtype=object), np.array(amounts))
    assert as_lists == reference and flat == reference and horizontal == reference and numpy == reference


def test_text_dates_and_integer_serials_and_numeric_ids():
    result = mrr_bridge_table([[1001.0], [1002.0], [1001.0]], [["2024-01-31"], [45292], ["2024-02-01"]],
                              [[10.0], [5.0], [12.0]])
    assert [r[0] for r in result[1:]] == [dt.datetime(2024, 1, 1), dt.datetime(2024, 2, 1)]
    assert [r[7] for r in result[1:]] == [15.0, 12.0]


def test_cohort_table_hand_worked():
    ids, months, amounts = excel_ranges(HAND_ROWS, trailing_blanks=10)
    result = cohort_retention_table(ids, months, amounts)
    assert result[0] == ["Cohort", 0, 1, 2, 3, 4, 5]
    assert [r[0] for r in result[1:]] == ["2024-01", "2024-03", "2024-05"]
    assert result[2] == ["2024-03", 1.0, 0.0, 0.0, 1.0, "", ""]
    assert result[3] == ["2024-05", 1.0, 1.0, "", "", "", ""]
    np.testing.assert_allclose(result[1][1:], [1, 1 / 3, 2 / 3, 0, 1 / 3, 1 / 3])
    revenue = cohort_retention_table(ids, months, amounts, " Revenue ")
    assert revenue[3] == ["2024-05", 1.0, 1.25, "", "", "", ""]
    for blank in (None, "", "  "):
        assert cohort_retention_table(ids, months, amounts, blank) == result


def test_cohort_table_matches_python_on_sample():
    df = generate_ledger(n_customers=300, n_months=12, seed=8)
    ids = tuple((c,) for c in df["customer_id"])
    months = tuple((m.to_pydatetime(),) for m in df["month"])
    amounts = tuple((v,) for v in df["mrr"])
    for basis in ("logo", "revenue"):
        table = cohort_retention_table(ids, months, amounts, basis)
        want = cohort_retention(df, basis=basis)
        got = np.array([[np.nan if v == "" else v for v in row[1:]] for row in table[1:]], dtype=float)
        np.testing.assert_allclose(got, want.to_numpy())


@pytest.mark.parametrize(
    "args, literal, reason",
    [
        (([["a"], ["b"]], [[45292.0]], [[1.0], [2.0]]), "#VALUE!", "same size"),
        (([["a", "x"], ["b", "y"]], [[45292.0], [45292.0]], [[1.0], [2.0]]), "#VALUE!", "single column"),
        (([["a"], ["b"]], [[45292.0], [45292.0]], [[1.0], ["lots"]]), "#VALUE!",
         "mrr, row 2 of the range: 'lots' is not a number"),
        (([["a"], ["b"]], [[45292.0], ["someday"]], [[1.0], [2.0]]), "#VALUE!",
         "months, row 2 of the range: 'someday' is not a date"),
        (([["a"], ["b"]], [[45292.0], [45292.0]], [[1.0], [-2.0]]), "#VALUE!", "customer 'b' nets to -2 in Jan 2024 (row 2)"),
        (([["a"], [None], ["c"]], [[45292.0], [45292.0], [45292.0]], [[1.0], [2.0], [3.0]]), "#VALUE!",
         "customer_ids, row 2 of the range: the customer id is blank"),
        (([["a"], ["b"]], [[45292.0], [45292.0]], [[1.0], [True]]), "#VALUE!", "True is not a number"),
        (([[None], [None]], [[None], [None]], [[None], [None]]), "#VALUE!", "blank"),
        (((), (), ()), "#VALUE!", "blank"),
        (([["a"], ["b"]], [[45292.0], [NA]], [[1.0], [DIV0]]), "#N/A", "months, row 2 of the range holds #N/A"),
        (([["a"], ["#REF!"]], [[45292.0], [45292.0]], [[1.0], [DIV0]]), "#REF!", "customer_ids, row 2"),
        (([["a"], ["b"]], [[45292.0], [45292.0]], [[1.0], ["#DIV/0!"]]), "#DIV/0!", "mrr, row 2"),
        (([["a"], [[1, 2]]], [[45292.0], [45292.0]], [[1.0], [2.0]]), "#VALUE!", ""),
    ],
)
def test_bad_input_gives_excel_errors(args, literal, reason):
    assert_error(mrr_bridge_table(*args), literal, reason)
    assert_error(cohort_retention_table(*args), literal, reason)


def test_basis_errors():
    args = ([["a"]], [[45292.0]], [[10.0]])
    assert_error(cohort_retention_table(*args, "logos"), "#VALUE!", "basis must be")
    assert_error(cohort_retention_table(*args, 3.0), "#VALUE!", "basis must be")
    assert_error(cohort_retention_table(*args, NA), "#N/A", "basis")
    assert_error(cohort_retention_table(*args, "#N/A"), "#N/A", "basis")


# --------------------------------------------------------------------------- fuzz: never raise

CELLS = st.one_of(
    st.none(), st.just(""), st.just("  "), st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=0, max_value=1e6), st.floats(min_value=40000, max_value=50000),
    st.integers(min_value=-10, max_value=3_000_000), st.sampled_from(list(ERROR_CODES)),
    st.sampled_from(["#N/A", "#VALUE!", "2024-02-30", "2024-03-15", "abc", "1e3", "-5", "a", "b"]),
    st.booleans(), st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.dates(min_value=dt.date(1, 1, 1)),
)
IDS = st.one_of(st.sampled_from(["a", "b", "c", "", None]), st.floats(allow_nan=True), CELLS)


def shaped(column, shape):
    if shape == "tuples":
        return tuple((v,) for v in column)
    if shape == "lists":
        return [[v] for v in column]
    if shape == "flat":
        return list(column)
    if shape == "wide":
        return [[v, v] for v in column]
    if shape == "ragged":
        return [[v] * (1 + i % 2) for i, v in enumerate(column)]
    return column[0] if column else None  # a scalar


SHAPES = st.sampled_from(["tuples", "tuples", "tuples", "lists", "flat", "wide", "ragged", "scalar"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(0, 12), data=st.data())
def test_fuzz_adapters_never_raise(n, data):
    ids = data.draw(st.lists(IDS, min_size=n, max_size=n))
    months = data.draw(st.lists(CELLS, min_size=n, max_size=n + data.draw(st.integers(0, 1))))
    amounts = data.draw(st.lists(CELLS, min_size=n, max_size=n))
    args = [shaped(c, data.draw(SHAPES)) for c in (ids, months, amounts)]
    basis = data.draw(st.one_of(st.sampled_from(["logo", "revenue", "x"]), CELLS))
    for result in (mrr_bridge_table(*args), cohort_retention_table(*args, basis)):
        assert isinstance(result, list) and result and all(isinstance(r, list) for r in result)
        if isinstance(result[0][0], ExcelError):
            assert len(result) == 1 and len(result[0]) == 1 and result[0][0].reason
        else:
            width = len(result[0])
            for row in result[1:]:
                assert len(row) == width
                for v in row[1:]:
                    assert v == "" or (isinstance(v, (int, float)) and math.isfinite(v))


GOOD_MONTH = st.one_of(
    st.datetimes(min_value=dt.datetime(2023, 1, 1), max_value=dt.datetime(2024, 12, 31)),
    st.floats(min_value=44927, max_value=45657),  # serials inside 2023-2024
    st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2024, 12, 31)).map(str),
)
GOOD_ROW = st.tuples(st.sampled_from(["a", "b", "c", "d", 7.0]), GOOD_MONTH,
                     st.one_of(st.just(0.0), st.floats(min_value=0.01, max_value=1e5)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(GOOD_ROW, min_size=1, max_size=25), blanks=st.integers(0, 3), shape=SHAPES)
def test_fuzz_valid_ledgers_agree_with_python(rows, blanks, shape):
    if shape in ("wide", "ragged", "scalar"):
        shape = "tuples"
    columns = [list(c) + [None] * blanks for c in zip(*rows)]
    result = mrr_bridge_table(*[shaped(c, shape) for c in columns])
    df = pd.DataFrame(rows, columns=["customer_id", "month", "mrr"], dtype=object)
    want = mrr_bridge(df)
    assert len(result) == len(want) + 1, result[0][0]
    for row, (_, w) in zip(result[1:], want.iterrows()):
        assert row[0] == w["month"]
        for value, col in zip(row[1:], BRIDGE_COLUMNS[1:]):
            assert value == "" if pd.isna(w[col]) else value == pytest.approx(w[col])
    cohorts = cohort_retention_table(*[shaped(c, shape) for c in columns])
    assert len(cohorts) == len(cohort_retention(df)) + 1
