"""Review probes of the Ibis engine's rows plan (xl_kpi/engines/ibis_engine.py: one query over the rows of a
ledger of one row per customer-month): hostile ledgers on which the rows plan is chosen (or must not be),
each compared with the numpy path (xl_kpi.ledger) on everything, from a frame, a Parquet file and a DuckDB
database table (no row numbers)."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("ibis")

from tests.engine_cases import assert_frames_match, canonical_ledger, checks_of  # noqa: E402
from tests.test_engines_canonical import assert_same_everything, expected, ledgers_of  # noqa: E402

from xl_kpi.engines.ibis_engine import IbisLedger, duckdb_table  # noqa: E402
from xl_kpi.ledger import LedgerError, prepare_ledger  # noqa: E402


def base(seed: int = 40, months: int = 18, ids: int = 30) -> pd.DataFrame:
    return canonical_ledger(seed, months=months, ids=ids)


def db_ledger(df: pd.DataFrame, tmp_path, as_of=None):
    """The ledger from a DuckDB database's table (no row numbers: the checks' examples are not compared)."""
    import duckdb

    path = tmp_path / "ledger.duckdb"
    con = duckdb.connect(str(path))
    con.register("frame", df)
    con.execute("CREATE OR REPLACE TABLE ledger AS SELECT * FROM frame")
    con.close()
    return IbisLedger(duckdb_table(path, table="ledger"), as_of=as_of)


def assert_everything(df: pd.DataFrame, tmp_path, as_of=None, plan: str | None = "rows") -> None:
    """Frame and Parquet: everything equal to the numpy path's (tests/test_engines_canonical.py), on ``plan``;
    a DuckDB table: the analyses, the counts and the checks' words."""
    want = expected(df, as_of)
    for source, led in ledgers_of(df, tmp_path, as_of):
        if plan is not None:
            assert led.plan == plan, source
        assert_same_everything(led, want, depth="all" if source == "frame" else "source")
    if df["customer_id"].dtype.kind not in "iuf":
        led = db_ledger(df, tmp_path, as_of)
        if plan is not None:
            assert led.plan == plan
        assert_frames_match(led.bridge(), want["bridge"])
        assert_frames_match(led.movements(latest=3), want["latest"])
        assert (led.n_rows, led.n_customers, led.n_months, led.rows_after_as_of) == want["counts"][:4]
        got, ref = checks_of(led.data_checks()), checks_of(want["checks"])
        assert [c[:2] + c[3:] for c in got] == [c[:2] + c[3:] for c in ref]


@pytest.mark.parametrize("unit", ["TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATE"])
def test_a_duckdb_tables_month_column_of_any_unit(tmp_path, unit):
    """Review probe: DuckDB's EXTRACT gave wrong years on a table's TIMESTAMP_S / _MS column (the months of
    2024 numbered near 656,000): the rows plan then gave movements dated 1689 and wrong trailing retention,
    and with an as-of month a good row was refused as outside the supported dates."""
    import duckdb

    df = base()
    path = tmp_path / "units.duckdb"
    con = duckdb.connect(str(path))
    con.register("frame", df)
    con.execute(f"CREATE TABLE ledger AS SELECT customer_id, CAST(CAST(month AS TIMESTAMP) AS {unit}) AS month, mrr FROM frame")
    con.execute(f"CREATE TABLE late AS SELECT * FROM ledger UNION ALL "
                f"SELECT 'cus_late', CAST(TIMESTAMP '2262-03-04' AS {unit}), 10.0")
    con.close()
    last = str(months_of(df).max() - 3)
    for as_of in (None, last):
        led, ref = IbisLedger(duckdb_table(path, table="ledger"), as_of=as_of), prepare_ledger(df, as_of=as_of)
        assert led.plan == "rows"
        assert_frames_match(led.bridge(), ref.bridge())
        for window in (12, 3):
            assert_frames_match(led.trailing_retention(window), ref.trailing_retention(window))
        assert_frames_match(led.movements(latest=3), latest_movements(ref))
        assert led.month_range() == ref.month_range()
    if unit != "DATE":  # (a DATE cannot hold 2262-03-04 as DuckDB casts it: it is a date there too)
        with pytest.raises(LedgerError) as got:
            IbisLedger(duckdb_table(path, table="late"))
        assert str(got.value) == "Column 'month': 2262-03-04 is outside the supported dates (1900-01-01 to 2261-12-31)"


