"""Building blocks shared by the template builders: titles, input tables, formula blocks,
assumption cells, the "How to use" sheet, print setup and a reproducible save.

A builder describes its columns (:class:`InputColumn`, :class:`OutputColumn`)
and these helpers apply the conventions of :mod:`xl_kpi.templates.styles`,
so every workbook looks and behaves the same way.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.table import Table
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from xl_kpi.cells import absolute, col_letter, quote_sheet
from xl_kpi.kpis.definition import DOMAINS, NONNEG
from xl_kpi.templates import styles
from xl_kpi.templates.formulas import kpi_formula, number_format

#: docProps and zip entries carry this time, so a rebuild gives the same bytes.
FIXED_TIME = dt.datetime(2026, 1, 1, 0, 0, 0)
#: Data validation reaches this many rows below a table's header, so rows a
#: user appends to a table are checked too.
VALIDATED_ROWS = 1000
#: Rows of the sheet above a table's header: title, subtitle, blank.
HEADER_ROW = 4

# --------------------------------------------------------------------------- workbook


def new_workbook(title: str) -> Workbook:
    """An empty workbook with fixed document properties (reproducible output)."""
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "xl_kpi"
    wb.properties.lastModifiedBy = "xl_kpi"
    wb.properties.title = title
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.add_named_style(styles.input_style())
    return wb


def save(wb: Workbook, path: Path) -> Path:
    """Save ``wb`` so that the same workbook always gives the same bytes.

    openpyxl's ``Workbook.save`` stamps the current time into docProps and
    each zip entry; here the archive is written through its ``ExcelWriter``
    (which keeps our fixed properties) and re-packed with fixed entry times.
    """
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    path.parent.mkdir(parents=True, exist_ok=True)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, src.read(info.filename))
    path.write_bytes(out.getvalue())
    return path


def define_name(wb: Workbook, name: str, ws: Worksheet, ref: str) -> None:
    """Workbook-level defined name ``name`` -> absolute ``ref`` ("C5:C28") on ``ws``."""
    wb.defined_names[name] = DefinedName(name, attr_text=f"{quote_sheet(ws.title)}!{absolute(ref)}")


# --------------------------------------------------------------------------- sheet furniture


def title(ws: Worksheet, text: str, subtitle: str) -> None:
    ws["A1"] = text
    ws["A1"].font = styles.TITLE_FONT
    ws["A2"] = subtitle
    ws["A2"].font = styles.SUBTITLE_FONT
    ws.row_dimensions[1].height = 24


def print_setup(ws: Worksheet, header_row: int | None = HEADER_ROW, landscape: bool = True,
                one_page: bool = False) -> None:
    """Fit to one page wide (``one_page``: and tall), repeat the header row, footer with sheet and page."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if one_page else 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.7
    ws.page_margins.header = ws.page_margins.footer = 0.3
    if header_row:
        ws.print_title_rows = f"{header_row}:{header_row}"
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.right.text = "Page &P of &N"
    ws.oddHeader.right.text = "&F"


def print_at_scale(ws: Worksheet, scale: int) -> None:
    """Print at a fixed ``scale`` percent instead of fitting to pages (call after :func:`print_setup`).

    For sheets with manual page breaks: Excel ignores them on a sheet set to fit to pages.
    """
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.page_setup.scale = scale


def split_across_pages(ws: Worksheet, break_after: int, scale: int, repeat_columns: str = "A:A") -> None:
    """Print a wide sheet as pages side by side, split after column ``break_after``, at ``scale`` percent.

    For sheets too wide for one legible page: fit-to-width would shrink 20
    columns to about half size.  The page break needs a fixed scale
    (:func:`print_at_scale`); ``repeat_columns`` (the row labels) is printed
    on every page.  Call after :func:`print_setup`.
    """
    print_at_scale(ws, scale)
    ws.col_breaks.append(Break(id=break_after))
    ws.print_title_cols = repeat_columns


def header_row(ws: Worksheet, row: int, col: int, headers: Sequence[str]) -> None:
    for offset, text in enumerate(headers):
        cell = ws.cell(row=row, column=col + offset, value=text)
        cell.font = styles.HEADER_FONT
        cell.fill = styles.HEADER_FILL
        cell.alignment = styles.HEADER_ALIGN
        cell.border = styles.GRID
    ws.row_dimensions[row].height = 32


