"""Checks that keep an untrusted workbook from exhausting time or memory.

An .xlsx / .xlsm is a zip package of XML parts; two classic attacks hide in it:

* a **zip bomb**: a member that inflates far beyond its stored size (or a
  member count / total size no workbook needs).  ``check_zip`` looks only at
  the central directory, so it refuses such a file in milliseconds without
  inflating anything;
* an **XML entity bomb** ("billion laughs"): a DTD whose entities expand
  exponentially.  Every package part this package parses goes through
  ``parse_xml``, which uses defusedxml and refuses any DTD at all (OOXML never
  needs one); the parts handed to another parser (calamine) are streamed
  whole through expat with defusedxml's guards first (``check_no_dtd``).

A damaged member (bad CRC, broken deflate stream, cut short) or text that is
not UTF-8 is named in a one-line ``UserError`` too: ``read_part`` and
``parse_xml`` never let zipfile's or the parser's exceptions escape.

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

import codecs
import re
import weakref
import zipfile
import zlib
from typing import Callable
from xml.parsers import expat

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


def damaged_member(label: str, name: str, exc: BaseException) -> UserError:
    """The message for a member whose stored bytes do not inflate to what the directory says."""
    reason = "its checksum does not match" if "CRC" in str(exc) else \
        "it is cut short" if isinstance(exc, EOFError) else "its compressed data is broken"
    return UserError(f"{label}: package part {name!r} is damaged ({reason}): the file is corrupt; "
                     "open it in Excel, let Excel repair it and save it again")


#: What reading a zip member raises when its bytes are damaged (zipfile lets zlib's errors through).
MEMBER_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, NotImplementedError)


#: Members whose stored bytes have been read to the end (so their CRC is known good), by open zip file:
#: the check of a refreshed copy compares its raw copy of such a member instead of inflating it again.
_READ_WHOLE: "weakref.WeakKeyDictionary[zipfile.ZipFile, set[str]]" = weakref.WeakKeyDictionary()


def crc_checked(zf: zipfile.ZipFile) -> set[str]:
    """Members of ``zf`` that :func:`read_part` or :func:`check_no_dtd` read to the end (their CRC matched)."""
    return set(_READ_WHOLE.get(zf, ()))


def read_part(zf: zipfile.ZipFile, name: str, label: str, limit: int = MAX_PARSED_PART) -> bytes:
    """The bytes of one member, refusing one larger than ``limit`` or one that is damaged."""
    info = zf.getinfo(name)
    if info.file_size > limit:
        raise UserError(f"{label}: refused: package part {name!r} is {info.file_size:,} bytes")
    try:
        data = zf.read(info)
    except MEMBER_ERRORS as exc:
        raise damaged_member(label, name, exc) from None
    _READ_WHOLE.setdefault(zf, set()).add(name)
    return data


_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _is_utf8(head: bytes) -> bool:
    """Whether a part starting with ``head`` is meant to be UTF-8 (no BOM or declaration saying otherwise)."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return False
    m = _DECLARED.match(head)
    return not m or m.group(1).lower().replace(b"_", b"-") in (b"utf-8", b"utf8")


def not_utf8(data: bytes) -> str | None:
    r"""Where a part that should be UTF-8 is not ('byte 0xE9 at offset 12'), else None.

    Parts that declare another encoding (or start with a UTF-16 byte order
    mark) are left to the parser, which honours the declaration.

    >>> not_utf8(b"<a>caf\xc3\xa9</a>"), not_utf8(b"<a>caf\xe9</a>")
    (None, 'byte 0xE9 at offset 6')
    """
    if not _is_utf8(data[:200]):
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"byte 0x{data[exc.start]:02X} at offset {exc.start:,}"
    return None


def parse_xml(data: bytes, part: str, label: str) -> Element:
    """Parse package XML with defusedxml: any DTD (hence any entity) is refused."""
    try:
        return _defused_fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise UserError(f"{label}: refused: package part {part!r} declares a DTD or entities "
                        f"({type(exc).__name__}); workbooks never need them") from None
    except (ParseError, LookupError, ValueError) as exc:  # LookupError, ValueError: an encoding it cannot read
        where = not_utf8(data)
        if where:
            raise UserError(f"{label}: package part {part!r} is not UTF-8 text ({where}): the file is "
                            "damaged; open it in Excel and save it again") from None
        raise UserError(f"{label}: package part {part!r} is not well-formed XML ({exc})") from None


class _Refused(Exception):
    pass


class _Prolog(Exception):
    """Raised at the root element's start when only the prolog is parsed."""


