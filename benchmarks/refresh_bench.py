"""Benchmark: ``xl-kpi refresh`` on a ~1,000,000-row ledger against python-calamine reading it.

Run by hand (not part of the test suite)::

    python3 benchmarks/refresh_bench.py [--rows 1000000] [--repeat 3] [--keep DIR]

It builds a workbook whose sheet ``Data`` holds the Excel Table ``Ledger``
(Customer ID, Month, MRR) from :func:`xl_kpi.sample.generate_ledger`,
written fast with XlsxWriter's constant_memory mode.  XlsxWriter cannot add a
table in that mode, so the table part is added afterwards by rewriting the
package (once, outside the timings).

Then, in the same run, the median of ``--repeat`` runs of:

* baseline: python-calamine opening the file and reading the ``Data`` sheet
  (``CalamineWorkbook.from_path(p).get_sheet_by_name("Data").to_python()``),
  twice: in this process with the cycle collector paused (as the refresh
  pauses it), and as a new process (start-up and import included);
* ``xl-kpi refresh BOOK --output OUT`` as a separate process (so interpreter
  start-up and imports count), and ``refresh_file`` in this process.

and prints the ratios CLI / new-process read and refresh_file / in-process read.  Target: at most 1.5 (issue 11).

What the refresh does beside the read, and how it keeps the cost down (each measured on this benchmark):
the safety scan of the 148 MB sheet XML (a DTD refused, the error cells found) runs in a thread while
calamine parses the sheet without the GIL; the command line starts calamine on the ledger sheet before it
imports pandas, openpyxl and the report code (:mod:`xl_kpi.refresh.head_start`); a sheet from A1 is read
row by row into one array (no list per row kept) and the ledger frame is a view of it (no copy); the ids are
factorised once and the codes shared by validation and the blank-row count (error literals among the distinct
ids and months, duplicate rows keyed on integers); the bridge and the movements' classification are computed
once per ledger, the MRR Movements only for the months listed; the report's large parts are deflated in
threads.  Two cores are assumed: on a machine whose cores are busy the threads gain nothing.

Last figures (2026-12-01, 2 cores shared with other work; median of 3): at load average 1.1-1.3,
CLI 4.32-4.71 s against 3.10-3.35 s (ratio 1.39-1.40), in process 3.82-4.35 s against 2.41-2.47 s
(1.55-1.80); before these changes, on a quiet machine, CLI 1.86 and in process 2.07.  After the shared
codes (2026-12-01 19:40, load average 4.8-5.9: wall figures are noise there, the read alone took 5.5-6 s
instead of 2.3 s), the main thread's CPU time (time.thread_time) of refresh_file against that of the
in-process read, median of 3: 1.34-1.35, against 1.55-1.60 for the code before (the same runs, paired).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

N_MONTHS = 36
#: The full refresh may take at most this many times a bare python-calamine read of the sheet.
TARGET = 1.5


def build_ledger_workbook(path: Path, rows: int, seed: int = 7) -> int:
    """Write the ledger workbook; return the number of ledger rows."""
    import xlsxwriter

    from xl_kpi.sample import generate_ledger

    # generate_ledger's size is set in customers; scale to the wanted row count.
    probe = generate_ledger(n_customers=2000, n_months=N_MONTHS, seed=seed)
    n_customers = max(1, int(2000 * rows / len(probe)))
    df = generate_ledger(n_customers=n_customers, n_months=N_MONTHS, seed=seed)
    ids = df["customer_id"].astype(str).to_numpy()
    months = df["month"].dt.to_pydatetime()
    mrr = df["mrr"].to_numpy(dtype=float)
    raw = path.with_suffix(".raw.xlsx")
    wb = xlsxwriter.Workbook(str(raw), {"constant_memory": True})
    ws = wb.add_worksheet("Data")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.set_column(1, 1, 12, date)
    ws.write_row(0, 0, ["Customer ID", "Month", "MRR"])
    write_string, write_datetime, write_number = ws.write_string, ws.write_datetime, ws.write_number
    for r in range(len(df)):  # benchmark setup: XlsxWriter is row by row by design
        write_string(r + 1, 0, ids[r])
        write_datetime(r + 1, 1, months[r], date)
        write_number(r + 1, 2, mrr[r])
    wb.close()
    _add_table(raw, path, f"A1:C{len(df) + 1}")
    raw.unlink()
    return len(df)


def _add_table(src: Path, dst: Path, ref: str) -> None:
    """Add the table part ``Ledger`` over ``ref`` on xl/worksheets/sheet1.xml."""
    table = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<table xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" id="1" name="Ledger" '
             f'displayName="Ledger" ref="{ref}" totalsRowShown="0"><autoFilter ref="{ref}"/>'
             '<tableColumns count="3"><tableColumn id="1" name="Customer ID"/><tableColumn id="2" name="Month"/>'
             '<tableColumn id="3" name="MRR"/></tableColumns><tableStyleInfo name="TableStyleMedium9" '
             'showFirstColumn="0" showLastColumn="0" showRowStripes="1" showColumnStripes="0"/></table>')
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'table" Target="../tables/table1.xml"/></Relationships>')
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with zin.open(info) as fin, zout.open(info.filename, "w", force_zip64=True) as fout:
                    tail = b""
                    while chunk := fin.read(1 << 22):
                        data = tail + chunk
                        fout.write(data[:-64])
                        tail = data[-64:]
                    fout.write(tail.replace(b"</worksheet>", b'<tableParts count="1"><tablePart r:id="rId1"/>'
                                                             b"</tableParts></worksheet>"))
            elif info.filename == "[Content_Types].xml":
                text = zin.read(info).replace(
                    b"</Types>", b'<Override PartName="/xl/tables/table1.xml" ContentType="application/'
                                 b'vnd.openxmlformats-officedocument.spreadsheetml.table+xml"/></Types>')
                zout.writestr(info.filename, text)
            else:
                zout.writestr(info, zin.read(info))
        zout.writestr("xl/worksheets/_rels/sheet1.xml.rels", rels)
        zout.writestr("xl/tables/table1.xml", table)


#: The same read as time_calamine, as a script for a new process.
CALAMINE_READ = ("from python_calamine import CalamineWorkbook\n"
                 "rows = CalamineWorkbook.from_path({path!r}).get_sheet_by_name('Data').to_python()\n"
                 "assert len(rows) > 1\n")


def time_calamine(path: Path) -> float:
    """The bare read in this process, with the cycle collector paused as the refresh pauses it.

    With the collector running, the read is slower in a process that already holds many
    objects (pandas, xl_kpi): comparing against that would flatter the refresh.
    """
    import gc

    enabled = gc.isenabled()
    gc.disable()
    from python_calamine import CalamineWorkbook

    try:
        start = time.perf_counter()
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Data").to_python()
        elapsed = time.perf_counter() - start
        assert len(rows) > 1
        return elapsed
    finally:
        if enabled:
            gc.enable()


def time_calamine_process(path: Path) -> float:
    """The bare read as a new process (start-up and import included), the fair baseline of the CLI."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", CALAMINE_READ.format(path=str(path))], check=True)
    return time.perf_counter() - start


