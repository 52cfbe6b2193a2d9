"""The report's retention, movements, period and segment sheets, against a real engine and an
independent computation.

One ledger with a Plan column (60 customers over 20 months, so the trailing
twelve-month window is full for 8 months) is refreshed; LibreOffice
recalculates the result, which must have no error cell; every new table is
compared with numbers computed here, customer by customer, without the
code under test (``xl_kpi.ledger`` is used only for the monthly bridge the
other tests already check).  The live back end writes the same tables.
"""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlsxwriter

from tests.libreoffice import recalculate
from tests.test_refresh import read_table
from tests.test_refresh_live import FakeBook, read_bridge
from xl_kpi.refresh import refresh_book, refresh_file
from xl_kpi.ledger.movements import MOVEMENT_MONTHS
from xl_kpi.refresh.report.content import REPORT_SHEETS
from xl_kpi.sample import generate_ledger

PLANS = ("Enterprise", "Pro", "Starter")


@pytest.fixture(scope="module")
def ledger() -> pd.DataFrame:
    df = generate_ledger(n_customers=60, n_months=20, seed=21)
    rng = np.random.default_rng(3)
    # a plan per row; a few customers change plan (their latest row's plan counts)
    df["plan"] = np.array(PLANS)[rng.integers(0, 3, len(df))]
    first = df.groupby("customer_id")["plan"].transform("first")
    df["plan"] = np.where(rng.random(len(df)) < 0.9, first, df["plan"])
    return df


@pytest.fixture(scope="module")
def book(tmp_path_factory, ledger):
    d = tmp_path_factory.mktemp("report")
    path = d / "seg.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    rows = [[r.customer_id, r.month.strftime("%Y-%m-%d"), float(r.mrr), r.plan] for r in ledger.itertuples()]
    ws.add_table(0, 0, len(rows), 3, {"name": "Ledger", "data": rows, "columns": [
        {"header": h} for h in ("Customer ID", "Month", "MRR", "Plan")]})
    wb.close()
    refresh_file(path)
    (computed,) = recalculate([path], d / "lo")
    return path, computed


# --------------------------------------------------------------------------- independent computations


def mrr_by_month(df: pd.DataFrame) -> pd.DataFrame:
    """customer x month MRR (0 when inactive), months continuous."""
    df = df.assign(month=pd.to_datetime(df["month"]).dt.to_period("M").dt.to_timestamp())
    table = df.pivot_table(index="customer_id", columns="month", values="mrr", aggfunc="sum", fill_value=0.0)
    months = pd.date_range(table.columns.min(), table.columns.max(), freq="MS")
    return table.reindex(columns=months, fill_value=0.0)


def t12m(df: pd.DataFrame) -> pd.DataFrame:
    """Trailing twelve months, customer by customer, as the catalog defines it."""
    m = mrr_by_month(df)
    out = []
    for j in range(12, m.shape[1]):
        base = m.iloc[:, j - 12]
        now = m.iloc[:, j]
        b = base > 0
        out.append({"month": m.columns[j], "nrr": now[b].sum() / base[b].sum(),
                    "grr": np.minimum(now[b], base[b]).sum() / base[b].sum(),
                    "logo": (now[b] > 0).sum() / b.sum()})
    return pd.DataFrame(out)


def movements(df: pd.DataFrame) -> pd.DataFrame:
    """One row per customer-month whose MRR moved, with its kind."""
    m = mrr_by_month(df)
    rows = []
    for cust, series in m.iterrows():
        seen = False
        for j, month in enumerate(m.columns):
            before = series.iloc[j - 1] if j else 0.0
            after = series.iloc[j]
            if before == after:
                seen = seen or after > 0
                continue
            if before == 0:
                kind = "reactivation" if seen else "new"
            elif after == 0:
                kind = "churn"
            else:
                kind = "expansion" if after > before else "contraction"
            seen = True
            rows.append((month, cust, kind, before, after, after - before))
    return pd.DataFrame(rows, columns=["month", "customer", "movement", "before", "after", "change"])


def table(path, name) -> pd.DataFrame:
    frame = read_table(path, name)
    return frame.replace({"": np.nan})


# --------------------------------------------------------------------------- the file, computed by LibreOffice


def test_every_new_sheet_is_written_and_computes_without_an_error_cell(book):
    _, computed = book
    wb = openpyxl.load_workbook(computed, data_only=True)
    assert [s for s in wb.sheetnames if s != "Data"] == list(REPORT_SHEETS)
    for name in REPORT_SHEETS:
        ws = wb[name]
        errors = [c.coordinate for row in ws.iter_rows() for c in row
                  if isinstance(c.value, str) and c.value.startswith("#")]
        assert not errors, (name, errors[:5])
        # a title row on each sheet: bold text in A1, nothing else in row 1, the first block below it
        assert isinstance(ws["A1"].value, str) and ws["A1"].font.b and len(ws["A1"].value) > 20, name
        assert [c.value for c in ws[1][1:] if c.value is not None] == [], name
        assert all(openpyxl.utils.cell.coordinate_to_tuple(t.ref.split(":")[0])[0] >= 2 for t in ws.tables.values()), name


