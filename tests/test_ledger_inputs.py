"""The ledgers finance users really paste (issue "No silent wrong numbers"): each case as a workbook built here,
through the command line and the Python API, the numbers checked against an independent computation written
below, the warning text checked, and the user's file byte-identical whenever a refresh is refused."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.worksheet.table import Table

from xl_kpi.cli import main
from xl_kpi.ledger import LedgerError, cohort_retention, mrr_bridge, subscriptions_to_ledger, validate_ledger

HEADERS = ("Customer ID", "Month", "MRR")


# --------------------------------------------------------------------------- helpers


def book(path: Path, rows, headers=HEADERS, name="Ledger", sheet="Ledger", more=None, settings=None,
         below=(), epoch=None) -> Path:
    """A workbook with one Excel Table of ``rows`` (header on row 1), rows typed below it, a Settings table."""
    wb = openpyxl.Workbook()
    if epoch is not None:
        wb.epoch = epoch
    ws = wb.active
    ws.title = sheet
    ws.append(list(headers))
    for r in rows:
        ws.append(list(r))
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("#") and cell.value.endswith(("!", "A", "?")):
                cell.data_type = "e"  # an Excel error cell, as Excel writes it
    ws.add_table(Table(displayName=name, ref=f"A1:{chr(64 + len(headers))}{len(rows) + 1}"))
    for r in below:
        ws.append(list(r))
    if more:
        more(wb)
    if settings:
        st_ = wb.create_sheet("Settings")
        st_.append(["Setting", "Value", "What it does"])
        for k, v in settings.items():
            st_.append([k, v, ""])
        st_.add_table(Table(displayName="Settings", ref=f"A1:C{len(settings) + 1}"))
    wb.save(path)
    return path


def cli(capsys, *args) -> tuple[int, str, str]:
    code = main(["refresh", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def refused(capsys, path: Path, *flags) -> str:
    """Refresh ``path``; it must be refused with exit 2, one message line, and the file unchanged."""
    before = path.read_bytes()
    code, out, err = cli(capsys, path, *flags)
    assert code == 2, (out, err)
    assert path.read_bytes() == before
    assert "Traceback" not in err
    return err


def report_bridge(path: Path) -> pd.DataFrame:
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb["MRR Bridge"]
    rows = list(ws[ws.tables["MRRBridge"].ref])
    values = [[c.value for c in r] for r in rows]
    return pd.DataFrame(values[1:], columns=values[0])


def summary_texts(path: Path) -> list[str]:
    ws = openpyxl.load_workbook(path)["KPI Summary"]
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


def hand_bridge(rows, months):
    """Independent bridge: rows (customer, (year, month), mrr) -> ending and churned MRR per month of ``months``."""
    total = defaultdict(float)
    for c, m, v in rows:
        total[(c, m)] += v
    ending, churned = [], []
    for i, m in enumerate(months):
        ending.append(sum(v for (c, mm), v in total.items() if mm == m and v > 0))
        if i == 0:
            churned.append(0.0)
            continue
        prev = months[i - 1]
        churned.append(sum(v for (c, mm), v in total.items() if mm == prev and v > 0 and total.get((c, m), 0) <= 0))
    return ending, churned


def month_list(first, n):
    y, m = first
    out = []
    for _ in range(n):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


# --------------------------------------------------------------------------- dates


def european_rows(seed=1):
    rng = random.Random(seed)
    rows, clean = [], []
    for m in range(1, 7):
        for c, base in (("a", 100), ("b", 250), ("c", 40 * m), ("d", 0 if m < 3 else 500)):
            if base == 0:
                continue
            day = rng.randint(1, 28)
            rows.append((c, f"{day:02d}/{m:02d}/2024", float(base)))
            clean.append((c, (2024, m), float(base)))
    return rows, clean


def test_european_text_dates_are_read_day_first_for_the_whole_column(tmp_path, capsys):
    rows, clean = european_rows()
    assert any(int(r[1][:2]) > 12 for r in rows) and any(int(r[1][:2]) <= 12 for r in rows)
    path = book(tmp_path / "eu.xlsx", rows)
    code, out, err = cli(capsys, path)
    assert code == 0, err
    assert "6 months: Jan 2024 - Jun 2024" in out and "table 'Ledger'" in out and f"{len(rows)} rows read" in out
    assert "text dates read day first" in err
    ending, churned = hand_bridge(clean, month_list((2024, 1), 6))
    got = report_bridge(path)
    assert got["Ending MRR"].tolist() == pytest.approx(ending)
    assert got["Churned MRR"].tolist() == pytest.approx(churned)
    # the Python API gives the same
    api = mrr_bridge(pd.DataFrame(rows, columns=["customer_id", "month", "mrr"]))
    assert api["ending_mrr"].tolist() == pytest.approx(ending)


def test_dates_all_on_the_5th_are_refused_until_the_order_is_chosen(tmp_path, capsys):
    rows = [(c, f"05/{m:02d}/2024", 100.0) for m in range(1, 7) for c in "abcd"]
    path = book(tmp_path / "fifth.xlsx", rows)
    err = refused(capsys, path)
    assert "Sheet 'Ledger', column 'Month': every text date could be day first or month first" in err
    assert "'05/01/2024'" in err and "--dayfirst or --monthfirst" in err and "'Date order'" in err
    code, out, _ = cli(capsys, path, "--dayfirst")
    assert code == 0 and "6 months: Jan 2024 - Jun 2024" in out
    code, out, _ = cli(capsys, book(tmp_path / "fifth_us.xlsx", rows), "--monthfirst")
    assert code == 0 and "1 month: May 2024" in out  # month first: 5 January..June are all in May
    # the same as a workbook setting (for the ribbon), which the refresh says it used
    path = book(tmp_path / "fifth_set.xlsx", rows, settings={"Date order": "day first"})
    code, out, err = cli(capsys, path)
    assert code == 0 and "6 months" in out and "Settings table: Date order = day first" in err
    df = pd.DataFrame(rows, columns=["customer_id", "month", "mrr"])
    with pytest.raises(LedgerError, match="every text date could be day first or month first"):
        mrr_bridge(df)
    assert len(mrr_bridge(df, dayfirst=True)) == 6


def test_two_orders_in_one_column_are_refused(tmp_path, capsys):
    path = book(tmp_path / "mixed.xlsx", [("a", "19/01/2024", 1.0), ("b", "01/19/2024", 1.0)])
    err = refused(capsys, path)
    assert "text dates in two orders: '19/01/2024' (sheet 'Ledger' row 2) is day first but '01/19/2024'" in err


def test_serials_follow_the_1900_quirk_and_the_1904_system(tmp_path, capsys):
    df = pd.DataFrame({"customer_id": ["a"] * 4, "month": [1.0, 32.0, 60.0, 61.0], "mrr": [1.0] * 4})
    months = validate_ledger(df)["month"].dt.strftime("%Y-%m-%d").tolist()
    assert months == ["1900-01-01", "1900-02-01", "1900-02-01", "1900-03-01"]  # 60 is the phantom 1900-02-29
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    # 1904 workbook: plain serial numbers count from 1904-01-01; date cells are read as dates
    rows = [("a", 43830.0, 10.0), ("a", dt.datetime(2024, 2, 10), 10.0)]  # 43830 = 2024-01-01 in 1904
    path = book(tmp_path / "mac.xlsx", rows, epoch=CALENDAR_MAC_1904)
    code, out, err = cli(capsys, path)
    assert code == 0, err
    assert "2 months: Jan 2024 - Feb 2024" in out


# --------------------------------------------------------------------------- ids


def test_ids_are_trimmed_and_whole_numbers_are_one_id(tmp_path, capsys):
    rows = [("C", "2024-01-01", 200.0), ("C ", "2024-02-01", 200.0), (123, "2024-01-01", 50.0),
            ("123", "2024-02-01", 50.0), (123.0, "2024-03-01", 50.0), (" C", "2024-03-01", 200.0)]
    path = book(tmp_path / "ids.xlsx", rows)
    code, out, err = cli(capsys, path)
    assert code == 0 and "2 customers" in out
    got = report_bridge(path)
    assert got["Churned MRR"].tolist() == [0, 0, 0] and got["Ending MRR"].tolist() == [250, 250, 250]
    df = pd.DataFrame(rows, columns=["customer_id", "month", "mrr"])
    assert mrr_bridge(df)["churned_mrr"].tolist() == [0, 0, 0]


def test_case_and_leading_zero_near_duplicates_are_a_data_check(tmp_path, capsys):
    rows = [("00123", "2024-01-01", 10.0), (123, "2024-02-01", 10.0), ("d", "2024-01-01", 5.0),
            ("D", "2024-02-01", 5.0)]
    path = book(tmp_path / "near.xlsx", rows)
    code, out, err = cli(capsys, path)
    assert code == 0 and "4 customers" in out
    assert ("warning: 2 groups of customer ids that differ only in case or leading zeros: "
            "'00123' (sheet 'Ledger' row 2) / '123' (sheet 'Ledger' row 3), 'd' (sheet 'Ledger' row 4) / "
            "'D' (sheet 'Ledger' row 5)") in err
    assert any("differ only in case or leading zeros" in t for t in summary_texts(path))
    code, out, _ = cli(capsys, path, "--merge-case")
    assert code == 0 and "3 customers" in out  # d and D merged; 00123 and 123 stay apart (and warned)


def test_booleans_are_not_ids(tmp_path, capsys):
    path = book(tmp_path / "bool.xlsx", [(1, "2024-01-01", 5.0), (True, "2024-01-01", 5.0)])
    err = refused(capsys, path)
    assert "Sheet 'Ledger', row 3, column 'Customer ID': True is not a customer id" in err


# --------------------------------------------------------------------------- rows


def test_rows_pasted_twice_are_reported_and_can_be_dropped(tmp_path, capsys):
    once = [("a", "2024-01-01", 1000.0), ("b", "2024-01-01", 550.0), ("a", "2024-02-01", 1000.0),
            ("b", "2024-02-01", 200.0)]
    path = book(tmp_path / "twice.xlsx", once + once)
    code, out, err = cli(capsys, path)
    assert code == 0
    assert "warning: 4 exact duplicate rows (same customer, month and MRR): sheet 'Ledger' row 6" in err
    assert report_bridge(path)["Ending MRR"].tolist() == [3100, 2400]  # still added up (two equal subscriptions)
    code, out, err = cli(capsys, path, "--drop-duplicates")
    got = report_bridge(path)
    ending, _ = hand_bridge([(c, (2024, int(m[5:7])), v) for c, m, v in once], month_list((2024, 1), 2))
    assert got["Ending MRR"].tolist() == ending == [1550, 1200]
    assert got["Contraction MRR"].tolist() == [0, 350]


def test_blank_rows_are_skipped_and_never_counted(tmp_path, capsys):
    rows = [("a", "2024-01-01", 1.0), (None, None, None), ("b", "2024-01-01", 1.0), ("  ", None, "  "),
            ("c", "2024-01-01", 1.0), ("d", "2024-01-01", 1.0), ("e", "2024-01-01", 1.0), (None, None, None)]
    code, out, _ = cli(capsys, book(tmp_path / "blank.xlsx", rows))
    assert code == 0 and "5 customers" in out and "(5 rows read" in out


def test_rows_typed_below_the_table_are_reported(tmp_path, capsys):
    path = book(tmp_path / "below.xlsx", [("a", "2024-01-01", 10.0)],
                below=[("b", "2024-02-01", 20.0), ("c", "2024-02-01", 5.0)])
    code, out, err = cli(capsys, path)
    assert code == 0
    assert ("warning: 2 rows right below table 'Ledger' are outside the table: sheet 'Ledger' row 3, "
            "sheet 'Ledger' row 4; extend the table to include them") in err
    err = refused(capsys, path, "--strict")
    assert "refused (--strict)" in err and "outside the table" in err


@pytest.mark.parametrize("total_row", [False, True])
def test_rows_typed_below_a_table_are_named_by_their_sheet_row_with_or_without_a_total_row(tmp_path, capsys,
                                                                                          total_row):
    """Rows typed under the table start below its Total Row when it has one: the warning names the rows
    they are on (sheet rows 5 and 6 under a Total Row on row 4; rows 4 and 5 without one)."""
    rows = [("a", "2024-01-01", 10.0), ("b", "2024-01-01", 20.0)]
    typed = [("c", "2024-02-01", 5.0), ("d", "2024-02-01", 7.0)]

    def total(wb):
        ws = wb["Ledger"]
        if total_row:
            ws.insert_rows(4)  # the Total Row right under the data (rows 2-3), the typed rows below it
            ws["A4"], ws["C4"] = "Total", "=SUBTOTAL(109,Ledger[MRR])"
            table = ws.tables["Ledger"]
            table.ref, table.totalsRowCount = "A1:C4", 1

    path = book(tmp_path / "total.xlsx", rows, below=typed, more=total)
    sheet = openpyxl.load_workbook(path)["Ledger"]
    first = 5 if total_row else 4  # where the typed rows really are
    assert [sheet.cell(first, 1).value, sheet.cell(first + 1, 1).value] == ["c", "d"]
    assert (sheet.cell(4, 1).value == "Total") is total_row
    code, out, err = cli(capsys, path)
    assert code == 0, err
    advice = ("move them into the table above its Total Row (insert table rows there, then cut and paste them in); "
              "resizing the table would turn its Total Row into a data row" if total_row else
              "extend the table to include them (drag its lower-right corner, or Table Design > Resize Table)")
    assert (f"warning: 2 rows right below table 'Ledger' are outside the table: sheet 'Ledger' row {first}, "
            f"sheet 'Ledger' row {first + 1}; {advice}") in err
    assert report_bridge(path)["Ending MRR"].tolist() == [30]  # the typed rows are not read


def test_under_a_total_row_the_advice_is_not_to_resize_the_table(tmp_path, capsys):
    """A table's Total Row is its last row and a resize moves no cell (Excel's ListObject.Resize): done as the
    plain advice says, the Total Row becomes a data row (refused, its month blank) and the last typed row the
    Total Row (never read). So under a Total Row the warning says to move the rows above it instead."""
    rows = [("a", "2024-01-01", 10.0), ("b", "2024-01-01", 20.0)]
    typed = [("c", "2024-02-01", 5.0), ("d", "2024-02-01", 7.0)]

    def total(ref):
        def more(wb):
            ws = wb["Ledger"]
            ws.insert_rows(4)
            ws["A4"], ws["C4"] = "Total", "=SUBTOTAL(109,Ledger[MRR])"
            table = ws.tables["Ledger"]
            table.ref, table.totalsRowCount = ref, 1
        return more

    path = book(tmp_path / "total.xlsx", rows, below=typed, more=total("A1:C4"))
    code, out, err = cli(capsys, path)
    assert code == 0, err
    warning = next(line for line in err.splitlines() if "outside the table" in line)
    assert "above its Total Row" in warning and "Resize" not in warning and "extend the table" not in warning
    # what the plain advice would have done: the table resized over the typed rows, nothing moved
    resized = book(tmp_path / "resized.xlsx", rows, below=typed, more=total("A1:C6"))
    assert "Sheet 'Ledger', row 4, column 'Month': the month is blank" in refused(capsys, resized)
    # done as the warning says: the rows inside, above the Total Row, and read
    moved = book(tmp_path / "moved.xlsx", rows + typed, more=lambda wb: (
        wb["Ledger"].__setitem__("A6", "Total"), setattr(wb["Ledger"].tables["Ledger"], "ref", "A1:C6"),
        setattr(wb["Ledger"].tables["Ledger"], "totalsRowCount", 1)))
    code, out, err = cli(capsys, moved)
    assert (code, err) == (0, "")
    assert report_bridge(moved)["Ending MRR"].tolist() == [30, 12]  # a, b in January; c, d in February


@pytest.mark.parametrize("total_row", [False, True])
def test_rows_typed_below_another_workbooks_table_are_reported_too(tmp_path, capsys, total_row):
    """--ledger other.xlsx reads its table as the book's own is read: rows typed under it are not read, so
    they are a warning naming their sheet rows there (under its Total Row when it has one), not dropped
    without a word; --strict refuses, both files untouched."""
    rows = [("a", "2024-01-01", 10.0), ("b", "2024-01-01", 20.0)]
    typed = [("c", "2024-02-01", 5.0), ("d", "2024-02-01", 7.0)]

    def total(wb):
        if total_row:
            ws = wb["Ledger"]
            ws.insert_rows(4)
            ws["A4"], ws["C4"] = "Total", "=SUBTOTAL(109,Ledger[MRR])"
            ws.tables["Ledger"].ref, ws.tables["Ledger"].totalsRowCount = "A1:C4", 1

    other = book(tmp_path / "other.xlsx", rows, below=typed, more=total)
    target = book(tmp_path / "book.xlsx", [("z", "2024-01-01", 1.0)])
    first = 5 if total_row else 4
    advice = "move them into the table above its Total Row" if total_row else "extend the table to include them"
    before = target.read_bytes(), other.read_bytes()
    err = refused(capsys, target, "--ledger", other, "--strict")
    assert other.read_bytes() == before[1]
    assert (f"2 rows right below table 'Ledger' are outside the table: sheet 'Ledger', row {first}, sheet 'Ledger', "
            f"row {first + 1}; {advice}") in err
    code, out, err = cli(capsys, target, "--ledger", other)
    assert code == 0 and f"warning: 2 rows right below table 'Ledger' are outside the table: sheet 'Ledger', row " \
                         f"{first}," in err
    assert report_bridge(target)["Ending MRR"].tolist() == [30]  # the typed rows are not read


def test_error_cells_are_refused_naming_the_error_and_row(tmp_path, capsys):
    path = book(tmp_path / "na.xlsx", [("a", "2024-01-01", 10.0), ("#N/A", "#N/A", "#N/A")])
    err = refused(capsys, path)
    assert "Sheet 'Ledger', row 3, column 'Customer ID': the cell holds the Excel error #N/A" in err
    path = book(tmp_path / "div.xlsx", [("a", "2024-01-01", 10.0), ("b", "2024-01-01", "#DIV/0!")])
    assert "row 3, column 'MRR': the cell holds the Excel error #DIV/0!" in refused(capsys, path)
    df = pd.DataFrame({"customer_id": ["a", "b"], "month": ["2024-01-01"] * 2, "mrr": [1.0, "#N/A"]})
    with pytest.raises(LedgerError, match="Row 3, column 'mrr': the cell holds the Excel error #N/A"):
        mrr_bridge(df)


@pytest.mark.parametrize("row, column, literal, more", [
    (("b", "2024-01-01", "#N/A"), "MRR", "#N/A", ""),
    (("b", "#REF!", 5.0), "Month", "#REF!", ""),
    (("#DIV/0!", "2024-02-01", 5.0), "Customer ID", "#DIV/0!", ""),
    (("#N/A", "#N/A", "#N/A"), "Customer ID", "#N/A", " (2 more error cells)"),  # read as blank: was skipped
], ids=["mrr", "month", "customer", "whole row"])
def test_error_cells_in_another_workbooks_table_are_refused_naming_file_sheet_row_and_column(
        tmp_path, capsys, row, column, literal, more):
    """--ledger other.xlsx: calamine reads an error cell as '', so the row was refused as blank (or, all errors,
    skipped as a blank row): it is refused as the book's own table's error cells are, both books unchanged."""
    other = book(tmp_path / "other.xlsx", [("a", "2024-01-01", 10.0), row, ("c", "2024-02-01", 7.0)], sheet="Data")
    target = book(tmp_path / "book.xlsx", [("z", "2024-01-01", 1.0)])
    before = other.read_bytes()
    err = refused(capsys, target, "--ledger", other)
    assert err == (f"xl-kpi refresh: error: {other}: sheet 'Data', row 3, column {column!r}: the cell holds the "
                   f"Excel error {literal}; fix it or delete the row{more}\n")
    assert other.read_bytes() == before
    # the same cell in the book's own table: the same words
    assert refused(capsys, other).endswith(f"row 3, column {column!r}: the cell holds the Excel error {literal}; "
                                           f"fix it or delete the row{more}\n")


# --------------------------------------------------------------------------- amounts


def test_amounts_with_currency_and_separators(tmp_path, capsys):
    us = [("a", "2024-01-01", "$1,200.00"), ("b", "2024-01-01", "$950"), ("a", "2024-02-01", "(40.00)"),
          ("a", "2024-02-01", "$1,240.00")]
    code, out, err = cli(capsys, book(tmp_path / "us.xlsx", us))
    assert code == 0, err
    assert report_bridge(tmp_path / "us.xlsx")["Ending MRR"].tolist() == [2150, 1200]  # 1240 - 40 (a refund)
    eu = [("a", "2024-01-01", "1.200,00 €"), ("b", "2024-01-01", "3,5 €")]
    code, out, err = cli(capsys, book(tmp_path / "eu.xlsx", eu))
    assert code == 0 and report_bridge(tmp_path / "eu.xlsx")["Ending MRR"].tolist() == [1203.5]
    amb = [("a", "2024-01-01", "3,5"), ("b", "2024-01-01", "1,200")]
    err = refused(capsys, book(tmp_path / "amb.xlsx", amb))
    assert "Sheet 'Ledger', row 3, column 'MRR': '1,200' is ambiguous" in err
    two = [("a", "2024-01-01", "$10"), ("b", "2024-01-01", "€10")]
    assert "amounts in two currencies: '$10' (USD, sheet 'Ledger' row 2) and '€10' (EUR" in \
        refused(capsys, book(tmp_path / "two.xlsx", two))
    df = pd.DataFrame({"customer_id": ["a", "b"], "month": ["2024-01-01"] * 2, "mrr": ["$1,200.00", "1 000"]})
    assert mrr_bridge(df)["ending_mrr"].tolist() == [2200.0]


def test_credits_are_allowed_while_the_month_nets_to_zero_or_more(tmp_path, capsys):
    rows = [("a", "2024-01-01", 100.0), ("a", "2024-02-01", 100.0), ("a", "2024-02-15", -40.0)]
    code, out, _ = cli(capsys, book(tmp_path / "refund.xlsx", rows))
    assert code == 0 and report_bridge(tmp_path / "refund.xlsx")["Ending MRR"].tolist() == [100, 60]
    bad = rows + [("b", "2024-02-01", 10.0), ("b", "2024-02-20", -25.0)]
    err = refused(capsys, book(tmp_path / "neg.xlsx", bad))
    assert ("column 'MRR': customer 'b' nets to -15 in Feb 2024 (sheet 'Ledger' row 5, sheet 'Ledger' row 6); "
            "a credit or refund may lower a month's MRR but not below 0") in err


def test_overflow_tiny_and_complex_amounts(tmp_path, capsys):
    huge = [("a", "2024-01-01", 1e308), ("b", "2024-01-01", 1e308)]
    err = refused(capsys, book(tmp_path / "huge.xlsx", huge))
    assert "the MRR of Jan 2024 adds up to more than a number can hold" in err
    same = [("a", "2024-01-01", 1e308), ("a", "2024-01-05", 1e308)]
    assert "the MRR of customer 'a' in Jan 2024" in refused(capsys, book(tmp_path / "same.xlsx", same))
    tiny = [("a", "2024-01-01", 5e-324), ("a", "2024-02-01", 100.0)]
    code, out, err = cli(capsys, book(tmp_path / "tiny.xlsx", tiny))  # no traceback: amounts are rounded to
    assert code == 0 and "Traceback" not in err  # the money rule's 6 decimals, so 5e-324 is 0 (not active)
    got = report_bridge(tmp_path / "tiny.xlsx")
    assert got["Ending MRR"].tolist() == [0, 100] and got["New MRR"].tolist() == [0, 100]
    df = pd.DataFrame({"customer_id": ["a", "b"], "month": ["2024-01-01"] * 2, "mrr": [1.0, 2 + 3j]})
    with pytest.raises(LedgerError, match=r"Row 3, column 'mrr': \(2\+3j\) is a complex number"):
        mrr_bridge(df)


# --------------------------------------------------------------------------- report month, inputs


def test_a_subscription_list_stops_at_the_current_month(tmp_path, capsys):
    today = dt.date.today()
    subs = [("a", "2024-01-10", "2027-06-30", 100.0), ("b", "2024-01-10", None, 100.0)]
    path = book(tmp_path / "subs.xlsx", subs, headers=("Customer ID", "Start Date", "End Date", "Amount"),
                name="Subscriptions")
    code, out, err = cli(capsys, path)
    assert code == 0, err
    n = (today.year - 2024) * 12 + today.month
    assert f"{n} months" in out and f"{today:%b %Y}" in out
    got = report_bridge(path)
    assert got["Churned MRR"].sum() == 0 and got["Ending MRR"].iloc[-1] == 200  # no false churn headline
    led = subscriptions_to_ledger(pd.DataFrame(subs, columns=["customer_id", "start_date", "end_date", "amount"]),
                                  billing_months=None)
    assert led["month"].max() == pd.Timestamp(today.year, today.month, 1)


def test_a_subscription_inside_one_month_is_named_in_a_note(tmp_path, capsys):
    """Started and ended inside March (sheet row 3): never active at a month end, so no MRR; a note names its
    row (every row's fate is said), not a warning: --strict refreshes."""
    subs = [("a", "2024-01-10", None, 100.0), ("b", "2024-03-05", "2024-03-20", 40.0),
            ("c", "2024-02-01", "2024-04-01", 30.0)]
    path = book(tmp_path / "subs.xlsx", subs, headers=("Customer ID", "Start Date", "End Date", "Amount"),
                name="Subscriptions")
    code, out, err = cli(capsys, path, "--as-of", "2024-04", "--strict")
    assert code == 0, err
    assert err == ("xl-kpi refresh: 1 subscription started and ended inside one month: sheet 'Ledger' row 3; they "
                   "were never active at a month end, so they have no MRR (MRR is a month-end snapshot: "
                   "docs/metrics.md)\n")
    got = report_bridge(path)
    assert got["Ending MRR"].tolist() == [100, 130, 130, 100]  # b nowhere; c in February and March
    assert got["New Customers"].sum() == 2


def test_final_month_churn_appears(tmp_path, capsys):
    # a's last active month is February; nobody is active in March, the last month: its churn shows in March
    rows = [("a", "2024-01-01", 100.0), ("b", "2024-01-01", 75.0), ("a", "2024-02-01", 100.0),
            ("a", "2024-03-01", 0.0)]
    path = book(tmp_path / "last.xlsx", rows)
    code, out, _ = cli(capsys, path)
    got = report_bridge(path)
    ending, churned = hand_bridge([(c, (2024, int(m[5:7])), v) for c, m, v in rows], month_list((2024, 1), 3))
    assert got["Churned MRR"].tolist() == churned == [0, 75, 100]
    df = pd.DataFrame(rows[:3], columns=["customer_id", "month", "mrr"])  # no March row at all
    bridge = mrr_bridge(df, as_of="2024-03")
    assert bridge["churned_mrr"].tolist() == [0, 75, 100] and bridge["ending_mrr"].tolist() == [175, 100, 0]
    code, out, _ = cli(capsys, book(tmp_path / "asof.xlsx", rows[:3]), "--as-of", "2024-03")
    assert code == 0 and "3 months: Jan 2024 - Mar 2024" in out
    assert report_bridge(tmp_path / "asof.xlsx")["Churned MRR"].tolist() == [0, 75, 100]
    assert cohort_retention(df, as_of="2024-03").to_numpy()[0].tolist() == [1.0, 0.5, 0.0]
    # subscriptions ending inside the list (the dbt mrr-playbook shape): churn in the month they end
    subs = pd.DataFrame({"customer_id": ["a", "b"], "start_date": ["2024-01-01", "2024-01-01"],
                         "end_date": ["2024-03-01", "2024-02-01"], "amount": [100.0, 75.0]})
    led = subscriptions_to_ledger(subs, billing_months=None, as_of="2024-03")
    assert mrr_bridge(led, as_of="2024-03")["churned_mrr"].tolist() == [0, 75, 100]


def test_rows_after_the_as_of_month_are_left_out_and_counted(tmp_path, capsys):
    rows = [("a", "2024-01-01", 10.0), ("a", "2024-02-01", 10.0), ("a", "2024-03-01", 10.0)]
    path = book(tmp_path / "cut.xlsx", rows, settings={"As-of month": "2024-02"})
    code, out, err = cli(capsys, path)
    assert code == 0 and "2 months: Jan 2024 - Feb 2024" in out
    assert "warning: 1 row after the as-of month Feb 2024 is left out" in err
    assert "Settings table: As-of month = 2024-02" in err
    code, out, _ = cli(capsys, path, "--as-of", "2024-03")  # the flag overrides the setting
    assert "3 months" in out


def test_subscriptions_beside_the_sample_ledger_are_not_silently_ignored(tmp_path, capsys):
    def subs(wb):
        ws = wb.create_sheet("Subs")
        ws.append(["Customer ID", "Start Date", "Amount"])
        ws.append(["z", "2024-01-01", 30.0])
        ws.add_table(Table(displayName="Subscriptions", ref="A1:C2"))

    path = book(tmp_path / "both.xlsx", [("a", "2024-01-01", 10.0)], more=subs)
    err = refused(capsys, path)
    assert "both 'Ledger' (1 row) and 'Subscriptions' (1 row) hold data; choose one with --input ledger" in err
    code, out, _ = cli(capsys, path, "--input", "Subscriptions", "--as-of", "2024-02")
    assert code == 0 and "table 'Subscriptions' on sheet 'Subs' (1 row read, 2 months" in out


def test_a_month_without_customers_between_active_months_is_a_data_check(tmp_path, capsys):
    rows = [("a", "2024-01-01", 10.0), ("a", "2024-03-01", 10.0), ("a", "2024-04-01", 10.0)]
    code, out, err = cli(capsys, book(tmp_path / "gap.xlsx", rows))
    assert code == 0 and "warning: 1 month with no active customer between active months: Feb 2024" in err


def test_the_report_has_a_data_checks_block_and_a_stamp(tmp_path, capsys):
    once = [("a", "2024-01-01", 10.0), ("b", "2024-01-01", 5.0)]
    path = book(tmp_path / "stamp.xlsx", once + once[:1])
    assert cli(capsys, path)[0] == 0
    texts = summary_texts(path)
    assert "Data checks" in texts and "This refresh" in texts
    assert ("1 exact duplicate row (same customer, month and MRR): sheet 'Ledger' row 4; they are added up; "
            "set 'Duplicate rows' to 'drop' if they were pasted twice") in texts
    for line in ("Refreshed: 2026-01-01 00:00 UTC", "Input table: Ledger (sheet Ledger)", "Rows read: 3",
                 "Months: Jan 2024", "As-of month: Jan 2024"):
        assert line in texts, line
    assert any(t.startswith("xl_kpi version: ") for t in texts)
    clean = book(tmp_path / "clean.xlsx", once)
    assert cli(capsys, clean)[0] == 0 and "No data checks" in summary_texts(clean)


def test_templates_refuse_to_overwrite_without_force(tmp_path, capsys):
    out = tmp_path / "wb"
    assert main(["templates", "--out", str(out)]) == 0
    ledger = out / "subscription_ledger.xlsx"
    ledger.write_bytes(b"the user's data")
    assert main(["templates", "--out", str(out)]) == 2
    assert ledger.read_bytes() == b"the user's data"
    assert "already exist" in capsys.readouterr().err
    assert main(["templates", "--out", str(out), "--force"]) == 0 and ledger.read_bytes() != b"the user's data"


def test_the_ledger_template_ships_a_settings_table_the_refresh_reads(tmp_path, capsys):
    from xl_kpi.ledger.settings import SETTINGS
    from xl_kpi.templates import write_templates

    path = next(p for p in write_templates(tmp_path) if p.name == "subscription_ledger.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Settings"]
    labels = [ws.cell(r, 1).value for r in range(5, 5 + len(SETTINGS))]
    assert labels == [s.label for s in SETTINGS.values()]
    ws.cell(5, 2).value = "2025-06"  # As-of month
    wb.save(path)
    code, out, err = cli(capsys, path)
    assert code == 0 and "Settings table: As-of month = 2025-06" in err and "Jun 2025" in out


# --------------------------------------------------------------------------- property


ids = st.sampled_from(["a", "b", "c", 7, 12, 300])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(ids, st.integers(0, 8), st.sampled_from([0.0, 5.0, 12.5, 100.0])), min_size=1,
                max_size=30), st.randoms(use_true_random=False), st.booleans(), st.booleans())
