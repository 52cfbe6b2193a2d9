"""Balance-sheet KPIs: catalog examples, broadcasting, errors, accounting identities, LibreOffice."""

from __future__ import annotations

import math

import numpy as np
import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import xl_kpi
from xl_kpi.errors import KPIDivisionByZeroError, KPIDomainError, KPIValueError
from xl_kpi.kpis.definition import ANY, FRACTION, NONNEG, RATIO

from tests.libreoffice import computed as libreoffice_computed

NAMES = ["CURRENT_RATIO", "QUICK_RATIO", "DEBT_TO_EQUITY", "EQUITY_RATIO", "INTEREST_COVERAGE"]

def test_registered_in_catalog_order_with_catalog_arguments():
    family = [d.excel_name for d in xl_kpi.definitions() if d.family == "balance_sheet"]
    assert family == NAMES
    assert xl_kpi.get("QUICK_RATIO").arg_names == ("cash", "marketable_securities", "accounts_receivable", "current_liabilities")
    assert xl_kpi.get("DEBT_TO_EQUITY").arg_names == ("total_debt", "shareholders_equity")
    assert xl_kpi.get("EQUITY_RATIO").arg_names == ("total_equity", "total_assets")
    assert xl_kpi.get("INTEREST_COVERAGE").arg_names == ("ebit", "interest_expense")
    assert xl_kpi.get("CURRENT_RATIO").arg_names == ("current_assets", "current_liabilities")


def test_units_domains_and_denominators():
    assert xl_kpi.get("EQUITY_RATIO").unit is FRACTION
    for name in ("CURRENT_RATIO", "QUICK_RATIO", "DEBT_TO_EQUITY", "INTEREST_COVERAGE"):
        assert xl_kpi.get(name).unit is RATIO
    domains = {(d.excel_name, a.name): a.domain for d in map(xl_kpi.get, NAMES) for a in d.args}
    signed = {("DEBT_TO_EQUITY", "shareholders_equity"), ("EQUITY_RATIO", "total_equity"), ("INTEREST_COVERAGE", "ebit")}
    for key, domain in domains.items():
        assert domain is (ANY if key in signed else NONNEG), key
    with pytest.raises(KPIDivisionByZeroError, match="current_liabilities must be > 0"):
        xl_kpi.quick_ratio(50, 20, 80, 0)
    with pytest.raises(KPIDivisionByZeroError, match="shareholders_equity must not be 0"):
        xl_kpi.debt_to_equity(400, 0)
    assert xl_kpi.debt_to_equity(400, -800) == -0.5  # negative equity is a number, not an error
    for definition in map(xl_kpi.get, NAMES):
        assert definition.function.__doc__ and "Examples" in definition.function.__doc__
        assert all(a.help for a in definition.args)


