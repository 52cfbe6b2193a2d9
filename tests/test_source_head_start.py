"""The command line's head start for a large ``--ledger`` source (:mod:`xl_kpi.refresh.source_head_start`).

The analysis begun early is used only when it is the one the refresh makes; then the report is the one
computed without it, and what it met (a bad row) is refused in the same words, after what the refresh
checks first. Anything else (another as-of month, a changed file, a source that is not large) drops it,
and the refresh computes as always. The threshold is lowered, as in tests/test_engines_refresh.py.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.engine_cases import SOURCE_COLUMNS, assert_frames_match, parquet_ledger, source_ledger
from xl_kpi import engines
from xl_kpi.errors import UserError
from xl_kpi.ledger import LedgerError
from xl_kpi.refresh import refresh_file
from xl_kpi.refresh.source_head_start import SourceHeadStart
from xl_kpi.sources.ledger_input import NOT_LARGE

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "workbooks" / "subscription_ledger.xlsx"
COLUMNS = SOURCE_COLUMNS


@pytest.fixture()
def ledger_file(tmp_path):
    return parquet_ledger(tmp_path / "big.parquet", 31, rows=1500, months=18)


@pytest.fixture()
def book(tmp_path):
    path = tmp_path / "book.xlsx"
    shutil.copyfile(BOOK, path)
    return path


@pytest.fixture()
def large(monkeypatch):
    monkeypatch.setattr(engines, "LARGE_ROWS", 100)


def finished(early: SourceHeadStart) -> SourceHeadStart:
    early._thread.join()
    return early


def forbid_computing(monkeypatch):
    """From here on, the refresh may not compute the analysis itself (only take the head start's)."""
    import xl_kpi.sources.ledger_input as ledger_input

    monkeypatch.setattr(engines, "large_table", lambda *a, **k: pytest.fail("the refresh computed it again"))
    monkeypatch.setattr(ledger_input, "open_source", lambda *a, **k: pytest.fail("the ledger was read"))


def test_the_head_start_is_taken_and_gives_the_report_computed_without_it(tmp_path, book, ledger_file, large,
                                                                          monkeypatch):
    want = refresh_file(book, tmp_path / "plain.xlsx", ledger=str(ledger_file), columns=COLUMNS)
    early = finished(SourceHeadStart.start(str(ledger_file), columns=COLUMNS))
    forbid_computing(monkeypatch)
    got = refresh_file(book, tmp_path / "early.xlsx", ledger=str(ledger_file), columns=COLUMNS, early_source=early)
    assert "computed in duckdb by the Ibis engine" in got.source
    assert_frames_match(got.bridge, want.bridge)
    assert_frames_match(got.trailing, want.trailing)
    assert (got.ledger_rows, got.customers, got.months, got.stamp["Rows read"]) == \
        (want.ledger_rows, want.customers, want.months, want.stamp["Rows read"])
    assert [(c.name, c.count) for c in got.data_checks.checks] == [(c.name, c.count) for c in want.data_checks.checks]
    assert early._thread is None  # taken once


def test_another_as_of_month_drops_it_and_the_refresh_computes_its_own(tmp_path, book, ledger_file, large):
    want = refresh_file(book, tmp_path / "plain.xlsx", ledger=str(ledger_file), columns=COLUMNS, as_of="2024-01")
    early = finished(SourceHeadStart.start(str(ledger_file), columns=COLUMNS))  # no as-of month
    got = refresh_file(book, tmp_path / "early.xlsx", ledger=str(ledger_file), columns=COLUMNS, as_of="2024-01",
                       early_source=early)
    assert got.as_of == want.as_of == "Jan 2024"
    assert got.months == want.months
    assert_frames_match(got.bridge, want.bridge)


def test_other_columns_or_another_source_drop_it(tmp_path, book, ledger_file, large):
    early = finished(SourceHeadStart.start(str(ledger_file), columns="customer=Account"))
    assert early.take(str(ledger_file), None, None, {"customer": "Account", "mrr": "Amount"}, None) is None
    assert early._thread is None  # dropped
    early = finished(SourceHeadStart.start(str(ledger_file), columns=COLUMNS))
    assert early.take(str(tmp_path / "other.parquet"), None, None, {}, None) is None


def test_a_file_changed_since_it_began_is_read_again(tmp_path, book, ledger_file, large):
    early = finished(SourceHeadStart.start(str(ledger_file), columns=COLUMNS))
    df = pd.read_parquet(ledger_file)
    df["Amount"] = df["Amount"] * 2
    df.to_parquet(ledger_file)
    st = os.stat(ledger_file)
    os.utime(ledger_file, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000_000))  # even on a coarse clock
    got = refresh_file(book, tmp_path / "early.xlsx", ledger=str(ledger_file), columns=COLUMNS, early_source=early)
    want = engines.analyse(df, "Account", "Invoice Month", "Amount", engine="numpy")
    assert_frames_match(got.bridge, want.bridge)


