"""``xl-kpi templates --out DIR [--blank]``: write the template workbooks."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from xl_kpi.errors import UserError


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("--out", default="workbooks", metavar="DIR",
                        help="folder to write the workbooks into (created if missing; default: workbooks)")
    parser.add_argument("--blank", action="store_true",
                        help="leave the input tables empty instead of filling them with the sample company")
    parser.add_argument("--force", action="store_true",
                        help="overwrite workbooks that already exist in DIR (they may hold your data)")


def run(args: argparse.Namespace) -> int:
    from xl_kpi.templates import write_templates

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: is a file, not a folder")
    from xl_kpi.templates import BUILDERS

    existing = [out / name for name in BUILDERS if (out / name).exists()]
    if existing and not args.force:
        names = ", ".join(p.name for p in existing)
        raise UserError(f"--out {out}: {names} already exist{'s' if len(existing) == 1 else ''} and may hold your "
                        "data; nothing was written. Use --force to overwrite, or choose another --out folder")
    started = time.perf_counter()
    try:
        paths = write_templates(out, blank=args.blank)
    except PermissionError as exc:
        raise UserError(f"cannot write {exc.filename}: permission denied (is the workbook open in Excel?)") from None
    for path in paths:
        print(path)
    print(f"{len(paths)} workbooks in {time.perf_counter() - started:.2f} s")
    return 0