def test_signed_quantities_are_reported_as_they_are():
    assert xl_kpi.debt_to_equity(400, -200) == -2.0
    assert xl_kpi.equity_ratio(-100, 1000) == -0.1
    assert xl_kpi.interest_coverage(-50, 100) == -0.5


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: xl_kpi.current_ratio(300, 0), KPIDivisionByZeroError, "current_liabilities must be > 0"),
        (lambda: xl_kpi.current_ratio(-1, 10), KPIDomainError, "current_assets must be >= 0"),
        (lambda: xl_kpi.quick_ratio(50, -20, 80, 100), KPIDomainError, "marketable_securities"),
        (lambda: xl_kpi.quick_ratio(50, 20, None, 100), KPIValueError, "accounts_receivable is blank"),
        (lambda: xl_kpi.quick_ratio("50", 20, 80, 100), KPIValueError, "cash"),
        (lambda: xl_kpi.debt_to_equity(400, 0), KPIDivisionByZeroError, "shareholders_equity must not be 0"),
        (lambda: xl_kpi.debt_to_equity(-400, 800), KPIDomainError, "total_debt"),
        (lambda: xl_kpi.equity_ratio(600, -1000), KPIDomainError, "total_assets"),
        (lambda: xl_kpi.equity_ratio(600, 0), KPIDivisionByZeroError, "total_assets"),
        (lambda: xl_kpi.interest_coverage(500, -100), KPIDomainError, "interest_expense"),
        (lambda: xl_kpi.interest_coverage(math.inf, 100), KPIDomainError, "ebit must be a finite number"),
        (lambda: xl_kpi.interest_coverage(True, 100), KPIValueError, "ebit"),
    ],
)
def test_scalar_invalid_input_raises_naming_the_argument(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_arrays_broadcast_and_invalid_elements_are_nan():
    got = xl_kpi.current_ratio([300, 100, -5, 10], [[150], [0]])
    assert got.shape == (2, 4)
    np.testing.assert_allclose(got[0], [2.0, 100 / 150, np.nan, 10 / 150], rtol=1e-12)
    assert np.isnan(got[1]).all()
    got = xl_kpi.debt_to_equity(np.array([400.0, 400.0, np.nan]), [800, -200, 1])
    np.testing.assert_array_equal(got, [0.5, -2.0, np.nan])




money = st.floats(min_value=0, max_value=1e12, allow_nan=False)
positive = st.floats(min_value=1e-3, max_value=1e12, allow_nan=False)


@given(cash=money, securities=money, receivables=money, other=money, liabilities=positive)
def test_quick_ratio_never_exceeds_current_ratio(cash, securities, receivables, other, liabilities):
    current_assets = cash + securities + receivables + other  # inventory, prepaid expenses ...
    assert xl_kpi.quick_ratio(cash, securities, receivables, liabilities) <= xl_kpi.current_ratio(current_assets, liabilities)


@given(debt=money, equity=positive)
def test_equity_ratio_and_debt_to_equity_agree_when_assets_are_debt_plus_equity(debt, equity):
    assets = debt + equity
    er = xl_kpi.equity_ratio(equity, assets)
    de = xl_kpi.debt_to_equity(debt, equity)
    assert 0 < er <= 1
    assert er == pytest.approx(1 / (1 + de), rel=1e-9)
    # The debt ratio, debt / assets, is the rest of the balance sheet.
    assert 1 - er == pytest.approx(debt / assets, rel=1e-9, abs=1e-12)


@given(ebit=st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), interest=positive)
def test_interest_coverage_has_the_sign_of_ebit_and_pays_back(ebit, interest):
    cover = xl_kpi.interest_coverage(ebit, interest)
    assert math.copysign(1, cover) == math.copysign(1, ebit) or cover == 0
    assert cover * interest == pytest.approx(ebit, rel=1e-9, abs=1e-9)


# --------------------------------------------------------------------------- LibreOffice

ROWS = [
    # current_assets, current_liabilities, cash, securities, receivables, debt, equity, total_assets, ebit, interest
    (300, 150, 50, 20, 80, 400, 800, 1000, 500, 100),
    (1234.5, 987.25, 10.5, 0, 300.75, 50, -25, 25, -40, 8),
    (0, 0, 0, 0, 0, 0, 0, 0, 0, 0),  # every denominator zero: the guard shows a blank
]
COLUMNS = {
    "current_assets": "A", "current_liabilities": "B", "cash": "C", "marketable_securities": "D",
    "accounts_receivable": "E", "total_debt": "F", "shareholders_equity": "G", "total_assets": "H",
    "ebit": "I", "interest_expense": "J",
}
ARGS_FROM = {"total_equity": "G"}  # EQUITY_RATIO reads the equity column


def test_native_formulas_match_python_in_libreoffice(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(COLUMNS))
    for row in ROWS:
        ws.append(list(row))
    cells = {}
    for r in range(2, 2 + len(ROWS)):
        for k, name in enumerate(NAMES):
            definition = xl_kpi.get(name)
            refs = {a: f"{({**COLUMNS, **ARGS_FROM})[a]}{r}" for a in definition.arg_names}
            col = 12 + 2 * k
            ws.cell(r, col, "=" + definition.excel_formula(refs))
            ws.cell(r, col + 1, "=" + definition.excel_guarded_formula(refs))
            cells[(r, name)] = col
    calc = libreoffice_computed(wb, tmp_path, "balance_sheet").active
    checked = 0
    for (r, name), col in cells.items():
        definition = xl_kpi.get(name)
        values = dict(zip(COLUMNS, ROWS[r - 2]))
        values["total_equity"] = values["shareholders_equity"]
        try:
            expected = definition.function(*[values[a] for a in definition.arg_names])
        except KPIDivisionByZeroError:
            assert calc.cell(r, col).value == "#DIV/0!", (name, r)
            assert calc.cell(r, col + 1).value in ("", None), (name, r)
        else:
            assert calc.cell(r, col).value == pytest.approx(expected, rel=1e-9), (name, r)
            assert calc.cell(r, col + 1).value == pytest.approx(expected, rel=1e-9), (name, r)
            checked += 1
    assert checked == 2 * len(NAMES)
