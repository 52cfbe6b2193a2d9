"""xl_kpi: one correct definition of every SaaS KPI, for Python and Excel.

Every function of the KPI catalog (docs/kpi-catalog.md) is importable from here
(``xl_kpi.churn_rate``, ``xl_kpi.clv``, ``xl_kpi.quick_ratio`` ...).  Scalars
in give a float out; arrays broadcast like numpy.  See :mod:`xl_kpi.errors`
for how invalid input is reported.
"""

from xl_kpi.kpis import *  # noqa: F401,F403
from xl_kpi.kpis import REGISTRY, definitions, get  # noqa: F401
from xl_kpi.errors import KPIDivisionByZeroError, KPIDomainError, KPIError, KPIValueError  # noqa: F401

__version__ = "0.1.0"


def main() -> None:
    """Entry point of the Excel ribbon's "Refresh KPIs" button: refresh the calling workbook."""
    from xl_kpi.refresh.live import main as _main

    _main()
