"""MRR bridge, cohorts and monthly KPIs: hand-worked ledgers, identities, a reference implementation."""

import datetime as dt
import math
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xl_kpi
from xl_kpi.ledger import (
    BRIDGE_COLUMNS, MONTHLY_KPI_COLUMNS, cohort_matrix, cohort_retention, monthly_kpis, mrr_bridge, prepare_ledger,
)
from xl_kpi.sample import generate_ledger

NaN = float("nan")
#: The bridge's money and count columns (its rates aside), in the order of BRIDGE_COLUMNS.
MONEY = ["starting_mrr", "new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_mrr", "churned_mrr",
         "ending_mrr"]
COUNTS = ["customers_start", "new_customers", "reactivated_customers", "churned_customers", "customers_end"]

# --------------------------------------------------------------------------- the hand-worked ledger
# Jan..Jun 2024. A: 100, 100, 70+50 (two rows), -, 120, 90. B: Jan only (50).
# C: zero-MRR row in Feb, 40 in Mar, back in Jun at 40. D: 30 in Jan, gone in Feb, back in Mar.
# D has a zero row in May. E: new in May at 200, 250 in June. April: no rows at all.
HAND_ROWS = [
    ("A", "2024-01-15", 100), ("B", dt.datetime(2024, 1, 31, 23, 59), 50), ("D", "2024-01-02", 30),
    ("A", "2024-02-29", 100), ("C", "2024-02-10", 0),
    ("A", "2024-03-03", 70), ("A", "2024-03-28", 50), ("C", "2024-03-17", 40), ("D", "2024-03-01", 30),
    ("A", "2024-05-05", 120), ("D", "2024-05-20", 0), ("E", "2024-05-31", 200),
    ("A", "2024-06-01", 90), ("C", "2024-06-12", 40), ("E", "2024-06-30", 250),
]

# the expected bridge, worked out by hand (see the comments in each month)
HAND_BRIDGE = {
    #              start  new   exp  react  con  churn  end  c_start new react churned c_end
    "2024-01-01": (0,     180,  0,   0,     0,   0,     180, 0,      3,  0,    0,      3),  # A, B, D new
    "2024-02-01": (180,   0,    0,   0,     0,   80,    100, 3,      0,  0,    2,      1),  # B, D churn; C's 0 row
    "2024-03-01": (100,   40,   20,  30,    0,   0,     190, 1,      1,  1,    0,      3),  # C new, A +20, D back
    "2024-04-01": (190,   0,    0,   0,     0,   190,   0,   3,      0,  0,    3,      0),  # no rows: all churn
    "2024-05-01": (0,     200,  0,   120,   0,   0,     320, 0,      1,  1,    0,      2),  # E new, A back
    "2024-06-01": (320,   0,    50,  40,    30,  0,     380, 2,      0,  1,    0,      3),  # E +50, C back, A -30
}
HAND_RATES = {  # churn rate, gross revenue churn, NRR, quick ratio, ARPA
    "2024-01-01": (NaN, NaN, NaN, NaN, 60.0),
    "2024-02-01": (2 / 3, 80 / 180, 100 / 180, 0.0, 100.0),
    "2024-03-01": (0.0, 0.0, 1.2, NaN, 190 / 3),
    "2024-04-01": (1.0, 1.0, 0.0, 0.0, NaN),
    "2024-05-01": (NaN, NaN, NaN, NaN, 160.0),
    "2024-06-01": (0.0, 30 / 320, 340 / 320, 3.0, 380 / 3),
}


def hand_ledger(order=None):
    df = pd.DataFrame(HAND_ROWS, columns=["customer_id", "month", "mrr"])
    if order is not None:
        df = df.iloc[order].reset_index(drop=True)
    return df


