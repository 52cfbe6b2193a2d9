"""Render a ``ReportSheet`` as SpreadsheetML parts (worksheet, table, drawing, charts).

Pure text generation: no workbook is loaded.  Strings are written inline
(``t="inlineStr"``), so the workbook's shared-string table is never touched;
dates are Excel serial numbers under a date format; a NaN is a blank cell
that keeps its number format.  Chart XML comes from openpyxl's chart classes
(``chart._write()``), which know the DrawingML schema.

``style`` is a callable ``(number_format, bold, wrap=False, horizontal=None) ->
cellXfs index`` supplied by the package writer, which owns styles.xml (``wrap``
is passed only for the header cells of a row that wraps, ``horizontal`` only
for a column with an alignment).

Example
-------
>>> import numpy as np
>>> from xl_kpi.refresh.report import Block, Column, ReportSheet
>>> sheet = ReportSheet("S", [Block(1, 1, [Column("x", np.array([1.5, np.nan]), "0.0")])])
>>> xml = worksheet_xml(sheet, lambda fmt, bold: 7 if fmt else 0, None, [])
>>> '<c r="A2" s="7"><v>1.5</v></c>' in xml, '<c r="A3" s="7"/>' in xml
(True, True)
"""

from __future__ import annotations

import math
import re
from typing import Callable
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from xl_kpi.cells import a1, datetime64_to_serial, is_blank, quote_sheet
from xl_kpi.refresh.report import HEAT_COLORS, Block, Chart, ReportSheet

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_WORKSHEET = NS_REL + "/worksheet"
REL_TABLE = NS_REL + "/table"
REL_DRAWING = NS_REL + "/drawing"
REL_CHART = NS_REL + "/chart"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"

Style = Callable[..., int]  # (number_format, bold, wrap=False, horizontal=None) -> cellXfs index

# Characters XML 1.0 forbids even when escaped.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_HEADER = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _text(value: str) -> str:
    return escape(_ILLEGAL.sub("", value))


def _attr(value: str) -> str:
    """A quoted, escaped XML attribute value."""
    return quoteattr(_ILLEGAL.sub("", value))


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def serial(value: np.datetime64) -> float:
    """Excel serial number of a datetime64 (1900 date system).

    >>> serial(np.datetime64("2024-01-01"))
    45292.0
    """
    return datetime64_to_serial(value)


def _cell(ref: str, value, s: int, formula: str | None = None) -> str:
    """One <c> element; value is float, datetime64, str or None/NaN (blank)."""
    st = f' s="{s}"' if s else ""
    if isinstance(value, np.datetime64):
        value = math.nan if np.isnat(value) else serial(value)
    if formula is not None:
        f = f"<f>{_text(formula)}</f>"
        if isinstance(value, str) or is_blank(value):
            text = value if isinstance(value, str) else ""  # NaN / None: the formula shows ""
            return f'<c r="{ref}"{st} t="str">{f}<v>{_text(text)}</v></c>'
        return f'<c r="{ref}"{st}>{f}<v>{_number(value)}</v></c>'
    if isinstance(value, str):  # text the report chose (even "") stays text
        return f'<c r="{ref}"{st} t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>'
    if is_blank(value):
        return f'<c r="{ref}"{st}/>'
    return f'<c r="{ref}"{st}><v>{_number(float(value))}</v></c>'


def _rows(sheet: ReportSheet, style: Style) -> dict[int, list[tuple[int, str]]]:
    """row number -> [(column, <c> xml)] for every block of the sheet."""
    rows: dict[int, list[tuple[int, str]]] = {}

    def put(r: int, c: int, xml: str) -> None:
        rows.setdefault(r, []).append((c, xml))

    bold = style(None, True)
    for blk in sheet.blocks:
        if blk.title:
            put(blk.row - 1, blk.col, _cell(a1(blk.row - 1, blk.col), blk.title, bold))
        top = blk.row
        for j, col in enumerate(blk.columns):
            c = blk.col + j
            if blk.header:
                # A table styles its own header row; a plain block gets bold headers.
                xf = (style(None, not blk.table, wrap=True) if top in sheet.wrap_rows
                      else 0 if blk.table else bold)
                put(top, c, _cell(a1(top, c), col.header, xf))
            first = top + int(blk.header)
            values = col.values
            align = {"horizontal": col.align} if col.align else {}
            for i in range(len(values)):  # report rows (months), never ledger rows
                r = first + i
                formula = col.formulas[i] if col.formulas is not None else None
                xf = style(col.format_at(i), False, **align)
                put(r, c, _cell(a1(r, c), values[i], xf, formula))
    return rows


