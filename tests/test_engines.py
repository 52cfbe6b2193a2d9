"""The Ibis engine (on DuckDB) gives the numpy path's frames: same columns, dtypes, blanks and numbers to 1e-9."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engine_cases import (HOSTILE_AMOUNTS, HOSTILE_IDS, assert_frames_match, check_ledger, checks_of,
                                money_cases, random_ledger)
from tests.test_ledger import HAND_BRIDGE, MONEY, COUNTS, hand_ledger
from xl_kpi import engines
from xl_kpi.engines.ibis_engine import IbisLedger, ibis_table
from xl_kpi.ledger import LedgerError, prepare_ledger

ROOT = Path(__file__).resolve().parent.parent


def assert_same_analyses(df: pd.DataFrame, led, as_of=None, windows=(1, 3, 12)) -> None:
    """Every analysis of ``led`` equals the numpy path's on ``df`` (through ``as_of``)."""
    ref = prepare_ledger(df, as_of=as_of)
    assert_frames_match(led.bridge(), ref.bridge())
    for basis in ("logo", "revenue"):
        assert_frames_match(led.cohort_matrix(basis), ref.cohort_matrix(basis))
        assert_frames_match(led.cohorts(basis), ref.cohorts(basis))
    for window in windows:
        assert_frames_match(led.trailing_retention(window), ref.trailing_retention(window))
    got, want = led.movements(), ref.movements()
    # row for row: both sort by month, the largest move first, movement type, then customer id (ties included)
    assert_frames_match(got, want)
    assert got["customer"].tolist() == want["customer"].tolist()
    assert (np.diff(got["month"].to_numpy().astype(np.int64)) >= 0).all()
    assert_frames_match(led.monthly_kpis(), ref.monthly_kpis())
    for period in ("month", "quarter", "year"):
        assert_frames_match(led.cohort_sizes(period, 4), ref.cohort_sizes(period, 4))
    assert_frames_match(led.rollup("quarter", 2), ref.rollup("quarter", 2))
    assert (led.n_customers, led.n_rows) == (ref.n_customers, ref.n_rows)


def test_hand_worked_ledger_gives_the_hand_worked_bridge():
    df = hand_ledger()
    df["month"] = pd.to_datetime(df["month"])  # a database column has one type: timestamps
    bridge = IbisLedger(df).bridge()
    expected = pd.DataFrame(list(HAND_BRIDGE.values()), columns=MONEY + COUNTS)
    np.testing.assert_allclose(bridge[MONEY].to_numpy(), expected[MONEY].to_numpy(), atol=1e-9)
    np.testing.assert_array_equal(bridge[COUNTS].to_numpy(), expected[COUNTS].to_numpy())
    assert_same_analyses(df, IbisLedger(df))


def test_tied_movements_come_in_the_numpy_paths_order():
    """Equal changes in one month, customers first seen out of id order: the two engines' rows, row for row."""
    from tests.test_ledger_metrics import TIED_ROWS

    df = pd.DataFrame(TIED_ROWS, columns=["customer_id", "month", "mrr"]).assign(
        month=lambda d: pd.to_datetime(d["month"]))
    got, want = IbisLedger(df).movements(), prepare_ledger(df).movements()
    assert got["customer"].tolist() == want["customer"].tolist() == ["a", "b", "c", "10", "9", "10", "9", "b", "c", "a"]
    assert_frames_match(got, want)


rows = st.lists(st.tuples(st.sampled_from(HOSTILE_IDS), st.integers(0, 13), st.integers(1, 28),
                          st.one_of(st.sampled_from(HOSTILE_AMOUNTS), st.floats(0, 1e6))),
                min_size=1, max_size=60)


