"""Checks that keep an untrusted workbook from exhausting time or memory.

An .xlsx / .xlsm is a zip package of XML parts; two classic attacks hide in it:

* a **zip bomb**: a member that inflates far beyond its stored size (or a
  member count / total size no workbook needs).  ``check_zip`` looks only at
  the central directory, so it refuses such a file in milliseconds without
  inflating anything;
* an **XML entity bomb** ("billion laughs"): a DTD whose entities expand
  exponentially.  Every package part this package parses goes through
  ``parse_xml``, which uses defusedxml and refuses any DTD at all (OOXML never
  needs one).

Limits (why these numbers): a 1,000,000-row ledger sheet is ~150 MB of XML
compressed ~9:1; plain XML rarely compresses better than ~100:1, bombs reach
1000:1 and more.  A ratio above ``MAX_RATIO`` is refused once a member is
bigger than ``RATIO_FLOOR`` (tiny parts of repeated whitespace may compress
well and are harmless).

Example
-------
>>> import io, zipfile
>>> buf = io.BytesIO()
>>> with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
...     z.writestr("xl/worksheets/sheet1.xml", b"<a/>" + b" " * 50_000_000)
>>> try:
...     check_zip(zipfile.ZipFile(buf), "bomb.xlsx")
... except UserError as exc:
...     print(str(exc)[:60])
bomb.xlsx: refused: zip member 'xl/worksheets/sheet1.xml' in
"""

from __future__ import annotations

import zipfile

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as _defused_fromstring
from xml.etree.ElementTree import Element, ParseError

from xl_kpi.errors import UserError

#: Compression ratio above which a member counts as a zip bomb.
MAX_RATIO = 200
#: Members smaller than this (uncompressed) are not ratio-checked.
RATIO_FLOOR = 10 * 2**20
#: Largest single member and largest total, uncompressed.
MAX_MEMBER = 2 * 2**30
MAX_TOTAL = 4 * 2**30
MAX_MEMBERS = 20_000
#: Largest XML part this package parses into a tree (workbook, rels, tables, styles).
MAX_PARSED_PART = 64 * 2**20


def check_zip(zf: zipfile.ZipFile, label: str) -> None:
    """Refuse a package whose central directory announces a zip bomb.

    Only the central directory is read.  ``zipfile`` never inflates more than
    a member's declared size, so the declared sizes bound all later reads.
    """
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise UserError(f"{label}: refused: {len(infos)} zip members (a workbook has far fewer)")
    total = 0
    for info in infos:
        size, stored = info.file_size, max(info.compress_size, 1)
        total += size
        if size > MAX_MEMBER:
            raise UserError(f"{label}: refused: zip member {info.filename!r} would inflate to "
                            f"{size / 2**30:.1f} GiB")
        if size > RATIO_FLOOR and size / stored > MAX_RATIO:
            raise UserError(f"{label}: refused: zip member {info.filename!r} inflates {size // stored}:1 "
                            f"({stored:,} -> {size:,} bytes), which is a zip bomb, not a workbook")
        if info.flag_bits & 0x1:
            raise UserError(f"{label}: the workbook is encrypted (password protected); remove the password first")
    if total > MAX_TOTAL:
        raise UserError(f"{label}: refused: the package would inflate to {total / 2**30:.1f} GiB")


def read_part(zf: zipfile.ZipFile, name: str, label: str, limit: int = MAX_PARSED_PART) -> bytes:
    """The bytes of one member, refusing one larger than ``limit``."""
    info = zf.getinfo(name)
    if info.file_size > limit:
        raise UserError(f"{label}: refused: package part {name!r} is {info.file_size:,} bytes")
    return zf.read(info)


def parse_xml(data: bytes, part: str, label: str) -> Element:
    """Parse package XML with defusedxml: any DTD (hence any entity) is refused."""
    try:
        return _defused_fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise UserError(f"{label}: refused: package part {part!r} declares a DTD or entities "
                        f"({type(exc).__name__}); workbooks never need them") from None
    except ParseError as exc:
        raise UserError(f"{label}: package part {part!r} is not well-formed XML ({exc})") from None


def check_no_dtd(zf: zipfile.ZipFile, name: str, label: str) -> None:
    """Refuse a part handed to another parser (calamine) if it opens with a DTD.

    A DTD can only come before the root element, so the first few KB decide.
    """
    with zf.open(name) as fh:
        head = fh.read(4096)
    if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
        raise UserError(f"{label}: refused: package part {name!r} declares a DTD or entities; "
                        "workbooks never need them")
