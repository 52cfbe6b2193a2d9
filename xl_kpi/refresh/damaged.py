"""Recognise a damaged, hostile or unsupported package before the refresh relies on it.

A refresh trusts a few facts about the package: it is a readable zip whose
central directory matches its members; its workbook part is transitional
SpreadsheetML; every sheet has an integer ``sheetId`` and a part that
exists; the styles relationship points at a style sheet with fonts and cell
formats; every Excel Table has a numeric ``id`` and a cell-range ``ref``.
Files saved by Excel always satisfy them; damaged, hand-made or fuzzed files
may not.  Each check here turns a broken fact into one line naming the file
and the part, *before* anything is written (and is run again on the
refreshed copy, :mod:`xl_kpi.refresh.verify`).

Two kinds of file are not damaged but are not ordinary packages either, and
get a message saying what to do:

* **password-protected** workbooks are an OLE compound file (magic
  ``D0 CF 11 E0``) holding the encrypted package, not a zip;
* **Strict Open XML** workbooks ("Strict Open XML Spreadsheet" in Excel's
  Save As list) use the ``http://purl.oclc.org/ooxml/...`` namespaces
  instead of the transitional ones every other tool writes.

Example
-------
>>> import io, zipfile
>>> buf = io.BytesIO(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504))
>>> try:
...     sniff(buf.getvalue()[:8], "secret.xlsx")
... except UserError as exc:
...     print(exc)
secret.xlsx: this workbook is password-protected (an encrypted file, not an ordinary .xlsx package): remove the password (File > Info > Protect Workbook > Encrypt with Password) and save it, then refresh it
"""

from __future__ import annotations

import re
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from xl_kpi.errors import UserError
from xl_kpi.ooxml.namespaces import NS_CT, NS_MAIN, NS_PKG_REL, NS_REL
from xl_kpi.ooxml.relationships import resolve, rels_part
from xl_kpi.ooxml.safety import check_zip, parse_xml, read_part

#: First bytes of an OLE compound file: how Office stores an encrypted (password-protected) package.
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
#: Namespace root of Strict Open XML (ISO/IEC 29500 Strict), which a refresh does not edit.
STRICT = "http://purl.oclc.org/ooxml/"
#: Compression methods Excel and every zip library write (stored, deflate).
METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_REF = re.compile(r"\$?([A-Z]{1,3})\$?([0-9]{1,7})(?::\$?([A-Z]{1,3})\$?([0-9]{1,7}))?")
_REPAIR = "open it in Excel, let Excel repair it and save it again"


def sniff(head: bytes, label: str) -> None:
    """Refuse what is not a zip package, saying what it is, from the file's first bytes."""
    if head.startswith(OLE_MAGIC[:4]):
        raise UserError(f"{label}: this workbook is password-protected (an encrypted file, not an ordinary .xlsx "
                        "package): remove the password (File > Info > Protect Workbook > Encrypt with Password) "
                        "and save it, then refresh it")
    if not head:
        raise UserError(f"{label}: the file is empty (0 bytes), not a workbook")
    if not head.startswith(b"PK"):
        raise UserError(f"{label}: not an .xlsx/.xlsm workbook (not a zip package)")


