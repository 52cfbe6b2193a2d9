"""The command line's head start (:mod:`xl_kpi.refresh.head_start`): the ledger sheet read while the rest is
imported is used only when it is the read the refresh would make, of the file as the refresh found it.

Each case compares the refreshed workbook, part by part, with a refresh without a head start, and counts
the sheet reads calamine made.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from xl_kpi.cli import main as cli_main
from xl_kpi.refresh import file_backend, head_start, refresh_file
from xl_kpi.refresh.head_start import HeadStart

ROOT = Path(__file__).resolve().parents[1]
ROWS = [["a", "2024-01-01", 10.0], ["b", "2024-01-01", 20.0], ["a", "2024-02-01", 15.0], ["c", "2024-03-01", 7.0]]


def make_book(path: Path, rows=ROWS, settings: bool = False) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    if settings:  # a Settings table on a sheet of its own, read before the ledger
        ws = wb.add_worksheet("Settings")
        ws.add_table(0, 0, 1, 1, {"name": "Settings", "data": [["As-of month", "2024-02"]],
                                  "columns": [{"header": "Setting"}, {"header": "Value"}]})
    ws = wb.add_worksheet("Data")
    ws.add_table(0, 0, len(rows), 2, {"name": "Ledger", "data": rows, "columns": [
        {"header": "Customer ID"}, {"header": "Month"}, {"header": "MRR"}]})
    wb.close()
    return path


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


@pytest.fixture
def reads(monkeypatch):
    """The sheets calamine was asked to read, in order (the head start's thread and the refresh's own)."""
    seen: list[str] = []
    real = head_start.read_sheet

    def counting(path, sheet, nrows, label):
        seen.append(sheet)
        return real(path, sheet, nrows, label)

    monkeypatch.setattr(head_start, "read_sheet", counting)
    monkeypatch.setattr(file_backend, "read_sheet", counting)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764590400")  # the same stamp in every refreshed copy
    return seen


@pytest.mark.parametrize("settings", [False, True])
def test_the_command_line_reads_the_ledger_sheet_once_and_writes_what_the_api_writes(tmp_path, reads, settings):
    book = make_book(tmp_path / "book.xlsx", settings=settings)
    refresh_file(book, tmp_path / "api.xlsx")
    assert reads.count("Data") == 1
    reads.clear()
    assert cli_main(["refresh", str(book), "--output", str(tmp_path / "cli.xlsx"), "--quiet"]) == 0
    assert reads.count("Data") == 1  # the head start's read, taken by the refresh (a Settings read left it be)
    assert parts(tmp_path / "cli.xlsx") == parts(tmp_path / "api.xlsx")
    assert gc.isenabled()  # paused for the read, running again after it


@pytest.mark.parametrize("saved", [ROWS[:3] + [["d", "2024-03-01", 1000.0]], ROWS + [["d", "2024-03-01", 1007.0]]],
                         ids=["same rows", "one row more"])
def test_a_save_after_the_head_start_is_read_again(tmp_path, reads, saved):
    """Saved between the head start and the refresh: the early rows are of the old file and are dropped
    (the same table size: by the file's identity; another size: by the rows asked for)."""
    book = make_book(tmp_path / "book.xlsx")
    early = HeadStart.start(book)
    early._thread.join()
    newer = make_book(tmp_path / "newer.xlsx", saved)
    os.replace(newer, book)
    refresh_file(book, tmp_path / "out.xlsx", head_start=early)
    assert reads == ["Data", "Data"]  # the head start's, then the refresh's own
    refresh_file(book, tmp_path / "again.xlsx")
    assert parts(tmp_path / "out.xlsx") == parts(tmp_path / "again.xlsx")  # the new rows (customer d) reported
    march = 1000 if len(saved) == len(ROWS) else 1014  # (d alone; c's 7 + d's 1007)
    assert f"<v>{march}</v>".encode() in parts(tmp_path / "out.xlsx")["xl/worksheets/sheet2.xml"]
    assert gc.isenabled()


def test_no_head_start_for_what_the_refresh_refuses_and_the_same_message(tmp_path, capsys):
    """Not a zip, no Ledger table, a table without header row: no read begins; the refresh names the problem."""
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a zip at all")
    assert HeadStart.start(junk).take("Data", 25, None) is None
    none = tmp_path / "none.xlsx"
    wb = xlsxwriter.Workbook(str(none))
    wb.add_worksheet("Data").write("A1", "x")
    wb.close()
    assert HeadStart.start(none)._thread is None
    assert cli_main(["refresh", str(none), "--quiet"]) == 2
    assert "no Excel Table named 'Ledger'" in capsys.readouterr().err
    assert gc.isenabled()


def test_importing_the_command_line_and_the_head_start_loads_no_pandas():
    """The head start must begin before the heavy imports, or it hides nothing."""
    code = ("import sys, xl_kpi.cli, xl_kpi.refresh.cli, xl_kpi.refresh.head_start; "
            "print(sorted(m for m in ('pandas', 'openpyxl', 'python_calamine') if m in sys.modules)); "
            "import xl_kpi.refresh as r; print(r.BRIDGE_HEADERS[0], r.RefreshResult.__name__)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "Month RefreshResult"


def test_a_sheet_calamine_cannot_read_is_named_as_without_a_head_start(tmp_path, capsys):
    """The head start's read fails in its thread; its message names the book as the refresh does
    (``./book.xlsx`` given: ``book.xlsx``, the label of refresh_file), not as typed."""
    import re

    good = make_book(tmp_path / "good.xlsx")
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as z, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():
            data = z.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":  # a shared-string index past the table's end
                data = re.sub(rb'(<c r="A3"[^>]*><v>)[^<]*', rb"\g<1>99999", data, count=1)
            out.writestr(info, data)
    before = bad.read_bytes()
    typed = f"{tmp_path}{os.sep}.{os.sep}bad.xlsx"
    with pytest.raises(Exception) as direct:
        refresh_file(typed)
    assert cli_main(["refresh", typed, "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"xl-kpi refresh: error: {direct.value}"
    assert err.endswith(f"{tmp_path}{os.sep}bad.xlsx: could not read sheet 'Data': "
                        "Cell string index not found in shared strings table")
    assert bad.read_bytes() == before
    assert gc.isenabled()


@pytest.mark.parametrize("choice, sheets", [("subscriptions", ["Subs"]), ("Ledger", ["Data"])])
def test_another_input_chosen_is_no_head_start_on_the_ledger_sheet(tmp_path, reads, choice, sheets):
    """--input subscriptions with a Ledger table too: the Ledger sheet is not read at all (it was read in the
    thread and dropped, ~100 MB and a second of a core on 300,000 rows for nothing); --input ledger keeps it."""
    book = tmp_path / "book.xlsx"
    wb_rows = [["s1", "2024-01-01", "2024-04-01", 10.0]]
    wb = xlsxwriter.Workbook(str(book))
    ws = wb.add_worksheet("Data")
    ws.add_table(0, 0, len(ROWS), 2, {"name": "Ledger", "data": ROWS, "columns": [
        {"header": "Customer ID"}, {"header": "Month"}, {"header": "MRR"}]})
    ws = wb.add_worksheet("Subs")
    ws.add_table(0, 0, 1, 3, {"name": "Subscriptions", "data": wb_rows, "columns": [
        {"header": h} for h in ("Customer ID", "Start Date", "End Date", "Amount")]})
    wb.close()
    refresh_file(book, tmp_path / "api.xlsx", read={"input": choice})
    assert reads == sheets
    reads.clear()
    assert cli_main(["refresh", str(book), "--input", choice, "--output", str(tmp_path / "cli.xlsx"), "--quiet"]) == 0
    assert reads == sheets  # the chosen table's sheet, read once; no read of another sheet
    assert parts(tmp_path / "cli.xlsx") == parts(tmp_path / "api.xlsx")
    assert gc.isenabled()


def test_a_head_start_not_taken_has_let_go_of_the_book_before_it_is_replaced(tmp_path, monkeypatch):
    """The book's Ledger sheet is read early, but the refresh takes its ledger from a CSV file: the read is
    never taken. It must have ended (calamine closed the file) before the new book replaces the old, or
    Windows refuses the replace ("it is in use"). The read here is slow on purpose (1.5 s), the CSV refresh
    much faster."""
    import time

    from xl_kpi.ooxml import atomic

    events: list[str] = []
    real_read, real_replace = head_start.read_sheet, atomic.os.replace

    def slow_read(path, sheet, nrows, label):
        time.sleep(1.5)
        rows = real_read(path, sheet, nrows, label)
        events.append("read done")
        return rows

    def replace(src, dst):
        if Path(dst).name == "book.xlsx":
            events.append("replace")
        return real_replace(src, dst)

    monkeypatch.setattr(head_start, "read_sheet", slow_read)
    monkeypatch.setattr(atomic.os, "replace", replace)
    book = make_book(tmp_path / "book.xlsx")
    csv = tmp_path / "ledger.csv"
    csv.write_text("Customer ID,Month,MRR\nx,2024-01-01,5\nx,2024-02-01,6\n")
    early = HeadStart.start(book)
    result = refresh_file(book, ledger=str(csv), head_start=early)
    assert events == ["read done", "replace"]
    assert result.bridge["ending_mrr"].tolist() == [5.0, 6.0]  # the CSV's ledger, not the book's
    assert gc.isenabled()
