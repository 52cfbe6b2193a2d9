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
workbook   ``.xlsx`` / ``.xlsm`` / ...            nothing
=========  ===================================  ===============================

Databases take ``table=`` or ``query=`` (``--table`` / ``--query``) and are
opened read-only.  From Python, :func:`open_source` also takes a DataFrame, a
DuckDB relation, a pyarrow Table or anything with ``to_pandas()``.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from xl_kpi.errors import UserError

__all__ = ["SourceTable", "Source", "SOURCES", "register_source", "open_source", "source_for", "need_extra",
           "relocate", "compute_on"]

#: The pip extra that brings pyarrow and duckdb.
WAREHOUSE_EXTRA = "warehouse"


@dataclass
class SourceTable:
    """A table as a source read it.

    ``frame`` holds the columns under the source's own headers, values as
    read (text from a CSV, typed values from Parquet or a database).
    ``numbers[i]`` is how the user counts row i (a CSV's line, a sheet's
    row; by default 1, 2, ... in the order read) and ``unit`` what it is
    called ("line", "row").  ``label`` names the source in messages
    ("ledger.csv", "wh.duckdb, table 'ledger'"); ``sheet`` and ``table``
    are set for a workbook's table, whose name suggests the format.
    """

    label: str
    frame: pd.DataFrame
    unit: str = "row"
    numbers: np.ndarray | None = None
    sheet: str | None = None
    table: str | None = None
    notes: list[str] = field(default_factory=list)

    def locate(self, position: int) -> str:
        """The user's name for the row at ``position`` (0-based) of ``frame``.

        >>> t = SourceTable("a.csv", pd.DataFrame({"x": [1, 2]}), "line", np.array([2, 5]))
        >>> t.locate(1), SourceTable("t", pd.DataFrame({"x": [1]})).locate(0)
        ('line 5', 'row 1')
        """
        number = int(self.numbers[position]) if self.numbers is not None else position + 1
        where = f"{self.unit} {number}"
        return f"sheet {self.sheet!r}, {where}" if self.sheet else where


@dataclass(frozen=True)
class Source:
    """One registered source.

    ``read(path, label, table=None, query=None) -> SourceTable``; ``magic``
    tells from a file's first 16 bytes whether it is this kind of file;
    ``database`` sources take ``table`` / ``query``, ``tables`` ones only
    ``table`` (a workbook's Excel Tables); ``extra`` is the pip extra that
    brings ``modules``.
    """

    name: str
    description: str
    suffixes: tuple[str, ...]
    read: Callable[..., SourceTable]
    magic: Callable[[bytes], bool] | None = None
    database: bool = False
    tables: bool = False
    extra: str | None = None
    modules: tuple[str, ...] = ()


SOURCES: dict[str, Source] = {}


def register_source(source: Source) -> Source:
    """Add a source to :data:`SOURCES` (a later entry of the same name replaces it)."""
    SOURCES[source.name] = source
    return source


def need_extra(what: str, modules: tuple[str, ...], extra: str | None = WAREHOUSE_EXTRA) -> None:
    """Import ``modules`` or raise a UserError naming the extra to install."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            raise UserError(f"{what} needs the Python package {module!r}, which is not installed: "
                            f'pip install "xl_kpi[{extra}]"') from None


def source_for(path: Path) -> Source:
    """The source that reads ``path``: by its first bytes, else by its extension."""
    _load()
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


def relocate(exc, table: SourceTable, first_row: int = 2, column=None):
    """A :class:`~xl_kpi.ledger.LedgerError` about ``table.frame`` (rows counted from ``first_row``) restated
    in the source's terms: ``ledger.csv: line 12, column 'MRR': ...``.  ``column`` maps a header back to
    the user's name."""
    from xl_kpi.ledger.validation import LedgerError

    name = column(exc.column) if column is not None else exc.column
    if exc.row is None:
        return LedgerError(f"{table.label}: {exc.detail}", column=name, value=exc.value, detail=exc.detail)
    position = exc.row - first_row
    where = table.locate(position) if 0 <= position < len(table.frame) else f"row {exc.row}"
    text = f"{where}, column {name!r}" if name else where
    return LedgerError(f"{table.label}: {text}: {exc.detail}", row=exc.row, column=name, value=exc.value,
                       sheet=table.sheet, detail=exc.detail)


def compute_on(spec: Any, compute: Callable[[pd.DataFrame], Any], *, table: str | None = None,
               query: str | None = None) -> Any:
    """``compute(frame)`` on the table ``spec`` names (see :func:`open_source`), rows counted from 2;
    a bad row is reported in the source's terms (:func:`relocate`).  The ledger functions use it for
    input that is not a DataFrame."""
    from xl_kpi.ledger.validation import LedgerError

    source = open_source(spec, table=table, query=query)
    try:
        return compute(source.frame)
    except LedgerError as exc:
        raise relocate(exc, source) from None


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


_LOADED = False


def _load() -> None:
    """Register the built-in sources (imported late: each module is small, but duckdb is not)."""
    global _LOADED
    if not _LOADED:
        _LOADED = True
        from xl_kpi.sources import databases, files, workbook  # noqa: F401 - they register themselves
