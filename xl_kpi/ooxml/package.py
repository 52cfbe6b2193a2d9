"""A closed .xlsx / .xlsm seen as what it is: a zip package of parts.

``WorkbookPackage`` reads the package's structure (content types, the
workbook part, its sheets and relationships, the Excel Tables) with
defusedxml, after ``safety.check_zip`` has vetted the central directory.

Reading only: the parts a refresh edits are edited by their own modules
(:mod:`.workbook`, :mod:`.relationships`, :mod:`.content_types`,
:mod:`.styles`, :mod:`.calc_chain`) with lxml.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass

from xl_kpi.errors import UserError
from xl_kpi.ooxml.namespaces import NS_MAIN, NS_PKG_REL, NS_REL
from xl_kpi.ooxml.relationships import rels_part, resolve
from xl_kpi.ooxml.safety import check_zip, parse_xml, read_part

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
    is_worksheet: bool


@dataclass(frozen=True)
class TableEntry:
    sheet: str
    part: str
    name: str
    ref: str
    id: int
    header_rows: int = 1  #: ``headerRowCount``: 0 for a table without a header row
    totals_rows: int = 0  #: ``totalsRowCount``: 1 when the table shows a Total Row


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
        self.workbook_bytes = self.read(self.workbook_part)
        self.workbook = parse_xml(self.workbook_bytes, self.workbook_part, self.label)
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
        out = []
        for el in self.workbook.findall(f"{_M}sheets/{_M}sheet"):
            rid = el.get(_R + "id", "")
            rel = rels.get(rid)
            out.append(SheetEntry(el.get("name", ""), int(el.get("sheetId", "0")), rid,
                                  rel.target if rel else None,
                                  bool(rel) and rel.type.endswith("/worksheet")))
        return out

    @property
    def date1904(self) -> bool:
        """True when the workbook uses the 1904 date system (``<workbookPr date1904="1"/>``)."""
        pr = self.workbook.find(f"{_M}workbookPr")
        return pr is not None and pr.get("date1904", "0").strip().lower() in ("1", "true")

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
                                          root.get("ref", ""), int(root.get("id", "0")),
                                          self._count(root, "headerRowCount", 1, rel.target),
                                          self._count(root, "totalsRowCount", 0, rel.target)))
        return out

    def _count(self, el, name: str, default: int, part: str) -> int:
        value = el.get(name)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError:
            raise UserError(f"{self.label}: package part {part!r}: {name}={value!r} is not a whole number") from None

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
