"""The refresh pipeline: input table in, report out, through two small interfaces.

::

    TableSource.read_table(name) -> RawTable       (file: calamine; live: xlwings; xl_kpi.ledger.raw)
        -> select_input()        which registered input format, which table (xl_kpi.ledger.formats)
        -> ledger_frame()        the format's converter: its columns -> the ledger frame
        -> analyse()             validation + MRR bridge + cohorts + monthly KPIs (xl_kpi.ledger)
        -> build_report()        what to write (xl_kpi.refresh.report)
        -> plan_refresh()        what of the workbook's it may replace: the recorded earlier
                                 report, nothing of the user's (xl_kpi.refresh.ownership)
    ReportWriter.inventory() / .write(report, plan)  (file: zip package; live: xlwings)

The pipeline never knows which back end it talks to, nor which format it
reads: both are looked up.  Everything that can fail on the user's data
(missing column, text amount, bad date, negative MRR, a user's sheet named
like a report sheet) fails *before* ``write`` is called, so it changes nothing.

Progress is reported through a callback ``progress(fraction, message)``
with ``fraction`` in [0, 1]; the CLI draws a bar, the live back end sets
Excel's status bar.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np
import pandas as pd

from xl_kpi.cells import blank_mask, blank_mask_of_codes, is_blank
from xl_kpi.errors import UserError
from xl_kpi.engines import Analysis, analysis_of
from xl_kpi.ledger import prepare_ledger
from xl_kpi.ledger.formats import (CUSTOMER, MONTH, MRR, InputFormat, columns_of, formats, get_format, grid,
                                   ledger_frame)
from xl_kpi.ledger.checks import DataChecks
from xl_kpi.ledger.raw import RawTable, TableSource
from xl_kpi.ledger.settings import SETTINGS_TABLE, parse_settings, resolve
from xl_kpi.ledger.validation import LedgerError
from xl_kpi.refresh.ownership import Inventory, Plan, plan_refresh
from xl_kpi.refresh.data_checks import add_period_notes, with_data_checks
from xl_kpi.refresh.report import Report, ReportData, build_report
from xl_kpi.ledger.movements import MOVEMENT_MONTHS
from xl_kpi.refresh.report.content import MOVEMENT_ROWS
from xl_kpi.words import are, counted

Progress = Callable[[float, str], None]


def filled_rows(raw: RawTable, factorized: dict[int, tuple[np.ndarray, np.ndarray]] | None = None) -> int:
    """Rows of the table that are not completely blank.

    ``factorized`` maps a column (0-based) to ``pandas.factorize`` of its cells, when the caller has it
    (the id column, which validation reads that way: :func:`shared_id_codes`): that column is looked at
    first, through its distinct values (:func:`xl_kpi.cells.blank_mask_of_codes`).

    >>> raw = RawTable(["a", "b"], [[None, " "], ["x", None], [None, None]])
    >>> filled_rows(raw), filled_rows(RawTable(raw.header, raw.rows), {1: pd.factorize(grid(raw)[:, 1])})
    (1, 1)
    """
    cached = getattr(raw, "_filled_rows", None)  # asked for by select_input and the stamp: count once
    if cached is not None and cached[0] is raw.rows:
        return cached[1]
    cells = grid(raw)
    factorized = {j: f for j, f in (factorized or {}).items() if 0 <= j < cells.shape[1]}
    # Column by column, looking only at the rows blank so far: a filled first column settles most rows.
    blank = np.arange(cells.shape[0])
    for j in [*factorized, *(j for j in range(cells.shape[1]) if j not in factorized)]:
        if not blank.size:
            break
        if j in factorized and blank.size == cells.shape[0]:
            blank = blank[blank_mask_of_codes(cells[:, j], *factorized[j])]
        else:
            blank = blank[blank_mask(cells[blank, j])]
    count = int(cells.shape[0] - blank.size) if cells.shape[1] else 0
    raw._filled_rows = (raw.rows, count)
    return count


def has_filled_row(raw: RawTable) -> bool:
    """Whether the table has a row that is not completely blank (``filled_rows(raw) > 0``), looking at the
    first rows first: a table's data begins at its top, so this is settled without reading a million rows.

    >>> has_filled_row(RawTable(["a"], [[None]] * 3000 + [["x"]])), has_filled_row(RawTable(["a"], [[" "]]))
    (True, False)
    """
    cached = getattr(raw, "_filled_rows", None)
    if cached is not None and cached[0] is raw.rows:
        return cached[1] > 0
    cells = grid(raw)
    if not cells.shape[1]:
        return False
    start, step = 0, 256
    while start < cells.shape[0]:  # blocks that double: a table of blank rows costs ~2 passes, not one per block
        block = cells[start:start + step]
        if not blank_mask(block).all():
            return True
        start, step = start + step, step * 2
    return False


def shared_id_codes(raw: RawTable, fmt: InputFormat, df: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``pandas.factorize`` of the ledger frame's ids, for validation to read them through
    (:func:`xl_kpi.ledger.ids.parse_ids`: one pass of hashing over a million ids) and, when the frame's id
    column is the table's column itself (the same memory: a view, not a copy nor a conversion), for the
    blank-row count too (:func:`filled_rows`).  Empty for a format whose rows are not the table's.

    >>> from xl_kpi.ledger.raw import GridRows
    >>> raw = RawTable(["Customer ID", "Month", "MRR"],
    ...                GridRows(np.array([["a", "2024-01", 1.0], ["a", "2024-02", 2.0]], dtype=object)))
    >>> fmt = get_format("ledger")
    >>> shared_id_codes(raw, fmt, ledger_frame(raw, fmt))[CUSTOMER][0].tolist(), raw._factorized[1].keys()
    ([0, 0], dict_keys([0]))
    """
    if not fmt.ledger_rows or CUSTOMER not in df.columns or df[CUSTOMER].dtype != object or not len(df):
        return {}
    ids = df[CUSTOMER].to_numpy()
    codes = pd.factorize(ids)
    j = columns_of(raw, fmt).get(CUSTOMER)
    # (only rows a source read as one array, a GridRows: grid() would make an array of row lists anew)
    column = grid(raw)[:, j] if j is not None and isinstance(getattr(raw.rows, "cells", None), np.ndarray) else None
    if column is not None and _same_memory(column, ids):
        raw._factorized = (raw.rows, {j: codes})
    return {CUSTOMER: codes}


