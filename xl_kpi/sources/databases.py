"""Database sources: a DuckDB file (the ``warehouse`` extra) and SQLite (Python's sqlite3).

Both are opened read-only, so neither a table name nor a query can change
the database.  ``table=`` reads a whole table or view, ``query=`` the result
of a SELECT; rows are numbered 1, 2, ... in the order the database returns
them (give the query an ORDER BY to make that order yours).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd

from xl_kpi.errors import UserError
from xl_kpi.sources.registry import WAREHOUSE_EXTRA, Source, SourceTable, register_source

__all__ = ["read_duckdb", "read_sqlite"]


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _which(label: str, tables: list[str]) -> UserError:
    listed = ", ".join(repr(t) for t in tables[:20]) or "none"
    return UserError(f"{label}: a database: say which table to read (--table NAME; its tables: {listed}) "
                     f"or give a query (--query \"SELECT ...\")")


def read_duckdb(path: Path, label: str, table: str | None = None, query: str | None = None) -> SourceTable:
    """A DuckDB table or query result as a DataFrame (DuckDB's own types)."""
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise UserError(f"{label}: not a readable DuckDB database ({_first_line(exc)})") from None
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY table_name").fetchall()]
        if table is None and query is None:
            raise _which(label, tables)
        try:
            if table is not None:
                if table not in tables and table.lower() not in {t.lower() for t in tables} and "." not in table:
                    raise UserError(f"{label}: no table {table!r} (its tables: "
                                    f"{', '.join(repr(t) for t in tables[:20]) or 'none'})")
                rel, where = con.table(table), f"{label}, table {table!r}"
            else:
                rel, where = con.sql(query), f"{label}, query"
            if rel is None:
                raise UserError(f"{label}: the query returns no rows to read (it must be a SELECT)")
            frame = rel.df()
        except duckdb.Error as exc:
            raise UserError(f"{label}: the {'table' if table is not None else 'query'} could not be read: "
                            f"{_first_line(exc)}") from None
    finally:
        con.close()
    return SourceTable(where, frame, "row")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_sqlite(path: Path, label: str, table: str | None = None, query: str | None = None) -> SourceTable:
    """A SQLite table or query result as an object DataFrame (SQLite's values as stored)."""
    try:
        con = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise UserError(f"{label}: not a readable SQLite database ({_first_line(exc)})") from None
    try:
        try:
            tables = [r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name").fetchall()]
        except sqlite3.DatabaseError as exc:
            raise UserError(f"{label}: not a readable SQLite database ({_first_line(exc)})") from None
        if table is None and query is None:
            raise _which(label, tables)
        if table is not None:
            match = [t for t in tables if t.lower() == table.lower()]
            if not match:
                raise UserError(f"{label}: no table {table!r} (its tables: "
                                f"{', '.join(repr(t) for t in tables[:20]) or 'none'})")
            sql, where = f"SELECT * FROM {_quote(match[0])}", f"{label}, table {table!r}"
        else:
            sql, where = query, f"{label}, query"
        try:
            cur = con.execute(sql)
            if cur.description is None:
                raise UserError(f"{label}: the query returns no rows to read (it must be a SELECT)")
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
        except sqlite3.Error as exc:
            raise UserError(f"{label}: the {'table' if table is not None else 'query'} could not be read: "
                            f"{_first_line(exc)}") from None
    finally:
        con.close()
    frame = pd.DataFrame({n: pd.Series([r[j] for r in rows], dtype=object) for j, n in enumerate(names)})
    return SourceTable(where, frame, "row")


register_source(Source("duckdb", "a DuckDB database", (".duckdb", ".ddb"), read_duckdb,
                       magic=lambda head: head[8:12] == b"DUCK", database=True, extra=WAREHOUSE_EXTRA,
                       modules=("duckdb",)))
register_source(Source("sqlite", "a SQLite database", (".sqlite", ".sqlite3", ".db"), read_sqlite,
                       magic=lambda head: head.startswith(b"SQLite format 3\x00"), database=True))
