"""Ledgers from outside the workbook: CSV, Parquet, DuckDB, SQLite, another workbook.

Every source is written by the test, the refresh runs through the command
line and through ``refresh_file(..., ledger=...)``, and the MRR Bridge read
back from the refreshed workbook is compared with a bridge computed here, in
plain Python, from the same rows.  Bad input: one line, exit 2, BOOK
byte-identical.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import sys
from collections import defaultdict
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from xl_kpi.cli import main as cli_main
from xl_kpi.errors import UserError
from xl_kpi.refresh import refresh_file
from xl_kpi.sources import open_source
from xl_kpi.templates import ledger_book

#: A small ledger with a churn, a reactivation, an expansion and a contraction.
ROWS = [
    ("a", "2024-01-05", 100.0), ("b", "2024-01-09", 50.0), ("c", "2024-01-20", 30.0),
    ("a", "2024-02-01", 120.0), ("c", "2024-02-11", 10.0),
    ("a", "2024-03-03", 120.0), ("b", "2024-03-15", 60.0), ("d", "2024-03-31", 25.0),
    ("a", "2024-04-02", 90.0), ("d", "2024-04-30", 25.0), ("e", "2024-04-01", 5.5),
]


def expected_bridge(rows) -> dict[str, list[float]]:
    """Ending / new / churned / reactivation MRR per month, from the catalog's rules, in plain Python."""
    mrr: dict[tuple[str, tuple[int, int]], float] = defaultdict(float)
    for cust, day, amount in rows:
        d = dt.date.fromisoformat(day) if isinstance(day, str) else day
        mrr[cust, (d.year, d.month)] += amount
    months = sorted({m for _, m in mrr})
    first, last = months[0], months[-1]
    span = []
    y, m = first
    while (y, m) <= last:
        span.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    customers = sorted({c for c, _ in mrr})
    out = defaultdict(list)
    seen: set[str] = set()
    prev: dict[str, float] = {}
    for month in span:
        now = {c: mrr.get((c, month), 0.0) for c in customers if mrr.get((c, month), 0.0) > 0}
        out["Ending MRR"].append(sum(now.values()))
        out["New MRR"].append(sum(v for c, v in now.items() if c not in seen))
        out["Reactivation MRR"].append(sum(v for c, v in now.items() if c in seen and c not in prev))
        out["Churned MRR"].append(sum(v for c, v in prev.items() if c not in now))
        out["Expansion MRR"].append(sum(max(v - prev[c], 0) for c, v in now.items() if c in prev))
        out["Contraction MRR"].append(sum(max(prev[c] - v, 0) for c, v in now.items() if c in prev))
        seen |= set(now)
        prev = now
    out["Month"] = [dt.datetime(y, m, 1) for y, m in span]
    return dict(out)


def bridge_in(book: Path) -> dict[str, list]:
    """The MRR Bridge sheet of a refreshed workbook, column by header."""
    ws = openpyxl.load_workbook(book, data_only=True)["MRR Bridge"]
    rows = list(ws.iter_rows(values_only=True))[1:]  # below the sheet's title row
    header = list(rows[0])
    end = next((i for i, r in enumerate(rows) if r[0] is None), len(rows))  # the quarters follow a blank row
    return {h: [r[j] for r in rows[1:end]] for j, h in enumerate(header)}


def assert_bridge(book: Path, rows=ROWS) -> None:
    got, want = bridge_in(book), expected_bridge(rows)
    assert got["Month"] == want["Month"]
    for col in ("Ending MRR", "New MRR", "Reactivation MRR", "Churned MRR", "Expansion MRR", "Contraction MRR"):
        assert got[col] == pytest.approx(want[col], abs=1e-9), col


@pytest.fixture
def book(tmp_path) -> Path:
    """A ledger workbook whose own Ledger table holds other data (the template's sample rows)."""
    return ledger_book.build(tmp_path / "book.xlsx")


def frame(rows=ROWS, names=("Customer ID", "Month", "MRR")) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(names))


