"""Refreshes of workbooks whoever wrote them: well-formed, namespace-correct, schema-valid, right values.

Inputs come from the writers users have - openpyxl with lxml (what this
suite's environment imports: lxml is a dependency) and without it (a
subprocess that hides lxml before importing openpyxl), XlsxWriter,
LibreOffice, and xlwings' Excel-saved ``quickstart.xlsm`` with a Ledger table
added - and from the cases issue 9 found: ``xmlns:r`` declared on each
``<sheet>``, an empty ``<definedNames/>``, single-quoted attributes and a
``count`` with white space, a number format only inside a ``<dxf>``, a 1904
book and a Ledger table with a Total Row.

Every part a refresh writes or edits is parsed by lxml (which rejects an
unbound prefix or a duplicate attribute) and validated against the ECMA-376
schemas (:mod:`tests.ooxml_schema`); so are the templates, the demo and the
add-in.  The values are checked against :func:`xl_kpi.ledger.mrr_bridge` on
the same ledger.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from lxml import etree

from tests import libreoffice
from tests.ooxml_schema import problems
from xl_kpi.errors import UserError
from xl_kpi.ledger import mrr_bridge
from xl_kpi.refresh import BRIDGE_HEADERS, REPORT_SHEETS, refresh_file

ROOT = Path(__file__).resolve().parents[1]
M = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
NS = {"m": M, "c": C}
#: A small ledger: 3 customers over 4 months (new, expansion, contraction, churn, reactivation).
ROWS = [("a", "2024-01-01", 100.0), ("b", "2024-01-01", 50.0), ("a", "2024-02-01", 120.0),
        ("b", "2024-02-01", 40.0), ("c", "2024-02-01", 30.0), ("a", "2024-03-01", 120.0),
        ("c", "2024-03-01", 30.0), ("a", "2024-04-01", 110.0), ("b", "2024-04-01", 45.0)]
LEDGER = pd.DataFrame(ROWS, columns=["customer_id", "month", "mrr"]).assign(month=lambda d: pd.to_datetime(d.month))
#: The shared parts a refresh edits.
SHARED = ("[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml")


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def written_parts(before: Path, after: Path) -> list[str]:
    """Parts of ``after`` that the refresh wrote or changed (new, or different from ``before``)."""
    old, new = members(before), members(after)
    return sorted(p for p, data in new.items() if old.get(p) != data)


# --------------------------------------------------------------------------- the writers


def xlsxwriter_book(path: Path, *, date_1904: bool = False, total_row: bool = False, dxf_format: bool = False,
                    dates: bool = True) -> Path:
    """The ledger as an Excel Table ``Ledger`` on sheet Data, written by XlsxWriter."""
    wb = xlsxwriter.Workbook(str(path), {"date_1904": date_1904})
    ws = wb.add_worksheet("Data")
    data = [[c, datetime.fromisoformat(m) if dates else m, v] for c, m, v in ROWS]  # else ISO text
    month = {"format": wb.add_format({"num_format": "yyyy-mm-dd"})} if dates else {}
    columns = [{"header": "Customer ID"}, {"header": "Month", **month}, {"header": "MRR"}]
    if total_row:
        columns[0]["total_string"] = "Total"
        columns[2]["total_function"] = "sum"
    ws.add_table(0, 0, len(ROWS) + int(total_row), 2, {"name": "Ledger", "data": data, "columns": columns,
                                                      "total_row": total_row})
    if dxf_format:  # a conditional format whose number format lives only in its <dxf>
        ws.conditional_format("C2:C10", {"type": "cell", "criteria": ">", "value": 100,
                                         "format": wb.add_format({"num_format": "0.0%"})})
    wb.close()
    return path


OPENPYXL_WRITER = textwrap.dedent('''
    import sys
    if sys.argv[2] == "no-lxml":
        sys.modules["lxml"] = None  # openpyxl falls back to its ElementTree writer
    import datetime, openpyxl
    from openpyxl.worksheet.table import Table
    assert openpyxl.xml.LXML is (sys.argv[2] == "lxml"), openpyxl.xml.LXML
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["Customer ID", "Month", "MRR"])
    for c, m, v in {rows!r}:
        ws.append([c, datetime.datetime.fromisoformat(m), v])
        ws.cell(ws.max_row, 2).number_format = "yyyy-mm-dd"
    ws.add_table(Table(displayName="Ledger", ref="A1:C%d" % ws.max_row))
    wb.save(sys.argv[1])
''').format(rows=ROWS)


def openpyxl_book(path: Path, lxml: bool) -> Path:
    """The ledger written by openpyxl in a fresh interpreter, with or without lxml importable."""
    subprocess.run([sys.executable, "-c", OPENPYXL_WRITER, str(path), "lxml" if lxml else "no-lxml"],
                   check=True, cwd=ROOT, timeout=120)
    return path


def quickstart_book(path: Path) -> Path:
    """xlwings' Excel-saved quickstart.xlsm with the ledger typed into Sheet1 as the Excel Table Ledger
    (cells, table part, relationship and content type added the way Excel stores them)."""
    import xlwings

    parts = members(Path(xlwings.__file__).parent / "quickstart.xlsm")

    def text(ref, value):
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'

    rows = [f'<row r="1">{text("A1", "Customer ID")}{text("B1", "Month")}{text("C1", "MRR")}</row>']
    for i, (c, m, v) in enumerate(ROWS, start=2):
        rows.append(f'<row r="{i}">{text(f"A{i}", c)}{text(f"B{i}", m)}<c r="C{i}"><v>{v:g}</v></c></row>')
    last = len(ROWS) + 1
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace('<dimension ref="A1"/>', f'<dimension ref="A1:C{last}"/>')
    sheet = sheet.replace("<sheetData/>", "<sheetData>" + "".join(rows) + "</sheetData>")
    sheet = sheet.replace("</worksheet>", '<tableParts count="1"><tablePart r:id="rId1"/></tableParts></worksheet>')
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    parts["xl/worksheets/_rels/sheet1.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/table" Target="../tables/table1.xml"/>'
        '</Relationships>').encode()
    parts["xl/tables/table1.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<table xmlns="{M}" id="1" name="Ledger" '
        f'displayName="Ledger" ref="A1:C{last}" totalsRowShown="0"><autoFilter ref="A1:C{last}"/>'
        '<tableColumns count="3"><tableColumn id="1" name="Customer ID"/><tableColumn id="2" name="Month"/>'
        '<tableColumn id="3" name="MRR"/></tableColumns><tableStyleInfo name="TableStyleMedium2" '
        'showFirstColumn="0" showLastColumn="0" showRowStripes="1" showColumnStripes="0"/></table>').encode()
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/tables/table1.xml" ContentType="application/vnd.openxmlformats-'
                     b'officedocument.spreadsheetml.table+xml"/></Types>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def rewrite(src: Path, dst: Path, edits: dict[str, callable]) -> Path:
    """A copy of a package with some parts' text rewritten."""
    parts = members(src)
    for name, edit in edits.items():
        parts[name] = edit(parts[name].decode()).encode()
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return dst


