"""Date columns as users write them: Excel dates, serial numbers, and text in one day/month order.

Rules
-----
* Date cells (datetime, date, numpy/pandas timestamps; time-zone-aware ones
  by their wall-clock date) are taken as they are.
* Numbers are Excel serial numbers, in the workbook's date system (1900 by
  default, with its fictitious 1900-02-29; or 1904), see :mod:`xl_kpi.cells`.
* Text: ISO (``2024-01-31``, ``2024-01``) and year-first forms
  (``2024/01/31``, ``2024/01``, ``2024.1``) are unambiguous, as are a
  month and a year (``01/2024``) and forms with a month name
  (``5 Jan 2024``, ``January 2024``). Numeric day/month forms
  (``05/01/2024``, ``5.1.24``) are read in **one order for the whole
  column**: a value whose first field is above 12 (``19/01/2024``) means day
  first, one whose second field is above 12 means month first. When no value
  decides, the order must be given (``dayfirst=True`` / ``False``; on the
  command line ``--dayfirst`` / ``--monthfirst``; in a workbook the Settings
  table's "Date order"), since guessing would put days in the wrong month.
  (pandas' own inference guesses the format from the first value, or with
  ``format="mixed"`` each value on its own, which reads ``05/01`` and
  ``19/01`` of one column in two orders; so the numeric forms are parsed here
  with explicit patterns.)

Only the distinct values of a column are parsed.

>>> col = parse_dates(pd.Series(["05/01/2024", "19/01/2024", "2024-03-15", 45352.0, None], dtype=object))
>>> col.days.astype("datetime64[D]").tolist()[:4], col.blank.tolist(), col.order
([datetime.date(2024, 1, 5), datetime.date(2024, 1, 19), datetime.date(2024, 3, 15), datetime.date(2024, 3, 1)], [False, False, False, False, True], 'day first')
"""

from __future__ import annotations

import datetime as _dt
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from xl_kpi.cells import serials_to_days

__all__ = [
    "DateColumn", "parse_dates", "days_to_months", "months_to_timestamps", "out_of_range", "month_label",
    "FIRST_DAY", "LAST_DAY", "DATE_RANGE_MESSAGE", "DAY_FIRST", "MONTH_FIRST",
]

DAY_FIRST, MONTH_FIRST = "day first", "month first"
_MONTH0 = np.datetime64("1970-01", "M")
_ORDINAL_1970 = _dt.date(1970, 1, 1).toordinal()
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp][Mm])?)?"
#: d/m/y or m/d/y with / . - or space, 2- or 4-digit year, optional time
_DMY = re.compile(rf"(\d{{1,2}})([/.\- ])(\d{{1,2}})\2(\d{{4}}|\d{{2}}){_TIME}")
#: y/m/d with / or . (ISO's "-" goes to pandas' ISO parser)
_YMD = re.compile(rf"(\d{{4}})([/.])(\d{{1,2}})\2(\d{{1,2}}){_TIME}")
#: m/y ("01/2024")
_MY = re.compile(r"(\d{1,2})[/.\-](\d{4})")
#: y/m with / or . ("2024/01", "2024.1", optional time; ISO's "2024-01" goes to pandas' ISO parser): explicit,
#: since pandas' own parser read "2024.13" and "2024.99" (and "2024.13 10:00") as January 2024
_YM = re.compile(rf"(\d{{4}})[/.](\d{{1,2}}){_TIME}")
_LETTER = re.compile(r"[A-Za-z]")

#: Dates the analyses accept: from Excel's first day to the last month pandas' nanosecond timestamps hold.
FIRST_DAY = int(np.datetime64("1900-01-01", "D").astype(np.int64))
LAST_DAY = int(np.datetime64("2261-12-31", "D").astype(np.int64))
DATE_RANGE_MESSAGE = "{value} is outside the supported dates (1900-01-01 to 2261-12-31)"


@dataclass
class DateColumn:
    """A parsed date column: days since 1970-01-01 (int64), blank and bad masks, and how text was read.

    ``order`` is the day/month order of the column's numeric text dates
    (:data:`DAY_FIRST`, :data:`MONTH_FIRST`, or None when it has none or none
    is ambiguous); ``evidence`` the text value that decided it (None when it
    was given). ``ambiguous`` is an example value when the order is needed
    but nothing decides it; ``conflict`` a (day-first, month-first) pair of
    values when the column holds both. Positions are row positions.
    """

    days: np.ndarray
    blank: np.ndarray
    bad: np.ndarray
    order: str | None = None
    evidence: tuple[int, str] | None = None
    ambiguous: tuple[int, str] | None = None
    conflict: tuple[tuple[int, str], tuple[int, str]] | None = None
    #: ``pandas.factorize`` of the cells (codes per row, the distinct cells) when the column was read
    #: through it: a check of the cells themselves looks at each distinct one once (as ``IdColumn.raw``)
    raw: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)

    def __iter__(self):  # unpacks as (days, blank, bad)
        return iter((self.days, self.blank, self.bad))

    def __getitem__(self, i):  # and indexes like that 3-tuple
        return (self.days, self.blank, self.bad)[i]


