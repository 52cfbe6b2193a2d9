"""The faster paths of the in-workbook read give exactly what the slower ones gave.

* near-duplicate ids: str methods instead of pandas string columns and a regular
  expression (:func:`xl_kpi.ledger.ids.near_duplicates`);
* exact duplicate rows: integer keys counted first, the (key, amount) pairs
  compared only where a key repeats (:func:`xl_kpi.ledger.validation.duplicate_rows`);
* Excel error literals: columns without text settled by ``infer_dtype``, the id
  column looked at through its factorisation (:func:`xl_kpi.ledger.validation.error_mask`);
* the safety scan of the ledger sheet runs in a thread while calamine parses it:
  what it refuses is still refused first, and every error cell is still found.

Each is compared with the former implementation written out here, on hostile values.
"""

from __future__ import annotations

import random
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xlsxwriter

from xl_kpi.cells import ERROR_LITERALS
from xl_kpi.cli import main as cli_main
from xl_kpi.ledger.ids import groups_of_equal_keys, near_duplicates, parse_ids
from xl_kpi.ledger.validation import duplicate_rows, error_mask

# --------------------------------------------------------------------------- the former implementations


def near_duplicates_before(ids: np.ndarray) -> list[list[int]]:
    """near_duplicates' keys as they were (pandas string methods, a regular expression), grouped by the shared step."""
    if len(ids) < 2:
        return []
    keys = pd.Series(ids, dtype=object).str.casefold()
    digits = keys.str.fullmatch(r"\d+").fillna(False).to_numpy(dtype=bool)
    keys = keys.where(~digits, keys.str.lstrip("0").replace("", "0"))
    return groups_of_equal_keys(keys.to_numpy())  # the keys are what changed; the grouping is shared


def error_mask_before(s: pd.Series) -> np.ndarray:
    """error_mask as it was: a set of the cells' types, then ``isin`` over every row."""
    if s.dtype != object and not pd.api.types.is_string_dtype(s.dtype):
        return np.zeros(len(s), bool)
    if s.dtype == object and not any(issubclass(t, str) for t in set(map(type, s.to_numpy()))):
        return np.zeros(len(s), bool)
    return s.isin(list(ERROR_LITERALS)).to_numpy(dtype=bool)


# --------------------------------------------------------------------------- near-duplicate ids

#: Ids where casefolding and "digits only" are easy to get wrong: Unicode decimal digits (Arabic-Indic,
#: fullwidth: \d matches them) and digits that are not decimal (superscript two: \d does not), German sharp
#: s (casefolds to "ss"), dotted capital I, Kelvin sign, zeros only, signs and spaces before digits.
HOSTILE_IDS = ["d", "D", "00123", "123", "0123", "\u0661\u0662", "0\u0661\u0662", "\uff10\uff11", "\uff11",
               "\u00b2", "0\u00b2", "stra\u00dfe", "STRASSE", "Strasse", "\u0130x", "i\u0307x", "\u212a", "k",
               "0", "000", "00", "-012", "-12", " 12", "12 ", "x", "X", "0x1", "0X1", "1e3", "1E3", "", "007"]


def test_near_duplicates_as_before_on_hostile_ids():
    ids = np.array(HOSTILE_IDS, dtype=object)
    assert near_duplicates(ids) == near_duplicates_before(ids)
    groups = {tuple(ids[g]) for g in near_duplicates(ids)}
    assert ("00123", "123", "0123") in groups and ("stra\u00dfe", "STRASSE", "Strasse") in groups
    assert ("\u0661\u0662", "0\u0661\u0662") in groups  # only ASCII zeros lead: fullwidth "\uff10\uff11" is apart
    assert not any("\uff11" in g for g in groups)
    assert ("0", "000", "00") in groups and ("\u212a", "k") in groups
    assert not any("\u00b2" in g for g in groups)  # superscript two is no decimal digit: "0\u00b2" stays apart
    rng = random.Random(11)
    for _ in range(300):
        sample = rng.sample(HOSTILE_IDS, rng.randrange(0, len(HOSTILE_IDS)))
        ids = np.array(list(dict.fromkeys(sample)), dtype=object)  # distinct, as the customers are
        assert near_duplicates(ids) == near_duplicates_before(ids), list(ids)


