"""The Ibis engine's rows plan (one row per customer-month: one query over the rows) against the numpy path,
and the ledgers that must go to the customer-month plan instead (xl_kpi/engines/ibis_engine.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("ibis")

from tests.engine_cases import assert_frames_match, checks_of  # noqa: E402

from xl_kpi.engines.ibis_engine import IbisLedger  # noqa: E402
from xl_kpi.ledger import LedgerError, prepare_ledger  # noqa: E402
from xl_kpi.ledger.movements import MOVEMENT_MONTHS  # noqa: E402


def one_row_per_month(seed: int, customers: int = 40, months: int = 30) -> pd.DataFrame:
    """Each customer a run of months (with a pause now and then: reactivations), prices up, down and flat,
    one row per month on a random day, in random order."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(customers):
        start = int(rng.integers(0, months - 1))
        end = int(rng.integers(start + 1, months + 1))
        price = float(rng.choice([10.0, 49.99, 100.0, 0.1 + 0.2]))
        for m in range(start, end):
            if rng.random() < 0.12:
                continue  # a pause
            price = round(price * float(rng.choice([1.0, 1.0, 1.1, 0.9])), 2) or 1.0
            rows.append((f"cus_{i:03d}", pd.Timestamp(2022, 1, 1) + pd.DateOffset(months=m, days=int(rng.integers(0, 27))),
                         price))
    df = pd.DataFrame(rows, columns=["customer_id", "month", "mrr"])
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def assert_same_analysis(led: IbisLedger, ref) -> None:
    assert_frames_match(led.bridge(), ref.bridge())
    for basis in ("logo", "revenue"):
        assert_frames_match(led.cohort_matrix(basis), ref.cohort_matrix(basis))
    for window in (12, 3):
        assert_frames_match(led.trailing_retention(window), ref.trailing_retention(window))
    assert_frames_match(led.movements(), ref.movements())
    assert (led.n_customers, led.n_rows, led.month_range()) == (ref.n_customers, ref.n_rows, ref.month_range())
    assert checks_of(led.data_checks()) == checks_of(ref.checks)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_row_per_customer_month_takes_the_rows_plan_and_equals_the_numpy_path(seed):
    df = one_row_per_month(seed)
    led = IbisLedger(df)
    assert led.plan == "rows"
    assert_same_analysis(led, prepare_ledger(df))


def test_the_latest_months_movements_come_from_the_rows_plans_query(monkeypatch):
    """The MRR Movements sheet's months (the latest three with a movement, cut at a row count) are the rows the
    one query kept: no customer-month table is made for them."""
    from xl_kpi.ledger.movements import latest_months, listed_months

    df = one_row_per_month(4, customers=60)
    led, ref = IbisLedger(df), prepare_ledger(df)
    assert led.plan == "rows"
    made = []
    monkeypatch.setattr(led, "_customer_month_table", lambda: made.append(1))
    every = latest_months(ref.movements(), MOVEMENT_MONTHS)
    counts = every.groupby("month").size()
    for rows in (10_000, int(counts.iloc[-1]) + 1, 5):
        got = led.movements(latest=MOVEMENT_MONTHS, rows=rows)
        kept, cut = listed_months(counts, rows)
        want = every[every["month"].isin(kept)].reset_index(drop=True)
        if cut:
            want = want.head(rows)
        assert_frames_match(got, want)
        assert list(got.attrs["month_counts"]) == list(counts)
    assert made == []


def test_earlier_months_movements_and_another_window_read_the_customer_month_table():
    df = one_row_per_month(5)
    led, ref = IbisLedger(df), prepare_ledger(df)
    assert led.plan == "rows" and led._cm_table is None
    assert_frames_match(led.movements(latest=MOVEMENT_MONTHS + 5),
                        ref.movements().pipe(lambda m: m[m["month"].isin(sorted(m["month"].unique())[-8:])])
                        .reset_index(drop=True))
    assert led._cm_table is not None  # made for them
    assert_frames_match(led.trailing_retention(5), ref.trailing_retention(5))


@pytest.mark.parametrize("change, why", [
    (lambda df: pd.concat([df, df.iloc[[3]]], ignore_index=True), "a customer-month of two rows"),
    (lambda df: df.assign(mrr=np.where(df.index == 7, 0.0, df["mrr"])), "a row of 0"),
    (lambda df: df.assign(mrr=np.where(df.index == 7, 1e-7, df["mrr"])), "a row that rounds to 0"),
    (lambda df: pd.concat([df, df.iloc[[2]].assign(mrr=-1.0)], ignore_index=True), "a credit its month covers"),
    (lambda df: df.assign(customer_id=np.where(df.index == 4, df["customer_id"] + " ", df["customer_id"])),
     "an id with a space at its end"),
])
def test_a_ledger_that_is_not_one_row_above_0_per_customer_month_takes_the_customer_month_plan(change, why):
    df = change(one_row_per_month(6))
    led = IbisLedger(df)
    assert led.plan == "customer-months", why
    assert_same_analysis(led, prepare_ledger(df))