def test_trailing_retention_equals_the_customer_by_customer_computation(book, ledger):
    _, computed = book
    got = table(computed, "TrailingRetention")
    want = t12m(ledger)
    assert [pd.Timestamp(m).date() for m in got["Month"]] == [m.date() for m in want["month"]]
    np.testing.assert_allclose(got["T12M Net Revenue Retention"].astype(float), want["nrr"], rtol=1e-9)
    np.testing.assert_allclose(got["T12M Gross Revenue Retention"].astype(float), want["grr"], rtol=1e-9)
    np.testing.assert_allclose(got["T12M Logo Retention"].astype(float), want["logo"], rtol=1e-9)
    assert (want["grr"] <= want["nrr"] + 1e-12).all() and (want["grr"] <= 1).all()
    # and the KPI summary's T12M rows are the latest, computed by LibreOffice from their formulas
    ws = openpyxl.load_workbook(computed, data_only=True)["KPI Summary"]
    kpi = {r[0]: r[1] for r in ws.iter_rows(min_row=3, max_col=2, values_only=True) if r[0]}
    assert kpi["T12M net revenue retention (12 months)"] == pytest.approx(want["nrr"].iloc[-1], rel=1e-9)
    assert kpi["T12M gross revenue retention (12 months)"] == pytest.approx(want["grr"].iloc[-1], rel=1e-9)
    assert kpi["T12M logo retention (12 months)"] == pytest.approx(want["logo"].iloc[-1], rel=1e-9)


def test_movements_table_lists_the_latest_months_first_and_equals_the_independent_list(book, ledger):
    _, computed = book
    got = table(computed, "MRRMovements")
    want = movements(ledger)
    last = sorted(want["month"].unique())[-MOVEMENT_MONTHS:]
    want = want[want["month"].isin(last)]
    months = [pd.Timestamp(m) for m in got["Month"]]
    assert months == sorted(months, reverse=True)  # latest month first
    key = ["month", "customer", "movement"]
    got_k = pd.DataFrame({"month": months, "customer": got["Customer ID"], "movement": got["Movement"],
                          "change": got["Change"].astype(float)}).sort_values(key).reset_index(drop=True)
    want_k = want[key + ["change"]].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got_k[key], want_k[key], check_dtype=False)
    np.testing.assert_allclose(got_k["change"], want_k["change"], atol=1e-9)


def test_movements_by_month_are_the_bridge_with_losses_negative(book, ledger):
    _, computed = book
    moves = table(computed, "MovementsByMonth")
    bridge = table(computed, "MRRBridge")
    for h in ("New MRR", "Expansion MRR", "Reactivation MRR"):
        np.testing.assert_allclose(moves[h].astype(float), bridge[h].astype(float), atol=1e-9)
    for h in ("Contraction MRR", "Churned MRR"):
        np.testing.assert_allclose(moves[h].astype(float), -bridge[h].astype(float), atol=1e-9)
    net = bridge["Ending MRR"].astype(float) - bridge["Starting MRR"].astype(float)
    np.testing.assert_allclose(moves["Net New MRR"].astype(float), net, atol=1e-9)
    # and the movements listed by customer add up to the bridge in each listed month
    listed = table(computed, "MRRMovements")
    churn = listed[listed["Movement"] == "churn"].groupby(pd.to_datetime(listed["Month"]))["Change"].sum()
    by_month = pd.Series(-bridge["Churned MRR"].astype(float).to_numpy(), index=pd.to_datetime(bridge["Month"]))
    np.testing.assert_allclose(churn.to_numpy(float), by_month.reindex(churn.index).to_numpy(), atol=1e-9)


def test_quarterly_and_annual_bridges_sum_the_months_and_keep_the_identity(book):
    _, computed = book
    bridge = table(computed, "MRRBridge")
    bridge["Month"] = pd.to_datetime(bridge["Month"])
    for name, freq in (("QuarterlyBridge", "Q"), ("AnnualBridge", "Y")):
        got = table(computed, name)
        groups = bridge.groupby(bridge["Month"].dt.to_period(freq))
        assert len(got) == groups.ngroups
        for h in ("New MRR", "Expansion MRR", "Reactivation MRR", "Contraction MRR", "Churned MRR", "New Customers",
                  "Churned Customers"):
            np.testing.assert_allclose(got[h].astype(float), groups[h].sum().astype(float).to_numpy(), atol=1e-9)
        np.testing.assert_allclose(got["Ending MRR"].astype(float), groups["Ending MRR"].last().astype(float),
                                   atol=1e-9)
        identity = (got["Starting MRR"].astype(float) + got["New MRR"].astype(float)
                    + got["Expansion MRR"].astype(float) + got["Reactivation MRR"].astype(float)
                    - got["Contraction MRR"].astype(float) - got["Churned MRR"].astype(float))
        np.testing.assert_allclose(identity, got["Ending MRR"].astype(float), atol=1e-9)
        # 20 months from a January: the last period is cut by the data's end
        assert got["Partial"].iloc[-1] == "partial"