def test_a_bad_row_it_met_is_refused_in_the_same_words_and_the_book_is_unchanged(tmp_path, book, ledger_file,
                                                                                 large, monkeypatch):
    df = pd.read_parquet(ledger_file)
    df.loc[700, "Invoice Month"] = pd.NaT
    df.to_parquet(ledger_file)
    before = book.read_bytes()
    with pytest.raises(LedgerError) as plain:
        refresh_file(book, ledger=str(ledger_file), columns=COLUMNS)
    early = finished(SourceHeadStart.start(str(ledger_file), columns=COLUMNS))
    assert early._error is not None  # the thread met it
    forbid_computing(monkeypatch)
    with pytest.raises(LedgerError) as got:
        refresh_file(book, ledger=str(ledger_file), columns=COLUMNS, early_source=early)
    assert str(got.value) == str(plain.value)
    assert str(got.value).startswith(f"{ledger_file}: row 701, column 'Invoice Month': ")
    assert book.read_bytes() == before


def test_what_the_refresh_checks_first_is_still_refused_first(tmp_path, book, ledger_file, large):
    """A setting the in-place path does not apply is refused before the head start's bad row is raised."""
    df = pd.read_parquet(ledger_file)
    df.loc[3, "Amount"] = float("inf")
    df.to_parquet(ledger_file)
    early = finished(SourceHeadStart.start(str(ledger_file), columns=COLUMNS))
    with pytest.raises(UserError, match=r"--merge-case \(or the Settings table's .*\) is not applied"):
        refresh_file(book, ledger=str(ledger_file), columns=COLUMNS, read={"merge_case": True}, early_source=early)


def test_a_source_that_is_not_large_is_read_as_always(tmp_path, book, ledger_file):
    early = finished(SourceHeadStart.start(str(ledger_file), columns=COLUMNS))  # 1,500 rows: not large
    assert early._result is NOT_LARGE
    want = refresh_file(book, tmp_path / "plain.xlsx", ledger=str(ledger_file), columns=COLUMNS)
    got = refresh_file(book, tmp_path / "early.xlsx", ledger=str(ledger_file), columns=COLUMNS, early_source=early)
    assert "Ibis" not in got.source
    assert_frames_match(got.bridge, want.bridge)


def test_a_dropped_head_start_starts_no_query(ledger_file, large):
    """Dropped before its thread reaches the database, the thread stops there (no query nobody takes)."""
    early = SourceHeadStart()
    early.close()
    with pytest.raises(RuntimeError, match="dropped"):
        early._connected(engines.large_table(ledger_file))


def test_the_command_line_starts_it_for_a_ledger_source_and_the_report_is_the_same(tmp_path, book, ledger_file,
                                                                                   large, monkeypatch, capsys):
    from xl_kpi.cli import main
    import xl_kpi.refresh.source_head_start as source_head_start

    started = []
    real = source_head_start.SourceHeadStart.start.__func__

    def start(cls, *args, **kwargs):
        started.append((args, kwargs))
        return real(cls, *args, **kwargs)

    monkeypatch.setattr(source_head_start.SourceHeadStart, "start", classmethod(start))
    refresh_file(book, tmp_path / "plain.xlsx", ledger=str(ledger_file), columns=COLUMNS)  # no head start
    assert main(["refresh", str(book), "--ledger", str(ledger_file), "--columns", COLUMNS,
                 "--output", str(tmp_path / "cli.xlsx"), "--quiet"]) == 0
    assert started == [((str(ledger_file),), {"table": None, "query": None, "columns": COLUMNS, "as_of": None})]
    from openpyxl import load_workbook

    def bridge_cells(path):
        ws = load_workbook(path, read_only=True, data_only=True)["MRR Bridge"]
        return [c for r in ws.iter_rows(values_only=True) for c in r]

    got, plain = bridge_cells(tmp_path / "cli.xlsx"), bridge_cells(tmp_path / "plain.xlsx")
    assert len(got) == len(plain) and sum(isinstance(x, float) for x in got) > 100
    for x, y in zip(got, plain):
        assert x == (pytest.approx(y, rel=1e-12, abs=1e-9) if isinstance(y, float) else y)
    # not for another input format, nor with a setting the in-place path refuses
    started.clear()
    main(["refresh", str(book), "--ledger", str(ledger_file), "--columns", COLUMNS, "--merge-case",
          "--output", str(tmp_path / "x.xlsx"), "--quiet"])
    assert started == []