def r_per_sheet(xml: str) -> str:
    """workbook.xml with xmlns:r declared on each <sheet> and not on the root (openpyxl + lxml's way)."""
    decl = ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    xml = xml.replace(decl, "", 1)
    return xml.replace("<sheet ", f"<sheet{decl} ")


def single_quoted(xml: str) -> str:
    """Every attribute single-quoted (values here hold no quote), and every count padded with spaces."""
    xml = re.sub(r'(\s[\w:.-]+)="([^"]*)"', r"\1='\2'", xml[xml.index("?>") + 2:])
    return re.sub(r"count='(\d+)'", r"count=' \1 '", xml)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("writers")
    books = {
        "openpyxl-lxml": openpyxl_book(d / "openpyxl-lxml.xlsx", lxml=True),
        "openpyxl-etree": openpyxl_book(d / "openpyxl-etree.xlsx", lxml=False),
        "xlsxwriter": xlsxwriter_book(d / "xlsxwriter.xlsx"),
        "quickstart": quickstart_book(d / "quickstart.xlsm"),
        "date1904": xlsxwriter_book(d / "date1904.xlsx", date_1904=True),
        "total-row": xlsxwriter_book(d / "total-row.xlsx", total_row=True),
        "dxf-numfmt": xlsxwriter_book(d / "dxf-numfmt.xlsx", dxf_format=True, dates=False),
    }
    # The round-trip books of tests/test_refresh.py: every kind of user content, names, a VBA project.
    from tests.test_refresh import write_openpyxl_book, write_xlsxwriter_book

    write_xlsxwriter_book(d / "xlsxwriter-rich.xlsx", LEDGER)
    write_xlsxwriter_book(d / "xlsxwriter-vba.xlsm", LEDGER, vba=True)
    write_openpyxl_book(d / "openpyxl-rich.xlsx", LEDGER)
    books.update({"xlsxwriter-rich": d / "xlsxwriter-rich.xlsx", "xlsxwriter-vba": d / "xlsxwriter-vba.xlsm",
                  "openpyxl-rich": d / "openpyxl-rich.xlsx"})
    base = xlsxwriter_book(d / "base.xlsx")
    books["r-per-sheet"] = rewrite(base, d / "r-per-sheet.xlsx", {"xl/workbook.xml": r_per_sheet})
    books["single-quotes"] = rewrite(base, d / "single-quotes.xlsx", {
        "xl/workbook.xml": single_quoted, "xl/styles.xml": single_quoted, "[Content_Types].xml": single_quoted,
        "xl/_rels/workbook.xml.rels": single_quoted})
    lo_in = d / "lo-in"
    lo_in.mkdir()
    (converted,) = libreoffice.recalculate([xlsxwriter_book(lo_in / "libreoffice.xlsx", dates=False)], d / "lo")
    books["libreoffice"] = converted
    return books


