"""Refresh of closed workbooks: round trips, values, idempotence, safety, CLI.

Workbooks carrying user content are made with XlsxWriter (Excel's own XML:
sparklines, images, text boxes, comments, validation, conditional formats
with data bars, names, charts, formulas, styles), with openpyxl, and as an
.xlsm with a VBA project.  After a refresh every original part except the
few shared ones the report edits is byte-identical, and LibreOffice opens
and computes the result with no error cell.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import struct
import subprocess
import sys
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlsxwriter

from tests.libreoffice import recalculate
from xl_kpi.cli import main as cli_main
from xl_kpi.errors import UserError
from xl_kpi.ledger import monthly_kpis, mrr_bridge
from xl_kpi.refresh import BRIDGE_HEADERS, refresh_file
from xl_kpi.refresh.report import BRIDGE_COLUMNS, MONTHLY_LAYOUT
from xl_kpi.sample import generate_ledger

ROOT = Path(__file__).resolve().parents[1]
#: The report sheets of a ledger without a segment column.
REPORT = ("MRR Bridge", "Cohort Retention", "KPI Summary", "Retention", "MRR Movements")
#: Shared parts the report is allowed to edit (its own entries only).
SHARED = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"}


# --------------------------------------------------------------------------- workbooks


@pytest.fixture(scope="module")
def ledger() -> pd.DataFrame:
    return generate_ledger(n_customers=40, n_months=9, seed=11)


def _png() -> bytes:
    """A 2x2 red PNG, written by hand."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _vba_bin() -> bytes:
    import xlwings

    with zipfile.ZipFile(Path(xlwings.__file__).parent / "quickstart.xlsm") as z:
        return z.read("xl/vbaProject.bin")


def write_xlsxwriter_book(path: Path, df: pd.DataFrame, *, vba: bool = False) -> None:
    """A workbook with every kind of user content, in Excel's own XML."""
    wb = xlsxwriter.Workbook(str(path))
    if vba:
        bin_path = path.with_suffix(".bin")
        bin_path.write_bytes(_vba_bin())
        wb.add_vba_project(str(bin_path))
    intro = wb.add_worksheet("Intro")
    data = wb.add_worksheet("Data")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    money = wb.add_format({"num_format": "#,##0.00", "bold": True, "bg_color": "#DDEBF7"})
    rows = [[r.customer_id, r.month.to_pydatetime(), float(r.mrr)] for r in df.itertuples()]
    data.add_table(0, 0, len(rows), 2, {"name": "Ledger", "data": rows, "columns": [
        {"header": "Customer ID"}, {"header": "Month", "format": date}, {"header": "MRR", "format": money}]})
    n = len(rows) + 1
    intro.write("A1", "How to use", wb.add_format({"bold": True, "font_size": 14}))
    intro.write_formula("B2", f"=SUM(Data!C2:C{n})", money, float(df["mrr"].sum()))
    intro.write_formula("B3", "=B2*12", money)
    intro.write_row("A5", [1, 2, 3, 4, 5])
    intro.add_sparkline("F5", {"range": "Intro!A5:E5", "markers": True})
    intro.insert_image("H2", "dot.png", {"image_data": io.BytesIO(_png())})
    intro.insert_textbox("H10", "A text box the refresh must keep", {"width": 240, "height": 60})
    intro.write_comment("A1", "A comment on the title")
    intro.data_validation("C8", {"validate": "list", "source": ["yes", "no"]})
    intro.conditional_format("A5:E5", {"type": "data_bar", "bar_color": "#63BE7B"})
    intro.conditional_format("A5:E5", {"type": "cell", "criteria": ">", "value": 3,
                                       "format": wb.add_format({"font_color": "#9C0006"})})
    wb.define_name("TotalMRR", "=Intro!$B$2")
    wb.define_name("Intro!LocalName", "=Intro!$B$3")
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": "=Intro!$A$5:$E$5", "name": "Demo"})
    intro.insert_chart("H16", chart)
    wb.close()


