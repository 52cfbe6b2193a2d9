"""The Excel face of the ledger analyses: MRR_BRIDGE, COHORT_RETENTION, TRAILING_RETENTION, MRR_MOVEMENTS.

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
  argument then by row), also in a single-value option (basis, period,
  window, month, fiscal_year_start);
* ranges of different sizes, a range that is not one column, text amounts,
  bad dates, negative MRR, an unknown basis or period, text or TRUE/FALSE
  as a fiscal year start, no data at all -> ``#VALUE!`` whose reason names
  the argument and the row of the range;
* a number outside an option's domain -> ``#NUM!``: a fiscal year start
  that is not a month 1 to 12 (0, 13, 4.5), a window that is not a whole
  number of months 1 or more (0, 2.5); numeric text ("4") is read as the
  number, as Excel's own functions read it;
* rates whose denominator is 0 come back as ``""`` (a blank cell).

Nothing here raises: any unexpected exception becomes ``#VALUE!`` with the
exception as its reason.
"""

from __future__ import annotations

import re

from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from xl_kpi.cells import ERROR_CODES, ERROR_LITERALS, NUM, VALUE, blank_mask, error_literal
from xl_kpi.excel_values import CallFailed, ExcelError
from xl_kpi.ledger import Ledger, LedgerError, prepare_ledger
from xl_kpi.ledger.columns import header
from xl_kpi.ledger.cohorts import BASES
from xl_kpi.ledger.periods import PERIODS, _labels as period_labels
from xl_kpi.ledger.validation import months_to_timestamps, parse_dates

__all__ = ["mrr_bridge_table", "cohort_retention_table", "trailing_retention_table", "mrr_movements_table",
           "SpillFunction", "SPILL_FUNCTIONS"]

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


def _first_error(columns: list[np.ndarray], names: tuple[str, ...] = _ARGS) -> tuple[str, str, int] | None:
    """The first Excel error (literal, argument, row of the range), by argument then row."""
    codes = list(ERROR_CODES) + sorted(ERROR_LITERALS)
    for name, arr in zip(names, columns):
        hit = pd.Series(arr, dtype=object).isin(codes).to_numpy()
        for i in np.flatnonzero(hit):  # isin compares by value (-2146826246.0 == the int); confirm
            literal = error_literal(arr[i])
            if literal is not None:
                return literal, name, int(i) + 1
    return None


def _ledger_frame(customer_ids: Any, months: Any, mrr: Any, segments: Any = None) -> pd.DataFrame:
    names = _ARGS if segments is None else (*_ARGS, "segments")
    values = (customer_ids, months, mrr) if segments is None else (customer_ids, months, mrr, segments)
    cols = [_column(v, n) for v, n in zip(values, names)]
    sizes = [len(c) for c in cols]
    if len(set(sizes)) > 1:
        found = _first_error(cols, names)  # an error in an input still wins over the size problem
        if found is None:
            raise CallFailed(VALUE, f"{', '.join(names[:-1])} and {names[-1]} must be ranges of the same size, got "
                               + ", ".join(f"{n} rows" for n in sizes))
    else:
        # a row is blank when the ledger's three cells are (a segment beside an empty row does not make it data)
        filled = ~(blank_mask(cols[0]) & blank_mask(cols[1]) & blank_mask(cols[2]))
        last = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0  # trailing blank rows are ignored
        cols = [c[:last] for c in cols]
        found = _first_error(cols, names)  # (an error is never blank, so none is cut off)
    if found is not None:  # like Excel's own functions: an error in an input propagates
        literal, name, row = found
        raise CallFailed(literal, f"{name}, row {row} of the range holds {literal}")
    if not len(cols[0]):
        raise CallFailed(VALUE, "the ledger ranges are blank: no rows to analyse")
    return pd.DataFrame(dict(zip(names, cols)))


def _prepared(customer_ids: Any, months: Any, mrr: Any, segments: Any = None) -> Ledger:
    frame = _ledger_frame(customer_ids, months, mrr, segments)
    try:
        return prepare_ledger(frame, *_ARGS, first_row=1, segment=None if segments is None else "segments")
    except LedgerError as err:
        raise CallFailed(VALUE, f"{err.column}, row {err.row} of the range: {err.detail}") from None