def _same_memory(a: np.ndarray, b: np.ndarray) -> bool:
    """The two arrays are the same cells: the same memory, read the same way (so the same values)."""
    return (a.dtype == b.dtype and a.shape == b.shape and a.strides == b.strides
            and a.__array_interface__["data"][0] == b.__array_interface__["data"][0])


def table_codes(raw: RawTable) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """The factorised columns of ``raw`` that :func:`shared_id_codes` left for :func:`filled_rows`."""
    cached = getattr(raw, "_factorized", None)
    return cached[1] if cached is not None and cached[0] is raw.rows else {}


def _no_input(label: str) -> UserError:
    tables = " or ".join(f"{f.table!r} (columns {', '.join(f.headers)})" for f in formats())
    return UserError(f"{label}: no Excel Table named {tables}; select your data and use "
                     f"Insert > Table, then name the table under Table Design")


def select_input(source: TableSource, choice: str | None = None) -> tuple[InputFormat, RawTable]:
    """The input format and table to read: ``choice`` (a format or table name) or the one holding data.

    Every registered format whose table the source holds is a candidate.
    Exactly one with data rows is read; when several hold data the user must
    choose (``--input NAME`` or the workbook setting), since reading one
    silently would report the wrong numbers; when none holds data, the first
    candidate is read (and refused later as empty).
    """
    present = {n.lower(): n for n in source.table_names()}
    if choice:
        fmt = get_format(choice)
        if fmt.table.lower() not in present:
            raise UserError(f"{source.label}: no Excel Table named {fmt.table!r} (the input chosen is "
                            f"{choice!r})")
        return fmt, source.read_table(present[fmt.table.lower()])
    candidates = [(f, source.read_table(present[f.table.lower()])) for f in formats() if f.table.lower() in present]
    if not candidates:
        raise _no_input(source.label)
    with_data = [(f, raw) for f, raw in candidates if has_filled_row(raw)]
    if len(with_data) > 1:
        listed = " and ".join(f"{raw.table!r} ({counted(filled_rows(raw), 'row')})" for _, raw in with_data)
        names = " or ".join(f.name for f, _ in with_data)
        raise UserError(f"{source.label}: both {listed} hold data; choose one with --input {names.split(' or ')[0]} "
                        f"(or --input {names.split(' or ')[-1]}), or the Settings table's 'Input table' row")
    return with_data[0] if with_data else candidates[0]