def test_the_thread_says_when_its_query_begins_or_it_ends(ledger_file, large):
    early = SourceHeadStart.start(str(ledger_file), columns=COLUMNS)
    early.wait_started(timeout=60)
    assert early.started.is_set()
    finished(early)
    none = SourceHeadStart.start(None)
    none.wait_started(timeout=60)  # nothing began: returns at once
    assert not none.started.is_set()


def test_the_command_line_is_let_go_when_the_analysis_gives_its_first_query_not_before(ledger_file, large):
    """The command line's imports wait (wait_started) until the analysis gives the database its first query,
    built and compiled (Python work those imports would slow down), not only until the thread has its table:
    a query compiled and run (to_pyarrow), or a statement making a table (create_table); a look-up before
    that (the current schema) does not count, and the backend is its own again afterwards (the refresh's
    queries are not watched)."""
    from xl_kpi.sources.ledger_input import ExternalLedgerSource

    def connected():
        early, table = SourceHeadStart(), engines.large_table(ledger_file)
        early._connected(table)  # what the thread does when it has its table, here in this thread
        backend = table.get_backend()
        assert early.connected.is_set() and not early.started.is_set()
        assert {"raw_sql", "compile"} <= set(vars(backend))
        assert backend.raw_sql("SELECT 41 + 1").fetchall() == [(42,)]
        assert not early.started.is_set()
        return early, table, backend

    early, table, backend = connected()
    analysis = ExternalLedgerSource(str(ledger_file), columns=COLUMNS)._analyse(table, None)  # the thread's
    assert early.started.is_set() and not {"raw_sql", "compile"} & set(vars(backend))
    assert analysis.rows == 1500
    early, table, backend = connected()
    assert table.count().to_pyarrow().as_py() == 1500 and early.started.is_set()
    early, table, backend = connected()
    backend.create_table("made", table.limit(3), temp=True)
    assert early.started.is_set() and not {"raw_sql", "compile"} & set(vars(backend))
    # a thread that has ended has set both, whatever it met (here: no such column)
    ended = finished(SourceHeadStart.start(str(ledger_file), columns="customer=Nope"))
    assert ended.connected.is_set() and ended.started.is_set()
    ended.wait_started(timeout=60)  # returns at once