def test_shuffling_spaces_and_ids_as_text_never_change_the_bridge(rows, rnd, spaces, as_text):
    def frame(rs):
        return pd.DataFrame({"customer_id": pd.Series([r[0] for r in rs], dtype=object),
                             "month": [f"2024-{1 + r[1]:02d}-03" for r in rs], "mrr": [r[2] for r in rs]})

    want = mrr_bridge(frame(rows))
    changed = list(rows)
    rnd.shuffle(changed)

    def alter(i):
        if as_text and isinstance(i, int):
            i = str(i) if rnd.random() < 0.5 else float(i)
        if spaces and isinstance(i, str):
            i = " " * rnd.randint(0, 2) + i + " " * rnd.randint(0, 2)
        return i

    changed = [(alter(i), m, v) for i, m, v in changed]
    got = mrr_bridge(frame(changed))
    pd.testing.assert_frame_equal(got, want)
    ending, churned = hand_bridge([(str(i), (2024, 1 + m), v) for i, m, v in rows],
                                  [(2024, 1 + m) for m in range(min(r[1] for r in rows), max(r[1] for r in rows) + 1)])
    assert want["ending_mrr"].tolist() == pytest.approx(ending)
    assert want["churned_mrr"].tolist() == pytest.approx(churned)


def _fill_ledger(path: Path, rows) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["Ledger"]
    table = ws.tables["Ledger"]
    top = int(table.ref.split(":")[0][1:])
    for r in range(top + 1, ws.max_row + 1):
        for c in range(1, 4):
            ws.cell(r, c).value = None
    for i, row in enumerate(rows, start=top + 1):
        for c, v in enumerate(row, start=1):
            ws.cell(i, c).value = v
    table.ref = f"A{top}:C{top + len(rows)}"
    if table.autoFilter is not None:
        table.autoFilter.ref = table.ref
    wb.save(path)


