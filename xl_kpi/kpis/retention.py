"""Retention and churn: how many customers and how much revenue a business keeps.

Every function broadcasts like a numpy ufunc; see :mod:`xl_kpi.errors` for
what happens to invalid input.
"""

from __future__ import annotations

import numpy as np

from xl_kpi.kpis.definition import (COUNT, FRACTION, MONEY, PERIODS, TEXT, UNIT_INTERVAL, Arg, Example, exports,
                                    kpi)

#: CHURN_BENCHMARK thresholds for *monthly* churn (the sources: about 5% is
#: average for SaaS, 3% or below is good).
GOOD_MONTHLY_CHURN = 0.03
AVERAGE_MONTHLY_CHURN = 0.05


@kpi(
    "CHURN_RATE",
    example=Example((20, 200), 0.1),
    summary="Customer (logo) churn rate: customers lost / customers at the start of the period.",
    unit=FRACTION,
    args=(
        Arg("customers_lost", "Customers lost during the period", unit=COUNT),
        Arg("customers_at_start", "Customers at the start of the period", unit=COUNT),
    ),
    excel="customers_lost/customers_at_start",
    denominators=("customers_at_start",),
)
def churn_rate(customers_lost, customers_at_start):
    """Customer churn rate over one period.

    Parameters
    ----------
    customers_lost : float or array_like
        Customers who cancelled during the period (>= 0).
    customers_at_start : float or array_like
        Customers at the start of the period (> 0).

    Returns
    -------
    float or ndarray
        Fraction of the starting customers lost (0.1 = 10%).

    Notes
    -----
    .. math:: churn = lost / start

    Customers acquired during the period are not in the denominator, so a
    business that wins and loses the same customer inside one period can show
    a churn above 100%; that is reported as it is.

    References
    ----------
    Standard SaaS definition (logo churn), as in the KPI catalog (docs/kpi-catalog.md).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.churn_rate(20, 200)
    0.1
    >>> xl_kpi.churn_rate([10, 10], [200, 100])
    array([0.05, 0.1 ])
    """
    return customers_lost / customers_at_start


@kpi(
    "REVENUE_CHURN_RATE",
    example=Example((1000, 10000), 0.1),
    summary="Gross revenue churn rate: MRR lost (churned + contraction) / MRR at the start.",
    unit=FRACTION,
    args=(
        Arg("mrr_lost", "MRR lost in the period: churned plus contraction MRR", unit=MONEY),
        Arg("mrr_at_start", "MRR at the start of the period", unit=MONEY),
    ),
    excel="mrr_lost/mrr_at_start",
    denominators=("mrr_at_start",),
)
def revenue_churn_rate(mrr_lost, mrr_at_start):
    """Gross revenue (MRR) churn rate over one period.

    Parameters
    ----------
    mrr_lost : float or array_like
        MRR lost during the period: churned MRR plus contraction MRR (>= 0).
    mrr_at_start : float or array_like
        MRR at the start of the period (> 0).

    Returns
    -------
    float or ndarray
        Fraction of the starting MRR lost.

    Notes
    -----
    .. math:: revenue\\ churn = (churned + contraction) / MRR_{start}

    References
    ----------
    KPI catalog (docs/kpi-catalog.md), "Retention and churn" (lost = churned + contraction MRR).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.revenue_churn_rate(1000, 10000)
    0.1
    >>> round(xl_kpi.revenue_churn_rate(2000, 120000), 6)
    0.016667
    """
    return mrr_lost / mrr_at_start