@settings(max_examples=30, deadline=None)
@given(rows, st.booleans())
def test_random_hostile_ledgers_agree_with_the_numpy_path(rows, as_text):
    ids, month, day, mrr = zip(*rows)
    month = np.array(month)
    stamps = pd.to_datetime({"year": 2023 + month // 12, "month": month % 12 + 1, "day": np.array(day)})
    df = pd.DataFrame({"customer_id": pd.Series(ids, dtype=object), "month": stamps, "mrr": np.array(mrr, float)})
    if as_text:  # dates as ISO text, amounts as numeric text (what a CSV gives)
        df = df.assign(month=stamps.dt.strftime("%Y-%m-%d"), mrr=[repr(x) for x in mrr])
    assert_same_analyses(df, IbisLedger(df), windows=(2,))


@pytest.mark.parametrize("seed", range(3))
def test_larger_random_ledgers_agree(seed):
    df = random_ledger(seed, rows=3000, months=30, ids=16)
    assert_same_analyses(df, IbisLedger(df))


def test_a_parquet_file_is_read_where_it_is(tmp_path):
    df = random_ledger(7, rows=500)
    path = tmp_path / "ledger.parquet"
    df.to_parquet(path)
    assert engines.choose_engine(path) == "numpy"  # small: read into memory
    assert_same_analyses(df, engines.ledger(path, engine="ibis"))
    got = engines.analyse(path, engine="ibis")
    want = engines.analyse(df, engine="numpy")
    assert_frames_match(got.bridge, want.bridge)
    assert (got.customers, got.rows) == (want.customers, want.rows)


@pytest.mark.parametrize("unit, scale", [("ns", 9), ("us", 6), ("ms", 6)])  # DuckDB reads ms as us
def test_a_parquet_file_gives_the_same_months_in_every_timestamp_unit(tmp_path, unit, scale):
    # pandas 2 writes nanoseconds, pandas 3 microseconds; DuckDB used to take the
    # statistics of a nanosecond column for microseconds and call every date out of range.
    df = random_ledger(8, rows=300)
    path = tmp_path / "ledger.parquet"
    df.assign(month=df["month"].astype(f"datetime64[{unit}]")).to_parquet(path)
    assert ibis_table(path).schema()["month"].scale == scale
    assert_same_analyses(df, engines.ledger(path, engine="ibis"))


@pytest.mark.parametrize("as_of", ["2024-03", "2023-06-30", "2023-01-01"])
def test_as_of_cuts_or_extends_the_report_like_the_numpy_path(as_of):
    df = random_ledger(3, rows=400, months=12)  # 2023-01 .. 2023-12
    led = IbisLedger(df, as_of=as_of)
    assert_same_analyses(df, led, as_of=as_of)
    assert led.rows_after_as_of == int((df["month"].dt.to_period("M") > pd.Period(as_of, "M")).sum())
    if as_of == "2024-03":  # past the data: the last active customers churn in 2024-01, inside the report
        bridge = led.bridge()
        assert len(bridge) == 15 and bridge["ending_mrr"].iloc[-1] == 0 and bridge["churned_mrr"].iloc[12] > 0


def test_an_as_of_before_the_data_is_refused_like_the_numpy_path():
    df = random_ledger(3, rows=50, months=12)
    with pytest.raises(ValueError) as numpy_error:
        prepare_ledger(df, as_of="2022-12")
    with pytest.raises(ValueError) as ibis_error:
        IbisLedger(df, as_of="2022-12")
    assert str(ibis_error.value) == str(numpy_error.value)


BAD = [
    ("customer_id", [None, "b"], "Row 3, column 'customer_id': the customer id is blank"),
    ("customer_id", ["  ", "b"], "Row 3, column 'customer_id': the customer id is blank"),
    ("customer_id", ["b", "\u00a0\t"], "Row 4, column 'customer_id': the customer id is blank"),  # Unicode space
    ("month", ["2024-01-05", "31/02/2024"], "Row 4, column 'month': '31/02/2024' is not a date"),
    ("month", ["2024-01-05", "1850-01-01"], "Row 4, column 'month': '1850-01-01' is outside the supported dates"),
    ("mrr", ["10", "n/a"], "Row 4, column 'mrr': 'n/a' is not a number"),
    ("mrr", [10.0, -5.0], "Row 4, column 'mrr': customer 'b' nets to -5 in Feb 2024 (row 4); a credit or refund"),
    ("mrr", [10.0, float("inf")], "Row 4, column 'mrr': inf is not a number"),
    ("mrr", [None, 1.0], "Row 3, column 'mrr': the MRR is blank"),
]


@pytest.mark.parametrize("column, values, message", BAD)
def test_a_bad_row_gets_the_numpy_paths_message(column, values, message):
    df = pd.DataFrame({"customer_id": ["a", "a", "b"], "month": ["2024-01-05", "2024-02-05", "2024-02-05"],
                       "mrr": ["10", "20", "30"]})
    df = df.astype({"mrr": object})
    df.loc[1:, column] = pd.Series(values, index=[1, 2], dtype=object)
    if column != "mrr" or not any(isinstance(v, str) for v in values):
        df["mrr"] = df["mrr"].astype(float)  # one type per column, as in a database
    if column == "customer_id":
        df["month"] = pd.to_datetime(df["month"])
    with pytest.raises(LedgerError) as numpy_error:
        prepare_ledger(df, sheet=None)
    with pytest.raises(LedgerError) as ibis_error:
        IbisLedger(df)
    assert str(ibis_error.value).startswith(message)
    assert str(ibis_error.value) == str(numpy_error.value)
    assert (ibis_error.value.row, ibis_error.value.column) == (numpy_error.value.row, numpy_error.value.column)


def test_completely_blank_rows_are_skipped_and_a_parquet_row_is_named(tmp_path):
    df = pd.DataFrame({"customer_id": ["a", None, "b", "c"],
                       "month": pd.to_datetime(["2024-01-05", None, "2024-02-05", "2024-02-05"]),
                       "mrr": [10.0, None, 20.0, -1.0]})
    path = tmp_path / "l.parquet"
    df.iloc[:3].to_parquet(path)
    assert engines.analyse(path, engine="ibis").rows == 2
    df.to_parquet(path)
    # a file's rows are its data rows counted from 1 (the 4th row is 'c''s), whatever the engine
    with pytest.raises(LedgerError, match=rf"^{re.escape(str(path))}: row 4, column 'mrr': customer 'c' nets to -1 in "
                                          r"Feb 2024 \(row 4\)"):
        engines.ledger(path, engine="ibis")


@pytest.mark.parametrize("column, values, detail", [
    ("mrr", ["10", "20", "x", "5"], "'x' is not a number"),
    ("customer_id", ["a", "b", "  ", "d"], "the customer id is blank (only completely blank rows are skipped)"),
])
def test_a_bad_parquet_row_is_named_one_way_by_every_path(tmp_path, monkeypatch, column, values, detail):
    """The 3rd data row of a Parquet file is "row 3" from both engines, the ledger functions and a refresh
    (in memory, and in place when the file is large), the workbook left as it was."""
    import shutil

    from xl_kpi.ledger import mrr_bridge
    from xl_kpi.refresh import refresh_file

    book = tmp_path / "book.xlsx"
    shutil.copyfile(ROOT / "workbooks" / "subscription_ledger.xlsx", book)
    before = book.read_bytes()

    def refresh(large: bool):
        with monkeypatch.context() as m:
            m.setattr(engines, "LARGE_ROWS", 1 if large else engines.LARGE_ROWS)
            refresh_file(book, ledger=path, columns="customer=customer_id,month=month,mrr=mrr")

    df = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "month": pd.to_datetime(["2024-01-05"] * 4),
                       "mrr": [10.0, 20.0, 30.0, 5.0]})
    df[column] = values
    path = tmp_path / "bad.parquet"
    df.to_parquet(path)
    want = f"{path}: row 3, column {column!r}: {detail}"
    messages = []
    for call in (lambda: engines.analyse(path, engine="ibis"), lambda: engines.analyse(path, engine="numpy"),
                 lambda: mrr_bridge(path), lambda: refresh(False), lambda: refresh(True)):
        with pytest.raises(LedgerError) as err:
            call()
        messages.append((str(err.value), err.value.column))
    assert messages == [(want, column)] * 5
    assert book.read_bytes() == before


