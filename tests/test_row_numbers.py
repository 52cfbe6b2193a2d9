"""Every message and data check that lists rows names them as the user counts them: a CSV's file lines
(blank lines and quoted fields spanning lines included), a workbook's sheet rows (a table that does not
start on row 1), through the Python API and the command line; the user's workbook byte-identical when a
refresh is refused."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet.table import Table

from xl_kpi.cli import main
from xl_kpi.ledger import LedgerError, mrr_bridge, subscriptions_to_ledger, validate_ledger
from xl_kpi.templates.ledger_book import build as build_ledger_book

HEADERS = ["Customer ID", "Month", "MRR"]
#: A ledger with blank lines and a quoted id spanning two lines: record i is not on line i + 2.
CSV_LINES = [
    "Customer ID,Month,MRR",        # line 1
    "a,2024-01-01,100",             # 2
    "",                             # 3
    '"multi',                       # 4: a quoted id over lines 4-5
    'line",2024-01-01,30',          # 5
    "",                             # 6
    "b,2024-01-01,50",              # 7
    "b,2024-01-20,-80",             # 8: b nets to -30 in January
    "a,2024-02-01,100",             # 9
]
CREDIT = "customer 'b' nets to -30 in Jan 2024 (line 7, line 8); a credit or refund may lower a month's MRR but not below 0"


def write_csv(path: Path, lines) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cli(capsys, *args) -> tuple[int, str, str]:
    code = main(["refresh", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def ledger_workbook(path: Path, rows, top: int = 4) -> Path:
    """A workbook whose Ledger table has its header on sheet row ``top`` (a title above it)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Ledger"
    ws.cell(1, 1, "Our subscriptions")
    for j, h in enumerate(HEADERS, 1):
        ws.cell(top, j, h)
    for i, r in enumerate(rows, top + 1):
        for j, v in enumerate(r, 1):
            ws.cell(i, j, v)
    ws.add_table(Table(displayName="Ledger", ref=f"A{top}:C{top + len(rows)}"))
    wb.save(path)
    return path


# --------------------------------------------------------------------------- CSV: file lines


def test_a_csv_credit_refusal_names_the_file_lines(tmp_path):
    path = write_csv(tmp_path / "ledger.csv", CSV_LINES)
    with pytest.raises(LedgerError) as exc:
        mrr_bridge(path, customer="Customer ID", month="Month", mrr="MRR")
    assert str(exc.value) == f"{path}: line 8, column 'MRR': {CREDIT}"  # at the credit (-80), not at the 50


def test_csv_data_checks_name_the_file_lines(tmp_path):
    lines = CSV_LINES[:7] + ["b,2024-01-01,50", "A,2024-02-01,100"]  # line 8 repeats line 7; 'A' beside 'a'
    path = write_csv(tmp_path / "ledger.csv", lines)
    checks = validate_ledger(path, customer="Customer ID", month="Month", mrr="MRR").attrs["checks"]
    assert checks.lines() == [
        "1 exact duplicate row (same customer, month and MRR): line 8; they are added up; set 'Duplicate rows' "
        "to 'drop' if they were pasted twice",
        "1 group of customer ids that differ only in case or leading zeros: 'a' (line 2) / 'A' (line 9); counted "
        "as different customers; make them one id (the Settings table's 'Merge ids differing in case' merges case)",
    ]


def test_csv_text_date_refusal_names_the_file_lines(tmp_path):
    lines = ["Customer ID,Month,MRR", "", "a,13/01/2024,10", "", "b,01/25/2024,10"]
    path = write_csv(tmp_path / "ledger.csv", lines)
    with pytest.raises(LedgerError, match=re.escape("'13/01/2024' (line 3) is day first but '01/25/2024' (line 5) "
                                                    "is month first")):
        mrr_bridge(path, customer="Customer ID", month="Month", mrr="MRR")


def test_a_csv_subscription_list_names_the_file_lines(tmp_path):
    lines = ["customer_id,start_date,amount", "", "a,2024-01-01,10", "", "b,2024-09-01,10"]
    path = write_csv(tmp_path / "subs.csv", lines)
    ledger = subscriptions_to_ledger(path, end=None, billing_months=None, as_of="2024-03")
    assert ledger.attrs["checks"].lines() == [
        "1 subscription starting after the as-of month Mar 2024 is left out: line 5; set a later as-of month to "
        "include them"]


