"""Recurring revenue: how much a subscription business bills each month, and how that moves.

Every function except :func:`mrr` broadcasts like a numpy ufunc; see
:mod:`xl_kpi.errors` for what happens to invalid input.  :func:`mrr` reduces a
whole range of subscription amounts to one number.
"""

from __future__ import annotations


import numpy as np

from xl_kpi.errors import KPIDivisionByZeroError, KPIDomainError, KPIValueError
from xl_kpi.kpis.definition import (COUNT, FRACTION, MONEY, PERIODS, RATIO, Arg, Example, as_float_array, exports,
                                    first_index, format_number, kpi, position)

#: Months in a year: ARR is twelve times MRR.
MONTHS_PER_YEAR = 12


@kpi(
    "MRR",
    example=Example(([10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0],), 100.0),
    summary="Monthly recurring revenue: the sum of amount / billing_months (1200 billed yearly counts 100).",
    unit=MONEY,
    args=(
        Arg("amounts", "Subscription amounts as billed (a range; blanks are ignored)", array=True, unit=MONEY),
        Arg(
            "billing_months",
            "Months each amount covers: 1 for monthly, 12 for annual plans; one number or a range the size of amounts",
            unit=PERIODS,
        ),
    ),
    excel="SUMPRODUCT(amounts/billing_months)",
    elementwise=False,
)
def mrr(amounts, billing_months=1):
    """Monthly recurring revenue of a book of subscriptions.

    Parameters
    ----------
    amounts : float or array_like
        Subscription amounts as billed, one per subscription (>= 0). Any shape:
        a list, a 2-D range (tuples of tuples), a numpy array, a pandas Series.
        Blanks (``None`` / NaN) are ignored.
    billing_months : float or array_like, optional
        Months each amount covers (> 0): 1 (the default) for monthly billing,
        12 for an annual plan. One number for every amount, or an array of the
        same shape as ``amounts`` (element by element).

    Returns
    -------
    float
        MRR, in the money unit of ``amounts`` per month. Always a float: MRR
        totals the range.

    Raises
    ------
    KPIValueError
        Text or booleans in either argument, a ragged range, ``billing_months``
        of another shape than ``amounts``, or a blank ``billing_months`` next
        to a non-blank amount.
    KPIDomainError
        A negative or infinite amount or billing period. A negative amount is
        refused rather than netted: a refund or credit is not recurring
        revenue, and a discount belongs in the subscription's own amount.
    KPIDivisionByZeroError
        A billing period of 0 next to a non-blank amount.

    Notes
    -----
    .. math:: MRR = \\sum_i amount_i / billing\\_months_i

    Blank amounts are skipped together with their billing period (a blank row
    at the end of an input table is common). An empty or all-blank range gives
    0.0: an empty book of subscriptions has no recurring revenue, which is
    also what Excel's ``SUMPRODUCT`` of blanks shows. The template formula is
    ``SUMPRODUCT(amounts/billing_months)``; with a *range* of billing periods,
    Excel shows #DIV/0! for a row whose billing period is blank or 0 even when
    its amount is blank, so keep that column filled (or use one number).

    References
    ----------
    The KPI catalog (docs/kpi-catalog.md): "sum of amount / billing_months (normalises annual plans)".

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.mrr([10] * 10)
    100.0
    >>> xl_kpi.mrr(1200, 12)
    100.0
    >>> xl_kpi.mrr([250, 250, None, 250])
    750.0
    >>> xl_kpi.mrr([100, 1200], [1, 12])
    200.0
    """
    amount = as_float_array(amounts, "amounts")
    months = as_float_array(billing_months, "billing_months")
    if months.ndim and months.size == 1:
        months = months.reshape(())  # a one-cell range is a single number
    if months.ndim and months.shape != amount.shape:
        raise KPIValueError(
            f"billing_months must be one number or a range the size of amounts: "
            f"got shape {months.shape} for amounts of shape {amount.shape}"
        )
    months = np.broadcast_to(months, amount.shape)
    present = ~np.isnan(amount)
    if not present.any():
        return 0.0
    with np.errstate(invalid="ignore"):
        checks = (  # (bad elements, error, problem, offending values), in Excel's order of precedence
            (present & np.isnan(months), KPIValueError, "billing_months is blank next to an amount", months),
            (np.isinf(amount) | (amount < 0), KPIDomainError, "amounts must be finite and >= 0", amount),
            (present & (np.isinf(months) | (months < 0)), KPIDomainError, "billing_months must be finite and > 0", months),
            (present & (months == 0), KPIDivisionByZeroError, "billing_months must be > 0", months),
        )
    for bad, error, problem, values in checks:
        if bad.any():
            k = first_index(bad)
            where = f" at {position(k, amount.shape)}" if amount.ndim else ""
            got = "" if np.isnan(values.flat[k]) else f", got {format_number(values.flat[k])}"
            raise error(f"{problem}{got}{where}")
    return float(np.sum(amount[present] / months[present]))


