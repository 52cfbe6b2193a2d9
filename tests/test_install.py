"""xl-kpi install / uninstall, run for Windows and macOS against a fake home folder.

The plan is computed for a platform and home given as arguments, so the
Windows steps run here for real, into a temporary "home".  The home is
snapshotted (every file's bytes, every folder) before and after: install
twice = one install, uninstall = back to exactly the snapshot before.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import xlwings
from python_calamine import CalamineWorkbook

from xl_kpi import cli, install
from xl_kpi.errors import UserError

WIN_PYTHON = r"C:\Users\ana\AppData\Local\xl_kpi\venv\Scripts\python.exe"
WIN_PYTHONW = r"C:\Users\ana\AppData\Local\xl_kpi\venv\Scripts\pythonw.exe"
MAC_PYTHON = "/Users/ana/Library/xl_kpi/venv/bin/python"


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every folder (None) and file (its bytes) under root."""
    return {str(p.relative_to(root)): (None if p.is_dir() else p.read_bytes()) for p in sorted(root.rglob("*"))}


def config_values(xlam: Path) -> dict[str, object]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(xlam.read_bytes()))
    return {str(r[0]).upper(): r[1] for r in book.get_sheet_by_name("myaddin.conf").to_python()}


@pytest.fixture
def win_home(tmp_path) -> Path:
    """A Windows profile that already has Excel's XLSTART with the user's personal macro book."""
    home = tmp_path / "Users" / "ana"
    xlstart = home / "AppData" / "Roaming" / "Microsoft" / "Excel" / "XLSTART"
    xlstart.mkdir(parents=True)
    (xlstart / "PERSONAL.XLSB").write_bytes(b"the user's own macros")
    (home / "Documents").mkdir()
    return home


@pytest.fixture
def on_windows(monkeypatch, win_home):
    monkeypatch.setattr(install, "_system", lambda: ("win32", win_home, WIN_PYTHON, {}))
    # Whatever xlwings this test machine has (Python 3.10 gets 0.37.0), the plan is for a recent
    # one; the version gate has its own test.
    monkeypatch.setattr(install, "_xlwings_version", lambda: "0.37.8")
    return win_home


def install_for(platform, home, python, **kw):
    install.execute(install.plan_install(platform, home, python, **kw), echo=lambda line: None)


def uninstall_for(platform, home, python):
    install.execute(install.plan_uninstall(platform, home, python), echo=lambda line: None)


# ------------------------------------------------------------------ Windows plan


def test_windows_plan_puts_the_addin_in_xlstart_and_the_record_in_localappdata(win_home):
    steps = install.plan_install("win32", win_home, WIN_PYTHON)
    xlstart = win_home / "AppData" / "Roaming" / "Microsoft" / "Excel" / "XLSTART"
    state = win_home / "AppData" / "Local" / "xl_kpi"
    assert [(s.action, s.path) for s in steps] == [
        ("mkdir", win_home / "AppData" / "Local"),
        ("mkdir", state),
        ("build-addin", xlstart / "xl_kpi.xlam"),
        ("write-manifest", state / "install-manifest.json"),
    ]
    assert steps[2].data == {"interpreter_win": WIN_PYTHONW, "interpreter_mac": ""}


def test_windows_plan_follows_appdata_and_localappdata(tmp_path):
    env = {"APPDATA": str(tmp_path / "roam"), "LOCALAPPDATA": str(tmp_path / "loc")}
    steps = install.plan_install("win32", tmp_path / "home", WIN_PYTHON, env)
    paths = {s.action: s.path for s in steps}
    assert paths["build-addin"] == tmp_path / "roam" / "Microsoft" / "Excel" / "XLSTART" / "xl_kpi.xlam"
    assert paths["write-manifest"] == tmp_path / "loc" / "xl_kpi" / "install-manifest.json"