@pytest.mark.parametrize("method", ["dense", "sort"])
@pytest.mark.parametrize("shuffle", [False, True])
def test_hand_worked_bridge(method, shuffle):
    order = np.random.default_rng(3).permutation(len(HAND_ROWS)) if shuffle else None
    bridge = prepare_ledger(hand_ledger(order)).bridge(method)
    assert tuple(bridge.columns) == BRIDGE_COLUMNS
    assert list(bridge["month"]) == [pd.Timestamp(m) for m in HAND_BRIDGE]
    expected = pd.DataFrame(list(HAND_BRIDGE.values()), columns=MONEY + COUNTS)
    np.testing.assert_allclose(bridge[MONEY].to_numpy(), expected[MONEY].to_numpy(), atol=1e-9)
    np.testing.assert_array_equal(bridge[COUNTS].to_numpy(), expected[COUNTS].to_numpy())
    rates = ["customer_churn_rate", "gross_revenue_churn_rate", "net_revenue_retention", "quick_ratio", "arpa"]
    np.testing.assert_allclose(bridge[rates].to_numpy(), np.array(list(HAND_RATES.values())), rtol=1e-12)
    assert not np.isinf(bridge[rates].to_numpy()).any()


def test_custom_column_names_and_public_api():
    df = hand_ledger().rename(columns={"customer_id": "account", "month": "date", "mrr": "amount"})
    bridge = mrr_bridge(df, customer="account", month="date", mrr="amount")
    assert bridge["ending_mrr"].tolist() == [180, 100, 190, 0, 320, 380]
    assert bridge["month"].dtype.kind == "M"


def test_single_month_and_empty_ledger():
    one = mrr_bridge(pd.DataFrame({"customer_id": ["x", "y"], "month": ["2024-07-09", "2024-07-01"],
                                   "mrr": [10.0, 5.0]}))
    assert len(one) == 1
    assert one.loc[0, "new_mrr"] == 15 and one.loc[0, "customers_end"] == 2
    empty = mrr_bridge(pd.DataFrame({"customer_id": [None], "month": [None], "mrr": [None]}))
    assert empty.empty and tuple(empty.columns) == BRIDGE_COLUMNS


def test_only_zero_rows_give_months_but_no_customers():
    bridge = mrr_bridge(pd.DataFrame({"customer_id": ["x", "x"], "month": ["2024-01-01", "2024-03-01"],
                                      "mrr": [0, 0]}))
    assert len(bridge) == 3
    assert (bridge["ending_mrr"] == 0).all() and (bridge["customers_end"] == 0).all()
    assert bridge["arpa"].isna().all()


# --------------------------------------------------------------------------- reference implementation

def reference_bridge(rows):
    """Deliberately simple: dictionaries, and a loop over every month and customer."""
    def month_index(value):
        ts = pd.Timestamp(value)
        return ts.year * 12 + ts.month - 1

    mrr = defaultdict(float)
    for cust, month, amount in rows:
        mrr[(cust, month_index(month))] += amount
    months = [m for _, m in mrr]
    first, last = min(months), max(months)
    customers = sorted({c for c, _ in mrr}, key=str)
    out = []
    ever_active = set()
    for m in range(first, last + 1):
        r = dict.fromkeys(["new", "exp", "react", "con", "churn", "n_new", "n_react", "n_churn"], 0)
        for c in customers:
            now, before = mrr.get((c, m), 0.0), mrr.get((c, m - 1), 0.0) if m > first else 0.0
            if now > 0 and before > 0:
                if now > before:
                    r["exp"] += now - before
                else:
                    r["con"] += before - now
            elif now > 0 and c not in ever_active:
                r["new"] += now
                r["n_new"] += 1
            elif now > 0:
                r["react"] += now
                r["n_react"] += 1
            elif before > 0:
                r["churn"] += before
                r["n_churn"] += 1
        for c in customers:
            if mrr.get((c, m), 0.0) > 0:
                ever_active.add(c)
        r["end"] = sum(mrr.get((c, m), 0.0) for c in customers)
        r["n_end"] = sum(1 for c in customers if mrr.get((c, m), 0.0) > 0)
        out.append(r)
    return out


