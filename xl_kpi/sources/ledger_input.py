"""A ledger from outside the workbook: a source (where) read through an input format (what).

:class:`ExternalLedgerSource` is the refresh pipeline's ``LedgerSource`` for
``xl-kpi refresh BOOK --ledger SOURCE``: it opens the source
(:func:`xl_kpi.sources.open_source`), renames mapped columns
(``--columns``), and hands the pipeline the same table a workbook's own
``Ledger`` or ``Subscriptions`` table would give, so the same checks run.
A billing export (``--input stripe`` / ``baremetrics``) is converted to a
ledger first, and the fate of each of its rows is kept for the data checks.

Messages name the source's file, its line or row and the user's column:
the pipeline reports positions, :meth:`ExternalLedgerSource.relocate` turns
them into ``ledger.csv: line 12, column 'Amount': ...``.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from xl_kpi.errors import UserError
from xl_kpi.ledger.billing import BillingExport
from xl_kpi.ledger.validation import LedgerError, parse_amounts
from xl_kpi.sources import SourceTable, open_source, relocate
from xl_kpi.sources.columns import ColumnMap, parse_columns

__all__ = ["ExternalLedgerSource", "INPUT_FORMATS", "read_fx", "FIRST_ROW"]

#: Row number of the first data row the formats are told (the header is row 1);
#: :meth:`ExternalLedgerSource.relocate` maps it back to the source's own numbering.
FIRST_ROW = 2


def _formats() -> dict[str, dict[str, str]]:
    """Input format -> role -> the header the format reads it from."""
    from xl_kpi.ledger.baremetrics import BAREMETRICS_COLUMNS
    from xl_kpi.ledger.stripe import STRIPE_COLUMNS
    from xl_kpi.refresh.pipeline import AMOUNT, BILLING, CUSTOMER, END, MONTH, MRR, START

    return {
        "ledger": {"customer": CUSTOMER, "month": MONTH, "mrr": MRR},
        "subscriptions": {"customer": CUSTOMER, "start": START, "end": END, "amount": AMOUNT, "billing": BILLING},
        "stripe": {role: names[0] for role, names in STRIPE_COLUMNS.items()},
        "baremetrics": {role: names[0] for role, names in BAREMETRICS_COLUMNS.items()},
    }


INPUT_FORMATS = ("ledger", "subscriptions", "stripe", "baremetrics")
#: The default amount unit of each billing export (what its files hold).
DEFAULT_AMOUNT_UNIT = {"stripe": "units", "baremetrics": "cents"}
#: Headers that give a Stripe / Baremetrics file away (for a hint when the format was not given).
_TELLTALE = {"stripe": {"customer id", "interval", "status", "current period end (utc)"},
             "baremetrics": {"plan_amount", "plan_interval", "customer_oid", "subscription_started_at"}}


def read_fx(spec: Any) -> dict[str, float]:
    """An FX table (columns ``currency`` and ``rate``: the value of 1 unit in the reporting currency).

    Any source holds it (a CSV in practice).  Refuses a blank, repeated or
    non-positive rate, naming its line.
    """
    table = open_source(spec)
    frame = table.frame
    have = {" ".join(str(c).split()).lower(): c for c in frame.columns}
    for need in ("currency", "rate"):
        if need not in have:
            raise UserError(f"{table.label}: an FX table needs the columns currency and rate "
                            f"(its columns: {', '.join(repr(str(c)) for c in frame.columns)})")
    codes = frame[have["currency"]].astype(object).where(frame[have["currency"]].notna(), "")
    codes = codes.astype(str).str.strip().str.upper()
    rate, blank, bad = parse_amounts(frame[have["rate"]])
    out: dict[str, float] = {}
    for i, (code, r) in enumerate(zip(codes, rate)):
        where = f"{table.label}: {table.locate(i)}"
        if not code:
            raise UserError(f"{where}, column {str(have['currency'])!r}: the currency is blank")
        if blank[i] or bad[i] or not (r > 0):
            raise UserError(f"{where}, column {str(have['rate'])!r}: the rate for {code} must be a number > 0, "
                            f"got {frame[have['rate']].iloc[i]!r}")
        if code in out:
            raise UserError(f"{where}: a second rate for {code}")
        out[code] = float(r)
    return out


class ExternalLedgerSource:
    """The pipeline's ``LedgerSource`` for a source outside the workbook.

    Parameters
    ----------
    spec : path or table
        A CSV / Parquet / DuckDB / SQLite file, another workbook, or (from
        Python) a DataFrame, DuckDB relation or Arrow table.
    input : {"ledger", "subscriptions", "stripe", "baremetrics"}, optional
        What the columns mean; default: the workbook table's kind for a
        workbook, else "ledger".
    table, query : str, optional
        For a database.
    columns : str or dict, optional
        ``--columns``: role -> the source's column name.
    amount_unit, fx, currency, as_of :
        For billing exports: see :mod:`xl_kpi.ledger.billing`.  ``fx`` is a
        mapping or an FX table source (:func:`read_fx`).
    """

    def __init__(self, spec: Any, *, input: str | None = None, table: str | None = None,
                 query: str | None = None, columns: str | Mapping[str, str] | None = None,
                 amount_unit: str | None = None, fx: Any = None, currency: str | None = None, as_of: Any = None):
        if input is not None and str(input).strip().lower() not in INPUT_FORMATS:
            raise UserError(f"--input: {input!r} is not an input format (one of {', '.join(INPUT_FORMATS)})")
        self.spec, self.format = spec, (str(input).strip().lower() if input is not None else None)
        self.table, self.query, self.columns = table, query, parse_columns(columns)
        self.amount_unit, self.fx_spec, self.currency, self.as_of = amount_unit, fx, currency, as_of
        self.label = str(spec) if isinstance(spec, (str, bytes)) or hasattr(spec, "__fspath__") else "the table"
        self.source: SourceTable | None = None
        self.map: ColumnMap | None = None
        self.export: BillingExport | None = None

    # ------------------------------------------------------------------ reading
    def read_ledger(self):
        from xl_kpi.refresh.pipeline import LEDGER_HEADERS, LedgerTable

        src = self.source = open_source(self.spec, table=self.table, query=self.query)
        self.label = src.label
        fmt = self.format or {"subscriptions": "subscriptions"}.get((src.table or "").lower(), "ledger")
        self.format = fmt
        roles = _formats()[fmt]
        self.map = ColumnMap(roles, self.columns)
        frame = self.map.apply(src.frame, src.label, fmt)
        if fmt in ("ledger", "subscriptions"):
            self._require(frame, fmt, roles)
            header = [str(c) for c in frame.columns]
            rows = frame.to_numpy(dtype=object).tolist()
            return LedgerTable(src.label, src.sheet, src.table or fmt.capitalize(), header, rows, 0, len(header),
                               FIRST_ROW, kind=fmt)
        self.export = self._convert(frame, fmt)
        ledger = self.export.to_ledger(self.as_of)
        rows = ledger[["customer_id", "month", "mrr"]].to_numpy(dtype=object).tolist()
        return LedgerTable(src.label, None, fmt, list(LEDGER_HEADERS), rows, 0, 3, FIRST_ROW, kind="ledger")

    def _require(self, frame: pd.DataFrame, fmt: str, roles: dict[str, str]) -> None:
        optional = {"end", "billing"}
        have = {" ".join(str(c).split()).lower() for c in frame.columns}
        missing = [(r, h) for r, h in roles.items() if r not in optional and h.lower() not in have]
        if not missing:
            return
        role, header = missing[0]
        hint = ""
        for other, telltale in _TELLTALE.items():
            if telltale <= have:
                hint = f"; it looks like a {other.capitalize()} export: add --input {other}"
        cols = ", ".join(repr(str(c)) for c in frame.columns[:12]) + (" ..." if len(frame.columns) > 12 else "")
        raise UserError(f"{self.source.label}: no column {header!r} for the {role} (its columns: {cols}); "
                        f"name yours with --columns {role}=YOUR_COLUMN{hint}")

    def _convert(self, frame: pd.DataFrame, fmt: str) -> BillingExport:
        from xl_kpi.ledger.baremetrics import baremetrics_subscriptions
        from xl_kpi.ledger.stripe import stripe_subscriptions

        fx = self.fx_spec
        if fx is not None and not isinstance(fx, Mapping):
            fx = read_fx(fx)
        convert = stripe_subscriptions if fmt == "stripe" else baremetrics_subscriptions
        unit = self.amount_unit or DEFAULT_AMOUNT_UNIT[fmt]
        return convert(frame, unit, fx, self.currency, first_row=FIRST_ROW)

    # ------------------------------------------------------------------ reporting
    def relocate(self, exc: LedgerError) -> LedgerError:
        """``exc`` (rows counted from :data:`FIRST_ROW`, the format's headers) in the source's terms."""
        if self.source is None:
            return exc
        return relocate(exc, self.source, FIRST_ROW, self.map.user_column if self.map is not None else None)

    def where(self, row: int) -> str:
        """The source's name for format row ``row`` (counted from :data:`FIRST_ROW`)."""
        return self.source.locate(row - FIRST_ROW) if self.source is not None else f"row {row}"

    def checks(self) -> list[str]:
        """Lines for the data checks: each export row's fate (used / skipped and why)."""
        if self.export is None:
            return []
        return self.export.fates.lines(locate=self.where)

    def describe(self) -> str:
        """The input in one line, for the summary line and the report's stamp."""
        text = self.label if self.format in (None, "ledger", "subscriptions") else f"{self.label} ({self.format})"
        if self.export is not None:
            text += "; amounts read as " + self.export.amount_unit
            if self.export.fx:
                text += "; FX per row: " + ", ".join(f"{c} x {r:g}" for c, r in sorted(self.export.fx.items()))
            elif self.export.currency:
                text += "; currency " + self.export.currency
        return text
