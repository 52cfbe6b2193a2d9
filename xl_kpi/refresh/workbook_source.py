"""Another workbook's input table (``Ledger`` or ``Subscriptions``, or any Excel Table named) as a source.

It is read exactly as a refresh reads its own workbook's table (the closed-file
back end's reader, python-calamine, with the same safety checks); the file is
only read.  (It lives with the refresh, whose reader it uses, and registers
itself when :mod:`xl_kpi.sources.ledger_input` is imported: the sources
package itself stays below the refresh.)  Rows keep their sheet row numbers, so a message reads
``other.xlsx: sheet 'Data', row 12, column 'MRR'``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from xl_kpi.refresh.file_backend import FileTableSource
from xl_kpi.ledger.validation import LedgerError
from xl_kpi.ooxml.package import WorkbookPackage
from xl_kpi.refresh.pipeline import refuse_errors, select_input
from xl_kpi.sources.registry import Source, SourceTable, register_source

__all__ = ["read_workbook"]

from xl_kpi.sources import WORKBOOK_SUFFIXES as SUFFIXES  # noqa: E402


def read_workbook(path: Path, label: str, table: str | None = None, query=None) -> SourceTable:
    """The workbook's Excel Table ``table``, or the input table a refresh of that workbook would read."""
    pkg = WorkbookPackage(path, label=label)
    try:
        tables = FileTableSource(pkg)
        raw = tables.read_table(table) if table is not None else select_input(tables)[1]
    finally:
        pkg.close()
    # calamine reads an error cell as an empty string: refused here, as the book's own table's are (the
    # frame below could not tell an error from a blank, nor a row of errors from a blank row, skipped)
    try:
        refuse_errors(raw)
    except LedgerError as exc:  # named as this source names a row: "other.xlsx: sheet 'Data', row 12, ..."
        raise LedgerError(f"{label}: sheet {exc.sheet!r}, row {exc.row}, column {exc.column!r}: {exc.detail}",
                          row=exc.row, column=exc.column, value=exc.value, sheet=exc.sheet,
                          detail=exc.detail) from None
    width = len(raw.header)
    rows = [(list(r) + [None] * width)[:width] for r in raw.rows]
    grid = np.array(rows, dtype=object).reshape(len(rows), width)
    frame = pd.DataFrame({str(h): pd.Series(grid[:, j], dtype=object) for j, h in enumerate(raw.header)})
    numbers = raw.first_row + np.arange(len(rows), dtype=np.int64)
    below = [(list(r) + [None] * width)[:width] for r in raw.below]  # reported as typed outside the table
    return SourceTable(label, frame, "row", numbers, sheet=raw.sheet, table=raw.table, below=below,
                       below_number=raw.first_below())


#: ``table=`` names one of its Excel Tables (``--table``), as for a database; a query is refused.
register_source(Source("workbook", "an Excel workbook", SUFFIXES, read_workbook, tables=True))
