"""Shared look of the template workbooks: the modelling conventions finance teams expect.

* inputs: blue font on a light fill (the usual "this is typed in" signal),
* formulas: black on white,
* headers: white bold on dark blue, wrapped so columns stay narrow,
* benchmark colours: green = good, amber = average, red = high / below target.

Only styles live here; :mod:`xl_kpi.templates.sheets` applies them.
"""

from __future__ import annotations

from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.worksheet.table import TableStyleInfo

NAVY = "1F3864"
INPUT_BLUE = "0000FF"
INPUT_FILL_RGB = "FFF4D6"  # light cream: reads as "input" on screen and in print
CALC_FILL_RGB = "F2F2F2"

TITLE_FONT = Font(name="Calibri", size=16, bold=True, color=NAVY)
SUBTITLE_FONT = Font(name="Calibri", size=10, italic=True, color="595959")
SECTION_FONT = Font(name="Calibri", size=12, bold=True, color=NAVY)
BODY_FONT = Font(name="Calibri", size=11)
BOLD_FONT = Font(name="Calibri", size=11, bold=True)

HEADER_FONT = Font(name="Calibri", size=11, bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor=NAVY)
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)

INPUT_FONT = Font(name="Calibri", size=11, color=INPUT_BLUE)
INPUT_FILL = PatternFill("solid", fgColor=INPUT_FILL_RGB)
CALC_FONT = Font(name="Calibri", size=11, color="000000")
#: A single headline result (the KPI calculator): bold formula on light grey.
RESULT_FONT = Font(name="Calibri", size=11, bold=True, color="000000")
RESULT_FILL = PatternFill("solid", fgColor=CALC_FILL_RGB)
LABEL_FONT = Font(name="Calibri", size=11, bold=True)
#: A line that says what a sheet leaves out (dark red, so it is not missed).
WARNING_FONT = Font(name="Calibri", size=11, bold=True, color="C00000")
WRAP = Alignment(wrap_text=True, vertical="top")

THIN = Side(style="thin", color="BFBFBF")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)

# Benchmark colours (Excel's own "good / neutral / bad" cell-style palette).
GOOD_FILL = PatternFill("solid", fgColor="C6EFCE", bgColor="C6EFCE")
GOOD_FONT = Font(color="006100")
AVERAGE_FILL = PatternFill("solid", fgColor="FFEB9C", bgColor="FFEB9C")
AVERAGE_FONT = Font(color="9C5700")
BAD_FILL = PatternFill("solid", fgColor="FFC7CE", bgColor="FFC7CE")
BAD_FONT = Font(color="9C0006")

#: Input tables: light style without banding, so the input fill stays uniform.
TABLE_STYLE = TableStyleInfo(name="TableStyleLight1", showFirstColumn=False, showLastColumn=False,
                             showRowStripes=False, showColumnStripes=False)

#: Number formats for inputs (outputs take theirs from the KPI definition's unit).
MONTH_FORMAT = "mmm yyyy"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MONEY_FORMAT = "#,##0.00"
MONEY0_FORMAT = "#,##0"
COUNT_FORMAT = "#,##0"
PERCENT_FORMAT = "0.0%"


def input_style() -> NamedStyle:
    """The "Input" cell style: shows in Excel's Cell Styles gallery, so users can mark their own inputs."""
    return NamedStyle(name=INPUT_STYLE, font=INPUT_FONT, fill=INPUT_FILL, border=GRID)


INPUT_STYLE = "Input (xl_kpi)"
