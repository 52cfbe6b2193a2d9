"""File sources: CSV (Python's csv module, nothing to install) and Parquet (pyarrow).

CSV: UTF-8 (with or without the byte-order mark Excel's "CSV UTF-8" writes),
else Windows-1252 (Excel's plain "CSV"); the delimiter is the one of ``,``
``;`` or tab that the header line uses most.  Every value stays text (a
format reads numbers and dates from it, as from a sheet), an empty field is
blank, blank lines are skipped, and each row keeps the line number it
starts on, so messages say ``ledger.csv: line 12, column 'MRR'`` even when a
quoted field spans lines.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from xl_kpi.errors import UserError
from xl_kpi.sources.registry import WAREHOUSE_EXTRA, Source, SourceTable, register_source

__all__ = ["read_csv", "read_parquet"]

_DELIMITERS = (",", ";", "\t")


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    """The delimiter the header line uses most (',' on a tie).

    >>> _delimiter("a;b;c\\n1,5;2;3"), _delimiter("a,b\\n"), _delimiter("a\\tb")
    (';', ',', '\\t')
    """
    header = text.split("\n", 1)[0]
    counts = [header.count(d) for d in _DELIMITERS]
    return _DELIMITERS[int(np.argmax(counts))] if max(counts) else ","


def _headers(row: list[str], label: str) -> list[str]:
    names = []
    for j, h in enumerate(row):
        name = " ".join(h.split()) or f"Column{j + 1}"  # Excel names a blank header the same way
        if name in names:
            raise UserError(f"{label}: line 1: the header names column {name!r} twice")
        names.append(name)
    return names


def read_csv(path: Path, label: str, table=None, query=None) -> SourceTable:
    """A CSV file as text columns, each row numbered by the line it starts on.

    >>> import tempfile, os
    >>> p = Path(tempfile.mkdtemp()) / "l.csv"
    >>> _ = p.write_text('Customer ID,Month,MRR\\n\\na,2024-01,"1\\n0"\\nb,2024-01,5\\n')
    >>> t = read_csv(p, "l.csv")
    >>> t.frame.values.tolist(), t.numbers.tolist()
    ([['a', '2024-01', '1\\n0'], ['b', '2024-01', '5']], [3, 5])
    """
    text = _decode(path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            raise UserError(f"{label}: the file is empty or its first line is blank (it must hold the headers)")
        names = _headers(header, label)
        width = len(names)
        rows, numbers = [], []
        line = reader.line_num
        for record in reader:
            start, line = line + 1, reader.line_num
            if not any(field.strip() for field in record):
                continue  # a blank line, or only delimiters
            if len(record) > width:
                if any(field.strip() for field in record[width:]):
                    raise UserError(f"{label}: line {start}: {len(record)} fields, but the header line has "
                                    f"{width} (a delimiter inside a value that is not quoted?)")
                record = record[:width]
            elif len(record) < width:
                record = record + [""] * (width - len(record))
            rows.append(record)
            numbers.append(start)
    except csv.Error as exc:
        raise UserError(f"{label}: line {reader.line_num}: not a readable CSV line ({exc})") from None
    grid = np.array(rows, dtype=object).reshape(len(rows), width)
    grid[grid == ""] = None  # an empty field is a blank cell
    frame = pd.DataFrame({name: pd.Series(grid[:, j], dtype=object) for j, name in enumerate(names)})
    return SourceTable(label, frame, "line", np.asarray(numbers, dtype=np.int64))


def read_parquet(path: Path, label: str, table=None, query=None) -> SourceTable:
    """A Parquet file with its column types; rows are numbered 1, 2, ... in file order."""
    import pyarrow.parquet as pq

    try:
        frame = pq.read_table(path).to_pandas()
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError ... for a damaged file
        raise UserError(f"{label}: not a readable Parquet file ({str(exc).splitlines()[0]})") from None
    return SourceTable(label, frame, "row")


register_source(Source("csv", "a CSV file", (".csv", ".tsv", ".txt"), read_csv))
register_source(Source("parquet", "a Parquet file", (".parquet", ".pq"), read_parquet,
                       magic=lambda head: head.startswith(b"PAR1"), extra=WAREHOUSE_EXTRA, modules=("pyarrow",)))
