"""What an input table's columns mean: the input formats, registered in one table.

Like pandas' Excel engines, each format is one entry of :data:`FORMATS`: its
name, the table name it is looked up by, its headers (which are optional),
and a converter from its columns to the ledger frame (``Customer ID``,
``Month``, ``MRR``: one row per customer per month) that every analysis
reads. The refresh looks the format up; it never branches on a kind.

Where the table comes from (a workbook's Excel Table, a file, a database) is
the other half, :mod:`xl_kpi.ledger.raw`: a source hands over a
:class:`~xl_kpi.ledger.raw.RawTable` and :func:`ledger_frame` turns it into
a ledger with the format's converter.

Adding a format::

    register_format(InputFormat("chargebee", "Chargebee", ("Customer Id", "Plan Amount", ...),
                                optional=(), convert=my_converter))

>>> [f.table for f in formats()]
['Ledger', 'Subscriptions', 'Stripe', 'Baremetrics']
>>> raw = RawTable(["MRR", " month ", "Customer ID"], [[10.0, "2024-01", "a"]], first_row=2, table="Ledger")
>>> ledger_frame(raw, get_format("ledger")).columns.tolist()
['Customer ID', 'Month', 'MRR']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from xl_kpi.ledger import baremetrics, stripe
from xl_kpi.ledger.raw import RawTable
from xl_kpi.ledger.subscriptions import subscriptions_to_ledger
from xl_kpi.ledger.validation import LedgerError

__all__ = [
    "CUSTOMER", "MONTH", "MRR", "START", "END", "AMOUNT", "BILLING", "LEDGER_HEADERS", "SUBSCRIPTION_HEADERS",
    "InputFormat", "FORMATS", "register_format", "get_format", "formats", "format_for_table", "columns_of",
    "ledger_frame",
]

#: The ledger's headers (matched ignoring case and surrounding spaces), and the ledger frame's column names.
CUSTOMER, MONTH, MRR = "Customer ID", "Month", "MRR"
LEDGER_HEADERS = (CUSTOMER, MONTH, MRR)
#: A subscription list's headers (one row per subscription).
START, END, AMOUNT, BILLING = "Start Date", "End Date", "Amount", "Billing Months"
SUBSCRIPTION_HEADERS = (CUSTOMER, START, END, AMOUNT, BILLING)

#: converter(frame with the format's headers as columns, the raw table, **options) -> ledger frame
Converter = Callable[..., pd.DataFrame]


@dataclass(frozen=True)
class InputFormat:
    """One input format.

    ``name`` is what a user types (``--input ledger``); ``table`` the Excel
    Table (or file) name it is found by; ``headers`` every column it reads,
    ``optional`` those that may be missing; ``convert`` turns the columns
    into the ledger frame (:data:`LEDGER_HEADERS`), raising
    :class:`~xl_kpi.ledger.LedgerError` naming sheet, row and column for a bad
    row. ``ledger_rows`` says whether the frame's rows are the table's rows
    one for one (so later checks can name the user's row).
    """

    name: str
    table: str
    headers: tuple[str, ...]
    convert: Converter
    optional: tuple[str, ...] = ()
    ledger_rows: bool = False
    description: str = ""

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(h for h in self.headers if h not in self.optional)


#: The registry: format name (lower case) -> format, in order of preference.
FORMATS: dict[str, InputFormat] = {}


def register_format(fmt: InputFormat) -> InputFormat:
    """Add (or replace) a format in :data:`FORMATS`; returns it."""
    FORMATS[fmt.name.lower()] = fmt
    return fmt


def formats() -> list[InputFormat]:
    """The registered formats, in order of preference."""
    return list(FORMATS.values())


def get_format(name: str) -> InputFormat:
    """The format called ``name`` (or whose table is called ``name``), ignoring case.

    >>> get_format("Subscriptions").name
    'subscriptions'
    """
    fmt = format_for_table(name) or FORMATS.get(name.strip().lower())
    if fmt is None:
        known = ", ".join(f.table for f in formats())
        raise LedgerError(f"unknown input {name!r} (known inputs: {known})")
    return fmt


def format_for_table(table: str) -> InputFormat | None:
    """The format read from a table of this name (Excel table names ignore case), or None."""
    key = table.strip().lower()
    return next((f for f in formats() if f.table.lower() == key), None)


def _key(header: Any) -> str:
    return " ".join(str(header).split()).lower() if header is not None else ""


def columns_of(raw: RawTable, fmt: InputFormat) -> dict[str, int]:
    """Header -> column index of ``raw`` for the format's headers (case and spaces ignored).

    A missing required header raises :class:`LedgerError` listing what the table needs.
    """
    lookup = {h.lower(): h for h in fmt.headers}
    found: dict[str, int] = {}
    for j, h in enumerate(raw.header):
        name = lookup.get(_key(h))
        if name is not None and name not in found:
            found[name] = j
    missing = [h for h in fmt.required if h not in found]
    if missing:
        # LedgerError messages name the place inside the source; the refresh adds the file
        raise LedgerError(f"{raw.where(source=False)}: no column {missing[0]!r} (the table needs the headers "
                          f"{', '.join(fmt.required)})", column=missing[0], sheet=raw.sheet)
    return found


def grid(raw: RawTable) -> np.ndarray:
    """The table's cells as a 2-D object array (one C-level pass over the rows)."""
    width = len(raw.header)
    cells = getattr(raw.rows, "cells", None)  # a GridRows: the array the source read, as it is
    if isinstance(cells, np.ndarray) and cells.ndim == 2 and cells.shape[1] == width and cells.dtype == object:
        return cells
    if not len(raw.rows):
        return np.empty((0, width), dtype=object)
    cells = np.array(raw.rows, dtype=object)
    if cells.ndim != 2 or cells.shape[1] != width:  # ragged rows: pad or cut (rare)
        cells = np.array([(list(r) + [None] * width)[:width] for r in raw.rows], dtype=object)
    return cells


def format_frame(raw: RawTable, fmt: InputFormat) -> pd.DataFrame:
    """The format's columns of ``raw`` (those present) as an object DataFrame named by the format's headers."""
    found = columns_of(raw, fmt)
    cells = grid(raw)
    # The columns are views of the cells, not copies: pandas copies an array handed to a Series and again
    # to a DataFrame unless told not to (~0.1 s for a million-row ledger's three columns).  Nothing writes
    # into the frame in place (a converter or the refresh adds columns, pandas' copy-on-write copies first).
    return pd.DataFrame({h: pd.Series(cells[:, found[h]], dtype=object, copy=False)
                         for h in fmt.headers if h in found}, copy=False)


def ledger_frame(raw: RawTable, fmt: InputFormat, **options: Any) -> pd.DataFrame:
    """``raw`` read as format ``fmt`` and converted to the ledger frame (:data:`LEDGER_HEADERS`)."""
    return fmt.convert(format_frame(raw, fmt), raw, **options)


# ------------------------------------------------------------------ the formats


def _ledger(frame: pd.DataFrame, raw: RawTable, **options: Any) -> pd.DataFrame:
    # (format_frame gives the columns in this order: the frame itself, whose columns are the table's cells;
    # a selection would copy them on pandas 2)
    return frame if list(frame.columns) == list(LEDGER_HEADERS) else frame[list(LEDGER_HEADERS)]


def _subscriptions(frame: pd.DataFrame, raw: RawTable, **options: Any) -> pd.DataFrame:
    ledger = subscriptions_to_ledger(
        frame, customer=CUSTOMER, start=START, end=END if END in frame else None, amount=AMOUNT,
        billing_months=BILLING if BILLING in frame else None, first_row=raw.first_row, sheet=raw.sheet,
        locate=lambda pos: raw.row_label(raw.first_row + pos), **options)
    return ledger.rename(columns={"month": MONTH, "mrr": MRR})[list(LEDGER_HEADERS)]


LEDGER = register_format(InputFormat(
    "ledger", "Ledger", LEDGER_HEADERS, _ledger, ledger_rows=True,
    description="one row per customer per month: Customer ID, Month (any date in the month), MRR"))
SUBSCRIPTIONS = register_format(InputFormat(
    "subscriptions", "Subscriptions", SUBSCRIPTION_HEADERS, _subscriptions, optional=(END, BILLING),
    description="one row per subscription: Customer ID, Start Date, [End Date], Amount, [Billing Months]"))



def export_format(name: str, table: str, columns: dict[str, tuple[str, ...]], convert, default_unit: str,
                  description: str) -> InputFormat:
    """A billing export as an input format (see :mod:`xl_kpi.ledger.billing`).

    Its converter reads the export (``convert(frame, amount_unit, fx,
    currency, first_row=, sheet=) -> BillingExport``), expands it to the
    ledger frame, and leaves on the frame's ``attrs`` the data checks
    (``"checks"``: each row's fate, a :class:`~xl_kpi.ledger.checks.DataChecks`)
    and the line for the stamp (``"input"``: amount unit and currency or FX
    rates), which the refresh shows.  Options:
    ``amount_unit``, ``fx`` (a mapping), ``currency``, ``as_of``.
    """
    headers = tuple(dict.fromkeys(h for names in columns.values() for h in names))

    def to_ledger(frame: pd.DataFrame, raw: RawTable, *, amount_unit: str | None = None, fx=None, currency=None,
                  as_of=None) -> pd.DataFrame:
        export = convert(frame, amount_unit or default_unit, fx, currency, first_row=raw.first_row, sheet=raw.sheet)
        ledger = export.to_ledger(as_of, locate=raw.row_label)
        later = ledger.attrs.get("checks")  # subscriptions after the as-of month, named by the export's rows
        ledger = ledger.rename(columns={"customer_id": CUSTOMER, "month": MONTH, "mrr": MRR})[list(LEDGER_HEADERS)]
        checks = export.fates.data_checks(locate=raw.row_label)
        if later is not None:
            checks.extend(later)
        ledger.attrs["checks"] = checks
        ledger.attrs["input"] = export.stamp()
        return ledger

    # every header is optional to the registry: the export's own converter knows which it needs
    # (and that "Start Date (UTC)" and "Start (UTC)" are one field under two names)
    return InputFormat(name, table, headers, to_ledger, optional=headers, description=description)


STRIPE = register_format(export_format(
    "stripe", "Stripe", stripe.STRIPE_COLUMNS, stripe.stripe_subscriptions, "units",
    "Stripe's dashboard subscriptions export (Billing > Subscriptions > Export), amounts in units"))
BAREMETRICS = register_format(export_format(
    "baremetrics", "Baremetrics", baremetrics.BAREMETRICS_COLUMNS, baremetrics.baremetrics_subscriptions, "cents",
    "Baremetrics' manual subscription import template, plan_amount in cents"))