def _year(text: str) -> int:
    y = int(text)
    if len(text) == 2:  # strptime's %y rule: 69-99 -> 19xx, 00-68 -> 20xx
        y += 1900 if y >= 69 else 2000
    return y


def _day(y: int, m: int, d: int) -> int | None:
    try:
        return _dt.date(y, m, d).toordinal() - _ORDINAL_1970
    except ValueError:
        return None


def _calendar_day(value: Any) -> int | None:
    """A date-time's calendar date (time-zone-aware: its wall-clock date) in days since 1970-01-01."""
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else int(value.astype("datetime64[D]").astype(np.int64))
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        return value.toordinal() - _ORDINAL_1970
    return None


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


def _pandas_text(texts: list[str]) -> list[int | None]:
    """ISO text (vectorised) and month-name text (one value at a time) -> days, None where not a date."""
    out: list[int | None] = [None] * len(texts)
    if not texts:
        return out
    s = pd.Series(texts, dtype=object)
    try:
        with warnings.catch_warnings():
            # pandas 2 warns that mixed time zones will raise one day; pandas 3 raises: the
            # per-value pass below reads such texts either way.
            warnings.simplefilter("ignore", FutureWarning)
            iso = pd.to_datetime(s, format="ISO8601", errors="coerce")
        if getattr(iso.dt, "tz", None) is not None:
            iso = iso.dt.tz_localize(None)
        d = iso.to_numpy("datetime64[D]")
        for i, v in enumerate(d):
            if not np.isnat(v):
                out[i] = int(v.astype(np.int64))
    except (ValueError, TypeError, OverflowError, AttributeError):
        pass  # mixed time zones, or (pandas 2) nothing parsed so no .dt: per value below
    for i, text in enumerate(texts):
        if out[i] is not None:
            continue
        if not _LETTER.search(text) and not text[:4].isdigit():
            continue  # digits and separators only, in no known pattern: never let a parser guess
        try:
            ts = pd.Timestamp(pd.to_datetime(text, format="mixed"))
        except pd.errors.OutOfBoundsDatetime:
            # pandas 2 keeps nanoseconds (years 1677-2262): read an ISO date with numpy
            # so that the range check names it as out of range
            try:
                out[i] = int(np.datetime64(text[:10], "D").astype(np.int64))
            except ValueError:
                pass
            continue
        except (ValueError, TypeError, OverflowError):
            continue
        if ts is pd.NaT:
            continue
        if ts.tzinfo is not None:
            ts = ts.tz_localize(None)
        out[i] = ts.date().toordinal() - _ORDINAL_1970
    return out


def _text_dates(texts: list[str], positions: list[int], dayfirst: bool | None, col: DateColumn) -> list[int | None]:
    """Distinct stripped texts -> days (None = not a date); records the column's order on ``col``."""
    days: list[int | None] = [None] * len(texts)
    numeric: list[tuple[int, int, int, int]] = []  # (index, first, second, year) of d/m/y-or-m/d/y texts
    rest: list[int] = []
    for i, t in enumerate(texts):
        m = _DMY.fullmatch(t)
        if m:
            numeric.append((i, int(m.group(1)), int(m.group(3)), _year(m.group(4))))
            continue
        m = _YMD.fullmatch(t)
        if m:
            days[i] = _day(int(m.group(1)), int(m.group(3)), int(m.group(4)))
            continue
        m = _MY.fullmatch(t)
        if m:
            days[i] = _day(int(m.group(2)), int(m.group(1)), 1)
            continue
        m = _YM.fullmatch(t)
        if m:
            days[i] = _day(int(m.group(1)), int(m.group(2)), 1)
            continue
        rest.append(i)
    for i, d in zip(rest, _pandas_text([texts[i] for i in rest])):
        days[i] = d
    if numeric:
        first_row = lambda i: (positions[i], texts[i])  # noqa: E731
        day_ev = min((first_row(i) for i, a, b, _ in numeric if a > 12 and b <= 12), default=None)
        month_ev = min((first_row(i) for i, a, b, _ in numeric if b > 12 and a <= 12), default=None)
        if dayfirst is None:
            if day_ev and month_ev:
                col.conflict = (day_ev, month_ev)
                return days
            if day_ev or month_ev:
                dayfirst = bool(day_ev)
                col.evidence = day_ev or month_ev
            else:
                two_way = [first_row(i) for i, a, b, _ in numeric if a != b]
                if two_way:
                    col.ambiguous = min(two_way)
                    return days
                dayfirst = True  # every value reads the same both ways (05/05/2024)
        col.order = DAY_FIRST if dayfirst else MONTH_FIRST
        for i, a, b, y in numeric:
            days[i] = _day(y, b, a) if dayfirst else _day(y, a, b)
    return days