@kpi(
    "ARR",
    example=Example((100,), 1200.0),
    summary="Annual recurring revenue: 12 x MRR.",
    unit=MONEY,
    args=(Arg("mrr", "Monthly recurring revenue", unit=MONEY),),
    excel="12*mrr",
)
def arr(mrr):
    """Annual recurring revenue from monthly recurring revenue.

    Parameters
    ----------
    mrr : float or array_like
        Monthly recurring revenue (>= 0).

    Returns
    -------
    float or ndarray
        ARR, in the money unit of ``mrr`` per year.

    Notes
    -----
    .. math:: ARR = 12 \\times MRR

    A run rate, not a forecast: it assumes this month's recurring revenue
    holds for a year. A negative MRR is refused (#NUM!): recurring revenue is
    a sum of subscription amounts and cannot be below zero.

    References
    ----------
    KPI catalog (docs/kpi-catalog.md), "Recurring revenue".

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.arr(100)
    1200.0
    >>> xl_kpi.arr([100, 250])
    array([1200., 3000.])
    """
    return MONTHS_PER_YEAR * mrr


@kpi(
    "ARPA",
    example=Example((120000, 200), 600.0),
    summary="Average revenue per account (ARPU): MRR / customers.",
    unit=MONEY,
    args=(
        Arg("mrr", "Monthly recurring revenue", unit=MONEY),
        Arg("customers", "Number of paying customers (accounts)", unit=COUNT),
    ),
    excel="mrr/customers",
    denominators=("customers",),
)
def arpa(mrr, customers):
    """Average (monthly recurring) revenue per account, also called ARPU.

    Parameters
    ----------
    mrr : float or array_like
        Monthly recurring revenue (>= 0).
    customers : float or array_like
        Paying customers (> 0). A fractional count (an average over the
        period) is accepted.

    Returns
    -------
    float or ndarray
        MRR per customer, in the money unit of ``mrr`` per month.

    Notes
    -----
    .. math:: ARPA = MRR / customers

    Negative MRR or customer counts are refused (#NUM!); no customers gives
    #DIV/0!.

    References
    ----------
    KPI catalog (docs/kpi-catalog.md), "Recurring revenue" (also called ARPU).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.arpa(120000, 200)
    600.0
    """
    return mrr / customers


@kpi(
    "MRR_GROWTH_RATE",
    example=Example((2000, 1000), 1.0),
    summary="MRR growth rate: (MRR this period - MRR last period) / MRR last period.",
    unit=FRACTION,
    args=(
        Arg("mrr_current", "MRR of the current period", unit=MONEY),
        Arg("mrr_previous", "MRR of the previous period", unit=MONEY),
    ),
    excel="(mrr_current-mrr_previous)/mrr_previous",
    denominators=("mrr_previous",),
)
def mrr_growth_rate(mrr_current, mrr_previous):
    """Period-over-period growth of MRR.

    Parameters
    ----------
    mrr_current : float or array_like
        MRR of the current period (>= 0).
    mrr_previous : float or array_like
        MRR of the previous period (> 0).

    Returns
    -------
    float or ndarray
        Growth as a fraction (1.0 = doubled); negative when MRR shrank, never
        below -1.

    Notes
    -----
    .. math:: growth = (MRR_{current} - MRR_{previous}) / MRR_{previous}

    Growth from zero MRR is undefined (#DIV/0!); negative MRR is refused
    (#NUM!).

    References
    ----------
    KPI catalog (docs/kpi-catalog.md), "Recurring revenue".

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.mrr_growth_rate(2000, 1000)
    1.0
    >>> xl_kpi.mrr_growth_rate([2000, 900], 1000)
    array([ 1. , -0.1])
    """
    return (mrr_current - mrr_previous) / mrr_previous


