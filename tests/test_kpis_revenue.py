"""Recurring revenue: catalog examples, MRR's range handling, identities, broadcasting and errors."""

from __future__ import annotations

import math

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import xl_kpi
from xl_kpi.errors import KPIDivisionByZeroError, KPIDomainError, KPIValueError
from xl_kpi.kpis import REGISTRY
from xl_kpi.kpis.definition import _names_in

from .libreoffice import computed as libreoffice_computed
from .libreoffice import soffice, write_kpi_row

FAMILY = ("MRR", "ARR", "ARPA", "MRR_GROWTH_RATE", "NET_NEW_MRR", "SAAS_QUICK_RATIO")
ELEMENTWISE = FAMILY[1:]

# Integer-valued money keeps sums exact, so identities can be checked with ==.
whole_money = st.integers(min_value=0, max_value=10**9).map(float)
money = st.floats(min_value=0, max_value=1e9, allow_nan=False)
positive_money = st.floats(min_value=1e-3, max_value=1e9, allow_nan=False)
billing = st.sampled_from([1.0, 3.0, 6.0, 12.0, 24.0, 36.0])

# --------------------------------------------------------------------------- the catalog
# (worked examples, signatures, family: tests/test_catalog.py, for every KPI)


@pytest.mark.parametrize("name", FAMILY)
def test_excel_formula_names_only_its_own_arguments(name):
    d = REGISTRY[name]
    lower = {n for n in _names_in(d.excel) if not n.isupper()}
    assert lower <= set(d.arg_names)
    assert set(d.arg_names) - {"reactivation_mrr", "billing_months"} <= lower  # every required input is used
    for den in d.denominators:
        assert {n for n in _names_in(den)} <= set(d.arg_names)
    refs = {a: f"Sheet1!$B${k + 2}" for k, a in enumerate(d.arg_names)}
    rendered = d.excel_formula(refs)
    assert not ({n for n in _names_in(rendered) if not n.isupper()} - {"Sheet1"})


def test_denominators_and_units():
    # What the denominators mean, as behaviour: a zero one is #DIV/0!, with a reason naming it ...
    with pytest.raises(KPIDivisionByZeroError, match="customers"):
        xl_kpi.arpa(1000, 0)
    with pytest.raises(KPIDivisionByZeroError, match="mrr_previous"):
        xl_kpi.mrr_growth_rate(1000, 0)
    with pytest.raises(KPIDivisionByZeroError, match="contraction_mrr\\+churned_mrr"):
        xl_kpi.saas_quick_ratio(100, 50, 0, 0, 10)
    # ... and sums without one are defined on all zeros.
    assert xl_kpi.net_new_mrr(0, 0, 0, 0) == 0 and xl_kpi.arr(0) == 0
    # MRR's billing range makes a scalar IF guard meaningless; SUMPRODUCT of blanks is 0 anyway.
    assert REGISTRY["MRR"].excel_guarded_formula({"amounts": "A1:A9", "billing_months": "B1:B9"}) == (
        "SUMPRODUCT(A1:A9/B1:B9)"
    )
    assert REGISTRY["SAAS_QUICK_RATIO"].excel_guarded_formula({a: f"X{k}" for k, a in enumerate(
        REGISTRY["SAAS_QUICK_RATIO"].arg_names)}) == 'IF((X2+X3)=0,"",(X0+X1+X4)/(X2+X3))'
    assert REGISTRY["MRR_GROWTH_RATE"].unit.name == "fraction"
    assert REGISTRY["SAAS_QUICK_RATIO"].unit.name == "ratio"
    assert {REGISTRY[n].unit.name for n in ("MRR", "ARR", "ARPA", "NET_NEW_MRR")} == {"money"}


# --------------------------------------------------------------------------- MRR over a range


def test_mrr_normalises_billing_periods_element_by_element():
    # monthly 100, annual 1200 (-> 100), quarterly 300 (-> 100), biennial 4800 (-> 200)
    assert xl_kpi.mrr([100, 1200, 300, 4800], [1, 12, 3, 24]) == 500.0


