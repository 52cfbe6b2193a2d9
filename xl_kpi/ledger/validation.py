"""Reading a ledger the way a user wrote it: column checks, dates, amounts, row numbers.

Everything that turns user data into arrays goes through here, so every
problem is reported the same way: a :class:`LedgerError` naming the column and
the row number as the user counts it in the sheet or CSV file (the header is
row 1 unless told otherwise), and the sheet when one is given.

Rules
-----
* Completely blank rows are skipped (a whole column selected in Excel, the
  empty lines at the end of an export). Nothing else is ever dropped: a row
  with a blank customer, month or amount is an error.
* Dates may be datetimes (also time-zone aware: the wall-clock date counts),
  date text (ISO ``2024-01-31`` first, then other common forms, month first
  when ambiguous) or Excel serial numbers (the 1900 date system with its
  fictitious 1900-02-29, as :func:`xl_kpi.cells.serial_to_datetime`).
* Amounts must be numbers (numeric text such as ``"120.5"`` from a CSV is
  accepted), finite and not negative.

Speed: the id and date columns are factorised first and only their *distinct*
values are inspected, so a million rows with a few dozen distinct months cost
a few dozen date parses.
"""

from __future__ import annotations

import datetime as _dt
import os
import warnings

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from xl_kpi.errors import UserError
from xl_kpi.cells import blank_mask, serials_to_days

__all__ = ["LedgerError", "validate_ledger", "PreparedLedger", "prepare_ledger"]

_MONTH0 = np.datetime64("1970-01", "M")


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


def _describe(value: Any) -> str:
    """A value as the user typed it: text quoted, 1200.0 as 1200 (Excel sends every number as a float)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


# ------------------------------------------------------------------ columns


def from_source(df: Any, compute):
    """``compute(df)``; a path or a database relation is read first (:func:`xl_kpi.sources.open_source`),
    and a bad row is then named by the source's file and line or row (:func:`relocate`).  So every ledger
    function takes a CSV / Parquet / DuckDB / SQLite path or a DuckDB relation as well as a DataFrame."""
    readable = isinstance(df, (str, os.PathLike)) or hasattr(df, "df") or hasattr(df, "to_pandas")
    if isinstance(df, pd.DataFrame) or not readable:  # (anything else is refused by require_columns)
        return compute(df)
    from xl_kpi.sources import open_source  # the sources read files; the ledger itself does no I/O

    table = open_source(df)
    try:
        return compute(table.frame)
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
        raise LedgerError(f"The {what} must be a pandas DataFrame (or a file path or a database relation), "
                          f"got {type(df).__name__}", sheet=sheet)
    for role, name in columns.items():
        if name not in df.columns:
            have = ", ".join(repr(str(c)) for c in df.columns) or "none"
            where = f"Sheet {sheet!r}: the" if sheet else "The"
            raise LedgerError(
                f"{where} {what} has no {role} column {name!r} (its columns: {have})",
                column=name, sheet=sheet,
            )


def parse_ids(s: pd.Series) -> tuple[np.ndarray, pd.Index | np.ndarray, np.ndarray]:
    """Factorise an id column: (codes, distinct ids, blank mask).

    Blank cells (None, NaN, empty or all-space text) are blank.
    """
    # factorising the object ndarray is about twice as fast as the pandas "str" extension array
    values = s.astype(object).to_numpy() if isinstance(s.dtype, pd.CategoricalDtype) else s.to_numpy()
    codes, uniques = pd.factorize(values)
    uniq = np.asarray(uniques, dtype=object)
    blank_u = blank_mask(uniq) if len(uniq) else np.zeros(0, bool)
    blank = codes < 0
    if blank_u.any():
        blank |= blank_u[np.maximum(codes, 0)] & (codes >= 0)
    return codes.astype(np.int64, copy=False), uniques, blank


# ------------------------------------------------------------------ dates


def _serial_days(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Excel serials -> (days since 1970-01-01, bad mask). NaN must be masked by the caller."""
    return serials_to_days(x)


def _calendar_day(value: Any) -> int | None:
    """A date-time's calendar date (time-zone-aware: its wall-clock date) in days since 1970-01-01."""
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else int(value.astype("datetime64[D]").astype(np.int64))
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        return value.toordinal() - _ORDINAL_1970
    return None


_ORDINAL_1970 = _dt.date(1970, 1, 1).toordinal()


