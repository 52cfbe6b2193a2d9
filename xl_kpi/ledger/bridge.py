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

The public entry points are :func:`xl_kpi.ledger.mrr_bridge` (a DataFrame in)
and :meth:`xl_kpi.ledger.Ledger.bridge` (a prepared ledger); both end here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from xl_kpi.kpis import arpa, churn_rate, net_revenue_retention, revenue_churn_rate, saas_quick_ratio
from xl_kpi.ledger.columns import BRIDGE_COLUMNS
from xl_kpi.ledger.customer_months import ActiveMonths, active_months
from xl_kpi.ledger.money import round_money
from xl_kpi.ledger.segments import SEGMENT_COLUMN, SegmentSplit

__all__ = ["BRIDGE_COLUMNS", "BRIDGE_TOTALS", "bridge_table", "bridge_from_totals", "segment_bridge_table",
           "EntryMoves", "entry_moves", "bridge_arrays", "assemble_bridge"]


@dataclass(frozen=True)
class EntryMoves:
    """How each active customer-month of an :class:`ActiveMonths` moved from the month before.

    Arrays aligned with the entries: ``new`` (never active before),
    ``returning`` (a reactivation: active before, not in the previous month),
    ``delta`` (MRR change against the previous month when active in both,
    else 0) and ``churns`` (not active in the next month, which is inside the
    data: its churn falls in ``month + 1``). The bridge totals these; any
    analysis that lists or regroups movements reuses them, so all classify
    with the same rule.
    """

    new: np.ndarray
    returning: np.ndarray
    delta: np.ndarray
    churns: np.ndarray


def entry_moves(act: ActiveMonths) -> EntryMoves:
    """Classify every active customer-month against the customer's previous one (see the module docstring)."""
    c, m, v, n_m = act.customer, act.month, act.mrr, act.n_months
    same_prev = np.zeros(c.size, bool)
    same_prev[1:] = c[1:] == c[:-1]
    consecutive = np.zeros(c.size, bool)  # active in the previous calendar month too
    consecutive[1:] = same_prev[1:] & (m[1:] == m[:-1] + 1)
    delta = np.zeros(c.size)
    delta[1:] = v[1:] - v[:-1]
    delta[~consecutive] = 0.0
    # churned the month after: no active entry for the same customer in m + 1
    continues = np.zeros(c.size, bool)
    continues[:-1] = consecutive[1:]
    return EntryMoves(new=~same_prev, returning=same_prev & ~consecutive, delta=delta,
                      churns=~continues & (m + 1 < n_m))


