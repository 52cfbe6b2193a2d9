"""``xl-kpi install`` / ``xl-kpi uninstall``: put the add-in where Excel loads it, and take it back.

Install is a *plan* of small steps computed from the platform, the home
folder and the Python interpreter (all injectable: the tests run the Windows
plan on Linux against a fake home), then executed; ``--dry-run`` prints the
plan and changes nothing.  What install creates is recorded in a manifest,
so uninstall removes exactly that, and nothing the user already had.

Windows
    ``xl_kpi.xlam`` (built for this interpreter's ``pythonw.exe``) goes into
    the user's Excel startup folder ``%APPDATA%\\Microsoft\\Excel\\XLSTART``:
    the folder Excel's ``Application.StartupPath`` names and where
    ``xlwings addin install`` copies add-ins.  The manifest lives in
    ``%LOCALAPPDATA%\\xl_kpi`` (beside the venv that install.ps1 creates).
    ``--import-udfs`` also imports the Excel functions into the add-in
    through Excel (COM); that needs "Trust access to the VBA project object
    model", which is asked for, switched on for the import only, and put
    back as it was afterwards, also when the import fails.
macOS
    The add-in goes into Excel's startup folder in the Office group
    container, and xlwings' RunPython AppleScript into
    ``~/Library/Application Scripts/com.microsoft.Excel`` (what
    ``xlwings runpython install`` does) unless it is already there.  Excel
    functions (UDFs) are Windows-only in xlwings.
Elsewhere
    A clear error: Excel desktop does not run there; ``xl-kpi addin build``
    still builds the file.

The add-in carries its whole configuration in its own ``myaddin.conf``
sheet (interpreter, ``UDF MODULES``).  No user config file is written:
``%USERPROFILE%\\.myaddin\\myaddin.conf`` is read only for keys the sheet
does not hold, and its name comes from the template's ``PROJECT_NAME``, so
every add-in built from xlwings' template shares that one file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol

from xl_kpi import addin
from xl_kpi.errors import UserError

MANIFEST_NAME = "install-manifest.json"
#: Excel for Mac's startup folder for add-ins (Office 2016 and later, sandboxed).
MAC_STARTUP = Path("Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/Excel")
MAC_SCRIPTS = Path("Library/Application Scripts/com.microsoft.Excel")


@dataclass(frozen=True)
class Step:
    """One action of an install or uninstall plan; ``str(step)`` is what the user reads."""

    action: str  # mkdir | build-addin | copy | import-udfs | write-manifest | remove | rmdir
    path: Path
    text: str
    data: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        return f"{self.text}: {self.path}"


@dataclass(frozen=True)
class Layout:
    """Where things go on one platform for one user."""

    platform: str
    startup_dir: Path
    state_dir: Path
    interpreter_win: str
    interpreter_mac: str
    runpython_script: Path | None = None  # macOS only

    @property
    def addin_path(self) -> Path:
        return self.startup_dir / addin.ADDIN_NAME

    @property
    def manifest_path(self) -> Path:
        return self.state_dir / MANIFEST_NAME


def layout(platform: str, home: Path, python: str, environ: Mapping[str, str] | None = None) -> Layout:
    """Folders and interpreter settings for ``platform``; a UserError where Excel does not run."""
    environ = {} if environ is None else environ
    home = Path(home)
    if platform == "win32":
        roaming = Path(environ.get("APPDATA") or home / "AppData" / "Roaming")
        local = Path(environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
        return Layout(platform, roaming / "Microsoft" / "Excel" / "XLSTART", local / "xl_kpi",
                      interpreter_win=addin.excel_interpreter(python, platform), interpreter_mac="")
    if platform == "darwin":
        return Layout(platform, home / MAC_STARTUP, home / "Library" / "Application Support" / "xl_kpi",
                      interpreter_win="", interpreter_mac=str(python),
                      runpython_script=home / MAC_SCRIPTS / _runpython_script_name())
    raise UserError(f"xl-kpi install needs Excel for Windows or macOS (this is {platform!r}); "
                    "build the add-in with 'xl-kpi addin build --out DIR' and refresh files with 'xl-kpi refresh'")


def _runpython_script_name() -> str:
    import xlwings

    return f"xlwings-{xlwings.__version__}.applescript"


# -- plans --------------------------------------------------------------------------------

def read_manifest(path: Path) -> dict[str, Any] | None:
    """The manifest of a previous install, or None; a damaged one is a clear error."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read the install manifest {path}: {exc}; delete it to start over") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        raise UserError(f"the install manifest {path} is not one xl-kpi wrote; delete it to start over")
    return manifest