def test_a_missing_column_is_named():
    df = pd.DataFrame({"customer_id": ["a"], "month": pd.to_datetime(["2024-01-01"]), "amount": [1.0]})
    with pytest.raises(LedgerError, match=r"The ledger has no MRR column 'mrr' \(its columns: 'customer_id', "
                                          r"'month', 'amount'\)"):
        IbisLedger(df)


def test_mixed_id_types_are_refused_rather_than_merged():
    df = pd.DataFrame({"customer_id": [1, "1"], "month": pd.to_datetime(["2024-01-01"] * 2), "mrr": [1.0, 2.0]})
    with pytest.raises(LedgerError, match="mixes int, str values"):
        IbisLedger(df)


def test_without_the_warehouse_extra_the_message_names_it():
    # a fresh interpreter in which ibis cannot be imported (as on a core-only install)
    code = ("import sys; sys.modules['ibis'] = None\n"
            "import pandas as pd\n"
            "from xl_kpi import engines\n"
            "from xl_kpi.errors import UserError\n"
            "df = pd.DataFrame({'customer_id': ['a'], 'month': ['2024-01-01'], 'mrr': [1.0]})\n"
            "print(engines.analyse(df).bridge['ending_mrr'].tolist())\n"  # the numpy path needs no extra
            "try:\n"
            "    engines.analyse(df, engine='ibis')\n"
            "except UserError as e:\n"
            "    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.splitlines() == [
        "[1.0]", "the Ibis engine needs the optional package 'ibis': pip install \"xl_kpi[warehouse]\""]


def test_the_extras_are_declared():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the same parser as a package (in the test extra)
        import tomli as tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    names = lambda reqs: {r.split("[")[0].split(">")[0].split("=")[0].strip() for r in reqs}  # noqa: E731
    assert {"ibis-framework", "pyarrow"} <= names(extras["warehouse"])
    assert any("duckdb" in r for r in extras["warehouse"])
    assert "pyspark" in names(extras["spark"])
    assert "ibis-framework" not in names(project["dependencies"])
    # the suite runs both engines: the test extra brings them
    assert any(r.startswith("xl_kpi[") and "warehouse" in r and "spark" in r for r in extras["test"])


def test_the_money_rule_in_sql_gives_numpys_bits():
    """The SQL rounding of customer-month sums equals xl_kpi.ledger.money.round_money, ties and all."""
    import ibis

    from xl_kpi.engines.ibis_engine import round_money as sql_round
    from xl_kpi.ledger.money import DECIMALS, round_money

    # with the tiny negatives a full refund leaves (0.3 - 0.1 - 0.2 = -2.8e-17) and -0.0: numpy gives 0.0 for
    # them, never -0.0 (a cell showing "-0"), and so must SQL (assert_array_equal takes -0.0 for 0.0: signbit)
    values = np.r_[money_cases(), [0.3 - 0.1 - 0.2, -1e-12, -4.9e-7, -0.0, -5e-7, -5.000001e-7]]
    t = ibis.memtable(pd.DataFrame({"x": values}))
    got = t.select(y=sql_round(t.x, DECIMALS)).to_pyarrow()["y"].to_numpy()
    np.testing.assert_array_equal(got, round_money(values))
    np.testing.assert_array_equal(np.signbit(got), np.signbit(round_money(values)))
    assert not np.signbit(got[-6:-1]).any() and got[-1] == -1e-6
    ties = values * 1e6 % 1 == 0.5
    assert ties.any()  # exact half-way cases are among them (ties to even, like rint)


