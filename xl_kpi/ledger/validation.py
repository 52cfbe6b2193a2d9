"""Reading a ledger the way a user wrote it: column checks, dates, amounts, row numbers.

Everything that turns user data into arrays goes through here, so every
problem is reported the same way: a :class:`LedgerError` naming the column and
the row number as the user counts it in the sheet or CSV file (the header is
row 1 unless told otherwise), and the sheet when one is given.

Rules
-----
* Completely blank rows are skipped (a whole column selected in Excel, the
  empty lines at the end of an export) and never counted. Nothing else is
  dropped silently: a row with a blank customer, month or amount is an error.
* A cell holding an Excel error (``#N/A`` ...) is refused, naming the error.
* Ids: :mod:`xl_kpi.ledger.ids` (trimmed; 123, 123.0 and "123" are one id;
  booleans are not ids).
* Dates: :mod:`xl_kpi.ledger.dates` (date cells; serial numbers in the
  workbook's date system; text in one day/month order per column).
* Amounts: :mod:`xl_kpi.ledger.amounts` (numbers; text with currency,
  thousands separators, parentheses). A row may be negative (a credit or
  refund) as long as the customer's month adds up to 0 or more.
* ``as_of``: the last month reported. Rows after it are left out (and
  counted); months without rows up to it are still reported, so a customer
  active in its last month m < as_of churns in m + 1.
* Sums: a customer's month, or a month's total (and its ARR, 12 x MRR), that
  is not a finite number is refused naming the customer and month.

Data checks (:mod:`xl_kpi.ledger.checks`) report, without refusing: ids that
differ only in case or leading zeros, exact duplicate rows (same customer,
month and MRR; ``drop_duplicates=True`` drops them), rows after the as-of
month, and months with no active customer between active months.

Speed: the id and date columns are factorised first and only their *distinct*
values are inspected, so a million rows with a few dozen distinct months cost
a few dozen date parses.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from xl_kpi.cells import ERROR_LITERALS
from xl_kpi.errors import UserError
from xl_kpi.ledger.amounts import AmountColumn, parse_amounts
from xl_kpi.ledger.checks import (DataChecks, add_duplicate_rows, add_months_without_customers,
                                  add_near_duplicate_ids)
from xl_kpi.ledger.dates import (  # noqa: F401 - re-exported: the subscription list reads dates the same way
    DATE_RANGE_MESSAGE, DAY_FIRST, FIRST_DAY, LAST_DAY, DateColumn, days_to_months, month_label,
    months_to_timestamps, out_of_range, parse_dates,
)
from xl_kpi.ledger.ids import IdColumn, near_duplicates, parse_ids
from xl_kpi.ledger.money import round_money
from xl_kpi.words import are, counted

__all__ = ["LedgerError", "validate_ledger", "PreparedLedger", "ledger_codes"]



class LedgerError(UserError, ValueError):
    """A problem in the user's ledger or subscription list.

    Attributes
    ----------
    row : int or None
        Row number as the user counts it (sheet or CSV row), None for a
        problem with a whole column.
    column : str or None
        Name of the column.
    value : object
        The offending value (None for a missing column).
    sheet : str or None
        The sheet, when the caller said which one.
    detail : str
        What is wrong, without the place ("'n/a' is not a number"); the
        whole message where there is no single place.
    """

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None,
                 value: Any = None, sheet: str | None = None, detail: str | None = None):
        super().__init__(message)
        self.row, self.column, self.value, self.sheet = row, column, value, sheet
        self.detail = message if detail is None else detail


def _where(row: int | None, column: str, sheet: str | None) -> str:
    parts = [f"sheet {sheet!r}"] if sheet else []
    if row is not None:
        parts.append(f"row {row}")
    parts.append(f"column {column!r}")
    text = ", ".join(parts)
    return text[0].upper() + text[1:]


def negative_net(customer: str, total: float, month: str, rows: list[str], row: int | None, column: str,
                 sheet: str | None) -> LedgerError:
    """The refusal of a customer-month that nets below 0 (a credit larger than the month's MRR), for every
    engine: placed like every other row's message (sheet, first row, column), its rows listed.

    ``rows`` names the customer-month's rows as the user counts them (none when the engine cannot
    say); ``row`` is its largest credit (the first of equal ones): the row that takes the month below
    0, where the message is placed. Of several such customer-months, every engine names the one whose
    first row comes first.

    >>> str(negative_net("b", -30.0, "Jan 2024", ["sheet 'Ledger' row 6", "sheet 'Ledger' row 8"], 6, "MRR",
    ...                  "Ledger"))
    "Sheet 'Ledger', row 6, column 'MRR': customer 'b' nets to -30 in Jan 2024 (sheet 'Ledger' row 6, sheet 'Ledger' row 8); a credit or refund may lower a month's MRR but not below 0"
    """
    listed = f" ({', '.join(rows)})" if rows else ""
    detail = (f"customer {customer!r} nets to {total:g} in {month}{listed}; a credit or refund may lower a "
              "month's MRR but not below 0")
    return LedgerError(f"{_where(row, column, sheet)}: {detail}", column=column, sheet=sheet, row=row,
                       detail=detail)


def _describe(value: Any) -> str:
    """A value as the user typed it: text quoted, 1200.0 as 1200 (Excel sends every number as a float), a date
    as its ISO text (a pandas, NumPy or Python date alike: the same date reads the same from every source).

    >>> _describe("soon"), _describe(1200.0), _describe(dt.date(1850, 1, 1)), _describe(np.datetime64("2262-03-04T12:30"))
    ("'soon'", '1200', '1850-01-01', '2262-03-04 12:30:00')
    """
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value) if not np.isnat(value) else None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, dt.datetime) and value is not pd.NaT:
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


# ------------------------------------------------------------------ columns


#: A row's name as the user counts it, from its 0-based position in the frame ("sheet 'Data' row 7",
#: "line 12"): what every message and data check that names rows uses.
RowNamer = Callable[[int], str]


def row_namer(first_row: int, sheet: str | None, locate: RowNamer | None = None) -> RowNamer:
    """``locate`` when the caller knows how the user numbers the rows (a CSV's lines, a sheet's rows),
    else position ``p`` is row ``first_row + p`` (of ``sheet``).

    >>> row_namer(2, "Data")(5), row_namer(2, None, lambda p: f"line {[2, 5, 9][p]}")(2)
    ("sheet 'Data' row 7", 'line 9')
    """
    if locate is not None:
        return lambda pos: locate(int(pos))
    return lambda pos: row_label(first_row + int(pos), sheet)


def from_source(df: Any, compute):
    """``compute(df, None)``; a path or a database relation is read first (:func:`xl_kpi.sources.open_source`)
    and computed as ``compute(frame, locate)``, ``locate`` naming a row the source's way (a CSV's "line 12",
    for the rows a message lists), and a bad row is then named by the source's file and line or row
    (:func:`relocate`).  So every ledger function takes a CSV / Parquet / DuckDB / SQLite path or a DuckDB
    relation as well as a DataFrame."""
    readable = isinstance(df, (str, os.PathLike)) or hasattr(df, "df") or hasattr(df, "to_pandas")
    if isinstance(df, pd.DataFrame) or not readable:  # (anything else is refused by require_columns)
        return compute(df, None)
    from xl_kpi.sources import open_source  # the sources read files; the ledger itself does no I/O

    table = open_source(df)
    try:
        return compute(table.frame, table.locate)
    except LedgerError as exc:
        raise relocate(exc, table) from None


def relocate(exc: LedgerError, table: Any, first_row: int = 2, column=None) -> LedgerError:
    """``exc``, about the rows of ``table.frame`` counted from ``first_row``, restated where the user
    looks: ``ledger.csv: line 12, column 'MRR': ...`` (``table`` is an :class:`xl_kpi.sources.SourceTable`;
    ``column`` maps a header back to the user's name)."""
    name = column(exc.column) if column is not None else exc.column
    if exc.row is None:
        return LedgerError(f"{table.label}: {exc.detail}", column=name, value=exc.value, detail=exc.detail)
    position = exc.row - first_row
    where = table.locate(position) if 0 <= position < len(table.frame) else f"row {exc.row}"
    text = f"{where}, column {name!r}" if name else where
    return LedgerError(f"{table.label}: {text}: {exc.detail}", row=exc.row, column=name, value=exc.value,
                       sheet=table.sheet, detail=exc.detail)


def require_columns(df: pd.DataFrame, columns: dict[str, str], sheet: str | None, what: str = "ledger") -> None:
    """Raise LedgerError when one of ``columns`` (role -> column name) is missing."""
    if not isinstance(df, pd.DataFrame):
        raise LedgerError(f"The {what} must be a pandas DataFrame, got {type(df).__name__}", sheet=sheet)
    for role, name in columns.items():
        if name not in df.columns:
            have = ", ".join(repr(str(c)) for c in df.columns) or "none"
            where = f"Sheet {sheet!r}: the" if sheet else "The"
            raise LedgerError(
                f"{where} {what} has no {role} column {name!r} (its columns: {have})",
                column=name, sheet=sheet,
            )


def row_label(row: int, sheet: str | None) -> str:
    """"sheet 'Ledger' row 7" (or "row 7" without a sheet)."""
    return f"sheet {sheet!r} row {row}" if sheet else f"row {row}"


# ------------------------------------------------------------------ column-level refusals


def _order_hint() -> str:
    return ("choose the order: --dayfirst or --monthfirst on the command line, the Settings table's "
            "'Date order' (day first / month first) in the workbook, or dayfirst=True/False in Python")


def check_date_order(col: DateColumn, column: str, sheet: str | None, first_row: int,
                     locate: RowNamer | None = None) -> None:
    """Refuse a column whose text dates have no single day/month order (see :mod:`xl_kpi.ledger.dates`)."""
    where, name = _where(None, column, sheet), row_namer(first_row, sheet, locate)
    if col.conflict:
        (dp, dv), (mp, mv) = col.conflict
        raise LedgerError(
            f"{where}: text dates in two orders: {dv!r} ({name(dp)}) is day first but "
            f"{mv!r} ({name(mp)}) is month first; write them one way, or {_order_hint()}",
            column=column, sheet=sheet, row=first_row + dp, value=dv)
    if col.ambiguous:
        pos, value = col.ambiguous
        raise LedgerError(
            f"{where}: every text date could be day first or month first (e.g. {value!r} in "
            f"{name(pos)}): {_order_hint()}",
            column=column, sheet=sheet, row=first_row + pos, value=value)


def check_amount_convention(col: AmountColumn, column: str, sheet: str | None, first_row: int,
                            values: pd.Series, locate: RowNamer | None = None) -> None:
    """Refuse an amount column with two decimal separators or two currencies."""
    where, name = _where(None, column, sheet), row_namer(first_row, sheet, locate)
    if col.conflict:
        a, b = col.conflict
        raise LedgerError(
            f"{where}: amounts written two ways: {values.iloc[a]!r} ({name(a)}) has a "
            f"decimal point, {values.iloc[b]!r} ({name(b)}) a decimal comma; "
            "write them one way", column=column, sheet=sheet, row=first_row + min(a, b))
    if col.currencies and len(col.currencies) > 1:
        (c1, p1), (c2, p2) = sorted(col.currencies.items(), key=lambda kv: kv[1])[:2]
        raise LedgerError(
            f"{where}: amounts in two currencies: {values.iloc[p1]!r} ({c1}, {name(p1)}) "
            f"and {values.iloc[p2]!r} ({c2}, {name(p2)}); convert them to one currency",
            column=column, sheet=sheet, row=first_row + p2)


#: What ``pandas.api.types.infer_dtype`` calls a column of values none of which is text (so none is an error
#: literal): a column of numbers or dates is settled by one C-level pass, with no look-up.
_NO_TEXT = frozenset({"empty", "floating", "integer", "mixed-integer-float", "decimal", "complex", "boolean",
                      "datetime64", "datetime", "date", "timedelta64", "timedelta", "time", "period", "interval"})


def error_mask(s: pd.Series, factorized: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """True where a cell holds an Excel error literal ("#N/A" ...), as xlwings or a CSV export hands it over.

    ``factorized`` is ``pandas.factorize`` of the column's values (codes per row, the distinct values), when
    the caller has it (:attr:`xl_kpi.ledger.ids.IdColumn.raw`): the literals are then looked for among the
    distinct values only (a million text ids are not hashed again).

    >>> s = pd.Series(["a", "#N/A", None, "#N/A", 3.0], dtype=object)
    >>> error_mask(s).tolist(), error_mask(s, pd.factorize(s.to_numpy())).tolist()
    ([False, True, False, True, False], [False, True, False, True, False])
    """
    if s.dtype != object and not pd.api.types.is_string_dtype(s.dtype):
        return np.zeros(len(s), bool)
    if s.dtype == object:
        if factorized is not None:  # every distinct cell is among the uniques: no pass over the rows
            codes, uniques = factorized
            hit = pd.Series(np.asarray(uniques, dtype=object), dtype=object).isin(list(ERROR_LITERALS)).to_numpy(bool)
            return np.r_[hit, False][codes]  # a missing value (code -1) picks the appended False: no error
        values = s.to_numpy()
        kind = pd.api.types.infer_dtype(values, skipna=True)
        if kind in _NO_TEXT:
            return np.zeros(len(s), bool)
        if kind != "string" and not any(issubclass(t, str) for t in set(map(type, values))):
            return np.zeros(len(s), bool)  # only text can be an error literal (a column of dates or numbers: no look-up)
    return s.isin(list(ERROR_LITERALS)).to_numpy(dtype=bool)


# ------------------------------------------------------------------ the ledger


@dataclass(frozen=True)
class PreparedLedger:
    """A validated ledger as integer codes (what the analyses work on).

    ``customer`` are codes into ``customers`` (the normalised ids, text);
    ``month`` are month numbers counted from ``first_month`` (months since
    1970-01), 0..n_months-1 (``n_months`` reaches the as-of month); ``mrr``
    are floats (a row may be negative; every customer-month adds up to 0 or
    more). Completely blank rows are gone. ``checks`` are the data checks
    of the read, ``rows_read`` the rows that were not blank.
    """

    customer: np.ndarray
    month: np.ndarray
    mrr: np.ndarray
    customers: Any
    first_month: int
    n_months: int
    checks: DataChecks = field(default_factory=DataChecks, compare=False)
    rows_read: int = -1

    @property
    def n_customers(self) -> int:
        return len(self.customers)

    def month_starts(self) -> np.ndarray:
        """The calendar months of the ledger as month-start datetime64[ns]."""
        return months_to_timestamps(self.first_month + np.arange(self.n_months))

    def month_range(self) -> str:
        """"Jan 2024 - Jun 2024" (empty for an empty ledger)."""
        if not self.n_months:
            return ""
        first, last = month_label(self.first_month), month_label(self.first_month + self.n_months - 1)
        return first if first == last else f"{first} - {last}"


class Problems:
    """Collects the first bad row of each check and raises the earliest one."""

    def __init__(self, df: pd.DataFrame, first_row: int, sheet: str | None, keep: np.ndarray | None = None):
        self.df, self.first_row, self.sheet = df, first_row, sheet
        self.keep = keep  # rows that are not completely blank
        self.found: list[tuple[int, int, str, str]] = []

    def check(self, mask: np.ndarray, column: str, message: str) -> None:
        """``message`` may use {value}; rows where ``mask`` is True are errors."""
        if self.keep is not None:
            mask = mask & self.keep
        hits = np.flatnonzero(mask)
        if hits.size:
            self.found.append((int(hits[0]), len(self.found), column, message))

    def check_errors(self, columns: list[str], factorized: dict | None = None, no_text=()) -> None:
        """Cells holding an Excel error, checked before anything else in their row (``factorized``: column ->
        the factorisation of its cells, when at hand: see :func:`error_mask`; ``no_text``: columns known to
        hold no text, so no error literal)."""
        for column in columns:
            if column in no_text:
                continue
            self.check(error_mask(self.df[column], (factorized or {}).get(column)), column,
                       "the cell holds the Excel error {raw}; fix it or delete the row")

    def check_dates(self, days: np.ndarray, blank: np.ndarray, bad: np.ndarray, column: str) -> None:
        """The checks of a :func:`parse_dates` column: not a date, then outside the supported dates.

        Blank dates are the caller's to allow or refuse.
        """
        self.check(bad, column, "{value} is not a date")
        self.check(~bad & ~blank & out_of_range(days), column, DATE_RANGE_MESSAGE)

    def check_ids(self, ids: IdColumn, column: str) -> None:
        self.check(ids.bad, column, "{value} is not a customer id (TRUE/FALSE and infinities are not ids)")

    def check_amounts(self, col: AmountColumn, column: str, what: str = "MRR") -> None:
        self.check(col.blank, column, f"the {what} is blank (only completely blank rows are skipped)")
        self.check(col.complex, column, "{value} is a complex number, not an amount")
        self.check(col.ambiguous, column, "{value} is ambiguous: the column's decimal separator is "
                   f"{col.decimal!r}, so it could be a thousands separator or a decimal one; write it without it")
        self.check(col.bad, column, "{value} is not a number")

    def raise_first(self) -> None:
        if not self.found:
            return
        pos, _, column, message = min(self.found)
        value = self.df[column].iloc[pos]
        row = self.first_row + pos
        text = message.format(value=_describe(value), raw=str(value))
        raise LedgerError(f"{_where(row, column, self.sheet)}: {text}", row=row, column=column,
                          value=value, sheet=self.sheet, detail=text)


def as_of_month(as_of: Any) -> int:
    """``as_of`` (any date inside a month, "2024-06", a Timestamp ...) as months since 1970-01.

    >>> as_of_month("2024-06"), as_of_month("2024-06-30")
    (653, 653)
    """
    col = parse_dates(pd.Series([as_of], dtype=object), dayfirst=False)
    if col.blank[0] or col.bad[0] or out_of_range(col.days)[0] or col.ambiguous or col.conflict:
        raise LedgerError(f"as_of must be a date inside the report month, such as 2024-06 (YYYY-MM), got {as_of!r}", value=as_of)
    return int(days_to_months(col.days)[0])


def ledger_codes(df: pd.DataFrame, customer: str = "customer_id", month: str = "month", mrr: str = "mrr",
                   *, first_row: int = 2, sheet: str | None = None, as_of: Any = None,
                   dayfirst: bool | None = None, date1904: bool = False, merge_case: bool = False,
                   drop_duplicates: bool = False, locate: RowNamer | None = None,
                   factorized: dict | None = None) -> PreparedLedger:
    """Validate a ledger and turn it into integer codes (see :func:`validate_ledger`): the
    :class:`PreparedLedger` that :func:`xl_kpi.ledger.prepare_ledger` wraps in a ``Ledger``.

    ``df`` may also be a file path or a database relation (:func:`from_source`).  ``locate`` names the
    row at a position of ``df`` as the user counts it (:data:`RowNamer`), for the rows a message or a
    data check lists; default row ``first_row + position`` of ``sheet``.  ``factorized`` maps the id
    column's name to ``pandas.factorize`` of its values, when the caller has it (the refresh): the
    ids are then not hashed again (:func:`xl_kpi.ledger.ids.parse_ids`)."""
    return from_source(df, lambda frame, found: _prepare(frame, customer, month, mrr, first_row, sheet, as_of,
                                                         dayfirst, date1904, merge_case, drop_duplicates,
                                                         locate=found or locate,
                                                         factorized=factorized if found is None else None)[0])


def _examples(rows: np.ndarray, name: RowNamer) -> list[str]:
    return [name(p) for p in rows[:3]]


def _prepare(df, customer, month, mrr, first_row, sheet, as_of=None, dayfirst=None, date1904=False,
             merge_case=False, drop_duplicates=False, locate: RowNamer | None = None,
             factorized: dict | None = None) -> tuple[PreparedLedger, np.ndarray]:
    require_columns(df, {"customer": customer, "month": month, "MRR": mrr}, sheet)
    name = row_namer(first_row, sheet, locate)
    checks = DataChecks()
    ids = parse_ids(df[customer], merge_case, (factorized or {}).get(customer))
    dates = parse_dates(df[month], dayfirst=dayfirst, date1904=date1904)
    check_date_order(dates, month, sheet, first_row, locate)
    amounts = parse_amounts(df[mrr])
    check_amount_convention(amounts, mrr, sheet, first_row, df[mrr], locate)
    amount = amounts.values

    keep = ~(ids.blank & dates.blank & amounts.blank)
    problems = Problems(df, first_row, sheet, keep)
    problems.check_errors([customer, month, mrr], {customer: ids.raw, month: dates.raw},
                          no_text=() if amounts.text else (mrr,))
    problems.check(ids.blank, customer, "the customer id is blank (only completely blank rows are skipped)")
    problems.check_ids(ids, customer)
    problems.check(dates.blank, month, "the month is blank (only completely blank rows are skipped)")
    problems.check_dates(dates.days, dates.blank, dates.bad, month)
    problems.check_amounts(amounts, mrr)
    problems.raise_first()

    if dates.order and dates.evidence:
        pos, value = dates.evidence
        checks.note(f"{month}: text dates read {dates.order}, as {value!r} ({name(pos)}) shows")
    elif dates.order and dayfirst is not None:
        checks.note(f"{month}: text dates read {dates.order} (as chosen)")
    if amounts.thousands_read:
        pos, value = amounts.thousands_read
        checks.note(f"{mrr}: {value!r} ({name(pos)}) read with a thousands separator")

    rows = np.flatnonzero(keep)  # positions of the rows used, in the user's order
    months = days_to_months(dates.days[rows])
    amount = amount[rows].astype(float, copy=False)
    codes = ids.codes[rows]
    rows_read = int(rows.size)

    last_month = as_of_month(as_of) if as_of is not None else (int(months.max()) if months.size else 0)
    if as_of is not None and months.size:
        first_data = int(months.min())
        if last_month < first_data:
            first_text = str(np.datetime64("1970-01", "M") + first_data)
            raise LedgerError(f"as_of {as_of!r} is before the ledger's first month ({first_text})", value=as_of)
        late = months > last_month
        if late.any():
            checks.add("rows after the as-of month", int(late.sum()), _examples(rows[late], name),
                       f"{counted(late.sum(), 'row')} after the as-of month {month_label(last_month)} {are(late.sum())} left out",
                       "set a later as-of month to include them")
            rows, months, amount, codes = rows[~late], months[~late], amount[~late], codes[~late]

    first = int(months.min()) if months.size else 0
    n_months = last_month - first + 1 if months.size else 0
    month_code = months - first

    # exact duplicate rows: same customer, month and amount
    if codes.size:
        # customer and month as one key (codes * months + month: a pair of small integers): one column fewer
        key = codes.astype(np.int64) * (int(month_code.max()) + 1) + month_code
        dup = duplicate_rows(key, amount)
        if dup.any():
            add_duplicate_rows(checks, int(dup.sum()), _examples(rows[dup], name), drop_duplicates)
            if drop_duplicates:
                rows, month_code, amount, codes = rows[~dup], month_code[~dup], amount[~dup], codes[~dup]

    _check_sums(codes, month_code, amount, rows, ids.uniques, first, first_row, sheet, mrr, name)

    # compact the customer codes to the customers used (blank rows and left-out rows hold none)
    codes, used = compact_codes(codes)
    customers = np.asarray(ids.uniques, dtype=object)[np.asarray(used, dtype=np.int64)] if len(used) else \
        np.empty(0, dtype=object)
    _check_ids(customers, codes, rows, name, customer, merge_case, checks)
    _check_gaps(codes, month_code, amount, n_months, first, checks)
    prepared = PreparedLedger(codes.astype(np.int64), month_code.astype(np.int64), amount, customers, first,
                              n_months, checks, rows_read)
    return prepared, rows


def compact_codes(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pandas.factorize(codes)`` of non-negative integer codes: renumbered 0.. in order of first
    appearance, and the code each new one stands for.

    The ids' codes are numbered so already (:func:`xl_kpi.ledger.ids.parse_ids`) unless rows left out
    (after the as-of month, a duplicate dropped) held a customer's first appearance: each new code is
    then one more than every code before it, which a running maximum shows without hashing a million
    codes; otherwise they are factorised.

    >>> [c.tolist() for c in compact_codes(np.array([0, 1, 0, 2, 1]))], [c.tolist() for c in compact_codes(np.array([2, 0, 2]))]
    ([[0, 1, 0, 2, 1], [0, 1, 2]], [[0, 1, 0], [2, 0]])
    """
    if codes.size:
        top = np.maximum.accumulate(codes)
        if top[0] == 0 and (np.diff(top) <= 1).all():
            return codes, np.arange(int(top[-1]) + 1)
    return pd.factorize(codes)


def duplicate_rows(key: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """True for each row whose (key, amount) pair an earlier row holds too (``DataFrame.duplicated()``).

    Only rows whose key repeats can repeat the pair: the keys (integers) are checked first, and the pairs
    only among those rows (on a ledger with one row per customer-month, none), in their order.

    >>> duplicate_rows(np.array([1, 2, 1, 1, 3]), np.array([5.0, 5.0, 5.0, 6.0, 5.0])).tolist()
    [False, False, True, False, False]
    >>> duplicate_rows(np.array([0, 10**12, 0]), np.array([1.0, 1.0, 1.0])).tolist()  # sparse keys: hashed
    [False, False, True]
    """
    dup = np.zeros(key.size, bool)
    if not key.size:
        return dup
    lo, hi = int(key.min()), int(key.max())
    if hi - lo <= 4 * key.size:  # customer x month keys are dense: a count per key, no hash table
        at = key - lo
        seen = np.zeros(hi - lo + 1, bool)  # (a byte per key first: a ledger of one row per customer-month
        seen[at] = True                     # is settled without the 8-byte counts)
        if np.count_nonzero(seen) == key.size:
            return dup
        repeated = np.flatnonzero(np.bincount(at)[at] > 1)
    else:
        repeated = np.flatnonzero(pd.Series(key).duplicated(keep=False).to_numpy())
    if repeated.size:
        dup[repeated] = pd.DataFrame({"k": key[repeated], "v": amount[repeated]}).duplicated().to_numpy()
    return dup


def _check_sums(codes, month_code, amount, rows, uniques, first, first_row, sheet, column, name: RowNamer) -> None:
    """Refuse a customer-month that nets below 0, and any customer-month or month total that is not finite."""
    if not amount.size:
        return
    with np.errstate(over="ignore", invalid="ignore"):
        safe = bool(np.isfinite(np.abs(amount).sum() * 12.0))
    negative = amount < 0
    if safe and not negative.any():
        return
    span = int(month_code.max()) + 1
    key = codes.astype(np.int64) * span + month_code
    if safe:  # only the customer-months holding a negative row can net below 0
        sel = np.isin(key, np.unique(key[negative]))
    else:
        sel = np.ones(key.size, bool)
    ukey, inv = np.unique(key[sel], return_inverse=True)
    with np.errstate(over="ignore", invalid="ignore"):
        sums = np.bincount(inv, weights=amount[sel], minlength=ukey.size)
    sel_rows = rows[sel]

    def whom(k: int) -> tuple[str, str]:
        c, m = divmod(int(ukey[k]), span)
        return str(uniques[c]), month_label(first + m)

    bad = np.flatnonzero(~np.isfinite(sums))
    if bad.size:
        who, when = whom(bad[0])
        hit = sel_rows[inv == bad[0]]
        detail = (f"the MRR of customer {who!r} in {when} ({', '.join(_examples(hit, name))}) "
                  "adds up to more than a number can hold")
        raise LedgerError(f"{_where(None, column, sheet)}: {detail}", column=column, sheet=sheet,
                          row=first_row + int(hit[0]), detail=detail)
    # by the money rule (docs/money.md): a full refund (0.3 - 0.1 - 0.2) leaves a float residue of
    # -2.8e-17, which is 0, not a month below 0
    net = round_money(sums)
    neg = np.flatnonzero(net < 0)
    if neg.size:
        # of the customer-months netting below 0, the one whose first row comes first in the file (as the Ibis
        # engine finds it), placed at its largest credit: the row taking it below 0, not its first row (which
        # may be the positive one); of equal credits the first
        first_pos = np.full(ukey.size, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first_pos, inv, sel_rows.astype(np.int64))
        k = int(neg[np.argmin(first_pos[neg])])
        in_k = inv == k
        hit = sel_rows[in_k]
        credit = hit[int(np.argmin(amount[sel][in_k]))]
        who, when = whom(k)
        raise negative_net(who, net[k], when, [name(p) for p in hit[:5]], first_row + int(credit), column, sheet)
    if not safe:
        m_of = (ukey % span).astype(np.int64)
        with np.errstate(over="ignore", invalid="ignore"):
            totals = np.bincount(m_of, weights=sums, minlength=span)
            arr = totals * 12.0
        over = np.flatnonzero(~np.isfinite(arr))
        if over.size:
            detail = (f"the MRR of {month_label(first + int(over[0]))} adds up to more than a number can "
                      "hold (its ARR, 12 x MRR, too)")
            raise LedgerError(f"{_where(None, column, sheet)}: {detail}", column=column, sheet=sheet, detail=detail)


def _check_ids(customers, codes, rows, name: RowNamer, column, merge_case, checks) -> None:
    groups = near_duplicates(customers)
    if not groups:
        return
    first_pos = np.full(len(customers), -1, np.int64)
    first_pos[codes[::-1]] = rows[::-1]
    examples = [" / ".join(f"{customers[i]!r} ({name(first_pos[i])})" for i in g)
                for g in groups]
    add_near_duplicate_ids(checks, len(groups), examples, merge_case)


def _check_gaps(codes, month_code, amount, n_months, first, checks) -> None:
    """Months with no active customer between active months (likely missing data)."""
    if not amount.size or n_months < 3:
        return
    span = max(n_months, 1)
    key = codes.astype(np.int64) * span + month_code
    if (amount < 0).any():
        ukey, inv = np.unique(key, return_inverse=True)
        sums = np.bincount(inv, weights=amount)
        active_month = np.bincount((ukey % span)[sums > 0], minlength=span) > 0
    else:
        active_month = np.bincount(month_code[amount > 0], minlength=span) > 0
    act = np.flatnonzero(active_month)
    if act.size < 2:
        return
    gaps = [m for m in range(int(act[0]) + 1, int(act[-1])) if not active_month[m]]
    if gaps:
        add_months_without_customers(checks, [month_label(first + m) for m in gaps])


def validate_ledger(df: pd.DataFrame, customer: str = "customer_id", month: str = "month", mrr: str = "mrr",
                    *, first_row: int = 2, sheet: str | None = None, **options: Any) -> pd.DataFrame:
    """Check a ledger and return it clean: text ids, month-start months, float MRR, blank rows dropped.

    Parameters
    ----------
    df : DataFrame
        One row per customer per month (several rows for one customer and
        month are allowed; the analyses add them up).
    customer, month, mrr : str
        Names of the id, date and amount columns.
    first_row : int, default 2
        Sheet/CSV row number of the first data row (2 when the header is row 1),
        used in error messages; the refresh command passes the real row.
    sheet : str, optional
        Sheet name for error messages.
    as_of : date-like, optional
        The last month reported (rows after it are left out); default the
        last month with any row.
    dayfirst : bool, optional
        The day/month order of numeric text dates; default: decided by the
        column (a first field above 12), refused when nothing decides.
    date1904 : bool, default False
        Serial numbers count in the 1904 date system.
    merge_case : bool, default False
        Ids that differ only in case are one customer.
    drop_duplicates : bool, default False
        Drop exact duplicate rows (same customer, month and MRR) instead of adding them up.

    Returns
    -------
    DataFrame
        The three columns under their given names: the ids as text (trimmed,
        whole numbers without ".0"), the month as a month-start timestamp,
        MRR as float. Completely blank rows (and rows left out by ``as_of``
        or ``drop_duplicates``) are dropped; the index of the remaining rows
        is kept. ``.attrs["checks"]`` holds the data checks.

    Raises
    ------
    LedgerError
        (a ``ValueError`` and a :class:`xl_kpi.errors.UserError`) for a
        missing column, an Excel error in a cell, a blank or unparseable date
        or one outside 1900-01-01 to 2261-12-31, text dates with no single
        day/month order, a blank, non-numeric, ambiguous or infinite amount,
        a customer-month that nets below 0 or does not fit in a float, or a
        blank or boolean id, naming the row and column.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"customer_id": ["a ", None, 7.0],
    ...                     "month": ["2024-01-15", None, 45354],
    ...                     "mrr": [100, None, "$50"]})
    >>> validate_ledger(raw)
      customer_id      month    mrr
    0           a 2024-01-01  100.0
    2           7 2024-03-01   50.0
    >>> validate_ledger(raw.assign(mrr=[100, None, "fifty"]))
    Traceback (most recent call last):
    ...
    xl_kpi.ledger.validation.LedgerError: Row 4, column 'mrr': 'fifty' is not a number
    """
    if not isinstance(df, pd.DataFrame):
        return from_source(df, lambda frame, locate: validate_ledger(frame, customer, month, mrr, sheet=sheet,
                                                                     **{**options, "locate": locate}))
    prepared, rows = _prepare(df, customer, month, mrr, first_row, sheet, **options)
    out = pd.DataFrame(
        {
            customer: np.asarray(prepared.customers, dtype=object)[prepared.customer],
            month: months_to_timestamps(prepared.first_month + prepared.month),
            mrr: prepared.mrr,
        },
        index=df.index[rows],
    )
    out.attrs["checks"] = prepared.checks
    return out