def write_openpyxl_book(path: Path, df: pd.DataFrame) -> None:
    from openpyxl.comments import Comment
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.table import Table

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Summary"
    ws["A1"] = "Total"
    ws["B1"] = "=SUM(Ledger[MRR])"
    ws["A1"].comment = Comment("kept", "me")
    dv = DataValidation(type="whole", operator="between", formula1="0", formula2="9")
    ws.add_data_validation(dv)
    dv.add("C1")
    led = wb.create_sheet("Subscriptions Ledger")
    led.append(["Customer ID", "Month", "MRR"])
    for r in df.itertuples():
        led.append([r.customer_id, r.month.to_pydatetime(), float(r.mrr)])
    for cell in led["B"][1:]:
        cell.number_format = "yyyy-mm-dd"
    led.add_table(Table(displayName="Ledger", ref=f"A1:C{len(df) + 1}"))
    wb.defined_names["Total"] = DefinedName("Total", attr_text="Summary!$B$1")
    wb.save(path)


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def read_table(path: Path, name: str = "MRRBridge") -> pd.DataFrame:
    """An Excel Table of a workbook (MRRBridge by default), read back with openpyxl."""
    wb = openpyxl.load_workbook(path, data_only=True)
    for ws in wb.worksheets:
        if name in ws.tables:
            rows = list(ws[ws.tables[name].ref])
            values = [[c.value for c in row] for row in rows]
            return pd.DataFrame(values[1:], columns=values[0], dtype=object)
    raise AssertionError(f"no {name} table")


def assert_monthly_equals(table: pd.DataFrame, expected: pd.DataFrame, rtol=1e-12) -> None:
    """The MonthlyKPIs table against xl_kpi.ledger.monthly_kpis."""
    assert tuple(table.columns) == tuple(h for h, _ in MONTHLY_LAYOUT.values())
    assert [pd.Timestamp(m).date() for m in table["Month"]] == [m.date() for m in expected["month"]]
    for key, (header, _) in list(MONTHLY_LAYOUT.items())[1:]:
        got = np.array([np.nan if v in (None, "") else v for v in table[header]], dtype=float)
        np.testing.assert_allclose(got, expected[key].to_numpy(dtype=float), rtol=rtol, equal_nan=True,
                                   err_msg=header)


def assert_bridge_equals(table: pd.DataFrame, expected: pd.DataFrame, rtol=1e-12) -> None:
    assert tuple(table.columns) == BRIDGE_HEADERS
    assert len(table) == len(expected)
    months = pd.to_datetime(table["Month"]).to_numpy("datetime64[D]")
    np.testing.assert_array_equal(months, expected["month"].to_numpy("datetime64[D]"))
    for key, header in zip(BRIDGE_COLUMNS[1:], BRIDGE_HEADERS[1:]):
        got = table[header].to_numpy(dtype=object)
        assert all(v is None or isinstance(v, (int, float)) for v in got), header  # numbers, not text
        got = np.array([np.nan if v in (None, "") else v for v in got], dtype=float)
        want = expected[key].to_numpy(dtype=float)
        np.testing.assert_allclose(got, want, rtol=rtol, equal_nan=True, err_msg=header)


@pytest.fixture(scope="module")
def books(tmp_path_factory, ledger):
    """Originals and their refreshed copies (refreshed with --output, and again in place)."""
    d = tmp_path_factory.mktemp("books")
    (d / "dot.png").write_bytes(_png())
    cwd = os.getcwd()
    os.chdir(d)
    try:
        write_xlsxwriter_book(d / "xw.xlsx", ledger)
        write_xlsxwriter_book(d / "macro.xlsm", ledger, vba=True)
        write_openpyxl_book(d / "opx.xlsx", ledger)
    finally:
        os.chdir(cwd)
    # no contraction or churn in the last month: its quick ratio is undefined (a blank KPI)
    _ledger_book(d / "blank.xlsx", [["a", "2024-01-01", 10.0], ["a", "2024-02-01", 12.0]])
    out = d / "out"
    out.mkdir()
    for name in ("xw.xlsx", "macro.xlsm", "opx.xlsx", "blank.xlsx"):
        refresh_file(d / name, out / name)
    return d, out


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("name", ["xw.xlsx", "macro.xlsm", "opx.xlsx"])
def test_every_unowned_part_is_byte_identical(books, name):
    d, out = books
    before, after = members(d / name), members(out / name)
    for part, data in before.items():
        if part in SHARED:
            continue
        assert part in after, f"{part} was dropped"
        assert after[part] == data, f"{part} changed"
    added = set(after) - set(before)
    assert added and all(p.startswith(("xl/worksheets/", "xl/tables/", "xl/drawings/", "xl/charts/")) for p in added)
    if name == "macro.xlsm":
        assert after["xl/vbaProject.bin"] == _vba_bin()
        assert b"macroEnabled" in after["[Content_Types].xml"]