class ReportWriter(Protocol):
    def inventory(self) -> Inventory:
        """The workbook's sheets, tables, workbook-level names and ownership marker, before writing."""

    def write(self, report: Report, plan: Plan, progress: Progress | None = None) -> None:
        """Write ``report``, replacing exactly what ``plan`` names (see :mod:`xl_kpi.refresh.ownership`)."""


@dataclass
class RefreshResult:
    """What a refresh did (the CLI prints it; the demo prints KPIs from its ``bridge``)."""

    target: str
    sheets: list[str]
    ledger_rows: int
    months: int
    customers: int
    bridge: pd.DataFrame = field(repr=False)
    seconds: float = 0.0
    #: What the reader must know about the input (a ledger source's file and format, a billing export's
    #: amount unit and currency); "" for a workbook's own Ledger table.
    source: str = ""
    #: Warning lines, one per data check (the CLI prints them before the summary line).
    checks: list[str] = field(default_factory=list)
    #: The trailing twelve-month retention the Retention sheet shows (:func:`xl_kpi.ledger.trailing_retention`).
    trailing: pd.DataFrame | None = field(default=None, repr=False)
    #: The structured data checks (name, count, examples) and how the data was read (notes).
    data_checks: DataChecks = field(default_factory=DataChecks, repr=False)
    #: The input table read ("Ledger"), its sheet, the month range ("Jan 2024 - Jun 2024") and the as-of month.
    table: str = ""
    sheet: str | None = None
    month_range: str = ""
    as_of: str = ""
    #: Settings of the workbook's Settings table that were used ("Settings table: As-of month = 2024-06").
    settings_used: list[str] = field(default_factory=list)
    stamp: dict = field(default_factory=dict, repr=False)


#: The ledger frame's segment column (added by :func:`segment_column`).
SEGMENT = "Segment"
#: Headers of a ledger column read as the customers' segment (the first found; case ignored).
SEGMENT_HEADERS = ("Plan", "Segment", "Region", "Channel")
#: Month (1-12) in which the fiscal year starts, until the workbook's settings say otherwise.
FISCAL_YEAR_START = 1


def segment_column(raw: RawTable, fmt: InputFormat, df: pd.DataFrame, name: str | None = None) -> str | None:
    """Add the ledger's segment column to ``df`` (the ledger frame of ``raw``); return its header, or None.

    The column named ``name`` (a setting), else the first headed like one of
    :data:`SEGMENT_HEADERS`.  Only a ledger format has one row per frame row
    (a subscription list is expanded into months), so only there.
    """
    if not fmt.ledger_rows or len(df) != len(raw.rows):
        return None
    headers = {" ".join(str(h).split()).lower(): j for j, h in reversed(list(enumerate(raw.header)))}
    wanted = [name] if name else list(SEGMENT_HEADERS)
    for header in wanted:
        j = headers.get(header.lower())
        if j is not None:
            values = pd.Series(grid(raw)[:, j], dtype=object)
            df[SEGMENT] = values.where(values.notna() & (values.astype(str).str.strip() != ""), "(none)").astype(str)
            return str(raw.header[j]).strip()
    return None


def report_movements(ledger, months: int | None = None) -> pd.DataFrame:
    """The customer movements the MRR Movements sheet lists: those of the latest ``months`` months with a movement.

    ``months`` defaults to :data:`xl_kpi.ledger.movements.MOVEMENT_MONTHS`. The Ibis engine
    is asked for those months only (its database filters: memory is the size of the report, not of
    the data); the in-memory ledger cuts its movements to those months before it sorts and frames
    them, as :func:`xl_kpi.ledger.movements.latest_months` (the sheet's own cut) would cut them all.
    """
    months = MOVEMENT_MONTHS if months is None else months
    if hasattr(ledger, "movement_months"):  # the Ibis engine
        return ledger.movements(latest=months, rows=MOVEMENT_ROWS)  # only the rows the table lists
    return ledger.movements(latest=months)


def report_data(result: Analysis, fiscal_year_start: int = FISCAL_YEAR_START,
                segment_name: str | None = None) -> ReportData:
    """Everything the report sheets show, from the analysis (the same customer-month totals throughout)."""
    ledger = result.ledger
    quarterly = ledger.rollup("quarter", fiscal_year_start)
    annual = ledger.rollup("year", fiscal_year_start)
    segments = seg_trailing = None
    if segment_name is not None and getattr(ledger, "segments", None) is not None:
        segments = ledger.bridge(by_segment=True)
        seg_trailing = ledger.trailing_retention(by_segment=True)
    return ReportData(result.bridge, result.logo_cohorts, result.revenue_cohorts, result.monthly,
                      trailing=ledger.trailing_retention(12), movements=report_movements(ledger), quarterly=quarterly,
                      annual=annual, cohort_sizes=ledger.cohort_sizes(), segments=segments,
                      segment_trailing=seg_trailing, segment_name=segment_name,
                      fiscal_year_start=fiscal_year_start)


