"""Stripe's dashboard subscriptions export (Billing > Subscriptions > Export) as a subscription list.

Which fields decide what
------------------------
==========================  ====================================================
customer                    ``Customer ID``
MRR                         ``Amount`` x ``Quantity`` / months per ``Interval``
                            (x ``Interval Count`` when the column is there);
                            day = 12/365 month, week = 84/365, year = 12
counts from                 ``Trial End (UTC)`` when the subscription had a
                            trial (a trial counts from its end), else
                            ``Start Date (UTC)`` (older exports: ``Start (UTC)``)
ends at                     ``Ended At (UTC)``; if blank but ``Canceled At (UTC)``
                            is set (or ``Cancel At Period End`` is true): the
                            ``Current Period End (UTC)`` (canceled at period
                            end); a ``canceled`` one without either: ``Canceled At``
never counts                status ``incomplete`` or ``incomplete_expired``
                            (the first payment never went through); a trial
                            that never turned paid (status ``trialing``, or
                            canceled before its trial ended); one that ended
                            the day it was paid from, or inside that month
                            (never active at a month end): notes
left out with a warning     an end before ``Start Date`` (impossible data;
                            ``--strict`` refuses it), as in Baremetrics'
currency                    ``Currency`` (see :mod:`xl_kpi.ledger.billing`)
==========================  ====================================================

``active``, ``past_due`` and ``unpaid`` subscriptions count until they end;
``paused`` ones count as running (the export has no pause dates), and the
data checks say how many there were.

Not modelled: coupons and discounts (MRR is the list price x quantity),
proration and mid-period plan changes (the export holds only the current
plan), several items on one subscription (the export shows one plan per
subscription), taxes, metered prices.

The amount unit: the dashboard export writes amounts in currency units
("49.00"), unlike Stripe's API, which counts cents; ``amount_unit="cents"``
reads an API-style file.

Example
-------
>>> import pandas as pd
>>> export = pd.DataFrame({
...     "id": ["sub_1", "sub_2", "sub_3"], "Customer ID": ["cus_a", "cus_b", "cus_c"],
...     "Quantity": [2, 1, 1], "Currency": ["usd", "usd", "usd"],
...     "Interval": ["month", "year", "month"], "Amount": ["25.00", "1200.00", "10.00"],
...     "Status": ["active", "active", "incomplete"],
...     "Start Date (UTC)": ["2024-01-10 09:00", "2024-02-01 00:00", "2024-02-01 00:00"],
... })
>>> result = stripe_subscriptions(export)
>>> result.to_ledger(as_of="2024-03").groupby("month")["mrr"].sum().tolist()
[50.0, 150.0, 150.0]
>>> result.fates.lines()[:2]
['Stripe export: 3 rows: 2 used, 1 skipped', '1 row skipped (incomplete): row 4']
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from xl_kpi.ledger import billing
from xl_kpi.ledger.billing import BillingExport, RowFates
from xl_kpi.ledger.validation import LedgerError, Problems, _where, parse_dates, parse_ids

__all__ = ["stripe_subscriptions", "STRIPE_COLUMNS", "STRIPE_STATUSES"]

#: Role -> the export's headers for it, newest first.
STRIPE_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "customer": ("Customer ID",),
    "quantity": ("Quantity",),
    "currency": ("Currency",),
    "interval": ("Interval",),
    "interval_count": ("Interval Count",),
    "amount": ("Amount",),
    "status": ("Status",),
    "start": ("Start Date (UTC)", "Start (UTC)"),
    "period_end": ("Current Period End (UTC)",),
    "trial_end": ("Trial End (UTC)",),
    "canceled_at": ("Canceled At (UTC)",),
    "cancel_at_period_end": ("Cancel At Period End",),
    "ended_at": ("Ended At (UTC)",),
}
REQUIRED = ("customer", "amount", "interval", "status", "start")
#: Every status Stripe gives a subscription.
STRIPE_STATUSES = ("active", "past_due", "unpaid", "canceled", "trialing", "paused", "incomplete",
                   "incomplete_expired")
WHAT = "Stripe export"


def _truthy(s: pd.Series) -> np.ndarray:
    text = s.astype(object).where(s.notna(), "").astype(str).str.strip().str.lower()
    return text.isin(("true", "1", "yes", "1.0")).to_numpy()


def stripe_subscriptions(df: pd.DataFrame, amount_unit: str = "units", fx: Mapping[str, float] | None = None,
                         currency: str | None = None, *, first_row: int = 2, sheet: str | None = None,
                         ) -> BillingExport:
    """Convert a Stripe dashboard subscriptions export (see the module docstring for the rules).

    Parameters
    ----------
    df : DataFrame
        The export as read (headers as Stripe writes them; case and spacing
        do not matter), values as text or typed.
    amount_unit : {"units", "cents"}
        What ``Amount`` counts in; the dashboard export uses units.
    fx : mapping, optional
        Currency code -> value of one unit in the reporting currency; applied
        per row.  Required when the export holds several currencies (unless
        ``currency`` keeps one).
    currency : str, optional
        Keep only this currency; rows in others are skipped ("other currency").
    first_row, sheet :
        Where the rows sit, for messages (row i is ``first_row + i``; the
        header is row 1 by default).

    Raises
    ------
    LedgerError
        Missing column, unknown status or interval, unparseable date or
        amount, several currencies without ``fx``, naming row and column.
    """
    unit = billing.check_amount_unit(amount_unit)
    cols = billing.find_columns(df, STRIPE_COLUMNS, REQUIRED, "Stripe subscriptions export", sheet)
    n = len(df)
    numbers = first_row + np.arange(n)  # the row numbers the user sees

    def col(role):
        return df[cols[role]] if role in cols else None

    codes, uniques, cust_blank = parse_ids(col("customer"))
    status = col("status").astype(object).where(col("status").notna(), "").astype(str).str.strip().str.lower()
    status = status.to_numpy()
    blank_row = df.isna().all(axis=1).to_numpy() | df.astype(object).apply(
        lambda c: c.astype(str).str.strip().eq("") | c.isna()).all(axis=1).to_numpy()
    keep = ~blank_row
    problems = Problems(df, first_row, sheet, keep)
    problems.check(cust_blank, cols["customer"], "the customer id is blank")
    problems.check(~np.isin(status, STRIPE_STATUSES), cols["status"],
                   "{value} is not a Stripe subscription status (" + ", ".join(STRIPE_STATUSES) + ")")

    amount, qty = billing.amounts_and_quantities(problems, col, cols, n, "the amount is blank")
    months = billing.interval_months(problems, col("interval"), col("interval_count"), cols["interval"],
                                     cols.get("interval_count"))

    dates = {}
    for role in ("start", "period_end", "trial_end", "canceled_at", "ended_at"):
        if role in cols:
            d, blank, bad = parse_dates(col(role))
            problems.check_dates(d, blank, bad, cols[role])
            dates[role] = (d, blank)
        else:
            dates[role] = (np.zeros(n, np.int64), np.ones(n, bool))
    start, s_blank = dates["start"]
    problems.check(s_blank, cols["start"], "the start date is blank")
    problems.raise_first()

    fates = RowFates(WHAT, rows=int(keep.sum()))
    incomplete = keep & np.isin(status, ("incomplete", "incomplete_expired"))
    fates.skip("incomplete", numbers[incomplete])
    keep = keep & ~incomplete

    # a trial counts from its end
    trial_end, t_blank = dates["trial_end"]
    paid_from = np.where(~t_blank & (trial_end > start), trial_end, start)

    # where it ends
    ended, e_blank = dates["ended_at"]
    canceled, c_blank = dates["canceled_at"]
    period_end, p_blank = dates["period_end"]
    at_period_end = e_blank & (~c_blank | (_truthy(col("cancel_at_period_end")) if "cancel_at_period_end" in cols
                                           else np.zeros(n, bool))) & (status != "canceled")
    no_period_end = keep & at_period_end & p_blank
    if no_period_end.any():
        column = cols.get("period_end", STRIPE_COLUMNS["period_end"][0])
        row = int(numbers[np.flatnonzero(no_period_end)[0]])
        detail = f"the subscription is canceled at the end of its period, but its {column!r} is blank (or the " \
            "column is missing)"  # the place apart, so that a CSV's line replaces the row (validation.relocate)
        raise LedgerError(f"{_where(row, column, sheet)}: {detail}", row=row, column=column, sheet=sheet,
                          detail=detail)
    end = np.where(~e_blank, ended, np.where(at_period_end, period_end, canceled))
    end_blank = e_blank & ~at_period_end & (c_blank | (status != "canceled"))
    end = np.where(end_blank, 0, end)

    keep = billing.ends_before_start(keep, fates, numbers, start, end, end_blank)  # impossible: a warning
    never_paid = keep & ((status == "trialing") | (~end_blank & (end <= paid_from) & ~t_blank & (trial_end > start)))
    fates.skip("trial", numbers[never_paid])
    keep = keep & ~never_paid
    # ended the day it was paid from, or inside that month: no month end (the row would be "used" for nothing)
    keep = billing.date_fates(keep, fates, numbers, paid_from, end, end_blank)

    factor, keep, reporting, rates = billing.to_reporting_currency(
        problems, col("currency"), cols.get("currency"), keep, fates, numbers, fx, currency, "Stripe export")
    divisor = billing.minor_unit_divisor(col("currency").to_numpy() if "currency" in cols else np.full(n, ""), unit)
    per_period = np.nan_to_num(amount) * np.nan_to_num(qty) / divisor * factor

    free = keep & (per_period == 0)
    fates.skip("free: amount 0", numbers[free])
    keep = keep & ~free
    paused = keep & (status == "paused")
    fates.flag("paused", numbers[paused])
    return billing.export(keep, fates, unit, ids=(codes, uniques), start=paid_from, end=end, end_blank=end_blank,
                          per_period=per_period, months=months, reporting=reporting, rates=rates, numbers=numbers)
