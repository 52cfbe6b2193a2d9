"""The report's worksheet writer, rendered band by band and deflated as it goes, against a cell-by-cell
reference written here.

:func:`xl_kpi.ooxml.worksheet.worksheet_parts` renders a sheet's rows a
band at a time (the package writer deflates one band in a thread while the
next is rendered) through fast paths for columns of numbers, dates and
texts.  The reference below renders every cell through ``_cell`` (the one
cell writer, checked against ``text.number`` in test_read_speedups), in
block order, asking for each style as the report's cells meet them: the
joined parts must be that text and ask for the same styles in the same
order (the style sheet's new formats, hence the file, depend on it), for
any band size.  Then a whole refresh: any band size, the same file.
"""

from __future__ import annotations

import random
import re
import zipfile
import zlib

import numpy as np
import pytest

from xl_kpi.cells import a1
from xl_kpi.ooxml import worksheet
from xl_kpi.ooxml.worksheet import _cell, worksheet_parts, worksheet_xml
from xl_kpi.ooxml.zipcopy import StreamDeflate, deflate
from xl_kpi.refresh.report import Block, Column, ReportSheet


def reference(sheet: ReportSheet, style, date1904: bool = False) -> tuple[str, str]:
    """(dimension ref, sheetData content) of ``sheet``, every cell through ``_cell``."""
    xfs: dict = {}

    def xf_of(fmt, bold, **kw):
        key = (fmt, bold, tuple(sorted(kw.items())))
        if key not in xfs:
            xfs[key] = style(fmt, bold, **kw)
        return xfs[key]

    bold = xf_of(None, True)
    cells: dict[tuple[int, int], str] = {}
    for blk in sheet.blocks:
        if blk.title:
            cells[(blk.row - 1, blk.col)] = _cell(a1(blk.row - 1, blk.col), blk.title, bold)
        first = blk.row + int(blk.header)
        for j, col in enumerate(blk.columns):
            c = blk.col + j
            if blk.header:
                xf = xf_of(None, not blk.table, wrap=True) if blk.row in sheet.wrap_rows else 0 if blk.table else bold
                cells[(blk.row, c)] = _cell(a1(blk.row, c), col.header, xf)
            align = {"horizontal": col.align} if col.align else {}
            same = col.number_format is None or isinstance(col.number_format, str)
            col_xf = xf_of(col.number_format, False, **align) if same and len(col.values) else None
            for i, value in enumerate(col.values):
                xf = col_xf if same else xf_of(col.format_at(i), False, **align)
                formula = col.formulas[i] if col.formulas is not None else None
                cells[(first + i, c)] = _cell(a1(first + i, c), value, xf, formula, date1904)
    rows = sorted({r for r, _ in cells})
    body = []
    for r in rows:
        height = f' ht="{worksheet._number(sheet.wrap_rows[r])}" customHeight="1"' if r in sheet.wrap_rows else ""
        body.append(f'<row r="{r}"{height}>' + "".join(cells[k] for k in sorted(k for k in cells if k[0] == r))
                    + "</row>")
    last_row = max(rows) if rows else 1
    last_col = max([c for _, c in cells] + [1])
    return a1(1, 1, last_row, last_col), "".join(body)


TEXTS = ["plain", "cus_000123", "a & b", "<t>", "x\x01y", "caf\u00e9", "", " ", '"q"', "\ufffe"]


def random_sheet(rng: random.Random, nprng: np.random.Generator) -> ReportSheet:
    """Blocks side by side (sharing rows) and below each other, of every kind of column the report writes."""
    blocks, col, wrap = [], 1, {}
    for b in range(rng.randint(1, 4)):
        n = rng.choice([0, 1, 2, 5, 17, 40])
        columns = []
        for k in range(rng.randint(1, 5)):
            kind = rng.choice(["float", "int", "date", "text", "mixed", "formula", "formats", "short"])
            m = max(n - 3, 0) if kind == "short" else n  # a column shorter than its neighbours
            fmt = rng.choice([None, "#,##0.00", "0.0%", "mmm yyyy"])
            if kind in ("float", "short"):
                v = nprng.normal(0, 1e4, m).round(rng.choice([0, 2, 6]))
                v[nprng.random(m) < 0.2] = np.nan
                if m:
                    v[0] = rng.choice([0.0, -0.0, 1e15, 1e16, 0.1, 5e-324, 123.0])
            elif kind == "int":
                v = nprng.integers(-5, 5, m).astype(float)
            elif kind == "date":
                v = np.array("2024-01-01", dtype="datetime64[ns]") + nprng.integers(0, 900, m).astype("timedelta64[D]")
                if m > 2:
                    v[1] = np.datetime64("NaT")
                    v[2] = v[2] + np.timedelta64(6, "h")
            elif kind == "text":
                v = np.array([rng.choice(TEXTS) for _ in range(m)], dtype=object)
            elif kind == "mixed":
                v = np.array([rng.choice([rng.choice(TEXTS), 1.5, None, float("nan"), 7.0]) for _ in range(m)],
                             dtype=object)
            else:
                v = nprng.normal(0, 10, m)
            formulas = [f"SUM(A{i}:B{i})&\"<&>\"" for i in range(m)] if kind == "formula" else None
            if kind == "formats":
                fmt = [rng.choice(["0", "0.00", "0.0%"]) for _ in range(m)]
            columns.append(Column(rng.choice(TEXTS) + str(k), v, fmt, formulas, rng.choice([None, "left", "center"])))
        row = rng.randint(2, 30)
        table = f"T{b}" if rng.random() < 0.5 else None
        title = rng.choice([None, "Title & <more>"])
        blocks.append(Block(row, col, columns, table=table, title=title, header=rng.random() < 0.8))
        if rng.random() < 0.5:
            wrap[row] = 30.0
        col += len(columns) + rng.randint(1, 2)
    return ReportSheet("S", blocks, wrap_rows=wrap, widths={1: 10.0}, freeze_rows=rng.choice([0, 3]))


