"""Reading a ledger sheet fast without changing what is read: the scans over its bytes find the same things
however the part is cut into blocks, and the pause of the cycle collector is undone.

The error-cell scan (:class:`xl_kpi.refresh.file_backend.ErrorScan`) and the
declaration scan of :func:`xl_kpi.ooxml.safety.check_no_dtd` skip blocks
holding nothing of interest; a hit straddling two blocks must still be found.
Each case is fed in blocks of every size from 1 byte up, and compared with the
answer for the part read whole (or, for the errors, with the cells written).
"""

from __future__ import annotations

import io
import zipfile

import pytest

from xl_kpi.errors import UserError
from xl_kpi.ledger.raw import ErrorCell
from xl_kpi.ooxml.safety import check_no_dtd
from xl_kpi.refresh.file_backend import ErrorScan

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def sheet_xml(prefix: str = "") -> tuple[bytes, list[ErrorCell]]:
    """A worksheet with error cells in rows 3, 4 and 9 (one outside the scanned columns) and the cells expected."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f' xmlns:{prefix}="{NS}"' if prefix else f' xmlns="{NS}"'
    rows = []
    for r in range(1, 11):
        cells = [f'<{p}c r="A{r}" t="inlineStr"><{p}is><{p}t>C{r}</{p}t></{p}is></{p}c>']
        if r == 3:
            cells.append(f'<{p}c r="B{r}" t="e"><{p}v>#N/A</{p}v></{p}c>')
        else:
            cells.append(f'<{p}c r="B{r}"><{p}v>{45292 + r}</{p}v></{p}c>')
        if r in (4, 9):
            cells.append(f'<{p}c r="C{r}" s="1" t="e"><{p}v>#DIV/0!</{p}v></{p}c>')
        else:
            cells.append(f'<{p}c r="C{r}"><{p}v>{r * 10}.5</{p}v></{p}c>')
        if r == 5:
            cells.append(f'<{p}c r="E{r}" t="e"><{p}v>#REF!</{p}v></{p}c>')  # column E: outside the table
        rows.append(f'<{p}row r="{r}">{"".join(cells)}</{p}row>')
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}worksheet{xmlns}><{p}sheetData>'
           f'{"".join(rows)}</{p}sheetData></{p}worksheet>').encode()
    return xml, [ErrorCell("#N/A", 3, 1), ErrorCell("#DIV/0!", 4, 2), ErrorCell("#DIV/0!", 9, 2)]


@pytest.mark.parametrize("prefix", ["", "x"])
def test_error_cells_found_whatever_the_blocks(prefix):
    xml, expected = sheet_xml(prefix)
    for size in range(1, len(xml) + 1):
        scan = ErrorScan(2, 1, 10, 3)
        for at in range(0, len(xml), size):
            scan.feed(xml[at:at + size])
        scan.feed(b"")
        assert scan.cells() == expected, size


def zip_with(part: bytes) -> zipfile.ZipFile:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/worksheets/sheet1.xml", part)
    return zipfile.ZipFile(buf)


@pytest.mark.parametrize("body, refused", [
    (b"<!DOCTYPE w>", True),
    (b'<!ENTITY a "aaaa">', True),
    (b"<!-- a comment: '<!' that declares nothing -->", False),
    (b"", False),
])
def test_declarations_in_a_large_part_found_whatever_the_blocks(body, refused):
    """Above the whole-parse limit the body is scanned: a declaration is found where the blocks are cut."""
    xml, _ = sheet_xml()
    at = xml.index(b"<sheetData>")
    part = xml[:at] + body + xml[at:]
    zf = zip_with(part)
    for size in [1, 2, 3, 5, 7, 8, 9, 10, 11, 13, 64, 200, len(part)]:
        if refused:
            with pytest.raises(UserError, match="declares a DTD or entities"):
                check_no_dtd(zf, "xl/worksheets/sheet1.xml", "book.xlsx", whole=False, chunk=size)
        else:
            check_no_dtd(zf, "xl/worksheets/sheet1.xml", "book.xlsx", whole=False, chunk=size)


def test_cyclic_gc_paused_restores_the_collector_state():
    """The read and the write pause the cycle collector; it is as it was afterwards, also after an error."""
    import gc

    from xl_kpi.refresh.file_backend import cyclic_gc_paused

    assert gc.isenabled()
    with cyclic_gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError):
        with cyclic_gc_paused():
            1 / 0
    assert gc.isenabled()
    gc.disable()
    try:
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()  # a caller that had switched it off keeps it off
    finally:
        gc.enable()
