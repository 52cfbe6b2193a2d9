"""Excel cell facts, in one bottom-layer module (like XlsxWriter's ``utility.py``).

Everything the project knows about how Excel stores a cell lives here, and
only here: the date systems and their serial numbers, A1 references and
column letters, how a sheet name is quoted in a formula, what a blank cell
is, and Excel's error values (their literals and the COM integers they
arrive as). Every other layer (core, ledger, Excel functions, templates,
refresh) imports it; it imports nothing of the project's.

Dates
-----
Excel stores a date as a *serial number*: days since an epoch, the time of
day as the fraction. A workbook uses one of two date systems (the flag
``date1904`` in ``xl/workbook.xml``):

* **1900** (the default): serial 1 is 1900-01-01. Excel keeps Lotus 1-2-3's
  fictitious 1900-02-29 as serial 60, so from serial 61 (1900-03-01) on,
  serial = days since 1899-12-30, and below 61 it is days since 1899-12-31.
  A serial of 60 has no real calendar day: it is read as 1900-02-28 (same
  month; Excel shows it as "29/02/1900").
* **1904** (old Mac workbooks): serial 0 is 1904-01-01, no quirk.

>>> serial_to_datetime(1), serial_to_datetime(59), serial_to_datetime(61)
(datetime.datetime(1900, 1, 1, 0, 0), datetime.datetime(1900, 2, 28, 0, 0), datetime.datetime(1900, 3, 1, 0, 0))
>>> datetime_to_serial(_dt.datetime(2024, 1, 31, 12)), datetime_to_serial(_dt.date(1900, 1, 1))
(45322.5, 1.0)
>>> serial_to_datetime(0, date1904=True), datetime_to_serial(_dt.date(2024, 1, 31), date1904=True)
(datetime.datetime(1904, 1, 1, 0, 0), 43860.0)
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Any

import numpy as np

__all__ = [
    "EXCEL_EPOCH", "EPOCH_1904", "MAX_SERIAL", "LEAP_BUG_SERIAL",
    "serial_to_datetime", "datetime_to_serial", "serials_to_days", "days_to_serials", "datetime64_to_serial",
    "col_letter", "col_number", "a1", "parse_range", "absolute", "quote_sheet",
    "is_blank", "blank_mask",
    "ERROR_CODES", "COM_ERRORS", "ERROR_LITERALS", "DIV0", "NA", "NAME", "NULL", "NUM", "REF", "VALUE", "error_literal",
]

# ------------------------------------------------------------------ dates

#: Day 0 of the 1900 date system as Excel counts from serial 61 on (1899-12-30).
#: Below 61 the fictitious 1900-02-29 shifts serials by one day (see the module notes).
EXCEL_EPOCH = _dt.datetime(1899, 12, 30)
#: Day 0 of the 1904 date system.
EPOCH_1904 = _dt.datetime(1904, 1, 1)
#: Serial 60 in the 1900 system: the fictitious 1900-02-29.
LEAP_BUG_SERIAL = 60
#: The last serial Excel holds (9999-12-31) + 1, per date system.
MAX_SERIAL = {False: 2958466.0, True: 2957004.0}

_DAY = _dt.timedelta(days=1)
_NUMPY_EPOCH = {False: int(np.datetime64("1899-12-30", "D").astype(np.int64)),
                True: int(np.datetime64("1904-01-01", "D").astype(np.int64))}


def _epoch(date1904: bool) -> _dt.datetime:
    return EPOCH_1904 if date1904 else EXCEL_EPOCH


def serial_to_datetime(serial: float, date1904: bool = False) -> _dt.datetime:
    """An Excel serial number as a datetime (see the module notes for the 1900 quirk).

    >>> serial_to_datetime(45322.5), serial_to_datetime(60)
    (datetime.datetime(2024, 1, 31, 12, 0), datetime.datetime(1900, 2, 28, 0, 0))
    """
    serial = float(serial)
    if not date1904 and 1 <= serial < LEAP_BUG_SERIAL:
        serial += 1  # before the phantom day; serial 60 itself lands on 1900-02-28
    return _epoch(date1904) + _dt.timedelta(days=serial)


def datetime_to_serial(value: _dt.date, date1904: bool = False) -> float:
    """A date or datetime as an Excel serial number (time-zone-aware values: their wall-clock time).

    >>> datetime_to_serial(_dt.datetime(1900, 2, 28)), datetime_to_serial(_dt.datetime(1900, 3, 1))
    (59.0, 61.0)
    """
    if isinstance(value, _dt.datetime):
        serial = (value.replace(tzinfo=None) - _epoch(date1904)) / _DAY
    else:
        serial = float((value - _epoch(date1904).date()).days)
    if not date1904 and serial < LEAP_BUG_SERIAL + 1 and serial >= 2:
        serial -= 1  # before 1900-03-01: Excel counts the phantom 1900-02-29 after these days
    return serial


def serials_to_days(serial: np.ndarray, date1904: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Excel serials -> (calendar days since 1970-01-01 as int64, bad mask).

    Vectorised :func:`serial_to_datetime` for the date part. Bad: NaN,
    infinite, below 1 (1900 system; a bare time of day has no date) or below 0
    (1904), or past 9999-12-31.

    >>> days, bad = serials_to_days(np.array([1.0, 59.0, 60.0, 61.0, 45292.9, 0.5]))
    >>> days.astype("datetime64[D]").tolist()[:5], bad.tolist()
    ([datetime.date(1900, 1, 1), datetime.date(1900, 2, 28), datetime.date(1900, 2, 28), datetime.date(1900, 3, 1), datetime.date(2024, 1, 1)], [False, False, False, False, False, True])
    """
    x = np.asarray(serial, dtype=float)
    lowest = 0.0 if date1904 else 1.0
    with np.errstate(invalid="ignore"):
        bad = ~((x >= lowest) & (x < MAX_SERIAL[date1904]))
    whole = np.floor(np.where(bad, lowest, x)).astype(np.int64)
    if not date1904:
        whole = whole + (whole < LEAP_BUG_SERIAL)  # below 60 one day on; 60 (the phantom day) is 1900-02-28
    return whole + _NUMPY_EPOCH[date1904], bad