def test_an_installed_package_that_does_not_import_is_named_with_its_cause(tmp_path, monkeypatch):
    # pyarrow 26 under numpy 1 raises "pyarrow requires NumPy 2.0 or newer": telling the user to
    # install the extra (already installed) would send them round in circles.
    (tmp_path / "xl_kpi_broken_pkg.py").write_text(
        'raise ImportError("xl_kpi_broken_pkg requires NumPy 2.0 or newer, found 1.26.4")\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    from xl_kpi.engines.extras import MissingExtraError, import_optional
    with pytest.raises(MissingExtraError) as err:
        import_optional("xl_kpi_broken_pkg", "warehouse", "reading Parquet files")
    assert str(err.value) == ("reading Parquet files needs 'xl_kpi_broken_pkg', which is installed but does "
                              "not import: xl_kpi_broken_pkg requires NumPy 2.0 or newer, found 1.26.4")
    # A dependency that is really missing still names the extra.
    (tmp_path / "xl_kpi_needs_dep.py").write_text("import xl_kpi_absent_dep\n")
    with pytest.raises(MissingExtraError, match=r"'xl_kpi_absent_dep': pip install \"xl_kpi\[warehouse\]\""):
        import_optional("xl_kpi_needs_dep", "warehouse")


@pytest.mark.parametrize("seed, months", [(31, 14), (32, 2), (33, 30)])
def test_the_reports_movements_are_the_latest_months_only_and_equal_the_numpy_paths(seed, months):
    """What the MRR Movements sheet lists, asked of the engine (its database filters), equals the numpy path's
    movements of the same months, row for row and in order; and it is those months only."""
    from xl_kpi.refresh.pipeline import report_movements
    from xl_kpi.ledger.movements import MOVEMENT_MONTHS

    df = random_ledger(seed, rows=600, months=months)
    ref = prepare_ledger(df)
    every = ref.movements()
    latest = sorted(every["month"].unique())[-MOVEMENT_MONTHS:]
    want = every[every["month"].isin(latest)].reset_index(drop=True)
    got = report_movements(IbisLedger(df))
    assert len(want) < len(every) or months <= MOVEMENT_MONTHS
    assert sorted(got["month"].unique()) == latest
    assert_frames_match(got, want)


def test_the_source_is_scanned_once_into_tables_dropped_with_the_ledger():
    """The customer-months, with the window of each customer's months, are one temporary table of the
    database, read by every analysis; it goes when the ledger does (a long Excel session makes many refreshes)."""
    import gc

    df = random_ledger(41, rows=300)
    gc.collect()  # earlier tests' ledgers (the same in-memory database) are gone with their tables
    con = ibis_table(df).get_backend()
    query = "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'ibis_xl_kpi_%'"
    before = {name for (name,) in con.raw_sql(query).fetchall()}
    led = IbisLedger(df)
    assert led.table.get_backend() is con
    assert_same_analyses(df, led, windows=(12,))
    ours = {name for (name,) in con.raw_sql(query).fetchall()} - before
    assert len(ours) == 1
    del led
    gc.collect()
    assert not ours & {name for (name,) in con.raw_sql(query).fetchall()}


def test_a_credit_after_the_as_of_month_is_left_out_by_both_engines_not_refused():
    """Rows after as_of are left out before the credit rule, in place as in memory (b's March -5 is
    after the report; a's March -1 too)."""
    df = pd.DataFrame({"customer_id": ["a", "a", "b", "b", "a"],
                       "month": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-01", "2024-03-01",
                                                "2024-03-01"]),
                       "mrr": [10.0, 10.0, 5.0, -5.0, -1.0]})
    want = prepare_ledger(df, as_of="2024-02").bridge()
    got = IbisLedger(df, as_of="2024-02").bridge()
    assert_frames_match(got, want)
    assert list(want["ending_mrr"]) == [15.0, 10.0]  # b churns in February
    with pytest.raises(LedgerError, match=r"customer 'b' nets to -5 in Mar 2024"):  # inside the report: refused
        IbisLedger(df).bridge()


def test_a_full_refund_nets_to_0_not_below_it_by_both_engines():
    """0.3 - 0.1 - 0.2 is -2.8e-17 in floats: by the money rule (6 decimals) the month nets to 0, so the
    customer churns there; a month netting to -0.01 is still refused, on both engines, with the same words."""
    assert 0.3 - 0.1 - 0.2 < 0  # the residue this test is about
    df = pd.DataFrame({"customer_id": ["a", "a", "a", "a", "b", "b"],
                       "month": pd.to_datetime(["2024-01-05", "2024-02-05", "2024-02-06", "2024-02-07",
                                                "2024-01-05", "2024-02-05"]),
                       "mrr": [0.3, 0.3, -0.1, -0.2, 10.0, 10.0]})
    want = prepare_ledger(df).bridge()
    assert list(want["ending_mrr"]) == [10.3, 10.0]
    assert list(want["churned_mrr"]) == [0.0, 0.3]  # a's February refunded in full: a churns
    assert_frames_match(IbisLedger(df).bridge(), want)
    below = df.assign(mrr=[0.3, 0.3, -0.1, -0.21, 10.0, 10.0])
    messages = []
    for make in (prepare_ledger, IbisLedger):
        with pytest.raises(LedgerError, match=r"customer 'a' nets to -0.01 in Feb 2024") as exc:
            make(below).bridge()
        messages.append(str(exc.value))
    assert messages[0] == messages[1]