def time_cli(path: Path, out: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "xl_kpi.cli", "refresh", str(path), "--output", str(out), "--quiet"],
                   check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return time.perf_counter() - start


def time_in_process(path: Path, out: Path) -> float:
    from xl_kpi.refresh import refresh_file

    start = time.perf_counter()
    refresh_file(path, out)
    return time.perf_counter() - start


def _each(times: list[float]) -> str:
    return ", ".join(f"{x:.2f}" for x in times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", help="build the workbook in this folder and keep it")
    args = parser.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="xlkpi-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    book = folder / "ledger.xlsx"
    try:
        if not book.exists():
            t = time.perf_counter()
            n = build_ledger_workbook(book, args.rows)
            print(f"built {book} ({n:,} ledger rows, {book.stat().st_size / 2**20:.1f} MB) "
                  f"in {time.perf_counter() - t:.1f} s")
        base, base_proc, cli, inproc = [], [], [], []
        for i in range(args.repeat):
            base.append(time_calamine(book))
            base_proc.append(time_calamine_process(book))
            cli.append(time_cli(book, folder / "out_cli.xlsx"))
            inproc.append(time_in_process(book, folder / "out_inproc.xlsx"))
        b, bp, c, p = (statistics.median(x) for x in (base, base_proc, cli, inproc))
        print(f"python-calamine read, in process:    {b:6.2f} s  (median of {args.repeat}: {_each(base)})")
        print(f"python-calamine read, new process:   {bp:6.2f} s  (median of {args.repeat}: {_each(base_proc)})")
        print(f"xl-kpi refresh (CLI, new process):   {c:6.2f} s  ratio {c / bp:.2f} (against the new-process read)")
        print(f"refresh_file (in process):           {p:6.2f} s  ratio {p / b:.2f} (against the in-process read)")
        print(f"target (issue 11): ratio <= {TARGET} -> CLI {'met' if c / bp <= TARGET else 'NOT met'}, "
              f"in process {'met' if p / b <= TARGET else 'NOT met'}")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
