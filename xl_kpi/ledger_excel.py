"""The Excel face of the ledger analyses: MRR_BRIDGE and COHORT_RETENTION.

These adapters take exactly what Excel (through xlwings) passes and return a
list of rows ready to spill. They hold no analysis: the numbers come from
:mod:`xl_kpi.ledger`.

Inputs: three equal-sized single-column (or single-row) ranges - tuples of
tuples or lists of lists - holding floats, ``None`` for blanks, ``str`` text,
``datetime`` or serial numbers for months, and Excel errors as COM integers
(``-2146826246`` is #N/A) or as their literal text (xlwings' ``err_to_str``).

Rules, following the catalog's conventions:

* trailing completely blank rows are ignored (a whole column selected);
  completely blank rows in between are skipped as in Python;
* an Excel error in an input -> that same error (the first one found, by
  argument then by row);
* ranges of different sizes, a range that is not one column, text amounts,
  bad dates, negative MRR, an unknown basis, no data at all -> ``#VALUE!``
  whose reason names the argument and the row of the range;
* rates whose denominator is 0 come back as ``""`` (a blank cell).

Nothing here raises: any unexpected exception becomes ``#VALUE!`` with the
exception as its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from xl_kpi.cells import ERROR_CODES, ERROR_LITERALS, VALUE, blank_mask, error_literal
from xl_kpi.excel_values import CallFailed, ExcelError
from xl_kpi.ledger import BRIDGE_COLUMNS, Ledger, LedgerError, prepare_ledger
from xl_kpi.ledger.columns import TERMS
from xl_kpi.ledger.cohorts import BASES

__all__ = ["mrr_bridge_table", "cohort_retention_table", "SpillFunction", "SPILL_FUNCTIONS"]

_ARGS = ("customer_ids", "months", "mrr")


def _column(value: Any, name: str) -> np.ndarray:
    """One argument as a 1-D object array (a single column or single row of cells)."""
    if isinstance(value, np.ndarray):
        arr = value.astype(object)
    elif isinstance(value, (tuple, list)):
        if len(value) == 0:
            return np.empty(0, dtype=object)
        if isinstance(value[0], (tuple, list)):  # a range of rows: it must be rectangular
            try:
                widths = set(map(len, value))  # C-speed scans: a whole column is a million rows
            except TypeError:
                widths = {-1}
            if len(widths) != 1 or -1 in widths:
                raise CallFailed(VALUE, f"{name} is not a rectangular range")
            width = widths.pop()
            if width == 1:  # one column
                arr = np.fromiter(map(itemgetter(0), value), dtype=object, count=len(value))
            elif len(value) == 1:  # one row
                arr = np.fromiter(value[0], dtype=object, count=width)
            else:
                raise CallFailed(VALUE, f"{name} must be a single column, got {len(value)} rows x {width} columns")
        else:  # a flat sequence is one column (xlwings' ndim=1)
            arr = np.fromiter(value, dtype=object, count=len(value))
    else:
        arr = np.array([value], dtype=object)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim == 2:
        if arr.shape[1] == 1 or arr.shape[0] == 1:
            arr = arr.reshape(-1)
        else:
            raise CallFailed(VALUE, f"{name} must be a single column, got {arr.shape[0]} rows x {arr.shape[1]} columns")
    if arr.ndim != 1:
        raise CallFailed(VALUE, f"{name} must be a single column")
    return arr


def _first_error(columns: list[np.ndarray]) -> tuple[str, str, int] | None:
    """The first Excel error (literal, argument, row of the range), by argument then row."""
    codes = list(ERROR_CODES) + sorted(ERROR_LITERALS)
    for name, arr in zip(_ARGS, columns):
        hit = pd.Series(arr, dtype=object).isin(codes).to_numpy()
        for i in np.flatnonzero(hit):  # isin compares by value (-2146826246.0 == the int); confirm
            literal = error_literal(arr[i])
            if literal is not None:
                return literal, name, int(i) + 1
    return None


def _ledger_frame(customer_ids: Any, months: Any, mrr: Any) -> pd.DataFrame:
    cols = [_column(v, n) for v, n in zip((customer_ids, months, mrr), _ARGS)]
    sizes = [len(c) for c in cols]
    if len(set(sizes)) > 1:
        found = _first_error(cols)  # an error in an input still wins over the size problem
        if found is None:
            raise CallFailed(VALUE, "customer_ids, months and mrr must be ranges of the same size, got "
                               + ", ".join(f"{n} rows" for n in sizes))
    else:
        filled = ~(blank_mask(cols[0]) & blank_mask(cols[1]) & blank_mask(cols[2]))
        last = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0  # trailing blank rows are ignored
        cols = [c[:last] for c in cols]
        found = _first_error(cols)  # (an error is never blank, so none is cut off)
    if found is not None:  # like Excel's own functions: an error in an input propagates
        literal, name, row = found
        raise CallFailed(literal, f"{name}, row {row} of the range holds {literal}")
    if not len(cols[0]):
        raise CallFailed(VALUE, "the ledger ranges are blank: no rows to analyse")
    return pd.DataFrame(dict(zip(_ARGS, cols)))


def _prepared(customer_ids: Any, months: Any, mrr: Any) -> Ledger:
    frame = _ledger_frame(customer_ids, months, mrr)
    try:
        return prepare_ledger(frame, *_ARGS, first_row=1)
    except LedgerError as err:
        raise CallFailed(VALUE, f"{err.column}, row {err.row} of the range: {err.detail}") from None


def _cell(value: Any) -> Any:
    """A result value as a cell: NaN/inf -> "" (blank), numpy scalars -> Python."""
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(value).to_pydatetime()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return ""
    return value


def _guard(build):
    """Run ``build``; turn any failure into a 1 x 1 Excel error (never raise into Excel)."""
    try:
        return build()
    except CallFailed as fail:
        return [[fail.cell()]]
    except Exception as exc:  # noqa: BLE001 - the boundary with Excel: never raise
        return [[ExcelError(VALUE, f"unexpected error: {type(exc).__name__}: {exc}", unexpected=True)]]


def mrr_bridge_table(customer_ids: Any, months: Any, mrr: Any) -> list[list[Any]]:
    """MRR_BRIDGE: the monthly MRR bridge of a ledger as rows to spill.

    Parameters
    ----------
    customer_ids, months, mrr : range
        Equal-sized single-column ranges: the customer of each ledger row,
        any date inside its month (datetime, serial number or date text) and
        its MRR (>= 0).

    Returns
    -------
    list of rows
        A header row (:data:`xl_kpi.ledger.columns.TERMS`, the headers of the
        refresh's ``MRRBridge`` table) and one row per calendar month
        from the first to the last month of the data: the month as a
        ``datetime`` (month start), money and counts as numbers, rates as
        fractions, "" where a rate's denominator is 0. A failing call is a
        1 x 1 ``[[ExcelError]]`` (see the module docstring).

    Examples
    --------
    >>> import datetime as dt
    >>> rows = mrr_bridge_table((("a",), ("b",), ("a",), (None,)),
    ...                         ((dt.datetime(2024, 1, 5),), (45306.0,), ("2024-02-10",), (None,)),
    ...                         ((100.0,), (50.0,), (120.0,), (None,)))
    >>> rows[0][:4]
    ['Month', 'Starting MRR', 'New MRR', 'Expansion MRR']
    >>> rows[2][0], rows[2][1], rows[2][3], rows[2][6], rows[2][7]
    (datetime.datetime(2024, 2, 1, 0, 0), 150.0, 20.0, 50.0, 120.0)
    >>> rows[1][13]  # churn rate of the first month: no customers at start -> blank
    ''
    >>> mrr_bridge_table([["a"], ["b"]], [[45306.0], [45306.0]], [[10.0], ["ten"]])[0][0].reason
    "mrr, row 2 of the range: 'ten' is not a number"
    """

    def build():
        bridge = _prepared(customer_ids, months, mrr).bridge()
        body = [[_cell(v) for v in row] for row in bridge.itertuples(index=False)]  # one row per month
        return [[TERMS[c].header for c in BRIDGE_COLUMNS], *body]

    return _guard(build)


def cohort_retention_table(customer_ids: Any, months: Any, mrr: Any, basis: Any = "logo") -> list[list[Any]]:
    """COHORT_RETENTION: the cohort retention matrix of a ledger as rows to spill.

    Parameters
    ----------
    customer_ids, months, mrr : range
        As for :func:`mrr_bridge_table`.
    basis : str, default "logo"
        "logo" (share of the cohort's customers active) or "revenue" (cohort
        MRR / its first-month MRR); case and surrounding spaces are ignored;
        blank means "logo".

    Returns
    -------
    list of rows
        A header row ``["Cohort", 0, 1, ..., N]`` (months since start) and
        one row per cohort: its label ("2024-01") then the retention at each
        age, "" past the end of the data.

    Examples
    --------
    >>> rows = cohort_retention_table([["a"], ["b"], ["a"]], [[45292.0], [45292.0], [45323.0]],
    ...                               [[10.0], [30.0], [10.0]])
    >>> rows
    [['Cohort', 0, 1], ['2024-01', 1.0, 0.5]]
    >>> cohort_retention_table([["a"], ["b"], ["a"]], [[45292.0], [45292.0], [45323.0]],
    ...                        [[10.0], [30.0], [10.0]], "revenue")[1]
    ['2024-01', 1.0, 0.25]
    >>> cohort_retention_table([["a"]], [[45292.0]], [[10.0]], "logos")[0][0].reason
    'basis must be "logo" or "revenue", got \\'logos\\''
    """

    def build():
        literal = error_literal(basis)
        if literal is not None:
            raise CallFailed(literal, f"basis holds {literal}")
        b = "logo" if basis is None or (isinstance(basis, str) and not basis.strip()) else basis
        if not isinstance(b, str) or b.strip().lower() not in BASES:
            raise CallFailed(VALUE, f'basis must be "logo" or "revenue", got {basis!r}')
        table = _prepared(customer_ids, months, mrr).cohorts(b.strip().lower())
        header = ["Cohort", *[int(c) for c in table.columns]]
        labels = table.index.strftime("%Y-%m")
        return [header, *[[label, *[_cell(v) for v in row]] for label, row in zip(labels, table.to_numpy())]]

    return _guard(build)


# --------------------------------------------------------------------------- the Excel functions
@dataclass(frozen=True)
class SpillFunction:
    """One spilling Excel function of the ledger: what :mod:`xl_kpi.udfs` registers and the docs list.

    ``table`` is the adapter above (its signature is the Excel function's);
    ``summary`` the function wizard's description; ``ranges`` the help of each
    argument that is a range (read as a 2-D range, errors as text), ``scalars``
    that of each single-value argument. Kept here, without xlwings, so that
    writing the docs (``xl-kpi functions``) does not need xlwings.
    """

    name: str
    table: Callable[..., list[list[Any]]]
    summary: str
    ranges: Mapping[str, str]
    scalars: Mapping[str, str] = field(default_factory=dict)


#: Help of the three ledger ranges every spilling function takes.
LEDGER_RANGES = {
    "customer_ids": "Customer id of each ledger row (a column)",
    "months": "Month of each ledger row: any date inside the month (a column)",
    "mrr": "MRR of the customer in that month (a column)",
}

#: The spilling ledger functions, in the order the docs list them.
SPILL_FUNCTIONS = (
    SpillFunction(
        "MRR_BRIDGE", mrr_bridge_table,
        "Monthly MRR bridge of a subscription ledger (starting, new, expansion, reactivation, contraction, churned, "
        "ending MRR, counts and rates); spills with a header row.",
        LEDGER_RANGES),
    SpillFunction(
        "COHORT_RETENTION", cohort_retention_table,
        "Cohort retention matrix of a subscription ledger: one row per cohort month, one column per month since "
        "start; spills.",
        LEDGER_RANGES,
        {"basis": '"logo" (share of customers still active, the default) or "revenue" (share of the cohort\'s '
                  'first-month MRR)'}),
)
