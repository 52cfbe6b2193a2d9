"""``xl-kpi refresh BOOK [--output OUT]``: refresh a closed workbook's report sheets.

Exit codes: 0 done, 2 a problem with the file or its data (one line on
stderr, no traceback; the file is unchanged).  A progress bar is drawn on
stderr when it is a terminal.
"""

from __future__ import annotations

import argparse
import sys

from xl_kpi.errors import UserError


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("book", help="the .xlsx / .xlsm workbook holding an Excel Table named 'Ledger'")
    parser.add_argument("--output", "-o", metavar="OUT",
                        help="write the refreshed workbook here instead of updating BOOK in place")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")


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
    from xl_kpi.refresh import refresh_file

    try:
        result = refresh_file(args.book, args.output, progress=progress_bar())
    except PermissionError as exc:
        raise UserError(f"{exc.filename or args.book}: permission denied (is the workbook open in Excel? "
                        "close it and try again)") from None
    except OSError as exc:
        raise UserError(f"{exc.filename or args.book}: {exc.strerror or exc}") from None
    except MemoryError:
        raise UserError(f"{args.book}: not enough memory to refresh this workbook") from None
    if not args.quiet:
        print(f"{result.target}: refreshed {', '.join(result.sheets)} from {result.ledger_rows:,} ledger rows "
              f"({result.months} months, {result.customers:,} customers) in {result.seconds:.1f} s")
    return 0
