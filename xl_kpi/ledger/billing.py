"""Billing exports as a subscription list: the rules Stripe and Baremetrics share.

A billing system exports one row per subscription with a price, a billing
interval, a quantity, a currency and some dates.  Each export's own module
(:mod:`xl_kpi.ledger.stripe`, :mod:`xl_kpi.ledger.baremetrics`) decides which
of its fields are the start and the end; this module holds what they share:

* **months per interval**: a month is 1, a year 12, and days and weeks are
  counted in a 365-day year, so a day is 12/365 of a month and a week 84/365
  (a weekly price x 365 / 84 = about 4.345 per month; a daily one x 30.42):

  MRR = amount x quantity / (interval_count x months_per_interval)

* **amount unit**: ``"units"`` (``"49.00"`` is 49) or ``"cents"``, the
  currency's minor unit (``4900`` is 49; for a zero-decimal currency such as
  JPY the minor unit is the unit itself, as in Stripe's API);
* **currencies**: one currency is reported as it is; several are refused
  unless an FX table (currency -> rate to the reporting currency, applied
  per row) is given, or one currency is kept and the others skipped;
* **row fates** (:class:`RowFates`): every row of the export is either used
  or skipped for a stated reason, and the counts are shown in the data checks:
  as notes for rows skipped by design (:data:`EXPECTED`: trials, incomplete,
  free, canceled the day they started, never active at a month end), as
  warnings for the others (another currency left out, paused, and a row whose
  end is before its start: impossible, so left out, and refused by
  ``--strict``).  Both exports apply the same date rules (:func:`date_fates`).

The result, :class:`BillingExport`, holds the subscription list in the
columns of :func:`xl_kpi.ledger.subscriptions_to_ledger` (amount per billing
period, billing period in months), so an export becomes a ledger the same way
a ``Subscriptions`` table does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from xl_kpi.ledger.checks import EXAMPLES, DataChecks
from xl_kpi.ledger.validation import LedgerError, Problems, parse_amounts
from xl_kpi.words import counted

__all__ = ["MONTHS_PER_INTERVAL", "AMOUNT_UNITS", "ZERO_DECIMAL_CURRENCIES", "RowFates", "BillingExport", "export",
           "amounts_and_quantities", "find_columns", "interval_months", "to_reporting_currency", "check_amount_unit"]

#: Length of one billing interval in months (days and weeks in a 365-day year).
MONTHS_PER_INTERVAL: dict[str, float] = {"day": 12 / 365, "week": 84 / 365, "month": 1.0, "year": 12.0}
#: ``amount_unit`` -> what the amounts are counted in.
AMOUNT_UNITS = {"units": "currency units (49.00 = 49)", "cents": "minor units, cents (4900 = 49)"}
#: Currencies whose minor unit is the unit (Stripe's list): "cents" divides them by 1, not 100.
ZERO_DECIMAL_CURRENCIES = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())

#: The subscription-list columns a billing export becomes.
CUSTOMER, START, END, AMOUNT, BILLING = "customer_id", "start_date", "end_date", "amount", "billing_months"


#: Why rows are skipped (or used but flagged) -> what the reader should know: the data check's advice.
REASONS = {
    "incomplete": "status incomplete or incomplete_expired: the first payment never went through, so they "
                  "never count",
    "trial": "trials that never turned paid (still trialing, or canceled before the trial ended) have no MRR",
    "free: amount 0": "they have no MRR",
    "canceled the day it started": "they ended the day they started, so no day was paid for",
    "ends before it starts": "the end date is before the start date, which cannot be: left out; correct the row "
                             "in the billing system or the file",
    "never active at a month end": "they started and ended inside one month, so they were never active at a "
                                   "month end (MRR is a month-end snapshot: docs/metrics.md)",
    "other currency": "only the currency kept (--currency) is reported; --fx rates.csv converts the others",
    "paused": "counted as running (the export has no pause dates); check them if they were paused for long",
}


#: Rows skipped by design: an export lists them, and they have no MRR by definition (a trial that never
#: turned paid, a first payment that never went through, a free plan, one canceled the day it started,
#: one that started and ended inside a month, so it was never active at a month end).  They are notes,
#: facts about how the export was read, not warnings: ``--strict`` does not refuse an export for holding
#: them.  Every other fate (another currency left out, a paused subscription counted as running, a row
#: that ends before it starts: impossible data) may make a number wrong: a warning.
EXPECTED = frozenset({"incomplete", "trial", "free: amount 0", "canceled the day it started",
                      "never active at a month end"})


def check_amount_unit(unit: str) -> str:
    """The amount unit, checked: ``"units"`` or ``"cents"``."""
    key = str(unit).strip().lower()
    if key not in AMOUNT_UNITS:
        raise LedgerError(f"amount unit must be 'units' or 'cents', got {unit!r}", value=unit)
    return key


@dataclass
class RowFates:
    """What happened to each row of an export: used, or skipped and why.

    ``skipped`` maps a reason ("incomplete", "trial", "other currency" ...) to
    the row numbers (as the user counts them) skipped for it; ``notes`` are
    facts about the conversion the report states (amount unit, FX rates).
    """

    what: str
    rows: int = 0
    used: int = 0
    skipped: dict[str, list[int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: Rows used but worth a look ("paused" -> row numbers).
    flagged: dict[str, list[int]] = field(default_factory=dict)

    def skip(self, reason: str, row_numbers) -> None:
        row_numbers = [int(r) for r in row_numbers]
        if row_numbers:
            self.skipped.setdefault(reason, []).extend(row_numbers)

    def flag(self, reason: str, row_numbers) -> None:
        row_numbers = [int(r) for r in row_numbers]
        if row_numbers:
            self.flagged.setdefault(reason, []).extend(row_numbers)

    def data_checks(self, locate=None) -> DataChecks:
        """The fates as data checks: one line per reason rows were skipped or flagged (count, first rows, why).

        Rows skipped by design (:data:`EXPECTED`: trials, incomplete, free), the
        count of rows used and skipped, and the notes (amount unit) are notes:
        facts about how the export was read, listed and printed but not
        warnings. The other fates are checks (warnings, which ``--strict``
        refuses).

        >>> f = RowFates("Stripe export", rows=5, used=2, skipped={"incomplete": [4, 7], "other currency": [5]},
        ...              notes=["amounts in units"])
        >>> checks = f.data_checks(locate="line {}".format)
        >>> checks.names(), checks.checks[0].count
        (['rows skipped (other currency)'], 1)
        >>> checks.lines()[0][:60]
        '1 row of the Stripe export skipped (other currency): line 5;'
        >>> [n[:56] for n in checks.notes]
        ['Stripe export: 5 rows: 2 used, 3 skipped', '2 rows of the Stripe export skipped (incomplete): line 4', 'amounts in units']
        """
        where = locate or "row {}".format
        checks = DataChecks()
        n_skipped = sum(len(v) for v in self.skipped.values())
        checks.note(self._tally(n_skipped))
        for verb, fates in (("skipped", self.skipped), ("used", self.flagged)):
            for reason, rows in fates.items():
                what = f"{counted(len(rows), 'row')} of the {self.what} {verb} ({reason})" if verb == "skipped" \
                    else f"{counted(len(rows), reason + ' subscription')} in the {self.what}"
                checks.add(f"rows {verb} ({reason})", len(rows), [where(r) for r in rows[:EXAMPLES]], what,
                           REASONS.get(reason, ""), note=verb == "skipped" and reason in EXPECTED)
        for note in self.notes:
            checks.note(note)
        return checks

    def _tally(self, n_skipped: int) -> str:
        """"Stripe export: 5 rows: 2 used, 3 skipped" ("1 row" for a one-row export).

        >>> RowFates("Stripe export", rows=1, used=1)._tally(0)
        'Stripe export: 1 row: 1 used, 0 skipped'
        """
        return f"{self.what}: {counted(self.rows, 'row')}: {self.used:,} used, {n_skipped:,} skipped"

    def lines(self, examples: int = 3, locate=None) -> list[str]:
        """One line per fate, for the data checks; ``locate(row)`` names a row ("line 12").

        >>> f = RowFates("Stripe export", rows=5, used=3, skipped={"incomplete": [4, 7]})
        >>> f.lines()
        ['Stripe export: 5 rows: 3 used, 2 skipped', '2 rows skipped (incomplete): row 4, row 7']
        """
        n_skipped = sum(len(v) for v in self.skipped.values())
        out = [self._tally(n_skipped)]
        for reason, rows in self.skipped.items():
            shown = ", ".join((locate or "row {}".format)(r) for r in rows[:examples])
            more = f" and {len(rows) - examples:,} more" if len(rows) > examples else ""
            out.append(f"{counted(len(rows), 'row')} skipped ({reason}): {shown}{more}")
        for reason, rows in self.flagged.items():
            shown = ", ".join((locate or "row {}".format)(r) for r in rows[:examples])
            more = f" and {len(rows) - examples:,} more" if len(rows) > examples else ""
            out.append(f"{counted(len(rows), 'row')} used ({reason}: {REASONS[reason]}): "
                       f"{shown}{more}")
        return out + list(self.notes)


@dataclass
class BillingExport:
    """A billing export converted: the subscription list and each row's fate.

    ``subscriptions`` has the columns customer_id, start_date, end_date,
    amount (per billing period, in the reporting currency and in units) and
    billing_months; ``source_rows`` gives each of its rows' row number in the
    export.  ``amount_unit`` and ``currency`` are what the stamp states.
    """

    subscriptions: pd.DataFrame
    fates: RowFates
    amount_unit: str
    currency: str
    fx: dict[str, float] | None = None
    source_rows: np.ndarray | None = None

    def stamp(self) -> str:
        """What a reader of the report must know about the amounts, in one line.

        >>> BillingExport(pd.DataFrame(), RowFates("x"), "cents", "USD").stamp()
        'amounts read as cents; currency USD'
        """
        text = f"amounts read as {self.amount_unit}"
        if self.fx:
            text += "; FX per row: " + ", ".join(f"{c} x {r:g}" for c, r in sorted(self.fx.items()))
        elif self.currency:
            text += f"; currency {self.currency}"
        return text

    def to_ledger(self, as_of=None, locate=None) -> pd.DataFrame:
        """The monthly ledger (customer_id, month, mrr), via :func:`subscriptions_to_ledger`.

        Its ``attrs["checks"]`` (subscriptions starting after the as-of month) name the export's rows:
        ``locate(row number)`` ("line 12"), else "row N"."""
        from xl_kpi.ledger.subscriptions import subscriptions_to_ledger

        numbers = self.source_rows if self.source_rows is not None else np.arange(len(self.subscriptions)) + 2
        name = locate or "row {}".format
        return subscriptions_to_ledger(self.subscriptions, CUSTOMER, START, END, AMOUNT, BILLING, as_of=as_of,
                                       locate=lambda pos: name(int(numbers[pos])))


def _key(header) -> str:
    return " ".join(str(header).split()).lower()


def find_columns(df: pd.DataFrame, wanted: Mapping[str, tuple[str, ...]], required: tuple[str, ...],
                 what: str, sheet: str | None = None) -> dict[str, str]:
    """Role -> the export's column name, matching headers without regard to case or spacing.

    ``wanted`` maps a role to the headers that may hold it (the first found
    wins: Stripe's newer ``Start Date (UTC)`` beside the older ``Start (UTC)``).
    """
    have = {}
    for c in df.columns:
        have.setdefault(_key(c), c)
    found = {}
    for role, names in wanted.items():
        for name in names:
            if _key(name) in have:
                found[role] = have[_key(name)]
                break
    missing = [r for r in required if r not in found]
    if missing:
        names = " or ".join(repr(n) for n in wanted[missing[0]])
        cols = ", ".join(repr(str(c)) for c in df.columns[:12]) + (" ..." if len(df.columns) > 12 else "")
        raise LedgerError(f"the {what} has no column {names} (its columns: {cols or 'none'})",
                          column=wanted[missing[0]][0], sheet=sheet)
    return found


def interval_months(problems: Problems, interval: pd.Series, count: pd.Series | None,
                    interval_col: str, count_col: str | None) -> np.ndarray:
    """Months per billing period of each row: count x :data:`MONTHS_PER_INTERVAL` [interval].

    An unknown interval or a count that is not a whole number > 0 is reported
    through ``problems`` (naming row and column).
    """
    text = interval.astype(object).where(interval.notna(), "").astype(str).str.strip().str.lower()
    text = text.str.removesuffix("s")  # "months", "years"
    per = text.map(MONTHS_PER_INTERVAL).to_numpy(dtype=float, na_value=np.nan)
    problems.check(np.isnan(per), interval_col,
                   "{value} is not a billing interval (day, week, month or year)")
    if count is None:
        return np.nan_to_num(per, nan=1.0)
    n, blank, bad = parse_amounts(count)
    n = np.where(blank, 1.0, n)
    problems.check(bad | (~blank & ~bad & ((np.nan_to_num(n) <= 0) | (np.nan_to_num(n) % 1 != 0))),
                   count_col, "{value} is not a whole number of intervals (1 or more)")
    return np.nan_to_num(per, nan=1.0) * np.nan_to_num(n, nan=1.0)


def to_reporting_currency(problems: Problems, currency: pd.Series | None, currency_col: str | None,
                          keep: np.ndarray, fates: RowFates, row_numbers: np.ndarray,
                          fx: Mapping[str, float] | None, only: str | None, what: str,
                          ) -> tuple[np.ndarray, np.ndarray, str, dict[str, float] | None]:
    """Per row: (factor to the reporting currency, kept mask, reporting currency, FX rates used).

    ``keep`` is the rows still in play; rows of another currency than ``only``
    are skipped ("other currency").  Without ``fx`` and ``only``, an export
    in several currencies is refused: amounts in different currencies do not
    add up.  With ``fx`` every currency used must have a rate (> 0).
    """
    n = len(keep)
    if currency is None:
        return np.ones(n), keep, (only or "").upper(), None
    codes = currency.astype(object).where(currency.notna(), "").astype(str).str.strip().str.upper().to_numpy()
    problems.check(keep & (codes == ""), currency_col, "the currency is blank")
    problems.raise_first()
    if only is not None:
        only = str(only).strip().upper()
        other = keep & (codes != only)
        fates.skip("other currency", row_numbers[other])
        keep = keep & ~other
        return np.ones(n), keep, only, None
    present = pd.Series(codes[keep]).value_counts()
    if fx is None:
        if len(present) > 1:
            listed = ", ".join(f"{c} ({counted(k, 'row')})" for c, k in present.items())
            raise LedgerError(
                f"the {what} has amounts in several currencies: {listed}; they do not add up. Give an FX table "
                f"(--fx rates.csv with columns currency, rate: the value of 1 unit in the reporting currency) or "
                f"keep one currency (--currency {present.index[0]})", column=currency_col)
        return np.ones(n), keep, (present.index[0] if len(present) else ""), None
    rates = {str(c).strip().upper(): float(r) for c, r in fx.items()}
    for c, r in rates.items():
        if not (np.isfinite(r) and r > 0):
            raise LedgerError(f"the FX rate for {c} must be a number > 0, got {r!r}", value=r)
    factor = pd.Series(codes).map(rates).to_numpy(dtype=float, na_value=np.nan)
    problems.check(keep & np.isnan(factor), currency_col, "the FX table has no rate for {value}")
    problems.raise_first()
    used = {c: rates[c] for c in present.index}
    ones = [c for c, r in rates.items() if r == 1.0]
    reporting = ones[0] if len(ones) == 1 else "the reporting currency"
    return np.nan_to_num(factor, nan=1.0), keep, reporting, used


def minor_unit_divisor(codes: np.ndarray, unit: str) -> np.ndarray:
    """What an amount is divided by to be in currency units: 1, or 100 for cents (1 for JPY & co)."""
    if unit == "units":
        return np.ones(len(codes))
    upper = pd.Series(codes, dtype=object).astype(str).str.strip().str.upper()
    return np.where(upper.isin(ZERO_DECIMAL_CURRENCIES).to_numpy(), 1.0, 100.0)


def ends_before_start(keep: np.ndarray, fates: RowFates, numbers: np.ndarray, start: np.ndarray, end: np.ndarray,
                      end_blank: np.ndarray) -> np.ndarray:
    """Skip the rows whose end is before their start, with a warning ("ends before it starts"): data that
    cannot be (a subscription cannot end before it begins), shown to the user, refused by ``--strict``.
    Returns the rows still kept. Dates are days since 1970-01-01.

    >>> f = RowFates("x")
    >>> ends_before_start(np.array([True, True]), f, np.array([2, 3]), np.array([10, 10]), np.array([5, 20]),
    ...                   np.array([False, False])).tolist(), f.skipped
    ([False, True], {'ends before it starts': [2]})
    """
    impossible = keep & ~end_blank & (end < start)
    fates.skip("ends before it starts", numbers[impossible])
    return keep & ~impossible


def date_fates(keep: np.ndarray, fates: RowFates, numbers: np.ndarray, start: np.ndarray, end: np.ndarray,
               end_blank: np.ndarray) -> np.ndarray:
    """Skip, as notes, the kept rows the month-end rule gives no month: one that ended the day it started
    ("canceled the day it started": no day paid for; an end before the start is :func:`ends_before_start`'s,
    checked first), and one that started and ended inside the
    same month ("never active at a month end": a subscription counts in month m when it is running on
    m's last day, :func:`xl_kpi.ledger.subscriptions_to_ledger`).  Returns the rows still kept.

    >>> f = RowFates("x")  # 2024-01-10 -> 2024-01-10, 2024-01-10 -> 2024-01-25, 2024-01-10 -> 2024-02-02
    >>> start = np.array([19732, 19732, 19732]); end = np.array([19732, 19747, 19755])
    >>> date_fates(np.ones(3, bool), f, np.array([2, 3, 4]), start, end, np.zeros(3, bool)).tolist(), f.skipped
    ([False, False, True], {'canceled the day it started': [2], 'never active at a month end': [3]})
    """
    from xl_kpi.ledger.validation import days_to_months

    ended = keep & ~end_blank
    same_day = ended & (end <= start)
    fates.skip("canceled the day it started", numbers[same_day])
    within = ended & ~same_day & (days_to_months(end) == days_to_months(start))
    fates.skip("never active at a month end", numbers[within])
    return keep & ~same_day & ~within


def export(keep: np.ndarray, fates: RowFates, unit: str, *, ids: tuple[np.ndarray, Any], start: np.ndarray,
           end: np.ndarray, end_blank: np.ndarray, per_period: np.ndarray, months: np.ndarray, reporting: Any,
           rates: Any, numbers: np.ndarray) -> BillingExport:
    """The kept rows of a billing export as the subscription list (:data:`CUSTOMER` ... :data:`BILLING`).

    ``ids`` is the factorised customer column (codes, distinct ids); dates are
    days since 1970-01-01; ``numbers`` the rows' line numbers.  Both exports
    (Stripe, Baremetrics) end here, so their frames cannot drift apart.
    """
    codes, uniques = ids
    fates.used = int(keep.sum())
    fates.notes.append(f"amounts read as {unit} (--amount-unit)")
    idx = np.flatnonzero(keep)

    def to_date(days: np.ndarray) -> pd.Series:
        return pd.to_datetime(days.astype("datetime64[D]"))

    subs = pd.DataFrame({
        CUSTOMER: pd.Index(uniques).take(codes[idx]) if len(uniques) else pd.Index([], dtype=object),
        START: to_date(start[idx]),
        END: to_date(end[idx]).where(~end_blank[idx], pd.NaT),
        AMOUNT: per_period[idx],
        BILLING: months[idx],
    })
    return BillingExport(subs, fates, unit, reporting, rates, numbers[idx])


def amounts_and_quantities(problems: Problems, col, cols: Mapping[str, str], n: int,
                           blank: str) -> tuple[np.ndarray, np.ndarray]:
    """An export's amount column (>= 0; ``blank`` is the message for a blank one) and its quantities.

    A blank quantity, or no quantity column, counts 1.  ``col(key)`` is the
    column's values; ``cols`` maps keys to the user's headers for messages.
    """
    amount, a_blank, a_bad = parse_amounts(col("amount"))
    problems.check(a_blank, cols["amount"], blank)
    problems.check(a_bad, cols["amount"], "{value} is not a number")
    problems.check(~a_bad & ~a_blank & (np.nan_to_num(amount) < 0), cols["amount"], "{value} is negative")
    if "quantity" not in cols:
        return amount, np.ones(n)
    qty, q_blank, q_bad = parse_amounts(col("quantity"))
    qty = np.where(q_blank, 1.0, qty)
    problems.check(q_bad | (np.nan_to_num(qty) < 0), cols["quantity"], "{value} is not a quantity (0 or more)")
    return amount, qty
