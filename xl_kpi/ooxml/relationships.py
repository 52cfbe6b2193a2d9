"""Relationships parts (``_rels/*.rels``): their names, their targets, a new one, an edited one.

>>> data = rels_xml([("rId1", REL_TABLE, "../tables/table1.xml")])
>>> data.endswith(b'Target="../tables/table1.xml"/></Relationships>')
True
>>> new, ids = edit_relationships(data, drop={"rId1"}, add=[(REL_TABLE, "../tables/table2.xml")],
...                               part="x.rels", label="book.xlsx")
>>> ids, new.count(b"<Relationship ")
(['rId1'], 1)
"""

from __future__ import annotations

import posixpath
from typing import Sequence

from xl_kpi.ooxml import xmltree
from xl_kpi.ooxml.namespaces import NS_PKG_REL, REL_TABLE, XML_DECLARATION  # noqa: F401 - REL_TABLE: doctest
from xl_kpi.ooxml.text import attr


def rels_part(part: str) -> str:
    """Name of the relationships part of ``part``.

    >>> rels_part("xl/workbook.xml"), rels_part("xl/worksheets/sheet1.xml")
    ('xl/_rels/workbook.xml.rels', 'xl/worksheets/_rels/sheet1.xml.rels')
    """
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve(source_part: str, target: str) -> str:
    """Part name a relationship target points at.

    >>> resolve("xl/workbook.xml", "worksheets/sheet1.xml"), resolve("xl/worksheets/sheet1.xml", "../tables/table1.xml")
    ('xl/worksheets/sheet1.xml', 'xl/tables/table1.xml')
    >>> resolve("xl/workbook.xml", "/xl/styles.xml")
    'xl/styles.xml'
    """
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def relative(source_part: str, part: str) -> str:
    """Relationship target of ``part`` as seen from ``source_part``.

    >>> relative("xl/worksheets/sheet4.xml", "xl/tables/table2.xml")
    '../tables/table2.xml'
    """
    return posixpath.relpath(part, posixpath.dirname(source_part))


def rels_xml(rels: Sequence[tuple[str, str, str]]) -> bytes:
    """A new relationships part from (id, type, target) triples."""
    body = "".join(f'<Relationship Id={attr(rid)} Type={attr(typ)} Target={attr(target)}/>'
                   for rid, typ, target in rels)
    return f'{XML_DECLARATION}<Relationships xmlns="{NS_PKG_REL}">{body}</Relationships>'.encode("utf-8")


def edit_relationships(data: bytes, drop: set[str], add: Sequence[tuple[str, str]], part: str,
                       label: str) -> tuple[bytes, list[str]]:
    """A relationships part without the relationships whose Id is in ``drop``, plus one per (type,
    target) of ``add`` (appended, with the lowest free ``rIdN``); returns it and the new ids."""
    root = xmltree.parse(data, part, label)
    for el in xmltree.children(root, "Relationship"):
        if el.get("Id") in drop:
            root.remove(el)
    taken = {el.get("Id") for el in xmltree.children(root, "Relationship")}
    ids, n = [], 1
    for typ, target in add:
        while f"rId{n}" in taken:
            n += 1
        rid = f"rId{n}"
        taken.add(rid)
        ids.append(rid)
        xmltree.add_child(root, "Relationship", {"Id": rid, "Type": typ, "Target": target})
    return xmltree.serialise(root, data), ids