def test_raw_copy_keeps_stored_bytes(books):
    """Unowned members are copied compressed, not re-deflated: same CRC and compressed size."""
    d, out = books
    with zipfile.ZipFile(d / "xw.xlsx") as a, zipfile.ZipFile(out / "xw.xlsx") as b:
        assert b.testzip() is None
        for info in a.infolist():
            if info.filename not in SHARED:
                other = b.getinfo(info.filename)
                assert (other.CRC, other.compress_size) == (info.CRC, info.compress_size)


def test_user_content_kept_in_shared_parts(books):
    d, out = books
    wb_before = openpyxl.load_workbook(d / "xw.xlsx")
    wb_after = openpyxl.load_workbook(out / "xw.xlsx")
    assert wb_after.sheetnames == ["Intro", "Data", *REPORT]
    assert wb_after.defined_names["TotalMRR"].attr_text == wb_before.defined_names["TotalMRR"].attr_text
    assert wb_after["Intro"].defined_names["LocalName"].attr_text == "Intro!$B$3"
    assert wb_after["Intro"]["B2"].value == f"=SUM(Data!C2:C{wb_before['Data'].max_row})"
    assert wb_after["Intro"]["B2"].number_format == "#,##0.00"
    assert wb_after["Intro"]["B2"].font.bold
    styles = members(out / "xw.xlsx")["xl/styles.xml"].decode()
    original = members(d / "xw.xlsx")["xl/styles.xml"].decode()
    # existing entries keep their index: the new styles.xml only appends
    assert styles.count("<xf ") > original.count("<xf ")


@pytest.mark.parametrize("name", ["xw.xlsx", "macro.xlsm", "opx.xlsx"])
def test_bridge_table_equals_mrr_bridge(books, ledger, name):
    _, out = books
    expected = mrr_bridge(ledger, customer="customer_id", month="month", mrr="mrr")
    table = read_table(out / name)
    assert_bridge_equals(table, expected)
    assert table["Customer Churn Rate"].iloc[0] is None  # undefined in month 1: blank, not 0 or text
    assert_monthly_equals(read_table(out / name, "MonthlyKPIs"), monthly_kpis(expected))


def test_report_structure(books):
    _, out = books
    wb = openpyxl.load_workbook(out / "xw.xlsx")
    cohort = wb["Cohort Retention"]
    rules = [r for cf in cohort.conditional_formatting for r in cf.rules]
    assert len(rules) == 2 and all(r.type == "colorScale" for r in rules)
    parts = members(out / "xw.xlsx")  # openpyxl does not load charts: look at the new chart parts
    new_charts = set(parts) - set(members(books[0] / "xw.xlsx"))
    refs = b"".join(parts[p] for p in new_charts if p.startswith("xl/charts/chart"))
    assert b"'MRR Movements'!$F$4:$F$12" in refs  # Churned MRR (negative) of the movements by month, 9 months
    assert b"'MRR Movements'!$A$4:$A$12" in refs
    names = {n: wb.defined_names[n].attr_text for n in wb.defined_names}
    assert names["CohortRetentionLogo"].startswith("'Cohort Retention'!$C$4:")  # right of the cohorts' sizes
    assert "_xlkpi_report" in names


