"""Another workbook's input table (``Ledger``, else ``Subscriptions``) as a source.

It is read exactly as a refresh reads its own workbook's table (the closed-file
back end's reader, python-calamine, with the same safety checks); the file is
only read.  Rows keep their sheet row numbers, so a message reads
``other.xlsx: sheet 'Data', row 12, column 'MRR'``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from xl_kpi.sources import Source, SourceTable, register_source

__all__ = ["read_workbook"]

SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")


def read_workbook(path: Path, label: str, table=None, query=None) -> SourceTable:
    from xl_kpi.refresh.file_backend import FileLedgerSource
    from xl_kpi.refresh.package import WorkbookPackage

    pkg = WorkbookPackage(path, label=label)
    try:
        found = FileLedgerSource(pkg).read_ledger()
    finally:
        pkg.close()
    width = found.col1 - found.col0
    rows = [list(r[found.col0:found.col1]) + [None] * max(0, width - len(r[found.col0:found.col1]))
            for r in found.rows]
    grid = np.array(rows, dtype=object).reshape(len(rows), width)
    frame = pd.DataFrame({str(h): pd.Series(grid[:, j], dtype=object) for j, h in enumerate(found.header)})
    numbers = found.first_row + np.arange(len(rows), dtype=np.int64)
    return SourceTable(label, frame, "row", numbers, sheet=found.sheet, table=found.table)


register_source(Source("workbook", "an Excel workbook", SUFFIXES, read_workbook))