_MOVEMENT_ARGS = (
    Arg("new_mrr", "MRR from customers acquired in the period", unit=MONEY),
    Arg("expansion_mrr", "MRR gained from existing customers (upgrades)", unit=MONEY),
    Arg("contraction_mrr", "MRR lost from existing customers who downgraded (a positive number)", unit=MONEY),
    Arg("churned_mrr", "MRR of customers who cancelled (a positive number)", unit=MONEY),
    Arg("reactivation_mrr", "MRR from former customers who came back (0 if not tracked)", unit=MONEY),
)


@kpi(
    "NET_NEW_MRR",
    example=Example((10000, 5000, 2000, 3000), 10000.0),
    summary="Net new MRR: new + expansion + reactivation - contraction - churned MRR.",
    unit=MONEY,
    args=_MOVEMENT_ARGS,
    excel="new_mrr+expansion_mrr+reactivation_mrr-contraction_mrr-churned_mrr",
)
def net_new_mrr(new_mrr, expansion_mrr, contraction_mrr, churned_mrr, reactivation_mrr=0):
    """Net change of MRR over a period, from its movements.

    Parameters
    ----------
    new_mrr, expansion_mrr : float or array_like
        MRR gained from new and from existing customers (>= 0).
    contraction_mrr, churned_mrr : float or array_like
        MRR lost through downgrades and cancellations, as positive numbers
        (>= 0).
    reactivation_mrr : float or array_like, optional
        MRR from returning customers (>= 0); 0 by default.

    Returns
    -------
    float or ndarray
        Net new MRR in the money unit of the inputs; negative when MRR shrank.

    Notes
    -----
    .. math:: net\\ new = new + expansion + reactivation - contraction - churned

    Every movement is a positive amount, its sign given by the formula; a
    negative movement is refused (#NUM!) because it would silently flip a
    loss into a gain. Over an MRR bridge, net new MRR = ending - starting MRR.

    References
    ----------
    KPI catalog (docs/kpi-catalog.md), "Recurring revenue"; the movements of an MRR bridge
    (see :func:`xl_kpi.ledger.mrr_bridge`).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.net_new_mrr(10000, 5000, 2000, 3000)
    10000.0
    >>> xl_kpi.net_new_mrr(1000, 0, 500, 2000, reactivation_mrr=300)
    -1200.0
    """
    return new_mrr + expansion_mrr + reactivation_mrr - contraction_mrr - churned_mrr


@kpi(
    "SAAS_QUICK_RATIO",
    example=Example((10000, 5000, 2000, 3000), 3.0),
    summary="SaaS quick ratio: (new + expansion + reactivation MRR) / (contraction + churned MRR).",
    unit=RATIO,
    args=_MOVEMENT_ARGS,
    excel="(new_mrr+expansion_mrr+reactivation_mrr)/(contraction_mrr+churned_mrr)",
    denominators=("contraction_mrr+churned_mrr",),
)
def saas_quick_ratio(new_mrr, expansion_mrr, contraction_mrr, churned_mrr, reactivation_mrr=0):
    """SaaS quick ratio: MRR gained per unit of MRR lost (growth efficiency).

    Parameters
    ----------
    new_mrr, expansion_mrr : float or array_like
        MRR gained from new and from existing customers (>= 0).
    contraction_mrr, churned_mrr : float or array_like
        MRR lost through downgrades and cancellations, as positive numbers
        (>= 0); their sum must be > 0.
    reactivation_mrr : float or array_like, optional
        MRR from returning customers (>= 0); 0 by default.

    Returns
    -------
    float or ndarray
        A multiple: above 1 when MRR grew (4 or more is the usual target).

    Notes
    -----
    .. math:: quick = (new + expansion + reactivation) / (contraction + churned)

    A period with no lost MRR has no quick ratio (#DIV/0!, a blank cell in the
    templates); negative movements are refused (#NUM!). Not the accounting
    acid-test ratio, which is :func:`~xl_kpi.quick_ratio`.

    References
    ----------
    The growth-efficiency ratio popularised by Mamoon Hamid (Social Capital).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.saas_quick_ratio(10000, 5000, 2000, 3000)
    3.0
    """
    return (new_mrr + expansion_mrr + reactivation_mrr) / (contraction_mrr + churned_mrr)


#: The family's KPI functions (from the registry, catalog order) and its constants.
__all__ = exports(__name__, "MONTHS_PER_YEAR")