def test_the_data_checks_are_the_numpy_paths_with_the_same_words_and_rows():
    """Duplicate rows (only in customer-months of several rows), ids differing only in case or leading zeros
    (grouped in the database for ASCII ids, by Python's casefold for the others) and months without
    customers: found in place as in memory, with the same counts, examples (rows) and words."""
    df = check_ledger()
    want = checks_of(prepare_ledger(df).checks)
    assert [c[:2] for c in want] == [("duplicate rows", 1), ("near-duplicate ids", 3),
                                     ("months without customers", 2)]
    assert want[1][2] == ("'Acme' (row 2) / 'acme' (row 3)", "'0042' (row 4) / '42' (row 7)",
                          "'Straße' (row 10) / 'STRASSE' (row 11)")
    led = IbisLedger(df)
    assert led.checks.multi_row_months == 3  # b Feb, c Feb, acme Jun ("  acme" trimmed): where duplicates can be
    assert checks_of(led.data_checks()) == want
    assert_same_analyses(df, led)


def test_ids_are_trimmed_and_whole_numbers_cut_as_in_memory_for_every_unicode_space_and_digit():
    """Python's strip() cuts a no-break space (pasted from a web page), SQL's TRIM did not; re's \\d is any
    decimal digit, SQL's [0-9] only ASCII ones: "x\\u00a0" and "x", "\\u0661\\u0662.0" and "\\u0661\\u0662" were two
    customers each in the database and one in memory."""
    raw = ["x\u00a0", "x", "\u00a0y\u3000", "y", "\u0661\u0662.0", "\u0661\u0662", "\uff18.", "\uff18", "7.", "+7.0", "-0.0",
           "007.00", "1e3", "1.50", "\U0001d7ce.0"]
    df = pd.DataFrame({"customer_id": raw, "month": pd.to_datetime(["2024-01-01"] * len(raw)),
                       "mrr": np.arange(1.0, len(raw) + 1)})
    want = prepare_ledger(df).movements().sort_values("customer", ignore_index=True)
    assert want["customer"].tolist() == ["+7", "-0", "007", "1.50", "1e3", "7", "x", "y", "\u0661\u0662", "\uff18",
                                         "\U0001d7ce"]
    assert want["change"].tolist() == [10.0, 11.0, 12.0, 14.0, 13.0, 9.0, 3.0, 7.0, 11.0, 15.0, 15.0]
    got = IbisLedger(df).movements().sort_values("customer", ignore_index=True)
    assert_frames_match(got, want)
    assert got["customer"].tolist() == want["customer"].tolist()


@pytest.mark.parametrize("ids, pair", [(["STRASSE", "Straße", "b"], "'STRASSE' (row 2) / 'Straße' (row 3)"),
                                        (["b", "ß", "ss"], "'ß' (row 3) / 'ss' (row 4)"),
                                        (["K", "\u212a", "b"], "'K' (row 2) / '\u212a' (row 3)")])
def test_one_non_ascii_id_and_its_ascii_near_duplicate_are_found(ids, pair):
    """The only candidates the database returns are one non-ASCII id (its casefold is Python's): the ASCII
    ids it casefolds to are still looked up (they share no key among themselves, so the database found none)."""
    df = pd.DataFrame({"customer_id": ids, "month": pd.to_datetime(["2024-01-01"] * 3), "mrr": [1.0, 2.0, 3.0]})
    want = checks_of(prepare_ledger(df).checks)
    assert [(c[0], c[2]) for c in want] == [("near-duplicate ids", (pair,))]
    assert checks_of(IbisLedger(df).data_checks()) == want


@pytest.mark.parametrize("seed", range(6))
def test_random_hostile_ledgers_have_the_numpy_paths_data_checks(seed):
    df = random_ledger(seed, rows=150, months=10, ids=20)
    if seed % 2:  # one row per customer-month: nothing can be a duplicate row, and none is looked for
        from xl_kpi.ledger.ids import normalise_id

        key = df.assign(c=df["customer_id"].map(normalise_id), p=df["month"].dt.to_period("M"))
        df = df[~key.duplicated(["c", "p"])].reset_index(drop=True)
    led = IbisLedger(df)
    want = checks_of(prepare_ledger(df).checks)
    assert checks_of(led.data_checks()) == want
    if seed % 2:
        assert led.checks.multi_row_months == 0 and "duplicate rows" not in [c[0] for c in want]
    else:
        assert led.checks.multi_row_months > 0 and "duplicate rows" in [c[0] for c in want]


def test_no_multi_row_customer_month_means_no_duplicate_query(monkeypatch):
    """With one row per customer-month, the duplicate check reads nothing more (the checks query said so)."""
    df = pd.DataFrame({"customer_id": ["a", "b", "a"], "month": pd.to_datetime(["2024-01-01", "2024-01-01",
                                                                                 "2024-02-01"]),
                       "mrr": [1.0, 1.0, 1.0]})
    led = IbisLedger(df)
    monkeypatch.setattr(led, "_flags", None)  # the source expression: any use of it would fail
    assert checks_of(led.data_checks()) == checks_of(prepare_ledger(df).checks) == []


def test_ids_written_as_whole_numbers_with_a_point_are_one_id_as_in_memory():
    df = pd.DataFrame({"customer_id": ["7.", "7", "+7.00", " 7.0 ", "a.0"],
                       "month": pd.to_datetime(["2024-01-01"] * 5), "mrr": [1.0, 2.0, 3.0, 4.0, 5.0]})
    led, ref = IbisLedger(df), prepare_ledger(df)
    assert (led.n_customers, ref.n_customers) == (3, 3)  # "7", "+7", "a.0"
    assert_same_analyses(df, led, windows=(1,))