def days_to_serials(days: np.ndarray, date1904: bool = False) -> np.ndarray:
    """Calendar days since 1970-01-01 -> Excel serials (float), the inverse of :func:`serials_to_days`.

    >>> days_to_serials(np.array(["1900-01-01", "1900-03-01", "2024-01-01"], "datetime64[D]").astype(np.int64)).tolist()
    [1.0, 61.0, 45292.0]
    """
    s = np.asarray(days, dtype=np.int64) - _NUMPY_EPOCH[date1904]
    if not date1904:
        s = s - ((s >= 2) & (s < LEAP_BUG_SERIAL + 1))
    return s.astype(float)


_NS_PER_DAY = 86_400 * 10**9


def datetime64_to_serial(value: np.datetime64, date1904: bool = False) -> float:
    """The Excel serial number of one numpy datetime64 (with its time of day).

    >>> datetime64_to_serial(np.datetime64("2024-01-01")), datetime64_to_serial(np.datetime64("2024-01-01T12:00"))
    (45292.0, 45292.5)
    """
    ns = int(np.datetime64(value, "ns").astype(np.int64))
    day, rest = divmod(ns, _NS_PER_DAY)
    return float(days_to_serials(np.array([day]), date1904)[0]) + rest / _NS_PER_DAY


# ------------------------------------------------------------------ references

#: Excel's last column (XFD) and row.
MAX_COL, MAX_ROW = 16384, 1048576
_REF = re.compile(r"\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?")


def col_letter(col: int) -> str:
    """1-based column number -> letters.

    >>> col_letter(1), col_letter(18), col_letter(28), col_letter(16384)
    ('A', 'R', 'AB', 'XFD')
    """
    if not 1 <= col <= MAX_COL:
        raise ValueError(f"column {col} is outside Excel's columns 1..{MAX_COL}")
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_number(letters: str) -> int:
    """Column letters -> 1-based number.

    >>> col_number("A"), col_number("ab"), col_number("XFD")
    (1, 28, 16384)
    """
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def a1(row: int, col: int, row2: int | None = None, col2: int | None = None, absolute: bool = False) -> str:
    """A1 reference of a cell or range (1-based).

    >>> a1(1, 1), a1(2, 3, 5, 4), a1(2, 8, 10, 8, absolute=True)
    ('A1', 'C2:D5', '$H$2:$H$10')
    """
    d = "$" if absolute else ""
    first = f"{d}{col_letter(col)}{d}{row}"
    if row2 is None:
        return first
    return f"{first}:{d}{col_letter(col2)}{d}{row2}"


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """'B3:D120' -> (row1, col1, row2, col2), 1-based; a single cell is a 1 x 1 range.

    >>> parse_range("B3:D120"), parse_range("$A$1:$C$5"), parse_range("c7")
    ((3, 2, 120, 4), (1, 1, 5, 3), (7, 3, 7, 3))
    """
    m = _REF.fullmatch(ref.strip().upper())
    if not m:
        raise ValueError(f"not a cell range: {ref!r}")
    c1, r1 = col_number(m.group(1)), int(m.group(2))
    c2, r2 = (col_number(m.group(3)), int(m.group(4))) if m.group(3) else (c1, r1)
    return r1, c1, r2, c2


