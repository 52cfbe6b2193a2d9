"""Baremetrics' manual subscription import template as a subscription list.

The template's columns: ``plan_oid, plan_name, plan_currency, plan_amount,
plan_interval, plan_interval_count, customer_oid, customer_name,
customer_email, subscription_oid, subscription_started_at,
subscription_canceled_at, subscription_quantity``.

Which fields decide what
------------------------
=====================  ========================================================
customer               ``customer_oid``
MRR                    ``plan_amount`` (cents: Baremetrics' "$1 = 100") x
                       ``subscription_quantity`` (blank: 1) / (``plan_interval_count``
                       (blank: 1) x months per ``plan_interval``: day, week,
                       month, year; see :mod:`xl_kpi.ledger.billing`)
counts from            ``subscription_started_at``
ends at                ``subscription_canceled_at`` (blank: still running)
never counts           amount 0; canceled the day it started, or inside the
                       month it started (never active at a month end): notes
left out with warning  ``subscription_canceled_at`` before
                       ``subscription_started_at`` (impossible; ``--strict``
                       refuses it), as in the Stripe export
currency               ``plan_currency``
=====================  ========================================================

Not modelled: the template has no trials, statuses, discounts or plan
changes; a row is one subscription at one price for its whole life.

Example
-------
>>> import pandas as pd
>>> rows = pd.DataFrame({
...     "plan_oid": ["p1", "p2"], "plan_currency": ["USD", "USD"], "plan_amount": [5000, 60000],
...     "plan_interval": ["month", "year"], "plan_interval_count": [1, 1],
...     "customer_oid": ["c1", "c2"], "subscription_oid": ["s1", "s2"],
...     "subscription_started_at": ["2024-01-05", "2024-02-01"],
...     "subscription_canceled_at": ["2024-03-04", None], "subscription_quantity": [1, 2],
... })
>>> baremetrics_subscriptions(rows).to_ledger(as_of="2024-03").groupby("month")["mrr"].sum().tolist()
[50.0, 150.0, 100.0]
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from xl_kpi.ledger import billing
from xl_kpi.ledger.billing import BillingExport, RowFates
from xl_kpi.ledger.validation import Problems, parse_dates, parse_ids

__all__ = ["baremetrics_subscriptions", "BAREMETRICS_COLUMNS"]

BAREMETRICS_COLUMNS: dict[str, tuple[str, ...]] = {
    "plan": ("plan_oid",),
    "currency": ("plan_currency",),
    "amount": ("plan_amount",),
    "interval": ("plan_interval",),
    "interval_count": ("plan_interval_count",),
    "customer": ("customer_oid",),
    "subscription": ("subscription_oid",),
    "start": ("subscription_started_at",),
    "end": ("subscription_canceled_at",),
    "quantity": ("subscription_quantity",),
}
REQUIRED = ("amount", "interval", "customer", "start")
WHAT = "Baremetrics import"


def baremetrics_subscriptions(df: pd.DataFrame, amount_unit: str = "cents", fx: Mapping[str, float] | None = None,
                              currency: str | None = None, *, first_row: int = 2,
                              sheet: str | None = None) -> BillingExport:
    """Convert rows of Baremetrics' import template (rules in the module docstring).

    ``amount_unit`` defaults to ``"cents"``, the template's unit; the other
    parameters are those of :func:`xl_kpi.ledger.stripe.stripe_subscriptions`.
    """
    unit = billing.check_amount_unit(amount_unit)
    cols = billing.find_columns(df, BAREMETRICS_COLUMNS, REQUIRED, "Baremetrics import file", sheet)
    n = len(df)
    numbers = first_row + np.arange(n)  # the row numbers the user sees

    def col(role):
        return df[cols[role]] if role in cols else None

    codes, uniques, cust_blank = parse_ids(col("customer"))
    blank_row = df.astype(object).apply(lambda c: c.isna() | c.astype(str).str.strip().eq("")).all(axis=1).to_numpy()
    keep = ~blank_row
    problems = Problems(df, first_row, sheet, keep)
    problems.check(cust_blank, cols["customer"], "the customer id is blank")
    amount, qty = billing.amounts_and_quantities(problems, col, cols, n, "the plan amount is blank")
    months = billing.interval_months(problems, col("interval"), col("interval_count"), cols["interval"],
                                     cols.get("interval_count"))
    start, s_blank, s_bad = parse_dates(col("start"))
    problems.check(s_blank, cols["start"], "the start date is blank")
    problems.check_dates(start, s_blank, s_bad, cols["start"])
    if "end" in cols:
        end, e_blank, e_bad = parse_dates(col("end"))
        problems.check_dates(end, e_blank, e_bad, cols["end"])
    else:
        end, e_blank = np.zeros(n, np.int64), np.ones(n, bool)
    problems.raise_first()

    fates = RowFates(WHAT, rows=int(keep.sum()))
    keep = billing.ends_before_start(keep, fates, numbers, start, end, e_blank)  # impossible: a warning, as Stripe's
    factor, keep, reporting, rates = billing.to_reporting_currency(
        problems, col("currency"), cols.get("currency"), keep, fates, numbers, fx, currency, "Baremetrics import")
    divisor = billing.minor_unit_divisor(col("currency").to_numpy() if "currency" in cols else np.full(n, ""), unit)
    per_period = np.nan_to_num(amount) * np.nan_to_num(qty) / divisor * factor
    free = keep & (per_period == 0)
    fates.skip("free: amount 0", numbers[free])
    keep = keep & ~free
    keep = billing.date_fates(keep, fates, numbers, start, end, e_blank)  # the day it started, or within its month
    return billing.export(keep, fates, unit, ids=(codes, uniques), start=start, end=end, end_blank=e_blank,
                          per_period=per_period, months=months, reporting=reporting, rates=rates, numbers=numbers)
