"""The Excel functions of xl_kpi: one xlwings user-defined function per catalog KPI.

Each KPI's Excel function is made from its definition in :mod:`xl_kpi.kpis`
(name, arguments, defaults, help texts, description), so Excel, Python and the
template workbooks cannot drift apart.  Every argument is read as a 2-D range
(``ndim=2``: a column stays a column, so array results spill the right way)
with cell errors as their literal text (``err_to_str=True``: otherwise
xlwings turns #N/A into a blank).

What a cell gets back: a number, a text label (CHURN_BENCHMARK), or an Excel
error literal ("#DIV/0!", "#NUM!", "#VALUE!", or the input's own error)
element by element; a function never raises.  Point Excel at this module with
``UDF MODULES = xl_kpi.udfs`` (``xl-kpi install`` does it for you).
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import xlwings as xw

from xl_kpi import ledger_excel
from xl_kpi.kpis import get
from xl_kpi.kpis.definition import KPIDefinition
from xl_kpi.udf_adapter import make_udf

CATEGORY = "xl_kpi"


def _decorate(definition: KPIDefinition) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(udf: Callable[..., Any]) -> Callable[..., Any]:
        for arg in definition.args:
            udf = xw.arg(arg.name, ndim=2, err_to_str=True, doc=arg.help)(udf)
        # xw.func last: on Windows each xlfunc call resets the category.
        return xw.func(category=CATEGORY)(udf)

    return decorate


def _excel_function(name: str) -> Callable[..., Any]:
    definition = get(name)
    return make_udf(definition, _decorate(definition))


# --- Retention and churn --------------------------------------------------------
CHURN_RATE = _excel_function("CHURN_RATE")
REVENUE_CHURN_RATE = _excel_function("REVENUE_CHURN_RATE")
NET_REVENUE_CHURN_RATE = _excel_function("NET_REVENUE_CHURN_RATE")
RETENTION_RATE = _excel_function("RETENTION_RATE")
NET_REVENUE_RETENTION = _excel_function("NET_REVENUE_RETENTION")
GROSS_REVENUE_RETENTION = _excel_function("GROSS_REVENUE_RETENTION")
CUSTOMER_LIFETIME = _excel_function("CUSTOMER_LIFETIME")
ANNUALIZE_CHURN = _excel_function("ANNUALIZE_CHURN")
MONTHLY_CHURN = _excel_function("MONTHLY_CHURN")
CHURN_BENCHMARK = _excel_function("CHURN_BENCHMARK")

# --- Recurring revenue ------------------------------------------------------------
MRR = _excel_function("MRR")
ARR = _excel_function("ARR")
ARPA = _excel_function("ARPA")
MRR_GROWTH_RATE = _excel_function("MRR_GROWTH_RATE")
NET_NEW_MRR = _excel_function("NET_NEW_MRR")
SAAS_QUICK_RATIO = _excel_function("SAAS_QUICK_RATIO")

# --- Acquisition and unit economics ----------------------------------------------
CAC = _excel_function("CAC")
CAC_PAYBACK_MONTHS = _excel_function("CAC_PAYBACK_MONTHS")
CLV = _excel_function("CLV")
CLV_FROM_LIFETIME = _excel_function("CLV_FROM_LIFETIME")
LTV_CAC_RATIO = _excel_function("LTV_CAC_RATIO")
GROSS_MARGIN = _excel_function("GROSS_MARGIN")
BURN_MULTIPLE = _excel_function("BURN_MULTIPLE")
RULE_OF_40 = _excel_function("RULE_OF_40")
MAGIC_NUMBER = _excel_function("MAGIC_NUMBER")

# --- Funnel, marketing and engagement ---------------------------------------------
CONVERSION_RATE = _excel_function("CONVERSION_RATE")
PQL_CONVERSION_RATE = _excel_function("PQL_CONVERSION_RATE")
LEAD_TO_CUSTOMER_RATE = _excel_function("LEAD_TO_CUSTOMER_RATE")
MQL_TO_SQL_RATE = _excel_function("MQL_TO_SQL_RATE")
CLICK_THROUGH_RATE = _excel_function("CLICK_THROUGH_RATE")
ABANDONMENT_RATE = _excel_function("ABANDONMENT_RATE")
ADOPTION_RATE = _excel_function("ADOPTION_RATE")
STICKINESS = _excel_function("STICKINESS")
NPS = _excel_function("NPS")
NPS_FROM_COUNTS = _excel_function("NPS_FROM_COUNTS")
LEAD_SCORE = _excel_function("LEAD_SCORE")
AVG_FIRST_RESPONSE_HOURS = _excel_function("AVG_FIRST_RESPONSE_HOURS")
AVG_RESOLUTION_HOURS = _excel_function("AVG_RESOLUTION_HOURS")

# --- Balance sheet ------------------------------------------------------------------
CURRENT_RATIO = _excel_function("CURRENT_RATIO")
QUICK_RATIO = _excel_function("QUICK_RATIO")
DEBT_TO_EQUITY = _excel_function("DEBT_TO_EQUITY")
EQUITY_RATIO = _excel_function("EQUITY_RATIO")
INTEREST_COVERAGE = _excel_function("INTEREST_COVERAGE")


# --- Ledger analysis (array functions that spill) ----------------------------------
def _spill_function(spec: ledger_excel.SpillFunction) -> Callable[..., Any]:
    """The Excel function of one :data:`xl_kpi.ledger_excel.SPILL_FUNCTIONS` entry (signature = its adapter's)."""
    table = spec.table

    def udf(*args: Any) -> Any:
        return table(*args)

    udf.__name__ = udf.__qualname__ = spec.name
    udf.__doc__ = spec.summary
    udf.__module__ = __name__
    udf.__signature__ = inspect.signature(table)  # type: ignore[attr-defined]
    for name, doc in spec.scalars.items():
        # err_to_str: without it xlwings hands an error cell to a single-value option as None (= blank), so
        # =MRR_BRIDGE(..., "quarter", , #N/A) would silently use the default instead of returning #N/A
        udf = xw.arg(name, err_to_str=True, doc=doc)(udf)
    for name, doc in spec.ranges.items():
        udf = xw.arg(name, ndim=2, err_to_str=True, doc=doc)(udf)
    return xw.func(category=CATEGORY)(udf)


MRR_BRIDGE, COHORT_RETENTION, TRAILING_RETENTION, MRR_MOVEMENTS = (
    _spill_function(spec) for spec in ledger_excel.SPILL_FUNCTIONS)
