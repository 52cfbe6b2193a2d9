"""LibreOffice Calc as the test suite's real spreadsheet engine.

``recalculate`` opens workbooks headless with a private profile that forces
recalculation on load (LibreOffice's default keeps a formula's cached value,
so a stale number would pass a test), saves them as .xlsx into ``outdir`` and
returns the new paths; read them back with openpyxl ``data_only=True``.
``render_png`` turns a workbook into PNG pages (LibreOffice -> PDF -> pdftoppm)
so a person can look at what a user will see.

LibreOffice exits 0 even when it could not load a file, so both functions
check that every expected output exists.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Iterable

#: Force recalculation of every formula when a file is loaded (0 = always).
_RECALC_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
           xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str | None:
    """Path of the LibreOffice binary, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _run(args: list[str], inputs: list[Path], timeout: float) -> None:
    binary = soffice()
    if binary is None:
        raise RuntimeError("LibreOffice (soffice) is not installed: apt-get install -y libreoffice-calc-nogui")
    with tempfile.TemporaryDirectory(prefix="xlkpi-lo-") as profile:
        user = Path(profile) / "user"
        user.mkdir(parents=True)
        (user / "registrymodifications.xcu").write_text(_RECALC_PROFILE)
        env = {**os.environ, "HOME": profile}
        subprocess.run(
            [binary, "--headless", "--norestore", f"-env:UserInstallation=file://{profile}", *args, *map(str, inputs)],
            check=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=timeout,
            env=env,
        )


def recalculate(paths: Iterable[os.PathLike | str], outdir: os.PathLike | str, *, infilter: str | None = None,
                timeout: float = 240) -> list[Path]:
    """Recalculate workbooks in LibreOffice and save them as .xlsx in ``outdir``.

    Several files go through one soffice call (much cheaper than one each).
    Input files must not live in ``outdir`` (LibreOffice cannot convert into
    the input's own folder).  ``infilter`` names the import filter, e.g.
    ``"Calc MS Excel 2007 VBA XML"`` for an .xlam.
    """
    inputs = [Path(p).resolve() for p in paths]
    out = Path(outdir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    if any(p.parent == out for p in inputs):
        raise ValueError("recalculate: outdir must differ from the inputs' folder")
    # A unique name per call keeps outputs from two inputs with one stem apart.
    args = ["--calc", "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out)]
    if infilter:
        args.insert(0, f"--infilter={infilter}")
    _run(args, inputs, timeout)
    results = [out / (p.stem + ".xlsx") for p in inputs]
    missing = [str(p) for p in results if not p.exists()]
    if missing:
        raise RuntimeError(f"LibreOffice did not produce {missing}")
    return results


def render_pdf(path: os.PathLike | str, outdir: os.PathLike | str, *, timeout: float = 240) -> Path:
    """Print a workbook to PDF in ``outdir`` as LibreOffice lays it out; returns the PDF (``pdftotext -bbox``
    then gives each word's position: what a reader sees side by side)."""
    src = Path(path).resolve()
    out = Path(outdir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    _run(["--convert-to", "pdf", "--outdir", str(out)], [src], timeout)
    pdf = out / (src.stem + ".pdf")
    if not pdf.exists():
        raise RuntimeError(f"LibreOffice did not render {src}")
    return pdf


def render_png(path: os.PathLike | str, outdir: os.PathLike | str, *, dpi: int = 60, timeout: float = 240) -> list[Path]:
    """Render a workbook to PNG pages (via PDF) in ``outdir``; returns the page files."""
    src = Path(path).resolve()
    out = Path(outdir).resolve()
    pdf = render_pdf(src, out, timeout=timeout)
    prefix = out / f"{src.stem}-{uuid.uuid4().hex[:6]}"
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(prefix)], check=True, timeout=timeout)
    return sorted(out.glob(prefix.name + "*.png"))


def computed(workbook, tmp_path: os.PathLike | str, name: str = "book"):
    """Save an openpyxl ``workbook``, let LibreOffice recalculate it, return the result read back.

    The returned workbook is opened with ``data_only=True``: each formula
    cell holds LibreOffice's value ('#DIV/0!' etc. for errors).
    """
    import openpyxl

    src = Path(tmp_path) / f"{name}-src"
    src.mkdir(parents=True, exist_ok=True)
    workbook.save(src / f"{name}.xlsx")
    (out,) = recalculate([src / f"{name}.xlsx"], Path(tmp_path) / f"{name}-out")
    return openpyxl.load_workbook(out, data_only=True)


def write_kpi_row(ws, row: int, definition, values) -> str:
    """One KPI call as a sheet row: argument values from column B on, the definition's guarded native
    formula over them in column A.  Returns the formula cell ("A7")."""
    refs = {}
    for col, name in enumerate(definition.arg_names, start=2):
        refs[name] = ws.cell(row=row, column=col, value=values[name]).coordinate
    ws.cell(row=row, column=1, value="=" + definition.excel_guarded_formula(refs))
    return f"A{row}"
