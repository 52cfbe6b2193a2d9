"""A ledger too large for memory is refreshed where it is: the Ibis engine behind ``--ledger big.parquet``.

The threshold (:data:`xl_kpi.engines.LARGE_ROWS`) is lowered for the test so
that a small file takes the path a 10-million-row one takes; the same file
below the threshold goes through the in-memory path, and the two reports
must be the same.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from tests.engine_cases import SOURCE_COLUMNS, assert_frames_match, parquet_ledger, random_ledger
from xl_kpi import engines
from xl_kpi.errors import UserError
from xl_kpi.ledger import LedgerError
from xl_kpi.refresh import refresh_file

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "workbooks" / "subscription_ledger.xlsx"


def sheet_values(path: Path, sheet: str) -> list[tuple]:
    ws = load_workbook(path, read_only=True, data_only=True)[sheet]
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


@pytest.fixture()
def ledger_file(tmp_path):
    return parquet_ledger(tmp_path / "big.parquet", 21, rows=2000, months=20)


@pytest.fixture()
def no_reading(monkeypatch):
    """Lower the threshold, and fail if the source were read into memory."""
    import xl_kpi.sources.ledger_input as ledger_input

    monkeypatch.setattr(engines, "LARGE_ROWS", 100)

    def refuse(*args, **kwargs):
        raise AssertionError("the large ledger was read into memory")

    monkeypatch.setattr(ledger_input, "open_source", refuse)


COLUMNS = SOURCE_COLUMNS


def test_a_large_parquet_ledger_gives_the_in_memory_report(tmp_path, ledger_file, monkeypatch):
    book = tmp_path / "book.xlsx"
    shutil.copyfile(BOOK, book)
    small = refresh_file(book, tmp_path / "numpy.xlsx", ledger=ledger_file, columns=COLUMNS)  # read into memory
    with monkeypatch.context() as m:
        import xl_kpi.sources.ledger_input as ledger_input

        m.setattr(engines, "LARGE_ROWS", 100)
        m.setattr(ledger_input, "open_source", lambda *a, **k: pytest.fail("the large ledger was read"))
        large = refresh_file(book, tmp_path / "ibis.xlsx", ledger=ledger_file, columns=COLUMNS)
    assert "computed in duckdb by the Ibis engine" in large.source
    assert_frames_match(large.bridge, small.bridge)
    assert (large.ledger_rows, large.customers, large.months) == (small.ledger_rows, small.customers, small.months)
    def upto_checks(rows):  # the Data checks block (what each engine's read noticed) may differ: compare above it
        return [r for r in rows[:next((i for i, r in enumerate(rows) if r and r[0] == "Data checks"), len(rows))]]

    for sheet in large.sheets:
        got, want = sheet_values(tmp_path / "ibis.xlsx", sheet), sheet_values(tmp_path / "numpy.xlsx", sheet)
        got, want = upto_checks(got), upto_checks(want)
        assert len(got) == len(want), sheet
        for a, b in zip(got, want):
            assert len(a) == len(b)
            for x, y in zip(a, b):
                if isinstance(x, float) and isinstance(y, float):
                    assert x == pytest.approx(y, rel=1e-9, abs=1e-9), sheet
                elif sheet != "KPI Summary" or not (isinstance(x, str) and "ledger" in x.lower()):
                    assert x == y, (sheet, x, y)  # the stamp names the source, which may say how it was computed


def test_a_bad_row_in_a_large_ledger_is_named_and_the_book_is_unchanged(tmp_path, ledger_file, no_reading):
    df = pd.read_parquet(ledger_file)
    df.loc[1500, "Amount"] = -3e12  # a credit larger than any month: the customer-month nets below 0
    df.to_parquet(ledger_file)
    book = tmp_path / "book.xlsx"
    shutil.copyfile(BOOK, book)
    before = book.read_bytes()
    with pytest.raises(LedgerError) as err:
        refresh_file(book, ledger=ledger_file, columns=COLUMNS)
    assert str(err.value).startswith(f"{ledger_file}: ") and "nets to -" in str(err.value)
    assert "a credit or refund may lower a month's MRR but not below 0" in str(err.value)
    assert book.read_bytes() == before


def test_a_missing_column_names_the_columns_option(tmp_path, ledger_file, no_reading):
    book = tmp_path / "book.xlsx"
    shutil.copyfile(BOOK, book)
    with pytest.raises(UserError, match=r"big.parquet: no column 'Customer ID' for the customer \(its columns: "
                                        r"'Account', 'Invoice Month', 'Amount'\); name yours with --columns "
                                        r"customer=YOUR_COLUMN$"):
        refresh_file(book, ledger=ledger_file)


def test_a_large_duckdb_table_is_analysed_in_the_database(tmp_path, no_reading):
    df = random_ledger(22, rows=1500, months=15)
    db = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(db))
    con.sql("CREATE TABLE ledger AS SELECT customer_id AS \"Customer ID\", month AS \"Month\", mrr AS \"MRR\" FROM df")
    con.close()
    book = tmp_path / "book.xlsx"
    shutil.copyfile(BOOK, book)
    result = refresh_file(book, tmp_path / "out.xlsx", ledger=db, table="ledger")
    assert "computed in duckdb" in result.source
    assert_frames_match(result.bridge, engines.analyse(df, engine="numpy").bridge)
    assert np.isclose(result.bridge["ending_mrr"].sum(), engines.analyse(df).bridge["ending_mrr"].sum())


def test_the_in_place_path_applies_the_workbooks_settings_and_stamps_like_the_in_memory_path(
        tmp_path, ledger_file, monkeypatch):
    """The Settings table's As-of month cuts both paths' reports alike; the stamps (rows read: the rows that are
    not blank, those after the as-of month included), the settings used and the data checks agree."""
    from tests.test_source_settings import summary_texts, with_settings
    import xl_kpi.sources.ledger_input as ledger_input

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")  # the stamp's time, the same for both
    book = with_settings(tmp_path / "book.xlsx", As_of_month="2024-03")
    before = book.read_bytes()
    small = refresh_file(book, tmp_path / "numpy.xlsx", ledger=ledger_file, columns=COLUMNS)
    with monkeypatch.context() as m:
        m.setattr(engines, "LARGE_ROWS", 100)
        m.setattr(ledger_input, "open_source", lambda *a, **k: pytest.fail("the large ledger was read"))
        large = refresh_file(book, tmp_path / "ibis.xlsx", ledger=ledger_file, columns=COLUMNS)
    assert book.read_bytes() == before
    df = pd.read_parquet(ledger_file)
    late = int((df["Invoice Month"] >= "2024-04-01").sum())
    assert late > 0  # the as-of month cuts this ledger
    assert small.months == large.months == 15 and large.as_of == small.as_of == "Mar 2024"
    assert_frames_match(large.bridge, small.bridge)
    assert large.stamp["Rows read"] == small.stamp["Rows read"] == len(df)
    assert large.ledger_rows == small.ledger_rows == len(df) - late
    assert {k: v for k, v in large.stamp.items() if k != "Input table"} == \
        {k: v for k, v in small.stamp.items() if k != "Input table"}
    assert large.settings_used == small.settings_used == ["Settings table: As-of month = 2024-03"]
    names = lambda r: [(c.name, c.count) for c in r.data_checks.checks]  # noqa: E731
    # duplicate rows and near-duplicate ids are found in place as in memory (this ledger has both), with the
    # same examples (rows of the file) and words; no note says something was not checked
    assert names(large) == names(small)
    assert {"duplicate rows", "near-duplicate ids"} <= {c[0] for c in names(large)}
    for name in ("duplicate rows", "near-duplicate ids"):
        check = lambda r: next(c for c in r.data_checks.checks if c.name == name)  # noqa: E731
        assert check(large) == check(small)
    assert not any("not checked" in n for n in large.data_checks.notes)
    ibis_texts = summary_texts(tmp_path / "ibis.xlsx")
    assert [t for t in ibis_texts if t.startswith(("Rows read", "Months", "As-of month"))] == \
        [f"Rows read: {len(df):,}", "Months: Jan 2023 - Mar 2024", "As-of month: Mar 2024"]


@pytest.mark.parametrize("setting, flag", [("Merge_ids_differing_in_case", "--merge-case"),
                                           ("Duplicate_rows", "--drop-duplicates")])
def test_a_setting_the_in_place_path_cannot_apply_is_refused(tmp_path, ledger_file, no_reading, setting, flag):
    from tests.test_source_settings import with_settings

    book = with_settings(tmp_path / "book.xlsx", **{setting: "yes" if "Merge" in setting else "drop"})
    before = book.read_bytes()
    with pytest.raises(UserError, match=rf"big.parquet: {flag} \(or the Settings table's .*\) is not applied to a "
                                        r"ledger of more than 100 rows"):
        refresh_file(book, ledger=ledger_file, columns=COLUMNS)
    assert book.read_bytes() == before


def test_strict_refuses_a_large_ledgers_near_duplicate_ids_as_in_memory(tmp_path, monkeypatch):
    """"acme" / "Acme" in a file analysed in place: the same warning as in memory, refused by --strict, the
    workbook left as it was; without --strict, the report's Data checks block lists it."""
    import xl_kpi.sources.ledger_input as ledger_input
    from tests.engine_cases import check_ledger

    path = tmp_path / "ids.parquet"
    check_ledger().to_parquet(path)
    book = tmp_path / "book.xlsx"
    shutil.copyfile(BOOK, book)
    before = book.read_bytes()
    columns = "customer=customer_id,month=month,mrr=mrr"
    errors, results = [], []
    for large in (False, True):
        with monkeypatch.context() as m:
            if large:
                m.setattr(engines, "LARGE_ROWS", 1)
                m.setattr(ledger_input, "open_source", lambda *a, **k: pytest.fail("the large ledger was read"))
            with pytest.raises(UserError) as err:
                refresh_file(book, ledger=path, columns=columns, strict=True)
            errors.append(str(err.value))
            results.append(refresh_file(book, tmp_path / f"out{large}.xlsx", ledger=path, columns=columns))
    assert book.read_bytes() == before
    assert errors[0] == errors[1]
    assert "refused (--strict): 3 data checks" in errors[1]
    assert ("3 groups of customer ids that differ only in case or leading zeros: 'Acme' (row 1) / 'acme' (row 2), "
            "'0042' (row 3) / '42' (row 6), 'Straße' (row 9) / 'STRASSE' (row 10); counted as different customers"
            ) in errors[1]
    assert "computed in duckdb" in results[1].source
    assert results[0].checks == results[1].checks and len(results[1].checks) == 3
    texts = [str(v) for row in sheet_values(tmp_path / "outTrue.xlsx", "KPI Summary") for v in row if v]
    assert any("differ only in case or leading zeros" in t for t in texts)