def test_near_duplicate_messages_as_before(tmp_path):
    """Through validation: the data check lists the same groups, rows and wording."""
    from xl_kpi.ledger import prepare_ledger

    rng = random.Random(3)
    ids = [rng.choice(HOSTILE_IDS[:-2]) for _ in range(400)]  # (not the blank id "")
    df = pd.DataFrame({"customer_id": ids, "month": ["2024-01-01"] * len(ids), "mrr": [1.0] * len(ids)})
    check = next(c for c in prepare_ledger(df).checks if c.name == "near-duplicate ids")
    customers = list(dict.fromkeys(i.strip() for i in ids))
    groups = near_duplicates_before(np.array(customers, dtype=object))
    first = {c: ids.index(next(i for i in ids if i.strip() == c)) for c in customers}
    assert check.count == len(groups)
    assert list(check.examples) == [" / ".join(f"{customers[i]!r} (row {first[customers[i]] + 2})" for i in g)
                                    for g in groups][:len(check.examples)]


# --------------------------------------------------------------------------- duplicate rows


@pytest.mark.parametrize("dense", [True, False])
def test_duplicate_rows_as_dataframe_duplicated(dense):
    rng = np.random.default_rng(5)
    for n in (0, 1, 2, 7, 100, 5000):
        key = rng.integers(0, max(n // 3, 1), n) if dense else rng.integers(0, 2**60, n) * rng.integers(0, 2, n)
        key = key.astype(np.int64)
        amount = rng.choice([0.0, -0.0, 1.5, 2.0, np.nan, np.inf, -1.0], n)
        got = duplicate_rows(key, amount)
        want = pd.DataFrame({"k": key, "v": amount}).duplicated().to_numpy()
        assert got.dtype == bool and got.tolist() == want.tolist(), n


# --------------------------------------------------------------------------- error literals


def hostile_columns() -> list[pd.Series]:
    class Text(str):
        pass

    rng = random.Random(7)
    pool = [*sorted(ERROR_LITERALS), " #N/A", "#n/a", "#N/A ", "a", "", None, np.nan, 1.0, 0, True, False,
            pd.Timestamp("2024-01-01"), Text("#REF!"), Text("x"), b"#N/A", 3 + 0j]
    cols = [pd.Series([rng.choice(pool) for _ in range(rng.randrange(0, 60))], dtype=object) for _ in range(300)]
    cols += [pd.Series(["#N/A", "a", None], dtype="string"), pd.Series([1.0, 2.0]), pd.Series([], dtype=object),
             pd.Series([pd.Timestamp("2024-01-01"), None], dtype=object), pd.Series([True, "#DIV/0!"], dtype=object)]
    return cols


def test_error_mask_as_before_with_and_without_the_factorisation():
    for s in hostile_columns():
        want = error_mask_before(s)
        assert error_mask(s).tolist() == want.tolist(), s.tolist()
        if s.dtype == object:
            ids = parse_ids(s)  # the id column hands its factorisation over
            assert error_mask(s, ids.raw).tolist() == want.tolist(), s.tolist()
            # and a per-cell computation agrees: text equal to one of Excel's error literals
            assert want.tolist() == [isinstance(v, str) and str(v) in ERROR_LITERALS for v in s]


def test_the_id_factorisation_rebuilds_the_column():
    s = pd.Series(["a", " a", None, 1.0, True, 1, "#N/A", np.nan, "a"], dtype=object)
    codes, uniques = parse_ids(s).raw
    rebuilt = [None if c < 0 else uniques[c] for c in codes]
    assert [getattr(v, "value", v) for v in rebuilt] == [None if v is None or v != v else v for v in s]


# --------------------------------------------------------------------------- the scan beside calamine


def make_book(path: Path, inline: bool, errors: dict[str, str] | None = None, first_col: int = 1) -> Path:
    """A ledger table B1:D(n) on 'Data', its strings shared (as Excel writes them) or inline (as XlsxWriter's
    constant_memory mode does), with the cells of ``errors`` (A1 ref -> literal) made error cells
    (``<c t="e">``; #N/A as a formula's result)."""
    rows = [["a", "2024-01-01", 10.0], ["b", "2024-01-01", 20.0], ["a", "2024-02-01", 15.0]]
    rows += [[f"c{i}", "2024-02-01", 1.0 + i] for i in range(len(ERROR_LITERALS) + 2)]
    raw = path.with_suffix(".raw.xlsx")
    wb = xlsxwriter.Workbook(str(raw))
    ws = wb.add_worksheet("Data")
    ws.add_table(0, first_col, len(rows), first_col + 2, {"name": "Ledger", "data": rows, "columns": [
        {"header": "Customer ID"}, {"header": "Month"}, {"header": "MRR"}]})
    wb.close()
    with zipfile.ZipFile(raw) as zin:
        parts = {i.filename: zin.read(i) for i in zin.infolist()}
    raw.unlink()
    sheet = parts["xl/worksheets/sheet1.xml"]
    if inline:
        strings = re.findall(rb"<si><t[^>]*>([^<]*)</t></si>", parts.pop("xl/sharedStrings.xml"))
        sheet = re.sub(rb'<c r="([A-Z]+\d+)"( s="\d+")? t="s"><v>(\d+)</v></c>',
                       lambda m: b'<c r="' + m[1] + b'"' + (m[2] or b"") + b' t="inlineStr"><is><t>' +
                       strings[int(m[3])] + b"</t></is></c>", sheet)
        parts["xl/_rels/workbook.xml.rels"] = re.sub(rb"<Relationship [^>]*sharedStrings[^>]*/>", b"",
                                                     parts["xl/_rels/workbook.xml.rels"])
        parts["[Content_Types].xml"] = re.sub(rb"<Override [^>]*sharedStrings[^>]*/>", b"", parts["[Content_Types].xml"])
        assert b't="s"' not in sheet and b"sharedStrings" not in b"".join(parts.values())
    for ref, literal in (errors or {}).items():
        start = sheet.index(f'<c r="{ref}"'.encode())
        end = sheet.index(b"</c>", start) + 4
        cell = f'<c r="{ref}" t="e"><f>NA()</f><v>{literal}</v></c>' if literal == "#N/A" else \
            f'<c r="{ref}" t="e"><v>{literal}</v></c>'
        sheet = sheet[:start] + cell.encode() + sheet[end:]
    parts["xl/worksheets/sheet1.xml"] = sheet
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts.items():
            zout.writestr(name, data)
    return path


def refresh(path: Path, capsys) -> tuple[int, str]:
    code = cli_main(["refresh", str(path), "--quiet"])
    return code, capsys.readouterr().err


#: Error values calamine 0.9 refuses to read itself ("Unsupported cell error value", for the whole sheet): the
#: sheet is read from a copy where they are #N/A (xl_kpi.refresh.calamine_errors), the cell named as any other.
CALAMINE_UNREAD = {"#CALC!", "#SPILL!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!",
                   "#PYTHON!"}


def test_the_newer_error_literals_are_error_literals():
    assert CALAMINE_UNREAD <= ERROR_LITERALS and len(ERROR_LITERALS) == 7 + len(CALAMINE_UNREAD)


@pytest.mark.parametrize("inline", [False, True], ids=["shared strings", "inline strings"])
@pytest.mark.parametrize("column", ["B", "C", "D"])
def test_every_error_literal_is_found_in_each_column(tmp_path, capsys, inline, column):
    header = {"B": "Customer ID", "C": "Month", "D": "MRR"}[column]
    for k, literal in enumerate(sorted(ERROR_LITERALS)):
        row = 3 + k
        path = make_book(tmp_path / f"e{k}.xlsx", inline, {f"{column}{row}": literal})
        before = path.read_bytes()
        code, err = refresh(path, capsys)
        assert (code, err) == (2, f"xl-kpi refresh: error: {path}: Sheet 'Data', row {row}, column {header!r}: "
                                  f"the cell holds the Excel error {literal}; fix it or delete the row\n")
        assert path.read_bytes() == before


def with_cell_before(path: Path, row: int, cell: bytes) -> Path:
    """``path`` with ``cell`` (an A-column cell's XML) put first in sheet row ``row``, outside a table from B1."""
    with zipfile.ZipFile(path) as zin:
        parts = {i.filename: zin.read(i) for i in zin.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    start = sheet.index(f'<row r="{row}"'.encode())
    at = sheet.index(b">", start) + 1
    parts["xl/worksheets/sheet1.xml"] = sheet[:at] + cell + sheet[at:]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts.items():
            zout.writestr(name, data)
    return path


@pytest.mark.parametrize("literal", sorted(CALAMINE_UNREAD))
def test_a_newer_error_outside_the_table_no_longer_stops_the_refresh(tmp_path, capsys, literal):
    """A spilled formula beside the ledger showing #SPILL!: calamine refused the whole sheet; now the table is
    read, its numbers right (January: a 10 + b 20; February: a 15 and c0..c10 at 1 + i), the file only read
    for the check of the cell itself."""
    path = with_cell_before(make_book(tmp_path / "beside.xlsx", False),
                            3, f'<c r="A3" t="e"><f>X()</f><v>{literal}</v></c>'.encode())
    code, err = refresh(path, capsys)
    assert (code, err) == (0, "")
    ws = __import__("openpyxl").load_workbook(path, data_only=True)["MRR Bridge"]
    rows = list(ws[ws.tables["MRRBridge"].ref])
    header = [c.value for c in rows[0]]
    ending = [r[header.index("Ending MRR")].value for r in rows[1:]]
    n = len(ERROR_LITERALS) + 2
    assert ending == [30.0, 15.0 + sum(1.0 + i for i in range(n))]


def test_a_newer_error_in_another_workbooks_table_is_named(tmp_path, capsys):
    other = make_book(tmp_path / "other.xlsx", True, {"D5": "#SPILL!", "C8": "#CALC!"})
    target = make_book(tmp_path / "book.xlsx", False)
    before = other.read_bytes(), target.read_bytes()
    code = cli_main(["refresh", str(target), "--ledger", str(other), "--quiet"])
    assert (code, capsys.readouterr().err) == (
        2, f"xl-kpi refresh: error: {other}: sheet 'Data', row 5, column 'MRR': the cell holds the Excel error "
           "#SPILL!; fix it or delete the row (1 more error cell)\n")
    assert (other.read_bytes(), target.read_bytes()) == before


@pytest.mark.parametrize("first_col", [0, 1], ids=["from A1", "from B1"])  # (read row by row, or by to_python)
@pytest.mark.parametrize("inline", [False, True], ids=["shared strings", "inline strings"])
def test_all_error_cells_are_counted_and_the_first_named(tmp_path, capsys, inline, first_col):
    errors = {"D9": "#DIV/0!", "C4": "#REF!", "B7": "#N/A"}
    if first_col == 0:
        errors = {"C9": "#DIV/0!", "B4": "#REF!", "A7": "#N/A"}
    code, err = refresh(make_book(tmp_path / "many.xlsx", inline, errors, first_col), capsys)
    assert code == 2 and err.endswith("Sheet 'Data', row 4, column 'Month': the cell holds the Excel error #REF!; "
                                      "fix it or delete the row (2 more error cells)\n")


DTD = b'<!DOCTYPE w [<!ENTITY a "aaaa">]>'
REFUSED = "refused: package part '{}' declares a DTD or entities; workbooks never need them"


def _with(path: Path, out: Path, change) -> Path:
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, change(info.filename, zin.read(info)))
    return out


def _dtd(name: str, data: bytes, part: str) -> bytes:
    if name != part:
        return data
    root = data.index(b"<", data.index(b"?>"))
    return data[:root] + DTD + data[root:]


@pytest.mark.parametrize("inline", [False, True], ids=["shared strings", "inline strings"])
def test_a_dtd_is_refused_before_what_calamine_or_the_table_would_say(tmp_path, capsys, inline):
    """The scan runs beside calamine; its refusal still comes first: before a table without a header row, before
    calamine's own complaint about a sheet it cannot read, and with error cells in the sheet."""
    good = make_book(tmp_path / "good.xlsx", inline, {"D5": "#NUM!"})
    sheet = "xl/worksheets/sheet1.xml"
    cases = {
        "dtd": lambda n, d: _dtd(n, d, sheet),
        "dtd and no header row": lambda n, d: _dtd(n, d, sheet) if n != "xl/tables/table1.xml" else
        d.replace(b"<table ", b'<table headerRowCount="0" ', 1),
        "dtd and a cell calamine cannot read": lambda n, d: re.sub(rb'<c r="B2".*?</c>', b'<c r="B2" t="e"><v>#CALC!</v></c>',
                                                                  _dtd(n, d, sheet), count=1) if n == sheet else d,
    }
    for name, change in cases.items():
        path = _with(good, tmp_path / f"{name}.xlsx", change)
        before = path.read_bytes()
        code, err = refresh(path, capsys)
        assert (code, err) == (2, f"xl-kpi refresh: error: {path}: {REFUSED.format(sheet)}\n"), name
        assert path.read_bytes() == before
    if not inline:
        path = _with(good, tmp_path / "sst.xlsx", lambda n, d: _dtd(n, d, "xl/sharedStrings.xml"))
        assert refresh(path, capsys) == (2, f"xl-kpi refresh: error: {path}: "
                                            f"{REFUSED.format('xl/sharedStrings.xml')}\n")
    # without the DTD, the cell calamine cannot read and the table without a header row are named as before
    path = _with(good, tmp_path / "calc.xlsx", lambda n, d: cases["dtd and a cell calamine cannot read"](n, d).replace(DTD, b""))
    assert refresh(path, capsys) == (2, f"xl-kpi refresh: error: {path}: Sheet 'Data', row 2, column 'Customer ID': "
                                        "the cell holds the Excel error #CALC!; fix it or delete the row (1 more "
                                        "error cell)\n")
    path = _with(good, tmp_path / "noheader.xlsx", lambda n, d: cases["dtd and no header row"](n, d).replace(DTD, b""))
    assert refresh(path, capsys) == (2, f"xl-kpi refresh: error: {path}: the table 'Ledger' on sheet 'Data' has no "
                                        "header row; switch its Header Row on in Excel (Table Design)\n")


# --------------------------------------------------------------------------- the report writer's fast paths


def test_text_escapes_as_before_with_its_fast_path():
    """text() skips the escaping when nothing needs it; the result is what escaping everything gave."""
    from xml.sax.saxutils import escape

    from xl_kpi.ooxml.text import _ILLEGAL, text

    rng = random.Random(13)
    alphabet = ["a", "Z", "0", " ", "&", "<", ">", '"', "'", "\n", "\t", "\r", "\x00", "\x01", "\x0b", "\x1f",
                "\x7f", "\u00e9", "\u4e2d", "\ufffe", "\uffff", "\ufffd", "\U0001f600", "&amp;"]
    samples = ["", "plain", "C000123", "a & b", "<t>", "\x00"] + \
        ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12))) for _ in range(3000)]
    for s in samples:
        assert text(s) == escape(_ILLEGAL.sub("", s)), repr(s)


