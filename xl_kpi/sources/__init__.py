"""Where a table comes from: CSV and Parquet files, databases, other workbooks.

A *source* reads a table and nothing else: it does not know what the columns
mean (that is the input *format*: a ledger, a subscription list, a Stripe
export).  Every source gives a :class:`SourceTable`: the raw columns as a
DataFrame, plus how the user counts its rows (a CSV's line numbers, a
sheet's row numbers, a query result's row numbers), so that a bad value is
reported where the user can find it.

Sources are entries of one registry (:data:`SOURCES`), the way pandas
registers its Excel engines; adding one is one module and one
:func:`register_source` call:

=========  ===================================  ===============================
source     recognised by                        needs
=========  ===================================  ===============================
csv        ``.csv``, ``.tsv``, ``.txt``          nothing (Python's csv module)
parquet    ``PAR1`` magic, ``.parquet`` / ``.pq``  the ``warehouse`` extra (pyarrow)
duckdb     ``DUCK`` magic, ``.duckdb`` / ``.ddb``  the ``warehouse`` extra (duckdb)
sqlite     ``SQLite format 3`` magic, ``.sqlite``   nothing (Python's sqlite3)
workbook   ``.xlsx`` / ``.xlsm`` / ...            nothing (registered by the refresh)
=========  ===================================  ===============================

Databases take ``table=`` or ``query=`` (``--table`` / ``--query``) and are
opened read-only.  From Python, :func:`open_source` also takes a DataFrame, a
DuckDB relation, a pyarrow Table or anything with ``to_pandas()``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from xl_kpi.errors import UserError
from xl_kpi.sources.registry import SOURCES, WAREHOUSE_EXTRA, Source, SourceTable, need_extra, register_source
from xl_kpi.sources import databases, files  # noqa: F401,E402 - the built-in sources register themselves

__all__ = ["SourceTable", "Source", "SOURCES", "register_source", "open_source", "source_for", "need_extra",
           "WAREHOUSE_EXTRA"]

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")


def source_for(path: Path) -> Source:
    """The source that reads ``path``: by its first bytes, else by its extension."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder, not a file") from None
    for source in SOURCES.values():
        if source.magic is not None and source.magic(head):
            return source
    suffix = path.suffix.lower()
    for source in SOURCES.values():
        if suffix in source.suffixes:
            return source
    if suffix in WORKBOOK_SUFFIXES:  # the workbook source lives with the refresh, which registers it
        raise UserError(f"{path}: an Excel workbook: read its table with xl_kpi.refresh.refresh_file(book, "
                        f"ledger={str(path)!r}) or xl-kpi refresh BOOK --ledger {path}")
    known = ", ".join(s for src in SOURCES.values() for s in src.suffixes)
    raise UserError(f"{path}: not a file type xl-kpi reads (it reads {known}; "
                    f"a database file by its contents)")


def open_source(spec: Any, *, table: str | None = None, query: str | None = None) -> SourceTable:
    """Read the table ``spec`` names: a path, or an in-memory table from Python.

    Raises :class:`xl_kpi.errors.UserError` with a one-line message naming
    the file for a missing or unreadable file, a missing extra, an unknown
    table or a failing query.
    """
    if isinstance(spec, SourceTable):
        return spec
    if isinstance(spec, pd.DataFrame):
        _no_database_options("a DataFrame", table, query)
        return SourceTable("the DataFrame", spec)
    if not isinstance(spec, (str, os.PathLike)):
        return SourceTable(type(spec).__name__, _to_frame(spec, table, query))
    path = Path(spec)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    source = source_for(path)
    if source.tables and query is None:
        pass
    elif not source.database:
        _no_database_options(f"{path} ({source.description})", table, query)
    elif table is not None and query is not None:
        raise UserError(f"{path}: give either a table (--table) or a query (--query), not both")
    if source.modules:
        need_extra(f"Reading {path} ({source.description})", source.modules, source.extra)
    return source.read(path, str(path), table=table, query=query)


def _no_database_options(what: str, table, query) -> None:
    if table is not None or query is not None:
        raise UserError(f"{what}: --table and --query are for databases (DuckDB, SQLite)")


def _to_frame(obj: Any, table, query) -> pd.DataFrame:
    """A DuckDB relation, pyarrow Table, Ibis or Polars table ... as a DataFrame."""
    _no_database_options(type(obj).__name__, table, query)
    for method in ("df", "to_pandas"):  # DuckDB relations have .df(); Arrow, Ibis, Polars .to_pandas()
        convert = getattr(obj, method, None)
        if callable(convert):
            frame = convert()
            if isinstance(frame, pd.DataFrame):
                return frame
    raise UserError(f"cannot read a ledger from a {type(obj).__name__}: give a file path, a DataFrame, "
                    f"a DuckDB relation or a table with to_pandas()")