def absolute(ref: str) -> str:
    """A reference with ``$`` on every row and column ('A1:B2' -> '$A$1:$B$2').

    >>> absolute("A1:B2"), absolute("c3")
    ('$A$1:$B$2', '$C$3')
    """
    r1, c1, r2, c2 = parse_range(ref)
    if ":" not in ref:
        return a1(r1, c1, absolute=True)
    return a1(r1, c1, r2, c2, absolute=True)


def quote_sheet(name: str) -> str:
    """Sheet name as it appears in a formula: always quoted, inner quotes doubled (Excel accepts both).

    >>> quote_sheet("MRR Bridge"), quote_sheet("O'Brien")
    ("'MRR Bridge'", "'O''Brien'")
    """
    return "'" + name.replace("'", "''") + "'"


# ------------------------------------------------------------------ blanks


def is_blank(value: Any) -> bool:
    """True for what a reader of cells treats as an empty cell.

    None (an empty cell through openpyxl, calamine or xlwings), a float NaN
    (an empty cell in a numpy/pandas column), pandas' NA and NaT, and text
    that is empty or only spaces (what many exports write for nothing).
    Zero, False and an error are not blank.

    >>> is_blank(None), is_blank(np.float64("nan")), is_blank(""), is_blank("  "), is_blank(0.0), is_blank("#N/A")
    (True, True, True, True, False, False)
    """
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    if isinstance(value, str):
        return not value.strip()
    # pandas.NA and NaT without importing pandas: both are singletons of these types
    return type(value).__name__ in ("NAType", "NaTType") or (isinstance(value, np.datetime64) and np.isnat(value))


def blank_mask(values: Any) -> np.ndarray:
    """:func:`is_blank` over a 1-D array or sequence (vectorised for float and text columns).

    >>> blank_mask(np.array([None, "", " x", 1.0, float("nan")], dtype=object)).tolist()
    [True, True, False, False, True]
    """
    arr = np.asarray(values) if not isinstance(values, np.ndarray) else values
    if arr.dtype.kind == "f":
        return np.isnan(arr)
    if arr.dtype.kind in "iub":
        return np.zeros(arr.shape, bool)
    if arr.dtype.kind == "M":
        return np.isnat(arr)
    if arr.dtype.kind == "U":
        return np.char.strip(arr) == ""
    flat = arr.ravel()
    return _object_blank_mask(flat).reshape(arr.shape) if flat.dtype == object else \
        np.fromiter((is_blank(v) for v in flat), bool, flat.size).reshape(arr.shape)


def blank_mask_of_codes(values: np.ndarray, codes: np.ndarray, uniques: Any) -> np.ndarray:
    """:func:`blank_mask` of ``values`` from their factorisation (``pandas.factorize(values)``: ``codes`` per
    value, -1 for a missing one, and the distinct ``uniques``): each distinct value is looked at once.

    What factorize counts as missing (None, NaN, NaT, pandas' NA, but also a Decimal NaN, which is not
    blank) is decided value by value, so the answer is :func:`is_blank`'s on every value.  The refresh
    has the factorisation of the id column anyway (:func:`xl_kpi.ledger.ids.parse_ids` reads it), so the
    blank-row count of a million-row ledger costs no pass over its text.

    >>> import decimal, pandas as pd
    >>> values = np.array(["a", " ", None, "a", float("nan"), decimal.Decimal("NaN"), ""], dtype=object)
    >>> blank_mask_of_codes(values, *pd.factorize(values)).tolist() == blank_mask(values).tolist()
    True
    """
    codes = np.asarray(codes)
    out = np.r_[blank_mask(np.asarray(uniques, dtype=object)), False][codes]  # (code -1: the False, then below)
    missing = np.flatnonzero(codes < 0)
    if missing.size:
        out[missing] = blank_mask(values[missing])
    return out


#: Types whose values are never blank (what calamine, openpyxl and xlwings hand over for a filled cell).
_NEVER_BLANK = (int, bool, np.bool_, np.int64, np.int32, _dt.datetime, _dt.date, _dt.time, _dt.timedelta)
_FLOATS = (float, np.float64, np.float32, np.float16)
_type_of = np.frompyfunc(type, 1, 1)