@kpi(
    "NET_REVENUE_CHURN_RATE",
    example=Example((1000, 500, 10000), 0.05),
    summary="Net revenue churn: (MRR lost - expansion MRR) / MRR at the start; negative is 'negative churn'.",
    unit=FRACTION,
    args=(
        Arg("mrr_lost", "MRR lost in the period: churned plus contraction MRR", unit=MONEY),
        Arg("expansion_mrr", "MRR gained from existing customers (upgrades)", unit=MONEY),
        Arg("mrr_at_start", "MRR at the start of the period", unit=MONEY),
    ),
    excel="(mrr_lost-expansion_mrr)/mrr_at_start",
    denominators=("mrr_at_start",),
)
def net_revenue_churn_rate(mrr_lost, expansion_mrr, mrr_at_start):
    """Net revenue churn rate: lost MRR net of expansion, over starting MRR.

    Parameters
    ----------
    mrr_lost : float or array_like
        Churned plus contraction MRR in the period (>= 0).
    expansion_mrr : float or array_like
        Expansion MRR from existing customers in the period (>= 0).
    mrr_at_start : float or array_like
        MRR at the start of the period (> 0).

    Returns
    -------
    float or ndarray
        Fraction of starting MRR; negative when expansion exceeds losses.

    Notes
    -----
    .. math:: net\\ churn = (lost - expansion) / MRR_{start}

    References
    ----------
    KPI catalog (docs/kpi-catalog.md), "Retention and churn"; below zero is the sources' "negative churn".

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.net_revenue_churn_rate(1000, 500, 10000)
    0.05
    >>> xl_kpi.net_revenue_churn_rate(500, 1000, 10000)
    -0.05
    """
    return (mrr_lost - expansion_mrr) / mrr_at_start


@kpi(
    "RETENTION_RATE",
    example=Example((190, 10, 200), 0.9),
    summary="Customer retention rate: (customers at end - new customers) / customers at start.",
    unit=FRACTION,
    args=(
        Arg("customers_at_end", "Customers at the end of the period", unit=COUNT),
        Arg("new_customers", "Customers acquired during the period", unit=COUNT),
        Arg("customers_at_start", "Customers at the start of the period", unit=COUNT),
    ),
    excel="(customers_at_end-new_customers)/customers_at_start",
    denominators=("customers_at_start",),
)
def retention_rate(customers_at_end, new_customers, customers_at_start):
    """Customer retention rate over one period.

    Parameters
    ----------
    customers_at_end : float or array_like
        Customers at the end of the period (>= 0).
    new_customers : float or array_like
        Customers acquired during the period (>= 0).
    customers_at_start : float or array_like
        Customers at the start of the period (> 0).

    Returns
    -------
    float or ndarray
        Fraction of the starting customers still customers at the end.

    Notes
    -----
    .. math:: retention = (end - new) / start

    With no new customers, retention = 1 - churn.

    References
    ----------
    KPI catalog (docs/kpi-catalog.md), "Retention and churn" (customer retention rate).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.retention_rate(190, 10, 200)
    0.9
    """
    return (customers_at_end - new_customers) / customers_at_start


@kpi(
    "NET_REVENUE_RETENTION",
    example=Example((10000, 500, 200, 800), 0.95),
    summary="Net revenue retention (NRR): (start + expansion - contraction - churned) / start MRR.",
    unit=FRACTION,
    args=(
        Arg("mrr_at_start", "MRR at the start of the period", unit=MONEY),
        Arg("expansion_mrr", "Expansion MRR from existing customers", unit=MONEY),
        Arg("contraction_mrr", "Contraction MRR from existing customers (a positive number)", unit=MONEY),
        Arg("churned_mrr", "MRR of customers who cancelled (a positive number)", unit=MONEY),
    ),
    excel="(mrr_at_start+expansion_mrr-contraction_mrr-churned_mrr)/mrr_at_start",
    denominators=("mrr_at_start",),
)
def net_revenue_retention(mrr_at_start, expansion_mrr, contraction_mrr, churned_mrr):
    """Net revenue retention (NRR, also net dollar retention).

    Parameters
    ----------
    mrr_at_start : float or array_like
        MRR at the start of the period (> 0).
    expansion_mrr, contraction_mrr, churned_mrr : float or array_like
        Movements of the starting customers' MRR in the period, each >= 0.

    Returns
    -------
    float or ndarray
        Fraction of starting MRR kept, expansion included (can exceed 1).

    Notes
    -----
    .. math:: NRR = (start + expansion - contraction - churned) / start

    References
    ----------
    KPI catalog (docs/kpi-catalog.md), "Retention and churn"; also called net dollar retention (NDR).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.net_revenue_retention(10000, 500, 200, 800)
    0.95
    """
    return (mrr_at_start + expansion_mrr - contraction_mrr - churned_mrr) / mrr_at_start


