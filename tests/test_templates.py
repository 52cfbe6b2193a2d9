"""Template workbooks: structure, modelling conventions, reproducibility and the CLI.

The numbers themselves are checked by a real engine in test_templates_engine.py.
"""

from __future__ import annotations

import re
import zipfile
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import range_boundaries

import xl_kpi
from xl_kpi.cli import main
from xl_kpi.excel_values import to_serial
from xl_kpi.kpis import definitions
from xl_kpi.kpis.definition import KPIDefinition
from xl_kpi.templates import BUILDERS, balance_sheet, calculator, dashboard, funnel, ledger_book, write_templates
from xl_kpi.templates.formulas import kpi_formula
from xl_kpi.templates.sheets import FIXED_TIME

from tests.catalog_data import BY_NAME

WORKBOOKS = Path(__file__).resolve().parents[1] / "workbooks"
NAMES = list(BUILDERS)
#: The templates built around Excel input tables (the KPI calculator has input blocks instead).
TABLE_BOOKS = [name for name in NAMES if name != calculator.FILE_NAME]


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
        if ws.sheet_properties.pageSetUpPr.fitToPage:
            assert ws.page_setup.fitToWidth == 1, ws.title
        else:  # a fixed scale, so Excel keeps the manual page breaks (it ignores them when fitting to pages)
            assert 70 <= ws.page_setup.scale <= 100, ws.title
        assert ws.oddFooter.right.text == "Page &P of &N", ws.title


def test_dashboard_kpis_print_as_two_legible_pages(books):
    """20 KPI columns: two pages side by side (split after ARPA), months repeated, not one page at half size."""
    kpis = books[dashboard.FILE_NAME]["KPIs"]
    assert [b.id for b in kpis.col_breaks.brk] == [10] and kpis["J4"].value == "ARPA"
    assert kpis.print_title_cols == "$A:$A" and kpis.page_setup.orientation == "landscape"
    assert not kpis.sheet_properties.pageSetUpPr.fitToPage and kpis.page_setup.scale == 75


@pytest.mark.parametrize("name", TABLE_BOOKS)
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
             "KPI_CAC_PAYBACK_MONTHS", "KPI_SAAS_QUICK_RATIO", "KPI_MRR_GROWTH_RATE",
             # the catalog KPIs the monthly inputs also support (after the issue's list, so no letter moves)
             "KPI_RETENTION_RATE", "KPI_NET_REVENUE_CHURN_RATE", "KPI_ANNUALIZED_CHURN", "KPI_NET_NEW_MRR"]
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
             "KPI_NET_REVENUE_RETENTION": "NET_REVENUE_RETENTION", "KPI_RETENTION_RATE": "RETENTION_RATE",
             "KPI_NET_REVENUE_CHURN_RATE": "NET_REVENUE_CHURN_RATE", "KPI_ANNUALIZED_CHURN": "ANNUALIZE_CHURN",
             "KPI_NET_NEW_MRR": "NET_NEW_MRR"}
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
    """Only unit constants of the definitions (0, 1, 4 quarters, 12 months, 24 hours, 100 points) appear as numbers."""
    allowed = {0.0, 1.0, 4.0, 12.0, 24.0, 100.0}  # 4: MAGIC_NUMBER annualizes a quarter
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
            if table_name == "Settings":  # its labels and help stay; the values are blank (= the defaults)
                min_col = max_col = min_col + 1
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


# --------------------------------------------------------------------------- KPI calculator


