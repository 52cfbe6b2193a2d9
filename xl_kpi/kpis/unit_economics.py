"""Acquisition and unit economics: what a customer costs, what it is worth, and growth efficiency.

Every function broadcasts like a numpy ufunc; see :mod:`xl_kpi.errors` for
what happens to invalid input.  CAC's spend is "summed": a range of costs is
totalled first (blanks ignored).
"""

from __future__ import annotations

from xl_kpi.kpis.definition import (ANY, COUNT, FRACTION, MONEY, PERIODS, RATIO, UNIT_INTERVAL, Arg, Example, exports,
                                    kpi)

#: Quarters in a year: MAGIC_NUMBER annualises a quarter's revenue growth.
QUARTERS_PER_YEAR = 4


@kpi(
    "CAC",
    example=Example((10000, 50), 200.0),
    summary="Customer acquisition cost: total sales and marketing spend / new customers.",
    unit=MONEY,
    args=(
        Arg("sales_marketing_spend", "Sales and marketing spend of the period (a range is totalled)",
            summed=True, unit=MONEY),
        Arg("new_customers", "Customers acquired in the period", unit=COUNT),
    ),
    excel="SUM(sales_marketing_spend)/new_customers",
    denominators=("new_customers",),
)
def cac(sales_marketing_spend, new_customers):
    """Customer acquisition cost (CAC).

    Parameters
    ----------
    sales_marketing_spend : float or array_like
        Sales and marketing spend of the period. An array (a range of cost
        lines) is totalled first, blanks ignored; the total must be >= 0.
    new_customers : float or array_like
        Customers acquired in the same period (> 0).

    Returns
    -------
    float or ndarray
        Spend per new customer, in the money unit of the spend. A float unless
        ``new_customers`` is an array.

    Notes
    -----
    .. math:: CAC = \\sum spend / new\\ customers

    The domain check applies to the total, so a credit line inside a range of
    costs is fine as long as the total is not negative. No new customers gives
    #DIV/0!; a negative total or count is refused (#NUM!).

    References
    ----------
    KPI catalog (docs/kpi-catalog.md), "Acquisition and unit economics" (spend is summed over a range).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.cac(10000, 50)
    200.0
    >>> xl_kpi.cac([6000, 8000], 10)
    1400.0
    >>> xl_kpi.cac([6000, None, 8000], [10, 20])
    array([1400.,  700.])
    """
    return sales_marketing_spend / new_customers


@kpi(
    "CAC_PAYBACK_MONTHS",
    example=Example((1000, 100), 10.0),
    summary="CAC payback period in months: CAC / (MRR per customer x gross margin).",
    unit=PERIODS,
    args=(
        Arg("cac", "Customer acquisition cost", unit=MONEY),
        Arg("mrr_per_customer", "Monthly recurring revenue per new customer", unit=MONEY),
        Arg("gross_margin", "Gross margin as a fraction (0.8 = 80%); 1 to ignore costs",
            domain=UNIT_INTERVAL, unit=FRACTION),
    ),
    excel="cac/(mrr_per_customer*gross_margin)",
    denominators=("mrr_per_customer*gross_margin",),
)
def cac_payback_months(cac, mrr_per_customer, gross_margin=1):
    """Months of a customer's gross profit needed to earn back its acquisition cost.

    Parameters
    ----------
    cac : float or array_like
        Customer acquisition cost (>= 0).
    mrr_per_customer : float or array_like
        Monthly recurring revenue of a new customer (> 0).
    gross_margin : float or array_like, optional
        Gross margin, 0 < margin <= 1; 1 (the default) pays back from revenue.

    Returns
    -------
    float or ndarray
        Months to pay back the CAC (12 or less is the usual target).

    Notes
    -----
    .. math:: payback = CAC / (MRR_{customer} \\times margin)

    Churn is ignored: this is the simple payback period. A gross margin
    outside 0..1 is refused (#NUM!): above 100% is impossible, and a negative
    margin never pays back. Zero MRR or a zero margin gives #DIV/0!.

    References
    ----------
    KPI catalog (docs/kpi-catalog.md), "Acquisition and unit economics".

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.cac_payback_months(1000, 100)
    10.0
    >>> xl_kpi.cac_payback_months(1000, 100, 0.8)
    12.5
    """
    return cac / (mrr_per_customer * gross_margin)