#: Rows of a table's neighbourhood read to find rows typed just below it.
def outside_advice(raw: RawTable) -> str:
    """What to do with rows typed below a table.  Under a Total Row, resizing the table is no remedy: a
    table's Total Row is always its last row and a resize moves no cell, so the Total Row would become a
    data row (refused: its month is blank) and the last typed row the new Total Row (not read).

    >>> outside_advice(RawTable(["a"], [[1]], first_row=2, below_row=4))
    'move them into the table above its Total Row (insert table rows there, then cut and paste them in); resizing the table would turn its Total Row into a data row'
    """
    if raw.has_total_row():
        return ("move them into the table above its Total Row (insert table rows there, then cut and paste them "
                "in); resizing the table would turn its Total Row into a data row")
    return "extend the table to include them (drag its lower-right corner, or Table Design > Resize Table)"


def outside_rows(raw: RawTable, fmt: InputFormat) -> list[int]:
    """Row numbers of the rows right below the table that hold something (until the first blank row).

    They start below the table's Total Row when it has one (:meth:`RawTable.first_below`, which the
    source knows: the file and the live back end set ``below_row``).

    >>> outside_rows(RawTable(["a", "b"], [[1, 2]], first_row=2, below=[["x", 3], [None, None], ["y", 1]]),
    ...              None)
    [3]
    >>> outside_rows(RawTable(["a", "b"], [[1, 2]], first_row=2, below=[["x", 3]], below_row=4), None)
    [4]
    """
    out = []
    start = raw.first_below()
    for i, row in enumerate(raw.below):
        if all(is_blank(v) for v in row):
            break
        out.append(start + i)
    return out


def refuse_errors(raw: RawTable) -> None:
    """A cell holding an Excel error is refused, naming the error and its row (whatever the other cells hold)."""
    if not raw.errors:
        return
    err = raw.errors[0]
    column = raw.header[err.column] if err.column < len(raw.header) else f"column {err.column + 1}"
    where = f"Sheet {raw.sheet!r}, row {err.row}, column {column!r}" if raw.sheet else \
        f"Row {err.row}, column {column!r}"
    more = f" ({counted(len(raw.errors) - 1, 'more error cell')})" if len(raw.errors) > 1 else ""
    detail = f"the cell holds the Excel error {err.literal}; fix it or delete the row{more}"
    raise LedgerError(f"{where}: {detail}", row=err.row, column=column, sheet=raw.sheet, value=err.literal,
                      detail=detail)


def refuse_non_finite(label: str, result: Analysis) -> None:
    """A result that is not a finite number (an overflow, a ratio over a tiny MRR) is refused, never a blank cell.

    Rates whose denominator is 0 are NaN by the catalog (a blank cell); an
    infinity is a different thing: a number too large to show.
    """
    import numpy as np

    for what, frame in (("MRR bridge", result.bridge), ("logo retention", result.logo_cohorts),
                        ("revenue retention", result.revenue_cohorts), ("monthly KPIs", result.monthly)):
        if frame is None or frame.empty:
            continue
        values = frame.select_dtypes("number")
        bad = np.isinf(values.to_numpy(dtype=float))
        if bad.any():
            i, j = map(int, np.argwhere(bad)[0])
            row = frame.index[i] if "month" not in frame.columns else frame["month"].iloc[i]
            when = pd.Timestamp(row).strftime("%b %Y") if isinstance(row, (pd.Timestamp, np.datetime64)) else row
            cell = (f"the {what} of the {when} cohort at month {values.columns[j]}" if "retention" in what
                    else f"the {what}' {values.columns[j]} in {when}")
            raise UserError(f"{label}: {cell} is not a finite number ({values.iat[i, j]}): an amount in the "
                            "ledger is too large or too close to 0 for the ratio; check the MRR of those months")


def read_settings(source: TableSource) -> tuple[dict, list[str], str | None]:
    """The Settings table's rows (label -> (value, row)), warnings for unknown rows, and its sheet."""
    names = {n.lower(): n for n in source.table_names()}
    if SETTINGS_TABLE.lower() not in names:
        return {}, [], None
    raw = source.read_table(names[SETTINGS_TABLE.lower()])
    values, unknown = parse_settings(raw.rows, raw.first_row, raw.sheet)
    return values, unknown, raw.sheet


