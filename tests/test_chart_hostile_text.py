"""A chart's texts hold what its cells show: a character XML cannot hold is dropped, as in the cells.

A segment (a ledger's Plan or Region value) is a category of the Segments sheet's chart, so the chart part
holds it in its string cache.  A control character in it (a vertical tab pasted from another program, an
``_x0001_`` escape a writer left in the cell) was handed to openpyxl, whose lxml refuses it: the refresh
ended in "internal error (ValueError: All strings must be XML compatible ...); this is a bug".  The
worksheet writer drops such characters (:func:`xl_kpi.ooxml.text.text`); the chart writer now drops them
too, so the chart's cache is the cell's text and the refresh succeeds with a schema-valid chart.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile

import xlsxwriter
from lxml import etree

from tests.ooxml_schema import problems
from xl_kpi.cli import main as cli_main

NS_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#: segment as written in the ledger -> as the report's cells (and now its chart) show it
PLANS = {"Pro\x0bPlus": "ProPlus", "Basic\x01": "Basic", "R&D <team>": "R&D <team>"}


def _book(path) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    rows = [(f"c{c}", dt.datetime(2024, m, 1), 10.0 * (c + 1) + m, plan)
            for c, plan in enumerate(PLANS) for m in (1, 2, 3)]
    for i, (cid, month, mrr, plan) in enumerate(rows, start=1):
        ws.write_string(i, 0, cid)
        ws.write_datetime(i, 1, month, day)
        ws.write_number(i, 2, mrr)
        ws.write_string(i, 3, plan)  # (XlsxWriter stores a control character as its _xHHHH_ escape)
    ws.add_table(0, 0, len(rows), 3, {"name": "Ledger", "columns": [
        {"header": h} for h in ("Customer ID", "Month", "MRR", "Plan")]})
    wb.close()


def _segments_chart(path) -> tuple[list[str], bytes]:
    """The category texts of the chart whose title names the segments, and its part's bytes."""
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/charts/chart"):
                data = z.read(name)
                root = etree.fromstring(data)
                title = "".join(root.find(f"{{{NS_C}}}chart/{{{NS_C}}}title").itertext())
                if title.startswith("Ending and net new MRR by"):
                    cat = root.find(f".//{{{NS_C}}}cat")
                    return [v.text for v in cat.iter(f"{{{NS_C}}}v")], data
    raise AssertionError("no segments chart")


def test_a_segment_with_a_control_character_refreshes_and_its_chart_shows_the_cell_text(tmp_path, capsys):
    path = tmp_path / "book.xlsx"
    _book(path)
    shutil.copy(path, tmp_path / "before.xlsx")
    code = cli_main(["refresh", str(path), "--quiet"])
    err = capsys.readouterr().err
    assert (code, err) == (0, "")
    categories, _ = _segments_chart(path)
    assert sorted(categories) == sorted(PLANS.values())
    # the Segments sheet's cells show the same texts (the worksheet writer drops the characters too)
    with zipfile.ZipFile(path) as z:
        shown = {"".join(t.itertext()) for name in z.namelist() if name.startswith("xl/worksheets/")
                 for t in etree.fromstring(z.read(name)).iter(f"{{{NS_MAIN}}}is")}
    assert set(PLANS.values()) <= shown
    assert problems(path) == []