def write_csv(path: Path, rows=ROWS, header="Customer ID,Month,MRR", sep=",") -> Path:
    lines = [header] + [sep.join([c, d, f"{v:g}"]) for c, d, v in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def refresh_cli(book: Path, *args: str) -> int:
    return cli_main(["refresh", str(book), "--quiet", *args])


# --------------------------------------------------------------------------- each source, same report


def test_csv_through_the_command_line(book, tmp_path, capsys):
    src = write_csv(tmp_path / "ledger.csv")
    assert cli_main(["refresh", str(book), "--ledger", str(src)]) == 0
    out = capsys.readouterr().out
    assert f"from {src} (11 ledger rows, 4 months: Jan 2024 - Apr 2024, 5 customers)" in out
    assert_bridge(book)


def test_csv_semicolons_bom_and_mapped_columns(book, tmp_path):
    text = "Account;Invoice Date;Amount;Note\n" + "".join(f"{c};{d};{v:g};x\n" for c, d, v in ROWS)
    src = tmp_path / "export.csv"
    src.write_bytes(b"\xef\xbb\xbf" + text.encode())  # Excel's "CSV UTF-8" writes a byte-order mark
    assert refresh_cli(book, "--ledger", str(src), "--columns", 'customer=Account,month="Invoice Date",mrr=Amount') == 0
    assert_bridge(book)


def test_parquet_with_typed_columns(book, tmp_path):
    df = frame()
    df["Month"] = pd.to_datetime(df["Month"])
    path = tmp_path / "ledger.parquet"
    pq.write_table(pa.Table.from_pandas(df), path)
    assert refresh_cli(book, "--ledger", str(path)) == 0
    assert_bridge(book)


def test_duckdb_table_and_query(book, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE invoices (account VARCHAR, invoice_date DATE, amount DOUBLE, region VARCHAR)")
    con.executemany("INSERT INTO invoices VALUES (?, ?, ?, ?)", [(c, d, v, "eu") for c, d, v in ROWS])
    con.execute("INSERT INTO invoices VALUES ('zz', DATE '2024-02-01', 999, 'us')")
    con.close()
    assert refresh_cli(book, "--ledger", str(path), "--query",
                       "SELECT account, invoice_date, amount FROM invoices WHERE region = 'eu'",
                       "--columns", "customer=account,month=invoice_date,mrr=amount") == 0
    assert_bridge(book)
    # --table reads the whole table: the 'us' row is in
    refresh_file(book, ledger=path, table="invoices", columns="customer=account,month=invoice_date,mrr=amount")
    assert bridge_in(book)["Ending MRR"][1] == pytest.approx(expected_bridge(ROWS)["Ending MRR"][1] + 999)


def test_sqlite_by_its_contents_whatever_the_extension(book, tmp_path):
    path = tmp_path / "billing.data"  # no known extension: the file's first bytes say SQLite
    con = sqlite3.connect(path)
    con.execute('CREATE TABLE "Ledger rows" ("Customer ID" TEXT, "Month" TEXT, "MRR" REAL)')
    con.executemany('INSERT INTO "Ledger rows" VALUES (?, ?, ?)', ROWS)
    con.commit()
    con.close()
    before = path.read_bytes()
    assert refresh_cli(book, "--ledger", str(path), "--table", "Ledger rows") == 0
    assert_bridge(book)
    assert path.read_bytes() == before  # opened read-only


def test_another_workbooks_ledger_table(book, tmp_path):
    other = ledger_book.build(tmp_path / "other.xlsx", blank=True)
    wb = openpyxl.load_workbook(other)
    table_ws = next(ws for ws in wb.worksheets if "Ledger" in ws.tables)
    ref = table_ws.tables["Ledger"].ref
    first = openpyxl.utils.cell.range_boundaries(ref)
    for i, (c, d, v) in enumerate(ROWS):
        r = first[1] + 1 + i
        table_ws.cell(r, first[0], c)
        table_ws.cell(r, first[0] + 1, dt.datetime.fromisoformat(d))
        table_ws.cell(r, first[0] + 2, v)
    table_ws.tables["Ledger"].ref = (f"{openpyxl.utils.get_column_letter(first[0])}{first[1]}:"
                                     f"{openpyxl.utils.get_column_letter(first[2])}{first[1] + len(ROWS)}")
    wb.save(other)
    before = other.read_bytes()
    result = refresh_file(book, ledger=other)
    assert result.ledger_rows == len(ROWS) and result.source == str(other)
    assert_bridge(book)
    assert other.read_bytes() == before


def test_python_sources_dataframe_relation_arrow(book):
    df = frame()
    refresh_file(book, ledger=df)
    assert_bridge(book)
    rel = duckdb.sql("SELECT * FROM df")
    refresh_file(book, ledger=rel)
    assert_bridge(book)
    refresh_file(book, ledger=pa.Table.from_pandas(df))
    assert_bridge(book)


def test_subscription_list_from_a_csv(book, tmp_path):
    src = tmp_path / "subs.csv"
    src.write_text("Customer ID,Start Date,End Date,Amount,Billing Months\n"
                   "a,2024-01-10,2024-03-05,1200,12\n"
                   "b,2024-02-01,,30,\n")
    assert refresh_cli(book, "--ledger", str(src), "--input", "subscriptions", "--as-of", "2024-03") == 0
    # a: 100 in Jan and Feb (ends in March); b: 30 from Feb; reported through the as-of month (March)
    rows = [("a", "2024-01-01", 100.0), ("a", "2024-02-01", 100.0), ("b", "2024-02-01", 30.0), ("b", "2024-03-01", 30.0)]
    assert_bridge(book, rows)


# --------------------------------------------------------------------------- bad input


def _refused(book: Path, capsys, *args: str) -> str:
    before = book.read_bytes()
    assert refresh_cli(book, *args) == 2
    err = capsys.readouterr().err.strip()
    assert book.read_bytes() == before
    assert "\n" not in err and "Traceback" not in err
    return err


def test_csv_bad_value_names_file_line_and_users_column(book, tmp_path, capsys):
    src = tmp_path / "l.csv"
    # a quoted field spanning two lines: the bad row starts on line 5, not row 4
    src.write_text('Account,Invoice Date,Amount\na,2024-01-05,100\n"b\nB",2024-01-09,50\nc,2024-01-09,n/a\n')
    err = _refused(book, capsys, "--ledger", str(src), "--columns", "customer=Account,month=Invoice Date,mrr=Amount")
    assert err == f"xl-kpi refresh: error: {src}: line 5, column 'Amount': 'n/a' is not a number"


def test_bad_sources_are_one_line_and_leave_book_alone(book, tmp_path, capsys):
    assert "no such file" in _refused(book, capsys, "--ledger", str(tmp_path / "missing.csv"))
    write_csv(tmp_path / "l.csv")
    assert "--table: only with a ledger source (--ledger SOURCE" in _refused(book, capsys, "--table", "x")
    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).execute("CREATE TABLE ledger AS SELECT 'a' AS c").close()
    assert "say which table to read (--table NAME; its tables: 'ledger')" in _refused(book, capsys, "--ledger", str(db))
    assert "no table 'nope'" in _refused(book, capsys, "--ledger", str(db), "--table", "nope")
    assert "the query could not be read" in _refused(book, capsys, "--ledger", str(db), "--query", "SELEC 1")
    # read-only: a query cannot change the database
    assert "could not be read" in _refused(book, capsys, "--ledger", str(db), "--query", "DROP TABLE ledger")
    assert duckdb.connect(str(db), read_only=True).execute("SELECT count(*) FROM ledger").fetchone() == (1,)
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"PAR1 not really")
    assert "not a readable Parquet file" in _refused(book, capsys, "--ledger", str(junk))
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("Customer ID,Month,MRR\na,2024-01,1,5\n")
    assert "line 2: 4 fields, but the header line has 3" in _refused(book, capsys, "--ledger", str(ragged))
    assert "--columns: 'custmer' is not a column role of the ledger input" in _refused(
        book, capsys, "--ledger", str(tmp_path / "l.csv"), "--columns", "custmer=Account")


