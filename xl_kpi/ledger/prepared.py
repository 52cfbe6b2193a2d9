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
from xl_kpi.ledger.bridge import EntryMoves, bridge_arrays, bridge_from_totals, bridge_table, entry_moves, segment_bridge_table
from xl_kpi.ledger.cohort_periods import cohort_size_table, period_cohort_totals
from xl_kpi.ledger.cohorts import check_basis, cohort_totals, retention
from xl_kpi.ledger.customer_months import ActiveMonths, active_months
from xl_kpi.ledger.monthly import monthly_kpis
from xl_kpi.ledger.movements import movement_table
from xl_kpi.ledger.periods import check_period, rollup
from xl_kpi.ledger.segments import SegmentSplit, check_segments, split_by_segment
from xl_kpi.ledger.trailing import check_window, segment_trailing_table, trailing_table
from xl_kpi.ledger.validation import PreparedLedger
from xl_kpi.words import counted

__all__ = ["Ledger", "prepare_ledger", "mrr_bridge", "cohort_retention", "cohort_matrix", "cohort_sizes"]


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

    def __init__(self, codes: PreparedLedger, segments: np.ndarray | None = None):
        self.codes = codes
        #: each row's segment value (aligned with ``codes``), when the ledger has a segment column
        self.segments = segments

    def __repr__(self) -> str:
        return (f"<Ledger: {counted(self.n_rows, 'row')}, {counted(self.n_customers, 'customer')}, "
                f"{counted(self.n_months, 'month')}>")

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
    def checks(self):
        """The data checks of the read (:class:`xl_kpi.ledger.checks.DataChecks`)."""
        return self.codes.checks

    def month_range(self) -> str:
        """"Jan 2024 - Jun 2024": the months reported."""
        return self.codes.month_range()

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

    @cached_property
    def moves(self) -> EntryMoves:
        """How each active customer-month moved (:func:`xl_kpi.ledger.bridge.entry_moves`), for the bridge
        and the movements alike: classified once."""
        return entry_moves(self.active)

    @cached_property
    def _bridge(self) -> pd.DataFrame:
        # the bridge of the report, its quarters and years, and the monthly KPIs: computed once
        return bridge_from_totals(self.month_starts(), bridge_arrays(self.active, self.moves))

    def bridge(self, method: str = "auto", *, by_segment: bool = False) -> pd.DataFrame:
        """The MRR bridge (see :func:`mrr_bridge`); ``method`` as :func:`~xl_kpi.ledger.customer_months.active_months`.

        ``by_segment``: one bridge per segment, with a leading ``segment``
        column (the ledger must have been prepared with ``segment=``).
        Each call returns a frame of its own (the caller may change it).
        """
        if by_segment:
            return segment_bridge_table(self.segment_split, self.month_starts())
        if method == "auto":
            return self._bridge.copy()
        return bridge_table(self._active(method), self.month_starts())

    @cached_property
    def segment_split(self) -> SegmentSplit:
        """The ledger stretched by segment (:func:`xl_kpi.ledger.segments.split_by_segment`)."""
        if self.segments is None:
            raise ValueError("this ledger has no segment column: prepare it with segment=<column name>")
        return split_by_segment(self.codes, self.segments)

    def rollup(self, period: str = "quarter", fiscal_year_start: int = 1, *, by_segment: bool = False) -> pd.DataFrame:
        """The bridge rolled up to quarters or years (see :func:`xl_kpi.ledger.rollup`)."""
        return rollup(self.bridge(by_segment=by_segment), period, fiscal_year_start)

    def trailing_retention(self, window: int = 12, *, by_segment: bool = False) -> pd.DataFrame:
        """Trailing NRR, GRR and logo retention over ``window`` months (see :func:`xl_kpi.ledger.trailing_retention`).

        ``by_segment``: one table per segment (a customer in the segment of
        its most recent row, as for the segment bridges), with a leading
        ``segment`` column.
        """
        if by_segment:
            split = self.segment_split
            return segment_trailing_table(self.active, split.customer_segment, split.labels, self.month_starts(),
                                          check_window(window))
        return trailing_table(self.active, self.month_starts(), check_window(window))

    def movements(self, latest: int | None = None) -> pd.DataFrame:
        """Every customer's MRR movement by month (see :func:`xl_kpi.ledger.mrr_movements`); ``latest``:
        those of the latest ``latest`` months with a movement only (:func:`xl_kpi.ledger.movements.latest_months`)."""
        return movement_table(self.active, self.codes.first_month, self.customers, self.moves, latest)

    def cohort_matrix(self, basis: str = "logo", period: str = "month", fiscal_year_start: int = 1) -> pd.DataFrame:
        """Cohort x age totals (see :func:`cohort_matrix`); ``period`` "quarter" or "year" for period cohorts."""
        if check_period(period) == "month":
            return cohort_totals(self.active, self.codes.first_month, basis)
        return period_cohort_totals(self.active, self.codes.first_month, check_basis(basis), check_period(period),
                                    fiscal_year_start)

    def cohorts(self, basis: str = "logo", period: str = "month", fiscal_year_start: int = 1) -> pd.DataFrame:
        """The cohort retention matrix by ``basis`` "logo" or "revenue" (see :func:`cohort_retention`)."""
        if check_period(period) == "month":
            return retention(self.cohort_matrix(basis))
        totals = self.cohort_matrix(basis, period, fiscal_year_start)
        sizes = self.cohort_sizes(period, fiscal_year_start)
        size = sizes["customers" if check_basis(basis) == "logo" else "starting_mrr"].to_numpy(dtype=float)
        return totals.div(size, axis=0)

    def cohort_sizes(self, period: str = "month", fiscal_year_start: int = 1) -> pd.DataFrame:
        """Customers and starting MRR of each cohort (see :func:`cohort_sizes`)."""
        return cohort_size_table(self.active, self.codes.first_month, period, fiscal_year_start)

    def monthly_kpis(self) -> pd.DataFrame:
        """The monthly KPI table of the bridge (see :func:`xl_kpi.ledger.monthly_kpis`)."""
        return monthly_kpis(self.bridge())