def _option(value: Any, name: str) -> Any:
    """A single-value argument: its Excel error propagates; blank (None, "") is None (the default)."""
    if isinstance(value, (tuple, list, np.ndarray)):  # a one-cell range
        flat = np.asarray(value, dtype=object).reshape(-1)
        if flat.size != 1:
            raise CallFailed(VALUE, f"{name} must be a single value, got a range of {flat.size} cells")
        value = flat[0]
    literal = error_literal(value)
    if literal is not None:
        raise CallFailed(literal, f"{name} holds {literal}")
    if value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


def _period(value: Any) -> str:
    """The [period] option: "month" (also when blank), "quarter" or "year"; case and spaces ignored."""
    p = _option(value, "period")
    p = "month" if p is None else p
    if not isinstance(p, str) or p.strip().lower() not in PERIODS:
        raise CallFailed(VALUE, f'period must be "month", "quarter" or "year", got {value!r}')
    return p.strip().lower()


#: Text Excel reads as a number in an option cell ("12", " 4 ", "1.2e1").
NUMERIC_TEXT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _whole(value: Any, name: str, low: int, high: float, default: int, rule: str) -> int:
    """A whole-number option: blank -> ``default``; numeric text read as Excel reads it; text or TRUE/FALSE ->
    ``#VALUE!`` (not a number); a number that is not whole or not in low..high -> ``#NUM!`` (outside the domain)."""
    s = _option(value, name)
    if s is None:
        return default
    if isinstance(s, str):
        # Excel's own reading of numeric text: digits, a point, an exponent (not Python's "1_2", "inf", "nan")
        if not NUMERIC_TEXT.fullmatch(s.strip()):
            raise CallFailed(VALUE, f"{name} must be {rule}, got text {value!r}")
        s = float(s.strip())
    if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, float, np.integer, np.floating)):
        raise CallFailed(VALUE, f"{name} must be {rule}, got {value!r}")
    if not (np.isfinite(s) and float(s).is_integer() and low <= s <= high):
        raise CallFailed(NUM, f"{name} must be {rule}, got {value!r}")
    return int(s)


def _window(value: Any) -> int:
    """TRAILING_RETENTION's [window]: months, a whole number 1 or more (blank: 12).

    >>> _window(None), _window(3.0), _window("6")
    (12, 3, 6)
    """
    return _whole(value, "window", 1, np.inf, 12, "a whole number of months, 1 or more")


def _fiscal_year_start(value: Any) -> int:
    """The [fiscal_year_start] option: the fiscal year's first month, 1 (January, the default when blank) to 12.

    A number (or numeric text, as Excel's own functions read it) that is not
    a whole month number is outside the domain (``#NUM!``); other text and
    TRUE/FALSE are not numbers (``#VALUE!``).

    >>> _fiscal_year_start(None), _fiscal_year_start(4.0), _fiscal_year_start(" 10 ")
    (1, 4, 10)
    >>> _fiscal_year_start(13.0)
    Traceback (most recent call last):
    ...
    xl_kpi.excel_values.CallFailed: fiscal_year_start must be a month number 1 to 12, got 13.0
    """
    return _whole(value, "fiscal_year_start", 1, 12, 1, "a month number 1 to 12")


def _rows(frame: pd.DataFrame) -> list[list[Any]]:
    """A result frame as spill rows: the header of each column (:data:`xl_kpi.ledger.columns.TERMS`), then its rows."""
    return [[header(c) for c in frame.columns], *[[_cell(v) for v in row] for row in frame.itertuples(index=False)]]


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


