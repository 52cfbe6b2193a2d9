"""Ownership recorded in the workbook: a refresh replaces only what an earlier refresh wrote.

A newer version may add report sheets.  Simulated here by adding a sheet
function to ``SHEET_FUNCTIONS``: a book refreshed by "the current version",
plus a user's sheet named like the new sheet, refreshed by "the newer
version" must be refused with the user's sheet untouched, in both back
ends; books refreshed by versions before the record (the marker held the
three sheet names only) are read as what those versions wrote.
"""

from __future__ import annotations

import re
import zipfile

import numpy as np
import openpyxl
import pytest
import xlsxwriter

from tests.test_refresh_live import ledger_book, snapshot
from xl_kpi.errors import UserError
from xl_kpi.refresh import refresh_book, refresh_file
from xl_kpi.refresh.ownership import MARKER, parse_marker
from xl_kpi.refresh.report import content
from xl_kpi.refresh.report.model import Block, Column, DefinedName, RangeRef, ReportSheet
from xl_kpi.sample import generate_ledger

GOOD = [["a", "2024-01-01", 10.0], ["b", "2024-01-01", 20.0], ["a", "2024-02-01", 15.0]]
LEGACY_MARKER = '"MRR Bridge|Cohort Retention|KPI Summary"'


@content.report_sheet("Forecast")
def forecast_sheet(data: content.ReportData) -> ReportSheet:
    """A report sheet a newer version adds: a table and a workbook-level name of its own."""
    ending = data.bridge["ending_mrr"].to_numpy(float)
    blk = Block(1, 1, [Column("Next MRR", ending * 1.01, "#,##0.00")], table="ForecastTable")
    return ReportSheet("Forecast", [blk], names=[DefinedName("ForecastRange", RangeRef("Forecast", *blk.body()))])


@pytest.fixture
def newer_version(monkeypatch):
    """The report of a version with one more sheet."""
    monkeypatch.setattr(content, "SHEET_FUNCTIONS", content.SHEET_FUNCTIONS + (forecast_sheet,))


def ledger_file(path, extra_sheet: str | None = None) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    ws.add_table(0, 0, len(GOOD), 2, {"name": "Ledger", "data": GOOD, "columns": [
        {"header": "Customer ID"}, {"header": "Month"}, {"header": "MRR"}]})
    if extra_sheet:
        wb.add_worksheet(extra_sheet).write("A1", "mine")
    wb.close()


def marker_of(path) -> str:
    with zipfile.ZipFile(path) as z:
        text = z.read("xl/workbook.xml").decode()
    return re.search(rf'<definedName name="{MARKER}" hidden="1">([^<]*)</definedName>', text).group(1) \
        .replace("&quot;", '"')


def add_user_sheet(src, dst, name: str) -> None:
    """A copy of ``src`` with one more sheet of the user's (through openpyxl, as a user's tool would)."""
    wb = openpyxl.load_workbook(src)
    wb.create_sheet(name)["A1"] = "my own numbers"
    wb.save(dst)