def test_many_rows_per_customer_month_go_to_the_customer_month_plan_without_the_rows_query(monkeypatch):
    """Two rows in every customer-month: the estimate says so, and the rows plan's query is not run."""
    df = one_row_per_month(7)
    df = pd.concat([df.assign(mrr=df["mrr"] / 2), df.assign(mrr=df["mrr"] / 2)], ignore_index=True)
    monkeypatch.setattr(IbisLedger, "_rows_query", lambda *a: pytest.fail("the rows query ran"))
    led = IbisLedger(df)
    assert led.plan == "customer-months"
    assert_frames_match(led.bridge(), prepare_ledger(df).bridge())


@pytest.mark.parametrize("source", ["frame", "parquet"])
@pytest.mark.parametrize("where", ["in the first rows", "after them"])
def test_the_estimate_reads_the_first_rows_and_the_rows_query_finds_the_rest(monkeypatch, tmp_path, where, source):
    """The estimate of the distinct customer-months is made over the first ROWS_PLAN_SAMPLE rows (by row
    number: a frame's own, a Parquet file's in several row groups): a ledger whose customer-months of two
    rows are all among them goes to the customer-month plan at once; one whose are all after them is sent
    there by the rows query (its result dropped), with the same numbers."""
    import xl_kpi.engines.ibis_engine as engine

    df = one_row_per_month(9)
    half = len(df) // 2
    part = df.iloc[:half] if where == "in the first rows" else df.iloc[half:]
    doubled = pd.concat([part.assign(mrr=part["mrr"] / 2)] * 2, ignore_index=True)
    df = pd.concat([doubled, df.iloc[half:]] if where == "in the first rows" else [df.iloc[:half], doubled],
                   ignore_index=True)
    monkeypatch.setattr(engine, "ROWS_PLAN_SAMPLE", half * (2 if where == "in the first rows" else 1))
    ran = []
    query = IbisLedger._rows_query
    monkeypatch.setattr(IbisLedger, "_rows_query", lambda self, *a: ran.append(1) or query(self, *a))
    led = IbisLedger(df if source == "frame" else parquet_of(df, tmp_path, row_group_size=half // 3))
    assert led.plan == "customer-months"
    assert ran == ([] if where == "in the first rows" else [1])
    assert_same_analysis(led, prepare_ledger(df))


def parquet_of(df: pd.DataFrame, folder, row_group_size: int) -> str:
    """``df`` written as a Parquet file of several row groups (its rows' order kept: the row numbers)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = str(folder / "ledger.parquet")
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=row_group_size)
    return path


def test_as_of_leaves_the_later_rows_out_of_the_rows_plan():
    df = one_row_per_month(8)
    for as_of in ("2023-06", "2025-01"):  # within the data, and after it (the report runs to the as-of month)
        led, ref = IbisLedger(df, as_of=as_of), prepare_ledger(df, as_of=as_of)
        assert led.plan == "rows"
        assert_same_analysis(led, ref)
        assert led.rows_after_as_of == int((df["month"].dt.to_period("M") > pd.Period(as_of, "M")).sum())


def test_a_bad_row_is_refused_from_the_first_scan_in_the_numpy_paths_words():
    df = one_row_per_month(9)
    df.loc[5, "customer_id"] = "  "
    with pytest.raises(LedgerError) as ours:
        IbisLedger(df, first_row=2)
    with pytest.raises(LedgerError) as theirs:
        prepare_ledger(df)
    assert str(ours.value) == str(theirs.value)


def test_near_duplicate_ids_are_found_over_the_rows_plans_customers():
    """A key of three ids, a pair, and a non-ASCII id that casefolds to an ASCII one."""
    df = one_row_per_month(10, customers=12)
    names = {"cus_000": "acme", "cus_001": "Acme", "cus_002": "ACME", "cus_003": "0042", "cus_004": "42",
             "cus_005": "Straße", "cus_006": "STRASSE"}
    df["customer_id"] = df["customer_id"].replace(names)
    led, ref = IbisLedger(df), prepare_ledger(df)
    assert led.plan == "rows"
    assert checks_of(led.data_checks()) == checks_of(ref.checks)
    assert any("acme" in str(c) for c in checks_of(ref.checks))
