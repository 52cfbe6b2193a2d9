"""Acquisition and unit economics: catalog examples, identities, CAC's summed spend, broadcasting, errors."""

from __future__ import annotations


import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import xl_kpi
from xl_kpi.errors import KPIDivisionByZeroError, KPIDomainError, KPIValueError
from xl_kpi.kpis import REGISTRY
from xl_kpi.kpis.definition import _names_in

from .libreoffice import computed as libreoffice_computed
from .libreoffice import soffice, write_kpi_row

FAMILY = ("CAC", "CAC_PAYBACK_MONTHS", "CLV", "CLV_FROM_LIFETIME", "LTV_CAC_RATIO", "GROSS_MARGIN",
          "BURN_MULTIPLE", "RULE_OF_40", "MAGIC_NUMBER")

money = st.floats(min_value=0, max_value=1e9, allow_nan=False)
positive_money = st.floats(min_value=1e-2, max_value=1e9, allow_nan=False)
margin = st.floats(min_value=1e-3, max_value=1.0)
churn = st.floats(min_value=1e-3, max_value=1.0)

# --------------------------------------------------------------------------- the catalog
# (worked examples, signatures, family: tests/test_catalog.py, for every KPI)


def test_clv_worked_examples_to_the_catalogs_digits():
    assert xl_kpi.clv(300, 0.15) == pytest.approx(2000.0, rel=1e-9)
    assert xl_kpi.clv(500, 1 / 36) == pytest.approx(18000.0, rel=1e-9)
    assert xl_kpi.clv(100, 0.05, 0.8, 0.01) == pytest.approx(1346.667, rel=1e-6)
    assert xl_kpi.clv(100, 0.05, 0.8, 0.01) == pytest.approx(80 * 1.01 / 0.06, rel=1e-12)


@pytest.mark.parametrize("name", FAMILY)
def test_excel_formula_names_only_its_own_arguments(name):
    d = REGISTRY[name]
    lower = {n for n in _names_in(d.excel) if not n.isupper()}
    assert lower == set(d.arg_names)  # every argument used, nothing else
    for den in d.denominators:
        assert set(_names_in(den)) <= set(d.arg_names)
    refs = {a: f"Inputs!$C${k + 2}" for k, a in enumerate(d.arg_names)}
    for rendered in (d.excel_formula(refs), d.excel_guarded_formula(refs)):
        assert {n for n in _names_in(rendered) if not n.isupper()} == {"Inputs"}


def test_domains_denominators_and_units():
    arg = {(n, a.name): a for n in FAMILY for a in REGISTRY[n].args}
    assert arg["CLV", "churn_rate"].domain.name == "unit_interval"
    assert arg["CLV", "gross_margin"].domain.name == "unit_interval"
    assert arg["CAC_PAYBACK_MONTHS", "gross_margin"].domain.name == "unit_interval"
    assert arg["CLV", "discount_rate"].domain.name == "nonneg"
    assert arg["BURN_MULTIPLE", "net_burn"].domain.name == "any"
    assert arg["RULE_OF_40", "revenue_growth_rate"].domain.name == "any"
    assert arg["RULE_OF_40", "profit_margin"].domain.name == "any"
    assert arg["CAC", "sales_marketing_spend"].summed
    assert [a.name for n in FAMILY for a in REGISTRY[n].args if a.summed] == ["sales_marketing_spend"]
    # Denominators as behaviour: CLV is undefined only when churn and discount are both 0 ...
    with pytest.raises(KPIDivisionByZeroError, match="churn_rate\\+discount_rate"):
        xl_kpi.clv(100, 0, 1, 0)
    assert xl_kpi.clv(100, 0, 1, 0.01) == pytest.approx(100 * 1.01 / 0.01)
    # ... payback when the margin-weighted MRR is 0, whichever factor is 0 ...
    for mrr_per_customer, margin in ((0, 0.8), (100, 0)):
        with pytest.raises(KPIDivisionByZeroError, match="mrr_per_customer\\*gross_margin"):
            xl_kpi.cac_payback_months(1000, mrr_per_customer, margin)
    # ... and the sums and products are defined on zeros.
    assert xl_kpi.rule_of_40(0, 0) == 0 and xl_kpi.clv_from_lifetime(0, 0) == 0
    assert REGISTRY["CLV"].excel_guarded_formula({"arpa": "A", "churn_rate": "B", "gross_margin": "C",
                                                  "discount_rate": "D"}) == 'IF((B+D)=0,"",A*C*(1+D)/(B+D))'
    units = {n: REGISTRY[n].unit.name for n in FAMILY}
    assert units == {"CAC": "money", "CAC_PAYBACK_MONTHS": "periods", "CLV": "money", "CLV_FROM_LIFETIME": "money",
                     "LTV_CAC_RATIO": "ratio", "GROSS_MARGIN": "fraction", "BURN_MULTIPLE": "ratio",
                     "RULE_OF_40": "fraction", "MAGIC_NUMBER": "ratio"}


