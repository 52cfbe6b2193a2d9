"""What a refresh guarantees about the user's file, whatever the file and whatever happens meanwhile.

* Damaged, hostile or unsupported packages end in one line naming the file
  (and the part), exit code 2, and the file byte for byte as it was.
* The refreshed copy is read back and checked before it replaces anything.
* Nobody's work is lost: a save during the refresh, Excel's or LibreOffice's
  lock file, a read-only file, a second refresh, a kill, Ctrl-C.
* Through a symbolic link the target is refreshed and the link kept;
  permissions and ownership are kept; the folder is synced.

Every case goes through the command line (in-process ``xl_kpi.cli.main`` or
a subprocess) or the Python API and checks the exact message.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from lxml import etree

from xl_kpi.cli import main as cli_main
from xl_kpi.errors import UserError
from xl_kpi.refresh import refresh_file, replace

ROOT = Path(__file__).resolve().parents[1]
GOOD = [["a", "2024-01-01", 10.0], ["b", "2024-01-01", 20.0], ["a", "2024-02-01", 15.0]]
REPAIR = "open it in Excel, let Excel repair it and save it again"


def make_book(path: Path) -> Path:
    """A ledger on 'Data' (B1:D4, table 'Ledger'), a user sheet 'Other' with text and a formula."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    ws.add_table(0, 1, len(GOOD), 3, {"name": "Ledger", "data": GOOD, "columns": [
        {"header": "Customer ID"}, {"header": "Month"}, {"header": "MRR"}]})
    other = wb.add_worksheet("Other")
    other.write("A1", "notes")
    other.write_formula("A2", "=SUM(Data!D2:D4)")
    wb.close()
    return path


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    return make_book(tmp_path_factory.mktemp("good") / "good.xlsx")


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def write_members(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def refresh_cli(path: Path, capsys, *extra: str) -> tuple[int, str]:
    """Run ``xl-kpi refresh`` in-process; (exit code, stderr)."""
    code = cli_main(["refresh", str(path), "--quiet", *extra])
    return code, capsys.readouterr().err


def assert_refused(path: Path, capsys, message: str) -> None:
    """Exit 2, exactly one line ``xl-kpi refresh: error: PATH: MESSAGE``, the file and its folder unchanged."""
    before = path.read_bytes()
    listing = sorted(p.name for p in path.parent.iterdir())
    code, err = refresh_cli(path, capsys)
    assert (code, err) == (2, f"xl-kpi refresh: error: {path}: {message}\n")
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == listing  # no temp, no lock left behind


# --------------------------------------------------------------------------- damaged packages (issue 9, case 7)


def _sub(parts: dict[str, bytes], part: str, old: bytes, new: bytes) -> dict[str, bytes]:
    assert old in parts[part], (part, old)
    return {**parts, part: parts[part].replace(old, new, 1)}


def _flip_inside(src: Path, dst: Path, member: str) -> Path:
    """``src`` with one byte of ``member``'s compressed data flipped (a bad CRC or a broken deflate stream)."""
    raw = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as z:
        info = z.getinfo(member)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start + info.compress_size // 2] ^= 0x55
    dst.write_bytes(bytes(raw))
    return dst


STYLES = re.compile(rb"<(fonts|cellXfs)\b.*?</\1>", re.S)

DAMAGED = {
    "not UTF-8": (lambda m: _sub(m, "xl/workbook.xml", b'name="Other"', b'name="Caf\xe9"'),
                  "package part 'xl/workbook.xml' is not UTF-8 text (byte 0xE9 at offset {at}): the file is damaged; "
                  "open it in Excel and save it again"),
    "styles relationship points at a worksheet": (
        lambda m: _sub(m, "xl/_rels/workbook.xml.rels", b'Target="styles.xml"', b'Target="worksheets/sheet2.xml"'),
        f"the styles relationship points at 'xl/worksheets/sheet2.xml', which is not a style sheet (its root is "
        f"<worksheet>): {REPAIR}"),
    "empty styleSheet": (
        lambda m: {**m, "xl/styles.xml": b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'},
        f"the styles part 'xl/styles.xml' has no fonts (every workbook has at least one): {REPAIR}"),
    "styles without fonts": (
        lambda m: {**m, "xl/styles.xml": re.sub(rb"<fonts\b.*?</fonts>", b"", m["xl/styles.xml"], flags=re.S)},
        f"the styles part 'xl/styles.xml' has no fonts (every workbook has at least one): {REPAIR}"),
    "styles without cellXfs": (
        lambda m: {**m, "xl/styles.xml": re.sub(rb"<cellXfs\b.*?</cellXfs>", b"", m["xl/styles.xml"], flags=re.S)},
        f"the styles part 'xl/styles.xml' has no cellXfs (every workbook has at least one): {REPAIR}"),
    "missing user sheet part": (
        lambda m: {k: v for k, v in m.items() if k != "xl/worksheets/sheet2.xml"},
        f"xl/workbook.xml: sheet 'Other': its part 'xl/worksheets/sheet2.xml' is missing from the package: {REPAIR}"),
    "missing ledger sheet part": (
        lambda m: {k: v for k, v in m.items() if k != "xl/worksheets/sheet1.xml"},
        f"xl/workbook.xml: sheet 'Data': its part 'xl/worksheets/sheet1.xml' is missing from the package: {REPAIR}"),
    "table id empty": (lambda m: _sub(m, "xl/tables/table1.xml", b' id="1"', b' id=""'),
                       f"table part 'xl/tables/table1.xml' (table 'Ledger') has id '', which is not a positive whole "
                       f"number: {REPAIR}"),
    "table id not a number": (lambda m: _sub(m, "xl/tables/table1.xml", b' id="1"', b' id="one"'),
                              f"table part 'xl/tables/table1.xml' (table 'Ledger') has id 'one', which is not a "
                              f"positive whole number: {REPAIR}"),
    "table ref empty": (lambda m: _sub(m, "xl/tables/table1.xml", b' ref="B1:D4"', b' ref=""'),
                        f"table part 'xl/tables/table1.xml' (table 'Ledger') has ref '', which is not a cell range: "
                        f"{REPAIR}"),
    "table ref not a range": (lambda m: _sub(m, "xl/tables/table1.xml", b' ref="B1:D4"', b' ref="B1:4D"'),
                              f"table part 'xl/tables/table1.xml' (table 'Ledger') has ref 'B1:4D', which is not a "
                              f"cell range: {REPAIR}"),
    "sheetId not an integer": (lambda m: _sub(m, "xl/workbook.xml", b'sheetId="2"', b'sheetId="2.5"'),
                               f"xl/workbook.xml: sheet 'Other' has sheetId '2.5', which is not a whole number: "
                               f"{REPAIR}"),
    "Strict Open XML": (
        lambda m: {k: v.replace(b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                                b"http://purl.oclc.org/ooxml/spreadsheetml/main")
                   .replace(b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                            b"http://purl.oclc.org/ooxml/officeDocument/relationships") for k, v in m.items()},
        "this is a Strict Open XML workbook: save it as an ordinary Excel Workbook (.xlsx)"),
    "Strict workbook part only": (
        lambda m: _sub(m, "xl/workbook.xml", b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                       b'xmlns="http://purl.oclc.org/ooxml/spreadsheetml/main"'),
        "this is a Strict Open XML workbook: save it as an ordinary Excel Workbook (.xlsx)"),
}


@pytest.mark.parametrize("case", list(DAMAGED))
def test_damaged_package_is_one_line_naming_the_part(good, tmp_path, capsys, case):
    mutate, message = DAMAGED[case]
    path = write_members(tmp_path / "book.xlsx", mutate(members(good)))
    if "{at}" in message:
        message = message.format(at=f"{members(path)['xl/workbook.xml'].index(b'Caf') + 3:,}")
    assert_refused(path, capsys, message)


@pytest.mark.parametrize("member", ["xl/workbook.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
                                    "xl/styles.xml", "docProps/app.xml"])
def test_member_with_bad_crc_is_named(good, tmp_path, capsys, member):
    """Read parts, the ledger sheet (read by calamine) and parts only copied: each one is named."""
    path = _flip_inside(good, tmp_path / "book.xlsx", member)
    with zipfile.ZipFile(path) as z:
        with pytest.raises((zipfile.BadZipFile, Exception)):
            z.read(member)  # the damage is real: zipfile itself fails on it
    assert_refused(path, capsys, f"package part {member!r} is damaged (its checksum does not match): the file "
                                 f"is corrupt; {REPAIR}")


def test_broken_deflate_stream_is_named(good, tmp_path, capsys):
    parts = members(good)
    path = tmp_path / "book.xlsx"
    write_members(path, parts)
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/worksheets/sheet2.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start:start + 4] = b"\xff\xff\xff\xff"  # reserved block type: zlib.error, not a CRC mismatch
    path.write_bytes(bytes(raw))
    assert_refused(path, capsys, f"package part 'xl/worksheets/sheet2.xml' is damaged (its compressed data is "
                                 f"broken): the file is corrupt; {REPAIR}")


def _central(path: Path, member: str) -> int:
    raw = path.read_bytes()
    pos = -1
    while True:
        pos = raw.index(b"PK\x01\x02", pos + 1)
        name_len = int.from_bytes(raw[pos + 28:pos + 30], "little")
        if raw[pos + 46:pos + 46 + name_len] == member.encode():
            return pos


@pytest.mark.parametrize("field, offset", [("compressed size", 20), ("local header offset", 42), ("CRC", 16)])
def test_damaged_central_directory(good, tmp_path, capsys, field, offset):
    path = tmp_path / "book.xlsx"
    shutil.copy(good, path)
    raw = bytearray(path.read_bytes())
    pos = _central(path, "xl/worksheets/sheet2.xml")
    raw[pos + offset] ^= 0x21
    path.write_bytes(bytes(raw))
    assert_refused(path, capsys, f"the zip package is damaged (its central directory does not match part "
                                 f"'xl/worksheets/sheet2.xml'): {REPAIR}")


def test_truncated_package(good, tmp_path, capsys):
    path = tmp_path / "book.xlsx"
    path.write_bytes(good.read_bytes()[:-40])
    assert_refused(path, capsys, f"the zip package is damaged or cut short (its central directory cannot be read: "
                                 f"File is not a zip file): {REPAIR}")


def test_password_protected_workbook(tmp_path, capsys):
    """Office stores an encrypted package in an OLE compound file (magic D0 CF 11 E0 A1 B1 1A E1)."""
    path = tmp_path / "secret.xlsx"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(512 - 8) + os.urandom(3584))
    assert_refused(path, capsys, "this workbook is password-protected (an encrypted file, not an ordinary .xlsx "
                                 "package): remove the password (File > Info > Protect Workbook > Encrypt with "
                                 "Password) and save it, then refresh it")


