"""``kpi_calculator.xlsx``: every catalog KPI as a small block, inputs in and one named result out.

Sheets: How to use | one sheet per family (Retention & Churn, Recurring
Revenue, Unit Economics, Funnel & Engagement, Balance Sheet), the KPIs in
catalog order (:func:`xl_kpi.kpis.definitions`).  A block is::

    CHURN_RATE                           | Value | Argument           | Allowed values
    <one-line summary>
    Customers lost during the period     |   20  | customers_lost     | >= 0
    Customers at the start of the period |  200  | customers_at_start | >= 0
    Result (fraction)                    | 10.0% | CALC_CHURN_RATE

Everything is read from the KPI's definition: labels are the arguments' help
texts, data validation follows their domains, the result is the definition's
guarded native formula over the block's input cells (column B) and takes the
number format of its unit.  Range-reducing KPIs (MRR, NPS, LEAD_SCORE, the
ticket hours) get a small input range per array argument; the sample values
are the catalog's first worked example (each definition's ``example``), and
each input cell's number format and validation come from its argument's unit
and domain.

A KPI without a denominator (ARR, NET_NEW_MRR, NPS ...) would show 0, a
verdict or #DIV/0! on empty inputs, so its formula is wrapped in
``IF(COUNT(inputs)=0,"",...)``; the others are exactly ``=`` + the guarded formula.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

from openpyxl.styles import Alignment
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from xl_kpi.kpis import FAMILIES, definitions
from xl_kpi.kpis.definition import TEXT, KPIDefinition
from xl_kpi.templates import sheets, styles
from xl_kpi.templates.formulas import kpi_formula

FILE_NAME = "kpi_calculator.xlsx"
NAME_PREFIX = "CALC_"

#: One sheet per family, in catalog order.
SHEETS = {family.name: family.sheet_title for family in FAMILIES}
#: Columns of every block: label (wrapped), value, argument name, allowed values.
WIDTHS = (36, 17, 30, 17)
#: Rows of an input range at least (a range-reducing KPI's example may need more).
RANGE_ROWS = 5
#: KPIs whose formula divides by COUNT of one range (tickets answered): empty until it holds a value.
BLANK_UNLESS = {"AVG_FIRST_RESPONSE_HOURS": "first_response_at", "AVG_RESOLUTION_HOURS": "resolved_at"}

#: Printing: a fixed scale (:func:`~xl_kpi.templates.sheets.print_at_scale`), so the page breaks
#: that keep every block on one page are kept.
#: 100 characters of column width print about 9.65 in wide at 100 % (LibreOffice and Excel, Calibri 11):
#: 74 % fits them into the 7.27 in between the margins of portrait A4.
PRINT_SCALE = 74
#: Height of a printed page in points of row height: portrait A4 (11.69 in) less the top and bottom
#: margins of :func:`~xl_kpi.templates.sheets.print_setup` (0.7 in each), at ``PRINT_SCALE``.
PAGE_HEIGHT = (11.69 - 1.4) * 72 * 100 / PRINT_SCALE * 0.98  # 2 % spare for row metrics
ROW_HEIGHT = 15.0
LABEL_CHARS = WIDTHS[0] + 6      # characters per wrapped line of a label (Calibri 11 averages narrower)
SUMMARY_CHARS = sum(WIDTHS) + 4  # of a summary spanning the block (10 pt italic)

TOP = Alignment(vertical="top")


def input_format(arg) -> tuple[str, str]:
    """(number format, validation check) of an argument's input cells: its unit's and its domain's.

    >>> from xl_kpi import get
    >>> [input_format(a) for a in get("CLV").args]
    [('#,##0.00', 'nonneg'), ('0.0%', 'fraction'), ('0.0%', 'fraction'), ('0.0%', 'nonneg')]
    >>> input_format(get("AVG_RESOLUTION_HOURS").args[0]), input_format(get("NPS").args[0])
    (('yyyy-mm-dd hh:mm', 'date'), ('0', 'score'))
    """
    return arg.unit.input_format, arg.input_check


def _lines(text: str, chars: int) -> int:
    return max(1, math.ceil(len(text) / chars))


def _sample(definition: KPIDefinition, blank: bool) -> list[Any]:
    """Input values in argument order: the catalog example (or empty), defaults for the optional ones."""
    example = definition.example.args
    values = []
    for k, arg in enumerate(definition.args):
        if k < len(example):
            values.append(None if blank else example[k])
        else:  # optional argument the example leaves out: its default, blank or not
            values.append(definition.defaults[arg.name])
    return values


def _range_rows(definition: KPIDefinition) -> int:
    example = definition.example.args
    return max([RANGE_ROWS] + [len(v) for v in example if isinstance(v, (list, tuple))])


def block_height(definition: KPIDefinition) -> float:
    """Printed height of a block in points (header, summary, inputs, result), for page breaks."""
    height = 20 + 14 * _lines(definition.summary, SUMMARY_CHARS) + ROW_HEIGHT  # + result row
    for arg in definition.args:
        rows = _range_rows(definition) if arg.array else 1
        height += max(rows * ROW_HEIGHT, ROW_HEIGHT * _lines(_label(definition, arg), LABEL_CHARS))
    return height + ROW_HEIGHT * len(definition.constants)


def _label(definition: KPIDefinition, arg) -> str:
    if arg.name in definition.defaults:
        return f"{arg.help} (optional; default {definition.defaults[arg.name]:g})"
    return arg.help


def _input_cells(ws: Worksheet, row: int, rows: int, label: str, name: str, allowed: str, values: Sequence[Any],
                 number_format: str, check: str) -> str:
    """Label | input cell(s) in column B | argument name | allowed values; returns the cell or range."""
    ws.cell(row=row, column=1, value=label).alignment = styles.WRAP
    if rows > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row + rows - 1, end_column=1)
    else:
        ws.row_dimensions[row].height = ROW_HEIGHT * _lines(label, LABEL_CHARS)
    for k in range(rows):
        cell = ws.cell(row=row + k, column=2, value=values[k] if k < len(values) else None)
        cell.style = styles.INPUT_STYLE
        cell.number_format, cell.alignment = number_format, TOP
    argument = ws.cell(row=row, column=3, value=name)
    argument.font, argument.alignment = styles.SUBTITLE_FONT, Alignment(vertical="top", indent=1)
    allowed_cell = ws.cell(row=row, column=4, value=allowed)
    allowed_cell.font, allowed_cell.alignment = styles.SUBTITLE_FONT, styles.WRAP
    ref = f"B{row}" if rows == 1 else f"B{row}:B{row + rows - 1}"
    ws.add_data_validation(sheets.validation(check, ref))
    return ref


def write_block(ws: Worksheet, top: int, definition: KPIDefinition, blank: bool) -> int:
    """One KPI's block from row ``top``; returns the first row after it (one blank row left)."""
    sheets.header_row(ws, top, 1, [definition.excel_name, "Value", "Argument", "Allowed values"])
    ws.row_dimensions[top].height = 20
    ws.cell(row=top, column=1).alignment = Alignment(horizontal="left", vertical="center")
    summary = ws.cell(row=top + 1, column=1, value=definition.summary)
    summary.font, summary.alignment = styles.SUBTITLE_FONT, styles.WRAP
    ws.merge_cells(start_row=top + 1, start_column=1, end_row=top + 1, end_column=4)
    ws.row_dimensions[top + 1].height = 14 * _lines(definition.summary, SUMMARY_CHARS)

    row = top + 2
    refs: dict[str, str] = {}
    required: list[str] = []
    for arg, value in zip(definition.args, _sample(definition, blank)):
        rows = _range_rows(definition) if arg.array else 1
        number_format, check = input_format(arg)
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        allowed = "a date-time" if check == "date" else arg.domain.describe
        refs[arg.name] = _input_cells(ws, row, rows, _label(definition, arg), arg.name, allowed, values,
                                      number_format, check)
        if arg.name not in definition.defaults:
            required.append(refs[arg.name])
        row += rows
    for name, value in definition.constants.items():  # thresholds: inputs too, never hard-coded in the formula
        label = f"Threshold: {name.replace('_', ' ')} (catalog: {value:g})"
        refs[name] = _input_cells(ws, row, 1, label, name, "between 0 and 1", [value],
                                  styles.PERCENT_FORMAT, "fraction")
        row += 1

    if definition.denominators:
        formula = kpi_formula(definition.excel_name, refs)
    else:
        # Required arguments come first (Python signature order), so their cells are one range.
        watched = refs.get(BLANK_UNLESS.get(definition.excel_name, ""))
        watched = watched or f"{required[0].split(':')[0]}:{required[-1].split(':')[-1]}"
        formula = kpi_formula(definition.excel_name, refs, empty_unless_any=watched)
    label = ws.cell(row=row, column=1, value=f"Result ({definition.unit.name})")
    label.font, label.alignment = styles.LABEL_FONT, styles.WRAP
    ws.row_dimensions[row].height = ROW_HEIGHT * _lines(label.value, LABEL_CHARS)
    result = ws.cell(row=row, column=2, value=formula)
    result.number_format = definition.unit.number_format
    result.font, result.fill, result.border = styles.RESULT_FONT, styles.RESULT_FILL, styles.GRID
    if definition.unit is TEXT:
        result.alignment = Alignment(horizontal="right")
    ws.cell(row=row, column=3, value=NAME_PREFIX + definition.excel_name).font = styles.BOLD_FONT
    sheets.define_name(ws.parent, NAME_PREFIX + definition.excel_name, ws, f"B{row}")
    return row + 2