@pytest.mark.parametrize("window", [1, 3, 12])
def test_the_stored_trailing_window_equals_the_one_computed_on_demand(monkeypatch, window):
    """The customer-month table holds each month's MRR TRAILING_WINDOW months later (a RANGE frame in its one
    sort); another window is a RANGE frame over the active months: both give the numpy path's table."""
    from xl_kpi.engines import ibis_engine

    df = random_ledger(51, rows=800, months=30)
    want = prepare_ledger(df).trailing_retention(window)
    for stored in (window, window + 1):  # the window stored, or another one (computed on demand)
        monkeypatch.setattr(ibis_engine, "TRAILING_WINDOW", stored)
        assert_frames_match(IbisLedger(df).trailing_retention(window), want)


def test_a_month_whose_only_mrr_rounds_to_0_is_no_gap_as_in_memory():
    """The gaps check counts a month active when some customer-month adds up to more than 0 (the numpy path's
    rule), even if the money rule makes it 0 for the bridge: the summary alone would call March a gap."""
    df = pd.DataFrame({"customer_id": ["a", "b", "a", "c"],
                       "month": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-04-01", "2024-05-01"]),
                       "mrr": [10.0, 1e-9, 10.0, 0.0]})
    led = IbisLedger(df)
    assert led.checks.tiny_months == 1 and led.bridge()["customers_end"].tolist() == [1, 0, 0, 1, 0]
    want = checks_of(prepare_ledger(df).checks)
    assert [c[:3] for c in want] == [("months without customers", 1, ("Feb 2024",))]
    assert checks_of(led.data_checks()) == want


@pytest.mark.parametrize("seed", [61, 62])
def test_the_movement_counts_from_the_summary_are_the_movements_per_month(seed):
    df = random_ledger(seed, rows=700, months=20)
    led = IbisLedger(df)
    moves = prepare_ledger(df).movements()
    per_month = moves["month"].value_counts()
    starts = led.month_starts()
    assert led.movement_counts().tolist() == [int(per_month.get(m, 0)) for m in starts]
    assert led.movement_months().tolist() == [i for i, m in enumerate(starts) if m in per_month.index]


def test_the_engine_lists_only_the_movements_the_table_shows_and_the_same_title():
    """Asked for what a table of `rows` rows lists, the database returns only those movements (whole months,
    or the latest month's largest changes by ORDER BY ... LIMIT), and the sheet shows the same rows under the
    same title as from the numpy path's movements, the latest month's full count included."""
    from xl_kpi.refresh.report.content import latest_movements

    df = random_ledger(71, rows=900, months=18, ids=16)
    led, every = IbisLedger(df), prepare_ledger(df).movements()
    counts = every["month"].value_counts().sort_index()
    last3 = counts.iloc[-3:].tolist()
    titles = []
    for rows in (sum(last3), last3[-1] + last3[-2], last3[-1], last3[-1] - 1, 3):
        got = led.movements(latest=3, rows=rows)
        assert len(got) <= rows
        table, title = latest_movements(got, rows=rows)
        want, want_title = latest_movements(every, rows=rows)
        assert title == want_title
        assert_frames_match(table.reset_index(drop=True), want.reset_index(drop=True))
        assert table["customer"].tolist() == want["customer"].tolist()
        titles.append(title)
    month = counts.index[-1].strftime("%b %Y")
    assert titles == ["the latest 3 months", "the latest 2 months", "the latest month",
                      f"the {last3[-1] - 1:,} largest of the {last3[-1]:,} movements of {month}",
                      f"the 3 largest of the {last3[-1]:,} movements of {month}"]


@pytest.mark.parametrize("ids", [[1, 2, 1, 3], [1.0, 2.0, 1.0, 3.5]])
def test_numbers_as_ids_have_the_numpy_paths_data_checks(tmp_path, ids):
    """A Parquet file's integer (or float) id column: no two numbers differ only in case or leading zeros;
    the other checks as in memory."""
    df = pd.DataFrame({"customer_id": ids, "month": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01",
                                                                   "2024-04-01"]), "mrr": [1.0, 2.0, 3.0, 4.0]})
    path = tmp_path / "numbers.parquet"
    df.to_parquet(path)
    want = checks_of(prepare_ledger(df).checks)
    assert [c[0] for c in want] == ["months without customers"]
    assert checks_of(engines.ledger(path, engine="ibis").data_checks()) == checks_of(IbisLedger(df).data_checks()) \
        == want