def test_dtd_after_a_long_comment_is_found(good, tmp_path, capsys):
    """The whole part goes through the parser: a DTD 10 KB into the ledger sheet is seen."""
    parts = members(good)
    sheet = parts["xl/worksheets/sheet1.xml"]
    root = sheet.index(b"<worksheet")
    evil = sheet[:root] + b"<!--" + b"x" * 10_000 + b'-->\n<!DOCTYPE w [<!ENTITY a "aaaa">]>' + sheet[root:]
    path = write_members(tmp_path / "book.xlsx", {**parts, "xl/worksheets/sheet1.xml": evil})
    assert_refused(path, capsys, "refused: package part 'xl/worksheets/sheet1.xml' declares a DTD or entities; "
                                 "workbooks never need them")


@pytest.mark.parametrize("where", ["prolog", "body"])
def test_a_large_part_has_its_prolog_parsed_and_its_body_scanned(good, tmp_path, capsys, monkeypatch, where):
    """Above WHOLE_PARSE_LIMIT (here lowered to 1 KB) a DTD 10 KB into the prolog is found by the parser,
    and a declaration in the body by the scan, wherever the 1 MB chunks are cut."""
    from xl_kpi.ooxml import safety

    monkeypatch.setattr(safety, "WHOLE_PARSE_LIMIT", 1024)
    parts = members(good)
    sheet = parts["xl/worksheets/sheet1.xml"]
    root = sheet.index(b"<worksheet")
    if where == "prolog":
        evil = sheet[:root] + b"<!--" + b"x" * 10_000 + b'-->\n<!DOCTYPE w [<!ENTITY a "aaaa">]>' + sheet[root:]
    else:
        data = sheet.index(b"<sheetData>")
        pad = b"<!--" + b"y" * ((1 << 20) - 11 - data) + b"-->"  # "<!DOCTYPE" then straddles the first chunk's end
        evil = sheet[:data] + pad + b"<!DOCTYPE w>" + sheet[data:]
    path = write_members(tmp_path / "book.xlsx", {**parts, "xl/worksheets/sheet1.xml": evil})
    assert_refused(path, capsys, "refused: package part 'xl/worksheets/sheet1.xml' declares a DTD or entities; "
                                 "workbooks never need them")
    # and below the limit nothing changes for a well-formed large sheet: it refreshes
    ok = sheet[:root] + b"<!--" + b"x" * 10_000 + b"-->" + sheet[root:]
    path = write_members(tmp_path / "fine.xlsx", {**parts, "xl/worksheets/sheet1.xml": ok})
    assert refresh_cli(path, capsys) == (0, "")


