"""Where the report's things go: column widths, header wrapping, chart geometry.

Column widths are computed from each header and each value as its number
format shows it (:func:`format_text`, :func:`text_width`); the tables' long
headers wrap onto two lines in a taller header row (:func:`sheet_widths`);
charts are placed by pixel, their bottom-right corner an offset inside a
column (:func:`place_chart`), so a chart keeps its size whatever the widths.
Nothing here knows what a sheet holds (that is :mod:`.content`).
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np
import pandas as pd

from xl_kpi.refresh.report.model import DATE_FORMAT, Block, Column

#: Excel's default column: 8.43 characters = 64 pixels (at 96 dpi).
DEFAULT_COL_PX = 64
EMU_PER_PX = 9525
#: Width (characters) an Excel Table's header needs besides its text: the filter button (16 pixels).
FILTER_BUTTON = 2.5
#: Space (characters) between a cell's text and its neighbour (Excel's own padding is 5 pixels).
PADDING = 1.0
#: Height (points) of one line of Calibri 11 text: Excel's default row.
LINE_PT = 15.0
_LITERAL = re.compile(r'"([^"]*)"')

#: Print setup of every report sheet (both back ends): page margins in inches, narrow sides so a
#: wide table prints larger, room for the footer; the footer's left and right parts in the
#: header/footer codes (&A = sheet name, &P = page, &N = pages).
PRINT_MARGINS = {"left": 0.4, "right": 0.4, "top": 0.6, "bottom": 0.6, "header": 0.3, "footer": 0.3}
FOOTER_LEFT, FOOTER_RIGHT = "&A", "Page &P of &N"


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
    if len(values) > 200:  # a long text column (customer ids): measure the longest texts only
        if set(map(type, values.tolist())) <= {str}:  # (their own lengths: no copy made as str first)
            lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
        else:
            lengths = pd.Series(values).astype(str).str.len().to_numpy()
        top = np.argsort(lengths)[-50:]
        return max(text_width(format_text(values[i], col.format_at(int(i)))) for i in top)
    # text, or one format per cell: a few report rows (KPI labels)
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


def sheet_widths(blocks: Sequence[Block]) -> dict:
    """``ReportSheet`` keyword arguments for the column widths of ``blocks`` and the header rows that wrap.

    A header row of a block with ``header_lines`` > 1 is as tall as its
    longest wrapped header needs, and the widths are those at which it wraps
    (both back ends wrap those rows).

    >>> blk = Block(1, 1, [Column("Net Revenue Retention", np.array([0.97]), "0.0%")], table="T", header_lines=2)
    >>> sheet_widths([blk])
    {'widths': {1: 15.0}, 'wrap_rows': {1: 30.0}}
    """
    wrap_rows = {}
    for blk in blocks:
        if blk.header and blk.header_lines > 1:
            lines = max(len(wrap_header(c.header, blk.header_lines)) for c in blk.columns)
            if lines > 1:
                wrap_rows[blk.row] = LINE_PT * lines
    return {"widths": column_widths(blocks, wrap=bool(wrap_rows)), "wrap_rows": wrap_rows}


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
    return {"row": row, "col": col, "height_rows": height_rows, "width_pt": width_px * 0.75,
            "end": (row + height_rows, 0, end_col, (right - edges[end_col - 1]) * EMU_PER_PX)}


#: Charts: height in rows, smallest width, gap between two side by side (pixels).
CHART_ROWS = 15
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