def plan_install(platform: str, home: Path, python: str, environ: Mapping[str, str] | None = None, *,
                 import_udfs: bool = False) -> list[Step]:
    """The steps of ``xl-kpi install``: folders, add-in, (RunPython script), (UDFs), manifest.

    Only folders that do not exist yet are created and recorded, so uninstall
    removes those and no others; a second install plans the same add-in and
    an identical manifest (install is idempotent).
    """
    where = layout(platform, home, python, environ)
    if import_udfs and platform != "win32":
        raise UserError("--import-udfs: Excel functions (UDFs) work on Windows only (an xlwings limit)")
    previous = read_manifest(where.manifest_path) or {"files": [], "dirs": []}
    steps: list[Step] = []
    created_dirs = [d for d in previous.get("dirs", []) if Path(d).is_dir()]

    def make_folder(folder: Path) -> None:
        for path in _missing_parents(folder):
            if str(path) not in created_dirs:
                steps.append(Step("mkdir", path, "create folder"))
                created_dirs.append(str(path))

    make_folder(where.state_dir)
    make_folder(where.startup_dir)
    interpreter = where.interpreter_win or where.interpreter_mac
    steps.append(Step("build-addin", where.addin_path,
                      ("rebuild" if where.addin_path.exists() else "build") + f" the add-in for {interpreter}",
                      {"interpreter_win": where.interpreter_win, "interpreter_mac": where.interpreter_mac}))
    files = [str(where.addin_path)]
    if where.runpython_script is not None:
        script = where.runpython_script
        ours = str(script) in previous["files"]
        if ours or not script.exists():
            make_folder(script.parent)
            import xlwings

            source = Path(xlwings.__file__).parent / script.name
            steps.append(Step("copy", script, "copy xlwings' RunPython AppleScript", {"source": str(source)}))
            files.append(str(script))
    manifest = {"tool": "xl_kpi", "platform": platform, "python": str(python),
                "files": files, "dirs": created_dirs}
    # Recorded before the UDF import, so a failed import still leaves an uninstallable state.
    steps.append(Step("write-manifest", where.manifest_path, "record what was installed", {"manifest": manifest}))
    if import_udfs:
        steps.append(Step("import-udfs", where.addin_path,
                          f"import the Excel functions of {addin.UDF_MODULES} into the add-in through Excel "
                          "(trust access to the VBA project only for the import, then restore the setting)"))
        steps.append(Step("write-manifest", where.manifest_path, "update the install record",
                          {"manifest": manifest}))
    return steps


def plan_uninstall(platform: str, home: Path, python: str, environ: Mapping[str, str] | None = None) -> list[Step]:
    """The steps of ``xl-kpi uninstall``: remove the recorded files, then recorded empty folders."""
    where = layout(platform, home, python, environ)
    manifest = read_manifest(where.manifest_path)
    if manifest is None:
        return []
    steps = [Step("remove", Path(f), "remove") for f in manifest["files"] if Path(f).exists()]
    steps.append(Step("remove", where.manifest_path, "remove the install record"))
    # Deepest first, and only if empty when we get there (the user may have put files in them).
    for d in sorted(manifest.get("dirs", []), key=lambda d: len(Path(d).parts), reverse=True):
        if Path(d).is_dir():
            steps.append(Step("rmdir", Path(d), "remove folder if empty"))
    return steps


def _missing_parents(folder: Path) -> list[Path]:
    """``folder`` and its missing ancestors, outermost first."""
    missing = []
    for path in (folder, *folder.parents):
        if path.exists():
            break
        missing.append(path)
    return missing[::-1]


# -- execution ----------------------------------------------------------------------------

class VBATrust(Protocol):
    """Excel's "Trust access to the VBA project object model" setting (None: never set)."""

    def get(self) -> int | None: ...

    def set(self, value: int | None) -> None: ...


def execute(steps: list[Step], *, echo: Callable[[str], None] = print,
            trust: VBATrust | None = None, ask: Callable[[str], bool] | None = None,
            importer: Callable[[Path], None] | None = None) -> None:
    """Run the steps in order, printing each; ``trust``/``ask``/``importer`` serve import-udfs."""
    for step in steps:
        echo(str(step))
        if step.action == "mkdir":
            step.path.mkdir(exist_ok=True)
        elif step.action == "build-addin":
            addin.build_addin(step.path.parent, **step.data)
        elif step.action == "copy":
            addin.write_atomically(step.path, Path(step.data["source"]).read_bytes())
        elif step.action == "import-udfs":
            import_udfs_trusted(step.path, trust or WindowsVBATrust(), ask or _ask_console,
                                importer or import_udfs_with_excel, echo)
        elif step.action == "write-manifest":
            manifest = dict(step.data["manifest"])
            manifest["sha256"] = {f: _sha256(Path(f)) for f in manifest["files"] if Path(f).exists()}
            addin.write_atomically(step.path, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())
        elif step.action == "remove":
            try:
                step.path.unlink(missing_ok=True)
            except PermissionError as exc:
                raise UserError(f"cannot remove {step.path}: it is in use (quit Excel and run this again)") from exc
        elif step.action == "rmdir":
            if step.path.is_dir() and not any(step.path.iterdir()):
                step.path.rmdir()
        else:  # pragma: no cover - plans only hold the actions above
            raise ValueError(step.action)