def test_ledger_sheet_that_is_not_well_formed_is_refused(good, tmp_path, capsys):
    """A cut-off ledger sheet is named with the parser's reason before calamine reads it."""
    parts = members(good)
    sheet = parts["xl/worksheets/sheet1.xml"]
    cut = sheet[:sheet.index(b"<row r=\"4\"")]
    path = write_members(tmp_path / "book.xlsx", {**parts, "xl/worksheets/sheet1.xml": cut})
    code, err = refresh_cli(path, capsys)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"xl-kpi refresh: error: {path}: package part 'xl/worksheets/sheet1.xml' is not "
                          "well-formed XML (no element found:")


# --------------------------------------------------------------------------- the copy is checked before it replaces


@pytest.fixture
def hook(monkeypatch):
    """Set ``replace.HOOK`` for one test: ``hook(fn)`` with ``fn(stage, tmp)``."""
    def set_hook(fn):
        monkeypatch.setattr(replace, "HOOK", fn)
    return set_hook


def _rewrite(tmp: Path, change) -> None:
    """Rewrite the temporary package with ``change(parts) -> parts`` (as a faulty writer would have)."""
    parts = change(members(tmp))
    write_members(tmp, parts)


CHECK = "nothing written, the file is unchanged: the refreshed copy failed its check ({}); please report this"


def _expat_error(data: bytes) -> str:
    """What a namespace-aware parser says about ``data`` (the check must report exactly that)."""
    from xml.parsers import expat

    parser = expat.ParserCreate(namespace_separator=" ")
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        return str(exc)
    raise AssertionError("the damaged part parses")


def _moved(parts):
    """The MRRBridge table's ref shifted one column right (its sheet and data unchanged)."""
    name = next(k for k, v in parts.items() if b'name="MRRBridge"' in v)
    ref = re.search(rb' ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"', parts[name])
    shift = lambda col: bytes([col[0] + 1]) + col[1:]
    new = shift(ref.group(1)) + ref.group(2) + b":" + shift(ref.group(3)) + ref.group(4)
    return {**parts, name: parts[name].replace(ref.group(0)[6:-1], new)}


