"""What the report sheets hold: one function per sheet, from the ledger analysis.

Each sheet function takes the :class:`ReportData` (the analysis results) and
returns its :class:`~.model.ReportSheet` (or None when it has nothing to
show); ``SHEET_FUNCTIONS`` lists them in tab order and ``REPORT_SHEETS`` is
derived from it.  A new report sheet is one function decorated with
:func:`report_sheet` and added to ``SHEET_FUNCTIONS``; the refresh records in
the workbook what it wrote (:mod:`xl_kpi.refresh.ownership`), so the new
sheet needs nothing else.

Sheets
------
* ``MRR Bridge``: the Excel Table ``MRRBridge`` at A1, one row per month,
  exactly the 18 headers of ``BRIDGE_HEADERS``; undefined rates are blank.
* ``Cohort Retention``: logo retention (cohort month x months since start),
  revenue retention below it, each under a three-colour scale (a heat map).
* ``KPI Summary``: the latest month's KPIs as formulas over ``MRRBridge``
  (with their values cached, so a reader that does not calculate still sees
  them; ARR and net new MRR are the KPI definitions' native formulas), two
  charts over the bridge table (MRR trend, MRR movements) side by side right
  of the KPI block, over empty cells, and below them the Excel Table
  ``MonthlyKPIs`` (``xl_kpi.ledger.monthly_kpis``).

Presentation (what a finance reader expects): column widths that fit
(:mod:`.layout`); month labels left-aligned; every sheet prints landscape,
one page wide, with the sheet name and page number in the footer; frozen
panes on the bridge (header row + month column) and the cohort sheet.

Example
-------
>>> import pandas as pd, numpy as np
>>> bridge = pd.DataFrame({c: [0.0, 1.0] for c in BRIDGE_COLUMNS})
>>> bridge["month"] = pd.to_datetime(["2024-01-01", "2024-02-01"])
>>> report = build_report(ReportData(bridge, pd.DataFrame(), pd.DataFrame()))
>>> [s.name for s in report.sheets] == list(REPORT_SHEETS)
True
>>> report.sheets[0].blocks[0].table, report.sheets[0].blocks[0].ref()
('MRRBridge', 'A1:R3')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from xl_kpi.kpis import get as kpi
from xl_kpi.kpis.definition import COUNT, FRACTION, MONEY, RATIO
from xl_kpi.ledger.columns import BRIDGE_COLUMNS, MONTHLY_KPI_COLUMNS, TERMS
from xl_kpi.refresh.report.layout import CHART_ROWS, chart_slots, col_edges, sheet_widths
from xl_kpi.refresh.report.model import (DATE_FORMAT, Block, Chart, Column, DefinedName, RangeRef, Report,
                                         ReportSheet, Series)

BRIDGE_SHEET = "MRR Bridge"
COHORT_SHEET = "Cohort Retention"
SUMMARY_SHEET = "KPI Summary"
BRIDGE_TABLE = "MRRBridge"
MONTHLY_TABLE = "MonthlyKPIs"


def _layout(keys: Sequence[str]) -> dict[str, tuple[str, str]]:
    """column -> (Excel header, number format), from the ledger's vocabulary (:mod:`xl_kpi.ledger.columns`)."""
    return {k: (TERMS[k].header, TERMS[k].unit.number_format if TERMS[k].unit else DATE_FORMAT) for k in keys}


#: bridge column -> (Excel header, number format); order = the table's columns.
BRIDGE_LAYOUT = _layout(BRIDGE_COLUMNS)
BRIDGE_HEADERS = tuple(h for h, _ in BRIDGE_LAYOUT.values())

#: monthly_kpis column -> (Excel header, number format), for the ``MonthlyKPIs`` table.
MONTHLY_LAYOUT = _layout(MONTHLY_KPI_COLUMNS)


@dataclass(frozen=True)
class ReportData:
    """What the report is made from: the ledger analysis (``xl_kpi.ledger``) of one refresh.

    ``bridge``: the monthly MRR bridge (``BRIDGE_COLUMNS``); ``logo`` /
    ``revenue``: the cohort matrices (cohort month x months since start);
    ``monthly``: :func:`xl_kpi.ledger.monthly_kpis` of the bridge.
    """

    bridge: pd.DataFrame
    logo: pd.DataFrame
    revenue: pd.DataFrame
    monthly: pd.DataFrame | None = None


SheetFunction = Callable[[ReportData], "ReportSheet | None"]


def report_sheet(name: str) -> Callable[[SheetFunction], SheetFunction]:
    """Mark a function as the builder of the report sheet ``name`` (read by ``REPORT_SHEETS``)."""

    def mark(fn: SheetFunction) -> SheetFunction:
        fn.sheet_name = name
        return fn

    return mark


# --------------------------------------------------------------------------- blocks


def _as_float(values) -> np.ndarray:
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _month_values(values) -> np.ndarray:
    return pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[ns]")


