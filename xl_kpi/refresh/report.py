"""What a refresh writes, described without any workbook library.

``build_report`` turns the ledger analysis (the MRR bridge and the cohort
matrices) into a ``Report``: sheets made of rectangular ``Block``s of
columns, with an optional Excel Table over a block, colour scales, charts
and workbook-level defined names.  Both back ends (the closed-file package
writer and the live xlwings writer) render the same ``Report``; neither
computes anything, so a number cannot differ between them.

Layout
------
* ``MRR Bridge``: the Excel Table ``MRRBridge`` at A1, one row per month,
  exactly the 18 headers of ``BRIDGE_HEADERS``; undefined rates are blank.
* ``Cohort Retention``: logo retention (cohort month x months since start),
  revenue retention below it, each under a three-colour scale (a heat map).
* ``KPI Summary``: the latest month's KPIs as formulas over ``MRRBridge``
  (with their values cached, so a reader that does not calculate still sees
  them), two charts over the bridge table (MRR trend, MRR movements) side by
  side right of the KPI block, over empty cells, and below them the Excel
  Table ``MonthlyKPIs`` (``xl_kpi.ledger.monthly_kpis``).

Presentation (what a finance reader expects): column widths computed from
each header and each value as its number format shows it; the tables' long
headers wrap onto two lines in a taller header row (``wrap_rows`` /
``wrap_widths``; a back end that cannot wrap uses ``widths``, which fit
them on one line); month labels left-aligned; every sheet prints landscape,
one page wide, with the sheet name and page number in the footer; frozen
panes on the bridge (header row + month column) and the cohort sheet.

Example
-------
>>> import pandas as pd, numpy as np
>>> bridge = pd.DataFrame({c: [0.0, 1.0] for c in BRIDGE_COLUMNS})
>>> bridge["month"] = pd.to_datetime(["2024-01-01", "2024-02-01"])
>>> report = build_report(bridge, pd.DataFrame(), pd.DataFrame())
>>> [s.name for s in report.sheets]
['MRR Bridge', 'Cohort Retention', 'KPI Summary']
>>> report.sheets[0].blocks[0].table, report.sheets[0].blocks[0].ref()
('MRRBridge', 'A1:R3')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from xl_kpi.cells import a1, quote_sheet
from xl_kpi.kpis.definition import COUNT, FRACTION, MONEY, RATIO

BRIDGE_SHEET = "MRR Bridge"
COHORT_SHEET = "Cohort Retention"
SUMMARY_SHEET = "KPI Summary"
BRIDGE_TABLE = "MRRBridge"
MONTHLY_TABLE = "MonthlyKPIs"
#: Every sheet a refresh owns (and replaces on the next refresh).
REPORT_SHEETS = (BRIDGE_SHEET, COHORT_SHEET, SUMMARY_SHEET)
#: Every Excel Table a refresh owns.
REPORT_TABLES = (BRIDGE_TABLE, MONTHLY_TABLE)

DATE_FORMAT = "mmm yyyy"

#: bridge column -> (Excel header, number format); order = the table's columns.
BRIDGE_LAYOUT: dict[str, tuple[str, str]] = {
    "month": ("Month", DATE_FORMAT),
    "starting_mrr": ("Starting MRR", MONEY.number_format),
    "new_mrr": ("New MRR", MONEY.number_format),
    "expansion_mrr": ("Expansion MRR", MONEY.number_format),
    "reactivation_mrr": ("Reactivation MRR", MONEY.number_format),
    "contraction_mrr": ("Contraction MRR", MONEY.number_format),
    "churned_mrr": ("Churned MRR", MONEY.number_format),
    "ending_mrr": ("Ending MRR", MONEY.number_format),
    "customers_start": ("Customers Start", COUNT.number_format),
    "new_customers": ("New Customers", COUNT.number_format),
    "reactivated_customers": ("Reactivated Customers", COUNT.number_format),
    "churned_customers": ("Churned Customers", COUNT.number_format),
    "customers_end": ("Customers End", COUNT.number_format),
    "customer_churn_rate": ("Customer Churn Rate", FRACTION.number_format),
    "gross_revenue_churn_rate": ("Gross Revenue Churn Rate", FRACTION.number_format),
    "net_revenue_retention": ("Net Revenue Retention", FRACTION.number_format),
    "quick_ratio": ("Quick Ratio", RATIO.number_format),
    "arpa": ("ARPA", MONEY.number_format),
}
BRIDGE_COLUMNS = tuple(BRIDGE_LAYOUT)

#: monthly_kpis column -> (Excel header, number format), for the ``MonthlyKPIs`` table.
MONTHLY_LAYOUT: dict[str, tuple[str, str]] = {
    "month": ("Month", DATE_FORMAT),
    "mrr": ("MRR", MONEY.number_format),
    "arr": ("ARR", MONEY.number_format),
    "customers": ("Customers", COUNT.number_format),
    "arpa": ("ARPA", MONEY.number_format),
    "net_new_mrr": ("Net New MRR", MONEY.number_format),
    "mrr_growth_rate": ("MRR Growth Rate", FRACTION.number_format),
    "net_revenue_retention": ("Net Revenue Retention", FRACTION.number_format),
    "gross_revenue_retention": ("Gross Revenue Retention", FRACTION.number_format),
    "customer_churn_rate": ("Customer Churn Rate", FRACTION.number_format),
    "revenue_churn_rate": ("Revenue Churn Rate", FRACTION.number_format),
    "quick_ratio": ("Quick Ratio", RATIO.number_format),
}
BRIDGE_HEADERS = tuple(h for h, _ in BRIDGE_LAYOUT.values())

#: Three-colour heat map: red (low) -> yellow -> green (high), like Excel's default scale.
HEAT_COLORS = ("F8696B", "FFEB84", "63BE7B")


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Column:
    """One column of a block: header text, values and their number format.

    ``values`` is float64 (NaN = blank cell), datetime64 (a date cell) or
    object (text, or a mix of these per cell).  ``formulas``, when given, holds one formula per row
    (text without the leading ``=``); ``values`` then holds the cached result.
    """

    header: str
    values: np.ndarray
    number_format: str | Sequence[str] | None = None  #: one format, or one per row
    formulas: Sequence[str] | None = None
    align: str | None = None  #: horizontal alignment of the values: "left" for a column of row labels

    def format_at(self, i: int) -> str | None:
        fmt = self.number_format
        return fmt if fmt is None or isinstance(fmt, str) else fmt[i]


@dataclass(frozen=True)
class Block:
    """A rectangle of columns with its top-left cell at (row, col), header row first."""

    row: int
    col: int
    columns: Sequence[Column]
    table: str | None = None  #: Excel Table name laid over the whole block
    title: str | None = None  #: bold text in the cell above the header row
    header: bool = True
    header_lines: int = 1  #: lines a header may wrap into (2: narrower columns, a taller header row)

    @property
    def n_rows(self) -> int:
        return len(self.columns[0].values) if self.columns else 0

    @property
    def last_row(self) -> int:
        return self.row + int(self.header) + max(self.n_rows, 1) - 1

    @property
    def last_col(self) -> int:
        return self.col + len(self.columns) - 1

    def ref(self, absolute: bool = False) -> str:
        return a1(self.row, self.col, self.last_row, self.last_col, absolute)

    def body(self, first_col: int = 0) -> tuple[int, int, int, int]:
        """(row1, col1, row2, col2) of the data rows, from column index ``first_col`` on."""
        top = self.row + int(self.header)
        return top, self.col + first_col, top + max(self.n_rows, 1) - 1, self.last_col


@dataclass(frozen=True)
class RangeRef:
    """A range on a named sheet (1-based, inclusive)."""

    sheet: str
    row1: int
    col1: int
    row2: int
    col2: int

    def formula(self) -> str:
        return f"{quote_sheet(self.sheet)}!{a1(self.row1, self.col1, self.row2, self.col2, absolute=True)}"


@dataclass(frozen=True)
class Series:
    title: RangeRef  #: the header cell that names the series
    values: RangeRef


@dataclass(frozen=True)
class Chart:
    """A chart placed over cells: top-left (row, col), size in columns x rows.

    ``end``, when set, is the exact bottom-right corner as (row, row offset,
    col, col offset), offsets in EMU inside that cell (what a drawing's
    ``<xdr:to>`` holds); :func:`place_chart` computes it from the sheet's
    column widths so a chart has the same size whatever the columns.
    ``width_cols`` / ``height_rows`` stay a size that never exceeds it, for a
    back end that sizes charts in default columns (48 pt) and rows (15 pt).
    """

    kind: str  #: "line" or "column"
    title: str
    categories: RangeRef
    series: Sequence[Series]
    row: int
    col: int
    width_cols: int = 9
    height_rows: int = 16
    y_format: str = MONEY.number_format
    end: tuple[int, int, int, int] | None = None
    width_pt: float | None = None  #: exact width (``end`` is computed from it)


@dataclass(frozen=True)
class DefinedName:
    """A workbook-level name over a range the report owns."""

    name: str
    ref: RangeRef


@dataclass(frozen=True)
class ReportSheet:
    name: str
    blocks: Sequence[Block]
    color_scales: Sequence[tuple[int, int, int, int]] = ()
    charts: Sequence[Chart] = ()
    widths: dict[int, float] = field(default_factory=dict)  #: column number -> width (characters)
    freeze_rows: int = 0
    freeze_cols: int = 0
    #: Print setup: landscape, scaled to one page wide (as many pages tall as it takes).
    landscape: bool = True
    fit_width: bool = True
    #: Rows repeated at the top of every printed page (first, last), e.g. a table's header row.
    print_title_rows: tuple[int, int] | None = None
    #: Header rows whose text wraps -> row height (points), and the column widths that go with them.
    #: A back end that wraps those cells uses ``wrap_widths``; one that cannot keeps ``widths``,
    #: which fit every header on one line.
    wrap_rows: dict[int, float] = field(default_factory=dict)
    wrap_widths: dict[int, float] = field(default_factory=dict)

    @property
    def widths_with_wrapping(self) -> dict[int, float]:
        """Column widths for a back end that wraps the ``wrap_rows``."""
        return self.wrap_widths if self.wrap_rows else self.widths


@dataclass(frozen=True)
class Report:
    sheets: Sequence[ReportSheet]
    names: Sequence[DefinedName]


#: Workbook-level names the report owns (replaced on every refresh).
REPORT_NAMES = ("CohortRetentionLogo", "CohortRetentionRevenue", "KPISummary")
#: The hidden workbook-level name that marks a workbook whose report a refresh wrote, and its
#: value (a formula without the "="): the report's sheet names.
MARKER = "_xlkpi_report"
MARKER_VALUE = '"' + "|".join(REPORT_SHEETS) + '"'


# --------------------------------------------------------------------------- layout

#: Excel's default column: 8.43 characters = 64 pixels; default row: 15 pt = 20 pixels (at 96 dpi).
DEFAULT_COL_PX = 64
ROW_PX = 20
EMU_PER_PX = 9525
#: Width (characters) an Excel Table's header needs besides its text: the filter button (16 pixels).
FILTER_BUTTON = 2.5
#: Space (characters) between a cell's text and its neighbour (Excel's own padding is 5 pixels).
PADDING = 1.0
_LITERAL = re.compile(r'"([^"]*)"')


def format_text(value, fmt: str | None) -> str:
    """The text a cell shows for ``value`` under number format ``fmt`` (enough to size a column).

    Knows the formats the report uses: thousands separators, fixed decimals,
    percent, quoted literal suffixes, ``mmm yyyy`` dates.

    >>> format_text(63351.925, "#,##0.00"), format_text(-0.0216, "0.0%"), format_text(3.256, '0.00"x"')
    ('63,351.93', '-2.2%', '3.26x')
    >>> format_text(np.datetime64("2025-09-01"), "mmm yyyy"), format_text(np.nan, "0.0%")
    ('Sep 2025', '')
    """
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return ""
        ts = pd.Timestamp(value)
        return ts.strftime("%b %Y") if (fmt or "").lower() == DATE_FORMAT else ts.strftime("%Y-%m-%d")
    value = float(value)
    if not np.isfinite(value):
        return ""
    if fmt is None or fmt == "General":
        return f"{value:.10g}"
    suffix = "".join(_LITERAL.findall(fmt))
    core = _LITERAL.sub("", fmt).split(";")[0]
    percent = "%" in core
    decimals = sum(ch in "0#?" for ch in core.split(".", 1)[1]) if "." in core else 0
    sep = "," if "," in core else ""
    return f"{value * 100 if percent else value:{sep}.{decimals}f}" + ("%" if percent else "") + suffix


def text_width(text: str) -> float:
    """Width of ``text`` in Excel's column unit (the width of a digit), a safe upper estimate.

    In Calibri 11 (the default font) a digit is 7 pixels; lower-case letters,
    spaces and punctuation are narrower, capitals up to a third wider, and
    bold adds a few percent, which the narrow letters of ordinary text more
    than make up for: "Gross Revenue Churn Rate" measures about 22 digits in
    bold Calibri, this gives 25.

    >>> text_width("Gross Revenue Churn Rate"), text_width("MRR")
    (25.0, 3.75)
    """
    return len(text) + 0.25 * sum(ch.isupper() for ch in text)


def _column_text_width(col: Column) -> float:
    """Widest value of a column as displayed (its format applied)."""
    values = col.values
    if not len(values):
        return 0.0
    if isinstance(col.number_format, str) and values.dtype.kind == "f":
        # One format: the longest text is at the largest or the most negative value.
        finite = values[np.isfinite(values)]
        samples = [finite.max(), finite.min()] if finite.size else []
        return max((text_width(format_text(v, col.number_format)) for v in samples), default=0.0)
    if values.dtype.kind == "M":
        ok = values[~np.isnat(values)]
        return text_width(format_text(ok[0], col.format_at(0))) if ok.size else 0.0
    # text, or one format per cell: a few report rows (KPI labels), never ledger rows
    return max(text_width(format_text(v, col.format_at(i))) for i, v in enumerate(values))


def wrap_header(text: str, lines: int = 2) -> list[str]:
    """``text`` broken at spaces into at most ``lines`` lines, the longest as short as possible.

    >>> wrap_header("Gross Revenue Churn Rate"), wrap_header("Month"), wrap_header("ARR (x 12)", 1)
    (['Gross Revenue', 'Churn Rate'], ['Month'], ['ARR (x 12)'])
    """
    words = text.split(" ")
    if lines < 2 or len(words) < 2:
        return [text]
    cut = min(range(1, len(words)), key=lambda i: (max(text_width(" ".join(words[:i])),
                                                       text_width(" ".join(words[i:]))), i))
    return [" ".join(words[:cut]), *wrap_header(" ".join(words[cut:]), lines - 1)]


def column_widths(blocks: Sequence[Block], minimum: float = 6.0, maximum: float = 60.0,
                  wrap: bool = False) -> dict[int, float]:
    """Column number -> width (characters) that shows every header and value of ``blocks`` uncut.

    An Excel Table's header also needs room for its filter button.  With
    ``wrap``, a block's headers may take ``header_lines`` lines (the row is
    made taller), so only their longest line must fit.  Block titles are not
    counted: they overflow into the empty cells to their right.  Where blocks
    share a column, the widest wins.

    >>> blk = Block(1, 1, [Column("Gross Revenue Churn Rate", np.array([0.0215]), "0.0%")], table="T",
    ...             header_lines=2)
    >>> column_widths([blk]), column_widths([blk], wrap=True)
    ({1: 29.0}, {1: 17.0})
    """
    widths: dict[int, float] = {}
    for blk in blocks:
        for j, col in enumerate(blk.columns):
            need = _column_text_width(col)
            if blk.header:
                lines = wrap_header(col.header, blk.header_lines if wrap else 1)
                need = max(need, max(map(text_width, lines)) + (FILTER_BUTTON if blk.table else 0.0))
            width = float(min(max(np.ceil(need + PADDING), minimum), maximum))
            widths[blk.col + j] = max(widths.get(blk.col + j, 0.0), width)
    return widths


def col_px(width: float | None) -> int:
    """Pixels of a column whose ``<col width>`` is ``width`` (Calibri 11: 7-pixel digits); None = default.

    The width attribute counts digits plus 5 pixels of padding (ECMA-376
    18.3.1.13): Excel's default column (8.43 digits) is stored as 9.140625.

    >>> col_px(9.140625), col_px(30), col_px(None)
    (64, 210, 64)
    """
    if width is None:
        return DEFAULT_COL_PX
    return int((256 * width + 18) / 256 * 7)


def col_edges(widths: dict[int, float], upto: int) -> list[int]:
    """Left edge in pixels of columns 1 .. upto (index 0 = column 1), with the given widths."""
    edges = [0]
    for c in range(1, upto):
        edges.append(edges[-1] + col_px(widths.get(c)))
    return edges


def place_chart(widths: dict[int, float], row: int, col: int, width_px: int, height_rows: int) -> dict:
    """Chart keyword arguments for a chart at (row, col), ``width_px`` wide, ``height_rows`` rows high.

    The bottom-right corner lands inside a column as an EMU offset, so the
    chart keeps its size whatever the column widths.

    >>> place_chart({1: 30}, 2, 1, 300, 15)["end"]  # 210 px of column A, then 64 of B and 26 of C
    (17, 0, 3, 247650)
    """
    edges = col_edges(widths, col + 200)
    right = edges[col - 1] + width_px
    end_col = max(c for c in range(1, len(edges) + 1) if edges[c - 1] <= right)
    return {"row": row, "col": col, "height_rows": height_rows,
            "width_cols": max(1, int(width_px * 0.75 // 48)),  # never wider than the exact size
            "width_pt": width_px * 0.75,
            "end": (row + height_rows, 0, end_col, (right - edges[end_col - 1]) * EMU_PER_PX)}


# --------------------------------------------------------------------------- building it


def _as_float(values) -> np.ndarray:
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _month_values(values) -> np.ndarray:
    return pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[ns]")


def frame_block(frame: pd.DataFrame, layout: dict[str, tuple[str, str]], row: int, table: str,
                title: str | None = None, header_lines: int = 1) -> Block:
    """An Excel Table of a frame's columns under their Excel headers (``layout``)."""
    columns = []
    for key, (header, fmt) in layout.items():
        raw = frame[key]
        values = _month_values(raw) if key == "month" else _as_float(raw)
        if key != "month":
            values = np.where(np.isfinite(values), values, np.nan)  # inf never reaches a cell
        # Months label the rows: left-aligned under their header, like the labels of a finance table.
        columns.append(Column(header, values, fmt, align="left" if key == "month" else None))
    return Block(row, 1, columns, table=table, title=title, header_lines=header_lines)


