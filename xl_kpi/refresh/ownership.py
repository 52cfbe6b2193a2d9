"""What a refresh may overwrite: recorded in the workbook, checked once, before anything is written.

A refresh records what it wrote (its sheets, Excel Tables and workbook-level
names) in the value of a hidden workbook-level name, the *marker*::

    _xlkpi_report = {"xl-kpi report 2","sheet:MRR Bridge","table:MRRBridge","name:KPISummary",...}

(an array constant of texts: each element stays under Excel's 255-character
limit for a text in a formula however many sheets a report gets).  The next
refresh replaces only what is recorded there.  Anything else that has a name
the new report needs (a user's sheet named like a report sheet that a newer
version adds, a table or a name) is the user's: the refresh stops with a
message before it writes anything.  Workbooks refreshed by versions before
the record carry the marker ``"MRR Bridge|Cohort Retention|KPI Summary"``
(sheet names only): what those versions wrote is known (``LEGACY_TABLES``,
``LEGACY_NAMES``), so they are read as that record.

Excel compares sheet, table and defined names without regard to case, and
tables and defined names share one namespace, so both do here too.

:func:`plan_refresh` is the one check; the pipeline runs it with the
back end's :class:`Inventory` of the workbook and hands the resulting
:class:`Plan` to the writer, which replaces exactly ``plan.sheets`` and
``plan.names`` and writes ``plan.marker``.

Example
-------
>>> import numpy as np
>>> from xl_kpi.refresh.report import Block, Column, Report, ReportSheet
>>> report = Report([ReportSheet("Retention", [Block(1, 1, [Column("x", np.array([1.0]))], table="T12M")])])
>>> book = Inventory("b.xlsx", sheets=["Data", "Retention"], names=[], tables=[("Data", "Ledger")], marker=None)
>>> plan_refresh(report, book)
Traceback (most recent call last):
...
xl_kpi.errors.UserError: b.xlsx: the workbook already has a sheet named 'Retention' that xl-kpi did not create; rename it so the refresh can write its report
>>> plan = plan_refresh(report, Inventory("b.xlsx", ["Data"], [], [("Data", "Ledger")], None))
>>> plan.sheets, plan.marker
([], '{"xl-kpi report 2","sheet:Retention","table:T12M"}')
>>> parse_marker(plan.marker).sheets
('Retention',)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from xl_kpi.errors import UserError
from xl_kpi.refresh.report import Report

#: The hidden workbook-level name whose value records what a refresh wrote.
MARKER = "_xlkpi_report"
#: First element of the record: the format of what follows.
RECORD_TAG = "xl-kpi report 2"
#: What the versions before the record wrote besides the sheets named in their marker.
LEGACY_TABLES = ("MRRBridge", "MonthlyKPIs")
LEGACY_NAMES = ("CohortRetentionLogo", "CohortRetentionRevenue", "KPISummary")
_TEXT = re.compile(r'"((?:[^"]|"")*)"')


@dataclass(frozen=True)
class Record:
    """What a refresh wrote into a workbook (names as written)."""

    sheets: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    def formula(self) -> str:
        """The marker's value: an array constant of texts (a formula without the "=")."""
        items = [RECORD_TAG] + [f"{kind}:{n}" for kind, names in (("sheet", self.sheets), ("table", self.tables),
                                                                   ("name", self.names)) for n in names]
        return "{" + ",".join('"' + item.replace('"', '""') + '"' for item in items) + "}"


def parse_marker(value: str | None) -> Record:
    """The record a marker's value holds (nothing for no marker; the legacy form read as what it meant).

    >>> parse_marker('"MRR Bridge|Cohort Retention|KPI Summary"').sheets
    ('MRR Bridge', 'Cohort Retention', 'KPI Summary')
    >>> parse_marker('={"xl-kpi report 2","sheet:A ""quoted"" one","name:N"}')
    Record(sheets=('A "quoted" one',), tables=(), names=('N',))
    """
    if not value:
        return Record()
    texts = [t.replace('""', '"') for t in _TEXT.findall(value)]
    if texts and texts[0] == RECORD_TAG:
        found: dict[str, list[str]] = {"sheet": [], "table": [], "name": []}
        for item in texts[1:]:
            kind, _, name = item.partition(":")
            if kind in found and name:
                found[kind].append(name)
        return Record(tuple(found["sheet"]), tuple(found["table"]), tuple(found["name"]))
    sheets = tuple(s for s in (texts[0] if texts else "").split("|") if s)
    return Record(sheets, LEGACY_TABLES, LEGACY_NAMES)