def prepare_ledger(df: pd.DataFrame, customer: str = "customer_id", month: str = "month", mrr: str = "mrr",
                   *, first_row: int = 2, sheet: str | None = None, segment: str | None = None, as_of: Any = None,
                   **options: Any) -> Ledger:
    """Validate a ledger once and return it as a :class:`Ledger` ready for every analysis.

    Arguments are those of :func:`xl_kpi.ledger.validate_ledger` (``options``
    are passed on to it); a bad ledger raises :class:`xl_kpi.ledger.LedgerError`
    naming the row and column. ``segment`` names a column of segments (plan,
    region ...) for ``.bridge(by_segment=True)``; ``as_of`` is the report
    month (any date inside it): later rows are left out
    (:mod:`xl_kpi.ledger.report_range`).

    >>> import pandas as pd
    >>> prepare_ledger(pd.DataFrame({"customer_id": ["a"], "month": ["2024-01-31"], "mrr": [10]}))
    <Ledger: 1 row, 1 customer, 1 month>
    """
    # validation cuts at as_of itself, so that the rows it leaves out are counted in the data checks
    if segment is None:
        return Ledger(validation.ledger_codes(df, customer, month, mrr, first_row=first_row, sheet=sheet,
                                                as_of=as_of, **options))
    validation.require_columns(df, {"segment": segment}, sheet)
    codes, rows = validation._prepare(df, customer, month, mrr, first_row, sheet, as_of=as_of, **options)
    segments = df[segment].to_numpy(dtype=object)[rows]
    positions = np.flatnonzero(rows) if np.asarray(rows).dtype == bool else np.asarray(rows)
    check_segments(validation.parse_ids(pd.Series(segments, dtype=object)).bad, segments, positions,
                   first_row=first_row, column=segment, sheet=sheet)  # (what is no id is no segment either)
    return Ledger(codes, segments)


def mrr_bridge(df: pd.DataFrame, customer: str = "customer_id", month: str = "month", mrr: str = "mrr",
               *, segment: str | None = None, first_row: int = 2, sheet: str | None = None, as_of: Any = None,
               **options: Any) -> pd.DataFrame:
    """Monthly MRR bridge (waterfall) of a customer x month ledger.

    Parameters
    ----------
    df : DataFrame
        The ledger: one row per customer per month (any date inside the
        month; several rows of one customer and month are added up).
    customer, month, mrr : str
        Column names of the customer id, the date and the MRR amount.
    segment : str, optional
        A column naming each row's segment (plan, region ...): the result
        then has a leading ``segment`` column and one bridge per segment (every
        month each); a customer counts in the segment of its most recent row,
        so the segment bridges add up to the total (:mod:`xl_kpi.ledger.segments`).
    first_row, sheet : int, str, optional
        Where the data sits, for error messages (see :func:`validate_ledger`).
    as_of : date-like, optional
        The last month reported (default: the last month with any row);
        rows after it are left out, and a customer active in its last month
        m < as_of churns in m + 1. ``options`` (``dayfirst``, ``date1904``,
        ``merge_case``, ``drop_duplicates``) are those of :func:`validate_ledger`.

    Returns
    -------
    DataFrame
        One row per calendar month from the first month of the data to the
        as-of month (rows with zero MRR count for that range; a month without rows
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

    By plan: a moved to Pro in March, so all of a's history is in Pro's bridge:

    >>> plans = ["Basic", "Basic", "Basic", "Basic", "Pro", "Basic", "Basic"]
    >>> by_plan = mrr_bridge(ledger.assign(plan=plans), segment="plan")
    >>> print(by_plan[["segment", "month", "new_mrr", "churned_mrr", "ending_mrr"]].to_string())
      segment      month  new_mrr  churned_mrr  ending_mrr
    0   Basic 2024-01-01     50.0          0.0        50.0
    1   Basic 2024-02-01     30.0         50.0        30.0
    2   Basic 2024-03-01      0.0          0.0        70.0
    3     Pro 2024-01-01    100.0          0.0       100.0
    4     Pro 2024-02-01      0.0          0.0       150.0
    5     Pro 2024-03-01      0.0          0.0       150.0
    """
    ledger = prepare_ledger(df, customer, month, mrr, first_row=first_row, sheet=sheet, segment=segment,
                            as_of=as_of, **options)
    return ledger.bridge(by_segment=segment is not None)