def test_attributes_escape_as_saxutils_did():
    """xl_kpi.ooxml.text spells out xml.sax.saxutils.escape (whose module imports urllib.request): attribute
    values and element text are escaped as saxutils escaped them."""
    from xml.sax.saxutils import escape

    from xl_kpi.ooxml import text as text_module

    rng = random.Random(14)
    alphabet = ["a", " ", "&", "<", ">", '"', "'", "\n", "\t", "\r", "\x01", "\u00e9", "&amp;", "&quot;", "\ufffe"]
    for s in ["", "plain", '"x" & <y>'] + ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
                                          for _ in range(3000)]:
        clean = text_module._ILLEGAL.sub("", s)
        assert text_module.attr(s) == '"' + escape(clean, text_module._ATTR) + '"', repr(s)
        assert text_module.escape(s) == escape(s) and text_module.escape(s, {"'": "&apos;"}) == escape(s, {"'": "&apos;"})


def test_a_column_of_numbers_is_written_as_number_writes_each():
    """The tails of a float column (each distinct value spelled once) make each cell as the one cell writer
    ``_cell`` writes it (xl_kpi.ooxml.text.number's spelling), repeated values, NaNs and 0.0 / -0.0 included."""
    from xl_kpi.ooxml.text import number
    from xl_kpi.ooxml.worksheet import _cell, _number_tails

    rng = np.random.default_rng(17)
    values = np.concatenate([rng.normal(0, 1e6, 500), rng.integers(-10**6, 10**6, 200).astype(float),
                             [0.0, -0.0, 1e15 - 1, 1e15, 1e15 + 2, -1e15, 1e16, 2.0**53, 0.1, 1 / 3, 5e-324,
                              np.nan, 1e300, -123456789.125, -0.0, 0.0, np.nan, 0.1]])
    rng.shuffle(values)
    rows = range(4, 4 + len(values))
    got = [f'<c r="C{r}' + tail for r, tail in zip(rows, _number_tails(values, ' s="7"').tolist())]
    assert got == [_cell(f"C{r}", v, 7) for r, v in zip(rows, values)]
    assert got == [f'<c r="C{r}" s="7"/>' if v != v else f'<c r="C{r}" s="7"><v>{number(v)}</v></c>'
                   for r, v in zip(rows, values.tolist())]
    with pytest.raises(OverflowError):  # an infinity is refused before the writer, and by it as by number()
        _number_tails(np.array([float("inf")]), "")