def frame_block(frame: pd.DataFrame, layout: dict[str, tuple[str, str]], row: int, table: str | None,
                title: str | None = None, header_lines: int = 1, col: int = 1) -> Block:
    """A block (an Excel Table when ``table`` is given) of a frame's columns under their Excel headers."""
    columns = []
    for key, (header, fmt) in layout.items():
        raw = frame[key]
        values = _month_values(raw) if key == "month" else _as_float(raw)
        if key != "month":
            values = np.where(np.isfinite(values), values, np.nan)  # inf never reaches a cell
        # Months label the rows: left-aligned under their header, like the labels of a finance table.
        columns.append(Column(header, values, fmt, align="left" if key == "month" else None))
    return Block(row, col, columns, table=table, title=title, header_lines=header_lines)


def bridge_block(bridge: pd.DataFrame) -> Block:
    """The ``MRRBridge`` table: every bridge column under its Excel header."""
    return frame_block(bridge, BRIDGE_LAYOUT, 1, BRIDGE_TABLE, header_lines=2)


def bridge_range(header: str, n_months: int) -> tuple[RangeRef, RangeRef]:
    """(header cell, data cells) of a column of the ``MRRBridge`` table (A1, one row per month)."""
    c = BRIDGE_HEADERS.index(header) + 1
    last = n_months + 1 if n_months else 2
    return RangeRef(BRIDGE_SHEET, 1, c, 1, c), RangeRef(BRIDGE_SHEET, 2, c, last, c)


def cohort_block(matrix: pd.DataFrame, row: int, title: str) -> Block:
    """A cohort matrix: cohort month down, months since start across, fractions."""
    if matrix is None or matrix.empty:
        return Block(row, 1, [Column("Cohort", np.array([], dtype="datetime64[ns]"), DATE_FORMAT),
                              Column("Month 0", np.array([], dtype="float64"), FRACTION.number_format)], title=title)
    columns = [Column("Cohort", _month_values(matrix.index), DATE_FORMAT, align="left")]
    for age in matrix.columns:
        columns.append(Column(f"Month {int(age)}", _as_float(matrix[age].to_numpy()), FRACTION.number_format))
    return Block(row, 1, columns, title=title)


#: KPI summary rows looked up in the latest month: label, bridge header, number format, guard blanks.
_LATEST = (
    ("Latest month", "Month", DATE_FORMAT, False),
    ("Ending MRR", "Ending MRR", MONEY.number_format, False),
    ("Customers", "Customers End", COUNT.number_format, False),
    ("Customer churn rate", "Customer Churn Rate", FRACTION.number_format, True),
    ("Gross revenue churn rate", "Gross Revenue Churn Rate", FRACTION.number_format, True),
    ("Net revenue retention", "Net Revenue Retention", FRACTION.number_format, True),
    ("Quick ratio", "Quick Ratio", RATIO.number_format, True),
    ("ARPA", "ARPA", MONEY.number_format, True),
)


def _latest(header: str) -> str:
    col = f"{BRIDGE_TABLE}[{header}]"
    return f"INDEX({col},ROWS({col}))"


def _kpi_row(excel_name: str, label: str, refs: dict[str, str], bridge: pd.DataFrame) -> tuple[str, str, float]:
    """(label, formula, cached value) of a KPI of the latest month, from its definition.

    The formula is the KPI's native Excel formula over the latest month of
    ``MRRBridge`` (``refs``: argument -> bridge header); the cached value is
    the Python KPI on the same numbers, so the two are one definition.
    """
    definition = kpi(excel_name)
    formula = definition.excel_formula({arg: _latest(header) for arg, header in refs.items()})
    if bridge.empty:
        return label, formula, np.nan
    by_header = dict(zip(BRIDGE_HEADERS, BRIDGE_COLUMNS))
    args = {arg: float(bridge[by_header[header]].iloc[-1]) for arg, header in refs.items()}
    return label, formula, float(definition.function(**args))


def summary_block(bridge_blk: Block, bridge: pd.DataFrame) -> Block:
    """The latest month's KPIs as formulas over ``MRRBridge``, values cached.

    A rate that is undefined in the latest month is blank: the formula is
    ``IF(x="","",x)`` because INDEX of an empty cell would otherwise show 0.
    """
    by_header = {c.header: c for c in bridge_blk.columns}
    n = bridge_blk.n_rows
    labels, formulas, cached, formats = [], [], [], []
    for label, header, fmt, guard in _LATEST:
        value = by_header[header].values[n - 1] if n else np.nan
        expr = _latest(header)
        labels.append(label)
        formulas.append(f'IF({expr}="","",{expr})' if guard else expr)
        cached.append(value)
        formats.append(fmt)
    extra = (
        _kpi_row("ARR", "ARR (12 x ending MRR)", {"mrr": "Ending MRR"}, bridge),
        _kpi_row("NET_NEW_MRR", "Net new MRR (latest month)",
                 {"new_mrr": "New MRR", "expansion_mrr": "Expansion MRR", "reactivation_mrr": "Reactivation MRR",
                  "contraction_mrr": "Contraction MRR", "churned_mrr": "Churned MRR"}, bridge),
        ("New MRR (all months)", f"SUM({BRIDGE_TABLE}[New MRR])", np.nansum(by_header["New MRR"].values)),
        ("Churned MRR (all months)", f"SUM({BRIDGE_TABLE}[Churned MRR])",
         np.nansum(by_header["Churned MRR"].values)),
    )
    for label, formula, value in extra:
        labels.append(label)
        formulas.append(formula)
        cached.append(value)
        formats.append(MONEY.number_format)
    # One column of mixed formats: the back ends apply formats per cell, so the
    # value column is split into single-cell runs by giving each row its format.
    values = np.array([_cached_value(v) for v in cached], dtype=object)
    return Block(3, 1, [Column("KPI", np.array(labels, dtype=object)),
                        Column("Value", values, tuple(formats), formulas)], title="KPI summary")