def fit_width(header: str, number_format: str = "General", values: Sequence[Any] = ()) -> float:
    """A column width that fits the header (wrapped on words) and the widest value.

    >>> fit_width("Sales & Marketing Spend", "#,##0.00", [12345.5])
    16
    """
    longest_word = max((len(w) for w in header.split()), default=4)
    header_width = max(longest_word, (len(header) + 1) // 2) + 1  # two wrapped bold lines at most
    # Widths of typical values per format (money up to 9,999,999.99).
    by_format = {styles.MONTH_FORMAT: 9, styles.DATETIME_FORMAT: 16, "0.0%": 7, "#,##0": 9, "#,##0.00": 12,
                 '0.00"x"': 7}
    value_width = by_format.get(number_format, 0)
    for v in values:
        if isinstance(v, (int, float)) and number_format not in by_format:
            value_width = max(value_width, len(f"{v:,.2f}"))
        elif isinstance(v, str):
            value_width = max(value_width, len(v))
    return min(max(header_width, value_width, 6) + 3, 60)


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class InputColumn:
    """One column of an input table: header, cell format and what may be typed in."""

    header: str
    number_format: str = "General"
    #: "count" (whole >= 0), "money" or "nonneg" (>= 0), "fraction" (0..1), "score" (whole 0..10),
    #: "date", "any" (any number) or None (no check: text such as ids).
    check: str | None = None
    width: float | None = None


#: Data validations by check name: the core's domains (one home for "what may be typed in"), plus the
#: input tables' own column kinds (whole counts, amounts of money, dates).
_CHECKS: dict[str, dict[str, Any]] = {
    **{domain.check: domain.validation() for domain in DOMAINS},
    "count": dict(type="whole", operator="greaterThanOrEqual", formula1="0",
                  error="Enter a whole number of 0 or more."),
    "money": dict(NONNEG.validation(), error="Enter an amount of 0 or more."),
    "date": dict(type="date", operator="greaterThan", formula1="0", error="Enter a date."),
}


def validation(check: str, sqref: str) -> DataValidation:
    spec = dict(_CHECKS[check])
    dv = DataValidation(allow_blank=True, showErrorMessage=True, errorTitle="Invalid input",
                        errorStyle="stop", **spec)
    dv.add(sqref)
    return dv


def input_table(ws: Worksheet, name: str, columns: Sequence[InputColumn], rows: Sequence[Sequence[Any]],
                top: int = HEADER_ROW, left: int = 1) -> tuple[int, int]:
    """Write an input Excel Table (styled as inputs, validated); return (first, last) data row.

    ``rows`` are the values (None for an empty cell); a table needs at least
    one data row, so an empty ``rows`` gives one empty row.
    """
    rows = list(rows) or [[None] * len(columns)]
    header_row(ws, top, left, [c.header for c in columns])
    first, last = top + 1, top + len(rows)
    for c, column in enumerate(columns, start=left):
        letter = col_letter(c)
        for r, row in enumerate(rows, start=first):
            cell = ws.cell(row=r, column=c, value=row[c - left])
            cell.style = styles.INPUT_STYLE  # one assignment instead of font, fill and border: 3x faster
            cell.number_format = column.number_format  # after the style, which resets it
        # Validation reaches well below the table, so rows a user appends are checked too; the input
        # style covers the table's own rows (Excel gives rows added to a table the formatting above them).
        if column.check:
            ws.add_data_validation(validation(column.check, f"{letter}{first}:{letter}{top + VALIDATED_ROWS}"))
        values = [v[c - left] for v in rows]
        ws.column_dimensions[letter].width = column.width or fit_width(column.header, column.number_format, values)
    ref = f"{col_letter(left)}{top}:{col_letter(left + len(columns) - 1)}{last}"
    table = Table(displayName=name, ref=ref)
    table.tableStyleInfo = styles.TABLE_STYLE
    ws.add_table(table)
    return first, last


# --------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class OutputColumn:
    """One column of formulas: header, ``formula(row) -> "=..."``, format, defined name."""

    header: str
    formula: Callable[[int], str]
    number_format: str
    name: str | None = None
    width: float | None = None
    #: Horizontal alignment of the cells ("center" for short text verdicts).
    align: str | None = None


def echo_column(header: str, sheet: str, number_format: str, width: float | None = None) -> OutputColumn:
    """Column A of ``sheet`` (the month or period of an input row) repeated row by row, empty where it is empty.

    >>> echo_column("Month", "Funnel", "mmm yyyy").formula(5)
    '=IF(Funnel!A5="","",Funnel!A5)'
    """
    return OutputColumn(header, lambda r: f'=IF({sheet}!A{r}="","",{sheet}!A{r})', number_format, width=width)


def kpi_columns(sheet: str, kpis: Sequence[tuple[str, str, str, dict[str, str]]],
                width: float | None = None) -> list[OutputColumn]:
    """One KPI column per ``(header, defined name, KPI, {argument: column letter of sheet})``.

    Row ``r`` of each column computes from row ``r`` of ``sheet``; the formula is the KPI's
    definition rendered by :func:`~xl_kpi.templates.formulas.kpi_formula`, the format its unit's.

    >>> (leads,) = kpi_columns("Funnel", [("Visitor to Lead", "KPI_VISITOR_TO_LEAD_RATE", "CONVERSION_RATE",
    ...                                     {"conversions": "C", "total": "B"})])
    >>> leads.formula(5), leads.name, leads.number_format
    ('=IF((Funnel!B5)=0,"",Funnel!C5/Funnel!B5)', 'KPI_VISITOR_TO_LEAD_RATE', '0.0%')
    """
    def column(header: str, name: str, kpi: str, refs: dict[str, str]) -> OutputColumn:
        return OutputColumn(
            header, lambda r: kpi_formula(kpi, {arg: f"{sheet}!{col}{r}" for arg, col in refs.items()}),
            number_format(kpi), name, width=width)

    return [column(*spec) for spec in kpis]


def output_block(ws: Worksheet, columns: Sequence[OutputColumn], first: int, last: int,
                 top: int = HEADER_ROW, left: int = 1) -> dict[str, str]:
    """Write formula columns for rows ``first..last``; return {header: column letter}.

    Columns with a ``name`` become workbook-level defined names over their cells.
    """
    header_row(ws, top, left, [c.header for c in columns])
    letters: dict[str, str] = {}
    for c, column in enumerate(columns, start=left):
        letter = col_letter(c)
        letters[column.header] = letter
        for r in range(first, last + 1):
            cell = ws.cell(row=r, column=c, value=column.formula(r))
            cell.number_format = column.number_format
            cell.font = styles.CALC_FONT
            cell.border = styles.GRID
            if column.align:
                cell.alignment = Alignment(horizontal=column.align)
        ws.column_dimensions[letter].width = column.width or fit_width(column.header, column.number_format)
        if column.name:
            define_name(ws.parent, column.name, ws, f"{letter}{first}:{letter}{last}")
    return letters


def benchmark_rules(ws: Worksheet, ref: str, good: str, average: str | None = None,
                    higher_is_better: bool = False, anchor: str | None = None) -> None:
    """Traffic-light conditional formats on ``ref`` against named threshold cells.

    Lower is better (churn): <= good green, <= average amber, above red.
    Higher is better (LTV:CAC): >= good green, below red.  Empty cells (no
    value) are never coloured: every rule tests ISNUMBER first.  ``anchor``
    is the tested cell for the top-left of ``ref`` (default: that cell itself;
    "$C5" colours a whole row span by column C).
    """
    cell = anchor or ref.split(":")[0]
    if higher_is_better:
        rules = [(f"AND(ISNUMBER({cell}),{cell}>={good})", styles.GOOD_FILL, styles.GOOD_FONT),
                 (f"AND(ISNUMBER({cell}),{cell}<{good})", styles.BAD_FILL, styles.BAD_FONT)]
    else:
        rules = [(f"AND(ISNUMBER({cell}),{cell}<={good})", styles.GOOD_FILL, styles.GOOD_FONT),
                 (f"AND(ISNUMBER({cell}),{cell}<={average})", styles.AVERAGE_FILL, styles.AVERAGE_FONT),
                 (f"AND(ISNUMBER({cell}),{cell}>{average})", styles.BAD_FILL, styles.BAD_FONT)]
    for formula, fill, font in rules:
        ws.conditional_formatting.add(ref, FormulaRule(formula=[formula], fill=fill, font=font, stopIfTrue=True))


# --------------------------------------------------------------------------- assumptions


@dataclass(frozen=True)
class Assumption:
    """A named input cell the formulas refer to instead of a hard-coded number."""

    name: str
    label: str
    value: float
    number_format: str
    note: str
    check: str = "any"


def assumptions_block(ws: Worksheet, items: Sequence[Assumption], top: int, left: int = 1) -> dict[str, str]:
    """Label | value | note rows; each value cell an input with a workbook-level name.

    Returns {name: name} (formulas use the names, not cell addresses).
    """
    header_row(ws, top, left, ["Assumption", "Value", "Name", "Why"])
    for r, item in enumerate(items, start=top + 1):
        ws.cell(row=r, column=left, value=item.label).font = styles.LABEL_FONT
        cell = ws.cell(row=r, column=left + 1, value=item.value)
        cell.style = styles.INPUT_STYLE
        cell.number_format = item.number_format
        ws.cell(row=r, column=left + 2, value=item.name).font = styles.SUBTITLE_FONT
        note = ws.cell(row=r, column=left + 3, value=item.note)
        note.alignment = styles.WRAP
        letter = col_letter(left + 1)
        define_name(ws.parent, item.name, ws, f"{letter}{r}")
        ws.add_data_validation(validation(item.check, f"{letter}{r}"))
    widths = (max(len(i.label) for i in items) + 3, 12, max(len(i.name) for i in items) + 3, 70)
    for offset, width in enumerate(widths):
        ws.column_dimensions[col_letter(left + offset)].width = width
    return {i.name: i.name for i in items}


# --------------------------------------------------------------------------- how to use


def how_to_use(wb: Workbook, heading: str, purpose: str, steps: Sequence[str],
               sheets: Sequence[tuple[str, str]], names: Sequence[tuple[str, str]] = (),
               benchmarks: bool = False) -> Worksheet:
    """The first sheet: what the workbook does, how to fill it, what each sheet and name holds."""
    ws = wb.create_sheet("How to use", 0)
    title(ws, heading, "Built by xl_kpi. Native Excel formulas only: no add-in or macro is needed.")
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 95
    row = 4
    ws.cell(row=row, column=1, value=purpose).alignment = styles.WRAP
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
    ws.row_dimensions[row].height = 15 * (1 + len(purpose) // 110)
    row += 2

    def section(text: str) -> None:
        nonlocal row
        ws.cell(row=row, column=1, value=text).font = styles.SECTION_FONT
        row += 1

    section("Steps")
    for number, step in enumerate(steps, start=1):
        ws.cell(row=row, column=1, value=f"{number}.").alignment = styles.WRAP
        ws.cell(row=row, column=2, value=step).alignment = styles.WRAP
        ws.row_dimensions[row].height = 15 * (1 + len(step) // 95)
        row += 1
    row += 1
    section("Colour code")
    sample = ws.cell(row=row, column=1, value="Input (blue on cream)")
    sample.style = styles.INPUT_STYLE
    ws.cell(row=row, column=2, value="Type your figures here. Everything else is a formula: do not overwrite it.")
    row += 1
    legend = (
        ("Good", styles.GOOD_FILL, styles.GOOD_FONT, "At or better than the benchmark on the Assumptions sheet."),
        ("Average", styles.AVERAGE_FILL, styles.AVERAGE_FONT, "Between the good and the average benchmark."),
        ("High / below target", styles.BAD_FILL, styles.BAD_FONT, "Worse than the benchmark."),
    )
    for label, fill, font, meaning in (legend if benchmarks else ()):
        cell = ws.cell(row=row, column=1, value=label)
        cell.fill, cell.border = fill, styles.GRID
        cell.font = Font(name=styles.BODY_FONT.name, size=11, color=font.color)  # the rule fonts carry no name
        ws.cell(row=row, column=2, value=meaning)
        row += 1
    ws.cell(row=row, column=2,
            value="An empty result cell means the KPI is undefined for that row (for example nothing at the start "
                  "of the month to divide by), not an error.").alignment = styles.WRAP
    row += 2
    def described(name: str, text: str) -> None:
        nonlocal row
        label = ws.cell(row=row, column=1, value=name)
        label.font = styles.BOLD_FONT
        ws.cell(row=row, column=2, value=text).alignment = styles.WRAP
        if len(text) > 95:  # Excel does not grow a row for wrapped text on its own
            ws.row_dimensions[row].height = 15 * (1 + len(text) // 95)
            label.alignment = styles.WRAP  # top, beside the first line
        row += 1

    section("Sheets")
    for name, text in sheets:
        described(name, text)
    if names:
        row += 1
        section(f"Named ranges (use them in your own formulas, e.g. =AVERAGE({names[0][0]}))")
        for name, text in names:
            described(name, text)
    print_setup(ws, header_row=None, landscape=False)
    return ws


# --------------------------------------------------------------------------- single results


@dataclass(frozen=True)
class Result:
    """One named result cell (a KPI over a whole table column, such as NPS)."""

    label: str
    formula: str
    number_format: str
    name: str | None = None


def results_block(ws: Worksheet, items: Sequence[Result], top: int, left: int) -> dict[str, str]:
    """Label | value rows of formulas; named cells get workbook-level names. Returns {label: cell}."""
    header_row(ws, top, left, ["Result", "Value"])
    cells: dict[str, str] = {}
    for r, item in enumerate(items, start=top + 1):
        label = ws.cell(row=r, column=left, value=item.label)
        label.font, label.border = styles.LABEL_FONT, styles.GRID
        cell = ws.cell(row=r, column=left + 1, value=item.formula)
        cell.number_format = item.number_format
        cell.font, cell.border = styles.CALC_FONT, styles.GRID
        coordinate = f"{col_letter(left + 1)}{r}"
        cells[item.label] = coordinate
        if item.name:
            define_name(ws.parent, item.name, ws, coordinate)
    ws.column_dimensions[col_letter(left)].width = max(len(i.label) for i in items) + 4
    ws.column_dimensions[col_letter(left + 1)].width = 12
    return cells