def test_install_builds_the_addin_for_pythonw_and_keeps_the_users_files(win_home):
    before = snapshot(win_home)
    install_for("win32", win_home, WIN_PYTHON)
    after = snapshot(win_home)
    xlam = win_home / "AppData/Roaming/Microsoft/Excel/XLSTART/xl_kpi.xlam"
    assert config_values(xlam)["INTERPRETER_WIN"] == WIN_PYTHONW
    assert config_values(xlam)["UDF MODULES"] == "xl_kpi.udfs"
    assert {k: v for k, v in after.items() if k in before} == before  # nothing of the user's changed
    assert set(after) - set(before) == {
        "AppData/Local", "AppData/Local/xl_kpi", "AppData/Local/xl_kpi/install-manifest.json",
        "AppData/Roaming/Microsoft/Excel/XLSTART/xl_kpi.xlam"}
    manifest = json.loads((win_home / "AppData/Local/xl_kpi/install-manifest.json").read_text())
    # XLSTART was there before: not recorded, so uninstall will not remove it.
    assert manifest["dirs"] == [str(win_home / "AppData/Local"), str(win_home / "AppData/Local/xl_kpi")]
    assert manifest["files"] == [str(xlam)]


def test_install_twice_is_the_same_state_as_once(win_home):
    install_for("win32", win_home, WIN_PYTHON)
    once = snapshot(win_home)
    install_for("win32", win_home, WIN_PYTHON)
    assert snapshot(win_home) == once


def test_uninstall_leaves_the_home_exactly_as_before(win_home):
    before = snapshot(win_home)
    install_for("win32", win_home, WIN_PYTHON)
    install_for("win32", win_home, WIN_PYTHON)
    uninstall_for("win32", win_home, WIN_PYTHON)
    assert snapshot(win_home) == before


