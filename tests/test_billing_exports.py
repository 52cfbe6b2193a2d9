"""Billing exports: Stripe's dashboard subscriptions export and Baremetrics' import template.

The files are written here in the exact layouts of those exports.  The MRR
each subscription contributes, month by month, is worked out in this file
from the documented rules (MRR = amount x quantity / months per interval; a
trial counts from its end; ends at Ended At, or at Current Period End when
canceled at period end; incomplete never counts) with plain date arithmetic,
and compared with the MRR Bridge the refresh writes.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from tests.test_sources import bridge_in, expected_bridge
from xl_kpi.cli import main as cli_main
from xl_kpi.ledger.baremetrics import baremetrics_subscriptions
from xl_kpi.ledger.money import UNIT
from xl_kpi.ledger.stripe import stripe_subscriptions
from xl_kpi.refresh import refresh_file
from xl_kpi.templates import ledger_book

STRIPE_HEADER = ["id", "Customer ID", "Customer Name", "Customer Email", "Plan", "Product", "Quantity", "Currency",
                 "Interval", "Amount", "Status", "Created (UTC)", "Start (UTC)", "Current Period Start (UTC)",
                 "Current Period End (UTC)", "Trial Start (UTC)", "Trial End (UTC)", "Canceled At (UTC)",
                 "Ended At (UTC)", "plan_tier (metadata)"]

#: (id, customer, qty, currency, interval, amount, status, start, period end, trial start, trial end,
#:  canceled at, ended at)
STRIPE_ROWS = [
    ("sub_m", "cus_1", 2, "usd", "month", 25.00, "active", "2024-01-10", "2024-07-10", "", "", "", ""),
    ("sub_y", "cus_2", 1, "usd", "year", 1200.00, "active", "2024-02-01", "2025-02-01", "", "", "", ""),
    ("sub_w", "cus_3", 1, "usd", "week", 10.00, "past_due", "2024-03-05", "2024-07-02", "", "", "", ""),
    ("sub_d", "cus_4", 3, "usd", "day", 1.00, "canceled", "2024-01-01", "2024-04-16", "", "", "2024-04-15",
     "2024-04-15"),
    ("sub_t1", "cus_5", 1, "usd", "month", 40.00, "active", "2024-01-01", "2024-06-15", "2024-01-01", "2024-02-15",
     "", ""),
    ("sub_t2", "cus_6", 1, "usd", "month", 99.00, "trialing", "2024-06-01", "2024-06-30", "2024-06-01",
     "2024-06-30", "", ""),
    ("sub_t3", "cus_7", 1, "usd", "month", 20.00, "canceled", "2024-02-01", "2024-03-01", "2024-02-01",
     "2024-03-01", "2024-02-20", "2024-02-20"),
    ("sub_pe", "cus_8", 1, "usd", "month", 30.00, "active", "2024-01-15", "2024-05-10", "", "", "2024-04-20", ""),
    ("sub_i", "cus_9", 1, "usd", "month", 70.00, "incomplete", "2024-03-01", "2024-04-01", "", "", "", ""),
    ("sub_ix", "cus_10", 1, "usd", "month", 80.00, "incomplete_expired", "2024-03-01", "2024-04-01", "", "", "", ""),
    ("sub_m2", "cus_1", 1, "usd", "month", 5.00, "active", "2024-03-01", "2024-07-01", "", "", "", ""),
    ("sub_f", "cus_11", 1, "usd", "month", 0.00, "active", "2024-01-01", "2024-07-01", "", "", "", ""),
]
AS_OF = (2024, 6)
#: months per interval, as documented: a 365-day year
MONTHS = {"day": 12 / 365, "week": 7 * 12 / 365, "month": 1, "year": 12}


def write_stripe(path: Path, rows=STRIPE_ROWS, start_header="Start (UTC)", scale=1.0) -> Path:
    header = [start_header if h == "Start (UTC)" else h for h in STRIPE_HEADER]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for (sid, cust, qty, cur, interval, amount, status, start, pend, tstart, tend, canc, ended) in rows:
            stamp = lambda d: f"{d} 08:30" if d else ""  # noqa: E731 - Stripe writes "YYYY-MM-DD HH:MM"
            w.writerow([sid, cust, f"Name, {cust}", f"{cust}@example.com", f"price_{interval}", "prod_1", qty, cur,
                        interval, f"{amount * scale:.2f}" if scale == 1 else f"{amount * scale:.0f}", status,
                        stamp(start), stamp(start), stamp(start), stamp(pend), stamp(tstart), stamp(tend),
                        stamp(canc), stamp(ended), 'gold, "annual"'])
    return path


def last_day(y: int, m: int) -> dt.date:
    return dt.date(y, m, calendar.monthrange(y, m)[1])


def months_until(as_of):
    y, m = 2024, 1
    while (y, m) <= as_of:
        yield y, m
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def stripe_expected(rows=STRIPE_ROWS, as_of=AS_OF, fx=None):
    """Ledger rows (customer, month, MRR) from the README's Stripe rules, by hand."""
    out = []
    for (sid, cust, qty, cur, interval, amount, status, start, pend, tstart, tend, canc, ended) in rows:
        day = dt.date.fromisoformat
        if status in ("incomplete", "incomplete_expired", "trialing") or amount == 0:
            continue
        paid = day(tend) if tend and day(tend) > day(start) else day(start)
        end = day(ended) if ended else (day(pend) if canc else None)
        if end is not None and tend and end <= paid:
            continue  # canceled during the trial
        mrr = amount * qty / MONTHS[interval] * (fx or {}).get(cur.upper(), 1.0)
        for y, m in months_until(as_of):
            if paid <= last_day(y, m) and (end is None or end > last_day(y, m)):
                out.append((cust, f"{y}-{m:02d}-01", mrr))
    return out


