"""A title row on each report sheet: bold text in A1 over empty cells, every table and chart below it."""

from __future__ import annotations

import dataclasses

import pytest

from xl_kpi.ledger import prepare_ledger
from xl_kpi.engines import analysis_of
from xl_kpi.refresh.pipeline import report_data
from xl_kpi.refresh.report.content import (BRIDGE_HEADERS, BRIDGE_ROW, BRIDGE_SHEET, REPORT_SHEETS, build_report,
                                           bridge_range)
from xl_kpi.sample import generate_ledger


@pytest.fixture(scope="module")
def data():
    df = generate_ledger(n_customers=60, n_months=16, seed=4)
    df["Plan"] = ["Pro" if i % 3 else "Team" for i in range(len(df))]
    ledger = prepare_ledger(df, "customer_id", "month", "mrr", segment="Plan")
    return report_data(analysis_of(ledger), 4, segment_name="Plan")


def test_every_sheet_opens_with_a_title_row(data):
    report = build_report(data)
    assert [s.name for s in report.sheets] == list(REPORT_SHEETS)  # all six, Segments included
    for sheet in report.sheets:
        titles = [b for b in sheet.blocks if b.title and b.row == 2 and not b.columns]
        assert len(titles) == 1 and len(titles[0].title) > 20, sheet.name  # title_block: its text in A1
        assert all(b.row >= 2 for b in sheet.blocks), sheet.name  # no table header in row 1
        assert all(not (b.title and b.columns and b.row == 2) for b in sheet.blocks), sheet.name  # A1 is free
        for chart in sheet.charts:
            assert chart.row >= 2, (sheet.name, chart.title)
        if sheet.freeze_rows:
            assert sheet.freeze_rows >= 2, sheet.name  # the title stays in view with the headers


def test_the_bridge_sheet_layout(data):
    sheet = build_report(data).sheets[0]
    assert sheet.name == BRIDGE_SHEET
    table = next(b for b in sheet.blocks if b.table == "MRRBridge")
    assert (table.row, table.col) == (BRIDGE_ROW, 1) == (2, 1)
    assert (sheet.freeze_rows, sheet.freeze_cols, sheet.print_title_rows) == (2, 1, (2, 2))
    assert [b.table for b in sheet.blocks if b.table] == ["MRRBridge", "QuarterlyBridge", "AnnualBridge"]
    quarters = sheet.blocks[2]
    assert quarters.title == "Quarters (fiscal years starting in April)" and quarters.row == table.last_row + 3
    assert quarters.columns[0].values[0].startswith("FY")


def test_the_summary_trend_without_monthly_kpis_points_at_the_moved_table(data):
    """Without the MonthlyKPIs table the MRR trend reads the bridge itself: header row 2, months from row 3."""
    n = len(data.bridge)
    summary = next(s for s in build_report(dataclasses.replace(data, monthly=None)).sheets
                   if s.name == "KPI Summary")
    trend = summary.charts[0]
    assert trend.title == "MRR trend"
    assert (trend.categories.sheet, trend.categories.row1, trend.categories.row2) == (BRIDGE_SHEET, 3, n + 2)
    ending = BRIDGE_HEADERS.index("Ending MRR") + 1
    assert trend.series[0].title == bridge_range("Ending MRR", n)[0]
    assert (trend.series[0].title.row1, trend.series[0].title.col1) == (2, ending)
    assert (trend.series[0].values.row1, trend.series[0].values.row2) == (3, n + 2)
