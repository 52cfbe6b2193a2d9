"""The report's chart parts, written as text, against openpyxl's chart classes writing the same charts.

:func:`xl_kpi.ooxml.chart.chart_xml` spells out what openpyxl (under lxml)
writes for the kinds of chart a report draws, so that a refresh need not
import openpyxl.  Random charts - line or column, dates or labels as
categories, stacked or not, a secondary axis of 0-2 series, axis titles or
none, caches with blanks, text in number cells, huge and tiny numbers,
texts with markup characters and non-ASCII letters, in either date system -
must give the very bytes openpyxl gives; a text the writer does not escape
itself (a line break, a tab, a control character, an empty title) is
handed to openpyxl, with the same result.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from xl_kpi.ooxml import chart as chart_module
from xl_kpi.ooxml.chart import cell_values, chart_xml, openpyxl_chart_xml
from xl_kpi.refresh.report import Block, Chart, Column, RangeRef, ReportSheet, Series

PLAIN = ["MRR", "Net New MRR", "A & B", "<Pro>", '"Quoted"', "caf\u00e9", "\u4e2d\u6587", "\U0001f600 rocket",
         "it's", "x > y"]
AWKWARD = ["two\nlines", "tab\there", "cr\rhere", "", "bell\x07"]


def random_chart(rng: random.Random, nprng: np.random.Generator, texts: list[str]):
    n = rng.randint(1, 30)
    dated = rng.random() < 0.6
    if dated:
        cat = np.array("2019-01-01", dtype="datetime64[ns]") + (np.arange(n) * 31).astype("timedelta64[D]")
        if n > 3 and rng.random() < 0.3:
            cat[2] = np.datetime64("NaT")
        categories = Column("Month", cat, "mmm yyyy")
    else:
        categories = Column("Label", np.array([rng.choice(texts) + str(i) for i in range(n)], dtype=object))
    k = rng.randint(1, 4)
    columns = [categories]
    for j in range(k):
        values = nprng.normal(0, 10 ** rng.randint(0, 9), n)
        values[nprng.random(n) < 0.15] = np.nan
        if n > 1:
            values[1] = rng.choice([0.1 + 0.2, 1 / 3, 123456789.123456789, 1e-7, -0.0, 2.0 ** 60, 5.0])
        if rng.random() < 0.3:
            values = values.astype(object)
            values[0] = rng.choice(["n/a", None, 7.25])
        fmt = rng.choice([None, "#,##0", "0.0%", '0.00"x"'])
        columns.append(Column(rng.choice(texts), values, fmt))
    sheet = ReportSheet(rng.choice(["KPI Summary", "S", "It's"]), [Block(2, 1, columns)])
    name = sheet.name
    series = [Series(RangeRef(name, 2, 2 + j, 2, 2 + j), RangeRef(name, 3, 2 + j, 2 + n, 2 + j)) for j in range(k)]
    title = lambda: rng.choice(texts + [None]) if rng.random() < 0.5 else None  # noqa: E731
    chart = Chart(rng.choice(["line", "column"]), rng.choice(texts), RangeRef(name, 3, 1, 2 + n, 1), series,
                  row=1, col=9, height_rows=13, width_pt=360.0, end=(14, 0, 15, 0),
                  y_format=rng.choice(["#,##0", "0%", '0.00"x"', "#,##0.00"]), stacked=rng.random() < 0.4,
                  x_title=title(), y_title=title(), secondary=rng.randint(0, min(2, k)), y2_title=title())
    return chart, cell_values([sheet])


@pytest.mark.parametrize("seed", range(60))
def test_the_text_writer_writes_what_openpyxl_writes(seed):
    rng, nprng = random.Random(seed), np.random.default_rng(seed)
    chart, cells = random_chart(rng, nprng, PLAIN)
    date1904 = seed % 4 == 0
    want = openpyxl_chart_xml(chart, cells, date1904)
    assert chart_xml(chart, cells, date1904) == want


def test_a_refresh_writes_its_charts_without_openpyxl(tmp_path, monkeypatch):
    """A whole refresh (every report chart: MRR and ARR on two axes, stacked movements, retention lines,
    segments on labels) takes the text path: openpyxl's writer is never called, and each chart part is what
    it would have written."""
    import zipfile

    import xlsxwriter

    from xl_kpi.refresh import refresh_file
    from xl_kpi.sample import generate_ledger

    df = generate_ledger(n_customers=40, n_months=15, seed=8)
    df["plan"] = np.array(["Basic", "Pro & Co"])[np.arange(len(df)) % 2]
    book = tmp_path / "book.xlsx"
    wb = xlsxwriter.Workbook(str(book))
    ws = wb.add_worksheet("Data")
    fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.add_table(0, 0, len(df), 3, {"name": "Ledger", "columns": [
        {"header": "Customer ID"}, {"header": "Month", "format": fmt}, {"header": "MRR"}, {"header": "Plan"}]})
    for i, (c, m, v, p) in enumerate(zip(df["customer_id"], df["month"], df["mrr"], df["plan"]), start=1):
        ws.write_string(i, 0, c)
        ws.write_datetime(i, 1, m.to_pydatetime(), fmt)
        ws.write_number(i, 2, float(v))
        ws.write_string(i, 3, p)
    wb.close()
    written = []
    real = chart_module.chart_xml
    monkeypatch.setattr(chart_module, "openpyxl_chart_xml", lambda *a: pytest.fail("openpyxl was asked"))

    def recording(chart, cells, date1904=False):
        xml = real(chart, cells, date1904)
        written.append((chart, cells, date1904, xml))
        return xml

    from xl_kpi.refresh import file_backend
    monkeypatch.setattr(file_backend, "chart_xml", recording)
    refresh_file(book)
    monkeypatch.undo()
    kinds = {(c.kind, bool(c.secondary), c.stacked) for c, *_ in written}
    assert {("line", True, False), ("column", False, True), ("line", False, False)} <= kinds, kinds
    assert any(not chart_module._dated(c.categories, cells) for c, cells, *_ in written)  # the segments' labels
    with zipfile.ZipFile(book) as z:
        stored = sorted(z.read(n) for n in z.namelist() if n.startswith("xl/charts/"))
    assert stored == sorted(xml for *_, xml in written)
    for chart, cells, date1904, xml in written:
        assert openpyxl_chart_xml(chart, cells, date1904) == xml


@pytest.mark.parametrize("seed", range(12))
def test_awkward_texts_go_to_openpyxl(seed, monkeypatch):
    rng, nprng = random.Random(100 + seed), np.random.default_rng(seed)
    chart, cells = random_chart(rng, nprng, PLAIN[:3] + AWKWARD)
    try:
        want = openpyxl_chart_xml(chart, cells)
    except ValueError as exc:  # lxml refuses a control character: so does the writer, by the same call
        with pytest.raises(ValueError, match=str(exc)[:20]):
            chart_xml(chart, cells)
        return
    assert chart_xml(chart, cells) == want