@pytest.fixture
def book(tmp_path) -> Path:
    return ledger_book.build(tmp_path / "book.xlsx")


def assert_bridge(book: Path, rows) -> None:
    got, want = bridge_in(book), expected_bridge(rows)
    assert got["Month"] == want["Month"]
    # the money rule (docs/money.md) rounds each customer-month to UNIT: a month of n customers
    # may differ from the unrounded reference by up to n * UNIT / 2
    tol = UNIT / 2 * max(len(rows), 1)
    for col in ("Ending MRR", "New MRR", "Reactivation MRR", "Churned MRR", "Expansion MRR", "Contraction MRR"):
        assert got[col] == pytest.approx(want[col], rel=1e-12, abs=tol), col


# --------------------------------------------------------------------------- Stripe


@pytest.mark.parametrize("start_header", ["Start (UTC)", "Start Date (UTC)"])
def test_stripe_export_through_the_command_line(book, tmp_path, capsys, start_header):
    src = write_stripe(tmp_path / "subscriptions.csv", start_header=start_header)
    assert cli_main(["refresh", str(book), "--ledger", str(src), "--input", "stripe", "--as-of", "2024-06"]) == 0
    assert_bridge(book, stripe_expected())
    cap = capsys.readouterr()
    assert f"from {src} (stripe); amounts read as units; currency USD (" in cap.out
    lines = cap.err.splitlines()
    assert "xl-kpi refresh: Stripe export: 12 rows: 7 used, 5 skipped" in lines
    skipped = [("trial", "2 rows", "line 7, line 8"), ("incomplete", "2 rows", "line 10, line 11"),
               ("free: amount 0", "1 row", "line 13")]
    for reason, n, where in skipped:  # skipped by design: printed as notes, not warnings
        assert any(line.startswith(f"xl-kpi refresh: {n} of the Stripe export skipped ({reason}): "
                                   f"{where}; ") for line in lines), reason
    assert not [line for line in lines if "warning" in line]
    # the same fates reach the report's Data checks block, and the stamp names the source and the amounts
    texts = summary_texts(book)
    block = texts[texts.index("Data checks") + 1:texts.index("This refresh")]
    assert block[0] == "No data checks"  # nothing suspect: every line below is how the export was read
    for reason, n, where in skipped:
        assert any(t.startswith(f"{n} of the Stripe export skipped ({reason}): {where}; ")
                   and t.endswith(" (how the data was read)") for t in block), reason
    assert "Stripe export: 12 rows: 7 used, 5 skipped (how the data was read)" in block
    assert f"Input table: {src} (stripe format)" in texts
    assert "Amounts: amounts read as units; currency USD" in texts
    # 12 = 7 used + the 5 skipped, each counted once
    assert 7 + sum(int(n.split()[0]) for _, n, _ in skipped) == 12


