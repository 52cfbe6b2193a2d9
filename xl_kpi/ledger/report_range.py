"""The report month (as-of): a prepared ledger cut to the months the report covers.

The catalog's "Report month (as-of)": months run from the first month of the
data through ``as_of`` inclusive (any date inside the month); rows after it
are left out. A customer active in its last month m < as_of churns in m + 1,
which the analyses see because the month range reaches ``as_of`` even when
nobody is active there.

>>> import numpy as np
>>> from xl_kpi.ledger.validation import PreparedLedger, as_of_month  # noqa: F401 - one parser of as-of months
>>> led = PreparedLedger(np.array([0, 0, 1]), np.array([0, 2, 1]), np.array([5.0, 6.0, 7.0]),
...                      np.array(["a", "b"], dtype=object), 648, 3)      # 2024-01 .. 2024-03
>>> cut = through(led, "2024-02-15")
>>> cut.n_months, cut.month.tolist(), cut.mrr.tolist()
(2, [0, 1], [5.0, 7.0])
>>> through(led, "2024-06").n_months   # a report month after the data: the range reaches it
6
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from xl_kpi.ledger.validation import PreparedLedger, as_of_month  # noqa: F401 - one parser of as-of months

__all__ = ["as_of_month", "through", "through_with_rows"]


def through(ledger: PreparedLedger, as_of: Any = None) -> PreparedLedger:
    """``ledger`` reported through ``as_of`` (None: through its last month, unchanged)."""
    return through_with_rows(ledger, as_of)[0]


def through_with_rows(ledger: PreparedLedger, as_of: Any = None) -> tuple[PreparedLedger, np.ndarray | None]:
    """:func:`through`, and the mask of the rows kept (None when all are), to cut columns aligned with them."""
    if as_of is None:
        return ledger, None
    last = as_of_month(as_of) - ledger.first_month
    if ledger.n_months and last < 0:
        first = pd.Timestamp(np.datetime64(ledger.first_month, "M")).strftime("%Y-%m")
        raise ValueError(f"as_of {as_of!r} is before the ledger's first month ({first})")
    keep = ledger.month <= last
    if not ledger.n_months or (keep.all() and last + 1 == ledger.n_months):
        return ledger, None
    cut = PreparedLedger(ledger.customer[keep], ledger.month[keep], ledger.mrr[keep], ledger.customers,
                         ledger.first_month, last + 1, ledger.checks, ledger.rows_read)
    return cut, keep
