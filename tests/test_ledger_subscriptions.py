"""subscriptions_to_ledger: the catalog's rule, billing periods, end dates, as-of month, errors."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from xl_kpi.ledger import LedgerError, mrr_bridge, subscriptions_to_ledger
from xl_kpi.sample import generate_subscriptions


def subs(rows):
    return pd.DataFrame(rows, columns=["customer_id", "start_date", "end_date", "amount", "billing_months"])


def as_dict(ledger):
    return {(c, m.strftime("%Y-%m")): v for c, m, v in ledger.itertuples(index=False)}


def test_annual_billing_is_spread_over_months():
    out = subscriptions_to_ledger(subs([("a", "2024-01-10", None, 1200, 12)]), as_of="2024-04-30")
    assert as_dict(out) == {("a", "2024-01"): 100, ("a", "2024-02"): 100, ("a", "2024-03"): 100,
                            ("a", "2024-04"): 100}


def test_end_dates_mid_month_and_last_day():
    out = subscriptions_to_ledger(subs([
        ("mid", "2024-01-31", "2024-03-15", 50, 1),     # active Jan, Feb; not in March
        ("last", "2024-01-01", "2024-03-31", 20, 1),    # ends on the last day: not "after" it -> not March
        ("next", "2024-01-01", "2024-04-01", 10, 1),    # ends the next day: March counts
        ("same", "2024-02-03", "2024-02-20", 99, 1),    # starts and ends inside February: no month
    ]), as_of="2024-06-01")
    d = as_dict(out)
    assert sorted(k for k in d if k[0] == "mid") == [("mid", "2024-01"), ("mid", "2024-02")]
    assert sorted(k for k in d if k[0] == "last") == [("last", "2024-01"), ("last", "2024-02")]
    assert sorted(k for k in d if k[0] == "next") == [("next", f"2024-0{m}") for m in (1, 2, 3)]
    assert not any(k[0] == "same" for k in d)


def test_blank_end_runs_to_as_of_and_as_of_cuts():
    rows = [("a", "2024-01-05", None, 30, 1), ("b", "2024-02-01", "2024-12-01", 60, 3),
            ("c", "2024-09-01", None, 10, 1)]
    out = subscriptions_to_ledger(subs(rows), as_of=dt.date(2024, 3, 15))
    assert as_dict(out) == {("a", "2024-01"): 30, ("a", "2024-02"): 30, ("a", "2024-03"): 30,
                            ("b", "2024-02"): 20, ("b", "2024-03"): 20}
    # default as_of: the current month (never a future one): a and c run up to this month
    out = subscriptions_to_ledger(subs(rows))
    d = as_dict(out)
    this_month = pd.Timestamp.today().strftime("%Y-%m")
    assert out.attrs["as_of"].strftime("%Y-%m") == this_month
    assert [k[1] for k in d if k[0] == "a"] == [m.strftime("%Y-%m") for m in pd.date_range("2024-01", this_month, freq="MS")]
    assert [k[1] for k in d if k[0] == "b"] == [f"2024-{m:02d}" for m in range(2, 12)]
    assert [k[1] for k in d if k[0] == "c"][-1] == this_month


def test_several_subscriptions_add_up_and_feed_the_bridge():
    rows = [("a", "2024-01-01", None, 100, 1), ("a", "2024-02-14", None, 1200, 12),
            ("b", "2024-01-20", "2024-02-05", 40, 1), (7, "2024-02-01", None, 5, None)]
    out = subscriptions_to_ledger(subs(rows), as_of="2024-03-01")
    assert as_dict(out) == {("a", "2024-01"): 100, ("a", "2024-02"): 200, ("a", "2024-03"): 200,
                            ("b", "2024-01"): 40, ("7", "2024-02"): 5, ("7", "2024-03"): 5}  # ids are text
    bridge = mrr_bridge(out)
    assert bridge["ending_mrr"].tolist() == [140, 205, 205]
    assert bridge.loc[1, ["new_mrr", "expansion_mrr", "churned_mrr"]].tolist() == [5, 100, 40]


def test_optional_columns_and_excel_serials():
    df = pd.DataFrame({"who": ["x"], "from": [45306.0], "price": [9.0]})  # 2024-01-15
    out = subscriptions_to_ledger(df, customer="who", start="from", end=None, amount="price",
                                  billing_months=None, as_of=45360)  # 2024-03-09
    assert list(out.columns) == ["who", "month", "mrr"]
    assert out["mrr"].tolist() == [9.0, 9.0, 9.0]


def test_vectorised_on_sample_subscriptions_matches_rule():
    s = generate_subscriptions(n_customers=400, n_months=18, seed=1)
    out = subscriptions_to_ledger(s, as_of="2025-06-30")
    # check the rule directly, month by month, on the whole table
    months = pd.date_range("2024-01-01", "2025-06-01", freq="MS")
    total = []
    for m in months:
        last_day = m + pd.offsets.MonthEnd(0)
        on = (s["start_date"] <= last_day) & (s["end_date"].isna() | (s["end_date"] > last_day))
        total.append((s["amount"] / s["billing_months"])[on].sum())
    got = out.groupby("month")["mrr"].sum().reindex(months, fill_value=0.0)
    np.testing.assert_allclose(got.to_numpy(), total)


@pytest.mark.parametrize(
    "row, column, text",
    [
        (("a", "later", None, 10, 1), "start_date", "'later' is not a date"),
        (("a", None, None, 10, 1), "start_date", "the start date is blank"),
        (("a", "2024-03-01", "2024-02-01", 10, 1), "end_date", "the end date '2024-02-01' is before the start date"),
        (("a", "2024-01-01", "2999-01-01", 1, 1), "end_date", "'2999-01-01' is outside the supported dates"),
        (("a", "2024-01-01", None, -1, 1), "amount", "-1 is negative"),
        (("a", "2024-01-01", None, "ten", 1), "amount", "'ten' is not a number"),
        (("a", "2024-01-01", None, 10, 0), "billing_months", "the billing period 0 must be more than 0 months"),
        (("a", "2024-01-01", None, 10, "yearly"), "billing_months", "'yearly' is not a number of months"),
    ],
)
def test_errors_name_row_and_column(row, column, text):
    df = subs([("ok", "2024-01-01", None, 10, 1), (None, None, None, None, None), row])
    with pytest.raises(LedgerError) as info:
        subscriptions_to_ledger(df, as_of="2024-06-01", sheet="Subs")
    err = info.value
    assert (err.row, err.column) == (4, column)
    assert str(err).startswith(f"Sheet 'Subs', row 4, column {column!r}: {text}")


def test_missing_column_and_bad_as_of():
    with pytest.raises(LedgerError, match="subscription list has no amount column 'amount'"):
        subscriptions_to_ledger(subs([]).drop(columns="amount"))
    with pytest.raises(LedgerError, match="as_of must be a date inside the report month, such as 2024-06"):
        subscriptions_to_ledger(subs([("a", "2024-01-01", None, 1, 1)]), as_of="someday")
    empty = subscriptions_to_ledger(subs([]), as_of="2024-01-01")
    assert empty.empty and list(empty.columns) == ["customer_id", "month", "mrr"]
