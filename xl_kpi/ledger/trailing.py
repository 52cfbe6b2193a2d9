"""Trailing retention: the investors' NRR, GRR and logo retention over a window (T12M by default).

For a window of w months and a month m whose month m - w is inside the
report (the catalog's "Trailing retention"):

* base B = customers active in m - w; base_mrr = their MRR in m - w;
* retained_customers = customers of B active in m;
  logo_retention = retained / |B|;
* retained_mrr = sum over B of MRR in m (0 for those gone);
  net_revenue_retention = retained_mrr / base_mrr (may exceed 1);
* gross_revenue_retention = sum over B of min(MRR in m, MRR in m - w) /
  base_mrr (never above 1).

Customers new after m - w never count; months before the first full window
are NaN. This is *not* the product of w monthly NRRs, which mixes in every
customer who joined during the window.

The rates come from the core KPI functions: each base customer's change
over the window is split into expansion, contraction and churned MRR, so
NRR = :func:`xl_kpi.net_revenue_retention` (base, expansion, contraction,
churned), GRR = :func:`xl_kpi.gross_revenue_retention` (base, contraction,
churned) and logo retention = :func:`xl_kpi.retention_rate` (retained, 0, base).

Computed without loops: every active customer-month (c, t) looks up (c, t + w)
with one ``np.searchsorted`` over the sorted (customer, month) keys, and
``np.bincount`` totals per month t + w.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import pandas as pd

from xl_kpi.kpis import gross_revenue_retention, net_revenue_retention, retention_rate
from xl_kpi.ledger.customer_months import ActiveMonths, active_months
from xl_kpi.ledger.money import round_money
from xl_kpi.ledger.report_range import through
from xl_kpi.ledger.validation import ledger_codes

__all__ = ["trailing_retention", "TRAILING_COLUMNS", "TRAILING_TOTALS", "trailing_table", "trailing_from_totals",
           "segment_trailing_table", "check_window"]

#: Columns of :func:`trailing_retention`, in order.
TRAILING_COLUMNS = (
    "month", "base_customers", "retained_customers", "logo_retention", "base_mrr", "retained_mrr",
    "net_revenue_retention", "gross_revenue_retention",
)


def check_window(window: Any) -> int:
    """A window is a whole number of months, 1 or more."""
    try:
        w = operator.index(window) if not isinstance(window, float) or not window.is_integer() else int(window)
    except TypeError:
        w = None
    if isinstance(window, bool) or w is None or w < 1:
        raise ValueError(f"window must be a whole number of months, 1 or more, got {window!r}")
    return w


def trailing_table(act: ActiveMonths, months: np.ndarray, window: int = 12) -> pd.DataFrame:
    """:func:`trailing_retention` of a ledger's active customer-months; ``months``: its month starts."""
    w = check_window(window)
    n_m = act.n_months
    stride = np.int64(max(n_m, 1))
    keys = act.customer * stride + act.month  # sorted: entries are in (customer, month) order
    base = act.month + w < n_m  # entries that are some month's base
    base_key = keys[base]
    target = act.month[base] + w
    base_mrr = act.mrr[base]
    at = np.searchsorted(keys, base_key + w)
    found = at < keys.size
    found[found] = keys[at[found]] == base_key[found] + w
    later = np.where(found, act.mrr[np.minimum(at, max(keys.size - 1, 0))], 0.0) if keys.size else base_mrr

    def per_month(weights=None, mask=None):
        t = target if mask is None else target[mask]
        wts = weights if weights is None or mask is None else weights[mask]
        totals = np.bincount(t, weights=wts, minlength=n_m)[:n_m].astype(float)
        return totals if weights is None else round_money(totals)  # money: the rule of xl_kpi.ledger.money

    change = later - base_mrr
    totals = {
        "base_customers": per_month(),
        "retained_customers": per_month(None, found),
        "base_mrr": per_month(base_mrr),
        "retained_mrr": per_month(later),
        "expansion": per_month(np.maximum(change, 0.0), found),
        "contraction": per_month(np.maximum(-change, 0.0), found),
        "churned": per_month(base_mrr, ~found),
    }
    return trailing_from_totals(months, totals, w)


#: The per-month totals over the base customers from which :func:`trailing_from_totals` derives the table.
TRAILING_TOTALS = ("base_customers", "retained_customers", "base_mrr", "retained_mrr", "expansion", "contraction",
                   "churned")


def trailing_from_totals(months: np.ndarray, totals: dict[str, np.ndarray], window: int) -> pd.DataFrame:
    """The trailing table from each month's :data:`TRAILING_TOTALS` (indexed by the measured month m).

    Months before the first full window are NaN; totals are rounded by the
    money rule, and the rates are the core KPI
    functions'. The numpy path and the Ibis engine (:mod:`xl_kpi.engines`) both end here.

    >>> t = dict(base_customers=[0, 2], retained_customers=[0, 1], base_mrr=[0, 150.0], retained_mrr=[0, 120.0],
    ...          expansion=[0, 20.0], contraction=[0, 0.0], churned=[0, 50.0])
    >>> tt = trailing_from_totals(np.array(["2024-01-01", "2024-02-01"], "datetime64[ns]"), t, 1)
    >>> tt[["logo_retention", "net_revenue_retention", "gross_revenue_retention"]].round(4).to_numpy().tolist()
    [[nan, nan, nan], [0.5, 0.8, 0.6667]]
    """
    # the money rule (xl_kpi.ledger.money): MRR totals without float residue (counts stay as they are)
    t = {k: round_money(totals[k]) for k in TRAILING_TOTALS}
    before = np.arange(len(months)) < window  # no full window yet: m - w is before the first month
    for values in t.values():
        values[before] = np.nan
    out = {
        "month": months,
        "base_customers": t["base_customers"],
        "retained_customers": t["retained_customers"],
        "logo_retention": retention_rate(t["retained_customers"], 0.0, t["base_customers"]),
        "base_mrr": t["base_mrr"],
        "retained_mrr": t["retained_mrr"],
        "net_revenue_retention": net_revenue_retention(
            t["base_mrr"], t["expansion"], t["contraction"], t["churned"]),
        "gross_revenue_retention": gross_revenue_retention(t["base_mrr"], t["contraction"], t["churned"]),
    }
    return pd.DataFrame({k: np.asarray(out[k]) for k in TRAILING_COLUMNS})


