"""A subscription list (customer, start, end, amount, billing period) as a monthly MRR ledger.

The catalog's rule: a subscription counts in month m when it started on or
before the month's last day and has no end date or ends *after* that day; its
MRR is amount / billing period in months. So 1200 billed every 12 months is
100 a month; a subscription that ends on any day of a month (even the last)
is not active in that month; a blank end date means it runs up to the
"as of" month. A subscription that starts and ends inside one month is never
active at a month end: it has no MRR, and a note in the data checks names its
rows (so every row's fate is said).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import datetime as _dt

from xl_kpi.ledger.checks import DataChecks
from xl_kpi.ledger.validation import (
    Problems, as_of_month, check_amount_convention, check_date_order, days_to_months, from_source, month_label,
    months_to_timestamps, parse_amounts, parse_dates, parse_ids, require_columns, row_namer,
)
from xl_kpi.words import are, counted

__all__ = ["subscriptions_to_ledger"]


def current_month() -> int:
    """This month (today's), as months since 1970-01: the default as-of month of a subscription list."""
    today = _dt.date.today()
    return (today.year - 1970) * 12 + today.month - 1


def subscriptions_to_ledger(
    df: pd.DataFrame,
    customer: str = "customer_id",
    start: str = "start_date",
    end: str | None = "end_date",
    amount: str = "amount",
    billing_months: str | None = "billing_months",
    as_of=None,
    *,
    first_row: int = 2,
    sheet: str | None = None,
    dayfirst: bool | None = None,
    date1904: bool = False,
    merge_case: bool = False,
    locate=None,
) -> pd.DataFrame:
    """Expand subscriptions into a customer x month MRR ledger.

    Parameters
    ----------
    df : DataFrame
        One row per subscription (a customer may have several).
    customer, start, end, amount, billing_months : str
        Column names. ``end`` None: no end column (all still running);
        ``billing_months`` None: every amount is monthly. A blank end date
        means still running; a blank billing period means 1 (monthly).
    as_of : date-like, optional
        Last month of the ledger: running subscriptions count up to and
        including this month, later months are not produced. Default: the
        current month (a list never reports a future month). Subscriptions
        starting after it are left out and counted in the data checks.
    first_row, sheet : optional
        Where the data sits, for error messages (header = row 1 by default).
    dayfirst, date1904, merge_case : optional
        How dates and ids are read, as for :func:`xl_kpi.ledger.validate_ledger`.
    locate : callable, optional
        The user's name of the row at a position of ``df`` ("line 12" of a
        CSV), for the rows a message lists; default row ``first_row + position``.

    Returns
    -------
    DataFrame
        Columns ``customer`` (under its given name), ``month`` (month start)
        and ``mrr``: one row per customer and month in which at least one of
        its subscriptions counts, several subscriptions added up; sorted by
        customer (in order of first appearance) then month. Ready for
        :func:`xl_kpi.ledger.mrr_bridge` (with ``customer=`` the same name;
        pass the same ``as_of`` so that churn in the last months shows).
        Ids are text, as :func:`~xl_kpi.ledger.validate_ledger` makes them.
        ``.attrs["checks"]`` holds the data checks (subscriptions after the
        as-of month; as a note, those never active at a month end) and
        ``.attrs["as_of"]`` the last month (a month-start timestamp).

    Raises
    ------
    LedgerError
        Missing column, blank or unparseable start, unparseable end, a date
        outside 1900-01-01 to 2261-12-31, end before start, blank /
        non-numeric / negative amount, billing period not a number > 0; the
        message names the row and column.

    Notes
    -----
    Active in month m  <=>  start <= last_day(m)  and  (end is blank or end > last_day(m));
    MRR = amount / billing_months.

    Examples
    --------
    >>> import pandas as pd
    >>> subs = pd.DataFrame({"customer_id": ["a", "b"],
    ...                      "start_date": ["2024-01-15", "2024-02-01"],
    ...                      "end_date": ["2024-03-10", None],
    ...                      "amount": [1200, 30], "billing_months": [12, 1]})
    >>> subscriptions_to_ledger(subs, as_of="2024-03-31")
      customer_id      month    mrr
    0           a 2024-01-01  100.0
    1           a 2024-02-01  100.0
    2           b 2024-02-01   30.0
    3           b 2024-03-01   30.0
    """
    if not isinstance(df, pd.DataFrame):  # a file or a database relation (see validation.from_source)
        return from_source(df, lambda frame, found: subscriptions_to_ledger(
            frame, customer, start, end, amount, billing_months, as_of, sheet=sheet, dayfirst=dayfirst,
            date1904=date1904, merge_case=merge_case, locate=found or locate))
    cols = {"customer": customer, "start date": start, "amount": amount}
    if end is not None:
        cols["end date"] = end
    if billing_months is not None:
        cols["billing period"] = billing_months
    require_columns(df, cols, sheet, what="subscription list")
    n = len(df)
    checks = DataChecks()
    ids = parse_ids(df[customer], merge_case)
    codes, uniques, cust_blank = ids
    s_col = parse_dates(df[start], dayfirst=dayfirst, date1904=date1904)
    check_date_order(s_col, start, sheet, first_row, locate)
    s_days, s_blank, s_bad = s_col
    if end is not None:
        e_col = parse_dates(df[end], dayfirst=dayfirst if dayfirst is not None else
                            (None if s_col.order is None else s_col.order == "day first"), date1904=date1904)
        check_date_order(e_col, end, sheet, first_row, locate)
        e_days, e_blank, e_bad = e_col
    else:
        e_days, e_blank, e_bad = np.zeros(n, np.int64), np.ones(n, bool), np.zeros(n, bool)
    a_col = parse_amounts(df[amount])
    check_amount_convention(a_col, amount, sheet, first_row, df[amount], locate)
    amt, a_blank, a_bad = a_col
    if billing_months is not None:
        per, p_blank, p_bad = parse_amounts(df[billing_months])
        per = np.where(p_blank, 1.0, per)
    else:
        per, p_blank, p_bad = np.ones(n), np.ones(n, bool), np.zeros(n, bool)

    keep = ~(cust_blank & s_blank & e_blank & a_blank & p_blank)
    problems = Problems(df, first_row, sheet, keep)
    problems.check_errors([c for c in (customer, start, end, amount, billing_months) if c is not None])
    problems.check(cust_blank, customer, "the customer id is blank (only completely blank rows are skipped)")
    problems.check_ids(ids, customer)
    problems.check(s_blank, start, "the start date is blank")
    problems.check_dates(s_days, s_blank, s_bad, start)
    if end is not None:
        problems.check_dates(e_days, e_blank, e_bad, end)
        problems.check(~s_blank & ~s_bad & ~e_blank & ~e_bad & (e_days < s_days), end,
                       "the end date {value} is before the start date")
    problems.check_amounts(a_col, amount, "amount")
    problems.check(~a_bad & ~a_blank & (np.nan_to_num(amt) < 0), amount, "{value} is negative; amounts must be 0 or more")
    if billing_months is not None:
        problems.check(p_bad, billing_months, "{value} is not a number of months")
        problems.check(~p_bad & (np.nan_to_num(per, nan=1.0) <= 0), billing_months,
                       "the billing period {value} must be more than 0 months")
    problems.raise_first()

    rows = np.flatnonzero(keep)
    codes, s_days, e_days, e_blank, amt, per = (a[keep] for a in (codes, s_days, e_days, e_blank, amt, per))
    first = days_to_months(s_days)
    last_month = current_month() if as_of is None else as_of_month(as_of)
    late = first > last_month
    if late.any():
        checks.add("subscriptions after the as-of month", int(late.sum()),
                   [row_namer(first_row, sheet, locate)(p) for p in rows[late][:3]],
                   f"{counted(late.sum(), 'subscription')} starting after the as-of month {month_label(last_month)} "
                   f"{are(late.sum())} left out", "set a later as-of month to include them")
    # ends on any day of month X -> last active month is X - 1
    last = np.where(e_blank, last_month, days_to_months(e_days) - 1)
    last = np.minimum(last, last_month)
    length = np.maximum(last - first + 1, 0)
    never = ~late & (length == 0)  # started and ended inside one month: running on no month's last day
    if never.any():
        checks.add("never active at a month end", int(never.sum()),
                   [row_namer(first_row, sheet, locate)(p) for p in rows[never][:3]],
                   f"{counted(never.sum(), 'subscription')} started and ended inside one month",
                   "they were never active at a month end, so they have no MRR (MRR is a month-end snapshot: "
                   "docs/metrics.md)", note=True)

    # one row per subscription-month: repeat each subscription `length` times
    rep = np.repeat(np.arange(length.size), length)
    offset = np.arange(rep.size) - np.repeat(np.cumsum(length) - length, length)
    month = first[rep] + offset
    mrr = (amt / per)[rep]
    cust = codes[rep]

    # several subscriptions of one customer in one month add up
    base = int(month.min()) if month.size else 0
    span = int(month.max()) - base + 1 if month.size else 1
    key = cust * np.int64(span) + (month - base)
    uniq_key, inverse = np.unique(key, return_inverse=True)
    total = np.bincount(inverse, weights=mrr, minlength=uniq_key.size)
    ucust, umonth = np.divmod(uniq_key, span)
    out = pd.DataFrame({customer: np.asarray(uniques, dtype=object)[ucust],
                        "month": months_to_timestamps(umonth + base), "mrr": total})
    out.attrs["checks"] = checks
    out.attrs["as_of"] = pd.Timestamp(months_to_timestamps(np.array([last_month]))[0])
    return out
