"""``xl-kpi demo [--out DIR]``: the whole product on a built-in sample company, in one command.

1. generate the synthetic SaaS company (:func:`xl_kpi.sample.generate_ledger`,
   fixed seed: every run shows the same numbers);
2. write the template workbooks (the dashboard and the subscription ledger
   workbook among them) into ``DIR`` (default ``./xl_kpi_demo``);
3. put the company's ledger into the ledger workbook's ``Ledger`` table;
4. refresh that workbook as ``xl-kpi refresh`` does (MRR bridge, cohorts,
   KPI summary, retention, movements, charts), and fill the dashboard's
   monthly inputs from the refreshed bridge, so both workbooks describe the
   same company;

then print the last months' KPIs, computed by :func:`xl_kpi.ledger.monthly_kpis`
from the MRR bridge that refresh wrote: MRR, ARR (12 x MRR), NRR, GRR, customer
churn and quick ratio, and the latest trailing twelve-month NRR and GRR (the
Retention sheet's, :func:`xl_kpi.ledger.trailing_retention`).

    NRR   = (starting + expansion - contraction - churned) / starting
    GRR   = (starting - contraction - churned) / starting
    churn = churned customers / customers at start
    quick = (new + expansion + reactivation) / (contraction + churned)

A rate whose denominator is 0 prints as "-" (a blank cell in Excel).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd

from xl_kpi.errors import UserError
from xl_kpi.ledger.formats import CUSTOMER, LEDGER, MONTH, MRR  # the table the refresh reads

#: The demo company: a few hundred customers over two years (about 5,000 ledger rows).
DEMO_COMPANY = {"n_customers": 500, "n_months": 24, "seed": 2024}
LEDGER_WORKBOOK = "subscription_ledger.xlsx"
SUMMARY_MONTHS = 6

#: Printed columns: (header, column of the KPI frame, format).
SUMMARY_COLUMNS = (
    ("Month", "month", "month"),
    ("MRR", "mrr", "money"),
    ("ARR", "arr", "money"),
    ("NRR", "nrr", "percent"),
    ("GRR", "grr", "percent"),
    ("Churn", "churn", "percent"),
    ("Quick ratio", "quick_ratio", "ratio"),
)


def demo_ledger() -> pd.DataFrame:
    """The demo company's ledger: ``customer_id``, ``month``, ``mrr``."""
    from xl_kpi.sample import generate_ledger

    return generate_ledger(**DEMO_COMPANY)


def summary(bridge: pd.DataFrame, months: int = SUMMARY_MONTHS) -> pd.DataFrame:
    """The printed KPIs of the last ``months`` months of an MRR bridge (:func:`xl_kpi.ledger.monthly_kpis`)."""
    from xl_kpi.ledger import monthly_kpis

    kpis = monthly_kpis(bridge).tail(months).reset_index(drop=True)
    return kpis.rename(columns={"net_revenue_retention": "nrr", "gross_revenue_retention": "grr",
                                "customer_churn_rate": "churn"})[[col for _, col, _ in SUMMARY_COLUMNS]]


def format_table(kpis: pd.DataFrame) -> str:
    """A plain-text table: right-aligned numbers, "-" where a rate is undefined.

    >>> frame = pd.DataFrame({"month": [pd.Timestamp("2025-12-01")], "mrr": [1234.5], "arr": [14814.0],
    ...                       "nrr": [1.0123], "grr": [0.97], "churn": [float("nan")], "quick_ratio": [4.25]})
    >>> print(format_table(frame))
    Month         MRR        ARR     NRR    GRR  Churn  Quick ratio
    2025-12  1,234.50  14,814.00  101.2%  97.0%      -         4.25
    """
    header = [h for h, _, _ in SUMMARY_COLUMNS]
    rows = [[_format(kpis[col].iloc[i], kind) for _, col, kind in SUMMARY_COLUMNS] for i in range(len(kpis))]
    widths = [max(len(h), *(len(r[j]) for r in rows)) for j, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) if j == 0 else h.rjust(w) for j, (h, w) in enumerate(zip(header, widths)))]
    for row in rows:
        lines.append("  ".join(v.ljust(w) if j == 0 else v.rjust(w) for j, (v, w) in enumerate(zip(row, widths))))
    return "\n".join(line.rstrip() for line in lines)


def _format(value, kind: str) -> str:
    if kind == "month":
        return pd.Timestamp(value).strftime("%Y-%m")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "percent":
        return f"{value:.1%}"
    return f"{value:.2f}"


def trailing_line(trailing: pd.DataFrame | None) -> str:
    """The latest trailing twelve-month NRR and GRR, with the month they end in.

    >>> t = pd.DataFrame({"month": pd.to_datetime(["2025-11-01", "2025-12-01"]),
    ...                   "net_revenue_retention": [0.9, 0.95], "gross_revenue_retention": [0.8, 0.85]})
    >>> trailing_line(t)
    'Trailing twelve months to 2025-12: NRR 95.0%, GRR 85.0%'
    """
    full = None if trailing is None else trailing.dropna(subset=["net_revenue_retention"])
    if full is None or full.empty:
        return "Trailing twelve months: not yet (the ledger needs 13 months)"
    last = full.iloc[-1]
    return (f"Trailing twelve months to {pd.Timestamp(last['month']):%Y-%m}: "
            f"NRR {_format(float(last['net_revenue_retention']), 'percent')}, "
            f"GRR {_format(float(last['gross_revenue_retention']), 'percent')}")


