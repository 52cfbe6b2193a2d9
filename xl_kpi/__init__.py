"""xl_kpi: one correct definition of every SaaS KPI, for Python and Excel.

Every function of the KPI catalog (docs/kpi-catalog.md) is importable from here
(``xl_kpi.churn_rate``, ``xl_kpi.clv``, ``xl_kpi.quick_ratio`` ...).  Scalars
in give a float out; arrays broadcast like numpy.  See :mod:`xl_kpi.errors`
for how invalid input is reported.

The KPI functions (and numpy with them) load on first use (PEP 562
``__getattr__``): the ``xl-kpi`` command imports this package before it can
catch anything, and so starts without numpy and turns Ctrl-C during its
heavier imports into one line.

>>> import xl_kpi
>>> xl_kpi.churn_rate(20, 200), "churn_rate" in dir(xl_kpi), "REGISTRY" in xl_kpi.__all__
(0.1, True, True)
"""

from xl_kpi.errors import KPIDivisionByZeroError, KPIDomainError, KPIError, KPIValueError  # noqa: F401

__version__ = "0.1.0"

#: Names this package takes from :mod:`xl_kpi.kpis` besides the KPI functions.
_FROM_KPIS = ("REGISTRY", "definitions", "get")


def _kpis():
    import xl_kpi.kpis as kpis

    return kpis


def __getattr__(name: str):
    if name == "__all__":
        return [*_kpis().__all__, *_FROM_KPIS]
    if not name.startswith("_"):
        kpis = _kpis()
        if name in kpis.__all__ or name in _FROM_KPIS:
            value = getattr(kpis, name)
            globals()[name] = value  # found once: later look-ups are plain attribute reads
            return value
    raise AttributeError(f"module 'xl_kpi' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_kpis().__all__, *_FROM_KPIS})


def main() -> None:
    """Entry point of the Excel ribbon's "Refresh KPIs" button: refresh the calling workbook."""
    from xl_kpi.refresh.live import main as _main

    _main()
