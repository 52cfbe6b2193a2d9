"""What a refresh writes, described without any workbook library.

* :mod:`.model`: the report as plain data (sheets, blocks of columns, tables,
  charts, names) that both back ends render;
* :mod:`.layout`: where things go (column widths, header wrapping, chart
  geometry);
* :mod:`.content`: what each report sheet holds, one function per sheet
  (``SHEET_FUNCTIONS``; ``REPORT_SHEETS`` is derived from them), and
  :func:`build_report`.
"""

from xl_kpi.refresh.report.content import (BRIDGE_COLUMNS, BRIDGE_HEADERS, BRIDGE_LAYOUT, BRIDGE_SHEET, BRIDGE_TABLE,
                                           COHORT_SHEET, MONTHLY_LAYOUT, MONTHLY_TABLE, REPORT_SHEETS,
                                           SHEET_FUNCTIONS, SUMMARY_SHEET, ReportData, build_report, report_sheet)
from xl_kpi.refresh.report.model import (DATE_FORMAT, HEAT_COLORS, Block, Chart, Column, DefinedName, RangeRef,
                                         Report, ReportSheet, Series)

__all__ = ["BRIDGE_COLUMNS", "BRIDGE_HEADERS", "BRIDGE_LAYOUT", "BRIDGE_SHEET", "BRIDGE_TABLE", "COHORT_SHEET",
           "MONTHLY_LAYOUT", "MONTHLY_TABLE", "REPORT_SHEETS", "SHEET_FUNCTIONS", "SUMMARY_SHEET", "ReportData",
           "build_report", "report_sheet", "DATE_FORMAT", "HEAT_COLORS", "Block", "Chart", "Column", "DefinedName",
           "RangeRef", "Report", "ReportSheet", "Series"]
