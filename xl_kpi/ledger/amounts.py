"""Amount columns as users write them: numbers, and text with currency, separators and brackets.

Numbers are taken as they are (a complex number, a boolean or an infinity
is not an amount). Text is read when its meaning is clear:

* a currency symbol or a three-letter code before or after the number
  (``$1,200.00``, ``1.200,00 €``, ``EUR 40``), the same currency in the
  whole column (two currencies are refused: they do not add up);
* thousands separators: ``,`` ``.`` space or ``'`` in groups of three;
* the decimal separator is the last of ``.`` and ``,`` when both appear
  (``1.200,50``), or a single one not followed by exactly three digits
  (``3,5``, ``12.25``). That is the column's convention: a value with one
  separator followed by three digits (``1,200``) is a thousands separator
  unless the column's decimal separator is that same character, in which
  case it is ambiguous and refused (``1,200`` beside ``3,5``);
* a negative number in parentheses (``(40.00)``) or with a minus sign.

A column of plain numbers as text (``"120.5"``, ``"0.125"``, what a CSV or a
program writes) is read as numbers with a decimal point.

>>> col = parse_amounts(pd.Series(["$1,200.00", "(40)", 5, None, "1 000", "x"], dtype=object))
>>> col.values.tolist()[:5], col.bad.tolist()
([1200.0, -40.0, 5.0, nan, 1000.0], [False, False, False, False, False, True])
>>> parse_amounts(pd.Series(["1.200,00 €", "3,5"])).values.tolist()
[1200.0, 3.5]
>>> col = parse_amounts(pd.Series(["3,5", "1,200"]))
>>> col.ambiguous.tolist(), col.decimal
([False, True], ',')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xl_kpi.cells import blank_mask

__all__ = ["AmountColumn", "parse_amounts"]

_type_of = np.frompyfunc(type, 1, 1)

_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "₽": "RUB", "₺": "TRY",
            "R$": "BRL", "CHF": "CHF", "kr": "SEK"}
_CURRENCY = re.compile(r"^(?P<pre>R\$|[$€£¥₹₩₽₺]|[A-Z]{3}\b)?\s*(?P<body>.*?)\s*(?P<post>[$€£¥₹₩₽₺]|\b[A-Z]{3}|kr)?$")
_BODY = re.compile(r"[+-]?(?:\d[\d.,' ]*\d|\d)|[+-]?[.,]\d+")
_PLAIN = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")
_SINGLE_GROUP = re.compile(r"[+-]?[1-9]\d{0,2}[.,]\d{3}")  # a thousands group never starts with 0
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2212": "-"})


@dataclass
class AmountColumn:
    """A parsed amount column: values (NaN where blank or bad), masks, and the column's convention.

    ``bad``: not a number; ``ambiguous``: ``1,200``-like text in a column
    whose decimal separator is that character; ``complex``: a complex number;
    ``decimal``: the column's decimal separator found ("." or ",", None when
    no value shows it); ``currencies``: currency -> first row position;
    ``conflict``: positions of two values with different decimal separators.
    """

    values: np.ndarray
    blank: np.ndarray
    bad: np.ndarray
    ambiguous: np.ndarray
    complex: np.ndarray
    decimal: str | None = None
    currencies: dict | None = None
    conflict: tuple[int, int] | None = None
    thousands_read: tuple[int, str] | None = None  #: a "1,200" read as 1200 (no decimal separator in the column)
    #: False when the column is known to hold no text (only floats and empty cells): no cell is an Excel error literal
    text: bool = True

    def __iter__(self):  # unpacks as (values, blank, bad) like the other column parsers
        return iter((self.values, self.blank, self.bad | self.ambiguous | self.complex))

    def __getitem__(self, i):  # and indexes like that 3-tuple
        return (self.values, self.blank, self.bad | self.ambiguous | self.complex)[i]


def _split(text: str) -> tuple[str | None, str, bool] | None:
    """Text -> (currency or None, number body, negative by parentheses) or None if it is not an amount."""
    t = text.translate(_SPACES).strip()
    neg = t.startswith("(") and t.endswith(")")
    if neg:
        t = t[1:-1].strip()
    sign = ""
    if t[:1] in "+-" and t[1:2] and not t[1:2].isdigit():  # "-$40"
        sign, t = t[0], t[1:].strip()
    m = _CURRENCY.match(t)
    if not m:
        return None
    pre, body, post = m.group("pre"), m.group("body"), m.group("post")
    if pre and post:
        return None
    cur = pre or post
    body = sign + body
    if not _BODY.fullmatch(body) or (neg and body[:1] in "+-"):
        return None
    return (_SYMBOLS.get(cur, cur) if cur else None), body, neg


def _decimal_of(body: str) -> tuple[str | None, bool]:
    """(decimal separator the body shows or None, whether it is a single three-digit group like 1,200)."""
    digits = body.lstrip("+-")
    seps = [c for c in digits if c in ".,"]
    if not seps:
        return None, False
    if "." in seps and "," in seps:
        return seps[-1], False
    if len(seps) > 1:  # 1,200,000: a thousands separator repeated
        return None, False
    if _SINGLE_GROUP.fullmatch(digits):
        return None, True
    return seps[0], False


def _number(body: str, decimal: str | None) -> float | None:
    sign = -1.0 if body.startswith("-") else 1.0
    digits = body.lstrip("+-")
    thousands = {"'", " "} | ({".", ","} - {decimal} if decimal else {".", ","})
    if decimal is None:
        decimal_part = ""
        whole = digits
    else:
        whole, _, decimal_part = digits.rpartition(decimal) if decimal in digits else (digits, "", "")
    groups = re.split(r"[.,' ]", whole)
    if len(groups) > 1:
        if any(c in whole for c in set(".,' ") - thousands):
            return None
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            return None
    whole = "".join(groups)
    if not whole and not decimal_part:
        return None
    return sign * float(f"{whole or '0'}.{decimal_part or '0'}")


def parse_amounts(s: pd.Series) -> AmountColumn:
    """An amount column -> :class:`AmountColumn` (see the module notes).

    Negative values are returned as they are (the caller decides whether
    they are allowed).
    """
    n = len(s)
    zeros = np.zeros(n, bool)
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return AmountColumn(np.full(n, np.nan), zeros, np.ones(n, bool), zeros.copy(), zeros.copy())
    if pd.api.types.is_complex_dtype(dtype):  # one complex value makes the whole column complex
        z = s.to_numpy()
        cplx = z.imag != 0
        x = np.where(cplx, np.nan, z.real)
        return AmountColumn(x, np.isnan(x) & ~cplx, np.isinf(x), zeros, cplx)
    if pd.api.types.is_numeric_dtype(dtype):
        x = s.to_numpy(dtype=float, na_value=np.nan)
        blank = np.isnan(x)
        return AmountColumn(x, blank, np.isinf(x), zeros, zeros.copy())
    obj = s.astype(object).to_numpy()
    # Each cell's type, decided once per distinct type (a column holds a handful): no Python code per cell.
    if set(map(type, obj)) <= {float, type(None)}:  # what a workbook reader hands over: floats and empties
        x = obj.astype(float)
        return AmountColumn(x, np.isnan(x), np.isinf(x), zeros, zeros.copy(), text=False)
    type_codes, types = pd.factorize(_type_of(obj))

    def of_type(*classes) -> np.ndarray:
        return np.array([issubclass(t, classes) for t in types], bool)[type_codes]

    x = np.full(n, np.nan)
    blank = zeros.copy()
    bad = zeros.copy()
    ambiguous = zeros.copy()
    cplx = zeros.copy()
    is_str = of_type(str)
    # numbers (and None/NaN) first: one vectorised pass
    others = ~is_str
    if others.any():
        vals = obj[others]
        kinds = np.where(of_type(bool, np.bool_)[others], 1, 0).astype(np.int8)
        complex_at = np.flatnonzero(of_type(complex, np.complexfloating)[others])
        if complex_at.size:  # 5+0j is the number 5
            kinds[complex_at[np.array([vals[i].imag != 0 for i in complex_at], bool)]] = 2
            vals = vals.copy()
            vals[complex_at] = [vals[i].real for i in complex_at]
        num = pd.to_numeric(pd.Series(np.where(kinds == 0, vals, None), dtype=object), errors="coerce")
        num = num.to_numpy(dtype=float, na_value=np.nan)
        blank_o = blank_mask(vals)
        x[others] = num
        blank[others] = blank_o & (kinds == 0)
        bad[others] = ((np.isnan(num) & ~blank_o) | np.isinf(num)) & (kinds == 0) | (kinds == 1)
        cplx[others] = kinds == 2
    col = AmountColumn(x, blank, bad, ambiguous, cplx)
    if not is_str.any():
        return col
    pos = np.flatnonzero(is_str)
    texts = pd.Series(obj[pos], dtype=object)
    # plain numeric text ("120.5", what a CSV or a program writes) vectorised; "1.200" is read as such only
    # in a column of plain numbers: beside human-formatted amounts ("$1,200", "3,5") it is one of them
    machine = texts.str.fullmatch(_PLAIN.pattern).to_numpy(dtype=bool)
    human = ~machine & ~texts.str.strip().eq("").to_numpy(dtype=bool)
    plain = machine
    if human.any():
        plain = machine & ~texts.str.strip().str.fullmatch(_SINGLE_GROUP.pattern).to_numpy(dtype=bool)
    x[pos[plain]] = pd.to_numeric(texts[plain], errors="coerce").to_numpy(dtype=float)
    if plain.any():
        x_plain = x[pos[plain]]
        bad[pos[plain][np.isinf(x_plain)]] = True
    rest = pos[~plain]
    if not rest.size:
        return col
    codes, uniq = pd.factorize(pd.Series(obj[rest], dtype=object))
    first = np.full(len(uniq), -1, np.int64)
    first[codes[::-1]] = rest[::-1]
    split = [None if not str(u).strip() else _split(str(u)) for u in uniq]
    empty = np.array([not str(u).strip() for u in uniq])
    decimals: dict[str, int] = {}
    single = np.zeros(len(uniq), bool)
    currencies: dict[str, int] = {}
    if "." in "".join(t for t in texts[plain]):
        decimals["."] = int(pos[plain][texts[plain].str.contains(".", regex=False).to_numpy(dtype=bool)][0])
    for k, sp in enumerate(split):
        if sp is None:
            continue
        cur, body, _ = sp
        if cur:
            currencies.setdefault(cur, int(first[k]))
            currencies[cur] = min(currencies[cur], int(first[k]))
        dec, single[k] = _decimal_of(body)
        if dec:
            decimals[dec] = min(decimals.get(dec, int(first[k])), int(first[k]))
    if len(decimals) > 1:
        col.conflict = (decimals["."], decimals[","])
    decimal = next(iter(decimals)) if len(decimals) == 1 else None
    col.decimal, col.currencies = decimal, currencies
    vals_u = np.full(len(uniq), np.nan)
    bad_u = np.zeros(len(uniq), bool)
    amb_u = np.zeros(len(uniq), bool)
    for k, sp in enumerate(split):
        if empty[k]:
            continue
        if sp is None:
            bad_u[k] = True
            continue
        _, body, neg = sp
        if single[k] and decimal is not None and decimal in body:
            amb_u[k] = True
            continue
        v = _number(body, decimal if not single[k] else None)
        if v is None or not np.isfinite(v):
            bad_u[k] = True
            continue
        if single[k] and col.thousands_read is None:
            col.thousands_read = (int(first[k]), str(uniq[k]))
        vals_u[k] = -v if neg else v
    x[rest] = vals_u[codes]
    blank[rest] = empty[codes]
    bad[rest] = bad_u[codes]
    ambiguous[rest] = amb_u[codes]
    # a plain "1.200" (excluded above) went through the parser; plain values with a "." decide "."
    return col