def test_stripe_export_without_input_stripe_gets_a_hint(book, tmp_path, capsys):
    src = tmp_path / "subscriptions.csv"
    src.write_text("id,Customer ID,Interval,Amount,Status,Current Period End (UTC)\n"
                   "sub_1,cus_1,month,10.00,active,2024-02-01 00:00\n")
    assert "looks like a Stripe export: add --input stripe" in _refused(book, capsys, "--ledger", str(src))


def test_missing_extra_is_named(book, tmp_path, capsys, monkeypatch):
    path = tmp_path / "ledger.parquet"
    pq.write_table(pa.Table.from_pandas(frame()), path)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if the extra were not installed
    err = _refused(book, capsys, "--ledger", str(path))
    assert err.endswith("needs the Python package 'pyarrow', which is not installed: pip install \"xl_kpi[warehouse]\"")


def test_open_source_numbers_rows_as_the_user_does(tmp_path):
    src = tmp_path / "l.csv"
    src.write_text("a,b\n1,2\n\n3,4\n")
    t = open_source(src)
    assert t.frame.to_numpy().tolist() == [["1", "2"], ["3", "4"]]
    assert [t.locate(i) for i in range(2)] == ["line 2", "line 4"]
    with pytest.raises(UserError, match="--table and --query are for databases"):
        open_source(src, table="x")