#: (customer, month, MRR) rows, and where the refusal is placed: the row (counted from 2, the header is row 1),
#: the customer and its net.  A positive row before the credit; two credits, the larger the later; two
#: customer-months below 0, the later customer's first in the file (code order is not file order).
CREDITS = [
    ([("a", "2024-01-05", 10.0), ("a", "2024-02-05", 20.0), ("b", "2024-02-05", 5.0), ("b", "2024-02-06", -30.0)],
     5, "b", -25, "(row 4, row 5)"),
    ([("a", "2024-01-05", 100.0), ("a", "2024-01-05", -30.0), ("a", "2024-01-06", -80.0), ("a", "2024-01-07", 5.0)],
     4, "a", -5, "(row 2, row 3, row 4, row 5)"),
    ([("a", "2024-01-05", 10.0), ("b", "2024-01-05", 1.0), ("b", "2024-02-05", -5.0), ("a", "2024-02-05", -20.0)],
     4, "b", -5, "(row 4)"),
    ([("a", "2024-02-05", 10.0), ("b", "2024-01-05", -5.0), ("a", "2024-01-05", -20.0)], 3, "b", -5, "(row 3)"),
    ([("b", "2024-02-05", -5.0), ("b", "2024-02-05", 1.0), ("b", "2024-02-05", -5.0)], 2, "b", -9, "(row 2, row 3, row 4)"),
]


@pytest.mark.parametrize("rows, row, who, net, listed", CREDITS, ids=["after a positive row", "two credits",
                                                                      "two months below 0", "file order",
                                                                      "equal credits"])
def test_a_month_below_0_is_placed_at_its_largest_credit_by_both_engines(rows, row, who, net, listed):
    """The refusal points to the row taking the customer-month below 0 (its largest credit; the first of
    equal ones), not to its first row, which may be a positive one; of several such customer-months both
    engines name the one whose first row comes first."""
    df = pd.DataFrame(rows, columns=["customer_id", "month", "mrr"]).assign(month=lambda d: pd.to_datetime(d["month"]))
    assert min(v for c, _, v in rows if c == who) == rows[row - 2][2] < 0  # the row named is that credit
    errors = []
    for make in (prepare_ledger, IbisLedger):
        with pytest.raises(LedgerError) as exc:
            make(df).bridge()
        errors.append(exc.value)
    for e in errors:
        month = pd.Timestamp(rows[row - 2][1]).strftime("%b %Y")
        assert str(e) == (f"Row {row}, column 'mrr': customer {who!r} nets to {net} in {month} {listed}; a credit or "
                          "refund may lower a month's MRR but not below 0")
        assert (e.row, e.column) == (row, "mrr")


@pytest.mark.parametrize("ids, regrouped", [(["a", "b", "c"], False), (["a", " a", "b"], True),
                                            (["7", "7.0", "b"], True), (["a\u00a0", "a", "b"], True),
                                            (["12.", "12", "b"], True),
                                            # a "." that normalising leaves: e-mail addresses, domains, decimals
                                            (["jane.doe@x.com", "acme.io", "1.5"], False)])
def test_ids_are_grouped_as_written_unless_one_changes_then_normalised_once(ids, regrouped):
    """The customer-month table is grouped by the ids as written (a computed id column costs the grouping a
    third more); only when normalising changes some id (a space at an end, a whole number written "7.0") is
    it made again with the normalised ids, the first table dropped. Either way the numbers are the numpy
    path's."""
    import gc

    df = pd.DataFrame({"customer_id": ids * 3,
                       "month": pd.to_datetime(["2024-01-01"] * 3 + ["2024-02-01"] * 3 + ["2024-04-01"] * 3),
                       "mrr": [10.0, 20.0, 30.0, 12.0, 18.0, 30.0, 12.0, 0.0, 31.0]})
    gc.collect()
    con = ibis_table(df).get_backend()
    query = "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'ibis_xl_kpi_%'"
    before = {name for (name,) in con.raw_sql(query).fetchall()}
    led = IbisLedger(df)
    assert led._normalise is regrouped
    assert len({name for (name,) in con.raw_sql(query).fetchall()} - before) == 1
    assert_same_analyses(df, led)
    assert led.n_customers == (2 if regrouped else 3)


def test_a_skipped_blank_row_with_spaces_for_an_id_does_not_regroup_the_ledger():
    df = pd.DataFrame({"customer_id": ["a", "  ", "b"], "month": pd.to_datetime(["2024-01-01", None, "2024-01-01"]),
                       "mrr": [1.0, None, 2.0]})
    led = IbisLedger(df)
    assert not led._normalise
    assert_same_analyses(df, led)
    assert led.n_rows == prepare_ledger(df).n_rows == 2


def test_the_digit_class_is_every_decimal_digit_python_knows():
    """The SQL character class of decimal digits (what re's \\d matches) is exactly the code points that
    str.isdecimal() accepts, as ranges."""
    from xl_kpi.engines.ibis_engine import _DIGIT_CLASS

    body = _DIGIT_CLASS[1:-1]
    ranges = [(ord(body[i]), ord(body[i + 2])) for i in range(0, len(body), 3)]
    assert all(body[i + 1] == "-" for i in range(0, len(body), 3))
    got = {c for a, b in ranges for c in range(a, b + 1)}
    assert got == {c for c in range(0x110000) if chr(c).isdecimal()}


def test_the_written_out_digit_ranges_are_what_re_finds_in_this_python():
    """The digit class is written out per Unicode version (not found at import, a fifth of a second); the one
    this Python uses is the one re finds now over every code point, and it is not the ASCII digits only."""
    import unicodedata

    from xl_kpi.engines import text_classes

    found = text_classes.digit_ranges()
    # (a Python of a newer Unicode version finds its own at import: the class is still the one found)
    assert text_classes.DIGIT_RANGES.get(unicodedata.unidata_version, found) == found
    assert text_classes.DIGIT_CLASS == "[" + found + "]"
    assert text_classes.SPACE_CLASS == "[" + "".join(ch for ch in map(chr, range(0x110000)) if ch.isspace()) + "]"
    # each older version's runs are among a newer one's (Unicode adds digits, never moves them)
    runs = {v: set(re.findall(r"(.)-(.)", r)) for v, r in text_classes.DIGIT_RANGES.items()}
    order = sorted(runs, key=lambda v: tuple(map(int, v.split("."))))
    assert all(runs[a] <= runs[b] for a, b in zip(order, order[1:])) and len(runs[order[0]]) > 60