def random_ledger(seed, n_customers=40, n_months=14):
    """Random presence, zero rows, split rows, mid-month dates, shuffled."""
    rng = np.random.default_rng(seed)
    present = rng.random((n_customers, n_months)) < rng.uniform(0.2, 0.8)
    cust, month = np.nonzero(present)
    amount = np.round(rng.lognormal(2, 2, cust.size), 2) * (rng.random(cust.size) > 0.1)  # 0.01..1000s; ~10 % zero
    split = rng.random(cust.size) < 0.15
    cust = np.r_[cust, cust[split]]
    month = np.r_[month, month[split]]
    amount = np.r_[amount, np.round(rng.uniform(1, 50, split.sum()), 2)]
    day = rng.integers(1, 29, cust.size)
    dates = [f"{2023 + (m // 12)}-{m % 12 + 1:02d}-{d:02d}" for m, d in zip(month, day)]
    df = pd.DataFrame({"customer_id": [f"cust{c}" for c in cust], "month": dates, "mrr": amount})
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)


@pytest.mark.parametrize("seed", range(12))
def test_agrees_with_reference_on_random_ledgers(seed):
    df = random_ledger(seed)
    ref = reference_bridge(df.itertuples(index=False))
    prepared = prepare_ledger(df)
    for method in ("dense", "sort"):
        bridge = prepared.bridge(method)
        assert len(bridge) == len(ref)
        for got, want in zip(bridge.itertuples(), ref):
            assert got.new_mrr == pytest.approx(want["new"], abs=1e-6)
            assert got.expansion_mrr == pytest.approx(want["exp"], abs=1e-6)
            assert got.reactivation_mrr == pytest.approx(want["react"], abs=1e-6)
            assert got.contraction_mrr == pytest.approx(want["con"], abs=1e-6)
            assert got.churned_mrr == pytest.approx(want["churn"], abs=1e-6)
            assert got.ending_mrr == pytest.approx(want["end"], abs=1e-6)
            assert (got.new_customers, got.reactivated_customers, got.churned_customers, got.customers_end) == (
                want["n_new"], want["n_react"], want["n_churn"], want["n_end"])


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.integers(0, 9),
                          st.sampled_from([0.0, 0.5, 1.0, 2.5, 10.0, 99.99])), min_size=1, max_size=40))
def test_hypothesis_ledgers_agree_with_reference(rows):
    rows = [(c, f"{2024 + m // 12}-{m % 12 + 1:02d}-{1 + (7 * m) % 28:02d}", v) for c, m, v in rows]
    df = pd.DataFrame(rows, columns=["customer_id", "month", "mrr"])
    ref = reference_bridge(rows)
    bridge = mrr_bridge(df)
    check_identities(bridge)
    got = bridge[["new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_mrr", "churned_mrr", "ending_mrr",
                  "new_customers", "reactivated_customers", "churned_customers", "customers_end"]].to_numpy()
    want = [[r["new"], r["exp"], r["react"], r["con"], r["churn"], r["end"], r["n_new"], r["n_react"], r["n_churn"],
             r["n_end"]] for r in ref]
    np.testing.assert_allclose(got, np.array(want, dtype=float), atol=1e-9)