def test_uninstall_on_an_empty_home_removes_every_folder_install_made(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    install_for("win32", home, WIN_PYTHON)
    assert (home / "AppData/Roaming/Microsoft/Excel/XLSTART/xl_kpi.xlam").is_file()
    uninstall_for("win32", home, WIN_PYTHON)
    assert snapshot(home) == {}


def test_uninstall_keeps_a_folder_the_user_put_files_in(win_home):
    install_for("win32", win_home, WIN_PYTHON)
    keep = win_home / "AppData/Local/xl_kpi/notes.txt"
    keep.write_text("mine")
    uninstall_for("win32", win_home, WIN_PYTHON)
    assert keep.read_text() == "mine"
    assert not (win_home / "AppData/Roaming/Microsoft/Excel/XLSTART/xl_kpi.xlam").exists()
    assert not (win_home / "AppData/Local/xl_kpi/install-manifest.json").exists()


def test_a_newer_interpreter_rebuilds_the_addin_in_place(win_home):
    install_for("win32", win_home, WIN_PYTHON)
    other = r"D:\py312\python.exe"
    install_for("win32", win_home, other)
    xlam = win_home / "AppData/Roaming/Microsoft/Excel/XLSTART/xl_kpi.xlam"
    assert config_values(xlam)["INTERPRETER_WIN"] == r"D:\py312\pythonw.exe"
    manifest = json.loads((win_home / "AppData/Local/xl_kpi/install-manifest.json").read_text())
    assert manifest["python"] == other
    assert manifest["sha256"][str(xlam)] == __import__("hashlib").sha256(xlam.read_bytes()).hexdigest()


def test_a_damaged_manifest_is_a_clear_error(win_home):
    manifest = win_home / "AppData/Local/xl_kpi/install-manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text("{not json")
    with pytest.raises(UserError, match="install manifest"):
        install.plan_uninstall("win32", win_home, WIN_PYTHON)


# ------------------------------------------------------------------ command line


def test_dry_run_prints_every_step_and_changes_nothing(on_windows, capsys):
    before = snapshot(on_windows)
    assert cli.main(["install", "--dry-run"]) == 0
    out = capsys.readouterr().out
    for step in install.plan_install("win32", on_windows, WIN_PYTHON):
        assert str(step) in out
    assert "XLSTART" in out and "pythonw.exe" in out
    assert snapshot(on_windows) == before


def test_uninstall_dry_run_changes_nothing(on_windows, capsys):
    assert cli.main(["install"]) == 0
    installed = snapshot(on_windows)
    assert cli.main(["uninstall", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "remove: " in out and "xl_kpi.xlam" in out
    assert snapshot(on_windows) == installed


def test_cli_install_then_uninstall_round_trip(on_windows, capsys):
    before = snapshot(on_windows)
    assert cli.main(["install"]) == 0
    assert "restart Excel" in capsys.readouterr().out
    assert (on_windows / "AppData/Roaming/Microsoft/Excel/XLSTART/xl_kpi.xlam").is_file()
    assert cli.main(["uninstall"]) == 0
    assert snapshot(on_windows) == before
    assert cli.main(["uninstall"]) == 0  # nothing left: says so, succeeds
    assert "nothing to remove" in capsys.readouterr().out


def test_on_linux_install_is_a_clear_one_line_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(install, "_system", lambda: ("linux", tmp_path, "/usr/bin/python3", {}))
    for command in ("install", "uninstall"):
        assert cli.main([command]) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and "Windows or macOS" in err and "xl-kpi addin build" in err
    assert snapshot(tmp_path) == {}


# ------------------------------------------------------------------ macOS plan


def test_macos_install_adds_addin_and_runpython_script_and_uninstall_removes_them(tmp_path):
    home = tmp_path / "ana"
    (home / "Library").mkdir(parents=True)
    before = snapshot(home)
    install_for("darwin", home, MAC_PYTHON)
    xlam = home / install.MAC_STARTUP / "xl_kpi.xlam"
    script = home / install.MAC_SCRIPTS / f"xlwings-{xlwings.__version__}.applescript"
    assert config_values(xlam)["INTERPRETER_MAC"] == MAC_PYTHON
    assert config_values(xlam)["INTERPRETER_WIN"] == ""
    assert script.read_bytes() == (Path(xlwings.__file__).parent / script.name).read_bytes()
    once = snapshot(home)
    install_for("darwin", home, MAC_PYTHON)
    assert snapshot(home) == once
    uninstall_for("darwin", home, MAC_PYTHON)
    assert snapshot(home) == before


def test_macos_keeps_a_runpython_script_the_user_already_had(tmp_path):
    home = tmp_path / "ana"
    script = home / install.MAC_SCRIPTS / f"xlwings-{xlwings.__version__}.applescript"
    script.parent.mkdir(parents=True)
    script.write_bytes(b"from 'xlwings runpython install'")
    assert "copy" not in [s.action for s in install.plan_install("darwin", home, MAC_PYTHON)]
    install_for("darwin", home, MAC_PYTHON)
    uninstall_for("darwin", home, MAC_PYTHON)
    assert script.read_bytes() == b"from 'xlwings runpython install'"


def test_import_udfs_is_windows_only():
    with pytest.raises(UserError, match="Windows only"):
        install.plan_install("darwin", Path("/nonexistent"), MAC_PYTHON, import_udfs=True)


# ------------------------------------------------------------------ UDF import and VBA trust


class FakeTrust:
    def __init__(self, value):
        self.value, self.history = value, []

    def get(self):
        return self.value

    def set(self, value):
        self.history.append(value)
        self.value = value


def test_trust_is_asked_for_switched_on_for_the_import_only_then_restored(tmp_path):
    trust, seen = FakeTrust(None), []
    install.import_udfs_trusted(tmp_path / "a.xlam", trust, ask=lambda q: "Trust access" in q,
                                importer=lambda path: seen.append(trust.value), echo=lambda line: None)
    assert seen == [1]  # on during the import
    assert trust.history == [1, None] and trust.value is None  # "never set" restored


def test_trust_is_restored_when_the_import_fails(tmp_path):
    trust = FakeTrust(0)

    def broken(path):
        raise RuntimeError("Excel crashed")

    with pytest.raises(UserError, match="RuntimeError: Excel crashed.*add-in and its ribbon are installed"):
        install.import_udfs_trusted(tmp_path / "a.xlam", trust, ask=lambda q: True, importer=broken,
                                    echo=lambda line: None)
    assert trust.value == 0 and trust.history == [1, 0]


def test_refusing_trust_changes_nothing_and_says_what_is_installed(tmp_path):
    trust, called = FakeTrust(0), []
    with pytest.raises(UserError, match="not imported"):
        install.import_udfs_trusted(tmp_path / "a.xlam", trust, ask=lambda q: False, importer=called.append)
    assert called == [] and trust.history == []


def test_already_trusted_is_neither_asked_nor_changed(tmp_path):
    trust, called = FakeTrust(1), []

    def never(question):
        raise AssertionError("asked")

    install.import_udfs_trusted(tmp_path / "a.xlam", trust, ask=never, importer=called.append)
    assert called == [tmp_path / "a.xlam"] and trust.history == []


def test_install_with_import_udfs_records_the_imported_addin(win_home):
    steps = install.plan_install("win32", win_home, WIN_PYTHON, import_udfs=True)
    assert [s.action for s in steps][-3:] == ["write-manifest", "import-udfs", "write-manifest"]
    trust = FakeTrust(None)

    def fake_import(path):  # stands in for Excel adding the xlwings_udfs module
        path.write_bytes(path.read_bytes() + b"imported")

    install.execute(steps, echo=lambda line: None, trust=trust, ask=lambda q: True, importer=fake_import)
    xlam = steps[-2].path
    manifest = json.loads(steps[-1].path.read_text())
    assert manifest["files"] == [str(xlam)]
    assert manifest["sha256"][str(xlam)] == __import__("hashlib").sha256(xlam.read_bytes()).hexdigest()
    assert xlam.read_bytes().endswith(b"imported") and trust.value is None


# ------------------------------------------------------------------ install.ps1 (static: no PowerShell here)


def test_install_ps1_only_bootstraps_and_calls_the_right_commands():
    script = (Path(__file__).parents[1] / "install.ps1").read_text(encoding="utf-8")
    code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))
    assert "Set-StrictMode -Version Latest" in code and "$ErrorActionPreference = 'Stop'" in code
    assert "param([switch]$Uninstall, [switch]$ImportUdfs)" in code
    # Python >= 3.11 (the ribbon's xlwings needs it) through the py launcher, then python;
    # advice when neither works.
    assert "@(@('py', '-3'), @('python'))" in code and "sys.version_info >= (3, 11)" in code
    assert "winget install Python.Python" in code and "python.org" in code
    # The venv lives where `xl-kpi install` keeps its manifest (so uninstall leaves nothing behind).
    assert "Join-Path $env:LOCALAPPDATA 'xl_kpi'" in code and "Join-Path $AppDir 'venv'" in code
    env = {"LOCALAPPDATA": r"C:\Users\ana\AppData\Local", "APPDATA": r"C:\Users\ana\AppData\Roaming"}
    state = install.layout("win32", Path("/home"), WIN_PYTHON, env).state_dir
    assert state == Path(env["LOCALAPPDATA"]) / "xl_kpi"
    assert "@('-m', 'venv', $Venv)" in code
    assert "@('-m', 'pip', 'install', '--upgrade', $PSScriptRoot)" in code
    assert "$InstallArgs = @('install')" in code and "'--import-udfs'" in code
    assert "Invoke-Checked $XlKpi @('uninstall')" in code and "Remove-Item -Recurse -Force $Venv" in code
    # Every native call goes through the exit-code check; braces and parentheses balance.
    assert "$LASTEXITCODE -ne 0" in code
    for opening, closing in ("{}", "()", "[]"):
        assert code.count(opening) == code.count(closing), opening
    assert len(script.splitlines()) <= 80  # short enough to review by eye
    # Every option the script passes exists in the xl-kpi command line.
    import argparse

    for command, options in (("install", ["--import-udfs"]), ("uninstall", [])):
        parser = argparse.ArgumentParser()
        install.add_arguments(parser, command)
        args = parser.parse_args(options)
        assert args.dry_run is False


def test_a_failed_udf_import_still_leaves_an_install_that_uninstalls_cleanly(win_home):
    before = snapshot(win_home)

    def broken(path):
        raise OSError("Excel is busy")

    steps = install.plan_install("win32", win_home, WIN_PYTHON, import_udfs=True)
    with pytest.raises(UserError, match="Excel is busy"):
        install.execute(steps, echo=lambda line: None, trust=FakeTrust(0), ask=lambda q: True, importer=broken)
    assert (win_home / "AppData/Roaming/Microsoft/Excel/XLSTART/xl_kpi.xlam").is_file()
    uninstall_for("win32", win_home, WIN_PYTHON)
    assert snapshot(win_home) == before


def test_install_refuses_an_xlwings_too_old_for_the_ribbon_and_changes_nothing(on_windows, monkeypatch, capsys):
    monkeypatch.setattr(install, "_xlwings_version", lambda: "0.37.0")
    before = sorted(p.relative_to(on_windows) for p in on_windows.rglob("*"))
    assert cli.main(["install"]) == 2
    err = capsys.readouterr().err
    assert "The Excel add-in needs xlwings 0.37.6 or newer" in err and "xlwings 0.37.0" in err
    assert sorted(p.relative_to(on_windows) for p in on_windows.rglob("*")) == before
