"""``saas_kpi_dashboard.xlsx``: monthly aggregates in, SaaS KPIs out, with benchmark colours and charts.

Sheets: How to use | Inputs (table ``MonthlyInputs``) | Assumptions (named
thresholds) | KPIs (one row per input row, every KPI a named column) | Charts.

Row ``r`` of the KPIs sheet (and of the chart data) belongs to row ``r`` of
the Inputs sheet, so every formula reads its inputs on its own row.  Each
KPI formula is rendered from the core's definition
(:func:`xl_kpi.templates.formulas.kpi_formula`); where the dashboard's input
differs from a KPI's argument, the argument is given an expression:

* revenue churn: ``mrr_lost`` = contraction + churned MRR,
* CLV = ARPA x gross margin / churn: ``CLV`` with ``discount_rate`` at the
  named assumption ``CLV_DISCOUNT_RATE`` (0 in the sample),
* CAC payback = CAC / (ARPA x gross margin),
* SaaS quick ratio: the inputs have no reactivation column (reactivated MRR
  is part of New MRR), so ``reactivation_mrr`` is 0.

Ending MRR (starting + new + expansion - contraction - churned) and
customers at the end (start + new - lost) are not catalog KPIs: plain formulas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.line import LineProperties
from openpyxl.utils import column_index_from_string
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RegularTextRun

from xl_kpi.kpis.retention import AVERAGE_MONTHLY_CHURN, GOOD_MONTHLY_CHURN
from xl_kpi.templates import sheets, styles
from xl_kpi.templates.formulas import blank_unless_any, kpi_formula, number_format
from xl_kpi.templates.sample_inputs import dashboard_rows
from xl_kpi.templates.sheets import Assumption, InputColumn, OutputColumn

FILE_NAME = "saas_kpi_dashboard.xlsx"
TABLE = "MonthlyInputs"

#: MonthlyInputs: its column names and order are part of the template's interface (users' formulas and the refresh use them).
INPUT_COLUMNS = (
    InputColumn("Month", styles.MONTH_FORMAT, "date"),
    InputColumn("Customers Start", styles.COUNT_FORMAT, "count"),
    InputColumn("New Customers", styles.COUNT_FORMAT, "count"),
    InputColumn("Customers Lost", styles.COUNT_FORMAT, "count"),
    InputColumn("Starting MRR", styles.MONEY_FORMAT, "money"),
    InputColumn("New MRR", styles.MONEY_FORMAT, "money"),
    InputColumn("Expansion MRR", styles.MONEY_FORMAT, "money"),
    InputColumn("Contraction MRR", styles.MONEY_FORMAT, "money"),
    InputColumn("Churned MRR", styles.MONEY_FORMAT, "money"),
    InputColumn("Sales & Marketing Spend", styles.MONEY_FORMAT, "money"),
    InputColumn("Gross Margin", styles.PERCENT_FORMAT, "fraction"),
)

#: Benchmarks of the sources: monthly churn <= 3% good, <= 5% average; LTV:CAC >= 3; quick ratio >= 4.
LTV_CAC_TARGET = 3.0
SAAS_QUICK_RATIO_TARGET = 4.0
ASSUMPTIONS = (
    Assumption("CHURN_GOOD_MAX", "Good monthly churn, at most", GOOD_MONTHLY_CHURN, "0.0%",
               "Monthly customer churn at or below this is good (the sources: 3% or below).", "fraction"),
    Assumption("CHURN_AVERAGE_MAX", "Average monthly churn, at most", AVERAGE_MONTHLY_CHURN, "0.0%",
               "Monthly churn up to this is average (about 5% for SaaS); above it is high.", "fraction"),
    Assumption("LTV_CAC_TARGET", "LTV:CAC target, at least", LTV_CAC_TARGET, '0.0"x"',
               "A customer should be worth at least 3 times what it cost to win.", "any"),
    Assumption("SAAS_QUICK_RATIO_TARGET", "SaaS quick ratio target, at least", SAAS_QUICK_RATIO_TARGET, '0.0"x"',
               "MRR gained over MRR lost; 4 or more is efficient growth.", "any"),
    Assumption("CLV_DISCOUNT_RATE", "CLV discount rate per month", 0.0, "0.00%",
               "0 gives the simple CLV = ARPA x gross margin / churn; set a monthly rate to discount.", "fraction"),
)

#: (defined name, what it holds) in the order of the issue.
KPI_NAMES = (
    ("KPI_CHURN_RATE", "customer churn rate: customers lost / customers at start"),
    ("KPI_REVENUE_CHURN_RATE", "revenue churn: (contraction + churned MRR) / starting MRR"),
    ("KPI_NET_REVENUE_RETENTION", "NRR: (starting + expansion - contraction - churned) / starting MRR"),
    ("KPI_GROSS_REVENUE_RETENTION", "GRR: (starting - contraction - churned) / starting MRR"),
    ("KPI_ENDING_MRR", "ending MRR: starting + new + expansion - contraction - churned"),
    ("KPI_ARR", "ARR: 12 x ending MRR"),
    ("KPI_ARPA", "ARPA: ending MRR / customers at end (start + new - lost)"),
    ("KPI_CAC", "CAC: sales & marketing spend / new customers"),
    ("KPI_CLV", "CLV: ARPA x gross margin / churn (discounted at CLV_DISCOUNT_RATE)"),
    ("KPI_LTV_CAC_RATIO", "LTV:CAC: CLV / CAC"),
    ("KPI_CAC_PAYBACK_MONTHS", "CAC payback in months: CAC / (ARPA x gross margin)"),
    ("KPI_SAAS_QUICK_RATIO", "SaaS quick ratio: (new + expansion) / (contraction + churned MRR)"),
    ("KPI_MRR_GROWTH_RATE", "MRR growth: (ending - starting) / starting MRR"),
    # Added after the issue's list (the existing columns keep their letters):
    ("KPI_RETENTION_RATE", "customer retention: (customers at end - new customers) / customers at start"),
    ("KPI_NET_REVENUE_CHURN_RATE", "net revenue churn: (contraction + churned - expansion MRR) / starting MRR"),
    ("KPI_ANNUALIZED_CHURN", "annual churn equivalent to the month's churn: 1 - (1 - churn)^12"),
    ("KPI_NET_NEW_MRR", "net new MRR: new + expansion - contraction - churned MRR"),
)


def _kpi_columns() -> list[OutputColumn]:
    """The KPIs sheet, left to right.  ``i`` is the Inputs sheet; letters are fixed below."""

    def i(col: str, r: int) -> str:
        return f"Inputs!{col}{r}"

    # Inputs: A Month, B Customers Start, C New, D Lost, E Starting MRR, F New MRR,
    # G Expansion, H Contraction, I Churned, J Spend, K Gross Margin.
    # KPIs:   A Month, B Customers at End, C Churn, D Benchmark, E Revenue churn, F NRR,
    # G GRR, H Ending MRR, I ARR, J ARPA, K CAC, L CLV, M LTV:CAC, N Payback, O Quick, P Growth,
    # Q Retention, R Net revenue churn, S Annualized churn, T Net new MRR.
    return [
        sheets.echo_column("Month", "Inputs", styles.MONTH_FORMAT),
        OutputColumn("Customers at End",
                     lambda r: blank_unless_any(f"{i('B', r)}:D{r}", f"{i('B', r)}+{i('C', r)}-{i('D', r)}"),
                     styles.COUNT_FORMAT),
        OutputColumn("Churn Rate", lambda r: kpi_formula(
            "CHURN_RATE", {"customers_lost": i("D", r), "customers_at_start": i("B", r)}),
            number_format("CHURN_RATE"), "KPI_CHURN_RATE"),
        OutputColumn("Churn vs Benchmark", lambda r: kpi_formula(
            "CHURN_BENCHMARK", {"monthly_churn": f"C{r}", "good_monthly_churn": "CHURN_GOOD_MAX",
                                "average_monthly_churn": "CHURN_AVERAGE_MAX"}, needs=[f"C{r}"]),
            "General", align="center"),
        OutputColumn("Revenue Churn Rate", lambda r: kpi_formula(
            "REVENUE_CHURN_RATE", {"mrr_lost": f"({i('H', r)}+{i('I', r)})", "mrr_at_start": i("E", r)}),
            number_format("REVENUE_CHURN_RATE"), "KPI_REVENUE_CHURN_RATE"),
        OutputColumn("Net Revenue Retention", lambda r: kpi_formula(
            "NET_REVENUE_RETENTION", {"mrr_at_start": i("E", r), "expansion_mrr": i("G", r),
                                      "contraction_mrr": i("H", r), "churned_mrr": i("I", r)}),
            number_format("NET_REVENUE_RETENTION"), "KPI_NET_REVENUE_RETENTION"),
        OutputColumn("Gross Revenue Retention", lambda r: kpi_formula(
            "GROSS_REVENUE_RETENTION", {"mrr_at_start": i("E", r), "contraction_mrr": i("H", r),
                                        "churned_mrr": i("I", r)}),
            number_format("GROSS_REVENUE_RETENTION"), "KPI_GROSS_REVENUE_RETENTION"),
        OutputColumn("Ending MRR", lambda r: blank_unless_any(
            f"{i('E', r)}:I{r}", f"{i('E', r)}+{i('F', r)}+{i('G', r)}-{i('H', r)}-{i('I', r)}"),
            number_format("ARR"), "KPI_ENDING_MRR"),
        OutputColumn("ARR", lambda r: kpi_formula("ARR", {"mrr": f"H{r}"}, needs=[f"H{r}"]),
                     number_format("ARR"), "KPI_ARR"),
        OutputColumn("ARPA", lambda r: kpi_formula("ARPA", {"mrr": f"H{r}", "customers": f"B{r}"},
                                                   needs=[f"H{r}", f"B{r}"]),
                     number_format("ARPA"), "KPI_ARPA"),
        OutputColumn("CAC", lambda r: kpi_formula(
            "CAC", {"sales_marketing_spend": i("J", r), "new_customers": i("C", r)}),
            number_format("CAC"), "KPI_CAC"),
        OutputColumn("CLV", lambda r: kpi_formula(
            "CLV", {"arpa": f"J{r}", "churn_rate": f"C{r}", "gross_margin": i("K", r),
                    "discount_rate": "CLV_DISCOUNT_RATE"}, needs=[f"J{r}", f"C{r}"]),
            number_format("CLV"), "KPI_CLV"),
        OutputColumn("LTV:CAC", lambda r: kpi_formula(
            "LTV_CAC_RATIO", {"clv": f"L{r}", "cac": f"K{r}"}, needs=[f"L{r}", f"K{r}"]),
            number_format("LTV_CAC_RATIO"), "KPI_LTV_CAC_RATIO"),
        OutputColumn("CAC Payback (months)", lambda r: kpi_formula(
            "CAC_PAYBACK_MONTHS", {"cac": f"K{r}", "mrr_per_customer": f"J{r}", "gross_margin": i("K", r)},
            needs=[f"K{r}", f"J{r}"]),
            number_format("CAC_PAYBACK_MONTHS"), "KPI_CAC_PAYBACK_MONTHS"),
        OutputColumn("SaaS Quick Ratio", lambda r: kpi_formula(
            "SAAS_QUICK_RATIO", {"new_mrr": i("F", r), "expansion_mrr": i("G", r), "contraction_mrr": i("H", r),
                                 "churned_mrr": i("I", r), "reactivation_mrr": "0"}),
            number_format("SAAS_QUICK_RATIO"), "KPI_SAAS_QUICK_RATIO"),
        OutputColumn("MRR Growth Rate", lambda r: kpi_formula(
            "MRR_GROWTH_RATE", {"mrr_current": f"H{r}", "mrr_previous": i("E", r)}, needs=[f"H{r}"]),
            number_format("MRR_GROWTH_RATE"), "KPI_MRR_GROWTH_RATE"),
        OutputColumn("Retention Rate", lambda r: kpi_formula(
            "RETENTION_RATE", {"customers_at_end": f"B{r}", "new_customers": i("C", r),
                               "customers_at_start": i("B", r)}, needs=[f"B{r}"]),
            number_format("RETENTION_RATE"), "KPI_RETENTION_RATE"),
        OutputColumn("Net Revenue Churn", lambda r: kpi_formula(
            "NET_REVENUE_CHURN_RATE", {"mrr_lost": f"({i('H', r)}+{i('I', r)})", "expansion_mrr": i("G", r),
                                       "mrr_at_start": i("E", r)}),
            number_format("NET_REVENUE_CHURN_RATE"), "KPI_NET_REVENUE_CHURN_RATE"),
        OutputColumn("Annualized Churn", lambda r: kpi_formula(
            "ANNUALIZE_CHURN", {"monthly_churn": f"C{r}"}, needs=[f"C{r}"]),
            number_format("ANNUALIZE_CHURN"), "KPI_ANNUALIZED_CHURN"),
        # No denominator: an empty input row would show 0 without the COUNT test.
        OutputColumn("Net New MRR", lambda r: kpi_formula(
            "NET_NEW_MRR", {"new_mrr": i("F", r), "expansion_mrr": i("G", r), "contraction_mrr": i("H", r),
                            "churned_mrr": i("I", r), "reactivation_mrr": "0"}, empty_unless_any=f"{i('F', r)}:I{r}"),
            number_format("NET_NEW_MRR"), "KPI_NET_NEW_MRR"),
    ]


def _chart_data_columns() -> list[OutputColumn]:
    """Chart series: MRR movements with losses negative, churn with its two benchmark lines."""

    def guarded(ref: str, sign: str = "") -> str:
        return f'=IF(ISNUMBER({ref}),{sign}{ref},"")'

    return [
        OutputColumn("Month", lambda r: f"=KPIs!A{r}", styles.MONTH_FORMAT),
        OutputColumn("New MRR", lambda r: guarded(f"Inputs!F{r}"), styles.MONEY0_FORMAT),
        OutputColumn("Expansion MRR", lambda r: guarded(f"Inputs!G{r}"), styles.MONEY0_FORMAT),
        OutputColumn("Contraction MRR", lambda r: guarded(f"Inputs!H{r}", "-"), styles.MONEY0_FORMAT),
        OutputColumn("Churned MRR", lambda r: guarded(f"Inputs!I{r}", "-"), styles.MONEY0_FORMAT),
        OutputColumn("Ending MRR", lambda r: f"=KPIs!H{r}", styles.MONEY0_FORMAT),
        OutputColumn("Churn Rate", lambda r: f"=KPIs!C{r}", styles.PERCENT_FORMAT),
        OutputColumn("Good (max)", lambda r: f'=IF(ISNUMBER(KPIs!A{r}),CHURN_GOOD_MAX,"")', styles.PERCENT_FORMAT),
        OutputColumn("Average (max)", lambda r: f'=IF(ISNUMBER(KPIs!A{r}),CHURN_AVERAGE_MAX,"")',
                     styles.PERCENT_FORMAT),
    ]


def _title(chart, text: str) -> None:
    """A 12 pt bold title (openpyxl's default is 18 pt, too big for a half-page chart)."""
    font = CharacterProperties(sz=1200, b=True, solidFill=styles.NAVY)
    paragraph = Paragraph(pPr=ParagraphProperties(defRPr=font), r=[RegularTextRun(rPr=font, t=text)])
    chart.title = Title(tx=Text(rich=RichText(p=[paragraph])), overlay=False)


def _axes(chart, y_title: str, y_format: str) -> None:
    chart.y_axis.title = y_title
    chart.y_axis.number_format = y_format
    chart.x_axis.number_format = "mmm yy"
    # openpyxl >= 3.1 writes <c:delete val="1"/> for axes unless told otherwise: Excel hides them.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend.position = "b"
    chart.x_axis.tickLblPos = "low"  # month labels below the chart, not across negative bars
    chart.width, chart.height = 19, 7.5  # three charts on one portrait page


def _charts(ws, first: int, last: int, left: int) -> None:
    """Three charts on the Charts sheet, fed by the chart data block starting at column ``left``."""

    def ref(offset: int, header: bool = True) -> Reference:
        return Reference(ws, min_col=left + offset, max_col=left + offset, min_row=first - (1 if header else 0),
                         max_row=last)

    months = ref(0, header=False)

    mrr = LineChart()
    _title(mrr, "MRR over time (ending MRR)")
    mrr.add_data(ref(5), titles_from_data=True)
    mrr.set_categories(months)
    _axes(mrr, "MRR", "#,##0")
    mrr.series[0].graphicalProperties.line.solidFill = styles.NAVY
    mrr.series[0].graphicalProperties.line.width = 28575
    mrr.series[0].smooth = False
    ws.add_chart(mrr, "A4")

    moves = BarChart()
    moves.type = "col"
    moves.grouping = "stacked"
    moves.overlap = 100
    _title(moves, "MRR movements per month (losses below zero)")
    for offset in (1, 2, 3, 4):
        moves.add_data(ref(offset), titles_from_data=True)
    moves.set_categories(months)
    _axes(moves, "MRR", "#,##0")
    for series, colour in zip(moves.series, ("2E75B6", "70AD47", "FFC000", "C00000")):
        series.graphicalProperties = GraphicalProperties(solidFill=colour)
    ws.add_chart(moves, "A20")

    churn = LineChart()
    _title(churn, "Monthly customer churn against its benchmarks")
    for offset in (6, 7, 8):
        churn.add_data(ref(offset), titles_from_data=True)
    churn.set_categories(months)
    _axes(churn, "Churn", "0%")
    for series, colour, dash in zip(churn.series, (styles.NAVY, "00B050", "FFC000"), (None, "dash", "dash")):
        series.graphicalProperties.line = LineProperties(solidFill=colour, w=28575, prstDash=dash)
        series.smooth = False
    ws.add_chart(churn, "A36")


def build(path: Path, blank: bool = False, months: int = 24, rows: Sequence[Sequence] | None = None) -> Path:
    """Write the dashboard to ``path``; ``blank`` leaves ``months`` empty input rows; ``rows`` (MonthlyInputs
    rows, e.g. :func:`~xl_kpi.templates.sample_inputs.dashboard_rows_from_bridge`) replaces the sample company."""
    if rows is not None:
        months = len(rows)
    wb = sheets.new_workbook("SaaS KPI dashboard")
    if rows is None:
        rows = [[None] * len(INPUT_COLUMNS)] * months if blank else dashboard_rows(months)

    inputs = wb.create_sheet("Inputs")
    sheets.title(inputs, "Monthly inputs", "One row per month. Blue cells are inputs; "
                 "counts are whole numbers, amounts in your currency, gross margin as a percentage.")
    first, last = sheets.input_table(inputs, TABLE, INPUT_COLUMNS, rows)
    inputs.freeze_panes = f"B{first}"
    sheets.print_setup(inputs)

    assumptions = wb.create_sheet("Assumptions")
    sheets.title(assumptions, "Assumptions and benchmarks",
                 "Named input cells: every threshold in a formula or colour rule points here.")
    sheets.assumptions_block(assumptions, ASSUMPTIONS, top=sheets.HEADER_ROW)
    assumptions.freeze_panes = f"A{sheets.HEADER_ROW + 1}"
    sheets.print_setup(assumptions)

    kpis = wb.create_sheet("KPIs")
    sheets.title(kpis, "SaaS KPIs per month", "Formulas only (black): each row computes from the same row "
                 "of the Inputs sheet. An empty cell means the KPI is undefined for that month.")
    letters = sheets.output_block(kpis, _kpi_columns(), first, last)
    kpis.freeze_panes = f"B{first}"
    span = lambda header: f"{letters[header]}{first}:{letters[header]}{last}"  # noqa: E731
    # The churn rate and its verdict are coloured together, both by the rate.
    churn_and_verdict = f"{letters['Churn Rate']}{first}:{letters['Churn vs Benchmark']}{last}"
    sheets.benchmark_rules(kpis, churn_and_verdict, "CHURN_GOOD_MAX", "CHURN_AVERAGE_MAX",
                           anchor=f"${letters['Churn Rate']}{first}")
    sheets.benchmark_rules(kpis, span("LTV:CAC"), "LTV_CAC_TARGET", higher_is_better=True)
    sheets.benchmark_rules(kpis, span("SaaS Quick Ratio"), "SAAS_QUICK_RATIO_TARGET", higher_is_better=True)
    sheets.print_setup(kpis)
    # 20 KPI columns on one page would print at half size: two legible pages instead, retention
    # and revenue (to ARPA) on the first, unit economics and growth on the second, months on both.
    sheets.split_across_pages(kpis, break_after=column_index_from_string(letters["ARPA"]), scale=75)

    charts = wb.create_sheet("Charts")
    sheets.title(charts, "Charts", "MRR over time, MRR movements and churn against its benchmarks. "
                 "The chart data (formulas) is to the right.")
    data_left = 14  # column N: right of the charts, outside the print area
    sheets.output_block(charts, _chart_data_columns(), first, last, left=data_left)
    _charts(charts, first, last, data_left)
    charts.print_area = "A1:L52"
    sheets.print_setup(charts, header_row=None, landscape=False, one_page=True)

    sheets.how_to_use(
        wb, "SaaS KPI dashboard",
        "Monthly subscription figures in, the usual SaaS KPIs out: churn (monthly and annualized), customer "
        "retention, revenue churn and retention, MRR, net new MRR and ARR, ARPA, CAC, customer lifetime value, "
        "LTV:CAC, CAC payback, SaaS quick ratio and MRR growth, "
        "coloured against common benchmarks and charted. The sample figures come from xl_kpi's synthetic "
        "company; replace them with yours.",
        [
            "On the Inputs sheet, overwrite the blue cells of the MonthlyInputs table: one row per month, oldest "
            "first. Starting MRR is last month's ending MRR; reactivated customers and MRR count as new.",
            "Gross margin is a percentage of revenue (80% = 0.8). Counts must be whole numbers of 0 or more.",
            f"The KPIs and Charts sheets compute row by row for the {months} rows shipped. For more months, add "
            "rows to the table and copy the last row of the KPIs sheet (and of the chart data) down.",
            "Adjust the benchmarks on the Assumptions sheet; the colours and the churn verdict follow.",
            "Ratios of nothing (no customers at the start, no spend, no losses) are left empty instead of #DIV/0!.",
        ],
        [
            ("Inputs", "Table MonthlyInputs: the monthly figures you type in."),
            ("Assumptions", "Named benchmark cells and the CLV discount rate."),
            ("KPIs", "One row of KPIs per input row; every KPI column is a named range."),
            ("Charts", "MRR over time, MRR movements per month, churn against its benchmarks."),
        ],
        KPI_NAMES + tuple((a.name, a.note) for a in ASSUMPTIONS),
        benchmarks=True,
    )
    return sheets.save(wb, path)
