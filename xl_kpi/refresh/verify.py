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
   byte, compressed, with the input's instead of being inflated again;
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
from typing import Mapping

from xl_kpi.errors import UserError
from xl_kpi.ooxml.safety import MEMBER_ERRORS, check_no_dtd, crc_checked, damaged_member
from xl_kpi.refresh.damaged import check_structure, open_zip

#: XML parts up to this size (uncompressed) are parsed whole; bigger copied parts are CRC-checked.
PARSE_LIMIT = 16 * 2**20
_XML = (".xml", ".rels", ".vml")


def verify_package(path: Path, label: str, tables: Mapping[str, tuple[str, str]],
                   written: set[str] = frozenset(), source: zipfile.ZipFile | None = None) -> None:
    """Refuse (``UserError``) a refreshed copy at ``path`` that a reader could not open (module docstring).

    ``tables``: table name (lower case) -> (sheet, ref) as the new package
    must have it; ``written``: the parts the refresh wrote or edited;
    ``source``: the input package (still open), for the members copied from it.
    """
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
                elif name.lower().endswith(_XML) and (not copied or info.file_size <= PARSE_LIMIT):
                    check_no_dtd(zf, name, inner, whole=True)
                else:
                    try:
                        with zf.open(info) as fh:  # reading to the end checks the CRC
                            while fh.read(1 << 20):
                                pass
                    except MEMBER_ERRORS as exc:
                        raise damaged_member(inner, name, exc) from None
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


def _same_stored_bytes(a: zipfile.ZipFile, b: zipfile.ZipFile, name: str) -> bool:
    """Whether member ``name`` has the same CRC, sizes, method and compressed bytes in both packages."""
    ia, ib = a.getinfo(name), b.getinfo(name)
    if (ia.CRC, ia.compress_size, ia.file_size, ia.compress_type) != \
            (ib.CRC, ib.compress_size, ib.file_size, ib.compress_type):
        return False
    starts = []
    for z, info in ((a, ia), (b, ib)):
        z.fp.seek(info.header_offset + 26)
        name_len, extra_len = struct.unpack("<HH", z.fp.read(4))
        starts.append(info.header_offset + 30 + name_len + extra_len)
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
