"""Cohort retention: of the customers who started in a month, how many (or how much MRR) remain.

A customer's cohort is its first active month (MRR > 0). Age k of a cohort is
calendar month cohort + k.

* logo retention(cohort, k) = cohort customers active at age k / cohort size
* revenue retention(cohort, k) = cohort MRR at age k / cohort MRR at age 0
  (can exceed 1 when the cohort expands); the MRR are the customer-month
  amounts and totals of the money rule (:mod:`xl_kpi.ledger.money`)

Ages past the last month of the data are NaN (a blank cell in Excel); an age
inside the data where nobody is left is 0.

The public entry points are :func:`xl_kpi.ledger.cohort_retention` /
:func:`xl_kpi.ledger.cohort_matrix` (a DataFrame in) and
:meth:`xl_kpi.ledger.Ledger.cohorts` / :meth:`~xl_kpi.ledger.Ledger.cohort_matrix`
(a prepared ledger); both end here.

Computed without loops: each active customer-month gets the code
``cohort * n_months + age`` and one ``np.bincount`` fills the matrix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xl_kpi.ledger.customer_months import ActiveMonths
from xl_kpi.ledger.money import round_money
from xl_kpi.ledger.validation import months_to_timestamps

__all__ = ["BASES", "check_basis", "cohort_totals", "cohort_frame", "retention"]

#: The two ways to count a cohort.
BASES = ("logo", "revenue")


def check_basis(basis: str) -> str:
    """``basis`` normalised ("Revenue " -> "revenue"); ValueError unless logo or revenue."""
    b = basis.strip().lower() if isinstance(basis, str) else basis
    if b not in BASES:
        raise ValueError(f"basis must be 'logo' or 'revenue', got {basis!r}")
    return b


def cohort_totals(act: ActiveMonths, first_month: int, basis: str = "logo") -> pd.DataFrame:
    """Cohort x age totals (customers or MRR) of active customer-months; NaN past the end of the data.

    ``first_month`` is the ledger's month 0 (months since 1970-01).
    """
    basis = check_basis(basis)
    n_m = act.n_months
    first = np.full(act.n_customers, -1, np.int64)
    # entries are sorted by (customer, month): a customer's first entry is its first active month
    c = act.customer
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]]) if c.size else c
    first[c[starts]] = act.month[starts]
    cohorts = np.flatnonzero(np.bincount(first[first >= 0], minlength=n_m))  # months that start a cohort
    ages = n_m - (int(cohorts[0]) if cohorts.size else n_m)
    # compact grid: only months that start a cohort, only ages that exist (memory ~ the result)
    cohort = first[act.customer]
    rank = np.searchsorted(cohorts, cohort)
    weights = act.mrr if basis == "revenue" else None
    grid = np.bincount(rank * ages + (act.month - cohort), weights=weights, minlength=cohorts.size * ages)
    return cohort_frame(grid.reshape(cohorts.size, ages), cohorts, first_month, n_m)


def cohort_frame(grid: np.ndarray, cohorts: np.ndarray, first_month: int, n_months: int) -> pd.DataFrame:
    """The cohort x age frame of a 2-D ``grid`` of totals, one row per month code in ``cohorts``.

    Ages past the end of the data (cohort + age >= ``n_months``) become NaN.
    The numpy path and the Ibis engine (:mod:`xl_kpi.engines`) both end here,
    so both get the money rule (:mod:`xl_kpi.ledger.money`) here: MRR totals
    are rounded to its decimals (customer counts are whole numbers, unchanged).

    >>> cohort_frame(np.array([[2, 1], [3, 0]]), np.array([0, 1]), 648, 2)  # doctest: +NORMALIZE_WHITESPACE
    months_since_start    0    1
    cohort
    2024-01-01          2.0  1.0
    2024-02-01          3.0  NaN
    """
    cohorts = np.asarray(cohorts, dtype=np.int64)
    grid = round_money(grid)  # a new array: the NaNs below stay out of the caller's
    ages = grid.shape[1]
    # age k of cohort c exists only while c + k is inside the data
    grid[cohorts[:, None] + np.arange(ages)[None, :] >= n_months] = np.nan
    index = pd.DatetimeIndex(months_to_timestamps(first_month + cohorts), name="cohort")
    columns = pd.RangeIndex(ages, name="months_since_start")
    return pd.DataFrame(grid, index=index, columns=columns)


def retention(totals: pd.DataFrame) -> pd.DataFrame:
    """Each row of :func:`cohort_totals` divided by its age 0 (the cohort's size or starting MRR)."""
    return totals.div(totals[0], axis=0) if len(totals.columns) else totals
