"""Text of parts this project writes from scratch (worksheets, tables, drawings): escaping done once.

>>> print(attr('Tom & "Jerry"\\n'), text("a < b\\x00"))
"Tom &amp; &quot;Jerry&quot;&#10;" a &lt; b
>>> number(3.0), number(0.125), number(1e16)
('3', '0.125', '1e+16')
"""

from __future__ import annotations

import re


def escape(data: str, entities: dict[str, str] | None = None) -> str:
    """``xml.sax.saxutils.escape``: ``&``, ``>``, ``<`` (in that order), then each of ``entities``.

    Spelled out here because importing ``xml.sax.saxutils`` imports ``urllib.request`` (http, ssl, email:
    30 ms of every refresh's start-up) for this one function.

    >>> escape('a < b & "c"', {'"': "&quot;"})
    'a &lt; b &amp; &quot;c&quot;'
    """
    data = data.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    for key, value in (entities or {}).items():
        data = data.replace(key, value)
    return data

# Characters XML 1.0 forbids even when escaped.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def holdable(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot hold, even escaped (what :func:`text` drops): for a
    writer that escapes by itself (the chart parts' caches must show what the cells show).

    >>> holdable("Pro\\x0bPlus\\x01"), holdable("R&D")
    ('ProPlus', 'R&D')
    """
    return _ILLEGAL.sub("", value)


#: A literal ``_xHHHH_`` in a text: Excel reads it in a cell's text as the character U+HHHH (ECMA-376's
#: ST_Xstring escape), so its underscore is written as ``_x005F_`` (as Excel and XlsxWriter write it).
_X_ESCAPE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")

#: Where :func:`text` changes a text: a character XML cannot hold, one ``escape`` replaces, or an ``_xHHHH_``.
CHANGED = _CHANGED = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")


#: The ASCII characters :func:`text` keeps as they are (every one but ``&``, ``<``, ``>`` and the controls
#: XML cannot hold), for :func:`changes`.
_KEPT_ASCII = bytes(b for b in range(128) if chr(b) not in "&<>" and (b >= 32 or b in (9, 10, 13)))


def changes(value: str) -> bool:
    """Whether :func:`text` changes ``value`` (``CHANGED.search(value) is not None``), in one pass of
    bytes for an ASCII text (a column of ids joined: a regular expression's search costs ten times more).

    >>> changes("cus_0001 plain"), changes("a & b"), changes("cus_x0041_7"), changes("caf\u00e9\x01")
    (False, True, True, True)
    """
    if value.isascii():
        if value.encode("ascii").translate(None, _KEPT_ASCII):
            return True
        return "_x" in value and _X_ESCAPE.search(value) is not None
    return _CHANGED.search(value) is not None


def text(value: str) -> str:
    """Element text: escaped, characters XML cannot hold dropped, a literal ``_xHHHH_`` kept literal
    (nearly every text has none of them: one search).

    >>> text("cus_x0041_7"), text("_x_ & _x12_")
    ('cus_x005F_x0041_7', '_x_ &amp; _x12_')
    """
    if _CHANGED.search(value) is None:
        return value
    return _X_ESCAPE.sub("_x005F_", escape(_ILLEGAL.sub("", value)))


_ATTR = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}


def attr(value: str) -> str:
    """A double-quoted, escaped XML attribute value (line breaks and tabs as character references,
    which attribute-value normalisation would otherwise turn into spaces)."""
    return '"' + escape(_ILLEGAL.sub("", value), _ATTR) + '"'


def number(value: float) -> str:
    """A cell value as Excel writes it: integers without a decimal point, else the shortest repr (the
    worksheet writer calls it once per distinct value of a column)."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))