def test_segments_add_up_and_equal_the_customers_latest_plan(book, ledger):
    _, computed = book
    seg = table(computed, "SegmentSummary").set_index("Plan")
    bridge = table(computed, "MRRBridge")
    m = mrr_by_month(ledger)
    latest = ledger.sort_values("month").groupby("customer_id")["plan"].last()
    last = m.iloc[:, -1]
    for plan in PLANS:
        members = latest.index[latest == plan]
        assert seg.loc[plan, "Ending MRR"] == pytest.approx(last[members].sum(), abs=1e-9)
        assert seg.loc[plan, "Customers"] == (last[members] > 0).sum()
        base, now = m.iloc[:, -13][members], last[members]
        assert seg.loc[plan, "T12M Net Revenue Retention"] == pytest.approx(now[base > 0].sum() / base[base > 0].sum())
    assert seg["Ending MRR"].astype(float).sum() == pytest.approx(float(bridge["Ending MRR"].iloc[-1]), abs=1e-9)
    net = float(bridge["Ending MRR"].iloc[-1]) - float(bridge["Starting MRR"].iloc[-1])
    assert seg["Net New MRR"].astype(float).sum() == pytest.approx(net, abs=1e-9)


def test_cohort_sizes_beside_the_heat_maps(book, ledger):
    _, computed = book
    ws = openpyxl.load_workbook(computed, data_only=True)["Cohort Retention"]
    first = pd.to_datetime(ledger.groupby("customer_id")["month"].min()).dt.to_period("M").value_counts().sort_index()
    assert (ws["A3"].value, ws["B3"].value, ws["C3"].value) == ("Cohort", "Customers", "Month 0")
    got = [ws.cell(4 + i, 2).value for i in range(len(first))]
    assert got == first.tolist()


# --------------------------------------------------------------------------- the live back end


def test_the_live_back_end_writes_the_same_tables(book, ledger):
    path, computed = book
    live = FakeBook()
    sheet = live.sheets.add("Data")
    rows = [["Customer ID", "Month", "MRR", "Plan"]] + [[r.customer_id, r.month.to_pydatetime(), float(r.mrr), r.plan]
                                                       for r in ledger.itertuples()]
    rng = sheet.range((1, 1), (len(rows), 4))
    rng.value = rows
    sheet.tables.add(source=rng, name="Ledger")
    refresh_book(live)
    assert [s.name for s in live.sheets][1:] == list(REPORT_SHEETS)
    for name in ("TrailingRetention", "SegmentSummary", "QuarterlyBridge", "MovementsByMonth", "MRRMovements"):
        got, want = read_bridge(live, name), table(path, name)
        assert list(got.columns) == list(want.columns), name
        for col in got.columns:
            a, b = got[col].tolist(), want[col].tolist()
            if all(isinstance(v, (int, float)) or v is None for v in a + b):
                np.testing.assert_allclose(np.array([np.nan if v is None else v for v in a], float),
                                           np.array([np.nan if v is None else v for v in b], float), rtol=1e-12,
                                           err_msg=f"{name}[{col}]")
            else:
                assert [None if v in (None, "") else v for v in a] == [None if v in (None, "") else v for v in b], \
                    (name, col)


@pytest.mark.parametrize("months", [0, 1, MOVEMENT_MONTHS, 40])
def test_the_latest_months_cut_has_one_home_and_both_callers_agree(months):
    """What the refresh asks for (``report_movements``) and what the sheet's table keeps of it
    (``latest_movements``) are the same cut (``xl_kpi.ledger.movements.latest_months``): the latest months
    with a movement, checked against the months counted here."""
    from xl_kpi.ledger import prepare_ledger
    from xl_kpi.ledger.movements import latest_months
    from xl_kpi.refresh.pipeline import report_movements
    from xl_kpi.refresh.report.content import latest_movements

    df = generate_ledger(n_customers=60, n_months=10, seed=12)
    ledger = prepare_ledger(df, "customer_id", "month", "mrr")
    every = ledger.movements()
    moved = sorted(set(every["month"]))  # months with a movement, counted independently
    want = set(moved[len(moved) - months:]) if months else set()
    cut = latest_months(every, months)
    assert set(cut["month"]) == want and len(cut) == sum(every["month"].isin(want))
    pd.testing.assert_frame_equal(report_movements(ledger, months), cut)
    from_all, said = latest_movements(every, months)
    from_cut, said_cut = latest_movements(report_movements(ledger, months), months)
    assert said == said_cut and set(from_all["month"]) == want
    pd.testing.assert_frame_equal(from_all.reset_index(drop=True), from_cut.reset_index(drop=True))