def test_a_nan_id_in_a_duckdb_tables_float_column_is_blank_as_in_memory(tmp_path):
    """Review probe: a database's float id column can hold NaN (a frame's or a Parquet file's NaN reaches
    DuckDB as NULL): it was counted as a customer; the numpy path says the customer id is blank."""
    import duckdb

    path = tmp_path / "nan_id.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE ledger (customer_id DOUBLE, month TIMESTAMP, mrr DOUBLE)")
    con.execute("INSERT INTO ledger VALUES (1, '2023-01-05', 10), ('nan'::DOUBLE, '2023-01-05', 10), "
                "(2, '2023-02-05', 5)")
    df = con.execute("SELECT * FROM ledger").df()
    con.close()
    with pytest.raises(LedgerError) as want:
        prepare_ledger(df)
    assert str(want.value) == "Row 3, column 'customer_id': the customer id is blank (only completely blank rows are skipped)"
    with pytest.raises(LedgerError) as got:
        IbisLedger(duckdb_table(path, table="ledger"))
    assert str(got.value) == "Column 'customer_id': the customer id is blank (only completely blank rows are skipped)"


def latest_movements(ref) -> pd.DataFrame:
    from xl_kpi.ledger.movements import latest_months

    return latest_months(ref.movements(), 3)


def months_of(df: pd.DataFrame) -> pd.Series:
    return df["month"].dt.to_period("M")


# ------------------------------------------------------------------ as_of


@pytest.mark.parametrize("cut", ["first", "inside", "last", "after"])
def test_as_of_at_the_first_month_inside_at_the_last_and_after_the_data(tmp_path, cut):
    df = base()
    p = months_of(df)
    as_of = {"first": p.min(), "inside": p.min() + 9, "last": p.max(), "after": p.max() + 7}[cut]
    assert_everything(df, tmp_path, str(as_of))


def test_rows_after_as_of_duplicated_zero_and_negative_are_left_out_on_the_rows_plan(tmp_path):
    df = base()
    p = months_of(df)
    cut = p.min() + 10
    late = df[p > cut]
    extra = pd.concat([late.iloc[:4], late.iloc[4:6].assign(mrr=0.0), late.iloc[6:8].assign(mrr=-3.0),
                       late.iloc[8:9].assign(mrr=1e-7)], ignore_index=True)
    df = pd.concat([df, extra], ignore_index=True).sample(frac=1.0, random_state=3).reset_index(drop=True)
    assert_everything(df, tmp_path, str(cut))


def test_customers_whose_only_rows_are_after_as_of_are_not_counted(tmp_path):
    df = base()
    cut = months_of(df).min() + 8
    only_late = pd.DataFrame({"customer_id": ["late_1", "late_2", "late_2", "Cus_1"],
                              "month": pd.to_datetime([str((cut + 2).start_time.date()), str((cut + 1).start_time.date()),
                                                       str((cut + 1).start_time.date()), str((cut + 3).start_time.date())]),
                              "mrr": [10.0, 5.0, 5.0, 7.0]}).astype({"month": df["month"].dtype})
    df = pd.concat([df, only_late], ignore_index=True)
    # "Cus_1" (near "cus_1") only after as_of: no near-duplicate warning, as in memory
    assert_everything(df, tmp_path, str(cut))


def test_as_of_before_the_first_month_is_refused_in_the_numpy_paths_words(tmp_path):
    df = base()
    as_of = str(months_of(df).min() - 2)
    with pytest.raises(LedgerError) as want:
        prepare_ledger(df, as_of=as_of)
    for source, led in [("frame", df), ("parquet", tmp_path / "l.parquet")]:
        if source == "parquet":
            df.to_parquet(led)
        with pytest.raises(LedgerError) as got:
            IbisLedger(led, as_of=as_of)
        assert str(got.value) == str(want.value)


# ------------------------------------------------------------------ shapes of values


def test_completely_blank_rows_keep_the_rows_plan(tmp_path):
    df = base()
    blank = pd.DataFrame({"customer_id": [None, None], "month": [pd.NaT, pd.NaT], "mrr": [np.nan, np.nan]})
    df = pd.concat([df.iloc[:5], blank.iloc[:1], df.iloc[5:40], blank.iloc[1:], df.iloc[40:]],
                   ignore_index=True).astype({"month": df["month"].dtype})
    assert_everything(df, tmp_path)


