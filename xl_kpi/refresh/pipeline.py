"""The refresh pipeline: ledger table in, report out, through two small interfaces.

::

    LedgerSource.read_ledger() -> LedgerTable      (file: calamine; live: xlwings)
        -> ledger_frame()        three columns found by header, as a DataFrame
           (subscriptions_frame() for a Subscriptions table)
        -> analyse()             validation + MRR bridge + cohorts + monthly KPIs (xl_kpi.ledger)
        -> build_report()        what to write (xl_kpi.refresh.report)
    ReportWriter.write(report)                     (file: zip package; live: xlwings)

The pipeline never knows which back end it talks to.  Everything that can
fail on the user's data (missing column, text amount, bad date, negative
MRR) fails *before* ``write`` is called, so a bad ledger changes nothing.

Progress is reported through a callback ``progress(fraction, message)``
with ``fraction`` in [0, 1]; the CLI draws a bar, the live back end sets
Excel's status bar.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence, TypeVar

import numpy as np
import pandas as pd

from xl_kpi.errors import UserError
from xl_kpi.ledger import Ledger, monthly_kpis, prepare_ledger, subscriptions_to_ledger
from xl_kpi.refresh.report import Report, build_report

Progress = Callable[[float, str], None]
T = TypeVar("T")

#: Ledger columns by header (matched ignoring case and surrounding spaces).
CUSTOMER, MONTH, MRR = "Customer ID", "Month", "MRR"
LEDGER_HEADERS = (CUSTOMER, MONTH, MRR)
#: The other known input: an Excel Table ``Subscriptions`` (one row per subscription).
START, END, AMOUNT, BILLING = "Start Date", "End Date", "Amount", "Billing Months"
SUBSCRIPTION_HEADERS = (CUSTOMER, START, END, AMOUNT, BILLING)
SUBSCRIPTION_OPTIONAL = (END, BILLING)
#: Input table names, in order of preference, with the ``LedgerTable.kind`` each one gives.
LEDGER_TABLE, SUBSCRIPTIONS_TABLE = "Ledger", "Subscriptions"
INPUT_TABLES = ((LEDGER_TABLE, "ledger"), (SUBSCRIPTIONS_TABLE, "subscriptions"))


@dataclass
class LedgerTable:
    """The raw cells of the input table (``Ledger`` or ``Subscriptions``) as a back end read them.

    ``rows`` are the data rows (list of row lists, header excluded); the
    table's columns are ``rows[i][col0:col1]``.  ``first_row`` is the sheet
    row number of the first data row, so messages can name the user's row.
    ``kind`` says which input it is: ``"ledger"`` or ``"subscriptions"``.
    """

    label: str
    sheet: str
    table: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]
    col0: int
    col1: int
    first_row: int
    kind: str = "ledger"


def find_input_table(lookup: Callable[[str], T | None], label: str) -> tuple[T, str]:
    """The first input table ``lookup(name)`` finds (``Ledger`` before ``Subscriptions``) and its kind.

    ``lookup`` is the back end's "table by name, or None".  Without either
    table, a ``UserError`` tells the user how to make one.

    >>> find_input_table({"Subscriptions": "t"}.get, "b.xlsx")
    ('t', 'subscriptions')
    """
    for name, kind in INPUT_TABLES:
        found = lookup(name)
        if found is not None:
            return found, kind
    raise UserError(f"{label}: no Excel Table named {LEDGER_TABLE!r} (columns {', '.join(LEDGER_HEADERS)}) or "
                    f"{SUBSCRIPTIONS_TABLE!r} (columns {', '.join(SUBSCRIPTION_HEADERS)}); select your data and use "
                    f"Insert > Table, then name the table under Table Design")


class LedgerSource(Protocol):
    label: str

    def read_ledger(self) -> LedgerTable: ...


class ReportWriter(Protocol):
    def write(self, report: Report, progress: Progress | None = None) -> None: ...


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


def _columns(table: LedgerTable, wanted: Sequence[str], optional: Sequence[str] = ()) -> dict[str, int]:
    """Header -> column index in the table, for the wanted headers (case and spaces ignored)."""
    lookup = {h.lower(): h for h in wanted}
    found: dict[str, int] = {}
    for j, h in enumerate(table.header):
        key = " ".join(str(h).split()).lower()
        if key in lookup and lookup[key] not in found:
            found[lookup[key]] = j
    missing = [h for h in wanted if h not in found and h not in optional]
    if missing:
        raise UserError(f"{table.label}: sheet {table.sheet!r}, table {table.table!r}: no column "
                        f"{missing[0]!r} (the table needs the headers "
                        f"{', '.join(h for h in wanted if h not in optional)})")
    return found


def _grid(table: LedgerTable) -> np.ndarray:
    """The table's cells as a 2-D object array (one C-level pass over the rows)."""
    width = table.col1 - table.col0
    if not table.rows:
        return np.empty((0, width), dtype=object)
    grid = np.array(table.rows, dtype=object)
    if grid.ndim != 2:  # ragged rows: pad (rare; a back end normally gives rectangles)
        grid = np.array([list(r) + [None] * (table.col1 - len(r)) for r in table.rows], dtype=object)
    return grid[:, table.col0:table.col1]


