"""Parse, edit and write package XML with lxml, the way every part of this package does it.

Why lxml: a part that is re-serialised must keep the namespace declarations
and prefixes it was written with, including those that nothing but
``mc:Ignorable="x14ac xr"`` names (ElementTree drops them, and Excel then
calls the file corrupt), and those declared on a child rather than on the
root (openpyxl with lxml declares ``xmlns:r`` on each ``<sheet>``).  lxml
keeps the tree's declarations where they were and picks, for a new element
or attribute, a prefix that is declared in its scope.

* :func:`parse` refuses a DTD (no workbook part has one; entities are never
  expanded) and reports a syntax error as a one-line :class:`UserError`;
* :func:`serialise` writes the tree back under the part's own XML
  declaration (so an edited part keeps its prolog byte for byte);
* :func:`add_child` creates a child in the parent's namespace and puts it
  where the schema's sequence wants it.

Example
-------
>>> root = parse(b'<workbook xmlns="urn:m"><sheets/><calcPr/></workbook>', "workbook.xml", "book.xlsx")
>>> _ = add_child(root, "definedNames", order=("sheets", "definedNames", "calcPr"))
>>> serialise(root, b'<?xml version="1.0"?>\\r\\n<workbook/>')
b'<?xml version="1.0"?>\\r\\n<workbook xmlns="urn:m"><sheets/><definedNames/><calcPr/></workbook>'
>>> parse(b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', "xl/styles.xml", "book.xlsx")
Traceback (most recent call last):
xl_kpi.errors.UserError: book.xlsx: refused: package part 'xl/styles.xml' declares a DTD or entities; workbooks never need them
>>> parse(b'<a><r:b/></a>', "xl/workbook.xml", "book.xlsx")
Traceback (most recent call last):
xl_kpi.errors.UserError: book.xlsx: package part 'xl/workbook.xml' is not well-formed XML (Namespace prefix r on b is not defined, line 1, column 8)
"""

from __future__ import annotations

import re
from typing import Mapping, Sequence

from lxml import etree

from xl_kpi.errors import UserError
from xl_kpi.ooxml.namespaces import XML_DECLARATION

Element = etree._Element

# No DTD is loaded and no entity is expanded or fetched (parts with a DTD are refused below);
# libxml2 keeps its default limits on depth and node size (huge_tree=False) against hostile parts.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                          remove_blank_text=False, remove_comments=False, huge_tree=False)
_DECLARATION = re.compile(rb"<\?xml[^>]*\?>[ \t\r\n]*")


def parse(data: bytes, part: str, label: str) -> Element:
    """The root element of a package part; a ``UserError`` naming file and part if it is not usable XML."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise UserError(f"{label}: package part {part!r} is not well-formed XML ({exc.msg})") from None
    if root.getroottree().docinfo.doctype:
        raise UserError(f"{label}: refused: package part {part!r} declares a DTD or entities; "
                        "workbooks never need them")
    return root


def prolog(original: bytes | None) -> bytes:
    """The XML declaration (and the white space after it) to write before an edited part's root.

    The part's own declaration when it names no encoding or UTF-8 (what is
    written), else the project's standard one.

    >>> prolog(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\\r\\n<a/>')
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\\r\\n'
    >>> prolog(b"<?xml version='1.0' encoding='UTF-16'?><a/>") == XML_DECLARATION.encode()
    True
    """
    data = (original or b"").removeprefix(b"\xef\xbb\xbf")
    m = _DECLARATION.match(data)
    if m:
        enc = re.search(rb"""encoding\s*=\s*["']([^"']*)["']""", m.group(0))
        if enc is None or enc.group(1).lower().replace(b"-", b"") == b"utf8":
            return m.group(0)
    return XML_DECLARATION.encode()


def serialise(root: Element, original: bytes | None = None) -> bytes:
    """UTF-8 bytes of the document of ``root`` (top-level comments included) under ``prolog(original)``."""
    return prolog(original) + etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=False)


def local(el: Element) -> str | None:
    """Local name of an element; None for a comment or processing instruction."""
    return etree.QName(el).localname if isinstance(el.tag, str) else None


def namespace(el: Element) -> str | None:
    return etree.QName(el).namespace if isinstance(el.tag, str) else None


def children(parent: Element, name: str) -> list[Element]:
    """Children of ``parent`` called ``name`` in the parent's own namespace."""
    ns = namespace(parent)
    return [el for el in parent if isinstance(el.tag, str) and etree.QName(el).localname == name
            and etree.QName(el).namespace == ns]


def child(parent: Element, name: str) -> Element | None:
    found = children(parent, name)
    return found[0] if found else None


def add_child(parent: Element, name: str, attrib: Mapping[str, str] | None = None, *,
              order: Sequence[str] | None = None, index: int | None = None,
              nsmap: Mapping[str, str] | None = None) -> Element:
    """A new element ``name`` in the parent's namespace, placed by the schema's ``order``.

    ``order`` lists the local names of the parent's children in schema
    order: the new element goes after the last existing child that comes no
    later than it (children of other namespaces, e.g. ``mc:AlternateContent``,
    are skipped), so it lands where the schema's sequence puts it whatever
    else the writer of the part included.  ``index`` puts it at that position
    among the parent's children instead; without either it is appended.
    ``nsmap`` declares extra prefixes on the new element (for an attribute
    whose namespace the parent's scope lacks).

    The element is created inside the tree, so lxml resolves its namespace
    with the declarations already in scope (a prefixed root keeps its prefix).
    """
    ns = namespace(parent)
    tag = f"{{{ns}}}{name}" if ns else name
    el = etree.SubElement(parent, tag, dict(attrib or {}), nsmap=dict(nsmap) if nsmap else None)
    if order is not None:
        rank = order.index(name)
        pos = 0
        for i, other in enumerate(parent):
            if other is el or namespace(other) != ns:
                continue
            name_i = local(other)
            if name_i in order:
                if order.index(name_i) > rank:
                    break
                pos = i + 1
        parent.insert(pos, el)
    elif index is not None:
        parent.insert(index, el)
    return el


def set_count(parent: Element, item: str, attribute: str = "count") -> None:
    """Set ``count`` to the number of ``item`` children (whatever the attribute said before)."""
    parent.set(attribute, str(len(children(parent, item))))