def report_record(report: Report) -> Record:
    """What ``report`` writes: its sheets, tables and workbook-level names."""
    return Record(tuple(s.name for s in report.sheets), tuple(report.tables), tuple(n.name for n in report.names))


@dataclass(frozen=True)
class Inventory:
    """The workbook as a back end sees it before a refresh.

    ``names``: workbook-level defined names (not sheet-local ones, and not
    the marker); ``tables``: (sheet, table) pairs; ``marker``: the marker's
    value, or None when the workbook has none.
    """

    label: str
    sheets: Sequence[str]
    names: Sequence[str]
    tables: Sequence[tuple[str, str]]
    marker: str | None


@dataclass(frozen=True)
class Plan:
    """What a refresh replaces, as named in the workbook, and the record it leaves.

    ``sheets``: the workbook's sheets a refresh wrote before, that it now
    replaces (or, for those the new report does not have, ``stale_sheets``,
    removes); ``names``: the workbook-level names it removes before writing
    its own (the marker among them); ``marker``: the new marker's value.
    """

    sheets: list[str]
    stale_sheets: list[str]
    names: list[str]
    marker: str
    record: Record = field(repr=False, default=Record())


def plan_refresh(report: Report, book: Inventory) -> Plan:
    """Check ``report`` against what ``book`` holds; refuse (``UserError``) whatever is the user's.

    Refused: a sheet, table or workbook-level name that the report needs and
    that the recorded earlier refresh did not write; a table of the user's on
    a sheet the refresh replaces.  Everything recorded that is still there is
    the refresh's own, to replace.
    """
    at = f"{book.label}: " if book.label else ""
    old = parse_marker(book.marker)
    new = report_record(report)
    ours_sheets = {s.lower() for s in old.sheets}
    ours_tables = {t.lower() for t in old.tables}
    ours_names = {n.lower() for n in old.names}
    new_sheets = {s.lower() for s in new.sheets}
    new_tables = {t.lower() for t in new.tables}
    new_names = {n.lower() for n in new.names}

    for sheet in book.sheets:
        if sheet.lower() in new_sheets and sheet.lower() not in ours_sheets:
            raise UserError(f"{at}the workbook already has a sheet named {sheet!r} that xl-kpi did not create; "
                            "rename it so the refresh can write its report")
    owned = [s for s in book.sheets if s.lower() in ours_sheets]
    owned_lower = {s.lower() for s in owned}
    for name in book.names:
        low = name.lower()
        if low in ours_names or low == MARKER.lower():
            continue
        if low in new_tables:
            raise UserError(f"{at}the workbook defines the name {name!r}, which xl-kpi uses for a table of its "
                            "report: rename it")
        if low in new_names:
            raise UserError(f"{at}the workbook already defines the name {name!r}; xl-kpi needs it for its "
                            "report: rename it")
    for sheet, table in book.tables:
        if sheet.lower() in owned_lower:
            if table.lower() not in ours_tables:
                raise UserError(f"{at}the report sheet {sheet!r} holds your table {table!r}, and a refresh "
                                "rewrites that sheet: move the table to another sheet")
        elif table.lower() in new_tables | new_names:
            raise UserError(f"{at}sheet {sheet!r} holds a table named {table!r}, which xl-kpi needs for its "
                            "report: rename that table")
    names = [n for n in book.names if n.lower() in ours_names] + ([MARKER] if book.marker is not None else [])
    return Plan(sheets=[s for s in owned if s.lower() in new_sheets],
                stale_sheets=[s for s in owned if s.lower() not in new_sheets],
                names=names, marker=new.formula(), record=new)