def test_ledger_functions_take_a_path_or_a_relation(tmp_path):
    from xl_kpi.ledger import LedgerError, cohort_retention, mrr_bridge

    src = write_csv(tmp_path / "l.csv", header="customer_id,month,mrr")
    want = expected_bridge(ROWS)
    assert mrr_bridge(src)["ending_mrr"].tolist() == pytest.approx(want["Ending MRR"])
    rel = duckdb.sql(f"SELECT * FROM read_csv('{src}', all_varchar = true)")
    assert mrr_bridge(rel)["new_mrr"].tolist() == pytest.approx(want["New MRR"])
    assert cohort_retention(src).equals(cohort_retention(frame(names=("customer_id", "month", "mrr"))))
    src.write_text("customer_id,month,mrr\na,2024-01-05,1\n\nb,2024-02-01,-3\n")
    with pytest.raises(LedgerError, match=r"l\.csv: line 4, column 'mrr': customer 'b' nets to -3 in Feb 2024"):
        mrr_bridge(src)


@pytest.mark.parametrize("text", [
    "Customer ID,Month,MRR\na,2024-01,1\n\n   \nb,2024-02,2\n,,\nc, 2024-03 ,\n",
    "Customer ID;Month;MRR\r\na;2024-01;1,5\r\nb x;2024-02;2\r\n",
    "Customer ID,Month,MRR\na,2024-01\nb,2024-02,3\n",
    "Customer ID\tMonth\tMRR\na q\t2024-01\t1\n",
])
def test_csv_fast_reader_equals_the_csv_module(tmp_path, text):
    """The C reader (one-line records) and Python's csv module give the same table and line numbers."""
    from xl_kpi.sources.files import _read_one_line_records, _read_records

    fast, slow = _read_one_line_records(text, "x.csv"), _read_records(text, "x.csv")
    assert fast is not None
    # surplus fields or quotes are left to the csv module (the C reader may drop surplus fields silently)
    assert _read_one_line_records("a,b\n1,2,\n", "x.csv") is None
    src = tmp_path / "t.csv"
    src.write_text("a,b\n1,2,\n")
    assert open_source(src).frame.to_numpy().tolist() == [["1", "2"]]
    assert fast.frame.to_numpy().tolist() == slow.frame.to_numpy().tolist()
    assert fast.numbers.tolist() == slow.numbers.tolist()
    assert list(fast.frame.columns) == list(slow.frame.columns)