def parse_dates(s: pd.Series, *, dayfirst: bool | None = None, date1904: bool = False) -> DateColumn:
    """A date column -> :class:`DateColumn` (days since 1970-01-01, blank, bad; unpacks as a 3-tuple).

    ``dayfirst``: the day/month order of numeric text dates (None: decided by
    the column, see the module notes); ``date1904``: serial numbers count in
    the 1904 date system.

    >>> parse_dates(pd.Series(["01/02/2024"]), dayfirst=False).days.astype("datetime64[D]").tolist()
    [datetime.date(2024, 1, 2)]
    >>> parse_dates(pd.Series(["01/02/2024", "03/04/2024"])).ambiguous
    (0, '01/02/2024')
    >>> parse_dates(pd.Series([1.0, 0.0]), date1904=True).days.astype("datetime64[D]").tolist()
    [datetime.date(1904, 1, 2), datetime.date(1904, 1, 1)]
    """
    n = len(s)
    dtype = s.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_localize(None)
        dtype = s.dtype
    d = s.to_numpy() if pd.api.types.is_datetime64_any_dtype(dtype) else None
    if d is not None and d.dtype.kind == "M":  # in the column's own unit (ns, us, s ...): no overflow
        blank = np.isnat(d)
        days = d.astype("datetime64[D]").astype(np.int64)  # rounds down, also before 1970
        return DateColumn(np.where(blank, 0, days), blank, np.zeros(n, bool))
    # Arrow dates and zoned Arrow timestamps come out as Python dates and Timestamps: the
    # distinct values below read them (a zoned one by its wall clock, as above)
    if pd.api.types.is_bool_dtype(dtype):
        return DateColumn(np.zeros(n, np.int64), np.zeros(n, bool), np.ones(n, bool))
    if pd.api.types.is_numeric_dtype(dtype) and dtype.kind != "c":
        x = s.to_numpy(dtype=float, na_value=np.nan)
        blank = np.isnan(x)
        days, bad = serials_to_days(x, date1904)
        return DateColumn(days, blank, bad & ~blank)
    codes, uniq = pd.factorize(s.astype(object), use_na_sentinel=True)
    uniq = np.asarray(uniq, dtype=object)
    m = len(uniq)
    days_u = np.zeros(m, np.int64)
    blank_u = np.zeros(m, bool)
    bad_u = np.zeros(m, bool)
    kinds = np.array([_kind(v) for v in uniq], dtype="<U1") if m else np.zeros(0, "<U1")
    col = DateColumn(np.zeros(0, np.int64), np.zeros(0, bool), np.zeros(0, bool))

    num = kinds == "n"
    if num.any():
        x = np.array([float(v) for v in uniq[num]])
        nan = np.isnan(x)
        d, b = serials_to_days(x, date1904)
        days_u[num], blank_u[num], bad_u[num] = d, nan, b & ~nan
    dt = kinds == "d"
    if dt.any():
        days_u[dt] = np.array([_calendar_day(v) for v in uniq[dt]], dtype=np.int64)
    txt = np.flatnonzero(kinds == "s")
    if txt.size:
        # the row of each distinct value's first appearance (for messages about text dates; a column of
        # date cells has none, and a million rows need not be walked for it)
        first_pos = np.full(m, -1, np.int64)
        valid = np.flatnonzero(codes >= 0)
        first_pos[codes[valid][::-1]] = valid[::-1]
        texts = [" ".join(str(uniq[k]).split()) for k in txt]
        empty = np.array([t == "" for t in texts])
        blank_u[txt[empty]] = True
        keep = txt[~empty]
        parsed = _text_dates([t for t, e in zip(texts, empty) if not e], first_pos[keep].tolist(), dayfirst, col)
        for k, d in zip(keep, parsed):
            if d is None:
                bad_u[k] = True
            else:
                days_u[k] = d
    bad_u |= kinds == "x"

    safe = np.maximum(codes, 0)
    missing = codes < 0
    if m == 0:
        return DateColumn(np.zeros(n, np.int64), missing, np.zeros(n, bool))
    col.days, col.blank, col.bad = days_u[safe], missing | blank_u[safe], bad_u[safe] & ~missing
    col.raw = (codes, uniq)
    return col


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


def month_label(month: int) -> str:
    """Months since 1970-01 -> "Jan 2024" (the result line's and the report's month names).

    >>> month_label(648), month_label(653)
    ('Jan 2024', 'Jun 2024')
    """
    d = (_MONTH0 + np.int64(month)).astype(object)
    return f"{d:%b %Y}"
