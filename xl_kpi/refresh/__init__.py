"""Refresh a workbook's report sheets from its ``Ledger`` table.

The input is the Excel Table ``Ledger`` (Customer ID, Month, MRR), wherever
its sheet is; without one, a ``Subscriptions`` table (Customer ID, Start
Date, [End Date], Amount, [Billing Months]) is turned into a ledger first.

One pipeline (:mod:`xl_kpi.refresh.pipeline`), two back ends:

* :func:`refresh_file` - a closed .xlsx / .xlsm, rewritten as a zip package
  in which only the report's own parts change (:mod:`.file_backend`); this is
  ``xl-kpi refresh BOOK``;
* :func:`refresh_book` - an open workbook through xlwings (the ribbon's
  "Refresh KPIs" button, :mod:`.xlwings_backend`).

Both write the same report (:mod:`.report`): the ``MRRBridge`` table on
``MRR Bridge``, cohort heat maps on ``Cohort Retention``, the latest KPIs and
two charts on ``KPI Summary``.

The pipeline, the report and pandas with them load on first use (PEP 562
``__getattr__``, as :mod:`xl_kpi` does for the KPI functions): the command
line imports this package to start reading the ledger sheet
(:mod:`.head_start`) before it pays for them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from xl_kpi.errors import UserError

if TYPE_CHECKING:
    from xl_kpi.refresh.head_start import HeadStart
    from xl_kpi.refresh.pipeline import Progress, RefreshResult

__all__ = ["refresh_file", "refresh_book", "RefreshResult", "BRIDGE_HEADERS", "BRIDGE_TABLE", "REPORT_SHEETS"]

#: Names loaded on first use, and the module each comes from.
_LAZY = {"RefreshResult": "pipeline", "Progress": "pipeline", "BRIDGE_HEADERS": "report", "BRIDGE_TABLE": "report",
         "REPORT_SHEETS": "report"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f"xl_kpi.refresh.{_LAZY[name]}"), name)
        globals()[name] = value  # found once: later look-ups are plain attribute reads
        return value
    raise AttributeError(f"module 'xl_kpi.refresh' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})

#: Package formats the file back end rewrites (workbooks and templates, with or without macros).
SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")


def refresh_file(path: os.PathLike | str, output: os.PathLike | str | None = None,
                 progress: Progress | None = None, *, ledger=None, read: dict | None = None, strict: bool = False,
                 as_of: str | None = None, head_start: HeadStart | None = None, early_source=None,
                 **source_options) -> RefreshResult:
    """Refresh the report of a closed workbook file, in place or into ``output``.

    Only the report's parts change; everything else in the package is copied
    byte for byte.  The new file is written beside the target, checked, and
    atomically moved over it, unless the file was saved meanwhile, is open in
    Excel, is read-only or is being refreshed by someone else
    (:mod:`.replace`).  Raises :class:`xl_kpi.errors.UserError` (with sheet,
    row and column for a bad ledger row; with the part for a damaged
    package, :mod:`.damaged`) and leaves the file byte for byte as it was.

    ``ledger`` reads the ledger from elsewhere instead of the workbook's own
    table: a CSV, Parquet, DuckDB or SQLite file, another workbook, or a
    DataFrame / DuckDB relation; ``source_options`` are those of
    :class:`xl_kpi.sources.ledger_input.ExternalLedgerSource` (``input``,
    ``table``, ``query``, ``columns``, ``amount_unit``, ``fx``, ``currency``).
    Messages then name the source's file, line or row and column.  Without
    ``ledger``, the workbook's Settings table may name the source (its
    "Ledger source" row, a path relative to the workbook's folder:
    :mod:`xl_kpi.refresh.source_settings`).

    ``as_of`` ("2024-06") is the last month reported, for every input (a
    ledger, a subscription list, a billing export, in the workbook or not);
    the same as ``read={"as_of": ...}`` and ``--as-of``.

    ``read`` holds the read options (``as_of``, ``dayfirst``, ``input``,
    ``drop_duplicates``, ``merge_case``) that override the workbook's
    Settings table; ``strict`` refuses a refresh with data checks to report.

    ``head_start`` is the read of the ledger sheet the command line began
    early (:mod:`.head_start`); used only if it is the read this refresh
    makes, of the file as it is when the refresh begins; closed at the end.
    ``early_source`` likewise for a ``--ledger`` source too large for memory:
    its analysis begun early (:mod:`.source_head_start`).
    """
    from xl_kpi.ooxml.package import WorkbookPackage
    from xl_kpi.refresh.source_settings import refresh_from
    from xl_kpi.refresh.damaged import check_structure, open_zip
    from xl_kpi.refresh.file_backend import FileReportWriter, FileTableSource
    from xl_kpi.refresh.replace import Replacement

    src = Path(path)
    target = Path(output) if output is not None else src
    for p in {src, target}:
        if p.suffix.lower() not in SUFFIXES:
            raise UserError(f"{p}: not an Excel workbook file (expected {', '.join(SUFFIXES)})")
    if target != src and target.suffix.lower() != src.suffix.lower():
        raise UserError(f"{target}: keep the extension {src.suffix} (the package keeps its macros or not)")
    if not src.is_file():
        raise UserError(f"{src}: no such file")
    read = dict(read or {})
    if as_of is not None:
        read["as_of"] = as_of
    label = str(src)
    try:
        with Replacement(target, str(target), watch=[src]) as replacement:
            with open_zip(src, label) as zf:  # what it is, and whether it is damaged, before anything relies on it
                check_structure(zf, label)
            pkg = WorkbookPackage(src, label=label)
            try:
                writer = FileReportWriter(pkg, target, replacement,
                                          release=None if head_start is None else lambda: head_start.close(wait=True))
                # The ledger names sheet, row and column; the command line adds the file (a source names its own).
                source = FileTableSource(pkg, head_start, replacement.identity(src))
                result = refresh_from(source, writer, progress, base=src.resolve().parent, label=label,
                                      ledger=ledger, source_options=source_options, read=read, strict=strict,
                                      early_source=early_source)
            finally:
                pkg.close()
    finally:
        if head_start is not None:
            head_start.close()  # not taken (another sheet read, or the file saved since): dropped
        if early_source is not None:
            early_source.close()
    result.target = str(target)
    return result


def refresh_book(book, progress: Progress | None = None) -> RefreshResult:
    """Refresh the report of an open workbook (an ``xlwings.Book``) in place.

    From its own tables, or from the source its Settings table names (a
    relative path is relative to the workbook's folder, ``book.fullname``).
    """
    from xl_kpi.refresh.source_settings import refresh_from
    from xl_kpi.refresh.xlwings_backend import XlwingsReportWriter, XlwingsTableSource

    fullname = getattr(book, "fullname", None)  # "" or a bare name for a workbook never saved
    base = Path(fullname).parent if fullname and Path(fullname).is_absolute() else None
    return refresh_from(XlwingsTableSource(book), XlwingsReportWriter(book), progress, base=base)