# --------------------------------------------------------------------------- CAC's summed spend


def test_cac_totals_a_range_of_spend_first():
    value = xl_kpi.cac([6000, 8000], 10)
    assert type(value) is float and value == 1400.0
    assert xl_kpi.cac(((6000.0,), (None,), (8000.0,)), 10) == 1400.0  # an Excel column with a blank
    assert xl_kpi.cac(np.array([[1000.0, 2000.0], [3000.0, np.nan]]), 6) == 1000.0
    assert xl_kpi.cac(pd.Series([500.0, 1500.0]), 4) == 500.0
    # one total against several new-customer counts
    np.testing.assert_array_equal(xl_kpi.cac([6000, 8000], [10, 20, 0]), [1400.0, 700.0, np.nan])
    # a credit line inside the range is fine as long as the total is not negative
    assert xl_kpi.cac([6000, -1000], 5) == 1000.0


@pytest.mark.parametrize(
    "args,error,words",
    [
        (([None, None], 10), KPIValueError, "sales_marketing_spend has no values to total"),
        (([], 10), KPIValueError, "sales_marketing_spend has no values to total"),
        (([100, -500], 10), KPIDomainError, "sales_marketing_spend must be >= 0, got -400"),
        ((1000, 0), KPIDivisionByZeroError, "new_customers must be > 0, got 0"),
        ((1000, None), KPIValueError, "new_customers is blank"),
        ((["1000"], 5), KPIValueError, "sales_marketing_spend must hold numbers"),
    ],
)
def test_cac_errors_name_the_argument(args, error, words):
    with pytest.raises(error, match=words):
        xl_kpi.cac(*args)


@given(spend=st.lists(money, min_size=1, max_size=20), new=st.integers(1, 10**5).map(float))
def test_cac_is_the_total_over_new_customers(spend, new):
    assert xl_kpi.cac(spend, new) == pytest.approx(sum(spend) / new, rel=1e-12, abs=1e-12)


# --------------------------------------------------------------------------- identities


@given(arpa=money, m=margin, c=churn)
def test_undiscounted_clv_is_value_over_churn(arpa, m, c):
    assert xl_kpi.clv(arpa, c, m) == pytest.approx(arpa * m / c, rel=1e-12)
    assert xl_kpi.clv(arpa, c, m, 0) == xl_kpi.clv(arpa, c, m)


@given(arpa=money, m=margin, c=churn)
def test_undiscounted_clv_is_value_times_lifetime(arpa, m, c):
    by_lifetime = xl_kpi.clv_from_lifetime(arpa * m, xl_kpi.customer_lifetime(c))
    assert xl_kpi.clv(arpa, c, m) == pytest.approx(by_lifetime, rel=1e-12, abs=1e-12)


@given(arpa=positive_money, m=margin, c=st.floats(min_value=1e-3, max_value=0.99),
       d=st.floats(min_value=0, max_value=1), step=st.floats(min_value=1e-3, max_value=1))
def test_clv_strictly_falls_as_the_discount_rate_rises(arpa, m, c, d, step):
    assert xl_kpi.clv(arpa, c, m, d + step) < xl_kpi.clv(arpa, c, m, d)


