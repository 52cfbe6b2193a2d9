"""Customer id columns: one customer is one id, however the cell stored it.

* Surrounding spaces are trimmed (``"C "`` is ``"C"``).
* A whole number is the same id whether it is a number or text: ``123``,
  ``123.0`` and ``"123"`` (and ``"123.0"`` from a CSV) are the id ``"123"``.
  Ids are returned as text.
* Booleans are not ids (TRUE and 1 would otherwise be one customer).
* Ids that differ only in case (``"d"``, ``"D"``) or in leading zeros
  (``"00123"``, ``"123"``) stay apart, and :func:`near_duplicates` lists
  them for a data check; ``merge_case=True`` merges ids that differ only in
  case (the first spelling seen is kept).

Only distinct values are looked at.

>>> ids = parse_ids(pd.Series(["C ", "C", 123, 123.0, "123", None, "  "], dtype=object))
>>> ids.codes.tolist(), list(ids.uniques), ids.blank.tolist()
([0, 0, 1, 1, 1, -1, -1], ['C', '123'], [False, False, False, False, False, True, True])
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["IdColumn", "parse_ids", "normalise_id", "near_duplicates", "near_duplicate_keys"]

_WHOLE_TEXT = re.compile(r"([+-]?\d+)\.0*")


@dataclass
class IdColumn:
    """Codes per row (-1 where blank or bad), the distinct ids as text, blank and bad (boolean) masks.

    ``raw`` is the factorisation of the cells as they were (codes per row, the distinct cells), so that a
    check of the cells themselves (:func:`xl_kpi.ledger.validation.error_mask`) looks at each distinct cell
    once instead of at every row.
    """

    codes: np.ndarray
    uniques: np.ndarray
    blank: np.ndarray
    bad: np.ndarray
    raw: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)

    def __iter__(self):  # unpacks as (codes, uniques, blank)
        return iter((self.codes, self.uniques, self.blank))

    def __getitem__(self, i):  # and indexes like that 3-tuple
        return (self.codes, self.uniques, self.blank)[i]


class _Bool:
    """A boolean cell, kept apart from the numbers 0 and 1 while ids are factorised."""

    def __init__(self, value):
        self.value = bool(value)

    def __hash__(self):
        return hash(("bool", self.value))

    def __eq__(self, other):
        return isinstance(other, _Bool) and other.value == self.value

    def __repr__(self):
        return repr(self.value)


def normalise_id(value: Any) -> str | None | bool:
    """One id cell -> its id text; None for a blank cell; False for a value that is not an id (a boolean).

    >>> normalise_id(" a "), normalise_id(12.0), normalise_id("12.0"), normalise_id(1.5), normalise_id(True)
    ('a', '12', '12', '1.5', False)
    """
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_, _Bool)):
        return False
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return False
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    text = " ".join(str(value).split()) if not isinstance(value, str) else value.strip()
    if not text:
        return None
    m = _WHOLE_TEXT.fullmatch(text)
    return m.group(1) if m else text


def parse_ids(s: pd.Series, merge_case: bool = False,
              factorized: tuple[np.ndarray, np.ndarray] | None = None) -> IdColumn:
    """Factorise an id column into codes over the normalised ids (see the module notes).

    ``factorized`` is ``pandas.factorize`` of the column's values, when the caller has it (the refresh,
    which counts the table's blank rows through it: :func:`xl_kpi.refresh.pipeline.shared_id_codes`);
    a column holding booleans is factorised here whatever is given (factorize takes True for 1).
    """
    values = s.astype(object).to_numpy() if not s.dtype == object else s.to_numpy()
    if pd.api.types.infer_dtype(values, skipna=True) in ("boolean", "mixed", "mixed-integer", "mixed-integer-float"):
        # factorize takes True for 1: keep booleans apart so that they are refused, not merged with customer 1
        values = np.array([_Bool(v) if isinstance(v, (bool, np.bool_)) else v for v in values], dtype=object)
        factorized = None
    if factorized is not None and len(factorized[0]) != len(values):
        raise ValueError(f"factorized holds {len(factorized[0])} codes for {len(values)} ids")
    codes, uniq = factorized if factorized is not None else pd.factorize(values)
    uniq = np.asarray(uniq, dtype=object)
    if all(type(v) is str for v in uniq):  # a column of text ids (what a workbook holds): normalise_id's text branch
        stripped = [v.strip() for v in uniq]
        # (the pattern needs a ".": most ids are never matched against it)
        norm = [(m.group(1) if "." in t and (m := _WHOLE_TEXT.fullmatch(t)) else t) if t else None
                for t in stripped]
    else:
        norm = [normalise_id(v) for v in uniq]
    bad_u = np.array([v is False for v in norm], bool)
    blank_u = np.array([v is None for v in norm], bool)
    keys = [v if isinstance(v, str) else None for v in norm]
    if merge_case:
        keys = [k.casefold() if k is not None else None for k in keys]
    new_codes, new_uniq = pd.factorize(pd.Series(keys, dtype=object)) if len(keys) else (np.zeros(0, np.int64), [])
    # the spelling shown for each id: its first one (factorize numbers the keys as they first appear)
    first_codes, first = np.unique(new_codes, return_index=True)
    shown = np.empty(len(new_uniq), dtype=object)
    shown[first_codes[first_codes >= 0]] = np.array(norm, dtype=object)[first[first_codes >= 0]]
    # A code of -1 (a missing cell) picks the last entry of each look-up table: the one appended for it.
    codes = np.asarray(codes)
    row_codes = np.r_[new_codes, -1][codes]
    blank = np.r_[blank_u, True][codes]
    bad = np.r_[bad_u, False][codes]
    return IdColumn(row_codes.astype(np.int64), shown, blank, bad, raw=(codes, uniq))


def near_duplicate_keys(ids) -> pd.Series:
    """The key two ids share when they differ only in case or leading zeros: casefolded, a number's zeros cut.

    For ASCII text that is SQL's ``lower`` (and ``[0-9]+`` for the digits): the Ibis engine groups by
    it in the database and asks this function only about other text.

    >>> near_duplicate_keys(["Acme", "00123", "0", "Straße"]).tolist()
    ['acme', '123', '0', 'strasse']
    """
    return pd.Series([_near_key(v) for v in ids], dtype=object)


def near_duplicates(ids: np.ndarray) -> list[list[int]]:
    """Groups of distinct ids (their positions) that differ only in case or in leading zeros.

    Two ids are one group when their keys are equal: the id casefolded, and an id of decimal digits only
    (Unicode category Nd, what ``\\d`` matches) without its leading ``0`` s (``"000"`` is ``"0"``).
    Groups come in the order of their keys' first appearance, each in the ids' order.

    >>> near_duplicates(np.array(["d", "D", "00123", "123", "x"], dtype=object))
    [[0, 1], [2, 3]]
    """
    if len(ids) < 2:
        return []
    # One pass of str methods over the distinct ids (no regular expression, no pandas string column:
    # 100,000 customers in milliseconds); isdecimal() is exactly re's fullmatch(r"\d+").
    # (_near_key spelled out: no call per id)
    return groups_of_equal_keys([((k.lstrip("0") or "0") if (k := v.casefold()).isdecimal() else k)
                                 if isinstance(v, str) else None for v in ids])


def groups_of_equal_keys(keys) -> list[list[int]]:
    """Positions of the keys held more than once, a group per key (None is no key), in order of first appearance.

    >>> groups_of_equal_keys(["a", None, "b", "a", None, "b", "c"])
    [[0, 3], [2, 5]]
    """
    # Most ids have no near-duplicate: find the keys held by more than one id with a count, and build
    # lists only for those (a groupby building a list per id costs seconds on 100,000 customers).
    # factorize numbers the keys in order of first appearance, so the groups come in that order.
    codes, _ = pd.factorize(np.array(keys, dtype=object))
    shared = np.flatnonzero((codes >= 0) & (np.bincount(codes[codes >= 0], minlength=1)[np.maximum(codes, 0)] > 1))
    if not shared.size:
        return []
    pos = shared[np.argsort(codes[shared], kind="stable")]
    cuts = np.flatnonzero(np.diff(codes[pos])) + 1
    return [g.tolist() for g in np.split(pos, cuts)]


def _near_key(value: Any) -> str | None:
    """An id's key for :func:`near_duplicates` (None for a value that is not text: it has no near-duplicate).

    >>> _near_key("AbC"), _near_key("000"), _near_key("0012"), _near_key("\u0661\u0662"), _near_key(5)
    ('abc', '0', '12', '\u0661\u0662', None)
    """
    if not isinstance(value, str):
        return None
    key = value.casefold()
    return (key.lstrip("0") or "0") if key.isdecimal() else key