def open_zip(path: Path, label: str) -> zipfile.ZipFile:
    """The package as a ``ZipFile`` whose central directory has been checked against its members."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except FileNotFoundError:
        raise UserError(f"{label}: no such file") from None
    sniff(head, label)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, struct.error, NotImplementedError) as exc:
        raise UserError(f"{label}: the zip package is damaged or cut short (its central directory cannot be "
                        f"read: {exc}): {_REPAIR}") from None
    try:
        check_zip(zf, label)
        check_members(zf, label)
    except BaseException:
        zf.close()
        raise
    return zf


def check_members(zf: zipfile.ZipFile, label: str) -> None:
    """Each central directory entry must match the local header it points at.

    A damaged central directory otherwise reads as a valid zip whose members
    come out wrong (or fail only when copied).  Reads 30 bytes and a name per
    member; inflates nothing.
    """
    raw = zf.fp
    raw.seek(0, 2)
    size = raw.tell()
    infos = zf.infolist()
    if len({i.filename for i in infos}) != len(infos):
        raise UserError(f"{label}: the zip package is damaged (a part is listed twice in its directory): {_REPAIR}")
    for info in infos:
        if info.compress_type not in METHODS:
            raise UserError(f"{label}: package part {info.filename!r} uses zip compression method "
                            f"{info.compress_type}, which Excel does not write: {_REPAIR}")
        try:
            raw.seek(info.header_offset)
            local = raw.read(_LOCAL.size)
        except (OSError, ValueError, OverflowError):  # an offset before the start of the file
            local = b""
        ok = len(local) == _LOCAL.size and local[:4] == b"PK\x03\x04"
        if ok:
            _, _, flags, method, _, _, crc, csize, usize, name_len, extra_len = _LOCAL.unpack(local)
            name = raw.read(name_len)
            ok = name == info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437") \
                and method == info.compress_type
            if ok and not flags & 0x8:  # sizes and CRC in the local header too: they must agree
                zip64 = 0xFFFFFFFF in (csize, usize)  # the sizes are in an extra field then
                ok = crc == info.CRC and (zip64 or (csize, usize) == (info.compress_size, info.file_size))
            ok = ok and info.header_offset + _LOCAL.size + name_len + extra_len + info.compress_size <= size
        if not ok:
            raise UserError(f"{label}: the zip package is damaged (its central directory does not match part "
                            f"{info.filename!r}): {_REPAIR}")


#: Attributes of the parts a refresh reads and edits that must be present (``required``) or whole numbers
#: (``whole``), by element, as ECMA-376 says: a package that breaks them is one Excel has to repair, and
#: one the refresh would copy into its output.  (Namespace: the part's own, given with the part.)
ATTRIBUTES: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "content types": {"Default": (("Extension", "ContentType"), ()),
                      "Override": (("PartName", "ContentType"), ())},
    "relationships": {"Relationship": (("Id", "Type", "Target"), ())},
    "workbook": {"sheet": (("name", "sheetId", f"{{{NS_REL}}}id"), ("sheetId",)),
                 "definedName": (("name",), ("localSheetId",)),
                 "workbookPr": ((), ("defaultThemeVersion",)),
                 "workbookView": ((), ("activeTab", "firstSheet", "xWindow", "yWindow", "windowWidth",
                                       "windowHeight", "tabRatio")),
                 "calcPr": ((), ("calcId", "iterateCount"))},
    "styles": {"numFmt": (("numFmtId", "formatCode"), ("numFmtId",)),
               "xf": ((), ("numFmtId", "fontId", "fillId", "borderId", "xfId")),
               "cellStyle": ((), ("xfId", "builtinId"))},
    "table": {"table": (("id", "name", "ref"), ("id", "headerRowCount", "totalsRowCount")),
              "tableColumn": (("id", "name"), ("id",))},
}
_SIGNED = {"xWindow", "yWindow"}
#: Content types of a workbook part: workbook, macro-enabled workbook, template, macro-enabled template.
WORKBOOK_TYPES = ("sheet.main+xml", "sheet.macroEnabled.main+xml", "template.main+xml",
                  "template.macroEnabled.main+xml")


def _check_attributes(root, kind: str, part: str, label: str) -> None:
    """Refuse a part whose elements lack a required attribute or carry a non-number where one belongs."""
    rules = ATTRIBUTES[kind]
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue  # comments, processing instructions
        rule = rules.get(_local(el.tag)[1])
        if rule is None:
            continue
        required, whole = rule
        local = _local(el.tag)[1]
        for attr in required:
            if not el.get(attr):
                shown = "r:id" if attr.startswith("{") else attr
                raise UserError(f"{label}: package part {part!r}: a <{local}> has no {shown}: {_REPAIR}")
        for attr in whole:
            value = el.get(attr)
            if value is not None and not _whole(value.lstrip("-") if attr in _SIGNED else value):
                raise UserError(f"{label}: package part {part!r}: <{local} {attr}={value!r}> is not a whole number: "
                                f"{_REPAIR}")
    seen = set()
    if kind in ("workbook", "styles"):  # each child of these roots may appear once (schema: a sequence)
        for child in root:
            if isinstance(child.tag, str) and child.tag in seen and _local(child.tag)[1] != "extLst":
                raise UserError(f"{label}: package part {part!r} has two <{_local(child.tag)[1]}> elements: "
                                f"{_REPAIR}")
            seen.add(child.tag)


@dataclass
class Structure:
    """What the checks found: the workbook part, its sheets (name -> part) and tables (name -> (sheet, ref))."""

    workbook: str
    sheets: dict[str, str | None] = field(default_factory=dict)
    tables: dict[str, tuple[str, str]] = field(default_factory=dict)


def _local(tag: str) -> tuple[str, str]:
    """'{ns}name' -> (ns, name)."""
    ns, _, name = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
    return ns, name


def _rels(zf: zipfile.ZipFile, names: set[str], part: str, label: str) -> list[tuple[str, str, str]]:
    """(id, type, resolved target) of the internal relationships of ``part``."""
    name = rels_part(part)
    if name not in names:
        return []
    root = parse_xml(read_part(zf, name, label), name, label)
    if root.tag != f"{{{NS_PKG_REL}}}Relationships":
        raise UserError(f"{label}: package part {name!r} is not a relationships part (its root is "
                        f"<{_local(root.tag)[1]}>): {_REPAIR}")
    _check_attributes(root, "relationships", name, label)
    ids = [el.get("Id") for el in root.iter(f"{{{NS_PKG_REL}}}Relationship")]
    if len(set(ids)) != len(ids):
        raise UserError(f"{label}: package part {name!r} gives two relationships the same Id: {_REPAIR}")
    return [(el.get("Id", ""), el.get("Type", ""), resolve(part, el.get("Target", "")))
            for el in root.iter(f"{{{NS_PKG_REL}}}Relationship") if el.get("TargetMode") != "External"]


def _whole(value: str | None) -> bool:
    return value is not None and value.strip().isdigit() and value.strip().isascii()


def check_structure(zf: zipfile.ZipFile, label: str) -> Structure:
    """Check the facts a refresh relies on (module docstring); returns what it found.

    Strict Open XML is recognised from the package relationship or the
    workbook's namespace, whichever comes first.
    """
    names = {i.filename for i in zf.infolist()}
    strict = UserError(f"{label}: this is a Strict Open XML workbook: save it as an ordinary Excel Workbook (.xlsx)")
    if "[Content_Types].xml" not in names:
        raise UserError(f"{label}: not a workbook package (it has no [Content_Types].xml part)")
    types = parse_xml(read_part(zf, "[Content_Types].xml", label), "[Content_Types].xml", label)
    if types.tag != f"{{{NS_CT}}}Types":
        raise UserError(f"{label}: package part '[Content_Types].xml' is not a content types part (its root is "
                        f"<{_local(types.tag)[1]}>): {_REPAIR}")
    _check_attributes(types, "content types", "[Content_Types].xml", label)
    overrides = {el.get("PartName", "").lstrip("/").lower(): el.get("ContentType", "")
                 for el in types if _local(el.tag)[1] == "Override"}
    defaults = {el.get("Extension", "").lower(): el.get("ContentType", "")
                for el in types if _local(el.tag)[1] == "Default"}

    def typed(part: str, kinds: str | tuple[str, ...]) -> None:
        """Readers pick a part's reader by its content type: a part the refresh relies on needs the right one."""
        ctype = overrides.get(part.lower(), defaults.get(part.rpartition(".")[2].lower()))
        if ctype is None or not ctype.endswith(kinds):
            raise UserError(f"{label}: [Content_Types].xml gives part {part!r} "
                            + (f"the content type {ctype!r}" if ctype else "no content type") + f": {_REPAIR}")

    office = [(t, target) for _, t, target in _rels(zf, names, "", label) if t.endswith("/officeDocument")]
    if not office:
        raise UserError(f"{label}: not a workbook (no office document in _rels/.rels)")
    if office[0][0].startswith(STRICT):
        raise strict
    wb_part = office[0][1]
    if wb_part not in names:
        raise UserError(f"{label}: the workbook part {wb_part!r} is missing from the package: {_REPAIR}")
    root = parse_xml(read_part(zf, wb_part, label), wb_part, label)
    ns, local = _local(root.tag)
    if ns.startswith(STRICT):
        raise strict
    if (ns, local) != (NS_MAIN, "workbook"):
        raise UserError(f"{label}: package part {wb_part!r} is not a workbook part (its root is <{local}>)")
    typed(wb_part, WORKBOOK_TYPES)
    found = Structure(wb_part)
    rels = {rid: (t, target) for rid, t, target in _rels(zf, names, wb_part, label)}
    m = f"{{{NS_MAIN}}}"
    sheets = root.findall(f"{m}sheets/{m}sheet")
    for el in sheets:
        name = el.get("name") or ""
        what = f"{label}: {wb_part}: sheet {name!r}"
        if not name:
            raise UserError(f"{label}: {wb_part}: a sheet has no name: {_REPAIR}")
        if name.lower() in (s.lower() for s in found.sheets):
            raise UserError(f"{what} is listed twice: {_REPAIR}")
        if not _whole(el.get("sheetId")):
            raise UserError(f"{what} has sheetId {el.get('sheetId')!r}, which is not a whole number: {_REPAIR}")
        rid = el.get(f"{{{NS_REL}}}id")
        if rid not in rels:
            raise UserError(f"{what} has no relationship to its part: {_REPAIR}")
        part = rels[rid][1]
        if part not in names:
            raise UserError(f"{what}: its part {part!r} is missing from the package: {_REPAIR}")
        typed(part, "worksheet+xml" if rels[rid][0].endswith("/worksheet") else "+xml")
        found.sheets[name] = part
    _check_attributes(root, "workbook", wb_part, label)
    for el in root.findall(f"{m}definedNames/{m}definedName"):
        local_id = el.get("localSheetId")
        if local_id is not None and not (_whole(local_id) and int(local_id) < len(sheets)):
            raise UserError(f"{label}: {wb_part}: the name {el.get('name')!r} has localSheetId {local_id!r}, "
                            f"which is not the index of a sheet: {_REPAIR}")
    styles = [target for t, target in rels.values() if t.endswith("/styles")]
    if styles:
        _check_styles(zf, names, styles[0], label)
        typed(styles[0], "styles+xml")
    for t, target in rels.values():
        if t.endswith("/sharedStrings") and target in names:
            typed(target, "sharedStrings+xml")
    for sheet, part in found.sheets.items():
        for _, t, target in _rels(zf, names, part, label):
            if t.endswith("/table") and target in names:
                typed(target, "table+xml")
                name, ref = _check_table(zf, target, label)
                found.tables[name.lower()] = (sheet, ref)
    return found


