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

Ownership: the pipeline's :class:`~xl_kpi.refresh.ownership.Plan` names the
sheets and workbook-level names an earlier refresh recorded as its own; this
writer removes exactly those (and the parts reachable only from those
sheets) and writes the report anew, at the same position in the tab order,
with the new record in the hidden marker name ``_xlkpi_report``.

Safety: the new package is written through :func:`xl_kpi.ooxml.atomic.atomic_file`
(a temporary file in the target's folder, flushed to disk), read back and
checked (:func:`~xl_kpi.refresh.verify.verify_package`), then ``os.replace``d
over the target by a :class:`~xl_kpi.refresh.replace.Replacement`, which also
refuses when the file was saved meanwhile or is open in Excel: killed at any
moment, the old file is intact.

The parts themselves are rendered and edited by :mod:`xl_kpi.ooxml`, one
module per kind of part; this module decides which parts change.
"""

from __future__ import annotations

import gc
import os
import re
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

import numpy as np

from xl_kpi.cells import col_number, parse_range as parse_ref
from xl_kpi.errors import UserError
from xl_kpi.ledger.raw import ErrorCell, GridRows, RawTable
from xl_kpi.ooxml import namespaces as ns
from xl_kpi.ooxml.calc_chain import UNCHANGED, edit_calc_chain
from xl_kpi.ooxml.chart import cell_values, chart_xml
from xl_kpi.ooxml.content_types import edit_content_types
from xl_kpi.ooxml.drawing import drawing_xml
from xl_kpi.ooxml.package import SheetEntry, WorkbookPackage
from xl_kpi.ooxml.relationships import edit_relationships, relative, rels_part, rels_xml
from xl_kpi.ooxml.styles import StyleSheet
from xl_kpi.ooxml.table import table_xml
from xl_kpi.ooxml.workbook import NewName, edit_workbook
from xl_kpi.ooxml.worksheet import print_titles_formula, worksheet_parts
from xl_kpi.ooxml.zipcopy import RawZipWriter, StreamDeflate, deflate
from xl_kpi.refresh.head_start import ROWS_BELOW, HeadStart, read_sheet
from xl_kpi.refresh.pipeline import Progress
from xl_kpi.refresh.ownership import MARKER, Inventory, Plan
from xl_kpi.refresh.report import Report, ReportSheet
from xl_kpi.refresh.replace import Replacement
from xl_kpi.ooxml.safety import check_no_dtd
from xl_kpi.refresh.verify import Rendered, verify_package


# --------------------------------------------------------------------------- reading


_CELL_TAG = re.compile(rb"<(?:[\w.-]+:)?c\s")
_REF_ATTR = re.compile(rb'\sr="([A-Z]+)(\d+)"')
_VALUE = re.compile(rb"<(?:[\w.-]+:)?v>([^<]*)</")
_CELL_END = re.compile(rb"</(?:[\w.-]+:)?c>")
_ROW_START = re.compile(rb"<(?:[\w.-]+:)?row[\s>]")


def _errors_in(scan: bytes, r1: int, c1: int, r2: int, c2: int, found: list[ErrorCell]) -> None:
    pos = scan.find(b't="e"')
    while pos >= 0:
        start, end = scan.rfind(b"<", 0, pos), scan.find(b">", pos)
        tag = scan[start:end]
        ref = _REF_ATTR.search(tag)
        if _CELL_TAG.match(tag) and ref:
            close = _CELL_END.search(scan, end)
            value = _VALUE.search(scan, end, close.start() if close else len(scan))
            col, row = col_number(ref.group(1).decode()), int(ref.group(2))
            if r1 <= row <= r2 and c1 <= col <= c2:
                found.append(ErrorCell(value.group(1).decode("utf-8", "replace") if value else "#VALUE!",
                                       row, col - c1))
        pos = scan.find(b't="e"', pos + 1)


class ErrorScan:
    """Collects the cells holding an Excel error (``t="e"``) inside rows r1..r2, columns c1..c2 of a worksheet
    part, fed the part's bytes block by block (:meth:`feed`, the empty block last).

    calamine hands an error cell over as an empty string, indistinguishable
    from an empty cell, so the part is scanned for them: a search for
    ``t="e"`` (rare in a ledger), parsed only around the hits. Blocks are cut
    at a ``<row`` so that no cell is split.
    """

    def __init__(self, r1: int, c1: int, r2: int, c2: int) -> None:
        self.bounds = (r1, c1, r2, c2)
        self.found: list[ErrorCell] = []
        self.buf = b""

    def feed(self, chunk: bytes) -> None:
        data = self.buf + chunk if self.buf else chunk
        if not chunk:
            _errors_in(data, *self.bounds, self.found)
            self.buf = b""
            return
        if b't="e"' not in data:
            # No error cell here (nearly every block of a ledger): keep only the last tag begun, which may be
            # an error cell's whose t="e" the next block completes.
            self.buf = data[max(data.rfind(b"<"), 0):]
            return
        last = None
        for last in _ROW_START.finditer(data, max(0, len(data) - (1 << 16))):
            pass
        if last is None:
            self.buf = data  # a row longer than 64 KB: keep reading
            return
        _errors_in(data[:last.start()], *self.bounds, self.found)
        self.buf = data[last.start():]

    def cells(self) -> list[ErrorCell]:
        return sorted(self.found, key=lambda e: (e.row, e.column))


def error_cells(zf, part: str, r1: int, c1: int, r2: int, c2: int) -> list[ErrorCell]:
    """Cells holding an Excel error (``t="e"``) inside rows r1..r2, columns c1..c2 of a worksheet part
    (:class:`ErrorScan` over the streamed part)."""
    scan = ErrorScan(r1, c1, r2, c2)
    with zf.open(part) as fh:
        while True:
            chunk = fh.read(1 << 22)
            scan.feed(chunk)
            if not chunk:
                break
    return scan.cells()


@contextmanager
def cyclic_gc_paused():
    """Pause Python's cyclic garbage collector inside the block (as it was after it).

    Reading a sheet makes a list per row (calamine's rows, kept by
    ``to_python`` or passing through ``iter_rows``), writing one makes a
    tuple per cell: millions of containers, none part of a reference cycle.  Each allocation batch makes the collector traverse all
    of them again, which costs more than the read itself (a million-row
    sheet: 1.4 s of ``to_python``'s 1.8 s).  Reference counting still frees
    everything as usual; only the search for cycles waits until the block ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class BackgroundCall:
    """``fn(*args)`` run in a thread from now on; :meth:`result` waits for it and raises what it raised.

    >>> call = BackgroundCall(sum, [1, 2, 3])
    >>> call.result()
    6
    >>> BackgroundCall(int, "x").result()
    Traceback (most recent call last):
    ...
    ValueError: invalid literal for int() with base 10: 'x'
    """

    def __init__(self, fn: Callable, *args) -> None:
        self._value = self._error = None

        def target() -> None:
            try:
                self._value = fn(*args)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller by result()
                self._error = exc

        self._thread = threading.Thread(target=target, name="xl_kpi-scan", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        self._thread.join()

    def result(self):
        self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return self._value


class FileTableSource:
    """The Excel Tables of a closed workbook, read with python-calamine (a :class:`~xl_kpi.ledger.raw.TableSource`)."""

    def __init__(self, pkg: WorkbookPackage, head_start: HeadStart | None = None, identity=None) -> None:
        self.pkg = pkg
        self.label = pkg.label
        self.date1904 = pkg.date1904
        #: A read of the ledger sheet the command line began before the refresh (:mod:`.head_start`), used
        #: if it is this read of this file as it was when the refresh began (``identity``).
        self.head_start, self.identity = head_start, identity

    def table_names(self) -> list[str]:
        return [t.name for t in self.pkg.tables()]

    def read_table(self, name: str) -> RawTable:
        table = self.pkg.find_table(name)
        if table is None:
            raise UserError(f"{self.label}: no Excel Table named {name!r}")
        sheet = next(s for s in self.pkg.sheets if s.name == table.sheet)
        r1, c1, r2, c2 = parse_ref(table.ref)
        errors_scan = ErrorScan(r1 + 1, c1, r2 + ROWS_BELOW, c2)
        # The parts calamine parses (the sheet, the shared strings) are scanned - a DTD refused, damage named,
        # the sheet's error cells found (calamine reads them as empty strings) - in a thread while calamine
        # parses the sheet, which it does without holding the GIL: on two cores the scan of a 150 MB sheet
        # costs no time.  What the scan refuses is refused before anything the table or calamine says, as if
        # it had run first (what calamine read is dropped).  calamine's XML reader (quick-xml) expands no
        # entity a DTD declares, so the DTD it may meet meanwhile cannot make it blow up.
        scan = BackgroundCall(self._scan_parts, sheet.part, errors_scan)
        try:
            # A table without a header row has no header to read; a Total Row is a sum, not a ledger row.
            if table.header_rows < 1:
                raise UserError(f"{self.label}: the table {table.name!r} on sheet {table.sheet!r} has no header "
                                "row; switch its Header Row on in Excel (Table Design)")
            early = self.head_start.take(table.sheet, r2 + ROWS_BELOW, self.identity) if self.head_start else None
            if early is not None:
                self.head_start = None  # its rows are taken once
            with cyclic_gc_paused():
                rows = early.result() if early is not None else self._read_sheet(table.sheet, r2 + ROWS_BELOW)
        except Exception:
            scan.result()  # the scan's refusal first
            raise
        except BaseException:  # Ctrl-C: the scan still ends before the package is closed
            scan.wait()
            raise
        scan.result()
        with cyclic_gc_paused():
            return self._table(table, rows, r1, c1, r2, c2, errors_scan)

    def _scan_parts(self, part: str, errors_scan: ErrorScan) -> None:
        """Refuse a DTD (or damage) in the sheet ``part`` and the shared strings; feed the sheet to ``errors_scan``."""
        check_no_dtd(self.pkg.zip, part, self.label, ns.qn(ns.NS_MAIN, "worksheet"), scan=errors_scan.feed)
        for rel in self.pkg.rels(self.pkg.workbook_part):
            if rel.type.endswith("/sharedStrings") and rel.target in self.pkg.names:
                check_no_dtd(self.pkg.zip, rel.target, self.label, ns.qn(ns.NS_MAIN, "sst"))

    def _read_sheet(self, sheet: str, nrows: int):
        """The sheet's first ``nrows`` rows, as python-calamine reads them."""
        return read_sheet(self.pkg.path, sheet, nrows, self.label)

    def _table(self, table, rows, r1: int, c1: int, r2: int, c2: int, errors_scan: ErrorScan) -> RawTable:
        """The table's header, body and rows below from the sheet's rows (:func:`read_sheet`'s answer)."""
        last = r2 - table.totals_rows  # the last data row
        if isinstance(rows, np.ndarray):  # the cells, from A1: the table's columns are a view of them
            header = [str(v).strip() for v in (rows[r1 - 1, c1 - 1:c2].tolist() if len(rows) >= r1 else [])]
            block = rows[r1:last, c1 - 1:c2]
            body = GridRows(block) if len(block) else []
            below = rows[r2:r2 + ROWS_BELOW, c1 - 1:c2].tolist()
        else:
            header = [str(v).strip() for v in (rows[r1 - 1][c1 - 1:c2] if len(rows) >= r1 else [])]
            block = np.array(rows[r1:last], dtype=object)  # one C-level pass; the columns are read from it
            body = GridRows(block[:, c1 - 1:c2]) if block.ndim == 2 else [r[c1 - 1:c2] for r in rows[r1:last]]
            below = [r[c1 - 1:c2] for r in rows[r2:r2 + ROWS_BELOW]]
        errors = [e for e in errors_scan.cells() if not last < e.row <= r2]  # an error in the Total Row is not a ledger value
        return RawTable(header, body, first_row=r1 + 1, source=self.label, sheet=table.sheet, table=table.name,
                        date1904=self.date1904, below=below, errors=errors, below_row=r2 + 1)


# --------------------------------------------------------------------------- writing

#: New parts above this size (bytes of XML) are deflated in a thread beside the rendering of the next ones.
DEFLATE_BESIDE = 1 << 16
#: zlib's level for the report's worksheets, deflated in a thread as they are rendered.  Level 2 (zlib's fast
#: strategy) deflates as fast as the sheet renders; level 6 three times slower, so the write waited for it:
#: the 100,000-row MRR Movements sheet (34 MB of XML) takes ~100 ms of CPU instead of ~330 ms, stored in
#: 3.4 MB instead of 2.8 MB.
WORKSHEET_LEVEL = 2


def report_names(report: Report, marker: str) -> list[NewName]:
    """The defined names a report writes: the hidden ownership marker (value ``marker``), the report's
    ranges, and each sheet's print titles (rows repeated on every printed page: a name local to its sheet)."""
    names = [NewName(MARKER, marker, hidden=True)]
    names += [NewName(d.name, d.ref.formula()) for d in report.names]
    names += [NewName("_xlnm.Print_Titles", titles, local_sheet=sheet.name)
              for sheet in report.sheets if (titles := print_titles_formula(sheet))]
    return names


class FileReportWriter:
    """Writes a ``Report`` into a copy of the package and moves it over ``output``.

    ``replacement`` guards the target for the whole refresh (see
    :class:`~xl_kpi.refresh.replace.Replacement`); without one, the writer
    takes one for the write alone.
    """

    def __init__(self, pkg: WorkbookPackage, output: os.PathLike | str,
                 replacement: Replacement | None = None, release: Callable[[], None] | None = None) -> None:
        self.pkg = pkg
        self.output = Path(output)
        self.replacement = replacement
        #: Called with the package's own close before the new file replaces the old: whatever else still
        #: holds the book open (a head start's read that was not taken) lets go of it first.
        self.release = release

    # ---------------------------------------------------------------- planning
    def inventory(self) -> Inventory:
        """The package's sheets, tables and workbook-level names, and the marker's value if any."""
        pkg = self.pkg
        names = [(n, text) for n, local, text in pkg.defined_names() if local is None]
        marker = next((text for n, text in names if n.lower() == MARKER.lower()), None)
        return Inventory(pkg.label, [s.name for s in pkg.sheets],
                         [n for n, _ in names if n.lower() != MARKER.lower()],
                         [(t.sheet, t.name) for t in pkg.tables()], marker)

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
    def write(self, report: Report, plan: Plan, progress: Progress | None = None) -> None:
        with cyclic_gc_paused():  # a tuple per report cell, none in a cycle
            self._write(report, plan, progress)

    def _write(self, report: Report, plan: Plan, progress: Progress | None = None) -> None:
        streams: dict[str, StreamDeflate] = {}  # the worksheets, deflated in threads as they are rendered
        try:
            self._write_parts(report, plan, progress, streams)
        finally:
            for stream in streams.values():  # every thread ended, also when the write failed
                stream.close()

    def _write_parts(self, report: Report, plan: Plan, progress: Progress | None,
                     streams: dict[str, StreamDeflate]) -> None:
        pkg = self.pkg
        replaced_names = {s.lower() for s in plan.sheets + plan.stale_sheets}
        owned_sheets = [s for s in pkg.sheets if s.name.lower() in replaced_names]
        removed = self._removed_parts(owned_sheets)
        kept_names = pkg.names - removed
        kept_tables = [t for t in pkg.tables() if t.part not in removed]
        new_parts: dict[str, bytes] = {}
        deflating: dict[str, BackgroundCall] = {}
        content_types: list[tuple[str, str]] = []

        taken = set(kept_names)

        def free(pattern: str) -> str:
            """The lowest-numbered unused part name (so a second refresh reuses the first one's names)."""
            n = 1
            while pattern.format(n) in taken or rels_part(pattern.format(n)) in taken:
                n += 1
            taken.add(pattern.format(n))
            return pattern.format(n)

        def add(part: str, data: str | bytes, ctype: str) -> None:
            new_parts[part] = data.encode("utf-8") if isinstance(data, str) else data
            content_types.append((part, ctype))
            if len(new_parts[part]) > DEFLATE_BESIDE:  # deflated in a thread while the next part is rendered
                deflating[part] = BackgroundCall(deflate, new_parts[part])

        styles_part = next((r.target for r in pkg.rels(pkg.workbook_part) if r.type.endswith("/styles")), None)
        if styles_part is None or styles_part not in pkg.names:
            raise UserError(f"{pkg.label}: the workbook has no styles part; open and save it in Excel first")
        styles = StyleSheet(pkg.read(styles_part), pkg.label, styles_part)
        used_table_ids = {t.id for t in kept_tables}
        date1904 = pkg.date1904
        cells = cell_values(report.sheets)  # what the charts' caches hold

        sheet_parts: list[tuple[ReportSheet, str]] = []
        for sheet in report.sheets:
            part = free("xl/worksheets/sheet{}.xml")
            sheet_rels: list[tuple[str, str, str]] = []
            table_rids = []
            for blk in sheet.blocks:
                if not blk.table:
                    continue
                table_id = min(set(range(1, len(used_table_ids) + 2)) - used_table_ids)
                used_table_ids.add(table_id)
                tpart = free("xl/tables/table{}.xml")
                add(tpart, table_xml(blk, table_id), ns.CT_TABLE)
                rid = f"rId{len(sheet_rels) + 1}"
                sheet_rels.append((rid, ns.REL_TABLE, relative(part, tpart)))
                table_rids.append(rid)
            drawing_rid = None
            if sheet.charts:
                dpart = free("xl/drawings/drawing{}.xml")
                chart_rels = []
                for i, chart in enumerate(sheet.charts, start=1):
                    cpart = free("xl/charts/chart{}.xml")
                    add(cpart, chart_xml(chart, cells, date1904), ns.CT_CHART)
                    chart_rels.append((f"rId{i}", ns.REL_CHART, relative(dpart, cpart)))
                add(dpart, drawing_xml(list(sheet.charts), [r[0] for r in chart_rels]), ns.CT_DRAWING)
                new_parts[rels_part(dpart)] = rels_xml(chart_rels)
                drawing_rid = f"rId{len(sheet_rels) + 1}"
                sheet_rels.append((drawing_rid, ns.REL_DRAWING, relative(part, dpart)))
            # The sheet's rows are deflated in a thread band by band while the next bands are rendered.
            stream = streams[part] = StreamDeflate(WORKSHEET_LEVEL)
            for piece in worksheet_parts(sheet, styles.style, drawing_rid, table_rids, date1904):
                stream.feed(piece.encode("utf-8"))
            new_parts[part] = b""  # (stored from its stream)
            content_types.append((part, ns.CT_WORKSHEET))
            if sheet_rels:
                new_parts[rels_part(part)] = rels_xml(sheet_rels)
            sheet_parts.append((sheet, part))

        replaced: dict[str, bytes] = {}
        styles_data = styles.render()
        if styles_data != styles.data:
            replaced[styles_part] = styles_data
        dropped_rels = set()
        calc = next((r for r in pkg.rels(pkg.workbook_part) if r.type.endswith("/calcChain")), None)
        if calc is not None and calc.target in pkg.names and owned_sheets:
            chain = edit_calc_chain(pkg.read(calc.target), pkg.label, {str(s.sheet_id) for s in owned_sheets},
                                    calc.target)
            if chain is None:  # nothing left in the chain: drop the part and its relationship
                removed.add(calc.target)
                dropped_rels.add(calc.id)
            elif chain is not UNCHANGED:
                replaced[calc.target] = chain
        wb_rels = rels_part(pkg.workbook_part)
        replaced[wb_rels], rids = edit_relationships(
            pkg.read(wb_rels), {s.rid for s in owned_sheets} | dropped_rels,
            [(ns.REL_WORKSHEET, relative(pkg.workbook_part, part)) for _, part in sheet_parts], wb_rels, pkg.label)
        replaced[pkg.workbook_part] = edit_workbook(
            pkg.workbook_bytes, pkg.label, pkg.sheets, owned_sheets,
            [(sheet.name, rid) for (sheet, _), rid in zip(sheet_parts, rids)], report_names(report, plan.marker), set(plan.names),
            pkg.workbook_part)
        replaced[ns.CT_PART] = edit_content_types(pkg.read(ns.CT_PART), pkg.label, removed, content_types)
        # Where the new package must have its tables: the user's where they were, the report's where it put them.
        tables = {t.name.lower(): (t.sheet, t.ref) for t in kept_tables}
        tables.update({blk.table.lower(): (sheet.name, blk.ref()) for sheet in report.sheets for blk in sheet.blocks
                       if blk.table})
        self._write_zip(removed, replaced, new_parts, progress, tables, deflating, streams)

    def _write_zip(self, removed: set[str], replaced: dict[str, bytes], new_parts: dict[str, bytes],
                   progress: Progress | None, tables: dict[str, tuple[str, str]],
                   deflating: dict[str, BackgroundCall] | None = None,
                   streams: dict[str, StreamDeflate] | None = None) -> None:
        """Write the package (``streams``: the new worksheet parts, deflated as they were rendered, which the
        check compares with those bytes instead of parsing them again:
        :func:`~xl_kpi.refresh.verify.verify_package`)."""
        pkg = self.pkg
        infos = [i for i in pkg.zip.infolist() if i.filename not in removed]
        total = sum(i.compress_size for i in infos) or 1
        rendered: dict[str, Rendered] = {}

        def fill(fh) -> None:
            report = (lambda done: progress(0.8 + 0.18 * min(done / total, 1.0), "writing the workbook")) \
                if progress else None
            writer = RawZipWriter(fh, report)
            for info in infos:
                if info.filename in replaced:
                    writer.add(info.filename, replaced[info.filename])
                else:
                    writer.copy(pkg.zip, info)
            for name in sorted(new_parts, key=_part_order):
                if name in (streams or {}):
                    rendered[name] = Rendered(*streams[name].result())
                    writer.add_deflated(name, *rendered[name])
                    continue
                pending = (deflating or {}).get(name)
                writer.add(name, new_parts[name], pending.result() if pending is not None else None)
            writer.close()

        def check(tmp: Path) -> None:
            verify_package(tmp, pkg.label, tables, set(replaced) | set(new_parts), source=pkg.zip, rendered=rendered)

        def let_go() -> None:  # Windows cannot replace a file that is still open
            if self.release is not None:
                self.release()
            pkg.zip.close()

        if self.replacement is not None:
            self.replacement.write(fill, check, before_replace=let_go)
        else:
            with Replacement(self.output, str(self.output)) as replacement:
                replacement.write(fill, check, before_replace=let_go)


def _part_order(name: str) -> tuple:
    """New parts in a stable order: by name (charts, drawings, tables, worksheets), rels last."""
    return ("_rels" in name, name)


__all__ = ["FileTableSource", "FileReportWriter", "MARKER", "parse_ref", "error_cells"]
