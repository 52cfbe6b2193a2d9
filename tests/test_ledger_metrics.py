"""Trailing retention, MRR movements, segment bridges, quarterly / annual roll-ups and cohort sizes.

Hand-worked ledgers (the catalog's trailing-retention example among them),
the catalog's identities on random hostile ledgers (hypothesis), and an
independent per-customer computation written here with plain dictionaries.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xl_kpi.ledger import (
    BRIDGE_COLUMNS, MOVEMENT_COLUMNS, MOVEMENTS, ROLLUP_COLUMNS, TRAILING_COLUMNS, mrr_bridge, mrr_movements, rollup,
    trailing_retention,
)
from xl_kpi.ledger.cohort_periods import cohort_size_table, period_cohort_totals
from xl_kpi.ledger.customer_months import active_months
from xl_kpi.ledger.money import DECIMALS
from xl_kpi.ledger.validation import ledger_codes
from xl_kpi.sample import generate_ledger
from tests.test_ledger import HAND_ROWS, check_identities, hand_ledger, random_ledger

NaN = float("nan")
FLOWS = ["new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_mrr", "churned_mrr"]
MONEY = ["starting_mrr", *FLOWS, "ending_mrr"]
COUNTS = ["customers_start", "new_customers", "reactivated_customers", "churned_customers", "customers_end"]
FLOW_COUNTS = ["new_customers", "reactivated_customers", "churned_customers"]


def month_index(value) -> int:
    ts = pd.Timestamp(value)
    return ts.year * 12 + ts.month - 1


def ledger_of(rows, columns=("customer_id", "month", "mrr")):
    return pd.DataFrame(rows, columns=list(columns))


# =========================================================================== trailing retention

def test_catalog_trailing_retention_example():
    """a (100 -> 120), b (50 -> 0), c (new, 80) over 12 months: NRR 0.8, GRR 0.6667, logo 0.5."""
    rows = [("a", "2024-01-10", 100), ("b", "2024-01-10", 50), ("c", "2024-06-01", 80)]
    rows += [("a", f"2024-{m:02d}-01", 100) for m in range(2, 13)] + [("a", "2025-01-31", 120), ("c", "2025-01-02", 80)]
    t = trailing_retention(ledger_of(rows))
    assert list(t.columns) == list(TRAILING_COLUMNS)
    assert len(t) == 13 and t["month"].iloc[-1] == pd.Timestamp("2025-01-01")
    last = t.iloc[-1]
    assert (last.base_customers, last.retained_customers) == (2, 1)
    assert (last.base_mrr, last.retained_mrr) == (150, 120)
    assert last.net_revenue_retention == pytest.approx(0.8)
    assert last.gross_revenue_retention == pytest.approx(100 / 150)
    assert last.logo_retention == 0.5
    # the first twelve months have no full window: every column but the month is NaN
    assert t.iloc[:12, 1:].isna().all().all()


def test_trailing_retention_three_month_window_hand_worked():
    t = trailing_retention(hand_ledger(), window=3).set_index("month")
    assert t.loc["2024-01-01":"2024-03-01"].isna().all().all()
    # April against January (A 100, B 50, D 30): April has no rows at all
    assert t.loc["2024-04-01"].tolist() == [3, 0, 0.0, 180, 0, 0.0, 0.0]
    # May against February (A 100; C's 0 row is not active): A is at 120
    assert t.loc["2024-05-01"].tolist() == [1, 1, 1.0, 100, 120, 1.2, 1.0]
    # June against March (A 120, C 40, D 30): A 90, C 40, D gone
    june = t.loc["2024-06-01"]
    assert june.tolist()[:5] == [3, 2, pytest.approx(2 / 3), 190, 130]
    assert june.net_revenue_retention == pytest.approx(130 / 190)
    assert june.gross_revenue_retention == pytest.approx((90 + 40) / 190)


def test_trailing_retention_is_not_chained_monthly_nrr():
    """Chaining monthly NRRs mixes in customers who joined inside the window; the trailing figure does not."""
    df = generate_ledger(n_customers=3000, n_months=30, seed=3)
    t = trailing_retention(df)
    chained = mrr_bridge(df)["net_revenue_retention"].rolling(12).apply(np.prod, raw=True)
    both = pd.DataFrame({"t": t["net_revenue_retention"], "chained": chained}).dropna()
    assert len(both) >= 12 and (abs(both["t"] - both["chained"]) > 0.01).any()


def test_trailing_window_and_empty_base():
    df = ledger_of([("a", "2024-01-01", 10), ("a", "2024-03-01", 10)])
    t = trailing_retention(df, window=1)
    # February's base is January (a 10); March's base is February: nobody, so rates are blank
    assert t["base_customers"].tolist()[1:] == [1, 0]
    assert t["net_revenue_retention"].iloc[1] == 0 and math.isnan(t["net_revenue_retention"].iloc[2])
    for bad in (0, -1, 1.5, "12", True, None):
        with pytest.raises(ValueError, match="window must be a whole number"):
            trailing_retention(df, window=bad)
    assert trailing_retention(df, window=12.0)["base_customers"].isna().all()  # 12.0 is 12; no full window


# =========================================================================== movements

HAND_MOVEMENTS = [  # month, customer, movement, before, after - worked out from the hand ledger's comments
    ("2024-01-01", "A", "new", 0, 100), ("2024-01-01", "B", "new", 0, 50), ("2024-01-01", "D", "new", 0, 30),
    ("2024-02-01", "B", "churn", 50, 0), ("2024-02-01", "D", "churn", 30, 0),
    ("2024-03-01", "C", "new", 0, 40), ("2024-03-01", "D", "reactivation", 0, 30),
    ("2024-03-01", "A", "expansion", 100, 120),
    ("2024-04-01", "A", "churn", 120, 0), ("2024-04-01", "C", "churn", 40, 0), ("2024-04-01", "D", "churn", 30, 0),
    ("2024-05-01", "E", "new", 0, 200), ("2024-05-01", "A", "reactivation", 0, 120),
    ("2024-06-01", "E", "expansion", 200, 250), ("2024-06-01", "C", "reactivation", 0, 40),
    ("2024-06-01", "A", "contraction", 120, 90),
]


@pytest.mark.parametrize("shuffle", [None, list(reversed(range(len(HAND_ROWS))))])
def test_hand_worked_movements(shuffle):
    mv = mrr_movements(hand_ledger(shuffle))
    assert list(mv.columns) == list(MOVEMENT_COLUMNS)
    got = [(m.strftime("%Y-%m-%d"), c, k, b, a) for m, c, k, b, a in
           mv[["month", "customer", "movement", "mrr_before", "mrr_after"]].itertuples(index=False)]
    assert got == HAND_MOVEMENTS  # month, then the largest change first, whatever the rows' order
    np.testing.assert_array_equal(mv["change"], mv["mrr_after"] - mv["mrr_before"])


TIED_ROWS = [  # c, a, b, "9", "10" appear in that order; every change in a month has a twin of equal size
    ("c", "2024-01-01", 100), ("a", "2024-01-01", 100), ("b", "2024-01-01", 100), ("9", "2024-01-01", 50),
    ("10", "2024-01-01", 50),
    ("c", "2024-02-01", 110), ("a", "2024-02-01", 90), ("b", "2024-02-01", 110),  # "9" and "10" churn
]


@pytest.mark.parametrize("seed", [None, 1, 2, 3])
def test_equal_movements_are_ordered_by_movement_type_then_customer_id(seed):
    """Ties (same month, same size of change): the movement type's order, then the customer id as text."""
    rows = list(TIED_ROWS)
    if seed is not None:
        np.random.default_rng(seed).shuffle(rows)
    mv = mrr_movements(ledger_of(rows))
    got = [(m.strftime("%Y-%m"), c, k, ch) for m, c, k, ch in
           mv[["month", "customer", "movement", "change"]].itertuples(index=False)]
    assert got == [
        ("2024-01", "a", "new", 100), ("2024-01", "b", "new", 100), ("2024-01", "c", "new", 100),
        ("2024-01", "10", "new", 50), ("2024-01", "9", "new", 50),  # "10" < "9" as text
        ("2024-02", "10", "churn", -50), ("2024-02", "9", "churn", -50),
        ("2024-02", "b", "expansion", 10), ("2024-02", "c", "expansion", 10), ("2024-02", "a", "contraction", -10),
    ]
    # the same order from the documented key, computed here from the rows themselves
    key = sorted(got, key=lambda r: (r[0], -abs(r[3]), MOVEMENTS.index(r[2]), r[1]))
    assert got == key