def _family_sheet(wb, family: str, kpis: list[KPIDefinition], blank: bool) -> Worksheet:
    ws = wb.create_sheet(SHEETS[family])
    sample = "" if blank else " (the catalog's worked example)"
    sheets.title(ws, f"KPI calculator: {SHEETS[family]}", f"Blue cells are inputs{sample}; the grey result is the "
                 "KPI's native Excel formula. Empty result = not defined for these inputs.")
    # The subtitle wraps inside the block's four columns (it would print on a page of its own beyond them).
    ws.merge_cells("A2:D2")
    ws["A2"].alignment = styles.WRAP
    ws.row_dimensions[2].height = 28
    for letter, width in zip("ABCD", WIDTHS):
        ws.column_dimensions[letter].width = width
    row, used = sheets.HEADER_ROW, 3 * ROW_HEIGHT + 24
    for definition in kpis:
        height = block_height(definition) + ROW_HEIGHT  # and the blank row after it
        if used + height > PAGE_HEIGHT:
            ws.row_breaks.append(Break(id=row - 1))  # the block starts a new page instead of splitting
            used = 0.0
        used += height
        row = write_block(ws, row, definition, blank)
    ws.freeze_panes = f"A{sheets.HEADER_ROW}"
    sheets.print_setup(ws, header_row=None, landscape=False)
    ws.print_area = f"A1:D{row - 2}"
    sheets.print_at_scale(ws, PRINT_SCALE)
    return ws


