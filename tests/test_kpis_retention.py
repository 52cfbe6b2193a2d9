"""Retention and churn: identities, broadcasting and the error policy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import xl_kpi
from xl_kpi.errors import KPIDivisionByZeroError, KPIDomainError, KPIValueError

counts = st.integers(min_value=0, max_value=10**7).map(float)
positive = st.integers(min_value=1, max_value=10**7).map(float)
money = st.floats(min_value=0, max_value=1e9, allow_nan=False)
unit = st.floats(min_value=0, max_value=1, allow_nan=False)


@given(start=positive, lost=counts)
def test_retention_is_one_minus_churn_when_nobody_is_added(start, lost):
    assume(lost <= start)
    end = start - lost
    assert xl_kpi.retention_rate(end, 0, start) == pytest.approx(1 - xl_kpi.churn_rate(lost, start), abs=1e-12)


@given(start=st.floats(min_value=1, max_value=1e9), expansion=money, contraction=money, churned=money)
def test_nrr_minus_grr_is_expansion_over_start(start, expansion, contraction, churned):
    nrr = xl_kpi.net_revenue_retention(start, expansion, contraction, churned)
    grr = xl_kpi.gross_revenue_retention(start, contraction, churned)
    # Tolerance scales with the terms that cancel in floating point.
    scale = 1 + (expansion + contraction + churned) / start
    assert nrr - grr == pytest.approx(expansion / start, rel=1e-9, abs=1e-12 * scale)


@given(start=st.floats(min_value=1, max_value=1e9), lost=money, expansion=money)
def test_net_revenue_churn_is_revenue_churn_less_expansion(start, lost, expansion):
    net = xl_kpi.net_revenue_churn_rate(lost, expansion, start)
    assert net == pytest.approx(xl_kpi.revenue_churn_rate(lost, start) - expansion / start, rel=1e-9, abs=1e-9)


@given(m=st.floats(min_value=0, max_value=0.5))
def test_annualize_and_monthly_churn_invert_each_other(m):
    # Above ~50% monthly churn, (1 - m)^12 underflows the digits that the
    # inverse needs: a property of floating point, not of the formulas.
    assert xl_kpi.monthly_churn(xl_kpi.annualize_churn(m)) == pytest.approx(m, abs=1e-9)


@pytest.mark.parametrize("function", [xl_kpi.annualize_churn, xl_kpi.monthly_churn])
def test_a_range_of_churn_rates_gives_each_cell_its_own_scalar_result(function):
    # numpy's float64 power loop (SVML on AVX-512 with numpy 1.x, its own SIMD code in 2.x)
    # differs from the C library's pow, which a single cell uses, in the last bit for some
    # inputs: 5% to 30% of these with a plain ** (the catalog's three examples happen to agree).
    rates = np.random.default_rng(12).random(5000)
    assert function(rates).tolist() == [function(float(r)) for r in rates]


@given(m=st.floats(min_value=1e-6, max_value=1))
def test_annual_churn_is_at_least_monthly_and_below_twelve_times(m):
    annual = xl_kpi.annualize_churn(m)
    assert m <= annual + 1e-15
    assert annual <= min(1.0, 12 * m) + 1e-12


@given(c=st.floats(min_value=1e-6, max_value=1))
def test_lifetime_times_churn_is_one(c):
    assert xl_kpi.customer_lifetime(c) * c == pytest.approx(1.0)


@given(m=unit)
def test_benchmark_labels_follow_thresholds(m):
    label = xl_kpi.churn_benchmark(m)
    expected = "good" if m <= 0.03 else "average" if m <= 0.05 else "high"
    assert label == expected


def test_benchmark_boundaries_are_inclusive():
    assert xl_kpi.churn_benchmark(0.03) == "good"
    assert xl_kpi.churn_benchmark(0.05) == "average"


def test_bad_elements_of_an_array_are_nan_and_the_rest_computed():
    result = xl_kpi.churn_rate([20, -1, 5, 10], [200, 100, 0, np.nan])
    assert result[0] == 0.1
    assert np.isnan(result[1:]).all()


@pytest.mark.parametrize(
    "call,error,words",
    [
        (lambda: xl_kpi.churn_rate(20, 0), KPIDivisionByZeroError, "customers_at_start must be > 0, got 0"),
        (lambda: xl_kpi.churn_rate(-1, 10), KPIDomainError, "customers_lost must be >= 0, got -1"),
        (lambda: xl_kpi.churn_rate("20", 10), KPIValueError, "customers_lost must be a number"),
        (lambda: xl_kpi.churn_rate(None, 10), KPIValueError, "customers_lost is blank"),
        (lambda: xl_kpi.churn_rate(True, 10), KPIValueError, "customers_lost must be a number"),
        (lambda: xl_kpi.customer_lifetime(1.5), KPIDomainError, "churn_rate must be between 0 and 1, got 1.5"),
        (lambda: xl_kpi.customer_lifetime(0), KPIDivisionByZeroError, "churn_rate must be > 0, got 0"),
        (lambda: xl_kpi.churn_rate([1, 2, 3], [1, 2]), KPIValueError, "shapes do not match"),
        (lambda: xl_kpi.churn_rate(float("inf"), 10), KPIDomainError, "finite"),
    ],
)
def test_scalar_errors_name_the_argument(call, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(")):
        call()


def test_errors_are_value_errors_carrying_their_excel_error():
    with pytest.raises(ValueError) as exc:
        xl_kpi.churn_rate(1, 0)
    assert exc.value.excel_error == "#DIV/0!"


def test_dataframes_are_ranges_too():
    import pandas as pd
    np.testing.assert_allclose(xl_kpi.churn_rate(pd.DataFrame({"a": [20.0, 10.0]}), 200).ravel(), [0.1, 0.05])
    nullable = pd.DataFrame({"a": pd.array([20, None], dtype="Int64")})
    result = xl_kpi.churn_rate(nullable, 200).ravel()
    assert result[0] == 0.1 and np.isnan(result[1])
    with pytest.raises(KPIValueError, match=r"customers_lost must hold numbers, got 'x' at position \(0, 0\)"):
        xl_kpi.churn_rate(pd.DataFrame({"a": ["x"]}), 200)
