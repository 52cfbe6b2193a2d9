"""Write a zip package that copies most members *raw* from another zip.

``zipfile`` can only add a member by compressing it again; for a workbook
whose ledger sheet is 150 MB of XML that would cost seconds and change the
stored bytes.  ``RawZipWriter.copy`` streams a member's compressed bytes,
CRC and sizes from the source unchanged (bounded memory: 1 MB chunks);
``RawZipWriter.add`` deflates a new member.  The result is a plain zip that
``zipfile``, Excel and LibreOffice read; members keep their order.

Zip64 is not written: a package past 4 GiB, or one with 65,535 members, is
refused before anything is written (no workbook a person edits is that big).

Example
-------
>>> import io, zipfile
>>> src = io.BytesIO()
>>> with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as z:
...     z.writestr("a.xml", b"<a>" + b"x" * 1000 + b"</a>")
>>> out = io.BytesIO()
>>> with zipfile.ZipFile(src) as zin:
...     w = RawZipWriter(out)
...     w.copy(zin, zin.getinfo("a.xml"))
...     w.add("b.xml", b"<b/>")
...     w.close()
>>> zipfile.ZipFile(out).read("b.xml"), len(zipfile.ZipFile(out).read("a.xml"))
(b'<b/>', 1007)
"""

from __future__ import annotations

import queue
import struct
import threading
import zipfile
import zlib
from typing import BinaryIO

from xl_kpi.errors import UserError

_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL = struct.Struct("<4sBBHHHHHIIIHHHHHII")
_END = struct.Struct("<4sHHHHIIH")
_LIMIT = 0xFFFFFFFF
_CHUNK = 1 << 20
#: DOS date/time of 1980-01-01 00:00, so an unchanged report gives identical bytes.
_EPOCH_TIME, _EPOCH_DATE = 0, (0 << 9) | (1 << 5) | 1


#: zlib's level for the parts a writer adds (zlib's default).
LEVEL = 6


def deflate(data: bytes, level: int = LEVEL) -> tuple[bytes, int]:
    """``data`` as :meth:`RawZipWriter.add` stores it: raw deflate at ``level``, and its CRC-32.

    zlib works without the GIL, so a writer may deflate a part in a thread while it renders the next.

    >>> body, crc = deflate(b"<a/>" * 100)
    >>> zlib.decompress(body, -15) == b"<a/>" * 100, crc == zlib.crc32(b"<a/>" * 100)
    (True, True)
    """
    comp = zlib.compressobj(level, zlib.DEFLATED, -15)
    return comp.compress(data) + comp.flush(), zlib.crc32(data)


class StreamDeflate:
    """:func:`deflate` of blocks fed one by one, done in a thread as they come: a part is deflated while the
    rest of it is still being rendered (zlib releases the GIL), and its whole text is never held.

    The stored bytes are :func:`deflate`'s (at ``level``) of the blocks joined: zlib's output does not depend on how its
    input is split between calls (no flush is asked for before the end).

    >>> stream = StreamDeflate()
    >>> for block in (b"<a>", b"x" * 5000, b"</a>"):
    ...     stream.feed(block)
    >>> stream.result() == (*deflate(b"<a>" + b"x" * 5000 + b"</a>"), 5007)
    True
    """

    def __init__(self, level: int = LEVEL) -> None:
        self.level = level
        self._blocks: "queue.SimpleQueue[bytes | None]" = queue.SimpleQueue()
        self._answer: tuple[bytes, int, int] | BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="xl_kpi-deflate", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        comp, out, crc, size = zlib.compressobj(self.level, zlib.DEFLATED, -15), [], 0, 0
        try:
            while (block := self._blocks.get()) is not None:
                out.append(comp.compress(block))
                crc, size = zlib.crc32(block, crc), size + len(block)
            out.append(comp.flush())
            self._answer = (b"".join(out), crc, size)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by result()
            self._answer = exc
            while self._blocks.get() is not None:  # let the feeder finish
                pass

    def feed(self, block: bytes) -> None:
        self._blocks.put(block)

    def close(self) -> None:
        """No more blocks: the thread ends once it has deflated those fed (idempotent)."""
        if self._thread.is_alive():
            self._blocks.put(None)
            self._thread.join()

    def result(self) -> tuple[bytes, int, int]:
        """(deflated bytes, CRC-32, size) of everything fed; no more blocks after it."""
        self.close()
        if isinstance(self._answer, BaseException):
            raise self._answer
        return self._answer