@kpi(
    "CLV",
    example=Example((300, 0.15), 2000.0),
    summary="Customer lifetime value: arpa x gross margin x (1 + d) / (churn + d).",
    unit=MONEY,
    args=(
        Arg("arpa", "Average revenue per account per period (e.g. monthly)", unit=MONEY),
        Arg("churn_rate", "Churn rate per period, as a fraction (0.05 = 5%)", domain=UNIT_INTERVAL, unit=FRACTION),
        Arg("gross_margin", "Gross margin as a fraction (0.8 = 80%); 1 for revenue lifetime value",
            domain=UNIT_INTERVAL, unit=FRACTION),
        Arg("discount_rate", "Discount rate per period, as a fraction; 0 for no discounting", unit=FRACTION),
    ),
    excel="arpa*gross_margin*(1+discount_rate)/(churn_rate+discount_rate)",
    denominators=("churn_rate+discount_rate",),
)
def clv(arpa, churn_rate, gross_margin=1, discount_rate=0):
    """Customer lifetime value (CLV, LTV) of a subscription customer.

    Parameters
    ----------
    arpa : float or array_like
        Average revenue per account per period (>= 0).
    churn_rate : float or array_like
        Churn per period of the same length, 0 <= churn <= 1.
    gross_margin : float or array_like, optional
        Gross margin, 0 <= margin <= 1; 1 (the default) values revenue.
    discount_rate : float or array_like, optional
        Discount rate per period (>= 0); 0 (the default) for no discounting.

    Returns
    -------
    float or ndarray
        Lifetime value in the money unit of ``arpa``.

    Notes
    -----
    .. math:: CLV = arpa \\times margin \\times (1 + d) / (churn + d)

    The present value of a payment of ``arpa x margin`` made now and at the
    start of every later period the customer survives (probability
    ``1 - churn`` per period), discounted at ``d``:
    :math:`\\sum_{t \\ge 0} ((1 - churn)/(1 + d))^t`. With ``d = 0`` it is
    ``arpa x margin / churn`` = value per period x :func:`customer_lifetime`.

    Refused (#NUM!): churn or margin outside 0..1 (rates are fractions: 5 is
    not 5%), a negative discount rate (it would make later payments worth
    more than today's and the sum need not converge), negative ``arpa``.
    Churn and discount both 0 is an endless customer (#DIV/0!).

    References
    ----------
    The catalog's sources; the discounted form is the standard geometric
    series of a retention model (Gupta & Lehmann, "Customers as assets", 2003).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.clv(300, 0.15)
    2000.0
    >>> xl_kpi.clv(500, 1 / 36)
    18000.0
    >>> round(xl_kpi.clv(100, 0.05, 0.8, 0.01), 3)
    1346.667
    """
    return arpa * gross_margin * (1 + discount_rate) / (churn_rate + discount_rate)


@kpi(
    "CLV_FROM_LIFETIME",
    example=Example((500, 36), 18000.0),
    summary="Customer lifetime value from a lifetime: value per period x lifetime in periods.",
    unit=MONEY,
    args=(
        Arg("value_per_period", "Value of a customer per period (revenue, or revenue x gross margin)", unit=MONEY),
        Arg("lifetime_periods", "Expected customer lifetime, in the same periods", unit=PERIODS),
    ),
    excel="value_per_period*lifetime_periods",
)
def clv_from_lifetime(value_per_period, lifetime_periods):
    """Customer lifetime value as value per period times expected lifetime.

    Parameters
    ----------
    value_per_period : float or array_like
        What a customer brings per period (>= 0): ARPA, or ARPA x margin.
    lifetime_periods : float or array_like
        Expected lifetime in the same periods (>= 0), e.g. from
        :func:`customer_lifetime`.

    Returns
    -------
    float or ndarray
        Lifetime value in the money unit of ``value_per_period``.

    Notes
    -----
    .. math:: CLV = value \\times lifetime

    Equals :func:`clv` without discounting when ``lifetime = 1 / churn``.
    Negative values are refused (#NUM!), as in :func:`clv`: a negative
    lifetime is meaningless and a loss-making customer has no lifetime value
    to speak of in this formula.

    References
    ----------
    KPI catalog (docs/kpi-catalog.md), "Acquisition and unit economics" (value x lifetime form).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.clv_from_lifetime(500, 36)
    18000.0
    """
    return value_per_period * lifetime_periods