class Unusable:
    """Stands for a table that must not be read: any use of it fails."""

    def __getattr__(self, name):
        raise AssertionError(f"the table was used (.{name})")


def test_the_checks_query_brings_the_summary_no_second_scan(monkeypatch):
    """The checks and the summary are one query of the customer-month table: once the ledger is made, the
    bridge, both cohort matrices, the stored trailing window and the movement counts need no query."""
    df = random_ledger(43, rows=400, months=16)
    led, ref = IbisLedger(df), prepare_ledger(df)
    monkeypatch.setattr(led, "_cm_table", Unusable())  # the table: any query of it would fail
    monkeypatch.setattr(led, "_flags", None)
    assert_frames_match(led.bridge(), ref.bridge())
    for basis in ("logo", "revenue"):
        assert_frames_match(led.cohort_matrix(basis), ref.cohort_matrix(basis))
    assert_frames_match(led.trailing_retention(12), ref.trailing_retention(12))
    assert (led.movement_counts() == ref.movements().groupby("month").size().reindex(
        ref.bridge()["month"], fill_value=0).to_numpy()).all()


def test_an_as_of_month_before_the_first_month_is_refused_as_the_numpy_path_refuses_it(tmp_path, monkeypatch, capsys):
    """The Ibis engine raised a ValueError: a large source refreshed with such an --as-of ended in 'internal
    error ... this is a bug' (exit 3), the numpy path in its one-line refusal (exit 2)."""
    import shutil

    from xl_kpi.cli import main

    df = pd.DataFrame({"customer_id": ["a", "b", "a"], "month": pd.to_datetime(["2024-02-01", "2024-02-01", "2024-03-01"]),
                       "mrr": [10.0, 20.0, 15.0]})
    with pytest.raises(LedgerError) as want:
        prepare_ledger(df, as_of="2024-01")
    with pytest.raises(LedgerError) as got:
        IbisLedger(df, as_of="2024-01")
    assert str(got.value) == str(want.value) == "as_of '2024-01' is before the ledger's first month (2024-02)"
    path, book = tmp_path / "big.parquet", tmp_path / "book.xlsx"
    df.rename(columns={"customer_id": "Customer ID", "month": "Month", "mrr": "MRR"}).to_parquet(path)
    shutil.copyfile(Path(__file__).resolve().parent.parent / "workbooks" / "subscription_ledger.xlsx", book)
    before = book.read_bytes()
    monkeypatch.setattr(engines, "LARGE_ROWS", 2)  # computed where it lives, by the Ibis engine
    assert main(["refresh", str(book), "--ledger", str(path), "--as-of", "2024-01", "--quiet"]) == 2
    assert capsys.readouterr().err == f"xl-kpi refresh: error: {path}: {want.value}\n"
    assert book.read_bytes() == before


@pytest.mark.parametrize("reverse", [False, True], ids=["as written", "reversed"])
def test_without_row_numbers_a_bad_table_is_refused_in_the_same_words_whatever_order_its_rows_come_in(reverse):
    """A database's table (--ledger db.duckdb --table) has no row numbers and returns its rows in no set order:
    the message named the check of whichever bad row came back first ('the MRR is blank' on one run, 'the
    customer id is blank' on the next). Without rows to name, it names the first check that fails, in check
    order, and of its rows the value that sorts first; of the months netting below 0, the first month's
    first id."""
    def ledger(rows):
        rows = rows[::-1] if reverse else rows
        df = pd.DataFrame(rows, columns=["customer_id", "month", "mrr"])  # text months, as a database may hold
        return ibis_table(df, row_numbers=False)

    bad = [("a", "2024-01-01", None), ("b", "2024-01-01", 3.0), (None, "2024-01-01", 5.0), ("c", "x", 1.0),
           ("d", "y", 2.0), (" ", "2024-02-01", 1.0), ("e", "2024-02-01", None)]
    with pytest.raises(LedgerError) as got:
        IbisLedger(ledger(bad))
    assert got.value.detail == "the customer id is blank (only completely blank rows are skipped) (2 rows)"
    with pytest.raises(LedgerError) as got:
        IbisLedger(ledger([r for r in bad if r[0] not in (None, " ")]))
    assert got.value.detail == "'x' is not a date (2 rows)"
    credits = [("b", "2024-02-01", 5.0), ("b", "2024-02-01", -9.0), ("z", "2024-01-01", 1.0), ("z", "2024-01-01", -2.0),
               ("y", "2024-01-01", 1.0), ("y", "2024-01-01", -3.0), ("a", "2024-03-01", -1.0)]
    with pytest.raises(LedgerError) as got:
        IbisLedger(ledger(credits))
    assert str(got.value).startswith("Column 'mrr': customer 'y' nets to -2 in Jan 2024")