def test_float_residue_is_no_movement_and_no_retention_change():
    """0.1 + 0.2 in one month and 0.3 the next: the money rule makes it no movement at all."""
    df = ledger_of([("a", "2024-01-01", 0.1), ("a", "2024-01-15", 0.2), ("a", "2024-02-01", 0.3),
                    ("b", "2024-01-01", 1.0), ("b", "2024-02-01", 1.0)])
    mv = mrr_movements(df)
    assert mv["movement"].tolist() == ["new", "new"]
    t = trailing_retention(df, window=1).iloc[-1]
    assert t.net_revenue_retention == 1.0 and t.gross_revenue_retention == 1.0


def test_movement_of_a_zero_month_is_churn_and_unchanged_mrr_is_no_movement():
    df = ledger_of([("a", "2024-01-01", 10), ("a", "2024-02-01", 0), ("a", "2024-03-01", 10),
                    ("b", "2024-01-01", 5), ("b", "2024-02-01", 5), ("b", "2024-03-01", 5)])
    mv = mrr_movements(df)
    assert mv[["customer", "movement", "change"]].values.tolist() == [
        ["a", "new", 10], ["b", "new", 5], ["a", "churn", -10], ["a", "reactivation", 10]]


# =========================================================================== segments

def test_hand_worked_segment_bridges():
    # A moves from Basic to Pro in June (its most recent row), so all of A is Pro; E is Pro; B, C, D Basic.
    plans = {"A": "Basic", "B": "Basic", "C": "Basic", "D": "Basic", "E": "Pro"}
    rows = [(c, m, v, "Pro" if (c == "A" and m == "2024-06-01") else plans[c]) for c, m, v in HAND_ROWS]
    df = ledger_of(rows, ("customer_id", "month", "mrr", "plan"))
    seg = mrr_bridge(df, segment="plan")
    assert list(seg.columns) == ["segment", *BRIDGE_COLUMNS]
    assert seg["segment"].tolist() == ["Basic"] * 6 + ["Pro"] * 6
    pro = seg[seg.segment == "Pro"].set_index("month")
    basic = seg[seg.segment == "Basic"].set_index("month")
    assert pro["ending_mrr"].tolist() == [100, 100, 120, 0, 320, 340]  # A, then A + E
    assert basic["ending_mrr"].tolist() == [80, 0, 70, 0, 0, 40]  # B + D, C + D, C
    assert basic.loc["2024-06-01", "reactivated_customers"] == 1 and pro.loc["2024-06-01", "contraction_mrr"] == 30
    # every segment's rates come from its own totals: Pro's April churn rate is 1 of 1
    assert pro.loc["2024-04-01", "customer_churn_rate"] == 1.0
    assert basic.loc["2024-02-01", "customer_churn_rate"] == 1.0  # B and D, of 2
    total = mrr_bridge(df)
    for col in MONEY + COUNTS:
        np.testing.assert_allclose(seg.groupby("month")[col].sum().to_numpy(), total[col].to_numpy(), err_msg=col)


