"""Quarters and years: a monthly MRR bridge rolled up to calendar or fiscal periods.

The catalog's "Quarters and years": for each period (a quarter or a year,
calendar or of a fiscal year starting in month s)

=================================================  ==========================
starting_mrr, customers_start                      the period's first month's
                                                   (= the month before's end)
new / expansion / reactivation / contraction /     sums over the period's
churned MRR; new / reactivated / churned customers months
ending_mrr, customers_end                          the period's last month's
=================================================  ==========================

so ``starting + new + expansion + reactivation - contraction - churned =
ending`` holds per period, as it does per month. The rates are recomputed
from the period's totals by the core KPI functions (customer churn rate =
churned customers in the period / customers at its start; it can exceed 1,
and the period's net revenue retention fall below 0, since customers new
inside the period count in its churn: docs/metrics.md), through
:func:`xl_kpi.ledger.bridge.assemble_bridge`, the monthly bridge's own
assembly. A period cut by the start of the data or by the report month is
``partial``.

Fiscal years are named by the calendar year in which they end: with
``fiscal_year_start=4`` April 2024 - March 2025 is "FY2025" and its first
quarter (April - June 2024) "FY2025-Q1". Calendar periods are "2024" and
"2024-Q1".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from xl_kpi.ledger.bridge import BRIDGE_COLUMNS, assemble_bridge
from xl_kpi.ledger.segments import SEGMENT_COLUMN
from xl_kpi.ledger.validation import months_to_timestamps

__all__ = ["rollup", "ROLLUP_COLUMNS", "PERIODS", "check_period", "period_keys"]

#: Periods a bridge rolls up to ("month" leaves it as it is).
PERIODS = ("month", "quarter", "year")
_LENGTH = {"month": 1, "quarter": 3, "year": 12}
#: Columns of :func:`rollup` (a segmented bridge's roll-up has ``segment`` first).
ROLLUP_COLUMNS = ("period", "period_start", "period_end", *BRIDGE_COLUMNS[1:], "months", "partial")

_FIRST = ("starting_mrr", "customers_start")
_LAST = ("ending_mrr", "customers_end")
_SUM = ("new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_mrr", "churned_mrr",
        "new_customers", "reactivated_customers", "churned_customers")


def check_period(period: Any) -> str:
    """"month", "quarter" or "year" (case and surrounding spaces ignored)."""
    p = period.strip().lower() if isinstance(period, str) else period
    if p not in PERIODS:
        raise ValueError(f'period must be "month", "quarter" or "year", got {period!r}')
    return p


def check_fiscal_year_start(fiscal_year_start: Any) -> int:
    """The first month of the fiscal year, 1 (January, a calendar year) to 12."""
    if isinstance(fiscal_year_start, bool) or not isinstance(fiscal_year_start, (int, np.integer, float)) \
            or fiscal_year_start != int(fiscal_year_start) or not 1 <= fiscal_year_start <= 12:
        raise ValueError(f"fiscal_year_start must be a month number 1 to 12, got {fiscal_year_start!r}")
    return int(fiscal_year_start)


def period_keys(months: np.ndarray, period: str, fiscal_year_start: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Months since 1970-01 -> (period number, months since 1970-01 of the period's first month).

    >>> keys, first = period_keys(np.array([648, 650, 651, 659]), "quarter", 4)  # 2024-01, -03, -04, -12
    >>> keys.tolist(), (first - 648).tolist()   # FY2024-Q4 twice, FY2025-Q1, FY2025-Q3
    ([215, 215, 216, 218], [0, 0, 3, 9])
    """
    length = _LENGTH[period]
    shifted = np.asarray(months, dtype=np.int64) - (fiscal_year_start - 1)
    keys = np.floor_divide(shifted, length)
    return keys, keys * length + (fiscal_year_start - 1)


def _labels(first: np.ndarray, period: str, fiscal_year_start: int) -> np.ndarray:
    """Period names: "2024", "2024-Q1", "FY2025", "FY2025-Q1" (fiscal years named by their last month's year)."""
    fiscal_index = np.floor_divide(first - (fiscal_year_start - 1), 12)
    year = fiscal_index + 1970 + (1 if fiscal_year_start > 1 else 0)
    prefix = "FY" if fiscal_year_start > 1 else ""
    names = np.char.add(prefix, year.astype(str))
    if period == "quarter":
        quarter = np.mod(first - (fiscal_year_start - 1), 12) // 3 + 1
        names = np.char.add(np.char.add(names, "-Q"), quarter.astype(str))
    return names.astype(object)