@pytest.fixture(scope="module")
def refreshed(inputs, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("refreshed")
    result = {}
    for name, path in inputs.items():
        result[name] = out / path.name
        refresh_file(path, result[name])
    return result


# --------------------------------------------------------------------------- every writer


NAMES = ["openpyxl-lxml", "openpyxl-etree", "openpyxl-rich", "xlsxwriter", "xlsxwriter-rich", "xlsxwriter-vba",
         "libreoffice", "quickstart", "r-per-sheet", "single-quotes", "dxf-numfmt", "date1904", "total-row"]


def test_the_writers_are_what_they_say(inputs):
    """The inputs really differ the way users' files do (otherwise the cases below test nothing)."""
    assert openpyxl.xml.LXML  # this suite's openpyxl writes with lxml (lxml is a dependency)
    wb = {n: members(p)["xl/workbook.xml"].decode() for n, p in inputs.items()}
    root_tag = lambda xml: re.search(r"<workbook\b[^>]*>", xml).group(0)  # noqa: E731
    assert "xmlns:r" not in root_tag(wb["openpyxl-lxml"]) and "<sheet xmlns:r=" in wb["openpyxl-lxml"]
    assert "xmlns:r" in root_tag(wb["openpyxl-etree"])
    assert "<definedNames/>" in wb["openpyxl-lxml"] or "<definedNames />" in wb["openpyxl-lxml"]
    assert "xmlns:r" not in root_tag(wb["r-per-sheet"])
    assert "name='Data'" in wb["single-quotes"] and "count=' " in members(inputs["single-quotes"])["xl/styles.xml"].decode()
    assert 'date1904="1"' in wb["date1904"]
    assert "mc:Ignorable" in wb["quickstart"] and "mc:AlternateContent" in wb["quickstart"]
    styles = members(inputs["dxf-numfmt"])["xl/styles.xml"].decode()
    assert "<numFmts" not in styles and '<numFmt numFmtId="164" formatCode="0.0%"/>' in styles
    table = members(inputs["total-row"])["xl/tables/table1.xml"].decode()
    assert 'totalsRowCount="1"' in table
    assert "LibreOffice" in members(inputs["libreoffice"])["docProps/app.xml"].decode()


@pytest.mark.parametrize("name", NAMES)
def test_written_parts_are_namespace_correct_and_schema_valid(inputs, refreshed, name):
    parts = written_parts(inputs[name], refreshed[name])
    assert set(SHARED) <= set(parts) and any(p.startswith("xl/charts/") for p in parts)
    for part in parts:
        if part.endswith((".xml", ".rels")):
            etree.fromstring(members(refreshed[name])[part])  # unbound prefix / duplicate attribute: raises
    assert problems(refreshed[name], parts) == []


@pytest.mark.parametrize("name", NAMES)
def test_bridge_values_and_a_second_refresh_changes_nothing(inputs, refreshed, name, tmp_path):
    wb = openpyxl.load_workbook(refreshed[name], data_only=True)
    ws = next(ws for ws in wb.worksheets if "MRRBridge" in ws.tables)
    rows = [[c.value for c in row] for row in ws[ws.tables["MRRBridge"].ref]]
    table = pd.DataFrame(rows[1:], columns=rows[0])
    assert tuple(table.columns) == BRIDGE_HEADERS
    expected = mrr_bridge(LEDGER)
    # openpyxl converts serials with the workbook's own epoch, so 1904 books must hold 1904 serials
    assert [pd.Timestamp(m) for m in table["Month"]] == list(expected["month"])
    np.testing.assert_allclose(table["Ending MRR"].astype(float), expected["ending_mrr"].to_numpy(float))
    again = tmp_path / refreshed[name].name
    refresh_file(refreshed[name], again)
    assert members(again) == members(refreshed[name])


# --------------------------------------------------------------------------- the cases of issue 9


def test_case1_new_sheets_declare_the_r_prefix_where_the_root_does_not(refreshed):
    for name in ("openpyxl-lxml", "r-per-sheet"):
        root = etree.fromstring(members(refreshed[name])["xl/workbook.xml"])
        sheets = root.findall("m:sheets/m:sheet", NS)
        report = list(REPORT_SHEETS[:-1])  # no segment column: no Segments sheet
        assert [s.get("name") for s in sheets][-len(report):] == report
        rid = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
        assert all(s.get(rid, "").startswith("rId") for s in sheets)
        assert openpyxl.load_workbook(refreshed[name]).sheetnames[-1] == report[-1]


def test_case2_names_go_into_the_empty_definedNames_and_survive_an_openpyxl_save(refreshed, tmp_path):
    xml = members(refreshed["openpyxl-lxml"])["xl/workbook.xml"].decode()
    assert xml.count("<definedNames") == 1
    wb = openpyxl.load_workbook(refreshed["openpyxl-lxml"])
    assert {"KPISummary", "CohortRetentionLogo", "_xlkpi_report"} <= set(wb.defined_names)
    wb.save(tmp_path / "saved.xlsx")  # the user saves the refreshed book with openpyxl ...
    refresh_file(tmp_path / "saved.xlsx")  # ... and the next refresh still knows its own sheets
    assert openpyxl.load_workbook(tmp_path / "saved.xlsx").sheetnames.count("MRR Bridge") == 1


def test_case3_single_quotes_and_padded_counts_give_single_attributes_and_true_counts(refreshed):
    parts = members(refreshed["single-quotes"])
    for part in ("xl/workbook.xml", "xl/styles.xml"):
        root = etree.fromstring(parts[part])  # a duplicate attribute would not parse
        for el in root.iter():
            if isinstance(el.tag, str) and el.get("count") is not None:
                assert int(el.get("count")) == len(el), (part, el.tag)


def test_case4_cells_use_only_number_formats_of_the_stylesheet_not_of_a_dxf(inputs, refreshed):
    root = etree.fromstring(members(refreshed["dxf-numfmt"])["xl/styles.xml"])
    cell_formats = {int(n.get("numFmtId")): n.get("formatCode") for n in root.findall("m:numFmts/m:numFmt", NS)}
    dxf_ids = {int(n.get("numFmtId")) for n in root.findall("m:dxfs/m:dxf/m:numFmt", NS)}
    used = {int(xf.get("numFmtId")) for xf in root.findall("m:cellXfs/m:xf", NS)}
    assert "<numFmts" not in members(inputs["dxf-numfmt"])["xl/styles.xml"].decode()  # only the dxf had one
    assert dxf_ids == {164}
    assert "0.0%" in cell_formats.values()  # the report's own copy of the format the dxf also has
    assert all(i < 164 or i in cell_formats for i in used)
    assert not dxf_ids & set(cell_formats)  # a new id, not one a dxf uses


def test_case5_a_1904_book_gets_1904_serials(refreshed):
    xml = members(refreshed["date1904"])
    book = etree.fromstring(xml["xl/workbook.xml"])
    rels = etree.fromstring(xml["xl/_rels/workbook.xml.rels"])
    rid = next(s.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
               for s in book.findall("m:sheets/m:sheet", NS) if s.get("name") == "MRR Bridge")
    target = next(r.get("Target") for r in rels if r.get("Id") == rid)
    sheet = etree.fromstring(xml["xl/" + target.lstrip("/").removeprefix("xl/")])
    a3 = sheet.find("m:sheetData/m:row[@r='3']/m:c[@r='A3']/m:v", NS).text  # the first month, under title and header
    # 2024-01-01 is 45292 in the 1900 system and 1,462 days less in the 1904 system
    assert float(a3) == 45292 - 1462
    cache = [float(v.text) for v in etree.fromstring(
        next(d for p, d in xml.items() if p.startswith("xl/charts/"))).iterfind(".//c:cat//c:pt/c:v", NS)]
    assert cache[0] == 45292 - 1462


def test_case6_a_total_row_is_skipped_and_the_users_table_is_kept(inputs, refreshed):
    before, after = members(inputs["total-row"]), members(refreshed["total-row"])
    for part in ("xl/tables/table1.xml", "xl/worksheets/sheet1.xml"):
        assert after[part] == before[part]


def test_case10_charts_cache_their_values_and_put_months_on_a_date_axis(refreshed):
    wb = openpyxl.load_workbook(refreshed["xlsxwriter"], data_only=True)

    def cells(ref: str) -> list:
        """The values of a one-column reference such as 'KPI Summary'!$B$22:$B$25."""
        sheet, _, rng = ref.rpartition("!")
        return [row[0].value for row in wb[sheet.strip("'").replace("''", "'")][rng.replace("$", "")]]

    charts = [etree.fromstring(d) for p, d in sorted(members(refreshed["xlsxwriter"]).items())
              if p.startswith("xl/charts/chart")]
    assert len(charts) == 2  # the KPI summary's (four months: no trailing twelve months to chart)
    for chart in charts:
        assert chart.find(".//c:plotArea/c:dateAx", NS) is not None
        assert chart.find(".//c:plotArea/c:catAx", NS) is None
        for ser in chart.iterfind(".//c:ser", NS):
            title = ser.find("c:tx/c:strRef/c:strCache/c:pt/c:v", NS).text
            assert cells(ser.find("c:tx/c:strRef/c:f", NS).text) == [title]
            want = cells(ser.find("c:val/c:numRef/c:f", NS).text)
            points = {int(p.get("idx")): float(p.find("c:v", NS).text)
                      for p in ser.iterfind("c:val/c:numRef/c:numCache/c:pt", NS)}
            got = [points.get(i) for i in range(len(want))]
            assert got == [None if w is None else float(w) for w in want], title
            months = [float(v.text) for v in ser.iterfind("c:cat/c:numRef/c:numCache/c:pt/c:v", NS)]
            assert months == [45292.0, 45323.0, 45352.0, 45383.0]  # 2024-01 .. 2024-04


# --------------------------------------------------------------------------- what the project writes itself


def test_templates_are_schema_valid():
    books = sorted((ROOT / "workbooks").glob("*.xlsx"))
    assert len(books) >= 5
    assert [p for book in books for p in problems(book)] == []


def test_demo_is_schema_valid(tmp_path):
    from xl_kpi.demo import LEDGER_WORKBOOK, run_demo

    run_demo(tmp_path, echo=lambda *_: None)
    assert problems(tmp_path / LEDGER_WORKBOOK) == []


def test_addin_is_schema_valid(tmp_path):
    from xl_kpi.addin import build_addin

    path = build_addin(tmp_path)
    assert problems(path, ["xl/workbook.xml", "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"]) == []


def test_a_ledger_table_without_header_row_is_a_clear_message(inputs, tmp_path):
    book = rewrite(inputs["xlsxwriter"], tmp_path / "noheader.xlsx", {
        "xl/tables/table1.xml": lambda xml: xml.replace(' ref="A1:C10"', ' ref="A2:C10" headerRowCount="0"')})
    before = book.read_bytes()
    with pytest.raises(UserError, match=r"noheader.xlsx: the table 'Ledger' on sheet 'Data' has no header row"):
        refresh_file(book)
    assert book.read_bytes() == before


@pytest.mark.parametrize("kind", ["line", "column"])
@pytest.mark.parametrize("categories", ["months", "labels"])
def test_chart_parts_are_schema_valid_for_months_and_labels(kind, categories):
    from tests.ooxml_schema import part_problems
    from xl_kpi.ooxml.chart import cell_values, chart_xml
    from xl_kpi.refresh.report import Block, Chart, Column, RangeRef, ReportSheet, Series

    first = (np.array(["2024-01-01", "2024-02-01", "2024-03-01"], dtype="datetime64[ns]") if categories == "months"
             else np.array(["Basic", "Pro", "Team"], dtype=object))
    sheet = ReportSheet("S", [Block(1, 1, [Column("Category", first, "mmm yyyy"),
                                           Column("MRR", np.array([10.0, np.nan, 30.0]), "#,##0")])])
    chart = Chart(kind, "MRR", RangeRef("S", 2, 1, 4, 1), [Series(RangeRef("S", 1, 2, 1, 2), RangeRef("S", 2, 2, 4, 2))],
                  row=1, col=4, height_rows=13, width_pt=360.0, end=(14, 0, 12, 0))
    xml = chart_xml(chart, cell_values([sheet]), date1904=True)
    assert part_problems(xml, f"{kind}-{categories}") == []
    root = etree.fromstring(xml)
    axis = "dateAx" if categories == "months" else "catAx"
    assert root.find(f".//c:plotArea/c:{axis}", NS) is not None
    values = [(int(p.get("idx")), float(p.find("c:v", NS).text)) for p in root.iterfind(".//c:val//c:pt", NS)]
    assert values == [(0, 10.0), (2, 30.0)]  # the blank month has no point, as Excel writes it
