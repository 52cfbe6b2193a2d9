"""Segments: one MRR bridge per plan, region or channel that adds up to the total bridge.

An optional ledger column names each row's segment. A customer belongs to the
segment of its most recent row within the report range (the latest month;
of several rows in that month, the last one), so the segments partition the
customers and, for every month and every money or count column, the segment
bridges add up to the total bridge (the catalog's "Segments"). A blank
segment cell is the segment ``"(blank)"``, as in an Excel pivot table.

How it stays one computation (no loop over segments or customers): each
segment gets its own stretch of the month axis, n_months + 1 months long,
so customer c's month m becomes ``segment(c) * (n_months + 1) + m`` and the
ordinary bridge runs once over the stretched ledger. The spare month after
each stretch catches the churn that would follow the report's last month,
and is dropped; starting MRR of a segment's first month is then the spare
month's ending MRR, 0.

>>> import numpy as np, pandas as pd
>>> from xl_kpi.ledger.validation import PreparedLedger
>>> led = PreparedLedger(np.array([0, 1, 0]), np.array([0, 0, 1]), np.array([5.0, 7.0, 6.0]),
...                      np.array(["a", "b"], dtype=object), 648, 2)
>>> split = split_by_segment(led, np.array(["Pro", "Pro", "Basic"], dtype=object))
>>> split.labels.tolist(), split.customer_segment.tolist()   # a moved to Basic in its last month
(['Basic', 'Pro'], [0, 1])
>>> split.ledger.month.tolist(), split.ledger.n_months
([0, 3, 1], 6)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from xl_kpi.ledger.validation import LedgerError, PreparedLedger, _describe, _where, parse_ids

__all__ = ["SegmentSplit", "split_by_segment", "BLANK_SEGMENT", "SEGMENT_COLUMN"]

#: The label of the segment of customers whose most recent row has a blank segment cell.
BLANK_SEGMENT = "(blank)"
#: The leading column of a segmented bridge or roll-up.
SEGMENT_COLUMN = "segment"


@dataclass(frozen=True)
class SegmentSplit:
    """A ledger whose month axis is stretched segment by segment (see the module docstring).

    ``ledger`` is the stretched ledger (n_segments * (n_months + 1) months);
    ``labels`` the segments in order; ``customer_segment`` the segment code
    of every customer code; ``n_months`` the months of one stretch's report.
    """

    ledger: PreparedLedger
    labels: np.ndarray
    customer_segment: np.ndarray
    n_months: int

    def real_months(self) -> np.ndarray:
        """True for the stretched months that are report months (not the spare one after each segment)."""
        span = self.n_months + 1
        return np.arange(len(self.labels) * span) % span < self.n_months


def check_segments(bad: np.ndarray, values: np.ndarray, rows: np.ndarray | None = None, *, first_row: int = 2,
                   column: str = SEGMENT_COLUMN, sheet: str | None = None) -> None:
    """Refuse the first segment cell that is no id either (``bad``, from :func:`~xl_kpi.ledger.ids.parse_ids`:
    TRUE/FALSE, an infinity), in the words of a bad id; named by its row when ``rows`` (each value's position
    in the ledger frame) is given."""
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    value = values[i]
    row = None if rows is None else first_row + int(rows[i])
    detail = f"{_describe(value)} is not a segment (TRUE/FALSE and infinities are not segments)"
    raise LedgerError(f"{_where(row, column, sheet)}: {detail}", row=row, column=column, value=value, sheet=sheet,
                      detail=detail)


def split_by_segment(ledger: PreparedLedger, segment: Any) -> SegmentSplit:
    """Stretch ``ledger`` by the segment of each customer.

    ``segment`` holds one value per row of ``ledger`` (its rows after blank
    rows are dropped and the report month applied: the caller aligns them).
    Segments are ordered by their text, the blank segment last.
    """
    values = pd.Series(np.asarray(segment, dtype=object))
    if len(values) != len(ledger.customer):
        raise ValueError(f"segment has {len(values)} values for {len(ledger.customer)} ledger rows")
    ids = parse_ids(values)
    check_segments(ids.bad, values.to_numpy(dtype=object))  # (parse_ids gives them no code: no segment of theirs)
    codes, uniques, blank = ids
    labels = np.asarray(uniques, dtype=object)
    blank_code = -1
    if blank.any():  # every blank cell is one segment, whatever the kind of blank
        labels = np.append(labels, BLANK_SEGMENT)
        blank_code = len(labels) - 1
        codes = np.where(blank, blank_code, codes)
    used = np.unique(codes) if codes.size else codes
    # text order (the blank segment last); only segments that some row names
    keyed = sorted(used.tolist(), key=lambda k: (k == blank_code, str(labels[k])))
    rank = np.full(len(labels), -1, np.int64)
    rank[np.asarray(keyed, dtype=np.int64)] = np.arange(len(keyed))
    row_segment = rank[codes] if codes.size else codes
    ordered = labels[np.asarray(keyed, dtype=np.int64)] if keyed else np.empty(0, dtype=object)

    # each customer's most recent row: the largest (month, row position)
    n_rows = len(ledger.customer)
    latest = ledger.month.astype(np.int64) * max(n_rows, 1) + np.arange(n_rows)
    last_row = pd.Series(latest).groupby(ledger.customer).max()
    customer_segment = np.zeros(ledger.n_customers, np.int64)
    customer_segment[last_row.index.to_numpy()] = row_segment[last_row.to_numpy() % max(n_rows, 1)]

    span = ledger.n_months + 1
    stretched = customer_segment[ledger.customer] * span + ledger.month
    return SegmentSplit(
        ledger=PreparedLedger(ledger.customer, stretched, ledger.mrr, ledger.customers, ledger.first_month,
                              max(len(ordered), 1) * span if ledger.n_months else 0),
        labels=ordered, customer_segment=customer_segment, n_months=ledger.n_months)