def input_label(source: TableSource, table: RawTable | None) -> str:
    """What was read, for the stamp: the Excel Table and its sheet, or a source's file, table and format."""
    stamp = getattr(source, "stamp_label", None)
    if callable(stamp):
        return stamp()
    if table is None:
        return source.label
    return f"{table.table} (sheet {table.sheet})" if table.sheet else table.table


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("xl_kpi")
    except Exception:  # noqa: BLE001 - not installed (a source checkout): say so rather than fail
        return "unknown (not installed)"


def refresh_time() -> str:
    """Now, as "2026-12-01 10:15 UTC"; ``SOURCE_DATE_EPOCH`` (the reproducible-builds variable) fixes it."""
    import datetime as _dt
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    now = _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc) if epoch else _dt.datetime.now(_dt.timezone.utc)
    return now.strftime("%Y-%m-%d %H:%M UTC")


def analyse(df: pd.DataFrame, sheet: str, first_row: int, **options) -> Analysis:
    """Validate the ledger and compute the bridge, both cohort matrices and the monthly KPIs.

    ``options`` are :func:`xl_kpi.ledger.validate_ledger`'s (``as_of``,
    ``dayfirst``, ``date1904``, ``merge_case``, ``drop_duplicates``).

    A source too large for memory (a big Parquet file, a database table) is
    analysed where it is instead: ``analysis_of(xl_kpi.engines.ledger(source,
    ...))`` gives the same :class:`~xl_kpi.engines.Analysis` from the Ibis
    engine (see :func:`xl_kpi.engines.choose_engine`).

    Validation errors are ``xl_kpi.ledger.LedgerError`` (a ``UserError``)
    naming sheet, row and column.  The ledger is validated, and its
    customer-month totals computed, once for all the analyses.
    """
    segment = SEGMENT if SEGMENT in df.columns else None
    return analysis_of(prepare_ledger(df, CUSTOMER, MONTH, MRR, first_row=first_row, sheet=sheet, segment=segment,
                                      **options))


#: The read options a refresh takes (flags; None = not given, the Settings table or the default decides).
READ_OPTIONS = ("as_of", "dayfirst", "input", "drop_duplicates", "merge_case", "fiscal_year_start")


def read_options(read: dict | None, input: str | None, settings: tuple) -> tuple[dict, list[str], list[str]]:
    """The read options (:data:`READ_OPTIONS`): the flags given (``read``, ``input``) over the Settings table's.

    ``settings`` is :func:`read_settings`'s answer. Returns (options by key,
    the lines saying which settings were used, warnings for unknown rows).
    One function for both paths (a ledger read into memory, and one computed
    where it lives), so the same settings apply to both.
    """
    flags = {k: None for k in READ_OPTIONS}
    flags.update({k: v for k, v in (read or {}).items() if v is not None})
    if input is not None:
        flags["input"] = input
    values, unknown, settings_sheet = settings
    opts, used = resolve(values, flags, settings_sheet)
    return opts, used, list(unknown)


