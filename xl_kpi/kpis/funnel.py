"""Funnel, marketing and engagement: conversion rates, NPS, lead scores, support times.

The rate functions broadcast like numpy ufuncs; see :mod:`xl_kpi.errors` for
what happens to invalid input (a scalar raises, an array element becomes NaN).

NPS, LEAD_SCORE, AVG_FIRST_RESPONSE_HOURS and AVG_RESOLUTION_HOURS reduce
whole ranges to one number.  They accept a scalar, a list, a tuple of tuples
(an Excel range), a numpy array of any dimension (float with NaN for blanks,
or object with None) or a pandas Series, always return a float, and raise a
:class:`~xl_kpi.errors.KPIError` subclass naming the argument (and the
position of a bad element) when the input is invalid.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from xl_kpi.errors import KPIDivisionByZeroError, KPIDomainError, KPIValueError
from xl_kpi.kpis.definition import (ANY, COUNT, DATETIME, FRACTION, HOURS, POINTS, SCORE, SCORE_0_10, Arg, Example,
                                    as_float_array, exports, first_index, kpi, position)
from xl_kpi.kpis.instants import day_and_hours

#: NPS bands: 9-10 promoters, 7-8 passives, 0-6 detractors.
PROMOTER_MIN_SCORE = 9
DETRACTOR_MAX_SCORE = 6



# --------------------------------------------------------------------------- element-wise rates


@kpi(
    "CONVERSION_RATE",
    example=Example((25, 1000), 0.025),
    summary="Conversion rate: conversions / total (e.g. customers / site visitors).",
    unit=FRACTION,
    args=(
        Arg("conversions", "Conversions in the period (sign-ups, purchases, customers)", unit=COUNT),
        Arg("total", "Population that could convert (site visitors, trials ...)", unit=COUNT),
    ),
    excel="conversions/total",
    denominators=("total",),
)
def conversion_rate(conversions, total):
    """Conversion rate: the share of a population that converted.

    Parameters
    ----------
    conversions : float or array_like
        Conversions in the period (>= 0).
    total : float or array_like
        The population that could convert, e.g. site visitors (> 0).

    Returns
    -------
    float or ndarray
        A fraction (0.025 = 2.5%).

    Notes
    -----
    .. math:: conversion\\ rate = conversions / total

    Negative counts are refused (#NUM!), a zero total gives #DIV/0!.  More
    conversions than the total (several purchases per visitor) is reported as
    it is, above 1.

    References
    ----------
    Customer conversion rate (conversions / site visitors), as in the KPI catalog (docs/kpi-catalog.md).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.conversion_rate(25, 1000)
    0.025
    >>> xl_kpi.conversion_rate([25, 50], 1000)
    array([0.025, 0.05 ])
    """
    return conversions / total


@kpi(
    "PQL_CONVERSION_RATE",
    example=Example((30, 120), 0.25),
    summary="Product-qualified lead conversion rate: PQLs converted / PQLs.",
    unit=FRACTION,
    args=(
        Arg("pqls_converted", "Product-qualified leads that became paying customers", unit=COUNT),
        Arg("pqls", "Product-qualified leads (PQLs) in the period", unit=COUNT),
    ),
    excel="pqls_converted/pqls",
    denominators=("pqls",),
)
def pql_conversion_rate(pqls_converted, pqls):
    """PQL conversion rate: the share of product-qualified leads that became customers.

    Parameters
    ----------
    pqls_converted : float or array_like
        PQLs that converted to paying customers (>= 0).
    pqls : float or array_like
        Product-qualified leads in the period (> 0).

    Returns
    -------
    float or ndarray
        A fraction (0.25 = 25%).

    Notes
    -----
    .. math:: PQL\\ conversion = converted / PQLs

    Negative counts are refused (#NUM!), zero PQLs give #DIV/0!.

    References
    ----------
    As in the KPI catalog (docs/kpi-catalog.md).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.pql_conversion_rate(30, 120)
    0.25
    """
    return pqls_converted / pqls


@kpi(
    "LEAD_TO_CUSTOMER_RATE",
    example=Example((40, 800), 0.05),
    summary="Lead-to-customer rate: new customers / leads.",
    unit=FRACTION,
    args=(
        Arg("customers", "Leads that became customers", unit=COUNT),
        Arg("leads", "Leads in the period", unit=COUNT),
    ),
    excel="customers/leads",
    denominators=("leads",),
)
def lead_to_customer_rate(customers, leads):
    """Lead-to-customer rate: the share of leads that became customers.

    Parameters
    ----------
    customers : float or array_like
        Leads that became customers (>= 0).
    leads : float or array_like
        Leads in the period (> 0).

    Returns
    -------
    float or ndarray
        A fraction (0.05 = 5%).

    Notes
    -----
    .. math:: lead\\ to\\ customer = customers / leads

    Negative counts are refused (#NUM!), zero leads give #DIV/0!.

    References
    ----------
    As in the KPI catalog (docs/kpi-catalog.md).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.lead_to_customer_rate(40, 800)
    0.05
    """
    return customers / leads


@kpi(
    "MQL_TO_SQL_RATE",
    example=Example((60, 300), 0.2),
    summary="MQL-to-SQL rate: sales-qualified leads / marketing-qualified leads.",
    unit=FRACTION,
    args=(
        Arg("sqls", "Sales-qualified leads (SQLs) that came from the MQLs", unit=COUNT),
        Arg("mqls", "Marketing-qualified leads (MQLs) in the period", unit=COUNT),
    ),
    excel="sqls/mqls",
    denominators=("mqls",),
)
def mql_to_sql_rate(sqls, mqls):
    """MQL-to-SQL rate: the share of marketing-qualified leads that sales accepted.

    Parameters
    ----------
    sqls : float or array_like
        Sales-qualified leads (>= 0).
    mqls : float or array_like
        Marketing-qualified leads (> 0).

    Returns
    -------
    float or ndarray
        A fraction (0.2 = 20%).

    Notes
    -----
    .. math:: MQL\\ to\\ SQL = SQLs / MQLs

    Negative counts are refused (#NUM!), zero MQLs give #DIV/0!.

    References
    ----------
    As in the KPI catalog (docs/kpi-catalog.md).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.mql_to_sql_rate(60, 300)
    0.2
    """
    return sqls / mqls


@kpi(
    "CLICK_THROUGH_RATE",
    example=Example((35, 1000), 0.035),
    summary="Click-through rate (CTR): clicks / impressions.",
    unit=FRACTION,
    args=(
        Arg("clicks", "Clicks on the ad, link or e-mail", unit=COUNT),
        Arg("impressions", "Times it was shown", unit=COUNT),
    ),
    excel="clicks/impressions",
    denominators=("impressions",),
)
def click_through_rate(clicks, impressions):
    """Click-through rate (CTR).

    Parameters
    ----------
    clicks : float or array_like
        Clicks (>= 0).
    impressions : float or array_like
        Impressions (> 0).

    Returns
    -------
    float or ndarray
        A fraction (0.035 = 3.5%).

    Notes
    -----
    .. math:: CTR = clicks / impressions

    Negative counts are refused (#NUM!), zero impressions give #DIV/0!.

    References
    ----------
    As in the KPI catalog (docs/kpi-catalog.md).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.click_through_rate(35, 1000)
    0.035
    """
    return clicks / impressions


@kpi(
    "ABANDONMENT_RATE",
    example=Example((100, 25), 0.75),
    summary="Checkout (cart) abandonment rate: (checkouts started - completed) / started.",
    unit=FRACTION,
    args=(
        Arg("checkouts_started", "Checkouts (carts, sign-up flows) started", unit=COUNT),
        Arg("checkouts_completed", "Checkouts completed", unit=COUNT),
    ),
    excel="(checkouts_started-checkouts_completed)/checkouts_started",
    denominators=("checkouts_started",),
)
def abandonment_rate(checkouts_started, checkouts_completed):
    """Abandonment rate: the share of started checkouts never completed.

    Parameters
    ----------
    checkouts_started : float or array_like
        Checkouts started (> 0).
    checkouts_completed : float or array_like
        Checkouts completed (>= 0).

    Returns
    -------
    float or ndarray
        A fraction (0.75 = 75%).

    Notes
    -----
    .. math:: abandonment = (started - completed) / started

    Negative counts are refused (#NUM!), zero started gives #DIV/0!.  More
    completions than starts (completions of checkouts started earlier) gives
    a negative rate, reported as it is.

    References
    ----------
    As in the KPI catalog (docs/kpi-catalog.md).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.abandonment_rate(100, 25)
    0.75
    """
    return (checkouts_started - checkouts_completed) / checkouts_started


@kpi(
    "ADOPTION_RATE",
    example=Example((10, 100), 0.1),
    summary="Adoption rate: adopters / eligible users (feature adoption, or trial-to-paid).",
    unit=FRACTION,
    args=(
        Arg("adopters", "Users who adopted the feature (or trials that became paid)", unit=COUNT),
        Arg("eligible_users", "Users who could adopt it (or trials started)", unit=COUNT),
    ),
    excel="adopters/eligible_users",
    denominators=("eligible_users",),
)
def adoption_rate(adopters, eligible_users):
    """Adoption rate: feature adoption, or trial-to-paid conversion.

    Parameters
    ----------
    adopters : float or array_like
        Users who adopted (>= 0).
    eligible_users : float or array_like
        Users who could adopt (> 0).

    Returns
    -------
    float or ndarray
        A fraction (0.1 = 10%).

    Notes
    -----
    .. math:: adoption = adopters / eligible\\ users

    Negative counts are refused (#NUM!), zero eligible users give #DIV/0!.

    References
    ----------
    As in the KPI catalog (docs/kpi-catalog.md).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.adoption_rate(10, 100)
    0.1
    """
    return adopters / eligible_users


@kpi(
    "STICKINESS",
    example=Example((300, 1000), 0.3),
    summary="Stickiness: daily active users / monthly active users (DAU/MAU).",
    unit=FRACTION,
    args=(
        Arg("dau", "Daily active users (usually the month's average)", unit=COUNT),
        Arg("mau", "Monthly active users", unit=COUNT),
    ),
    excel="dau/mau",
    denominators=("mau",),
)
def stickiness(dau, mau):
    """Stickiness (DAU/MAU): how many of the month's users come back on a given day.

    Parameters
    ----------
    dau : float or array_like
        Daily active users (>= 0).
    mau : float or array_like
        Monthly active users (> 0).

    Returns
    -------
    float or ndarray
        A fraction (0.3 = 30%).

    Notes
    -----
    .. math:: stickiness = DAU / MAU

    Negative counts are refused (#NUM!), zero MAU gives #DIV/0!.

    References
    ----------
    As in the KPI catalog (docs/kpi-catalog.md).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.stickiness(300, 1000)
    0.3
    """
    return dau / mau


# --------------------------------------------------------------------------- helpers for reductions


def _same_shape(a_name: str, a: np.ndarray, b_name: str, b: np.ndarray) -> None:
    # Strict, like Excel's SUMPRODUCT: a row against a column is #VALUE! there too.
    if a.shape != b.shape:
        raise KPIValueError(f"{a_name} and {b_name} must be ranges of the same size, got shapes {a.shape} and {b.shape}")


def _finite(value: float, excel_name: str) -> float:
    # Like the element-wise KPIs: an overflow is #NUM!, never an inf handed on.
    if not np.isfinite(value):
        raise KPIDomainError(f"{excel_name}: the result is not a finite number (inputs too large)")
    return float(value)


def _mean_hours(opened_at: Any, done_at: Any, done_name: str) -> float:
    """Mean of (done - opened) in hours over the rows whose ``done_at`` is filled."""
    o_days, o_hours = day_and_hours(opened_at, "opened_at")
    d_days, d_hours = day_and_hours(done_at, done_name)
    _same_shape("opened_at", o_days, done_name, d_days)
    done = ~np.isnan(d_days)
    bad = first_index(done & np.isnan(o_days))
    if bad is not None:
        raise KPIValueError(f"opened_at is blank at {position(bad, o_days.shape)} where {done_name} has a date-time")
    with np.errstate(over="ignore", invalid="ignore"):
        hours = (d_days - o_days) * 24.0 + (d_hours - o_hours)
    bad = first_index(done & (hours < 0))
    if bad is not None:
        raise KPIDomainError(
            f"{done_name} is before opened_at at {position(bad, o_days.shape)} ({hours.flat[bad]:.4g} hours)"
        )
    if not done.any():
        raise KPIDivisionByZeroError(f"{done_name} has no date-times: there is no ticket to average")
    with np.errstate(over="ignore", invalid="ignore"):
        return _finite(np.mean(hours[done]), f"average hours to {done_name}")


# --------------------------------------------------------------------------- NPS


@kpi(
    "NPS",
    example=Example(([10, 9, 9, 10, 9, 10, 7, 8, 3, 6],), 40.0),
    summary="Net Promoter Score from a range of 0-10 answers: % promoters (9-10) - % detractors (0-6).",
    unit=POINTS,
    args=(Arg("scores", "Survey answers, whole numbers from 0 to 10; blanks are ignored", domain=SCORE_0_10, array=True, unit=SCORE),),
    excel='100*(COUNTIF(scores,">=9")-COUNTIF(scores,"<=6"))/COUNT(scores)',
    elementwise=False,
)
def nps(scores):
    """Net Promoter Score from the individual survey answers.

    Parameters
    ----------
    scores : float, array_like or pandas.Series
        Answers to "how likely are you to recommend us?", whole numbers from
        0 to 10, any shape; blanks (None, NaN) are ignored.

    Returns
    -------
    float
        Points from -100 (all detractors) to 100 (all promoters).

    Notes
    -----
    .. math:: NPS = 100 \\cdot (promoters - detractors) / answers

    Promoters answer 9 or 10, detractors 0 to 6, passives 7 or 8.  A score
    that is not a whole number from 0 to 10 raises KPIDomainError (#NUM!)
    naming its position; text or a boolean raises KPIValueError (#VALUE!);
    no answer at all raises KPIDivisionByZeroError (#DIV/0!).  The native
    Excel formula does not check the scores: the templates validate the
    input cells instead.  Equals :func:`nps_from_counts` of the answers'
    counts.

    References
    ----------
    Net Promoter Score (Reichheld, 2003), as in the KPI catalog (docs/kpi-catalog.md).

    Examples
    --------
    60% promoters and 20% detractors:

    >>> import xl_kpi
    >>> xl_kpi.nps([10] * 30 + [9] * 30 + [8] * 20 + [3] * 20)
    40.0
    >>> xl_kpi.nps([[10, None], [6, 9]])
    33.333333333333336
    """
    s = as_float_array(scores, "scores")
    answered = ~np.isnan(s)
    bad = first_index(answered & SCORE_0_10.violated(s))
    if bad is not None:
        raise KPIDomainError(f"scores must be {SCORE_0_10.describe}, got {s.flat[bad]:g} at {position(bad, s.shape)}")
    n = int(answered.sum())
    if n == 0:
        raise KPIDivisionByZeroError("scores has no answers")
    promoters = int((s >= PROMOTER_MIN_SCORE).sum())
    detractors = int((s <= DETRACTOR_MAX_SCORE).sum())
    return float(100 * (promoters - detractors) / n)


@kpi(
    "NPS_FROM_COUNTS",
    example=Example((60, 20, 20), 40.0),
    summary="Net Promoter Score from counts: 100 * (promoters - detractors) / all respondents.",
    unit=POINTS,
    args=(
        Arg("promoters", "Respondents who answered 9 or 10", unit=COUNT),
        Arg("passives", "Respondents who answered 7 or 8", unit=COUNT),
        Arg("detractors", "Respondents who answered 0 to 6", unit=COUNT),
    ),
    excel="100*(promoters-detractors)/(promoters+passives+detractors)",
    denominators=("promoters+passives+detractors",),
)
def nps_from_counts(promoters, passives, detractors):
    """Net Promoter Score from the number of promoters, passives and detractors.

    Parameters
    ----------
    promoters, passives, detractors : float or array_like
        Respondents in each band (>= 0).

    Returns
    -------
    float or ndarray
        Points from -100 to 100.

    Notes
    -----
    .. math:: NPS = 100 \\cdot (promoters - detractors) / (promoters + passives + detractors)

    Negative counts are refused (#NUM!); no respondents at all give #DIV/0!.

    References
    ----------
    Net Promoter Score (Reichheld, 2003), as in the KPI catalog (docs/kpi-catalog.md).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.nps_from_counts(60, 20, 20)
    40.0
    """
    return 100.0 * (promoters - detractors) / (promoters + passives + detractors)


# --------------------------------------------------------------------------- lead score


@kpi(
    "LEAD_SCORE",
    example=Example(([1, 1, 1], [10, 5, 20]), 35.0),
    summary="Lead score: sum of activity count * points per activity (equal-sized ranges).",
    unit=POINTS,
    args=(
        Arg("activity_counts", "How often the lead did each activity; a blank counts as 0", array=True, unit=COUNT),
        Arg("points", "Points per activity (may be negative), same size as activity_counts",
            domain=ANY, array=True, unit=POINTS),
    ),
    excel="SUMPRODUCT(activity_counts,points)",
    elementwise=False,
)
def lead_score(activity_counts, points):
    """Lead score: points earned by a lead's activities.

    Parameters
    ----------
    activity_counts : float, array_like or pandas.Series
        How many times the lead did each activity (>= 0).
    points : float, array_like or pandas.Series
        Points per activity, same shape as ``activity_counts``; negative
        points (unsubscribed, competitor e-mail domain) are allowed.

    Returns
    -------
    float
        The score, in points.

    Notes
    -----
    .. math:: score = \\sum_i count_i \\cdot points_i

    Like Excel's SUMPRODUCT, a blank (None, NaN) in either range adds
    nothing: a blank count is "never done", a blank points value "worth
    nothing".  Ranges of different shapes raise KPIValueError (#VALUE!); a
    negative or infinite count, or infinite points, raise KPIDomainError
    (#NUM!) naming the position.

    References
    ----------
    As in the KPI catalog (docs/kpi-catalog.md).

    Examples
    --------
    A webinar (10), a newsletter click (5) and a sales enquiry (20), one each:

    >>> import xl_kpi
    >>> xl_kpi.lead_score([1, 1, 1], [10, 5, 20])
    35.0
    >>> xl_kpi.lead_score([2, None, 1], [10, 5, -15])
    5.0
    """
    counts = as_float_array(activity_counts, "activity_counts")
    pts = as_float_array(points, "points")
    _same_shape("activity_counts", counts, "points", pts)
    bad = first_index((counts < 0) | np.isinf(counts))
    if bad is not None:
        raise KPIDomainError(f"activity_counts must be >= 0 and finite, got {counts.flat[bad]:g} at {position(bad, counts.shape)}")
    bad = first_index(np.isinf(pts))
    if bad is not None:
        raise KPIDomainError(f"points must be finite, got {pts.flat[bad]:g} at {position(bad, pts.shape)}")
    with np.errstate(over="ignore", invalid="ignore"):
        return _finite(np.sum(np.nan_to_num(counts, nan=0.0) * np.nan_to_num(pts, nan=0.0)), "LEAD_SCORE")


# --------------------------------------------------------------------------- support times


@kpi(
    "AVG_FIRST_RESPONSE_HOURS",
    example=Example(([dt.datetime(2024, 1, 1, 9, 0)], [dt.datetime(2024, 1, 1, 11, 30)]), 2.5),
    summary="Average first response time in hours; tickets without a response are skipped.",
    unit=HOURS,
    args=(
        Arg("opened_at", "Date-times the tickets were opened", domain=ANY, array=True, unit=DATETIME),
        Arg("first_response_at", "Date-times of the first response; blank if not answered yet",
            domain=ANY, array=True, unit=DATETIME),
    ),
    excel='24*SUMPRODUCT((first_response_at<>"")*(first_response_at-opened_at))/COUNT(first_response_at)',
    elementwise=False,
)
def avg_first_response_hours(opened_at, first_response_at):
    """Average first response time of support tickets, in hours.

    Parameters
    ----------
    opened_at : date-times, array_like or pandas.Series
        When each ticket was opened.
    first_response_at : date-times, array_like or pandas.Series
        When each ticket got its first response, same shape; blank if none yet.

    Returns
    -------
    float
        Mean hours from opening to first response over the answered tickets.

    Notes
    -----
    .. math:: \\overline{t} = 24 \\cdot \\frac{1}{n} \\sum_{answered} (response_i - opened_i)

    (date-times in days, as Excel serials).  Rows with a blank response are
    skipped.  A response with a blank opened_at raises KPIValueError
    (#VALUE!); a response before the opening raises KPIDomainError (#NUM!);
    no answered ticket raises KPIDivisionByZeroError (#DIV/0!); ranges of
    different shapes raise KPIValueError.  The native Excel formula skips
    blank responses the same way but does not check the other cases.

    Date-times may be Excel serial day numbers (as the Excel functions pass
    them; blank cells as NaN), ``datetime`` / ``date``, numpy ``datetime64``,
    pandas ``Timestamp`` / Series / ``DatetimeIndex`` (time-zone-aware ones
    are taken in UTC), or a mix; text and booleans raise KPIValueError.

    References
    ----------
    As in the KPI catalog (docs/kpi-catalog.md).

    Examples
    --------
    Opened at 09:00, answered at 11:30:

    >>> import datetime as dt, xl_kpi
    >>> xl_kpi.avg_first_response_hours(dt.datetime(2026, 11, 24, 9), dt.datetime(2026, 11, 24, 11, 30))
    2.5
    >>> opened = [dt.datetime(2026, 11, 24, 9), dt.datetime(2026, 11, 24, 10)]
    >>> xl_kpi.avg_first_response_hours(opened, [dt.datetime(2026, 11, 24, 11, 30), None])
    2.5
    """
    return _mean_hours(opened_at, first_response_at, "first_response_at")


@kpi(
    "AVG_RESOLUTION_HOURS",
    example=Example(([dt.datetime(2024, 1, 1, 9, 0)], [dt.datetime(2024, 1, 1, 11, 30)]), 2.5),
    summary="Average resolution time in hours; unresolved tickets are skipped.",
    unit=HOURS,
    args=(
        Arg("opened_at", "Date-times the tickets were opened", domain=ANY, array=True, unit=DATETIME),
        Arg("resolved_at", "Date-times the tickets were resolved; blank if still open",
            domain=ANY, array=True, unit=DATETIME),
    ),
    excel='24*SUMPRODUCT((resolved_at<>"")*(resolved_at-opened_at))/COUNT(resolved_at)',
    elementwise=False,
)
def avg_resolution_hours(opened_at, resolved_at):
    """Average resolution time of support tickets, in hours.

    Parameters
    ----------
    opened_at : date-times, array_like or pandas.Series
        When each ticket was opened.
    resolved_at : date-times, array_like or pandas.Series
        When each ticket was resolved, same shape; blank if still open.

    Returns
    -------
    float
        Mean hours from opening to resolution over the resolved tickets.

    Notes
    -----
    .. math:: \\overline{t} = 24 \\cdot \\frac{1}{n} \\sum_{resolved} (resolved_i - opened_i)

    (date-times in days, as Excel serials).  Unresolved (blank) rows are
    skipped.  A resolution with a blank opened_at raises KPIValueError
    (#VALUE!); a resolution before the opening raises KPIDomainError
    (#NUM!); no resolved ticket raises KPIDivisionByZeroError (#DIV/0!);
    ranges of different shapes raise KPIValueError.  The native Excel
    formula skips blank resolutions the same way but does not check the
    other cases.

    Date-times may be Excel serial day numbers (as the Excel functions pass
    them; blank cells as NaN), ``datetime`` / ``date``, numpy ``datetime64``,
    pandas ``Timestamp`` / Series / ``DatetimeIndex`` (time-zone-aware ones
    are taken in UTC), or a mix; text and booleans raise KPIValueError.

    References
    ----------
    As in the KPI catalog (docs/kpi-catalog.md).

    Examples
    --------
    Two tickets resolved after 3 and 27 hours, one still open (Excel serials):

    >>> import xl_kpi
    >>> xl_kpi.avg_resolution_hours([46350.25, 46350.5, 46351.0], [46350.375, 46351.625, None])
    15.0
    """
    return _mean_hours(opened_at, resolved_at, "resolved_at")


#: The family's KPI functions (from the registry, catalog order) and its constants.
__all__ = exports(__name__, "PROMOTER_MIN_SCORE", "DETRACTOR_MAX_SCORE")
