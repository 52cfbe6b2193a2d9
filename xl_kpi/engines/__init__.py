"""Compute engines: the same ledger analyses in memory (numpy) or where the data lives (Ibis).

======== ====================================================================
engine   what it is
======== ====================================================================
numpy    :mod:`xl_kpi.ledger`, in memory: a DataFrame in, fast up to a few
         million rows (an Excel sheet holds at most 1,048,576)
ibis     :mod:`xl_kpi.engines.ibis_engine`: the analyses as Ibis expressions
         run by the database that holds the data (DuckDB embedded by default,
         for Parquet files and frames; Spark, BigQuery, Snowflake, Postgres
         when the source is an Ibis table of that backend). Needs
         ``pip install "xl_kpi[warehouse]"``
======== ====================================================================

Both give the same frames (columns, dtypes, numbers to 1e-9, checked by the
test suite on random ledgers), because both end in the ledger package's frame
builders (:func:`xl_kpi.ledger.bridge.bridge_from_totals`,
:func:`xl_kpi.ledger.cohorts.cohort_frame`) and compute every rate with the
core KPI functions.

:func:`ledger` returns the ledger object of the chosen engine
(:class:`xl_kpi.ledger.Ledger` or :class:`~xl_kpi.engines.ibis_engine.IbisLedger`),
both with ``bridge()``, ``cohorts(basis)``, ``cohort_matrix(basis)``,
``monthly_kpis()``, ``n_rows``, ``n_customers``, ``n_months``;
:func:`analysis_of` computes from either what a refresh reports
(:class:`Analysis`), and :func:`analyse` is the two in one call.

>>> import pandas as pd
>>> df = pd.DataFrame({"customer_id": ["a", "b", "a"], "month": pd.to_datetime(["2024-01-01"] * 2 + ["2024-02-01"]),
...                    "mrr": [10.0, 20.0, 25.0]})
>>> [analyse(df, engine=e).bridge["churned_mrr"].tolist() for e in ENGINES]
[[0.0, 20.0], [0.0, 20.0]]
>>> choose_engine(df), choose_engine("big.parquet", rows=10_000_000)
('numpy', 'ibis')
"""

from __future__ import annotations

import os
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from xl_kpi.engines.extras import WAREHOUSE, MissingExtraError, import_optional
from xl_kpi.ledger.monthly import monthly_kpis
from xl_kpi.ledger.prepared import prepare_ledger
from xl_kpi.ledger.validation import LedgerError

__all__ = ["ENGINES", "LARGE_ROWS", "Analysis", "analyse", "analysis_of", "choose_engine", "ledger", "large_table",
           "MissingExtraError", "in_source_terms"]

ENGINES = ("numpy", "ibis")

#: A Parquet file with more rows than this is analysed by the Ibis engine with
#: ``engine="auto"`` (the numpy path holds every row in memory as Python ids).
LARGE_ROWS = 1_048_576


@dataclass(frozen=True)
class Analysis:
    """What a refresh reports of a ledger: the bridge, both cohort matrices, the monthly KPIs.

    ``ledger`` is the engine's ledger object, for any further analysis a
    report sheet needs (it reuses the same customer-month totals, or the same
    database).
    """

    ledger: Any = field(repr=False)
    bridge: pd.DataFrame = field(repr=False)
    logo_cohorts: pd.DataFrame = field(repr=False)
    revenue_cohorts: pd.DataFrame = field(repr=False)
    monthly: pd.DataFrame = field(repr=False)

    @property
    def customers(self) -> int:
        return self.ledger.n_customers

    @property
    def rows(self) -> int:
        """Ledger rows used (completely blank rows are skipped)."""
        return self.ledger.n_rows


def analysis_of(ledger: Any) -> Analysis:
    """The :class:`Analysis` of a ledger object of either engine."""
    bridge = ledger.bridge()
    return Analysis(ledger, bridge, ledger.cohorts("logo"), ledger.cohorts("revenue"), monthly_kpis(bridge))


def _is_ibis_table(source: Any) -> bool:
    mod = type(source).__module__
    return mod.startswith("ibis.") and hasattr(source, "schema") and hasattr(source, "to_pyarrow")


def _is_path(source: Any) -> bool:
    return isinstance(source, (str, os.PathLike))


def parquet_rows(path: str | os.PathLike) -> int:
    """The row count in a Parquet file's footer (nothing else is read), without pyarrow
    (:mod:`xl_kpi.sources.parquet_footer`: its import costs the command line 50 ms); ValueError for a file
    that does not end with a Parquet footer. (Reading the file is what needs the warehouse extra.)"""
    from xl_kpi.sources.parquet_footer import parquet_rows as footer_count

    return footer_count(path)