def test_libreoffice_opens_and_computes(books, ledger, tmp_path):
    _, out = books
    results = recalculate([out / "xw.xlsx", out / "macro.xlsm", out / "opx.xlsx", out / "blank.xlsx"],
                          tmp_path / "lo")
    blank = openpyxl.load_workbook(results.pop(), data_only=True)
    kpi = {row[0]: row[1] for row in blank["KPI Summary"].iter_rows(min_row=4, max_col=2, values_only=True)}
    assert kpi["Quick ratio (latest month)"] in (None, "") and kpi["Ending MRR"] == 12
    assert kpi["Net revenue retention (latest month)"] == 1.2
    assert kpi["T12M net revenue retention (12 months)"] in (None, "")  # two months: no twelve-month window
    expected = mrr_bridge(ledger, customer="customer_id", month="month", mrr="mrr")
    last = expected.iloc[-1]
    for path in results:
        wb = openpyxl.load_workbook(path, data_only=True)
        for ws in wb.worksheets:
            errors = [c.coordinate for row in ws.iter_rows() for c in row
                      if isinstance(c.value, str) and c.value.startswith("#")]
            assert not errors, (path.name, ws.title, errors[:5])
        kpi = {row[0]: row[1] for row in wb["KPI Summary"].iter_rows(min_row=4, max_col=2, values_only=True)}
        assert kpi["Latest month"].date() == last["month"].date()
        assert kpi["Ending MRR"] == pytest.approx(last["ending_mrr"], rel=1e-12)
        assert kpi["ARR (12 x ending MRR)"] == pytest.approx(12 * last["ending_mrr"], rel=1e-12)
        # the KPI definition's formula over the movements equals the change of MRR (the bridge identity)
        assert kpi["Net new MRR (latest month)"] == pytest.approx(last["ending_mrr"] - last["starting_mrr"],
                                                                  rel=1e-9, abs=1e-9)
        assert kpi["Net revenue retention (latest month)"] == pytest.approx(last["net_revenue_retention"], rel=1e-12)
        assert kpi["New MRR (all months)"] == pytest.approx(expected["new_mrr"].sum(), rel=1e-12)
        assert_bridge_equals(read_table(path), expected, rtol=1e-9)
        assert_monthly_equals(read_table(path, "MonthlyKPIs"), monthly_kpis(expected), rtol=1e-9)
    # the user's own formulas still compute: SUM over the ledger
    intro = openpyxl.load_workbook(results[0], data_only=True)["Intro"]
    assert intro["B2"].value == pytest.approx(ledger["mrr"].sum(), rel=1e-12)


# --------------------------------------------------------------------------- idempotence


def test_second_refresh_gives_the_same_parts(books, tmp_path):
    _, out = books
    for name in ("xw.xlsx", "macro.xlsm", "opx.xlsx"):
        first = members(out / name)
        again = tmp_path / name
        again.write_bytes((out / name).read_bytes())
        refresh_file(again)  # in place
        second = members(again)
        assert second == first, name
        wb = openpyxl.load_workbook(again)
        assert wb.sheetnames.count("MRR Bridge") == 1
        assert sum("MRRBridge" in ws.tables for ws in wb.worksheets) == 1


