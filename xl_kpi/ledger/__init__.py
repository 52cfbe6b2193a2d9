"""Ledger analytics: raw subscription data -> MRR bridge, cohorts, monthly KPIs.

Input is a ledger in long form, one row per customer per month with that
month's MRR (any date inside the month; rows of one customer and month are
added up), exactly as the "Ledger analysis" section of the KPI catalog
specifies. A subscription list converts to it with
:func:`subscriptions_to_ledger`.

* :func:`mrr_bridge` - monthly new / expansion / reactivation / contraction /
  churned MRR, customer counts and rates;
* :func:`cohort_retention` - cohort month x months since start, by logos or revenue;
* :func:`trailing_retention` - trailing (T12M) NRR, GRR and logo retention by month;
* :func:`mrr_movements` - which customer moved how, month by month (the rows behind the bridge);
* :func:`rollup` - a monthly bridge rolled up to quarters or (fiscal) years;
  ``mrr_bridge(..., segment="Plan")`` gives one bridge per segment;
* :func:`cohort_sizes` - customers and starting MRR of each cohort (also by quarter);
* :func:`monthly_kpis` - ARR, ARPA, NRR, GRR, churn, quick ratio, growth per month;
* :func:`validate_ledger` - the checks all of them run first; bad input raises
  :class:`LedgerError` naming the sheet row and column;
* :func:`prepare_ledger` - validate once and get a :class:`Ledger` whose
  methods (``.bridge()``, ``.cohorts(basis)``, ``.monthly_kpis()`` ...) share
  one pass over the rows.

Everything is vectorised numpy/pandas: no Python loop over rows or customers.
"""

from xl_kpi.ledger.columns import BRIDGE_COLUMNS, MONTHLY_KPI_ALIASES, MONTHLY_KPI_COLUMNS, TERMS
from xl_kpi.ledger.monthly import monthly_kpis
from xl_kpi.ledger.movements import MOVEMENT_COLUMNS, MOVEMENTS, mrr_movements
from xl_kpi.ledger.periods import ROLLUP_COLUMNS, rollup
from xl_kpi.ledger.prepared import Ledger, cohort_matrix, cohort_retention, cohort_sizes, mrr_bridge, prepare_ledger
from xl_kpi.ledger.subscriptions import subscriptions_to_ledger
from xl_kpi.ledger.trailing import TRAILING_COLUMNS, trailing_retention
from xl_kpi.ledger.validation import LedgerError, validate_ledger

__all__ = [
    "mrr_bridge", "cohort_retention", "cohort_matrix", "monthly_kpis", "subscriptions_to_ledger",
    "validate_ledger", "prepare_ledger", "Ledger", "LedgerError", "BRIDGE_COLUMNS", "MONTHLY_KPI_COLUMNS",
    "trailing_retention", "TRAILING_COLUMNS", "mrr_movements", "MOVEMENT_COLUMNS", "MOVEMENTS", "rollup",
    "ROLLUP_COLUMNS", "cohort_sizes",
    "MONTHLY_KPI_ALIASES", "TERMS",
]
