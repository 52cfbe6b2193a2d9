"""``balance_sheet_ratios.xlsx``: balance sheet and P&L lines per period -> liquidity, leverage, coverage, margin.

Sheets: How to use | Balance Sheet (table ``BalanceSheet``, one row per
period) | Ratios (one row per input row, each ratio a named column).
Every ratio formula is rendered from the core's definition.
"""

from __future__ import annotations

from pathlib import Path

from xl_kpi.templates import sample_inputs, sheets, styles
from xl_kpi.templates.sheets import InputColumn

FILE_NAME = "balance_sheet_ratios.xlsx"

INPUT_COLUMNS = (
    InputColumn("Period End", "yyyy-mm-dd", "date", width=12),
    InputColumn("Cash", styles.MONEY0_FORMAT, "money", width=13),
    InputColumn("Marketable Securities", styles.MONEY0_FORMAT, "money", width=13),
    InputColumn("Accounts Receivable", styles.MONEY0_FORMAT, "money", width=13),
    InputColumn("Total Current Assets", styles.MONEY0_FORMAT, "money", width=13),
    InputColumn("Total Assets", styles.MONEY0_FORMAT, "money", width=13),
    InputColumn("Current Liabilities", styles.MONEY0_FORMAT, "money", width=13),
    InputColumn("Total Debt", styles.MONEY0_FORMAT, "money", width=13),
    InputColumn("Total Equity", styles.MONEY0_FORMAT, "any", width=13),
    InputColumn("Revenue", styles.MONEY0_FORMAT, "money", width=13),
    InputColumn("Cost of Revenue", styles.MONEY0_FORMAT, "money", width=13),
    InputColumn("EBIT", styles.MONEY0_FORMAT, "any", width=13),
    InputColumn("Interest Expense", styles.MONEY0_FORMAT, "money", width=13),
)

#: (header, defined name, KPI, {argument: Balance Sheet column letter}) - A Period End, B Cash,
#: C Securities, D Receivables, E Current Assets, F Total Assets, G Current Liabilities,
#: H Total Debt, I Total Equity, J Revenue, K Cost of Revenue, L EBIT, M Interest Expense.
RATIOS = (
    ("Current Ratio", "KPI_CURRENT_RATIO", "CURRENT_RATIO", {"current_assets": "E", "current_liabilities": "G"}),
    ("Quick Ratio (Acid Test)", "KPI_QUICK_RATIO", "QUICK_RATIO",
     {"cash": "B", "marketable_securities": "C", "accounts_receivable": "D", "current_liabilities": "G"}),
    ("Debt to Equity", "KPI_DEBT_TO_EQUITY", "DEBT_TO_EQUITY", {"total_debt": "H", "shareholders_equity": "I"}),
    ("Equity Ratio", "KPI_EQUITY_RATIO", "EQUITY_RATIO", {"total_equity": "I", "total_assets": "F"}),
    ("Interest Coverage", "KPI_INTEREST_COVERAGE", "INTEREST_COVERAGE", {"ebit": "L", "interest_expense": "M"}),
    ("Gross Margin", "KPI_GROSS_MARGIN", "GROSS_MARGIN", {"revenue": "J", "cogs": "K"}),
)


def build(path: Path, blank: bool = False, periods: int = 8) -> Path:
    """Write the balance sheet ratios workbook to ``path``; ``blank`` leaves the inputs empty."""
    wb = sheets.new_workbook("Balance sheet ratios")

    lines = wb.create_sheet("Balance Sheet")
    sheets.title(lines, "Balance sheet and P&L lines", "One row per period (quarter or month), figures as "
                 "reported. P&L lines (revenue, cost of revenue, EBIT, interest) are for the period.")
    rows = [[None] * len(INPUT_COLUMNS)] * periods if blank else sample_inputs.balance_rows(periods)
    first, last = sheets.input_table(lines, "BalanceSheet", INPUT_COLUMNS, rows)
    lines.freeze_panes = f"B{first}"
    sheets.print_setup(lines)

    ratios = wb.create_sheet("Ratios")
    sheets.title(ratios, "Ratios per period", "Formulas only, row by row from the Balance Sheet sheet. "
                 "Empty = nothing to divide by.")
    sheet = "'Balance Sheet'"
    sheets.output_block(ratios, [sheets.echo_column("Period End", sheet, "yyyy-mm-dd", width=12),
                                 *sheets.kpi_columns(sheet, RATIOS, width=13)], first, last)
    ratios.freeze_panes = f"B{first}"
    sheets.print_setup(ratios)

    sheets.how_to_use(
        wb, "Balance sheet ratios",
        "Balance sheet and P&L lines per period in; liquidity (current and quick ratio), leverage (debt to "
        "equity, equity ratio), interest coverage and gross margin out. The sample figures are synthetic; "
        "replace them with yours.",
        [
            "On the Balance Sheet sheet, overwrite the blue cells of the BalanceSheet table, one row per period.",
            "Total current assets include cash, marketable securities and receivables; the quick ratio uses "
            "only those three (the acid test).",
            f"The Ratios sheet computes the {periods} rows shipped; for more periods add table rows and copy the "
            "last row of the Ratios sheet down.",
            "Ratios of nothing (no liabilities, no equity, no interest, no revenue) are left empty instead of #DIV/0!.",
        ],
        [
            ("Balance Sheet", "Table BalanceSheet: the lines you type in."),
            ("Ratios", "One row of ratios per period; every ratio column is a named range."),
        ],
        tuple((name, f"{header} per period") for header, name, _, _ in RATIOS),
    )
    return sheets.save(wb, path)