def bridge_block(bridge: pd.DataFrame) -> Block:
    """The ``MRRBridge`` table: every bridge column under its Excel header."""
    return frame_block(bridge, BRIDGE_LAYOUT, 1, BRIDGE_TABLE, header_lines=2)


def cohort_block(matrix: pd.DataFrame, row: int, title: str) -> Block:
    """A cohort matrix: cohort month down, months since start across, fractions."""
    if matrix is None or matrix.empty:
        return Block(row, 1, [Column("Cohort", np.array([], dtype="datetime64[ns]"), DATE_FORMAT),
                              Column("Month 0", np.array([], dtype="float64"), FRACTION.number_format)], title=title)
    columns = [Column("Cohort", _month_values(matrix.index), DATE_FORMAT, align="left")]
    for age in matrix.columns:
        columns.append(Column(f"Month {int(age)}", _as_float(matrix[age].to_numpy()), FRACTION.number_format))
    return Block(row, 1, columns, title=title)


#: KPI summary rows: label, bridge header (latest month), number format, guard blanks.
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


def summary_block(bridge_blk: Block) -> Block:
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
    ending = by_header["Ending MRR"].values
    starting = by_header["Starting MRR"].values
    extra = (
        ("ARR (12 x ending MRR)", "12*" + _latest("Ending MRR"), 12 * ending[n - 1] if n else np.nan),
        ("Net new MRR (latest month)", f"{_latest('Ending MRR')}-{_latest('Starting MRR')}",
         ending[n - 1] - starting[n - 1] if n else np.nan),
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


#: Height (points) of one line of Calibri 11 text: Excel's default row.
LINE_PT = 15.0


def sheet_widths(blocks: Sequence[Block]) -> dict:
    """``ReportSheet`` keyword arguments for the column widths of ``blocks``, with and without wrapping.

    A header row of a block with ``header_lines`` > 1 is as tall as its
    longest wrapped header needs.

    >>> blk = Block(1, 1, [Column("Net Revenue Retention", np.array([0.97]), "0.0%")], table="T", header_lines=2)
    >>> sheet_widths([blk])
    {'widths': {1: 26.0}, 'wrap_widths': {1: 15.0}, 'wrap_rows': {1: 30.0}}
    """
    wrap_rows = {}
    for blk in blocks:
        if blk.header and blk.header_lines > 1:
            lines = max(len(wrap_header(c.header, blk.header_lines)) for c in blk.columns)
            if lines > 1:
                wrap_rows[blk.row] = LINE_PT * lines
    return {"widths": column_widths(blocks), "wrap_widths": column_widths(blocks, wrap=True) if wrap_rows else {},
            "wrap_rows": wrap_rows}


#: Charts on the KPI summary: height in rows, smallest width, gap between them (pixels).
CHART_ROWS = 13
CHART_MIN_PX = 360
CHART_GAP_PX = 16


def chart_slots(widths: dict[int, float], row: int, col: int, right_px: int) -> list[dict]:
    """Two charts side by side from (row, col) to ``right_px``: ``place_chart`` arguments for each.

    The second chart starts on a column edge (the one nearest the middle),
    so a back end that can only anchor charts to cells puts it at the same
    place; both charts are at least ``CHART_MIN_PX`` wide.

    >>> [(s["col"], s["width_pt"]) for s in chart_slots({}, 2, 4, 64 * 20)]  # default 64-pixel columns
    [(4, 372.0), (12, 432.0)]
    """
    edges = col_edges(widths, col + 200)
    left = edges[col - 1]
    middle = (left + right_px) / 2
    columns = range(col + 1, len(edges) + 1)
    # Prefer a split that leaves both charts their minimum width inside ``right_px``.
    fits = [c for c in columns if edges[c - 1] - left - CHART_GAP_PX >= CHART_MIN_PX
            and right_px - edges[c - 1] >= CHART_MIN_PX]
    second = min(fits or columns, key=lambda c: abs(edges[c - 1] - middle))
    first_px = max(edges[second - 1] - left - CHART_GAP_PX, CHART_MIN_PX)
    second = next(c for c in range(second, len(edges) + 1) if edges[c - 1] >= left + first_px + CHART_GAP_PX)
    second_px = max(right_px - edges[second - 1], CHART_MIN_PX)
    return [place_chart(widths, row, col, first_px, CHART_ROWS),
            place_chart(widths, row, second, second_px, CHART_ROWS)]


def build_report(bridge: pd.DataFrame, logo: pd.DataFrame, revenue: pd.DataFrame,
                 monthly: pd.DataFrame | None = None) -> Report:
    """The whole report from the bridge, the logo / revenue cohort matrices and the monthly KPIs.

    Every sheet gets column widths that fit its headers and values (the
    tables' long headers wrap onto two lines where the back end can wrap
    them), prints landscape one page wide; the bridge repeats its header row on every
    printed page and freezes it with the month column, the cohort sheet
    freezes its header row and cohort column.  On the KPI summary the two
    charts sit side by side right of the KPI block, over empty cells, and the
    ``MonthlyKPIs`` table starts below them.
    """
    b_blk = bridge_block(bridge)
    n = b_blk.n_rows
    bridge_sheet = ReportSheet(BRIDGE_SHEET, [b_blk], **sheet_widths([b_blk]),
                               freeze_rows=1, freeze_cols=1, print_title_rows=(1, 1))

    logo_blk = cohort_block(logo, 2, "Logo retention (share of the cohort's customers still active)")
    rev_row = logo_blk.last_row + 3
    rev_blk = cohort_block(revenue, rev_row, "Revenue retention (cohort MRR / its MRR in month 0)")
    heat = [blk.body(1) for blk in (logo_blk, rev_blk) if blk.n_rows and len(blk.columns) > 1]
    # Row 2 holds the column headers ("Cohort", "Month 0", ...), which also label the revenue block.
    cohort_sheet = ReportSheet(COHORT_SHEET, [logo_blk, rev_blk], color_scales=heat,
                               **sheet_widths([logo_blk, rev_blk]), freeze_rows=logo_blk.row, freeze_cols=1)

    s_blk = summary_block(b_blk)
    last = n + 1 if n else 2

    def bridge_col(header: str) -> tuple[RangeRef, RangeRef]:
        c = BRIDGE_HEADERS.index(header) + 1
        return RangeRef(BRIDGE_SHEET, 1, c, 1, c), RangeRef(BRIDGE_SHEET, 2, c, last, c)

    chart_row = s_blk.row - 1  # level with the KPI block's title
    blocks = [s_blk]
    if monthly is not None:
        # Below the charts: one row per month, from xl_kpi.ledger.monthly_kpis.
        top = max(chart_row + CHART_ROWS, s_blk.last_row + 1) + 2
        blocks.append(frame_block(monthly, MONTHLY_LAYOUT, top, MONTHLY_TABLE, title="Monthly KPIs",
                                  header_lines=2))
    layout = sheet_widths(blocks)
    widths = layout["wrap_widths"] or layout["widths"]  # the file back end's, which wraps headers
    # Charts right of the KPI block (one empty column between), as wide as the table below them.
    chart_col = s_blk.last_col + 2
    right = col_edges(widths, max(b.last_col for b in blocks) + 1)[-1]  # right edge of the last column
    slot_trend, slot_moves = chart_slots(widths, chart_row, chart_col, right)
    months = RangeRef(BRIDGE_SHEET, 2, 1, last, 1)
    trend = Chart("line", "MRR trend", months, [Series(*bridge_col("Ending MRR"))],
                  y_format=COUNT.number_format, **slot_trend)
    moves = Chart("column", "MRR movements", months,
                  [Series(*bridge_col(h)) for h in ("New MRR", "Expansion MRR", "Reactivation MRR",
                                                    "Contraction MRR", "Churned MRR")],
                  y_format=COUNT.number_format, **slot_moves)
    summary_sheet = ReportSheet(SUMMARY_SHEET, blocks, charts=[trend, moves], **layout)

    names = [
        DefinedName("CohortRetentionLogo", RangeRef(COHORT_SHEET, *logo_blk.body(1))),
        DefinedName("CohortRetentionRevenue", RangeRef(COHORT_SHEET, *rev_blk.body(1))),
        DefinedName("KPISummary", RangeRef(SUMMARY_SHEET, *s_blk.body(0))),
    ]
    return Report([bridge_sheet, cohort_sheet, summary_sheet], names)
