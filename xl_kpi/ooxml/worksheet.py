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
from typing import Callable, Iterator

import numpy as np

from xl_kpi.cells import _NS_PER_DAY, a1, datetime64_to_serial, days_to_serials, is_blank, quote_sheet
from xl_kpi.ooxml.namespaces import NS_MAIN, NS_REL, XML_DECLARATION
from xl_kpi.ooxml.text import number as _number
from xl_kpi.ooxml.text import changes as _text_changes
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


def _number_tails(values: np.ndarray, st: str) -> np.ndarray:
    """What follows the row number in each cell of a column of floats (``<c r="B`` + row + tail): the
    style ``st`` and the value as :func:`xl_kpi.ooxml.text.number` spells it, or ``st`` alone for a NaN
    (a blank cell keeping its style), as :func:`_cell` writes them.  Each distinct value is spelled once
    (a month column has one value, money columns a tenth as many as cells).

    >>> _number_tails(np.array([3.0, 0.125, np.nan, 1e16, 3.0]), ' s="4"').tolist()
    ['" s="4"><v>3</v></c>', '" s="4"><v>0.125</v></c>', '" s="4"/>', '" s="4"><v>1e+16</v></c>', '" s="4"><v>3</v></c>']
    """
    import pandas as pd  # (loaded long before a report is written: the report is built with it)

    codes, distinct = pd.factorize(values)  # NaN: code -1, the last tail below
    tails = [f'"{st}><v>{_number(v)}</v></c>' for v in distinct.tolist()]
    tails.append(f'"{st}/>')
    return np.array(tails, dtype=object)[codes]


#: Rows of a worksheet rendered at a time by :func:`worksheet_parts`: a large table's part is handed out
#: band by band, so that the package writer deflates one band (in a thread, zlib without the GIL) while the
#: next is rendered, and never holds the whole part's text.
BAND_ROWS = 4096


class _Xfs:
    """``style(...)`` asked once per kind of cell (it is a pure lookup once a style exists), in the order of
    the sheet's blocks and columns: :meth:`first_use` asks for every style the sheet needs before any band is
    rendered, so the style sheet gains its new formats in the same order however the rows are cut."""

    def __init__(self, style: Style) -> None:
        self.style = style
        self.xfs: dict[tuple, int] = {}

    def __call__(self, fmt, bold_font, **kw) -> int:
        key = (fmt, bold_font, tuple(sorted(kw.items())))
        if key not in self.xfs:
            self.xfs[key] = self.style(fmt, bold_font, **kw)
        return self.xfs[key]

    def header(self, sheet: ReportSheet, blk) -> int:
        """The style of a block's header cells: a table styles its own header row, a plain block gets bold."""
        return (self(None, not blk.table, wrap=True) if blk.row in sheet.wrap_rows
                else 0 if blk.table else self(None, True))

    def first_use(self, sheet: ReportSheet) -> None:
        self(None, True)  # the titles' (and plain headers') bold
        for blk in sheet.blocks:
            for col in blk.columns:
                if blk.header:
                    self.header(sheet, blk)
                align = {"horizontal": col.align} if col.align else {}
                fmt = col.number_format
                if fmt is None or isinstance(fmt, str):
                    if len(col.values):
                        self(fmt, False, **align)
                else:
                    for i in range(len(col.values)):
                        self(col.format_at(i), False, **align)


def _extent(sheet: ReportSheet) -> tuple[int, int, int]:
    """(first row, last row, last column) holding a cell; (1, 0, 1) for a sheet without cells."""
    rows, last_col = [], 1
    for blk in sheet.blocks:
        if blk.title:
            rows.append(blk.row - 1)
            last_col = max(last_col, blk.col)
        first = blk.row + int(blk.header)
        for j, col in enumerate(blk.columns):
            if blk.header:
                rows.append(blk.row)
                last_col = max(last_col, blk.col + j)
            if len(col.values):
                rows += [first, first + len(col.values) - 1]
                last_col = max(last_col, blk.col + j)
    return (min(rows), max(rows), last_col) if rows else (1, 0, 1)


#: Marks the place of the row number among a column's pieces (:func:`_segments`).
_ROW = None