def _text_to_datetime(text: pd.Series) -> np.ndarray:
    """Date text -> datetime64[D] (NaT where it is not a date). ISO first, then other forms."""
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[D]")
    if len(text) == 0:
        return out
    try:
        with warnings.catch_warnings():
            # pandas 2 warns that mixed time zones will raise one day; pandas 3 raises. Either
            # way the per-value pass below reads such texts.
            warnings.simplefilter("ignore", FutureWarning)
            iso = pd.to_datetime(text, format="ISO8601", errors="coerce")
        if getattr(iso.dt, "tz", None) is not None:
            iso = iso.dt.tz_localize(None)
        out[:] = iso.to_numpy("datetime64[D]")
    except (ValueError, TypeError, OverflowError, AttributeError):
        # mixed time zones, or (pandas 2) nothing parsed so no .dt at all:
        # the per-value pass below handles them
        pass
    todo = np.flatnonzero(np.isnat(out))
    for i in todo:  # only distinct texts that are not ISO dates (few)
        try:
            ts = pd.Timestamp(pd.to_datetime(text.iloc[i], format="mixed"))
        except pd.errors.OutOfBoundsDatetime:
            # pandas 2 keeps nanoseconds (years 1677-2262): read an ISO date
            # with numpy, so the range check below names it as out of range
            try:
                out[i] = np.datetime64(str(text.iloc[i]).strip()[:10], "D")
            except ValueError:
                pass
            continue
        except (ValueError, TypeError, OverflowError):
            continue
        if ts is pd.NaT:
            continue
        if ts.tzinfo is not None:
            ts = ts.tz_localize(None)
        out[i] = np.datetime64(ts.date(), "D")
    return out