def test_segment_blank_and_missing_column():
    df = ledger_of([("a", "2024-01-01", 10, None), ("b", "2024-01-01", 5, "  "), ("c", "2024-01-01", 7, "Pro")],
                   ("customer_id", "month", "mrr", "plan"))
    seg = mrr_bridge(df, segment="plan")
    assert seg[["segment", "ending_mrr", "customers_end"]].values.tolist() == [["Pro", 7, 1], ["(blank)", 15, 2]]
    with pytest.raises(ValueError, match="no segment column 'Region'"):
        mrr_bridge(df, segment="Region")


# =========================================================================== roll-ups

def test_hand_worked_quarters_and_years():
    bridge = mrr_bridge(hand_ledger())
    q = rollup(bridge, "quarter")
    assert list(q.columns) == list(ROLLUP_COLUMNS)
    assert q["period"].tolist() == ["2024-Q1", "2024-Q2"]
    assert q[MONEY].values.tolist() == [[0, 220, 20, 30, 0, 80, 190], [190, 200, 50, 160, 30, 190, 380]]
    assert q[COUNTS].values.tolist() == [[0, 4, 1, 2, 3], [3, 1, 2, 3, 3]]
    assert q["partial"].tolist() == [False, False] and q["months"].tolist() == [3, 3]
    assert math.isnan(q["customer_churn_rate"].iloc[0]) and q["customer_churn_rate"].iloc[1] == 1.0
    assert q["net_revenue_retention"].iloc[1] == pytest.approx((190 + 50 - 30 - 190) / 190)
    assert q["quick_ratio"].iloc[1] == pytest.approx((200 + 50 + 160) / (30 + 190))
    assert q["period_start"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-04-01")]
    assert q["period_end"].tolist() == [pd.Timestamp("2024-03-01"), pd.Timestamp("2024-06-01")]
    y = rollup(bridge, "year")
    assert y["period"].tolist() == ["2024"] and y["partial"].tolist() == [True]
    assert y[MONEY].values.tolist() == [[0, 420, 70, 190, 30, 270, 380]]
    # a fiscal year from April: Jan-Mar 2024 is the whole last quarter of FY2024
    fq = rollup(bridge, "quarter", fiscal_year_start=4)
    assert fq["period"].tolist() == ["FY2024-Q4", "FY2025-Q1"] and fq["partial"].tolist() == [False, False]
    fy = rollup(bridge, "Year ", fiscal_year_start=4)
    assert fy["period"].tolist() == ["FY2024", "FY2025"] and fy["partial"].tolist() == [True, True]
    assert fy["ending_mrr"].tolist() == [190, 380] and fy["starting_mrr"].tolist() == [0, 190]
    pd.testing.assert_frame_equal(rollup(bridge, "month"), bridge)


def test_rollup_errors():
    bridge = mrr_bridge(hand_ledger())
    with pytest.raises(ValueError, match="period must be"):
        rollup(bridge, "week")
    for bad in (0, 13, 2.5, "4", True):
        with pytest.raises(ValueError, match="fiscal_year_start must be"):
            rollup(bridge, "quarter", fiscal_year_start=bad)
    with pytest.raises(ValueError, match="not an MRR bridge"):
        rollup(bridge.drop(columns="churned_mrr"))


# =========================================================================== cohort sizes and quarterly cohorts

def test_hand_worked_cohort_sizes_and_quarterly_cohorts():
    led = ledger_codes(hand_ledger())
    act = active_months(led)
    sizes = cohort_size_table(act, led.first_month)
    assert sizes.index.strftime("%Y-%m").tolist() == ["2024-01", "2024-03", "2024-05"]
    assert sizes.values.tolist() == [[3, 180], [1, 40], [1, 200]]  # A B D; C; E
    q_sizes = cohort_size_table(act, led.first_month, "quarter")
    assert q_sizes.values.tolist() == [[4, 220], [1, 200]]  # A B D C; E
    logo = period_cohort_totals(act, led.first_month, "logo", "quarter")
    # Q1 cohort at the end of March: A, C, D active (B left); at the end of June: A, C
    assert logo.values.tolist()[0] == [3, 2] and logo.iloc[1, 0] == 1 and math.isnan(logo.iloc[1, 1])
    revenue = period_cohort_totals(act, led.first_month, "revenue", "quarter")
    assert revenue.values.tolist()[0] == [190, 130] and revenue.iloc[1, 0] == 250
    # a year: one cohort, its month-end is December, after the data: no figure yet
    assert period_cohort_totals(act, led.first_month, "logo", "year").isna().all().all()


# =========================================================================== random hostile ledgers

def hostile_rows(draw_rows):
    """(customer, month index 0..14, amount, plan) -> ledger rows with mid-month dates, zero rows, splits."""
    return [(c, f"{2023 + m // 12}-{m % 12 + 1:02d}-{1 + (11 * m + len(c)) % 28:02d}", v, p) for c, m, v, p in draw_rows]


ROWS = st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d", "e", "f", "g"]), st.integers(0, 14),
                          st.sampled_from([0.0, 0.01, 0.1, 0.2, 0.3, 1.0, 2.5, 10.0, 99.99, 1e6]),
                          st.sampled_from(["Pro", "Basic", "", None, "Team"])), min_size=1, max_size=60)