def _segments(sheet: ReportSheet, xf_of: _Xfs, date1904: bool) -> list[tuple[int, int, int, list]]:
    """The sheet's cells as (column, first row, rows, pieces): a column's cells, or one cell (a title, a
    header), each row's cell being its pieces joined, a piece either one text for every row, an array of
    one text per row, or :data:`_ROW` (the row number).  ``xf_of`` has met every style already
    (:meth:`_Xfs.first_use`).

    A column of numbers or dates without formulas (most of a report, and all of a movements table that
    grows with the ledger) is ``<c r="B``, the row, and its value's tail (:func:`_number_tails`, each
    distinct value spelled once); a column of texts ``<c r="B``, the row, the style, the texts themselves
    (each distinct text escaped once, none when no text needs it) and the end of the cell; every other
    column is its cells, each through :func:`_cell`.  All write the same XML for the same value.

    >>> from xl_kpi.refresh.report import Block, Column
    >>> sheet = ReportSheet("S", [Block(1, 2, [Column("x", np.array([1.5, np.nan]))], header=False)])
    >>> [(c, r, n, [p if p is None or isinstance(p, str) else p.tolist() for p in pieces])
    ...  for c, r, n, pieces in _segments(sheet, _Xfs(lambda fmt, bold: 0), False)]
    [(2, 1, 2, ['<c r="B', None, ['"><v>1.5</v></c>', '"/>']])]
    """
    segments: list[tuple[int, int, int, list]] = []

    def column_pieces(col, c: int, first: int) -> list:
        values = col.values
        n = len(values)
        align = {"horizontal": col.align} if col.align else {}
        letters = a1(1, c)[:-1]
        fmt = col.number_format
        same = fmt is None or isinstance(fmt, str)  # one format for the whole column: one style
        col_xf = xf_of(fmt, False, **align) if same else None
        st = f' s="{col_xf}"' if col_xf else ""
        kind = values.dtype.kind if isinstance(values, np.ndarray) and values.ndim == 1 else None
        if col.formulas is None and same and kind in ("f", "M"):
            nums = _serials(values, date1904) if kind == "M" else np.asarray(values, dtype=np.float64)
            return [f'<c r="{letters}', _ROW, _number_tails(nums, st)]
        if col.formulas is None and same and kind == "O":
            texts = values.tolist()
            if set(map(type, texts)) <= {str}:
                # text (the movements table's customers and movement types): escaped only if one needs it
                # (one look at the column's texts joined: a change inside one text is a change of the join,
                # and a change the join makes across two texts only costs escaping them)
                if _text_changes("".join(texts)):
                    escaped = {v: _text(v) for v in set(texts)}
                    values = np.array([escaped[v] for v in texts], dtype=object)
                return [f'<c r="{letters}', _ROW, f'"{st} t="inlineStr"><is><t xml:space="preserve">',
                        values, "</t></is></c>"]
        cells = np.empty(n, dtype=object)  # report rows, cell by cell
        cells[:] = [_cell(f"{letters}{first + i}", values[i],
                          col_xf if same else xf_of(col.format_at(i), False, **align),
                          col.formulas[i] if col.formulas is not None else None, date1904) for i in range(n)]
        return [cells]

    bold = xf_of(None, True)
    for blk in sheet.blocks:
        if blk.title:
            segments.append((blk.col, blk.row - 1, 1, [_cell(a1(blk.row - 1, blk.col), blk.title, bold)]))
        top = blk.row
        first = top + int(blk.header)
        if blk.header and blk.columns:
            xf = xf_of.header(sheet, blk)
            for j, col in enumerate(blk.columns):
                segments.append((blk.col + j, top, 1, [_cell(a1(top, blk.col + j), col.header, xf)]))
        for j, col in enumerate(blk.columns):
            if len(col.values):
                segments.append((blk.col + j, first, len(col.values), column_pieces(col, blk.col + j, first)))
    return segments


