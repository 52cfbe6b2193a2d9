"""The monthly KPI table that templates and reports show, derived from the MRR bridge.

Every figure is computed by the core KPI function of the same name
(:func:`xl_kpi.arr`, :func:`xl_kpi.net_revenue_retention` ...), called in
array mode over the months, so the table, the Excel functions and the
template formulas share one definition. The core gives NaN, never inf, where
a denominator is 0 (no MRR or no customers at the start). Money is read and
net new MRR written by the money rule (:mod:`xl_kpi.ledger.money`), so a
bridge built elsewhere gets the same blanks as the ledger's own. Columns shared
with the bridge have the bridge's names (:mod:`xl_kpi.ledger.columns`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from xl_kpi.kpis import (arpa, arr, churn_rate, gross_revenue_retention, mrr_growth_rate, net_new_mrr,
                         net_revenue_retention, revenue_churn_rate, saas_quick_ratio)
from xl_kpi.ledger.columns import BRIDGE_COLUMNS, MONTHLY_KPI_ALIASES, MONTHLY_KPI_COLUMNS
from xl_kpi.ledger.money import round_money

__all__ = ["monthly_kpis", "MONTHLY_KPI_COLUMNS", "MONTHLY_KPI_ALIASES", "MonthlyKPIs"]


class MonthlyKPIs(pd.DataFrame):
    """The frame :func:`monthly_kpis` returns: a DataFrame that still answers to former column names.

    ``kpis["revenue_churn_rate"]`` (the name before the table took the
    bridge's ``gross_revenue_churn_rate``) gives that column with a
    ``DeprecationWarning`` (:data:`MONTHLY_KPI_ALIASES`). Anything derived
    from it (slices, copies) is a plain DataFrame.
    """

    def __getitem__(self, key):
        if isinstance(key, str) and key in MONTHLY_KPI_ALIASES and key not in self.columns:
            new = MONTHLY_KPI_ALIASES[key]
            warnings.warn(f"monthly KPI column {key!r} is now {new!r} (the bridge's name)", DeprecationWarning,
                          stacklevel=2)
            key = new
        return super().__getitem__(key)


def monthly_kpis(bridge: pd.DataFrame) -> MonthlyKPIs:
    """Monthly SaaS KPIs from an MRR bridge (the output of :func:`xl_kpi.ledger.mrr_bridge`).

    Parameters
    ----------
    bridge : DataFrame
        An MRR bridge with the catalog's columns.

    Returns
    -------
    DataFrame
        One row per month with :data:`MONTHLY_KPI_COLUMNS`:

        ==========================  ====================================================
        mrr, customers              ending MRR and customers of the month
        arr                         ``ARR(mrr)`` = 12 * mrr
        arpa                        ``ARPA(mrr, customers)``
        net_new_mrr                 ``NET_NEW_MRR(new, expansion, contraction, churned, reactivation)``
        mrr_growth_rate             ``MRR_GROWTH_RATE(ending, starting)``
        net_revenue_retention       ``NET_REVENUE_RETENTION(starting, expansion, contraction, churned)``
        gross_revenue_retention     ``GROSS_REVENUE_RETENTION(starting, contraction, churned)``
        customer_churn_rate         ``CHURN_RATE(churned customers, customers at start)`` (logo churn)
        gross_revenue_churn_rate    ``REVENUE_CHURN_RATE(churned + contraction, starting)``
                                    (formerly ``revenue_churn_rate``, still readable)
        quick_ratio                 ``SAAS_QUICK_RATIO(new, expansion, contraction, churned, reactivation)``
        ==========================  ====================================================

    Examples
    --------
    >>> import pandas as pd
    >>> from xl_kpi.ledger import mrr_bridge
    >>> ledger = pd.DataFrame({"customer_id": ["a", "b", "a"],
    ...                        "month": ["2024-01-01", "2024-01-01", "2024-02-01"],
    ...                        "mrr": [100, 50, 120]})
    >>> kpis = monthly_kpis(mrr_bridge(ledger))
    >>> kpis[["month", "arr", "arpa", "net_revenue_retention", "customer_churn_rate"]]
           month     arr   arpa  net_revenue_retention  customer_churn_rate
    0 2024-01-01  1800.0   75.0                    NaN                  NaN
    1 2024-02-01  1440.0  120.0                    0.8                  0.5
    >>> kpis["gross_revenue_churn_rate"].round(4).tolist()  # b's 50 churned, of 150 at the start
    [nan, 0.3333]
    """
    missing = [c for c in BRIDGE_COLUMNS if c not in bridge.columns]
    if missing:
        raise ValueError(f"not an MRR bridge: missing columns {', '.join(missing)}")

    def col(name: str) -> np.ndarray:
        values = bridge[name].to_numpy(dtype=float)
        return round_money(values) if name.endswith("_mrr") else values

    start, end = col("starting_mrr"), col("ending_mrr")
    new, exp, react = col("new_mrr"), col("expansion_mrr"), col("reactivation_mrr")
    con, churned = col("contraction_mrr"), col("churned_mrr")
    customers = col("customers_end")
    values = {
        "month": bridge["month"].to_numpy(),
        "mrr": end,
        "arr": arr(end),
        "customers": bridge["customers_end"].to_numpy(),
        "arpa": arpa(end, customers),
        "net_new_mrr": round_money(net_new_mrr(new, exp, con, churned, react)),
        "mrr_growth_rate": mrr_growth_rate(end, start),
        "net_revenue_retention": net_revenue_retention(start, exp, con, churned),
        "gross_revenue_retention": gross_revenue_retention(start, con, churned),
        "customer_churn_rate": churn_rate(col("churned_customers"), col("customers_start")),
        "gross_revenue_churn_rate": revenue_churn_rate(churned + con, start),
        "quick_ratio": saas_quick_ratio(new, exp, con, churned, react),
    }
    return MonthlyKPIs({k: np.asarray(values[k]) for k in MONTHLY_KPI_COLUMNS}, index=bridge.index)