def worksheet_xml(sheet: ReportSheet, style: Style, drawing_rid: str | None, table_rids: list[str]) -> str:
    """The worksheet part of one report sheet."""
    rows = _rows(sheet, style)
    last_row = max(rows) if rows else 1
    last_col = max((c for cells in rows.values() for c, _ in cells), default=1)
    parts = [_HEADER, f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">']
    if sheet.fit_width:
        parts.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')  # scale to fit, see pageSetup
    parts.append(f'<dimension ref="{a1(1, 1, last_row, last_col)}"/>')
    if sheet.freeze_rows or sheet.freeze_cols:
        fr, fc = sheet.freeze_rows, sheet.freeze_cols
        pane = {(True, True): "bottomRight", (True, False): "bottomLeft", (False, True): "topRight"}[(fr > 0, fc > 0)]
        split = (f' xSplit="{fc}"' if fc else "") + (f' ySplit="{fr}"' if fr else "")
        parts.append(f'<sheetViews><sheetView workbookViewId="0"><pane{split} topLeftCell="{a1(fr + 1, fc + 1)}" '
                     f'activePane="{pane}" state="frozen"/><selection pane="{pane}"/></sheetView></sheetViews>')
    else:
        parts.append('<sheetViews><sheetView workbookViewId="0"/></sheetViews>')
    parts.append('<sheetFormatPr defaultRowHeight="15"/>')
    widths = sheet.widths_with_wrapping  # this back end wraps long table headers
    if widths:
        parts.append("<cols>" + "".join(f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>'
                                        for c, w in sorted(widths.items())) + "</cols>")
    parts.append("<sheetData>")
    for r in sorted(rows):
        cells = "".join(xml for _, xml in sorted(rows[r]))
        height = f' ht="{_number(sheet.wrap_rows[r])}" customHeight="1"' if r in sheet.wrap_rows else ""
        parts.append(f'<row r="{r}"{height}>{cells}</row>')
    parts.append("</sheetData>")
    for priority, (r1, c1, r2, c2) in enumerate(sheet.color_scales, start=1):
        colors = "".join(f'<color rgb="FF{c}"/>' for c in HEAT_COLORS)
        parts.append(f'<conditionalFormatting sqref="{a1(r1, c1, r2, c2)}"><cfRule type="colorScale" '
                     f'priority="{priority}"><colorScale><cfvo type="min"/><cfvo type="percentile" val="50"/>'
                     f'<cfvo type="max"/>{colors}</colorScale></cfRule></conditionalFormatting>')
    parts.append(print_setup_xml(sheet))
    if drawing_rid:
        parts.append(f'<drawing r:id="{drawing_rid}"/>')
    if table_rids:
        parts.append(f'<tableParts count="{len(table_rids)}">'
                     + "".join(f'<tablePart r:id="{rid}"/>' for rid in table_rids) + "</tableParts>")
    parts.append("</worksheet>")
    return "".join(parts)


#: Page margins (inches): narrow sides so a wide table prints larger, room for the footer.
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.6, "bottom": 0.6, "header": 0.3, "footer": 0.3}
#: Footer on every printed page: sheet name left, "Page n of m" right (&-codes of the header/footer syntax).
FOOTER = "&L&A&RPage &P of &N"


def print_setup_xml(sheet: ReportSheet) -> str:
    """printOptions, pageMargins, pageSetup and headerFooter of a report sheet (in schema order).

    Landscape, scaled to one page wide and as many pages tall as needed
    (``fitToHeight="0"``; ``sheetPr/pageSetUpPr fitToPage`` switches the
    scaling on), centred, with the sheet name and page number in the footer.

    >>> print(print_setup_xml(ReportSheet("S", [])).replace("><", ">\\n<"))
    <printOptions horizontalCentered="1"/>
    <pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>
    <pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/>
    <headerFooter>
    <oddFooter>&amp;L&amp;A&amp;RPage &amp;P of &amp;N</oddFooter>
    </headerFooter>
    """
    margins = " ".join(f'{k}="{v}"' for k, v in MARGINS.items())
    setup = ' orientation="landscape"' if sheet.landscape else ' orientation="portrait"'
    if sheet.fit_width:
        setup += ' fitToWidth="1" fitToHeight="0"'
    return (f'<printOptions horizontalCentered="1"/><pageMargins {margins}/><pageSetup{setup}/>'
            f'<headerFooter><oddFooter>{_text(FOOTER)}</oddFooter></headerFooter>')


def print_titles_formula(sheet: ReportSheet) -> str | None:
    """The value of the sheet-local name ``_xlnm.Print_Titles`` (rows repeated on each page), or None.

    >>> print_titles_formula(ReportSheet("MRR Bridge", [], print_title_rows=(1, 1)))
    "'MRR Bridge'!$1:$1"
    """
    if not sheet.print_title_rows:
        return None
    first, last = sheet.print_title_rows
    return f"{quote_sheet(sheet.name)}!${first}:${last}"