def test_full_refunds_give_the_same_cells_on_both_engines_signs_of_zero_included(tmp_path, monkeypatch):
    """Months refunded in full (0.3 - 0.1 - 0.2: a float residue of -2.8e-17, 0 by the money rule), a customer
    whose only month nets to 0 and one churning after a refund: every cell the Ibis engine writes equals the
    in-memory one, and no number is -0.0 (a cell showing "-0")."""
    import math

    rows = [("a", "2024-01-05", 0.3), ("a", "2024-02-05", 0.3), ("a", "2024-02-06", -0.1), ("a", "2024-02-07", -0.2),
            ("b", "2024-01-05", 100.0), ("b", "2024-02-05", 100.0), ("b", "2024-03-05", 100.0),
            ("c", "2024-02-05", 0.1), ("c", "2024-02-05", 0.2), ("c", "2024-02-05", -0.3),
            ("d", "2024-01-05", 0.1), ("d", "2024-01-05", 0.2), ("d", "2024-02-05", 0.3), ("d", "2024-03-05", 0.1),
            ("d", "2024-03-05", 0.2), ("d", "2024-03-05", -0.3), ("e", "2024-03-05", 7.0)]
    df = pd.DataFrame(rows, columns=["Customer ID", "Month", "MRR"])
    src = tmp_path / "refunds.parquet"
    df.assign(Month=pd.to_datetime(df["Month"])).to_parquet(src)
    book = tmp_path / "book.xlsx"
    shutil.copyfile(BOOK, book)
    small = refresh_file(book, tmp_path / "numpy.xlsx", ledger=src)
    monkeypatch.setattr(engines, "LARGE_ROWS", 5)
    large = refresh_file(book, tmp_path / "ibis.xlsx", ledger=src)
    assert "computed in duckdb by the Ibis engine" in large.source
    assert list(small.bridge["ending_mrr"]) == [100.6, 100.3, 107.0]  # a's and c's February, d's March refunded
    assert list(small.bridge["churned_mrr"]) == [0.0, 0.3, 0.3]
    for sheet in large.sheets:
        got, want = sheet_values(tmp_path / "ibis.xlsx", sheet), sheet_values(tmp_path / "numpy.xlsx", sheet)
        assert len(got) == len(want), sheet
        for a, b in zip(got, want):
            for x, y in zip(a, b):
                if isinstance(x, (int, float)) and isinstance(y, (int, float)):
                    assert x == pytest.approx(y, rel=1e-12, abs=1e-12), (sheet, a, b)
                    assert math.copysign(1, x) == math.copysign(1, y) or x != 0, (sheet, a, b)
                    assert not (x == 0 and math.copysign(1, x) < 0), (sheet, a)  # no "-0"
                elif isinstance(x, str) and ("Refreshed" in x or "ledger" in x.lower() or "duckdb" in x):
                    continue  # the stamp's time and the source's description
                else:
                    assert x == y, (sheet, x, y)


