"""The MRR bridge: month by month, where recurring revenue came from and where it went.

For every calendar month m from the first to the last month of the ledger,
each customer is compared with month m-1 (the catalog's "Ledger analysis"):

========================  =====================================================
new                       active in m, never active before m: + MRR(m)
reactivation              active in m, not in m-1, active some month before
expansion / contraction   active in both months: MRR(m) - MRR(m-1) up / down
churned                   active in m-1, not in m: + MRR(m-1)
========================  =====================================================

A customer is active in a month when its (summed) MRR there is > 0, and

    starting + new + expansion + reactivation - contraction - churned = ending

holds every month, with starting(m) = ending(m-1).

How it is computed (no loop over rows or customers): customers and months are
factorised to integer codes, customer-months are added up and kept when
active, in (customer, month) order. Then each active customer-month is
compared with the one just before it in that order: same customer and the
previous calendar month -> expansion/contraction; same customer, an earlier
month -> reactivation; another customer -> new. Symmetrically, the one just
after it tells whether the customer churns the month after. Totals per month
are ``np.bincount`` over the month codes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import xl_kpi
from xl_kpi.ledger.validation import PreparedLedger, prepare_ledger

__all__ = ["mrr_bridge", "BRIDGE_COLUMNS", "ActiveMonths", "active_months"]

#: The bridge's columns, in the catalog's order.
BRIDGE_COLUMNS = (
    "month", "starting_mrr", "new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_mrr",
    "churned_mrr", "ending_mrr", "customers_start", "new_customers", "reactivated_customers",
    "churned_customers", "customers_end", "customer_churn_rate", "gross_revenue_churn_rate",
    "net_revenue_retention", "quick_ratio", "arpa",
)

#: Aggregate through a dense customers x months matrix when it has at most
#: this many cells per ledger row (memory stays proportional to the data);
#: otherwise sort. Both give the same result; the dense path is faster.
DENSE_CELLS_PER_ROW = 8


@dataclass(frozen=True)
class ActiveMonths:
    """Active customer-months of a ledger, sorted by (customer, month).

    ``customer`` codes, ``month`` codes (0..n_months-1) and summed ``mrr`` > 0.
    """

    customer: np.ndarray
    month: np.ndarray
    mrr: np.ndarray
    n_customers: int
    n_months: int


def active_months(ledger: PreparedLedger, method: str = "auto") -> ActiveMonths:
    """Add up rows of the same customer and month; keep those with MRR > 0.

    ``method`` "dense" uses one ``bincount`` over a customers x months grid,
    "sort" sorts the (customer, month) keys; "auto" picks dense when the grid
    is not much larger than the data.
    """
    n_c, n_m = ledger.n_customers, ledger.n_months
    key = ledger.customer * np.int64(max(n_m, 1)) + ledger.month
    cells = n_c * n_m
    if method == "auto":
        method = "dense" if cells <= DENSE_CELLS_PER_ROW * max(len(key), 1) + 4096 else "sort"
    if method == "dense":
        grid = np.bincount(key, weights=ledger.mrr, minlength=cells)
        keys = np.flatnonzero(grid > 0)
        values = grid[keys]
    elif method == "sort":
        if key.size and not np.all(key[1:] >= key[:-1]):
            order = np.argsort(key, kind="stable")
            key, mrr = key[order], ledger.mrr[order]
        else:
            mrr = ledger.mrr
        if key.size:
            starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
            keys, values = key[starts], np.add.reduceat(mrr, starts)
        else:
            keys, values = key, mrr
        active = values > 0
        keys, values = keys[active], values[active]
    else:
        raise ValueError(f"method must be 'auto', 'dense' or 'sort', got {method!r}")
    cust, month = np.divmod(keys, max(n_m, 1))
    return ActiveMonths(cust, month, values, n_c, n_m)


def _bridge_arrays(act: ActiveMonths) -> dict[str, np.ndarray]:
    """The money and count columns of the bridge from the active customer-months."""
    c, m, v, n_m = act.customer, act.month, act.mrr, act.n_months
    same_prev = np.zeros(c.size, bool)
    same_prev[1:] = c[1:] == c[:-1]
    consecutive = np.zeros(c.size, bool)  # active in the previous calendar month too
    consecutive[1:] = same_prev[1:] & (m[1:] == m[:-1] + 1)
    new = ~same_prev
    returning = same_prev & ~consecutive
    delta = np.zeros(c.size)
    delta[1:] = v[1:] - v[:-1]
    delta[~consecutive] = 0.0
    # churned the month after: no active entry for the same customer in m + 1
    continues = np.zeros(c.size, bool)
    continues[:-1] = consecutive[1:]
    churns = ~continues & (m + 1 < n_m)

    def total(mask=None, weights=None, month=m):
        if mask is not None:
            month = month[mask]
            weights = None if weights is None else weights[mask]
        counts = np.bincount(month, weights=weights, minlength=n_m)[:n_m]
        # bincount of an empty selection is int even with weights: money stays float
        return counts if weights is None else counts.astype(float)

    out = {
        "new_mrr": total(new, v),
        "expansion_mrr": total(None, np.maximum(delta, 0.0)),
        "reactivation_mrr": total(returning, v),
        "contraction_mrr": total(None, np.maximum(-delta, 0.0)),
        "churned_mrr": total(churns, v, m + 1),
        "ending_mrr": total(None, v),
        "new_customers": total(new).astype(np.int64),
        "reactivated_customers": total(returning).astype(np.int64),
        "churned_customers": total(churns, None, m + 1).astype(np.int64),
        "customers_end": total().astype(np.int64),
    }
    return out


def bridge_from_prepared(ledger: PreparedLedger, method: str = "auto",
                         active: ActiveMonths | None = None) -> pd.DataFrame:
    """The bridge of an already validated ledger (see :func:`mrr_bridge`).

    ``active`` is :func:`active_months` of ``ledger`` when the caller already has it.
    """
    a = _bridge_arrays(active if active is not None else active_months(ledger, method))
    ending, cust_end = a["ending_mrr"], a["customers_end"]
    starting = np.r_[0.0, ending[:-1]] if ending.size else ending
    cust_start = np.r_[0, cust_end[:-1]].astype(np.int64) if cust_end.size else cust_end
    lost = a["churned_mrr"] + a["contraction_mrr"]
    # One definition of each rate: the core KPI functions. In array mode they give NaN, never inf,
    # where the denominator is 0 (or a result is not finite), as the catalog asks.
    rates = {
        "customer_churn_rate": xl_kpi.churn_rate(a["churned_customers"].astype(float), cust_start.astype(float)),
        "gross_revenue_churn_rate": xl_kpi.revenue_churn_rate(lost, starting),
        "net_revenue_retention": xl_kpi.net_revenue_retention(
            starting, a["expansion_mrr"], a["contraction_mrr"], a["churned_mrr"]),
        "quick_ratio": xl_kpi.saas_quick_ratio(
            a["new_mrr"], a["expansion_mrr"], a["contraction_mrr"], a["churned_mrr"], a["reactivation_mrr"]),
        "arpa": xl_kpi.arpa(ending, cust_end.astype(float)),
    }
    cols = {"month": ledger.month_starts(), "starting_mrr": starting, **a, "customers_start": cust_start, **rates}
    return pd.DataFrame({name: np.asarray(cols[name]) for name in BRIDGE_COLUMNS})


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
    return bridge_from_prepared(prepare_ledger(df, customer, month, mrr, first_row=first_row, sheet=sheet))
