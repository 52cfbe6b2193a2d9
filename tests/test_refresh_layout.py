"""Layout of the refreshed report sheets, read from the package XML and from LibreOffice.

What a finance user sees: column widths that show every header and value
uncut (checked against the text each cell displays, formatted here
independently of the code under test), landscape print setup one page wide,
frozen header panes, charts that cover no cell holding data, parts in the
element order Excel requires, and a real engine (LibreOffice) that opens the
result, computes it with no error cell, keeps the print setup and prints
each report sheet on exactly one page.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import zipfile
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree as ET

import openpyxl
import pytest
import xlsxwriter

from tests.libreoffice import recalculate, render_png
from tests.test_refresh_live import FakeRange, ledger_book
from xl_kpi.refresh import refresh_book, refresh_file
from xl_kpi.refresh.report import BRIDGE_HEADERS, MONTHLY_LAYOUT
from xl_kpi.sample import generate_ledger

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "pr": "http://schemas.openxmlformats.org/package/2006/relationships",
      "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"}
M = "{%s}" % NS["m"]
REPORT = ("MRR Bridge", "Cohort Retention", "KPI Summary")

#: CT_Worksheet's child sequence (ECMA-376 Part 1, 18.3.1.99): Excel rejects a part out of this order.
WORKSHEET_ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr", "sheetProtection",
    "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate", "customSheetViews",
    "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions",
    "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks", "customProperties", "cellWatches",
    "ignoredErrors", "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture",
    "oleObjects", "controls", "webPublishItems", "tableParts", "extLst")

#: Excel's built-in number formats the report may use (id -> code); the rest are in styles.xml.
BUILTIN = {0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%"}
EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def shown(value: str, fmt: str, is_text: bool) -> str:
    """The text Excel displays for a cell, for the formats a report uses (written apart from the code)."""
    if is_text:
        return value
    if value == "":
        return ""
    v = float(value)
    if fmt == "mmm yyyy":
        return (EXCEL_EPOCH + dt.timedelta(days=v)).strftime("%b %Y")
    if fmt == "#,##0.00":
        return f"{v:,.2f}"
    if fmt == "#,##0":
        return f"{v:,.0f}"
    if fmt == "0.0%":
        return f"{v:.1%}"
    if fmt == '0.00"x"':
        return f"{v:.2f}x"
    if fmt == "General":
        return f"{v:.10g}"
    raise AssertionError(f"a number format this test does not know: {fmt!r}")


def wrap_lines(text: str, width: float) -> list[str]:
    """Word wrap as Excel does it (greedy), counting a character as one digit wide (an upper bound)."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def narrowest_wrap(text: str, n_lines: int) -> int:
    """Length of the longest line of the best split of ``text`` into at most ``n_lines`` (1 or 2) lines."""
    words = text.split(" ")
    if n_lines == 1 or len(words) == 1:
        return len(text)
    return min(max(len(" ".join(words[:i])), len(" ".join(words[i:]))) for i in range(1, len(words)))


def col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def cell_rc(ref: str) -> tuple[int, int]:
    m = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    return int(m.group(2)), col_number(m.group(1))


def box(ref: str) -> tuple[int, int, int, int]:
    a, b = ref.split(":")
    return (*cell_rc(a), *cell_rc(b))


def px(width: float | None) -> int:
    """Pixels of a column with <col width="..."> (ECMA-376 18.3.1.13, 7-pixel digits); default 64."""
    return 64 if width is None else int((256 * width + 18) / 256 * 7)