def _report_sheet(parts) -> str:
    """The first worksheet part the refresh rendered (the input has sheet1 and sheet2)."""
    return min((k for k in parts if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", k)
                and k not in ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml")), key=lambda k: len(k) * 1000 + int(re.sub(r"\D", "", k)))


BAD_COPIES = {
    "cut short": (
        None,
        lambda parts: "the zip package is damaged or cut short (its central directory cannot be read: File is not a "
                      f"zip file): {REPAIR}"),
    "workbook.xml not XML": (
        lambda p: {**p, "xl/workbook.xml": p["xl/workbook.xml"][:-20]},
        lambda p: f"package part 'xl/workbook.xml' is not well-formed XML ({_expat_error(p['xl/workbook.xml'])})"),
    "unbound prefix": (
        lambda p: {**p, "xl/workbook.xml": p["xl/workbook.xml"].replace(b"<sheets>", b"<sheets><x:y/>", 1)},
        lambda p: f"package part 'xl/workbook.xml' is not well-formed XML ({_expat_error(p['xl/workbook.xml'])})"),
    "report table moved": (
        _moved,
        lambda p: "table 'mrrbridge' is at 'MRR Bridge'!{}, not 'MRR Bridge'!{}".format(*[
            re.search(rb' ref="([^"]+)"', v).group(1).decode() for v in
            (next(v for v in p.values() if b'name="MRRBridge"' in v),
             next(v for v in _ORIGINAL[0].values() if b'name="MRRBridge"' in v))])),
    "ledger table lost": (
        lambda p: {k: v for k, v in p.items() if k != "xl/worksheets/_rels/sheet1.xml.rels"},
        lambda p: "it has no table 'ledger'"),
    "ledger sheet copied wrongly": (
        "xl/worksheets/sheet1.xml",  # one stored byte flipped in the copy: compared with the original, not inflated
        lambda p: "its copy of part 'xl/worksheets/sheet1.xml' differs from the original"),
    "user sheet copied wrongly": (
        "xl/worksheets/sheet2.xml",  # not read by the refresh: inflated, its checksum fails, and it is no exact copy
        lambda p: f"package part 'xl/worksheets/sheet2.xml' is damaged (its checksum does not match): the file is "
                  f"corrupt; {REPAIR}"),
    "theme copied wrongly": (
        "xl/theme/theme1.xml",  # an XML part the refresh did not read, parsed whole: its checksum fails
        lambda p: f"package part 'xl/theme/theme1.xml' is damaged (its checksum does not match): the file is "
                  f"corrupt; {REPAIR}"),
    "report sheet changed": (  # well-formed, but not the bytes the writer rendered: no longer taken on trust
        lambda p: {**p, _report_sheet(p): p[_report_sheet(p)].replace(b'defaultRowHeight="15"', b'defaultRowHeight="16"')},
        lambda p: f"its part {_report_sheet(p)!r} is not what the refresh rendered"),
    "report sheet not XML": (  # what the writer rendered is compared, then parsed as before: the parser's reason
        lambda p: {**p, _report_sheet(p): p[_report_sheet(p)][:-20]},
        lambda p: f"package part {_report_sheet(p)!r} is not well-formed XML ({_expat_error(p[_report_sheet(p)])})"),
    "user sheet part lost": (
        lambda p: {k: v for k, v in p.items() if k != "xl/worksheets/sheet2.xml"},
        lambda p: f"xl/workbook.xml: sheet 'Other': its part 'xl/worksheets/sheet2.xml' is missing from the "
                  f"package: {REPAIR}"),
}
_ORIGINAL: list[dict] = []


@pytest.mark.parametrize("case", list(BAD_COPIES))
def test_a_copy_that_would_not_open_never_replaces_the_file(good, tmp_path, capsys, hook, case):
    """A faulty writer is simulated by damaging the temporary copy once it is written (the hook)."""
    change, reason = BAD_COPIES[case]
    path = tmp_path / "book.xlsx"
    shutil.copy(good, path)
    seen = {}

    def damage(stage, tmp):
        if stage != "written":
            return
        if change is None:
            tmp.write_bytes(tmp.read_bytes()[:-100])
            return
        if isinstance(change, str):
            _flip_inside(tmp, tmp, change)
            return
        _ORIGINAL[:] = [members(tmp)]
        seen["parts"] = change(members(tmp))
        write_members(tmp, seen["parts"])

    hook(damage)
    before = path.read_bytes()
    code, err = refresh_cli(path, capsys)
    assert (code, err) == (2, f"xl-kpi refresh: error: {path}: {CHECK.format(reason(seen.get('parts')))}\n")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


def test_the_check_parses_every_part_but_the_worksheets_it_rendered(good, tmp_path, monkeypatch):
    """The check of the refreshed copy parses every XML part copied from the input that the refresh did not
    read whole (a user's sheet, the theme, docProps), every part it edited (workbook, relationships, content
    types, styles) and every new part but the report's worksheets, which are compared with the bytes the
    writer deflated instead (their text is escaped by construction: see the hostile-text test below)."""
    from xl_kpi.refresh import verify

    parsed = []
    real = verify.check_no_dtd
    monkeypatch.setattr(verify, "check_no_dtd", lambda zf, name, *a, **k: (parsed.append(name), real(zf, name, *a, **k)))
    path = tmp_path / "book.xlsx"
    shutil.copy(good, path)
    refresh_file(path)
    after = members(path)
    report_sheets = {k for k in after if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", k)} - set(members(good))
    assert len(report_sheets) == len(openpyxl.load_workbook(path, read_only=True).sheetnames) - 2  # all but Data, Other
    assert not report_sheets & set(parsed)
    must = {"xl/worksheets/sheet2.xml", "xl/theme/theme1.xml", "docProps/app.xml", "docProps/core.xml",
            "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml"}
    must |= {k for k in set(after) - set(members(good))  # the report's new parts (the Ledger table is read whole)
             if k.startswith(("xl/charts/", "xl/drawings/", "xl/tables/", "xl/worksheets/_rels/"))}
    assert must <= set(parsed), must - set(parsed)
    assert len(parsed) == len(set(parsed))


DTD = b'<!DOCTYPE x [<!ENTITY a "aaaa">]>'


@pytest.mark.parametrize("part, root", [("xl/worksheets/sheet2.xml", b"<worksheet"), ("docProps/app.xml", b"<Properties"),
                                        ("xl/theme/theme1.xml", b"<a:theme")])
def test_a_hostile_part_copied_from_the_input_is_still_refused(good, tmp_path, capsys, part, root):
    """A part the refresh copies without reading it (a user's sheet, document properties, the theme) is
    checked in the copy: a DTD there is refused, the book untouched, even with the report's own worksheets
    no longer parsed again."""
    parts = members(good)
    assert root in parts[part]
    path = write_members(tmp_path / "book.xlsx", {**parts, part: parts[part].replace(root, DTD + root, 1)})
    assert_refused(path, capsys, f"refused: package part {part!r} declares a DTD or entities; "
                                 "workbooks never need them")


HOSTILE = ['<!DOCTYPE x [<!ENTITY a "aaaa">]>&a;', "a]]>b", "<c r=\"A1\"/>", "Tom & \"Jerry\" 'x'",
           "tab\there\r\nnew line", "bell\x07 nul\x00 esc\x1b", "\ufffe\uffff end", "caf\u00e9 \u4e2d \U0001f600",
           "", " lead and trail ", "&lt;already&gt;"]


def test_rendered_worksheets_are_well_formed_whatever_the_text(tmp_path):
    """The report's worksheets are not parsed again before the file is replaced: their writer must make
    well-formed, DTD-free XML of any text.  Hostile texts as cells, headers, titles and formulas: the part is
    parsed by expat (namespace-aware, any DTD refused: the check's own parser) and by lxml, and every cell holds
    its text with only the characters XML cannot hold removed."""
    import io
    import numpy as np
    from xml.parsers import expat

    from xl_kpi.ooxml.safety import check_no_dtd
    from xl_kpi.ooxml.worksheet import worksheet_xml
    from xl_kpi.refresh.report import Block, Column, ReportSheet

    texts = np.array(HOSTILE, dtype=object)
    mixed = np.array([*HOSTILE[:3], 1.5, None], dtype=object)
    sheet = ReportSheet("S", [Block(2, 1, [Column(HOSTILE[0], texts), Column(HOSTILE[2], np.arange(len(HOSTILE)) * 1.0,
                                                                             formulas=[f'="{t}"' for t in HOSTILE])],
                                    title=HOSTILE[3]),
                              Block(2, 4, [Column(HOSTILE[5], mixed, "0.0")], table="T")])
    xml = worksheet_xml(sheet, lambda fmt, bold, **kw: 0, None, []).encode("utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("s.xml", xml)
    check_no_dtd(zipfile.ZipFile(buf), "s.xml", "x", whole=True)  # no DTD, well-formed, UTF-8
    expat.ParserCreate(namespace_separator=" ").Parse(xml, True)
    root = etree.fromstring(xml)
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    got = {c.get("r"): ("".join(c.itertext()) if c.find(f"{main}is") is not None else
                        (c.findtext(f"{main}f"), c.findtext(f"{main}v")))
           for c in root.iter(f"{main}c")}
    # (a parser reads a line break CR LF or CR as LF: XML's end-of-line handling, not the writer's)
    clean = lambda t: re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", t).replace("\r\n", "\n").replace("\r", "\n")
    assert got["A1"] == clean(HOSTILE[3]) and got["A2"] == clean(HOSTILE[0]) and got["B2"] == clean(HOSTILE[2])
    for i, t in enumerate(HOSTILE):
        assert got[f"A{3 + i}"] == clean(t)
        assert got[f"B{3 + i}"] == (clean(f'="{t}"'), str(i))
    assert [got[f"D{3 + i}"] for i in range(3)] == [clean(t) for t in HOSTILE[:3]]
    assert got["D6"] == (None, "1.5") and got["D7"] == (None, None)


def test_a_refresh_of_hostile_customer_ids_writes_what_they_say(tmp_path):
    """End to end: customer ids that look like markup reach the MRR Movements table (a rendered worksheet the
    check compares, not parses), which lxml and openpyxl read back as the ids."""
    ids = ['<!DOCTYPE x [<!ENTITY a "aaaa">]>&a;', "a]]>b", '<c r="A1"/>', 'Tom & "Jerry"', "caf\u00e9 \u4e2d"]
    rows = [[cid, month, 10.0 + i] for i, cid in enumerate(ids) for month in ("2024-01-01", "2024-02-01")]
    rows += [[ids[0], "2024-03-01", 50.0]]
    path = tmp_path / "book.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("Data").add_table(0, 0, len(rows), 2, {"name": "Ledger", "data": rows, "columns": [
        {"header": "Customer ID"}, {"header": "Month"}, {"header": "MRR"}]})
    wb.close()
    refresh_file(path)
    assert opens(path) is None
    ws = openpyxl.load_workbook(path)["MRR Movements"]
    seen = {v for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)}
    assert set(ids) <= seen, set(ids) - seen


