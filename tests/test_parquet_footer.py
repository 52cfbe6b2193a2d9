"""A Parquet file's row count read from its footer without pyarrow (:mod:`xl_kpi.sources.parquet_footer`).

Compared with pyarrow's count on files written by pandas, pyarrow (nested, wide, many row groups, format
1.0, no statistics) and DuckDB; a footer that is not one is a ValueError (what the source reader then words),
never another error; a footer damaged past the count is still refused in the source reader's words.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from xl_kpi import engines
from xl_kpi.cli import main
from xl_kpi.sources.parquet_footer import footer_rows, parquet_rows

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "workbooks" / "subscription_ledger.xlsx"


def written(tmp_path) -> dict[str, Path]:
    """Parquet files of several writers and shapes."""
    out = {}
    out["pandas"] = tmp_path / "pandas.parquet"
    pd.DataFrame({"c": ["a", "b"] * 50, "m": pd.to_datetime(["2024-01-31"] * 100), "v": np.arange(100.0)},
                 index=pd.RangeIndex(5, 105)).to_parquet(out["pandas"])
    out["empty"] = tmp_path / "empty.parquet"
    pd.DataFrame({"x": pd.Series([], dtype=float)}).to_parquet(out["empty"])
    n = 3000
    table = pa.table({
        "list": pa.array([[1, 2], None, [3]] * (n // 3)),
        "struct": pa.array([{"a": 1, "b": "x"}] * n),
        "map": pa.array([[("k", 1)]] * n, type=pa.map_(pa.string(), pa.int64())),
        "bool": pa.array([True, False, None] * (n // 3)),
        "decimal": pa.array([1, 2, 3] * (n // 3), pa.decimal128(10, 2)),
        "stamp": pa.array(range(n), pa.timestamp("us", tz="UTC")),
        **{f"w{i}": pa.array(range(n)) for i in range(20)},  # more than 15 schema elements: a long list header
    })
    out["nested, many row groups"] = tmp_path / "nested.parquet"
    pq.write_table(table, out["nested, many row groups"], row_group_size=250)
    out["no statistics, zstd"] = tmp_path / "nostats.parquet"
    pq.write_table(table, out["no statistics, zstd"], write_statistics=False, compression="zstd")
    out["format 1.0"] = tmp_path / "v1.parquet"
    pq.write_table(table.slice(0, 7).drop_columns(["stamp"]), out["format 1.0"], version="1.0")
    out["duckdb"] = tmp_path / "duck.parquet"
    duckdb.sql(f"COPY (SELECT range AS i, 'x' || range AS s, range % 2 = 0 AS b FROM range(250000)) "
               f"TO '{out['duckdb']}' (FORMAT parquet, ROW_GROUP_SIZE 10000)")
    return out


def test_the_footer_count_is_pyarrows_for_every_writer(tmp_path):
    files = written(tmp_path)
    got = {name: parquet_rows(path) for name, path in files.items()}
    assert got == {name: pq.ParquetFile(path).metadata.num_rows for name, path in files.items()}
    assert got["duckdb"] == 250_000 and got["empty"] == 0 and got["pandas"] == 100
    assert engines.parquet_rows(files["duckdb"]) == 250_000


def test_what_is_not_a_parquet_footer_is_a_value_error(tmp_path):
    path = tmp_path / "bad.parquet"
    raw = written(tmp_path)["nested, many row groups"].read_bytes()
    length = int.from_bytes(raw[-8:-4], "little")
    cases = {
        "junk": b"PAR1 not really",
        "short": b"PAR1PAR1",
        "encrypted footer": raw[:-4] + b"PARE",
        "length past the start": raw[:-8] + (len(raw)).to_bytes(4, "little") + b"PAR1",
        "footer cut short": raw[:-8 - length] + raw[-8 - length:-8][:12] + (12).to_bytes(4, "little") + b"PAR1",
    }
    for name, data in cases.items():
        path.write_bytes(data)
        with pytest.raises(ValueError):
            parquet_rows(path)
        with pytest.raises(Exception):  # pyarrow refuses these too
            pq.ParquetFile(path)
    # any byte of a footer changed, or the footer cut anywhere: a count or a ValueError, never another error
    footer = raw[-8 - length:-8]
    rng = random.Random(12)
    for _ in range(400):
        spoilt = bytearray(footer)
        spoilt[rng.randrange(len(footer))] = rng.randrange(256)
        for data in (bytes(spoilt), footer[:rng.randrange(len(footer))]):
            try:
                assert footer_rows(data) >= 0
            except ValueError:
                pass


def test_a_footer_damaged_past_the_row_count_is_refused_as_any_unreadable_file(tmp_path, monkeypatch, capsys):
    """Only the footer's start is read (the count comes before the row groups): a file whose footer is damaged
    further on gets the source reader's words (DuckDB cannot open it either), the book unchanged."""
    monkeypatch.setattr(engines, "LARGE_ROWS", 100)
    raw = written(tmp_path)["duckdb"].read_bytes()
    path = tmp_path / "damaged.parquet"
    path.write_bytes(raw[:-20] + b"\xff" * 12 + raw[-8:])
    assert parquet_rows(path) == 250_000
    assert engines.large_table(path) is None
    book = tmp_path / "book.xlsx"
    shutil.copyfile(BOOK, book)
    before = book.read_bytes()
    assert main(["refresh", str(book), "--ledger", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"xl-kpi refresh: error: {path}: not a readable Parquet file (") and err.count("\n") == 1
    assert book.read_bytes() == before
