"""The template workbooks computed by a real spreadsheet engine (LibreOffice Calc, headless).

One soffice run recalculates every template three ways: as shipped (sample
data), blank, and with new input values written by this test.  The new
inputs prove the formulas are live and right: every KPI cell must equal
xl_kpi's core on the same inputs (relative 1e-9), and rows with zero or
blank inputs must show an empty cell where the core has no value.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import xl_kpi
from xl_kpi.errors import KPIError
from xl_kpi.sample import generate_ledger
from xl_kpi.excel_values import to_serial
from xl_kpi.templates import balance_sheet, calculator, dashboard, funnel, ledger_book, write_templates

from tests.catalog_data import BY_NAME
from tests.libreoffice import recalculate
from tests.test_templates import block_cells, calculator_blocks

ERRORS = ("#DIV/0!", "#VALUE!", "#NAME?", "#REF!", "#NUM!", "#N/A", "#NULL!", "Err:", "#ERR")
REL = 1e-9


def core(function, *args):
    """The core's value, or None where it refuses (the template shows an empty cell there)."""
    try:
        value = function(*args)
    except KPIError:
        return None
    return None if isinstance(value, float) and math.isnan(value) else value


# --------------------------------------------------------------------------- new inputs


def dashboard_inputs() -> list[list]:
    """24 rows: random realistic months, plus edge rows (no churn, no new customers, no losses, zeros, blank)."""
    rng = np.random.default_rng(2024)
    rows = []
    for k in range(24):
        cs = int(rng.integers(20, 800))
        cl = int(rng.integers(0, cs // 5))
        sm = float(np.round(rng.uniform(2_000, 200_000), 2))
        amounts = np.round(sm * rng.uniform(0, 0.08, 5), 2)
        rows.append([dt.datetime(2030, 1, 1) + dt.timedelta(days=31 * k), cs, int(rng.integers(0, 90)), cl, sm,
                     *map(float, amounts[:4]), float(np.round(rng.uniform(0, 90_000), 2)),
                     float(np.round(rng.uniform(0.4, 0.95), 4))])
    rows[3][3] = 0                      # no churn: CLV undefined (churn + discount = 0)
    rows[4][2] = 0                      # no new customers: CAC undefined
    rows[5][7] = rows[5][8] = 0.0       # no MRR lost: quick ratio undefined
    rows[6][1], rows[6][2], rows[6][3] = 5, 0, 5  # everybody left: no customers at the end, ARPA undefined
    rows[22] = [rows[22][0]] + [0] * 10  # all zero
    rows[23] = [None] * 11              # blank
    return rows


def expected_dashboard(row: list) -> dict[str, object]:
    _, cs, nc, cl, sm, nm, em, cm, xm, spend, gm = row
    blank = all(v is None for v in row[1:])
    ending = None if blank else sm + xl_kpi.net_new_mrr(nm, em, cm, xm)
    customers_end = None if blank else cs + nc - cl
    churn = core(xl_kpi.churn_rate, cl, cs)
    arpa = core(xl_kpi.arpa, ending, customers_end)
    cac = core(xl_kpi.cac, spend, nc)
    clv = core(xl_kpi.clv, arpa, churn, gm, 0.0)
    return {
        "KPI_CHURN_RATE": churn,
        "KPI_REVENUE_CHURN_RATE": core(xl_kpi.revenue_churn_rate, None if blank else cm + xm, sm),
        "KPI_NET_REVENUE_RETENTION": core(xl_kpi.net_revenue_retention, sm, em, cm, xm),
        "KPI_GROSS_REVENUE_RETENTION": core(xl_kpi.gross_revenue_retention, sm, cm, xm),
        "KPI_ENDING_MRR": ending,
        "KPI_ARR": core(xl_kpi.arr, ending),
        "KPI_ARPA": arpa,
        "KPI_CAC": cac,
        "KPI_CLV": clv,
        "KPI_LTV_CAC_RATIO": core(xl_kpi.ltv_cac_ratio, clv, cac),
        "KPI_CAC_PAYBACK_MONTHS": core(xl_kpi.cac_payback_months, cac, arpa, gm),
        "KPI_SAAS_QUICK_RATIO": core(xl_kpi.saas_quick_ratio, nm, em, cm, xm),
        "KPI_MRR_GROWTH_RATE": core(xl_kpi.mrr_growth_rate, ending, sm),
        "KPI_RETENTION_RATE": core(xl_kpi.retention_rate, customers_end, nc, cs),
        "KPI_NET_REVENUE_CHURN_RATE": core(xl_kpi.net_revenue_churn_rate, None if blank else cm + xm, em, sm),
        "KPI_ANNUALIZED_CHURN": core(xl_kpi.annualize_churn, churn),
        "KPI_NET_NEW_MRR": None if blank else xl_kpi.net_new_mrr(nm, em, cm, xm),
    }


def funnel_inputs() -> list[list]:
    rng = np.random.default_rng(77)
    rows = []
    for k in range(12):
        visitors = int(rng.integers(1_000, 60_000))
        leads = int(visitors * rng.uniform(0.01, 0.08))
        mqls = int(leads * rng.uniform(0.2, 0.6))
        sqls = int(mqls * rng.uniform(0.2, 0.6))
        trials = int(leads * rng.uniform(0.1, 0.3))
        customers = int(trials * rng.uniform(0.1, 0.4))
        impressions = int(visitors * rng.uniform(5, 20))
        clicks = int(impressions * rng.uniform(0.005, 0.05))
        started = int(rng.integers(customers, customers * 3 + 2))
        rows.append([dt.datetime(2031, 1 + k, 1), visitors, leads, mqls, sqls, trials, customers, impressions, clicks,
                     started, customers, float(np.round(rng.uniform(1_000, 50_000), 2))])
    rows[9] = [rows[9][0]] + [0] * 11
    rows[10][2:7] = [0, 0, 0, 0, 0]     # no leads, MQLs, trials: those rates undefined
    rows[11] = [None] * 12
    return rows


def expected_funnel(row: list) -> dict[str, object]:
    _, visitors, leads, mqls, sqls, trials, customers, impressions, clicks, started, completed, spend = row
    return {
        "KPI_VISITOR_TO_LEAD_RATE": core(xl_kpi.conversion_rate, leads, visitors),
        "KPI_LEAD_TO_MQL_RATE": core(xl_kpi.conversion_rate, mqls, leads),
        "KPI_MQL_TO_SQL_RATE": core(xl_kpi.mql_to_sql_rate, sqls, mqls),
        "KPI_TRIAL_TO_PAID_RATE": core(xl_kpi.adoption_rate, customers, trials),
        "KPI_LEAD_TO_CUSTOMER_RATE": core(xl_kpi.lead_to_customer_rate, customers, leads),
        "KPI_VISITOR_TO_CUSTOMER_RATE": core(xl_kpi.conversion_rate, customers, visitors),
        "KPI_CLICK_THROUGH_RATE": core(xl_kpi.click_through_rate, clicks, impressions),
        "KPI_ABANDONMENT_RATE": core(xl_kpi.abandonment_rate, started, completed),
        "KPI_CAC": core(xl_kpi.cac, spend, customers),
    }


NPS_SCORES = [10, 9, 9, 3, 7, 8, None, 0, 6, 10, 10, 5, 9, 2, 8]
LEAD_POINTS = [12, -3, 30, 7, 1]
LEAD_COUNTS = [[2, 1, 0, 3, 9], [0, 0, 0, 0, 0], [5, 2, 1, 1, 0], [None, None, None, None, None], [1, 7, 2, 0, 4]]
TICKETS = [  # opened, first response, resolved (None = still pending)
    (dt.datetime(2031, 3, 2, 9, 0), dt.datetime(2031, 3, 2, 11, 30), dt.datetime(2031, 3, 4, 17, 15)),
    (dt.datetime(2031, 3, 3, 22, 45), dt.datetime(2031, 3, 4, 8, 0), None),
    (dt.datetime(2031, 3, 5, 7, 10), None, None),
    (dt.datetime(2031, 3, 6, 13, 5), dt.datetime(2031, 3, 6, 13, 50), dt.datetime(2031, 3, 6, 18, 0)),
]


def balance_inputs() -> list[list]:
    rng = np.random.default_rng(5)
    rows = []
    for k in range(8):
        cash, sec, ar = np.round(rng.uniform(1e5, 5e6, 3))
        ca = cash + sec + ar + float(np.round(rng.uniform(0, 1e6)))
        ta = ca + float(np.round(rng.uniform(1e5, 9e6)))
        cl, debt, rev = np.round(rng.uniform(1e5, 4e6, 3))
        equity = float(np.round(ta - cl - debt * rng.uniform(0.2, 1)))
        cogs = float(np.round(rev * rng.uniform(0.1, 0.6)))
        ebit = float(np.round(rev * rng.uniform(-0.2, 0.3)))
        interest = float(np.round(debt * rng.uniform(0.005, 0.03)))
        rows.append([dt.datetime(2032 + k // 4, 3 * (k % 4) + 3, 28), float(cash), float(sec), float(ar), ca, ta, float(cl),
                     float(debt), equity, float(rev), cogs, ebit, interest])
    rows[5][6] = rows[5][12] = 0.0      # no current liabilities, no interest
    rows[6] = [rows[6][0]] + [0.0] * 12
    rows[7] = [None] * 13
    return rows


def expected_balance(row: list) -> dict[str, object]:
    _, cash, sec, ar, ca, ta, cl, debt, equity, rev, cogs, ebit, interest = row
    return {
        "KPI_CURRENT_RATIO": core(xl_kpi.current_ratio, ca, cl),
        "KPI_QUICK_RATIO": core(xl_kpi.quick_ratio, cash, sec, ar, cl),
        "KPI_DEBT_TO_EQUITY": core(xl_kpi.debt_to_equity, debt, equity),
        "KPI_EQUITY_RATIO": core(xl_kpi.equity_ratio, equity, ta),
        "KPI_INTEREST_COVERAGE": core(xl_kpi.interest_coverage, ebit, interest),
        "KPI_GROSS_MARGIN": core(xl_kpi.gross_margin, rev, cogs),
    }


def ledger_inputs() -> pd.DataFrame:
    """A new ledger: other seed, dates inside the month, one customer twice in a month."""
    df = generate_ledger(n_customers=40, n_months=10, seed=99, start="2031-05-01")
    df["month"] = df["month"] + pd.to_timedelta(np.arange(len(df)) % 27, unit="D")
    extra = df.iloc[[3]].assign(mrr=17.5)
    return pd.concat([df, extra], ignore_index=True)


def calculator_inputs(blocks: dict) -> dict[str, list]:
    """New valid inputs for every calculator block: {Excel name: one value (or list) per argument}.

    Drawn from each argument's domain; ranges leave their last row blank (blanks are ignored, or
    count 0 for lead scores); ticket times are whole minutes, responses after the opening.
    The thresholds of CHURN_BENCHMARK keep their values (the core's function has them fixed).
    """
    rng = np.random.default_rng(4343)
    out: dict[str, list] = {}
    for name, (_, refs, _) in blocks.items():
        values: list = []
        for arg in xl_kpi.get(name).args:
            ref = refs[arg.name]
            n = int(ref.split(":")[1][1:]) - int(ref.split(":")[0][1:]) + 1 if ":" in ref else 1
            if arg.name == "opened_at":
                value = [dt.datetime(2031, 5, 1) + dt.timedelta(minutes=int(m)) for m in rng.integers(0, 40_000, n)]
            elif arg.name.endswith("_at"):
                value = [t + dt.timedelta(minutes=int(m)) for t, m in zip(values[0], rng.integers(1, 5_000, n))]
            elif arg.domain.name == "score":
                value = [int(v) for v in rng.integers(0, 11, n)]
            elif arg.domain.name == "unit_interval":
                value = [float(np.round(v, 4)) for v in rng.uniform(0.01, 0.9, n)]
            elif arg.domain.name == "any":
                scale = 1.5 if "as a fraction" in arg.help else 5_000
                value = [float(np.round(v, 4)) for v in rng.uniform(-scale / 3, scale, n)]
            else:
                value = [float(np.round(v, 2)) for v in rng.uniform(1, 20_000, n)]
            if arg.array and arg.name not in ("points", "opened_at"):
                value[-1] = None
            values.append(value if arg.array else value[0])
        out[name] = values
    return out


def expected_calculator(name: str, values: list):
    """The core's value for a block's inputs (date-times as the Excel serials a workbook holds)."""
    def plain(v):
        if isinstance(v, list):
            return [plain(x) for x in v]
        return to_serial(v) if isinstance(v, dt.datetime) else v

    return core(xl_kpi.get(name).function, *map(plain, values))


# --------------------------------------------------------------------------- writing inputs


def _write_rows(ws, first_row: int, rows: list[list], first_col: int = 1) -> None:
    for r, values in enumerate(rows, start=first_row):
        for c, value in enumerate(values, start=first_col):
            ws.cell(row=r, column=c).value = value  # cell(value=None) would keep the old value


def _clear(ws, first_row: int, columns: int) -> None:
    """Empty a table's columns below its header (the result cells beside it stay)."""
    for row in ws.iter_rows(min_row=first_row, max_row=ws.max_row, max_col=columns):
        for cell in row:
            cell.value = None


def _fill_dashboard(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    _write_rows(wb["Inputs"], 5, dashboard_inputs())
    wb.save(path)


def _fill_funnel(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    _write_rows(wb["Funnel"], 5, funnel_inputs())
    nps = wb["NPS"]
    table = nps.tables["NPSResponses"]
    _clear(nps, 5, 3)
    _write_rows(nps, 5, [[f"X{k}", dt.datetime(2031, 1, 1), s] for k, s in enumerate(NPS_SCORES)])
    table.ref = f"A4:C{4 + len(NPS_SCORES)}"
    leads = wb["Lead Scoring"]
    _write_rows(leads, 5, [LEAD_POINTS], first_col=2)
    _write_rows(leads, 9, [[f"N{k}", *counts] for k, counts in enumerate(LEAD_COUNTS)])
    support = wb["Support"]
    _clear(support, 5, 4)
    _write_rows(support, 5, [[f"S{k}", *times] for k, times in enumerate(TICKETS)])
    support.tables["Tickets"].ref = f"A4:D{4 + len(TICKETS)}"
    wb.save(path)


def _fill_balance(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    _write_rows(wb["Balance Sheet"], 5, balance_inputs())
    wb.save(path)


def _fill_ledger(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["Ledger"]
    _clear(ws, 5, 3)
    df = ledger_inputs()
    _write_rows(ws, 5, [[c, m.to_pydatetime(), v] for c, m, v in zip(df["customer_id"], df["month"], df["mrr"])])
    ws.tables["Ledger"].ref = f"A4:C{4 + len(df)}"
    wb.save(path)


def _fill_calculator(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    blocks = calculator_blocks(wb)
    for name, values in calculator_inputs(blocks).items():
        sheet, refs, _ = blocks[name]
        for arg, value in zip(xl_kpi.get(name).arg_names, values):
            for cell, v in zip(block_cells(wb[sheet], refs[arg]), value if isinstance(value, list) else [value]):
                cell.value = v
    wb.save(path)


FILLERS = {
    dashboard.FILE_NAME: _fill_dashboard,
    funnel.FILE_NAME: _fill_funnel,
    balance_sheet.FILE_NAME: _fill_balance,
    ledger_book.FILE_NAME: _fill_ledger,
    calculator.FILE_NAME: _fill_calculator,
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> dict[str, dict[str, Path]]:
    """{"sample" | "blank" | "new": {file name: recalculated path}}, from one LibreOffice run."""
    base = tmp_path_factory.mktemp("templates-engine")
    inputs = base / "in"
    inputs.mkdir()
    plan: dict[str, dict[str, Path]] = {"sample": {}, "blank": {}, "new": {}}
    for variant, blank in (("sample", False), ("blank", True)):
        for path in write_templates(base / variant, blank=blank):
            target = inputs / f"{variant}-{path.name}"
            shutil.copy(path, target)
            plan[variant][path.name] = target
    for name, fill in FILLERS.items():
        target = inputs / f"new-{name}"
        shutil.copy(plan["sample"][name], target)
        fill(target)
        plan["new"][name] = target
    every = [p for variant in plan.values() for p in variant.values()]
    outputs = dict(zip(every, recalculate(every, base / "out")))
    return {variant: {name: outputs[p] for name, p in files.items()} for variant, files in plan.items()}


def _named(wb, name: str) -> list:
    ((sheet, ref),) = list(wb.defined_names[name].destinations)
    cells = wb[sheet][ref.replace("$", "")]
    if isinstance(cells, tuple):
        return [c.value for row in cells for c in (row if isinstance(row, tuple) else (row,))]
    return [cells.value]


def _assert_matches(actual, expected, where: str) -> None:
    if expected is None:
        assert actual in (None, ""), f"{where}: expected an empty cell, got {actual!r}"
    elif isinstance(expected, str):
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"
    else:
        assert isinstance(actual, (int, float)), f"{where}: expected {expected!r}, got {actual!r}"
        assert actual == pytest.approx(expected, rel=REL, abs=1e-12), f"{where}: {actual!r} != {expected!r}"


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("variant", ["sample", "blank", "new"])
def test_no_error_cell_anywhere(engine, variant):
    for name, path in engine[variant].items():
        wb = openpyxl.load_workbook(path, data_only=True)
        bad = [f"{ws.title}!{c.coordinate}={c.value}" for ws in wb for row in ws.iter_rows() for c in row
               if isinstance(c.value, str) and c.value.startswith(ERRORS)]
        assert not bad, f"{variant} {name}: {bad[:10]}"


def test_sample_dashboard_shows_every_kpi_every_month(engine):
    wb = openpyxl.load_workbook(engine["sample"][dashboard.FILE_NAME], data_only=True)
    for name, _ in dashboard.KPI_NAMES:
        values = _named(wb, name)
        assert len(values) == 24 and all(isinstance(v, (int, float)) for v in values), name


def test_dashboard_kpis_equal_core_on_new_inputs(engine):
    wb = openpyxl.load_workbook(engine["new"][dashboard.FILE_NAME], data_only=True)
    rows = dashboard_inputs()
    columns = {name: _named(wb, name) for name, _ in dashboard.KPI_NAMES}
    verdicts = [c.value for c in wb["KPIs"]["D"][4:28]]
    for r, row in enumerate(rows):
        for name, value in expected_dashboard(row).items():
            _assert_matches(columns[name][r], value, f"row {r + 1} {name}")
        churn = core(xl_kpi.churn_rate, row[3], row[1])
        _assert_matches(verdicts[r], None if churn is None else xl_kpi.churn_benchmark(churn), f"row {r + 1} verdict")
    # the edge rows really are empty where the core has no value
    assert columns["KPI_CLV"][3] in (None, "") and columns["KPI_CAC"][4] in (None, "")
    assert columns["KPI_SAAS_QUICK_RATIO"][5] in (None, "") and columns["KPI_ARPA"][6] in (None, "")
    assert all(columns[name][23] in (None, "") for name in columns)


def test_blank_dashboard_is_empty_not_zero(engine):
    wb = openpyxl.load_workbook(engine["blank"][dashboard.FILE_NAME], data_only=True)
    for name, _ in dashboard.KPI_NAMES:
        assert all(v in (None, "") for v in _named(wb, name)), name


def test_funnel_kpis_equal_core_on_new_inputs(engine):
    wb = openpyxl.load_workbook(engine["new"][funnel.FILE_NAME], data_only=True)
    for r, row in enumerate(funnel_inputs()):
        for name, value in expected_funnel(row).items():
            _assert_matches(_named(wb, name)[r], value, f"row {r + 1} {name}")
    _assert_matches(_named(wb, "KPI_NPS")[0], xl_kpi.nps(NPS_SCORES), "NPS")
    scores = _named(wb, "KPI_LEAD_SCORE")
    for k, counts in enumerate(LEAD_COUNTS):
        expected = None if all(c is None for c in counts) else xl_kpi.lead_score(counts, LEAD_POINTS)
        _assert_matches(scores[k], expected, f"lead {k}")
    opened, response, resolved = (list(x) for x in zip(*TICKETS))
    _assert_matches(_named(wb, "KPI_AVG_FIRST_RESPONSE_HOURS")[0],
                    xl_kpi.avg_first_response_hours(opened, response), "first response")
    _assert_matches(_named(wb, "KPI_AVG_RESOLUTION_HOURS")[0], xl_kpi.avg_resolution_hours(opened, resolved),
                    "resolution")


def test_blank_funnel_results_are_empty(engine):
    wb = openpyxl.load_workbook(engine["blank"][funnel.FILE_NAME], data_only=True)
    for name in ("KPI_NPS", "KPI_AVG_FIRST_RESPONSE_HOURS", "KPI_AVG_RESOLUTION_HOURS", "KPI_LEAD_SCORE",
                 *(n for _, n, _, _ in funnel.FUNNEL_KPIS)):
        assert all(v in (None, "") for v in _named(wb, name)), name


def test_balance_sheet_ratios_equal_core_on_new_inputs(engine):
    wb = openpyxl.load_workbook(engine["new"][balance_sheet.FILE_NAME], data_only=True)
    for r, row in enumerate(balance_inputs()):
        for name, value in expected_balance(row).items():
            _assert_matches(_named(wb, name)[r], value, f"period {r + 1} {name}")


def test_ledger_monthly_mrr_equals_an_independent_total(engine):
    wb = openpyxl.load_workbook(engine["new"][ledger_book.FILE_NAME], data_only=True)
    df = ledger_inputs()
    totals = df.groupby(df["month"].dt.to_period("M"))["mrr"].sum()
    totals = totals.reindex(pd.period_range(totals.index.min(), totals.index.max(), freq="M"), fill_value=0.0)
    months = [c.value for c in wb["Monthly MRR"]["A"][4:4 + ledger_book.MONTH_ROWS]]
    mrr = _named(wb, "LEDGER_MRR")
    arr = _named(wb, "LEDGER_ARR")
    growth = [c.value for c in wb["Monthly MRR"]["D"][4:4 + ledger_book.MONTH_ROWS]]
    n = len(totals)
    assert [m.date() for m in months[:n]] == [p.to_timestamp().date() for p in totals.index]
    assert all(v in (None, "") for v in months[n:] + mrr[n:] + arr[n:] + growth[n:])
    for k, (period, total) in enumerate(totals.items()):
        _assert_matches(mrr[k], float(total), f"{period} MRR")
        _assert_matches(arr[k], xl_kpi.arr(float(total)), f"{period} ARR")
        if k:
            _assert_matches(growth[k], core(xl_kpi.mrr_growth_rate, float(total), float(totals.iloc[k - 1])),
                            f"{period} growth")


def test_calculator_gives_the_catalogs_worked_examples(engine):
    """Sample inputs (the catalog's first examples) -> the catalog's numbers, computed by LibreOffice."""
    wb = openpyxl.load_workbook(engine["sample"][calculator.FILE_NAME], data_only=True)
    assert len(calculator_blocks(openpyxl.load_workbook(engine["sample"][calculator.FILE_NAME]))) == 43
    for name in xl_kpi.REGISTRY:
        (value,) = _named(wb, "CALC_" + name)
        example = BY_NAME[name].examples[0]
        if isinstance(example.expected, str):
            assert value == example.expected, name
        else:
            assert isinstance(value, (int, float)), (name, value)
            tolerance = dict(abs=example.abs) if example.abs else dict(rel=REL, abs=1e-12)
            assert value == pytest.approx(example.expected, **tolerance), name


def test_calculator_equals_core_on_new_inputs(engine):
    blocks = calculator_blocks(openpyxl.load_workbook(engine["new"][calculator.FILE_NAME]))
    wb = openpyxl.load_workbook(engine["new"][calculator.FILE_NAME], data_only=True)
    inputs = calculator_inputs(blocks)
    numbers = 0
    for name, values in inputs.items():
        (value,) = _named(wb, "CALC_" + name)
        expected = expected_calculator(name, values)
        _assert_matches(value, expected, name)
        numbers += isinstance(expected, float)
    assert numbers >= 42  # every KPI gives a value on these inputs (the verdict is text)


def test_blank_calculator_results_are_empty(engine):
    wb = openpyxl.load_workbook(engine["blank"][calculator.FILE_NAME], data_only=True)
    for name in xl_kpi.REGISTRY:
        assert _named(wb, "CALC_" + name) in ([None], [""]), name