def _kind(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "x"
    if isinstance(value, str):
        return "s"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return "n"
    if _calendar_day(value) is not None:
        return "d"
    return "x"


def _parse_distinct_dates(uniq: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct date values of any kind -> (days since 1970-01-01, blank, bad)."""
    n = len(uniq)
    days = np.zeros(n, np.int64)
    blank = np.zeros(n, bool)
    bad = np.zeros(n, bool)
    kinds = np.array([_kind(v) for v in uniq], dtype="<U1") if n else np.zeros(0, "<U1")

    num = kinds == "n"
    if num.any():
        x = np.array([float(v) for v in uniq[num]])
        nan = np.isnan(x)
        d, b = _serial_days(x)
        days[num], blank[num], bad[num] = d, nan, b & ~nan

    dt = kinds == "d"
    if dt.any():  # datetimes, dates, numpy datetimes: their calendar date
        days[dt] = np.array([_calendar_day(v) for v in uniq[dt]], dtype=np.int64)

    txt = kinds == "s"
    if txt.any():
        text = pd.Series(uniq[txt], dtype=object).str.strip()
        empty = text.eq("").to_numpy()
        parsed = _text_to_datetime(text)
        nat = np.isnat(parsed)
        days[txt] = np.where(nat, 0, parsed.astype(np.int64))
        blank[txt] = empty
        bad[txt] = nat & ~empty

    bad |= kinds == "x"
    return days, blank, bad


def parse_dates(s: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A date column -> (days since 1970-01-01 as int64, blank mask, bad mask).

    Accepts datetime64 columns (naive or time-zone aware), numeric columns of
    Excel serial numbers, and object/text columns mixing datetimes, text and
    serials. Only the distinct values of an object column are parsed.
    """
    dtype = s.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_localize(None)
        dtype = s.dtype
    d = s.to_numpy() if pd.api.types.is_datetime64_any_dtype(dtype) else None
    if d is not None and d.dtype.kind == "M":  # in the column's own unit (ns, us, s ...): no overflow
        blank = np.isnat(d)
        days = d.astype("datetime64[D]").astype(np.int64)  # rounds down, also before 1970
        return np.where(blank, 0, days), blank, np.zeros(len(s), bool)
    # Arrow dates and zoned Arrow timestamps come out as Python dates and Timestamps: the
    # distinct values below read them (a zoned one by its wall clock, as above)
    if pd.api.types.is_bool_dtype(dtype):
        return np.zeros(len(s), np.int64), np.zeros(len(s), bool), np.ones(len(s), bool)
    if pd.api.types.is_numeric_dtype(dtype):
        x = s.to_numpy(dtype=float, na_value=np.nan)
        blank = np.isnan(x)
        days, bad = _serial_days(x)
        return days, blank, bad & ~blank
    codes, uniq = pd.factorize(s.astype(object), use_na_sentinel=True)
    d_u, blank_u, bad_u = _parse_distinct_dates(np.asarray(uniq, dtype=object))
    safe = np.maximum(codes, 0)
    missing = codes < 0
    if len(uniq) == 0:
        return np.zeros(len(s), np.int64), missing, np.zeros(len(s), bool)
    return d_u[safe], missing | blank_u[safe], bad_u[safe] & ~missing


#: Dates the analyses accept: from Excel's first year to the last month that
#: pandas' nanosecond timestamps hold.
FIRST_DAY = int(np.datetime64("1900-01-01", "D").astype(np.int64))
LAST_DAY = int(np.datetime64("2261-12-31", "D").astype(np.int64))
DATE_RANGE_MESSAGE = "{value} is outside the supported dates (1900-01-01 to 2261-12-31)"


def out_of_range(days: np.ndarray) -> np.ndarray:
    """True where a day number is outside :data:`FIRST_DAY`..:data:`LAST_DAY`."""
    return (days < FIRST_DAY) | (days > LAST_DAY)


def days_to_months(days: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 -> months since 1970-01 (int64).

    >>> days_to_months(np.array([0, 30, 31, 19753, -1])).tolist()  # 19753 = 2024-01-30
    [0, 0, 1, 648, -1]
    """
    days = np.asarray(days, dtype=np.int64)
    if days.size == 0:
        return days
    lo, hi = int(days.min()), int(days.max())
    if hi - lo < 2_000_000:  # a lookup table over the span of days: one gather instead of date arithmetic
        table = np.arange(lo, hi + 1).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        return table[days - lo]
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def months_to_timestamps(months: np.ndarray) -> np.ndarray:
    """Months since 1970-01 -> month-start datetime64[ns]."""
    return (_MONTH0 + np.asarray(months, dtype=np.int64)).astype("datetime64[ns]")


# ------------------------------------------------------------------ amounts


def parse_amounts(s: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An amount column -> (float values, blank mask, not-a-number mask).

    Numbers and numeric text are accepted; booleans, other text and infinities
    are not numbers. Negative values are returned as they are (the caller
    decides whether they are allowed).
    """
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        n = len(s)
        return np.zeros(n), np.zeros(n, bool), np.ones(n, bool)
    if pd.api.types.is_numeric_dtype(dtype):
        x = s.to_numpy(dtype=float, na_value=np.nan)
        blank = np.isnan(x)
        return x, blank, np.isinf(x)
    obj = s.astype(object)
    x = pd.to_numeric(obj, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    nan = np.isnan(x)
    blank = obj.isna().to_numpy().copy()
    suspects = np.flatnonzero(nan & ~blank)
    if suspects.size:  # empty or all-space text is blank; other text is not a number
        blank[suspects] = blank_mask(obj.to_numpy()[suspects])
    bad = (nan & ~blank) | np.isinf(x)
    if pd.api.types.infer_dtype(obj, skipna=True) in ("boolean", "mixed", "mixed-integer", "mixed-integer-float"):
        is_bool = obj.map(lambda v: isinstance(v, (bool, np.bool_))).to_numpy(dtype=bool)
        bad |= is_bool
    return np.where(bad | blank, np.nan, x), blank, bad


# ------------------------------------------------------------------ the ledger


@dataclass(frozen=True)
class PreparedLedger:
    """A validated ledger as integer codes (what the analyses work on).

    ``customer`` are codes into ``customers``; ``month`` are month numbers
    counted from ``first_month`` (months since 1970-01), 0..n_months-1;
    ``mrr`` are floats >= 0. Completely blank rows are gone.
    """

    customer: np.ndarray
    month: np.ndarray
    mrr: np.ndarray
    customers: Any
    first_month: int
    n_months: int

    @property
    def n_customers(self) -> int:
        return len(self.customers)

    def month_starts(self) -> np.ndarray:
        """The calendar months of the ledger as month-start datetime64[ns]."""
        return months_to_timestamps(self.first_month + np.arange(self.n_months))


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

    def check_dates(self, days: np.ndarray, blank: np.ndarray, bad: np.ndarray, column: str) -> None:
        """The checks of a :func:`parse_dates` column: not a date, then outside the supported dates.

        Blank dates are the caller's to allow or refuse.
        """
        self.check(bad, column, "{value} is not a date")
        self.check(~bad & ~blank & out_of_range(days), column, DATE_RANGE_MESSAGE)

    def raise_first(self) -> None:
        if not self.found:
            return
        pos, _, column, message = min(self.found)
        value = self.df[column].iloc[pos]
        row = self.first_row + pos
        text = message.format(value=_describe(value))
        raise LedgerError(f"{_where(row, column, self.sheet)}: {text}", row=row, column=column,
                          value=value, sheet=self.sheet, detail=text)


def prepare_ledger(df: pd.DataFrame, customer: str = "customer_id", month: str = "month", mrr: str = "mrr",
                   *, first_row: int = 2, sheet: str | None = None) -> PreparedLedger:
    """Validate a ledger and turn it into integer codes (see :func:`validate_ledger`)."""
    return from_source(df, lambda frame: _prepare(frame, customer, month, mrr, first_row, sheet)[0])


def _prepare(df, customer, month, mrr, first_row, sheet) -> tuple[PreparedLedger, np.ndarray]:
    require_columns(df, {"customer": customer, "month": month, "MRR": mrr}, sheet)
    codes, uniques, cust_blank = parse_ids(df[customer])
    days, month_blank, month_bad = parse_dates(df[month])
    amount, mrr_blank, mrr_bad = parse_amounts(df[mrr])

    keep = ~(cust_blank & month_blank & mrr_blank)
    problems = Problems(df, first_row, sheet, keep)
    problems.check(cust_blank, customer, "the customer id is blank (only completely blank rows are skipped)")
    problems.check(month_blank, month, "the month is blank (only completely blank rows are skipped)")
    problems.check_dates(days, month_blank, month_bad, month)
    problems.check(mrr_blank, mrr, "the MRR is blank (only completely blank rows are skipped)")
    problems.check(mrr_bad, mrr, "{value} is not a number")
    problems.check(~mrr_bad & ~mrr_blank & (np.nan_to_num(amount) < 0), mrr, "{value} is negative; MRR must be 0 or more")
    problems.raise_first()

    if not keep.all():
        codes, days, amount = codes[keep], days[keep], amount[keep]
    months = days_to_months(days)
    if months.size:
        first = int(months.min())
        n_months = int(months.max()) - first + 1
    else:
        first, n_months = 0, 0
    prepared = PreparedLedger(codes, months - first, amount.astype(float, copy=False), uniques, first, n_months)
    return prepared, keep


def validate_ledger(df: pd.DataFrame, customer: str = "customer_id", month: str = "month", mrr: str = "mrr",
                    *, first_row: int = 2, sheet: str | None = None) -> pd.DataFrame:
    """Check a ledger and return it clean: month-start months, float MRR, blank rows dropped.

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

    Returns
    -------
    DataFrame
        The three columns under their given names: the ids as they were, the
        month as a month-start timestamp, MRR as float. Completely blank rows
        are dropped; the index of the remaining rows is kept.

    Raises
    ------
    LedgerError
        (a ``ValueError`` and a :class:`xl_kpi.errors.UserError`) for a
        missing column, a blank or unparseable date or one outside 1900-01-01 to
        2261-12-31, a blank, non-numeric, infinite or negative amount, or a
        blank id, naming the row and column.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"customer_id": ["a", None, "b"],
    ...                     "month": ["2024-01-15", None, 45354],
    ...                     "mrr": [100, None, "50"]})
    >>> validate_ledger(raw)
      customer_id      month    mrr
    0           a 2024-01-01  100.0
    2           b 2024-03-01   50.0
    >>> validate_ledger(raw.assign(mrr=[100, None, "fifty"]))
    Traceback (most recent call last):
    ...
    xl_kpi.ledger.validation.LedgerError: Row 4, column 'mrr': 'fifty' is not a number
    """
    if not isinstance(df, pd.DataFrame):
        return from_source(df, lambda frame: validate_ledger(frame, customer, month, mrr, sheet=sheet))
    prepared, keep = _prepare(df, customer, month, mrr, first_row, sheet)
    return pd.DataFrame(
        {
            customer: df[customer][keep],
            month: months_to_timestamps(prepared.first_month + prepared.month),
            mrr: prepared.mrr,
        },
        index=df.index[keep],
    )