def test_text_months_and_text_mrr_on_the_rows_plan(tmp_path):
    df = base()
    text = df.assign(month=df["month"].dt.strftime("%Y-%m-%d").astype(object),
                     mrr=[f" {v:.2f} " for v in df["mrr"]])
    want = expected(df)
    for led in (IbisLedger(text), db_ledger(text, tmp_path)):
        assert led.plan == "rows"
        assert_frames_match(led.bridge(), want["bridge"])
        assert_frames_match(led.movements(), want["movements"])
        assert_frames_match(led.trailing_retention(12), want["trailing 12"])
        assert (led.n_rows, led.n_customers, led.n_months) == want["counts"][:3]
    assert_frames_match(prepare_ledger(text).bridge(), want["bridge"])


def test_integer_ids_on_the_rows_plan(tmp_path):
    df = canonical_ledger(41, months=16, ids=25, kind="int")
    assert_everything(df, tmp_path)
    assert_everything(df, tmp_path, "2023-09")


def refused_from_every_source(df, tmp_path, want) -> str:
    """The Ibis engine refuses ``df`` in the numpy path's words (``want``) from the frame and from a Parquet file
    of it (both with row numbers); returns what it says of a DuckDB table of it (no row numbers)."""
    path = tmp_path / "refused.parquet"
    df.to_parquet(path)
    for source in (df, path):
        with pytest.raises(LedgerError) as got:
            IbisLedger(source)
        assert str(got.value) == str(want.value)
    with pytest.raises(LedgerError) as got:
        db_ledger(df, tmp_path)
    return str(got.value)


@pytest.mark.parametrize("bad, message", [
    ("nan", "the MRR is blank"), ("inf", "is not a number"), ("-inf", "is not a number"),
    ("blank id", "the customer id is blank"), ("text mrr", "is not a number"), ("text month", "is not a date"),
    # found by the rows plan's query (an id of white space, tested once per id) or by its first scan's extremes
    ("space id", "the customer id is blank"), ("ideographic space id", "the customer id is blank"),
    ("early month", "outside the supported dates"), ("late month", "outside the supported dates"), ("blank mrr", "the MRR is blank"),
    ("digit separator", "'1_000' is not a number"),  # (DuckDB's cast reads it as 1000)
])
def test_a_bad_row_is_refused_as_in_memory_from_every_source(tmp_path, bad, message):
    df = base()
    i = 23
    if bad in ("nan", "inf", "-inf"):
        df.loc[i, "mrr"] = float(bad)
    elif bad == "blank id":
        df.loc[i, "customer_id"] = None
    elif bad in ("space id", "ideographic space id"):
        df.loc[i, "customer_id"] = "   " if bad == "space id" else "\u3000"
    elif bad in ("early month", "late month"):
        df.loc[i, "month"] = pd.Timestamp("1800-03-04" if bad == "early month" else "2262-03-04")
    elif bad == "blank mrr":
        df.loc[i, "mrr"] = None
    elif bad in ("text mrr", "digit separator"):
        df = df.assign(mrr=df["mrr"].map(lambda v: f"{v:.2f}").astype(object))
        df.loc[i, "mrr"] = "twelve" if bad == "text mrr" else "1_000"
    else:
        df = df.assign(month=df["month"].dt.strftime("%Y-%m-%d").astype(object))
        df.loc[i, "month"] = "2024-13-01"
    with pytest.raises(LedgerError) as want:
        prepare_ledger(df)
    assert message in str(want.value)
    assert message in refused_from_every_source(df, tmp_path, want)  # no row numbers: the value named, the same words


# ------------------------------------------------------------------ ids the id rule rewrites


def test_two_ids_that_normalise_to_one_in_the_same_month_are_one_customer_month(tmp_path):
    df = base()
    first = df.loc[0]
    twin = pd.DataFrame({"customer_id": [first["customer_id"] + " "], "month": [first["month"]], "mrr": [2.5]})
    df = pd.concat([df, twin], ignore_index=True).astype({"month": df["month"].dtype})
    assert_everything(df, tmp_path, plan="customer-months")


def test_rewritten_ids_with_a_duplicate_and_a_number_id_with_a_point(tmp_path):
    """ "12.0" in some months, "12" in others (one customer), "12." with "12" in one month (one customer-month
    of two rows), " a" / "a" in different months, plus an exact duplicate row."""
    df = base()
    ids = df["customer_id"].to_numpy(dtype=object).copy()
    c = df["customer_id"]
    ids[(c == "cus_1").to_numpy()] = ["12.0" if k % 2 else "12" for k in range((c == "cus_1").sum())]
    ids[(c == "cus_2").to_numpy()] = [" a" if k % 2 else "a" for k in range((c == "cus_2").sum())]
    df = df.assign(customer_id=ids)
    assert_everything(df, tmp_path, plan="customer-months")
    dup = pd.concat([df, df.iloc[[7]]], ignore_index=True)
    assert_everything(dup, tmp_path, plan="customer-months")


