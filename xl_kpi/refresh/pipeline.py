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

import pandas as pd

from xl_kpi.cells import blank_mask
from xl_kpi.errors import UserError
from xl_kpi.engines import Analysis, analysis_of
from xl_kpi.ledger import prepare_ledger
from xl_kpi.ledger.formats import CUSTOMER, MONTH, MRR, InputFormat, formats, get_format, grid, ledger_frame
from xl_kpi.ledger.raw import RawTable, TableSource
from xl_kpi.refresh.ownership import Inventory, Plan, plan_refresh
from xl_kpi.refresh.report import Report, ReportData, build_report

Progress = Callable[[float, str], None]


def filled_rows(raw: RawTable) -> int:
    """Rows of the table that are not completely blank.

    >>> filled_rows(RawTable(["a", "b"], [[None, " "], ["x", None], [None, None]]))
    1
    """
    cells = grid(raw)
    if not cells.size:
        return 0
    return int((~blank_mask(cells.ravel()).reshape(cells.shape).all(axis=1)).sum())


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
    with_data = [(f, raw) for f, raw in candidates if filled_rows(raw)]
    if len(with_data) > 1:
        listed = " and ".join(f"{raw.table!r} ({filled_rows(raw):,} rows)" for _, raw in with_data)
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
    #: Data-check lines (a billing export's rows used and skipped, and why), from the format's converter.
    checks: list[str] = field(default_factory=list)
    #: The trailing twelve-month retention the Retention sheet shows (:func:`xl_kpi.ledger.trailing_retention`).
    trailing: pd.DataFrame | None = field(default=None, repr=False)


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
                      trailing=ledger.trailing_retention(12), movements=ledger.movements(), quarterly=quarterly,
                      annual=annual, cohort_sizes=ledger.cohort_sizes(), segments=segments,
                      segment_trailing=seg_trailing, segment_name=segment_name,
                      fiscal_year_start=fiscal_year_start)


def analyse(df: pd.DataFrame, sheet: str, first_row: int) -> Analysis:
    """Validate the ledger and compute the bridge, both cohort matrices and the monthly KPIs.

    A source too large for memory (a big Parquet file, a database table) is
    analysed where it is instead: ``analysis_of(xl_kpi.engines.ledger(source,
    ...))`` gives the same :class:`~xl_kpi.engines.Analysis` from the Ibis
    engine (see :func:`xl_kpi.engines.choose_engine`).

    Validation errors are ``xl_kpi.ledger.LedgerError`` (a ``UserError``)
    naming sheet, row and column.  The ledger is validated, and its
    customer-month totals computed, once for all the analyses.
    """
    segment = SEGMENT if SEGMENT in df.columns else None
    return analysis_of(prepare_ledger(df, CUSTOMER, MONTH, MRR, first_row=first_row, sheet=sheet, segment=segment))


def run(source: TableSource, writer: ReportWriter, progress: Progress | None = None, *,
        input: str | None = None, options: dict | None = None, analysis: Analysis | None = None) -> RefreshResult:
    """Read, check, compute, write.  Nothing is written unless everything before succeeded.

    ``input`` chooses the input format (or table); ``options`` go to the
    format's converter (a billing export's ``amount_unit``, ``fx`` ...).
    ``analysis``: the ledger already checked and analysed where it lives (the
    Ibis engine, for a source too large for memory); nothing is read then.
    """
    say = progress or (lambda fraction, message: None)
    start = time.perf_counter()
    df = pd.DataFrame()  # carries the converter's notes (attrs) on the read path
    segment_name = None
    if analysis is not None:
        df.attrs["input"] = f"computed in {analysis.ledger.backend} by the Ibis engine"
    else:
        say(0.0, "reading the ledger")
        fmt, table = select_input(source, input)
        say(0.45, "checking the ledger")
        df = ledger_frame(table, fmt, **(options or {}))
        segment_name = segment_column(table, fmt, df)
        say(0.55, "computing the MRR bridge and cohorts")
        analysis = analyse(df, table.sheet, table.first_row)
        if analysis.bridge.empty:
            raise UserError(f"{source.label}: sheet {table.sheet!r}: the {table.table} table has no data rows")
    result = analysis
    data = report_data(result, segment_name=segment_name)
    report = build_report(data)
    plan = plan_refresh(report, writer.inventory())  # the one ownership check, before anything is written
    say(0.75, "writing the report")
    writer.write(report, plan, progress)
    say(1.0, "done")
    return RefreshResult(source.label, [s.name for s in report.sheets], result.rows, len(result.bridge),
                         result.customers, result.bridge, time.perf_counter() - start,
                         source=df.attrs.get("input", ""), checks=list(df.attrs.get("checks", ())),
                         trailing=data.trailing)
