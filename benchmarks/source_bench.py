"""Benchmark: a 10,000,000-row Parquet ledger into a workbook report, against DuckDB's own bridge query.

Run by hand (needs ``pip install ".[warehouse]"``; XlsxWriter for the 1M-row workbook)::

    python3 benchmarks/source_bench.py                      # 10,000,000 rows
    python3 benchmarks/source_bench.py --rows 1000000 --workbook-rows 0 --keep /tmp/bench

In one run, each timed command is a fresh process (so interpreter start-up
and imports count), measured for wall time and peak memory (the child's
maximum resident set size, from ``os.wait4``). The refresh and the baseline
run in turns, after one untimed run of each (an installed package's bytecode
is on disk: the children keep theirs in a temporary ``PYTHONPYCACHEPREFIX``),
and each refresh is also divided by the baseline run just before it: on a
shared machine whose speed drifts by 10-20 % from minute to minute, those
paired ratios are steadier than the ratio of the two medians.

* **refresh**: ``xl-kpi refresh BOOK --ledger big.parquet --output OUT`` when
  the command has ``--ledger``; otherwise ``refresh_file(BOOK)`` from Python
  with the pipeline's analysis step answered by the Ibis engine's
  :func:`xl_kpi.engines.analyse` on the file, and the output says which ran;
* **baseline**: DuckDB running the MRR bridge query of
  ``benchmarks/ledger_bench.py`` (GROUP BY, LAG/LEAD) on the same file, the
  result fetched into pandas, in a process that imports only duckdb and
  pandas;
* **in-workbook**: ``xl-kpi refresh`` of a 1,000,000-row workbook ledger (the
  numpy path, unchanged by the Ibis engine), against python-calamine reading
  that workbook, as ``benchmarks/refresh_bench.py`` measures it.

It checks that the refreshed workbook's bridge equals DuckDB's, prints the
figures and the ratios refresh / baseline (target: at most 1.3) and
in-workbook / calamine (refresh_bench's target: at most 1.5).

The ledger is made by DuckDB (not timed): customers with a start month, a
lifetime and a price growing 1% a month, one row per customer-month on a
random day, some customers pausing a month (reactivations), ids as text.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from ledger_bench import BRIDGE_SQL  # noqa: E402  (the bridge in DuckDB SQL, checked against xl_kpi there)

N_MONTHS = 48

GENERATE_SQL = """
COPY (
    WITH c AS (
        SELECT i, 'cus_' || lpad(CAST(i AS VARCHAR), 9, '0') AS customer_id,
               CAST(hash(i) % {months} AS INTEGER) AS start,
               CAST(1 + hash(i * 7 + 1) % 30 AS INTEGER) AS life,
               CAST(20 + hash(i * 13 + 5) % 500 AS DOUBLE) AS base,
               hash(i * 3 + 2) % 10 = 0 AS pauses
        FROM range({customers}) t(i)
    )
    SELECT customer_id,
           make_date(2020 + m // 12, m % 12 + 1, CAST(1 + hash(i + m) % 28 AS INTEGER)) AS month,
           round(base * (1 + 0.01 * (m - start)), 2) AS mrr
    FROM c, range(start, least(start + life, {months})) r(m)
    WHERE NOT (pauses AND m = start + 2)
    LIMIT {rows}
) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
"""

# Run in a child process when the command line has no --ledger yet: the real ``refresh_file`` of BOOK,
# with the pipeline's analysis step answered by the Ibis engine on the Parquet file (BOOK's own small
# Ledger table is read but not used), so reading, ownership and writing are the refresh's own.
REFRESH_FROM_PYTHON = textwrap.dedent("""
    import sys
    from xl_kpi import engines
    from xl_kpi.refresh import pipeline, refresh_file
    book, parquet, out = sys.argv[1:4]
    pipeline.analyse = lambda df, sheet, first_row: engines.analyse(parquet, engine="ibis")
    refresh_file(book, out)
""")

BASELINE = textwrap.dedent("""
    import sys
    import duckdb
    sql = sys.argv[2].format(source="read_parquet('" + sys.argv[1] + "')")
    con = duckdb.connect()
    con.sql("SET enable_progress_bar = false")
    bridge = con.sql(sql).df()
    bridge.to_pickle(sys.argv[3])
""")


#: Where the children keep the bytecode of the modules they import (set in :func:`main`): an installed
#: package has its ``.pyc`` files (pip compiles them), so a timed run should not compile xl_kpi's sources
#: again, even where ``PYTHONDONTWRITEBYTECODE`` is set (as on CI machines and in containers).
PYCACHE: Path | None = None


def child_env() -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if PYCACHE is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def measure(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak resident MB) of a child process."""
    env = child_env()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024  # Linux: kilobytes


def median_of(cmd: list[str], repeat: int) -> tuple[float, float]:
    runs = [measure(cmd) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def paired(first: list[str], second: list[str], repeat: int) -> tuple[list, list]:
    """Each command's runs, ``repeat`` each, taken in turns after one untimed run of each (bytecode written,
    the file in the page cache): a machine whose speed drifts (a shared host) slows both of a pair alike,
    so the ratio of each pair is steadier than the ratio of two medians taken one after the other."""
    measure(first), measure(second)
    runs: tuple[list, list] = ([], [])
    for _ in range(repeat):
        runs[0].append(measure(first))
        runs[1].append(measure(second))
    return runs


def cli_has_ledger_option() -> bool:
    out = subprocess.run([sys.executable, "-m", "xl_kpi.cli", "refresh", "--help"], capture_output=True,
                         text=True, cwd=ROOT, env=child_env())
    return "--ledger" in out.stdout


def make_parquet(path: Path, rows: int) -> int:
    import duckdb

    customers = rows // 6 + 1000  # about 8 months per customer on average, then cut at ``rows``
    duckdb.sql(GENERATE_SQL.format(months=N_MONTHS, customers=customers, rows=rows, path=path))
    return duckdb.sql(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()[0][0]


def check_report_equals(out: Path, baseline_pickle: Path) -> int:
    """The refreshed workbook's MRRBridge table against DuckDB's bridge; returns the months compared."""
    import numpy as np
    import pandas as pd
    from openpyxl import load_workbook

    sql = pd.read_pickle(baseline_pickle)
    ws = load_workbook(out, read_only=True, data_only=True)["MRR Bridge"]
    rows = [r for r in ws.iter_rows(values_only=True) if r and any(v is not None for v in r)]
    start = next(i for i, r in enumerate(rows) if r[0] == "Month")
    table = pd.DataFrame(rows[start + 1:start + 1 + len(sql)], columns=rows[start])
    for ours, theirs in (("Ending MRR", "ending_mrr"), ("New MRR", "new_mrr"), ("Churned MRR", "churned_mrr")):
        col = next(c for c in table.columns if c and str(c).replace("\n", " ").lower() == ours.lower())
        np.testing.assert_allclose(table[col].to_numpy(float), sql[theirs].to_numpy(float), rtol=1e-9, atol=1e-6)
    return len(sql)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="Parquet ledger rows")
    parser.add_argument("--workbook-rows", type=int, default=1_000_000,
                        help="rows of the in-workbook ledger (0: skip that part)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each timed command, after one untimed (median)")
    parser.add_argument("--keep", help="work in this folder and keep the files")
    args = parser.parse_args(argv)
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="xlkpi-source-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    global PYCACHE
    PYCACHE = Path(tempfile.mkdtemp(prefix="xlkpi-bench-pycache-"))
    try:
        big = folder / "big.parquet"
        t0 = time.perf_counter()
        rows = make_parquet(big, args.rows)
        print(f"ledger: {rows:,} rows, {big.stat().st_size / 1e6:.0f} MB Parquet "
              f"(made in {time.perf_counter() - t0:.1f} s, not timed)")
        book, out = folder / "book.xlsx", folder / "out.xlsx"
        shutil.copyfile(ROOT / "workbooks" / "subscription_ledger.xlsx", book)

        py = sys.executable
        if cli_has_ledger_option():
            how = "xl-kpi refresh BOOK --ledger big.parquet --columns ..."
            refresh_cmd = [py, "-m", "xl_kpi.cli", "refresh", str(book), "--ledger", str(big), "--output", str(out),
                           "--columns", "customer=customer_id,month=month,mrr=mrr", "--quiet"]
        else:
            how = "refresh_file from Python, analysis by engines.analyse on the file (no --ledger yet)"
            refresh_cmd = [py, "-c", REFRESH_FROM_PYTHON, str(book), str(big), str(out)]
        pickle = folder / "duckdb_bridge.pkl"
        base_runs, ref_runs = paired([py, "-c", BASELINE, str(big), BRIDGE_SQL, str(pickle)], refresh_cmd,
                                     args.repeat)
        base_t, ref_t = (statistics.median(r[0] for r in runs) for runs in (base_runs, ref_runs))
        base_mb, ref_mb = (max(r[1] for r in runs) for runs in (base_runs, ref_runs))
        ratios = [r[0] / b[0] for r, b in zip(ref_runs, base_runs)]
        months = check_report_equals(out, pickle)
        print(f"refresh ({how}):")
        print(f"    {ref_t:8.2f} s   peak {ref_mb:7.0f} MB   (report of {months} months, equal to DuckDB's bridge)")
        print("DuckDB bridge query on the same file (fresh process):")
        print(f"    {base_t:8.2f} s   peak {base_mb:7.0f} MB")
        print(f"ratio refresh / DuckDB: time {ref_t / base_t:.2f}x (medians; target <= 1.3), memory {ref_mb / base_mb:.2f}x")
        print(f"    the {len(ratios)} pairs' ratios (each refresh against the baseline run just before it): "
              f"median {statistics.median(ratios):.2f}x, from {min(ratios):.2f} to {max(ratios):.2f}")

        if args.workbook_rows:
            from refresh_bench import build_ledger_workbook, time_calamine

            wb = folder / "ledger_1m.xlsx"
            n = build_ledger_workbook(wb, args.workbook_rows)
            cal = statistics.median(time_calamine(wb) for _ in range(args.repeat))
            wb_t, wb_mb = median_of([py, "-m", "xl_kpi.cli", "refresh", str(wb), "--output",
                                     str(folder / "ledger_1m_out.xlsx"), "--quiet"], args.repeat)
            print(f"in-workbook path, {n:,} rows (xl-kpi refresh BOOK, numpy engine):")
            print(f"    {wb_t:8.2f} s   peak {wb_mb:7.0f} MB;  python-calamine reading it: {cal:.2f} s;  "
                  f"ratio {wb_t / cal:.2f}x (refresh_bench's target <= 1.5)")
    finally:
        shutil.rmtree(PYCACHE, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
