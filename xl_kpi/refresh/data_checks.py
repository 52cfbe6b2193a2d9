"""The report's "Data checks" block: what reading the ledger noticed, and the stamp of the refresh.

Written on the KPI Summary sheet below its tables (a separate function, so
the report's own layout code is untouched): a block with one line per data
check (its count, a few examples with sheet and row, what to do), the notes
on how the data was read and the settings used, and a stamp block: xl_kpi
version, refresh time, input table, rows read, month range, as-of month. A refresh with
nothing to report still writes "No data checks" so the reader knows it was
checked.

>>> from xl_kpi.ledger.checks import DataChecks
>>> checks = DataChecks()
>>> checks.add("duplicate rows", 2, ["sheet 'Ledger' row 5"], "2 exact duplicate rows", "they are added up")
>>> blk = checks_block(checks, [], 10)
>>> [c.header for c in blk.columns], blk.columns[0].values.tolist()
(['Data checks'], ["2 exact duplicate rows: sheet 'Ledger' row 5 and 1 more; they are added up"])
"""

from __future__ import annotations

import dataclasses

import numpy as np

from xl_kpi.ledger.checks import DataChecks
from xl_kpi.refresh.report import SUMMARY_SHEET, Block, Column, Report

__all__ = ["with_data_checks", "checks_block", "stamp_block", "add_period_notes"]


def _text(values) -> np.ndarray:
    return np.array(list(values), dtype=object)


def checks_block(checks: DataChecks, notes: list[str], row: int, col: int = 1) -> Block:
    """One line per check (its summary with the count, the first rows, what to do), then one per note.

    Each line is one cell, alone in its row, so it reads across the empty
    cells to its right whatever the sheet's column widths; "No data checks"
    when there is none.
    """
    lines = checks.lines() or ["No data checks"]
    lines += list(checks.figure_notes)  # on the figures, as the sheets word them (no warning)
    lines += [f"{n} (how the data was read)" for n in notes]
    return Block(row, col, [Column("Data checks", _text(lines), align="left")])


def add_period_notes(checks: DataChecks, data) -> None:
    """The notes under the quarterly and annual tables of the MRR Bridge sheet (a period's churn rate above
    100 % or NRR below 0: :func:`xl_kpi.refresh.report.content.period_rate_notes`, the one home of their
    words) added to ``checks`` as notes on the figures, so the command line prints them and the Data checks
    block lists them, in the same words; ``data`` is the report's :class:`~xl_kpi.refresh.report.ReportData`.
    """
    from xl_kpi.refresh.report.content import period_rate_notes

    for what, periods in (("quarter", data.quarterly), ("year", data.annual)):
        if periods is not None:
            for line in period_rate_notes(periods, what):
                checks.figure_note(line)


def stamp_block(stamp: dict, row: int, col: int = 1) -> Block:
    """The stamp, one "what: value" line each: xl_kpi version, refreshed, input table, rows read, months, as-of."""
    lines = [f"{k}: {v:,}" if isinstance(v, int) else f"{k}: {v}" for k, v in stamp.items()]
    return Block(row, col, [Column("This refresh", _text(lines), align="left")])


def with_data_checks(report: Report, checks: DataChecks, stamp: dict, settings_used: list[str]) -> Report:
    """``report`` with the Data checks and stamp blocks added below the KPI Summary sheet's content."""
    sheets = list(report.sheets)
    for i, sheet in enumerate(sheets):
        if sheet.name != SUMMARY_SHEET:
            continue
        charts_end = max((c.row + c.height_rows for c in sheet.charts), default=0)
        top = max([b.last_row for b in sheet.blocks] + [charts_end]) + 2
        blk = checks_block(checks, list(checks.notes) + list(settings_used), top)
        stamp_blk = stamp_block(stamp, blk.last_row + 2)
        sheets[i] = dataclasses.replace(sheet, blocks=[*sheet.blocks, blk, stamp_blk])
    return dataclasses.replace(report, sheets=sheets)
