"""The ledger source named in the workbook's Settings table, so the ribbon button (no command line) reads it too.

``xl-kpi refresh BOOK --ledger SOURCE`` names a source on the command line;
the ribbon's "Refresh KPIs" button has none, so the Settings table can name
it instead (its rows are registered in :mod:`xl_kpi.ledger.settings`):

==================  ===========================  ==============================================
Setting             Flag                         Value
==================  ===========================  ==============================================
Ledger source       ``--ledger``                 a CSV, Parquet, DuckDB or SQLite file or another
                                                 workbook; a relative path is relative to the
                                                 workbook's own folder (not the current directory)
Input table         ``--input``                  with a Ledger source: its format (ledger,
                                                 subscriptions, stripe, baremetrics)
Source table        ``--table``                  a database's table or view, another workbook's table
Source query        ``--query``                  a SELECT run on a database
Source columns      ``--columns``                ``customer=Account,month=Invoice Date,mrr=Amount``
Amount unit         ``--amount-unit``            billing exports: units / cents
FX rates            ``--fx``                     billing exports: an FX table file (relative likewise)
Currency            ``--currency``               billing exports: the one currency kept
==================  ===========================  ==============================================

A flag wins over its row.  ``--ledger`` replaces the whole source: the rows
that describe the Settings table's source (its table, query, columns ...)
describe another source, so they are not used, and the refresh says so. A
refresh that used a row says so (``Settings table: Ledger source = ledger.csv``).

>>> values = {"Ledger source": ("data/ledger.csv", 3), "Source table": ("t", 4)}
>>> spec, options, left, used = source_settings(values, "Settings", None, {"table": "u"}, "/books")
>>> spec.replace("\\\\", "/"), options, left, used
('/books/data/ledger.csv', {'table': 'u'}, {}, ['Settings table: Ledger source = data/ledger.csv'])
>>> source_settings(values, "Settings", "other.csv", {}, "/books")[1:]
({}, {}, ['Settings table: Ledger source, Source table not used (--ledger other.csv names the source)'])
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from xl_kpi.errors import UserError
from xl_kpi.ledger.settings import SETTINGS, resolve
from xl_kpi.ledger.validation import LedgerError

__all__ = ["SOURCE_SETTINGS", "source_settings", "refresh_from"]

#: Option key -> the Settings table row that names it (a source's rows, registered in ledger/settings.py).
SOURCE_SETTINGS = {"ledger": "Ledger source", "table": "Source table", "query": "Source query",
                   "columns": "Source columns", "amount_unit": "Amount unit", "fx": "FX rates",
                   "currency": "Currency"}
#: Rows whose value is a file: read relative to the workbook's folder.
_PATHS = ("ledger", "fx")


def source_settings(values: dict, sheet: str | None, ledger: Any, options: dict, base: os.PathLike | str | None
                    ) -> tuple[Any, dict, dict, list[str]]:
    """The source to read and its options, from the flags and the Settings table's source rows.

    ``values``: the Settings table's rows (label -> (value, row)); ``ledger``
    and ``options``: the flags (``--ledger`` and ``table``, ``query``,
    ``columns``, ``amount_unit``, ``fx``, ``currency``, ``input``); ``base``:
    the workbook's folder. Returns (the source or None for the workbook's
    own tables, its options, the Settings rows left for the read options,
    the lines saying which rows were used or passed over).
    """
    labels = [SETTINGS[SOURCE_SETTINGS[k].lower()].label for k in SOURCE_SETTINGS]
    left = {k: v for k, v in values.items() if k not in labels}
    rows = {k: v for k, v in values.items() if k in labels}
    flags = {k: v for k, v in options.items() if v is not None}
    if ledger is not None or "Ledger source" not in rows:
        if rows and ledger is not None:
            return ledger, flags, left, [f"Settings table: {', '.join(rows)} not used (--ledger {ledger} names "
                                         f"the source)"]
        if rows:
            first = min(row for _, row in rows.values())
            raise LedgerError(f"Sheet {sheet!r}, row {first}: {', '.join(repr(r) for r in rows)} describe a "
                              "source, but the 'Ledger source' row is blank: name the file there (or clear them)",
                              row=first, column="Value", sheet=sheet)
        return ledger, flags, left, []
    if "Input table" in left:
        rows["Input table"] = left.pop("Input table")  # with a Ledger source: the source's format
    keys = {**{k: flags.get(k) for k in SOURCE_SETTINGS}, "input": flags.get("input")}
    resolved, used = resolve(rows, keys, sheet)
    out = {k: resolved[k] for k in (*SOURCE_SETTINGS, "input") if resolved.get(k) is not None}
    for key in _PATHS:
        if key in out and flags.get(key) is None:
            out[key] = _relative(out[key], base)
    return out.pop("ledger"), out, left, used


def _relative(value: str, base: os.PathLike | str | None) -> str:
    path = Path(os.path.expanduser(str(value).strip().strip('"')))
    if path.is_absolute() or base is None:
        return str(path)
    return str(Path(base) / path)


def refresh_from(book_source, writer, progress=None, *, base=None, label: str | None = None, ledger: Any = None,
                 source_options: dict | None = None, read: dict | None = None, strict: bool = False,
                 early_source=None):
    """Run the refresh of ``book_source``'s report: from its own tables, or the source a flag or its Settings name.

    One flow for both back ends (the file's :func:`xl_kpi.refresh.refresh_file`
    and the ribbon's :func:`xl_kpi.refresh.refresh_book`): the workbook's
    Settings table is read once, from the workbook, whichever source is read
    (so its As-of month applies to a CSV source as to the Ledger table).
    ``label`` prefixes a message about the workbook's own rows (the file
    name); a source's messages name its file, line and column. ``early_source``: the command line's
    head start of the source's analysis (:mod:`xl_kpi.refresh.source_head_start`), used if it computed
    what this refresh asks, else dropped.
    """
    from xl_kpi.refresh.pipeline import read_options, read_settings, run
    from xl_kpi.sources.ledger_input import ExternalLedgerSource

    start = time.perf_counter()
    values, unknown, sheet = read_settings(book_source)
    options = dict(source_options or {})
    try:
        spec, options, left, used = source_settings(values, sheet, ledger, options, base)
    except LedgerError as exc:
        raise _prefixed(exc, label) from None
    settings = (left, unknown, sheet)
    if spec is None:
        if early_source is not None:
            early_source.close()
        stray = {k: v for k, v in options.items() if k != "input"}
        if stray:
            flags = ", ".join("--" + k.replace("_", "-") for k in stray)
            raise UserError(f"{flags}: only with a ledger source (--ledger SOURCE, or the Settings table's "
                            "'Ledger source' row)")
        if options.get("input") is not None and (read or {}).get("input") is None:
            read = {**(read or {}), "input": options["input"]}  # the workbook's own table to read
        try:
            result = run(book_source, writer, progress, read=read, strict=strict, settings=settings,
                         settings_used=used)
        except LedgerError as exc:
            raise _prefixed(exc, label) from None
        result.seconds = time.perf_counter() - start  # (one clock for every source: the Settings read included)
        return result
    external = ExternalLedgerSource(spec, **options)
    try:
        # a ledger too large for memory (Parquet, DuckDB) is analysed where it is (xl_kpi.engines)
        analysis = external.analysis_in_place(read_options(read, None, settings)[0], early=early_source)
        fmt_options = external.format_options() if analysis is None else None  # opens (reads) the source
        result = run(external, writer, progress, input=external.format.name, options=fmt_options,
                     analysis=analysis, read=read, strict=strict, settings=settings, settings_used=used)
    except LedgerError as exc:
        raise external.relocate(exc) from None
    result.source = external.describe(result.source)
    result.seconds = time.perf_counter() - start  # (the analysis where the ledger lives included)
    return result


def _prefixed(exc: LedgerError, label: str | None) -> LedgerError:
    if not label:
        return exc
    return LedgerError(f"{label}: {exc}", row=exc.row, column=exc.column, value=exc.value, sheet=exc.sheet,
                       detail=exc.detail)
