"""A synthetic SaaS company: a deterministic, seedable subscription ledger of any size.

Tests, benchmarks, the template workbooks and the demo all need realistic
billing data without shipping anybody's real customers. :func:`generate_ledger`
simulates one, month by month and vectorised over customers:

* customers start over the ``n_months`` months, more of them later on
  (``growth`` per month), each with a lognormal starting MRR;
* every month an active customer churns with probability ``churn``, else
  expands (``expansion``) by 10-60 % or contracts (``contraction``) by 10-50 %;
* a churned customer comes back with probability ``reactivation`` a month, at
  about its last MRR.

The same ``seed`` always gives the same company (numpy's PCG64 generator).
The loop runs over months only; everything inside it is one numpy operation
over all customers, so a million ledger rows take well under a second.

>>> from xl_kpi.sample import generate_ledger
>>> df = generate_ledger(n_customers=50, n_months=6, seed=1)
>>> list(df.columns)
['customer_id', 'month', 'mrr']
>>> str(df["month"].min().date()), str(df["month"].max().date())
('2024-01-01', '2024-06-01')
>>> bool((df["mrr"] > 0).all()), bool(df.duplicated(["customer_id", "month"]).any())
(True, False)
>>> generate_ledger(n_customers=50, n_months=6, seed=1).equals(df)
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["generate_ledger", "generate_subscriptions", "customer_ids"]


def customer_ids(n: int, prefix: str = "C") -> np.ndarray:
    """``n`` customer ids ``C000001``, ``C000002`` ... (zero-padded, so they sort naturally).

    >>> customer_ids(3).tolist()
    ['C000001', 'C000002', 'C000003']
    """
    if n <= 0:
        return np.array([], dtype="<U7")
    width = max(6, len(str(n)))
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width))


def _first_month(start) -> np.datetime64:
    """The calendar month of ``start`` (any date-like), as numpy ``datetime64[M]``."""
    return np.datetime64(pd.Timestamp(start).to_period("M").to_timestamp(), "M")


def _start_months(rng: np.random.Generator, n_customers: int, n_months: int, growth: float) -> np.ndarray:
    """Month index (0-based) at which each customer starts, growing ``growth`` a month."""
    if n_customers < 0 or n_months < 1:
        raise ValueError("n_customers must be >= 0 and n_months >= 1")
    weights = (1.0 + growth) ** np.arange(n_months)
    return np.sort(rng.choice(n_months, size=n_customers, p=weights / weights.sum()))


def generate_ledger(
    n_customers: int = 1000,
    n_months: int = 24,
    seed: int = 0,
    start: str = "2024-01-01",
    *,
    churn: float = 0.03,
    expansion: float = 0.04,
    contraction: float = 0.02,
    reactivation: float = 0.02,
    growth: float = 0.03,
    median_mrr: float = 100.0,
    sigma: float = 0.9,
    integer_ids: bool = False,
) -> pd.DataFrame:
    """A monthly MRR ledger: one row per active customer-month.

    Parameters
    ----------
    n_customers : int
        Customers who start at some point during the ``n_months`` months.
    n_months : int
        Length of the ledger in calendar months.
    seed : int
        Seed of the random generator: the same seed gives the same ledger.
    start : str or date-like
        Any date in the first month.
    churn, expansion, contraction, reactivation : float
        Monthly probabilities (see the module docstring).
    growth : float
        Monthly growth of the number of customers who start.
    median_mrr, sigma : float
        Starting MRR is lognormal with this median and log-standard deviation.
    integer_ids : bool
        Integer customer ids (1, 2, ...) instead of text ids ("C000001").

    Returns
    -------
    DataFrame
        ``customer_id``, ``month`` (month-start timestamps), ``mrr`` (> 0,
        rounded to cents), sorted by month then customer.

    Examples
    --------
    >>> generate_ledger(n_customers=3, n_months=3, seed=2)
      customer_id      month     mrr
    0     C000001 2024-01-01   74.38
    1     C000002 2024-01-01   49.02
    2     C000001 2024-02-01   74.38
    3     C000002 2024-02-01   49.02
    4     C000001 2024-03-01   74.38
    5     C000002 2024-03-01   49.02
    6     C000003 2024-03-01  263.93
    """
    rng = np.random.default_rng(seed)
    first = _first_month(start)
    starts = _start_months(rng, n_customers, n_months, growth)

    mrr = np.zeros(n_customers)       # current MRR, 0 when not active
    last = np.zeros(n_customers)      # MRR before churning, for reactivations
    cust_parts, month_parts, mrr_parts = [], [], []
    for t in range(n_months):  # months only: each step is vectorised over customers
        started_before = starts < t
        u = rng.random(n_customers)
        change = rng.uniform(0.1, 0.6, n_customers)
        active = mrr > 0
        churns = active & started_before & (u < churn)
        expands = active & ~churns & (u < churn + expansion)
        contracts = active & ~churns & ~expands & (u < churn + expansion + contraction)
        returns = ~active & started_before & (last > 0) & (u < reactivation)

        last = np.where(churns, mrr, last)
        mrr = np.where(churns, 0.0, mrr)
        mrr = np.where(expands, mrr * (1.0 + change), mrr)
        mrr = np.where(contracts, mrr * (1.0 - change / 1.2), mrr)
        mrr = np.where(returns, last * rng.uniform(0.8, 1.2, n_customers), mrr)
        new = starts == t
        mrr[new] = median_mrr * rng.lognormal(0.0, sigma, int(new.sum()))
        # cents, and never below 1 so an active customer stays active
        mrr = np.where(mrr > 0, np.maximum(np.round(mrr, 2), 1.0), 0.0)

        idx = np.flatnonzero(mrr > 0)
        cust_parts.append(idx)
        month_parts.append(np.full(idx.size, t, dtype=np.int64))
        mrr_parts.append(mrr[idx])

    cust = np.concatenate(cust_parts)
    months = (first + np.concatenate(month_parts)).astype("datetime64[ns]")
    ids = (cust + 1) if integer_ids else customer_ids(n_customers)[cust]
    return pd.DataFrame({"customer_id": ids, "month": months, "mrr": np.concatenate(mrr_parts)})


def generate_subscriptions(
    n_customers: int = 1000,
    n_months: int = 24,
    seed: int = 0,
    start: str = "2024-01-01",
    *,
    churn: float = 0.03,
    annual_share: float = 0.25,
    growth: float = 0.03,
    median_mrr: float = 100.0,
    sigma: float = 0.9,
) -> pd.DataFrame:
    """A subscription list: one subscription per customer, the input form of
    :func:`xl_kpi.ledger.subscriptions_to_ledger`.

    Each customer subscribes on a random day of its start month, billed
    monthly or (``annual_share`` of them) every 12 months; it lasts a
    geometric number of months (monthly ``churn``) and ends on a random day,
    or has a blank ``end_date`` when still running after ``n_months``.

    Returns
    -------
    DataFrame
        ``customer_id``, ``start_date``, ``end_date`` (NaT = still active),
        ``amount`` (per billing period), ``billing_months`` (1 or 12).

    Examples
    --------
    >>> subs = generate_subscriptions(n_customers=4, n_months=12, seed=3)
    >>> list(subs.columns)
    ['customer_id', 'start_date', 'end_date', 'amount', 'billing_months']
    >>> bool((subs["end_date"].isna() | (subs["end_date"] > subs["start_date"])).all())
    True
    """
    rng = np.random.default_rng(seed)
    first = _first_month(start)
    start_m = _start_months(rng, n_customers, n_months, growth)
    # a random day inside the month: days 0..27 exist in every month
    start_date = (first + start_m).astype("datetime64[D]") + rng.integers(0, 28, n_customers)
    lifetime = rng.geometric(churn, n_customers)  # whole months until cancellation
    end_date = (first + start_m + lifetime).astype("datetime64[D]") + rng.integers(0, 28, n_customers)
    still_active = start_m + lifetime >= n_months
    billing = np.where(rng.random(n_customers) < annual_share, 12, 1)
    monthly = np.maximum(np.round(median_mrr * rng.lognormal(0.0, sigma, n_customers), 2), 1.0)
    end = pd.Series(end_date.astype("datetime64[ns]")).mask(still_active)
    return pd.DataFrame(
        {
            "customer_id": customer_ids(n_customers),
            "start_date": start_date.astype("datetime64[ns]"),
            "end_date": end,
            "amount": np.round(monthly * billing, 2),
            "billing_months": billing,
        }
    )
