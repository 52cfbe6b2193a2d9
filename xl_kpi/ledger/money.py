"""The money rule: how the ledger analyses compare and add amounts of money.

Binary floating point cannot hold 0.1, 0.2 or 0.3 exactly, so ``0.1 + 0.2``
is ``0.30000000000000004``: without a rule, a customer billed 0.1 + 0.2 in
one month and 0.3 the next would show a "contraction" of 5.6e-17, and a
month's quick ratio would be 0 (or 8.6e16) instead of blank.

The rule (docs/money.md states it for users):

* every **customer-month** amount - the sum of that customer's ledger rows
  in that month - is rounded to :data:`DECIMALS` = 6 decimal places, a
  millionth of the currency unit (far below a cent, far above the ~1e-16
  relative residue of float sums), before anything compares or adds it;
* a customer is active in a month when that rounded amount is > 0;
* a movement (expansion, contraction) is the difference of two rounded
  amounts, so equal amounts give exactly no movement;
* the money totals of every month (bridge columns, cohort sums, net new
  MRR) are rounded to :data:`DECIMALS` too: they are sums of 6-decimal
  amounts, so rounding only removes the float residue of the addition;
* a rate is computed from these rounded figures, so a denominator that
  was only rounding noise is exactly 0 and the rate is blank (NaN), like
  any other undefined rate.

Rounding is ``numpy.round(x, 6)``: ``rint(x * 1e6) / 1e6``, ties to even,
and -0.0 becomes 0.0; the result is the double nearest to an integer number of millionths, so
two amounts that round alike are the *same* double. Another engine (SQL
``ROUND(x, 6)``, Ibis ``.round(DECIMALS)``) gives the same amounts except
for exact ties (an amount ending in exactly half a millionth), which
amounts given to 6 decimals or fewer never produce.

>>> 0.1 + 0.2 == 0.3
False
>>> float(round_money(0.1 + 0.2)) == float(round_money(0.3)) == 0.3
True
>>> round_money([1e-17, -2e-12, 12.3456789]).tolist()
[0.0, 0.0, 12.345679]
"""

from __future__ import annotations

import numpy as np

__all__ = ["DECIMALS", "UNIT", "round_money"]

#: Decimal places every customer-month amount and every money total is rounded to.
DECIMALS = 6
#: The smallest amount of money the analyses distinguish from nothing (1e-6).
UNIT = 10.0 ** -DECIMALS


def round_money(amount):
    """``amount`` (scalar or array) rounded to :data:`DECIMALS` decimal places, as float.

    >>> float(round_money(0.1 + 0.2 - 0.3))
    0.0
    """
    # + 0.0 turns the -0.0 of a tiny negative residue into 0.0 (a cell showing "-0")
    return np.round(np.asarray(amount, dtype=float), DECIMALS) + 0.0
