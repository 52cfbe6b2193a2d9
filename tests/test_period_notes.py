"""The quarterly and annual bridges as a reader sees them (the MRR Bridge sheet, both back ends).

A period's customer churn rate can exceed 100 % and its net revenue retention fall below 0 (customers new
inside the period count in its churn, docs/metrics.md): the figure stands, and a note under the table names
the period and its figures and points to the T12M retention. The note is the refresh's own content: written
again (or not) by every refresh, and schema-valid. The "partial" flag is centred, so that it stands apart
from the right-aligned month before it (the two read "Mar 2024partial" when the flag was left-aligned):
checked in the XML, through the live back end, and where LibreOffice prints the words.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet.table import Table

from tests import libreoffice
from tests.ooxml_schema import problems
from xl_kpi.cli import main
from xl_kpi.refresh import refresh_book, refresh_file

#: a and b are the customers at the start of Q2 (active in March); c-g are new in April; b-g churn in May
#: and a in June; h is new in June.  By hand: Q2 starts with 2 customers and 200 MRR; 7 customers churn
#: in it (6 in May, 1 in June) with 700 MRR (600 + 100): churn rate 7 / 2 = 350 %, gross revenue churn
#: 700 / 200 = 350 %, NRR (200 - 700) / 200 = -250 %.  Q1 (March only) has no customer at its start.
ROWS = ([("a", "2024-03-01", 100.0), ("b", "2024-03-01", 100.0)]
        + [(c, "2024-04-01", 100.0) for c in "cdefg"]
        + [("a", "2024-04-01", 100.0), ("b", "2024-04-01", 100.0), ("a", "2024-05-01", 100.0),
           ("h", "2024-06-01", 10.0)])
NOTE = ("Note: 2024-Q2: customer churn rate 350.0% and gross revenue churn rate 350.0% above 100%, net revenue "
        "retention -250.0% below 0.")
WHY = ("Why: customers new inside a quarter count in its churn, while the rates' base is the customers and MRR at "
       "its start. For the retention of a fixed group use the T12M figures (Retention sheet); see docs/metrics.md, "
       '"Quarters and years".')


def hand_q2() -> tuple[float, float, float]:
    """Q2's customer churn rate, gross revenue churn rate and NRR, from ROWS by the catalog's definitions."""
    active = {}
    for c, m, v in ROWS:
        active.setdefault(int(m[5:7]), {})[c] = v
    start = active[3]  # customers at the start of Q2 = March's end
    churned, churned_mrr = 0, 0.0
    for m in (4, 5, 6):
        before, now = active.get(m - 1, {}), active.get(m, {})
        gone = [c for c in before if c not in now]
        churned += len(gone)
        churned_mrr += sum(before[c] for c in gone)
    base = sum(start.values())
    return churned / len(start), churned_mrr / base, (base - churned_mrr) / base


def ledger_book(path: Path, rows) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Ledger"
    ws.append(["Customer ID", "Month", "MRR"])
    for r in rows:
        ws.append(list(r))
    ws.add_table(Table(displayName="Ledger", ref=f"A1:C{len(rows) + 1}"))
    wb.save(path)
    return path


def table_box(ws, name: str) -> tuple[int, int]:
    """(first row, last row) of a table on a sheet."""
    first, last = re.fullmatch(r"[A-Z]+(\d+):[A-Z]+(\d+)", ws.tables[name].ref).groups()
    return int(first), int(last)


def test_hand_computed_q2_is_the_case_of_the_note():
    churn, revenue_churn, nrr = hand_q2()
    assert (churn, revenue_churn, nrr) == (3.5, 3.5, -2.5)
    assert f"{churn:.1%}" in NOTE and f"{nrr:.1%}" in NOTE


def test_a_quarter_with_churn_above_100_percent_has_a_note_under_its_table(tmp_path, capsys):
    path = ledger_book(tmp_path / "book.xlsx", ROWS)
    assert main(["refresh", str(path)]) == 0
    capsys.readouterr()
    ws = openpyxl.load_workbook(path)["MRR Bridge"]
    q1, q_last = table_box(ws, "QuarterlyBridge")
    header = [c.value for c in ws[q1]]
    q2 = next(r for r in ws.iter_rows(min_row=q1 + 1, max_row=q_last) if r[0].value == "2024-Q2")
    got = {h: c.value for h, c in zip(header, q2)}
    churn, revenue_churn, nrr = hand_q2()
    assert got["Customer Churn Rate"] == pytest.approx(churn) and got["Net Revenue Retention"] == pytest.approx(nrr)
    assert got["Gross Revenue Churn Rate"] == pytest.approx(revenue_churn)  # the figures stand, as defined
    # one blank row, then the note: alone in its rows, beside nothing else
    assert ws.cell(q_last + 1, 1).value is None
    assert [ws.cell(q_last + 2, 1).value, ws.cell(q_last + 3, 1).value] == [NOTE, WHY]
    assert all(ws.cell(r, c).value is None for r in (q_last + 2, q_last + 3) for c in range(2, 22))
    # the annual table below it: its year starts with nobody (rates blank), so it has no note
    y1, y_last = table_box(ws, "AnnualBridge")
    assert y1 > q_last + 3
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert sum(t.startswith("Note:") for t in texts) == 1
    assert sum(t.startswith("Why:") for t in texts) == 1
    # the parts written are schema-valid (ECMA-376), the note cells included
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet") and n.endswith(".xml")]
    assert problems(path, sheets) == []
    # the refresh's own content: refreshed from a ledger with no such quarter, the note goes
    wb = openpyxl.load_workbook(path)
    data = wb["Ledger"]
    for r in range(2, len(ROWS) + 2):
        if data.cell(r, 1).value in tuple("bcdefg") and data.cell(r, 2).value.startswith("2024-04"):
            data.cell(r, 2).value = "2024-03-01"  # they are customers at the start of Q2 now, none new in it
    wb.save(path)
    refresh_file(path)
    ws = openpyxl.load_workbook(path)["MRR Bridge"]
    q1, q_last = table_box(ws, "QuarterlyBridge")
    assert not [c.value for row in ws.iter_rows() for c in row
                if isinstance(c.value, str) and c.value.startswith(("Note:", "Why:"))]
    q2 = next(r for r in ws.iter_rows(min_row=q1 + 1, max_row=q_last) if r[0].value == "2024-Q2")
    assert {h: c.value for h, c in zip(header, q2)}["Customer Churn Rate"] <= 1


def data_checks_block(path: Path) -> list[str]:
    """The KPI Summary sheet's Data checks block, one line each (between its header and the stamp's)."""
    ws = openpyxl.load_workbook(path)["KPI Summary"]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    return texts[texts.index("Data checks") + 1:texts.index("This refresh")]


def test_the_note_is_printed_and_in_the_data_checks_block_by_both_engines(tmp_path, capsys, monkeypatch):
    """The note under the quarterly table is printed by the command line and listed in the Data checks block,
    in the same words (one home: period_rate_notes), by the numpy path and by the Ibis engine alike; a figure
    that stands as defined, not a data check: no warning, --strict refreshes."""
    from xl_kpi import engines

    book = ledger_book(tmp_path / "book.xlsx", ROWS)
    assert main(["refresh", str(book)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if line.startswith(("xl-kpi refresh: Note:", "xl-kpi refresh: Why:"))] == [
        f"xl-kpi refresh: {NOTE}", f"xl-kpi refresh: {WHY}"]
    assert not [line for line in err if "warning" in line]
    assert data_checks_block(book)[:3] == ["No data checks", NOTE, WHY]
    assert main(["refresh", str(book), "--strict", "--quiet"]) == 0
    # the same ledger in a Parquet file computed in DuckDB by the Ibis engine (threshold lowered)
    src = tmp_path / "ledger.parquet"
    frame = pd.DataFrame(ROWS, columns=["Customer ID", "Month", "MRR"])
    frame.assign(Month=pd.to_datetime(frame["Month"])).to_parquet(src)
    monkeypatch.setattr(engines, "LARGE_ROWS", 5)
    other = ledger_book(tmp_path / "other.xlsx", [("z", "2024-01-01", 1.0)])
    assert main(["refresh", str(other), "--ledger", str(src)]) == 0
    cap = capsys.readouterr()
    assert "computed in duckdb by the Ibis engine" in cap.out
    assert [line for line in cap.err.splitlines() if line.startswith(("xl-kpi refresh: Note:", "xl-kpi refresh: Why:"))] \
        == [f"xl-kpi refresh: {NOTE}", f"xl-kpi refresh: {WHY}"]
    assert data_checks_block(other)[:3] == ["No data checks", NOTE, WHY]
    # a ledger with no such period: no note anywhere
    calm = ledger_book(tmp_path / "calm.xlsx", [(c, m, v) for c, m, v in ROWS if c in "ah"])
    assert main(["refresh", str(calm)]) == 0
    assert "Note:" not in capsys.readouterr().err
    assert not [t for t in data_checks_block(calm) if t.startswith(("Note:", "Why:"))]


def test_the_live_back_end_writes_the_same_note(tmp_path):
    from tests.test_refresh_live import ledger_book as live_book

    df = pd.DataFrame(ROWS, columns=["customer_id", "month", "mrr"]).assign(month=lambda d: pd.to_datetime(d.month))
    book = live_book(df)
    refresh_book(book)
    sheet = book.sheets["MRR Bridge"]
    table = next(t for t in sheet.tables if t.name == "QuarterlyBridge")
    last = table.range.box[2]
    assert [sheet.grid.get((last + 2, 1)), sheet.grid.get((last + 3, 1))] == [NOTE, WHY]
    # and the partial flag is centred there too (COM's xlCenter)
    r1, c1, r2, c2 = table.range.box
    header = [sheet.grid.get((r1, c)) for c in range(c1, c2 + 1)]
    col = c1 + header.index("Partial")
    assert sheet.grid.get((r1 + 1, col)) == "partial"  # Q1 (March only) is cut by the data's start
    assert sheet.align[(r1 + 1, col)] == -4108
    assert sheet.align.get((r1 + 1, col - 1)) is None  # the Last Month beside it: a number, right-aligned
    # the refresh's own content: gone with the next refresh of data without such a quarter
    data = book.sheets["Data"]
    for (r, c), v in list(data.grid.items()):
        if c == 2 and v in tuple("bcdefg") and data.grid[(r, 3)] == pd.Timestamp("2024-04-01"):
            data.grid[(r, 3)] = pd.Timestamp("2024-03-01").to_pydatetime()
    refresh_book(book)
    texts = [v for v in book.sheets["MRR Bridge"].grid.values() if isinstance(v, str)]
    assert "Quarters" in texts and not [t for t in texts if t.startswith(("Note:", "Why:"))]


def test_the_partial_flag_stands_apart_from_the_month_before_it(tmp_path):
    """The written cell holds "partial", centred (not flush against the right-aligned Last Month); printed by
    LibreOffice, the gap between "Mar 2024" and "partial" is wider than the space inside "Mar 2024"."""
    path = ledger_book(tmp_path / "book.xlsx", ROWS)
    refresh_file(path)
    pdf = libreoffice.render_pdf(path, tmp_path / "pdf")
    words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
                       subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True,
                                      text=True).stdout)
    words = [(float(x0), float(y), float(x1), w) for x0, y, x1, w in words]
    seen = 0
    for i, (x0, y, x1, w) in enumerate(words):
        if w != "partial" or i < 2:
            continue
        (_, my, m1, month), (y0, yy, _x1, year) = words[i - 2], words[i - 1]
        assert (month, year, my, yy) == (month, year, y, y) and re.fullmatch(r"[A-Z][a-z]{2}", month), words[i - 2:i + 1]
        space = y0 - m1  # the space inside "Mar 2024", as printed
        assert x0 - words[i - 1][2] > 3 * space, (month, year, x0 - words[i - 1][2], space)
        seen += 1
    assert seen == 2  # 2024-Q1 and the year 2024 are partial
    wb = openpyxl.load_workbook(path)
    ws = wb["MRR Bridge"]
    for name in ("QuarterlyBridge", "AnnualBridge"):
        r1, r2 = table_box(ws, name)
        header = [c.value for c in ws[r1]]
        col = header.index("Partial") + 1
        flags = [ws.cell(r, col) for r in range(r1 + 1, r2 + 1) if ws.cell(r, col).value]
        assert flags and all(c.value == "partial" for c in flags)
        assert all(c.alignment.horizontal == "center" for c in flags), name
        assert ws.cell(r1 + 1, col - 1).is_date and ws.cell(r1 + 1, col - 1).alignment.horizontal is None


def test_the_excel_function_by_quarter_gives_the_same_figures_and_its_help_says_why():
    """=MRR_BRIDGE(..., "quarter") spills the same Q2 figures as the report's table (no room for a note in a
    spill): the function wizard's help of its period argument says why such a rate happens (<= 255 characters,
    Excel's limit for an argument's help)."""
    import datetime as dt

    from xl_kpi.ledger_excel import SPILL_FUNCTIONS, mrr_bridge_table

    ids = [[c] for c, _, _ in ROWS]
    months = [[dt.datetime.fromisoformat(m)] for _, m, _ in ROWS]
    mrr = [[v] for _, _, v in ROWS]
    table = mrr_bridge_table(ids, months, mrr, "quarter")
    got = dict(zip(table[0], next(r for r in table[1:] if r[0] == "2024-Q2")))
    churn, revenue_churn, nrr = hand_q2()
    assert got["Customer Churn Rate"] == pytest.approx(churn) and got["Net Revenue Retention"] == pytest.approx(nrr)
    help_ = next(f for f in SPILL_FUNCTIONS if f.name == "MRR_BRIDGE").scalars["period"]
    assert "100%" in help_ and "below 0" in help_ and "TRAILING_RETENTION" in help_ and len(help_) <= 255
