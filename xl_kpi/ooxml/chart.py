"""Render a report ``Chart`` as a chart part (``c:chartSpace``), with cached values.

The XML is what openpyxl's chart classes (which know the DrawingML schema)
write for the report's charts, spelled out here as text (:func:`chart_xml`):
importing openpyxl costs every refresh a tenth of a second, for the few
kinds of chart a report draws.  A text outside what that writer knows to
escape as lxml does (a control character, a line break, which openpyxl
turns into paragraphs) goes through openpyxl itself
(:func:`openpyxl_chart_xml`), imported then; tests compare the two on
random charts.  Like Excel, every reference carries a cache of the values it
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

from dataclasses import replace
from typing import Mapping, Sequence

import math
import re

import numpy as np

from xl_kpi.ooxml.namespaces import NS_A, NS_C, XML_DECLARATION
from xl_kpi.ooxml.text import escape, holdable
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
    """(value, number format) of each cell of ``ref``; a text as the worksheet holds it, without the
    characters XML cannot hold (:func:`xl_kpi.ooxml.text.text` drops them from the cell: a segment named
    with a control character is a category of the Segments chart, which openpyxl's lxml would refuse)."""
    found = [cells.get((ref.sheet, r, c), (None, None))
             for r in range(ref.row1, ref.row2 + 1) for c in range(ref.col1, ref.col2 + 1)]
    return [(holdable(v), f) if isinstance(v, str) else (v, f) for v, f in found]


def _holdable_titles(chart: Chart) -> Chart:
    """``chart`` with its titles (one may name the user's segment column) without the characters XML cannot
    hold, as :func:`_cells` gives its texts."""
    titles = {k: holdable(t) for k in ("title", "x_title", "y_title", "y2_title")
              if isinstance(t := getattr(chart, k), str) and holdable(t) != t}
    return replace(chart, **titles) if titles else chart


def _num_points(ref: RangeRef, cells: Cells, date1904: bool, default_format: str) -> tuple[str, int, list]:
    """(format code, point count, [(index, value)]) of a ``c:numCache`` (blank cells have no point, as Excel
    writes them)."""
    values = _cells(ref, cells)
    points = []
    for idx, (value, _) in enumerate(values):
        if isinstance(value, np.datetime64):
            value = None if np.isnat(value) else serial(value, date1904)
        if value is None or isinstance(value, str) or is_blank(value):
            continue
        points.append((idx, float(value)))
    fmt = next((f for _, f in values if f), None) or default_format
    return fmt, len(values), points


def _str_points(ref: RangeRef, cells: Cells) -> tuple[int, list]:
    """(point count, [(index, text)]) of a ``c:strCache``."""
    values = _cells(ref, cells)
    return len(values), [(i, str(v)) for i, (v, _) in enumerate(values) if v is not None and not is_blank(v)]


def _dated(ref: RangeRef, cells: Cells) -> bool:
    """True when the categories are dates (months): they then sit on a date axis."""
    values = [v for v, _ in _cells(ref, cells) if v is not None and not (not isinstance(v, str) and is_blank(v))]
    return bool(values) and all(isinstance(v, np.datetime64) for v in values)


def openpyxl_chart_xml(chart: Chart, cells: Cells, date1904: bool = False) -> bytes:
    """:func:`chart_xml` through openpyxl's chart classes (imported on first use)."""
    chart = _holdable_titles(chart)
    from openpyxl.chart import BarChart, LineChart
    from openpyxl.chart.axis import DateAxis, TextAxis
    from openpyxl.chart.data_source import (AxDataSource, NumData, NumDataSource, NumRef, NumVal, StrData, StrRef,
                                            StrVal)
    from openpyxl.chart.series import Series, SeriesLabel
    from openpyxl.xml.functions import tostring

    def _num_ref(ref: RangeRef, cells: Cells, date1904: bool, default_format: str):
        fmt, count, points = _num_points(ref, cells, date1904, default_format)
        return NumRef(f=ref.formula(), numCache=NumData(formatCode=fmt, ptCount=count,
                                                        pt=[NumVal(idx=i, v=v) for i, v in points]))

    def _str_ref(ref: RangeRef, cells: Cells):
        count, points = _str_points(ref, cells)
        return StrRef(f=ref.formula(), strCache=StrData(ptCount=count, pt=[StrVal(idx=i, v=v) for i, v in points]))

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


# --------------------------------------------------------------------------- the same XML, as text

#: Text this writer escapes as lxml (under openpyxl) does: printable ASCII and characters from U+00A0 on
#: (written as UTF-8), but no line break or tab, no control character, no surrogate or non-character.
_PLAIN = re.compile("[\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*")


def _esc(text: str) -> str:
    """Element text as lxml escapes it (for a :data:`_PLAIN` text): ``&``, ``<``, ``>``."""
    return escape(text)


def _esc_attr(text: str) -> str:
    """An attribute value as lxml escapes it (for a :data:`_PLAIN` text): ``&``, ``<``, ``>`` and ``"``."""
    return escape(text, {'"': "&quot;"})


def _v(value: float) -> str:
    """A cached number as openpyxl writes it (``safe_string``: 16 significant digits)."""
    return "%.16g" % value


_A = f'xmlns:a="{NS_A}"'
_LINE = f'<spPr><a:ln {_A}><a:prstDash val="solid"/></a:ln></spPr>'
_MARKER = f'<marker><symbol val="none"/>{_LINE}</marker>'
_SCALING = '<scaling><orientation val="minMax"/></scaling>'
_TICKS = '<majorTickMark val="none"/><minorTickMark val="none"/>'
_SMOOTH = '<smooth val="0"/>'
_OVERLAP = '<overlap val="100"/>'


def _title(text: str | None) -> str:
    if text is None:
        return ""
    return (f'<title><tx><rich><a:bodyPr {_A}/><a:p {_A}><a:pPr><a:defRPr/></a:pPr><a:r><a:t>{_esc(text)}</a:t>'
            '</a:r></a:p></rich></tx></title>')


def _num_ref_xml(ref: RangeRef, cells: Cells, date1904: bool, default_format: str) -> str:
    fmt, count, points = _num_points(ref, cells, date1904, default_format)
    pts = "".join(f'<pt idx="{i}"><v>{_v(v)}</v></pt>' for i, v in points)
    return (f'<numRef><f>{_esc(ref.formula())}</f><numCache><formatCode>{_esc(fmt)}</formatCode>'
            f'<ptCount val="{count}"/>{pts}</numCache></numRef>')


def _str_ref_xml(ref: RangeRef, cells: Cells) -> str:
    count, points = _str_points(ref, cells)
    pts = "".join(f'<pt idx="{i}"><v>{_esc(v)}</v></pt>' for i, v in points)
    return f'<strRef><f>{_esc(ref.formula())}</f><strCache><ptCount val="{count}"/>{pts}</strCache></strRef>'


def _texts(chart: Chart, cells: Cells, date1904: bool, dated: bool) -> list[str]:
    """Every text the chart part holds (to see whether :func:`chart_xml` writes them as openpyxl would)."""
    refs = [chart.categories, *(s.title for s in chart.series), *(s.values for s in chart.series)]
    texts = [r.formula() for r in refs] + [t for t in (chart.title, chart.x_title, chart.y_title, chart.y2_title)
                                           if t is not None] + [chart.y_format]
    texts += [v for s in chart.series for _, v in _str_points(s.title, cells)[1]]
    numbers = [_num_points(s.values, cells, date1904, chart.y_format) for s in chart.series]
    if dated:
        numbers.append(_num_points(chart.categories, cells, date1904, MONTH_FORMAT))
    else:
        texts += [v for _, v in _str_points(chart.categories, cells)[1]]
    texts += [fmt for fmt, _, _ in numbers]
    if not all(math.isfinite(v) for _, _, points in numbers for _, v in points):
        texts.append("\x00")  # an infinity: openpyxl writes an empty value, left to it
    return texts


def chart_xml(chart: Chart, cells: Cells, date1904: bool = False) -> bytes:
    """chartSpace XML of one chart: a line or clustered column chart; month categories on a date axis
    (other categories, e.g. text labels, on a category axis with a string cache); the last
    ``chart.secondary`` series as lines on a value axis of their own, right; byte for byte what
    :func:`openpyxl_chart_xml` writes."""
    chart = _holdable_titles(chart)
    dated = _dated(chart.categories, cells)
    if not all(_PLAIN.fullmatch(t) and t for t in _texts(chart, cells, date1904, dated)):
        return openpyxl_chart_xml(chart, cells, date1904)
    line = chart.kind == "line"
    x_id = 500 if dated else 10
    if dated:
        categories = "<cat>" + _num_ref_xml(chart.categories, cells, date1904, MONTH_FORMAT) + "</cat>"
    else:
        categories = "<cat>" + _str_ref_xml(chart.categories, cells) + "</cat>"
    n_main = len(chart.series) - chart.secondary if chart.secondary else len(chart.series)
    main, second = [], []
    for i, s in enumerate(chart.series):
        in_line = line or i >= n_main  # a series of a line chart (the secondary is one) has a marker
        (main if i < n_main else second).append(
            f'<ser><idx val="{i}"/><order val="{i}"/><tx>{_str_ref_xml(s.title, cells)}</tx>{_LINE}'
            f'{_MARKER if in_line else ""}{categories}<val>{_num_ref_xml(s.values, cells, date1904, chart.y_format)}'
            f'</val>{_SMOOTH if line else ""}</ser>')
    axes = f'<axId val="{x_id}"/><axId val="100"/>'
    if line:
        plot = f'<lineChart><grouping val="{"stacked" if chart.stacked else "standard"}"/>{"".join(main)}{axes}</lineChart>'
    else:
        plot = (f'<barChart><barDir val="col"/><grouping val="{"stacked" if chart.stacked else "clustered"}"/>'
                f'{"".join(main)}<gapWidth val="150"/>{_OVERLAP if chart.stacked else ""}{axes}'
                '</barChart>')
    if chart.secondary:
        plot += f'<lineChart><grouping val="standard"/>{"".join(second)}<axId val="600"/><axId val="200"/></lineChart>'
    low = '<tickLblPos val="low"/>' if chart.stacked else ""  # months below the negative bars
    month_fmt = f'<numFmt formatCode="{_esc_attr(MONTH_FORMAT)}" sourceLinked="0"/>'
    if dated:
        plot += (f'<dateAx><axId val="500"/>{_SCALING}<delete val="0"/><axPos val="b"/>{_title(chart.x_title)}'
                 f'{month_fmt}{_TICKS}{low}<crossAx val="100"/><lblOffset val="100"/><baseTimeUnit val="months"/>'
                 '<majorUnit val="1"/><majorTimeUnit val="months"/></dateAx>')
    else:
        plot += (f'<catAx><axId val="10"/>{_SCALING}<delete val="0"/><axPos val="l"/>{_title(chart.x_title)}'
                 f'{_TICKS}{low}<crossAx val="100"/><lblOffset val="100"/></catAx>')
    y_fmt = f'<numFmt formatCode="{_esc_attr(chart.y_format)}" sourceLinked="0"/>'
    plot += (f'<valAx><axId val="100"/>{_SCALING}<delete val="0"/><axPos val="l"/><majorGridlines/>'
             f'{_title(chart.y_title)}{y_fmt}{_TICKS}<crossAx val="{x_id}"/></valAx>')
    if chart.secondary:
        if dated:
            plot += (f'<dateAx><axId val="600"/>{_SCALING}<delete val="1"/><axPos val="b"/>{month_fmt}{_TICKS}'
                     '<crossAx val="200"/></dateAx>')
        else:
            plot += (f'<catAx><axId val="600"/>{_SCALING}<delete val="1"/><axPos val="l"/>{_TICKS}'
                     '<crossAx val="200"/><lblOffset val="100"/></catAx>')
        plot += (f'<valAx><axId val="200"/>{_SCALING}<delete val="0"/><axPos val="l"/>{_title(chart.y2_title)}'
                 f'{y_fmt}{_TICKS}<crossAx val="600"/><crosses val="max"/></valAx>')
    return (f'{XML_DECLARATION}<chartSpace xmlns="{NS_C}"><chart>{_title(chart.title)}<plotArea>{plot}</plotArea>'
            '<legend><legendPos val="b"/></legend><plotVisOnly val="1"/><dispBlanksAs val="gap"/></chart>'
            '</chartSpace>').encode("utf-8")