def import_udfs_trusted(addin_path: Path, trust: VBATrust, ask: Callable[[str], bool],
                        importer: Callable[[Path], None], echo: Callable[[str], None] = print) -> None:
    """Import the UDFs with VBA-project access switched on only for the import.

    The user is asked first; the previous setting (including "never set") is
    restored afterwards whatever happens.
    """
    before = trust.get()
    if before != 1:
        if not ask("Importing the Excel functions needs Excel's 'Trust access to the VBA project object "
                   "model' for a moment; it is switched back off right after. Allow? [y/N] "):
            raise UserError("the Excel functions were not imported (VBA project access not allowed); "
                            "the add-in and its ribbon are installed")
        trust.set(1)
    try:
        importer(addin_path)
    except Exception as exc:  # COM errors carry no useful type; the message is what the user needs
        raise UserError(f"importing the Excel functions through Excel failed ({type(exc).__name__}: {exc}); "
                        "the add-in and its ribbon are installed; quit Excel and run "
                        "'xl-kpi install --import-udfs' again") from exc
    finally:
        if before != 1:
            trust.set(before)
            echo("  restored 'Trust access to the VBA project object model'")


def _ask_console(question: str) -> bool:
    try:
        return input(question).strip().lower() in {"y", "yes"}
    except EOFError:
        return False


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the Windows-only parts (thin; need Excel and pywin32, so they run on Windows only) ----

class WindowsVBATrust:  # pragma: no cover - Windows registry
    """HKCU\\Software\\Microsoft\\Office\\<version>\\Excel\\Security\\AccessVBOM."""

    def __init__(self) -> None:
        import winreg

        self._winreg = winreg
        versions = [v for v in ("16.0", "15.0", "14.0") if self._exists(rf"Software\Microsoft\Office\{v}\Excel")]
        if not versions:
            raise UserError("Excel does not seem to be installed for this user (no Office registry key)")
        self.key = rf"Software\Microsoft\Office\{versions[0]}\Excel\Security"

    def _exists(self, key: str) -> bool:
        try:
            self._winreg.CloseKey(self._winreg.OpenKey(self._winreg.HKEY_CURRENT_USER, key))
            return True
        except OSError:
            return False

    def get(self) -> int | None:
        try:
            with self._winreg.OpenKey(self._winreg.HKEY_CURRENT_USER, self.key) as key:
                return int(self._winreg.QueryValueEx(key, "AccessVBOM")[0])
        except OSError:
            return None

    def set(self, value: int | None) -> None:
        with self._winreg.CreateKey(self._winreg.HKEY_CURRENT_USER, self.key) as key:
            if value is None:
                self._winreg.DeleteValue(key, "AccessVBOM")
            else:
                self._winreg.SetValueEx(key, "AccessVBOM", 0, self._winreg.REG_DWORD, int(value))


def import_udfs_with_excel(addin_path: Path) -> None:  # pragma: no cover - needs Excel
    """Open the add-in in a hidden Excel, import the UDF wrappers (xlwings), save, quit."""
    import xlwings as xw
    from xlwings import udfs as xw_udfs

    with xw.App(visible=False, add_book=False) as app:
        book = app.books.open(str(addin_path))
        xw_udfs.import_udfs(addin.UDF_MODULES, book.api)
        book.save()
        book.close()


# -- command line -------------------------------------------------------------------------

def _system() -> tuple[str, Path, str, Mapping[str, str]]:
    """This machine: platform, home, interpreter, environment (tests replace this)."""
    return sys.platform, Path.home(), sys.executable, os.environ


def _xlwings_version() -> str:
    """The installed xlwings' version (tests replace this)."""
    import xlwings

    return xlwings.__version__


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("--dry-run", action="store_true", help="print every step and change nothing")
    if command == "install":
        parser.add_argument("--import-udfs", action="store_true",
                            help="also import the Excel functions into the add-in (Windows; asks to "
                                 "trust access to the VBA project for the import, then restores it)")
        parser.add_argument("--yes", action="store_true", help="answer yes to that question")


def run(args: argparse.Namespace) -> int:
    platform, home, python, environ = _system()
    if args.command == "install":
        steps = plan_install(platform, home, python, environ, import_udfs=args.import_udfs)
        # The add-in's ribbon button runs the live back end: refuse an xlwings it cannot use.
        from xl_kpi.refresh.xlwings_backend import xlwings_too_old

        too_old = xlwings_too_old(_xlwings_version(), "The Excel add-in")
        if too_old is not None:
            raise UserError(too_old)
    else:
        steps = plan_uninstall(platform, home, python, environ)
        if not steps:
            print("xl-kpi is not installed for this user (no install record); nothing to remove")
            return 0
    if args.dry_run:
        print(f"xl-kpi {args.command} --dry-run: would")
        for step in steps:
            print(f"  {step}")
        return 0
    ask = (lambda question: True) if getattr(args, "yes", False) else None
    execute(steps, ask=ask)
    if args.command == "install":
        print("done: restart Excel to see the KPI tab (Refresh KPIs)")
    else:
        print("done: restart Excel; the KPI tab is gone")
    return 0
