"""A closed .xlsx / .xlsm seen as what it is: a zip package of parts.

``WorkbookPackage`` reads the package's structure (content types, the
workbook part, its sheets and relationships, the Excel Tables) with
defusedxml, after ``safety.check_zip`` has vetted the central directory.

Nothing here re-serialises an XML tree: the few shared parts a refresh must
change (workbook.xml, its rels, [Content_Types].xml, styles.xml, calcChain)
are edited as *text*, splicing elements in and out.  Re-serialising through
ElementTree would drop namespace declarations that ``mc:Ignorable`` still
names, which Excel reports as a corrupt file.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass

from xl_kpi.errors import UserError
from xl_kpi.refresh.ooxml import NS_MAIN, NS_PKG_REL, NS_REL
from xl_kpi.refresh.safety import check_zip, parse_xml, read_part

_M = "{%s}" % NS_MAIN
_R = "{%s}" % NS_REL
_P = "{%s}" % NS_PKG_REL


@dataclass(frozen=True)
class Rel:
    id: str
    type: str
    target: str  #: resolved part name (no leading "/"), or the raw target when external
    external: bool


@dataclass(frozen=True)
class SheetEntry:
    name: str
    sheet_id: int
    rid: str
    part: str | None  #: worksheet part, None when the relationship is missing
    xml: str  #: the <sheet .../> element exactly as written in workbook.xml
    is_worksheet: bool


@dataclass(frozen=True)
class TableEntry:
    sheet: str
    part: str
    name: str
    ref: str
    id: int


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


def element_pattern(local: str, prefix: str) -> re.Pattern:
    """Regex for one element (empty or with content) in raw XML text."""
    p = re.escape(prefix + ":") if prefix else ""
    return re.compile(rf"<{p}{local}(?=[\s/>])[^>]*?(?:/>|>.*?</{p}{local}\s*>)", re.S)


def root_prefix(text: str) -> str:
    """Namespace prefix of the root element ('' for a default namespace)."""
    m = re.search(r"<(?!\?|!)([\w.-]+:)?[\w.-]+[\s>/]", text)
    return (m.group(1) or "")[:-1] if m else ""


class WorkbookPackage:
    """Structure of a workbook package, read once; members are read lazily."""

    def __init__(self, path, label: str | None = None) -> None:
        self.path = path
        self.label = label or str(path)
        try:
            self.zip = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise UserError(f"{self.label}: not an .xlsx/.xlsm workbook (not a zip package)") from None
        except FileNotFoundError:
            raise UserError(f"{self.label}: no such file") from None
        check_zip(self.zip, self.label)
        self.names = {i.filename for i in self.zip.infolist()}
        self._rels: dict[str, list[Rel]] = {}
        self.workbook_part = self._office_document()
        self.workbook_text = self.text(self.workbook_part)
        self.workbook = parse_xml(self.workbook_text.encode("utf-8"), self.workbook_part, self.label)
        self.sheets = self._sheets()

    # ------------------------------------------------------------------ reading
    def read(self, part: str) -> bytes:
        if part not in self.names:
            raise UserError(f"{self.label}: the package has no part {part!r}")
        return read_part(self.zip, part, self.label)

    def text(self, part: str) -> str:
        data = self.read(part)
        parse_xml(data, part, self.label)  # vets every part we will edit as text, too
        return data.decode("utf-8-sig")

    def rels(self, part: str) -> list[Rel]:
        """Relationships of ``part`` (empty when it has none)."""
        if part not in self._rels:
            name = rels_part(part)
            out: list[Rel] = []
            if name in self.names:
                root = parse_xml(self.read(name), name, self.label)
                for el in root.iter(_P + "Relationship"):
                    external = el.get("TargetMode") == "External"
                    target = el.get("Target", "")
                    out.append(Rel(el.get("Id", ""), el.get("Type", ""),
                                   target if external else resolve(part, target), external))
            self._rels[part] = out
        return self._rels[part]

    def _office_document(self) -> str:
        for rel in self.rels(""):
            if rel.type.endswith("/officeDocument"):  # transitional or strict OOXML namespace
                return rel.target
        raise UserError(f"{self.label}: not a workbook (no office document in _rels/.rels)")

    def _sheets(self) -> list[SheetEntry]:
        rels = {r.id: r for r in self.rels(self.workbook_part)}
        parsed = self.workbook.findall(f"{_M}sheets/{_M}sheet")
        prefix = root_prefix(self.workbook_text)
        block = element_pattern("sheets", prefix).search(self.workbook_text)
        raw = element_pattern("sheet", prefix).findall(block.group(0)) if block else []
        if len(raw) != len(parsed):
            raise UserError(f"{self.label}: could not read the sheet list of {self.workbook_part}")
        out = []
        for el, xml in zip(parsed, raw):
            rid = el.get(_R + "id", "")
            rel = rels.get(rid)
            out.append(SheetEntry(el.get("name", ""), int(el.get("sheetId", "0")), rid,
                                  rel.target if rel else None, xml,
                                  bool(rel) and rel.type.endswith("/worksheet")))
        return out

    def tables(self) -> list[TableEntry]:
        """Every Excel Table of every worksheet, with its sheet."""
        out = []
        for sheet in self.sheets:
            if not sheet.part or not sheet.is_worksheet:
                continue
            for rel in self.rels(sheet.part):
                if rel.type.endswith("/table") and not rel.external and rel.target in self.names:
                    root = parse_xml(self.read(rel.target), rel.target, self.label)
                    out.append(TableEntry(sheet.name, rel.target, root.get("name") or root.get("displayName", ""),
                                          root.get("ref", ""), int(root.get("id", "0"))))
        return out

    def find_table(self, name: str) -> TableEntry | None:
        """The Excel Table called ``name`` (Excel table names ignore case), or None."""
        for table in self.tables():
            if table.name.lower() == name.lower():
                return table
        return None

    def defined_names(self) -> list[tuple[str, int | None, str]]:
        """(name, localSheetId or None, text) of every defined name."""
        return [(el.get("name", ""), int(el.get("localSheetId")) if el.get("localSheetId") is not None else None,
                 el.text or "")
                for el in self.workbook.findall(f"{_M}definedNames/{_M}definedName")]

    def close(self) -> None:
        self.zip.close()
