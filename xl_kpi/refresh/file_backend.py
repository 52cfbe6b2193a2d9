"""The closed-file back end: read the ledger, write the report into the package.

Write strategy: every part the report does not own is copied *raw* (its
compressed bytes, unchanged) from the old package into the new one; the
report's own parts (worksheets, their table / drawing / chart parts and rels)
are replaced; the shared parts get only the entries the report owns:
``<sheet>``/``<definedName>`` entries in workbook.xml, relationships in
workbook.xml.rels, overrides in [Content_Types].xml, appended formats in
styles.xml, and calcChain entries of the replaced sheets.  So sparklines,
shapes, pictures, comments, VBA ... survive untouched, and the million-row
ledger sheet is never parsed or re-compressed.

Ownership: the hidden workbook-level name ``_xlkpi_report`` marks a workbook
whose report sheets (``REPORT_SHEETS``), table ``MRRBridge`` and names
(``REPORT_NAMES``) were written by a refresh; the next refresh removes exactly
those (and the parts reachable only from those sheets) and writes them anew,
at the same position in the tab order.  Without the marker, a user's sheet,
table or name that happens to use one of those names is never overwritten:
the refresh stops with a message instead.

Safety: the new package is written to a temporary file in the target's
folder, flushed to disk, then ``os.replace``d over the target (atomic on one
file system): killed at any moment, the old file is intact.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from xl_kpi.errors import UserError
from xl_kpi.refresh import ooxml
from xl_kpi.refresh.package import SheetEntry, WorkbookPackage, element_pattern, relative, rels_part, root_prefix
from xl_kpi.refresh.pipeline import LedgerTable, Progress
from xl_kpi.refresh.report import REPORT_NAMES, REPORT_SHEETS, REPORT_TABLES, Report, ReportSheet
from xl_kpi.refresh.safety import check_no_dtd
from xl_kpi.refresh.styles import StyleSheet
from xl_kpi.refresh.zipcopy import RawZipWriter

MARKER = "_xlkpi_report"
LEDGER_TABLE = "Ledger"
CT_PART = "[Content_Types].xml"
#: Test hook: when this variable names a file, the writer creates it half-way
#: through writing the new package and sleeps, so a test can kill it there.
PAUSE_ENV = "XL_KPI_REFRESH_TEST_PAUSE"


# --------------------------------------------------------------------------- reading


def parse_ref(ref: str) -> tuple[int, int, int, int]:
    """'B3:D120' -> (row1, col1, row2, col2), 1-based.

    >>> parse_ref("B3:D120"), parse_ref("$A$1:$C$5")
    ((3, 2, 120, 4), (1, 1, 5, 3))
    """
    m = re.fullmatch(r"\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?", ref.strip().upper())
    if not m:
        raise ValueError(f"not a cell range: {ref!r}")

    def col(letters: str) -> int:
        n = 0
        for ch in letters:
            n = n * 26 + ord(ch) - 64
        return n

    c1, r1 = col(m.group(1)), int(m.group(2))
    c2, r2 = (col(m.group(3)), int(m.group(4))) if m.group(3) else (c1, r1)
    return r1, c1, r2, c2


class FileLedgerSource:
    """Reads the ``Ledger`` table of a closed workbook with python-calamine."""

    def __init__(self, pkg: WorkbookPackage) -> None:
        self.pkg = pkg
        self.label = pkg.label

    def read_ledger(self) -> LedgerTable:
        from python_calamine import CalamineWorkbook

        table = self.pkg.find_table(LEDGER_TABLE)
        sheet = next(s for s in self.pkg.sheets if s.name == table.sheet)
        # calamine parses these parts itself: refuse a DTD in any of them first.
        check_no_dtd(self.pkg.zip, sheet.part, self.label)
        for rel in self.pkg.rels(self.pkg.workbook_part):
            if rel.type.endswith("/sharedStrings") and rel.target in self.pkg.names:
                check_no_dtd(self.pkg.zip, rel.target, self.label)
        r1, c1, r2, c2 = parse_ref(table.ref)
        try:
            wb = CalamineWorkbook.from_path(str(self.pkg.path))
            ws = wb.get_sheet_by_name(table.sheet)
            rows = ws.to_python(skip_empty_area=False, nrows=r2)
        except Exception as exc:  # calamine raises its own types for damaged sheets
            raise UserError(f"{self.label}: could not read sheet {table.sheet!r}: {exc}") from None
        header = [str(v).strip() for v in (rows[r1 - 1][c1 - 1:c2] if len(rows) >= r1 else [])]
        body = rows[r1:r2]
        return LedgerTable(self.label, table.sheet, table.name, header, body, c1 - 1, c2, first_row=r1 + 1)


# --------------------------------------------------------------------------- writing


class FileReportWriter:
    """Writes a ``Report`` into a copy of the package and moves it over ``output``."""

    def __init__(self, pkg: WorkbookPackage, output: os.PathLike | str) -> None:
        self.pkg = pkg
        self.output = Path(output)

    # ---------------------------------------------------------------- planning
    def _owned(self) -> tuple[list[SheetEntry], set[str]]:
        """Report sheets already in the workbook, and the workbook-level names to drop.

        Refuses (before anything is written) whenever the report would
        overwrite or collide with something of the user's.
        """
        pkg = self.pkg
        names = pkg.defined_names()
        marked = any(n == MARKER and local is None for n, local, _ in names)
        report_sheets = {n.lower() for n in REPORT_SHEETS}  # Excel sheet and table names ignore case
        sheets = [s for s in pkg.sheets if s.name.lower() in report_sheets]
        ours = {n.lower() for n in REPORT_NAMES}
        tables = {n.lower() for n in REPORT_TABLES}
        global_names = [n for n, local, _ in names if local is None]
        if not marked:
            if sheets:
                raise UserError(f"{pkg.label}: the workbook already has a sheet named {sheets[0].name!r} that "
                                "xl-kpi did not create; rename it so the refresh can write its report")
            clash = [n for n in global_names if n.lower() in ours]
            if clash:
                raise UserError(f"{pkg.label}: the workbook already defines the name {clash[0]!r}; "
                                "xl-kpi needs it for its report: rename it")
        clash = [n for n in global_names if n.lower() in tables]
        if clash:  # a table and a defined name share one namespace in Excel
            raise UserError(f"{pkg.label}: the workbook defines the name {clash[0]!r}, which xl-kpi uses for a "
                            "table of its report: rename it")
        owned_sheet_names = {s.name for s in sheets}
        for table in pkg.tables():
            if table.sheet in owned_sheet_names and table.name.lower() not in tables:
                raise UserError(f"{pkg.label}: the report sheet {table.sheet!r} holds your table {table.name!r}, "
                                "and a refresh replaces that sheet: move the table to another sheet")
            if table.sheet not in owned_sheet_names and table.name.lower() in tables | ours:
                raise UserError(f"{pkg.label}: sheet {table.sheet!r} holds a table named {table.name!r}, which "
                                "xl-kpi needs for its report: rename that table")
        return sheets, {MARKER, *REPORT_NAMES}

    def _removed_parts(self, sheets: list[SheetEntry]) -> set[str]:
        """Parts reachable only from the owned sheets (and those sheets)."""
        pkg = self.pkg

        def reach(start: list[str]) -> set[str]:
            seen, todo = set(), list(start)
            while todo:
                part = todo.pop()
                if part in seen or part not in pkg.names:
                    continue
                seen.add(part)
                todo.extend(r.target for r in pkg.rels(part) if not r.external)
            return seen

        owned_roots = [s.part for s in sheets if s.part]
        owned = reach(owned_roots)
        kept_roots = [s.part for s in pkg.sheets if s.part and s not in sheets]
        kept_roots += [r.target for r in pkg.rels(pkg.workbook_part) if not r.external
                       and r.target not in owned_roots]
        kept = reach(kept_roots) | {pkg.workbook_part}
        removed = owned - kept
        return removed | {rels_part(p) for p in removed if rels_part(p) in pkg.names}

    # ---------------------------------------------------------------- writing
    def write(self, report: Report, progress: Progress | None = None) -> None:
        pkg = self.pkg
        owned_sheets, owned_names = self._owned()
        removed = self._removed_parts(owned_sheets)
        kept_names = pkg.names - removed
        kept_tables = [t for t in pkg.tables() if t.part not in removed]
        new_parts: dict[str, bytes] = {}
        content_types: list[tuple[str, str]] = []

        def free(pattern: str) -> str:
            n = 1
            while pattern.format(n) in kept_names or pattern.format(n) in new_parts \
                    or rels_part(pattern.format(n)) in kept_names:
                n += 1
            return pattern.format(n)

        def add(part: str, data: str | bytes, ctype: str) -> None:
            new_parts[part] = data.encode("utf-8") if isinstance(data, str) else data
            content_types.append((part, ctype))

        def rels_xml(rels: list[tuple[str, str, str]]) -> str:
            body = "".join(f'<Relationship Id="{rid}" Type="{typ}" Target={quoteattr(target)}/>'
                           for rid, typ, target in rels)
            return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    f'<Relationships xmlns="{ooxml.NS_PKG_REL}">{body}</Relationships>')

        styles_part = next((r.target for r in pkg.rels(pkg.workbook_part) if r.type.endswith("/styles")), None)
        if styles_part is None or styles_part not in pkg.names:
            raise UserError(f"{pkg.label}: the workbook has no styles part; open and save it in Excel first")
        styles = StyleSheet(pkg.text(styles_part), pkg.label)
        used_table_ids = {t.id for t in kept_tables}
        table_names = {t.name.lower() for t in kept_tables}

        sheet_parts: list[tuple[ReportSheet, str]] = []
        for sheet in report.sheets:
            part = free("xl/worksheets/sheet{}.xml")
            new_parts[part] = b""  # reserve the name
            sheet_rels: list[tuple[str, str, str]] = []
            table_rids = []
            for blk in sheet.blocks:
                if not blk.table:
                    continue
                if blk.table.lower() in table_names:
                    raise UserError(f"{pkg.label}: a table named {blk.table!r} already exists")
                table_id = min(set(range(1, len(used_table_ids) + 2)) - used_table_ids)
                used_table_ids.add(table_id)
                tpart = free("xl/tables/table{}.xml")
                add(tpart, ooxml.table_xml(blk, table_id), ooxml.CT_TABLE)
                rid = f"rId{len(sheet_rels) + 1}"
                sheet_rels.append((rid, ooxml.REL_TABLE, relative(part, tpart)))
                table_rids.append(rid)
            drawing_rid = None
            if sheet.charts:
                dpart = free("xl/drawings/drawing{}.xml")
                new_parts[dpart] = b""
                chart_rels = []
                for i, chart in enumerate(sheet.charts, start=1):
                    cpart = free("xl/charts/chart{}.xml")
                    add(cpart, ooxml.chart_xml(chart), ooxml.CT_CHART)
                    chart_rels.append((f"rId{i}", ooxml.REL_CHART, relative(dpart, cpart)))
                del new_parts[dpart]
                add(dpart, ooxml.drawing_xml(list(sheet.charts), [r[0] for r in chart_rels]), ooxml.CT_DRAWING)
                new_parts[rels_part(dpart)] = rels_xml(chart_rels).encode("utf-8")
                drawing_rid = f"rId{len(sheet_rels) + 1}"
                sheet_rels.append((drawing_rid, ooxml.REL_DRAWING, relative(part, dpart)))
            del new_parts[part]
            add(part, ooxml.worksheet_xml(sheet, styles.style, drawing_rid, table_rids), ooxml.CT_WORKSHEET)
            if sheet_rels:
                new_parts[rels_part(part)] = rels_xml(sheet_rels).encode("utf-8")
            sheet_parts.append((sheet, part))

        replaced: dict[str, bytes] = {}
        styles_text = styles.render()
        if styles_text != styles.text:
            replaced[styles_part] = styles_text.encode("utf-8")
        wb_rels_text, rids = self._edit_workbook_rels(owned_sheets, sheet_parts)
        replaced[rels_part(pkg.workbook_part)] = wb_rels_text.encode("utf-8")
        replaced[pkg.workbook_part] = self._edit_workbook(owned_sheets, owned_names, report, rids).encode("utf-8")
        calc = self._edit_calc_chain(owned_sheets)
        if calc is not None:
            rel, data = calc
            if data is None:  # nothing left in the chain: drop the part and its relationship
                removed.add(rel.target)
                wb_rels = rels_part(pkg.workbook_part)
                text = replaced[wb_rels].decode("utf-8")
                text = element_pattern("Relationship", root_prefix(text)).sub(
                    lambda m: "" if re.search(rf'\sId="{re.escape(rel.id)}"', m.group(0)) else m.group(0), text)
                replaced[wb_rels] = text.encode("utf-8")
            else:
                replaced[rel.target] = data
        replaced[CT_PART] = self._edit_content_types(removed, content_types).encode("utf-8")
        self._write_zip(removed, replaced, new_parts, progress)

    # ---------------------------------------------------------------- shared parts
    def _edit_workbook_rels(self, owned: list[SheetEntry], sheet_parts) -> tuple[str, list[str]]:
        pkg = self.pkg
        name = rels_part(pkg.workbook_part)
        text = pkg.text(name)
        drop = {s.rid for s in owned}
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
        for sheet, part in sheet_parts:
            while f"rId{n}" in kept_ids:
                n += 1
            rid = f"rId{n}"
            kept_ids.add(rid)
            rids.append(rid)
            new.append(f'<{q}Relationship Id="{rid}" Type="{ooxml.REL_WORKSHEET}" '
                       f'Target={quoteattr(relative(pkg.workbook_part, part))}/>')
        close = text.rindex(f"</{q}Relationships")
        return text[:close] + "".join(new) + text[close:], rids

    def _edit_workbook(self, owned: list[SheetEntry], owned_names: set[str], report: Report, rids: list[str]) -> str:
        pkg = self.pkg
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
            if local is None and name and name.group(1) in owned_names:
                return ""
            if local is not None:
                idx = int(local.group(1))
                if idx in removed_idx:
                    return ""
                if idx in index_map:
                    xml = xml.replace(local.group(0), f' localSheetId="{index_map[idx]}"', 1)
            return xml

        ours = [f'<{q}definedName name="{MARKER}" hidden="1">'
                f'{escape(chr(34) + "|".join(REPORT_SHEETS) + chr(34))}</{q}definedName>']
        ours += [f'<{q}definedName name="{d.name}">{escape(d.ref.formula())}</{q}definedName>' for d in report.names]
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

    def _edit_calc_chain(self, owned: list[SheetEntry]):
        """Drop calcChain entries of the replaced sheets (Excel repairs a chain that names missing formulas).

        Returns None (chain unchanged or absent), or (its relationship, new
        bytes), or (its relationship, None) when no entry is left: an empty
        chain is invalid, so the part goes (Excel rebuilds it).
        """
        pkg = self.pkg
        rel = next((r for r in pkg.rels(pkg.workbook_part) if r.type.endswith("/calcChain")), None)
        if rel is None or rel.target not in pkg.names or not owned:
            return None
        text = pkg.text(rel.target)
        drop = {str(s.sheet_id) for s in owned}
        q = re.escape(root_prefix(text) + ":") if root_prefix(text) else ""
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

    def _edit_content_types(self, removed: set[str], added: list[tuple[str, str]]) -> str:
        text = self.pkg.text(CT_PART)
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

    def _write_zip(self, removed: set[str], replaced: dict[str, bytes], new_parts: dict[str, bytes],
                   progress: Progress | None) -> None:
        pkg = self.pkg
        folder = self.output.parent
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".~xlkpi-", suffix=self.output.suffix or ".xlsx", dir=folder)
        infos = [i for i in pkg.zip.infolist() if i.filename not in removed]
        total = sum(i.compress_size for i in infos) or 1
        pause = os.environ.get(PAUSE_ENV)
        try:
            with os.fdopen(fd, "wb") as fh:
                report = (lambda done: progress(0.8 + 0.18 * min(done / total, 1.0), "writing the workbook")) \
                    if progress else None
                writer = RawZipWriter(fh, report)
                for n, info in enumerate(infos):
                    if pause and n == len(infos) // 2:
                        Path(pause).write_text(tmp)
                        time.sleep(60)
                    if info.filename in replaced:
                        writer.add(info.filename, replaced[info.filename])
                    else:
                        writer.copy(pkg.zip, info)
                for name in sorted(new_parts, key=_part_order):
                    writer.add(name, new_parts[name])
                writer.close()
                fh.flush()
                os.fsync(fh.fileno())
            pkg.zip.close()  # Windows cannot replace a file that is still open
            if self.output.exists():
                os.chmod(tmp, self.output.stat().st_mode & 0o7777)
            else:
                os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, self.output)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


def _part_order(name: str) -> tuple:
    """New parts in a stable order: worksheets, tables, drawings, charts, rels last."""
    return ("_rels" in name, name)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _prefix_for(text: str, namespace: str) -> str | None:
    m = re.search(rf'xmlns:([\w.-]+)="{re.escape(namespace)}"', text[:4000])
    return m.group(1) if m else None


__all__ = ["FileLedgerSource", "FileReportWriter", "MARKER", "parse_ref"]
