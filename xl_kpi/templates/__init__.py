"""Template workbooks: native-formula Excel files built with openpyxl (``xl-kpi templates``).

One builder per workbook (``build(path, blank=False) -> Path``), shared
styles in :mod:`~xl_kpi.templates.styles`, shared sheet parts in
:mod:`~xl_kpi.templates.sheets`, KPI formulas rendered from the core's
definitions by :mod:`~xl_kpi.templates.formulas`.  Output is reproducible:
the same call always writes the same bytes (the shipped ``workbooks/`` are
checked against it).
"""

from __future__ import annotations

from pathlib import Path

from xl_kpi.templates import balance_sheet, calculator, dashboard, funnel, ledger_book

BUILDERS = {
    dashboard.FILE_NAME: dashboard.build,
    ledger_book.FILE_NAME: ledger_book.build,
    funnel.FILE_NAME: funnel.build,
    balance_sheet.FILE_NAME: balance_sheet.build,
    calculator.FILE_NAME: calculator.build,
}


def write_templates(out_dir, blank: bool = False) -> list[Path]:
    """Write every template workbook into ``out_dir`` (created if missing); return their paths.

    ``blank`` writes the same workbooks with empty input tables.

    >>> import tempfile
    >>> [p.name for p in write_templates(tempfile.mkdtemp(), blank=True)]
    ['saas_kpi_dashboard.xlsx', 'subscription_ledger.xlsx', 'marketing_funnel.xlsx', 'balance_sheet_ratios.xlsx', 'kpi_calculator.xlsx']
    """
    out = Path(out_dir)
    return [build(out / name, blank=blank) for name, build in BUILDERS.items()]
