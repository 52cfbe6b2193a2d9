"""The synthetic SaaS company: deterministic, well-formed, and showing every MRR movement."""

import numpy as np
import pandas as pd
import pytest

from xl_kpi.sample import customer_ids, generate_ledger, generate_subscriptions


@pytest.fixture(scope="module")
def ledger():
    return generate_ledger(n_customers=3000, n_months=24, seed=11)


def test_same_seed_same_company_other_seed_other_company(ledger):
    again = generate_ledger(n_customers=3000, n_months=24, seed=11)
    pd.testing.assert_frame_equal(ledger, again)
    other = generate_ledger(n_customers=3000, n_months=24, seed=12)
    assert not other.equals(ledger)


def test_shape_and_types(ledger):
    assert list(ledger.columns) == ["customer_id", "month", "mrr"]
    assert ledger["month"].dtype.kind == "M"
    assert (ledger["month"].dt.day == 1).all()
    months = ledger["month"].drop_duplicates().sort_values()
    assert months.iloc[0] == pd.Timestamp("2024-01-01") and months.iloc[-1] == pd.Timestamp("2025-12-01")
    assert len(months) == 24
    assert (ledger["mrr"] > 0).all()
    # one row per active customer-month, amounts in cents
    assert not ledger.duplicated(["customer_id", "month"]).any()
    np.testing.assert_allclose(ledger["mrr"], ledger["mrr"].round(2))
    assert ledger["customer_id"].nunique() == 3000
    assert set(ledger["customer_id"]) == set(customer_ids(3000))


def test_every_movement_happens(ledger):
    wide = ledger.pivot(index="customer_id", columns="month", values="mrr").fillna(0.0).to_numpy()
    prev, cur = wide[:, :-1], wide[:, 1:]
    both = (prev > 0) & (cur > 0)
    assert (both & (cur > prev)).sum() > 100  # expansions
    assert (both & (cur < prev)).sum() > 50  # contractions
    assert ((prev > 0) & (cur == 0)).sum() > 300  # churn
    ever = np.maximum.accumulate(wide > 0, axis=1)
    returns = (cur > 0) & (prev == 0) & ever[:, :-1]
    assert returns.sum() > 20  # reactivations
    # churn is about 3 % a month
    monthly_churn = ((prev > 0) & (cur == 0)).sum(axis=0) / (prev > 0).sum(axis=0)
    assert 0.02 < monthly_churn[6:].mean() < 0.04


def test_more_customers_start_later(ledger):
    first = ledger.groupby("customer_id")["month"].min()
    starts = first.value_counts().sort_index()
    assert starts.iloc[-6:].mean() > starts.iloc[:6].mean()


def test_integer_ids_and_sizes():
    df = generate_ledger(n_customers=10, n_months=1, seed=0, integer_ids=True, start="2023-05-17")
    assert sorted(df["customer_id"]) == list(range(1, 11))
    assert (df["month"] == pd.Timestamp("2023-05-01")).all()
    assert generate_ledger(n_customers=0, n_months=3).empty
    for generate in (generate_ledger, generate_subscriptions):  # a clear message, not numpy's
        with pytest.raises(ValueError, match="n_customers must be >= 0 and n_months >= 1"):
            generate(n_customers=5, n_months=0)
        with pytest.raises(ValueError, match="n_customers must be >= 0 and n_months >= 1"):
            generate(n_customers=-1, n_months=5)


def test_subscriptions():
    subs = generate_subscriptions(n_customers=2000, n_months=24, seed=5)
    assert list(subs.columns) == ["customer_id", "start_date", "end_date", "amount", "billing_months"]
    assert set(subs["billing_months"]) == {1, 12}
    assert 0.15 < (subs["billing_months"] == 12).mean() < 0.35
    assert subs["end_date"].isna().any() and subs["end_date"].notna().any()
    ended = subs.dropna(subset=["end_date"])
    assert (ended["end_date"] > ended["start_date"]).all()
    assert subs["start_date"].min() >= pd.Timestamp("2024-01-01")
    assert subs["start_date"].max() < pd.Timestamp("2026-01-01")
    # a blank end means still running at the end of the horizon
    assert (ended["end_date"] < pd.Timestamp("2026-01-29")).all()
    pd.testing.assert_frame_equal(subs, generate_subscriptions(n_customers=2000, n_months=24, seed=5))