@pytest.mark.parametrize(
    "amounts,billing_months,expected",
    [
        (((100.0, 1200.0), (None, 300.0)), ((1.0, 12.0), (None, 3.0)), 300.0),  # Excel range, blank row
        (np.array([[100.0, np.nan], [50.0, 25.0]]), 1, 175.0),
        (np.array([[100, None], [50, 25]], dtype=object), 1, 175.0),
        (np.full((2, 3, 4), 24.0), np.full((2, 3, 4), 12.0), 48.0),  # any dimension
        (pd.Series([1200.0, None, 600.0]), pd.Series([12.0, None, 6.0]), 200.0),
        (pd.Series([1200, 2400]), 12, 300.0),
        (pd.Series([1200, None, 2400], dtype="Int64"), 12, 300.0),  # pandas' nullable integers
        ((1200.0,), 12, 100.0),
        (250, 1, 250.0),
        ([250, 250], [[1]], 500.0),  # a one-cell billing range is one number
    ],
)
def test_mrr_accepts_every_range_shape_and_ignores_blanks(amounts, billing_months, expected):
    value = xl_kpi.mrr(amounts, billing_months)
    assert type(value) is float
    assert value == expected


@pytest.mark.parametrize("empty", [[], (), None, [None, None], np.array([]), np.full((3, 2), np.nan),
                                   pd.Series([], dtype=float)])
def test_an_empty_book_has_no_mrr(empty):
    assert xl_kpi.mrr(empty) == 0.0
    assert xl_kpi.mrr(empty, 12) == 0.0


def test_a_blank_amount_skips_its_billing_period_too():
    # A blank row at the end of an input table: neither cell is filled.
    assert xl_kpi.mrr([1200, None], [12, None]) == 100.0
    assert xl_kpi.mrr([1200, None], [12, 0]) == 100.0


@pytest.mark.parametrize(
    "args,error,words",
    [
        (([100, 200], [1, 0]), KPIDivisionByZeroError, r"billing_months must be > 0, got 0 at position 1"),
        ((100, 0), KPIDivisionByZeroError, "billing_months must be > 0, got 0"),
        ((100, -12), KPIDomainError, "billing_months must be finite and > 0, got -12"),
        ((100, float("inf")), KPIDomainError, "billing_months must be finite"),
        (([100, -5], 1), KPIDomainError, r"amounts must be finite and >= 0, got -5 at position 1"),
        (([[1.0, 2.0], [3.0, float("inf")]], 1), KPIDomainError, r"amounts .* at position \(1, 1\)"),
        (([100, 200], [1, None]), KPIValueError, "billing_months is blank next to an amount"),
        ((100, None), KPIValueError, "billing_months is blank"),
        (([100, 200], [1, 2, 3]), KPIValueError, "billing_months must be one number or a range the size of amounts"),
        (([[1, 2], [3, 4]], [1, 12]), KPIValueError, "billing_months must be one number or a range"),
        ((((1.0, 2.0), (3.0,)), 1), KPIValueError, "amounts is not a rectangular range"),
        ((["100", 200],), KPIValueError, "amounts must hold numbers"),
        (([100, "x"],), KPIValueError, "amounts must hold numbers"),
        (("100",), KPIValueError, "amounts must be a number"),
        (([100, 200], "12"), KPIValueError, "billing_months must be a number"),
        (([True, False],), KPIValueError, "amounts must hold numbers"),
        (([100.0, True],), KPIValueError, r"amounts must hold numbers, got True at position 1"),
        (([100.0, 200.0], (12, False)), KPIValueError, "billing_months must hold numbers, got False"),
        ((((1.0, 2.0), 3.0), 1), KPIValueError, "amounts is not a rectangular range"),
    ],
)
def test_mrr_errors_name_the_argument(args, error, words):
    with pytest.raises(error, match=words):
        xl_kpi.mrr(*args)


def test_mrr_error_carries_its_excel_error():
    with pytest.raises(ValueError) as exc:
        xl_kpi.mrr([1, 2], [1, 0])
    assert exc.value.excel_error == "#DIV/0!"


amount_lists = st.lists(st.one_of(st.none(), money), min_size=0, max_size=40)


@given(amounts=amount_lists, data=st.data())
def test_mrr_equals_an_independent_sum(amounts, data):
    months = data.draw(st.lists(billing, min_size=len(amounts), max_size=len(amounts)))
    expected = math.fsum(a / m for a, m in zip(amounts, months) if a is not None)
    assert xl_kpi.mrr(amounts, months) == pytest.approx(expected, rel=1e-12, abs=1e-9)
    # One billing period for all: the total divided once.
    total = math.fsum(a for a in amounts if a is not None)
    assert xl_kpi.mrr(amounts, 12) == pytest.approx(total / 12, rel=1e-12, abs=1e-9)


@given(amounts=st.lists(money, min_size=1, max_size=30), data=st.data())
def test_mrr_ignores_inserted_blanks_and_any_reshaping(amounts, data):
    base = xl_kpi.mrr(amounts)
    spot = data.draw(st.integers(0, len(amounts)))
    assert xl_kpi.mrr(amounts[:spot] + [None] + amounts[spot:]) == pytest.approx(base, rel=1e-12)
    if len(amounts) % 2 == 0:
        assert xl_kpi.mrr(np.array(amounts).reshape(2, -1)) == pytest.approx(base, rel=1e-12)