@kpi(
    "GROSS_REVENUE_RETENTION",
    example=Example((10000, 200, 800), 0.9),
    summary="Gross revenue retention (GRR): (start - contraction - churned) / start MRR.",
    unit=FRACTION,
    args=(
        Arg("mrr_at_start", "MRR at the start of the period", unit=MONEY),
        Arg("contraction_mrr", "Contraction MRR from existing customers (a positive number)", unit=MONEY),
        Arg("churned_mrr", "MRR of customers who cancelled (a positive number)", unit=MONEY),
    ),
    excel="(mrr_at_start-contraction_mrr-churned_mrr)/mrr_at_start",
    denominators=("mrr_at_start",),
)
def gross_revenue_retention(mrr_at_start, contraction_mrr, churned_mrr):
    """Gross revenue retention (GRR): NRR without expansion.

    Parameters
    ----------
    mrr_at_start : float or array_like
        MRR at the start of the period (> 0).
    contraction_mrr, churned_mrr : float or array_like
        Lost MRR of the starting customers, each >= 0.

    Returns
    -------
    float or ndarray
        Fraction of starting MRR kept, at most 1 when losses are >= 0.

    Notes
    -----
    .. math:: GRR = (start - contraction - churned) / start

    NRR - GRR = expansion / start.

    References
    ----------
    KPI catalog (docs/kpi-catalog.md), "Retention and churn".

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.gross_revenue_retention(10000, 200, 800)
    0.9
    """
    return (mrr_at_start - contraction_mrr - churned_mrr) / mrr_at_start


@kpi(
    "CUSTOMER_LIFETIME",
    example=Example((0.05,), 20.0),
    summary="Expected customer lifetime in periods: 1 / churn rate.",
    unit=PERIODS,
    args=(Arg("churn_rate", "Churn rate per period, as a fraction (0.05 = 5%)", domain=UNIT_INTERVAL, unit=FRACTION),),
    excel="1/churn_rate",
    denominators=("churn_rate",),
)
def customer_lifetime(churn_rate):
    """Expected customer lifetime, in periods of the churn rate.

    Parameters
    ----------
    churn_rate : float or array_like
        Churn per period, 0 < churn <= 1.

    Returns
    -------
    float or ndarray
        Expected number of periods a customer stays (months for a monthly rate).

    Notes
    -----
    .. math:: lifetime = 1 / churn

    The mean of a geometric distribution with survival 1 - churn per period.

    References
    ----------
    KPI catalog (docs/kpi-catalog.md), "Retention and churn"; the mean of a geometric survival model.

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.customer_lifetime(0.05)
    20.0
    """
    return 1.0 / churn_rate


@kpi(
    "ANNUALIZE_CHURN",
    example=Example((0.05,), 0.459640, abs=5e-7),  # the catalog rounds to 6 decimals
    summary="Annual churn equivalent to a monthly churn rate: 1 - (1 - monthly)^12.",
    unit=FRACTION,
    args=(Arg("monthly_churn", "Monthly churn rate, as a fraction", domain=UNIT_INTERVAL, unit=FRACTION),),
    excel="1-(1-monthly_churn)^12",
)
def annualize_churn(monthly_churn):
    """Compound a monthly churn rate to the annual rate.

    Parameters
    ----------
    monthly_churn : float or array_like
        Monthly churn, 0 <= m <= 1.

    Returns
    -------
    float or ndarray
        Share of customers lost over twelve months at that monthly rate.

    Notes
    -----
    .. math:: annual = 1 - (1 - m)^{12}

    Not 12 x m: churn compounds on a shrinking base. Inverse of
    :func:`monthly_churn`.

    References
    ----------
    KPI catalog (docs/kpi-catalog.md), "Retention and churn" (a constant monthly rate, compounded).

    Examples
    --------
    >>> import xl_kpi
    >>> round(xl_kpi.annualize_churn(0.05), 6)
    0.45964
    """
    # float_power, not **: numpy's power loop for float64 arrays is its own SIMD code
    # (SVML on AVX-512 under numpy 1.x), which misses the C library's pow by an ulp on
    # some inputs, so a range would differ from the same cells one by one; float_power
    # calls pow for every element, as Python's ** does for one number.
    return 1.0 - np.float_power(1.0 - monthly_churn, 12)


