"""What a command-line refresh imports: nothing it does not use.

Each import below costs every refresh its start-up time (openpyxl ~0.1 s:
its package imports its whole workbook model; ``xml.sax.saxutils`` imports
``urllib.request``, hence http, ssl and email, for one escape function) and
the refresh writes its charts and worksheets as text without them
(:mod:`xl_kpi.ooxml.chart`, :mod:`xl_kpi.ooxml.text`).  The refresh runs in a
fresh interpreter, as ``xl-kpi refresh`` does, and its ``sys.modules`` is
read at the end; the refreshed workbook is then opened to see that the
report (charts included) is there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import xlsxwriter

ROOT = Path(__file__).resolve().parents[1]

NOT_NEEDED = ["openpyxl", "openpyxl.chart", "xml.sax.saxutils", "urllib.request", "http.client"]

RUN = """
import json, sys
from xl_kpi.cli import main
code = main(["refresh", sys.argv[1], "--quiet"])
print(json.dumps([code, [m for m in sys.argv[2:] if m in sys.modules]]))
"""


def test_a_refresh_does_not_import_what_it_does_not_use(tmp_path):
    book = tmp_path / "book.xlsx"
    wb = xlsxwriter.Workbook(str(book))
    rows = [[f"c{i % 7}", f"2024-{1 + i // 7:02d}-01", 10.0 + i] for i in range(42)]
    wb.add_worksheet("Data").add_table(0, 0, len(rows), 2, {"name": "Ledger", "data": rows, "columns": [
        {"header": "Customer ID"}, {"header": "Month"}, {"header": "MRR"}]})
    wb.close()
    proc = subprocess.run([sys.executable, "-c", RUN, str(book), *NOT_NEEDED], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    code, imported = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (code, imported) == (0, [])
    with zipfile.ZipFile(book) as z:
        names = z.namelist()
    assert sum(n.startswith("xl/charts/chart") for n in names) >= 2  # MRR and ARR, the movements
