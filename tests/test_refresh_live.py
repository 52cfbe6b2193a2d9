"""The live (xlwings) back end and the ribbon entry, against a test double of xlwings.

The double implements exactly the objects and members listed in
``xl_kpi.refresh.xlwings_backend``'s docstring, with Excel's behaviour where
it matters here: ``range.value`` reads a single row as a flat list (2-D only
with ``options(ndim=2)``), an error cell (:class:`CellError` in the grid) reads
as None unless ``options(err_to_str=True)``, then as its text ('#N/A'), as
xlwings' Windows and macOS engines do; a table name must be unique in the
workbook, ``names.add`` replaces a name of the same name, a cell holds one value.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from dataclasses import dataclass

from xl_kpi.errors import UserError
from xl_kpi.ledger import cohort_retention, monthly_kpis, mrr_bridge
from xl_kpi.refresh import BRIDGE_HEADERS, refresh_book
from xl_kpi.refresh import live
from xl_kpi.refresh.report import BRIDGE_COLUMNS, REPORT_SHEETS
from xl_kpi.refresh.xlwings_backend import xlwings_too_old
from xl_kpi.sample import generate_ledger

MAX_ROW, MAX_COL = 1_048_576, 16_384


# --------------------------------------------------------------------------- the double


class FakeCom:
    """A COM object (``.api``): remembers the properties set on it, in ``props``; reading an unset one fails."""

    def __init__(self, on_set=None, **children):
        object.__setattr__(self, "props", {})
        object.__setattr__(self, "on_set", on_set)
        object.__setattr__(self, "children", children)

    def __getattr__(self, key):
        if key in self.children:
            return self.children[key]
        if key in self.props:
            return self.props[key]
        raise AttributeError(f"COM property {key!r} read before it was set")

    def __setattr__(self, key, value):
        self.props[key] = value
        if self.on_set:
            self.on_set(key, value)


class FakeConditionalFormats:
    def __init__(self, rng):
        self.rng = rng

    def clear(self):
        sheet = self.rng.sheet
        sheet.color_scales = [cs for cs in sheet.color_scales if not self.rng.covers(cs[0])]

    def add_color_scale(self, colors):
        assert len(colors) in (2, 3) and all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in colors)
        self.rng.sheet.color_scales.append((self.rng.box, list(colors)))


#: The errors xlwings turns into their literal (``err_to_str``) or None: its ``cell_errors`` table, the
#: classic seven.  Any other error stays the integer COM gives: 0x800A0000 + its xlErr number.
XLWINGS_CONVERTS = {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"}
#: xlErr numbers of newer errors (VBA's XlCVError: xlErrGettingData 2043, xlErrSpill 2045, xlErrCalc 2050);
#: 2088 stands for one whose number xl_kpi does not know.
XL_ERR = {"#SPILL!": 2045, "#GETTING_DATA": 2043, "#CALC!": 2050, "code 2088": 2088}


@dataclass(frozen=True)
class CellError:
    """A cell holding an Excel error (=NA(), a #DIV/0! formula ...): what the grid holds for it."""

    literal: str

    def com(self) -> int:
        """The integer COM hands Python for this error (a VT_ERROR's scode)."""
        return -2146828288 + XL_ERR[self.literal]


class FakeRange:
    def __init__(self, sheet, r1, c1, r2, c2, ndim=None, err_to_str=False):
        assert 1 <= r1 <= r2 <= MAX_ROW and 1 <= c1 <= c2 <= MAX_COL
        self.sheet, self.box, self.ndim, self.err_to_str = sheet, (r1, c1, r2, c2), ndim, err_to_str

    def covers(self, box):
        r1, c1, r2, c2 = self.box
        return r1 <= box[0] and c1 <= box[1] and box[2] <= r2 and box[3] <= c2

    @property
    def row(self):
        return self.box[0]

    @property
    def column(self):
        return self.box[1]

    @property
    def left(self):
        return (self.box[1] - 1) * 48.0

    @property
    def top(self):
        return (self.box[0] - 1) * 15.0

    @property
    def last_cell(self):
        return FakeRange(self.sheet, *self.box[2:], *self.box[2:])

    def options(self, ndim=None, err_to_str=False):
        return FakeRange(self.sheet, *self.box, ndim=ndim, err_to_str=err_to_str)

    def _read(self, key):
        """xlwings' cleaning of a read value: an error is None (like an empty cell) unless err_to_str."""
        value = self.sheet.grid.get(key)
        if isinstance(value, CellError):
            if value.literal not in XLWINGS_CONVERTS:  # xlwings leaves it as COM's integer, err_to_str or not
                return value.com()
            return value.literal if self.err_to_str else None
        return value

    @property
    def value(self):
        r1, c1, r2, c2 = self.box
        grid = [[self._read((r, c)) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]
        if self.ndim == 2:
            return grid
        if len(grid) == 1 and len(grid[0]) == 1:
            return grid[0][0]
        if len(grid) == 1:
            return grid[0]
        if all(len(row) == 1 for row in grid):
            return [row[0] for row in grid]
        return grid

    @value.setter
    def value(self, data):
        r1, c1, r2, c2 = self.box
        assert isinstance(data, list) and all(isinstance(row, list) for row in data)
        assert len(data) == r2 - r1 + 1 and all(len(row) == c2 - c1 + 1 for row in data), "shape"
        for i, row in enumerate(data):
            for j, v in enumerate(row):
                assert v is None or isinstance(v, (str, float, int, dt.datetime)), type(v)
                assert not (isinstance(v, float) and np.isnan(v)), "NaN written to a cell"
                if v is None:
                    self.sheet.grid.pop((r1 + i, c1 + j), None)
                else:
                    self.sheet.grid[(r1 + i, c1 + j)] = v

    @property
    def number_format(self):
        return self.sheet.formats.get(self.box[:2])

    @number_format.setter
    def number_format(self, fmt):
        r1, c1, r2, c2 = self.box
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                self.sheet.formats[(r, c)] = fmt

    @property
    def column_width(self):
        return self.sheet.widths.get(self.box[1])

    @column_width.setter
    def column_width(self, width):
        self.sheet.widths[self.box[1]] = width

    def clear_contents(self):
        for key in [k for k in self.sheet.grid if self.covers(k + k)]:
            del self.sheet.grid[key]

    def clear_formats(self):
        for key in [k for k in self.sheet.formats if self.covers(k + k)]:
            del self.sheet.formats[key]

    @property
    def conditional_formats(self):
        return FakeConditionalFormats(self)

    @property
    def api(self):
        """COM Range: ``HorizontalAlignment`` is recorded per cell in ``sheet.align``."""
        def record(key, value):
            assert key == "HorizontalAlignment", key
            r1, c1, r2, c2 = self.box
            self.sheet.align.update({(r, c): value for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)})
        return FakeCom(record)


class FakeTable:
    """``range`` is the whole table, Total Row included (as ListObject.Range); ``data_body_range`` is
    between the header and the Total Row (ListObject.DataBodyRange)."""

    def __init__(self, sheet, name, rng):
        self.sheet, self.name, self.range = sheet, name, rng
        self.totals_rows = 0  #: 1 when the table's Total Row is on (Table Design > Total Row)

    @property
    def header_row_range(self):
        r1, c1, _, c2 = self.range.box
        return FakeRange(self.sheet, r1, c1, r1, c2)

    @property
    def data_body_range(self):
        r1, c1, r2, c2 = self.range.box
        r2 -= self.totals_rows
        return None if r2 == r1 else FakeRange(self.sheet, r1 + 1, c1, r2, c2)

    def resize(self, rng):
        assert rng.sheet is self.sheet and rng.box[0] == self.range.box[0]
        self.range = rng

    @property
    def api(self):
        table = self

        class ListObject:  # COM: only Delete() is used
            @staticmethod
            def Delete():  # noqa: N802 - COM's name
                table.sheet.tables.remove(table)
                table.range.clear_contents()

        return ListObject()


class FakeTables(list):
    def __init__(self, sheet):
        super().__init__()
        self.sheet = sheet

    def add(self, source=None, name=None):
        book = self.sheet.book
        taken = {t.name.lower() for s in book.sheets for t in s.tables}
        if name.lower() in taken or name.lower() in {n.name.lower() for n in book.names}:
            raise RuntimeError(f"Excel: a table or name {name!r} already exists")
        table = FakeTable(self.sheet, name, source)
        self.append(table)
        return table


class FakeChart:
    def __init__(self, charts, **kw):
        self.charts, self.kw, self.name, self.title, self.x_values = charts, kw, None, None, None

    def set_x_axis_values(self, rng):
        self.x_values = rng

    @property
    def api(self):
        """(ChartObject, Chart) as COM gives them; ``Chart.Axes(n)`` records its title in ``axis_titles``."""
        chart = self
        chart.__dict__.setdefault("axis_titles", {})

        chart.__dict__.setdefault("axis_groups", {})

        class ComChart:
            @staticmethod
            def Axes(n, group=1):  # noqa: N802 - COM's name
                title = FakeCom(lambda key, value: chart.axis_titles.__setitem__((n, group), value))
                return FakeCom(None, AxisTitle=title)

            @staticmethod
            def SeriesCollection(k):  # noqa: N802
                return FakeCom(lambda key, value: chart.axis_groups.__setitem__(k, value))

        return (None, ComChart())

    def delete(self):
        self.charts.remove(self)


class FakeCharts(list):
    def add(self, left=0, top=0, width=355, height=211, chart_type=None, source=None, plot_by=None):
        chart = FakeChart(self, left=left, top=top, width=width, height=height, chart_type=chart_type,
                          source=source, plot_by=plot_by)
        self.append(chart)
        return chart


class FakeSheet:
    def __init__(self, book, name):
        self.book, self.name = book, name
        self.grid, self.formats, self.widths, self.color_scales = {}, {}, {}, []
        self.tables, self.charts = FakeTables(self), FakeCharts()
        self.align, self.frozen = {}, None  # (row, col) -> XlHAlign; (rows, cols) frozen by its window
        self.api = FakeCom(PageSetup=FakeCom())

    def activate(self):
        self.book.active = self

    def range(self, a, b=None):
        b = b or a
        return FakeRange(self, a[0], a[1], b[0], b[1])

    @property
    def cells(self):  # xlwings: the whole sheet as a range (``grid`` holds the values)
        return FakeRange(self, 1, 1, MAX_ROW, MAX_COL)

    @property
    def used_range(self):
        keys = list(self.grid) + list(self.formats)
        if not keys:
            return FakeRange(self, 1, 1, 1, 1)
        return FakeRange(self, min(k[0] for k in keys), min(k[1] for k in keys),
                         max(k[0] for k in keys), max(k[1] for k in keys))


class FakeSheets(list):
    def __init__(self, book):
        super().__init__()
        self.book = book

    def __getitem__(self, key):
        if isinstance(key, str):
            for s in self:
                if s.name == key:
                    return s
            raise KeyError(key)
        return list.__getitem__(self, key)

    @property
    def active(self):
        return self.book.active or self[0]

    def add(self, name, after=None):
        assert name not in [s.name for s in self]
        sheet = FakeSheet(self.book, name)
        self.insert(self.index(after) + 1 if after is not None else 0, sheet)
        return sheet


class FakeName:
    def __init__(self, names, name, refers_to):
        self.names, self.name, self.refers_to = names, name, refers_to

    def delete(self):
        self.names.remove(self)


class FakeNames(list):
    def add(self, name, refers_to):
        assert refers_to.startswith("=")
        for n in self:
            if n.name.lower() == name.lower():
                n.refers_to = refers_to
                return n
        self.append(FakeName(self, name, refers_to))
        return self[-1]


class FakeWindow(FakeCom):
    """COM Window of the active sheet: freezing its panes records (SplitRow, SplitColumn) on that sheet."""

    def __init__(self, app):
        super().__init__(self._changed)
        object.__setattr__(self, "app", app)

    def _changed(self, key, value):
        sheet = self.app.book.sheets.active
        if key == "FreezePanes":
            sheet.frozen = (self.props.get("SplitRow", 0), self.props.get("SplitColumn", 0)) if value else None
        elif key in ("SplitRow", "SplitColumn"):
            assert self.props.get("ScrollRow") == 1 and self.props.get("ScrollColumn") == 1, "split of a scrolled window"


class FakeApp:
    def __init__(self, book=None):
        self.status_bar, self.screen_updating = False, True
        self.status_history, self.alerts = [], []
        self.book = book
        self.api = FakeCom(ActiveWindow=FakeWindow(self))

    def __setattr__(self, key, value):
        if key == "status_bar" and "status_history" in self.__dict__:
            self.status_history.append(value)
        object.__setattr__(self, key, value)

    def alert(self, prompt, title=None, buttons="ok", mode=None, callback=None):
        self.alerts.append((prompt, title, mode))


class FakeBook:
    def __init__(self, name="Book1.xlsx"):
        self.name, self.app = name, FakeApp(self)
        self.sheets, self.names, self.active = FakeSheets(self), FakeNames(), None


def ledger_book(df: pd.DataFrame, header_row: int = 1) -> FakeBook:
    book = FakeBook()
    book.sheets.add("Intro")
    data = book.sheets.add("Data", after=book.sheets[0])
    rows = [["Customer ID", "Month", "MRR"]] + [[r.customer_id, r.month.to_pydatetime(), float(r.mrr)]
                                                for r in df.itertuples()]
    rng = data.range((header_row, 2), (header_row + len(df), 4))
    rng.value = rows
    data.tables.add(source=rng, name="Ledger")
    book.sheets["Intro"].grid[(1, 1)] = "=SUM(Ledger[MRR])"
    return book


def snapshot(book: FakeBook):
    return [(s.name, dict(s.grid), dict(s.formats), [t.name for t in s.tables], len(s.charts)) for s in book.sheets], \
        [(n.name, n.refers_to) for n in book.names]


# --------------------------------------------------------------------------- tests


@pytest.fixture
def df():
    return generate_ledger(n_customers=30, n_months=8, seed=5)


def read_bridge(book: FakeBook, name: str = "MRRBridge") -> pd.DataFrame:
    table = next(t for s in book.sheets for t in s.tables if t.name == name)
    header = table.header_row_range.value
    body = table.data_body_range.options(ndim=2).value
    return pd.DataFrame(body, columns=header, dtype=object)


def test_live_refresh_writes_the_bridge_table(df):
    book = ledger_book(df)
    result = refresh_book(book)
    expected = mrr_bridge(df, customer="customer_id", month="month", mrr="mrr")
    assert [s.name for s in book.sheets] == ["Intro", "Data", *REPORT_SHEETS[:-1]]  # no segment column: no Segments
    table = read_bridge(book)
    assert tuple(table.columns) == BRIDGE_HEADERS and len(table) == len(expected) == result.months
    assert [m.date() for m in table["Month"]] == [m.date() for m in expected["month"]]
    for key, header in zip(BRIDGE_COLUMNS[1:], BRIDGE_HEADERS[1:]):
        got = np.array([np.nan if v is None else v for v in table[header]], dtype=float)
        np.testing.assert_allclose(got, expected[key].to_numpy(float), rtol=1e-15, equal_nan=True, err_msg=header)
    assert table["Net Revenue Retention"].iloc[0] is None  # undefined: a blank cell
    bridge = book.sheets["MRR Bridge"]
    assert bridge.grid[(1, 1)].startswith("MRR bridge") and bridge.grid[(2, 1)] == "Month"  # title, then the table
    assert bridge.formats[(3, 1)] == "mmm yyyy" and bridge.formats[(3, 14)] == "0.0%"


def test_live_report_parts(df):
    book = ledger_book(df)
    refresh_book(book)
    cohort = book.sheets["Cohort Retention"]
    logo = cohort_retention(df, customer="customer_id", month="month", mrr="mrr")
    # row 3: headers; column B: the cohort's size (customers), C: month 0
    sizes = df.groupby("customer_id")["month"].min().value_counts().sort_index()
    assert cohort.grid[(3, 2)] == "Customers" and cohort.grid[(4, 2)] == sizes.iloc[0]
    assert cohort.grid[(4, 3)] == 1.0 and cohort.grid[(5, 4)] == pytest.approx(logo.iloc[1, 1])
    assert len(cohort.color_scales) == 2
    summary = book.sheets["KPI Summary"]
    assert summary.grid[(5, 2)] == "=INDEX(MRRBridge[Ending MRR],ROWS(MRRBridge[Ending MRR]))"
    charts = summary.charts
    assert [c.kw["chart_type"] for c in charts] == ["line", "column_stacked"]
    top = next(r for (r, c), v in summary.grid.items() if v == "Monthly KPIs") + 1  # MonthlyKPIs' header row
    assert charts[0].kw["source"].box == (top, 2, top + 8, 3)  # MRR and ARR with their headers, 8 months
    assert charts[0].x_values.box == (top + 1, 1, top + 8, 1) and charts[0].x_values.sheet.name == "KPI Summary"
    assert charts[0].axis_groups == {2: 2}  # ARR on the secondary axis
    assert charts[0].axis_titles == {(1, 1): "Month", (2, 1): "MRR", (2, 2): "ARR"}
    moves = book.sheets["MRR Movements"]
    assert charts[1].kw["source"].box == (3, 2, 11, 6)  # New .. Churned MRR of MovementsByMonth
    assert charts[1].x_values.sheet is moves
    bridge = mrr_bridge(df, customer="customer_id", month="month", mrr="mrr")
    assert moves.grid[(11, 6)] == -bridge["churned_mrr"].iloc[-1] or bridge["churned_mrr"].iloc[-1] == 0
    names = {n.name: n.refers_to for n in book.names}
    assert names["KPISummary"].startswith("='KPI Summary'!$A$4:")
    assert "_xlkpi_report" in names
    monthly = read_bridge(book, "MonthlyKPIs")
    expected = monthly_kpis(mrr_bridge(df, customer="customer_id", month="month", mrr="mrr"))
    assert monthly["ARR"].tolist() == pytest.approx(expected["arr"].tolist(), rel=1e-15)
    assert monthly["Quick Ratio"].iloc[0] is None and np.isnan(expected["quick_ratio"].iloc[0])


def test_live_second_refresh_replaces_not_duplicates(df):
    book = ledger_book(df)
    refresh_book(book)
    first = snapshot(book)
    refresh_book(book)
    assert snapshot(book) == first


def test_live_refresh_after_the_ledger_shrank(df):
    book = ledger_book(df)
    refresh_book(book)
    small = df[df["month"] < df["month"].max()]
    data = book.sheets["Data"]
    table = data.tables[0]
    table.range.clear_contents()
    rows = [["Customer ID", "Month", "MRR"]] + [[r.customer_id, r.month.to_pydatetime(), float(r.mrr)]
                                                for r in small.itertuples()]
    rng = data.range((1, 2), (len(rows), 4))
    rng.value = rows
    table.resize(rng)
    refresh_book(book)
    table = read_bridge(book)
    assert len(table) == 7  # one month fewer, and no stale row left below the table
    grid = book.sheets["MRR Bridge"].grid
    assert grid.get((10, 1)) is None and grid[(11, 1)] == "Quarters"  # the quarters moved up a row with it
    quarters = read_bridge(book, "QuarterlyBridge")
    assert quarters["Ending MRR"].iloc[-1] == table["Ending MRR"].iloc[-1]


def test_ribbon_bad_row_shows_reason_and_changes_nothing(df):
    book = ledger_book(df, header_row=3)
    book.sheets["Data"].grid[(3 + 5, 4)] = "ten"  # the 5th data row sits on sheet row 8
    before = snapshot(book)
    message = live.refresh(book)
    assert snapshot(book) == before
    assert book.app.alerts == [(message, live.TITLE, "critical")]
    assert "'Data'" in message and "8" in message and "'MRR'" in message and "not a number" in message
    assert book.app.status_bar is False


def test_the_double_reads_error_cells_as_xlwings_does():
    """None without err_to_str (what xlwings' engines give for an error cell), the literal with it."""
    import xlwings.main as xwm

    assert "err_to_str" in xwm.Range.options.__doc__  # the option the live back end reads with
    book = FakeBook()
    sheet = book.sheets.add("S")
    sheet.grid.update({(1, 1): CellError("#N/A"), (1, 2): 5.0, (2, 1): CellError("#DIV/0!")})
    assert sheet.range((1, 1)).value is None and sheet.range((1, 1), (2, 2)).value == [[None, 5.0], [None, None]]
    assert sheet.range((1, 1), (2, 2)).options(ndim=2, err_to_str=True).value == [["#N/A", 5.0], ["#DIV/0!", None]]


@pytest.mark.parametrize("literal", ["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!",
                                     "#GETTING_DATA", "#CALC!", "code 2088"])
@pytest.mark.parametrize("column", [2, 4], ids=["customer", "mrr"])
def test_ribbon_refuses_an_error_cell_naming_its_error_and_row(df, literal, column):
    """A #N/A in the MRR column of the 5th data row (sheet row 8): refused, not read as a blank MRR.  A newer
    error (#SPILL!) reaches Python as an integer, not as its literal: refused too, not read as an MRR of
    -2146826243 or as a customer of that id."""
    book = ledger_book(df, header_row=3)
    book.sheets["Data"].grid[(3 + 5, column)] = CellError(literal)
    before = snapshot(book)
    message = live.refresh(book)
    name = {2: "Customer ID", 4: "MRR"}[column]
    shown = "error code 2088" if literal == "code 2088" else literal
    assert message == (f"Sheet 'Data', row 8, column {name!r}: the cell holds the Excel error {shown}; "
                       "fix it or delete the row")
    assert book.app.alerts == [(message, live.TITLE, "critical")]
    assert snapshot(book) == before  # nothing written, the error cell still there


def test_ribbon_refuses_a_row_of_error_cells_and_counts_the_others(df):
    """Three #N/A in one row (which read as blanks would be a "completely blank" row, skipped): refused at its
    first cell, and the error cells further down are counted."""
    book = ledger_book(df)
    data = book.sheets["Data"]
    for col in (2, 3, 4):
        data.grid[(4, col)] = CellError("#N/A")
    data.grid[(9, 3)] = CellError("#VALUE!")
    before = snapshot(book)
    with pytest.raises(UserError) as exc:
        refresh_book(book)
    assert str(exc.value) == ("Sheet 'Data', row 4, column 'Customer ID': the cell holds the Excel error #N/A; "
                              "fix it or delete the row (3 more error cells)")
    assert (exc.value.row, exc.value.column, exc.value.value) == (4, "Customer ID", "#N/A")
    assert snapshot(book) == before


def test_live_rows_typed_below_the_table_are_reported(df):
    book = ledger_book(df)
    data = book.sheets["Data"]
    below = len(df) + 2  # the sheet row right below the table (header on row 1)
    data.grid.update({(below, 2): "zz", (below, 3): dt.datetime(2024, 1, 1), (below, 4): 10.0})
    result = refresh_book(book)
    assert result.checks[0] == (f"1 row right below table 'Ledger' is outside the table: sheet 'Data' row {below}; "
                                "extend the table to include them (drag its lower-right corner, or Table Design > "
                                "Resize Table)")
    assert result.ledger_rows == len(df)  # not read into the numbers
    data.grid[(below + 1, 4)] = CellError("#N/A")  # an error right below the table is refused, as in a saved file
    with pytest.raises(UserError, match=f"row {below + 1}, column 'MRR': the cell holds the Excel error #N/A"):
        refresh_book(book)


@pytest.mark.parametrize("total_row", [False, True])
def test_live_rows_typed_below_a_total_row_are_named_by_their_sheet_row(df, total_row):
    """Under a table with a Total Row, the rows typed below it start one row lower: the warning names
    the sheet rows they are on, as the saved-file back end does."""
    book = ledger_book(df)
    data = book.sheets["Data"]
    table = data.tables[0]
    last = len(df) + 1  # the table's last data row (header on row 1)
    if total_row:  # Table Design > Total Row: one more row, inside the table, under the data
        r1, c1, _, c2 = table.range.box
        table.resize(data.range((r1, c1), (last + 1, c2)))
        table.totals_rows = 1
        data.grid.update({(last + 1, 2): "Total", (last + 1, 4): "=SUBTOTAL(109,Ledger[MRR])"})
        assert table.data_body_range.box[2] == last
    below = last + 1 + int(total_row)  # the first sheet row outside the table
    data.grid.update({(below, 2): "zz", (below, 3): dt.datetime(2024, 1, 1), (below, 4): 10.0,
                      (below + 1, 2): "zy", (below + 1, 3): dt.datetime(2024, 1, 1), (below + 1, 4): 5.0})
    result = refresh_book(book)
    advice = "move them into the table above its Total Row" if total_row else "extend the table"
    assert result.checks[0].startswith(f"2 rows right below table 'Ledger' are outside the table: sheet 'Data' "
                                       f"row {below}, sheet 'Data' row {below + 1}; {advice}")
    assert result.ledger_rows == len(df)  # neither the Total Row nor the typed rows are read


@pytest.mark.parametrize("date1904, first", [(True, "2024-01"), (False, "2019-12")])
def test_live_serial_months_follow_the_workbooks_date_system(df, date1904, first):
    """Months typed as 1904-system serial numbers (43830 is 2024-01-01 there, COM's Workbook.Date1904): read as
    such, and 1462 days (4 years and a day) early where the workbook says it counts from 1900."""
    book = ledger_book(df)
    book.api = FakeCom(Date1904=date1904)
    data = book.sheets["Data"]
    assert df["month"].min() == pd.Timestamp("2024-01-01")
    for r in range(2, len(df) + 2):  # the 1904 system's day 0 is 1904-01-01, 1462 days after 1899-12-30
        data.grid[(r, 3)] = float((pd.Timestamp(data.grid[(r, 3)]) - pd.Timestamp("1899-12-30")).days - 1462)
    refresh_book(book)
    months = [m.strftime("%Y-%m") for m in read_bridge(book)["Month"]]
    assert months[0] == first and len(months) == df["month"].dt.to_period("M").nunique()


def test_ribbon_unexpected_failure_shows_its_reason_once(df, monkeypatch):
    from xl_kpi.refresh.xlwings_backend import XlwingsReportWriter

    def busy(self, report, plan, progress=None):
        raise RuntimeError("Excel is busy")

    monkeypatch.setattr(XlwingsReportWriter, "write", busy)
    book = ledger_book(df)
    message = live.refresh(book)
    assert message == "The refresh failed (RuntimeError: Excel is busy). Nothing was changed in your sheets."
    assert book.app.alerts == [(message, live.TITLE, "critical")]
    assert book.app.status_bar is False


def test_ribbon_success_reports_progress_in_the_status_bar(df):
    book = ledger_book(df)
    assert live.refresh(book) is None
    assert book.app.alerts == []
    shown = [s for s in book.app.status_history if s]
    assert shown[0].startswith("xl-kpi: reading the ledger") and any("MRR Bridge" in s for s in shown)
    assert book.app.status_bar is False and book.app.screen_updating is True


def test_ribbon_refuses_a_user_sheet_with_a_report_name(df):
    book = ledger_book(df)
    book.sheets.add("KPI Summary", after=book.sheets[-1]).grid[(1, 1)] = "my own"
    before = snapshot(book)
    message = live.refresh(book)
    assert "did not create" in message and snapshot(book) == before


def test_ribbon_without_ledger():
    book = FakeBook()
    book.sheets.add("Only")
    with pytest.raises(UserError, match="no Excel Table named 'Ledger'"):
        refresh_book(book)
    assert "no Excel Table named 'Ledger'" in live.refresh(book)


def test_main_uses_the_calling_book(monkeypatch, df):
    import xlwings as xw

    book = ledger_book(df)
    monkeypatch.setattr(xw.Book, "caller", classmethod(lambda cls: book))
    monkeypatch.setattr(xw, "__version__", "0.37.8")  # the gate is tested on its own below
    live.main()
    assert "MRR Bridge" in [s.name for s in book.sheets] and book.app.alerts == []


def test_ribbon_refuses_to_rewrite_a_report_sheet_holding_a_user_table(df):
    book = ledger_book(df)
    refresh_book(book)
    cohort = book.sheets["Cohort Retention"]
    cohort.range((1, 30), (2, 30)).value = [["h"], [1.0]]
    cohort.tables.add(source=cohort.range((1, 30), (2, 30)), name="Mine")
    before = snapshot(book)
    message = live.refresh(book)
    assert "holds your table 'Mine'" in message and snapshot(book) == before


@pytest.mark.parametrize("cls, member, kwargs", [
    ("Book", "sheets", ()), ("Book", "names", ()), ("Book", "app", ()), ("Book", "caller", ()), ("Book", "fullname", ()),
    ("App", "status_bar", ()), ("App", "screen_updating", ()), ("App", "alert", ("title", "mode")),
    ("Sheets", "add", ("name", "after")), ("Names", "add", ("name", "refers_to")),
    ("Sheets", "active", ()), ("Sheet", "activate", ()), ("Sheet", "api", ()), ("Range", "api", ()),
    ("App", "api", ()), ("Name", "refers_to", ()), ("Name", "delete", ()), ("Table", "api", ()),
    ("Sheet", "name", ()), ("Sheet", "tables", ()), ("Sheet", "charts", ()), ("Sheet", "used_range", ()),
    ("Sheet", "cells", ()), ("Sheet", "range", ()),
    ("Range", "value", ()), ("Range", "options", ()), ("Range", "row", ()), ("Range", "column", ()),
    ("Table", "range", ()), ("Range", "left", ()), ("Range", "last_cell", ()),
    ("Range", "top", ()), ("Range", "number_format", ()), ("Range", "column_width", ()),
    ("Range", "wrap_text", ()), ("Range", "row_height", ()),
    ("Range", "clear_contents", ()), ("Range", "clear_formats", ()), ("Range", "conditional_formats", ()),
    ("ConditionalFormats", "clear", ()), ("ConditionalFormats", "add_color_scale", ("colors",)),
    ("Tables", "add", ("source", "name")), ("Table", "name", ()), ("Table", "header_row_range", ()),
    ("Table", "data_body_range", ()), ("Table", "resize", ("range",)),
    ("Charts", "add", ("left", "top", "width", "height", "chart_type", "source", "plot_by")),
    ("Chart", "name", ()), ("Chart", "title", ()), ("Chart", "set_x_axis_values", ("source",)),
    ("Chart", "delete", ()), ("Chart", "api", ()),
])
def test_the_double_only_uses_what_xlwings_has(cls, member, kwargs):
    """Every xlwings member the back end uses (and the double imitates) exists in the installed xlwings,
    or that xlwings is older than MIN_XLWINGS and the ribbon refuses it (Python 3.10 gets xlwings 0.37.0)."""
    import inspect

    import xlwings
    import xlwings.main as xwm

    attr = getattr(getattr(xwm, cls, None), member, None)
    present = attr is not None and (not kwargs or all(k in inspect.signature(attr).parameters for k in kwargs))
    assert present or xlwings_too_old(xlwings.__version__) is not None, (cls, member, xlwings.__version__)


@pytest.mark.parametrize("version, refused", [("0.37.8", False), ("0.37.6", False), ("1.0", False),
                                              ("0.37.5", True), ("0.37.0", True), ("0.30.10", True)])
def test_ribbon_refuses_an_xlwings_too_old_for_the_live_back_end(df, version, refused):
    book = ledger_book(df)
    before = snapshot(book)
    message = live.run(book, version)
    if refused:
        assert "needs xlwings 0.37.6 or newer" in message and f"xlwings {version}" in message
        assert book.app.alerts == [(message, live.TITLE, "critical")] and snapshot(book) == before
    else:
        assert message is None and book.app.alerts == [] and "MRR Bridge" in [s.name for s in book.sheets]


def test_live_chart_types_are_xlwings_names():
    """The chart types are keys of xlwings' Windows table (read from its source: it needs pywin32 to import)."""
    import ast
    from pathlib import Path

    import xlwings

    from xl_kpi.refresh.xlwings_backend import _CHART_TYPES

    tree = ast.parse((Path(xlwings.__file__).parent / "_xlwindows.py").read_text())
    table = next(ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                 and any(getattr(t, "id", None) == "chart_types_s2i" for t in node.targets))
    assert set(_CHART_TYPES.values()) <= set(table)


def test_live_subscriptions_table(df):
    from xl_kpi.ledger import subscriptions_to_ledger
    from xl_kpi.sample import generate_subscriptions

    subs = generate_subscriptions(n_customers=20, n_months=6, seed=2)
    book = FakeBook()
    sheet = book.sheets.add("Subs")
    rows = [["Customer ID", "Start Date", "End Date", "Amount", "Billing Months"]]
    rows += [[r.customer_id, r.start_date.to_pydatetime(), None if pd.isna(r.end_date) else r.end_date.to_pydatetime(),
              float(r.amount), float(r.billing_months)] for r in subs.itertuples()]
    rng = sheet.range((1, 1), (len(rows), 5))
    rng.value = rows
    sheet.tables.add(source=rng, name="Subscriptions")
    refresh_book(book)
    expected = mrr_bridge(subscriptions_to_ledger(subs))
    table = read_bridge(book)
    got = np.array([np.nan if v is None else v for v in table["Ending MRR"]], dtype=float)
    np.testing.assert_allclose(got, expected["ending_mrr"].to_numpy(float), rtol=1e-15)


def test_ribbon_refuses_a_user_table_named_like_a_report_name_before_writing(df):
    """Tables and defined names share one namespace in Excel: KPISummary must stay free for the report."""
    book = ledger_book(df)
    data = book.sheets[0]
    data.range((1, 40), (2, 40)).value = [["h"], [1.0]]
    data.tables.add(source=data.range((1, 40), (2, 40)), name="KPISummary")
    before = snapshot(book)
    message = live.refresh(book)
    assert "holds a table named 'KPISummary', which xl-kpi needs for its report" in message
    assert snapshot(book) == before


def test_live_back_end_freezes_panes_sets_print_setup_and_alignment_like_the_file(df, tmp_path):
    """What the file back end writes as XML, the live one sets through COM: the same panes, page and alignment."""
    from tests.test_refresh_layout import report_sheets, write_ledger_book
    from xl_kpi.refresh import refresh_file

    book = ledger_book(df)
    book.sheets["Intro"].activate()
    refresh_book(book)
    assert book.sheets.active.name == "Intro"  # the user's active sheet is given back
    path = tmp_path / "b.xlsx"
    write_ledger_book(path, n_customers=30, n_months=8, seed=5)
    refresh_file(path)
    files = report_sheets(path)
    for name, sheet in files.items():
        live_sheet = book.sheets[name]
        pane = sheet.root.find("m:sheetViews/m:sheetView/m:pane", {"m": "http://schemas.openxmlformats.org/"
                                                                        "spreadsheetml/2006/main"})
        expected = None if pane is None else (int(float(pane.get("ySplit", 0))), int(float(pane.get("xSplit", 0))))
        assert live_sheet.frozen == expected, name
        setup = live_sheet.api.PageSetup.props
        assert setup["Orientation"] == 2 and setup["Zoom"] is False, name
        assert (setup["FitToPagesWide"], setup["FitToPagesTall"]) == (1, False), name
        assert (setup["LeftMargin"], setup["TopMargin"], setup["FooterMargin"]) == (0.4 * 72, 0.6 * 72, 0.3 * 72)
        assert (setup["LeftFooter"], setup["RightFooter"]) == ("&A", "Page &P of &N")
        assert setup["PrintTitleRows"] == ("$2:$2" if name == "MRR Bridge" else ""), name
        left = {rc for rc, v in live_sheet.align.items() if v == -4131}
        assert left & set(live_sheet.grid) == {rc for rc in sheet.left if rc in live_sheet.grid}, name
    assert book.app.api.PrintCommunication is True