# --------------------------------------------------------------------------- nobody's work is lost (case 9)


def test_save_while_refreshing_wins(good, tmp_path, capsys, hook):
    path = tmp_path / "book.xlsx"
    shutil.copy(good, path)
    def save(stage, tmp):
        if stage == "replacing":
            path.write_bytes(b"PK" + os.urandom(200))  # the user saved: whatever it holds, it is theirs

    hook(save)
    code, err = refresh_cli(path, capsys)
    assert (code, err) == (2, f"xl-kpi refresh: error: {path} was saved while refreshing: nothing written, "
                              f"run it again\n")
    assert len(path.read_bytes()) == 202  # the user's save, not the refresh
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


def test_a_save_with_the_same_size_and_time_is_seen_by_its_content(good, tmp_path, hook):
    path = tmp_path / "book.xlsx"
    shutil.copy(good, path)
    st = path.stat()
    changed = bytearray(path.read_bytes())

    def save(stage, tmp):
        if stage == "replacing":
            changed[-3] ^= 0x01  # one byte of the zip comment length's neighbour: same size
            path.write_bytes(bytes(changed))
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the same modification time

    hook(save)
    with pytest.raises(UserError, match=re.escape(f"{path} was saved while refreshing: nothing written, run it again")):
        refresh_file(path)
    assert path.read_bytes() == bytes(changed) and path.stat().st_mtime_ns == st.st_mtime_ns


