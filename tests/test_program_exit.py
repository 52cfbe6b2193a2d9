"""``xl-kpi refresh`` as a program ends without the interpreter's teardown once its file is in place
(:func:`xl_kpi.cli.program`): what it printed is all there, its exit functions ran, its exit code is the
refresh's; objects are not freed one by one (a module-level object's ``__del__`` never runs).  With a
``.tmp`` folder where DuckDB would spill, or a refusal, the usual exit (teardown included)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[1]

PROGRAM = """
import atexit, sys
class Teardown:
    def __del__(self):
        print("teardown ran", flush=True)
kept = Teardown()
atexit.register(lambda: print("atexit ran"))
from xl_kpi.cli import program
program(sys.argv[1:])
"""


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-c", PROGRAM, *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=300)


@pytest.mark.parametrize("spill_folder", [False, True])
def test_a_refresh_ends_without_teardown_and_says_everything(tmp_path, spill_folder):
    book = tmp_path / "book.xlsx"
    shutil.copyfile(ROOT / "workbooks" / "subscription_ledger.xlsx", book)
    if spill_folder:
        (tmp_path / ".tmp").mkdir()
    proc = run(tmp_path, "refresh", str(book), "--output", str(tmp_path / "out.xlsx"))
    assert proc.returncode == 0, proc.stderr
    assert "refreshed MRR Bridge" in proc.stdout and "atexit ran" in proc.stdout
    assert ("teardown ran" in proc.stdout) == spill_folder
    assert load_workbook(tmp_path / "out.xlsx", read_only=True)["MRR Bridge"]["A1"].value


def test_a_refusal_exits_as_always(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip")
    proc = run(tmp_path, "refresh", str(bad))
    assert proc.returncode == 2 and "error" in proc.stderr
    assert "atexit ran" in proc.stdout and "teardown ran" in proc.stdout
    assert bad.read_bytes() == b"not a zip"
