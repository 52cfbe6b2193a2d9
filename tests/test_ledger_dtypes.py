"""A ledger gives the same tables whatever dtypes pandas hands it.

pandas 2 and 3 differ in what a column is by default (object vs the ``str``
dtype, nanoseconds vs microseconds), and Arrow-backed columns
(``dtype_backend="pyarrow"``, ``to_pandas(types_mapper=pd.ArrowDtype)``)
add dates and zoned timestamps that are not numpy datetimes. Each case here
is compared with the same ledger as plain text; CI runs this file under
pandas 3 and, in its pandas-2 leg, under pandas 2.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from xl_kpi.ledger import (cohort_retention, mrr_bridge, mrr_movements, prepare_ledger, subscriptions_to_ledger,
                           trailing_retention)

pa = pytest.importorskip("pyarrow")  # in the warehouse extra, which the test extra brings

DAYS = [dt.date(2024, 1, 5), dt.date(2024, 1, 31), dt.date(2024, 2, 3), dt.date(2024, 3, 1), dt.date(2024, 3, 28),
        dt.date(2024, 4, 15)]
IDS = ["a", "b", "a", "c", "b", "a"]
MRR = [10.0, 5.0, 12.0, 7.0, 5.0, 12.5]


def text_ledger() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": pd.Series(IDS, dtype=object),
                         "month": pd.Series([d.isoformat() for d in DAYS], dtype=object),
                         "mrr": MRR})


def _wall_clock(tz: str) -> list[pd.Timestamp]:
    # 23:30 local on each day: in UTC some of these are already the next day (and month)
    return [pd.Timestamp(dt.datetime.combine(d, dt.time(23, 30)), tz=tz) for d in DAYS]


MONTH_COLUMNS = {
    "datetime64[ns]": lambda: pd.Series(pd.to_datetime(DAYS)).astype("datetime64[ns]"),
    "datetime64[us]": lambda: pd.Series(pd.to_datetime(DAYS)).astype("datetime64[us]"),
    "datetime64[s]": lambda: pd.Series(pd.to_datetime(DAYS)).astype("datetime64[s]"),
    "zoned": lambda: pd.Series(_wall_clock("America/New_York")),
    "string": lambda: pd.Series([d.isoformat() for d in DAYS], dtype="string"),
    "string[pyarrow]": lambda: pd.Series([d.isoformat() for d in DAYS], dtype="string[pyarrow]"),
    "category": lambda: pd.Series([d.isoformat() for d in DAYS], dtype="category"),
    "python dates": lambda: pd.Series(DAYS, dtype=object),
    "excel serials Int64": lambda: pd.Series([(d - dt.date(1899, 12, 30)).days for d in DAYS], dtype="Int64"),
    "arrow timestamp[us]": lambda: pd.Series(pd.to_datetime(DAYS)).astype("timestamp[us][pyarrow]"),
    "arrow timestamp[ns]": lambda: pd.Series(pd.to_datetime(DAYS)).astype("timestamp[ns][pyarrow]"),
    "arrow date32": lambda: pd.Series(DAYS, dtype=pd.ArrowDtype(pa.date32())),
    "arrow date64": lambda: pd.Series(DAYS, dtype=pd.ArrowDtype(pa.date64())),
    "arrow zoned timestamp": lambda: pd.Series(pd.array(_wall_clock("America/Los_Angeles"),
                                                        dtype=pd.ArrowDtype(pa.timestamp("us", tz="America/Los_Angeles")))),
}


@pytest.mark.parametrize("kind", MONTH_COLUMNS)
def test_every_kind_of_month_column_gives_the_bridge_of_the_text_dates(kind):
    want = mrr_bridge(text_ledger())
    got = mrr_bridge(text_ledger().assign(month=MONTH_COLUMNS[kind]()))
    pd.testing.assert_frame_equal(got, want)
    assert got["month"].dt.strftime("%Y-%m").tolist() == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert got["ending_mrr"].tolist() == [15.0, 12.0, 12.0, 12.5]  # a 10 + b 5; a 12; b 5 + c 7 (a gone); a 12.5 back


def test_a_month_column_with_a_blank_names_the_row_in_every_dtype():
    for column in (pd.Series(DAYS[:2] + [None] + DAYS[3:], dtype=pd.ArrowDtype(pa.date32())),
                   pd.Series([d.isoformat() for d in DAYS[:2]] + [None] + [d.isoformat() for d in DAYS[3:]],
                             dtype="string")):
        with pytest.raises(ValueError, match=r"Row 4, column 'month': the month is blank"):
            mrr_bridge(text_ledger().assign(month=column))


ID_COLUMNS = {
    "string": lambda: pd.Series(IDS, dtype="string"),
    "string[pyarrow]": lambda: pd.Series(IDS, dtype="string[pyarrow]"),
    "category": lambda: pd.Series(IDS, dtype="category"),
    "category with unused values": lambda: pd.Series(pd.Categorical(IDS, categories=["z", "c", "b", "a"])),
    "arrow string": lambda: pd.Series(IDS, dtype=pd.ArrowDtype(pa.string())),
}


@pytest.mark.parametrize("kind", ID_COLUMNS)
def test_every_kind_of_id_column_gives_the_same_tables(kind):
    plain, typed = text_ledger(), text_ledger().assign(customer_id=ID_COLUMNS[kind]())
    pd.testing.assert_frame_equal(mrr_bridge(typed), mrr_bridge(plain))
    pd.testing.assert_frame_equal(cohort_retention(typed), cohort_retention(plain))
    moves, want = mrr_movements(typed), mrr_movements(plain)
    assert moves.astype(str).values.tolist() == want.astype(str).values.tolist()
    assert prepare_ledger(typed).n_customers == 3  # an unused category is no customer


AMOUNT_COLUMNS = {
    "text": lambda: pd.Series([str(v) for v in MRR], dtype=object),
    "string": lambda: pd.Series([str(v) for v in MRR], dtype="string"),
    "Float64": lambda: pd.Series(MRR, dtype="Float64"),
    "arrow double": lambda: pd.Series(MRR, dtype=pd.ArrowDtype(pa.float64())),
    "python floats": lambda: pd.Series(MRR, dtype=object),
}


@pytest.mark.parametrize("kind", AMOUNT_COLUMNS)
def test_every_kind_of_amount_column_gives_the_same_bridge(kind):
    pd.testing.assert_frame_equal(mrr_bridge(text_ledger().assign(mrr=AMOUNT_COLUMNS[kind]())),
                                  mrr_bridge(text_ledger()))


def test_the_callers_frame_is_left_as_it_was():
    # Without copy-on-write (pandas 2) a column taken from the caller's frame and written
    # to would change the caller's data; pandas 3 would hide that. Compare afterwards.
    frames = [text_ledger(), text_ledger().assign(month=MONTH_COLUMNS["arrow date32"](),
                                                  customer_id=ID_COLUMNS["category"]())]
    for df in frames:
        before = df.copy(deep=True)
        mrr_bridge(df)
        cohort_retention(df, basis="revenue")
        trailing_retention(df, window=1)
        mrr_movements(df)
        prepare_ledger(df).monthly_kpis()
        pd.testing.assert_frame_equal(df, before)
    subs = pd.DataFrame({"customer_id": ["a", "b"], "start_date": ["2024-01-15", "2024-02-01"],
                         "end_date": ["2024-03-14", None], "amount": ["100", 1200], "billing_months": [1, 12]})
    before = subs.copy(deep=True)
    ledger = subscriptions_to_ledger(subs, as_of="2024-04")
    pd.testing.assert_frame_equal(subs, before)
    assert ledger.groupby("customer_id")["mrr"].sum().to_dict() == {"a": 200.0, "b": 300.0}
