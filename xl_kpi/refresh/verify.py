"""Check a refreshed package before it replaces the user's file.

The refreshed copy is read back from disk as any reader would:

1. it opens as a zip whose central directory matches its members
   (:func:`xl_kpi.refresh.damaged.open_zip`);
2. every member inflates to its recorded CRC, and every XML part the
   refresh wrote, and every other XML part up to ``PARSE_LIMIT`` bytes,
   parses (streamed through expat with defusedxml's guards, so memory stays
   bounded); bigger parts copied unchanged from the input (a large data
   sheet) are CRC-checked only: their bytes are the user's own.  A copied
   member the refresh already read to its end in the input (the ledger
   sheet, :func:`~xl_kpi.ooxml.safety.crc_checked`) is compared byte for
   byte, compressed, with the input's instead of being inflated again.  A
   part the refresh rendered whole from the report by a writer whose output
   is well-formed by construction (``rendered``: the report's worksheets,
   :func:`xl_kpi.ooxml.worksheet.worksheet_xml`, which writes every text
   through :mod:`xl_kpi.ooxml.text`: escaped, characters XML cannot hold
   dropped) is compared, compressed, with the bytes the writer deflated
   instead of being parsed again (a 100,000-row movements table is 35 MB of
   XML: half a second of parsing, to re-read what was just rendered); when
   they differ it is parsed as above and must inflate to what was rendered.
   Nothing copied from the input skips its check this way;
3. the structure the refresh relies on holds
   (:func:`xl_kpi.refresh.damaged.check_structure`: every sheet has its part,
   styles are a style sheet, tables have ids and ranges);
4. every Excel Table is on the sheet, at the range, the caller expects:
   the user's tables where they were, the report's where the report put them.

Any failure is a ``UserError`` saying that nothing was written and why.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path
from typing import Mapping, NamedTuple

from xl_kpi.errors import UserError
from xl_kpi.ooxml.safety import MEMBER_ERRORS, check_no_dtd, crc_checked, damaged_member
from xl_kpi.refresh.damaged import check_structure, open_zip

#: XML parts up to this size (uncompressed) are parsed whole; bigger copied parts are CRC-checked.
PARSE_LIMIT = 16 * 2**20
_XML = (".xml", ".rels", ".vml")


def verify_package(path: Path, label: str, tables: Mapping[str, tuple[str, str]],
                   written: set[str] = frozenset(), source: zipfile.ZipFile | None = None,
                   rendered: Mapping[str, Rendered] | None = None) -> None:
    """Refuse (``UserError``) a refreshed copy at ``path`` that a reader could not open (module docstring).

    ``tables``: table name (lower case) -> (sheet, ref) as the new package
    must have it; ``written``: the parts the refresh wrote or edited;
    ``source``: the input package (still open), for the members copied from it;
    ``rendered``: part -> :class:`Rendered` for the written parts that are
    well-formed by construction (their stored bytes are compared, not parsed).
    """
    rendered = {name: r for name, r in (rendered or {}).items() if name in written}
    known = crc_checked(source) if source is not None else set()
    inner = "the refreshed copy"
    try:
        zf = open_zip(path, inner)
    except UserError as exc:
        raise _failed(label, inner, exc) from None
    try:
        for info in zf.infolist():
            name = info.filename
            copied = name not in written
            try:
                if copied and name in known:
                    # Read whole (CRC good) in the input: the copy must be those very bytes.
                    if not _same_stored_bytes(source, zf, name):
                        raise _failed(label, inner, f"its copy of part {name!r} differs from the original")
                elif name in rendered and _stored_bytes_are(zf, info, rendered[name]):
                    pass  # exactly the bytes the writer deflated from what it rendered
                elif name.lower().endswith(_XML) and (not copied or info.file_size <= PARSE_LIMIT):
                    check_no_dtd(zf, name, inner, whole=True)
                else:
                    try:
                        with zf.open(info) as fh:  # reading to the end checks the CRC
                            while fh.read(1 << 20):
                                pass
                    except MEMBER_ERRORS as exc:
                        raise damaged_member(inner, name, exc) from None
                if name in rendered and info.CRC != rendered[name].crc:
                    raise _failed(label, inner, f"its part {name!r} is not what the refresh rendered")
            except UserError as exc:
                if copied and source is not None and name in source.NameToInfo and \
                        _same_stored_bytes(source, zf, name):
                    # An exact copy of a member the refresh did not read: the damage is the input's own.
                    raise UserError(str(exc).replace(f"{inner}: ", f"{label}: ", 1)) from None
                raise (exc if str(exc).startswith(f"{label}: ") else _failed(label, inner, exc)) from None
        try:
            found = check_structure(zf, inner)
        except UserError as exc:
            raise _failed(label, inner, exc) from None
    finally:
        zf.close()
    for name, (sheet, ref) in tables.items():
        got = found.tables.get(name.lower())
        if got is None:
            raise _failed(label, inner, f"it has no table {name!r}")
        if got != (sheet, ref):
            raise _failed(label, inner, f"table {name!r} is at {got[0]!r}!{got[1]}, not {sheet!r}!{ref}")
    extra = set(found.tables) - {n.lower() for n in tables}
    if extra:
        raise _failed(label, inner, f"it has a table {sorted(extra)[0]!r} that was not expected")


class Rendered(NamedTuple):
    """A part as the writer stored it: its raw-deflated bytes, the CRC-32 and size of its XML."""

    body: bytes
    crc: int
    size: int


def _data_start(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Where member ``info``'s stored bytes begin (after its local header)."""
    zf.fp.seek(info.header_offset + 26)
    name_len, extra_len = struct.unpack("<HH", zf.fp.read(4))
    return info.header_offset + 30 + name_len + extra_len


def _stored_bytes_are(zf: zipfile.ZipFile, info: zipfile.ZipInfo, part: Rendered) -> bool:
    """Whether member ``info`` of ``zf`` is stored deflated as exactly ``part`` (bytes, CRC and sizes)."""
    if (info.compress_type, info.CRC, info.file_size, info.compress_size) != \
            (zipfile.ZIP_DEFLATED, part.crc, part.size, len(part.body)):
        return False
    start, view = _data_start(zf, info), memoryview(part.body)
    for pos in range(0, len(view), 1 << 20):
        zf.fp.seek(start + pos)
        block = view[pos:pos + (1 << 20)]
        if zf.fp.read(len(block)) != block:
            return False
    return True


def _same_stored_bytes(a: zipfile.ZipFile, b: zipfile.ZipFile, name: str) -> bool:
    """Whether member ``name`` has the same CRC, sizes, method and compressed bytes in both packages."""
    ia, ib = a.getinfo(name), b.getinfo(name)
    if (ia.CRC, ia.compress_size, ia.file_size, ia.compress_type) != \
            (ib.CRC, ib.compress_size, ib.file_size, ib.compress_type):
        return False
    starts = [_data_start(z, info) for z, info in ((a, ia), (b, ib))]
    left, pos = ia.compress_size, 0
    while left:
        n = min(left, 1 << 20)
        blocks = []
        for z, start in zip((a, b), starts):
            z.fp.seek(start + pos)
            blocks.append(z.fp.read(n))
        if blocks[0] != blocks[1] or len(blocks[0]) != n:
            return False
        left, pos = left - n, pos + n
    return True


def _failed(label: str, inner: str, why) -> UserError:
    reason = str(why).removeprefix(inner + ": ")
    return UserError(f"{label}: nothing written, the file is unchanged: the refreshed copy failed its check "
                     f"({reason}); please report this")
