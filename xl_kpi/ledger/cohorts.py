"""Cohort retention: of the customers who started in a month, how many (or how much MRR) remain.

A customer's cohort is its first active month (MRR > 0). Age k of a cohort is
calendar month cohort + k.

* logo retention(cohort, k) = cohort customers active at age k / cohort size
* revenue retention(cohort, k) = cohort MRR at age k / cohort MRR at age 0
  (can exceed 1 when the cohort expands)

Ages past the last month of the data are NaN (a blank cell in Excel); an age
inside the data where nobody is left is 0.

Computed without loops: each active customer-month gets the code
``cohort * n_months + age`` and one ``np.bincount`` fills the matrix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xl_kpi.ledger.bridge import ActiveMonths, active_months
from xl_kpi.ledger.validation import PreparedLedger, months_to_timestamps, prepare_ledger

__all__ = ["cohort_retention", "cohort_matrix"]

BASES = ("logo", "revenue")


def _check_basis(basis: str) -> str:
    b = basis.strip().lower() if isinstance(basis, str) else basis
    if b not in BASES:
        raise ValueError(f"basis must be 'logo' or 'revenue', got {basis!r}")
    return b


def _matrix(act: ActiveMonths, first_month: int, basis: str) -> pd.DataFrame:
    """Cohort x age totals (customers or MRR); NaN past the end of the data."""
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
    grid = grid.reshape(cohorts.size, ages).astype(float)
    # age k of cohort c exists only while c + k is inside the data
    grid[cohorts[:, None] + np.arange(ages)[None, :] >= n_m] = np.nan
    index = pd.DatetimeIndex(months_to_timestamps(first_month + cohorts), name="cohort")
    columns = pd.RangeIndex(ages, name="months_since_start")
    return pd.DataFrame(grid, index=index, columns=columns)


def cohort_matrix(df: pd.DataFrame, customer: str = "customer_id", month: str = "month", mrr: str = "mrr",
                  basis: str = "logo", *, first_row: int = 2, sheet: str | None = None) -> pd.DataFrame:
    """Cohort x months-since-start totals: active customers ("logo") or their MRR ("revenue").

    Column 0 is the cohort's size (new customers of that month) or its
    starting MRR; :func:`cohort_retention` divides each row by it.

    Examples
    --------
    >>> import pandas as pd
    >>> ledger = pd.DataFrame({"customer_id": ["a", "b", "a", "c"],
    ...                        "month": ["2024-01-01", "2024-01-01", "2024-02-01", "2024-02-01"],
    ...                        "mrr": [10, 20, 25, 5]})
    >>> cohort_matrix(ledger)  # doctest: +NORMALIZE_WHITESPACE
    months_since_start    0    1
    cohort
    2024-01-01          2.0  1.0
    2024-02-01          1.0  NaN
    """
    b = _check_basis(basis)
    ledger = prepare_ledger(df, customer, month, mrr, first_row=first_row, sheet=sheet)
    return matrix_from_prepared(ledger, b)


def matrix_from_prepared(ledger: PreparedLedger, basis: str = "logo",
                         active: ActiveMonths | None = None) -> pd.DataFrame:
    """:func:`cohort_matrix` of an already validated ledger (``active``: its :func:`active_months`, if known)."""
    return _matrix(active if active is not None else active_months(ledger), ledger.first_month, _check_basis(basis))


def retention_from_prepared(ledger: PreparedLedger, basis: str = "logo",
                            active: ActiveMonths | None = None) -> pd.DataFrame:
    """:func:`cohort_retention` of an already validated ledger (``active``: its :func:`active_months`, if known)."""
    totals = matrix_from_prepared(ledger, basis, active)
    return totals.div(totals[0], axis=0) if len(totals.columns) else totals


def cohort_retention(df: pd.DataFrame, customer: str = "customer_id", month: str = "month", mrr: str = "mrr",
                     basis: str = "logo", *, first_row: int = 2, sheet: str | None = None) -> pd.DataFrame:
    """Cohort retention matrix of a customer x month ledger.

    Parameters
    ----------
    df : DataFrame
        The ledger (see :func:`xl_kpi.ledger.mrr_bridge`).
    customer, month, mrr : str
        Column names.
    basis : {"logo", "revenue"}
        "logo": share of the cohort's customers active at age k;
        "revenue": cohort MRR at age k / cohort MRR at age 0.
    first_row, sheet : optional
        Where the data sits, for error messages.

    Returns
    -------
    DataFrame
        Index ``cohort`` = the month-start of each cohort that has at least
        one customer; columns 0..N = months since start (N = last month of
        the data - first cohort). NaN past the end of the data.

    Notes
    -----
    .. math:: logo_{c,k} = |\\{i \\in c: MRR_i(c+k) > 0\\}| / |c|,\\quad
              revenue_{c,k} = \\sum_{i \\in c} MRR_i(c+k) / \\sum_{i \\in c} MRR_i(c)

    Examples
    --------
    >>> import pandas as pd
    >>> ledger = pd.DataFrame({"customer_id": ["a", "b", "a", "c"],
    ...                        "month": ["2024-01-01", "2024-01-01", "2024-02-01", "2024-02-01"],
    ...                        "mrr": [10, 20, 25, 5]})
    >>> cohort_retention(ledger)  # doctest: +NORMALIZE_WHITESPACE
    months_since_start    0    1
    cohort
    2024-01-01          1.0  0.5
    2024-02-01          1.0  NaN
    >>> cohort_retention(ledger, basis="revenue").round(4)  # doctest: +NORMALIZE_WHITESPACE
    months_since_start    0       1
    cohort
    2024-01-01          1.0  0.8333
    2024-02-01          1.0     NaN
    """
    b = _check_basis(basis)
    ledger = prepare_ledger(df, customer, month, mrr, first_row=first_row, sheet=sheet)
    return retention_from_prepared(ledger, b)