def check_movements_equal_bridge(df, bridge, mv):
    by = mv.groupby(["month", "movement"])["change"]
    sums = by.sum().unstack(fill_value=0.0).reindex(bridge["month"], fill_value=0.0)
    counts = by.size().unstack(fill_value=0).reindex(bridge["month"], fill_value=0)
    for kind, col, sign in [("new", "new_mrr", 1), ("expansion", "expansion_mrr", 1),
                            ("reactivation", "reactivation_mrr", 1), ("contraction", "contraction_mrr", -1),
                            ("churn", "churned_mrr", -1)]:
        got = sign * (sums[kind] if kind in sums else pd.Series(0.0, index=sums.index))
        np.testing.assert_allclose(got.to_numpy(), bridge[col].to_numpy(), rtol=1e-9, atol=1e-6, err_msg=kind)
    for kind, col in [("new", "new_customers"), ("reactivation", "reactivated_customers"),
                      ("churn", "churned_customers")]:
        got = counts[kind] if kind in counts else pd.Series(0, index=counts.index)
        np.testing.assert_array_equal(got.to_numpy(), bridge[col].to_numpy(), err_msg=kind)
    # sorted by month, then by the size of the change
    key = pd.DataFrame({"m": mv["month"], "size": -mv["change"].abs()})
    assert key.equals(key.sort_values(["m", "size"], kind="stable"))
    assert (mv["change"] != 0).all()