def test_source_saved_while_refreshing_into_another_file(good, tmp_path, hook):
    path, out = tmp_path / "book.xlsx", tmp_path / "out.xlsx"
    shutil.copy(good, path)
    hook(lambda stage, tmp: path.write_bytes(path.read_bytes() + b"\0") if stage == "replacing" else None)
    with pytest.raises(UserError, match=re.escape(f"{path} was saved while refreshing: nothing written, run it again")):
        refresh_file(path, out)
    assert not out.exists()


@pytest.mark.parametrize("lock, app", [("~$book.xlsx", "Excel"), (".~lock.book.xlsx#", "LibreOffice")])
def test_open_in_excel_or_libreoffice_is_refused(good, tmp_path, capsys, lock, app):
    path = tmp_path / "book.xlsx"
    shutil.copy(good, path)
    (tmp_path / lock).write_bytes(b"user")
    assert_refused(path, capsys, f"close book.xlsx in {app} first (its lock file {lock} is there; if no one has it "
                                 f"open, delete that file)")


def test_opened_in_excel_during_the_refresh_is_refused(good, tmp_path, capsys, hook):
    path = tmp_path / "book.xlsx"
    shutil.copy(good, path)
    before = path.read_bytes()
    hook(lambda stage, tmp: (tmp_path / "~$book.xlsx").write_bytes(b"u") if stage == "replacing" else None)
    code, err = refresh_cli(path, capsys)
    assert (code, err) == (2, f"xl-kpi refresh: error: {path}: close book.xlsx in Excel first (its lock file "
                              "~$book.xlsx is there; if no one has it open, delete that file)\n")
    assert path.read_bytes() == before


def test_read_only_file_is_refused(good, tmp_path, capsys):
    path = tmp_path / "book.xlsx"
    shutil.copy(good, path)
    path.chmod(0o444)
    assert_refused(path, capsys, "the file is read-only: nothing written (make it writable, or write the result "
                                 "elsewhere with --output)")
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    out = tmp_path / "out.xlsx"
    code, err = refresh_cli(path, capsys, "--output", str(out))  # reading it is fine
    assert (code, err) == (0, "") and openpyxl.load_workbook(out).sheetnames[-1] == "MRR Movements"


def test_leftovers_of_a_killed_refresh_are_removed_by_the_next(good, tmp_path, capsys):
    path = tmp_path / "book.xlsx"
    shutil.copy(good, path)
    ours = [tmp_path / ".~xlkpi-book.xlsx.k1ll3d_0.tmp", tmp_path / ".~xlkpi-book.xlsx.abcdefgh.tmp"]
    theirs = [tmp_path / ".~xlkpi-other.xlsx.abcdefgh.tmp", tmp_path / ".~xlkpi-book.xlsx.abc.tmp.keep"]
    for p in ours + theirs:
        p.write_bytes(b"half a zip")
    assert refresh_cli(path, capsys) == (0, "")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["book.xlsx"] + [p.name for p in theirs])


def test_through_a_symbolic_link_the_target_is_refreshed_and_the_link_kept(good, tmp_path, capsys):
    real_dir, link_dir = tmp_path / "real", tmp_path / "links"
    real_dir.mkdir()
    link_dir.mkdir()
    real = real_dir / "book.xlsx"
    shutil.copy(good, real)
    link = link_dir / "book.xlsx"
    link.symlink_to(real)
    assert refresh_cli(link, capsys) == (0, "")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert "KPI Summary" in openpyxl.load_workbook(real).sheetnames
    assert sorted(p.name for p in real_dir.iterdir()) == ["book.xlsx"]
    assert sorted(p.name for p in link_dir.iterdir()) == ["book.xlsx"]


def test_permissions_and_owner_are_kept(good, tmp_path, capsys):
    path = tmp_path / "book.xlsx"
    shutil.copy(good, path)
    path.chmod(0o640)
    owner = (path.stat().st_uid, path.stat().st_gid)
    if os.geteuid() == 0:  # root may give the file away: then the refresh must give the new one back
        owner = (65534, 65534)
        os.chown(path, *owner)
    assert refresh_cli(path, capsys) == (0, "")
    st = path.stat()
    assert stat.S_IMODE(st.st_mode) == 0o640 and (st.st_uid, st.st_gid) == owner
    assert "KPI Summary" in openpyxl.load_workbook(path).sheetnames


def test_the_folder_is_synced_after_the_rename(good, tmp_path, monkeypatch, capsys):
    path = tmp_path / "book.xlsx"
    shutil.copy(good, path)
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync-dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync-file"))
        real_fsync(fd)

    def replace_(a, b):
        events.append("replace")
        real_replace(a, b)

    monkeypatch.setattr(replace.os, "fsync", fsync)
    monkeypatch.setattr(replace.os, "replace", replace_)
    assert refresh_cli(path, capsys) == (0, "")
    assert events == ["fsync-file", "replace", "fsync-dir"]


