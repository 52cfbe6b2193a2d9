"""Edit ``xl/workbook.xml``: replace some sheets and names, keep everything else.

The edit is four steps over one lxml tree, each a function:

1. :func:`replace_sheets` - the replaced ``<sheet>`` entries go, the new ones
   take the place of the first replaced one in the tab order (the end when
   none is replaced);
2. :func:`replace_names` - defined names owned by the writer and names local
   to a removed sheet go, the other sheet-local names follow their sheet to
   its new tab index, the new names are added (into the existing
   ``<definedNames>``, even an empty one, else a new one where the schema
   puts it);
3. :func:`ask_full_calc` - ``calcPr/@fullCalcOnLoad="1"``: Excel recalculates
   formulas that may use the new sheets when it opens the file;
4. :func:`keep_views` - ``activeTab`` / ``firstSheet`` stay on the same sheet.

:class:`TabPlan` computes the new tab order once for all four.  New elements
get the namespace (and prefix) of the part's own elements; the new sheets'
``r:id`` uses whatever prefix the part binds to the relationships namespace
there, declaring ``xmlns:r`` on the element when nothing in scope does
(openpyxl with lxml declares it on each ``<sheet>``, not on the root).

Example
-------
>>> from xl_kpi.ooxml.package import SheetEntry
>>> xml = (b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets>'
...        b'<sheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
...        b"name='Data' sheetId='1' r:id='rId1'/></sheets><definedNames/></workbook>")
>>> old = [SheetEntry("Data", 1, "rId1", "xl/worksheets/sheet1.xml", True)]
>>> out = edit_workbook(xml, "book.xlsx", old, [], [("Report", "rId5")], [NewName("Total", "Report!$A$1")], set())
>>> print(out.decode().replace("><", ">\\n<"))
<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<sheets>
<sheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" name="Data" sheetId="1" r:id="rId1"/>
<sheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" name="Report" sheetId="2" r:id="rId5"/>
</sheets>
<definedNames>
<definedName name="Total">Report!$A$1</definedName>
</definedNames>
<calcPr fullCalcOnLoad="1"/>
</workbook>
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from xl_kpi.ooxml import xmltree
from xl_kpi.ooxml.namespaces import NS_REL, qn
from xl_kpi.ooxml.package import SheetEntry

#: The children of ``<workbook>`` in the order of the schema's sequence (CT_Workbook).
WORKBOOK_ORDER = ("fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets",
                  "functionGroups", "externalReferences", "definedNames", "calcPr", "oleSize",
                  "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing",
                  "fileRecoveryPr", "webPublishObjects", "extLst")


@dataclass(frozen=True)
class NewName:
    """A defined name to write: its formula text (no "="), the sheet it is local to, if any."""

    name: str
    text: str
    local_sheet: str | None = None
    hidden: bool = False


@dataclass(frozen=True)
class TabPlan:
    """The tab order after replacing ``replaced`` sheets by ``new`` ones.

    >>> p = TabPlan.make(["A", "R1", "B", "R2"], {"R1", "R2"}, ["N1", "N2"])
    >>> p.names, p.moved, p.removed, p.insert_at
    (['A', 'N1', 'N2', 'B'], {0: 0, 2: 3}, {1, 3}, 1)
    """

    names: list[str]  #: every sheet name in the new tab order
    moved: dict[int, int]  #: old tab index -> new tab index, for the kept sheets
    removed: set[int]  #: old tab indices of the replaced sheets
    insert_at: int  #: new tab index of the first new sheet

    @classmethod
    def make(cls, old: Sequence[str], replaced: set[str], new: Sequence[str]) -> "TabPlan":
        removed = {i for i, name in enumerate(old) if name in replaced}
        kept = [name for name in old if name not in replaced]
        insert_at = sum(1 for i in range(min(removed)) if i not in removed) if removed else len(kept)
        names = kept[:insert_at] + list(new) + kept[insert_at:]
        moved = {i: names.index(name) for i, name in enumerate(old) if i not in removed}
        return cls(names, moved, removed, insert_at)


def replace_sheets(root, plan: TabPlan, old: Sequence[SheetEntry], new: Sequence[tuple[str, str]]) -> None:
    """Step 1: ``<sheets>`` without the replaced sheets, with ``new`` (name, relationship id) at
    ``plan.insert_at``; new sheetIds follow the highest kept one."""
    sheets = xmltree.child(root, "sheets")
    if sheets is None:
        sheets = xmltree.add_child(root, "sheets", order=WORKBOOK_ORDER)
    elements = xmltree.children(sheets, "sheet")
    kept_ids = [s.sheet_id for i, s in enumerate(old) if i not in plan.removed]
    for i in sorted(plan.removed, reverse=True):
        sheets.remove(elements[i])
    kept = xmltree.children(sheets, "sheet")
    # The new sheets go before the kept sheet that follows them in the tab order (comments and other
    # nodes between the <sheet> elements stay where they are).
    before = kept[plan.insert_at] if plan.insert_at < len(kept) else None
    next_id = max(kept_ids or [0]) + 1
    for n, (name, rid) in enumerate(new):
        # r:id needs the relationships namespace in scope; declare it here when the part does not.
        nsmap = {} if NS_REL in sheets.nsmap.values() else {"r": NS_REL}
        el = xmltree.add_child(sheets, "sheet", {"name": name, "sheetId": str(next_id + n)}, nsmap=nsmap)
        el.set(qn(NS_REL, "id"), rid)
        if before is not None:
            before.addprevious(el)


def replace_names(root, plan: TabPlan, owned: set[str], new: Sequence[NewName]) -> None:
    """Step 2: drop the global names in ``owned`` and the names local to a removed sheet, re-index
    the other local names, append ``new``."""
    block = xmltree.child(root, "definedNames")
    if block is None:
        block = xmltree.add_child(root, "definedNames", order=WORKBOOK_ORDER)
    for el in xmltree.children(block, "definedName"):
        local = el.get("localSheetId")
        if local is None:
            if el.get("name") in owned:
                block.remove(el)
            continue
        try:
            idx = int(local)
        except ValueError:
            continue  # not an index Excel would write: leave it as it is
        if idx in plan.removed:
            block.remove(el)
        elif idx in plan.moved:
            el.set("localSheetId", str(plan.moved[idx]))
    for name in new:
        attrib = {"name": name.name}
        if name.local_sheet is not None:
            attrib["localSheetId"] = str(plan.names.index(name.local_sheet))
        if name.hidden:
            attrib["hidden"] = "1"
        xmltree.add_child(block, "definedName", attrib).text = name.text


def ask_full_calc(root) -> None:
    """Step 3: ``<calcPr fullCalcOnLoad="1">`` (created in schema order when missing)."""
    calc = xmltree.child(root, "calcPr")
    if calc is None:
        calc = xmltree.add_child(root, "calcPr", order=WORKBOOK_ORDER)
    calc.attrib.pop("fullCalcOnLoad", None)
    calc.set("fullCalcOnLoad", "1")


def keep_views(root, plan: TabPlan) -> None:
    """Step 4: the active and the first visible tab stay on their sheet (a replaced one: the first new sheet)."""
    views = xmltree.child(root, "bookViews")
    for view in xmltree.children(views, "workbookView") if views is not None else []:
        for name in ("activeTab", "firstSheet"):
            value = view.get(name)
            if value is None:
                continue
            try:
                idx = int(value)
            except ValueError:
                idx = 0
            view.set(name, str(plan.moved.get(idx, min(plan.insert_at, len(plan.names) - 1))))


def edit_workbook(data: bytes, label: str, old: Sequence[SheetEntry], replaced: Sequence[SheetEntry],
                  new_sheets: Sequence[tuple[str, str]], names: Sequence[NewName], owned_names: set[str],
                  part: str = "xl/workbook.xml") -> bytes:
    """workbook.xml with ``replaced`` sheets and ``owned_names`` replaced by ``new_sheets`` (name,
    relationship id) and ``names``; everything else as it was."""
    root = xmltree.parse(data, part, label)
    plan = TabPlan.make([s.name for s in old], {s.name for s in replaced}, [name for name, _ in new_sheets])
    replace_sheets(root, plan, old, new_sheets)
    replace_names(root, plan, set(owned_names), names)
    ask_full_calc(root)
    keep_views(root, plan)
    return xmltree.serialise(root, data)