def ledger_frame(table: LedgerTable) -> pd.DataFrame:
    """The table's Customer ID, Month and MRR columns as an object DataFrame.

    >>> t = LedgerTable("b.xlsx", "Data", "Ledger", ["MRR", "month", "Customer ID"],
    ...                 [[10.0, "2024-01", "a"]], 0, 3, 2)
    >>> ledger_frame(t).columns.tolist()
    ['Customer ID', 'Month', 'MRR']
    """
    found = _columns(table, LEDGER_HEADERS)
    grid = _grid(table)
    return pd.DataFrame({h: pd.Series(grid[:, found[h]], dtype=object) for h in LEDGER_HEADERS})


def subscriptions_frame(table: LedgerTable) -> pd.DataFrame:
    """A ``Subscriptions`` table as a ledger (Customer ID, Month, MRR), via
    :func:`xl_kpi.ledger.subscriptions_to_ledger` (which names sheet, row and
    column for a bad row).  End Date and Billing Months are optional columns.
    """
    found = _columns(table, SUBSCRIPTION_HEADERS, SUBSCRIPTION_OPTIONAL)
    grid = _grid(table)
    df = pd.DataFrame({h: pd.Series(grid[:, j], dtype=object) for h, j in found.items()})
    ledger = subscriptions_to_ledger(df, customer=CUSTOMER, start=START, end=END if END in found else None,
                                     amount=AMOUNT, billing_months=BILLING if BILLING in found else None,
                                     first_row=table.first_row, sheet=table.sheet)
    return ledger.rename(columns={"month": MONTH, "mrr": MRR})[list(LEDGER_HEADERS)]


@dataclass(frozen=True)
class Analysis:
    """What :func:`analyse` computed from a ledger: the report's inputs, by name.

    ``ledger`` is the prepared :class:`xl_kpi.ledger.Ledger`, for any further
    analysis a report sheet needs (it reuses the same customer-month totals).
    """

    ledger: Ledger = field(repr=False)
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


def analyse(df: pd.DataFrame, sheet: str, first_row: int) -> Analysis:
    """Validate the ledger and compute the bridge, both cohort matrices and the monthly KPIs.

    Validation errors are ``xl_kpi.ledger.LedgerError`` (a ``UserError``)
    naming sheet, row and column.  The ledger is validated, and its
    customer-month totals computed, once for all the analyses.
    """
    ledger = prepare_ledger(df, CUSTOMER, MONTH, MRR, first_row=first_row, sheet=sheet)
    bridge = ledger.bridge()
    return Analysis(ledger, bridge, ledger.cohorts("logo"), ledger.cohorts("revenue"), monthly_kpis(bridge))


def run(source: LedgerSource, writer: ReportWriter, progress: Progress | None = None) -> RefreshResult:
    """Read, check, compute, write.  Nothing is written unless everything before succeeded."""
    say = progress or (lambda fraction, message: None)
    start = time.perf_counter()
    say(0.0, "reading the ledger")
    table = source.read_ledger()
    say(0.45, "checking the ledger")
    df = subscriptions_frame(table) if table.kind == "subscriptions" else ledger_frame(table)
    say(0.55, "computing the MRR bridge and cohorts")
    result = analyse(df, table.sheet, table.first_row)
    if result.bridge.empty:
        raise UserError(f"{table.label}: sheet {table.sheet!r}: the {table.table} table has no data rows")
    report = build_report(result.bridge, result.logo_cohorts, result.revenue_cohorts, result.monthly)
    say(0.75, "writing the report")
    writer.write(report, progress)
    say(1.0, "done")
    return RefreshResult(source.label, [s.name for s in report.sheets], result.rows, len(result.bridge),
                         result.customers, result.bridge, time.perf_counter() - start)