def test_an_id_whose_normalised_form_is_also_written_in_the_same_month(tmp_path):
    df = base()
    df = df.assign(customer_id=df["customer_id"].replace({"cus_5": "77"}))
    row = df[df["customer_id"] == "77"].iloc[[0]]
    df = pd.concat([df, row.assign(customer_id="77.", mrr=1.0)], ignore_index=True)
    assert_everything(df, tmp_path, plan="customer-months")


# ------------------------------------------------------------------ small and edge ledgers


def test_a_one_row_ledger(tmp_path):
    df = pd.DataFrame({"customer_id": ["solo"], "month": pd.to_datetime(["2024-03-09"]), "mrr": [99.5]})
    want = expected(df)
    for source, led in ledgers_of(df, tmp_path):
        assert led.plan == "rows"
        assert_frames_match(led.bridge(), want["bridge"])
        assert_frames_match(led.movements(), want["movements"])
        assert_frames_match(led.movements(latest=3, rows=10), want["latest"])
        assert (led.n_rows, led.n_customers, led.n_months) == (1, 1, 1)
        assert checks_of(led.data_checks()) == checks_of(want["checks"])


def test_a_one_row_ledger_with_as_of_after_it(tmp_path):
    df = pd.DataFrame({"customer_id": ["solo"], "month": pd.to_datetime(["2024-03-09"]), "mrr": [99.5]})
    want = expected(df, "2024-09")
    led = IbisLedger(df, as_of="2024-09")
    assert led.plan == "rows"
    assert_frames_match(led.bridge(), want["bridge"])
    assert_frames_match(led.movements(), want["movements"])
    assert_frames_match(led.movements(latest=3, rows=10), want["latest"])


def _flat_tail(df: pd.DataFrame, quiet: int) -> pd.DataFrame:
    """The last ``quiet`` months without a movement: every customer of the month before them stays, flat."""
    p = months_of(df)
    last = p.max()
    keep = df[p <= last - quiet]
    stay = keep[months_of(keep) == last - quiet]
    tail = [stay.assign(month=stay["month"] + pd.DateOffset(months=k)) for k in range(1, quiet + 1)]
    return pd.concat([keep, *tail], ignore_index=True)


@pytest.mark.parametrize("quiet", [1, 2, 3, 5])
def test_latest_months_without_movements_fall_back_and_still_equal(tmp_path, quiet):
    df = _flat_tail(base(), quiet)
    assert_everything(df, tmp_path)
    led, ref = IbisLedger(df), prepare_ledger(df)
    for rows in (3, 10, 10_000):
        from xl_kpi.ledger.movements import latest_months, listed_months
        every = latest_months(ref.movements(), 3)
        counts = every.groupby("month").size()
        kept, cut = listed_months(counts, rows)
        want = every[every["month"].isin(kept)].reset_index(drop=True)
        got = led.movements(latest=3, rows=rows)
        assert_frames_match(got, want.head(rows) if cut else want)


def test_a_month_without_movements_between_the_latest_months(tmp_path):
    df = base(42, months=20)
    p = months_of(df)
    quiet = p.max() - 1  # the month before the last: copies of the month before it, flat
    before = df[p == quiet - 1]
    df = pd.concat([df[p != quiet], before.assign(month=before["month"] + pd.DateOffset(months=1))],
                   ignore_index=True)
    assert_everything(df, tmp_path)


def test_churn_in_the_month_after_the_last_kept_one_and_at_the_report_edge(tmp_path):
    """Customers last active 4, 3, 2 and 1 month(s) before the report's end (their churns in the latest
    months, one in the month after the rows kept), with as_of at the data's end and after it."""
    df = base(43, months=14, ids=10)
    last = months_of(df).max()
    rows = []
    for k in range(1, 7):
        for j in range(3):
            for back in range(k, k + 3):
                rows.append((f"end_{k}_{j}", (last - back).start_time + pd.Timedelta(days=3), 10.0 + j))
    extra = pd.DataFrame(rows, columns=["customer_id", "month", "mrr"]).astype({"month": df["month"].dtype})
    df = pd.concat([df, extra], ignore_index=True)
    assert_everything(df, tmp_path)
    assert_everything(df, tmp_path, str(last + 1))
    assert_everything(df, tmp_path, str(last - 2))