def large_table(path: str | os.PathLike, *, table: str | None = None, query: str | None = None):
    """An Ibis table over ``path`` when it is a ledger too large for memory, else None.

    A Parquet file of more than :data:`LARGE_ROWS` rows (its footer says), or
    a DuckDB database's ``table`` / ``query`` of more than that many rows
    (opened read-only). The refresh asks this before reading a ``--ledger``
    source into memory; for None it reads the source as usual.
    """
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            magic = fh.read(16)
    except OSError:
        return None  # the source reader names the problem
    if magic.startswith(b"PAR1") or p.suffix.lower() in (".parquet", ".pq"):
        if table is not None or query is not None:
            return None
        try:
            rows = parquet_rows(p)
        except (OSError, ValueError):  # not readable as Parquet
            return None  # the source reader says so in its own words
        if rows <= LARGE_ROWS:
            return None
        from xl_kpi.engines.ibis_engine import ibis_table

        duckdb = import_optional("duckdb", WAREHOUSE, "the Ibis engine")
        try:
            return ibis_table(p)
        except duckdb.Error:  # a footer damaged past its row count (read only that far): said as for any other
            return None
    if magic[8:12] == b"DUCK" or p.suffix.lower() in (".duckdb", ".ddb"):
        if (table is None) == (query is None):
            return None  # the source reader asks for one of them
        from xl_kpi.engines.ibis_engine import duckdb_table
        from xl_kpi.ledger.validation import LedgerError

        try:
            t = duckdb_table(p, table=table, query=query)
        except LedgerError:
            return None  # no such table, a bad query ...: the source reader says so in its own words
        # a query is run to be counted: counted only up to the first row past LARGE_ROWS (DuckDB stops there
        # when the query streams), not to its end, since the analysis runs it again
        return t if t.limit(LARGE_ROWS + 1).count().to_pyarrow().as_py() > LARGE_ROWS else None
    return None


def choose_engine(source: Any, rows: int | None = None) -> str:
    """The engine ``engine="auto"`` uses: ibis for database tables and Parquet files of more than
    :data:`LARGE_ROWS` rows (``rows``: their count if known), numpy for frames and smaller files."""
    if _is_ibis_table(source):
        return "ibis"
    if _is_path(source):
        n = parquet_rows(source) if rows is None else rows
        return "ibis" if n > LARGE_ROWS else "numpy"
    return "numpy"


def ledger(source: Any, customer: str = "customer_id", month: str = "month", mrr: str = "mrr", *,
           engine: str = "auto", first_row: int = 2, sheet: str | None = None, **options: Any):
    """The ledger ``source`` (a DataFrame, a Parquet path or an Ibis table) validated, with its analyses.

    ``options`` (such as ``as_of``) go to the engine's ledger. Raises
    :class:`xl_kpi.ledger.LedgerError` for a bad row (naming row and column),
    :class:`MissingExtraError` (naming the pip command) when the Ibis engine
    is needed and not installed.
    """
    if engine not in ("auto", *ENGINES):
        raise ValueError(f"engine must be 'auto', 'numpy' or 'ibis', got {engine!r}")
    if engine == "auto":
        engine = choose_engine(source)
    if engine == "ibis":
        from xl_kpi.engines.ibis_engine import IbisLedger

        if not _is_path(source):
            return IbisLedger(source, customer, month, mrr, first_row=first_row, sheet=sheet, **options)
        try:
            return IbisLedger(source, customer, month, mrr, first_row=1, **options)
        except LedgerError as exc:
            raise in_source_terms(exc, str(source), first_row=1) from None
    if _is_path(source):
        import_optional("pyarrow", WAREHOUSE, "reading Parquet files")
        from xl_kpi.ledger.validation import relocate
        from xl_kpi.sources import open_source

        table = open_source(Path(source))
        try:
            return prepare_ledger(table.frame, customer, month, mrr, first_row=1, **options)
        except LedgerError as exc:
            raise relocate(exc, table, first_row=1) from None
    if _is_ibis_table(source):
        source = source.to_pandas()
    return prepare_ledger(source, customer, month, mrr, first_row=first_row, sheet=sheet, **options)


def in_source_terms(exc: LedgerError, label: str, first_row: int) -> LedgerError:
    """``exc``, whose rows are counted from ``first_row``, in the words the sources use for a file's rows.

    One convention for every path: a Parquet file's or a database's rows are
    its data rows counted from 1 ("row 1" is the first row after the
    header; a CSV says "line N", the line of the file, header = line 1), as
    :meth:`xl_kpi.sources.SourceTable.locate` names them and
    :func:`xl_kpi.ledger.validation.relocate` words the message
    (``big.parquet: row 2, column 'mrr': 'x' is not a number``), whichever
    engine found the row.

    >>> err = LedgerError("Row 2, column 'mrr': 'x' is not a number", row=2, column="mrr",
    ...                   detail="'x' is not a number")
    >>> str(in_source_terms(err, "big.parquet", first_row=1))
    "big.parquet: row 2, column 'mrr': 'x' is not a number"
    """
    from xl_kpi.ledger.validation import relocate
    from xl_kpi.sources.registry import SourceTable

    # the frame only bounds the position relocate checks: the row was found, so it exists
    rows = 0 if exc.row is None else exc.row - first_row + 1
    return relocate(exc, SourceTable(label, pd.DataFrame(index=pd.RangeIndex(max(rows, 0)))), first_row)


def analyse(source: Any, customer: str = "customer_id", month: str = "month", mrr: str = "mrr", *,
            engine: str = "auto", first_row: int = 2, sheet: str | None = None, **options: Any) -> Analysis:
    """Validate ``source`` and compute what a refresh reports, with the chosen engine (see :func:`ledger`).

    With the Ibis engine the data is sorted once in the database, by customer
    and month, for each customer's window columns (a ledger of one row per
    customer-month straight from its rows, any other into a table of
    customer-month totals first: :attr:`IbisLedger.plan`), from which the
    checks, the bridge, both cohorts and the trailing retention are computed;
    only per-month and per-cohort totals come back to Python.
    """
    return analysis_of(ledger(source, customer, month, mrr, engine=engine, first_row=first_row, sheet=sheet,
                              **options))