def summary_texts(path: Path) -> list[str]:
    """The KPI Summary sheet's text cells, in reading order (its Data checks and stamp blocks among them)."""
    import openpyxl

    ws = openpyxl.load_workbook(path)["KPI Summary"]
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


def test_stripe_worked_numbers(book, tmp_path):
    """A few months by hand: the weekly and daily plans, the trial, the cancellation at period end."""
    src = write_stripe(tmp_path / "s.csv")
    refresh_file(book, ledger=src, input="stripe", as_of="2024-06")
    ending = dict(zip(bridge_in(book)["Month"], bridge_in(book)["Ending MRR"]))
    jan = 2 * 25 + 3 * 365 / 12 + 30  # sub_m, sub_d (3 x 1.00 a day), sub_pe; sub_t1 still in trial
    assert ending[dt.datetime(2024, 1, 1)] == pytest.approx(jan)
    feb = jan + 100 + 40  # + the annual plan (1200 / 12) + the trial that turned paid on Feb 15
    assert ending[dt.datetime(2024, 2, 1)] == pytest.approx(feb)
    # March: + the weekly plan (10 x 365 / 84) + cus_1's second subscription (5)
    assert ending[dt.datetime(2024, 3, 1)] == pytest.approx(feb + 10 * 365 / 84 + 5)
    # April: the daily plan ended on Apr 15; May: sub_pe ended with its period (May 10), not at Canceled At
    assert ending[dt.datetime(2024, 4, 1)] == pytest.approx(feb + 10 * 365 / 84 + 5 - 3 * 365 / 12)
    assert ending[dt.datetime(2024, 5, 1)] == pytest.approx(feb + 10 * 365 / 84 + 5 - 3 * 365 / 12 - 30)


def test_stripe_cents_give_the_same_report(book, tmp_path):
    units = write_stripe(tmp_path / "units.csv")
    cents = write_stripe(tmp_path / "cents.csv", scale=100)
    refresh_file(book, ledger=units, input="stripe", as_of="2024-06")
    a = bridge_in(book)
    result = refresh_file(book, ledger=cents, input="stripe", as_of="2024-06", amount_unit="cents")
    assert bridge_in(book) == a
    assert "amounts read as cents" in result.source
    # the wrong unit is visible at once: 100x the MRR, and the unit in the summary
    result = refresh_file(book, ledger=cents, input="stripe", as_of="2024-06")
    assert bridge_in(book)["Ending MRR"][0] == pytest.approx(100 * a["Ending MRR"][0])
    assert "amounts read as units" in result.source


def _with_euro(rows=STRIPE_ROWS):
    return rows + [("sub_eur", "cus_12", 1, "eur", "month", 50.00, "active", "2024-02-01", "2024-07-01", "", "", "",
                    "")]


def test_several_currencies_refused_then_converted_or_kept(book, tmp_path, capsys):
    src = write_stripe(tmp_path / "s.csv", rows=_with_euro())
    before = book.read_bytes()
    args = ["refresh", str(book), "--quiet", "--ledger", str(src), "--input", "stripe", "--as-of", "2024-06"]
    assert cli_main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "has amounts in several currencies: USD (8 rows), EUR (1 row); they do not add up" in err
    assert "--fx rates.csv" in err and "\n" not in err
    assert book.read_bytes() == before

    rates = tmp_path / "rates.csv"
    rates.write_text("currency,rate\nUSD,1\nEUR,1.1\n")
    assert cli_main(args + ["--fx", str(rates)]) == 0
    assert_bridge(book, stripe_expected(_with_euro(), fx={"EUR": 1.1}))
    result = refresh_file(book, ledger=src, input="stripe", as_of="2024-06", fx=rates)
    assert "FX per row: EUR x 1.1, USD x 1" in result.source

    result = refresh_file(book, ledger=src, input="stripe", as_of="2024-06", currency="usd")
    assert_bridge(book, stripe_expected())
    assert any(c.startswith("1 row of the Stripe export skipped (other currency): line 14; only the currency kept")
               for c in result.checks)
    other = [c for c in result.data_checks if c.name == "rows skipped (other currency)"]
    assert [(c.count, c.examples) for c in other] == [(1, ("line 14",))]

    rates.write_text("currency,rate\nUSD,1\n")
    assert cli_main(args + ["--fx", str(rates)]) == 2
    assert capsys.readouterr().err.strip().endswith(f"{src}: line 14, column 'Currency': the FX table has no rate "
                                                    f"for 'eur'")


