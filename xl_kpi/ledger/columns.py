"""The vocabulary of the ledger tables: one key, one Excel header and one unit per column.

Every table the ledger analyses produce (the MRR bridge, the monthly KPI
table) names its DataFrame columns with the keys of :data:`TERMS`, and every
face that shows them - the spilled header row of ``=MRR_BRIDGE``, the
refresh's ``MRRBridge`` and ``MonthlyKPIs`` tables - takes the header and the
number format from here. A figure that appears in two tables (ARPA, the
churn rates, NRR, the quick ratio) is therefore one key with one header
everywhere.

>>> TERMS["customers_start"].header
'Customers Start'
>>> [header(key) for key in BRIDGE_COLUMNS[:3]]
['Month', 'Starting MRR', 'New MRR']
>>> set(MONTHLY_KPI_COLUMNS) & set(BRIDGE_COLUMNS) >= {"gross_revenue_churn_rate", "quick_ratio"}
True
"""

from __future__ import annotations

from dataclasses import dataclass

from xl_kpi.kpis.definition import COUNT, FRACTION, MONEY, RATIO, Unit

__all__ = ["Term", "TERMS", "BRIDGE_COLUMNS", "MONTHLY_KPI_COLUMNS", "MONTHLY_KPI_ALIASES", "header"]


@dataclass(frozen=True)
class Term:
    """A column of a ledger table: its Excel ``header`` and its ``unit`` (None for the month)."""

    header: str
    unit: Unit | None


#: Every column key of the ledger tables -> its term. Excel headers are in
#: title case, as the refresh's tables have always had them (a user's formula
#: may refer to ``MRRBridge[Customers Start]``).
TERMS: dict[str, Term] = {
    "month": Term("Month", None),
    # money of the bridge
    "starting_mrr": Term("Starting MRR", MONEY),
    "new_mrr": Term("New MRR", MONEY),
    "expansion_mrr": Term("Expansion MRR", MONEY),
    "reactivation_mrr": Term("Reactivation MRR", MONEY),
    "contraction_mrr": Term("Contraction MRR", MONEY),
    "churned_mrr": Term("Churned MRR", MONEY),
    "ending_mrr": Term("Ending MRR", MONEY),
    # customer counts of the bridge
    "customers_start": Term("Customers Start", COUNT),
    "new_customers": Term("New Customers", COUNT),
    "reactivated_customers": Term("Reactivated Customers", COUNT),
    "churned_customers": Term("Churned Customers", COUNT),
    "customers_end": Term("Customers End", COUNT),
    # rates (bridge and monthly table)
    "customer_churn_rate": Term("Customer Churn Rate", FRACTION),
    "gross_revenue_churn_rate": Term("Gross Revenue Churn Rate", FRACTION),
    "net_revenue_retention": Term("Net Revenue Retention", FRACTION),
    "gross_revenue_retention": Term("Gross Revenue Retention", FRACTION),
    "mrr_growth_rate": Term("MRR Growth Rate", FRACTION),
    "quick_ratio": Term("Quick Ratio", RATIO),
    "arpa": Term("ARPA", MONEY),
    # the monthly table's own figures
    "mrr": Term("MRR", MONEY),
    "arr": Term("ARR", MONEY),
    "customers": Term("Customers", COUNT),
    "net_new_mrr": Term("Net New MRR", MONEY),
    # segments and periods (mrr_bridge(segment=...), rollup)
    "segment": Term("Segment", None),
    "period": Term("Period", None),
    "period_start": Term("Period Start", None),
    "period_end": Term("Period End", None),
    "months": Term("Months", COUNT),
    "partial": Term("Partial", None),
    # trailing retention
    "base_customers": Term("Base Customers", COUNT),
    "retained_customers": Term("Retained Customers", COUNT),
    "logo_retention": Term("Logo Retention", FRACTION),
    "base_mrr": Term("Base MRR", MONEY),
    "retained_mrr": Term("Retained MRR", MONEY),
    # MRR movements
    "customer": Term("Customer", None),
    "movement": Term("Movement", None),
    "mrr_before": Term("MRR Before", MONEY),
    "mrr_after": Term("MRR After", MONEY),
    "change": Term("Change", MONEY),
}

#: The bridge's columns, in the catalog's order.
BRIDGE_COLUMNS = (
    "month", "starting_mrr", "new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_mrr",
    "churned_mrr", "ending_mrr", "customers_start", "new_customers", "reactivated_customers",
    "churned_customers", "customers_end", "customer_churn_rate", "gross_revenue_churn_rate",
    "net_revenue_retention", "quick_ratio", "arpa",
)

#: Columns of :func:`xl_kpi.ledger.monthly_kpis`, in order.
MONTHLY_KPI_COLUMNS = (
    "month", "mrr", "arr", "customers", "arpa", "net_new_mrr", "mrr_growth_rate",
    "net_revenue_retention", "gross_revenue_retention", "customer_churn_rate", "gross_revenue_churn_rate",
    "quick_ratio",
)

#: Former names of monthly KPI columns -> the current key (still readable, with a DeprecationWarning).
MONTHLY_KPI_ALIASES = {"revenue_churn_rate": "gross_revenue_churn_rate"}


def header(key: str) -> str:
    """The Excel header of column ``key``."""
    return TERMS[key].header
