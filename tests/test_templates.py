"""Template workbooks: structure, modelling conventions, reproducibility and the CLI.

The numbers themselves are checked by a real engine in test_templates_engine.py.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import range_boundaries

import xl_kpi
from xl_kpi.cli import main
from xl_kpi.templates import BUILDERS, balance_sheet, dashboard, funnel, ledger_book, write_templates
from xl_kpi.templates.formulas import kpi_formula
from xl_kpi.templates.sheets import FIXED_TIME

WORKBOOKS = Path(__file__).resolve().parents[1] / "workbooks"
NAMES = list(BUILDERS)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    return {p.name: p for p in write_templates(tmp_path_factory.mktemp("templates"))}


@pytest.fixture(scope="module")
def books(built) -> dict[str, openpyxl.Workbook]:
    return {name: openpyxl.load_workbook(path) for name, path in built.items()}


def _tables(wb) -> dict[str, tuple[object, object]]:
    return {table.displayName: (ws, table) for ws in wb for table in ws.tables.values()}


def _table_columns(wb, name: str) -> list[str]:
    return [c.name for c in _tables(wb)[name][1].tableColumns]


def _destination(wb, name: str) -> tuple[str, tuple[int, int, int, int]]:
    ((sheet, ref),) = list(wb.defined_names[name].destinations)
    return sheet, range_boundaries(ref.replace("$", ""))


# --------------------------------------------------------------------------- reproducibility


def test_workbooks_folder_equals_what_the_builders_write(built):
    """workbooks/ is exactly `xl-kpi templates` output: same files, same zip entries, same bytes."""
    shipped = sorted(p.name for p in WORKBOOKS.glob("*.xlsx"))
    assert shipped == sorted(built), "run: xl-kpi templates --out workbooks"
    for name, path in built.items():
        with zipfile.ZipFile(WORKBOOKS / name) as old, zipfile.ZipFile(path) as new:
            assert old.namelist() == new.namelist(), name
            changed = [entry for entry in new.namelist() if old.read(entry) != new.read(entry)]
            assert not changed, f"{name}: {changed} differ; run: xl-kpi templates --out workbooks"


def test_build_is_byte_reproducible(tmp_path, built):
    again = {p.name: p for p in write_templates(tmp_path)}
    for name in built:
        assert again[name].read_bytes() == built[name].read_bytes(), name
    props = openpyxl.load_workbook(again[dashboard.FILE_NAME]).properties
    assert props.created == FIXED_TIME and props.modified == FIXED_TIME


# --------------------------------------------------------------------------- conventions


@pytest.mark.parametrize("name", NAMES)
def test_how_to_use_first_and_print_setup(books, name):
    wb = books[name]
    assert wb.sheetnames[0] == "How to use"
    assert len(wb["How to use"]["B"]) > 10  # steps and sheet descriptions are written
    for ws in wb:
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.oddFooter.right.text == "Page &P of &N", ws.title


@pytest.mark.parametrize("name", NAMES)
def test_input_tables_are_styled_and_validated_and_frozen(books, name):
    wb = books[name]
    assert _tables(wb), name
    for table_name, (ws, table) in _tables(wb).items():
        min_col, min_row, max_col, max_row = range_boundaries(table.ref)
        for col in range(min_col, max_col + 1):
            cell = ws.cell(row=min_row + 1, column=col)
            assert cell.font.color.rgb.endswith("0000FF"), (table_name, cell.coordinate)
            assert cell.fill.fgColor.rgb.endswith("FFF4D6"), (table_name, cell.coordinate)
            assert cell.style == "Input (xl_kpi)", (table_name, cell.coordinate)  # in Excel's style gallery
        assert ws.freeze_panes is not None and int(re.sub(r"\D", "", ws.freeze_panes)) == min_row + 1
        assert all(ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width >= 8
                   for c in range(min_col, max_col + 1))


def _validation_for(ws, coordinate: str):
    found = [dv for dv in ws.data_validations.dataValidation if coordinate in dv.sqref]
    assert len(found) == 1, coordinate
    return found[0]


def test_data_validation_of_the_inputs(books):
    inputs = books[dashboard.FILE_NAME]["Inputs"]
    margin = _validation_for(inputs, "K5")
    assert (margin.type, margin.operator, margin.formula1, margin.formula2) == ("decimal", "between", "0", "1")
    for col in "BCD":  # counts
        dv = _validation_for(inputs, f"{col}5")
        assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "0")
    assert _validation_for(inputs, "K500").showErrorMessage  # rows appended to the table are checked too
    nps = _validation_for(books[funnel.FILE_NAME]["NPS"], "C5")
    assert (nps.type, nps.formula1, nps.formula2) == ("whole", "0", "10")


def test_dashboard_table_and_names_exactly_as_the_issue_says(books):
    wb = books[dashboard.FILE_NAME]
    assert _table_columns(wb, "MonthlyInputs") == [
        "Month", "Customers Start", "New Customers", "Customers Lost", "Starting MRR", "New MRR", "Expansion MRR",
        "Contraction MRR", "Churned MRR", "Sales & Marketing Spend", "Gross Margin"]
    _, table = _tables(wb)["MonthlyInputs"]
    _, first_input, _, last_input = range_boundaries(table.ref)
    names = ["KPI_CHURN_RATE", "KPI_REVENUE_CHURN_RATE", "KPI_NET_REVENUE_RETENTION", "KPI_GROSS_REVENUE_RETENTION",
             "KPI_ENDING_MRR", "KPI_ARR", "KPI_ARPA", "KPI_CAC", "KPI_CLV", "KPI_LTV_CAC_RATIO",
             "KPI_CAC_PAYBACK_MONTHS", "KPI_SAAS_QUICK_RATIO", "KPI_MRR_GROWTH_RATE"]
    assert [n for n, _ in dashboard.KPI_NAMES] == names
    for name in names:
        sheet, (min_col, min_row, max_col, max_row) = _destination(wb, name)
        # one contiguous column, one cell per MonthlyInputs row, same rows (so the same order)
        assert (sheet, min_col == max_col, min_row, max_row) == ("KPIs", True, first_input + 1, last_input), name
        for row in range(min_row, max_row + 1):
            formula = wb[sheet].cell(row=row, column=min_col).value
            assert isinstance(formula, str) and formula.startswith("="), (name, row)
            # every row reads its own input row
            assert set(re.findall(r"Inputs!\$?[A-K]\$?(\d+)", formula)) <= {str(row)}, (name, formula)


def test_number_formats_come_from_the_kpi_units(books):
    wb = books[dashboard.FILE_NAME]
    units = {"KPI_CHURN_RATE": "CHURN_RATE", "KPI_ARR": "ARR", "KPI_CAC": "CAC", "KPI_LTV_CAC_RATIO": "LTV_CAC_RATIO",
             "KPI_SAAS_QUICK_RATIO": "SAAS_QUICK_RATIO", "KPI_CAC_PAYBACK_MONTHS": "CAC_PAYBACK_MONTHS",
             "KPI_NET_REVENUE_RETENTION": "NET_REVENUE_RETENTION"}
    for name, kpi in units.items():
        sheet, (col, row, _, _) = _destination(wb, name)
        assert wb[sheet].cell(row=row, column=col).number_format == xl_kpi.get(kpi).unit.number_format, name
    assert xl_kpi.get("CHURN_RATE").unit.number_format == "0.0%"
    ratios = books[balance_sheet.FILE_NAME]
    sheet, (col, row, _, _) = _destination(ratios, "KPI_EQUITY_RATIO")
    assert ratios[sheet].cell(row=row, column=col).number_format == "0.0%"


def test_kpi_formulas_are_the_definitions_rendered(books):
    """A KPI cell holds its definition's formula with the sheet's references, guard included."""
    kpis = books[dashboard.FILE_NAME]["KPIs"]
    assert kpis["C5"].value == '=IF((Inputs!B5)=0,"",Inputs!D5/Inputs!B5)'
    assert kpis["C5"].value == kpi_formula("CHURN_RATE", {"customers_lost": "Inputs!D5",
                                                          "customers_at_start": "Inputs!B5"})
    clv = kpis["L5"].value
    assert "CLV_DISCOUNT_RATE" in clv and "Inputs!K5" in clv and "J5" in clv
    with pytest.raises(ValueError, match="discount_rate"):
        kpi_formula("CLV", {"arpa": "A1", "churn_rate": "B1", "gross_margin": "C1"})  # no silent default


_NUMBER = re.compile(r'"[^"]*"|(?<![A-Za-z_$\d.])(\d+(?:\.\d+)?(?:E[+-]?\d+)?)(?![\d(])')


def _numbers_in(formula: str) -> set[float]:
    out = set()
    for match in _NUMBER.finditer(formula):
        if match.group(1) is not None and not re.search(r"[A-Z]$", formula[:match.start()]):
            out.add(float(match.group(1)))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_formulas_hold_no_hard_coded_thresholds(books, name):
    """Only unit constants of the definitions (0, 1, 12 months, 24 hours, 100 points) appear as numbers."""
    allowed = {0.0, 1.0, 12.0, 24.0, 100.0}
    for ws in books[name]:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    numbers = _numbers_in(cell.value)
                    assert numbers <= allowed, f"{ws.title}!{cell.coordinate}: {cell.value}"
    assert _numbers_in('=IF(C5<=0.03,"good",Inputs!D5/4)') == {0.03, 4.0}  # the scan does see numbers


def test_benchmark_colours_point_at_named_thresholds(books):
    wb = books[dashboard.FILE_NAME]
    rules = {str(cf.sqref): [r.formula[0] for r in cf.rules] for cf in wb["KPIs"].conditional_formatting}
    churn = rules["C5:D28"]
    assert churn == ["AND(ISNUMBER($C5),$C5<=CHURN_GOOD_MAX)", "AND(ISNUMBER($C5),$C5<=CHURN_AVERAGE_MAX)",
                     "AND(ISNUMBER($C5),$C5>CHURN_AVERAGE_MAX)"]
    assert any("LTV_CAC_TARGET" in f for f in rules["M5:M28"])
    assert any("SAAS_QUICK_RATIO_TARGET" in f for f in rules["O5:O28"])
    values = {a.name: a.value for a in dashboard.ASSUMPTIONS}
    assert values == {"CHURN_GOOD_MAX": 0.03, "CHURN_AVERAGE_MAX": 0.05, "LTV_CAC_TARGET": 3.0,
                      "SAAS_QUICK_RATIO_TARGET": 4.0, "CLV_DISCOUNT_RATE": 0.0}
    for item in dashboard.ASSUMPTIONS:
        sheet, (col, row, _, _) = _destination(wb, item.name)
        assert wb[sheet].cell(row=row, column=col).value == item.value


def test_dashboard_charts(books):
    charts = books[dashboard.FILE_NAME]["Charts"]._charts
    assert len(charts) == 3
    titles = [c.title.tx.rich.p[0].r[0].t for c in charts]
    assert titles[0].startswith("MRR over time") and titles[1].startswith("MRR movements")
    assert "benchmark" in titles[2]
    refs = [[s.val.numRef.f for s in c.series] for c in charts]
    assert refs[0] == ["'Charts'!$S$5:$S$28"]                    # ending MRR
    assert len(refs[1]) == 4 and len(refs[2]) == 3               # four movements; churn + two benchmarks
    ws = books[dashboard.FILE_NAME]["Charts"]
    assert ws["S5"].value == "=KPIs!H5" and ws["Q5"].value == '=IF(ISNUMBER(Inputs!H5),-Inputs!H5,"")'
    assert ws["U5"].value == '=IF(ISNUMBER(KPIs!A5),CHURN_GOOD_MAX,"")'
    assert refs[2] == ["'Charts'!$T$5:$T$28", "'Charts'!$U$5:$U$28", "'Charts'!$V$5:$V$28"]


def test_other_tables_and_names(books):
    ledger = books[ledger_book.FILE_NAME]
    assert _table_columns(ledger, "Ledger") == ["Customer ID", "Month", "MRR"]
    assert 1000 < ledger["Ledger"].max_row < 5000  # sample rows, a few thousand at most
    fun = books[funnel.FILE_NAME]
    assert _table_columns(fun, "FunnelInputs")[1:] == [
        "Visitors", "Leads", "MQLs", "SQLs", "Trials", "Customers", "Impressions", "Clicks", "Checkouts Started",
        "Checkouts Completed", "Spend"]
    assert _table_columns(fun, "NPSResponses") == ["Respondent", "Date", "Score"]
    assert _table_columns(fun, "Tickets") == ["Ticket", "Opened At", "First Response At", "Resolved At"]
    assert _destination(fun, "LEAD_POINTS")[0] == "Lead Scoring"
    bs = books[balance_sheet.FILE_NAME]
    assert "BalanceSheet" in _tables(bs)
    for _, name, _, _ in balance_sheet.RATIOS:
        assert _destination(bs, name)[0] == "Ratios"


def test_blank_templates_have_empty_inputs_and_the_same_formulas(tmp_path, books):
    blank = {p.name: openpyxl.load_workbook(p) for p in write_templates(tmp_path, blank=True)}
    for name, wb in blank.items():
        assert wb.sheetnames == books[name].sheetnames
        for table_name, (ws, table) in _tables(wb).items():
            min_col, min_row, max_col, max_row = range_boundaries(table.ref)
            values = [c.value for row in ws.iter_rows(min_row=min_row + 1, max_row=max_row, min_col=min_col,
                                                      max_col=max_col) for c in row]
            assert all(v is None for v in values), (name, table_name)
    assert blank[dashboard.FILE_NAME]["KPIs"]["L5"].value == books[dashboard.FILE_NAME]["KPIs"]["L5"].value


def test_ledger_template_is_what_refresh_reads(built, tmp_path):
    """`xl-kpi refresh` fills the report sheets and keeps the template's own sheets and names."""
    from xl_kpi.refresh import refresh_file

    result = refresh_file(built[ledger_book.FILE_NAME], tmp_path / "refreshed.xlsx")
    source = openpyxl.load_workbook(built[ledger_book.FILE_NAME])
    assert result.ledger_rows == source["Ledger"].max_row - 4 and result.months == 24
    wb = openpyxl.load_workbook(tmp_path / "refreshed.xlsx")
    assert wb.sheetnames[:3] == ["How to use", "Ledger", "Monthly MRR"]
    assert {"LEDGER_MRR", "LEDGER_ARR"} <= set(wb.defined_names)
    assert wb["Monthly MRR"]["B6"].value == source["Monthly MRR"]["B6"].value


# --------------------------------------------------------------------------- command line


def test_cli_writes_the_templates(tmp_path, capsys):
    assert main(["templates", "--out", str(tmp_path / "out"), "--blank"]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(NAMES)
    assert "4 workbooks" in capsys.readouterr().out


def test_cli_refuses_a_file_as_output_folder(tmp_path, capsys):
    target = tmp_path / "taken.xlsx"
    target.write_text("x")
    assert main(["templates", "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert "taken.xlsx" in err and "not a folder" in err and "Traceback" not in err
    assert target.read_text() == "x"