def mrr_bridge_table(customer_ids: Any, months: Any, mrr: Any, period: Any = "month",
                     segments: Any = None, fiscal_year_start: Any = 1) -> list[list[Any]]:
    """MRR_BRIDGE: the monthly MRR bridge of a ledger as rows to spill.

    Parameters
    ----------
    customer_ids, months, mrr : range
        Equal-sized single-column ranges: the customer of each ledger row,
        any date inside its month (datetime, serial number or date text) and
        its MRR (>= 0).
    period : str, default "month"
        "month", "quarter" or "year": the bridge rolled up
        (:func:`xl_kpi.ledger.rollup`); blank means "month".
    segments : range, optional
        A range of the same size naming each row's segment (plan, region):
        one bridge per segment, with a leading "Segment" column; a customer
        counts in the segment of its most recent row.
    fiscal_year_start : number, default 1
        The fiscal year's first month, 1 (January: calendar quarters and
        years) to 12, as ``rollup(fiscal_year_start=)`` and the refresh's
        *Fiscal year start* setting; with 4, "FY2025-Q1" is April - June
        2024. Blank means 1; by month it is checked and has no effect.

    Returns
    -------
    list of rows
        A header row (:data:`xl_kpi.ledger.columns.TERMS`, the headers of the
        refresh's ``MRRBridge`` table) and one row per calendar month
        from the first to the last month of the data: the month as a
        ``datetime`` (month start), money and counts as numbers, rates as
        fractions, "" where a rate's denominator is 0. By quarter or year the
        month column becomes Period ("2024-Q1", "2024"), Period start and
        Period end, and Months and Partial (TRUE for a period the data cuts)
        follow the rates. A period's customer churn rate can exceed 1 and
        its net revenue retention fall below 0 (customers new inside the
        period count in its churn; docs/metrics.md): the refresh's report
        notes such a period under its table; the trailing retention
        (``=TRAILING_RETENTION``) is the annual retention of a fixed group.
        A failing call is a 1 x 1 ``[[ExcelError]]`` (see the module
        docstring).

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

    By quarter and plan (2024-01-14 and 2024-04-17: the data ends inside Q2):

    >>> q = mrr_bridge_table([["a"], ["b"]], [[45306.0], [45400.0]], [[10.0], [20.0]], "quarter", [["Pro"], ["Pro"]])
    >>> q[0][:5], q[0][-2:]
    (['Segment', 'Period', 'Period Start', 'Period End', 'Starting MRR'], ['Months', 'Partial'])
    >>> [row[:2] + row[-2:] for row in q[1:]]
    [['Pro', '2024-Q1', 3, False], ['Pro', '2024-Q2', 1, True]]

    A fiscal year starting in April: January - March 2024 is the last quarter of FY2024:

    >>> fy = mrr_bridge_table([["a"], ["b"]], [[45306.0], [45400.0]], [[10.0], [20.0]], "quarter", None, 4)
    >>> [row[:3] for row in fy[1:]]
    [['FY2024-Q4', datetime.datetime(2024, 1, 1, 0, 0), datetime.datetime(2024, 3, 1, 0, 0)], ['FY2025-Q1', datetime.datetime(2024, 4, 1, 0, 0), datetime.datetime(2024, 6, 1, 0, 0)]]
    """

    def build():
        p = _period(period)
        fys = _fiscal_year_start(fiscal_year_start)
        if segments is not None and error_literal(segments) is not None:  # an error cell given as the range
            raise CallFailed(error_literal(segments), f"segments holds {error_literal(segments)}")
        ledger = _prepared(customer_ids, months, mrr, segments)
        bridge = ledger.bridge(by_segment=segments is not None)
        table = bridge if p == "month" else ledger.rollup(p, fys, by_segment=segments is not None)
        return _rows(table)

    return _guard(build)


def cohort_retention_table(customer_ids: Any, months: Any, mrr: Any, basis: Any = "logo", period: Any = "month",
                           fiscal_year_start: Any = 1) -> list[list[Any]]:
    """COHORT_RETENTION: the cohort retention matrix of a ledger as rows to spill.

    Parameters
    ----------
    customer_ids, months, mrr : range
        As for :func:`mrr_bridge_table`.
    basis : str, default "logo"
        "logo" (share of the cohort's customers active) or "revenue" (cohort
        MRR / its first-month MRR); case and surrounding spaces are ignored;
        blank means "logo".
    period : str, default "month"
        "month", "quarter" or "year": cohorts by the period of each
        customer's first active month, retention read at the last month of
        each later period (:func:`xl_kpi.ledger.cohort_retention`'s
        ``period``); blank means "month".
    fiscal_year_start : number, default 1
        The fiscal year's first month (1 to 12) for quarters and years, as
        for :func:`mrr_bridge_table`.

    Returns
    -------
    list of rows
        A header row ``["Cohort", 0, 1, ..., N]`` (months, quarters or years
        since start) and one row per cohort: its label ("2024-01",
        "2024-Q1", "FY2025-Q1", "2024") then the retention at each age, ""
        where that age has no month-end inside the data yet.

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

    By quarter: a (Jan - Apr 2024) and b (Feb 2024 only) start in 2024-Q1; at
    the end of Q1 (March) only a is active, and at the end of Q2 (June) nobody:

    >>> cohort_retention_table([["a"], ["b"], ["a"], ["a"], ["a"], ["c"]],
    ...                        [[45292.0], [45323.0], [45323.0], [45352.0], [45383.0], [45444.0]],
    ...                        [[10.0], [30.0], [10.0], [10.0], [10.0], [5.0]], None, "quarter")
    [['Cohort', 0, 1], ['2024-Q1', 0.5, 0.0], ['2024-Q2', 1.0, '']]
    """

    def build():
        literal = error_literal(basis)
        if literal is not None:
            raise CallFailed(literal, f"basis holds {literal}")
        b = "logo" if basis is None or (isinstance(basis, str) and not basis.strip()) else basis
        if not isinstance(b, str) or b.strip().lower() not in BASES:
            raise CallFailed(VALUE, f'basis must be "logo" or "revenue", got {basis!r}')
        p = _period(period)
        fys = _fiscal_year_start(fiscal_year_start)
        table = _prepared(customer_ids, months, mrr).cohorts(b.strip().lower(), p, fys)
        header = ["Cohort", *[int(c) for c in table.columns]]
        if p == "month":
            labels = table.index.strftime("%Y-%m")
        else:  # the rollup's period names, from each cohort's first month (months since 1970-01)
            first = (table.index.year - 1970) * 12 + table.index.month - 1
            labels = period_labels(np.asarray(first, dtype=np.int64), p, fys)
        return [header, *[[label, *[_cell(v) for v in row]] for label, row in zip(labels, table.to_numpy())]]

    return _guard(build)


