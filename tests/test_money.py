"""The money rule (xl_kpi.ledger.money, docs/money.md): no movement or rate made of float residue.

Every face is checked: the Python analyses (bridge, cohorts, monthly KPIs
and what is derived from them), the Excel functions (=MRR_BRIDGE,
=COHORT_RETENTION) and the refresh's analysis step. The property test
builds ledgers in integer cents, splits customer-months into several rows
in exact integer arithmetic, and compares every result with the unsplit
ledger and with an exact reference computed in integers.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from xl_kpi.ledger import BRIDGE_COLUMNS, monthly_kpis, mrr_bridge, prepare_ledger
from xl_kpi.ledger.money import DECIMALS, UNIT, round_money
from xl_kpi.ledger_excel import cohort_retention_table, mrr_bridge_table
from xl_kpi.refresh import pipeline

MONEY = ["starting_mrr", "new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_mrr", "churned_mrr",
         "ending_mrr"]
COUNTS = ["customers_start", "new_customers", "reactivated_customers", "churned_customers", "customers_end"]


def point_three_ledger(first, second):
    """Customer a: the rows ``first`` in January, ``second`` in February."""
    rows = [("a", "2024-01-10", v) for v in first] + [("a", "2024-02-10", v) for v in second]
    return pd.DataFrame(rows, columns=["customer_id", "month", "mrr"])


# --------------------------------------------------------------------------- the example

@pytest.mark.parametrize("first, second", [([0.1, 0.2], [0.3]), ([0.3], [0.1, 0.2]), ([0.1, 0.2], [0.2, 0.1])])
def test_point_one_plus_point_two_is_point_three_in_the_bridge(first, second):
    assert 0.1 + 0.2 != 0.3
    feb = mrr_bridge(point_three_ledger(first, second)).iloc[1]
    assert feb["starting_mrr"] == feb["ending_mrr"] == 0.3
    assert feb["contraction_mrr"] == 0.0 and feb["expansion_mrr"] == 0.0 and feb["churned_mrr"] == 0.0
    assert math.isnan(feb["quick_ratio"])  # nothing gained, nothing lost: blank, not 0
    assert feb["net_revenue_retention"] == 1.0 and feb["gross_revenue_churn_rate"] == 0.0
    kpis = monthly_kpis(mrr_bridge(point_three_ledger(first, second))).iloc[1]
    assert kpis["net_new_mrr"] == 0.0 and kpis["mrr_growth_rate"] == 0.0
    assert kpis["gross_revenue_retention"] == 1.0 and math.isnan(kpis["quick_ratio"])


def test_point_one_plus_point_two_in_the_cohorts():
    ledger = prepare_ledger(point_three_ledger([0.1, 0.2], [0.3]))
    assert ledger.cohorts("revenue").to_numpy().tolist() == [[1.0, 1.0]]
    assert ledger.cohort_matrix("revenue").to_numpy().tolist() == [[0.3, 0.3]]
    assert ledger.cohorts("logo").to_numpy().tolist() == [[1.0, 1.0]]


def test_point_one_plus_point_two_in_the_excel_functions():
    ids, months, mrr = [["a"], ["a"], ["a"]], [[45301.0], [45301.0], [45332.0]], [[0.1], [0.2], [0.3]]
    rows = mrr_bridge_table(ids, months, mrr)
    feb = dict(zip(rows[0], rows[2]))
    assert feb["Contraction MRR"] == 0.0 and feb["Expansion MRR"] == 0.0
    assert feb["Quick Ratio"] == ""  # a blank cell, not 0
    assert feb["Net Revenue Retention"] == 1.0
    assert cohort_retention_table(ids, months, mrr, "revenue")[1] == ["2024-01", 1.0, 1.0]


def test_point_one_plus_point_two_in_the_refresh():
    df = point_three_ledger([0.1, 0.2], [0.3]).set_axis([pipeline.CUSTOMER, pipeline.MONTH, pipeline.MRR], axis=1)
    result = pipeline.analyse(df, "Data", 2)
    feb = result.bridge.iloc[1]
    assert feb["contraction_mrr"] == 0.0 and math.isnan(feb["quick_ratio"])
    assert math.isnan(result.monthly.iloc[1]["quick_ratio"])
    assert result.revenue_cohorts.to_numpy().tolist() == [[1.0, 1.0]]


def test_an_amount_below_the_rule_is_no_customer():
    """4e-7 rounds to 0 at 6 decimals: nobody is active, no customer, no rate."""
    bridge = mrr_bridge(pd.DataFrame({"customer_id": ["a", "b"], "month": ["2024-01-01", "2024-02-01"],
                                      "mrr": [4e-7, 10.0]}))
    assert bridge["customers_end"].tolist() == [0, 1]
    assert bridge["ending_mrr"].tolist() == [0.0, 10.0]
    assert bridge["new_customers"].tolist() == [0, 1]
    assert math.isnan(bridge["arpa"].iloc[0])


def test_a_bridge_with_float_residue_gives_blank_rates_in_the_monthly_table():
    """monthly_kpis applies the rule to any bridge, also one computed elsewhere (the issue's 8.6e16)."""
    bridge = mrr_bridge(point_three_ledger([0.1, 0.2], [0.3]))
    bridge.loc[1, "contraction_mrr"] = 0.1 + 0.2 - 0.3  # 5.6e-17, what the bridge had before the rule
    bridge.loc[1, "new_mrr"] = 5.0
    assert 5.0 / bridge.loc[1, "contraction_mrr"] > 1e16
    kpis = monthly_kpis(bridge)
    assert math.isnan(kpis["quick_ratio"].iloc[1])
    assert kpis["gross_revenue_churn_rate"].iloc[1] == 0.0


def test_the_rule_itself():
    assert DECIMALS == 6 and UNIT == 1e-6
    assert round_money(0.1 + 0.2) == round_money(0.3)
    assert round_money(1234567.8912346) == 1234567.891235  # a millionth of the currency unit is kept
    assert str(round_money(-1e-12)) == "0.0"  # no "-0" in a cell
    # far below a cent, far above the float residue of a hundred rows adding up to a million
    assert UNIT < 0.01 / 1000 and 1e6 * np.finfo(float).eps * 100 < UNIT / 2


# --------------------------------------------------------------------------- splitting never changes anything

def exact_reference(cents: dict[tuple[int, int], int], n_months: int) -> list[dict]:
    """The bridge in integer cents and exact fractions, a loop over months and customers."""
    customers = sorted({c for c, _ in cents})
    ever = set()
    out = []
    for m in range(n_months):
        r = dict.fromkeys(["start", "new", "exp", "react", "con", "churn", "end", "n_start", "n_new", "n_react",
                           "n_churn", "n_end"], 0)
        for c in customers:
            now, before = cents.get((c, m), 0), cents.get((c, m - 1), 0)
            r["start"] += before
            r["n_start"] += before > 0
            r["end"] += now
            r["n_end"] += now > 0
            if now and before:
                r["exp"] += max(now - before, 0)
                r["con"] += max(before - now, 0)
            elif now and c not in ever:
                r["new"] += now
                r["n_new"] += 1
            elif now:
                r["react"] += now
                r["n_react"] += 1
            elif before:
                r["churn"] += before
                r["n_churn"] += 1
        ever |= {c for c in customers if cents.get((c, m), 0)}

        def ratio(num, den):
            return float(Fraction(num, den)) if den else math.nan

        r["quick_ratio"] = ratio(r["new"] + r["exp"] + r["react"], r["con"] + r["churn"])
        r["nrr"] = ratio(r["start"] + r["exp"] - r["con"] - r["churn"], r["start"])
        r["churn_rate"] = ratio(r["n_churn"], r["n_start"])
        r["revenue_churn"] = ratio(r["con"] + r["churn"], r["start"])
        r["arpa"] = float(Fraction(r["end"], 100 * r["n_end"])) if r["n_end"] else math.nan
        out.append(r)
    return out


N_MONTHS = 6


@st.composite
def split_ledgers(draw):
    """(cents per customer-month, whole ledger, the same ledger with customer-months split into rows)."""
    cents = draw(st.dictionaries(st.tuples(st.integers(0, 4), st.integers(0, N_MONTHS - 1)),
                                 st.one_of(st.integers(0, 40), st.integers(0, 2_000_000)), min_size=1, max_size=24))
    whole, split = [], []
    for (c, m), total in sorted(cents.items()):
        date = f"2024-{m + 1:02d}-{1 + (7 * c) % 27:02d}"
        whole.append((f"c{c}", date, total / 100))
        if total >= 2:  # several positive integer parts adding up to the total exactly
            k = draw(st.integers(1, min(5, total)))
            cuts = sorted(draw(st.lists(st.integers(1, total - 1), min_size=k - 1, max_size=k - 1, unique=True)))
            parts = np.diff([0, *cuts, total]).tolist()
        else:
            parts = [total]
        assert sum(parts) == total and min(parts) >= 0
        split += [(f"c{c}", date, p / 100) for p in parts]
    order = draw(st.permutations(range(len(split))))
    cols = ["customer_id", "month", "mrr"]
    # January and the last month always exist, so both ledgers span the same months
    frame = [("zz", "2024-01-01", 0.0), ("zz", f"2024-{N_MONTHS:02d}-01", 0.0)]
    return (cents, pd.DataFrame(whole + frame, columns=cols),
            pd.DataFrame([split[i] for i in order] + frame, columns=cols))


@settings(max_examples=150, deadline=None)
@given(split_ledgers())
@example(({("a", 0): 30, ("a", 1): 30},
          pd.DataFrame([("a", "2024-01-01", 0.3), ("a", "2024-02-01", 0.3), ("zz", "2024-06-01", 0.0)],
                       columns=["customer_id", "month", "mrr"]),
          pd.DataFrame([("a", "2024-01-01", 0.1), ("a", "2024-01-01", 0.2), ("a", "2024-02-01", 0.3),
                        ("zz", "2024-06-01", 0.0)], columns=["customer_id", "month", "mrr"])))
def test_splitting_customer_months_into_rows_changes_nothing(case):
    cents, whole_df, split_df = case
    whole, split = prepare_ledger(whole_df), prepare_ledger(split_df)
    assert whole.n_months == split.n_months == N_MONTHS
    # every analysis, exactly: the stated tolerance is 1e-6, the rule gives 0
    for method in ("dense", "sort"):
        pd.testing.assert_frame_equal(split.bridge(method), whole.bridge(), check_exact=True)
    for basis in ("logo", "revenue"):
        pd.testing.assert_frame_equal(split.cohorts(basis), whole.cohorts(basis), check_exact=True)
    pd.testing.assert_frame_equal(split.monthly_kpis(), whole.monthly_kpis(), check_exact=True)
    pd.testing.assert_frame_equal(split.trailing_retention(3), whole.trailing_retention(3), check_exact=True)
    pd.testing.assert_frame_equal(split.rollup("quarter"), whole.rollup("quarter"), check_exact=True)
    # movements: the same rows (ties in size are ordered by the customer's first appearance, which
    # shuffling changes, so compare them in one order)
    def by_key(frame):
        return frame.sort_values(["month", "customer", "movement"]).reset_index(drop=True)

    pd.testing.assert_frame_equal(by_key(split.movements()), by_key(whole.movements()), check_exact=True)

    # and against exact integer arithmetic
    if not all(isinstance(c, int) for c, _ in cents):  # the explicit example names its customer "a"
        cents = {(int(c) if isinstance(c, int) else 0, m): v for (c, m), v in cents.items()}
    ref = exact_reference(cents, N_MONTHS)
    bridge = split.bridge()
    money = {"starting_mrr": "start", "new_mrr": "new", "expansion_mrr": "exp", "reactivation_mrr": "react",
             "contraction_mrr": "con", "churned_mrr": "churn", "ending_mrr": "end"}
    for column, key in money.items():
        assert bridge[column].tolist() == [r[key] / 100 for r in ref], column
    counts = {"customers_start": "n_start", "new_customers": "n_new", "reactivated_customers": "n_react",
              "churned_customers": "n_churn", "customers_end": "n_end"}
    for column, key in counts.items():
        assert bridge[column].tolist() == [r[key] for r in ref], column
    rates = {"quick_ratio": "quick_ratio", "net_revenue_retention": "nrr", "customer_churn_rate": "churn_rate",
             "gross_revenue_churn_rate": "revenue_churn", "arpa": "arpa"}
    for column, key in rates.items():
        # blank exactly where the exact denominator is 0; elsewhere the exact value up to float
        # cancellation in the rate's numerator (566.57 - 566.56 = 0.010000000000047748)
        np.testing.assert_allclose(bridge[column].to_numpy(dtype=float), [r[key] for r in ref], rtol=1e-9,
                                   atol=1e-12, equal_nan=True, err_msg=column)
    assert tuple(bridge.columns) == BRIDGE_COLUMNS


def test_existing_sample_ledger_moves_by_less_than_the_rule():
    """On the shipped sample ledger (amounts in cents) the rule moves no figure by more than float residue."""
    from xl_kpi.sample import generate_ledger

    df = generate_ledger(n_customers=800, n_months=24, seed=11)
    bridge = mrr_bridge(df)
    # an independent aggregation: pandas groupby sums, unrounded
    per = df.assign(m=pd.to_datetime(df["month"]).dt.to_period("M")).groupby(["m"])["mrr"].sum()
    np.testing.assert_allclose(bridge["ending_mrr"].to_numpy(), per.to_numpy(), rtol=0, atol=UNIT)


def test_docs_state_the_rule_the_code_applies():
    """docs/money.md names the constant's value and its example runs (a doctest of the page)."""
    import doctest
    from pathlib import Path

    page = Path(__file__).resolve().parent.parent / "docs" / "money.md"
    text = page.read_text(encoding="utf-8")
    assert f"rounded to {DECIMALS} decimal places" in text and f"(= {DECIMALS})" in text
    result = doctest.testfile(str(page), module_relative=False)
    assert result.attempted >= 4 and result.failed == 0


def test_the_ibis_engine_applies_the_same_rule():
    """Both engines read the rule from xl_kpi.ledger.money and agree to the bit on the issue's example."""
    from xl_kpi.engines import ibis_engine

    assert ibis_engine.MONEY_DECIMALS == DECIMALS
    df = point_three_ledger([0.1, 0.2], [0.3])
    bridge = ibis_engine.IbisLedger(df).bridge()
    feb = bridge.iloc[1]
    assert feb["contraction_mrr"] == 0.0 and math.isnan(feb["quick_ratio"])
    pd.testing.assert_frame_equal(bridge, mrr_bridge(df), check_exact=True)