def bridge_arrays(act: ActiveMonths, moves: EntryMoves | None = None) -> dict[str, np.ndarray]:
    """The money and count columns of the bridge from the active customer-months."""
    m, v, n_m = act.month, act.mrr, act.n_months
    mv = moves if moves is not None else entry_moves(act)
    new, returning, delta, churns = mv.new, mv.returning, mv.delta, mv.churns

    def total(mask=None, weights=None, month=m):
        if mask is not None:
            month = month[mask]
            weights = None if weights is None else weights[mask]
        counts = np.bincount(month, weights=weights, minlength=n_m)[:n_m]
        # bincount of an empty selection is int even with weights: money stays float
        return counts if weights is None else counts.astype(float)

    return {
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


def assemble_bridge(month: np.ndarray, totals: dict[str, np.ndarray], starting: np.ndarray,
                    customers_start: np.ndarray) -> pd.DataFrame:
    """The bridge frame (:data:`BRIDGE_COLUMNS`) from its money and count columns; the rates are derived here.

    ``totals`` holds new / expansion / reactivation / contraction / churned /
    ending MRR and the new / reactivated / churned / end customer counts (as
    the monthly bridge computes them). Any bridge-shaped table (the monthly
    bridge, a regrouping of it) is assembled here, so every rate has one
    definition: the core KPI function.

    The money columns are rounded by the money rule (:mod:`xl_kpi.ledger.money`)
    before any rate is taken: a month whose only "contraction" was float
    residue has exactly 0 and a blank quick ratio, not 0 or 8.6e16.
    """
    a = {k: round_money(v) if k.endswith("_mrr") else v for k, v in totals.items()}
    ending, cust_end = a["ending_mrr"], np.asarray(a["customers_end"])
    starting = round_money(starting)
    cust_start = np.asarray(customers_start).astype(np.int64)
    lost = a["churned_mrr"] + a["contraction_mrr"]
    # One definition of each rate: the core KPI functions. In array mode they give NaN, never inf,
    # where the denominator is 0 (or a result is not finite), as the catalog asks.
    rates = {
        "customer_churn_rate": churn_rate(np.asarray(a["churned_customers"], float), cust_start.astype(float)),
        "gross_revenue_churn_rate": revenue_churn_rate(lost, starting),
        "net_revenue_retention": net_revenue_retention(
            starting, a["expansion_mrr"], a["contraction_mrr"], a["churned_mrr"]),
        "quick_ratio": saas_quick_ratio(
            a["new_mrr"], a["expansion_mrr"], a["contraction_mrr"], a["churned_mrr"], a["reactivation_mrr"]),
        "arpa": arpa(ending, cust_end.astype(float)),
    }
    cols = {"month": month, **a, "starting_mrr": starting, "customers_start": cust_start, **rates}
    return pd.DataFrame({name: np.asarray(cols[name]) for name in BRIDGE_COLUMNS})


def _shifted(a: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(starting MRR, customers at start) of each month: the month before's end, 0 for the first."""
    ending, cust_end = a["ending_mrr"], a["customers_end"]
    starting = np.r_[0.0, ending[:-1]] if ending.size else ending
    cust_start = np.r_[0, cust_end[:-1]].astype(np.int64) if cust_end.size else cust_end
    return starting, cust_start


def bridge_table(act: ActiveMonths, months: np.ndarray) -> pd.DataFrame:
    """The monthly bridge (:data:`BRIDGE_COLUMNS`) of a ledger's active customer-months.

    ``months`` are the ledger's calendar months (month starts), one per month code.
    """
    return bridge_from_totals(months, bridge_arrays(act))


def segment_bridge_table(split: SegmentSplit, months: np.ndarray) -> pd.DataFrame:
    """The bridge of each segment, one under the other, with a leading ``segment`` column.

    ``split`` is :func:`xl_kpi.ledger.segments.split_by_segment` of the
    ledger, ``months`` its calendar months. The stretched ledger's bridge is
    computed once; each segment's spare month is dropped.
    """
    a = bridge_arrays(active_months(split.ledger))
    starting, cust_start = _shifted(a)
    real = split.real_months()
    frame = assemble_bridge(np.tile(months, len(split.labels)), {k: v[real] for k, v in a.items()},
                            starting[real], cust_start[real])
    frame.insert(0, SEGMENT_COLUMN, np.repeat(split.labels, split.n_months))
    return frame


#: The per-month totals from which :func:`bridge_from_totals` derives the whole bridge.
BRIDGE_TOTALS = (
    "new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_mrr", "churned_mrr", "ending_mrr",
    "new_customers", "reactivated_customers", "churned_customers", "customers_end",
)


def bridge_from_totals(months: np.ndarray, totals: dict[str, np.ndarray]) -> pd.DataFrame:
    """The monthly bridge from each month's :data:`BRIDGE_TOTALS`, however they were added up.

    Starting MRR and customers are the previous month's ending ones (0 in the
    first month); :func:`assemble_bridge` derives the rates. The numpy path
    and the Ibis engine (:mod:`xl_kpi.engines`) both end here.

    >>> t = dict(new_mrr=[10.0, 0.0], expansion_mrr=[0.0, 5.0], reactivation_mrr=[0.0, 0.0],
    ...          contraction_mrr=[0.0, 0.0], churned_mrr=[0.0, 0.0], ending_mrr=[10.0, 15.0], new_customers=[1, 0],
    ...          reactivated_customers=[0, 0], churned_customers=[0, 0], customers_end=[1, 1])
    >>> b = bridge_from_totals(np.array(["2024-01-01", "2024-02-01"], "datetime64[ns]"), t)
    >>> b[["starting_mrr", "net_revenue_retention"]].to_numpy().tolist(), b["customers_start"].tolist()
    ([[0.0, nan], [10.0, 1.5]], [0, 1])
    """
    a = {k: np.asarray(totals[k], dtype=np.int64 if "customers" in k else float) for k in BRIDGE_TOTALS}
    return assemble_bridge(months, a, *_shifted(a))