def trailing_retention_table(customer_ids: Any, months: Any, mrr: Any, window: Any = 12) -> list[list[Any]]:
    """TRAILING_RETENTION: trailing NRR, GRR and logo retention of a ledger by month, as rows to spill.

    Parameters
    ----------
    customer_ids, months, mrr : range
        As for :func:`mrr_bridge_table`.
    window : number, default 12
        Months between the base month and the measured month (12 = T12M);
        a whole number, 1 or more (else ``#NUM!``); blank means 12.

    Returns
    -------
    list of rows
        A header row (:data:`xl_kpi.ledger.columns.TERMS`) and one row per month
        (:func:`xl_kpi.ledger.trailing_retention`); the first ``window``
        months have no full window and are blank after their month.

    Examples
    --------
    The catalog's example: a 100 -> 120, b 50 -> gone, c new at 80, twelve months apart:

    >>> rows = trailing_retention_table([["a"], ["b"], ["a"], ["c"]], [[45292.0], [45292.0], [45658.0], [45658.0]],
    ...                                 [[100.0], [50.0], [120.0], [80.0]])
    >>> rows[0][3:]
    ['Logo Retention', 'Base MRR', 'Retained MRR', 'Net Revenue Retention', 'Gross Revenue Retention']
    >>> [round(v, 4) for v in rows[-1][1:]]
    [2.0, 1.0, 0.5, 150.0, 120.0, 0.8, 0.6667]
    >>> rows[1][1:3], len(rows)
    (['', ''], 14)
    >>> trailing_retention_table([["a"]], [[45292.0]], [[10.0]], 0.5)[0][0].reason
    'window must be a whole number of months, 1 or more, got 0.5'
    """

    def build():
        w = _window(window)
        return _rows(_prepared(customer_ids, months, mrr).trailing_retention(w))

    return _guard(build)