def calculator_blocks(wb) -> dict[str, tuple[str, dict[str, str], str]]:
    """{Excel name: (sheet, {argument or threshold: input cell or range}, result cell)}, read from the layout.

    A block starts at a header row (function name, "Value"); each input row names its argument in
    column C, and a range input's label is merged down column A over its rows; the result row
    names its CALC_ cell in column C.
    """
    blocks: dict[str, tuple[str, dict[str, str], str]] = {}
    for ws in wb.worksheets[1:]:
        label_rows = {r.min_row: r.max_row for r in ws.merged_cells.ranges if r.min_col == r.max_col == 1}
        current, refs = None, {}
        for row in range(1, ws.max_row + 1):
            a, b, c = (ws.cell(row=row, column=k).value for k in (1, 2, 3))
            if a in xl_kpi.REGISTRY and b == "Value":
                current, refs = a, {}
            elif current and isinstance(c, str) and c.startswith("CALC_"):
                assert c == "CALC_" + current, (ws.title, row)
                blocks[current] = (ws.title, refs, f"B{row}")
                current = None
            elif current and c:
                last = label_rows.get(row, row)
                refs[c] = f"B{row}" if last == row else f"B{row}:B{last}"
    return blocks


def block_cells(ws, ref: str) -> list:
    """The cells of a block's input ``ref`` (one cell or a one-column range), top to bottom."""
    cells = ws[ref]
    return [row[0] for row in cells] if isinstance(cells, tuple) else [cells]


#: Data validation expected from an argument's domain: (type, operator, formula1, formula2).
_DOMAIN_VALIDATION = {
    "nonneg": ("decimal", "greaterThanOrEqual", "0", None),
    "unit_interval": ("decimal", "between", "0", "1"),
    "score": ("whole", "between", "0", "10"),
    "any": ("decimal", "between", "-1E+307", "1E+307"),
}


def test_calculator_has_every_kpi_with_its_definitions_formula(books):
    """All 43 definitions, by family in catalog order; each result is `=` + the definition's guarded
    formula of its own block's input cells (a denominator-free KPI inside an empty-inputs test)."""
    wb = books[calculator.FILE_NAME]
    assert wb.sheetnames == ["How to use", *calculator.SHEETS.values()]
    blocks = calculator_blocks(wb)
    assert list(blocks) == [d.excel_name for d in definitions()] and len(blocks) == len(xl_kpi.REGISTRY) == 43
    wrapped = set()
    for name, (sheet, refs, result) in blocks.items():
        d = xl_kpi.get(name)
        assert sheet == calculator.SHEETS[d.family], name
        assert list(refs) == [*d.arg_names, *d.constants], name  # one input per argument, in order
        formula = wb[sheet][result].value
        guarded = d.excel_guarded_formula(refs)
        if formula != "=" + guarded:
            match = re.fullmatch(r'=IF\(COUNT\((B\d+(?::B\d+)?)\)=0,"",(.*)\)', formula)
            assert match and match.group(2) == guarded, (name, formula)
            wrapped.add(name)
            # the empty-inputs test looks at the required inputs (or, for ticket hours, the answered ones)
            required = [refs[a.name] for a in d.args if a.name not in d.defaults]
            watched = (refs[calculator.BLANK_UNLESS[name]] if name in calculator.BLANK_UNLESS
                       else f"{required[0].split(':')[0]}:{required[-1].split(':')[-1]}")
            assert match.group(1) == watched, name
        assert _destination(wb, "CALC_" + name) == (sheet, range_boundaries(f"{result}:{result}")), name
        expected_format = "General" if d.unit.name == "text" else d.unit.number_format
        assert wb[sheet][result].number_format == expected_format, name
        ws = wb[sheet]
        for arg in d.args:
            cells = block_cells(ws, refs[arg.name])
            assert len(cells) == (1 if not arg.array else len(cells)) and (len(cells) >= 5) == arg.array, name
            assert all(c.style == "Input (xl_kpi)" for c in cells), (name, arg.name)
            dv = _validation_for(ws, cells[0].coordinate)
            if arg.name.endswith("_at"):
                assert dv.type == "date" and cells[0].number_format == "yyyy-mm-dd hh:mm", (name, arg.name)
            else:
                assert (dv.type, dv.operator, dv.formula1, dv.formula2) == _DOMAIN_VALIDATION[arg.domain.name], \
                    (name, arg.name)
            assert _validation_for(ws, cells[-1].coordinate) is dv
    # exactly the KPIs without a denominator need the test (their formula shows 0 or #DIV/0! on blanks)
    assert wrapped == {d.excel_name for d in definitions() if not d.denominators}
    assert {"NPS", "ARR", "NET_NEW_MRR", "CHURN_BENCHMARK"} <= wrapped
    for ws in wb.worksheets[1:]:
        assert ws.freeze_panes == "A4" and ws.print_area, ws.title
    assert wb["Retention & Churn"].row_breaks.brk  # a block starts a page rather than splitting