@kpi(
    "MONTHLY_CHURN",
    example=Example((0.2,), 0.018423, abs=5e-7),  # the catalog rounds to 6 decimals
    summary="Monthly churn equivalent to an annual churn rate: 1 - (1 - annual)^(1/12).",
    unit=FRACTION,
    args=(Arg("annual_churn", "Annual churn rate, as a fraction", domain=UNIT_INTERVAL, unit=FRACTION),),
    excel="1-(1-annual_churn)^(1/12)",
)
def monthly_churn(annual_churn):
    """Convert an annual churn rate to the equivalent monthly rate.

    Parameters
    ----------
    annual_churn : float or array_like
        Annual churn, 0 <= a <= 1.

    Returns
    -------
    float or ndarray
        The monthly churn that compounds to ``annual_churn`` over twelve months.

    Notes
    -----
    .. math:: monthly = 1 - (1 - a)^{1/12}

    Inverse of :func:`annualize_churn`.

    References
    ----------
    KPI catalog (docs/kpi-catalog.md), "Retention and churn" (the inverse of the compounding).

    Examples
    --------
    >>> import xl_kpi
    >>> round(xl_kpi.monthly_churn(0.20), 6)
    0.018423
    """
    return 1.0 - np.float_power(1.0 - annual_churn, 1.0 / 12.0)  # pow per element: see annualize_churn


@kpi(
    "CHURN_BENCHMARK",
    example=Example((0.02,), 'good'),
    summary='Rates a monthly churn rate: "good" (<= 3%), "average" (<= 5%) or "high".',
    unit=TEXT,
    args=(Arg("monthly_churn", "Monthly churn rate, as a fraction", domain=UNIT_INTERVAL, unit=FRACTION),),
    excel='IF(monthly_churn<=good_monthly_churn,"good",IF(monthly_churn<=average_monthly_churn,"average","high"))',
    constants={"good_monthly_churn": GOOD_MONTHLY_CHURN, "average_monthly_churn": AVERAGE_MONTHLY_CHURN},
)
def churn_benchmark(monthly_churn):
    """Compare a monthly churn rate with the usual SaaS benchmarks.

    Parameters
    ----------
    monthly_churn : float or array_like
        Monthly churn, 0 <= m <= 1.

    Returns
    -------
    str or ndarray of str
        ``"good"`` if m <= 3%, ``"average"`` if m <= 5%, else ``"high"``.

    Notes
    -----
    Thresholds are :data:`GOOD_MONTHLY_CHURN` and :data:`AVERAGE_MONTHLY_CHURN`
    (the sources: about 5% monthly churn is average, 3% or below is good).
    The template workbooks keep them in named assumption cells.

    References
    ----------
    KPI catalog (docs/kpi-catalog.md), "Retention and churn": the sources put average SaaS churn
    at about 5% a month and good churn at 3% or below.

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.churn_benchmark(0.02), xl_kpi.churn_benchmark(0.048), xl_kpi.churn_benchmark(0.08)
    ('good', 'average', 'high')
    """
    return np.where(
        monthly_churn <= GOOD_MONTHLY_CHURN,
        "good",
        np.where(monthly_churn <= AVERAGE_MONTHLY_CHURN, "average", "high"),
    ).astype(object)


#: The family's KPI functions (from the registry, catalog order) and its constants.
__all__ = exports(__name__, "GOOD_MONTHLY_CHURN", "AVERAGE_MONTHLY_CHURN")