def _cached_value(value):
    if isinstance(value, np.datetime64):
        return value if not np.isnat(value) else np.nan
    return float(value)


# --------------------------------------------------------------------------- sheets


@report_sheet(BRIDGE_SHEET)
def bridge_sheet(data: ReportData) -> ReportSheet:
    """The monthly bridge table; its header row repeats on every printed page and is frozen with the months."""
    blk = bridge_block(data.bridge)
    return ReportSheet(BRIDGE_SHEET, [blk], **sheet_widths([blk]), freeze_rows=1, freeze_cols=1,
                       print_title_rows=(1, 1))


@report_sheet(COHORT_SHEET)
def cohort_sheet(data: ReportData) -> ReportSheet:
    """Logo and revenue retention heat maps, header row and cohort column frozen."""
    logo_blk = cohort_block(data.logo, 2, "Logo retention (share of the cohort's customers still active)")
    rev_row = logo_blk.last_row + 3
    rev_blk = cohort_block(data.revenue, rev_row, "Revenue retention (cohort MRR / its MRR in month 0)")
    heat = [blk.body(1) for blk in (logo_blk, rev_blk) if blk.n_rows and len(blk.columns) > 1]
    names = [DefinedName("CohortRetentionLogo", RangeRef(COHORT_SHEET, *logo_blk.body(1))),
             DefinedName("CohortRetentionRevenue", RangeRef(COHORT_SHEET, *rev_blk.body(1)))]
    # Row 2 holds the column headers ("Cohort", "Month 0", ...), which also label the revenue block.
    return ReportSheet(COHORT_SHEET, [logo_blk, rev_blk], color_scales=heat, **sheet_widths([logo_blk, rev_blk]),
                       freeze_rows=logo_blk.row, freeze_cols=1, names=names)


@report_sheet(SUMMARY_SHEET)
def summary_sheet(data: ReportData) -> ReportSheet:
    """The latest KPIs, two charts right of them over empty cells, the ``MonthlyKPIs`` table below the charts."""
    b_blk = bridge_block(data.bridge)
    n = b_blk.n_rows
    s_blk = summary_block(b_blk, data.bridge)
    chart_row = s_blk.row - 1  # level with the KPI block's title
    blocks = [s_blk]
    if data.monthly is not None:
        # Below the charts: one row per month, from xl_kpi.ledger.monthly_kpis.
        top = max(chart_row + CHART_ROWS, s_blk.last_row + 1) + 2
        blocks.append(frame_block(data.monthly, MONTHLY_LAYOUT, top, MONTHLY_TABLE, title="Monthly KPIs",
                                  header_lines=2))
    layout = sheet_widths(blocks)
    widths = layout["widths"]
    # Charts right of the KPI block (one empty column between), as wide as the table below them.
    chart_col = s_blk.last_col + 2
    right = col_edges(widths, max(b.last_col for b in blocks) + 1)[-1]  # right edge of the last column
    slot_trend, slot_moves = chart_slots(widths, chart_row, chart_col, right)
    months = RangeRef(BRIDGE_SHEET, 2, 1, n + 1 if n else 2, 1)
    trend = Chart("line", "MRR trend", months, [Series(*bridge_range("Ending MRR", n))],
                  y_format=COUNT.number_format, **slot_trend)
    moves = Chart("column", "MRR movements", months,
                  [Series(*bridge_range(h, n)) for h in ("New MRR", "Expansion MRR", "Reactivation MRR",
                                                         "Contraction MRR", "Churned MRR")],
                  y_format=COUNT.number_format, **slot_moves)
    names = [DefinedName("KPISummary", RangeRef(SUMMARY_SHEET, *s_blk.body(0)))]
    return ReportSheet(SUMMARY_SHEET, blocks, charts=[trend, moves], **layout, names=names)


#: The report's sheets in tab order: one function each.
SHEET_FUNCTIONS: tuple[SheetFunction, ...] = (bridge_sheet, cohort_sheet, summary_sheet)
#: Every sheet a refresh may write.
REPORT_SHEETS = tuple(fn.sheet_name for fn in SHEET_FUNCTIONS)


def build_report(data: ReportData) -> Report:
    """The whole report: each sheet function's sheet, in tab order (a function may have nothing to show)."""
    sheets = []
    for fn in SHEET_FUNCTIONS:
        sheet = fn(data)
        if sheet is not None:
            assert sheet.name == fn.sheet_name, (sheet.name, fn.sheet_name)
            sheets.append(sheet)
    return Report(sheets)
