"""The prepared ledger: validated and factorised once, with its analyses as methods.

:func:`prepare_ledger` checks a ledger DataFrame (:mod:`xl_kpi.ledger.validation`)
and returns a :class:`Ledger`. Its customer-month totals
(:mod:`xl_kpi.ledger.customer_months`) are computed on first use and shared
by every analysis, so a refresh that needs the bridge, both cohort matrices
and the monthly KPIs reads and adds up the rows once::

    ledger = prepare_ledger(df)
    ledger.bridge(); ledger.cohorts("logo"); ledger.cohorts("revenue"); ledger.monthly_kpis()

A new analysis is a module of ``xl_kpi/ledger/`` that computes from
:class:`~xl_kpi.ledger.customer_months.ActiveMonths` (never from the raw
rows), and a method here that calls it with :attr:`Ledger.active`.

The DataFrame functions :func:`mrr_bridge`, :func:`cohort_retention` and
:func:`cohort_matrix` are ``prepare_ledger(df).<analysis>()``.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from xl_kpi.ledger import validation
from xl_kpi.ledger.bridge import bridge_table
from xl_kpi.ledger.cohorts import check_basis, cohort_totals, retention
from xl_kpi.ledger.customer_months import ActiveMonths, active_months
from xl_kpi.ledger.monthly import monthly_kpis
from xl_kpi.ledger.validation import PreparedLedger

__all__ = ["Ledger", "prepare_ledger", "mrr_bridge", "cohort_retention", "cohort_matrix"]


class Ledger:
    """A validated ledger as integer codes, and the analyses of it.

    Build one with :func:`prepare_ledger`. ``codes`` holds the rows
    (:class:`~xl_kpi.ledger.validation.PreparedLedger`); :attr:`active` the
    customer-month totals every analysis starts from, computed once.

    Examples
    --------
    >>> import pandas as pd
    >>> ledger = prepare_ledger(pd.DataFrame({"customer_id": ["a", "b", "a"],
    ...                                       "month": ["2024-01-01", "2024-01-20", "2024-02-01"],
    ...                                       "mrr": [100, 50, 120]}))
    >>> ledger.n_rows, ledger.n_customers, ledger.n_months
    (3, 2, 2)
    >>> ledger.bridge()[["ending_mrr", "churned_customers"]].to_numpy().tolist()
    [[150.0, 0.0], [120.0, 1.0]]
    >>> ledger.cohorts("logo").to_numpy().tolist()
    [[1.0, 0.5]]
    """

    def __init__(self, codes: PreparedLedger):
        self.codes = codes

    def __repr__(self) -> str:
        return f"<Ledger: {self.n_rows} rows, {self.n_customers} customers, {self.n_months} months>"

    @property
    def n_rows(self) -> int:
        """Ledger rows used (completely blank rows are not counted)."""
        return len(self.codes.mrr)

    @property
    def n_customers(self) -> int:
        return self.codes.n_customers

    @property
    def n_months(self) -> int:
        """Calendar months from the first to the last month of the data."""
        return self.codes.n_months

    @property
    def customers(self) -> Any:
        """The distinct customer ids, in code order."""
        return self.codes.customers

    def month_starts(self) -> np.ndarray:
        """The calendar months of the ledger as month-start datetime64[ns]."""
        return self.codes.month_starts()

    @cached_property
    def active(self) -> ActiveMonths:
        """The active customer-months (computed on first use, then shared by every analysis)."""
        return active_months(self.codes)

    def _active(self, method: str) -> ActiveMonths:
        return self.active if method == "auto" else active_months(self.codes, method)

    def bridge(self, method: str = "auto") -> pd.DataFrame:
        """The MRR bridge (see :func:`mrr_bridge`); ``method`` as :func:`~xl_kpi.ledger.customer_months.active_months`."""
        return bridge_table(self._active(method), self.month_starts())

    def cohort_matrix(self, basis: str = "logo") -> pd.DataFrame:
        """Cohort x months-since-start totals (see :func:`cohort_matrix`)."""
        return cohort_totals(self.active, self.codes.first_month, basis)

    def cohorts(self, basis: str = "logo") -> pd.DataFrame:
        """The cohort retention matrix by ``basis`` "logo" or "revenue" (see :func:`cohort_retention`)."""
        return retention(self.cohort_matrix(basis))

    def monthly_kpis(self) -> pd.DataFrame:
        """The monthly KPI table of the bridge (see :func:`xl_kpi.ledger.monthly_kpis`)."""
        return monthly_kpis(self.bridge())


def prepare_ledger(df: pd.DataFrame, customer: str = "customer_id", month: str = "month", mrr: str = "mrr",
                   *, first_row: int = 2, sheet: str | None = None, **options: Any) -> Ledger:
    """Validate a ledger once and return it as a :class:`Ledger` ready for every analysis.

    Arguments are those of :func:`xl_kpi.ledger.validate_ledger` (``options``
    are passed on to it); a bad ledger raises :class:`xl_kpi.ledger.LedgerError`
    naming the row and column.

    >>> import pandas as pd
    >>> prepare_ledger(pd.DataFrame({"customer_id": ["a"], "month": ["2024-01-31"], "mrr": [10]}))
    <Ledger: 1 rows, 1 customers, 1 months>
    """
    return Ledger(validation.prepare_ledger(df, customer, month, mrr, first_row=first_row, sheet=sheet, **options))


def mrr_bridge(df: pd.DataFrame, customer: str = "customer_id", month: str = "month", mrr: str = "mrr",
               *, first_row: int = 2, sheet: str | None = None) -> pd.DataFrame:
    """Monthly MRR bridge (waterfall) of a customer x month ledger.

    Parameters
    ----------
    df : DataFrame
        The ledger: one row per customer per month (any date inside the
        month; several rows of one customer and month are added up).
    customer, month, mrr : str
        Column names of the customer id, the date and the MRR amount.
    first_row, sheet : int, str, optional
        Where the data sits, for error messages (see :func:`validate_ledger`).

    Returns
    -------
    DataFrame
        One row per calendar month from the first to the last month of the
        data (rows with zero MRR count for that range; a month without rows
        is still a row), with the columns of
        :data:`BRIDGE_COLUMNS`: ``month`` (month start), starting / new /
        expansion / reactivation / contraction / churned / ending MRR
        (contraction and churned as positive numbers), customer counts and
        the rates, NaN where the denominator is 0.

    Notes
    -----
    .. math::

        starting_m + new_m + expansion_m + reactivation_m
        - contraction_m - churned_m = ending_m,\\quad starting_m = ending_{m-1}

    customer_churn_rate = churned_customers / customers_start;
    gross_revenue_churn_rate = (churned + contraction) / starting;
    net_revenue_retention = (starting + expansion - contraction - churned) / starting;
    quick_ratio = (new + expansion + reactivation) / (contraction + churned);
    arpa = ending_mrr / customers_end. They are computed by the KPI functions
    (:func:`xl_kpi.churn_rate` ...), so there is one definition of each.

    Examples
    --------
    Customer a starts at 100 and grows to 150; b pays 50 in January only;
    c starts in February; b comes back in March at 40:

    >>> import pandas as pd
    >>> ledger = pd.DataFrame({
    ...     "customer_id": ["a", "b", "a", "c", "a", "c", "b"],
    ...     "month": ["2024-01-05", "2024-01-20", "2024-02-01", "2024-02-10",
    ...               "2024-03-01", "2024-03-31", "2024-03-15"],
    ...     "mrr": [100, 50, 150, 30, 150, 30, 40]})
    >>> bridge = mrr_bridge(ledger)
    >>> print(bridge[["month", "starting_mrr", "new_mrr", "expansion_mrr", "reactivation_mrr",
    ...               "churned_mrr", "ending_mrr"]].to_string())
           month  starting_mrr  new_mrr  expansion_mrr  reactivation_mrr  churned_mrr  ending_mrr
    0 2024-01-01           0.0    150.0            0.0               0.0          0.0       150.0
    1 2024-02-01         150.0     30.0           50.0               0.0         50.0       180.0
    2 2024-03-01         180.0      0.0            0.0              40.0          0.0       220.0
    >>> bridge["customer_churn_rate"].round(3).tolist()
    [nan, 0.5, 0.0]
    """
    return prepare_ledger(df, customer, month, mrr, first_row=first_row, sheet=sheet).bridge()


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
    b = check_basis(basis)  # before reading the data: a bad basis is the first thing to report
    return prepare_ledger(df, customer, month, mrr, first_row=first_row, sheet=sheet).cohort_matrix(b)


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
    b = check_basis(basis)
    return prepare_ledger(df, customer, month, mrr, first_row=first_row, sheet=sheet).cohorts(b)
