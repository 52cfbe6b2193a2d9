"""``subscription_ledger.xlsx``: a subscription ledger (one row per customer per month) ready for refresh.

Sheets: How to use | Ledger (table ``Ledger``: Customer ID, Month, MRR) |
Monthly MRR (native formulas: MRR per calendar month, ARR and MRR growth) |
Settings (table ``Settings``: how the refresh reads the data, for the ribbon,
which has no command line; see :mod:`xl_kpi.ledger.settings`).

The full analysis (MRR bridge with new / expansion / contraction / churned
MRR, cohorts, KPI summary, charts) needs per-customer comparisons between
months that native formulas cannot express simply; ``xl-kpi refresh`` (or
the Excel ribbon) writes those report sheets.  The Monthly MRR sheet works
without it: month m's MRR is the total of the ledger rows dated in m, as in
the catalog's ledger semantics (rows of one customer and month add up). It
counts Month cells that are Excel dates, for 36 months; a line under its
title says plainly when the ledger has text months it leaves out, or runs
past its last month (the refresh reads both).
"""

from __future__ import annotations

from pathlib import Path

from xl_kpi.ledger.settings import SETTINGS, SETTINGS_HEADERS, SETTINGS_TABLE
from xl_kpi.templates import sample_inputs, sheets, styles
from xl_kpi.templates.formulas import kpi_formula, number_format
from xl_kpi.templates.sheets import InputColumn, OutputColumn

FILE_NAME = "subscription_ledger.xlsx"
TABLE = "Ledger"

COLUMNS = (
    InputColumn("Customer ID", "@", None, width=14),
    InputColumn("Month", styles.MONTH_FORMAT, "date", width=12),
    InputColumn("MRR", styles.MONEY_FORMAT, "money", width=12),
)

#: Rows of the Monthly MRR sheet: three years; months past the ledger's last one stay empty.
MONTH_ROWS = 36

SETTINGS_COLUMNS = (
    InputColumn(SETTINGS_HEADERS[0], "@", None, width=30),
    InputColumn(SETTINGS_HEADERS[1], "@", None, width=16),
    InputColumn(SETTINGS_HEADERS[2], "@", None, width=90),
)


def _coverage_warning(last: int) -> str:
    """A formula saying plainly what the Monthly MRR sheet leaves out: text months, months past its last row."""
    month = "Ledger[Month]"
    text = (f'IF(COUNTA({month})>COUNT({month}),COUNTA({month})-COUNT({month})&" Month cells are text, not '
            f'Excel dates: this sheet leaves them out (xl-kpi refresh reads them). ","")')
    past = (f'IF(A{last}="","",IF(MAX({month})>EOMONTH(A{last},0),"The ledger runs past "&TEXT(A{last},"mmm yyyy")'
            f'&", the last month here: later months are not shown here (xl-kpi refresh reports them).",""))')
    return f"=TRIM({text}&{past})"


def _monthly_columns(first: int) -> list[OutputColumn]:
    month, mrr = "Ledger[Month]", "Ledger[MRR]"

    def month_formula(r: int) -> str:
        if r == first:  # the calendar month of the earliest ledger date
            return f'=IF(COUNT({month})=0,"",EOMONTH(MIN({month}),-1)+1)'
        # the next month, while the ledger still has later dates
        return f'=IF(A{r - 1}="","",IF(EOMONTH(A{r - 1},0)>=MAX({month}),"",EOMONTH(A{r - 1},0)+1))'

    return [
        OutputColumn("Month", month_formula, styles.MONTH_FORMAT, width=12),
        OutputColumn("MRR", lambda r: f'=IF(A{r}="","",SUMIFS({mrr},{month},">="&A{r},{month},"<="&EOMONTH(A{r},0)))',
                     number_format("MRR"), "LEDGER_MRR", width=14),
        OutputColumn("ARR", lambda r: kpi_formula("ARR", {"mrr": f"B{r}"}, needs=[f"B{r}"]),
                     number_format("ARR"), "LEDGER_ARR", width=16),
        OutputColumn("MRR Growth Rate", lambda r: "" if r == first else kpi_formula(
            "MRR_GROWTH_RATE", {"mrr_current": f"B{r}", "mrr_previous": f"B{r - 1}"}, needs=[f"B{r}", f"B{r - 1}"]),
            number_format("MRR_GROWTH_RATE"), width=12),
    ]


def build(path: Path, blank: bool = False) -> Path:
    """Write the ledger workbook to ``path``; ``blank`` leaves one empty ledger row."""
    wb = sheets.new_workbook("Subscription ledger")

    ledger = wb.create_sheet("Ledger")
    sheets.title(ledger, "Subscription ledger", "One row per customer per month: its MRR that month "
                 "(any date in the month). Append rows below.")
    rows = [] if blank else sample_inputs.ledger_rows()
    first, _ = sheets.input_table(ledger, TABLE, COLUMNS, rows)
    ledger.freeze_panes = f"A{first}"
    sheets.print_setup(ledger, landscape=False)

    monthly = wb.create_sheet("Monthly MRR")
    sheets.title(monthly, "MRR per month", "Formulas over the Ledger table: "
                 "no refresh needed.")
    top = sheets.HEADER_ROW
    sheets.output_block(monthly, _monthly_columns(top + 1), top + 1, top + MONTH_ROWS)
    monthly["A3"] = _coverage_warning(top + MONTH_ROWS)
    monthly["A3"].font = styles.WARNING_FONT
    monthly.freeze_panes = f"A{top + 1}"
    sheets.print_setup(monthly, landscape=False)

    settings = wb.create_sheet("Settings")
    sheets.title(settings, "Settings", "How xl-kpi refresh and the Refresh KPIs button read the Ledger: leave a "
                 "value blank for the default; a command-line flag overrides it.")
    first, _ = sheets.input_table(settings, SETTINGS_TABLE, SETTINGS_COLUMNS,
                                  [[s.label, None, f"{s.values}. {s.help}"] for s in SETTINGS.values()])
    settings.freeze_panes = f"A{first}"
    sheets.print_setup(settings, landscape=True)

    sheets.how_to_use(
        wb, "Subscription ledger",
        "A subscription ledger in long form (customer, month, MRR) for xl_kpi's refresh, which adds the MRR "
        "bridge (new, expansion, contraction, churned and reactivated MRR), cohort retention and a KPI summary "
        "with charts. The sample rows come from xl_kpi's synthetic company; replace them with yours.",
        [
            "On the Ledger sheet, paste your rows into the Ledger table: Customer ID, Month (any date inside the "
            "month), MRR (monthly amount; divide annual plans by 12). Keep the table's name and column headers.",
            "A customer counts as active in a month when its MRR there is above 0; several rows of one customer "
            "in one month are added up.",
            "Run 'xl-kpi refresh subscription_ledger.xlsx' (or the Refresh KPIs button of the xl_kpi add-in): it "
            "writes the report sheets and leaves your own sheets alone.",
            f"The Monthly MRR sheet needs no refresh: MRR, ARR and growth for up to {MONTH_ROWS} months from the "
            "first month of the ledger.",
        ],
        [
            ("Ledger", "Table Ledger: Customer ID, Month, MRR."),
            ("Monthly MRR", "MRR per calendar month (named LEDGER_MRR), ARR (LEDGER_ARR) and MRR growth."),
            ("Settings", "Table Settings: as-of month, date order, input table, duplicate rows, merging ids "
                         "that differ in case; read by the refresh."),
        ],
    )
    return sheets.save(wb, path)
