"""Excel <-> Python values: blanks, text, booleans, error codes, dates and ranges.

What Excel (through xlwings) hands a Python function:

* a number as ``float`` (a whole number may arrive as ``int``), a blank cell
  or a missing optional argument as ``None``, text as ``str``, TRUE/FALSE as
  ``bool``, a date-formatted cell as ``datetime.datetime``;
* a cell error as its COM error integer (``-2146826281`` is #DIV/0!), or as
  ``None`` / its literal text (``"#N/A"``) after xlwings' own cleaning;
* a range as a tuple of row tuples (or lists, with ``ndim=2``).

What goes back: numbers, text, and for a failing cell an :class:`ExcelError`,
a ``str`` whose text is the Excel error literal and which carries the reason.
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

import numpy as np

# The cell facts (error literals and COM codes, the date systems) live in xl_kpi.cells;
# the names below are re-exported because they are this module's vocabulary too.
from xl_kpi.cells import (  # noqa: E402,F401
    DIV0, ERROR_CODES, ERROR_LITERALS, EXCEL_EPOCH, NA, NUM, VALUE, datetime_to_serial, error_literal,
)


class ExcelError(str):
    """An Excel error result: ``str(err)`` is the literal ("#DIV/0!"), ``err.reason`` says why.

    >>> err = ExcelError("#DIV/0!", "customers_at_start must be > 0, got 0")
    >>> err, err.reason
    ('#DIV/0!', 'customers_at_start must be > 0, got 0')
    """

    reason: str
    #: True when the error stands for a failure of xl_kpi itself (an exception nobody expected,
    #: caught at the boundary with Excel so that the cell shows a reason, not a traceback).  The
    #: fuzz tests assert that no call ends this way: it would be a bug, not bad input.
    unexpected: bool

    def __new__(cls, literal: str, reason: str = "", *, unexpected: bool = False) -> "ExcelError":
        if literal not in ERROR_LITERALS:
            raise ValueError(f"not an Excel error literal: {literal!r}")
        obj = super().__new__(cls, literal)
        obj.reason = reason or literal
        obj.unexpected = unexpected
        return obj

    def __repr__(self) -> str:  # repr like a plain string, so doctests and cells read naturally
        return str.__repr__(str(self))


class CallFailed(Exception):
    """A whole Excel function call fails: raised inside the Excel adapters, caught at their edge.

    Carries the Excel error literal to return and the reason; :meth:`cell` is
    what the caller's cell shows.
    """

    def __init__(self, literal: str, reason: str):
        super().__init__(reason)
        self.literal, self.reason = literal, reason

    def cell(self) -> ExcelError:
        return ExcelError(self.literal, self.reason)


def to_rows(value: Any) -> list[list[Any]]:
    """Any Excel argument as a list of rows (a scalar is a 1 x 1 range).

    Tuples of tuples and lists of lists keep their shape; a flat sequence or a
    1-D array is one column (as xlwings passes a single-column range with
    ``ndim=1``); a 2-D numpy array is taken as it is.

    >>> to_rows(5.0), to_rows(((1.0, 2.0), (3.0, None))), to_rows([1, 2])
    ([[5.0]], [[1.0, 2.0], [3.0, None]], [[1], [2]])
    """
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return [[value.item()]]
        if value.ndim == 1:
            return [[v] for v in value.tolist()]
        return [list(r) for r in value.tolist()]
    if isinstance(value, (tuple, list)):
        if not value:
            return []
        if all(isinstance(r, (tuple, list)) for r in value):
            return [list(r) for r in value]
        return [[v] for v in value]
    return [[value]]


def is_ragged(rows: list[list[Any]]) -> bool:
    """True when the rows of a range do not all have the same length."""
    return len({len(r) for r in rows}) > 1


# ------------------------------------------------------------------ dates


def to_serial(value: Any) -> float | None:
    """A date-time as an Excel serial number (1900 date system); numbers pass through.

    Returns None for anything that is not a number or a date-time.

    >>> to_serial(_dt.datetime(2024, 1, 31, 12)), to_serial(45322.5), to_serial("x")
    (45322.5, 45322.5, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if isinstance(value, np.datetime64):
        value = value.astype("datetime64[us]").item()
    if isinstance(value, _dt.date):
        return datetime_to_serial(value)
    return None


def finite_or_error(value: float, reason: str = "the result is not a finite number") -> Any:
    """A float result for a cell: NaN and infinities become #NUM!."""
    return value if math.isfinite(value) else ExcelError(NUM, reason)
