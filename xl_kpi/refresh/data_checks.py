"""The report's "Data checks" block: what reading the ledger noticed, and the stamp of the refresh.

Written on the KPI Summary sheet below its tables (a separate function, so
the report's own layout code is untouched): a block listing each data check
with its count and a few examples (sheet and row), the notes on how the data
was read and the settings used, and a stamp block: xl_kpi version, refresh
time, input table, rows read, month range, as-of month. A refresh with
nothing to report still writes "No data checks" so the reader knows it was
checked.

>>> from xl_kpi.ledger.checks import DataChecks
>>> checks = DataChecks()
>>> checks.add("duplicate rows", 2, ["sheet 'Ledger' row 5"], "2 exact duplicate rows", "they are added up")
>>> blk = checks_block(checks, [], 10)
>>> [c.header for c in blk.columns], blk.columns[0].values.tolist()
(['Data check', 'Count', 'Examples', 'What to do'], ['2 exact duplicate rows'])
"""

from __future__ import annotations

import dataclasses

import numpy as np

from xl_kpi.ledger.checks import DataChecks
from xl_kpi.refresh.report import SUMMARY_SHEET, Block, Column, Report

__all__ = ["with_data_checks", "checks_block", "stamp_block"]


def _text(values) -> np.ndarray:
    return np.array(list(values), dtype=object)


def checks_block(checks: DataChecks, notes: list[str], row: int, col: int = 1) -> Block:
    """One row per check (summary, count, examples, advice), then one per note; "No data checks" when none."""
    summary, count, examples, advice = [], [], [], []
    for c in checks:
        summary.append(c.summary)
        count.append(float(c.count))
        more = f" and {c.count - len(c.examples):,} more" if c.count > len(c.examples) else ""
        examples.append(", ".join(c.examples) + more if c.examples else "")
        advice.append(c.advice)
    if not summary:
        summary, count, examples, advice = ["No data checks"], [np.nan], [""], [""]
    for n in notes:
        summary.append(n)
        count.append(np.nan)
        examples.append("")
        advice.append("(how the data was read)")
    return Block(row, col, [Column("Data check", _text(summary), align="left"),
                            Column("Count", np.array(count, dtype=float), "#,##0"),
                            Column("Examples", _text(examples), align="left"),
                            Column("What to do", _text(advice), align="left")], title="Data checks")


def stamp_block(stamp: dict, row: int, col: int = 1) -> Block:
    """Two columns: what (xl_kpi version, refreshed, input table, rows read, months, as-of) and its value."""
    values = [str(v) if not isinstance(v, (int, float)) else float(v) for v in stamp.values()]
    return Block(row, col, [Column("Refresh", _text(stamp.keys()), align="left"),
                            Column("Value", _text(values), align="left")], title="This refresh")


def with_data_checks(report: Report, checks: DataChecks, stamp: dict, settings_used: list[str]) -> Report:
    """``report`` with the Data checks and stamp blocks added below the KPI Summary sheet's content."""
    sheets = list(report.sheets)
    for i, sheet in enumerate(sheets):
        if sheet.name != SUMMARY_SHEET:
            continue
        charts_end = max((c.row + c.height_rows for c in sheet.charts), default=0)
        top = max([b.last_row for b in sheet.blocks] + [charts_end]) + 3
        blk = checks_block(checks, list(checks.notes) + list(settings_used), top + 1)
        stamp_blk = stamp_block(stamp, blk.last_row + 3)
        sheets[i] = dataclasses.replace(sheet, blocks=[*sheet.blocks, blk, stamp_blk])
    return dataclasses.replace(report, sheets=sheets)