def run(source: TableSource, writer: ReportWriter, progress: Progress | None = None, *,
        input: str | None = None, options: dict | None = None, read: dict | None = None,
        strict: bool = False, analysis: Analysis | None = None, settings: tuple | None = None,
        settings_used: list[str] = ()) -> RefreshResult:
    """Read, check, compute, write.  Nothing is written unless everything before succeeded.

    ``input`` chooses the input format (or table); ``options`` go to the
    format's converter (a billing export's ``amount_unit``, ``fx`` ...);
    ``read`` holds the read options given as flags (:data:`READ_OPTIONS`),
    which override the workbook's Settings table; ``strict`` refuses a
    refresh that has data checks to report. ``analysis``: the ledger already
    checked and analysed where it lives (the Ibis engine, for a source too
    large for memory); nothing is read then.  ``settings`` is the workbook's
    Settings table as :func:`read_settings` gives it, when ``source`` is not
    the workbook (a ``--ledger`` source); ``settings_used`` the lines of the
    rows already used to choose that source.
    """
    say = progress or (lambda fraction, message: None)
    start = time.perf_counter()
    checks, used, converted, segment_name, table = DataChecks(), list(settings_used), None, None, None
    df = pd.DataFrame()  # carries the converter's notes (attrs) on the read path
    settings = settings if settings is not None else read_settings(source)
    opts, used, unknown = read_options(read, input, settings)
    used = [*settings_used, *used]
    for line in unknown:
        checks.add("unknown setting", 1, [], line)
    fiscal_year_start = opts["fiscal_year_start"] or FISCAL_YEAR_START
    if analysis is not None:  # computed where the data is, with the same read options (refresh_from)
        df.attrs["input"] = f"computed in {analysis.ledger.backend} by the Ibis engine"
        result = analysis
        checks.extend(analysis.ledger.data_checks())
    else:
        say(0.0, "reading the ledger")
        fmt, table = select_input(source, opts["input"])
        say(0.45, "checking the ledger")
        refuse_errors(table)
        convert = dict(options or {})
        if fmt.name == "subscriptions":
            convert.update({k: opts[k] for k in ("as_of", "dayfirst", "merge_case") if opts[k] is not None})
            convert["date1904"] = table.date1904
        elif not fmt.ledger_rows and opts["as_of"] is not None:
            convert.setdefault("as_of", opts["as_of"])  # a billing export cuts at the as-of month itself
        df = ledger_frame(table, fmt, **convert)
        segment_name = segment_column(table, fmt, df)
        outside = outside_rows(table, fmt)
        if outside:
            checks.add("rows outside the table", len(outside), [table.row_label(r) for r in outside],
                       f"{counted(len(outside), 'row')} right below table {table.table!r} {are(len(outside))} outside the table",
                       outside_advice(table))
        converted = df.attrs.get("checks")
        if isinstance(converted, DataChecks):
            checks.extend(converted)
        as_of = opts["as_of"]
        if as_of is None and "as_of" in df.attrs:
            as_of = df.attrs["as_of"]  # a subscription list's own as-of month (the current month by default)
        prepare = {"as_of": as_of, "merge_case": bool(opts["merge_case"]), "drop_duplicates": bool(opts["drop_duplicates"])}
        if fmt.ledger_rows:  # one frame row per table row: rows named as the user counts them (a CSV's lines)
            prepare.update(dayfirst=opts["dayfirst"], date1904=table.date1904,
                           locate=lambda pos: table.row_label(table.first_row + pos),
                           factorized=shared_id_codes(table, fmt, df))
        say(0.55, "computing the MRR bridge and cohorts")
        result = analyse(df, table.sheet, table.first_row, **prepare)
        if result.bridge.empty:
            raise UserError(f"{source.label}: sheet {table.sheet!r}: the {table.table} table has no data rows")
        refuse_non_finite(source.label, result)
        checks.extend(getattr(result.ledger, "checks", DataChecks()))
    ledger = result.ledger
    lines = checks.lines() + [str(c) for c in (converted if isinstance(converted, list) else ())]
    if strict and lines:
        raise UserError(f"{source.label}: refused (--strict): {counted(len(lines), 'data check')} to look at: "
                        + " | ".join(lines))
    months = ledger.month_range() if hasattr(ledger, "month_range") else ""
    last = months.split(" - ")[-1] if months else ""
    # the rows read that are not completely blank, those after the as-of month included (both paths)
    rows_read = filled_rows(table, table_codes(table)) if table is not None else result.ledger.rows_read
    stamp = {"xl_kpi version": _version(), "Refreshed": refresh_time(),
             "Input table": input_label(source, table), "Rows read": rows_read, "Months": months,
             "As-of month": last}
    if analysis is None and df.attrs.get("input"):  # a billing export's amount unit, currency or FX rates
        stamp["Amounts"] = df.attrs["input"]
    data = report_data(result, fiscal_year_start, segment_name=segment_name)
    add_period_notes(checks, data)  # the notes under the roll-ups, printed and listed too (not warnings)
    report = build_report(data)
    report = with_data_checks(report, checks, stamp, used)
    plan = plan_refresh(report, writer.inventory())  # the one ownership check, before anything is written
    say(0.75, "writing the report")
    writer.write(report, plan, progress)
    say(1.0, "done")
    return RefreshResult(source.label, [s.name for s in report.sheets], result.rows, len(result.bridge),
                         result.customers, result.bridge, time.perf_counter() - start,
                         source=df.attrs.get("input", ""), checks=lines, data_checks=checks,
                         table=table.table if table is not None else "", sheet=table.sheet if table is not None else None,
                         month_range=months, as_of=last, settings_used=used, stamp=stamp,
                         trailing=data.trailing)