@kpi(
    "LTV_CAC_RATIO",
    example=Example((5000, 2500), 2.0),
    summary="LTV to CAC ratio: customer lifetime value / customer acquisition cost (3 or more is the usual target).",
    unit=RATIO,
    args=(
        Arg("clv", "Customer lifetime value", unit=MONEY),
        Arg("cac", "Customer acquisition cost", unit=MONEY),
    ),
    excel="clv/cac",
    denominators=("cac",),
)
def ltv_cac_ratio(clv, cac):
    """Lifetime value earned per unit of acquisition cost.

    Parameters
    ----------
    clv : float or array_like
        Customer lifetime value (>= 0).
    cac : float or array_like
        Customer acquisition cost (> 0).

    Returns
    -------
    float or ndarray
        A multiple; 3 or more is the usual target.

    Notes
    -----
    .. math:: LTV{:}CAC = CLV / CAC

    A zero CAC gives #DIV/0!; negative inputs are refused (#NUM!).

    References
    ----------
    KPI catalog (docs/kpi-catalog.md), "Acquisition and unit economics" (3 or more is the usual target).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.ltv_cac_ratio(5000, 2500)
    2.0
    """
    return clv / cac


@kpi(
    "GROSS_MARGIN",
    example=Example((1000, 250), 0.75),
    summary="Gross margin: (revenue - cost of goods sold) / revenue.",
    unit=FRACTION,
    args=(
        Arg("revenue", "Revenue of the period", unit=MONEY),
        Arg("cogs", "Cost of goods sold (cost of revenue) of the period", unit=MONEY),
    ),
    excel="(revenue-cogs)/revenue",
    denominators=("revenue",),
)
def gross_margin(revenue, cogs):
    """Gross margin: the share of revenue left after the cost of delivering it.

    Parameters
    ----------
    revenue : float or array_like
        Revenue (> 0).
    cogs : float or array_like
        Cost of goods sold (>= 0).

    Returns
    -------
    float or ndarray
        A fraction, at most 1; negative when costs exceed revenue (which is
        reported, not refused: it happens).

    Notes
    -----
    .. math:: margin = (revenue - COGS) / revenue

    Negative revenue or costs are refused (#NUM!): a margin on negative
    revenue has no meaning. Zero revenue gives #DIV/0!.

    References
    ----------
    KPI catalog (docs/kpi-catalog.md), "Acquisition and unit economics".

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.gross_margin(1000, 250)
    0.75
    >>> xl_kpi.gross_margin(1000, 1250)
    -0.25
    """
    return (revenue - cogs) / revenue


@kpi(
    "BURN_MULTIPLE",
    example=Example((2000000, 1000000), 2.0),
    summary="Burn multiple: net cash burn / net new ARR (lower is better; under 1 is excellent).",
    unit=RATIO,
    args=(
        Arg("net_burn", "Net cash burned in the period (negative when cash was generated)", domain=ANY, unit=MONEY),
        Arg("net_new_arr", "Net new ARR added in the same period", unit=MONEY),
    ),
    excel="net_burn/net_new_arr",
    denominators=("net_new_arr",),
)
def burn_multiple(net_burn, net_new_arr):
    """Burn multiple: cash burned per unit of net new ARR (capital efficiency).

    Parameters
    ----------
    net_burn : float or array_like
        Net cash burned in the period; negative when the business generated
        cash.
    net_new_arr : float or array_like
        Net new ARR of the same period (> 0).

    Returns
    -------
    float or ndarray
        A multiple: under 1 is excellent, above 2 is a warning; negative when
        the business grew while generating cash.

    Notes
    -----
    .. math:: burn\\ multiple = net\\ burn / net\\ new\\ ARR

    Shrinking ARR is refused (#NUM!), because the ratio would turn negative
    and read as better than excellent; no ARR growth gives #DIV/0!. A negative
    burn is accepted and gives a negative multiple.

    References
    ----------
    David Sacks, "The Burn Multiple" (Craft Ventures, 2020).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.burn_multiple(2000000, 1000000)
    2.0
    """
    return net_burn / net_new_arr


