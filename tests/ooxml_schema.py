"""Validate package parts against the ECMA-376 schemas (tests/schemas), as a consumer of the file would.

The schemas are the published ECMA-376 XSDs (see tests/schemas/README.md);
lxml (libxml2) validates.  Before validation each part is reduced the way the
Markup Compatibility rules (ECMA-376 Part 3) tell a consumer that knows only
these namespaces to read it: elements and attributes of a namespace that
``mc:Ignorable`` lists are dropped, ``mc:AlternateContent`` becomes its
``mc:Fallback`` (or nothing), and the ``mc:*`` attributes go.  Content inside
an ``extLst/ext`` is the schema's ``xsd:any`` and stays.  ``xml:space``
(XML 1.0 section 2.10: it may stand on any element; Excel writes it on every
``<t>`` whose text has edge spaces) is checked for its two legal values and
then removed, since the ECMA schemas do not declare it on their string types.

``problems(zip_path, parts)`` returns one line per invalid part, naming the
file, the part and libxml2's first messages: an empty list means valid.
"""

from __future__ import annotations

import zipfile
from functools import lru_cache
from pathlib import Path

from lxml import etree

SCHEMAS = Path(__file__).resolve().parent / "schemas"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
#: Namespaces the schema set covers (a part whose root is elsewhere, e.g. VML or customUI, is not checked).
COVERED = {
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://schemas.openxmlformats.org/drawingml/2006/main",
    "http://schemas.openxmlformats.org/drawingml/2006/chart",
    "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
    "http://schemas.openxmlformats.org/package/2006/content-types",
    "http://schemas.openxmlformats.org/package/2006/relationships",
    "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
}


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "ooxml.xsd")))


def _ignorable(el, inherited: frozenset) -> frozenset:
    value = el.get(f"{{{MC}}}Ignorable")
    if not value:
        return inherited
    return inherited | {el.nsmap.get(p) for p in value.split()} - {None}


def reduce_markup_compatibility(root) -> None:
    """Apply the Markup Compatibility rules for a consumer that understands no extension namespace."""
    def walk(el, ignorable: frozenset) -> None:
        ignorable = _ignorable(el, ignorable)
        for name in list(el.attrib):
            ns = etree.QName(name).namespace
            if ns == MC or ns in ignorable:
                del el.attrib[name]
            elif name == XML_SPACE and el.attrib[name] in ("default", "preserve"):
                del el.attrib[name]
        for child in list(el):
            if not isinstance(child.tag, str):
                continue
            ns = etree.QName(child).namespace
            if ns == MC and etree.QName(child).localname == "AlternateContent":
                fallback = child.find(f"{{{MC}}}Fallback")
                index = list(el).index(child)
                el.remove(child)
                for n, grand in enumerate(list(fallback) if fallback is not None else []):
                    el.insert(index + n, grand)
                    walk(grand, ignorable)
            elif ns in ignorable:
                el.remove(child)
            else:
                walk(child, ignorable)
    walk(root, frozenset())


def part_problems(data: bytes, label: str) -> list[str]:
    """Schema messages for one part (empty: valid, or a namespace the schemas do not cover)."""
    root = etree.fromstring(data)
    if etree.QName(root).namespace not in COVERED:
        return []
    reduce_markup_compatibility(root)
    s = schema()
    if s.validate(root):
        return []
    messages = "; ".join(f"line {e.line}: {e.message}" for e in list(s.error_log)[:3])
    return [f"{label}: {messages}"]


def problems(path: Path, parts=None) -> list[str]:
    """Every XML part of a package (or those named in ``parts``) that is not schema-valid."""
    out = []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if (parts is None and (name.endswith(".xml") or name.endswith(".rels"))) or (parts and name in parts):
                out += part_problems(z.read(name), f"{path.name}:{name}")
    return out