def test_the_thread_imports_neither_the_workbook_reader_nor_the_report():
    """What the head start's thread imports runs before its query: not the workbook source, the package
    writer or openpyxl, which the refresh imports meanwhile."""
    import subprocess
    import sys

    code = ("import sys; import xl_kpi.sources.ledger_input, xl_kpi.engines.ibis_engine; "
            "print(sorted(m for m in ('xl_kpi.refresh.workbook_source', 'xl_kpi.refresh.file_backend', 'openpyxl') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- dropped while its thread is in the database


def long_analysis(seconds_before: float = 0.0):
    """An ``_analyse`` whose query runs until interrupted (bounded: some seconds on a loaded machine), after
    ``seconds_before`` in Python (between two queries: an interrupt then stops nothing)."""
    import time

    def analyse(self, table, as_of):
        time.sleep(seconds_before)
        con = table.get_backend().con
        return con.execute("SELECT count(*) FROM range(4000000000) t(i) WHERE i % 7 = 3").fetchall()

    return analyse


@pytest.mark.parametrize("before", [0.0, 0.4], ids=["in a query", "between two queries"])
def test_a_dropped_head_start_has_left_the_database_when_close_returns(ledger_file, large, monkeypatch, before):
    """A daemon thread still inside DuckDB when the interpreter exits (a Ctrl-C during the refresh) aborts the
    process ('terminate called ...', exit -6 instead of 130), and one left running computes beside the
    refresh's own analysis: close() interrupts the thread's query, again until the thread has ended."""
    import xl_kpi.sources.ledger_input as ledger_input

    monkeypatch.setattr(ledger_input.ExternalLedgerSource, "_analyse", long_analysis(before))
    early = SourceHeadStart.start(str(ledger_file), columns=COLUMNS)
    early.wait_started(timeout=60)
    thread = early._thread
    early.close()
    assert not thread.is_alive()


def test_a_ctrl_c_while_the_command_line_waits_for_its_thread_closes_it(tmp_path, book, ledger_file, large,
                                                                         monkeypatch, capsys):
    """Interrupted while waiting for the thread's query to begin, the command line still drops the head
    start (the thread interrupted and ended) and says so as for any Ctrl-C; the book unchanged."""
    from xl_kpi.cli import main
    import xl_kpi.refresh.source_head_start as source_head_start
    import xl_kpi.sources.ledger_input as ledger_input

    monkeypatch.setattr(ledger_input.ExternalLedgerSource, "_analyse", long_analysis())
    threads = []
    real = source_head_start.SourceHeadStart.wait_started

    def wait_started(self, timeout):
        real(self, 60)
        threads.append(self._thread)
        raise KeyboardInterrupt

    monkeypatch.setattr(source_head_start.SourceHeadStart, "wait_started", wait_started)
    before = book.read_bytes()
    assert main(["refresh", str(book), "--ledger", str(ledger_file), "--columns", COLUMNS, "--quiet"]) == 130
    assert capsys.readouterr().err == "xl-kpi refresh: interrupted; nothing was changed\n"
    assert len(threads) == 1 and not threads[0].is_alive()
    assert book.read_bytes() == before


def test_a_file_replaced_by_one_of_its_size_and_modification_time_is_read_again(tmp_path, book, large):
    """A copy that keeps the modification time (cp -p, an unpacked archive, a sync tool) of a file the same
    size: the head start was taken, its numbers those of the file replaced. The stamp holds the inode and
    the status-change time too, which no copy keeps."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    df = source_ledger(31, rows=1500, months=18)
    path, other = tmp_path / "big.parquet", tmp_path / "new.parquet"
    plain = {"use_dictionary": False, "compression": "none", "write_statistics": False}  # a size set by the shape
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, **plain)
    changed = df.assign(Amount=df["Amount"] * 2)
    pq.write_table(pa.Table.from_pandas(changed, preserve_index=False), other, **plain)
    assert os.path.getsize(path) == os.path.getsize(other)
    early = finished(SourceHeadStart.start(str(path), columns=COLUMNS))
    st = os.stat(path)
    os.replace(other, path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    got = refresh_file(book, tmp_path / "early.xlsx", ledger=str(path), columns=COLUMNS, early_source=early)
    want = engines.analyse(changed, "Account", "Invoice Month", "Amount", engine="numpy")
    assert_frames_match(got.bridge, want.bridge)


def test_the_time_reported_counts_the_analysis_where_the_ledger_lives(tmp_path, book, ledger_file, large,
                                                                       monkeypatch, capsys):
    """The summary line's "in N s" and ``RefreshResult.seconds`` count the analysis made where the ledger lives:
    begun in the command line's head start (before its first query, and after it), or by ``refresh_file``
    itself (they counted only what followed it)."""
    from xl_kpi.cli import main

    large_table, analysis_of = engines.large_table, engines.analysis_of

    def slow_open(*args, **kwargs):  # before the analysis's first query (the command line waits for that one)
        time.sleep(1.5)
        return large_table(*args, **kwargs)

    def slow_analysis(led):  # after it
        time.sleep(0.5)
        return analysis_of(led)

    monkeypatch.setattr(engines, "large_table", slow_open)
    monkeypatch.setattr(engines, "analysis_of", slow_analysis)
    got = refresh_file(book, tmp_path / "py.xlsx", ledger=str(ledger_file), columns=COLUMNS)
    assert "computed in duckdb by the Ibis engine" in got.source and got.seconds >= 2.0
    assert main(["refresh", str(book), "--ledger", str(ledger_file), "--columns", COLUMNS,
                 "--output", str(tmp_path / "cli.xlsx")]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert "computed in duckdb by the Ibis engine" in line
    assert float(re.search(r" in ([0-9.]+) s$", line).group(1)) >= 2.0, line
