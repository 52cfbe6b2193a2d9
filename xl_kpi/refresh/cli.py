"""``xl-kpi refresh BOOK [--output OUT]``: refresh a closed workbook's report sheets.

Exit codes: 0 done, 2 a problem with the file or its data (one line on
stderr, no traceback; the file is unchanged).  A progress bar is drawn on
stderr when it is a terminal.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from xl_kpi.errors import UserError
from xl_kpi.words import counted


def _fiscal_month(text: str) -> int:
    from xl_kpi.ledger.settings import fiscal_month

    try:
        return fiscal_month(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not {exc}") from None


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("book", help="the .xlsx / .xlsm workbook holding an Excel Table named 'Ledger'")
    parser.add_argument("--output", "-o", metavar="OUT",
                        help="write the refreshed workbook here instead of updating BOOK in place")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")
    rd = parser.add_argument_group("how the data is read (each overrides the workbook's Settings table)")
    rd.add_argument("--as-of", metavar="YYYY-MM", help="the last month reported (default: a ledger's last month "
                    "with a row; a subscription list's current month)")
    order = rd.add_mutually_exclusive_group()
    order.add_argument("--dayfirst", dest="dayfirst", action="store_const", const=True,
                       help="text dates such as 05/01/2024 are day first (5 January)")
    order.add_argument("--monthfirst", dest="dayfirst", action="store_const", const=False,
                       help="text dates such as 05/01/2024 are month first (May 1)")
    rd.add_argument("--drop-duplicates", action="store_const", const=True, default=None,
                    help="drop exact duplicate rows (same customer, month and MRR) instead of adding them up")
    rd.add_argument("--merge-case", action="store_const", const=True, default=None,
                    help="customer ids that differ only in case are one customer")
    rd.add_argument("--fiscal-year-start", metavar="MONTH", type=_fiscal_month,
                    help="the fiscal year's first month (4 or April) for the quarterly and annual bridges "
                         "(default 1: calendar)")
    rd.add_argument("--strict", action="store_true",
                    help="refuse (exit 2, file unchanged) when there are data checks to report (for automation)")
    src = parser.add_argument_group("a ledger from elsewhere (see README: Where your data lives)")
    src.add_argument("--ledger", metavar="SOURCE",
                     help="read the ledger from a CSV, Parquet, DuckDB or SQLite file or another workbook "
                          "instead of BOOK's own table (overrides the Settings table's Ledger source and the rows "
                          "describing it)")
    src.add_argument("--input", metavar="FORMAT", help="the input table or format: Ledger or Subscriptions for "
                     "BOOK's own tables (needed when both hold data); with --ledger what the source's columns "
                     "mean: ledger (default), subscriptions, stripe (Stripe's subscriptions export), baremetrics "
                     "(its import template)")
    src.add_argument("--table", metavar="NAME", help="the database table (or view) to read")
    src.add_argument("--query", metavar="SQL", help='a SELECT whose result is the input ("SELECT ...")')
    src.add_argument("--columns", metavar="MAP",
                     help='your column names: customer=Account,month="Invoice Date",mrr=Amount')
    src.add_argument("--amount-unit", choices=("units", "cents"),
                     help="billing exports: what amounts count in (default: stripe units, baremetrics cents)")
    src.add_argument("--fx", metavar="RATES", help="billing exports in several currencies: a table with columns "
                     "currency, rate (value of 1 unit in the reporting currency)")
    src.add_argument("--currency", metavar="CODE", help="billing exports: keep this currency, skip the others")


def summary_line(result) -> str:
    """The result line: what was written, from which table and how many rows, over which months."""
    months = counted(result.months, "month") + (f": {result.month_range}" if result.month_range else "")
    counts = f"{months}, {counted(result.customers, 'customer')}"
    if result.source:
        origin = f"{result.source} ({counted(result.ledger_rows, 'ledger row')}, {counts})"
    else:
        where = f" on sheet {result.sheet!r}" if result.sheet else ""
        rows = result.stamp.get("Rows read", result.ledger_rows) if result.stamp else result.ledger_rows
        origin = f"table {result.table!r}{where} ({counted(rows, 'row')} read, {counts})"
    return f"{result.target}: refreshed {', '.join(result.sheets)} from {origin} in {result.seconds:.1f} s"


def progress_bar(stream=None, width: int = 30):
    """A progress callback drawing ``[#####.....]  50% message`` on a terminal, or None."""
    stream = stream or sys.stderr
    if not stream.isatty():
        return None

    def draw(fraction: float, message: str) -> None:
        done = int(width * fraction)
        stream.write(f"\r[{'#' * done}{'.' * (width - done)}] {fraction:4.0%} {message:<40}")
        if fraction >= 1:
            stream.write("\n")
        stream.flush()

    return draw


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()  # (the summary line's time: the head starts below are part of the refresh)
    # calamine starts on the ledger sheet (without the GIL) while pandas and the report code are imported
    from xl_kpi.refresh.head_start import HeadStart

    # (not when another input is chosen: a read of the Ledger sheet nobody takes costs time and memory)
    wanted = args.ledger is None and (args.input is None or args.input.strip().lower() == "ledger")
    head_start = HeadStart.start(args.book) if wanted else None
    global exit_without_teardown
    exit_without_teardown = False  # (until this run's file is in place: a run that raises keeps the teardown)
    early = _source_head_start(args)
    try:
        code = _run(args, head_start, early, started)
    finally:
        if head_start is not None:
            head_start.close()
        if early is not None:
            early.close()
    # The file is written, flushed and in place: the program may end without freeing everything one by one
    # (xl_kpi.cli.program), unless DuckDB may have spilled to its temporary directory (".tmp" here for its
    # in-memory database, "<database>.tmp" beside a DuckDB file), which only its own teardown removes.
    spill = [".tmp"] + ([f"{args.ledger}.tmp"] if args.ledger is not None else [])
    exit_without_teardown = code == 0 and not any(os.path.exists(p) for p in spill)
    return code


#: Set by :func:`run` when the process may end without the interpreter's teardown (see xl_kpi.cli.program).
exit_without_teardown = False


def _source_head_start(args: argparse.Namespace):
    """A ``--ledger`` source's in-place analysis begun now, in a thread (:mod:`xl_kpi.refresh.source_head_start`),
    when the flags ask for a ledger read the Ibis engine can compute (the refresh takes it only if it is the
    computation it makes)."""
    if args.ledger is None or (args.input is not None and args.input.strip().lower() != "ledger") or \
            args.merge_case or args.drop_duplicates or any(v is not None for v in (args.amount_unit, args.fx,
                                                                                   args.currency)):
        return None
    from xl_kpi.refresh.source_head_start import SourceHeadStart

    early = SourceHeadStart.start(args.ledger, table=args.table, query=args.query, columns=args.columns,
                                  as_of=args.as_of)
    # its imports first (the refresh's are mostly the same modules), then the refresh's beside its query
    try:
        early.wait_started(timeout=5.0)
    except BaseException:  # a Ctrl-C meanwhile: the caller never gets it to close
        early.close()
        raise
    return early


def _run(args: argparse.Namespace, head_start, early, started: float) -> int:
    from xl_kpi.refresh import refresh_file

    options = {k: v for k, v in (("table", args.table), ("query", args.query),
                                 ("columns", args.columns), ("amount_unit", args.amount_unit), ("fx", args.fx),
                                 ("currency", args.currency)) if v is not None}
    # --as-of is a read option of every input (the workbook's tables or a source); --input names a table of
    # BOOK, or a source's format (--ledger, or the Settings table's Ledger source): refresh_file decides
    read = {"as_of": args.as_of, "dayfirst": args.dayfirst, "drop_duplicates": args.drop_duplicates,
            "merge_case": args.merge_case, "fiscal_year_start": args.fiscal_year_start}
    if args.input is not None:
        options["input"] = args.input
    try:
        result = refresh_file(args.book, args.output, progress=progress_bar(), read=read, strict=args.strict,
                              ledger=args.ledger, head_start=head_start, early_source=early, **options)
    except PermissionError as exc:
        raise UserError(f"{exc.filename or args.book}: permission denied (is the workbook open in Excel? "
                        "close it and try again)") from None
    except OSError as exc:
        raise UserError(f"{exc.filename or args.book}: {exc.strerror or exc}") from None
    except MemoryError:
        raise UserError(f"{args.book}: not enough memory to refresh this workbook") from None
    result.seconds = time.perf_counter() - started  # the command's own time, its head starts included
    if not args.quiet:
        warnings = set(result.data_checks.lines())
        for line in result.checks:  # the data checks, one line each, before the summary line
            # (a converter's own lines, e.g. a billing export's rows used and skipped, are printed as they are)
            print(f"xl-kpi refresh: {'warning: ' if line in warnings else ''}{line}", file=sys.stderr)
        for line in result.data_checks.figure_notes + result.settings_used + result.data_checks.notes:
            print(f"xl-kpi refresh: {line}", file=sys.stderr)
        print(summary_line(result))
    return 0