def test_stripe_bad_rows_are_named(book, tmp_path, capsys):
    rows = list(STRIPE_ROWS)
    rows[3] = rows[3][:6] + ("cancelled",) + rows[3][7:]
    src = write_stripe(tmp_path / "s.csv", rows=rows)
    before = book.read_bytes()
    assert cli_main(["refresh", str(book), "--ledger", str(src), "--input", "stripe"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"xl-kpi refresh: error: {src}: line 5, column 'Status': 'cancelled' is not a Stripe "
                          f"subscription status")
    assert book.read_bytes() == before
    rows = list(STRIPE_ROWS)
    rows[1] = rows[1][:4] + ("fortnight",) + rows[1][5:]
    write_stripe(src, rows=rows)
    assert cli_main(["refresh", str(book), "--ledger", str(src), "--input", "stripe"]) == 2
    assert ("line 3, column 'Interval': 'fortnight' is not a billing interval (day, week, month or year)"
            in capsys.readouterr().err)


def test_stripe_python_api():
    df = pd.DataFrame([dict(zip(STRIPE_HEADER, [sid, cust, "", "", "", "", qty, cur, interval, amount, status,
                                                 start, start, start, pend, ts, te, c, e, ""]))
                       for (sid, cust, qty, cur, interval, amount, status, start, pend, ts, te, c, e) in STRIPE_ROWS])
    export = stripe_subscriptions(df.replace("", None))
    ledger = export.to_ledger(as_of="2024-06")
    want = pd.DataFrame(stripe_expected(), columns=["customer_id", "month", "mrr"])
    want = want.groupby(["customer_id", "month"], as_index=False)["mrr"].sum()
    got = ledger.assign(month=ledger["month"].dt.strftime("%Y-%m-%d")).sort_values(["customer_id", "month"])
    assert got["customer_id"].tolist() == want.sort_values(["customer_id", "month"])["customer_id"].tolist()
    assert got["mrr"].to_numpy() == pytest.approx(want.sort_values(["customer_id", "month"])["mrr"].to_numpy())
    assert export.fates.used == 7 and sorted(export.fates.skipped) == ["free: amount 0", "incomplete", "trial"]


# --------------------------------------------------------------------------- Baremetrics

BM_HEADER = ["plan_oid", "plan_name", "plan_currency", "plan_amount", "plan_interval", "plan_interval_count",
             "customer_oid", "customer_name", "customer_email", "subscription_oid", "subscription_started_at",
             "subscription_canceled_at", "subscription_quantity"]
#: (plan, currency, cents, interval, count, customer, started, canceled, quantity)
BM_ROWS = [
    ("plan_1", "USD", 5000, "month", 1, "customer_1", "2024-01-05", "2024-04-04", 1),
    ("plan_2", "USD", 60000, "year", 1, "customer_2", "2024-02-01", "", 2),
    ("plan_3", "USD", 9000, "month", 3, "customer_3", "2024-01-20", "", ""),
    ("plan_4", "USD", 700, "week", 2, "customer_1", "2024-03-01", "", 1),
]


def write_baremetrics(path: Path, rows=BM_ROWS) -> Path:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(BM_HEADER)
        for plan, cur, cents, interval, count, cust, start, canc, qty in rows:
            w.writerow([plan, plan.upper(), cur, cents, interval, count, cust, cust.title(), f"{cust}@example.com",
                        f"sub_{plan}", start, canc, qty])
    return path


def baremetrics_expected(rows=BM_ROWS, as_of=AS_OF):
    out = []
    for plan, cur, cents, interval, count, cust, start, canc, qty in rows:
        mrr = cents / 100 * (qty or 1) / (MONTHS[interval] * count)
        s, e = dt.date.fromisoformat(start), dt.date.fromisoformat(canc) if canc else None
        for y, m in months_until(as_of):
            if s <= last_day(y, m) and (e is None or e > last_day(y, m)):
                out.append((cust, f"{y}-{m:02d}-01", mrr))
    return out


def test_baremetrics_template_through_the_command_line(book, tmp_path, capsys):
    src = write_baremetrics(tmp_path / "baremetrics.csv")
    assert cli_main(["refresh", str(book), "--ledger", str(src), "--input", "baremetrics", "--as-of", "2024-06"]) == 0
    assert_bridge(book, baremetrics_expected())
    assert "(baremetrics); amounts read as cents; currency USD" in capsys.readouterr().out
    # by hand: March = 50 (plan_1) + 2 x 600 / 12 + 90 / 3 + 7 x 365 / (84 x 2)
    march = dict(zip(bridge_in(book)["Month"], bridge_in(book)["Ending MRR"]))[dt.datetime(2024, 3, 1)]
    assert march == pytest.approx(50 + 100 + 30 + 7 * 365 / 168)


def test_baremetrics_python_api_and_bad_row(tmp_path):
    df = pd.read_csv(write_baremetrics(tmp_path / "b.csv"), dtype=str, keep_default_na=False).replace("", None)
    ledger = baremetrics_subscriptions(df).to_ledger(as_of="2024-06")
    assert ledger["mrr"].sum() == pytest.approx(sum(v for _, _, v in baremetrics_expected()))
    bad = df.copy()
    bad.loc[2, "plan_interval_count"] = "1.5"
    with pytest.raises(ValueError, match=r"Row 4, column 'plan_interval_count': '1.5' is not a whole number"):
        baremetrics_subscriptions(bad)


def test_a_baremetrics_subscription_canceled_the_day_it_started_is_skipped_by_design(tmp_path):
    df = pd.read_csv(write_baremetrics(tmp_path / "b.csv"), dtype=str, keep_default_na=False).replace("", None)
    same_day = df.iloc[[0]].assign(customer_oid="cus_same",
                                   subscription_canceled_at=df["subscription_started_at"].iloc[0])
    export = baremetrics_subscriptions(pd.concat([df, same_day], ignore_index=True))
    assert export.fates.skipped == {"canceled the day it started": [len(df) + 2]}  # the last row, header on row 1
    assert export.fates.used == len(df)
    checks = export.fates.data_checks()
    assert not checks and checks.notes[1] == (  # a note: not a warning, not refused by --strict
        f"1 row of the Baremetrics import skipped (canceled the day it started): row {len(df) + 2}; they ended "
        "the day they started, so no day was paid for")
    assert export.to_ledger(as_of="2024-06")["customer_id"].ne("cus_same").all()


def test_cancel_at_period_end_column_paused_and_zero_decimal_cents():
    df = pd.DataFrame({
        "Customer ID": ["a", "b", "c"], "Currency": ["jpy", "jpy", "jpy"], "Interval": ["month"] * 3,
        "Amount": ["3000", "1000", "500"], "Quantity": ["1", "1", "2"], "Status": ["active", "paused", "active"],
        "Start Date (UTC)": ["2024-01-05 10:00"] * 3, "Current Period End (UTC)": ["2024-03-05 10:00"] * 3,
        "Cancel At Period End": ["true", "false", "false"],
    })
    export = stripe_subscriptions(df, amount_unit="cents")  # JPY has no minor unit: 3000 "cents" are 3000 yen
    ledger = export.to_ledger(as_of="2024-04")
    by = ledger.groupby(["customer_id"])["mrr"].agg(["sum", "count"])
    assert by.loc["a"].tolist() == [6000.0, 2]  # Jan, Feb; ends with its period on Mar 5
    assert by.loc["b"].tolist() == [4000.0, 4]  # paused: counted as running, and said so
    assert by.loc["c"].tolist() == [4000.0, 4]
    assert export.fates.flagged == {"paused": [3]}
    assert export.fates.data_checks().lines() == [
        "1 paused subscription in the Stripe export: row 3; counted as running (the export has no pause dates); "
        "check them if they were paused for long"]


def test_another_workbooks_named_table_as_a_subscription_list(book, tmp_path):
    import openpyxl
    from openpyxl.worksheet.table import Table

    other = tmp_path / "crm.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Deals"
    ws.append(["Customer ID", "Start Date", "End Date", "Amount", "Billing Months"])
    ws.append(["a", dt.datetime(2024, 1, 10), dt.datetime(2024, 3, 5), 1200, 12])
    ws.append(["b", dt.datetime(2024, 2, 1), None, 30, None])
    ws.add_table(Table(displayName="Contracts", ref="A1:E3"))
    wb.save(other)
    refresh_file(book, ledger=other, table="Contracts", input="subscriptions", as_of="2024-03")
    assert_bridge(book, [("a", "2024-01-01", 100.0), ("a", "2024-02-01", 100.0), ("b", "2024-02-01", 30.0),
                         ("b", "2024-03-01", 30.0)])


# --------------------------------------------------------------------------- --strict: warnings, not notes


def test_strict_accepts_a_stripe_export_whose_skipped_rows_are_by_design(book, tmp_path, capsys):
    """Trials, incomplete, free rows and one canceled before it started are expected in any export: --strict
    refreshes, the notes still said."""
    early = ("sub_c", "cus_12", 1, "usd", "month", 50.00, "canceled", "2024-03-01", "2024-04-01", "", "", "2024-02-20",
             "2024-03-01")  # ended the day it started: no paid day (it was "used" for nothing before)
    src = write_stripe(tmp_path / "subscriptions.csv", rows=STRIPE_ROWS + [early])
    code = cli_main(["refresh", str(book), "--ledger", str(src), "--input", "stripe", "--as-of", "2024-06",
                     "--strict"])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    assert_bridge(book, stripe_expected())
    assert "xl-kpi refresh: 2 rows of the Stripe export skipped (trial): line 7, line 8; trials that never turned " \
           "paid (still trialing, or canceled before the trial ended) have no MRR" in cap.err.splitlines()
    assert "xl-kpi refresh: 1 row of the Stripe export skipped (canceled the day it started): line 14; they ended " \
           "the day they started, so no day was paid for" in cap.err.splitlines()
    assert "xl-kpi refresh: Stripe export: 13 rows: 7 used, 6 skipped" in cap.err.splitlines()
    assert "warning" not in cap.err and "refused" not in cap.err


@pytest.mark.parametrize("rows, flags, check", [
    (STRIPE_ROWS[:4] + [("sub_p", "cus_12", 1, "usd", "month", 50.00, "paused", "2024-01-01", "2024-07-01", "", "",
                         "", "")] + STRIPE_ROWS[4:],
     (), "1 paused subscription in the Stripe export: line 6; counted as running (the export has no pause dates); "
         "check them if they were paused for long"),
    (STRIPE_ROWS[:2] + [("sub_e", "cus_12", 1, "eur", "month", 50.00, "active", "2024-01-01", "2024-07-01", "", "",
                         "", "")] + STRIPE_ROWS[2:],
     ("--currency", "USD"), "1 row of the Stripe export skipped (other currency): line 4; only the currency kept "
                            "(--currency) is reported; --fx rates.csv converts the others"),
])
def test_strict_refuses_a_stripe_export_with_a_real_warning(book, tmp_path, capsys, rows, flags, check):
    src = write_stripe(tmp_path / "subscriptions.csv", rows=rows)
    args = ["refresh", str(book), "--ledger", str(src), "--input", "stripe", "--as-of", "2024-06", *flags]
    before = book.read_bytes()
    assert cli_main([*args, "--strict"]) == 2
    cap = capsys.readouterr()
    assert cap.err == f"xl-kpi refresh: error: {src}: refused (--strict): 1 data check to look at: {check}\n"
    assert book.read_bytes() == before  # nothing written
    assert cli_main(args) == 0  # without --strict: refreshed, with the warning printed
    assert f"xl-kpi refresh: warning: {check}" in capsys.readouterr().err.splitlines()


# --------------------------------------------------------------------------- one rule for both exports' dates


#: A Stripe row whose Ended At is before its Start Date (impossible), one that started and ended inside March
#: (running on no month's last day), and the Baremetrics rows of the same two cases.
STRIPE_IMPOSSIBLE = ("sub_x", "cus_12", 1, "usd", "month", 50.00, "canceled", "2024-03-10", "2024-04-10", "", "",
                     "2024-02-01", "2024-02-01")
STRIPE_WITHIN = ("sub_w2", "cus_13", 1, "usd", "month", 60.00, "canceled", "2024-03-05", "2024-04-05", "", "",
                 "2024-03-20", "2024-03-20")
BM_IMPOSSIBLE = ("plan_5", "USD", 4000, "month", 1, "customer_5", "2024-03-10", "2024-02-01", 1)
BM_WITHIN = ("plan_6", "USD", 6000, "month", 1, "customer_6", "2024-03-05", "2024-03-20", 1)


def _refresh(book, src, fmt, *flags):
    args = ["refresh", str(book), "--ledger", str(src), "--input", fmt, "--as-of", "2024-06", *flags]
    return cli_main(args)


@pytest.mark.parametrize("fmt", ["stripe", "baremetrics"])
def test_a_row_ending_before_it_starts_is_a_warning_naming_it_in_both_exports_and_strict_refuses_it(
        book, tmp_path, capsys, fmt):
    """The same impossible row gets the same fate from both readers: left out with a warning naming its line
    (the report is still written, without it), and --strict refuses the refresh, the book untouched."""
    if fmt == "stripe":
        src, what, want = write_stripe(tmp_path / "s.csv", rows=STRIPE_ROWS + [STRIPE_IMPOSSIBLE]), "Stripe export", \
            stripe_expected()
    else:
        src, what, want = write_baremetrics(tmp_path / "b.csv", rows=BM_ROWS + [BM_IMPOSSIBLE]), \
            "Baremetrics import", baremetrics_expected()
    line = (BM_ROWS if fmt == "baremetrics" else STRIPE_ROWS).__len__() + 2  # the last line, under the header
    check = (f"1 row of the {what} skipped (ends before it starts): line {line}; the end date is before the start "
             "date, which cannot be: left out; correct the row in the billing system or the file")
    before = book.read_bytes()
    assert _refresh(book, src, fmt, "--strict") == 2
    assert capsys.readouterr().err == f"xl-kpi refresh: error: {src}: refused (--strict): 1 data check to look at: " \
                                      f"{check}\n"
    assert book.read_bytes() == before
    assert _refresh(book, src, fmt) == 0
    assert f"xl-kpi refresh: warning: {check}" in capsys.readouterr().err.splitlines()
    assert_bridge(book, want)  # the row is not in the numbers
    block = summary_texts(book)
    assert check in block  # and the report's Data checks block lists it


@pytest.mark.parametrize("fmt", ["stripe", "baremetrics"])
def test_a_subscription_inside_one_month_is_a_note_not_a_row_used_for_nothing(book, tmp_path, capsys, fmt):
    """Started and ended inside March: never active at a month end, so no MRR (the month-end snapshot). Its
    fate is said (a note, not a warning: --strict refreshes) instead of counting it among the rows used."""
    if fmt == "stripe":
        src, what, used = write_stripe(tmp_path / "s.csv", rows=STRIPE_ROWS + [STRIPE_WITHIN]), "Stripe export", 7
        rows, want = len(STRIPE_ROWS) + 1, stripe_expected()
    else:
        src, what, used = write_baremetrics(tmp_path / "b.csv", rows=BM_ROWS + [BM_WITHIN]), "Baremetrics import", 4
        rows, want = len(BM_ROWS) + 1, baremetrics_expected()
    assert _refresh(book, src, fmt, "--strict") == 0
    lines = capsys.readouterr().err.splitlines()
    assert f"xl-kpi refresh: {what}: {rows} rows: {used} used, {rows - used} skipped" in lines
    assert (f"xl-kpi refresh: 1 row of the {what} skipped (never active at a month end): line {rows + 1}; they "
            "started and ended inside one month, so they were never active at a month end (MRR is a month-end "
            "snapshot: docs/metrics.md)") in lines
    assert not [line for line in lines if "warning" in line]
    assert_bridge(book, want)  # by hand, from the month-end rule: the row gives no month


def test_row_fates_are_worded_by_the_data_checks_home():
    """Every data check is made by ``DataChecks.add`` (xl_kpi/ledger/checks.py), none by hand elsewhere, and
    the billing fates read as before: the warning and the note lines, word for word."""
    import ast
    from pathlib import Path as _Path

    import xl_kpi
    from xl_kpi.ledger.billing import RowFates

    package = _Path(xl_kpi.__file__).parent
    by_hand = []
    for path in package.rglob("*.py"):
        if path.name == "checks.py" and path.parent.name == "ledger":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "Check":
                by_hand.append(f"{path.relative_to(package)}:{node.lineno}")
    assert by_hand == []
    fates = RowFates("Stripe export", rows=6, used=2, skipped={"trial": [7, 8], "other currency": [5, 9, 10, 11]},
                     flagged={"paused": [3]})
    checks = fates.data_checks(locate="line {}".format)
    assert checks.lines() == [
        "4 rows of the Stripe export skipped (other currency): line 5, line 9, line 10 and 1 more; only the currency "
        "kept (--currency) is reported; --fx rates.csv converts the others",
        "1 paused subscription in the Stripe export: line 3; counted as running (the export has no pause dates); "
        "check them if they were paused for long"]
    assert checks.names() == ["rows skipped (other currency)", "rows used (paused)"]
    assert checks.notes == [
        "Stripe export: 6 rows: 2 used, 6 skipped",
        "2 rows of the Stripe export skipped (trial): line 7, line 8; trials that never turned paid (still "
        "trialing, or canceled before the trial ended) have no MRR"]


def test_an_export_row_starting_after_the_as_of_month_is_a_warning_naming_its_line(book, tmp_path, capsys):
    """A subscription of the export that starts after the as-of month is left out of the report, and the data
    checks say so with its line, as for a Subscriptions table (it is not a row "used" for nothing)."""
    later = ("sub_l", "cus_14", 1, "usd", "month", 45.00, "active", "2024-08-01", "2024-09-01", "", "", "", "")
    src = write_stripe(tmp_path / "s.csv", rows=STRIPE_ROWS + [later])
    assert _refresh(book, src, "stripe") == 0
    assert ("xl-kpi refresh: warning: 1 subscription starting after the as-of month Jun 2024 is left out: line "
            f"{len(STRIPE_ROWS) + 2}; set a later as-of month to include them") in capsys.readouterr().err.splitlines()
    assert_bridge(book, stripe_expected())


@pytest.mark.parametrize("fmt", ["stripe", "baremetrics"])
def test_a_row_ended_the_day_it_started_and_one_ending_before_it_are_told_apart(book, tmp_path, capsys, fmt):
    """Since an end before the start is its own fate (a warning, "ends before it starts"), the note for a row
    that ended the day it started says just that: neither its name nor its reason says "before" (read side by
    side, a note "canceled before start" and a warning "ends before it starts" looked like one case)."""
    if fmt == "stripe":
        same = ("sub_d", "cus_15", 1, "usd", "month", 50.00, "canceled", "2024-03-10", "2024-04-10", "", "",
                "2024-03-10", "2024-03-10")
        src, what = write_stripe(tmp_path / "s.csv", rows=STRIPE_ROWS + [STRIPE_IMPOSSIBLE, same]), "Stripe export"
        n = len(STRIPE_ROWS)
    else:
        same = ("plan_7", "USD", 4000, "month", 1, "customer_7", "2024-03-10", "2024-03-10", 1)
        src, what = write_baremetrics(tmp_path / "b.csv", rows=BM_ROWS + [BM_IMPOSSIBLE, same]), "Baremetrics import"
        n = len(BM_ROWS)
    assert _refresh(book, src, fmt) == 0
    lines = capsys.readouterr().err.splitlines()
    [warning] = [line for line in lines if "warning:" in line]
    assert f"skipped (ends before it starts): line {n + 2};" in warning
    [note] = [line for line in lines if f"line {n + 3}" in line]
    assert note == (f"xl-kpi refresh: 1 row of the {what} skipped (canceled the day it started): line {n + 3}; "
                    "they ended the day they started, so no day was paid for")


def test_a_one_row_export_is_counted_as_one_row(book, tmp_path, capsys):
    """A one-row export's tally reads "1 row", on the command line and in the Data checks block (words.counted)."""
    src = write_stripe(tmp_path / "one.csv", rows=STRIPE_ROWS[:1])
    assert cli_main(["refresh", str(book), "--ledger", str(src), "--input", "stripe", "--as-of", "2024-06"]) == 0
    assert "xl-kpi refresh: Stripe export: 1 row: 1 used, 0 skipped" in capsys.readouterr().err.splitlines()
    assert "Stripe export: 1 row: 1 used, 0 skipped (how the data was read)" in summary_texts(book)
    assert_bridge(book, stripe_expected(STRIPE_ROWS[:1]))