def check_rollup(bridge, period, start):
    r = rollup(bridge, period, start)
    segments = ["segment"] if "segment" in bridge else []
    for col in FLOWS + FLOW_COUNTS:
        np.testing.assert_allclose(r.groupby(segments)[col].sum() if segments else r[col].sum(),
                                   bridge.groupby(segments)[col].sum() if segments else bridge[col].sum(),
                                   rtol=1e-9, atol=1e-6)
    lhs = r.starting_mrr + r.new_mrr + r.expansion_mrr + r.reactivation_mrr - r.contraction_mrr - r.churned_mrr
    np.testing.assert_allclose(lhs, r.ending_mrr, rtol=1e-9, atol=1e-6)
    np.testing.assert_array_equal(r.customers_start + r.new_customers + r.reactivated_customers - r.churned_customers,
                                  r.customers_end)
    assert r["months"].sum() == len(bridge)
    length = {"quarter": 3, "year": 12}[period]
    assert ((r["months"] < length) == r["partial"]).all()
    # the column selected: pandas 2's apply would also hand over the grouping columns (a FutureWarning)
    inner = r.groupby(segments or (lambda _: 0), group_keys=False)["partial"].apply(lambda g: g.iloc[1:-1])
    assert not inner.any()  # only the first and last period can be cut
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(r["customer_churn_rate"], r["churned_customers"] / r["customers_start"].where(
            r["customers_start"] > 0))
    return r


def check_trailing(t):
    grr, nrr, logo = t["gross_revenue_retention"], t["net_revenue_retention"], t["logo_retention"]
    ok = grr.notna()
    assert (grr[ok] <= 1 + 1e-12).all() and (grr[ok] >= 0).all()
    assert (grr[ok] <= nrr[ok] + 1e-12).all()
    assert (logo.dropna() <= 1).all()
    assert (t["retained_customers"].dropna() <= t["base_customers"].dropna()).all()


