"""A text holding a literal ``_xHHHH_`` is written so that a reader shows it literally.

ECMA-376 (Part 1, 22.9.2.19 ST_Xstring) makes ``_xHHHH_`` in a cell's text the character U+HHHH: Excel,
LibreOffice and python-calamine decode it.  A customer id typed ``cus_x0041_7`` (XlsxWriter and Excel store
it as ``cus_x005F_x0041_7``) was written raw into the report, so the MRR Movements sheet showed customer
``cusA7``.  The report's texts now escape the underscore of such a sequence, as Excel does.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import python_calamine
import xlsxwriter

from xl_kpi.cli import main as cli_main
from xl_kpi.ooxml.text import text

#: ids as typed in Excel; the last two hold no escape sequence (no 4 hex digits, no closing underscore)
IDS = ["cus_x0041_7", "_x263A_", "_X0041_", "a_x12_b", "_x004G_"]


def _decode(xstring: str) -> str:
    """ST_Xstring as the standard reads it: each ``_xHHHH_`` is U+HHHH (an independent reader for the test)."""
    return re.sub("_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), xstring)


def test_text_keeps_a_literal_escape_literal():
    for value in IDS + ["_x005F_x0041_", "plain", "R&D _x0026_"]:
        assert _decode(re.sub("&amp;", "&", text(value))) == value
    assert text("plain") == "plain" and text("cus_x0041_7") == "cus_x005F_x0041_7"


def test_a_refreshed_report_shows_ids_holding_escape_sequences_as_typed(tmp_path, capsys):
    book = tmp_path / "book.xlsx"
    wb = xlsxwriter.Workbook(str(book))
    ws = wb.add_worksheet("Data")
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    rows = [(cid, dt.datetime(2024, m, 1), 10.0 * (i + 1) + m) for i, cid in enumerate(IDS) for m in (1, 2)]
    for r, (cid, month, mrr) in enumerate(rows, start=1):
        ws.write_string(r, 0, cid)
        ws.write_datetime(r, 1, month, day)
        ws.write_number(r, 2, mrr)
    ws.add_table(0, 0, len(rows), 2, {"name": "Ledger", "columns": [{"header": h} for h in
                                                                     ("Customer ID", "Month", "MRR")]})
    wb.close()
    with zipfile.ZipFile(book) as z:  # the input as Excel would store it
        assert "cus_x005F_x0041_7" in z.read("xl/sharedStrings.xml").decode()

    assert cli_main(["refresh", str(book), "--quiet"]) == 0, capsys.readouterr()
    reader = python_calamine.CalamineWorkbook.from_path(str(book))
    rows = reader.get_sheet_by_name("MRR Movements").to_python()
    head = next(i for i, r in enumerate(rows) if "Customer ID" in r)
    col = rows[head].index("Customer ID")
    shown = {r[col] for r in rows[head + 1:] if r[col] != ""}
    assert shown == set(IDS)  # every customer is new in Jan 2024: each listed once, as typed