def _band(segments: list[tuple[int, int, int, list]], wrap_rows: dict[int, float], lo: int, hi: int) -> str:
    """The ``<row>`` elements of rows lo..hi-1 (those holding a cell), from the sheet's :func:`_segments`.

    The band is laid out as a grid of pieces, a row per sheet row: ``<row r="``, the row, its end (its
    height), each column's pieces (in column order, "" where the row has no cell there), ``</row>``;
    filled column by column (numpy copies, no Python loop over cells) and joined once.  A cell two blocks
    write is written once, as the later block has it.

    >>> from xl_kpi.refresh.report import Block, Column
    >>> sheet = ReportSheet("S", [Block(2, 1, [Column("x", np.array([1.0, 2.0]))])])
    >>> _band(_segments(sheet, _Xfs(lambda fmt, bold: 0), False), {}, 1, 4)
    '<row r="2"><c r="A2" t="inlineStr"><is><t xml:space="preserve">x</t></is></c></row><row r="3"><c r="A3"><v>1</v></c></row>'
    """
    here = [s for s in segments if s[1] < hi and s[1] + s[2] > lo]
    if not here:
        return ""
    width: dict[int, int] = {}
    for c, _, _, pieces in here:
        width[c] = max(width.get(c, 0), len(pieces))
    slot, at = {}, 3
    for c in sorted(width):
        slot[c], at = at, at + width[c]
    numbers = np.array(list(map(str, range(lo, hi))), dtype=object)
    grid = np.empty((hi - lo, at + 1), dtype=object)  # (None everywhere: each place is filled below)
    grid[:, 0], grid[:, 1], grid[:, 2], grid[:, at] = '<row r="', numbers, '">', "</row>"
    for r, height in wrap_rows.items():
        if lo <= r < hi:
            grid[r - lo, 2] = f'" ht="{_number(height)}" customHeight="1">'
    filled = np.zeros((hi - lo, len(slot)), dtype=bool)
    order = {c: k for k, c in enumerate(slot)}
    for c, first, n, pieces in here:
        r0, r1 = max(lo, first), min(hi, first + n)
        a, b, i0, i1, s, k = r0 - lo, r1 - lo, r0 - first, r1 - first, slot[c], order[c]
        filled[a:b, k] = True  # (a cell two blocks write: the later one's pieces over the earlier one's)
        for j, piece in enumerate(pieces):
            grid[a:b, s + j] = numbers[a:b] if piece is _ROW else piece if isinstance(piece, str) else piece[i0:i1]
        if len(pieces) < width[c]:
            grid[a:b, s + len(pieces):s + width[c]] = ""
    used = filled.any(axis=1)
    for c, k in order.items():  # the places of a column where a row that has a cell has none
        holes = used & ~filled[:, k]
        if holes.any():
            grid[holes, slot[c]:slot[c] + width[c]] = ""
    return "".join(grid[used].ravel().tolist()) if used.any() else ""


def worksheet_xml(sheet: ReportSheet, style: Style, drawing_rid: str | None, table_rids: list[str],
                  date1904: bool = False) -> str:
    """The worksheet part of one report sheet (dates as serials of the workbook's date system)."""
    return "".join(worksheet_parts(sheet, style, drawing_rid, table_rids, date1904))


def worksheet_parts(sheet: ReportSheet, style: Style, drawing_rid: str | None, table_rids: list[str],
                    date1904: bool = False, band_rows: int | None = None) -> Iterator[str]:
    """:func:`worksheet_xml` in pieces: the part's text up to ``<sheetData>``, its rows ``band_rows`` at a
    time (default :data:`BAND_ROWS`), then the rest; joined, the same text whatever ``band_rows``.

    >>> from xl_kpi.refresh.report import Block, Column
    >>> sheet = ReportSheet("S", [Block(1, 1, [Column("x", np.arange(5.0))])])
    >>> parts = list(worksheet_parts(sheet, lambda fmt, bold: 0, None, [], band_rows=2))
    >>> len(parts), parts[1]
    (5, '<row r="1"><c r="A1" t="inlineStr"><is><t xml:space="preserve">x</t></is></c></row><row r="2"><c r="A2"><v>0</v></c></row>')
    >>> "".join(parts) == worksheet_xml(sheet, lambda fmt, bold: 0, None, [])
    True
    """
    band_rows = band_rows or BAND_ROWS
    xf_of = _Xfs(style)
    xf_of.first_use(sheet)
    first_row, last_row, last_col = _extent(sheet)
    parts = [_HEADER, f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">']
    if sheet.fit_width:
        parts.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')  # scale to fit, see pageSetup
    parts.append(f'<dimension ref="{a1(1, 1, max(last_row, 1), last_col)}"/>')
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
    yield "".join(parts)
    segments = _segments(sheet, xf_of, date1904)
    for lo in range(first_row, last_row + 1, band_rows):
        band = _band(segments, sheet.wrap_rows, lo, min(lo + band_rows, last_row + 1))
        if band:
            yield band
    parts = ["</sheetData>"]
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
    yield "".join(parts)


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