def check_identities(bridge):
    b = bridge
    lhs = b.starting_mrr + b.new_mrr + b.expansion_mrr + b.reactivation_mrr - b.contraction_mrr - b.churned_mrr
    np.testing.assert_allclose(lhs, b.ending_mrr, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(b.starting_mrr.iloc[1:].to_numpy(), b.ending_mrr.iloc[:-1].to_numpy())
    assert b.starting_mrr.iloc[0] == 0 and b.customers_start.iloc[0] == 0
    counts = b.customers_start + b.new_customers + b.reactivated_customers - b.churned_customers
    np.testing.assert_array_equal(counts, b.customers_end)
    np.testing.assert_array_equal(b.customers_start.iloc[1:].to_numpy(), b.customers_end.iloc[:-1].to_numpy())
    money = b[["new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_mrr", "churned_mrr"]]
    assert (money.to_numpy() >= 0).all()
    rates = b[["customer_churn_rate", "gross_revenue_churn_rate", "net_revenue_retention", "quick_ratio", "arpa"]]
    assert not np.isinf(rates.to_numpy()).any()
    # months run without gaps
    assert (b.month.diff().dropna().dt.days.between(28, 31)).all()


@pytest.mark.parametrize("seed", range(5))
def test_identities_on_random_and_sample_ledgers(seed):
    check_identities(mrr_bridge(random_ledger(100 + seed, n_customers=200, n_months=30)))
    sample = generate_ledger(n_customers=2000, n_months=24, seed=seed)
    check_identities(mrr_bridge(sample))


def test_dense_and_sort_paths_agree_on_sample():
    prepared = prepare_ledger(generate_ledger(n_customers=5000, n_months=36, seed=9))
    pd.testing.assert_frame_equal(prepared.bridge("dense"), prepared.bridge("sort"))


def test_integer_ids_and_serial_month_column():
    df = generate_ledger(n_customers=300, n_months=12, seed=4, integer_ids=True)
    serials = df.assign(month=(df["month"] - pd.Timestamp("1899-12-30")).dt.days.astype(float) + 14.5)
    pd.testing.assert_frame_equal(mrr_bridge(serials), mrr_bridge(df))


# --------------------------------------------------------------------------- cohorts

def test_hand_worked_cohorts():
    logo = cohort_retention(hand_ledger())
    assert list(logo.index) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-01"), pd.Timestamp("2024-05-01")]
    assert list(logo.columns) == [0, 1, 2, 3, 4, 5]
    expected = [[1, 1 / 3, 2 / 3, 0, 1 / 3, 1 / 3],
                [1, 0, 0, 1, NaN, NaN],
                [1, 1, NaN, NaN, NaN, NaN]]
    np.testing.assert_allclose(logo.to_numpy(), expected)
    revenue = cohort_retention(hand_ledger(), basis="revenue")
    expected = [[1, 100 / 180, 150 / 180, 0, 120 / 180, 90 / 180],
                [1, 0, 0, 1, NaN, NaN],
                [1, 1.25, NaN, NaN, NaN, NaN]]
    np.testing.assert_allclose(revenue.to_numpy(), expected)
    sizes = cohort_matrix(hand_ledger())[0]
    assert sizes.tolist() == [3, 1, 1]
    assert cohort_matrix(hand_ledger(), basis="REVENUE ")[0].tolist() == [180, 40, 200]


def test_cohorts_match_bridge_and_reference():
    df = random_ledger(7, n_customers=120, n_months=18)
    bridge = mrr_bridge(df)
    sizes = cohort_matrix(df)[0]
    new = bridge.set_index("month")["new_customers"]
    # cohort sizes = new customers per month (months without new customers have no cohort)
    pd.testing.assert_series_equal(sizes, new[new > 0].astype(float), check_names=False, check_index_type=False,
                                   check_freq=False)
    revenue = cohort_matrix(df, basis="revenue")[0]
    new_mrr = bridge.set_index("month")["new_mrr"]
    np.testing.assert_allclose(revenue.to_numpy(), new_mrr[new_mrr > 0].to_numpy())
    # reference: per cohort and age, count by hand
    per_month = df.assign(m=pd.to_datetime(df["month"]).dt.to_period("M")).groupby(["customer_id", "m"])["mrr"].sum()
    active = per_month[per_month > 0].reset_index()
    first = active.groupby("customer_id")["m"].min()
    logo = cohort_retention(df)
    for cohort_month, row in logo.iterrows():
        members = set(first[first == pd.Period(cohort_month, "M")].index)
        for age, value in row.items():
            m = pd.Period(cohort_month, "M") + age
            if m > per_month.index.get_level_values(1).max():
                assert math.isnan(value)
                continue
            alive = set(active.loc[active["m"] == m, "customer_id"]) & members
            assert value == pytest.approx(len(alive) / len(members))


def test_cohort_errors():
    with pytest.raises(ValueError, match="basis"):
        cohort_retention(hand_ledger(), basis="logos")


# --------------------------------------------------------------------------- monthly KPIs

def test_monthly_kpis_hand_worked():
    kpis = monthly_kpis(mrr_bridge(hand_ledger()))
    assert tuple(kpis.columns) == MONTHLY_KPI_COLUMNS
    assert kpis["arr"].tolist() == [2160, 1200, 2280, 0, 3840, 4560]
    np.testing.assert_allclose(kpis["arpa"], [60, 100, 190 / 3, NaN, 160, 380 / 3])
    np.testing.assert_allclose(kpis["mrr_growth_rate"], [NaN, -80 / 180, 0.9, -1.0, NaN, 60 / 320])
    np.testing.assert_allclose(kpis["net_revenue_retention"], [NaN, 100 / 180, 1.2, 0, NaN, 340 / 320])
    np.testing.assert_allclose(kpis["gross_revenue_retention"], [NaN, 100 / 180, 1.0, 0, NaN, 290 / 320])
    np.testing.assert_allclose(kpis["customer_churn_rate"], [NaN, 2 / 3, 0, 1, NaN, 0])
    np.testing.assert_allclose(kpis["gross_revenue_churn_rate"], [NaN, 80 / 180, 0, 1, NaN, 30 / 320])
    # the bridge and the table share the name (and the number) of each rate they both have
    bridge = mrr_bridge(hand_ledger())
    for name in set(MONTHLY_KPI_COLUMNS) & set(BRIDGE_COLUMNS) - {"month"}:
        np.testing.assert_array_equal(kpis[name].to_numpy(dtype=float), bridge[name].to_numpy(dtype=float), name)
    # the former name still reads the same column, with a warning
    with pytest.warns(DeprecationWarning, match="gross_revenue_churn_rate"):
        former = kpis["revenue_churn_rate"]
    pd.testing.assert_series_equal(former, kpis["gross_revenue_churn_rate"])
    np.testing.assert_allclose(kpis["quick_ratio"], [NaN, 0, NaN, 0, NaN, 3.0])
    np.testing.assert_allclose(kpis["net_new_mrr"], [180, -80, 90, -190, 320, 60])


def test_monthly_kpis_use_the_core_definitions():
    bridge = mrr_bridge(generate_ledger(n_customers=500, n_months=12, seed=2))
    kpis = monthly_kpis(bridge)
    row = bridge.iloc[6]
    k = kpis.iloc[6]
    assert k["arr"] == xl_kpi.arr(row.ending_mrr)
    assert k["net_revenue_retention"] == xl_kpi.net_revenue_retention(
        row.starting_mrr, row.expansion_mrr, row.contraction_mrr, row.churned_mrr)
    assert k["quick_ratio"] == pytest.approx(row.quick_ratio)
    assert k["customer_churn_rate"] == pytest.approx(row.customer_churn_rate)
    # bridge identity in KPI terms: growth = net new / starting
    np.testing.assert_allclose(kpis["mrr_growth_rate"][1:], (kpis["net_new_mrr"] / bridge["starting_mrr"])[1:])
    with pytest.raises(ValueError, match="not an MRR bridge"):
        monthly_kpis(bridge.drop(columns=["arpa"]))


def test_money_columns_are_float_even_without_any_movement_of_that_kind():
    ledger = pd.DataFrame({"customer_id": ["a", "b"], "month": ["2024-01-15", "2024-02-20"], "mrr": [100, 50]})
    bridge = mrr_bridge(ledger)  # no reactivation, expansion or contraction at all
    for column in MONEY:
        assert bridge[column].dtype == "float64", column


def test_one_prepared_ledger_serves_every_analysis_with_one_aggregation(monkeypatch):
    """The Ledger object adds up customer-months once; its analyses equal the DataFrame functions."""
    from xl_kpi.ledger import customer_months, prepared as prepared_module

    df = generate_ledger(n_customers=300, n_months=18, seed=5)
    calls = []
    real = customer_months.active_months
    monkeypatch.setattr(prepared_module, "active_months", lambda *a, **k: calls.append(1) or real(*a, **k))
    ledger = prepare_ledger(df)
    bridge = ledger.bridge()
    logo, revenue, kpis = ledger.cohorts("logo"), ledger.cohorts("revenue"), ledger.monthly_kpis()
    assert len(calls) == 1
    pd.testing.assert_frame_equal(bridge, mrr_bridge(df))
    pd.testing.assert_frame_equal(logo, cohort_retention(df))
    pd.testing.assert_frame_equal(revenue, cohort_retention(df, basis="revenue"))
    pd.testing.assert_frame_equal(ledger.cohort_matrix("revenue"), cohort_matrix(df, basis="revenue"))
    pd.testing.assert_frame_equal(kpis, monthly_kpis(mrr_bridge(df)))
    assert (ledger.n_rows, ledger.n_customers, ledger.n_months) == (len(df), df["customer_id"].nunique(), 18)
