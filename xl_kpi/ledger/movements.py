"""MRR movements: which customers moved, month by month (the drill-down behind the bridge).

One row per customer and month in which its MRR moved (the catalog's "MRR
movements"):

============  ===========================================================
new           active in m, never active before       mrr_before = 0
reactivation  active in m, not in m-1, active before  mrr_before = 0
expansion     active in m-1 and m, MRR went up
contraction   active in m-1 and m, MRR went down
churn         active in m-1, not in m                 mrr_after = 0
============  ===========================================================

change = mrr_after - mrr_before. Grouped by month and movement, the changes
add up to the bridge's columns (contraction and churn with the opposite
sign), and the numbers of new, reactivation and churn rows are the bridge's
customer counts: both come from the same classification
(:func:`xl_kpi.ledger.bridge.entry_moves`).

Computed without loops: the classified active customer-months are masked,
concatenated and sorted once with ``np.lexsort``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from xl_kpi.ledger.bridge import EntryMoves, entry_moves
from xl_kpi.ledger.customer_months import ActiveMonths, active_months
from xl_kpi.ledger.report_range import through
from xl_kpi.ledger.validation import ledger_codes, months_to_timestamps

__all__ = ["mrr_movements", "MOVEMENT_COLUMNS", "MOVEMENTS", "movement_table", "latest_months"]

#: Columns of :func:`mrr_movements`, in order.
MOVEMENT_COLUMNS = ("month", "customer", "movement", "mrr_before", "mrr_after", "change")
#: The movement types, in the bridge's order.
MOVEMENTS = ("new", "expansion", "reactivation", "contraction", "churn")

#: Months of customer movements the MRR Movements sheet lists (the latest quarter; a million-row ledger
#: has ~170,000 movements, ~8,000 a month: all of them would make the refresh several times slower);
#: ``=MRR_MOVEMENTS`` lists them all. The Ibis engine keeps these months' movements in its one query.
MOVEMENT_MONTHS = 3

_NEW, _EXPANSION, _REACTIVATION, _CONTRACTION, _CHURN = range(5)


def movement_table(act: ActiveMonths, first_month: int, customers: Any, moves: EntryMoves | None = None,
                   latest: int | None = None) -> pd.DataFrame:
    """:func:`mrr_movements` of a ledger's active customer-months.

    ``first_month`` is the ledger's month 0 (months since 1970-01),
    ``customers`` its distinct ids in code order; ``moves`` their
    :func:`~xl_kpi.ledger.bridge.entry_moves` when the caller has them.
    ``latest``: only the movements of the latest ``latest`` months with a
    movement, ``latest_months(movement_table(...), latest)``, cut before the
    rows are sorted and framed (the refresh lists three months of a million-row ledger's 36).
    """
    mv = moves if moves is not None else entry_moves(act)
    c, m, v = act.customer, act.month, act.mrr
    kind = np.full(c.size, -1, np.int8)
    kind[mv.new] = _NEW
    kind[mv.returning] = _REACTIVATION
    kind[mv.delta > 0] = _EXPANSION
    kind[mv.delta < 0] = _CONTRACTION
    moved = np.flatnonzero(kind >= 0)
    churn = np.flatnonzero(mv.churns)
    # the previous month's MRR: v - delta when active in both months (delta is 0 otherwise), else 0
    before = np.where(mv.new[moved] | mv.returning[moved], 0.0, v[moved] - mv.delta[moved])
    month = np.concatenate([m[moved], m[churn] + 1])
    customer = np.concatenate([c[moved], c[churn]])
    kinds = np.concatenate([kind[moved], np.full(churn.size, _CHURN, np.int8)])
    mrr_before = np.concatenate([before, v[churn]])
    mrr_after = np.concatenate([v[moved], np.zeros(churn.size)])
    if latest is not None:  # latest_months' cut: the months with a movement are those of these rows
        cut = np.isin(month, np.unique(month)[-latest:] if latest > 0 else month[:0])
        month, customer, kinds, mrr_before, mrr_after = (a[cut] for a in (month, customer, kinds, mrr_before,
                                                                         mrr_after))
    change = mrr_after - mrr_before
    ids = np.asarray(customers, dtype=object)
    # month first, then the largest move (either way) first, then the movement type, then the customer id
    # (as text, ascending): one order whatever the ledger's row order, and the Ibis engine's (its ORDER BY).
    # A customer moves at most once a month, so no two rows tie; the ids ranked are those of the rows.
    by_id = np.empty(ids.size, np.int64)
    listed = np.unique(customer)
    by_id[listed[np.argsort(ids[listed].astype(str), kind="stable")]] = np.arange(listed.size)
    order = np.lexsort((by_id[customer], kinds, -np.abs(change), month))
    # object columns: pandas would otherwise convert every id and label to its string dtype, one by one
    return pd.DataFrame({
        "month": months_to_timestamps(first_month + month[order]),
        "customer": pd.Series(ids[customer[order]] if ids.size else np.empty(0, dtype=object), dtype=object),
        "movement": pd.Series(np.asarray(MOVEMENTS, dtype=object)[kinds[order]], dtype=object),
        "mrr_before": mrr_before[order],
        "mrr_after": mrr_after[order],
        "change": change[order],
    }, columns=list(MOVEMENT_COLUMNS))


def mrr_movements(df: pd.DataFrame, customer: str = "customer_id", month: str = "month", mrr: str = "mrr",
                  *, as_of: Any = None, first_row: int = 2, sheet: str | None = None) -> pd.DataFrame:
    """Every customer's MRR movement, month by month: the rows behind the MRR bridge.

    Parameters
    ----------
    df : DataFrame
        The ledger (see :func:`xl_kpi.ledger.mrr_bridge`).
    customer, month, mrr : str
        Column names.
    as_of : date-like, optional
        The report month (any date inside it): later rows are left out, and a
        customer whose last active month is before it churns the month after.
    first_row, sheet : optional
        Where the data sits, for error messages.

    Returns
    -------
    DataFrame
        Columns :data:`MOVEMENT_COLUMNS`: ``month`` (month start), the
        ``customer`` id as in the ledger, ``movement`` (one of
        :data:`MOVEMENTS`), ``mrr_before`` (MRR in m - 1, 0 if inactive),
        ``mrr_after`` (MRR in m, 0 if inactive) and ``change`` = after -
        before. Sorted by month, then by the size of the change (largest
        first, up or down), then by movement type (:data:`MOVEMENTS`'
        order) and customer id (as text, ascending) for equal changes. A
        month without movement has no rows.

    Notes
    -----
    .. math::

        \\sum_{new} change = new\\_mrr_m, \\quad
        \\sum_{contraction} change = -contraction\\_mrr_m, \\quad
        \\sum_{churn} change = -churned\\_mrr_m, \\ldots

    Examples
    --------
    a grows from 100 to 120, b (50) leaves in February and comes back in
    April at 40, c starts in February:

    >>> import pandas as pd
    >>> ledger = pd.DataFrame({
    ...     "customer_id": ["a", "b", "a", "c", "a", "c", "a", "b", "c"],
    ...     "month": ["2024-01-01", "2024-01-01", "2024-02-01", "2024-02-01", "2024-03-01", "2024-03-01",
    ...               "2024-04-01", "2024-04-01", "2024-04-01"],
    ...     "mrr": [100, 50, 120, 30, 120, 30, 120, 40, 20]})
    >>> mrr_movements(ledger)  # doctest: +NORMALIZE_WHITESPACE
           month customer      movement  mrr_before  mrr_after  change
    0 2024-01-01        a           new         0.0      100.0   100.0
    1 2024-01-01        b           new         0.0       50.0    50.0
    2 2024-02-01        b         churn        50.0        0.0   -50.0
    3 2024-02-01        c           new         0.0       30.0    30.0
    4 2024-02-01        a     expansion       100.0      120.0    20.0
    5 2024-04-01        b  reactivation         0.0       40.0    40.0
    6 2024-04-01        c   contraction        30.0       20.0   -10.0
    """
    ledger = through(ledger_codes(df, customer, month, mrr, first_row=first_row, sheet=sheet), as_of)
    return movement_table(active_months(ledger), ledger.first_month, ledger.customers)


def latest_months(moves: pd.DataFrame, months: int) -> pd.DataFrame:
    """The movements of the latest ``months`` months in which something moved, in their order.

    The one home of the "latest months" cut: the refresh asks for these (the MRR Movements sheet lists
    them, :func:`xl_kpi.refresh.pipeline.report_movements`), and the sheet's table cuts whole months of
    them (:func:`xl_kpi.refresh.report.content.latest_movements`). A month with no movement does not
    count; the Ibis engine makes the same cut in its database (``IbisLedger.movements(latest=...)``).

    >>> m = pd.DataFrame({"month": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-03-01", "2024-06-01"]),
    ...                   "customer": list("abcd")})
    >>> list(latest_months(m, 2)["customer"]), len(latest_months(m, 0)), list(latest_months(m, 9)["customer"])
    (['b', 'c', 'd'], 0, ['a', 'b', 'c', 'd'])
    """
    last = np.sort(moves["month"].unique())[-months:] if months > 0 else []
    return moves[moves["month"].isin(last)].reset_index(drop=True)


def listed_months(counts: pd.Series, rows: int) -> tuple[list, bool]:
    """The months the MRR Movements table lists, latest first, from each month's movement count.

    Whole months, latest first, as long as they fit in ``rows``; the latest month alone when it has
    more (then ``True``: only its ``rows`` largest changes are listed). The one home of that rule:
    the sheet applies it (:func:`xl_kpi.refresh.report.content.latest_movements`), and the Ibis
    engine asks its database for those rows only (``IbisLedger.movements(latest=..., rows=...)``).

    >>> counts = pd.Series([2, 3], index=pd.to_datetime(["2024-01-01", "2024-02-01"]))
    >>> [(len(k), cut) for k, cut in (listed_months(counts, r) for r in (5, 4, 2))]
    [(2, False), (1, False), (1, True)]
    """
    kept: list = []
    total = 0
    for month in sorted(counts.index, reverse=True):
        if kept and total + int(counts[month]) > rows:
            break
        kept.append(month)
        total += int(counts[month])
    return kept, total > rows