def test_parts_deflated_beside_the_rendering_give_the_same_file(tmp_path, monkeypatch):
    """Every new part deflated in a thread, or none: the refreshed files are identical, byte for byte."""
    from xl_kpi.refresh import file_backend, refresh_file

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764590400")
    book = make_book(tmp_path / "book.xlsx", inline=False)
    outputs = []
    for size in (0, 10**12):
        monkeypatch.setattr(file_backend, "DEFLATE_BESIDE", size)
        out = tmp_path / f"out{size}.xlsx"
        refresh_file(book, out)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    with zipfile.ZipFile(tmp_path / "out0.xlsx") as z:
        assert z.testzip() is None and len(z.namelist()) > 20


# --------------------------------------------------------------------------- the sheet read row by row into one array


def test_read_row_by_row_gives_the_cells_to_python_gives(tmp_path):
    """read_sheet's array (a sheet from A1) holds what calamine's to_python(skip_empty_area=False, nrows) holds,
    cell by cell and type by type, for every kind of cell and for nrows inside, at and past the sheet's end;
    a sheet beginning elsewhere is to_python's own answer."""
    import datetime as dt

    from python_calamine import CalamineWorkbook

    from xl_kpi.refresh.head_start import read_sheet

    path = tmp_path / "kinds.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    clock = wb.add_format({"num_format": "hh:mm:ss"})
    ws.write_row(0, 0, ["Customer ID", "Month", "MRR", "Note"])
    for r in range(1, 40):
        ws.write_string(r, 0, f"c{r:03d}" if r % 7 else " ")
        if r % 5 == 0:
            ws.write_datetime(r, 1, dt.datetime(2024, r % 12 + 1, 1, 13, 30), stamp)
        elif r % 6 == 0:
            ws.write_datetime(r, 1, dt.datetime(1900, 1, 1, 8, 15, 5), clock)
        elif r % 9:
            ws.write_datetime(r, 1, dt.datetime(2024, r % 12 + 1, 1), date)
        ws.write(r, 2, [1.5, 2, -0.0, True, False, "12.5", 1e300][r % 7])
        if r % 4 == 0:
            ws.write_formula(r, 3, "=C2*2", None, 3.0)
        elif r % 11 == 0:
            ws.write_rich_string(r, 3, "a ", wb.add_format({"bold": True}), "bold", " text")
    ws.write(45, 5, "far")  # a cell beyond the table, further right and down
    other = wb.add_worksheet("Offset")
    other.write_row(2, 1, ["Customer ID", "Month", "MRR"])  # from B3: to_python pads, the array path is not taken
    other.write_row(3, 1, ["a", 45292, 10.0])
    wb.close()

    def to_python(sheet, nrows):
        book = CalamineWorkbook.from_path(str(path))
        try:
            return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False, nrows=nrows)
        finally:
            book.close()

    for nrows in (1, 2, 30, 46, 47, 200):
        got = read_sheet(path, "Data", nrows, "kinds.xlsx")
        want = to_python("Data", nrows)
        assert isinstance(got, np.ndarray) and got.shape == (len(want), len(want[0]))
        assert [[(type(v), v) for v in row] for row in got.tolist()] == [[(type(v), v) for v in row] for row in want]
    kinds = {type(v) for row in want for v in row}
    assert {str, float, bool, dt.date, dt.datetime, dt.time} <= kinds  # the kinds of cell were all there
    offset = read_sheet(path, "Offset", 10, "kinds.xlsx")
    assert offset == to_python("Offset", 10) and offset[3][1:] == ["a", 45292.0, 10.0]
