"""Edits of the package parts a refresh shares with the user: workbook.xml and its rels,
[Content_Types].xml, calcChain.xml.

Each function takes the original text and returns the new text with only the
report's own entries changed.  The edits are splices of raw text (see
:mod:`xl_kpi.refresh.package` for why the XML is never re-serialised); the
namespace prefix of each part's root element is kept for new elements.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

from xl_kpi.refresh import ooxml
from xl_kpi.refresh.package import SheetEntry, WorkbookPackage, element_pattern, relative, rels_part, root_prefix
from xl_kpi.refresh.report import MARKER, MARKER_VALUE, REPORT_NAMES, Report

#: Workbook-level names a refresh replaces: its marker and the report's names.
OWNED_NAMES = frozenset({MARKER, *REPORT_NAMES})
CT_PART = "[Content_Types].xml"


def edit_workbook_rels(pkg: WorkbookPackage, owned: list[SheetEntry], new_parts: list[str],
                       drop_ids: set[str] = frozenset()) -> tuple[str, list[str]]:
    """workbook.xml.rels without the owned sheets' relationships (and those in ``drop_ids``, e.g. a
    calcChain that goes), plus one per new sheet part (and their ids)."""
    name = rels_part(pkg.workbook_part)
    text = pkg.text(name)
    drop = {s.rid for s in owned} | set(drop_ids)
    prefix = root_prefix(text)
    pattern = element_pattern("Relationship", prefix)
    kept_ids = {r.id for r in pkg.rels(pkg.workbook_part)} - drop

    def keep(m: re.Match) -> str:
        rid = re.search(r'\sId="([^"]*)"', m.group(0))
        return "" if rid and rid.group(1) in drop else m.group(0)

    text = pattern.sub(keep, text)
    q = (prefix + ":") if prefix else ""
    rids, new = [], []
    n = 1
    for part in new_parts:
        while f"rId{n}" in kept_ids:
            n += 1
        rid = f"rId{n}"
        kept_ids.add(rid)
        rids.append(rid)
        new.append(f'<{q}Relationship Id="{rid}" Type="{ooxml.REL_WORKSHEET}" '
                   f'Target={quoteattr(relative(pkg.workbook_part, part))}/>')
    close = text.rindex(f"</{q}Relationships")
    return text[:close] + "".join(new) + text[close:], rids

def edit_workbook(pkg: WorkbookPackage, owned: list[SheetEntry], report: Report, rids: list[str]) -> str:
    """workbook.xml with the report's sheets and names (``MARKER``, ``REPORT_NAMES``) replaced, everything
    else as it was.

    The new sheets take the place of the first old report sheet in the tab
    order (the end for a first refresh); sheet-local names and the active tab
    are re-indexed so they stay on their sheet; ``fullCalcOnLoad`` asks Excel
    to recalculate formulas that use the report.
    """
    text = pkg.workbook_text
    prefix = root_prefix(text)
    q = (prefix + ":") if prefix else ""
    r_prefix = _prefix_for(text, ooxml.NS_REL)
    r_attr = f"{r_prefix}:id" if r_prefix else "r:id"
    r_decl = "" if r_prefix else f' xmlns:r="{ooxml.NS_REL}"'

    # <sheets>: drop the owned ones, put the new ones where the first owned one was.
    old = pkg.sheets
    owned_idx = [i for i, s in enumerate(old) if s in owned]
    kept = [s for s in old if s not in owned]
    insert_at = sum(1 for s in old[:owned_idx[0]] if s not in owned) if owned_idx else len(kept)
    next_id = max([s.sheet_id for s in kept] or [0]) + 1
    new_xml = [f'<{q}sheet name={quoteattr(sheet.name)} sheetId="{next_id + i}" {r_attr}="{rid}"{r_decl}/>'
               for i, (sheet, rid) in enumerate(zip(report.sheets, rids))]
    order = [s.xml for s in kept[:insert_at]] + new_xml + [s.xml for s in kept[insert_at:]]
    new_names = [s.name for s in kept[:insert_at]] + [s.name for s in report.sheets] + \
                [s.name for s in kept[insert_at:]]
    index_map = {i: new_names.index(s.name) for i, s in enumerate(old) if s.name in new_names}
    m = re.search(rf"<{re.escape(q)}sheets\s*>.*?</{re.escape(q)}sheets\s*>", text, re.S)
    text = text[:m.start()] + f"<{q}sheets>" + "".join(order) + f"</{q}sheets>" + text[m.end():]

    # <definedNames>: drop ours and those local to a removed sheet, re-index the rest, append ours.
    removed_idx = {i for i in owned_idx}

    def fix_name(m: re.Match) -> str:
        xml = m.group(0)
        name = re.search(r'\sname="([^"]*)"', xml)
        local = re.search(r'\slocalSheetId="(\d+)"', xml)
        if local is None and name and name.group(1) in OWNED_NAMES:
            return ""
        if local is not None:
            idx = int(local.group(1))
            if idx in removed_idx:
                return ""
            if idx in index_map:
                xml = xml.replace(local.group(0), f' localSheetId="{index_map[idx]}"', 1)
        return xml

    ours = [f'<{q}definedName name="{MARKER}" hidden="1">{escape(MARKER_VALUE)}</{q}definedName>']
    ours += [f'<{q}definedName name="{d.name}">{escape(d.ref.formula())}</{q}definedName>' for d in report.names]
    # Rows repeated on every printed page: a name local to its sheet (its new tab index).
    ours += [f'<{q}definedName name="_xlnm.Print_Titles" localSheetId="{new_names.index(sheet.name)}">'
             f'{escape(titles)}</{q}definedName>'
             for sheet in report.sheets if (titles := ooxml.print_titles_formula(sheet))]
    block = re.search(rf"<{re.escape(q)}definedNames\s*>(.*?)</{re.escape(q)}definedNames\s*>", text, re.S)
    if block:
        body = element_pattern("definedName", prefix).sub(fix_name, block.group(1))
        text = text[:block.start()] + f"<{q}definedNames>{body}{''.join(ours)}</{q}definedNames>" + \
            text[block.end():]
    else:
        # Schema order: sheets, functionGroups?, externalReferences?, definedNames?
        anchor = None
        for tag in ("externalReferences", "functionGroups", "sheets"):
            anchor = re.search(rf"</{re.escape(q)}{tag}\s*>|<{re.escape(q)}{tag}\b[^>]*/>", text)
            if anchor:
                break
        text = text[:anchor.end()] + f"<{q}definedNames>{''.join(ours)}</{q}definedNames>" + text[anchor.end():]

    # The report changed numbers other formulas may use: ask Excel to recalculate on open.
    calc = re.search(rf"<{re.escape(q)}calcPr\b[^>]*?/?>", text)
    if calc:
        tag = re.sub(r'\sfullCalcOnLoad="[^"]*"', "", calc.group(0))
        tag = re.sub(r"\s*(/?)>$", r' fullCalcOnLoad="1"\1>', tag)
        text = text[:calc.start()] + tag + text[calc.end():]
    else:
        end = re.search(rf"</{re.escape(q)}definedNames\s*>", text)
        text = text[:end.end()] + f'<{q}calcPr fullCalcOnLoad="1"/>' + text[end.end():]

    # Keep the active / first visible tab on the same sheet.
    def fix_view(m: re.Match) -> str:
        tag = m.group(0)
        for attr in ("activeTab", "firstSheet"):
            a = re.search(rf'\s{attr}="(\d+)"', tag)
            if a:
                idx = int(a.group(1))
                new = index_map.get(idx, min(insert_at, len(new_names) - 1))
                tag = tag.replace(a.group(0), f' {attr}="{new}"', 1)
        return tag

    return re.sub(rf"<{re.escape(q)}workbookView\b[^>]*>", fix_view, text)

def edit_calc_chain(pkg: WorkbookPackage, owned: list[SheetEntry]):
    """Drop calcChain entries of the replaced sheets (Excel repairs a chain that names missing formulas).

    Returns None (chain unchanged or absent), or (its relationship, new
    bytes), or (its relationship, None) when no entry is left: an empty
    chain is invalid, so the part goes (Excel rebuilds it).
    """
    rel = next((r for r in pkg.rels(pkg.workbook_part) if r.type.endswith("/calcChain")), None)
    if rel is None or rel.target not in pkg.names or not owned:
        return None
    text = pkg.text(rel.target)
    drop = {str(s.sheet_id) for s in owned}
    prefix = root_prefix(text)
    q = re.escape(prefix + ":") if prefix else ""
    entries = list(re.finditer(rf"<{q}c\b[^>]*?/>", text))
    sheet_of, current = [], None
    for m in entries:  # an entry without i="" belongs to the previous entry's sheet
        i = re.search(r'\si="(\d+)"', m.group(0))
        current = i.group(1) if i else current
        sheet_of.append(current)
    if not any(s in drop for s in sheet_of):
        return None
    if all(s in drop for s in sheet_of):
        return rel, None
    out, pos = [], 0
    for m, sheet in zip(entries, sheet_of):
        out.append(text[pos:m.start()])
        pos = m.end()
        if sheet in drop:
            continue
        tag = m.group(0)
        if not re.search(r'\si="', tag):  # its predecessor may be gone: name the sheet
            tag = re.sub(r"^<(\S+?)(\s|/>)", rf'<\1 i="{sheet}"\2', tag, count=1)
        out.append(tag)
    out.append(text[pos:])
    return rel, "".join(out).encode("utf-8")

def edit_content_types(pkg: WorkbookPackage, removed: set[str], added: list[tuple[str, str]]) -> str:
    """[Content_Types].xml without the overrides of removed parts, plus the new parts' overrides."""
    text = pkg.text(CT_PART)
    prefix = root_prefix(text)
    q = (prefix + ":") if prefix else ""
    gone = {"/" + p for p in removed}

    def keep(m: re.Match) -> str:
        part = re.search(r'\sPartName="([^"]*)"', m.group(0))
        return "" if part and part.group(1) in gone else m.group(0)

    text = element_pattern("Override", prefix).sub(keep, text)
    new = "".join(f'<{q}Override PartName="/{p}" ContentType="{ct}"/>' for p, ct in added)
    close = text.rindex(f"</{q}Types")
    return text[:close] + new + text[close:]


def _prefix_for(text: str, namespace: str) -> str | None:
    """The prefix the root element declares for ``namespace`` (None if it declares none).

    Only the root's own declarations count: openpyxl declares ``xmlns:r`` on
    each ``<sheet>`` instead, and a new ``<sheet>`` cannot use that prefix.

    >>> _prefix_for('<workbook xmlns="m"><sheets><sheet xmlns:r="rel" r:id="rId1"/>', "rel") is None
    True
    >>> _prefix_for('<?xml version="1.0"?><x:workbook xmlns:x="m" xmlns:r="rel">', "rel")
    'r'
    """
    root = re.search(r"<(?![?!])[^>]*>", text)
    m = re.search(rf'xmlns:([\w.-]+)="{re.escape(namespace)}"', root.group(0) if root else "")
    return m.group(1) if m else None