def with_marker(src, dst, value: str) -> None:
    """A copy of ``src`` whose marker holds ``value`` (what an older version wrote)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/workbook.xml":
                data = re.sub(rf'(<definedName name="{MARKER}" hidden="1">)[^<]*(</definedName>)',
                              lambda m: m.group(1) + value.replace('"', "&quot;") + m.group(2), data.decode()).encode()
            zout.writestr(info, data)


# --------------------------------------------------------------------------- the record


def test_the_marker_records_what_the_refresh_wrote(tmp_path):
    path = tmp_path / "b.xlsx"
    ledger_file(path)
    refresh_file(path)
    record = parse_marker(marker_of(path))
    wb = openpyxl.load_workbook(path)
    report_sheets = [s for s in wb.sheetnames if s != "Data"]
    assert list(record.sheets) == report_sheets
    assert sorted(record.tables) == sorted(t for s in report_sheets for t in wb[s].tables)
    assert sorted(record.names) == sorted(n for n in wb.defined_names if n != MARKER)
    # every element is a text Excel accepts in a formula (at most 255 characters)
    assert all(len(t) <= 255 for t in re.findall(r'"((?:[^"]|"")*)"', marker_of(path)))


# --------------------------------------------------------------------------- file back end


def test_file_a_user_sheet_named_like_a_new_report_sheet_is_refused(tmp_path, newer_version):
    """Refreshed by the current version, then the user adds 'Forecast'; the newer version refuses."""
    path = tmp_path / "b.xlsx"
    ledger_file(path)
    with pytest.MonkeyPatch.context() as m:  # the current version (without the Forecast sheet)
        m.setattr(content, "SHEET_FUNCTIONS", content.SHEET_FUNCTIONS[:-1])
        refresh_file(path)
    mine = tmp_path / "mine.xlsx"
    add_user_sheet(path, mine, "Forecast")
    before = mine.read_bytes()
    with pytest.raises(UserError, match="sheet named 'Forecast' that xl-kpi did not create"):
        refresh_file(mine)
    assert mine.read_bytes() == before


#: What the versions before the record wrote that today's report writes too.
LEGACY_SHEETS = ("MRR Bridge", "Cohort Retention", "KPI Summary")
LEGACY_TABLES = ("MRRBridge", "MonthlyKPIs")


def legacy_book(path, tmp_path):
    """A book as the versions before the record left it: three report sheets with two tables, the
    three-name marker (today's refresh with what those versions did not write taken out again)."""
    ledger_file(path)
    full = tmp_path / "full.xlsx"
    refresh_file(path, full)
    wb = openpyxl.load_workbook(full)
    for ws in wb.worksheets:
        if ws.title not in ("Data", *LEGACY_SHEETS):
            wb.remove(ws)
        elif ws.title != "Data":
            for name in [t for t in ws.tables if t not in LEGACY_TABLES]:
                del ws.tables[name]
    old = tmp_path / "old.xlsx"
    wb.save(old)
    with_marker(old, path, LEGACY_MARKER)


def legacy_live_book(df):
    book = ledger_book(df)
    refresh_book(book)
    for sheet in list(book.sheets):
        if sheet.name not in ("Intro", "Data", *LEGACY_SHEETS):
            book.sheets.remove(sheet)
        for table in [t for t in sheet.tables if t.name not in LEGACY_TABLES and t.name != "Ledger"]:
            sheet.tables.remove(table)
    next(n for n in book.names if n.name == MARKER).refers_to = "=" + LEGACY_MARKER
    return book


def test_file_legacy_marker_user_sheet_named_like_a_new_report_sheet_is_refused(tmp_path):
    """Refreshed before the record existed, then the user adds 'retention'; today's report has 'Retention'."""
    legacy = tmp_path / "legacy.xlsx"
    legacy_book(legacy, tmp_path)
    mine = tmp_path / "mine.xlsx"
    add_user_sheet(legacy, mine, "retention")  # Excel's names ignore case
    before = mine.read_bytes()
    with pytest.raises(UserError, match="sheet named 'retention' that xl-kpi did not create"):
        refresh_file(mine)
    assert mine.read_bytes() == before


def test_file_legacy_marker_is_read_as_what_that_version_wrote(tmp_path):
    """Without a clash, the legacy book's three sheets, two tables and three names are replaced, not refused."""
    legacy = tmp_path / "legacy.xlsx"
    legacy_book(legacy, tmp_path)
    refresh_file(legacy)
    wb = openpyxl.load_workbook(legacy)
    assert wb.sheetnames == ["Data", *content.REPORT_SHEETS[:-1]]  # no segment column: no Segments sheet
    assert parse_marker(marker_of(legacy)).sheets == tuple(wb.sheetnames[1:])
    assert sum("MRRBridge" in wb[s].tables for s in wb.sheetnames) == 1
    assert sum("MonthlyKPIs" in wb[s].tables for s in wb.sheetnames) == 1


def test_file_a_sheet_the_report_no_longer_has_is_removed_with_its_table_and_name(tmp_path, newer_version):
    path = tmp_path / "b.xlsx"
    ledger_file(path)
    refresh_file(path)  # the newer version writes Forecast
    assert "Forecast" in openpyxl.load_workbook(path).sheetnames
    with pytest.MonkeyPatch.context() as m:  # a version without it
        m.setattr(content, "SHEET_FUNCTIONS", content.SHEET_FUNCTIONS[:-1])
        refresh_file(path)
    wb = openpyxl.load_workbook(path)
    assert "Forecast" not in wb.sheetnames and "ForecastRange" not in wb.defined_names
    assert "Forecast" not in parse_marker(marker_of(path)).sheets
    refresh_file(path)  # and back: no longer recorded, not there either, so written again
    assert "Forecast" in openpyxl.load_workbook(path).sheetnames


def test_file_a_recorded_sheet_is_replaced_whatever_its_case(tmp_path):
    path = tmp_path / "b.xlsx"
    ledger_file(path)
    refresh_file(path)
    renamed = tmp_path / "r.xlsx"
    with_marker(path, renamed, marker_of(path).replace("sheet:KPI Summary", "sheet:kpi summary"))
    refresh_file(renamed)
    assert openpyxl.load_workbook(renamed).sheetnames.count("KPI Summary") == 1


# --------------------------------------------------------------------------- live back end


@pytest.fixture
def df():
    return generate_ledger(n_customers=20, n_months=6, seed=3)


def test_live_a_user_sheet_named_like_a_new_report_sheet_is_refused(df, newer_version):
    book = ledger_book(df)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(content, "SHEET_FUNCTIONS", content.SHEET_FUNCTIONS[:-1])
        refresh_book(book)
    book.sheets.add("Forecast", after=book.sheets[-1]).grid[(1, 1)] = "my own numbers"
    before = snapshot(book)
    with pytest.raises(UserError, match="sheet named 'Forecast' that xl-kpi did not create"):
        refresh_book(book)
    assert snapshot(book) == before


def test_live_legacy_marker_is_read_as_what_that_version_wrote(df):
    book = legacy_live_book(df)
    refresh_book(book)
    assert [s.name for s in book.sheets][2:] == list(content.REPORT_SHEETS[:-1])
    record = parse_marker(next(n for n in book.names if n.name == MARKER).refers_to)
    assert record.sheets == content.REPORT_SHEETS[:-1] and "TrailingRetention" in record.tables


def test_live_legacy_marker_user_sheet_named_like_a_new_report_sheet_is_refused(df):
    book = legacy_live_book(df)
    book.sheets.add("MRR Movements", after=book.sheets[-1]).grid[(1, 1)] = "my own list"
    before = snapshot(book)
    with pytest.raises(UserError, match="sheet named 'MRR Movements' that xl-kpi did not create"):
        refresh_book(book)
    assert snapshot(book) == before


def test_live_a_sheet_the_report_no_longer_has_is_emptied_and_stays_recorded(df, newer_version):
    """Deleting a live sheet would turn the user's formulas on it into #REF!: it is emptied instead."""
    book = ledger_book(df)
    refresh_book(book)
    forecast = book.sheets["Forecast"]
    assert forecast.grid and [t.name for t in forecast.tables] == ["ForecastTable"]
    with pytest.MonkeyPatch.context() as m:
        m.setattr(content, "SHEET_FUNCTIONS", content.SHEET_FUNCTIONS[:-1])
        refresh_book(book)
        assert not forecast.grid and not forecast.tables
        assert "ForecastRange" not in [n.name for n in book.names]
        marker = next(n for n in book.names if n.name == MARKER).refers_to
        assert "Forecast" in parse_marker(marker).sheets
    refresh_book(book)  # the newer version again: its recorded sheet is reused, not refused
    assert np.isclose(book.sheets["Forecast"].grid[(2, 1)], df[df["month"] == df["month"].min()]["mrr"].sum() * 1.01)
