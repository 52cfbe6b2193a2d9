"""Benchmark: how soon ``xl-kpi refresh BOOK --ledger big.parquet`` has its analysis query running in DuckDB.

Run by hand (needs ``pip install ".[warehouse]"``)::

    python3 benchmarks/query_start_bench.py                       # a 2,000,000-row ledger, 5 runs each
    python3 benchmarks/query_start_bench.py --dir /tmp/sbfinal    # big.parquet and book.xlsx made by source_bench --keep

The command line starts the in-place analysis of a large ``--ledger`` file in
a thread (:mod:`xl_kpi.refresh.source_head_start`) and lets the rest of the
refresh import only once that thread has given DuckDB the analysis's
first query (a scan of the file, its Ibis expression compiled). Everything
before that moment (interpreter start, imports of pandas, Ibis, DuckDB and
the engine, the footer's row count, building and compiling the query) is
time DuckDB is not yet working. Each timed command is a fresh process that
exits at that moment:

* **refresh**: the command line, timed from launch until the head start
  lets the main thread go (``SourceHeadStart.wait_started`` returns), with
  the process's CPU time then, and whether the query came (rather than
  the :data:`~xl_kpi.refresh.source_head_start.STATEMENT_WAIT` limit);
* **baseline**: a process importing duckdb and pandas and submitting a
  query on the file (what ``source_bench.py`` compares the refresh with).

Prints the medians and the ratio refresh / baseline, in one run, so that the
figures compare on the same machine at the same moment.
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
sys.path.insert(0, str(ROOT / "benchmarks"))

# The command line, exiting when its head start lets the main thread go (wait_started returns).
REFRESH = textwrap.dedent("""
    import os, sys, time
    from xl_kpi.refresh import source_head_start as s
    real = s.SourceHeadStart.wait_started
    def wait_started(self, timeout):
        real(self, timeout)
        print(f"AT {time.time():.6f} {time.process_time():.6f} {int(self.started.is_set())}", flush=True)
        os._exit(0)
    s.SourceHeadStart.wait_started = wait_started
    from xl_kpi.cli import main
    main(sys.argv[1:])
    print("AT 0 0 -1", flush=True)  # no head start began
""")

BASELINE = textwrap.dedent("""
    import os, sys, time
    import duckdb, pandas
    con = duckdb.connect()
    sql = f"SELECT customer_id, count(*) FROM read_parquet('{sys.argv[1]}') GROUP BY ALL"
    print(f"AT {time.time():.6f} {time.process_time():.6f} 1", flush=True)
    os._exit(0)  # (the query itself is not timed: only how soon it can be submitted)
""")


def run(cmd: list[str]) -> tuple[float, float, int]:
    """(seconds from launch, process CPU seconds, statement came) of one child."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.time()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    line = next((x for x in out.stdout.splitlines() if x.startswith("AT ")), None)
    if line is None:
        raise SystemExit(f"failed ({out.returncode}): {out.stderr.strip()[-500:]}")
    at, cpu, came = line.split()[1:]
    if came == "-1":
        raise SystemExit("the command line started no head start (is the file large enough?)")
    return float(at) - start, float(cpu), int(came)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="Parquet ledger rows (without --dir)")
    parser.add_argument("--dir", help="a folder holding big.parquet and book.xlsx (source_bench.py --keep)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command (median), interleaved")
    args = parser.parse_args(argv)
    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="xlkpi-query-start-"))
    try:
        big, book = folder / "big.parquet", folder / "book.xlsx"
        if not args.dir:
            from source_bench import make_parquet

            rows = make_parquet(big, args.rows)
            shutil.copyfile(ROOT / "workbooks" / "subscription_ledger.xlsx", book)
            print(f"ledger: {rows:,} rows (made, not timed)")
        py = sys.executable
        refresh = [py, "-c", REFRESH, "refresh", str(book), "--ledger", str(big), "--output",
                   str(folder / "out.xlsx"), "--columns", "customer=customer_id,month=month,mrr=mrr", "--quiet"]
        baseline = [py, "-c", BASELINE, str(big)]
        runs: dict[str, list] = {"refresh": [], "baseline": []}
        for _ in range(args.repeat):  # interleaved: a machine getting busier weighs on both alike
            runs["refresh"].append(run(refresh))
            runs["baseline"].append(run(baseline))
        med = {k: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v)) for k, v in runs.items()}
        came = sum(r[2] for r in runs["refresh"])
        print(f"refresh: its first query given {med['refresh'][0]:.3f} s after launch "
              f"(CPU {med['refresh'][1]:.3f} s; the query came in {came} of {args.repeat} runs, "
              f"else the wait's limit)")
        print(f"baseline (import duckdb, pandas; a query submitted): {med['baseline'][0]:.3f} s "
              f"(CPU {med['baseline'][1]:.3f} s)")
        print(f"ratio refresh / baseline: {med['refresh'][0] / med['baseline'][0]:.2f}x wall, "
              f"{med['refresh'][1] / med['baseline'][1]:.2f}x CPU")
    finally:
        if not args.dir:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