def rollup(bridge: pd.DataFrame, period: str = "quarter", fiscal_year_start: int = 1) -> pd.DataFrame:
    """Roll a monthly MRR bridge (segmented or not) up to quarters or years.

    Parameters
    ----------
    bridge : DataFrame
        The output of :func:`xl_kpi.ledger.mrr_bridge` (with or without its
        ``segment`` column), one row per month in order.
    period : {"quarter", "year", "month"}
        "month" returns the bridge as it is.
    fiscal_year_start : int, default 1
        The fiscal year's first month (1 = calendar years).

    Returns
    -------
    DataFrame
        One row per period (per segment and period for a segmented bridge),
        columns :data:`ROLLUP_COLUMNS`: ``period`` (its name),
        ``period_start`` / ``period_end`` (its first and last calendar
        month), the bridge's money, count and rate columns, ``months`` (the
        report months inside it) and ``partial`` (True when the data's start
        or the report month cuts the period).

    Examples
    --------
    >>> import pandas as pd
    >>> from xl_kpi.ledger import mrr_bridge
    >>> ledger = pd.DataFrame({"customer_id": ["a", "b", "a", "a", "c", "a", "c"],
    ...                        "month": ["2024-02-01", "2024-02-01", "2024-03-01", "2024-04-01", "2024-04-01",
    ...                                  "2024-05-01", "2024-05-01"],
    ...                        "mrr": [100, 50, 120, 120, 30, 90, 30]})
    >>> q = rollup(mrr_bridge(ledger), "quarter")
    >>> print(q[["period", "starting_mrr", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr",
    ...          "ending_mrr", "partial"]].to_string())
        period  starting_mrr  new_mrr  expansion_mrr  contraction_mrr  churned_mrr  ending_mrr  partial
    0  2024-Q1           0.0    150.0           20.0              0.0         50.0       120.0     True
    1  2024-Q2         120.0     30.0            0.0             30.0          0.0       120.0     True
    >>> q["customer_churn_rate"].tolist()   # Q2: nobody churned of the 1 customer at its start
    [nan, 0.0]
    """
    p = check_period(period)
    s = check_fiscal_year_start(fiscal_year_start)
    missing = [c for c in BRIDGE_COLUMNS if c not in bridge.columns]
    if missing:
        raise ValueError(f"not an MRR bridge: missing columns {', '.join(missing)}")
    if p == "month":
        return bridge.copy()
    segmented = SEGMENT_COLUMN in bridge.columns
    month_ts = pd.DatetimeIndex(bridge["month"])
    months = (month_ts.year.to_numpy(np.int64) - 1970) * 12 + month_ts.month.to_numpy(np.int64) - 1
    keys, first = period_keys(months, p, s)
    seg_codes = pd.factorize(bridge[SEGMENT_COLUMN], sort=False)[0] if segmented else np.zeros(len(bridge), np.int64)
    # one group per (segment, period), in the bridge's order (segments then months)
    group = np.r_[True, (keys[1:] != keys[:-1]) | (seg_codes[1:] != seg_codes[:-1])] if len(bridge) else np.zeros(0, bool)
    starts = np.flatnonzero(group)
    ends = np.r_[starts[1:], len(bridge)] - 1 if starts.size else starts
    col = {c: bridge[c].to_numpy() for c in (*_FIRST, *_LAST, *_SUM)}
    totals = {c: np.add.reduceat(col[c], starts) if starts.size else col[c][:0] for c in _SUM}
    totals.update({c: col[c][ends] for c in _LAST})
    totals = {c: (v.astype(np.int64) if "customers" in c else v.astype(float)) for c, v in totals.items()}
    first_month = first[starts]
    frame = assemble_bridge(months_to_timestamps(first_month), totals,
                            col["starting_mrr"][starts].astype(float), col["customers_start"][starts])
    frame = frame.drop(columns="month")
    n_in = ends - starts + 1
    frame.insert(0, "period", _labels(first_month, p, s))
    frame.insert(1, "period_start", months_to_timestamps(first_month))
    frame.insert(2, "period_end", months_to_timestamps(first_month + _LENGTH[p] - 1))
    frame["months"] = n_in.astype(np.int64)
    frame["partial"] = n_in < _LENGTH[p]
    if segmented:
        frame.insert(0, SEGMENT_COLUMN, bridge[SEGMENT_COLUMN].to_numpy()[starts])
    return frame