# --------------------------------------------------------------------------- other processes: concurrency, kill, Ctrl-C

#: A refresh in a child process whose hook, at STAGE, writes FLAG (the temporary file's path) and then
#: waits for GO to exist (or sleeps, to be killed); argv: STAGE FLAG GO BOOK [more CLI args].
#: FLAG appears whole (written beside it, then renamed): ``write_text`` creates the file before it writes
#: the path, and a test that saw the file and read it in between got "" (under load, the test of a kill
#: read the temporary file's path as "" and failed).
PAUSED = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from xl_kpi.refresh import replace
    stage, flag, go = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])

    def pause(now, tmp):
        if now == stage:
            part = flag.with_name(flag.name + ".part")
            part.write_text(str(tmp))
            os.replace(part, flag)
            while not go.exists():
                time.sleep(0.02)

    replace.HOOK = pause
    from xl_kpi.cli import main
    sys.exit(main(["refresh", *sys.argv[4:]]))
""")


def _spawn(*args: str, script: str | None = None) -> subprocess.Popen:
    cmd = [sys.executable, "-c", script, *args] if script else [sys.executable, "-m", "xl_kpi.cli", *args]
    return subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(flag: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120  # a bound against a hung child, not a timing assertion
    while not flag.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert flag.exists(), proc.communicate()


def test_a_second_refresh_of_the_same_file_stops_and_the_first_completes(good, tmp_path):
    path, single = tmp_path / "book.xlsx", tmp_path / "single" / "book.xlsx"
    shutil.copy(good, path)
    single.parent.mkdir()
    shutil.copy(good, single)
    refresh_file(single)  # what one refresh gives
    flag, go = tmp_path / "paused", tmp_path / "go"
    first = _spawn("replacing", str(flag), str(go), str(path), script=PAUSED)
    try:
        _wait_for(flag, first)  # the first holds the lock, its copy written and checked
        second = subprocess.run([sys.executable, "-m", "xl_kpi.cli", "refresh", str(path)], cwd=ROOT,
                                env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
        assert (second.returncode, second.stderr) == (
            2, f"xl-kpi refresh: error: {path}: another refresh of book.xlsx is running: nothing written (wait for "
               "it to finish)\n")
        go.write_text("")
        out, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, err
    assert path.read_bytes() == single.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx", "go", "paused", "single"]
    # and afterwards the lock is free again
    refresh_file(path)
    assert path.read_bytes() == single.read_bytes()


def test_refreshes_of_one_file_in_a_row_give_one_refresh(good, tmp_path):
    """Several processes started together: each ends refreshed or 'another refresh ... is running'."""
    path, single = tmp_path / "book.xlsx", tmp_path / "single.xlsx"
    shutil.copy(good, path)
    shutil.copy(good, single)
    refresh_file(single)
    procs = [_spawn("refresh", str(path), "--quiet") for _ in range(3)]
    results = [(p.wait(120), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    busy = (2, f"xl-kpi refresh: error: {path}: another refresh of book.xlsx is running: nothing written (wait for "
               "it to finish)\n")
    assert all(r in ((0, ""), busy) for r in results), results
    assert (0, "") in results
    assert path.read_bytes() == single.read_bytes()


def test_kill_during_refresh_leaves_the_original_intact_and_the_next_refresh_tidies(good, tmp_path, capsys):
    path = tmp_path / "book.xlsx"
    shutil.copy(good, path)
    before = path.read_bytes()
    flag = tmp_path / "paused"
    proc = _spawn("written", str(flag), str(tmp_path / "never"), str(path), script=PAUSED)
    try:
        _wait_for(flag, proc)
        temp = Path(flag.read_text())
        assert temp.parent == path.parent and temp.exists()  # the new copy, beside the original
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=120)  # a bound against a hung child, as in _wait_for
        assert proc.returncode == -signal.SIGKILL  # killed at the hook, not ended on its own
    finally:
        if proc.poll() is None:
            proc.kill()
    assert path.read_bytes() == before
    assert temp.exists()  # left behind by the killed process ...
    assert refresh_cli(path, capsys) == (0, "")
    assert not temp.exists()  # ... and removed by the next refresh
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx", "paused"]


#: Ctrl-C simulated at a chosen moment: while a module is being imported (a finder raises
#: KeyboardInterrupt for it), or at a hook stage (the process sends itself SIGINT).
INTERRUPTED = textwrap.dedent("""
    import os, signal, sys
    where, book = sys.argv[1], sys.argv[2]

    class CtrlC:
        def find_spec(self, name, path=None, target=None):
            if name == where:
                raise KeyboardInterrupt

    sys.meta_path.insert(0, CtrlC())
    from xl_kpi.cli import main
    if not where.startswith(("pandas", "python_calamine", "xl_kpi", "numpy")):
        from xl_kpi.refresh import replace
        replace.HOOK = lambda stage, tmp: os.kill(os.getpid(), signal.SIGINT) if stage == where else None
    sys.exit(main(["refresh", book]))
