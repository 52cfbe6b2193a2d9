"""A Parquet file's row count, read from its footer without pyarrow.

A Parquet file ends with its metadata, a Thrift ``FileMetaData`` struct in
the compact protocol, then the struct's length (4 bytes, little-endian) and
``PAR1``. The row count is the struct's field 3 (``num_rows``, an i64); the
fields before it (the format version, the schema) are skipped without being
decoded, and the footer is read only that far: a footer cut short before it,
or not well-formed up to it, is a ValueError; damage after it is DuckDB's to
find when it reads the file.

Why not pyarrow: ``pyarrow.parquet`` imports ``pyarrow.fs``, which on Linux
initialises OpenSSL for its cloud filesystems (the ``ssl`` module: some
50 ms of CPU once DuckDB's and Arrow's libraries are loaded), and the
command line counts the rows of a ``--ledger`` file on its way to the query
(:func:`xl_kpi.engines.large_table`, :mod:`xl_kpi.refresh.source_head_start`),
where that import would be paid for one integer. The test suite compares the
count with pyarrow's on files written by pandas, pyarrow and DuckDB.

Compact protocol, in short: a field is a byte (high nibble: the id's
increase over the previous field, or 0 and the id follows; low nibble: the
type), then its value: integers as zigzag varints, binary as a varint length
and the bytes, a list as a byte (size, element type) with a varint size when
the nibble is 15, a struct as fields up to a 0 byte.

>>> # version 1 (field 1, i32: 0x15 02), a schema of one element named "x" (field 2, a list of one
>>> # struct: 0x19 1c, its field 4, binary: 0x48 01 78, end 00), num_rows 1500 (field 3, i64: 0x16 b8 17), end
>>> footer_rows(bytes.fromhex("15 02 19 1c 48 01 78 00 16 b8 17 00"))
1500
>>> footer_rows(bytes.fromhex("15 02 19 1c 48 01 78"))
Traceback (most recent call last):
...
ValueError: the Parquet footer is cut short
"""

from __future__ import annotations

import os

__all__ = ["parquet_rows", "footer_rows"]

_MAGIC = b"PAR1"
#: Compact protocol type ids (of a field's low nibble, a list's element type).
_TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT, _UUID = range(1, 14)
#: Nesting deeper than this is not Parquet metadata (its deepest struct is a few levels down).
_DEPTH = 64


def parquet_rows(path: str | os.PathLike) -> int:
    """The row count in the footer of the Parquet file at ``path`` (nothing else is read).

    Raises OSError when the file cannot be read, ValueError when it does not
    end with a well-formed Parquet footer (an encrypted footer, ``PARE``, too).
    """
    with open(path, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        if size < 12:
            raise ValueError("too short for a Parquet file")
        fh.seek(size - 8)
        tail = fh.read(8)
        if tail[4:] != _MAGIC:
            raise ValueError("no Parquet footer (the file does not end with PAR1)")
        length = int.from_bytes(tail[:4], "little")
        if not 0 < length <= size - 12:
            raise ValueError(f"a Parquet footer of {length} bytes in a file of {size}")
        fh.seek(size - 8 - length)
        return footer_rows(fh.read(length))


def footer_rows(footer: bytes) -> int:
    """``num_rows`` (field 3) of a ``FileMetaData`` struct in the compact protocol, read up to that field;
    ValueError unless the struct is well-formed that far and has one, not negative."""
    reader = _Compact(footer)
    try:
        for field, kind in reader.fields():
            if field == 3 and kind == _I64:
                rows = reader.integer()
                if rows < 0:
                    break
                return rows
            reader.skip(kind, 0)
    except IndexError:
        raise ValueError("the Parquet footer is cut short") from None
    raise ValueError("the Parquet footer holds no row count")


class _Compact:
    """A reader of Thrift compact-protocol values in ``data`` from ``pos``; IndexError past its end."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def byte(self) -> int:
        b = self.data[self.pos]
        self.pos += 1
        return b

    def varint(self) -> int:
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return result
            shift += 7
            if shift > 63:
                raise ValueError("a Parquet footer integer of more than 64 bits")

    def integer(self) -> int:
        """A zigzag varint (i16, i32, i64)."""
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def advance(self, n: int) -> None:
        self.pos += n
        if self.pos > len(self.data):
            raise IndexError(self.pos)

    def fields(self):
        """(field id, type) of each field of the struct that starts here, up to its stop byte (consumed)."""
        field = 0
        while True:
            head = self.byte()
            if head == 0:
                return
            delta, kind = head >> 4, head & 0x0F
            field = field + delta if delta else self.integer()
            yield field, kind

    def skip(self, kind: int, depth: int, element: bool = False) -> None:
        """Pass over one value of type ``kind`` (``element``: of a list, set or map, where a bool is a byte)."""
        if depth > _DEPTH:
            raise ValueError("a Parquet footer nested too deep")
        if kind in (_TRUE, _FALSE):
            if element:
                self.advance(1)  # (a field's bool is its type nibble)
        elif kind == _BYTE:
            self.advance(1)
        elif kind in (_I16, _I32, _I64):
            self.varint()
        elif kind == _DOUBLE:
            self.advance(8)
        elif kind == _BINARY:
            self.advance(self.varint())
        elif kind == _UUID:
            self.advance(16)
        elif kind in (_LIST, _SET):
            head = self.byte()
            size, of = head >> 4, head & 0x0F
            if size == 15:
                size = self.varint()
            for _ in range(size):
                self.skip(of, depth + 1, element=True)
        elif kind == _MAP:
            size = self.varint()
            if size:
                types = self.byte()
                for _ in range(size):
                    self.skip(types >> 4, depth + 1, element=True)
                    self.skip(types & 0x0F, depth + 1, element=True)
        elif kind == _STRUCT:
            for _, inner in self.fields():
                self.skip(inner, depth + 1)
        else:
            raise ValueError(f"a Parquet footer value of unknown type {kind}")
