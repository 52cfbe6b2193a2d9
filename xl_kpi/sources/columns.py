"""``--columns customer=Account,month="Invoice Date",mrr=Amount``: a source's own column names.

A mapping names, for some roles of the input format (``customer``, ``month``,
``mrr`` for a ledger), the source column that holds it.  The source's columns
are renamed to the format's headers before the format reads them, and a
message about a bad value names the user's column again
(:func:`ColumnMap.user_column`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from xl_kpi.errors import UserError

__all__ = ["parse_columns", "ColumnMap"]

_PAIR = re.compile(r"""\s*([A-Za-z_][\w ]*?)\s*=\s*("(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^,]*?))\s*(?:,|$)""")


def parse_columns(text: str | dict | None) -> dict[str, str]:
    """``"customer=Account,month='Invoice Date'"`` -> {"customer": "Account", "month": "Invoice Date"}.

    >>> parse_columns('customer=Account, month="Invoice Date",mrr=Amount')
    {'customer': 'Account', 'month': 'Invoice Date', 'mrr': 'Amount'}
    >>> parse_columns("customer")
    Traceback (most recent call last):
    ...
    xl_kpi.errors.UserError: --columns: 'customer' is not ROLE=COLUMN (e.g. customer=Account,month="Invoice Date")
    """
    if text is None:
        return {}
    if isinstance(text, dict):
        return {str(k).strip().lower(): str(v) for k, v in text.items()}
    out: dict[str, str] = {}
    pos, text = 0, str(text).strip()
    while pos < len(text):
        m = _PAIR.match(text, pos)
        if not m or m.end() == pos:
            bad = text[pos:].split(",")[0].strip()
            raise UserError(f"--columns: {bad!r} is not ROLE=COLUMN (e.g. customer=Account,month=\"Invoice Date\")")
        value = next(v for v in (m.group("dq"), m.group("sq"), m.group("bare")) if v is not None)
        role = m.group(1).strip().lower()
        if role in out:
            raise UserError(f"--columns: the role {role!r} is given twice")
        out[role] = value.strip()
        pos = m.end()
    return out


@dataclass
class ColumnMap:
    """Roles -> source columns, applied to a frame for one format.

    ``roles`` maps each role the format knows to its header (``customer`` ->
    ``Customer ID``); ``given`` is what the user mapped.
    """

    roles: dict[str, str]
    given: dict[str, str] = field(default_factory=dict)
    _back: dict[str, str] = field(default_factory=dict)

    def apply(self, frame: pd.DataFrame, label: str, fmt: str) -> pd.DataFrame:
        """The frame with the mapped columns renamed to the format's headers."""
        unknown = [r for r in self.given if r not in self.roles]
        if unknown:
            raise UserError(f"--columns: {unknown[0]!r} is not a column role of the {fmt} input "
                            f"(its roles: {', '.join(self.roles)})")
        have = {" ".join(str(c).split()).lower(): c for c in frame.columns}
        rename: dict[str, str] = {}
        for role, name in self.given.items():
            col = have.get(" ".join(name.split()).lower())
            if col is None:
                cols = ", ".join(repr(str(c)) for c in frame.columns[:12]) + (" ..." if len(frame.columns) > 12 else "")
                raise UserError(f"{label}: --columns {role}={name}: no column {name!r} (its columns: {cols})")
            rename[col] = self.roles[role]
        if not rename:
            return frame
        targets = {t.lower() for t in rename.values()}
        # a column that already carries a mapped role's header steps aside (the mapping chose another)
        aside = {c: f"{c} (not used)" for c in frame.columns
                 if c not in rename and " ".join(str(c).split()).lower() in targets}
        self._back = {t: str(c) for c, t in rename.items()}
        return frame.rename(columns={**aside, **rename})

    def user_column(self, header: str | None) -> str | None:
        """The user's name of a format header after :meth:`apply` (the header itself if not mapped)."""
        if header is None:
            return None
        return self._back.get(header, header)