""")


@pytest.mark.parametrize("where", ["numpy", "xl_kpi.refresh.cli", "pandas", "python_calamine", "written", "replacing"])
def test_ctrl_c_at_any_moment_is_one_line(good, tmp_path, where):
    path = tmp_path / "book.xlsx"
    shutil.copy(good, path)
    before = path.read_bytes()
    proc = subprocess.run([sys.executable, "-c", INTERRUPTED, where, str(path)], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    assert (proc.returncode, proc.stderr) == (130, "xl-kpi refresh: interrupted; nothing was changed\n")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


def test_an_unexpected_exception_is_one_line_naming_a_bug(good, tmp_path, capsys, hook):
    path = tmp_path / "book.xlsx"
    shutil.copy(good, path)
    before = path.read_bytes()

    def fail(stage, tmp):
        raise RuntimeError("boom")

    hook(fail)
    code, err = refresh_cli(path, capsys)
    assert (code, err) == (3, "xl-kpi refresh: internal error (RuntimeError: boom); this is a bug, please report it "
                              "(XL_KPI_TRACEBACK=1 shows where)\n")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


# --------------------------------------------------------------------------- fuzz

#: Parts the refresh reads (the ledger sheet and shared strings through calamine).
READ_PARTS = ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
              "xl/worksheets/sheet1.xml", "xl/worksheets/_rels/sheet1.xml.rels", "xl/tables/table1.xml",
              "xl/sharedStrings.xml"]
JUNK = ["", "x", "-1", "0", "99999999", "1.5", "A1:", "rId99", "../../nowhere.xml", " ", "\u00e9\u4e2d", "1e3"]


def _xml_mutant(data: bytes, rng: random.Random) -> bytes:
    """One structural change to an XML part: an element dropped, doubled or renamed, an attribute dropped or
    given a junk value, text replaced; or the text cut or a byte inserted."""
    how = rng.randrange(8)
    if how == 6:
        return data[:rng.randrange(len(data))]
    if how == 7:
        at = rng.randrange(len(data))
        return data[:at] + bytes([rng.randrange(256)]) + data[at:]
    root = etree.fromstring(data)
    elements = list(root.iter())
    el = rng.choice(elements)
    if how == 0 and el is not root:
        el.getparent().remove(el)
    elif how == 1 and el is not root:
        el.addnext(etree.fromstring(etree.tostring(el)))
    elif how == 2:
        el.tag = etree.QName(el).namespace and f"{{{etree.QName(el).namespace}}}zz" or "zz"
    elif how == 3 and el.attrib:
        del el.attrib[rng.choice(list(el.attrib))]
    elif how == 4 and el.attrib:
        el.set(rng.choice(list(el.attrib)), rng.choice(JUNK))
    else:
        el.text = rng.choice(JUNK)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _mutants(good: Path, seed: int = 9):
    """(label, bytes) of the damaged packages: byte flips, truncations, removed members, XML mutations."""
    rng = random.Random(seed)
    raw = good.read_bytes()
    parts = members(good)
    for i in range(30):
        data = bytearray(raw)
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        yield f"flip{i}", bytes(data)
    for i in range(8):
        yield f"cut{i}", raw[:rng.randrange(len(raw))]
    for name in parts:
        buf = tmp_zip({k: v for k, v in parts.items() if k != name})
        yield f"without {name}", buf
    for name in READ_PARTS:
        for i in range(7):
            yield f"{name} #{i}", tmp_zip({**parts, name: _xml_mutant(parts[name], rng)})


def tmp_zip(parts: dict[str, bytes]) -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


def opens(path: Path, report: bool = True) -> str | None:
    """Why a reader could not open ``path`` (None when it opens): the zip and every member's CRC, every XML
    part well-formed to a namespace-aware parser (lxml), openpyxl loads it (with the report sheets)."""
    try:
        with zipfile.ZipFile(path) as z:
            bad = z.testzip()
            if bad:
                return f"bad member {bad}"
            for name in z.namelist():
                if name.endswith((".xml", ".rels")):
                    etree.fromstring(z.read(name))
        wb = openpyxl.load_workbook(path)
        if report and not {"MRR Bridge", "Cohort Retention", "KPI Summary"} <= set(wb.sheetnames):
            return f"report sheets missing: {wb.sheetnames}"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def test_fuzz_never_a_traceback_never_a_broken_output(good, tmp_path):
    """A seeded, bounded fuzz (130 packages): each one is refused with a UserError (file unchanged, nothing
    left behind) or refreshed into a file that opens."""
    book, out = tmp_path / "book.xlsx", tmp_path / "out.xlsx"
    outcomes = {"refused": 0, "refreshed": 0, "copied damage": 0}
    for label, data in _mutants(good):
        book.write_bytes(data)
        try:
            refresh_file(book, out)
        except UserError as exc:
            assert "\n" not in str(exc), label
            assert book.read_bytes() == data, label
            assert not out.exists(), label
            outcomes["refused"] += 1
        else:
            why = opens(out)
            if why is not None:
                # The one exception: damage inside a user's own part that the refresh copies as it is and
                # does not interpret (a font size that is not a number, an unknown attribute): the input
                # fails to open in exactly the same way.  The refresh keeps user parts; it does not repair them.
                assert why == opens(book, report=False), f"{label}: exit 0 but the output does not open: {why}"
                outcomes["copied damage"] += 1
            outcomes["refreshed"] += 1
            out.unlink()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"], label
    assert outcomes["refused"] + outcomes["refreshed"] == 30 + 8 + 13 + 7 * len(READ_PARTS)
    assert outcomes["copied damage"] <= 3, outcomes
    assert outcomes["refused"] > 0 and outcomes["refreshed"] > 0, outcomes  # both kinds were exercised
