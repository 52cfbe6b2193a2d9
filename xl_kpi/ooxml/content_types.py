"""Edit ``[Content_Types].xml``: the overrides of removed parts go, those of new parts are added.

>>> xml = (b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
...        b"<Default Extension='xml' ContentType='application/xml'/>"
...        b'<Override PartName="/xl/worksheets/sheet2.xml" ContentType="x"/></Types>')
>>> edit_content_types(xml, "book.xlsx", {"xl/worksheets/sheet2.xml"}, [("xl/charts/chart1.xml", "c")])
b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/charts/chart1.xml" ContentType="c"/></Types>'
"""

from __future__ import annotations

from typing import Sequence

from xl_kpi.ooxml import xmltree
from xl_kpi.ooxml.namespaces import CT_PART


def edit_content_types(data: bytes, label: str, removed: set[str], added: Sequence[tuple[str, str]]) -> bytes:
    """The content types part without the overrides of ``removed`` parts, plus one per (part, type)."""
    root = xmltree.parse(data, CT_PART, label)
    gone = {"/" + p.lstrip("/") for p in removed}
    for el in xmltree.children(root, "Override"):
        if el.get("PartName") in gone:
            root.remove(el)
    for part, ctype in added:
        xmltree.add_child(root, "Override", {"PartName": "/" + part.lstrip("/"), "ContentType": ctype})
    return xmltree.serialise(root, data)