def segment_trailing_table(act: ActiveMonths, customer_segment: np.ndarray, labels: np.ndarray,
                           months: np.ndarray, window: int = 12) -> pd.DataFrame:
    """Trailing retention of each segment, one table under the other, with a leading ``segment`` column.

    ``customer_segment`` is each customer's segment code and ``labels`` the
    segments (:class:`xl_kpi.ledger.segments.SegmentSplit`), so a customer's
    whole history counts in one segment and the segments' bases and retained
    MRR add up to the total. As for the segment bridges, each segment gets
    its own stretch of the month axis, here ``window`` spare months long so
    that no base month reaches into the next segment's months, and the
    computation runs once.

    >>> import numpy as np
    >>> act = ActiveMonths(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), np.array([10.0, 12.0, 5.0, 0.5]), 2, 2)
    >>> t = segment_trailing_table(act, np.array([0, 1]), np.array(["Pro", "Basic"], dtype=object),
    ...                            np.array(["2024-01-01", "2024-02-01"], dtype="datetime64[ns]"), window=1)
    >>> t[["segment", "base_mrr", "retained_mrr", "gross_revenue_retention"]].values.tolist()
    [['Pro', nan, nan, nan], ['Pro', 10.0, 12.0, 1.0], ['Basic', nan, nan, nan], ['Basic', 5.0, 0.5, 0.1]]
    """
    w = check_window(window)
    n_m, n_seg = act.n_months, len(labels)
    span = n_m + w
    stretched = ActiveMonths(act.customer, customer_segment[act.customer] * span + act.month, act.mrr,
                             act.n_customers, n_seg * span)
    table = trailing_table(stretched, np.zeros(n_seg * span, dtype="datetime64[ns]"), w)
    within = np.arange(n_seg * span) % span
    table = table[within < n_m].reset_index(drop=True)
    table.loc[(within[within < n_m] < w), list(TRAILING_COLUMNS[1:])] = np.nan  # no full window yet
    table["month"] = np.tile(np.asarray(months), n_seg)
    table.insert(0, "segment", np.repeat(np.asarray(labels, dtype=object), n_m))
    return table


def trailing_retention(df: pd.DataFrame, customer: str = "customer_id", month: str = "month", mrr: str = "mrr",
                       *, window: int = 12, as_of: Any = None, first_row: int = 2,
                       sheet: str | None = None) -> pd.DataFrame:
    """Trailing (cohort-based) NRR, GRR and logo retention over ``window`` months, for every month.

    Parameters
    ----------
    df : DataFrame
        The ledger (see :func:`xl_kpi.ledger.mrr_bridge`).
    customer, month, mrr : str
        Column names.
    window : int, default 12
        Months between the base month and the measured month (12 = T12M,
        3 = a quarter).
    as_of : date-like, optional
        The report month (any date inside it); later rows are left out.
    first_row, sheet : optional
        Where the data sits, for error messages.

    Returns
    -------
    DataFrame
        One row per month of the report with :data:`TRAILING_COLUMNS`;
        every column but ``month`` is NaN for the first ``window`` months
        (no full window yet), and a rate is NaN where the base is empty.

    Notes
    -----
    .. math::

        NRR_m = \\frac{\\sum_{i \\in B} MRR_i(m)}{\\sum_{i \\in B} MRR_i(m-w)},\\quad
        GRR_m = \\frac{\\sum_{i \\in B} \\min(MRR_i(m), MRR_i(m-w))}{\\sum_{i \\in B} MRR_i(m-w)},\\quad
        B = \\{i: MRR_i(m-w) > 0\\}

    Examples
    --------
    The catalog's example: a grows from 100 to 120, b (50) leaves, c joins
    at 80 during the year; twelve months later:

    >>> import pandas as pd
    >>> ledger = pd.DataFrame({"customer_id": ["a", "b", "a", "c"],
    ...                        "month": ["2024-01-01", "2024-01-01", "2025-01-01", "2025-01-01"],
    ...                        "mrr": [100, 50, 120, 80]})
    >>> t12m = trailing_retention(ledger)
    >>> t12m["month"].iloc[-1]
    Timestamp('2025-01-01 00:00:00')
    >>> t12m.drop(columns="month").iloc[-1].round(4).to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'base_customers': 2.0, 'retained_customers': 1.0,
     'logo_retention': 0.5, 'base_mrr': 150.0, 'retained_mrr': 120.0, 'net_revenue_retention': 0.8,
     'gross_revenue_retention': 0.6667}
    >>> int(t12m["net_revenue_retention"].isna().sum())  # 2024-01 .. 2024-12: no full window
    12
    """
    w = check_window(window)  # before reading the data: a bad window is the first thing to report
    ledger = through(ledger_codes(df, customer, month, mrr, first_row=first_row, sheet=sheet), as_of)
    return trailing_table(active_months(ledger), ledger.month_starts(), w)
