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

    Files without quotes whose lines have no more fields than the header
    (the usual export) are parsed by pandas' C reader (about 4x faster on a
    million rows); others by Python's csv module, which numbers records that
    span lines and names a line with too many fields.  Both give the same
    table (a test compares them).

    >>> import tempfile, os
    >>> p = Path(tempfile.mkdtemp()) / "l.csv"
    >>> _ = p.write_text('Customer ID,Month,MRR\\n\\na,2024-01,"1\\n0"\\nb,2024-01,5\\n')
    >>> t = read_csv(p, "l.csv")
    >>> t.frame.values.tolist(), t.numbers.tolist()
    ([['a', '2024-01', '1\\n0'], ['b', '2024-01', '5']], [3, 5])
    """
    text = _decode(path.read_bytes())
    if '"' not in text:  # no quoting: one line per record
        fast = _read_one_line_records(text, label)
        if fast is not None:
            return fast
    return _read_records(text, label)


def _read_one_line_records(text: str, label: str) -> SourceTable | None:
    """The C reader's table, or None when it cannot read the file as the csv module would."""
    delimiter = _delimiter(text)
    first = next(csv.reader(io.StringIO(text.split("\n", 1)[0]), delimiter=delimiter), None)
    if first is None or not any(h.strip() for h in first):
        return None  # the csv module path says what is wrong
    names = _headers(first, label)
    # the C reader drops surplus fields of some lines without a word: leave those files to the csv module
    if max(map(str.count, text.split("\n"), [delimiter] * (text.count("\n") + 1))) > len(names) - 1:
        return None
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, header=None, skiprows=1, names=names, dtype=str,
                            keep_default_na=False, na_filter=False, skip_blank_lines=False, engine="c",
                            quoting=csv.QUOTE_MINIMAL, doublequote=True, index_col=False)
    except (pd.errors.ParserError, ValueError):
        return None
    if frame.shape[1] != len(names):
        return None
    blank = np.ones(len(frame), bool)
    for name in names:  # a row is blank when every field is empty or only spaces (column-wise, no row loop)
        col = frame[name]
        blank &= ((col == "") | col.str.isspace()).to_numpy()
    kept = frame[~blank]
    numbers = np.flatnonzero(~blank).astype(np.int64) + 2  # line 1 is the header; one line per record
    out = pd.DataFrame({name: pd.Series(kept[name].to_numpy(dtype=object), dtype=object).where(
        kept[name].to_numpy() != "", None) for name in names})
    return SourceTable(label, out, "line", numbers)


def _read_records(text: str, label: str) -> SourceTable:
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
