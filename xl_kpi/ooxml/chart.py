"""Render a report ``Chart`` as a chart part (``c:chartSpace``), with cached values.

The XML comes from openpyxl's chart classes, which know the DrawingML
schema.  Like Excel, every reference carries a cache of the values it
points at (``c:strCache`` for series names, ``c:numCache`` for values and
months), so a reader that does not calculate (previews, viewers, an e-mail
client) draws the same chart as Excel.  The months sit on a date axis
(``c:dateAx``, base unit months), as Excel itself puts a date column.

The cached values are read from the report's own cells (:func:`cell_values`):
the chart can only show what the sheet holds.  Month serials follow the
workbook's date system.

Example
-------
>>> import numpy as np
>>> from xl_kpi.refresh.report import Block, Chart, Column, RangeRef, ReportSheet, Series
>>> months = np.array(["2024-01-01", "2024-02-01"], dtype="datetime64[ns]")
>>> sheet = ReportSheet("S", [Block(1, 1, [Column("Month", months, "mmm yyyy"),
...                                       Column("MRR", np.array([10.0, np.nan]), "#,##0")])])
>>> chart = Chart("line", "MRR", RangeRef("S", 2, 1, 3, 1), [Series(RangeRef("S", 1, 2, 1, 2),
...               RangeRef("S", 2, 2, 3, 2))], row=1, col=4, height_rows=13, width_pt=360.0, end=(14, 0, 12, 0))
>>> xml = chart_xml(chart, cell_values([sheet])).decode()
>>> "<dateAx>" in xml, "<v>45292</v>" in xml, "<v>MRR</v>" in xml, xml.count("<pt ")
(True, True, True, 4)

Categories that are not dates (labels) go on a category axis:

>>> labels = ReportSheet("S", [Block(1, 1, [Column("Plan", np.array(["Basic", "Pro"], dtype=object)),
...                                        Column("MRR", np.array([10.0, 20.0]), "#,##0")])])
>>> xml = chart_xml(chart, cell_values([labels])).decode()
>>> "<catAx>" in xml, "<dateAx>" in xml, "<v>Pro</v>" in xml
(True, False, True)
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from openpyxl.chart import BarChart, LineChart
from openpyxl.chart.axis import DateAxis, TextAxis
from openpyxl.chart.data_source import AxDataSource, NumData, NumDataSource, NumRef, NumVal, StrData, StrRef, StrVal
from openpyxl.chart.series import Series, SeriesLabel
from openpyxl.xml.functions import tostring

from xl_kpi.ooxml.namespaces import XML_DECLARATION
from xl_kpi.ooxml.worksheet import serial
from xl_kpi.cells import is_blank
from xl_kpi.refresh.report import Chart, RangeRef, ReportSheet

#: (sheet, row, column) -> (value, number format) of every cell the report writes.
Cells = Mapping[tuple[str, int, int], tuple[object, "str | None"]]
#: Number format of the month axis.
MONTH_FORMAT = "mmm yyyy"


class ReportCells(Mapping):
    """(sheet, row, column) -> (value, number format) of every value cell of the report's blocks (headers and
    titles included), looked up in the blocks when asked.

    A chart reads a few hundred cells; a dict of every cell would hold each
    of a movements table's hundreds of thousands, which no chart reads.  As
    in a dict filled block by block, a later block's cell wins over an
    earlier one's.
    """

    def __init__(self, sheets: Sequence[ReportSheet]) -> None:
        self._blocks: dict[str, list] = {}
        for sheet in sheets:
            self._blocks.setdefault(sheet.name, []).extend(sheet.blocks)

    def __getitem__(self, key):
        sheet, r, c = key
        found = None
        for blk in self._blocks.get(sheet, ()):
            if blk.title and r == blk.row - 1 and c == blk.col:
                found = (blk.title, None)
            j = c - blk.col
            if not 0 <= j < len(blk.columns):
                continue
            col = blk.columns[j]
            if blk.header and r == blk.row:
                found = (col.header, None)
            i = r - blk.row - int(blk.header)
            if 0 <= i < len(col.values):
                found = (col.values[i], col.format_at(i))
        if found is None:
            raise KeyError(key)
        return found

    def _keys(self):
        for name, blocks in self._blocks.items():
            for blk in blocks:
                if blk.title:
                    yield (name, blk.row - 1, blk.col)
                first = blk.row + int(blk.header)
                for j, col in enumerate(blk.columns):
                    if blk.header:
                        yield (name, blk.row, blk.col + j)
                    for i in range(len(col.values)):
                        yield (name, first + i, blk.col + j)

    def __iter__(self):
        return iter(dict.fromkeys(self._keys()))

    def __len__(self) -> int:
        return len(dict.fromkeys(self._keys()))


def cell_values(sheets: Sequence[ReportSheet]) -> ReportCells:
    """Every value cell of the report's blocks (headers and titles included), by (sheet, row, column)."""
    return ReportCells(sheets)


