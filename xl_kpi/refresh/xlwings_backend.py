"""The live back end: the same ``Report`` written into an open workbook through xlwings.

Used by the ribbon's "Refresh KPIs" button (``xl_kpi.main()``).  Only these
xlwings objects and members are used, so a small test double of them is
enough to test this module without Excel:

* ``book.fullname`` (the folder a Settings table's relative Ledger source is read from), ``book.sheets`` (iterate, ``[name]``, ``.add(name, after=sheet)``, ``.active``),
  ``book.names`` (iterate ``.name`` / ``.refers_to`` / ``.delete()``, ``.add(name, refers_to)``),
  ``book.app`` (``.status_bar``, ``.screen_updating``, ``.api``);
* ``sheet.name``, ``sheet.activate()``, ``sheet.api``, ``sheet.tables`` (iterate; ``.add(source=, name=)``),
  ``sheet.charts`` (iterate; ``.add(left, top, width, height, chart_type=,
  source=, plot_by=)``), ``sheet.used_range``, ``sheet.cells``,
  ``sheet.range((row, col), (row, col))``;
* ``range.value`` (get / set a 2-D list), ``range.options(ndim=2, err_to_str=True)`` (reading: an
  error cell is ``None`` unless ``err_to_str``, then its text, ``'#N/A'``), ``range.row``, ``range.last_cell``, ``range.left`` / ``.top``, ``range.number_format``,
  ``range.column_width``, ``range.wrap_text``, ``range.row_height``,
  ``range.clear_contents()``, ``range.clear_formats()``, ``range.api``,
  ``range.conditional_formats.clear()`` / ``.add_color_scale(colors)``;
* ``table.name``, ``table.header_row_range``, ``table.data_body_range``,
  ``table.range`` (``.row``, ``.column``), ``table.resize(range)``, ``table.api.Delete()``; ``chart.name``, ``chart.title``,
  ``chart.set_x_axis_values(range)``, ``chart.delete()``;
* through COM (``.api``, Windows Excel): what xlwings 0.37 has no API for on
  Windows, namely frozen panes (``Window.SplitRow`` / ``SplitColumn`` /
  ``FreezePanes``, on ``app.api.ActiveWindow`` after ``sheet.activate()``),
  print setup (``sheet.api.PageSetup``: ``Orientation``, ``Zoom``,
  ``FitToPagesWide`` / ``Tall``, margins in points, ``CenterHorizontally``,
  ``LeftFooter`` / ``RightFooter``, ``PrintTitleRows``; between
  ``app.api.PrintCommunication = False`` and ``True``, which makes them one
  round trip to the printer driver) and horizontal alignment
  (``range.api.HorizontalAlignment``), axis titles (``chart.api[1].Axes(n)``), and
  the workbook's date system (``book.api.Date1904``: serial numbers typed as months count from 1904;
  read as the 1900 system where COM is not there).

Differences from the file back end, on purpose: a report sheet that exists is
*reused* (cleared and rewritten), never deleted, because deleting a sheet in
a live workbook turns every formula that points at it into #REF!; its table
is resized rather than re-created.  Everything is computed
before the first cell is written; a failure while writing (Excel busy,
protected sheet) can leave a report sheet half-written, never a user sheet.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np

from xl_kpi.errors import UserError
from xl_kpi.ledger.raw import ErrorCell, RawTable
from xl_kpi.refresh.file_backend import ROWS_BELOW
from xl_kpi.refresh.pipeline import Progress
from xl_kpi.cells import COM_ERROR_BASE, COM_ERRORS, ERROR_CODES, ERROR_LITERALS, MAX_ROW, is_blank
from xl_kpi.refresh.ownership import MARKER, Inventory, Plan, Record
from xl_kpi.refresh.report import HEAT_COLORS, Block, Report, ReportSheet
from xl_kpi.refresh.report.layout import FOOTER_LEFT, FOOTER_RIGHT, PRINT_MARGINS

_CHART_TYPES = {"line": "line", "column": "column_clustered", "stacked": "column_stacked"}
#: Excel's COM constants (XlPageOrientation, XlHAlign).
XL_PORTRAIT, XL_LANDSCAPE = 1, 2
XL_ALIGN = {"left": -4131, "center": -4108, "right": -4152}
POINTS_PER_INCH = 72

#: The first xlwings with every member listed above (conditional formats came
#: in 0.37.6, chart titles and axis values in 0.37.4).  xlwings 0.37.1 and
#: later need Python 3.11, so on Python 3.10 the ribbon refresh is refused
#: with this explanation while everything else works.
MIN_XLWINGS = (0, 37, 6)


def xlwings_too_old(version: str, needed_by: str = "The Refresh KPIs button") -> str | None:
    """The message for an xlwings too old for the live back end, or None when it is recent enough.

    ``needed_by`` starts the message: what the user tried to use.

    >>> xlwings_too_old("0.37.8") is None, xlwings_too_old("0.37.0")[:47]
    (True, 'The Refresh KPIs button needs xlwings 0.37.6 or')
    >>> xlwings_too_old("0.36.2", "The Excel add-in")[:41]
    'The Excel add-in needs xlwings 0.37.6 or '
    """
    parts = []
    for piece in version.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    if tuple(parts) >= MIN_XLWINGS:
        return None
    wanted = ".".join(map(str, MIN_XLWINGS))
    return (f"{needed_by} needs xlwings {wanted} or newer (this Python has xlwings {version}; "
            f"xlwings {wanted} needs Python 3.11 or newer). Upgrade with: pip install -U \"xlwings>={wanted}\", "
            "or refresh the saved file from a command prompt with: xl-kpi refresh BOOK.xlsx")


def _cell_value(value: Any, formula: str | None) -> Any:
    """A Python value as xlwings writes it: datetime for dates, None for blanks, '=...' for formulas."""
    if formula is not None:
        return "=" + formula
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return None
        return _dt.datetime.fromisoformat(str(np.datetime64(value, "s")))
    if is_blank(value) and not isinstance(value, str):  # text the report chose (even "") stays text
        return None
    if isinstance(value, (np.floating, np.integer)):
        return float(value)
    return value


def block_values(blk: Block) -> list[list[Any]]:
    """The block as a 2-D list, header row first (what ``range.value`` takes)."""
    rows: list[list[Any]] = [[c.header for c in blk.columns]] if blk.header else []
    for i in range(blk.n_rows):  # report rows (months), not ledger rows
        rows.append([_cell_value(c.values[i], c.formulas[i] if c.formulas is not None else None)
                     for c in blk.columns])
    return rows


def error_cells(rows: list[list[Any]], first_row: int) -> list[ErrorCell]:
    """The cells of ``rows`` (read with ``err_to_str=True``) that hold an Excel error, row by row.

    xlwings hands an error cell over as ``None`` (what an empty cell gives) unless the range is read with
    ``err_to_str=True``; then as its literal, which is matched against :data:`xl_kpi.cells.ERROR_LITERALS`.
    It converts only the seven classic errors: a newer one (#SPILL!, #CALC! ...) stays the integer COM
    gives (:data:`xl_kpi.cells.COM_ERRORS`; a number cell is a float), which would otherwise be read as a
    number or an id: named by its literal where its code is documented, else by its code.

    >>> error_cells([["a", "#N/A", 1.0], [None, "x", "#DIV/0!"], [-2146826243, -2146826238, 7.0, -2146826200]],
    ...             first_row=5)  # doctest: +NORMALIZE_WHITESPACE
    [ErrorCell(literal='#N/A', row=5, column=1), ErrorCell(literal='#DIV/0!', row=6, column=2),
     ErrorCell(literal='#SPILL!', row=7, column=0), ErrorCell(literal='#CALC!', row=7, column=1),
     ErrorCell(literal='error code 2088', row=7, column=3)]
    """
    return [ErrorCell(_error_literal(v), first_row + i, j) for i, row in enumerate(rows) for j, v in enumerate(row)
            if (isinstance(v, str) and v in ERROR_LITERALS) or (type(v) is int and v in COM_ERRORS)]


def _error_literal(value) -> str:
    if isinstance(value, str):
        return value
    return ERROR_CODES.get(value) or f"error code {value - COM_ERROR_BASE}"


def _read(rng) -> list[list[Any]]:
    """A range's values as rows, error cells as their literal (``'#N/A'``), not as blanks."""
    return rng.options(ndim=2, err_to_str=True).value


def _date1904(book) -> bool:
    """The open workbook counts serials from 1904 (COM's ``Workbook.Date1904``); False where it cannot say."""
    try:
        return bool(book.api.Date1904)
    except Exception:  # no COM (macOS' AppleScript, a test double without it): the 1900 system, Excel's default
        return False


class XlwingsTableSource:
    """The Excel Tables of an open workbook (a :class:`~xl_kpi.ledger.raw.TableSource`).

    Read as the file back end reads a saved workbook: error cells are listed (``RawTable.errors``, which
    the refresh refuses naming the error and the sheet row) and the rows right below the table
    (``RawTable.below``, for "outside the table").
    """

    def __init__(self, book) -> None:
        self.book = book
        self.label = getattr(book, "name", "workbook")
        self.date1904 = _date1904(book)

    def _tables(self) -> dict:
        return {t.name.lower(): (sheet, t) for sheet in self.book.sheets for t in sheet.tables}

    def table_names(self) -> list[str]:
        return [t.name for _, t in self._tables().values()]

    def read_table(self, name: str) -> RawTable:
        found = self._tables().get(name.lower())
        if found is None:
            raise UserError(f"{self.label}: no Excel Table named {name!r}")
        sheet, table = found
        header = [str(h) if h is not None else "" for h in _read(table.header_row_range)[0]]
        body_range = table.data_body_range
        # the rows right below the table (after its Total Row, if any): typed outside it, or an error there
        last = table.range.last_cell
        col1, col2 = table.range.column, last.column
        below = _read(sheet.range((last.row + 1, col1), (min(last.row + ROWS_BELOW, MAX_ROW), col2))) \
            if last.row < MAX_ROW else []
        if body_range is None:
            return RawTable(header, [], first_row=table.range.row + 1, source=self.label, sheet=sheet.name,
                            table=table.name, date1904=self.date1904, below=below,
                            errors=error_cells(below, last.row + 1), below_row=last.row + 1)
        rows = _read(body_range)
        errors = error_cells(rows, body_range.row) + error_cells(below, last.row + 1)
        return RawTable(header, rows, first_row=body_range.row, source=self.label, sheet=sheet.name,
                        table=table.name, date1904=self.date1904, below=below, errors=errors,
                        below_row=last.row + 1)  # after the Total Row, if any


class XlwingsReportWriter:
    """Writes a ``Report`` into an open workbook (see the module notes)."""

    def __init__(self, book) -> None:
        self.book = book

    def inventory(self) -> Inventory:
        """The open workbook's sheets, tables and workbook-level names, and the marker's value if any."""
        names = [(n.name, n.refers_to) for n in self.book.names if "!" not in n.name]  # "Sheet!x" is local
        marker = next((ref for n, ref in names if n.lower() == MARKER.lower()), None)
        return Inventory("", [s.name for s in self.book.sheets], [n for n, _ in names if n.lower() != MARKER.lower()],
                         [(s.name, t.name) for s in self.book.sheets for t in s.tables],
                         None if marker is None else marker.lstrip("="))

    def write(self, report: Report, plan: Plan, progress: Progress | None = None) -> None:
        book = self.book
        app = book.app
        updating = app.screen_updating
        app.screen_updating = False
        active = book.sheets.active  # frozen panes need each sheet activated in turn
        try:
            for n, spec in enumerate(report.sheets):
                if progress:
                    progress(0.75 + 0.2 * n / len(report.sheets), f"writing {spec.name}")
                self._write_sheet(spec)
            for spec in report.sheets:  # after every sheet's cells: a chart may show another sheet's
                sheet = self._sheet(spec.name)
                for chart in spec.charts:
                    self._add_chart(sheet, chart)
            for name in plan.stale_sheets:  # ours, no longer in the report: emptied, never deleted
                self._write_sheet(ReportSheet(name, [], fit_width=False))
            names = book.names
            written = {n.name.lower() for n in report.names}
            for name in list(names):
                if name.name in plan.names and name.name.lower() not in written and name.name != MARKER:
                    name.delete()
            # The emptied sheets stay recorded: they are still the refresh's own.
            record = Record(plan.record.sheets + tuple(plan.stale_sheets), plan.record.tables, plan.record.names)
            names.add(MARKER, "=" + record.formula())
            for name in report.names:
                names.add(name.name, "=" + name.ref.formula())
        finally:
            active.activate()
            app.screen_updating = updating

    def _sheet(self, name: str):
        sheets = self.book.sheets
        for sheet in sheets:
            if sheet.name.lower() == name.lower():
                return sheet
        return sheets.add(name, after=list(sheets)[-1])

    def _write_sheet(self, spec: ReportSheet) -> None:
        sheet = self._sheet(spec.name)
        for chart in list(sheet.charts):
            chart.delete()
        sheet.cells.conditional_formats.clear()
        used = sheet.used_range
        used.clear_contents()
        used.clear_formats()
        tables = {t.name: t for t in sheet.tables}
        # An earlier report's table that this one does not have, or has elsewhere (Excel resizes a
        # table only with its header row where it is), goes first (the plan refused any of the user's);
        # COM, since xlwings' Table has no delete().  Deleting clears its cells: before anything is written.
        places = {blk.table: (blk.row, blk.col) for blk in spec.blocks if blk.table}
        for name, old in list(tables.items()):
            if places.get(name) != (old.range.row, old.range.column):
                tables.pop(name).api.Delete()
        for blk in spec.blocks:
            values = block_values(blk)
            if blk.title:
                title = sheet.range((blk.row - 1, blk.col), (blk.row - 1, blk.col))
                title.value = [[blk.title]]
            if not blk.columns:  # a sheet's title: nothing but the text above
                continue
            rng = sheet.range((blk.row, blk.col), (blk.last_row, blk.last_col))
            rng.value = values if blk.n_rows else values + [[None] * len(blk.columns)]
            first = blk.row + int(blk.header)
            for j, col in enumerate(blk.columns):
                c = blk.col + j
                if col.align:
                    sheet.range((first, c), (blk.last_row, c)).api.HorizontalAlignment = XL_ALIGN[col.align]
                if isinstance(col.number_format, str):
                    sheet.range((first, c), (blk.last_row, c)).number_format = col.number_format
                elif col.number_format is not None:
                    for i, fmt in enumerate(col.number_format):
                        sheet.range((first + i, c), (first + i, c)).number_format = fmt
            if blk.table:
                old = tables.get(blk.table)
                if old is not None:
                    old.resize(rng)
                else:
                    sheet.tables.add(source=rng, name=blk.table)
        for r1, c1, r2, c2 in spec.color_scales:
            sheet.range((r1, c1), (r2, c2)).conditional_formats.add_color_scale(["#" + c for c in HEAT_COLORS])
        # Long table headers wrap onto two lines in a taller row, with narrower columns (as in the file).
        for row, height in spec.wrap_rows.items():
            header = sheet.range((row, 1), (row, max(spec.widths)))
            header.wrap_text = True
            header.row_height = height
        for col, width in spec.widths.items():
            sheet.range((1, col), (1, col)).column_width = width
        self._freeze_panes(sheet, spec)
        self._print_setup(sheet, spec)

    def _freeze_panes(self, sheet, spec: ReportSheet) -> None:
        """Frozen panes are a property of the window, not the sheet: activate the sheet, set its window."""
        sheet.activate()
        window = self.book.app.api.ActiveWindow
        window.FreezePanes = False
        if not (spec.freeze_rows or spec.freeze_cols):
            return
        window.ScrollRow, window.ScrollColumn = 1, 1  # the split counts from the top-left visible cell
        window.SplitRow, window.SplitColumn = spec.freeze_rows, spec.freeze_cols
        window.FreezePanes = True

    def _print_setup(self, sheet, spec: ReportSheet) -> None:
        """The file back end's print setup (landscape, one page wide, margins, footer, title rows)."""
        app = self.book.app.api
        app.PrintCommunication = False
        try:
            setup = sheet.api.PageSetup
            setup.Orientation = XL_LANDSCAPE if spec.landscape else XL_PORTRAIT
            if spec.fit_width:
                setup.Zoom = False  # FitToPages* apply only without a zoom
                setup.FitToPagesWide, setup.FitToPagesTall = 1, False
            for side, inches in PRINT_MARGINS.items():
                setattr(setup, f"{side.capitalize()}Margin", inches * POINTS_PER_INCH)
            setup.CenterHorizontally = True
            setup.LeftFooter, setup.RightFooter = FOOTER_LEFT, FOOTER_RIGHT
            first, last = spec.print_title_rows or (None, None)
            setup.PrintTitleRows = f"${first}:${last}" if first else ""
        finally:
            app.PrintCommunication = True

    def _add_chart(self, sheet, chart) -> None:
        data = self.book.sheets[chart.categories.sheet]
        first, last = chart.series[0], chart.series[-1]
        cols = [s.values.col1 for s in chart.series]
        if cols != list(range(cols[0], cols[0] + len(cols))):
            raise ValueError("a live chart needs its series in adjacent columns")
        source = data.range((first.title.row1, first.values.col1), (last.values.row2, last.values.col2))
        anchor = sheet.range((chart.row, chart.col), (chart.row, chart.col))
        # Rows are 15 points high (Excel's default); the width is the file back end's, in points.
        obj = sheet.charts.add(anchor.left, anchor.top, chart.width_pt, chart.height_rows * 15,
                               chart_type=_CHART_TYPES["stacked" if chart.stacked else chart.kind], source=source,
                               plot_by="columns")
        c = chart.categories
        obj.set_x_axis_values(data.range((c.row1, c.col1), (c.row2, c.col2)))
        obj.name = chart.title
        obj.title = chart.title
        # Axis titles: xlwings has no API for them; COM's Chart (the second item of chart.api on
        # Windows) has, through Axes(xlCategory = 1 / xlValue = 2).
        com = obj.api[1] if (chart.x_title or chart.y_title or chart.secondary) else None
        for k in range(len(chart.series) - chart.secondary + 1, len(chart.series) + 1):
            com.SeriesCollection(k).AxisGroup = 2  # xlSecondary: ARR on its own axis, right
        for axis_type, group, text in ((1, 1, chart.x_title), (2, 1, chart.y_title), (2, 2, chart.y2_title)):
            if text and (group == 1 or chart.secondary):
                axis = com.Axes(axis_type, group)
                axis.HasTitle = True
                axis.AxisTitle.Text = text