@kpi(
    "RULE_OF_40",
    example=Example((0.3, 0.15), 0.45),
    summary="Rule of 40 score: revenue growth rate + profit margin (0.40 or more passes).",
    unit=FRACTION,
    args=(
        Arg("revenue_growth_rate", "Revenue growth rate, as a fraction (0.3 = 30%)", domain=ANY, unit=FRACTION),
        Arg("profit_margin", "Profit margin (e.g. EBITDA or free-cash-flow margin), as a fraction",
            domain=ANY, unit=FRACTION),
    ),
    excel="revenue_growth_rate+profit_margin",
)
def rule_of_40(revenue_growth_rate, profit_margin):
    """Rule of 40 score: growth plus profitability.

    Parameters
    ----------
    revenue_growth_rate : float or array_like
        Revenue growth, as a fraction; negative when revenue shrank.
    profit_margin : float or array_like
        Profit margin, as a fraction; negative for a loss-making business.

    Returns
    -------
    float or ndarray
        The score as a fraction; 0.40 (40%) or more passes.

    Notes
    -----
    .. math:: score = growth + margin

    Both inputs can be negative and are accepted; only blanks, text and
    infinities are refused.

    References
    ----------
    KPI catalog (docs/kpi-catalog.md), "Acquisition and unit economics" (0.40 or more passes).

    Examples
    --------
    >>> import xl_kpi
    >>> round(xl_kpi.rule_of_40(0.30, 0.15), 12)
    0.45
    """
    return revenue_growth_rate + profit_margin


@kpi(
    "MAGIC_NUMBER",
    example=Example((1100000, 1000000, 400000), 1.0),
    summary="SaaS magic number: (revenue this quarter - last quarter) x 4 / last quarter's sales and marketing spend.",
    unit=RATIO,
    args=(
        Arg("revenue_current_quarter", "Revenue of the current quarter", unit=MONEY),
        Arg("revenue_previous_quarter", "Revenue of the previous quarter", unit=MONEY),
        Arg("sm_spend_previous_quarter", "Sales and marketing spend of the previous quarter", unit=MONEY),
    ),
    excel="(revenue_current_quarter-revenue_previous_quarter)*4/sm_spend_previous_quarter",
    denominators=("sm_spend_previous_quarter",),
)
def magic_number(revenue_current_quarter, revenue_previous_quarter, sm_spend_previous_quarter):
    """SaaS magic number: annualised new revenue per unit of last quarter's S&M spend.

    Parameters
    ----------
    revenue_current_quarter, revenue_previous_quarter : float or array_like
        Revenue of the two quarters (>= 0).
    sm_spend_previous_quarter : float or array_like
        Sales and marketing spend of the previous quarter (> 0).

    Returns
    -------
    float or ndarray
        A multiple: above 0.75 is usually read as efficient growth; negative
        when revenue fell.

    Notes
    -----
    .. math:: magic = (rev_{q} - rev_{q-1}) \\times 4 / S\\&M_{q-1}

    Spend leads revenue by a quarter, hence the previous quarter's spend.
    Negative revenue or spend is refused (#NUM!); no spend gives #DIV/0!.

    References
    ----------
    KPI catalog (docs/kpi-catalog.md), "Acquisition and unit economics" (quarterly revenue
    growth, annualised, per unit of the previous quarter's sales and marketing spend).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.magic_number(1100000, 1000000, 400000)
    1.0
    """
    return (revenue_current_quarter - revenue_previous_quarter) * QUARTERS_PER_YEAR / sm_spend_previous_quarter


#: The family's KPI functions (from the registry, catalog order) and its constants.
__all__ = exports(__name__, "QUARTERS_PER_YEAR")
