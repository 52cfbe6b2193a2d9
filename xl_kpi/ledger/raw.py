"""Where an input table comes from: raw rows, their header, and where they sit (for messages).

A *source* (a workbook's Excel Table through openpyxl-free calamine or
xlwings, a CSV or Parquet file, a database table) knows nothing of what the
columns mean. It hands over a :class:`RawTable`; an *input format*
(:mod:`xl_kpi.ledger.formats`) turns that into a ledger. So a new source is
one class with the two methods of :class:`TableSource`, and a new format is
one registry entry; neither touches the other.

>>> t = RawTable(["Customer ID", "Month", "MRR"], [["a", "2024-01", 10.0]], first_row=5,
...              source="b.xlsx", sheet="Data", table="Ledger")
>>> t.where(), t.row_label(6)
("b.xlsx: sheet 'Data', table 'Ledger'", "sheet 'Data' row 6")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Sequence
from typing import Any, Protocol

__all__ = ["RawTable", "TableSource", "ErrorCell", "GridRows"]


class GridRows(Sequence):
    """The rows of a 2-D object array, as a sequence of lists (:attr:`RawTable.rows` for a source that reads a
    whole block at once, e.g. calamine).

    The array itself (``cells``) is what the formats read column by column
    (:func:`xl_kpi.ledger.formats.grid` takes it as it is), so a million-row
    table is never split into a million row lists; a row is made a list only
    when someone asks for that row.

    >>> import numpy as np
    >>> rows = GridRows(np.array([["a", 1.0], ["b", None]], dtype=object))
    >>> len(rows), rows[1], list(rows)[0], bool(GridRows(np.empty((0, 2), dtype=object)))
    (2, ['b', None], ['a', 1.0], False)
    """

    def __init__(self, cells: Any) -> None:
        self.cells = cells

    def __len__(self) -> int:
        return len(self.cells)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return GridRows(self.cells[index])
        return self.cells[index].tolist()

    def __iter__(self):
        return iter(self.cells.tolist())

    def __repr__(self) -> str:
        return f"GridRows({self.cells.shape[0]} rows x {self.cells.shape[1]} columns)"


@dataclass(frozen=True)
class ErrorCell:
    """A cell holding an Excel error, as a source found it: its literal ("#N/A"), row and column (0-based in the table)."""

    literal: str
    row: int  #: the user's row number (sheet or file row)
    column: int  #: 0-based column of the table


@dataclass
class RawTable:
    """The raw cells of one input table.

    Attributes
    ----------
    header : sequence of str
        The header row as written (matching ignores case and surrounding spaces).
    rows : sequence of row sequences
        The data rows (header excluded), each as wide as ``header``: None for
        an empty cell, float / int / str / bool / date / datetime otherwise.
    first_row : int
        The row number of ``rows[0]`` as the user counts it (sheet or file row).
    source : str
        What to call the source in a message: a file path, a workbook name.
    sheet, table : str or None
        Sheet and table name (a CSV has no sheet; its table is its file name).
    date1904 : bool
        The workbook counts serial numbers in the 1904 date system.
    below : sequence of row sequences
        A few rows right below the table (same columns), so that rows the
        user typed outside the table's range can be reported.
    below_row : int or None
        The row number of ``below[0]`` as the user counts it: the first row
        after the table, *after its Total Row* when it has one. None: right
        after ``rows`` (a table without a Total Row).
    errors : list of ErrorCell
        Cells of the table holding an Excel error (a source that can see them;
        some readers turn an error into an empty cell).
    """

    header: Sequence[str]
    rows: Sequence[Sequence[Any]]
    first_row: int = 2
    source: str = ""
    sheet: str | None = None
    table: str = ""
    date1904: bool = False
    below: Sequence[Sequence[Any]] = ()
    errors: list[ErrorCell] = field(default_factory=list)
    below_row: int | None = None

    def where(self, source: bool = True) -> str:
        """Source (unless ``source`` is False), sheet and table, for the start of a message."""
        parts = [f"sheet {self.sheet!r}"] if self.sheet else []
        if self.table:
            parts.append(f"table {self.table!r}")
        place = ", ".join(parts)
        if not source or not self.source:
            return place[:1].upper() + place[1:]
        return f"{self.source}: {place}" if place else self.source

    def first_below(self) -> int:
        """The row number of the first row below the table (:attr:`below_row`; after a Total Row).

        >>> RawTable(["a"], [[1], [2]], first_row=2).first_below()
        4
        >>> RawTable(["a"], [[1], [2]], first_row=2, below_row=5).first_below()  # a Total Row on row 4
        5
        """
        return self.first_row + len(self.rows) if self.below_row is None else self.below_row

    def has_total_row(self) -> bool:
        """True when the table ends with a Total Row: the rows below start after it, not right after the data.

        >>> RawTable(["a"], [[1], [2]], first_row=2, below_row=5).has_total_row(), RawTable(["a"], [[1]]).has_total_row()
        (True, False)
        """
        return self.first_below() > self.first_row + len(self.rows)

    def row_label(self, row: int) -> str:
        """"sheet 'Data' row 7" (or "row 7" without a sheet)."""
        return f"sheet {self.sheet!r} row {row}" if self.sheet else f"row {row}"


class TableSource(Protocol):
    """Where input tables come from. Two methods; the pipeline needs nothing else.

    ``table_names()`` lists the tables the source holds (cheap: no rows are
    read). ``read_table(name)`` reads one of them (``name`` matched without
    regard to case) as a :class:`RawTable`, raising
    :class:`xl_kpi.errors.UserError` when it cannot be read.
    """

    label: str

    def table_names(self) -> Sequence[str]: ...

    def read_table(self, name: str) -> RawTable: ...
