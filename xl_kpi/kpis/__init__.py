"""The KPI core: one module per family, each function registered with its definition.

``REGISTRY`` maps every Excel name to its :class:`~xl_kpi.kpis.definition.KPIDefinition`,
in the order of the catalog (the order the families are imported below).
"""

from dataclasses import dataclass

# Each family registers its KPIs as it is imported: catalog order here is REGISTRY's order.
from xl_kpi.kpis import retention, revenue, unit_economics, funnel, balance_sheet  # noqa: F401,I001  (registers)
from xl_kpi.kpis.balance_sheet import *  # noqa: F401,F403
from xl_kpi.kpis.definition import REGISTRY, KPIDefinition
from xl_kpi.kpis.funnel import *  # noqa: F401,F403
from xl_kpi.kpis.retention import *  # noqa: F401,F403
from xl_kpi.kpis.revenue import *  # noqa: F401,F403
from xl_kpi.kpis.unit_economics import *  # noqa: F401,F403



@dataclass(frozen=True)
class Family:
    """A section of the catalog: its module name, its heading, and its (shorter) sheet name in the calculator."""

    name: str
    title: str
    sheet_title: str


#: The catalog's sections in catalog order: the one list of families and their titles.
FAMILIES = (
    Family("retention", "Retention and churn", "Retention & Churn"),
    Family("revenue", "Recurring revenue", "Recurring Revenue"),
    Family("unit_economics", "Acquisition and unit economics", "Unit Economics"),
    Family("funnel", "Funnel, marketing and engagement", "Funnel & Engagement"),
    Family("balance_sheet", "Balance sheet", "Balance Sheet"),
)
_ORDER = {family.name: k for k, family in enumerate(FAMILIES)}

#: The public KPI functions and constants of every family (star-imported into ``xl_kpi``).
__all__ = [name for family in (retention, revenue, unit_economics, funnel, balance_sheet) for name in family.__all__]


def definitions() -> list[KPIDefinition]:
    """Every KPI definition, grouped by family in catalog order."""
    return sorted(REGISTRY.values(), key=lambda d: _ORDER[d.family])


def get(excel_name: str) -> KPIDefinition:
    """The definition of one KPI by its Excel name (``"CHURN_RATE"``)."""
    return REGISTRY[excel_name.upper()]