def test_the_command_line_names_csv_lines_and_leaves_the_book_untouched(tmp_path, capsys):
    book = build_ledger_book(tmp_path / "book.xlsx")
    before = book.read_bytes()
    path = write_csv(tmp_path / "ledger.csv", CSV_LINES)
    code, out, err = cli(capsys, book, "--ledger", path)
    assert (code, out) == (2, "") and book.read_bytes() == before
    assert err == f"xl-kpi refresh: error: {path}: line 8, column 'MRR': {CREDIT}\n"
    dup = write_csv(tmp_path / "dup.csv", CSV_LINES[:7] + ["b,2024-01-01,50", "a,2024-02-01,100"])
    code, out, err = cli(capsys, book, "--ledger", dup)
    assert code == 0 and err == (
        "xl-kpi refresh: warning: 1 exact duplicate row (same customer, month and MRR): line 8; they are added "
        "up; set 'Duplicate rows' to 'drop' if they were pasted twice\n")
    summary = openpyxl.load_workbook(book)["KPI Summary"]
    texts = [c.value for row in summary.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("line 8" in t and "duplicate" in t for t in texts)  # the report's Data checks block, too


# --------------------------------------------------------------------------- workbook: sheet rows


ROWS = [("a", "2024-01-01", 100), ("b", "2024-01-01", 50), (None, None, None), ("b", "2024-01-20", -80),
        ("a", "2024-02-01", 100)]  # header on row 4: b's rows are sheet rows 6 and 8 (row 7 blank)


def test_a_workbook_credit_refusal_names_the_sheet_rows(tmp_path, capsys):
    """Placed as every other refusal of a row is (sheet, row, column: the customer-month's largest credit, the
    row taking it below 0, not its first row, the positive 50), the rows that net below 0 listed after it, as a
    CSV's refusal lists its lines."""
    book = ledger_workbook(tmp_path / "book.xlsx", ROWS)
    before = book.read_bytes()
    code, out, err = cli(capsys, book)
    assert (code, out) == (2, "") and book.read_bytes() == before
    assert err == (f"xl-kpi refresh: error: {book}: Sheet 'Ledger', row 8, column 'MRR': customer 'b' nets to -30 "
                   "in Jan 2024 (sheet 'Ledger' row 6, sheet 'Ledger' row 8); a credit or refund may lower a "
                   "month's MRR but not below 0\n")
    bad_amount = ledger_workbook(tmp_path / "text.xlsx", [("a", "2024-01-01", 100), ("b", "2024-01-01", "n/a")])
    code, out, err = cli(capsys, bad_amount)  # the standard placement the credit's message now follows
    assert err == f"xl-kpi refresh: error: {bad_amount}: Sheet 'Ledger', row 6, column 'MRR': 'n/a' is not a number\n"
    df = pd.DataFrame({"customer_id": ["a", "b", "b"], "month": ["2024-01-01"] * 3, "mrr": [5.0, 1.0, -2.0]})
    with pytest.raises(LedgerError) as exc:  # the Python API, without a sheet: "Row 3, column ...", like the others
        validate_ledger(df)
    assert str(exc.value).startswith("Row 4, column 'mrr': customer 'b' nets to -1 in Jan 2024 (row 3, row 4)")
    assert (exc.value.row, exc.value.column) == (4, "mrr")


def test_another_workbook_as_the_ledger_source_names_its_sheet_rows(tmp_path, capsys):
    source = ledger_workbook(tmp_path / "source.xlsx", ROWS)
    book = build_ledger_book(tmp_path / "book.xlsx")
    before = book.read_bytes(), source.read_bytes()
    code, out, err = cli(capsys, book, "--ledger", source)
    assert (code, out) == (2, "") and (book.read_bytes(), source.read_bytes()) == before
    assert "customer 'b' nets to -30 in Jan 2024 (sheet 'Ledger', row 6, sheet 'Ledger', row 8)" in err, err
    assert "sheet 'Ledger', row 8, column 'MRR'" in err


def test_workbook_data_checks_name_the_sheet_rows(tmp_path, capsys):
    rows = [("a", "2024-01-01", 100), ("b", "2024-01-01", 50), (None, None, None), ("b", "2024-01-01", 50),
            ("a", "2024-02-01", 100)]
    book = ledger_workbook(tmp_path / "book.xlsx", rows)
    code, out, err = cli(capsys, book)
    assert code == 0 and err == (
        "xl-kpi refresh: warning: 1 exact duplicate row (same customer, month and MRR): sheet 'Ledger' row 8; "
        "they are added up; set 'Duplicate rows' to 'drop' if they were pasted twice\n")


def test_a_stripe_export_refusal_names_the_csv_line_once(tmp_path, capsys):
    """A subscription canceled at period end with no period end: the line of the CSV, not a frame row too."""
    from tests.test_billing_exports import STRIPE_ROWS, write_stripe

    bad = ("sub_x", "cus_12", 1, "usd", "month", 50.00, "active", "2024-01-01", "", "", "", "2024-03-01", "")
    src = write_stripe(tmp_path / "subs.csv", rows=STRIPE_ROWS[:3] + [bad])
    lines = src.read_text(encoding="utf-8").splitlines()
    src.write_text("\n".join(lines[:3] + [""] + lines[3:]) + "\n", encoding="utf-8")  # a blank line 4: bad is line 6
    book = build_ledger_book(tmp_path / "book.xlsx")
    before = book.read_bytes()
    code, out, err = cli(capsys, book, "--ledger", src, "--input", "stripe", "--as-of", "2024-06")
    assert (code, out) == (2, "") and book.read_bytes() == before
    assert err == (f"xl-kpi refresh: error: {src}: line 6, column 'Current Period End (UTC)': the subscription is "
                   "canceled at the end of its period, but its 'Current Period End (UTC)' is blank (or the column "
                   "is missing)\n")