@settings(max_examples=80, deadline=None)
@given(ROWS, st.integers(1, 13), st.integers(1, 12))
def test_identities_on_hostile_ledgers(raw, window, fiscal_start):
    rows = hostile_rows(raw)
    df = ledger_of(rows, ("customer_id", "month", "mrr", "plan"))
    bridge = mrr_bridge(df)
    mv = mrr_movements(df)
    check_movements_equal_bridge(df, bridge, mv)
    seg = mrr_bridge(df, segment="plan")
    for _, one in seg.groupby("segment"):
        check_identities(one.drop(columns="segment").reset_index(drop=True))
    for col in MONEY + COUNTS:
        np.testing.assert_allclose(seg.groupby("month")[col].sum().to_numpy(), bridge[col].to_numpy(),
                                   rtol=1e-9, atol=1e-6, err_msg=col)
    for period in ("quarter", "year"):
        check_rollup(bridge, period, fiscal_start)
        check_rollup(seg, period, fiscal_start)
    t = trailing_retention(df, window=window)
    check_trailing(t)
    compare_with_reference(rows, t, mv, window)
    check_segment_trailing(df, t, window)


def check_segment_trailing(df, total, window):
    """Segment trailing tables add up to the total one, and each is the trailing table of its own customers."""
    from xl_kpi.ledger import prepare_ledger as prepare

    st = prepare(df, segment="plan").trailing_retention(window, by_segment=True)
    assert list(st.columns) == ["segment", *TRAILING_COLUMNS]
    check_trailing(st)
    for col in ["base_customers", "retained_customers", "base_mrr", "retained_mrr"]:
        summed = st.groupby("month", sort=True)[col].sum(min_count=1).to_numpy()
        np.testing.assert_allclose(summed, total[col].to_numpy(), rtol=1e-9, atol=1e-6, err_msg=col)
    # each customer's segment, from its most recent row (the last of its latest month), worked out here
    rows = df.assign(_order=np.arange(len(df)), _m=pd.to_datetime(df["month"]).dt.to_period("M"))
    last = rows.sort_values(["_m", "_order"]).groupby("customer_id").tail(1)
    label_of = last.set_index("customer_id")["plan"].map(
        lambda v: "(blank)" if v is None or pd.isna(v) or not str(v).strip() else v)
    segment_of_row = df["customer_id"].map(label_of)
    n_months = len(total)
    for label, own in st.groupby("segment", sort=False):
        assert len(own) == n_months
        mine = df[segment_of_row == label]
        if (mine["mrr"] > 0).any():
            alone = trailing_retention(mine, window=window)
            got = own.set_index("month").reindex(alone["month"])
            # its own ledger may start later than the report: there its first months have no window yet,
            # where the report's range gives them an empty base
            full = alone["base_customers"].notna().to_numpy()
            early = got["base_customers"].to_numpy()[~full]
            assert ((early == 0) | np.isnan(early)).all()
            for col in TRAILING_COLUMNS[1:]:
                np.testing.assert_allclose(got[col].to_numpy()[full], alone[col].to_numpy()[full], rtol=1e-9,
                                           atol=1e-9, err_msg=f"{label} {col}")


# =========================================================================== the independent computation

def reference(rows, window):
    """Per customer, with dictionaries: each month's MRR, then movements and trailing retention by hand."""
    mrr = defaultdict(float)
    for c, m, v, *_ in rows:
        mrr[(c, month_index(m))] += v
    mrr = defaultdict(float, {k: round(v, DECIMALS) for k, v in mrr.items()})  # the money rule (docs/money.md)
    months = [m for _, m in mrr]
    first, last = min(months), max(months)
    customers = {c for c, _ in mrr}
    moves = []
    for m in range(first, last + 1):
        for c in customers:
            now = mrr.get((c, m), 0.0)
            before = mrr.get((c, m - 1), 0.0)
            seen = any(mrr.get((c, k), 0.0) > 0 for k in range(first, m))
            if now > 0 and before > 0 and now != before:
                moves.append((m, c, "expansion" if now > before else "contraction", before, now))
            elif now > 0 and before <= 0:
                moves.append((m, c, "reactivation" if seen else "new", 0.0, now))
            elif now <= 0 and before > 0:
                moves.append((m, c, "churn", before, 0.0))
    trailing = {}
    for m in range(first + window, last + 1):
        base = {c: mrr[(c, m - window)] for c in customers if mrr.get((c, m - window), 0.0) > 0}
        later = {c: max(mrr.get((c, m), 0.0), 0.0) for c in base}
        trailing[m] = (len(base), sum(1 for c in base if later[c] > 0), sum(base.values()), sum(later.values()),
                       sum(min(later[c], base[c]) for c in base))
    return moves, trailing, first, last


