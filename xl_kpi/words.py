"""How a count is written in a message: "1 row", "2 rows" (one home, so that no message says "1 rows").

>>> counted(1, "row"), counted(1234, "row"), counted(1, "group of ids", "groups of ids")
('1 row', '1,234 rows', '1 group of ids')
>>> are(1), are(3)
('is', 'are')
"""

from __future__ import annotations

__all__ = ["counted", "are"]


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` with thousands separators and ``noun``, made plural (``plural``, else ``noun + "s"``) unless n is 1."""
    n = int(n)
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


def are(n: int) -> str:
    """The verb agreeing with a count: "is" for 1, else "are"."""
    return "is" if int(n) == 1 else "are"