def cohort_matrix(df: pd.DataFrame, customer: str = "customer_id", month: str = "month", mrr: str = "mrr",
                  basis: str = "logo", *, period: str = "month", fiscal_year_start: int = 1, first_row: int = 2,
                  sheet: str | None = None, as_of: Any = None, **options: Any) -> pd.DataFrame:
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
    p = check_period(period)
    return prepare_ledger(df, customer, month, mrr, first_row=first_row, sheet=sheet, as_of=as_of,
                          **options).cohort_matrix(b, p, fiscal_year_start)


def cohort_retention(df: pd.DataFrame, customer: str = "customer_id", month: str = "month", mrr: str = "mrr",
                     basis: str = "logo", *, period: str = "month", fiscal_year_start: int = 1, first_row: int = 2,
                     sheet: str | None = None, as_of: Any = None, **options: Any) -> pd.DataFrame:
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
    period : {"month", "quarter", "year"}
        "quarter" or "year": cohorts by the period of the first active month,
        retention measured at the last month of each period, divided by the
        cohort's size (:func:`cohort_sizes`); see :mod:`xl_kpi.ledger.cohort_periods`.
    fiscal_year_start : int, default 1
        First month of the fiscal year, for quarters and years.
    first_row, sheet : optional
        Where the data sits, for error messages.
    as_of : date-like, optional
        The last month reported (see :func:`mrr_bridge`); ages up to it count.

    Returns
    -------
    DataFrame
        Index ``cohort`` = the month-start of each cohort that has at least
        one customer (of its period's first month for quarters and years);
        columns 0..N = months (periods) since start (N = last month of the
        data - first cohort). NaN past the end of the data.

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
    >>> cohort_retention(ledger, period="quarter")  # doctest: +NORMALIZE_WHITESPACE
    periods_since_start    0
    cohort
    2024-01-01           NaN
    """
    b = check_basis(basis)
    p = check_period(period)
    return prepare_ledger(df, customer, month, mrr, first_row=first_row, sheet=sheet, as_of=as_of,
                          **options).cohorts(b, p, fiscal_year_start)


def cohort_sizes(df: pd.DataFrame, customer: str = "customer_id", month: str = "month", mrr: str = "mrr",
                 *, period: str = "month", fiscal_year_start: int = 1, as_of: Any = None, first_row: int = 2,
                 sheet: str | None = None) -> pd.DataFrame:
    """The size of each cohort: its customers and their starting MRR (MRR in their first active month).

    Index ``cohort`` as :func:`cohort_retention` (same ``period``); columns
    ``customers`` and ``starting_mrr``: the denominators of the logo and
    revenue retention matrices.

    >>> import pandas as pd
    >>> ledger = pd.DataFrame({"customer_id": ["a", "b", "a", "c"],
    ...                        "month": ["2024-01-01", "2024-01-01", "2024-02-01", "2024-02-01"],
    ...                        "mrr": [10, 20, 25, 5]})
    >>> cohort_sizes(ledger)  # doctest: +NORMALIZE_WHITESPACE
                customers  starting_mrr
    cohort
    2024-01-01          2          30.0
    2024-02-01          1           5.0
    >>> cohort_sizes(ledger, period="quarter").values.tolist()
    [[3.0, 35.0]]
    """
    p = check_period(period)
    return prepare_ledger(df, customer, month, mrr, first_row=first_row, sheet=sheet, as_of=as_of).cohort_sizes(
        p, fiscal_year_start)
