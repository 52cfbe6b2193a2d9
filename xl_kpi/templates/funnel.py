"""``marketing_funnel.xlsx``: funnel counts, NPS answers, lead scoring and support tickets -> KPIs.

Sheets: How to use | Funnel (table ``FunnelInputs``) | Funnel KPIs (one row
per input row, each KPI a named column) | NPS (table ``NPSResponses`` and
the score) | Lead Scoring (named points row ``LEAD_POINTS``, table ``Leads``,
a score per lead) | Support (table ``Tickets`` and the average hours).

Every KPI formula is rendered from the core's definition.  The whole-range
KPIs (NPS, average hours) read the table columns through structured
references (``NPSResponses[Score]``), so rows added to a table count at once.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl.formatting.rule import ColorScaleRule

from xl_kpi.cells import col_letter
from xl_kpi.templates import sample_inputs, sheets, styles
from xl_kpi.templates.formulas import kpi_formula, number_format
from xl_kpi.templates.sheets import InputColumn, OutputColumn, Result

FILE_NAME = "marketing_funnel.xlsx"

FUNNEL_COLUMNS = (
    InputColumn("Month", styles.MONTH_FORMAT, "date"),
    InputColumn("Visitors", styles.COUNT_FORMAT, "count"),
    InputColumn("Leads", styles.COUNT_FORMAT, "count"),
    InputColumn("MQLs", styles.COUNT_FORMAT, "count"),
    InputColumn("SQLs", styles.COUNT_FORMAT, "count"),
    InputColumn("Trials", styles.COUNT_FORMAT, "count"),
    InputColumn("Customers", styles.COUNT_FORMAT, "count"),
    InputColumn("Impressions", styles.COUNT_FORMAT, "count"),
    InputColumn("Clicks", styles.COUNT_FORMAT, "count"),
    InputColumn("Checkouts Started", styles.COUNT_FORMAT, "count"),
    InputColumn("Checkouts Completed", styles.COUNT_FORMAT, "count"),
    InputColumn("Spend", styles.MONEY_FORMAT, "money"),
)

#: (header, defined name, KPI, {argument: Funnel column letter}) - A Month, B Visitors, C Leads,
#: D MQLs, E SQLs, F Trials, G Customers, H Impressions, I Clicks, J Started, K Completed, L Spend.
FUNNEL_KPIS = (
    ("Visitor to Lead", "KPI_VISITOR_TO_LEAD_RATE", "CONVERSION_RATE", {"conversions": "C", "total": "B"}),
    ("Lead to MQL", "KPI_LEAD_TO_MQL_RATE", "CONVERSION_RATE", {"conversions": "D", "total": "C"}),
    ("MQL to SQL", "KPI_MQL_TO_SQL_RATE", "MQL_TO_SQL_RATE", {"sqls": "E", "mqls": "D"}),
    ("Trial to Paid", "KPI_TRIAL_TO_PAID_RATE", "ADOPTION_RATE", {"adopters": "G", "eligible_users": "F"}),
    ("Lead to Customer", "KPI_LEAD_TO_CUSTOMER_RATE", "LEAD_TO_CUSTOMER_RATE", {"customers": "G", "leads": "C"}),
    ("Visitor to Customer", "KPI_VISITOR_TO_CUSTOMER_RATE", "CONVERSION_RATE", {"conversions": "G", "total": "B"}),
    ("Click-Through Rate", "KPI_CLICK_THROUGH_RATE", "CLICK_THROUGH_RATE", {"clicks": "I", "impressions": "H"}),
    ("Checkout Abandonment", "KPI_ABANDONMENT_RATE", "ABANDONMENT_RATE",
     {"checkouts_started": "J", "checkouts_completed": "K"}),
    ("CAC", "KPI_CAC", "CAC", {"sales_marketing_spend": "L", "new_customers": "G"}),
)

NPS_COLUMNS = (
    InputColumn("Respondent", "@", None),
    InputColumn("Date", "yyyy-mm-dd", "date", width=12),
    InputColumn("Score", "0", "score", width=9),
)
LEAD_ID = InputColumn("Lead", "@", None, width=10)
TICKET_COLUMNS = (
    InputColumn("Ticket", "@", None, width=10),
    InputColumn("Opened At", styles.DATETIME_FORMAT, "date"),
    InputColumn("First Response At", styles.DATETIME_FORMAT, "date"),
    InputColumn("Resolved At", styles.DATETIME_FORMAT, "date"),
)


def _nps_sheet(wb, blank: bool) -> None:
    ws = wb.create_sheet("NPS")
    sheets.title(ws, "Net Promoter Score", "One row per survey answer: a score from 0 (not at all likely to "
                 "recommend) to 10 (extremely likely). Blank scores are ignored.")
    first, last = sheets.input_table(ws, "NPSResponses", NPS_COLUMNS, [] if blank else sample_inputs.nps_scores())
    scores = "NPSResponses[Score]"
    sheets.results_block(ws, [
        Result("NPS", kpi_formula("NPS", {"scores": scores}, empty_unless_any=scores), number_format("NPS"), "KPI_NPS"),
        Result("Answers", f"=COUNT({scores})", styles.COUNT_FORMAT, "NPS_ANSWERS"),
    ], top=sheets.HEADER_ROW, left=5)
    ws.freeze_panes = f"A{first}"
    sheets.print_setup(ws, landscape=False)


def _lead_scoring_sheet(wb, blank: bool) -> None:
    ws = wb.create_sheet("Lead Scoring")
    sheets.title(ws, "Lead scoring", "Points per activity in row 5; one row per lead with its activity counts. "
                 "Score = sum of count x points.")
    activities = sample_inputs.LEAD_ACTIVITIES
    sheets.header_row(ws, 4, 1, ["Activity", *activities])
    label = ws.cell(row=5, column=1, value="Points")
    label.font, label.border = styles.LABEL_FONT, styles.GRID
    for c, points in enumerate(sample_inputs.LEAD_POINTS, start=2):
        cell = ws.cell(row=5, column=c, value=points)
        cell.style, cell.number_format = styles.INPUT_STYLE, "0"
    last_activity = col_letter(1 + len(activities))
    sheets.define_name(wb, "LEAD_POINTS", ws, f"B5:{last_activity}5")
    ws.add_data_validation(sheets.validation("any", f"B5:{last_activity}5"))

    top = 8
    columns = (LEAD_ID, *(InputColumn(a, "0", "count") for a in activities))
    first, last = sheets.input_table(ws, "Leads", columns, [] if blank else sample_inputs.lead_rows(), top=top)
    score_col = 2 + len(activities)
    sheets.output_block(ws, [OutputColumn(
        "Lead Score",
        lambda r: kpi_formula("LEAD_SCORE", {"activity_counts": f"B{r}:{last_activity}{r}", "points": "LEAD_POINTS"},
                              empty_unless_any=f"B{r}:{last_activity}{r}"),
        number_format("LEAD_SCORE"), "KPI_LEAD_SCORE")], first, last, top=top, left=score_col)
    ws.conditional_formatting.add(
        f"{col_letter(score_col)}{first}:{col_letter(score_col)}{last}",
        ColorScaleRule(start_type="min", start_color="FFFFFF", end_type="max", end_color="63BE7B"))
    ws.freeze_panes = f"B{first}"
    sheets.print_setup(ws, header_row=top, landscape=False)


def _support_sheet(wb, blank: bool) -> None:
    ws = wb.create_sheet("Support")
    sheets.title(ws, "Support tickets", "Date-times of opening, first response and resolution; leave a time blank "
                 "while it has not happened. Averages skip blank rows.")
    first, last = sheets.input_table(ws, "Tickets", TICKET_COLUMNS, [] if blank else sample_inputs.ticket_rows())
    opened, response, resolved = "Tickets[Opened At]", "Tickets[First Response At]", "Tickets[Resolved At]"
    sheets.results_block(ws, [
        Result("Avg first response (hours)",
               kpi_formula("AVG_FIRST_RESPONSE_HOURS", {"opened_at": opened, "first_response_at": response},
                           empty_unless_any=response),
               number_format("AVG_FIRST_RESPONSE_HOURS"), "KPI_AVG_FIRST_RESPONSE_HOURS"),
        Result("Avg resolution (hours)",
               kpi_formula("AVG_RESOLUTION_HOURS", {"opened_at": opened, "resolved_at": resolved},
                           empty_unless_any=resolved),
               number_format("AVG_RESOLUTION_HOURS"), "KPI_AVG_RESOLUTION_HOURS"),
        Result("Tickets", f"=COUNT({opened})", styles.COUNT_FORMAT, "SUPPORT_TICKETS"),
        Result("Resolved", f"=COUNT({resolved})", styles.COUNT_FORMAT, "SUPPORT_RESOLVED"),
    ], top=sheets.HEADER_ROW, left=6)
    ws.freeze_panes = f"B{first}"
    sheets.print_setup(ws)


def build(path: Path, blank: bool = False, months: int = 12) -> Path:
    """Write the marketing funnel workbook to ``path``; ``blank`` leaves the inputs empty."""
    wb = sheets.new_workbook("Marketing funnel, NPS, lead scoring and support")

    funnel = wb.create_sheet("Funnel")
    sheets.title(funnel, "Funnel inputs", "One row per month: counts at each funnel stage, ad impressions and "
                 "clicks, checkouts, and the sales & marketing spend.")
    rows = [[None] * len(FUNNEL_COLUMNS)] * months if blank else sample_inputs.funnel_rows(months)
    first, last = sheets.input_table(funnel, "FunnelInputs", FUNNEL_COLUMNS, rows)
    funnel.freeze_panes = f"B{first}"
    sheets.print_setup(funnel)

    kpis = wb.create_sheet("Funnel KPIs")
    sheets.title(kpis, "Funnel KPIs per month", "Formulas only: each row computes from the same row of the "
                 "Funnel sheet. An empty cell means there was nothing to divide by.")
    sheets.output_block(kpis, [sheets.echo_column("Month", "Funnel", styles.MONTH_FORMAT),
                               *sheets.kpi_columns("Funnel", FUNNEL_KPIS)], first, last)
    kpis.freeze_panes = f"B{first}"
    sheets.print_setup(kpis)

    _nps_sheet(wb, blank)
    _lead_scoring_sheet(wb, blank)
    _support_sheet(wb, blank)

    sheets.how_to_use(
        wb, "Marketing funnel, NPS, lead scoring and support",
        "Monthly funnel counts in, conversion rates out; survey answers in, Net Promoter Score out; lead "
        "activities in, lead scores out; support tickets in, average response and resolution hours out. "
        "The sample figures are synthetic; replace them with yours.",
        [
            f"Funnel: one row per month in the FunnelInputs table. The Funnel KPIs sheet computes the {months} rows "
            "shipped; for more months add table rows and copy the last KPI row down.",
            "NPS: one survey answer per row (0-10). Rows added to the NPSResponses table count at once.",
            "Lead Scoring: set the points per activity in row 5 (named LEAD_POINTS), then one row per lead.",
            "Support: date-times as yyyy-mm-dd hh:mm; leave a response or resolution blank while it is pending.",
            "Ratios of nothing (no visitors, no leads ...) are left empty instead of #DIV/0!.",
        ],
        [
            ("Funnel", "Table FunnelInputs: visitors, leads, MQLs, SQLs, trials, customers, ads, checkouts, spend."),
            ("Funnel KPIs", "Conversion rates, click-through rate, checkout abandonment and CAC per month."),
            ("NPS", "Table NPSResponses and the Net Promoter Score (-100 to 100)."),
            ("Lead Scoring", "Points per activity, table Leads, a score per lead (green = hotter)."),
            ("Support", "Table Tickets, average first-response and resolution hours."),
        ],
        tuple((name, f"{header} per month") for header, name, _, _ in FUNNEL_KPIS) + (
            ("KPI_NPS", "Net Promoter Score of all answers"),
            ("KPI_LEAD_SCORE", "score of each lead in the Leads table"),
            ("LEAD_POINTS", "points per activity"),
            ("KPI_AVG_FIRST_RESPONSE_HOURS", "average hours to the first response"),
            ("KPI_AVG_RESOLUTION_HOURS", "average hours to resolution"),
        ),
    )
    return sheets.save(wb, path)