def table_xml(blk: Block, table_id: int) -> str:
    """The table part of a block that carries an Excel Table."""
    ref = blk.ref()
    cols = "".join(f'<tableColumn id="{i}" name={_attr(c.header)}/>'
                   for i, c in enumerate(blk.columns, start=1))
    return (f'{_HEADER}<table xmlns="{NS_MAIN}" id="{table_id}" name="{blk.table}" displayName="{blk.table}" '
            f'ref="{ref}" totalsRowShown="0"><autoFilter ref="{ref}"/>'
            f'<tableColumns count="{len(blk.columns)}">{cols}</tableColumns>'
            '<tableStyleInfo name="TableStyleMedium2" showFirstColumn="0" showLastColumn="0" '
            'showRowStripes="1" showColumnStripes="0"/></table>')


def rels_xml(rels: list[tuple[str, str, str]]) -> str:
    """A relationships part from (id, type, target) triples.

    >>> rels_xml([("rId1", REL_TABLE, "../tables/table1.xml")]).endswith(
    ...     'Target="../tables/table1.xml"/></Relationships>')
    True
    """
    body = "".join(f'<Relationship Id="{rid}" Type="{typ}" Target={_attr(target)}/>' for rid, typ, target in rels)
    return f'{_HEADER}<Relationships xmlns="{NS_PKG_REL}">{body}</Relationships>'


def drawing_xml(charts: list[Chart], chart_rids: list[str]) -> str:
    """A drawing part anchoring each chart over its cells."""
    xdr = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
    a = "http://schemas.openxmlformats.org/drawingml/2006/main"
    c_ns = "http://schemas.openxmlformats.org/drawingml/2006/chart"
    anchors = []
    for n, (chart, rid) in enumerate(zip(charts, chart_rids), start=1):
        frm = (f"<xdr:from><xdr:col>{chart.col - 1}</xdr:col><xdr:colOff>0</xdr:colOff>"
               f"<xdr:row>{chart.row - 1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>")
        end_row, row_off, end_col, col_off = chart.end or (chart.row + chart.height_rows, 0,
                                                           chart.col + chart.width_cols, 0)
        to = (f"<xdr:to><xdr:col>{end_col - 1}</xdr:col><xdr:colOff>{col_off}</xdr:colOff>"
              f"<xdr:row>{end_row - 1}</xdr:row><xdr:rowOff>{row_off}</xdr:rowOff></xdr:to>")
        anchors.append(
            f'<xdr:twoCellAnchor editAs="oneCell">{frm}{to}<xdr:graphicFrame macro="">'
            f'<xdr:nvGraphicFramePr><xdr:cNvPr id="{n + 1}" name={_attr(chart.title)}/>'
            '<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>'
            '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
            f'<a:graphic><a:graphicData uri="{c_ns}"><c:chart xmlns:c="{c_ns}" xmlns:r="{NS_REL}" r:id="{rid}"/>'
            '</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>')
    return f'{_HEADER}<xdr:wsDr xmlns:xdr="{xdr}" xmlns:a="{a}">{"".join(anchors)}</xdr:wsDr>'


def chart_xml(chart: Chart) -> bytes:
    """chartSpace XML of one chart, built with openpyxl's chart classes."""
    from openpyxl.chart import BarChart, LineChart
    from openpyxl.chart.data_source import AxDataSource, NumDataSource, NumRef
    from openpyxl.chart.series import Series, SeriesLabel, StrRef
    from openpyxl.xml.functions import tostring

    if chart.kind == "line":
        ch = LineChart()
    else:
        ch = BarChart()
        ch.type = "col"
        ch.grouping = "clustered"
    ch.title = chart.title
    ch.height, ch.width = 7.5, 16
    for i, s in enumerate(chart.series):
        ser = Series(idx=i, order=i, val=NumDataSource(numRef=NumRef(f=s.values.formula())))
        ser.tx = SeriesLabel(strRef=StrRef(f=s.title.formula()))
        ser.cat = AxDataSource(numRef=NumRef(f=chart.categories.formula()))
        if chart.kind == "line":
            ser.smooth = False
        ch.series.append(ser)
    ch.x_axis.number_format = "mmm yyyy"
    ch.y_axis.number_format = chart.y_format
    ch.x_axis.delete = False  # openpyxl 3.1 hides axes unless told otherwise
    ch.y_axis.delete = False
    ch.legend.position = "b"
    return _HEADER.encode("utf-8") + tostring(ch._write())