def compare_with_reference(rows, t, mv, window):
    want_moves, want_trailing, first, last = reference(rows, window)
    got = sorted((month_index(m), c, k, b, a) for m, c, k, b, a in
                 mv[["month", "customer", "movement", "mrr_before", "mrr_after"]].itertuples(index=False))
    want = sorted(want_moves)
    assert [g[:3] for g in got] == [w[:3] for w in want]
    np.testing.assert_allclose([g[3:] for g in got], [w[3:] for w in want], rtol=1e-12, atol=1e-9)
    assert len(t) == last - first + 1
    for m, row in zip(range(first, last + 1), t.itertuples(index=False)):
        if m not in want_trailing:
            assert math.isnan(row.base_customers) and math.isnan(row.net_revenue_retention)
            continue
        n_base, n_kept, base_mrr, kept_mrr, gross = want_trailing[m]
        assert (row.base_customers, row.retained_customers) == (n_base, n_kept)
        assert row.base_mrr == pytest.approx(base_mrr, abs=1e-9) and row.retained_mrr == pytest.approx(kept_mrr, abs=1e-9)
        if base_mrr > 0:
            assert row.net_revenue_retention == pytest.approx(kept_mrr / base_mrr, rel=1e-9)
            assert row.gross_revenue_retention == pytest.approx(gross / base_mrr, rel=1e-9)
            assert row.logo_retention == pytest.approx(n_kept / n_base)
        else:
            assert math.isnan(row.net_revenue_retention) and math.isnan(row.logo_retention)


@pytest.mark.parametrize("seed", range(4))
def test_random_ledgers_against_reference(seed):
    df = random_ledger(seed, n_customers=30, n_months=16)
    rows = [(c, m, v) for c, m, v in df.itertuples(index=False)]
    for window in (1, 3, 12):
        t = trailing_retention(df, window=window)
        check_trailing(t)
        compare_with_reference(rows, t, mrr_movements(df), window)
    check_movements_equal_bridge(df, mrr_bridge(df), mrr_movements(df))


def test_sample_company_identities():
    df = generate_ledger(n_customers=3000, n_months=36, seed=5)
    df["plan"] = np.where(df["mrr"] > 150, "Pro", "Basic")  # customers move between plans as they grow
    bridge = mrr_bridge(df)
    check_movements_equal_bridge(df, bridge, mrr_movements(df))
    seg = mrr_bridge(df, segment="plan")
    for col in MONEY + COUNTS:
        np.testing.assert_allclose(seg.groupby("month")[col].sum().to_numpy(), bridge[col].to_numpy(), rtol=1e-9)
    check_rollup(seg, "quarter", 1)
    check_rollup(bridge, "year", 7)
    check_trailing(trailing_retention(df))


# =========================================================================== the report month

def test_as_of_cuts_later_rows_and_churns_a_customer_whose_last_month_is_earlier():
    df = ledger_of([("a", "2024-01-01", 10), ("b", "2024-01-01", 5), ("a", "2024-02-01", 10), ("b", "2024-03-01", 7),
                    ("a", "2024-04-01", 99)])
    mv = mrr_movements(df, as_of="2024-03-20")
    assert mv["month"].max() == pd.Timestamp("2024-03-01")
    march = mv[mv.month == "2024-03-01"][["customer", "movement", "change"]].values.tolist()
    assert march == [["a", "churn", -10], ["b", "reactivation", 7]]
    later = mrr_movements(df, as_of="2024-06")  # two months after the data: a's April MRR churns in May
    assert later[later.month == "2024-05-01"][["customer", "movement"]].values.tolist() == [["a", "churn"]]
    t = trailing_retention(df, window=2, as_of="2024-03")
    assert len(t) == 3 and t["base_mrr"].iloc[-1] == 15 and t["retained_mrr"].iloc[-1] == 7
    with pytest.raises(ValueError, match="before the ledger's first month"):
        mrr_movements(df, as_of="2023-12")
    with pytest.raises(ValueError, match="as_of must be a date"):
        trailing_retention(df, as_of="soon")