@given(amounts=st.lists(money, min_size=0, max_size=30))
def test_arr_is_twelve_times_mrr(amounts):
    assert xl_kpi.arr(xl_kpi.mrr(amounts)) == pytest.approx(12 * xl_kpi.mrr(amounts), rel=1e-15)
    # ... and an annual plan's MRR x 12 is its yearly price.
    assert xl_kpi.arr(xl_kpi.mrr(amounts, 12)) == pytest.approx(math.fsum(amounts), rel=1e-12, abs=1e-9)


# --------------------------------------------------------------------------- identities


@given(starting=whole_money, new=whole_money, expansion=whole_money, reactivation=whole_money,
       contraction=whole_money, churned=whole_money)
def test_net_new_mrr_is_ending_minus_starting_of_a_bridge(starting, new, expansion, reactivation, contraction,
                                                           churned):
    assume(contraction + churned <= starting)  # losses come out of the starting book
    ending = starting + new + expansion + reactivation - contraction - churned
    assert xl_kpi.net_new_mrr(new, expansion, contraction, churned, reactivation) == ending - starting
    if starting > 0:
        growth = xl_kpi.mrr_growth_rate(ending, starting)
        assert growth == pytest.approx((ending - starting) / starting, rel=1e-12)
        assert growth >= -1.0


@given(new=whole_money, expansion=whole_money, reactivation=whole_money, contraction=whole_money,
       churned=whole_money)
def test_quick_ratio_above_one_exactly_when_mrr_grew(new, expansion, reactivation, contraction, churned):
    assume(contraction + churned > 0)
    quick = xl_kpi.saas_quick_ratio(new, expansion, contraction, churned, reactivation)
    net = xl_kpi.net_new_mrr(new, expansion, contraction, churned, reactivation)
    assert (quick > 1) == (net > 0)
    assert (quick == 1) == (net == 0)
    assert quick == pytest.approx((new + expansion + reactivation) / (contraction + churned), rel=1e-15)


@given(mrr=positive_money, customers=st.integers(1, 10**6).map(float))
def test_arpa_times_customers_is_mrr(mrr, customers):
    assert xl_kpi.arpa(mrr, customers) * customers == pytest.approx(mrr, rel=1e-12)


@given(previous=positive_money, growth=st.floats(min_value=-1, max_value=100))
def test_growth_rate_recovers_the_growth(previous, growth):
    current = previous * (1 + growth)
    assert xl_kpi.mrr_growth_rate(current, previous) == pytest.approx(growth, rel=1e-9, abs=1e-9)


# --------------------------------------------------------------------------- broadcasting and errors

#: Three valid values per argument, for every element-wise KPI of the family.
VALID = {
    "ARR": {"mrr": [100.0, 0.0, 2500.5]},
    "ARPA": {"mrr": [120000.0, 0.0, 999.0], "customers": [200.0, 3.0, 7.5]},
    "MRR_GROWTH_RATE": {"mrr_current": [2000.0, 500.0, 0.0], "mrr_previous": [1000.0, 1000.0, 3.0]},
    "NET_NEW_MRR": {"new_mrr": [10000.0, 0.0, 5.0], "expansion_mrr": [5000.0, 1.0, 0.0],
                    "contraction_mrr": [2000.0, 0.0, 7.0], "churned_mrr": [3000.0, 9.0, 0.0],
                    "reactivation_mrr": [0.0, 4.0, 2.0]},
    "SAAS_QUICK_RATIO": {"new_mrr": [10000.0, 0.0, 5.0], "expansion_mrr": [5000.0, 1.0, 0.0],
                         "contraction_mrr": [2000.0, 0.0, 7.0], "churned_mrr": [3000.0, 9.0, 0.0],
                         "reactivation_mrr": [0.0, 4.0, 2.0]},
}

#: (KPI, argument, bad value, error, words of the message).
INVALID = [
    ("ARR", "mrr", -1.0, KPIDomainError, "mrr must be >= 0, got -1"),
    ("ARPA", "customers", 0.0, KPIDivisionByZeroError, "customers must be > 0, got 0"),
    ("ARPA", "customers", -2.0, KPIDomainError, "customers must be >= 0, got -2"),
    ("ARPA", "mrr", None, KPIValueError, "mrr is blank"),
    ("MRR_GROWTH_RATE", "mrr_previous", 0.0, KPIDivisionByZeroError, "mrr_previous must be > 0, got 0"),
    ("MRR_GROWTH_RATE", "mrr_current", -5.0, KPIDomainError, "mrr_current must be >= 0, got -5"),
    ("NET_NEW_MRR", "contraction_mrr", -200.0, KPIDomainError, "contraction_mrr must be >= 0, got -200"),
    ("NET_NEW_MRR", "reactivation_mrr", float("inf"), KPIDomainError, "reactivation_mrr must be a finite number"),
    ("SAAS_QUICK_RATIO", "churned_mrr", -1.0, KPIDomainError, "churned_mrr must be >= 0, got -1"),
    ("SAAS_QUICK_RATIO", "new_mrr", np.nan, KPIValueError, "new_mrr is blank"),
]