@given(arpa=positive_money, m=margin, d=st.floats(min_value=0, max_value=1))
def test_full_churn_clv_is_one_payment_whatever_the_discount(arpa, m, d):
    # The first payment is made now; with churn 1 there is no second one.
    assert xl_kpi.clv(arpa, 1.0, m, d) == pytest.approx(arpa * m, rel=1e-12)


@given(arpa=positive_money, m=margin, c=st.floats(min_value=0.02, max_value=1), d=st.floats(min_value=0, max_value=0.5))
def test_clv_is_the_discounted_survival_series(arpa, m, c, d):
    # Independent computation: sum over periods t >= 0 of arpa*m*((1-c)/(1+d))^t.
    t = np.arange(5000)
    series = arpa * m * np.sum(((1 - c) / (1 + d)) ** t)
    assert xl_kpi.clv(arpa, c, m, d) == pytest.approx(series, rel=1e-9)


@given(cac=money, mrr=positive_money, m=margin)
def test_payback_months_times_monthly_gross_profit_is_cac(cac, mrr, m):
    months = xl_kpi.cac_payback_months(cac, mrr, m)
    assert months * mrr * m == pytest.approx(cac, rel=1e-12, abs=1e-9)
    assert months >= xl_kpi.cac_payback_months(cac, mrr) - 1e-9 * months  # a margin below 1 pays back later


@given(clv=money, cac=positive_money)
def test_ltv_cac_times_cac_is_clv(clv, cac):
    assert xl_kpi.ltv_cac_ratio(clv, cac) * cac == pytest.approx(clv, rel=1e-12, abs=1e-9)


@given(revenue=positive_money, cogs=money)
def test_gross_margin_is_at_most_one_and_gives_back_cogs(revenue, cogs):
    gm = xl_kpi.gross_margin(revenue, cogs)
    assert np.isfinite(gm) and gm <= 1.0
    assert (gm < 0) == (cogs > revenue)
    assert revenue * (1 - gm) == pytest.approx(cogs, rel=1e-9, abs=1e-6 * revenue)


# Subnormal burns would underflow to -0.0 when divided: a float artefact, not a KPI property.
@given(burn=st.floats(min_value=-1e9, max_value=1e9, allow_subnormal=False), arr=positive_money)
def test_burn_multiple_sign_follows_the_burn(burn, arr):
    multiple = xl_kpi.burn_multiple(burn, arr)
    assert multiple * arr == pytest.approx(burn, rel=1e-12, abs=1e-9)
    assert (multiple < 0) == (burn < 0)


@given(g=st.floats(min_value=-5, max_value=5), p=st.floats(min_value=-5, max_value=1))
def test_rule_of_40_is_the_sum_and_accepts_negatives(g, p):
    assert xl_kpi.rule_of_40(g, p) == g + p


@given(previous=money, growth=st.floats(min_value=0, max_value=1e9), spend=positive_money)
def test_magic_number_is_annualised_growth_per_spend(previous, growth, spend):
    current = previous + growth
    assert xl_kpi.magic_number(current, previous, spend) == pytest.approx(4 * (current - previous) / spend,
                                                                          rel=1e-12, abs=1e-12)
    # Flat revenue: no magic.
    assert xl_kpi.magic_number(previous, previous, spend) == 0.0


# --------------------------------------------------------------------------- broadcasting and errors

