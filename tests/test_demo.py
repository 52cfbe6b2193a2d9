"""xl-kpi demo end to end, checked against an independent computation.

The test reads the ledger back out of the demo's workbook (so it checks what
the user got, not what the demo meant to write), recomputes the printed KPIs
with a deliberately plain customer x month matrix (no xl_kpi.ledger code),
and compares them with the printed table and with the MRRBridge table that
the refresh wrote into the workbook.
"""

from __future__ import annotations

import math
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest

from tests.test_refresh import read_table
from xl_kpi import cli, demo

PRINTED_ROW = re.compile(r"^(\d{4}-\d{2})\s+(.+)$")


def reference_kpis(ledger: pd.DataFrame) -> pd.DataFrame:
    """MRR, ARR, NRR, GRR, churn, quick ratio per month from a customer x month matrix."""
    month = pd.to_datetime(ledger["Month"]).dt.to_period("M")
    months = pd.period_range(month.min(), month.max(), freq="M")
    matrix = (pd.DataFrame({"c": ledger["Customer ID"], "m": month, "v": ledger["MRR"].astype(float)})
              .pivot_table(index="c", columns="m", values="v", aggfunc="sum")
              .reindex(columns=months).fillna(0.0).to_numpy())
    prev, cur = matrix[:, :-1], matrix[:, 1:]
    was, now = prev > 0, cur > 0
    seen_before = np.cumsum(matrix > 0, axis=1)[:, :-1] > 0  # active in some month <= m-1
    earlier = np.hstack([np.zeros((len(matrix), 1), bool), seen_before[:, :-1]])  # active before m-1
    start = prev.sum(axis=0)
    churned = np.where(was & ~now, prev, 0).sum(axis=0)
    both = was & now
    expansion = np.where(both & (cur > prev), cur - prev, 0).sum(axis=0)
    contraction = np.where(both & (cur < prev), prev - cur, 0).sum(axis=0)
    new = np.where(now & ~seen_before, cur, 0).sum(axis=0)
    react = np.where(now & ~was & earlier, cur, 0).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame = pd.DataFrame({
            "month": months[1:].to_timestamp(),
            "mrr": cur.sum(axis=0),
            "nrr": (start + expansion - contraction - churned) / start,
            "grr": (start - contraction - churned) / start,
            "churn": (was & ~now).sum(axis=0) / was.sum(axis=0),
            "quick_ratio": (new + expansion + react) / (contraction + churned),
        })
    frame["arr"] = 12 * frame["mrr"]
    return frame.replace([np.inf, -np.inf], np.nan)


def parse_printed(out: str) -> pd.DataFrame:
    rows = []
    for line in out.splitlines():
        match = PRINTED_ROW.match(line)
        if match:
            cells = match.group(2).split()
            rows.append([pd.Timestamp(match.group(1) + "-01"), *map(parse_number, cells)])
    return pd.DataFrame(rows, columns=["month", "mrr", "arr", "nrr", "grr", "churn", "quick_ratio"])


def parse_number(text: str) -> float:
    if text == "-":
        return math.nan
    if text.endswith("%"):
        return float(text[:-1]) / 100
    return float(text.replace(",", ""))


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "xl_kpi_demo"
    capture = []
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = cli.main(["demo", "--out", str(out)])
    capture.append(buffer.getvalue())
    return code, out, capture[0]


def test_demo_exits_0_and_writes_the_workbooks(demo_run):
    code, out, printed = demo_run
    assert code == 0
    for name in ("saas_kpi_dashboard.xlsx", "subscription_ledger.xlsx"):
        assert (out / name).is_file(), name
    assert "KPIs of the last 6 months" in printed


def test_the_ledger_workbook_holds_the_demo_company(demo_run):
    _, out, _ = demo_run
    ledger = read_table(out / "subscription_ledger.xlsx", "Ledger")
    expected = demo.demo_ledger()
    assert len(ledger) == len(expected)
    assert ledger["Customer ID"].tolist() == expected["customer_id"].tolist()
    assert pd.to_datetime(ledger["Month"]).tolist() == expected["month"].tolist()
    np.testing.assert_allclose(ledger["MRR"].astype(float), expected["mrr"], rtol=0, atol=1e-9)


def test_printed_numbers_equal_an_independent_computation_on_the_workbooks_ledger(demo_run):
    _, out, printed = demo_run
    shown = parse_printed(printed)
    assert len(shown) == demo.SUMMARY_MONTHS
    reference = reference_kpis(read_table(out / "subscription_ledger.xlsx", "Ledger")).tail(len(shown))
    reference = reference.reset_index(drop=True)
    assert shown["month"].tolist() == reference["month"].tolist()
    # Printed with 2 decimals for money and ratios, 0.1 % for rates.
    np.testing.assert_allclose(shown["mrr"], reference["mrr"], atol=0.005)
    np.testing.assert_allclose(shown["arr"], reference["arr"], atol=0.005)
    for rate in ("nrr", "grr", "churn"):
        np.testing.assert_allclose(shown[rate], reference[rate], atol=0.0005, err_msg=rate)
    np.testing.assert_allclose(shown["quick_ratio"], reference["quick_ratio"], atol=0.005)
    # A real company, not a flat line: movements happen in the shown months.
    assert (reference["nrr"] != 1).any() and (reference["churn"] > 0).any()