def fill_dashboard(out_dir: Path, bridge: pd.DataFrame) -> Path:
    """Rewrite the dashboard with the refreshed bridge as its monthly inputs (one row per month), so
    the dashboard and the ledger workbook tell one company's story."""
    from xl_kpi.templates import dashboard
    from xl_kpi.templates.sample_inputs import dashboard_rows_from_bridge

    return dashboard.build(Path(out_dir) / dashboard.FILE_NAME, rows=dashboard_rows_from_bridge(bridge))


def fill_ledger_workbook(path: Path, ledger: pd.DataFrame) -> None:
    """Replace the rows of the workbook's ``Ledger`` table with ``ledger`` (Customer ID, Month, MRR).

    The template is a fresh openpyxl file, so loading and saving it with
    openpyxl loses nothing; the table is resized to the new rows.
    """
    import openpyxl
    from openpyxl.utils.cell import range_boundaries

    from xl_kpi.cells import col_letter

    book = openpyxl.load_workbook(path)
    sheet = next((ws for ws in book.worksheets if LEDGER.table in ws.tables), None)
    if sheet is None:
        raise RuntimeError(f"{path.name} has no Excel table named {LEDGER.table!r}")
    table = sheet.tables[LEDGER.table]
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    headers = [sheet.cell(min_row, c).value for c in range(min_col, max_col + 1)]
    wanted = {CUSTOMER: "customer_id", MONTH: "month", MRR: "mrr"}
    if set(wanted) - set(headers):
        raise RuntimeError(f"{path.name}: table {LEDGER.table} has columns {headers}, expected {list(wanted)}")
    styles = {c: sheet.cell(min_row + 1, c)._style for c in range(min_col, max_col + 1)}  # noqa: SLF001
    for row in sheet.iter_rows(min_row=min_row + 1, max_row=max_row, min_col=min_col, max_col=max_col):
        for cell in row:
            cell.value = None
    columns = [ledger[wanted[h]].tolist() if h in wanted else [None] * len(ledger) for h in headers]
    columns[headers.index(MONTH)] = [ts.to_pydatetime() for ts in ledger["month"]]
    for offset, values in enumerate(columns):  # one column at a time: openpyxl writes cell by cell
        col = min_col + offset
        for i, value in enumerate(values, start=min_row + 1):
            cell = sheet.cell(i, col, value)
            cell._style = styles[col]  # noqa: SLF001 - keep the template's input style and formats
    last_row = min_row + max(len(ledger), 1)
    table.ref = f"{col_letter(min_col)}{min_row}:{col_letter(max_col)}{last_row}"
    if table.autoFilter is not None:
        table.autoFilter.ref = table.ref
    book.save(path)


def run_demo(out_dir: Path, echo=print) -> pd.DataFrame:
    """Do the four steps and print the KPIs; return the printed KPI frame."""
    from xl_kpi.refresh import refresh_file
    from xl_kpi.templates import write_templates

    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"{out_dir} is a file; give --out a folder (it is created if missing)")
    out_dir.mkdir(parents=True, exist_ok=True)
    ledger = demo_ledger()
    echo(f"1/4 sample company: {ledger['customer_id'].nunique()} customers, {len(ledger):,} ledger rows "
         f"({ledger['month'].min():%Y-%m} to {ledger['month'].max():%Y-%m})")
    written = write_templates(out_dir)
    echo(f"2/4 templates: {', '.join(p.name for p in written)} in {out_dir}")
    ledger_book = out_dir / LEDGER_WORKBOOK
    try:
        fill_ledger_workbook(ledger_book, ledger)
    except PermissionError as exc:  # Windows: the workbook is open in Excel
        raise UserError(f"cannot write {ledger_book}: it is open in another program; close it and run "
                        "'xl-kpi demo' again") from exc
    echo(f"3/4 ledger: {len(ledger):,} rows in table {LEDGER.table} of {ledger_book.name}")
    refreshed = refresh_file(ledger_book)
    dashboard = fill_dashboard(out_dir, refreshed.bridge)
    echo(f"4/4 refreshed {ledger_book.name}: MRR bridge, cohorts, KPI summary, retention, movements and charts; "
         f"{dashboard.name}'s monthly inputs are its bridge")
    kpis = summary(refreshed.bridge)  # the bridge the refresh computed from the workbook's ledger
    echo("")
    echo(f"KPIs of the last {len(kpis)} months:")
    echo(format_table(kpis))
    echo(trailing_line(refreshed.trailing))
    echo("")
    echo(f"Open {ledger_book} in Excel, or refresh it again with: xl-kpi refresh \"{ledger_book}\"")
    return kpis


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("--out", type=Path, default=Path("xl_kpi_demo"), metavar="DIR",
                        help="folder for the demo workbooks (default: ./xl_kpi_demo)")


def run(args: argparse.Namespace) -> int:
    run_demo(args.out)
    return 0