@pytest.mark.parametrize("option, value, flag", [("fx", {"EUR": 1.1}, "--fx"), ("amount_unit", "cents", "--amount-unit"),
                                                 ("currency", "EUR", "--currency")])
def test_a_billing_exports_option_for_a_large_ledger_is_refused_as_in_memory(tmp_path, ledger_file, monkeypatch,
                                                                             option, value, flag):
    """The in-place path refused nothing and left ``--fx`` out unsaid (a report in the wrong currency, exit 0);
    it now refuses it in the in-memory path's words, the book unchanged."""
    import xl_kpi.sources.ledger_input as ledger_input

    book = tmp_path / "book.xlsx"
    shutil.copyfile(BOOK, book)
    before = book.read_bytes()
    want = rf"^{flag}: only for billing exports \(--input stripe or baremetrics\), not for the ledger input$"
    with pytest.raises(UserError, match=want):  # in memory
        refresh_file(book, tmp_path / "numpy.xlsx", ledger=ledger_file, columns=COLUMNS, **{option: value})
    with monkeypatch.context() as m:
        m.setattr(engines, "LARGE_ROWS", 100)
        m.setattr(ledger_input, "open_source", lambda *a, **k: pytest.fail("the large ledger was read"))
        with pytest.raises(UserError, match=want):  # where it lives
            refresh_file(book, tmp_path / "ibis.xlsx", ledger=ledger_file, columns=COLUMNS, **{option: value})
    assert book.read_bytes() == before
    assert not (tmp_path / "ibis.xlsx").exists() and not (tmp_path / "numpy.xlsx").exists()


def test_a_database_query_is_counted_only_past_the_threshold(tmp_path, monkeypatch):
    """Whether a ``--query`` is large is known once it has given one row past LARGE_ROWS: it is not run to its end
    for the count (the analysis runs it again). Here a row far past the threshold would raise if it were read."""
    monkeypatch.setattr(engines, "LARGE_ROWS", 100)
    db = tmp_path / "wh.duckdb"
    duckdb.connect(str(db)).close()
    query = ("SELECT 'c' || (i % 7) AS customer_id, DATE '2024-01-01' AS month, 10.0 AS mrr FROM range(200000) t(i) "
             "WHERE CASE WHEN i > 60000 THEN error('read to the end for the count') ELSE true END")
    assert engines.large_table(db, query=query) is not None
    assert engines.large_table(db, query=query.replace("range(200000)", "range(50)")) is None  # 50 rows: not large