def _refuse(*args) -> None:
    raise _Refused


#: Parts up to this size (uncompressed) are parsed whole before calamine reads them; a bigger one (a
#: large ledger sheet, 40 MB per 300,000 rows) has its prolog parsed and the rest scanned for markup
#: declarations: parsing it whole would add a quarter to the refresh, and calamine parses it anyway.
WHOLE_PARSE_LIMIT = 16 * 2**20
_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")


def check_no_dtd(zf: zipfile.ZipFile, name: str, label: str, root: str | None = None, whole: bool | None = None,
                 chunk: int = 1 << 20, scan: Callable[[bytes], None] | None = None) -> None:
    """Stream a whole part through expat before it goes to another parser (calamine).

    The part is refused if it declares a DTD or an entity anywhere (the
    handlers defusedxml installs with ``forbid_dtd=True``, on a bare expat
    parser: a tree of a 150 MB sheet is not needed), is not well-formed
    (unbound namespace prefixes included), is not UTF-8, or (with ``root``,
    '{namespace}name') has another root element.  Memory stays at one
    chunk; a damaged member (bad CRC, broken deflate stream) is named too.

    ``whole=False`` (the default above ``WHOLE_PARSE_LIMIT``) parses the
    prolog, however long (a DTD can only stand there), up to the root
    element, and scans the rest for ``<!DOCTYPE`` / ``<!ENTITY``, which no
    well-formed body holds; the member is still read to its end (its CRC).

    ``scan``, if given, sees every block of the part's bytes as well (the
    empty block last), so another search over the part (the error-cell scan
    of :func:`xl_kpi.refresh.file_backend.error_cells`) shares this one
    inflate of a 150 MB sheet instead of inflating it again.
    """
    if whole is None:
        whole = zf.getinfo(name).file_size <= WHOLE_PARSE_LIMIT
    parser = expat.ParserCreate(namespace_separator=" ")  # namespace-aware: an unbound prefix is an error
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    seen: list[str] = []

    def first_element(tag, attrs):
        seen.append(tag)
        parser.StartElementHandler = None  # one Python call for the root only: the rest stays in C
        if not whole:
            raise _Prolog

    parser.StartElementHandler = first_element
    check = codecs.getincrementaldecoder("utf-8")()
    utf8, offset, parsing, tail = None, 0, True, b""
    try:
        with zf.open(name) as fh:
            while True:
                block = fh.read(chunk)
                if utf8 is None:
                    utf8 = whole and _is_utf8(block[:200])
                if utf8:
                    try:
                        check.decode(block, final=not block)
                    except UnicodeDecodeError as exc:  # exc.object: the decoder's held-back bytes + block
                        at = offset - (len(exc.object) - len(block)) + exc.start
                        raise UserError(f"{label}: package part {name!r} is not UTF-8 text (byte "
                                        f"0x{exc.object[exc.start]:02X} at offset {at:,}): the file is "
                                        "damaged; open it in Excel and save it again") from None
                if scan is not None:
                    scan(block)
                if parsing:
                    try:
                        parser.Parse(block, not block)
                    except _Prolog:
                        parsing = False
                if not parsing:
                    # one search for "<!" per block (a worksheet body has none), the declarations looked
                    # for only around a hit; the block's start is also seen joined to the last one's tail
                    edge = tail + block[:len(_DECLARATIONS[0])]
                    if (b"<!" in block or b"<!" in edge) and any(d in tail + block for d in _DECLARATIONS):
                        raise _Refused
                    tail = (tail + block)[-(len(_DECLARATIONS[0]) - 1):] if len(block) < len(_DECLARATIONS[0]) \
                        else block[-(len(_DECLARATIONS[0]) - 1):]
                offset += len(block)
                if not block:
                    break
        _READ_WHOLE.setdefault(zf, set()).add(name)
        if root is not None and seen and seen[0] != root.lstrip("{").replace("}", " "):
            ns, _, local = seen[0].rpartition(" ")
            raise UserError(f"{label}: package part {name!r} is not what its relationship says (its root is <{local}>"
                            f"{f' in namespace {ns}' if ns else ''}, not <{root.rpartition('}')[2]}>): the file is "
                            "damaged; open it in Excel and save it again")
    except _Refused:
        raise UserError(f"{label}: refused: package part {name!r} declares a DTD or entities; "
                        "workbooks never need them") from None
    except (expat.ExpatError, LookupError) as exc:
        raise UserError(f"{label}: package part {name!r} is not well-formed XML ({exc})") from None
    except MEMBER_ERRORS as exc:
        raise damaged_member(label, name, exc) from None