#: Three valid values per argument, for every KPI of the family.
VALID = {
    "CAC": {"sales_marketing_spend": [10000.0, 0.0, 450.0], "new_customers": [50.0, 3.0, 9.0]},
    "CAC_PAYBACK_MONTHS": {"cac": [1000.0, 0.0, 750.0], "mrr_per_customer": [100.0, 20.0, 45.5],
                           "gross_margin": [1.0, 0.8, 0.25]},
    "CLV": {"arpa": [300.0, 500.0, 100.0], "churn_rate": [0.15, 1 / 36, 0.05],
            "gross_margin": [1.0, 0.7, 0.8], "discount_rate": [0.0, 0.0, 0.01]},
    "CLV_FROM_LIFETIME": {"value_per_period": [500.0, 0.0, 42.0], "lifetime_periods": [36.0, 12.0, 7.5]},
    "LTV_CAC_RATIO": {"clv": [5000.0, 0.0, 1234.0], "cac": [2500.0, 10.0, 617.0]},
    "GROSS_MARGIN": {"revenue": [1000.0, 50.0, 80.0], "cogs": [250.0, 0.0, 100.0]},
    "BURN_MULTIPLE": {"net_burn": [2000000.0, -300000.0, 0.0], "net_new_arr": [1000000.0, 600000.0, 5.0]},
    "RULE_OF_40": {"revenue_growth_rate": [0.30, -0.1, 1.5], "profit_margin": [0.15, -0.4, 0.0]},
    "MAGIC_NUMBER": {"revenue_current_quarter": [1100000.0, 900.0, 0.0],
                     "revenue_previous_quarter": [1000000.0, 1000.0, 0.0],
                     "sm_spend_previous_quarter": [400000.0, 50.0, 7.0]},
}

#: (KPI, argument, bad value, error, words of the message).
INVALID = [
    ("CAC", "new_customers", 0.0, KPIDivisionByZeroError, "new_customers must be > 0, got 0"),
    ("CAC", "new_customers", -3.0, KPIDomainError, "new_customers must be >= 0, got -3"),
    ("CAC_PAYBACK_MONTHS", "gross_margin", 1.2, KPIDomainError, "gross_margin must be between 0 and 1, got 1.2"),
    ("CAC_PAYBACK_MONTHS", "gross_margin", 0.0, KPIDivisionByZeroError,
     r"mrr_per_customer\*gross_margin must not be 0"),
    ("CAC_PAYBACK_MONTHS", "mrr_per_customer", 0.0, KPIDivisionByZeroError,
     r"mrr_per_customer\*gross_margin must not be 0"),
    ("CLV", "churn_rate", 5.0, KPIDomainError, "churn_rate must be between 0 and 1, got 5"),
    ("CLV", "gross_margin", -0.2, KPIDomainError, "gross_margin must be between 0 and 1, got -0.2"),
    ("CLV", "discount_rate", -0.01, KPIDomainError, "discount_rate must be >= 0, got -0.01"),
    ("CLV", "arpa", -300.0, KPIDomainError, "arpa must be >= 0, got -300"),
    ("CLV", "arpa", None, KPIValueError, "arpa is blank"),
    ("CLV_FROM_LIFETIME", "lifetime_periods", -1.0, KPIDomainError, "lifetime_periods must be >= 0, got -1"),
    ("LTV_CAC_RATIO", "cac", 0.0, KPIDivisionByZeroError, "cac must be > 0, got 0"),
    ("GROSS_MARGIN", "revenue", 0.0, KPIDivisionByZeroError, "revenue must be > 0, got 0"),
    ("GROSS_MARGIN", "revenue", -100.0, KPIDomainError, "revenue must be >= 0, got -100"),
    ("GROSS_MARGIN", "cogs", -1.0, KPIDomainError, "cogs must be >= 0, got -1"),
    ("BURN_MULTIPLE", "net_new_arr", -5.0, KPIDomainError, "net_new_arr must be >= 0, got -5"),
    ("BURN_MULTIPLE", "net_new_arr", 0.0, KPIDivisionByZeroError, "net_new_arr must be > 0, got 0"),
    ("BURN_MULTIPLE", "net_burn", float("inf"), KPIDomainError, "net_burn must be a finite number"),
    ("RULE_OF_40", "profit_margin", np.nan, KPIValueError, "profit_margin is blank"),
    ("MAGIC_NUMBER", "sm_spend_previous_quarter", 0.0, KPIDivisionByZeroError,
     "sm_spend_previous_quarter must be > 0, got 0"),
    ("MAGIC_NUMBER", "revenue_previous_quarter", -1.0, KPIDomainError, "revenue_previous_quarter must be >= 0"),
]


def _call(name, **kw):
    return getattr(xl_kpi, name.lower())(**kw)


