"""The Excel add-in xl_kpi.xlam: ribbon, config sheet, untouched VBA, opened by a real engine.

The add-in is a zip of XML parts; every part is checked against xlwings' own
template: unchanged parts byte for byte, changed parts element by element
(only the intended attributes and cells differ).  Config values are read back
with python-calamine and LibreOffice, i.e. by readers that share no code with
the builder.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import defusedxml.ElementTree as SafeET
import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from tests import libreoffice
from xl_kpi import addin, cli
from xl_kpi.errors import UserError

WIN_PY = r"C:\Users\Ana Lopez\AppData\Local\xl_kpi\venv\Scripts\pythonw.exe"
MAC_PY = "/Users/ana/.venvs/xl_kpi/bin/python"
CUI = "{http://schemas.microsoft.com/office/2006/01/customui}"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
#: The four parts the build rewrites; every other part must be byte-identical.
CHANGED = {"customUI/customUI.xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("addin")
    assert cli.main(["addin", "build", "--out", str(out), "--interpreter-win", WIN_PY,
                     "--interpreter-mac", MAC_PY]) == 0
    return out / "xl_kpi.xlam"


def parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def config_rows(data: bytes) -> list[list]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return book.get_sheet_by_name(book.sheet_names[0]).to_python()


def test_build_writes_xl_kpi_xlam_and_no_leftovers(built):
    assert built.name == "xl_kpi.xlam" and zipfile.is_zipfile(built)
    assert sorted(p.name for p in built.parent.iterdir()) == ["xl_kpi.xlam"]  # no temporary file left


def test_a_file_excel_holds_open_is_a_clear_error_and_stays_as_it_was(tmp_path, monkeypatch):
    target = tmp_path / "xl_kpi.xlam"
    target.write_bytes(b"the add-in Excel has open")

    def locked(src, dst):  # what Windows does while Excel has the file open
        raise PermissionError(13, "Permission denied", str(src), None, str(dst))

    monkeypatch.setattr(addin.os, "replace", locked)
    with pytest.raises(UserError, match="it is in use"):
        addin.write_atomically(target, b"new add-in")
    assert target.read_bytes() == b"the add-in Excel has open"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["xl_kpi.xlam"]  # no temporary file left


def test_ribbon_is_a_kpi_tab_with_a_large_refresh_button_calling_runmain(built):
    root = SafeET.fromstring(parts(built)["customUI/customUI.xml"])
    tabs = root.findall(f"{CUI}ribbon/{CUI}tabs/{CUI}tab")
    assert [t.get("label") for t in tabs] == ["KPI"]
    buttons = list(tabs[0].iter(f"{CUI}button"))
    assert [(b.get("label"), b.get("size"), b.get("onAction")) for b in buttons] == [
        ("Refresh KPIs", "large", "RibbonMyAddin.RunMain")]
    # The callback exists in the (unchanged) VBA project: module RibbonMyAddin, Sub RunMain.
    vba = parts(built)["xl/vbaProject.bin"]
    assert b"Module=RibbonMyAddin" in vba and b"RunMain" in vba
    # RunMain imports the add-in's file stem: that must be our package, which has main().
    import xl_kpi

    assert Path(built).stem == xl_kpi.__name__ and callable(xl_kpi.main)


def test_ribbon_changes_only_tab_group_and_button_attributes(built):
    template = SafeET.fromstring(parts(addin.template_path())["customUI/customUI.xml"])
    ours = SafeET.fromstring(parts(built)["customUI/customUI.xml"])
    # Same element structure, element for element.
    assert [e.tag for e in template.iter()] == [e.tag for e in ours.iter()]
    for a, b in zip(template.iter(), ours.iter()):
        if a.tag.split("}")[1] not in {"tab", "group", "button"}:
            assert a.attrib == b.attrib


def test_vba_project_is_byte_identical_to_xlwings_template(built):
    assert parts(built)["xl/vbaProject.bin"] == parts(addin.template_path())["xl/vbaProject.bin"]


def test_every_other_part_is_unchanged_and_in_the_same_order(built):
    template, ours = parts(addin.template_path()), parts(built)
    with zipfile.ZipFile(built) as a, zipfile.ZipFile(addin.template_path()) as b:
        assert a.namelist() == b.namelist()
    differing = {name for name in template if template[name] != ours[name]}
    assert differing == CHANGED


def test_config_sheet_is_enabled_by_its_name_and_nothing_else_in_workbook_xml_changed(built):
    ours = SafeET.fromstring(parts(built)["xl/workbook.xml"])
    assert [s.get("name") for s in ours.iter(f"{MAIN}sheet")] == ["myaddin.conf"]
    template = SafeET.fromstring(parts(addin.template_path())["xl/workbook.xml"])
    for sheet in template.iter(f"{MAIN}sheet"):
        sheet.set("name", "myaddin.conf")
    assert ET.canonicalize(ET.tostring(template)) == ET.canonicalize(ET.tostring(ours))
    assert not any(b"_myaddin.conf" in data for name, data in parts(built).items() if name.endswith(".xml"))


@pytest.mark.parametrize("part", sorted(CHANGED))
def test_rewritten_parts_still_declare_every_mc_ignorable_prefix(built, part):
    # Excel calls a file corrupt when mc:Ignorable names an undeclared prefix,
    # and ElementTree drops declarations nobody uses: check the raw root tag.
    raw = parts(built)[part].decode("utf-8")
    root_tag = re.search(r"<(?!\?)[^>]*>", raw).group(0)
    ignorable = re.search(r'mc:Ignorable="([^"]*)"', root_tag)
    for prefix in (ignorable.group(1).split() if ignorable else []):
        assert f'xmlns:{prefix}="' in root_tag, prefix
    assert raw.startswith('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')


def test_config_keys_appear_once_each_contiguously_from_a1_with_the_values(built):
    rows = config_rows(built.read_bytes())
    keys = [str(r[0]).upper() for r in rows]
    # The VBA reads A1 down to the first blank and adds each key to a dictionary.
    assert "" not in keys and len(keys) == len(set(keys)) == 9
    values = {str(r[0]).upper(): r[1] for r in rows}
    assert values["UDF MODULES"] == "xl_kpi.udfs"
    assert values["INTERPRETER_WIN"] == WIN_PY
    assert values["INTERPRETER_MAC"] == MAC_PY
    # Everything else keeps the template's value (blank / FALSE).
    template = {str(r[0]).upper(): r[1] for r in config_rows(addin.template_path().read_bytes())}
    assert set(template) == set(values)
    for key in set(template) - {"UDF MODULES", "INTERPRETER_WIN", "INTERPRETER_MAC"}:
        assert values[key] == template[key], key


def test_shared_string_counts_match_the_cells(built):
    p = parts(built)
    sst = SafeET.fromstring(p["xl/sharedStrings.xml"])
    sheet = SafeET.fromstring(p["xl/worksheets/sheet1.xml"])
    string_cells = [c for c in sheet.iter(f"{MAIN}c") if c.get("t") == "s"]
    assert int(sst.get("count")) == len(string_cells) == 12
    assert int(sst.get("uniqueCount")) == len(sst.findall(f"{MAIN}si")) == 12
    assert max(int(c.findtext(f"{MAIN}v")) for c in string_cells) == 11


def test_blank_interpreters_leave_column_b_empty(tmp_path):
    path = addin.build_addin(tmp_path)  # no interpreter: the VBA falls back to pythonw/python on PATH
    values = {str(r[0]).upper(): r[1] for r in config_rows(path.read_bytes())}
    assert values["INTERPRETER_WIN"] == values["INTERPRETER_MAC"] == ""
    assert values["UDF MODULES"] == "xl_kpi.udfs"


def test_build_is_reproducible_and_rebuilding_replaces_the_file(tmp_path, built):
    first = addin.build_addin(tmp_path, interpreter_win=WIN_PY, interpreter_mac=MAC_PY).read_bytes()
    second = addin.build_addin(tmp_path, interpreter_win=WIN_PY, interpreter_mac=MAC_PY).read_bytes()
    assert first == second == built.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["xl_kpi.xlam"]


def test_build_leaves_elementtree_global_prefixes_alone(tmp_path):
    before = dict(ET._namespace_map)
    addin.build_addin(tmp_path)
    assert ET._namespace_map == before


def test_libreoffice_opens_the_addin_and_sees_the_config(built, tmp_path):
    [converted] = libreoffice.recalculate([built], tmp_path / "lo", infilter="Calc MS Excel 2007 VBA XML")
    book = openpyxl.load_workbook(converted)
    assert book.sheetnames == ["myaddin.conf"]
    values = {row[0].upper(): row[1] for row in book.active.iter_rows(values_only=True) if row[0]}
    assert values["UDF MODULES"] == "xl_kpi.udfs"
    assert values["INTERPRETER_WIN"] == WIN_PY and values["INTERPRETER_MAC"] == MAC_PY


def test_a_template_without_a_ribbon_is_a_clear_user_error(tmp_path):
    broken = tmp_path / "plain.xlam"
    with zipfile.ZipFile(addin.template_path()) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            if not info.filename.startswith("customUI/"):
                dst.writestr(info, src.read(info))
    with pytest.raises(UserError, match="no customUI ribbon part"):
        addin.build_addin(tmp_path / "out", template=broken)
    assert not (tmp_path / "out" / "xl_kpi.xlam").exists()


def test_a_duplicated_config_key_in_the_template_is_refused(tmp_path):
    # Rename the "PYTHONPATH" key to "UDF Modules": the builder must not pick one of two rows.
    broken = tmp_path / "dup.xlam"
    with zipfile.ZipFile(addin.template_path()) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/sharedStrings.xml":
                data = data.replace(b"<t>PYTHONPATH</t>", b"<t>udf modules</t>")
            dst.writestr(info, data)
    with pytest.raises(UserError, match="2 rows for 'UDF MODULES'"):
        addin.build_addin(tmp_path / "out", template=broken)


def test_cli_requires_the_build_action_and_out(capsys):
    with pytest.raises(SystemExit):
        cli.main(["addin"])
    with pytest.raises(SystemExit):
        cli.main(["addin", "build"])


def test_excel_interpreter_is_pythonw_beside_python_on_windows():
    assert addin.excel_interpreter(r"C:\venv\Scripts\python.exe", platform="win32") == r"C:\venv\Scripts\pythonw.exe"
    assert addin.excel_interpreter("/opt/venv/bin/python3", platform="darwin") == "/opt/venv/bin/python3"


def test_cli_default_on_linux_leaves_interpreters_blank_and_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(addin.sys, "platform", "linux")
    assert cli.main(["addin", "build", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "xl_kpi.xlam") in out and "INTERPRETER_WIN = (blank)" in out
    values = {str(r[0]).upper(): r[1] for r in config_rows((tmp_path / "xl_kpi.xlam").read_bytes())}
    assert values["INTERPRETER_WIN"] == values["INTERPRETER_MAC"] == ""
