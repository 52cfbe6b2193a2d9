"""The report model: what a refresh writes, as plain data that no workbook library reads or writes.

A ``Report`` is a list of ``ReportSheet``s; a sheet is made of rectangular
``Block``s of ``Column``s (with an optional Excel Table over a block), colour
scales, ``Chart``s and workbook-level ``DefinedName``s.  Where things go is
decided by :mod:`.layout`, what they hold by :mod:`.content`; both back ends
(the closed-file package writer and the live xlwings writer) render this
model and compute nothing, so a number cannot differ between them.

>>> blk = Block(1, 1, [Column("Month", np.array(["2024-01-01"], dtype="datetime64[ns]"))], table="T")
>>> blk.ref(), blk.last_row, blk.body()
('A1:A2', 2, (2, 1, 2, 1))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from xl_kpi.cells import a1, quote_sheet
from xl_kpi.kpis.definition import MONEY

#: Number format of a month cell (a date on the first of the month).
DATE_FORMAT = "mmm yyyy"
#: Three-colour heat map: red (low) -> yellow -> green (high), like Excel's default scale.
HEAT_COLORS = ("F8696B", "FFEB84", "63BE7B")


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
    """A chart placed over cells: top-left cell (row, col), ``width_pt`` wide, ``height_rows`` rows high.

    ``end`` is the exact bottom-right corner as (row, row offset, col, col
    offset), offsets in EMU inside that cell (what a drawing's ``<xdr:to>``
    holds); :func:`~xl_kpi.refresh.report.layout.place_chart` computes it from
    the sheet's column widths, so a chart has the same size whatever the
    columns.  A back end that places charts in points uses ``width_pt`` and
    ``height_rows`` (15-point rows) instead: the same rectangle.
    """

    kind: str  #: "line" or "column"
    title: str
    categories: RangeRef
    series: Sequence[Series]
    row: int
    col: int
    height_rows: int
    width_pt: float
    end: tuple[int, int, int, int]
    y_format: str = MONEY.number_format
    #: Columns stacked on each other (a negative value stacks below zero): MRR movements.
    stacked: bool = False
    x_title: str | None = None
    y_title: str | None = None
    #: The last ``secondary`` series are drawn against a second value axis on the right (ARR beside MRR),
    #: titled ``y2_title``.
    secondary: int = 0
    y2_title: str | None = None


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
    #: Column number -> width (characters); with ``wrap_rows``, widths at which those header rows wrap.
    widths: dict[int, float] = field(default_factory=dict)
    freeze_rows: int = 0
    freeze_cols: int = 0
    #: Print setup: landscape, scaled to one page wide (as many pages tall as it takes).
    landscape: bool = True
    fit_width: bool = True
    #: Rows repeated at the top of every printed page (first, last), e.g. a table's header row.
    print_title_rows: tuple[int, int] | None = None
    #: Header rows whose text wraps -> row height (points).
    wrap_rows: dict[int, float] = field(default_factory=dict)
    #: Workbook-level names over ranges of this sheet.
    names: Sequence[DefinedName] = ()

    @property
    def tables(self) -> list[str]:
        """The Excel Tables on this sheet."""
        return [b.table for b in self.blocks if b.table]


@dataclass(frozen=True)
class Report:
    sheets: Sequence[ReportSheet]

    @property
    def names(self) -> list[DefinedName]:
        """Every sheet's workbook-level names, in sheet order."""
        return [n for s in self.sheets for n in s.names]

    @property
    def tables(self) -> list[str]:
        return [t for s in self.sheets for t in s.tables]