def _check_styles(zf: zipfile.ZipFile, names: set[str], part: str, label: str) -> None:
    if part not in names:
        raise UserError(f"{label}: the styles part {part!r} is missing from the package: {_REPAIR}")
    root = parse_xml(read_part(zf, part, label), part, label)
    if _local(root.tag) != (NS_MAIN, "styleSheet"):
        raise UserError(f"{label}: the styles relationship points at {part!r}, which is not a style sheet "
                        f"(its root is <{_local(root.tag)[1]}>): {_REPAIR}")
    m = f"{{{NS_MAIN}}}"
    for block, item in (("fonts", "font"), ("cellXfs", "xf")):
        el = root.find(m + block)
        if el is None or el.find(m + item) is None:
            raise UserError(f"{label}: the styles part {part!r} has no {block} (every workbook has at least one): "
                            f"{_REPAIR}")
    _check_attributes(root, "styles", part, label)
    # A cell format points at fonts, fills, borders and cell style formats by index: each must exist.
    sizes = {attr: len(root.findall(f"{m}{block}/{m}{item}")) for attr, block, item in (
        ("fontId", "fonts", "font"), ("fillId", "fills", "fill"), ("borderId", "borders", "border"),
        ("xfId", "cellStyleXfs", "xf"))}
    for block in ("cellXfs", "cellStyleXfs"):
        for xf in root.findall(f"{m}{block}/{m}xf"):
            for attr, size in sizes.items():
                value = xf.get(attr)
                if value is not None and int(value) >= size and not (attr == "xfId" and block == "cellStyleXfs"):
                    raise UserError(f"{label}: the styles part {part!r}: a cell format has {attr}={value!r} but "
                                    f"there are {size}: {_REPAIR}")


def _check_table(zf: zipfile.ZipFile, part: str, label: str) -> tuple[str, str]:
    root = parse_xml(read_part(zf, part, label), part, label)
    name = root.get("name") or root.get("displayName") or ""
    what = f"{label}: table part {part!r}" + (f" (table {name!r})" if name else "")
    if _local(root.tag) != (NS_MAIN, "table"):
        raise UserError(f"{what} is not a table (its root is <{_local(root.tag)[1]}>): {_REPAIR}")
    if not name:
        raise UserError(f"{what} has no name: {_REPAIR}")
    if not _whole(root.get("id")) or int(root.get("id")) < 1:
        raise UserError(f"{what} has id {root.get('id')!r}, which is not a positive whole number: {_REPAIR}")
    ref = root.get("ref") or ""
    m = _REF.fullmatch(ref.strip().upper())
    if not m:
        raise UserError(f"{what} has ref {ref!r}, which is not a cell range: {_REPAIR}")
    _check_attributes(root, "table", part, label)
    return name, ref
