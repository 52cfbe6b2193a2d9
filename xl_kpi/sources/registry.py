"""The registry of sources: what a source gives (:class:`SourceTable`) and how one is registered.

Kept apart from :mod:`xl_kpi.sources` (which reads) so that a source defined
elsewhere (the workbook source, in :mod:`xl_kpi.refresh.workbook_source`)
registers itself without importing the readers.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from xl_kpi.errors import UserError

__all__ = ["SourceTable", "Source", "SOURCES", "register_source", "need_extra", "WAREHOUSE_EXTRA"]

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
    are set for a workbook's table, whose name suggests the format;
    ``below`` holds a workbook table's rows right below it (same columns)
    and ``below_number`` the number of the first of them (after a Total
    Row), so that rows typed outside the table are reported as for the
    book's own table.
    """

    label: str
    frame: pd.DataFrame
    unit: str = "row"
    numbers: np.ndarray | None = None
    sheet: str | None = None
    table: str | None = None
    notes: list[str] = field(default_factory=list)
    below: list = field(default_factory=list)
    below_number: int | None = None

    def locate(self, position: int) -> str:
        """The user's name for the row at ``position`` (0-based) of ``frame``.

        >>> t = SourceTable("a.csv", pd.DataFrame({"x": [1, 2]}), "line", np.array([2, 5]))
        >>> t.locate(1), SourceTable("t", pd.DataFrame({"x": [1]})).locate(0)
        ('line 5', 'row 1')
        """
        return self.name(int(self.numbers[position]) if self.numbers is not None else position + 1)

    def name(self, number: int) -> str:
        """The user's name for the row numbered ``number`` ("line 12", "sheet 'Data', row 7")."""
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
