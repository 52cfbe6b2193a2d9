"""Validation of ledgers: messages name the column and the row as the user counts it."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from xl_kpi.errors import UserError
from xl_kpi.ledger import LedgerError, mrr_bridge, validate_ledger


def ledger(**overrides):
    base = {
        "customer_id": ["a", "b", "c", "d"],
        "month": ["2024-01-01", "2024-01-15", "2024-02-01", "2024-02-20"],
        "mrr": [10.0, 20.0, 30.0, 40.0],
    }
    base.update(overrides)
    return pd.DataFrame(base)


def error_of(df, **kwargs):
    with pytest.raises(LedgerError) as info:
        mrr_bridge(df, **kwargs)
    return info.value


def test_error_class():
    err = error_of(ledger(mrr=[10, 20, "x", 40]))
    assert isinstance(err, UserError) and isinstance(err, ValueError)
    assert (err.row, err.column, err.value, err.sheet) == (4, "mrr", "x", None)
    assert str(err) == "Row 4, column 'mrr': 'x' is not a number"


def test_missing_column_lists_what_is_there():
    err = error_of(ledger().rename(columns={"mrr": "amount"}))
    assert err.column == "mrr" and err.row is None
    assert "no MRR column 'mrr'" in str(err) and "'amount'" in str(err)
    err = error_of(ledger(), customer="account", sheet="Data")
    assert str(err).startswith("Sheet 'Data': the ledger has no customer column 'account'")


@pytest.mark.parametrize(
    "column, values, row, text",
    [
        ("mrr", [10, 20, 30, "1,2,3"], 5, "'1,2,3' is not a number"),
        ("mrr", [10, 20, 30, 4j], 5, "4j is a complex number, not an amount"),
        ("mrr", [10, 20, "#N/A", 40], 4, "the cell holds the Excel error #N/A"),
        ("customer_id", ["a", True, "c", "d"], 3, "True is not a customer id"),
        ("mrr", [10, 20, np.inf, 40], 4, "inf is not a number"),
        ("mrr", [10, 20, True, 40], 4, "True is not a number"),
        ("mrr", [10, None, 30, 40], 3, "the MRR is blank"),
        ("month", ["2024-01-01", "soon", "2024-02-01", "2024-02-01"], 3, "'soon' is not a date"),
        ("month", ["2024-01-01", "2024-13-45", "2024-02-01", "2024-02-01"], 3, "'2024-13-45' is not a date"),
        ("month", [45292.0, -3.0, 45323.0, 45323.0], 3, "-3 is not a date"),
        ("month", ["2024-01-01", "2024-01-01", None, "2024-02-01"], 4, "the month is blank"),
        ("month", ["2024-01-01", True, "2024-02-01", "2024-02-01"], 3, "True is not a date"),
        ("month", ["2024-01-01", dt.date(1850, 1, 1), "2024-02-01", "2024-02-01"], 3,
         "1850-01-01 is outside the supported dates (1900-01-01 to 2261-12-31)"),
        ("month", [45292.0, 45292.0, 2958000.0, 45292.0], 4, "2958000 is outside the supported dates"),
        ("customer_id", ["a", "b", "  ", "d"], 4, "the customer id is blank"),
        ("customer_id", ["a", None, "c", "d"], 3, "the customer id is blank"),
    ],
)
def test_bad_values_name_row_and_column(column, values, row, text):
    err = error_of(ledger(**{column: values}))
    assert (err.row, err.column) == (row, column)
    assert str(err).startswith(f"Row {row}, column {column!r}: {text}")


def test_first_row_and_sheet_for_the_refresh_command():
    err = error_of(ledger(mrr=[10, 20, 30, "n/a"]), first_row=7, sheet="Ledger")
    assert err.row == 10 and err.sheet == "Ledger"
    assert str(err) == "Sheet 'Ledger', row 10, column 'mrr': 'n/a' is not a number"


def test_first_problem_in_row_order_is_reported():
    df = ledger(mrr=[10, 20, 30, "bad"], month=["2024-01-01", "2024-01-01", "never", "2024-01-01"])
    err = error_of(df)
    assert (err.row, err.column) == (4, "month")


def test_positions_not_index_labels_give_row_numbers():
    df = ledger(mrr=[10, 20, "x", 40]).set_index(pd.Index([100, 7, 3, 55]))
    assert error_of(df).row == 4


def test_completely_blank_rows_are_skipped_and_nothing_else():
    df = pd.DataFrame({
        "customer_id": ["a", None, "", "b", None],
        "month": ["2024-01-01", None, "  ", "2024-02-01", np.nan],
        "mrr": [10, np.nan, "", 20, None],
    })
    clean = validate_ledger(df)
    assert clean.index.tolist() == [0, 3]
    assert clean["mrr"].tolist() == [10.0, 20.0]
    assert clean["month"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01")]
    assert mrr_bridge(df)["ending_mrr"].tolist() == [10, 20]
    # a row with only an amount is not blank: it is an error
    df.loc[1, "mrr"] = 5
    err = error_of(df)
    assert (err.row, err.column) == (3, "customer_id")


def test_date_forms():
    months = [
        dt.datetime(2024, 3, 31, 23, 59),               # datetime, end of month
        dt.date(2024, 3, 2),                            # date
        45366.75,                                       # Excel serial: 2024-03-15 18:00
        45352,                                          # integer serial: 2024-03-01
        "2024-03-10",                                   # ISO text
        "2024-03-05T12:00:00+05:00",                    # ISO with a time zone: wall-clock date
        "03/20/2024",                                   # month first
        np.datetime64("2024-03-18"),
        pd.Timestamp("2024-03-09", tz="Europe/Paris"),
        "March 3, 2024",
    ]
    df = pd.DataFrame({"customer_id": list("abcdefghij"), "month": months, "mrr": 1.0})
    clean = validate_ledger(df)
    assert (clean["month"] == pd.Timestamp("2024-03-01")).all()


def test_datetime_columns_naive_and_tz_aware():
    df = ledger(month=pd.to_datetime(["2024-01-31 23:00", "2024-02-01", "2024-02-01", "2024-03-15"], format="ISO8601"))
    assert mrr_bridge(df)["month"].tolist() == [pd.Timestamp(f"2024-0{m}-01") for m in (1, 2, 3)]
    aware = df.assign(month=df["month"].dt.tz_localize("America/New_York"))
    pd.testing.assert_frame_equal(mrr_bridge(aware), mrr_bridge(df))


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_datetime_units(unit):
    months = np.array(["1969-12-31T23:00", "2024-02-29T12:00", "2300-01-15", "NaT"], dtype=f"datetime64[{unit}]")
    if unit == "ns":
        months[2] = np.datetime64("2200-01-15")
    df = pd.DataFrame({"customer_id": ["a", "b", "c", None], "month": months, "mrr": [1.0, 2.0, 3.0, None]})
    if unit == "ns":
        assert validate_ledger(df)["month"].dt.strftime("%Y-%m").tolist() == ["1969-12", "2024-02", "2200-01"]
    else:  # 2300 is past the supported range: an error, not an overflow
        err = error_of(df)
        assert (err.row, err.column) == (4, "month") and "outside the supported dates" in str(err)
        assert validate_ledger(df.iloc[:2])["month"].dt.strftime("%Y-%m").tolist() == ["1969-12", "2024-02"]


def test_numeric_text_amounts_and_string_ids_from_a_csv():
    df = ledger(mrr=["10", " 20.5 ", "3e1", "40"]).astype(str)
    assert validate_ledger(df)["mrr"].tolist() == [10.0, 20.5, 30.0, 40.0]


def test_not_a_dataframe():
    with pytest.raises(LedgerError, match="must be a pandas DataFrame"):
        mrr_bridge([("a", "2024-01-01", 1.0)])