def test_report_sheets_keep_their_place_and_user_names_their_sheet(books, tmp_path):
    """A user who moved the report sheets first keeps that order; sheet-local names follow their sheet."""
    _, out = books
    path = tmp_path / "moved.xlsx"
    path.write_bytes((out / "xw.xlsx").read_bytes())
    data = members(path)
    wb_xml = data["xl/workbook.xml"].decode()
    import re
    sheets = re.findall(r"<sheet [^>]*/>", wb_xml)
    moved = wb_xml.replace("".join(sheets), "".join(sheets[2:] + sheets[:2]))
    moved = moved.replace('localSheetId="0"', f'localSheetId="{len(REPORT)}"')  # Intro, after the report
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in data.items():
            z.writestr(k, moved if k == "xl/workbook.xml" else v)
    refresh_file(path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [*REPORT, "Intro", "Data"]
    assert wb["Intro"].defined_names["LocalName"].attr_text == "Intro!$B$3"


# --------------------------------------------------------------------------- bad input


def _ledger_book(path: Path, rows: list[list], sheet: str = "Data", start_row: int = 0) -> None:
    """A plain workbook whose only content is the Ledger table (header on ``start_row``, column B)."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(sheet)
    ws.add_table(start_row, 1, start_row + len(rows), 3, {"name": "Ledger", "data": rows, "columns": [
        {"header": "Customer ID"}, {"header": "Month"}, {"header": "MRR"}]})
    wb.close()


GOOD = [["a", "2024-01-01", 10.0], ["b", "2024-01-01", 20.0], ["a", "2024-02-01", 15.0]]


@pytest.mark.parametrize("bad, column, words", [
    (["c", "2024-02-01", "ten"], "MRR", "not a number"),
    (["c", "2024-13-45", 5.0], "Month", "not a date"),
    (["c", "2024-02-01", -5.0], "MRR", "nets to -5 in Feb 2024"),
])
def test_bad_row_names_sheet_row_column_and_changes_nothing(tmp_path, bad, column, words):
    path = tmp_path / "bad.xlsx"
    # table header on sheet row 3, so the bad row (4th data row) is sheet row 7
    _ledger_book(path, GOOD + [bad], sheet="My Ledger", start_row=2)
    before = path.read_bytes()
    with pytest.raises(UserError) as info:
        refresh_file(path)
    message = str(info.value)
    assert "'My Ledger'" in message and "7" in message and repr(column) in message and words in message
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.xlsx"]  # no temp file left


def test_missing_ledger_table_and_column(tmp_path):
    path = tmp_path / "none.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("S").write("A1", 1)
    wb.close()
    with pytest.raises(UserError, match="no Excel Table named 'Ledger'"):
        refresh_file(path)
    path2 = tmp_path / "nocol.xlsx"
    wb = xlsxwriter.Workbook(str(path2))
    wb.add_worksheet("S").add_table(0, 0, 1, 1, {"name": "Ledger", "data": [["a", 1]],
                                                  "columns": [{"header": "Customer ID"}, {"header": "MRR"}]})
    wb.close()
    with pytest.raises(UserError, match="no column 'Month'"):
        refresh_file(path2)


def test_user_sheet_with_a_report_name_is_never_overwritten(tmp_path):
    path = tmp_path / "clash.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("MRR Bridge").write("A1", "mine")
    wb.add_worksheet("Data").add_table(0, 0, len(GOOD), 2, {"name": "Ledger", "data": GOOD, "columns": [
        {"header": "Customer ID"}, {"header": "Month"}, {"header": "MRR"}]})
    wb.close()
    before = path.read_bytes()
    with pytest.raises(UserError, match="'MRR Bridge' that xl-kpi did not create"):
        refresh_file(path)
    assert path.read_bytes() == before


# --------------------------------------------------------------------------- attacks


def _with_part(src: Path, dst: Path, part: str, data: bytes) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, data if info.filename == part else zin.read(info))


@contextlib.contextmanager
def _peak_memory():
    """Peak bytes Python allocated inside the block (tracemalloc): a memory bound, not a timing."""
    seen = {}
    tracemalloc.start()
    try:
        yield lambda: seen["peak"]
    finally:
        seen["peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def test_entity_bomb_refused_with_bounded_memory(tmp_path):
    good = tmp_path / "good.xlsx"
    _ledger_book(good, GOOD)
    lol = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
           + ']><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&lol9;</workbook>')
    bomb = tmp_path / "bomb.xlsx"
    _with_part(good, bomb, "xl/workbook.xml", lol.encode())
    before = bomb.read_bytes()
    with _peak_memory() as peak:
        with pytest.raises(UserError, match="DTD or entities"):
            refresh_file(bomb)
    # Expanded, &lol9; is a billion "lol"s: refused before any expansion, memory stays small.
    assert peak() < 32 * 2**20
    assert bomb.read_bytes() == before


@pytest.mark.parametrize("part, root", [("xl/worksheets/sheet1.xml", b"<worksheet"), ("xl/sharedStrings.xml", b"<sst")])
def test_entity_in_parts_calamine_reads_refused(tmp_path, part, root):
    """The ledger sheet and shared strings go to calamine, not defusedxml: they are vetted first."""
    good = tmp_path / "good.xlsx"
    _ledger_book(good, GOOD)
    evil = members(good)[part].replace(root, b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + root, 1)
    bomb = tmp_path / "sheetbomb.xlsx"
    _with_part(good, bomb, part, evil)
    with pytest.raises(UserError, match="DTD or entities"):
        refresh_file(bomb)


def test_zip_bomb_refused_without_inflating(tmp_path):
    good = tmp_path / "good.xlsx"
    _ledger_book(good, GOOD)
    bomb = tmp_path / "zipbomb.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
        zout.writestr("xl/media/huge.xml", b" " * (60 * 2**20))  # 60 MB of blanks: > 1000:1
    before = bomb.read_bytes()
    with _peak_memory() as peak:
        with pytest.raises(UserError, match="zip bomb"):
            refresh_file(bomb)
    # Refused from the central directory: the 60 MB member is never inflated.
    assert peak() < 32 * 2**20
    assert bomb.read_bytes() == before


def test_not_a_zip(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("hello")
    with pytest.raises(UserError, match="not an .xlsx/.xlsm workbook"):
        refresh_file(path)


# --------------------------------------------------------------------------- the command line


def test_cli_success_and_errors(tmp_path, capsys):
    path = tmp_path / "ok.xlsx"
    _ledger_book(path, GOOD)
    out = tmp_path / "sub" / "result.xlsx"
    assert cli_main(["refresh", str(path), "--output", str(out)]) == 0
    captured = capsys.readouterr()
    assert (f"refreshed {', '.join(REPORT)} from table 'Ledger' on sheet 'Data' (3 rows read, 2 months: "
            "Jan 2024 - Feb 2024, 2 customers)") in captured.out
    assert read_table(out)["Ending MRR"].tolist() == [30, 15]

    assert cli_main(["refresh", str(tmp_path / "missing.xlsx")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.xlsx: no such file" in err

    assert cli_main(["refresh", str(path), "--output", str(tmp_path / "x.xlsm")]) == 2
    assert "keep the extension" in capsys.readouterr().err

    bad = tmp_path / "bad.xlsx"
    _ledger_book(bad, GOOD + [["c", "2024-02-01", "ten"]])
    assert cli_main(["refresh", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"xl-kpi refresh: error: {bad}: Sheet 'Data', row 5, column 'MRR': 'ten' is not a number")


def test_cli_process_prints_one_line_no_traceback(tmp_path):
    bad = tmp_path / "bad.xlsx"
    _ledger_book(bad, GOOD + [["c", "nonsense", 1.0]])
    proc = subprocess.run([sys.executable, "-m", "xl_kpi.cli", "refresh", str(bad)], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
    assert "'Data'" in proc.stderr and "'Month'" in proc.stderr


def test_progress_callback_runs_from_zero_to_one(tmp_path):
    path = tmp_path / "p.xlsx"
    _ledger_book(path, GOOD)
    seen = []
    refresh_file(path, progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert any("writing" in m for _, m in seen)


# --------------------------------------------------------------------------- calcChain


def _with_calc_chain(src: Path, dst: Path, entries: str) -> None:
    data = members(src)
    data["xl/calcChain.xml"] = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<calcChain xmlns='
                                f'"http://schemas.openxmlformats.org/spreadsheetml/2006/main">{entries}</calcChain>'
                                ).encode()
    data["xl/_rels/workbook.xml.rels"] = data["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/'
                             b'2006/relationships/calcChain" Target="calcChain.xml"/></Relationships>')
    data["[Content_Types].xml"] = data["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-'
                     b'officedocument.spreadsheetml.calcChain+xml"/></Types>')
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in data.items():
            z.writestr(k, v)


def test_calc_chain_loses_only_the_replaced_sheets_entries(books, tmp_path):
    """Excel's calcChain must not name formula cells of a sheet that is gone."""
    _, out = books
    wb_xml = members(out / "xw.xlsx")["xl/workbook.xml"].decode()
    import re
    kpi_id = re.search(r'<sheet name="KPI Summary" sheetId="(\d+)"', wb_xml).group(1)
    mixed = tmp_path / "mixed.xlsx"
    _with_calc_chain(out / "xw.xlsx", mixed, f'<c r="B5" i="{kpi_id}"/><c r="B6"/><c r="B2" i="1"/><c r="B3"/>')
    refresh_file(mixed)
    chain = members(mixed)["xl/calcChain.xml"].decode()
    cells = [dict(re.findall(r'(\w+)="([^"]*)"', c)) for c in re.findall(r"<c [^>]*/>", chain)]
    assert cells == [{"r": "B2", "i": "1"}, {"r": "B3", "i": "1"}]
    only_report = tmp_path / "only.xlsx"
    _with_calc_chain(out / "xw.xlsx", only_report, f'<c r="B5" i="{kpi_id}"/><c r="B6"/>')
    refresh_file(only_report)
    parts = members(only_report)
    assert "xl/calcChain.xml" not in parts
    assert b"calcChain" not in parts["xl/_rels/workbook.xml.rels"] and b"calcChain" not in parts["[Content_Types].xml"]
    assert parts == members(out / "xw.xlsx")  # back to the plain refreshed workbook


def test_prefixed_spreadsheetml_namespace(tmp_path):
    """Some writers (the Open XML SDK) use x:workbook / x:styleSheet; the edits keep that prefix."""
    import re

    plain = tmp_path / "plain.xlsx"
    _ledger_book(plain, GOOD)
    data = members(plain)
    main_ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    for part in ("xl/workbook.xml", "xl/styles.xml"):
        text = data[part].decode().replace(main_ns, main_ns.replace("xmlns=", "xmlns:x="))
        data[part] = re.sub(r"<(/?)([A-Za-z]\w*)(?=[\s/>])", r"<\1x:\2", text).encode()
    path = tmp_path / "prefixed.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in data.items():
            z.writestr(k, v)
    refresh_file(path)
    first = members(path)
    wb_xml = first["xl/workbook.xml"].decode()
    assert '<x:sheet name="MRR Bridge"' in wb_xml and "<x:definedName " in wb_xml and "<sheet " not in wb_xml
    assert "<xf " not in first["xl/styles.xml"].decode()
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Data", *REPORT]
    assert read_table(path)["Ending MRR"].tolist() == [30, 15]
    refresh_file(path)
    assert members(path) == first


@pytest.mark.parametrize("case, words", [
    ("user table on a report sheet", "holds your table 'Mine'"),
    ("name clashes with a report table", "defines the name 'MonthlyKPIs'"),
    ("table named like a report table", "holds a table named 'monthlykpis'"),
])
def test_collisions_with_user_things_are_refused(books, tmp_path, case, words):
    """Whatever the report would overwrite or collide with stops the refresh; the file is unchanged."""
    _, out = books
    path = tmp_path / "c.xlsx"
    data = members(out / "opx.xlsx")
    if case == "user table on a report sheet":
        wb = openpyxl.load_workbook(out / "opx.xlsx")
        from openpyxl.worksheet.table import Table
        ws = wb["Cohort Retention"]
        ws["Z1"], ws["Z2"] = "h", 1
        ws.add_table(Table(displayName="Mine", ref="Z1:Z2"))
        wb.save(path)
    elif case == "name clashes with a report table":
        data["xl/workbook.xml"] = data["xl/workbook.xml"].replace(
            b"</definedNames>", b'<definedName name="MonthlyKPIs">Summary!$A$1</definedName></definedNames>')
    else:  # a fresh workbook (no report yet) whose own table is named like a report table
        from openpyxl.worksheet.table import Table
        wb = openpyxl.Workbook()
        ws = wb.active
        for row in [["Customer ID", "Month", "MRR"], *GOOD]:
            ws.append(row)
        ws.add_table(Table(displayName="Ledger", ref="A1:C4"))
        ws["Z1"], ws["Z2"] = "h", 1
        ws.add_table(Table(displayName="monthlykpis", ref="Z1:Z2"))
        wb.save(path)
    if not path.exists():
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for k, v in data.items():
                z.writestr(k, v)
    before = path.read_bytes()
    with pytest.raises(UserError, match=re.escape(words)):
        refresh_file(path)
    assert path.read_bytes() == before


def test_progress_bar_only_on_a_terminal():
    from xl_kpi.refresh.cli import progress_bar

    class Tty(io.StringIO):
        def isatty(self):
            return True

    assert progress_bar(io.StringIO()) is None  # piped / redirected: no bar
    out = Tty()
    draw = progress_bar(out, width=10)
    draw(0.5, "computing")
    draw(1.0, "done")
    text = out.getvalue()
    assert "\r[#####.....]  50% computing" in text and "\r[##########] 100% done" in text and text.endswith("\n")


# --------------------------------------------------------------------------- the Subscriptions input


def _subscriptions_book(path: Path, subs: pd.DataFrame, columns=("Customer ID", "Start Date", "End Date",
                                                                   "Amount", "Billing Months")) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Subs")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    rows = []
    for r in subs.itertuples():
        end = None if pd.isna(r.end_date) else r.end_date.to_pydatetime()
        full = {"Customer ID": r.customer_id, "Start Date": r.start_date.to_pydatetime(), "End Date": end,
                "Amount": float(r.amount), "Billing Months": int(r.billing_months)}
        rows.append([full[c] for c in columns])
    ws.add_table(0, 0, len(rows), len(columns) - 1, {"name": "Subscriptions", "data": rows, "columns": [
        {"header": c, "format": date if "Date" in c else None} for c in columns]})
    wb.close()


def test_subscriptions_table_is_the_other_known_input(tmp_path):
    from xl_kpi.ledger import subscriptions_to_ledger
    from xl_kpi.sample import generate_subscriptions

    subs = generate_subscriptions(n_customers=40, n_months=10, seed=4)
    path = tmp_path / "subs.xlsx"
    _subscriptions_book(path, subs)
    result = refresh_file(path)
    expected = mrr_bridge(subscriptions_to_ledger(subs))
    assert result.months == len(expected) and result.customers == subs["customer_id"].nunique()
    assert_bridge_equals(read_table(path), expected)
    # without the optional columns every subscription is monthly and still running
    lean = tmp_path / "lean.xlsx"
    _subscriptions_book(lean, subs, columns=("Customer ID", "Start Date", "Amount"))
    refresh_file(lean)
    assert_bridge_equals(read_table(lean), mrr_bridge(subscriptions_to_ledger(subs, end=None, billing_months=None)))


def test_bad_subscription_row_names_sheet_row_column(tmp_path):
    from xl_kpi.sample import generate_subscriptions

    subs = generate_subscriptions(n_customers=5, n_months=6, seed=4)
    subs.loc[2, "end_date"] = subs.loc[2, "start_date"] - pd.Timedelta(days=40)
    path = tmp_path / "badsubs.xlsx"
    _subscriptions_book(path, subs)
    before = path.read_bytes()
    with pytest.raises(UserError) as info:
        refresh_file(path)
    message = str(info.value)
    assert "'Subs'" in message and "4" in message and "'End Date'" in message and "before the start" in message
    assert path.read_bytes() == before


@pytest.mark.parametrize("kind", ["Ledger", "Subscriptions"])
def test_an_input_table_without_rows_is_named_in_the_message(tmp_path, kind):
    path = tmp_path / "empty.xlsx"
    headers = ("Customer ID", "Month", "MRR") if kind == "Ledger" else ("Customer ID", "Start Date", "Amount")
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("Data").add_table(0, 0, 1, 2, {"name": kind, "data": [[None, None, None]],
                                                    "columns": [{"header": h} for h in headers]})
    wb.close()
    before = path.read_bytes()
    with pytest.raises(UserError, match=f"the {kind} table has no data rows"):
        refresh_file(path)
    assert path.read_bytes() == before