def mrr_movements_table(customer_ids: Any, months: Any, mrr: Any, month: Any = None) -> list[list[Any]]:
    """MRR_MOVEMENTS: every customer's MRR movement (new, expansion, reactivation, contraction, churn), as rows.

    Parameters
    ----------
    customer_ids, months, mrr : range
        As for :func:`mrr_bridge_table`.
    month : date, optional
        Only the movements of this month (any date inside it: a date,
        serial number or text such as "2024-03"); blank: every month.

    Returns
    -------
    list of rows
        A header row (:data:`xl_kpi.ledger.columns.TERMS`) and one row per movement
        (:func:`xl_kpi.ledger.mrr_movements`): month, customer, movement,
        MRR before, MRR after, change; by month, the largest change first.
        A month inside the data without movements gives the header alone;
        a month outside the data is ``#N/A``.

    Examples
    --------
    >>> ids, dates, amounts = [["a"], ["b"], ["a"]], [[45292.0], [45292.0], [45323.0]], [[10.0], [30.0], [15.0]]
    >>> for row in mrr_movements_table(ids, dates, amounts):
    ...     print(row)
    ['Month', 'Customer', 'Movement', 'MRR Before', 'MRR After', 'Change']
    [datetime.datetime(2024, 1, 1, 0, 0), 'b', 'new', 0.0, 30.0, 30.0]
    [datetime.datetime(2024, 1, 1, 0, 0), 'a', 'new', 0.0, 10.0, 10.0]
    [datetime.datetime(2024, 2, 1, 0, 0), 'b', 'churn', 30.0, 0.0, -30.0]
    [datetime.datetime(2024, 2, 1, 0, 0), 'a', 'expansion', 10.0, 15.0, 5.0]
    >>> len(mrr_movements_table(ids, dates, amounts, "2024-02")), str(mrr_movements_table(ids, dates, amounts, 45000)[0][0])
    (3, '#N/A')
    """

    def build():
        m = _option(month, "month")
        wanted = None
        if m is not None:
            d = parse_dates(pd.Series([m], dtype=object))
            days, blank, bad = d[0], d[1], d[2]
            if bad[0] or blank[0]:
                raise CallFailed(VALUE, f"month must be a date inside the month, got {month!r}")
            wanted = np.datetime64(int(days[0]), "D").astype("datetime64[M]")
        ledger = _prepared(customer_ids, months, mrr)
        table = ledger.movements()
        if wanted is not None:
            first = np.datetime64(ledger.codes.first_month, "M")
            if not first <= wanted < first + ledger.n_months:
                span = f"{first} to {first + max(ledger.n_months - 1, 0)}"
                raise CallFailed("#N/A", f"month {wanted} is outside the ledger's months ({span})")
            table = table[table["month"].to_numpy() == months_to_timestamps(
                np.array([wanted.astype(np.int64)]))[0]]
        return _rows(table)

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

#: Help of the [fiscal_year_start] option (MRR_BRIDGE, COHORT_RETENTION).
FISCAL_YEAR_START_HELP = ("First month of the fiscal year, 1 (January, the default: calendar quarters and years) "
                          "to 12; 4 makes April - June the first quarter")

#: The spilling ledger functions, in the order the docs list them.
SPILL_FUNCTIONS = (
    SpillFunction(
        "MRR_BRIDGE", mrr_bridge_table,
        "Monthly MRR bridge of a subscription ledger (starting, new, expansion, reactivation, contraction, churned, "
        "ending MRR, counts and rates), or by quarter or year, or one bridge per segment; spills with a header row.",
        {**LEDGER_RANGES, "segments": "Optional: the segment (plan, region ...) of each ledger row, a column of the "
                                      "same size; one bridge per segment"},
        {"period": '"month" (the default), "quarter" or "year": the bridge rolled up to quarters or years (a '
                   "period's churn rate can pass 100% and its NRR go below 0: customers new in it count in its "
                   'churn; for annual retention use TRAILING_RETENTION)',
         "fiscal_year_start": FISCAL_YEAR_START_HELP}),
    SpillFunction(
        "COHORT_RETENTION", cohort_retention_table,
        "Cohort retention matrix of a subscription ledger: one row per cohort (month, quarter or year of the first "
        "active month), one column per month (quarter, year) since start; spills.",
        LEDGER_RANGES,
        {"basis": '"logo" (share of customers still active, the default) or "revenue" (share of the cohort\'s '
                  'first-month MRR)',
         "period": '"month" (the default), "quarter" or "year": cohorts by the period of the first active month, '
                   'retention at the end of each later period',
         "fiscal_year_start": FISCAL_YEAR_START_HELP}),
    SpillFunction(
        "TRAILING_RETENTION", trailing_retention_table,
        "Trailing (cohort-based) net and gross revenue retention and logo retention of a subscription ledger: "
        "for each month, the customers active [window] months before and what they pay now; spills with a header "
        "row.",
        LEDGER_RANGES,
        {"window": "Months between the base month and the measured month: 12 (the default) for trailing twelve "
                   "months, 3 for a quarter"}),
    SpillFunction(
        "MRR_MOVEMENTS", mrr_movements_table,
        "Every customer's MRR movement by month (new, expansion, reactivation, contraction, churn) with its MRR "
        "before and after; the rows behind MRR_BRIDGE; spills with a header row.",
        LEDGER_RANGES,
        {"month": "Only this month's movements (any date inside it); blank for every month"}),
)
