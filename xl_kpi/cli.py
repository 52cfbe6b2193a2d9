"""The ``xl-kpi`` command line.

Each sub-command lives in the module that owns the feature; this file only
dispatches, so ``xl-kpi functions`` does not pay for importing openpyxl.
A sub-command module provides ``add_arguments(parser, command)`` and
``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from xl_kpi import __version__
from xl_kpi.errors import KPIError, UserError

#: command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "functions": ("xl_kpi.catalog_docs", "list every Excel function with its arguments"),
    "templates": ("xl_kpi.templates.cli", "write the template workbooks"),
    "refresh": ("xl_kpi.refresh.cli", "recompute the report sheets of a workbook"),
    "demo": ("xl_kpi.demo", "build a sample company's workbooks and print its KPIs"),
    "addin": ("xl_kpi.addin", "build the Excel add-in (xl_kpi.xlam)"),
    "install": ("xl_kpi.install", "install the Excel add-in for this Python"),
    "uninstall": ("xl_kpi.install", "remove what 'xl-kpi install' added"),
}


#: The sub-command module :func:`main` ran last (read by :func:`program`).
_ran = None


def _top_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xl-kpi",
        description="SaaS KPIs for Excel: functions, template workbooks and refresh.",
        epilog="commands:\n" + "\n".join(f"  {name:<10} {text}" for name, (_, text) in COMMANDS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"xl-kpi {__version__}")
    parser.add_argument("command", choices=list(COMMANDS), metavar="command", help="one of the commands below")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one sub-command; return its exit code (0 on success, 2 on a user error, 130 on Ctrl-C).

    Ctrl-C is one line at any moment, also while the sub-command's module
    (pandas, numpy ...) is still being imported.  An exception that is not
    a user error is a bug: one line saying so (exit 3), the traceback only
    with ``XL_KPI_TRACEBACK=1``.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        _top_parser().parse_args(argv)  # prints help / version / a usage error and exits
        return 2
    command = argv[0]
    module_name, text = COMMANDS[command]
    global _ran
    try:
        module = _ran = importlib.import_module(module_name)
        parser = argparse.ArgumentParser(prog=f"xl-kpi {command}", description=text)
        module.add_arguments(parser, command)
        args = parser.parse_args(argv[1:])
        args.command = command
        return int(module.run(args) or 0)
    except (UserError, KPIError) as exc:
        print(f"xl-kpi {command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"xl-kpi {command}: interrupted; nothing was changed", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("XL_KPI_TRACEBACK"):
            raise
        print(f"xl-kpi {command}: internal error ({type(exc).__name__}: {exc}); this is a "
              "bug, please report it (XL_KPI_TRACEBACK=1 shows where)", file=sys.stderr)
        return 3


def program(argv: list[str] | None = None) -> None:
    """The ``xl-kpi`` program (its console script, ``python -m xl_kpi.cli``): :func:`main`, then exit.

    A sub-command module that sets ``exit_without_teardown`` true in its ``run`` (``xl-kpi refresh``, once
    its file is written, flushed to disk and in place, when nothing else runs) has the process end without
    tearing the interpreter down: after a refresh of a large source that teardown (DuckDB's database, the
    pandas, Arrow and Ibis objects and modules, each freed one by one) took 0.5-0.8 s of nothing the user
    waits for.  The exit functions (``atexit``: logging's flush, Arrow's) still run, and the output is flushed.
    """
    code = main(argv)
    if getattr(_ran, "exit_without_teardown", False):
        import atexit
        import threading

        if threading.active_count() == 1:  # (a thread still running would be cut short: the usual exit)
            atexit._run_exitfuncs()
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError):  # a closed pipe: nothing more can be said there
                    pass
            os._exit(code)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    program()