def test_the_monthly_mrr_sheet_says_plainly_what_it_leaves_out(tmp_path, capsys):
    """LibreOffice computes the template's own Monthly MRR sheet: it agrees with the refresh where it can
    and says where it stops (text months, ledgers longer than its 36 months)."""
    from tests.libreoffice import recalculate
    from xl_kpi.templates import ledger_book

    text_rows = [("a", dt.datetime(2024, 1, 1), 100.0), ("a", "15/02/2024", 100.0), ("b", dt.datetime(2024, 2, 3), 50.0)]
    long_rows = [("a", dt.datetime(2020 + m // 12, m % 12 + 1, 1), 10.0 + m) for m in range(40)]
    src = tmp_path / "src"
    src.mkdir()
    paths = []
    for name, rows in (("text", text_rows), ("long", long_rows)):
        path = ledger_book.build(src / f"{name}.xlsx")
        _fill_ledger(path, rows)
        paths.append(path)
    text, long = (openpyxl.load_workbook(p, data_only=True) for p in recalculate(paths, tmp_path / "out"))
    assert text["Monthly MRR"]["A3"].value == ("1 Month cells are text, not Excel dates: this sheet leaves them "
                                               "out (xl-kpi refresh reads them).")
    assert [text["Monthly MRR"].cell(r, 2).value for r in (5, 6)] == [100, 50]  # the text row is left out, as it says
    assert long["Monthly MRR"]["A3"].value == ("The ledger runs past Dec 2022, the last month here: later months "
                                               "are not shown here (xl-kpi refresh reports them).")
    sheet_mrr = [long["Monthly MRR"].cell(r, 2).value for r in range(5, 41)]
    # the refresh reports all 40 months; the 36 the sheet shows are equal to its first 36
    code, out, _ = cli(capsys, paths[1])
    assert code == 0 and "40 months: Jan 2020 - Apr 2023" in out
    assert sheet_mrr == pytest.approx(report_bridge(paths[1])["Ending MRR"].tolist()[:36])
    code, out, _ = cli(capsys, paths[0])
    assert code == 0 and report_bridge(paths[0])["Ending MRR"].tolist() == [100, 150]  # the refresh reads 15/02/2024