def _object_blank_mask(flat: np.ndarray) -> np.ndarray:
    """:func:`is_blank` over a 1-D object array, one type at a time.

    A ledger column holds a handful of exact types (str, float, datetime,
    None), so the cells are grouped by type (one C-level call per cell, no
    Python code) and each group is decided at once: None is blank, a float
    when NaN, a str when empty or only spaces (``not s.strip()`` is
    ``s == "" or s.isspace()``), int / bool / dates never.  Any other type
    (a str subclass, pandas' NA ...) goes through :func:`is_blank` itself,
    so the result is the same as calling it on every cell.

    >>> _object_blank_mask(np.array([None, "", " \\t", "x", 0.0, float("nan"), 3, _dt.date(2024, 1, 1)],
    ...                             dtype=object)).tolist()
    [True, True, True, False, False, True, False, False]
    """
    out = np.zeros(flat.shape, bool)
    if not flat.size:
        return out
    kinds = set(map(type, flat))
    if len(kinds) == 1:  # a column of one type (a ledger's ids, dates, amounts): decided without grouping
        return _one_type_blank_mask(flat, kinds.pop())
    types = _type_of(flat)
    box = np.empty(1, object)  # the type boxed: numpy would read a bare numpy type as a dtype
    for typ in set(types.tolist()):
        box[0] = typ
        where = types == box
        if typ is type(None):
            out[where] = True
        elif typ is str:
            sub = flat[where]
            out[where] = (sub == "") | np.fromiter(map(str.isspace, sub), bool, len(sub))
        elif typ in _FLOATS:
            out[where] = np.isnan(flat[where].astype(float))
        elif typ not in _NEVER_BLANK:
            out[where] = [is_blank(v) for v in flat[where]]  # the rare types: the definition itself
    return out


def _one_type_blank_mask(flat: np.ndarray, typ: type) -> np.ndarray:
    """:func:`_object_blank_mask` of cells all of type ``typ``: the same decision for each type.

    >>> _one_type_blank_mask(np.array(["", " ", "x"], dtype=object), str).tolist()
    [True, True, False]
    """
    if typ is type(None):
        return np.ones(flat.shape, bool)
    if typ is str:
        return (flat == "") | np.fromiter(map(str.isspace, flat), bool, len(flat))
    if typ in _FLOATS:
        return np.isnan(flat.astype(float))
    if typ in _NEVER_BLANK:
        return np.zeros(flat.shape, bool)
    return np.array([is_blank(v) for v in flat], dtype=bool)


# ------------------------------------------------------------------ errors

#: COM error integers (as VBA's CVErr values arrive in Python) -> Excel literal.
ERROR_CODES: dict[int, str] = {
    -2146826281: "#DIV/0!",
    -2146826246: "#N/A",
    -2146826259: "#NAME?",
    -2146826288: "#NULL!",
    -2146826252: "#NUM!",
    -2146826265: "#REF!",
    -2146826273: "#VALUE!",
    # the newer ones, as VBA's XlCVError numbers them (0x800A0000 + xlErrGettingData 2043, xlErrSpill 2045,
    # xlErrConnect 2046, xlErrBlocked 2047, xlErrUnknown 2048, xlErrField 2049, xlErrCalc 2050)
    -2146826245: "#GETTING_DATA",
    -2146826243: "#SPILL!",
    -2146826242: "#CONNECT!",
    -2146826241: "#BLOCKED!",
    -2146826240: "#UNKNOWN!",
    -2146826239: "#FIELD!",
    -2146826238: "#CALC!",
}
#: A cell error reaches Python over COM as the HRESULT 0x800A0000 + its xlErr number (2000 + a byte): ints
#: in this range are errors, whether or not their literal is known (xlwings converts only the classic seven).
COM_ERROR_BASE = -2146828288
COM_ERRORS = range(COM_ERROR_BASE + 2000, COM_ERROR_BASE + 2256)
#: Every error literal a cell can show (the newer ones have no classic COM code: dynamic arrays, data types,
#: linked data, Python in Excel).
ERROR_LITERALS = frozenset(ERROR_CODES.values()) | {"#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!",
                                                     "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#PYTHON!"}

DIV0, NA, NAME, NULL, NUM, REF, VALUE = "#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"


def error_literal(value: Any) -> str | None:
    """The Excel error literal ``value`` stands for, or None if it is not an error.

    Accepts COM error integers, literal strings ("#N/A", any str subclass).

    >>> error_literal(-2146826246), error_literal("#DIV/0!"), error_literal(3.0), error_literal(True)
    ('#N/A', '#DIV/0!', None, None)
    """
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)) and int(value) in ERROR_CODES:
        return ERROR_CODES[int(value)]
    if isinstance(value, str) and value in ERROR_LITERALS:
        return str(value)
    return None