def test_calculator_samples_are_the_catalogs_first_examples(books):
    """Input values = the first worked example of tests/catalog_data.py; defaults fill the rest."""
    wb = books[calculator.FILE_NAME]
    for name, (sheet, refs, _) in calculator_blocks(wb).items():
        d, example = xl_kpi.get(name), BY_NAME[name].examples[0]
        for k, arg in enumerate(d.args):
            values = [c.value for c in block_cells(wb[sheet], refs[arg.name])]
            if k < len(example.args):
                given = example.args[k]
                expected = list(given) if isinstance(given, (list, tuple)) else [given]
                got = [to_serial(v) if hasattr(v, "year") else v for v in values[:len(expected)]]
                assert got == pytest.approx(expected, abs=1e-9), (name, arg.name)
                assert all(v is None for v in values[len(expected):]), (name, arg.name)
            else:
                assert values == [d.defaults[arg.name]], (name, arg.name)
        for constant, value in d.constants.items():
            assert wb[sheet][refs[constant]].value == value


def test_blank_calculator_keeps_only_defaults_and_thresholds(tmp_path):
    wb = openpyxl.load_workbook(calculator.build(tmp_path / "blank.xlsx", blank=True))
    for name, (sheet, refs, result) in calculator_blocks(wb).items():
        d = xl_kpi.get(name)
        for arg in d.args:
            values = [c.value for c in block_cells(wb[sheet], refs[arg.name])]
            assert values == ([d.defaults[arg.name]] if arg.name in d.defaults else [None] * len(values)), name
        assert wb[sheet][result].value.startswith("=")


def test_every_catalog_kpi_reaches_a_template(tmp_path, monkeypatch):
    """Every definition's rendered formula is in some cell of the written templates (not only rendered)."""
    rendered: dict[str, set[str]] = defaultdict(set)
    original = KPIDefinition.excel_guarded_formula

    def spy(self, refs=None, **more):
        text = original(self, refs, **more)
        rendered[self.excel_name].add(text)
        return text

    monkeypatch.setattr(KPIDefinition, "excel_guarded_formula", spy)
    formulas: dict[str, list[str]] = {}
    for path in write_templates(tmp_path):
        wb = openpyxl.load_workbook(path)
        formulas[path.name] = [c.value for ws in wb for row in ws.iter_rows() for c in row
                               if isinstance(c.value, str) and c.value.startswith("=")]
    every = "\n".join(f for fs in formulas.values() for f in fs)
    missing = [name for name in xl_kpi.REGISTRY if not any(text in every for text in rendered[name])]
    assert not missing
    # the dashboard now carries the four catalog KPIs its monthly inputs support
    dash = "\n".join(formulas[dashboard.FILE_NAME])
    for name in ("RETENTION_RATE", "NET_REVENUE_CHURN_RATE", "ANNUALIZE_CHURN", "NET_NEW_MRR"):
        assert any(text in dash for text in rendered[name]), name


# --------------------------------------------------------------------------- command line


def test_cli_writes_the_templates(tmp_path, capsys):
    assert main(["templates", "--out", str(tmp_path / "out"), "--blank"]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(NAMES)
    assert "5 workbooks" in capsys.readouterr().out


def test_cli_refuses_a_file_as_output_folder(tmp_path, capsys):
    target = tmp_path / "taken.xlsx"
    target.write_text("x")
    assert main(["templates", "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert "taken.xlsx" in err and "not a folder" in err and "Traceback" not in err
    assert target.read_text() == "x"
