"""Error cells python-calamine cannot read: a copy of the package it can read, the errors still found.

python-calamine 0.9 knows the seven classic error literals (``#N/A``,
``#DIV/0!`` ...) and reads each as an empty string; any other error value in
a sheet - the newer ones Excel writes, ``#CALC!``, ``#SPILL!``,
``#GETTING_DATA``, ``#FIELD!``, ``#BLOCKED!``, ``#CONNECT!``, ``#BUSY!``,
``#UNKNOWN!``, ``#PYTHON!`` - makes it refuse the whole sheet ("Unsupported
cell error value '#SPILL!'"), whatever cell holds it.  Since every error
reads as '' anyway, the sheet is read again from a copy of the package, in
memory, in which every error cell's value (``<c t="e"><v>...</v>``) is
``#N/A``: calamine gives the same cells it would have, had it known the
literal.  The error cells themselves are found in the user's file by the
scan that runs beside the read (:class:`xl_kpi.refresh.file_backend.ErrorScan`),
with their true literal, and refused naming sheet, row and column when they
are in the table; an error cell elsewhere on the sheet (a spilled formula
beside the ledger) no longer stops the refresh.  The user's file is only read.

>>> readable_xml(b'<c r="B3" t="e"><v>#SPILL!</v></c><c r="C3" t="e"><f>X()</f><v>#CALC!</v></c>')
b'<c r="B3" t="e"><v>#N/A</v></c><c r="C3" t="e"><f>X()</f><v>#N/A</v></c>'
>>> readable_xml(b'<x:c r="A1" s="1" t="e"><x:v>#FIELD!</x:v></x:c><c r="A2" t="str"><v>#SPILL!</v></c>')
b'<x:c r="A1" s="1" t="e"><x:v>#N/A</x:v></x:c><c r="A2" t="str"><v>#SPILL!</v></c>'
"""

from __future__ import annotations

import io
import os
import re
import zipfile

__all__ = ["unreadable_error", "readable_copy", "readable_xml"]

#: What calamine says when it meets an error literal it does not know.
UNSUPPORTED = "Unsupported cell error value"

# An error cell up to its value's text: the cell tag (t="e" among its attributes), anything but the cell's
# end (its formula), then the value's start tag.  Prefixes as a namespace-prefixed sheet writes them.
_ERROR_VALUE = re.compile(
    rb'(<(?:[\w.-]+:)?c\s[^>]*?\bt="e"[^>]*(?<!/)>(?:(?!</(?:[\w.-]+:)?c>).)*?<(?:[\w.-]+:)?v>)[^<]*(?=<)',
    re.DOTALL)


def unreadable_error(exc: BaseException) -> bool:
    """True when calamine refused a sheet for an error literal it does not know."""
    return UNSUPPORTED in str(exc)


def readable_xml(data: bytes) -> bytes:
    """A sheet part's XML with every error cell's value made ``#N/A`` (a literal calamine reads)."""
    return _ERROR_VALUE.sub(rb"\1#N/A", data)


def readable_copy(path: os.PathLike | str) -> io.BytesIO:
    """The package at ``path`` in memory, its worksheet parts through :func:`readable_xml`, stored (not
    deflated: calamine reads it once, at once)."""
    out = io.BytesIO()
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith(".xml") and b't="e"' in data:
                data = readable_xml(data)
            zout.writestr(info.filename, data)
    out.seek(0)
    return out