def recorder():
    calls = []

    def style(fmt, bold, wrap=False, horizontal=None):
        calls.append((fmt, bold, wrap, horizontal))
        return 3 + len(calls)
    return style, calls


@pytest.mark.parametrize("seed", range(40))
def test_bands_give_the_reference_text_and_style_order(seed):
    rng, nprng = random.Random(seed), np.random.default_rng(seed)
    sheet = random_sheet(rng, nprng)
    date1904 = seed % 3 == 0
    style, want_calls = recorder()
    dimension, data = reference(sheet, style, date1904)
    for band in (1, 2, 3, 7, 64, None):
        style, calls = recorder()
        xml = "".join(worksheet_parts(sheet, style, None, ["rId1"], date1904, band_rows=band))
        assert calls == want_calls, band
        assert re.search(r'<dimension ref="([^"]+)"/>', xml).group(1) == dimension, band
        assert xml[xml.index("<sheetData>") + 11:xml.index("</sheetData>")] == data, band
    assert xml == worksheet_xml(sheet, recorder()[0], None, ["rId1"], date1904)


def test_a_cell_two_blocks_write_is_written_once_as_the_later_block_has_it():
    """Blocks that overlap (no report lays them out so; a layout slip must not make a cell twice, which
    Excel repairs): each cell once, as the reference's later block writes it, whatever the band size."""
    texts = np.array(["cus_x0041_7", "a & b", "plain", "x", "y"], dtype=object)
    sheet = ReportSheet("S", [
        Block(2, 1, [Column("t", texts), Column("u", texts[::-1].copy()), Column("n", np.arange(5.0), "0.0")]),
        Block(4, 2, [Column("m", np.array([1.5, np.nan, 2.0])), Column("d", np.array(
            ["2024-01-01", "NaT", "2024-03-01"], dtype="datetime64[ns]"), "mmm yyyy")], title="T & t"),
    ])
    style, _ = recorder()
    dimension, data = reference(sheet, style)
    for band in (1, 2, 5, None):
        xml = "".join(worksheet_parts(sheet, recorder()[0], None, [], band_rows=band))
        assert xml[xml.index("<sheetData>") + 11:xml.index("</sheetData>")] == data, band
        assert re.search(r'<dimension ref="([^"]+)"/>', xml).group(1) == dimension, band
    assert "cus_x005F_x0041_7" in data and '<c r="B3"' in data and data.count('<c r="B4"') == 1


def test_a_sheet_without_cells():
    style, calls = recorder()
    xml = worksheet_xml(ReportSheet("S", []), style, None, [])
    assert '<dimension ref="A1:A1"/>' in xml and "<sheetData></sheetData>" in xml
    assert calls == [(None, True, False, None)]


def test_deflated_as_it_comes_is_deflated_whole():
    """zlib's output does not depend on how its input is cut between calls: the streamed part is stored as
    the whole part deflated at once would be (so an unchanged report still gives the same file)."""
    rng = random.Random(5)
    data = "".join(f'<row r="{r}"><c r="A{r}"><v>{rng.random() * 1e4:.2f}</v></c></row>'
                   for r in range(60_000)).encode()
    whole = deflate(data)
    for cuts in ([1 << 12], [1 << 16], [1, 7, 1 << 20], [rng.randrange(1, 1 << 18) for _ in range(50)]):
        stream, i, k = StreamDeflate(), 0, 0
        while i < len(data):
            n = cuts[k % len(cuts)]
            stream.feed(data[i:i + n])
            i, k = i + n, k + 1
        assert stream.result() == (*whole, len(data))
    assert zlib.decompress(whole[0], -15) == data
    empty = StreamDeflate()
    assert empty.result() == (*deflate(b""), 0)


def test_any_band_size_gives_the_same_file(tmp_path, monkeypatch):
    """A whole refresh (its movements table longer than a band of 3 rows, every sheet cut in bands of 3 or
    not at all): the same file, byte for byte."""
    import xlsxwriter

    from xl_kpi.refresh import refresh_file
    from xl_kpi.sample import generate_ledger

    df = generate_ledger(n_customers=40, n_months=14, seed=4)
    book = tmp_path / "book.xlsx"
    wb = xlsxwriter.Workbook(str(book))
    ws = wb.add_worksheet("Data")
    rows = [[c, m.to_pydatetime(), float(v)] for c, m, v in zip(df["customer_id"], df["month"], df["mrr"])]
    fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.add_table(0, 0, len(rows), 2, {"name": "Ledger", "columns": [
        {"header": "Customer ID"}, {"header": "Month", "format": fmt}, {"header": "MRR"}]})
    for i, row in enumerate(rows, start=1):
        ws.write_string(i, 0, row[0])
        ws.write_datetime(i, 1, row[1], fmt)
        ws.write_number(i, 2, row[2])
    wb.close()
    outputs = []
    for band in (3, 10**6):
        monkeypatch.setattr(worksheet, "BAND_ROWS", band)
        out = tmp_path / f"out{band}.xlsx"
        refresh_file(book, out)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    with zipfile.ZipFile(tmp_path / "out3.xlsx") as z:
        sheets = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert max(s.count(b"<row ") for s in sheets) > 3 * 10  # some sheet was cut in many bands