def _cells(ref: RangeRef, cells: Cells) -> list[tuple[object, "str | None"]]:
    return [cells.get((ref.sheet, r, c), (None, None))
            for r in range(ref.row1, ref.row2 + 1) for c in range(ref.col1, ref.col2 + 1)]


def _num_ref(ref: RangeRef, cells: Cells, date1904: bool, default_format: str):
    """A ``c:numRef`` with its ``c:numCache`` (blank cells have no point, as Excel writes them)."""
    values = _cells(ref, cells)
    points = []
    for idx, (value, _) in enumerate(values):
        if isinstance(value, np.datetime64):
            value = None if np.isnat(value) else serial(value, date1904)
        if value is None or isinstance(value, str) or is_blank(value):
            continue
        points.append(NumVal(idx=idx, v=float(value)))
    fmt = next((f for _, f in values if f), None) or default_format
    return NumRef(f=ref.formula(), numCache=NumData(formatCode=fmt, ptCount=len(values), pt=points))


def _str_ref(ref: RangeRef, cells: Cells):
    values = _cells(ref, cells)
    points = [StrVal(idx=i, v=str(v)) for i, (v, _) in enumerate(values) if v is not None and not is_blank(v)]
    return StrRef(f=ref.formula(), strCache=StrData(ptCount=len(values), pt=points))


def _dated(ref: RangeRef, cells: Cells) -> bool:
    """True when the categories are dates (months): they then sit on a date axis."""
    values = [v for v, _ in _cells(ref, cells) if v is not None and not (not isinstance(v, str) and is_blank(v))]
    return bool(values) and all(isinstance(v, np.datetime64) for v in values)


def chart_xml(chart: Chart, cells: Cells, date1904: bool = False) -> bytes:
    """chartSpace XML of one chart: a line or clustered column chart; month categories on a date axis
    (other categories, e.g. text labels, on a category axis with a string cache)."""
    if chart.kind == "line":
        ch = LineChart()
    else:
        ch = BarChart()
        ch.type = "col"
        ch.grouping = "clustered"
    dated = _dated(chart.categories, cells)
    if dated:
        months = DateAxis(crossAx=100, axPos="b", baseTimeUnit="months", majorTimeUnit="months", majorUnit=1,
                          auto=True, lblOffset=100)
        # openpyxl's BarChart types x_axis as a category axis only; the schema (CT_PlotArea) allows a
        # date axis for any chart, and openpyxl's plot area writes whichever axis type it is given.
        ch.__dict__["x_axis"] = months
        ch.x_axis.number_format = MONTH_FORMAT
        categories = AxDataSource(numRef=_num_ref(chart.categories, cells, date1904, MONTH_FORMAT))
    else:
        categories = AxDataSource(strRef=_str_ref(chart.categories, cells))
    ch.y_axis.crossAx = ch.x_axis.axId
    ch.title = chart.title
    ch.height, ch.width = 7.5, 16
    second = None
    if chart.secondary:  # a line chart of the last series on a value axis of its own, right
        second = LineChart()
        # Its own category axis, hidden (as Excel writes a secondary axis), crossed by the right-hand axis.
        hidden = DateAxis(axId=600, crossAx=200, axPos="b", delete=True) if dated else TextAxis(axId=600, crossAx=200,
                                                                                                 delete=True)
        hidden.number_format = ch.x_axis.number_format
        second.__dict__["x_axis"] = hidden
        second.y_axis.axId = 200
        second.y_axis.crossAx = 600
        second.y_axis.crosses = "max"
        second.y_axis.number_format = chart.y_format
        second.y_axis.majorGridlines = None
        second.y_axis.delete = False
        if chart.y2_title:
            second.y_axis.title = chart.y2_title
    for i, s in enumerate(chart.series):
        ser = Series(idx=i, order=i, val=NumDataSource(numRef=_num_ref(s.values, cells, date1904, chart.y_format)))
        ser.tx = SeriesLabel(strRef=_str_ref(s.title, cells))
        ser.cat = categories
        if chart.kind == "line":
            ser.smooth = False
        (second if second is not None and i >= len(chart.series) - chart.secondary else ch).series.append(ser)
    if chart.stacked:
        ch.x_axis.tickLblPos = "low"  # months below the negative bars, not across them at zero
    ch.y_axis.number_format = chart.y_format
    if chart.stacked:  # negative values (contraction, churn) stack below zero
        ch.grouping = "stacked"
        ch.overlap = 100
    if chart.x_title:
        ch.x_axis.title = chart.x_title
    if chart.y_title:
        ch.y_axis.title = chart.y_title
    ch.x_axis.delete = False  # openpyxl 3.1 hides axes unless told otherwise
    ch.y_axis.delete = False
    ch.legend.position = "b"
    if second is not None:
        ch += second
    return XML_DECLARATION.encode("utf-8") + tostring(ch._write())