def build(path: Path, blank: bool = False) -> Path:
    """Write the KPI calculator to ``path``; ``blank`` leaves the inputs empty (optional ones keep defaults)."""
    wb = sheets.new_workbook("KPI calculator")
    by_family: dict[str, list[KPIDefinition]] = {}
    for definition in definitions():
        by_family.setdefault(definition.family, []).append(definition)
    for family in SHEETS:
        _family_sheet(wb, family, by_family[family], blank)

    sheets.how_to_use(
        wb, "KPI calculator",
        f"Every one of xl_kpi's {sum(map(len, by_family.values()))} KPIs with its own inputs: type numbers into "
        "the blue cells of a block and read the result below them. Each result is the same native Excel formula "
        "the other templates use, and a named cell (CALC_ + the function name) you can refer to elsewhere. "
        "The sample values are the catalog's worked examples.",
        [
            "Pick the family sheet, find the KPI (blocks are in catalog order) and overwrite its blue cells.",
            "Rates and margins are fractions shown as percentages: type 5% or 0.05. Amounts are in your currency.",
            "Optional inputs show their default (for example gross margin 1 = ignore costs); change them if needed.",
            "Range KPIs (MRR, NPS, lead score, ticket hours) take one value per row; blank rows are ignored. "
            "Date-times as yyyy-mm-dd hh:mm.",
            "An input outside its allowed values is refused; a result with nothing to divide by stays empty.",
        ],
        [(SHEETS[f], ", ".join(d.excel_name for d in by_family[f])) for f in SHEETS],
        [(NAME_PREFIX + d.excel_name, d.summary) for d in definitions()],
    )
    return sheets.save(wb, path)