class RawZipWriter:
    """Sequential zip writer: ``copy`` raw members, ``add`` new ones, then ``close``."""

    def __init__(self, fh: BinaryIO, progress=None) -> None:
        self._fh = fh
        self._entries: list[bytes] = []
        self._offset = fh.tell()
        self._start = self._offset
        self._progress = progress  # called with the bytes written so far (for long copies)

    def _write(self, data: bytes) -> None:
        self._fh.write(data)
        self._offset += len(data)

    def _header(self, name: bytes, flags: int, method: int, dtime: int, ddate: int, crc: int,
                csize: int, usize: int, external_attr: int = 0) -> None:
        if self._offset > _LIMIT or csize > _LIMIT or usize > _LIMIT or len(self._entries) >= 0xFFFF:
            raise UserError("the workbook is too large to rewrite (over 4 GiB or 65,535 parts)")
        flags &= ~0x8  # sizes are known up front: no data descriptor
        self._entries.append(_CENTRAL.pack(b"PK\x01\x02", 20, 0, 20, flags, method, dtime, ddate, crc, csize,
                                           usize, len(name), 0, 0, 0, 0, external_attr, self._offset) + name)
        self._write(_LOCAL.pack(b"PK\x03\x04", 20, flags, method, dtime, ddate, crc, csize, usize,
                                len(name), 0) + name)

    def copy(self, zin: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        """Copy one member's stored bytes unchanged (no inflate, no deflate)."""
        raw = zin.fp
        raw.seek(info.header_offset)
        local = raw.read(_LOCAL.size)
        if local[:4] != b"PK\x03\x04":
            raise UserError(f"the workbook's zip member {info.filename!r} is damaged")
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        raw.seek(info.header_offset + _LOCAL.size + name_len + extra_len)
        name = info.filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
        dtime = (info.date_time[3] << 11) | (info.date_time[4] << 5) | (info.date_time[5] // 2)
        ddate = ((info.date_time[0] - 1980) << 9) | (info.date_time[1] << 5) | info.date_time[2]
        self._header(name, info.flag_bits, info.compress_type, dtime, ddate, info.CRC,
                     info.compress_size, info.file_size, info.external_attr)
        left = info.compress_size
        while left:
            chunk = raw.read(min(_CHUNK, left))
            if not chunk:
                raise UserError(f"the workbook's zip member {info.filename!r} is truncated")
            self._write(chunk)
            left -= len(chunk)
            if self._progress is not None:
                self._progress(self._offset - self._start)

    def add(self, name: str, data: bytes, deflated: tuple[bytes, int] | None = None) -> None:
        """Add a new member, deflated (``deflated``: :func:`deflate` of ``data``, when done beforehand)."""
        body, crc = deflated if deflated is not None else deflate(data)
        self.add_deflated(name, body, crc, len(data))

    def add_deflated(self, name: str, body: bytes, crc: int, size: int) -> None:
        """Add a new member already deflated: ``body`` (raw deflate) of ``size`` bytes whose CRC-32 is ``crc``."""
        self._header(name.encode("utf-8"), 0x800, zipfile.ZIP_DEFLATED, _EPOCH_TIME, _EPOCH_DATE,
                     crc, len(body), size)
        self._write(body)

    def close(self) -> None:
        """Write the central directory."""
        start = self._offset  # absolute, like the local header offsets
        directory = b"".join(self._entries)
        self._write(directory)
        if start > _LIMIT:
            raise UserError("the workbook is too large to rewrite (over 4 GiB)")
        self._write(_END.pack(b"PK\x05\x06", 0, 0, len(self._entries), len(self._entries), len(directory),
                              start, 0))
