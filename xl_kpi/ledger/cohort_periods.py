"""Cohort sizes, and cohorts by quarter or year.

A cohort's *size* is its number of customers and their starting MRR (each
customer's MRR in its first active month): the denominators of the cohort
matrix, shown beside it so a reader sees how many customers a percentage
stands for.

Quarterly (or yearly) cohorts group customers by the period of their first
active month. Retention at age k (periods since the cohort's period) is a
month-end snapshot, like every figure of the ledger analysis: the customers
of the cohort active in the *last month* of period cohort + k, over the
cohort's customers ("logo"), or their MRR in that month over the cohort's
starting MRR ("revenue"). Age 0 can be below 1 (a customer who started and
left within its first quarter), and an age whose period ends after the
report's last month is NaN: it has no month-end yet.

Computed without loops: the active customer-months in a period's last month
get the code ``cohort * n_ages + age`` and one ``np.bincount`` fills the
matrix, as for monthly cohorts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xl_kpi.ledger.customer_months import ActiveMonths
from xl_kpi.ledger.money import round_money
from xl_kpi.ledger.periods import _LENGTH, check_fiscal_year_start, check_period, period_keys
from xl_kpi.ledger.validation import months_to_timestamps

__all__ = ["first_active_month", "cohort_size_table", "period_cohort_totals"]



def first_active_month(act: ActiveMonths) -> tuple[np.ndarray, np.ndarray]:
    """(first active month code, MRR in it) of every customer; -1 and 0 for a customer never active."""
    first = np.full(act.n_customers, -1, np.int64)
    start_mrr = np.zeros(act.n_customers)
    c = act.customer
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]]) if c.size else c  # entries sorted by (customer, month)
    first[c[starts]] = act.month[starts]
    start_mrr[c[starts]] = act.mrr[starts]
    return first, start_mrr


def cohort_size_table(act: ActiveMonths, first_month: int, period: str = "month",
                      fiscal_year_start: int = 1) -> pd.DataFrame:
    """Customers and starting MRR of each cohort (index ``cohort``: the period's first month).

    >>> import numpy as np
    >>> act = ActiveMonths(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 3]), np.array([10.0, 12.0, 5.0, 7.0]), 3, 4)
    >>> cohort_size_table(act, 648)      # doctest: +NORMALIZE_WHITESPACE
                customers  starting_mrr
    cohort
    2024-01-01          1          10.0
    2024-02-01          1           5.0
    2024-04-01          1           7.0
    >>> cohort_size_table(act, 648, "quarter")["customers"].tolist()
    [2, 1]
    """
    p = check_period(period)
    s = check_fiscal_year_start(fiscal_year_start)
    first, start_mrr = first_active_month(act)
    active = first >= 0
    keys, period_first = period_keys(first_month + first[active], p, s)
    cohorts, inverse = np.unique(keys, return_inverse=True)
    starts = period_first[np.unique(inverse, return_index=True)[1]] if cohorts.size else period_first[:0]
    customers = np.bincount(inverse, minlength=cohorts.size).astype(np.int64)
    mrr = round_money(np.bincount(inverse, weights=start_mrr[active], minlength=cohorts.size))
    index = pd.DatetimeIndex(months_to_timestamps(starts), name="cohort")
    return pd.DataFrame({"customers": customers, "starting_mrr": mrr}, index=index)


def period_cohort_totals(act: ActiveMonths, first_month: int, basis: str, period: str = "quarter",
                         fiscal_year_start: int = 1) -> pd.DataFrame:
    """Cohort x age totals by quarter or year: active customers ("logo") or their MRR ("revenue")
    in the last month of each period; NaN where that month is after the report's last month.

    Column ``0`` is *not* the cohort's size here (see :func:`cohort_size_table`).

    >>> import numpy as np
    >>> # a: Jan-Apr 2024; b: starts Feb, leaves after Feb; c: starts Apr
    >>> act = ActiveMonths(np.array([0, 0, 0, 0, 1, 2]), np.array([0, 1, 2, 3, 1, 3]),
    ...                    np.array([10.0, 10, 10, 10, 5, 7]), 3, 6)   # 2024-01 .. 2024-06
    >>> period_cohort_totals(act, 648, "logo")   # doctest: +NORMALIZE_WHITESPACE
    periods_since_start    0    1
    cohort
    2024-01-01           1.0  0.0
    2024-04-01           0.0  NaN
    """
    p = check_period(period)
    s = check_fiscal_year_start(fiscal_year_start)
    if basis not in ("logo", "revenue"):
        raise ValueError(f"basis must be 'logo' or 'revenue', got {basis!r}")
    length = _LENGTH[p]
    first, _ = first_active_month(act)
    active = first >= 0
    cust_key = np.full(act.n_customers, -1, np.int64)
    cust_key[active] = period_keys(first_month + first[active], p, s)[0]
    cohorts, cohort_first = np.unique(cust_key[active], return_index=True)
    cohort_first = period_keys(first_month + first[active][cohort_first], p, s)[1] if cohorts.size else cohort_first
    entry_key, entry_first = period_keys(first_month + act.month, p, s)
    last_of_period = entry_first + length - 1 == first_month + act.month  # a month-end snapshot of its period
    last_report = first_month + act.n_months - 1
    n_ages = int(period_keys(np.array([last_report]), p, s)[0][0] - cohorts[0] + 1) if cohorts.size else 0
    pick = last_of_period
    rank = np.searchsorted(cohorts, cust_key[act.customer[pick]])
    age = entry_key[pick] - cust_key[act.customer[pick]]
    weights = act.mrr[pick] if basis == "revenue" else None
    grid = np.bincount(rank * n_ages + age, weights=weights, minlength=cohorts.size * n_ages).astype(float)
    if weights is not None:  # money totals: the rule of xl_kpi.ledger.money
        grid = round_money(grid)
    grid = grid.reshape(cohorts.size, n_ages)
    ends = cohort_first[:, None] + length * np.arange(n_ages)[None, :] + length - 1  # each cell's month-end
    grid[ends > last_report] = np.nan
    index = pd.DatetimeIndex(months_to_timestamps(cohort_first), name="cohort")
    return pd.DataFrame(grid, index=index, columns=pd.RangeIndex(n_ages, name="periods_since_start"))