class Sheet:
    """One report sheet of a package: its XML, cells, widths, tables and chart anchors."""

    def __init__(self, z: zipfile.ZipFile, part: str, formats: list[str]):
        self.root = ET.fromstring(z.read(part))
        self.widths = {}
        for col in self.root.iterfind("m:cols/m:col", NS):
            for c in range(int(col.get("min")), int(col.get("max")) + 1):
                self.widths[c] = float(col.get("width"))
        #: (row, col) -> (displayed text, is text); the cells whose text wraps; row -> height (points)
        self.cells: dict[tuple[int, int], tuple[str, bool]] = {}
        self.wrapped: set[tuple[int, int]] = set()
        self.left: set[tuple[int, int]] = set()  # cells aligned left
        self.heights = {int(r.get("r")): float(r.get("ht")) for r in self.root.iterfind("m:sheetData/m:row", NS)
                        if r.get("customHeight") == "1"}
        for c in self.root.iterfind("m:sheetData/m:row/m:c", NS):
            v, t = c.find("m:v", NS), c.find("m:is/m:t", NS)
            if v is None and t is None:
                continue
            is_text = t is not None or c.get("t") == "str"
            raw = t.text if t is not None else (v.text or "")
            fmt, align = formats[int(c.get("s", "0"))]
            self.cells[cell_rc(c.get("r"))] = (shown(raw, fmt, is_text), is_text)
            if align.get("wrapText") == "1":
                self.wrapped.add(cell_rc(c.get("r")))
            if align.get("horizontal") == "left":
                self.left.add(cell_rc(c.get("r")))
        folder = PurePosixPath(part).parent
        rels_name = f"{folder}/_rels/{PurePosixPath(part).name}.rels"
        rels = ET.fromstring(z.read(rels_name)) if rels_name in z.namelist() else ET.Element("x")

        def target(rel) -> str:
            return str(PurePosixPath(*_normal(folder / rel.get("Target"))))

        self.tables = {}
        self.anchors = []
        for rel in rels.iterfind("pr:Relationship", NS):
            if rel.get("Type").endswith("/table"):
                t = ET.fromstring(z.read(target(rel)))
                self.tables[t.get("name")] = box(t.get("ref"))
            elif rel.get("Type").endswith("/drawing"):
                drawing = ET.fromstring(z.read(target(rel)))
                for a in drawing.iterfind("xdr:twoCellAnchor", NS):
                    f, to = a.find("xdr:from", NS), a.find("xdr:to", NS)
                    self.anchors.append(tuple(int(x.find(f"xdr:{k}", NS).text) for x in (f, to)
                                              for k in ("col", "colOff", "row", "rowOff")))

    def covered(self, anchor) -> tuple[int, int, int, int]:
        """(row1, col1, row2, col2), 1-based, of the cells a chart covers even partly."""
        c1, _, r1, _, c2, c2_off, r2, r2_off = anchor
        return r1 + 1, c1 + 1, r2 + (r2_off > 0), c2 + (c2_off > 0)

    def left_px(self, col: int) -> int:
        return sum(px(self.widths.get(c)) for c in range(1, col))


def _normal(path: PurePosixPath) -> list[str]:
    out: list[str] = []
    for part in path.parts:
        if part == "..":
            out.pop()
        elif part != ".":
            out.append(part)
    return out


def report_sheets(path: Path) -> dict[str, Sheet]:
    with zipfile.ZipFile(path) as z:
        wb = ET.fromstring(z.read("xl/workbook.xml"))
        rels = {r.get("Id"): r.get("Target") for r in ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))}
        styles = ET.fromstring(z.read("xl/styles.xml"))
        codes = {**BUILTIN, **{int(n.get("numFmtId")): n.get("formatCode")
                               for n in styles.iterfind("m:numFmts/m:numFmt", NS)}}
        # Formats of the user's cells may be anything: shown() fails only on one a report cell uses.
        formats = [(codes.get(int(xf.get("numFmtId", "0")), f"built-in format {xf.get('numFmtId')}"),
                    (xf.find("m:alignment", NS) if xf.find("m:alignment", NS) is not None else xf).attrib)
                   for xf in styles.iterfind("m:cellXfs/m:xf", NS)]
        out = {}
        for s in wb.iterfind("m:sheets/m:sheet", NS):
            if s.get("name") in REPORT:
                target = rels[s.get(f"{{{NS['r']}}}id")].lstrip("/")
                out[s.get("name")] = Sheet(z, target if target.startswith("xl/") else "xl/" + target, formats)
        return out


def write_ledger_book(path: Path, n_customers: int, n_months: int, seed: int) -> None:
    df = generate_ledger(n_customers=n_customers, n_months=n_months, seed=seed)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    rows = [[r.customer_id, r.month.strftime("%Y-%m-%d"), float(r.mrr)] for r in df.itertuples()]
    ws.add_table(0, 0, len(rows), 2, {"name": "Ledger", "data": rows, "columns": [
        {"header": "Customer ID"}, {"header": "Month"}, {"header": "MRR"}]})
    wb.close()


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("layout")
    write_ledger_book(d / "ledger.xlsx", n_customers=40, n_months=14, seed=7)
    refresh_file(d / "ledger.xlsx")
    return d / "ledger.xlsx"