def test_the_refreshed_bridge_table_agrees_with_the_printed_months(demo_run):
    _, out, printed = demo_run
    shown = parse_printed(printed)
    bridge = read_table(out / "subscription_ledger.xlsx", "MRRBridge").tail(len(shown)).reset_index(drop=True)
    np.testing.assert_allclose(bridge["Ending MRR"].astype(float), shown["mrr"], atol=0.005)
    np.testing.assert_allclose(bridge["Net Revenue Retention"].astype(float), shown["nrr"], atol=0.0005)
    np.testing.assert_allclose(bridge["Customer Churn Rate"].astype(float), shown["churn"], atol=0.0005)


def test_format_table_shows_undefined_rates_as_a_dash():
    frame = pd.DataFrame({"month": [pd.Timestamp("2024-01-01")], "mrr": [0.0], "arr": [0.0],
                          "nrr": [np.nan], "grr": [np.nan], "churn": [np.nan], "quick_ratio": [np.nan]})
    row = demo.format_table(frame).splitlines()[1].split()
    assert row == ["2024-01", "0.00", "0.00", "-", "-", "-", "-"]


def test_fill_ledger_workbook_resizes_the_table_and_keeps_the_rest(tmp_path):
    from openpyxl.worksheet.table import Table

    path = tmp_path / "book.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active["A1"] = "keep me"
    ws = book.create_sheet("Ledger")
    ws.append(["Customer ID", "Month", "MRR"])
    for i in range(10):
        ws.append([f"old{i}", pd.Timestamp("2020-01-01").to_pydatetime(), 1.0])
    ws.add_table(Table(displayName="Ledger", ref="A1:C11"))
    book.save(path)
    ledger = pd.DataFrame({"customer_id": ["a", "b", "a"],
                           "month": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01"]),
                           "mrr": [10.0, 20.5, 12.0]})
    demo.fill_ledger_workbook(path, ledger)
    table = read_table(path, "Ledger")
    assert table["Customer ID"].tolist() == ["a", "b", "a"] and table["MRR"].tolist() == [10.0, 20.5, 12.0]
    reopened = openpyxl.load_workbook(path)
    assert reopened["Ledger"].tables["Ledger"].ref == "A1:C4"
    assert reopened["Ledger"]["A5"].value is None  # old rows cleared
    assert reopened["Notes"]["A1"].value == "keep me"


def test_out_pointing_at_a_file_is_a_clear_error_and_the_file_is_kept(tmp_path, capsys):
    target = tmp_path / "report.xlsx"
    target.write_bytes(b"not a folder")
    assert cli.main(["demo", "--out", str(target)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert target.read_bytes() == b"not a folder"


def test_the_dashboard_and_the_ledger_workbook_are_one_company(demo_run, tmp_path):
    """The dashboard's monthly inputs are the refreshed bridge: LibreOffice computes the same ending MRR
    each month as the ledger workbook's MRRBridge table (Dec 2025: one number, not two companies)."""
    from tests.libreoffice import recalculate

    _, out, printed = demo_run
    bridge = read_table(out / "subscription_ledger.xlsx", "MRRBridge")
    (computed,) = recalculate([out / "saas_kpi_dashboard.xlsx"], tmp_path / "lo")
    kpis = openpyxl.load_workbook(computed, data_only=True)["KPIs"]
    rows = list(kpis.iter_rows(values_only=True))
    top = next(i for i, r in enumerate(rows) if r[0] == "Month")  # the header row, under the sheet's title
    header = list(rows[top])
    body = [r for r in rows[top + 1:] if r[0] not in (None, "")]
    ending = [r[header.index("Ending MRR")] for r in body]
    months = [r[0] for r in body]
    assert [pd.Timestamp(m).date() for m in months] == [pd.Timestamp(m).date() for m in bridge["Month"]]
    np.testing.assert_allclose(np.array(ending, dtype=float), bridge["Ending MRR"].astype(float), atol=0.011)
    assert f"{float(bridge['Ending MRR'].iloc[-1]):,.2f}" in printed


def test_the_summary_prints_the_trailing_twelve_month_nrr_and_grr(demo_run):
    from xl_kpi.ledger import trailing_retention

    _, out, printed = demo_run
    ledger = read_table(out / "subscription_ledger.xlsx", "Ledger")
    t12m = trailing_retention(ledger, customer="Customer ID", month="Month", mrr="MRR").iloc[-1]
    line = next(s for s in printed.splitlines() if s.startswith("Trailing twelve months"))
    assert f"NRR {t12m['net_revenue_retention']:.1%}" in line and f"GRR {t12m['gross_revenue_retention']:.1%}" in line
    assert f"to {pd.Timestamp(t12m['month']):%Y-%m}" in line