def test_movement_ties_are_ordered_and_cut_as_in_memory(tmp_path):
    """Many customers with the same change in the latest months (ties of |change| across kinds), cut at a
    row count within a tie."""
    p0 = pd.Period("2024-01", "M")
    rows = []
    for i in range(40):
        name = f"t{i:02d}" if i % 3 else f"T{i}"
        for m in range(6):
            if i % 5 == 0 and m == 4:
                continue  # churn then reactivation
            v = 10.0 + (5.0 if (m >= 5 and i % 2) else 0.0) - (5.0 if (m >= 5 and i % 4 == 0) else 0.0)
            rows.append((name, (p0 + m).start_time, v))
    for i in range(10):
        rows.append((f"new{i}", (p0 + 5).start_time, 5.0))
    df = pd.DataFrame(rows, columns=["customer_id", "month", "mrr"]).astype({"month": "datetime64[ns]"})
    df = df.sample(frac=1.0, random_state=1).reset_index(drop=True)
    assert_everything(df, tmp_path)
    led, ref = IbisLedger(df), prepare_ledger(df)
    from xl_kpi.refresh.report.content import latest_movements
    for rows in (1, 7, 13, 25, 40):
        got = led.movements(latest=3, rows=rows)
        t1, title1 = latest_movements(got, rows=rows)
        t2, title2 = latest_movements(ref.movements(), rows=rows)
        assert title1 == title2
        assert t1["customer"].tolist() == t2["customer"].tolist()


# ------------------------------------------------------------------ near-duplicate ids


@pytest.mark.parametrize("names", [
    {"cus_1": "acme", "cus_2": "Acme", "cus_3": "ACME", "cus_4": "aCme"},  # a key of four
    {"cus_1": "0042", "cus_2": "42", "cus_3": "042", "cus_4": "00"},  # leading zeros, and "00" alone
    {"cus_1": "Straße", "cus_2": "STRASSE", "cus_3": "strasse"},  # casefolded
    {"cus_1": "Ébc", "cus_2": "ébc"},  # non-ASCII only
    {"cus_1": "0", "cus_2": "000", "cus_3": "Z", "cus_4": "z"},
    # pairs whose second id is its own key: the rows plan lists only the first, and finds the second in the source
    {"cus_1": "Straße", "cus_2": "strasse"},
    {"cus_1": "Acme", "cus_2": "acme"},
    {"cus_1": "007", "cus_2": "7"},
])
def test_near_duplicate_ids_on_the_rows_plan(tmp_path, names):
    df = base()
    df = df.assign(customer_id=df["customer_id"].replace(names))
    assert_everything(df, tmp_path)
    assert_everything(df, tmp_path, str(months_of(df).min() + 6))


def test_gaps_months_without_customers_on_the_rows_plan(tmp_path):
    df = base()
    p = months_of(df)
    hole = [p.min() + 5, p.min() + 6, p.min() + 11]
    df = df[~p.isin(hole)].reset_index(drop=True)
    assert_everything(df, tmp_path)
    assert any("month" in c[0] for c in checks_of(prepare_ledger(df).checks))


# ------------------------------------------------------------------ the distinct-customer-months gate


@pytest.mark.parametrize("share", [0.05, 0.1, 0.12, 0.2])
def test_duplicates_near_the_estimate_gate_go_to_the_customer_month_plan(tmp_path, share):
    df = base(44, months=24, ids=80)
    n = int(len(df) * share)
    extra = df.sample(n=n, random_state=2).assign(mrr=lambda d: d["mrr"] / 3)
    df = pd.concat([df, extra], ignore_index=True).sample(frac=1.0, random_state=5).reset_index(drop=True)
    assert_everything(df, tmp_path, plan="customer-months")


# ------------------------------------------------------------------ SQLite (read into a frame: DuckDB's
# sqlite extension is not installed everywhere; SQLite's text months and REAL amounts as the frame has them)


