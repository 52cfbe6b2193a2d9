"""Render a ``ReportSheet`` as a worksheet part.

Pure text generation: no workbook is loaded, so a million-row report costs
string joins, not a tree.  Strings are written inline (``t="inlineStr"``),
so the workbook's shared-string table is never touched; dates are Excel
serial numbers in the workbook's date system (1900, or 1904 for
``date1904`` books) under a date format; a NaN is a blank cell that keeps its
number format.  Elements follow the schema's order (CT_Worksheet).

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
from typing import Callable

import numpy as np

from xl_kpi.cells import _NS_PER_DAY, a1, datetime64_to_serial, days_to_serials, is_blank, quote_sheet
from xl_kpi.ooxml.namespaces import NS_MAIN, NS_REL, XML_DECLARATION
from xl_kpi.ooxml.text import number as _number
from xl_kpi.ooxml.text import text as _text
from xl_kpi.refresh.report import HEAT_COLORS, ReportSheet
from xl_kpi.refresh.report.layout import FOOTER_LEFT, FOOTER_RIGHT, PRINT_MARGINS

Style = Callable[..., int]  # (number_format, bold, wrap=False, horizontal=None) -> cellXfs index

_HEADER = XML_DECLARATION


def serial(value: np.datetime64, date1904: bool = False) -> float:
    """Excel serial number of a datetime64 in the 1900 (default) or the 1904 date system
    (:func:`xl_kpi.cells.datetime64_to_serial`); a 1904 serial is 1,462 days less.

    >>> serial(np.datetime64("2024-01-01")), serial(np.datetime64("2024-01-01"), date1904=True)
    (45292.0, 43830.0)
    """
    return datetime64_to_serial(value, date1904)


def _cell(ref: str, value, s: int, formula: str | None = None, date1904: bool = False) -> str:
    """One <c> element; value is float, datetime64, str or None/NaN (blank)."""
    st = f' s="{s}"' if s else ""
    if isinstance(value, np.datetime64):
        value = math.nan if np.isnat(value) else serial(value, date1904)
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


def _serials(values: np.ndarray, date1904: bool) -> np.ndarray:
    """:func:`serial` over a datetime64 column (NaT -> NaN, a blank cell), the same float operations.

    >>> _serials(np.array(["2024-01-01T12:00", "NaT"], "datetime64[ns]"), False).tolist()
    [45292.5, nan]
    """
    ns = values.astype("datetime64[ns]").astype(np.int64)
    day, rest = np.divmod(ns, _NS_PER_DAY)
    out = days_to_serials(day, date1904) + rest / _NS_PER_DAY
    out[np.isnat(values)] = np.nan
    return out


def _number_cells(letters: str, rows: range, values: list[float], st: str) -> list[str]:
    """The cells of a column of floats in rows ``rows`` (NaN: a blank cell keeping its style ``st``), each as
    :func:`_cell` writes it, :func:`xl_kpi.ooxml.text.number` spelled out (a call less per cell).

    >>> _number_cells("B", range(2, 6), [3.0, 0.125, float("nan"), 1e16], ' s="4"')
    ['<c r="B2" s="4"><v>3</v></c>', '<c r="B3" s="4"><v>0.125</v></c>', '<c r="B4" s="4"/>', '<c r="B5" s="4"><v>1e+16</v></c>']
    """
    return [f'<c r="{letters}{r}"{st}/>' if v != v else
            f'<c r="{letters}{r}"{st}><v>{int(v) if v == int(v) and abs(v) < 1e15 else repr(v)}</v></c>'
            for r, v in zip(rows, values)]


def _rows(sheet: ReportSheet, style: Style, date1904: bool = False) -> tuple[dict[int, list[tuple[int, str]]], int]:
    """row number -> [(column, xml of one or more <c> elements from that column on)] for every block of the
    sheet, and the last column holding a cell.

    Each column's cells are made as one list.  A column of numbers or dates
    without formulas (most of a report, and all of a movements table that
    grows with the ledger) is written in one pass over its values as Python
    floats, a column of text with each distinct text escaped once; every
    other column cell by cell through :func:`_cell`.  All write the same XML
    for the same value.  A block's neighbouring columns of one length are
    then joined row by row, so a row of a large table is one string, not one
    entry per cell.
    """
    rows: dict[int, list[tuple[int, str]]] = {}
    xfs: dict[tuple, int] = {}
    last_col = 1

    def xf_of(fmt, bold_font, **kw) -> int:  # style() is a pure lookup once a style exists: ask once per kind
        key = (fmt, bold_font, tuple(sorted(kw.items())))
        if key not in xfs:
            xfs[key] = style(fmt, bold_font, **kw)
        return xfs[key]

    def put(r: int, c: int, xml: str) -> None:
        nonlocal last_col
        last_col = max(last_col, c)
        rows.setdefault(r, []).append((c, xml))

    def put_columns(first: int, c: int, columns: list[list[str]]) -> None:  # columns c, c+1, ... from row first
        nonlocal last_col
        if columns[0]:
            last_col = max(last_col, c + len(columns) - 1)
        chunks = columns[0] if len(columns) == 1 else ["".join(cells) for cells in zip(*columns)]
        for r, xml in zip(range(first, first + len(chunks)), chunks):
            if r in rows:
                rows[r].append((c, xml))
            else:
                rows[r] = [(c, xml)]

    def column_cells(col, c: int, first: int) -> list[str]:
        values = col.values
        align = {"horizontal": col.align} if col.align else {}
        letters = a1(1, c)[:-1]
        fmt = col.number_format
        same = fmt is None or isinstance(fmt, str)  # one format for the whole column: one style
        col_xf = xf_of(fmt, False, **align) if same and len(values) else None  # (none for no cells)
        kind = values.dtype.kind if isinstance(values, np.ndarray) and values.ndim == 1 else None
        numbers = range(first, first + len(values))
        if col.formulas is None and kind in ("f", "M"):
            nums = (_serials(values, date1904) if kind == "M" else values).tolist()
            if same:
                return _number_cells(letters, numbers, nums, f' s="{col_xf}"' if col_xf else "")
            out = []
            for i, (r, v) in enumerate(zip(numbers, nums)):
                xf = xf_of(col.format_at(i), False, **align)
                st = f' s="{xf}"' if xf else ""
                out.append(f'<c r="{letters}{r}"{st}/>' if v != v else f'<c r="{letters}{r}"{st}><v>{_number(v)}</v></c>')
            return out
        if col.formulas is None and same and kind == "O" and all(type(v) is str for v in values):
            # text (the movements table's customers and movement types): each distinct text escaped once
            st = f' s="{col_xf}"' if col_xf else ""
            texts = values.tolist()
            escaped = {v: _text(v) for v in set(texts)}
            return [f'<c r="{letters}{r}"{st} t="inlineStr"><is><t xml:space="preserve">{escaped[v]}</t></is></c>'
                    for r, v in zip(numbers, texts)]
        return [_cell(f"{letters}{r}", values[i], col_xf if same else xf_of(col.format_at(i), False, **align),
                      col.formulas[i] if col.formulas is not None else None, date1904)
                for i, r in enumerate(numbers)]  # report rows, cell by cell

    bold = xf_of(None, True)
    for blk in sheet.blocks:
        if blk.title:
            put(blk.row - 1, blk.col, _cell(a1(blk.row - 1, blk.col), blk.title, bold))
        top = blk.row
        first = top + int(blk.header)
        run: list[list[str]] = []  # neighbouring columns of one length, joined row by row
        run_col = blk.col
        for j, col in enumerate(blk.columns):
            c = blk.col + j
            if blk.header:
                # A table styles its own header row; a plain block gets bold headers.
                xf = (xf_of(None, not blk.table, wrap=True) if top in sheet.wrap_rows
                      else 0 if blk.table else bold)
                put(top, c, _cell(a1(top, c), col.header, xf))
            cells = column_cells(col, c, first)
            if run and len(cells) != len(run[0]):
                put_columns(first, run_col, run)
                run = []
            if not run:
                run_col = c
            run.append(cells)
        if run:
            put_columns(first, run_col, run)
    return rows, last_col


def worksheet_xml(sheet: ReportSheet, style: Style, drawing_rid: str | None, table_rids: list[str],
                  date1904: bool = False) -> str:
    """The worksheet part of one report sheet (dates as serials of the workbook's date system)."""
    rows, last_col = _rows(sheet, style, date1904)
    last_row = max(rows) if rows else 1
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
    widths = sheet.widths
    if widths:
        parts.append("<cols>" + "".join(f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>'
                                        for c, w in sorted(widths.items())) + "</cols>")
    parts.append("<sheetData>")
    for r in sorted(rows):
        row = rows[r]
        cells = row[0][1] if len(row) == 1 else "".join(xml for _, xml in sorted(row))  # (a table row: one entry)
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


#: Footer on every printed page: sheet name left, "Page n of m" right (&L / &R start the parts).
FOOTER = f"&L{FOOTER_LEFT}&R{FOOTER_RIGHT}"


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
    margins = " ".join(f'{k}="{v}"' for k, v in PRINT_MARGINS.items())
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