def _scalar_row(name, k):
    return {a: v[k] for a, v in VALID[name].items()}


def _not_summed(name):
    return [a.name for a in REGISTRY[name].args if not a.summed]


@pytest.mark.parametrize("name,arg,bad,error,words", INVALID, ids=[f"{n}-{a}-{b}" for n, a, b, *_ in INVALID])
def test_a_bad_element_is_nan_and_the_others_are_right(name, arg, bad, error, words):
    kw = {a: list(v) for a, v in VALID[name].items()}
    for summed in set(kw) - set(_not_summed(name)):
        kw[summed] = kw[summed][0]  # keep the total one number
    kw[arg][1] = bad
    if bad is None:
        kw[arg] = np.array(kw[arg], dtype=object)
    result = _call(name, **kw)
    assert np.isnan(result[1])
    for k in (0, 2):
        point = {a: (v[k] if isinstance(v, (list, np.ndarray)) else v) for a, v in kw.items()}
        assert result[k] == _call(name, **point)


@pytest.mark.parametrize("name,arg,bad,error,words", INVALID, ids=[f"{n}-{a}-{b}" for n, a, b, *_ in INVALID])
def test_a_bad_scalar_raises_naming_the_argument(name, arg, bad, error, words):
    kw = {**_scalar_row(name, 0), arg: bad}
    with pytest.raises(error, match=words):
        _call(name, **kw)


def test_churn_and_discount_both_zero_is_an_endless_customer():
    with pytest.raises(KPIDivisionByZeroError, match=r"churn_rate\+discount_rate must not be 0"):
        xl_kpi.clv(100, 0)
    # with discounting, a customer who never churns is a perpetuity due: 100 * 1.01 / 0.01
    assert xl_kpi.clv(100, 0, 1, 0.01) == pytest.approx(10100.0, rel=1e-12)


def test_text_raises_for_the_whole_call():
    with pytest.raises(KPIValueError, match="churn_rate must be a number"):
        xl_kpi.clv(100, "5%")
    with pytest.raises(KPIValueError, match="shapes do not match"):
        xl_kpi.gross_margin([1, 2, 3], [1, 2])


# --------------------------------------------------------------------------- a real spreadsheet engine


def test_native_formulas_agree_with_python_in_libreoffice(tmp_path):
    """The templates' guarded formulas, LibreOffice-computed on the VALID rows (beyond the catalog).

    Includes CAC over a range of spend with a blank cell (SUM ignores it, as
    the Python total does) and a zero denominator (blank cell, NaN in Python).
    """
    if soffice() is None:
        pytest.fail("LibreOffice (soffice) is needed: apt-get install -y libreoffice-calc-nogui")
    wb = openpyxl.Workbook()
    ws = wb.active
    expected: dict[str, float | None] = {}
    row = 1
    for name in FAMILY:
        d = REGISTRY[name]
        for k in range(3):
            values = _scalar_row(name, k)
            expected[write_kpi_row(ws, row, d, values)] = _call(name, **values)
            row += 1
    # CAC over a column of spend with a blank, and with no new customers.
    for new in (10.0, 0.0):
        for k, v in enumerate((6000.0, None, 8000.0)):
            ws.cell(row=row + k, column=2, value=v)
        ws.cell(row=row, column=3, value=new)
        refs = {"sales_marketing_spend": f"B{row}:B{row + 2}", "new_customers": f"C{row}"}
        ws.cell(row=row, column=1, value="=" + REGISTRY["CAC"].excel_guarded_formula(refs))
        result = xl_kpi.cac([6000.0, None, 8000.0], [new])[0]
        expected[f"A{row}"] = None if np.isnan(result) else result
        row += 4
    computed = libreoffice_computed(wb, tmp_path, "unit_economics").active
    for ref, value in expected.items():
        if value is None:  # the guard shows an empty cell instead of #DIV/0!
            assert computed[ref].value in (None, ""), ref
        else:
            # LibreOffice keeps 15 significant digits.
            assert computed[ref].value == pytest.approx(value, rel=1e-12, abs=1e-12), ref