@pytest.fixture(scope="module")
def sheets(book) -> dict[str, Sheet]:
    return report_sheets(book)


# --------------------------------------------------------------------------- widths


@pytest.mark.parametrize("name", REPORT)
def test_every_header_and_value_fits_its_column(sheets, name):
    sheet = sheets[name]
    header_rows = {(r1, c) for r1, c1, _, c2 in sheet.tables.values() for c in range(c1, c2 + 1)}
    assert sheet.cells
    cells_in_row: dict[int, int] = {}
    for r, _ in sheet.cells:
        cells_in_row[r] = cells_in_row.get(r, 0) + 1
    need: dict[int, float] = {}
    for (r, c), (text, is_text) in sheet.cells.items():
        if is_text and cells_in_row[r] == 1:
            continue  # a block's title, alone in its row: it overflows into the empty cells on its right
        width = sheet.widths.get(c, 8.43)
        # A table's header holds a filter button (16 px, over 2 digits) right of its text.
        room = 2 if (r, c) in header_rows else 0.7  # 0.7 = Excel's 5-pixel cell padding
        if (r, c) in sheet.wrapped:
            # A wrapped header: every line fits, and the row is tall enough (15 pt a line) for all of them.
            lines = wrap_lines(text, width - room)
            assert max(map(len, lines)) + room <= width, (name, r, c, text, width)
            assert len(lines) * 15 <= sheet.heights.get(r, 15), (name, r, c, lines, sheet.heights.get(r))
            want = narrowest_wrap(text, int(sheet.heights[r] // 15)) + room
        else:
            want = len(text) + room
            assert width >= want, (name, r, c, text, width)
        need[c] = max(need.get(c, 0.0), want)
    # ... and not wastefully wide: a printout scaled to one page wide gets no larger than it must.
    for c, width in sheet.widths.items():
        assert width <= need.get(c, 8.43) + 4, (name, c, width, need.get(c))


def test_long_table_headers_wrap_on_two_lines_whole(sheets):
    bridge = sheets["MRR Bridge"]
    head = bridge.tables["MRRBridge"][0]  # row 2, under the sheet's title
    assert head == 2 and bridge.cells[(1, 1)][0].startswith("MRR bridge")
    assert [bridge.cells[(head, c)][0] for c in range(1, 19)] == list(BRIDGE_HEADERS)  # whole, not cut
    assert bridge.heights[head] == 30.0  # the header row: two lines
    assert set(bridge.heights) == {r1 for r1, _, _, _ in bridge.tables.values()}  # and the annual table's
    assert {(head, c) for c in range(1, 19)} <= bridge.wrapped
    assert wrap_lines("Gross Revenue Churn Rate", bridge.widths[15] - 2) == ["Gross Revenue", "Churn Rate"]
    summary = sheets["KPI Summary"]
    r1, c1, _, c2 = summary.tables["MonthlyKPIs"]
    assert summary.heights == {r1: 30.0}
    for c, (header, _) in zip(range(c1, c2 + 1), MONTHLY_LAYOUT.values()):
        assert summary.cells[(r1, c)][0] == header and (r1, c) in summary.wrapped
        assert len(wrap_lines(header, summary.widths[c] - 2)) <= 2
    assert not sheets["Cohort Retention"].heights  # short headers: one line, no taller row


@pytest.mark.parametrize("name, table", [("MRR Bridge", "MRRBridge"), ("KPI Summary", "MonthlyKPIs")])
def test_month_labels_left_aligned_under_their_header(sheets, name, table):
    """The month column labels the rows: left-aligned, as text labels are (in a 28-wide column on the summary)."""
    sheet = sheets[name]
    r1, c1, r2, _ = sheet.tables[table]
    assert sheet.cells[(r1, c1)][0] == "Month"
    months = [(r, c1) for r in range(r1 + 1, r2 + 1)]
    assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{4}", sheet.cells[rc][0]) for rc in months)
    assert set(months) <= sheet.left
    assert not any((r, c1 + 1) in sheet.left for r in range(r1 + 1, r2 + 1))  # the numbers stay right-aligned


# --------------------------------------------------------------------------- print setup, panes, order


@pytest.mark.parametrize("name", REPORT)
def test_print_setup_landscape_one_page_wide(sheets, name):
    root = sheets[name].root
    assert root.find("m:sheetPr/m:pageSetUpPr", NS).get("fitToPage") == "1"
    setup = root.find("m:pageSetup", NS)
    assert setup.get("orientation") == "landscape"
    assert (setup.get("fitToWidth"), setup.get("fitToHeight")) == ("1", "0")
    margins = root.find("m:pageMargins", NS).attrib
    assert set(margins) == {"left", "right", "top", "bottom", "header", "footer"}
    assert all(0 < float(v) <= 1 for v in margins.values())
    assert root.find("m:headerFooter/m:oddFooter", NS).text == "&L&A&RPage &P of &N"


@pytest.mark.parametrize("name", REPORT)
def test_worksheet_children_in_schema_order(sheets, name):
    tags = [child.tag.replace(M, "") for child in sheets[name].root]
    positions = [WORKSHEET_ORDER.index(t) for t in tags]
    assert positions == sorted(positions), tags
    assert len(set(tags) - {"conditionalFormatting"}) == len([t for t in tags if t != "conditionalFormatting"])


@pytest.mark.parametrize("name, top_left, header_cell", [
    ("MRR Bridge", "B3", (2, 1)),  # sheet title + header row + month column
    ("Cohort Retention", "B4", (3, 1)),  # sheet title + block title + header row ("Cohort", ...) + cohort column
])
def test_frozen_header_panes(sheets, name, top_left, header_cell):
    sheet = sheets[name]
    pane = sheet.root.find("m:sheetViews/m:sheetView/m:pane", NS)
    assert pane.get("state") == "frozen" and pane.get("topLeftCell") == top_left
    row, col = cell_rc(top_left)
    assert (int(pane.get("ySplit")), int(pane.get("xSplit"))) == (row - 1, col - 1)
    assert pane.get("activePane") == "bottomRight"
    r, c = header_cell
    assert sheet.cells[(r, c)][0] in ("Month", "Cohort") and sheet.cells[(r, c + 1)][0] in ("Starting MRR", "Customers")


# --------------------------------------------------------------------------- charts


def test_charts_cover_no_data_and_have_a_sensible_size(sheets):
    sheet = sheets["KPI Summary"]
    assert len(sheet.anchors) == 2
    boxes = [sheet.covered(a) for a in sheet.anchors]
    for r1, c1, r2, c2 in boxes:
        on_data = [rc for rc in sheet.cells if r1 <= rc[0] <= r2 and c1 <= rc[1] <= c2]
        assert not on_data, (r1, c1, r2, c2, on_data[:3])
        for name, (t1, u1, t2, u2) in sheet.tables.items():
            assert t2 < r1 or r2 < t1 or u2 < c1 or c2 < u1, name
    (a1, b1, a2, b2), (p1, q1, p2, q2) = boxes
    assert a2 < p1 or p2 < a1 or b2 < q1 or q2 < b1  # the two charts do not overlap either
    # Beside the KPI block (same top row), the table below them.
    kpi_title_row = sorted({r for (r, c) in sheet.cells if c == 1})[1]  # below the sheet's title
    assert a1 == p1 == kpi_title_row
    table_top, _, _, table_right = sheet.tables["MonthlyKPIs"]
    assert max(a2, p2) < table_top - 1  # the table's title row too is clear of the charts
    for c1, c1_off, r1, r1_off, c2, c2_off, r2, r2_off in sheet.anchors:
        width = sheet.left_px(c2 + 1) + c2_off / 9525 - sheet.left_px(c1 + 1) - c1_off / 9525
        height = (r2 - r1) * 20 + (r2_off - r1_off) / 9525
        assert 360 <= width <= 900 and 250 <= height <= 400 and 1.3 <= width / height <= 3, (width, height)
        # no wider than the table below: the charts do not widen the printed page
        assert sheet.left_px(c2 + 1) + c2_off / 9525 <= sheet.left_px(table_right + 1)


# --------------------------------------------------------------------------- idempotence, live back end


def test_second_refresh_writes_the_same_layout(book, tmp_path):
    again = tmp_path / "again.xlsx"
    refresh_file(book, again)
    with zipfile.ZipFile(book) as z1, zipfile.ZipFile(again) as z2:
        assert {n: z1.read(n) for n in z1.namelist()} == {n: z2.read(n) for n in z2.namelist()}


@pytest.fixture
def recording_ranges(monkeypatch):
    """The xlwings double, taught to record ``range.wrap_text`` / ``range.row_height`` on its sheet."""
    def wrap(self, value):
        if value:
            self.sheet.__dict__.setdefault("wrapped_rows", set()).update(range(self.box[0], self.box[2] + 1))

    def height(self, value):
        rows = range(self.box[0], self.box[2] + 1)
        self.sheet.__dict__.setdefault("row_heights", {}).update({r: value for r in rows})

    monkeypatch.setattr(FakeRange, "wrap_text", property(lambda self: None, wrap), raising=False)
    monkeypatch.setattr(FakeRange, "row_height", property(lambda self: None, height), raising=False)


def test_live_back_end_headers_fit(sheets, recording_ranges):
    """The xlwings back end's headers fit their columns: on one line, or wrapped in a row tall enough."""
    df = generate_ledger(n_customers=40, n_months=14, seed=7)
    live = ledger_book(df)
    refresh_book(live)
    for name in REPORT:
        sheet = live.sheets[name]
        wrapped, heights = getattr(sheet, "wrapped_rows", set()), getattr(sheet, "row_heights", {})
        for (r, c), value in sheet.grid.items():
            if not (isinstance(value, str) and not value.startswith("=") and (r, c + 1) in sheet.grid):
                continue  # headers and labels only (titles overflow, formulas show numbers)
            room = 2 if name != "Cohort Retention" else 0.7  # the tables' filter buttons
            if r in wrapped:
                assert len(wrap_lines(value, sheet.widths[c] - room)) * 15 <= heights[r], (name, value)
            else:
                assert sheet.widths[c] >= len(value) + room, (name, value)
    assert live.sheets["Cohort Retention"].widths == sheets["Cohort Retention"].widths
    # charts never larger than the file's, so never over data either
    charts = live.sheets["KPI Summary"].charts
    file_sheet = sheets["KPI Summary"]
    for chart, anchor in zip(charts, file_sheet.anchors):
        c1, _, _, _, c2, c2_off, _, _ = anchor
        exact_pt = (file_sheet.left_px(c2 + 1) + c2_off / 9525 - file_sheet.left_px(c1 + 1)) * 0.75
        assert chart.kw["width"] <= exact_pt + 1e-9


# --------------------------------------------------------------------------- a real engine


def test_libreoffice_computes_keeps_print_setup_and_prints_one_page_per_sheet(book, tmp_path):
    (saved,) = recalculate([book], tmp_path / "lo")
    wb = openpyxl.load_workbook(saved, data_only=True)
    for name in REPORT:
        ws = wb[name]
        errors = [c.coordinate for row in ws.iter_rows() for c in row
                  if isinstance(c.value, str) and c.value.startswith("#")]
        assert not errors, (name, errors[:5])
        assert ws.page_setup.orientation == "landscape", name
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) in ((1, 0), ("1", "0")), name
    # (Frozen panes are view settings, which headless LibreOffice does not save back: checked in the XML above.)
    assert wb["KPI Summary"]["B5"].value > 0  # Ending MRR, computed
    # Printed: each report sheet on exactly one page (14 months fit one page tall), every page's
    # footer names its sheet.  Without fit-to-width the 18-column bridge took four portrait pages.
    render_png(book, tmp_path / "pdf", dpi=20)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "pdf" / "ledger.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    for name in REPORT:
        assert sum(bool(re.search(rf"^\s*{name}\s+Page \d+ of \d+\s*$", p, re.M)) for p in pages) == 1, name


def test_bridge_header_row_repeats_on_every_printed_page(book):
    with zipfile.ZipFile(book) as z:
        wb = z.read("xl/workbook.xml").decode()
    sheets = re.findall(r'<sheet name="([^"]+)"', wb)
    titles = re.findall(r'<definedName name="_xlnm.Print_Titles" localSheetId="(\d+)">([^<]*)</definedName>', wb)
    assert [(sheets[int(i)], ref) for i, ref in titles] == [("MRR Bridge", "'MRR Bridge'!$2:$2")]  # the header row
