"""The KPI catalog (docs/kpi-catalog.md, a copy of the contract) transcribed as test data.

For every Excel function: its argument names in order (with defaults), and
the worked examples of the sources as (args, expected).  ``None`` as expected
means the catalog gives no number.  Expected values the catalog rounds carry
their own tolerance (``abs``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Example:
    args: tuple[Any, ...]
    expected: Any
    abs: float = 0.0  # absolute tolerance where the catalog rounds


@dataclass(frozen=True)
class Entry:
    excel_name: str
    args: tuple[str, ...]
    defaults: dict[str, float] = field(default_factory=dict)
    examples: tuple[Example, ...] = ()

    @property
    def python_name(self) -> str:
        return self.excel_name.lower()


E = Example

CATALOG: tuple[Entry, ...] = (
    # --- Retention and churn
    Entry("CHURN_RATE", ("customers_lost", "customers_at_start"),
          examples=(E((20, 200), 0.10), E((10, 200), 0.05), E((10, 100), 0.10))),
    Entry("REVENUE_CHURN_RATE", ("mrr_lost", "mrr_at_start"),
          examples=(E((1000, 10000), 0.10), E((2000, 120000), 0.016667, 5e-7), E((10000, 120000), 0.083333, 5e-7))),
    Entry("NET_REVENUE_CHURN_RATE", ("mrr_lost", "expansion_mrr", "mrr_at_start"),
          examples=(E((1000, 500, 10000), 0.05),)),
    Entry("RETENTION_RATE", ("customers_at_end", "new_customers", "customers_at_start"),
          examples=(E((190, 10, 200), 0.90),)),
    Entry("NET_REVENUE_RETENTION", ("mrr_at_start", "expansion_mrr", "contraction_mrr", "churned_mrr"),
          examples=(E((10000, 500, 200, 800), 0.95),)),
    Entry("GROSS_REVENUE_RETENTION", ("mrr_at_start", "contraction_mrr", "churned_mrr"),
          examples=(E((10000, 200, 800), 0.90),)),
    Entry("CUSTOMER_LIFETIME", ("churn_rate",), examples=(E((0.05,), 20.0),)),
    Entry("ANNUALIZE_CHURN", ("monthly_churn",), examples=(E((0.05,), 0.459640, 5e-7),)),
    Entry("MONTHLY_CHURN", ("annual_churn",), examples=(E((0.20,), 0.018423, 5e-7),)),
    Entry("CHURN_BENCHMARK", ("monthly_churn",),
          examples=(E((0.02,), "good"), E((0.048,), "average"), E((0.08,), "high"))),
    # --- Recurring revenue
    Entry("MRR", ("amounts", "billing_months"), {"billing_months": 1},
          examples=(E(([10.0] * 10,), 100.0), E((1200, 12), 100.0), E(([250, 250],), 500.0),
                    E(([250, 250, 250],), 750.0))),
    Entry("ARR", ("mrr",), examples=(E((100,), 1200.0),)),
    Entry("ARPA", ("mrr", "customers"), examples=(E((120000, 200), 600.0),)),
    Entry("MRR_GROWTH_RATE", ("mrr_current", "mrr_previous"), examples=(E((2000, 1000), 1.0),)),
    Entry("NET_NEW_MRR", ("new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr", "reactivation_mrr"),
          {"reactivation_mrr": 0}, examples=(E((10000, 5000, 2000, 3000), 10000.0),)),
    Entry("SAAS_QUICK_RATIO", ("new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr", "reactivation_mrr"),
          {"reactivation_mrr": 0}, examples=(E((10000, 5000, 2000, 3000), 3.0),)),
    # --- Acquisition and unit economics
    Entry("CAC", ("sales_marketing_spend", "new_customers"),
          examples=(E((10000, 50), 200.0), E(([6000, 8000], 10), 1400.0))),
    Entry("CAC_PAYBACK_MONTHS", ("cac", "mrr_per_customer", "gross_margin"), {"gross_margin": 1},
          examples=(E((1000, 100), 10.0),)),
    Entry("CLV", ("arpa", "churn_rate", "gross_margin", "discount_rate"), {"gross_margin": 1, "discount_rate": 0},
          examples=(E((300, 0.15), 2000.0, 1e-9), E((500, 1 / 36), 18000.0, 1e-8),
                    E((100, 0.05, 0.8, 0.01), 1346.667, 5e-4))),
    Entry("CLV_FROM_LIFETIME", ("value_per_period", "lifetime_periods"), examples=(E((500, 36), 18000.0),)),
    Entry("LTV_CAC_RATIO", ("clv", "cac"), examples=(E((5000, 2500), 2.0),)),
    Entry("GROSS_MARGIN", ("revenue", "cogs"), examples=(E((1000, 250), 0.75),)),
    Entry("BURN_MULTIPLE", ("net_burn", "net_new_arr"), examples=(E((2000000, 1000000), 2.0),)),
    Entry("RULE_OF_40", ("revenue_growth_rate", "profit_margin"), examples=(E((0.30, 0.15), 0.45, 1e-12),)),
    Entry("MAGIC_NUMBER", ("revenue_current_quarter", "revenue_previous_quarter", "sm_spend_previous_quarter"),
          examples=(E((1100000, 1000000, 400000), 1.0),)),
    # --- Funnel, marketing and engagement
    Entry("CONVERSION_RATE", ("conversions", "total"), examples=(E((25, 1000), 0.025),)),
    Entry("PQL_CONVERSION_RATE", ("pqls_converted", "pqls"), examples=(E((30, 120), 0.25),)),
    Entry("LEAD_TO_CUSTOMER_RATE", ("customers", "leads"), examples=(E((40, 800), 0.05),)),
    Entry("MQL_TO_SQL_RATE", ("sqls", "mqls"), examples=(E((60, 300), 0.20),)),
    Entry("CLICK_THROUGH_RATE", ("clicks", "impressions"), examples=(E((35, 1000), 0.035),)),
    Entry("ABANDONMENT_RATE", ("checkouts_started", "checkouts_completed"), examples=(E((100, 25), 0.75),)),
    Entry("ADOPTION_RATE", ("adopters", "eligible_users"), examples=(E((10, 100), 0.10),)),
    Entry("STICKINESS", ("dau", "mau"), examples=(E((300, 1000), 0.30),)),
    # 60% promoters and 20% detractors -> 40 (6 promoters, 2 passives, 2 detractors).
    Entry("NPS", ("scores",), examples=(E(([10, 9, 9, 10, 9, 10, 7, 8, 3, 6],), 40.0),)),
    Entry("NPS_FROM_COUNTS", ("promoters", "passives", "detractors"), examples=(E((60, 20, 20), 40.0),)),
    # webinar 10 + newsletter click 5 + sales enquiry 20, one each -> 35
    Entry("LEAD_SCORE", ("activity_counts", "points"), examples=(E(([1, 1, 1], [10, 5, 20]), 35.0),)),
    # opened 09:00, answered 11:30 -> 2.5 (Excel serial days)
    Entry("AVG_FIRST_RESPONSE_HOURS", ("opened_at", "first_response_at"),
          examples=(E(([45292 + 9 / 24], [45292 + 11.5 / 24]), 2.5, 1e-9),)),
    Entry("AVG_RESOLUTION_HOURS", ("opened_at", "resolved_at"),
          examples=(E(([45292 + 9 / 24], [45292 + 11.5 / 24]), 2.5, 1e-9),)),
    # --- Balance sheet
    Entry("CURRENT_RATIO", ("current_assets", "current_liabilities"), examples=(E((300, 150), 2.0),)),
    Entry("QUICK_RATIO", ("cash", "marketable_securities", "accounts_receivable", "current_liabilities"),
          examples=(E((50, 20, 80, 100), 1.5),)),
    Entry("DEBT_TO_EQUITY", ("total_debt", "shareholders_equity"), examples=(E((400, 800), 0.5),)),
    Entry("EQUITY_RATIO", ("total_equity", "total_assets"), examples=(E((600, 1000), 0.6),)),
    Entry("INTEREST_COVERAGE", ("ebit", "interest_expense"), examples=(E((500, 100), 5.0),)),
)

BY_NAME = {e.excel_name: e for e in CATALOG}

#: The catalog's sections, as xl_kpi's family modules, in catalog order (section sizes 10, 6, 9, 13, 5).
FAMILY = dict(zip(
    [e.excel_name for e in CATALOG],
    ["retention"] * 10 + ["revenue"] * 6 + ["unit_economics"] * 9 + ["funnel"] * 13 + ["balance_sheet"] * 5,
))

#: Functions that reduce a whole range to one number; every other KPI is element-wise.
REDUCTIONS = frozenset({"MRR", "NPS", "LEAD_SCORE", "AVG_FIRST_RESPONSE_HOURS", "AVG_RESOLUTION_HOURS"})

LEDGER_FUNCTIONS = ("MRR_BRIDGE", "COHORT_RETENTION", "TRAILING_RETENTION", "MRR_MOVEMENTS")