# =========================================================================== the ledger object

def test_ledger_methods_equal_the_dataframe_functions():
    from xl_kpi.ledger import cohort_retention, cohort_sizes, prepare_ledger as prepare

    df = generate_ledger(n_customers=800, n_months=20, seed=8)
    df["plan"] = np.where(df["customer_id"].str[-1].isin(list("0123")), "Pro", "Basic")
    led = prepare(df, segment="plan", as_of="2025-06")
    pd.testing.assert_frame_equal(led.trailing_retention(6), trailing_retention(df, window=6, as_of="2025-06"))
    pd.testing.assert_frame_equal(led.movements(), mrr_movements(df, as_of="2025-06"))
    pd.testing.assert_frame_equal(led.bridge(by_segment=True),
                                  mrr_bridge(df[df.month <= "2025-06-30"], segment="plan"))
    pd.testing.assert_frame_equal(led.rollup("quarter", 4, by_segment=True),
                                  rollup(led.bridge(by_segment=True), "quarter", 4))
    sizes = cohort_sizes(df, period="quarter")
    q = cohort_retention(df, basis="revenue", period="quarter")
    totals = prepare(df).cohort_matrix("revenue", "quarter")
    np.testing.assert_allclose(q.to_numpy(), totals.to_numpy() / sizes["starting_mrr"].to_numpy()[:, None])
    assert sizes["customers"].sum() == df.loc[df.mrr > 0, "customer_id"].nunique()
    with pytest.raises(ValueError, match="no segment column"):
        prepare(df).bridge(by_segment=True)


@pytest.mark.parametrize("seed, fiscal_start", [(0, 1), (1, 4), (2, 11)])
def test_period_cohorts_and_sizes_against_reference(seed, fiscal_start):
    """Quarterly and yearly cohorts, computed here per customer with dictionaries."""
    from xl_kpi.ledger import cohort_retention, cohort_sizes

    df = random_ledger(seed, n_customers=40, n_months=30)
    mrr = defaultdict(float)
    for c, m, v in df.itertuples(index=False):
        mrr[(c, month_index(m))] += v
    first_data, last_data = min(m for _, m in mrr), max(m for _, m in mrr)
    for period, length in (("quarter", 3), ("year", 12)):
        def start_of(m):  # the first month of m's period (months since year 0)
            return m - (m - (fiscal_start - 1)) % length

        first_month = {}
        for (c, m), v in sorted(mrr.items(), key=lambda kv: kv[0][1]):
            if v > 0 and c not in first_month:
                first_month[c] = m
        cohorts = defaultdict(list)
        for c, m in first_month.items():
            cohorts[start_of(m)].append(c)
        sizes = cohort_sizes(df, period=period, fiscal_year_start=fiscal_start)
        logo = cohort_retention(df, period=period, fiscal_year_start=fiscal_start)
        revenue = cohort_retention(df, basis="revenue", period=period, fiscal_year_start=fiscal_start)
        assert [month_index(t) for t in sizes.index] == sorted(cohorts)
        for row, start in enumerate(sorted(cohorts)):
            members = cohorts[start]
            base = sum(mrr[(c, first_month[c])] for c in members)
            assert sizes["customers"].iloc[row] == len(members)
            assert sizes["starting_mrr"].iloc[row] == pytest.approx(base)
            for age in range(logo.shape[1]):
                snapshot = start + length * age + length - 1  # the period's last month
                if snapshot > last_data:
                    assert math.isnan(logo.iloc[row, age]) and math.isnan(revenue.iloc[row, age])
                    continue
                active = [c for c in members if mrr.get((c, snapshot), 0.0) > 0]
                assert logo.iloc[row, age] == pytest.approx(len(active) / len(members))
                assert revenue.iloc[row, age] == pytest.approx(sum(mrr[(c, snapshot)] for c in active) / base)
    assert first_data <= last_data
