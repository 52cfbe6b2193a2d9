"""Customer-month totals: the one aggregation every ledger analysis starts from.

Rows of one customer and month are added up and the sum rounded by the
money rule (:mod:`xl_kpi.ledger.money`: 6 decimals, so 0.1 + 0.2 and 0.3 are
the same amount); the customer-months with a rounded total > 0 are the
*active* ones, sorted by (customer, month). The bridge,
the cohorts and every analysis built on them read these totals (through
:attr:`xl_kpi.ledger.Ledger.active`, computed once per ledger), never the
raw rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xl_kpi.ledger.money import round_money
from xl_kpi.ledger.validation import PreparedLedger

__all__ = ["ActiveMonths", "active_months", "DENSE_CELLS_PER_ROW"]

#: Aggregate through a dense customers x months matrix when it has at most
#: this many cells per ledger row (memory stays proportional to the data);
#: otherwise sort. Both give the same result; the dense path is faster.
DENSE_CELLS_PER_ROW = 8


@dataclass(frozen=True)
class ActiveMonths:
    """Active customer-months of a ledger, sorted by (customer, month).

    ``customer`` codes, ``month`` codes (0..n_months-1) and summed ``mrr`` > 0,
    rounded by the money rule (:func:`xl_kpi.ledger.money.round_money`).
    """

    customer: np.ndarray
    month: np.ndarray
    mrr: np.ndarray
    n_customers: int
    n_months: int


def active_months(ledger: PreparedLedger, method: str = "auto") -> ActiveMonths:
    """Add up rows of the same customer and month, round the sums by the money rule; keep those > 0.

    ``method`` "dense" uses one ``bincount`` over a customers x months grid,
    "sort" sorts the (customer, month) keys; "auto" picks dense when the grid
    is not much larger than the data.

    >>> import numpy as np
    >>> from xl_kpi.ledger.validation import PreparedLedger
    >>> rows = PreparedLedger(np.array([0, 0, 1, 0]), np.array([0, 0, 1, 1]), np.array([10.0, 5.0, 0.0, 7.0]),
    ...                       ["a", "b"], 648, 2)
    >>> act = active_months(rows)
    >>> act.customer.tolist(), act.month.tolist(), act.mrr.tolist()
    ([0, 0], [0, 1], [15.0, 7.0])
    >>> act = active_months(PreparedLedger(np.array([0, 0, 0]), np.array([0, 0, 1]), np.array([0.1, 0.2, 0.3]),
    ...                                    ["a"], 648, 2))
    >>> act.mrr.tolist(), bool(act.mrr[0] == act.mrr[1])  # 0.1 + 0.2 is 0.30000000000000004 before the rule
    ([0.3, 0.3], True)
    """
    n_c, n_m = ledger.n_customers, ledger.n_months
    key = ledger.customer * np.int64(max(n_m, 1)) + ledger.month
    cells = n_c * n_m
    if method == "auto":
        method = "dense" if cells <= DENSE_CELLS_PER_ROW * max(len(key), 1) + 4096 else "sort"
    if method == "dense":
        grid = round_money(np.bincount(key, weights=ledger.mrr, minlength=cells))
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
            keys, values = key[starts], round_money(np.add.reduceat(mrr, starts))
        else:
            keys, values = key, round_money(mrr)
        active = values > 0
        keys, values = keys[active], values[active]
    else:
        raise ValueError(f"method must be 'auto', 'dense' or 'sort', got {method!r}")
    cust, month = np.divmod(keys, max(n_m, 1))
    return ActiveMonths(cust, month, values, n_c, n_m)
