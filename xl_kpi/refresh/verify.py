"""Check a refreshed package before it replaces the user's file.

The refreshed copy is read back from disk as any reader would:

1. it opens as a zip whose central directory matches its members
   (:func:`xl_kpi.refresh.damaged.open_zip`);
2. every member inflates to its recorded CRC, and every XML part the
   refresh wrote, and every other XML part up to ``PARSE_LIMIT`` bytes,
   parses (streamed through expat with defusedxml's guards, so memory stays
   bounded); bigger parts copied unchanged from the input (a large data
   sheet) are CRC-checked only: their bytes are the user's own, and the
   ledger sheet among them was parsed whole when it was read;
3. the structure the refresh relies on holds
   (:func:`xl_kpi.refresh.damaged.check_structure`: every sheet has its part,
   styles are a style sheet, tables have ids and ranges);
4. every Excel Table is on the sheet, at the range, the caller expects:
   the user's tables where they were, the report's where the report put them.

Any failure is a ``UserError`` saying that nothing was written and why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from xl_kpi.errors import UserError
from xl_kpi.refresh.damaged import check_structure, open_zip
from xl_kpi.ooxml.safety import MEMBER_ERRORS, check_no_dtd, damaged_member

#: XML parts up to this size (uncompressed) are parsed whole; bigger copied parts are CRC-checked.
PARSE_LIMIT = 16 * 2**20
_XML = (".xml", ".rels", ".vml")


def verify_package(path: Path, label: str, tables: Mapping[str, tuple[str, str]],
                   written: set[str] = frozenset()) -> None:
    """Refuse (``UserError``) a refreshed copy at ``path`` that a reader could not open (module docstring).

    ``tables``: table name (lower case) -> (sheet, ref) as the new package
    must have it; ``written``: the parts the refresh wrote or edited.
    """
    inner = "the refreshed copy"
    try:
        zf = open_zip(path, inner)
    except UserError as exc:
        raise _failed(label, inner, exc) from None
    try:
        for info in zf.infolist():
            name = info.filename
            # A copied member that fails is the input's own damage (same bytes): named as such.
            who = inner if name in written else label
            try:
                if name.lower().endswith(_XML) and (name in written or info.file_size <= PARSE_LIMIT):
                    check_no_dtd(zf, name, who)
                else:
                    try:
                        with zf.open(info) as fh:  # reading to the end checks the CRC
                            while fh.read(1 << 20):
                                pass
                    except MEMBER_ERRORS as exc:
                        raise damaged_member(who, name, exc) from None
            except UserError as exc:
                raise (_failed(label, inner, exc) if who == inner else exc) from None
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


def _failed(label: str, inner: str, why) -> UserError:
    reason = str(why).removeprefix(inner + ": ")
    return UserError(f"{label}: nothing written, the file is unchanged: the refreshed copy failed its check "
                     f"({reason}); please report this")
