"""What a refresh may overwrite: one check for both back ends, run before anything is written.

A refresh owns the report sheets, tables and names (see :mod:`xl_kpi.refresh.report`)
once its hidden marker name is in the workbook.  Before that, or for anything
else, it refuses to overwrite or collide with something of the user's.  Excel
compares sheet, table and defined names without regard to case, and tables
and defined names share one namespace, so both do here too.
"""

from __future__ import annotations

from typing import Iterable

from xl_kpi.errors import UserError
from xl_kpi.refresh.report import BRIDGE_TABLE, MONTHLY_TABLE, REPORT_SHEETS, Report

#: Every Excel Table a refresh owns.
REPORT_TABLES = (BRIDGE_TABLE, MONTHLY_TABLE)
#: Workbook-level names the report owns (replaced on every refresh).
REPORT_NAMES = ("CohortRetentionLogo", "CohortRetentionRevenue", "KPISummary")
#: The hidden workbook-level name that marks a workbook whose report a refresh wrote, and its
#: value (a formula without the "="): the report's sheet names.
MARKER = "_xlkpi_report"
MARKER_VALUE = '"' + "|".join(REPORT_SHEETS) + '"'


def check_ownership(*, label: str, global_names: Iterable[str], sheet_names: Iterable[str],
                    tables: Iterable[tuple[str, str]]) -> list[str]:
    """Refuse (``UserError``) whatever the report would overwrite; return the report sheets already there.

    ``global_names`` are the workbook-level defined names, ``tables`` the
    (sheet, table name) pairs; ``label`` starts each message (the file name,
    or "" in a live workbook).

    >>> check_ownership(label="", global_names=[], sheet_names=["Data"], tables=[("Data", "Ledger")])
    []
    >>> check_ownership(label="b.xlsx", global_names=[], sheet_names=["Data"], tables=[("Data", "KPISummary")])
    Traceback (most recent call last):
    ...
    xl_kpi.errors.UserError: b.xlsx: sheet 'Data' holds a table named 'KPISummary', which xl-kpi needs for its report: rename that table
    """
    at = f"{label}: " if label else ""
    global_names = list(global_names)
    lowered = {n.lower() for n in global_names}
    report_sheets = {n.lower() for n in REPORT_SHEETS}
    report_tables = {n.lower() for n in REPORT_TABLES}
    report_names = {n.lower() for n in REPORT_NAMES}
    owned = [s for s in sheet_names if s.lower() in report_sheets]
    if MARKER.lower() not in lowered:
        if owned:
            raise UserError(f"{at}the workbook already has a sheet named {owned[0]!r} that xl-kpi did not "
                            "create; rename it so the refresh can write its report")
        clash = [n for n in global_names if n.lower() in report_names]
        if clash:
            raise UserError(f"{at}the workbook already defines the name {clash[0]!r}; xl-kpi needs it for its "
                            "report: rename it")
    clash = [n for n in global_names if n.lower() in report_tables]
    if clash:
        raise UserError(f"{at}the workbook defines the name {clash[0]!r}, which xl-kpi uses for a table of its "
                        "report: rename it")
    owned_lower = {s.lower() for s in owned}
    for sheet, table in tables:
        if sheet.lower() in owned_lower and table.lower() not in report_tables:
            raise UserError(f"{at}the report sheet {sheet!r} holds your table {table!r}, and a refresh "
                            "rewrites that sheet: move the table to another sheet")
        if sheet.lower() not in owned_lower and table.lower() in report_tables | report_names:
            raise UserError(f"{at}sheet {sheet!r} holds a table named {table!r}, which xl-kpi needs for its "
                            "report: rename that table")
    return owned