def _call(name, **kw):
    return getattr(xl_kpi, name.lower())(**kw)


def _scalar_row(name, k):
    return {a: v[k] for a, v in VALID[name].items()}


@pytest.mark.parametrize("name,arg,bad,error,words", INVALID, ids=[f"{n}-{a}" for n, a, *_ in INVALID])
def test_a_bad_element_is_nan_and_the_others_are_right(name, arg, bad, error, words):
    kw = {a: list(v) for a, v in VALID[name].items()}
    kw[arg][1] = bad
    if bad is None:
        kw[arg] = np.array(kw[arg], dtype=object)
    result = _call(name, **kw)
    assert np.isnan(result[1])
    for k in (0, 2):
        assert result[k] == _call(name, **_scalar_row(name, k))


@pytest.mark.parametrize("name,arg,bad,error,words", INVALID, ids=[f"{n}-{a}" for n, a, *_ in INVALID])
def test_a_bad_scalar_raises_naming_the_argument(name, arg, bad, error, words):
    kw = {**_scalar_row(name, 0), arg: bad}
    with pytest.raises(error, match=words):
        _call(name, **kw)


def test_zero_losses_have_no_quick_ratio():
    with pytest.raises(KPIDivisionByZeroError, match="contraction_mrr\\+churned_mrr must not be 0"):
        xl_kpi.saas_quick_ratio(100, 50, 0, 0)
    assert np.isnan(xl_kpi.saas_quick_ratio([100, 100], 50, [0, 10], 0)).tolist() == [True, False]


def test_text_and_mismatched_shapes_raise_for_the_whole_call():
    with pytest.raises(KPIValueError, match="customers must be a number"):
        xl_kpi.arpa(100, "5")
    with pytest.raises(KPIValueError, match="shapes do not match"):
        xl_kpi.net_new_mrr([1, 2, 3], [1, 2], 0, 0)


# --------------------------------------------------------------------------- a real spreadsheet engine


def test_native_formulas_agree_with_python_in_libreoffice(tmp_path):
    """The templates' formulas, LibreOffice-computed on inputs beyond the catalog's examples.

    Covers MRR over ranges (a billing range the size of the amounts, blanks in
    the amounts) and every element-wise KPI on the VALID rows.
    """
    if soffice() is None:
        pytest.fail("LibreOffice (soffice) is needed: apt-get install -y libreoffice-calc-nogui")
    wb = openpyxl.Workbook()
    ws = wb.active
    expected: dict[str, float] = {}
    row = 1
    mrr_cases = [
        ([100.0, 1200.0, None, 300.0], [1.0, 12.0, 6.0, 3.0]),
        ([1200.0, 2400.0, 600.0], 12.0),
        ([99.5, None, 10.25], 1.0),
    ]
    for amounts, months in mrr_cases:
        for k, a in enumerate(amounts):
            ws.cell(row=row + k, column=2, value=a)
            if isinstance(months, list):
                ws.cell(row=row + k, column=3, value=months[k])
        ws.cell(row=row, column=4, value=months if not isinstance(months, list) else None)
        bill = f"C{row}:C{row + len(amounts) - 1}" if isinstance(months, list) else f"D{row}"
        refs = {"amounts": f"B{row}:B{row + len(amounts) - 1}", "billing_months": bill}
        ws.cell(row=row, column=1, value="=" + REGISTRY["MRR"].excel_guarded_formula(refs))
        expected[f"A{row}"] = xl_kpi.mrr(amounts, months)
        row += len(amounts) + 1
    for name in ELEMENTWISE:
        d = REGISTRY[name]
        for k in range(3):
            values = _scalar_row(name, k)
            expected[write_kpi_row(ws, row, d, values)] = _call(name, **values)
            row += 1
    computed = libreoffice_computed(wb, tmp_path, "revenue").active
    for ref, value in expected.items():
        # LibreOffice keeps 15 significant digits.
        assert computed[ref].value == pytest.approx(value, rel=1e-12, abs=1e-12), ref