def test_a_sqlite_tables_rows_on_the_rows_plan(tmp_path):
    df = base()
    path = tmp_path / "ledger.sqlite"
    con = sqlite3.connect(path)
    df.assign(month=df["month"].dt.strftime("%Y-%m-%d %H:%M:%S")).to_sql("ledger", con, index=False)
    frame = pd.read_sql("SELECT * FROM ledger", con)
    con.close()
    want = expected(df, "2024-03")
    led = IbisLedger(frame, as_of="2024-03")
    assert led.plan == "rows"
    assert_frames_match(led.bridge(), want["bridge"])
    assert_frames_match(led.movements(latest=3), want["latest"])
    assert (led.n_rows, led.n_customers, led.n_months, led.rows_after_as_of) == want["counts"][:4]
    assert checks_of(led.data_checks()) == checks_of(want["checks"])


# ------------------------------------------------------------------ text DuckDB reads as special values


@pytest.mark.parametrize("column, text, words", [
    ("mrr", "nan", "'nan' is not a number"), ("mrr", " NaN ", "' NaN ' is not a number"),
    ("mrr", "-nan", "'-nan' is not a number"), ("mrr", "+NAN", "'+NAN' is not a number"),
    ("month", "infinity", "'infinity' is not a date"), ("month", "-Infinity", "'-Infinity' is not a date"),
    ("month", " epoch", "' epoch' is not a date"),
])
def test_text_duckdb_reads_as_nan_infinity_or_epoch_is_refused_as_in_memory(tmp_path, column, text, words):
    """DuckDB casts 'nan' to NaN (which it orders above every number: a row "above 0", taken by the rows plan
    into every sum), 'infinity' to a timestamp without a month (the row was neither refused nor counted)
    and 'epoch' to 1970-01-01; the numpy path refuses each row as not a number / not a date."""
    df = base()
    df = df.assign(month=df["month"].dt.strftime("%Y-%m-%d").astype(object),
                   mrr=df["mrr"].map(lambda v: f"{v:.2f}").astype(object))
    df.loc[11, column] = text
    with pytest.raises(LedgerError) as want:
        prepare_ledger(df)
    assert str(want.value) == f"Row 13, column {column!r}: {words}"
    assert refused_from_every_source(df, tmp_path, want) == f"Column {column!r}: {words}"  # (no row numbers)


# ------------------------------------------------------------------ month text in the forms the numpy path reads


@pytest.mark.parametrize("text", ["2024-01", "2024-1", "2024/01", "2024.1", "01/2024", "1-2024", "1.2024",
                                  "20240105", " 2024-01 "])
def test_month_text_without_a_day_or_compact_is_read_as_in_memory(tmp_path, text):
    """A year and a month, a month and a year, a compact ISO date: the numpy path reads them (January 2024 here),
    and so does the Ibis engine, from a frame and a Parquet file (DuckDB's cast reads none of them)."""
    df = base()
    df = df.assign(month=df["month"].dt.strftime("%Y-%m-%d").astype(object))
    df.loc[df["month"].str.startswith("2024-01"), "month"] = text
    assert (df["month"] == text).sum() > 0
    want = prepare_ledger(df)
    path = tmp_path / "months.parquet"
    df.to_parquet(path)
    for led in (IbisLedger(df), IbisLedger(str(path))):
        assert_frames_match(led.bridge(), want.bridge())
        assert led.month_range() == want.month_range()


@pytest.mark.parametrize("text, words", [
    ("2024-13", "'2024-13' is not a date"), ("13/2024", "'13/2024' is not a date"),
    ("2024.13", "'2024.13' is not a date"), ("2024.99", "'2024.99' is not a date"),  # (pandas read: January)
    ("20241340", "'20241340' is not a date"), ("202401", "'202401' is not a date"),
    ("1899-12", "'1899-12' is outside the supported dates (1900-01-01 to 2261-12-31)"),
    ("22620101", "'22620101' is outside the supported dates (1900-01-01 to 2261-12-31)"),
    ("2024.13 10:00", "'2024.13 10:00' is not a date"),  # (pandas read: January)
    ("01/0000", "'01/0000' is not a date"), ("0000.1", "'0000.1' is not a date"),  # (year 0, as Python's dates)
    ("0000-01", "'0000-01' is outside the supported dates (1900-01-01 to 2261-12-31)"),  # (pandas' ISO reads it)
])
def test_month_text_out_of_range_in_those_forms_is_refused_alike(tmp_path, text, words):
    df = base()
    df = df.assign(month=df["month"].dt.strftime("%Y-%m-%d").astype(object))
    df.loc[11, "month"] = text
    with pytest.raises(LedgerError) as want:
        prepare_ledger(df)
    assert str(want.value) == f"Row 13, column 'month': {words}"
    with pytest.raises(LedgerError) as got:
        IbisLedger(df)
    assert str(got.value) == str(want.value)
