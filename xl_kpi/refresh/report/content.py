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
* ``MRR Bridge``: a title row, then the Excel Table ``MRRBridge`` at A2
  (:data:`BRIDGE_ROW`), one row per month, exactly the 18 headers of
  ``BRIDGE_HEADERS``; undefined rates are blank. Below it the quarterly and
  annual bridges, each followed by a note when a period's churn rate is above
  100 % or its NRR below 0 (:func:`period_rate_notes`).
* ``Cohort Retention``: logo retention (cohort month x months since start),
  revenue retention below it, each under a three-colour scale (a heat map).
* ``KPI Summary``: the latest month's KPIs as formulas over ``MRRBridge``
  (with their values cached, so a reader that does not calculate still sees
  them; ARR and net new MRR are the KPI definitions' native formulas), two
  charts over the bridge table (MRR trend, MRR movements) side by side right
  of the KPI block, over empty cells, and below them the Excel Table
  ``MonthlyKPIs`` (``xl_kpi.ledger.monthly_kpis``).

Presentation (what a finance reader expects): a bold title in row 1 of
every sheet, saying what the sheet shows; column widths that fit
(:mod:`.layout`); month labels left-aligned; every sheet prints landscape,
one page wide, with the sheet name and page number in the footer; frozen
panes on the bridge (header row + month column) and the cohort sheet.

Example
-------
>>> import pandas as pd, numpy as np
>>> bridge = pd.DataFrame({c: [0.0, 1.0] for c in BRIDGE_COLUMNS})
>>> bridge["month"] = pd.to_datetime(["2024-01-01", "2024-02-01"])
>>> report = build_report(ReportData(bridge, pd.DataFrame(), pd.DataFrame()))
>>> [s.name for s in report.sheets]  # no trailing retention, no segments: those sheets are left out
['MRR Bridge', 'Cohort Retention', 'KPI Summary', 'MRR Movements']
>>> report.sheets[0].blocks[1].table, report.sheets[0].blocks[1].ref()
('MRRBridge', 'A2:R4')
>>> report.sheets[0].blocks[0].title
'MRR bridge: each month from starting to ending MRR; quarters and years below'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from xl_kpi.kpis import get as kpi
from xl_kpi.kpis.definition import COUNT, FRACTION, MONEY, RATIO
from xl_kpi.ledger.columns import BRIDGE_COLUMNS, MONTHLY_KPI_COLUMNS, TERMS
from xl_kpi.ledger.movements import MOVEMENT_MONTHS, latest_months, listed_months
from xl_kpi.refresh.report.layout import (CHART_ROWS, chart_slots, col_edges, format_text, place_chart,
                                          sheet_widths)
from xl_kpi.refresh.report.model import (DATE_FORMAT, Block, Chart, Column, DefinedName, RangeRef, Report,
                                         ReportSheet, Series)

BRIDGE_SHEET = "MRR Bridge"
COHORT_SHEET = "Cohort Retention"
SUMMARY_SHEET = "KPI Summary"
RETENTION_SHEET = "Retention"
MOVEMENTS_SHEET = "MRR Movements"
SEGMENTS_SHEET = "Segments"
BRIDGE_TABLE = "MRRBridge"
MONTHLY_TABLE = "MonthlyKPIs"
QUARTERLY_TABLE = "QuarterlyBridge"
ANNUAL_TABLE = "AnnualBridge"
TRAILING_TABLE = "TrailingRetention"
MOVES_BY_MONTH_TABLE = "MovementsByMonth"
MOVEMENTS_TABLE = "MRRMovements"
SEGMENTS_TABLE = "SegmentSummary"
#: Header row of the ``MRRBridge`` table, below the sheet's title row.
BRIDGE_ROW = 2
#: The MRR Bridge sheet's title (row 1).
BRIDGE_TITLE = "MRR bridge: each month from starting to ending MRR; quarters and years below"
#: At most this many customer movements in the table: a large ledger moves hundreds of thousands
#: of customers a quarter (the 10M-row benchmark: 839,064), past what a board pack can use and,
#: a few more, past Excel's 1,048,576 rows. Whole months are kept, latest first; when the latest
#: month alone has more, its largest changes are listed and the table's title says so.
MOVEMENT_ROWS = 100_000


def _layout(keys: Sequence[str]) -> dict[str, tuple[str, str]]:
    """column -> (Excel header, number format), from the ledger's vocabulary (:mod:`xl_kpi.ledger.columns`)."""
    return {k: (TERMS[k].header, TERMS[k].unit.number_format if TERMS[k].unit else DATE_FORMAT) for k in keys}


#: bridge column -> (Excel header, number format); order = the table's columns.
BRIDGE_LAYOUT = _layout(BRIDGE_COLUMNS)
BRIDGE_HEADERS = tuple(h for h, _ in BRIDGE_LAYOUT.values())

#: monthly_kpis column -> (Excel header, number format), for the ``MonthlyKPIs`` table.
MONTHLY_LAYOUT = _layout(MONTHLY_KPI_COLUMNS)


def rollup_layout(period: str) -> dict[str, tuple[str, str | None]]:
    """A quarterly or annual bridge (:func:`xl_kpi.ledger.rollup`): the period where the monthly table
    has its month, the bridge's columns under the monthly ones, then the period's months."""
    return {"period": (period, None), **{k: v for k, v in BRIDGE_LAYOUT.items() if k != "month"},
            "period_start": ("First Month", DATE_FORMAT), "period_end": ("Last Month", DATE_FORMAT),
            "partial": ("Partial", None)}


#: trailing_retention column -> (Excel header, format); the three rates adjacent (one chart source).
TRAILING_LAYOUT: dict[str, tuple[str, str]] = {
    "month": ("Month", DATE_FORMAT),
    "base_customers": ("Customers 12 Months Before", COUNT.number_format),
    "retained_customers": ("Of Them Still Active", COUNT.number_format),
    "base_mrr": ("Their MRR 12 Months Before", MONEY.number_format),
    "retained_mrr": ("Their MRR Now", MONEY.number_format),
    "logo_retention": ("T12M Logo Retention", FRACTION.number_format),
    "net_revenue_retention": ("T12M Net Revenue Retention", FRACTION.number_format),
    "gross_revenue_retention": ("T12M Gross Revenue Retention", FRACTION.number_format),
}
#: The KPI summary's T12M rows: label (with its window), TrailingRetention header.
T12M_SUMMARY = (
    ("T12M net revenue retention (12 months)", "T12M Net Revenue Retention"),
    ("T12M gross revenue retention (12 months)", "T12M Gross Revenue Retention"),
    ("T12M logo retention (12 months)", "T12M Logo Retention"),
)
#: mrr_movements column -> (Excel header, format).
MOVEMENT_LAYOUT: dict[str, tuple[str, str | None]] = {
    "month": ("Month", DATE_FORMAT),
    "customer": ("Customer ID", None),
    "movement": ("Movement", None),
    "mrr_before": ("MRR Before", MONEY.number_format),
    "mrr_after": ("MRR After", MONEY.number_format),
    "change": ("Change", MONEY.number_format),
}
#: The bridge's movements by month, losses negative (so a stacked chart draws them below zero).
MOVES_LAYOUT = {**{k: BRIDGE_LAYOUT[k] for k in ("month", "new_mrr", "expansion_mrr", "reactivation_mrr",
                                                  "contraction_mrr", "churned_mrr")},
                "net_new_mrr": (TERMS["net_new_mrr"].header, MONEY.number_format)}


@dataclass(frozen=True)
class ReportData:
    """What the report is made from: the ledger analysis (``xl_kpi.ledger``) of one refresh.

    ``bridge``: the monthly MRR bridge (``BRIDGE_COLUMNS``); ``logo`` /
    ``revenue``: the cohort matrices (cohort month x months since start);
    ``monthly``: :func:`xl_kpi.ledger.monthly_kpis` of the bridge.  The
    others are optional (a sheet or block without its data is left out):
    ``trailing``: :func:`xl_kpi.ledger.trailing_retention` (12 months);
    ``movements``: :func:`xl_kpi.ledger.mrr_movements`; ``quarterly`` /
    ``annual``: :func:`xl_kpi.ledger.rollup` of the bridge, fiscal years
    starting in month ``fiscal_year_start``; ``cohort_sizes``: customers and
    starting MRR per cohort; ``segments``: the segment bridges
    (``mrr_bridge(segment=...)``) with ``segment_trailing`` (trailing
    retention per segment) and ``segment_name`` (the ledger's column).
    """

    bridge: pd.DataFrame
    logo: pd.DataFrame
    revenue: pd.DataFrame
    monthly: pd.DataFrame | None = None
    trailing: pd.DataFrame | None = None
    movements: pd.DataFrame | None = None
    quarterly: pd.DataFrame | None = None
    annual: pd.DataFrame | None = None
    cohort_sizes: pd.DataFrame | None = None
    segments: pd.DataFrame | None = None
    segment_trailing: pd.DataFrame | None = None
    segment_name: str | None = None
    fiscal_year_start: int = 1


SheetFunction = Callable[[ReportData], "ReportSheet | None"]


def report_sheet(name: str) -> Callable[[SheetFunction], SheetFunction]:
    """Mark a function as the builder of the report sheet ``name`` (read by ``REPORT_SHEETS``)."""

    def mark(fn: SheetFunction) -> SheetFunction:
        fn.sheet_name = name
        return fn

    return mark


# --------------------------------------------------------------------------- blocks


def _as_float(values) -> np.ndarray:
    """The values as float64 (what is not a number: NaN), a new array.

    >>> _as_float(["1.5", None, "x", 2]).tolist(), _as_float(np.array([0.5, np.nan])).tolist()
    ([1.5, nan, nan, 2.0], [0.5, nan])
    """
    if isinstance(values, (np.ndarray, pd.Series)) and values.dtype == np.dtype("float64"):
        return np.array(values, dtype=np.float64)  # (already numbers: what to_numeric would give, copied)
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _month_values(values) -> np.ndarray:
    return pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[ns]")


#: Frame columns that hold months (dates on the first of a month).
DATE_KEYS = ("month", "period_start", "period_end", "cohort")
#: Frame columns that label the rows (left-aligned, like the labels of a finance table).
LABEL_KEYS = ("month", "period", "segment", "customer", "movement")
#: Frame columns holding a flag ("partial"): centred, so the word stands apart from the right-aligned
#: month before it (left-aligned it read "Mar 2024partial" across the two cells).
FLAG_KEYS = ("partial",)


def _text_values(values) -> np.ndarray:
    """Text cells (a blank for a missing value; True/False as "partial" / blank, for the periods' flag).

    >>> _text_values(pd.Series(["a", None, np.nan, True, False, 7])).tolist()
    ['a', None, None, 'partial', None, '7']
    """
    items = pd.Series(values).tolist()
    if set(map(type, items)) <= {str}:  # texts only (the movements table's customers): the same texts
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out
    out = []
    for v in items:
        if isinstance(v, (bool, np.bool_)):
            out.append("partial" if v else None)
        elif v is None or (isinstance(v, float) and np.isnan(v)):
            out.append(None)
        else:
            out.append(str(v))
    return np.array(out, dtype=object)


def frame_block(frame: pd.DataFrame, layout: dict[str, tuple[str, str | None]], row: int, table: str | None,
                title: str | None = None, header_lines: int = 1, col: int = 1) -> Block:
    """A block (an Excel Table when ``table`` is given) of a frame's columns under their Excel headers.

    A column whose format is None holds text; a month column dates; the rest numbers (inf never
    reaches a cell: it is a blank).
    """
    columns = []
    for key, (header, fmt) in layout.items():
        raw = frame[key]
        if key in DATE_KEYS:
            values = _month_values(raw)
        elif fmt is None:
            values = _text_values(raw)
        else:
            values = _as_float(raw)
            values = np.where(np.isfinite(values), values, np.nan)
        align = "left" if key in LABEL_KEYS else "center" if key in FLAG_KEYS else None
        columns.append(Column(header, values, fmt, align=align))
    return Block(row, col, columns, table=table, title=title, header_lines=header_lines)


def title_block(text: str, row: int = 1) -> Block:
    """A sheet's title: bold text in ``row``, overflowing to the right (a block with no columns)."""
    return Block(row + 1, 1, [], title=text)


def bridge_block(bridge: pd.DataFrame) -> Block:
    """The ``MRRBridge`` table: every bridge column under its Excel header."""
    return frame_block(bridge, BRIDGE_LAYOUT, BRIDGE_ROW, BRIDGE_TABLE, header_lines=2)


def bridge_range(header: str, n_months: int) -> tuple[RangeRef, RangeRef]:
    """(header cell, data cells) of a column of the ``MRRBridge`` table (row :data:`BRIDGE_ROW`, one row per month)."""
    c = BRIDGE_HEADERS.index(header) + 1
    last = BRIDGE_ROW + (n_months if n_months else 1)
    return RangeRef(BRIDGE_SHEET, BRIDGE_ROW, c, BRIDGE_ROW, c), RangeRef(BRIDGE_SHEET, BRIDGE_ROW + 1, c, last, c)


def cohort_block(matrix: pd.DataFrame, row: int, title: str, size: Column) -> Block:
    """A cohort matrix: cohort month down, its size (``size``) beside it, months since start across, fractions."""
    if matrix is None or matrix.empty:
        return Block(row, 1, [Column("Cohort", np.array([], dtype="datetime64[ns]"), DATE_FORMAT),
                              Column(size.header, np.array([], dtype="float64"), size.number_format),
                              Column("Month 0", np.array([], dtype="float64"), FRACTION.number_format)], title=title)
    columns = [Column("Cohort", _month_values(matrix.index), DATE_FORMAT, align="left"), size]
    for age in matrix.columns:
        columns.append(Column(f"Month {int(age)}", _as_float(matrix[age].to_numpy()), FRACTION.number_format))
    return Block(row, 1, columns, title=title)


#: KPI summary rows looked up in the latest month: label, bridge header, number format, guard blanks.
#: Each label says its window: the latest month, or the trailing twelve months (T12M).
_LATEST = (
    ("Latest month", "Month", DATE_FORMAT, False),
    ("Ending MRR", "Ending MRR", MONEY.number_format, False),
    ("Customers", "Customers End", COUNT.number_format, False),
    ("Customer churn rate (latest month)", "Customer Churn Rate", FRACTION.number_format, True),
    ("Gross revenue churn rate (latest month)", "Gross Revenue Churn Rate", FRACTION.number_format, True),
    ("Net revenue retention (latest month)", "Net Revenue Retention", FRACTION.number_format, True),
    ("Quick ratio (latest month)", "Quick Ratio", RATIO.number_format, True),
    ("ARPA", "ARPA", MONEY.number_format, True),
)


def _latest(header: str, table: str = BRIDGE_TABLE) -> str:
    col = f"{table}[{header}]"
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


def summary_block(bridge_blk: Block, bridge: pd.DataFrame, trailing: Block | None = None) -> Block:
    """The latest month's KPIs as formulas over ``MRRBridge`` (and the latest T12M retention over
    ``TrailingRetention``), values cached.

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
    if trailing is not None:
        t12m = {c.header: c for c in trailing.columns}
        for label, header in T12M_SUMMARY:
            values = t12m[header].values
            expr = _latest(header, TRAILING_TABLE)
            labels.append(label)
            formulas.append(f'IF({expr}="","",{expr})')
            cached.append(values[-1] if len(values) else np.nan)
            formats.append(FRACTION.number_format)
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
                        Column("Value", values, tuple(formats), formulas)], title="Latest month and trailing twelve months")


def _cached_value(value):
    if isinstance(value, np.datetime64):
        return value if not np.isnat(value) else np.nan
    return float(value)


#: Where a period's surprising rates are explained (the note under a quarterly or annual table).
PERIOD_RATES_DOC = 'docs/metrics.md, "Quarters and years"'


def period_rate_notes(periods: pd.DataFrame, what: str) -> list[str]:
    """The note lines for a roll-up's periods whose churn rate is above 100 % or whose NRR is below 0.

    Over a period the churn counts customers (and MRR) that were new inside it, while the rate's base is
    the customers (MRR) at its start: the figures follow the definition but are not the retention of a
    fixed group. So each such period is named with its figures, and one line says why and where to look
    (T12M retention on the Retention sheet; :data:`PERIOD_RATES_DOC`). No line when no period is affected.

    >>> q = pd.DataFrame({"period": ["2024-Q1", "2024-Q2"], "customer_churn_rate": [0.2, 3.5],
    ...                   "gross_revenue_churn_rate": [0.1, 3.5], "net_revenue_retention": [0.9, -2.5]})
    >>> for line in period_rate_notes(q, "quarter"): print(line)
    Note: 2024-Q2: customer churn rate 350.0% and gross revenue churn rate 350.0% above 100%, net revenue retention -250.0% below 0.
    Why: customers new inside a quarter count in its churn, while the rates' base is the customers and MRR at its start. For the retention of a fixed group use the T12M figures (Retention sheet); see docs/metrics.md, "Quarters and years".
    """
    lines = []
    fmt = FRACTION.number_format
    for row in periods.itertuples(index=False):
        above = [f"{label} {format_text(v, fmt)}" for label, v in
                 (("customer churn rate", row.customer_churn_rate),
                  ("gross revenue churn rate", row.gross_revenue_churn_rate)) if np.isfinite(v) and v > 1]
        nrr = row.net_revenue_retention
        below = f"net revenue retention {format_text(nrr, fmt)} below 0" if np.isfinite(nrr) and nrr < 0 else ""
        if not (above or below):
            continue
        parts = ([" and ".join(above) + " above 100%"] if above else []) + ([below] if below else [])
        lines.append(f"Note: {row.period}: {', '.join(parts)}.")
    if lines:
        lines.append(f"Why: customers new inside a {what} count in its churn, while the rates' base is the "
                     f"customers and MRR at its start. For the retention of a fixed group use the T12M figures "
                     f"(Retention sheet); see {PERIOD_RATES_DOC}.")
    return lines


def note_block(lines: list[str], row: int) -> Block | None:
    """Text lines under a table, one cell each alone in its row (read across the empty cells to its
    right; not counted in the column widths); None for no line."""
    if not lines:
        return None
    return Block(row, 1, [Column("Note", np.array(lines, dtype=object), align="left")], header=False)


# --------------------------------------------------------------------------- sheets


@report_sheet(BRIDGE_SHEET)
def bridge_sheet(data: ReportData) -> ReportSheet:
    """A title row, the monthly bridge table; below it the quarterly and annual bridges (``QuarterlyBridge``,
    ``AnnualBridge``), their columns under the monthly ones (so the page stays as wide as the monthly
    table), each followed by its note (:func:`period_rate_notes`) one row below it when it has one.
    The title and header rows are frozen with the months; the header row repeats on every printed
    page."""
    blk = bridge_block(data.bridge)
    blocks = [title_block(BRIDGE_TITLE), blk]
    notes: list[Block] = []  # under a roll-up whose rates need a word (period_rate_notes)

    def with_notes(table: Block, what: str) -> int:
        """The table's note (if any) one row below it; returns the last row used."""
        note = note_block(period_rate_notes(data.quarterly if what == "quarter" else data.annual, what),
                          table.last_row + 2)
        if note is None:
            return table.last_row
        notes.append(note)
        return note.last_row

    if data.quarterly is not None:
        start = pd.Timestamp(2000, data.fiscal_year_start, 1).strftime("%B")
        fiscal = "" if data.fiscal_year_start == 1 else f" (fiscal years starting in {start})"
        quarters = frame_block(data.quarterly, rollup_layout("Quarter"), blk.last_row + 3, QUARTERLY_TABLE,
                               title="Quarters" + fiscal, header_lines=2)
        blocks.append(quarters)
        end = with_notes(quarters, "quarter")
        if data.annual is not None:
            years = frame_block(data.annual, rollup_layout("Year"), end + 3, ANNUAL_TABLE,
                                title="Fiscal years" + fiscal if fiscal else "Years", header_lines=2)
            blocks.append(years)
            with_notes(years, "year")
    return ReportSheet(BRIDGE_SHEET, blocks + notes, **sheet_widths(blocks), freeze_rows=blk.row, freeze_cols=1,
                       print_title_rows=(blk.row, blk.row))


def _sizes(data: ReportData, matrix: pd.DataFrame, key: str, header: str, fmt: str) -> Column:
    """The cohorts' sizes (customers, or starting MRR) in the order of the matrix's cohorts."""
    sizes = data.cohort_sizes
    if sizes is None or matrix is None or matrix.empty:
        return Column(header, np.full(0 if matrix is None else len(matrix), np.nan), fmt)
    by_cohort = pd.Series(sizes[key].to_numpy(dtype=float), index=pd.to_datetime(sizes.index))
    return Column(header, by_cohort.reindex(pd.to_datetime(matrix.index)).to_numpy(dtype=float), fmt)


#: First column index (0-based, in a cohort block) of the retention fractions: after the cohort and its size.
COHORT_FIRST_AGE = 2


@report_sheet(COHORT_SHEET)
def cohort_sheet(data: ReportData) -> ReportSheet:
    """Logo and revenue retention heat maps, each cohort's size beside it; header row and cohort column frozen."""
    title = title_block("Cohort retention: each row is the customers who started in that month")
    logo_blk = cohort_block(data.logo, 3, "Logo retention (share of the cohort's customers still active)",
                            _sizes(data, data.logo, "customers", "Customers", COUNT.number_format))
    rev_row = logo_blk.last_row + 3
    rev_blk = cohort_block(data.revenue, rev_row, "Revenue retention (cohort MRR / its MRR in month 0)",
                           _sizes(data, data.revenue, "starting_mrr", "Starting MRR", MONEY.number_format))
    heat = [blk.body(COHORT_FIRST_AGE) for blk in (logo_blk, rev_blk)
            if blk.n_rows and len(blk.columns) > COHORT_FIRST_AGE]
    names = [DefinedName("CohortRetentionLogo", RangeRef(COHORT_SHEET, *logo_blk.body(COHORT_FIRST_AGE))),
             DefinedName("CohortRetentionRevenue", RangeRef(COHORT_SHEET, *rev_blk.body(COHORT_FIRST_AGE)))]
    # Row 3 holds the column headers ("Cohort", "Month 0", ...), which also label the revenue block.
    blocks = [title, logo_blk, rev_blk]
    return ReportSheet(COHORT_SHEET, blocks, color_scales=heat, **sheet_widths(blocks),
                       freeze_rows=logo_blk.row, freeze_cols=1, names=names)


@report_sheet(SUMMARY_SHEET)
def summary_sheet(data: ReportData) -> ReportSheet:
    """The latest KPIs, two charts right of them over empty cells, the ``MonthlyKPIs`` table below the charts.

    The MRR trend shows MRR and ARR (from ``MonthlyKPIs``), the movements chart
    stacks new, expansion and reactivation above zero and contraction and
    churn below it (from the MRR Movements sheet's monthly table).
    """
    b_blk = bridge_block(data.bridge)
    n = b_blk.n_rows
    trailing = trailing_block(data) if data.trailing is not None else None
    s_blk = summary_block(b_blk, data.bridge, trailing)
    chart_row = s_blk.row - 1  # level with the KPI block's title
    blocks = [title_block("KPI summary of the MRR bridge (latest month) and trailing retention (T12M)"), s_blk]
    monthly = None
    if data.monthly is not None:
        # Below the charts: one row per month, from xl_kpi.ledger.monthly_kpis.
        top = max(chart_row + CHART_ROWS, s_blk.last_row + 1) + 2
        monthly = frame_block(data.monthly, MONTHLY_LAYOUT, top, MONTHLY_TABLE, title="Monthly KPIs",
                              header_lines=2)
        blocks.append(monthly)
    layout = sheet_widths(blocks)
    widths = layout["widths"]
    # Charts right of the KPI block (one empty column between), as wide as the table below them.
    chart_col = s_blk.last_col + 2
    right = col_edges(widths, max(b.last_col for b in blocks) + 1)[-1]  # right edge of the last column
    slot_trend, slot_moves = chart_slots(widths, chart_row, chart_col, right)
    if monthly is not None:
        mrr, arr = (_block_ref(SUMMARY_SHEET, monthly, h) for h in ("MRR", "ARR"))
        months = _block_ref(SUMMARY_SHEET, monthly, "Month")[1]
        trend = Chart("line", "MRR and ARR", months, [Series(*mrr), Series(*arr)], y_format=COUNT.number_format,
                      x_title="Month", y_title="MRR", secondary=1, y2_title="ARR", **slot_trend)
    else:
        months = bridge_range("Month", n)[1]
        trend = Chart("line", "MRR trend", months, [Series(*bridge_range("Ending MRR", n))],
                      y_format=COUNT.number_format, x_title="Month", y_title="MRR", **slot_trend)
    moves_blk = moves_block(data)
    heads = ("New MRR", "Expansion MRR", "Reactivation MRR", "Contraction MRR", "Churned MRR")
    moves = Chart("column", "MRR movements", _block_ref(MOVEMENTS_SHEET, moves_blk, "Month")[1],
                  [Series(*_block_ref(MOVEMENTS_SHEET, moves_blk, h)) for h in heads],
                  y_format=COUNT.number_format, stacked=True, x_title="Month", y_title="MRR change", **slot_moves)
    names = [DefinedName("KPISummary", RangeRef(SUMMARY_SHEET, *s_blk.body(0)))]
    return ReportSheet(SUMMARY_SHEET, blocks, charts=[trend, moves], **layout, names=names)


def _block_ref(sheet: str, blk: Block, header: str) -> tuple[RangeRef, RangeRef]:
    """(header cell, data cells) of a block's column."""
    c = blk.col + [col.header for col in blk.columns].index(header)
    r1, _, r2, _ = blk.body()
    return RangeRef(sheet, blk.row, c, blk.row, c), RangeRef(sheet, r1, c, r2, c)


def trailing_block(data: ReportData, row: int = 3) -> Block:
    """The ``TrailingRetention`` table: the months with a full twelve-month window."""
    table = data.trailing
    table = table[table["net_revenue_retention"].notna() | table["logo_retention"].notna()]
    return frame_block(table, TRAILING_LAYOUT, row, TRAILING_TABLE, header_lines=2,
                       title="Trailing twelve months: the customers active 12 months before each month, "
                             "and what they are worth in it")


@report_sheet(RETENTION_SHEET)
def retention_sheet(data: ReportData) -> ReportSheet | None:
    """T12M net and gross revenue retention and logo retention by month, with a line chart."""
    if data.trailing is None:
        return None
    blk = trailing_block(data)
    months = len(data.bridge)
    note = "" if blk.n_rows else f" (needs 13 months of data; this ledger has {months})"
    blocks = [title_block("Retention over the trailing twelve months (T12M), as investors ask for it" + note), blk]
    layout = sheet_widths(blocks)
    rates = [Series(*_block_ref(RETENTION_SHEET, blk, h))
             for h in ("T12M Logo Retention", "T12M Net Revenue Retention", "T12M Gross Revenue Retention")]
    chart = Chart("line", "Trailing twelve-month retention", _block_ref(RETENTION_SHEET, blk, "Month")[1], rates,
                  y_format="0%", x_title="Month", y_title="Retention (T12M)",
                  **place_chart(layout["widths"], 2, blk.last_col + 2, 620, 18))
    return ReportSheet(RETENTION_SHEET, blocks, charts=[chart] if blk.n_rows else [], **layout,
                       freeze_rows=blk.row, freeze_cols=1)


def moves_block(data: ReportData) -> Block:
    """``MovementsByMonth``: the bridge's movements by month, contraction and churn negative."""
    b = data.bridge
    frame = pd.DataFrame({"month": b["month"], "new_mrr": b["new_mrr"], "expansion_mrr": b["expansion_mrr"],
                          "reactivation_mrr": b["reactivation_mrr"], "contraction_mrr": -b["contraction_mrr"],
                          "churned_mrr": -b["churned_mrr"]})
    frame["net_new_mrr"] = frame[["new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_mrr",
                                  "churned_mrr"]].sum(axis=1)
    return frame_block(frame, MOVES_LAYOUT, 3, MOVES_BY_MONTH_TABLE, header_lines=2,
                       title="By month (losses negative)")


def latest_movements(moves: pd.DataFrame, months: int = MOVEMENT_MONTHS,
                     rows: int = MOVEMENT_ROWS) -> tuple[pd.DataFrame, str]:
    """The movements the MRR Movements table lists, latest month first, and how to describe them.

    Whole months, the latest ``months`` with a movement (:func:`xl_kpi.ledger.movements.latest_months`,
    the cut the refresh asks the engine for), as long as they fit in ``rows``; when the latest month
    alone has more than ``rows``, its ``rows`` largest changes (mrr_movements orders a month's
    movements by the size of the change).

    >>> m = pd.DataFrame({"month": pd.to_datetime(["2024-01-01"] * 2 + ["2024-02-01"] * 3),
    ...                   "customer": list("abcde"), "change": [5.0, -1.0, 9.0, 4.0, -2.0]})
    >>> latest_movements(m)[1], list(latest_movements(m)[0]["customer"])
    ('the latest 2 months', ['c', 'd', 'e', 'a', 'b'])
    >>> latest_movements(m, rows=4)[1], list(latest_movements(m, rows=4)[0]["customer"])
    ('the latest month', ['c', 'd', 'e'])
    >>> latest_movements(m, rows=2)[1], list(latest_movements(m, rows=2)[0]["customer"])
    ('the 2 largest of the 3 movements of Feb 2024', ['c', 'd'])
    """
    recent = latest_months(moves, months)
    # each month's movements: the frame's, or (the Ibis engine, which lists only what the table shows)
    # those it counted in its database
    counts = moves.attrs.get("month_counts")
    counts = recent["month"].value_counts() if counts is None else counts[counts.index.isin(recent["month"])]
    kept, cut = listed_months(counts, rows)
    recent = recent[recent["month"].isin(kept)]
    # Latest month first; within a month the order of mrr_movements (largest change first).
    recent = recent.iloc[np.argsort(-recent["month"].to_numpy().astype("int64"), kind="stable")]
    if cut:
        month = pd.Timestamp(kept[0]).strftime("%b %Y")
        return recent.iloc[:rows], f"the {rows:,} largest of the {int(counts[kept[0]]):,} movements of {month}"
    return recent, "the latest month" if len(kept) == 1 else f"the latest {len(kept)} months"


@report_sheet(MOVEMENTS_SHEET)
def movements_sheet(data: ReportData) -> ReportSheet:
    """The movements by month, and beside them every customer's movement of the latest months
    (``MRRMovements``, filterable, latest month first)."""
    by_month = moves_block(data)
    blocks = [by_month]
    title = "MRR movements: what moved the MRR, by month and by customer"
    if data.movements is not None:
        recent, listed = latest_movements(data.movements)
        blocks.append(frame_block(recent, MOVEMENT_LAYOUT, 3, MOVEMENTS_TABLE, col=by_month.last_col + 2,
                                  title=f"By customer, {listed} (filter by month, customer or "
                                        "movement; =MRR_MOVEMENTS lists every month)", header_lines=2))
    blocks.insert(0, title_block(title))
    return ReportSheet(MOVEMENTS_SHEET, blocks, **sheet_widths(blocks), freeze_rows=3)


def segment_frame(data: ReportData) -> pd.DataFrame:
    """Per segment, in the latest month: customers, ending MRR, net new MRR and T12M NRR."""
    seg = data.segments
    latest = seg[seg["month"] == seg["month"].max()]
    out = pd.DataFrame({"segment": latest["segment"].astype(str).to_numpy(),
                        "customers_end": latest["customers_end"].to_numpy(float),
                        "ending_mrr": latest["ending_mrr"].to_numpy(float),
                        "net_new_mrr": (latest["ending_mrr"] - latest["starting_mrr"]).to_numpy(float)})
    nrr = np.full(len(out), np.nan)
    if data.segment_trailing is not None:
        t = data.segment_trailing
        t = t[t["month"] == t["month"].max()]
        by = dict(zip(t["segment"].astype(str), t["net_revenue_retention"].to_numpy(float)))
        nrr = np.array([by.get(s, np.nan) for s in out["segment"]])
    out["t12m_nrr"] = nrr
    return out


@report_sheet(SEGMENTS_SHEET)
def segments_sheet(data: ReportData) -> ReportSheet | None:
    """Ending MRR, net new MRR and T12M NRR per segment for the latest month, with a chart."""
    if data.segments is None or data.segments.empty:
        return None
    name = data.segment_name or "Segment"
    month = pd.Timestamp(data.segments["month"].max()).strftime("%b %Y")
    layout_ = {"segment": (name, None), "customers_end": ("Customers", COUNT.number_format),
               "ending_mrr": ("Ending MRR", MONEY.number_format), "net_new_mrr": ("Net New MRR", MONEY.number_format),
               "t12m_nrr": ("T12M Net Revenue Retention", FRACTION.number_format)}
    blk = frame_block(segment_frame(data), layout_, 2, SEGMENTS_TABLE, header_lines=2)
    blocks = [title_block(f"Segments by {name}, {month} (a customer counts in the segment of its latest row)"), blk]
    layout = sheet_widths(blocks)
    chart = Chart("column", f"Ending and net new MRR by {name}", _block_ref(SEGMENTS_SHEET, blk, name)[1],
                  [Series(*_block_ref(SEGMENTS_SHEET, blk, h)) for h in ("Ending MRR", "Net New MRR")],
                  y_format=COUNT.number_format, x_title=name, y_title="MRR",
                  **place_chart(layout["widths"], 2, blk.last_col + 2, 520, 16))
    return ReportSheet(SEGMENTS_SHEET, blocks, charts=[chart], **layout)


#: The report's sheets in tab order: one function each.
SHEET_FUNCTIONS: tuple[SheetFunction, ...] = (bridge_sheet, cohort_sheet, summary_sheet, retention_sheet,
                                              movements_sheet, segments_sheet)
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
