"""Edit ``xl/calcChain.xml``: drop the entries of replaced sheets.

Excel repairs a file whose calculation chain names formulas that are gone;
an entry without ``i`` belongs to the sheet of the entry before it, so in a
chain that changes every kept entry names its sheet explicitly.  An empty
chain is invalid (``<c>`` is required), so when nothing is left the part
goes altogether (Excel rebuilds it).

>>> xml = b'<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><c r="A1" i="2"/><c r="B1"/><c r="A1" i="1"/><c r="A2" i="1"/></calcChain>'
>>> edit_calc_chain(xml, "book.xlsx", {"2"})
b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\\n<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><c r="A1" i="1"/><c r="A2" i="1"/></calcChain>'
>>> edit_calc_chain(xml, "book.xlsx", {"3"}) is UNCHANGED, edit_calc_chain(xml, "book.xlsx", {"1", "2"})
(True, None)
"""

from __future__ import annotations

from xl_kpi.ooxml import xmltree

#: Returned when no entry belongs to a dropped sheet.
UNCHANGED = b""


def edit_calc_chain(data: bytes, label: str, drop_sheet_ids: set[str], part: str = "xl/calcChain.xml"):
    """The chain without the entries of the sheets whose sheetId is in ``drop_sheet_ids``:
    new bytes, :data:`UNCHANGED`, or None when no entry is left (the part should go)."""
    root = xmltree.parse(data, part, label)
    entries = xmltree.children(root, "c")
    sheet_of, current = [], None
    for el in entries:
        current = el.get("i", current)
        sheet_of.append(current)
    if not any(s in drop_sheet_ids for s in sheet_of):
        return UNCHANGED
    if all(s in drop_sheet_ids for s in sheet_of):
        return None
    for el, sheet in zip(entries, sheet_of):
        if sheet in drop_sheet_ids:
            root.remove(el)
        elif el.get("i") is None:
            el.set("i", sheet)  # its predecessor may be gone: name the sheet
    return xmltree.serialise(root, data)
