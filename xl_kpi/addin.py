"""Build the Excel add-in ``xl_kpi.xlam`` from the ribbon template inside xlwings.

``xl-kpi addin build --out DIR`` writes ``DIR/xl_kpi.xlam``.  The add-in is
xlwings' own ``quickstart_addin_ribbon.xlam`` (it ships in the installed
xlwings package, so it always matches the xlwings version Python runs) with
three parts rewritten and everything else copied byte for byte:

* ``customUI/customUI.xml`` (and ``customUI14.xml`` if present): the ribbon
  becomes a tab labelled "KPI" with one large "Refresh KPIs" button.  Its
  ``onAction`` stays the template's ``RibbonMyAddin.RunMain``, the only ribbon
  callback in the template's VBA; it runs ``import xl_kpi; xl_kpi.main()``
  because the add-in file is named ``xl_kpi.xlam``.
* ``xl/workbook.xml``: the disabled config sheet ``_myaddin.conf`` is renamed
  ``myaddin.conf`` (the VBA constant ``PROJECT_NAME`` is "myaddin").
* ``xl/worksheets/sheet1.xml`` + ``xl/sharedStrings.xml``: the config values
  ``UDF MODULES`` = ``xl_kpi.udfs`` and ``INTERPRETER_WIN`` /
  ``INTERPRETER_MAC`` are set *in place*, in column B of the rows that
  already hold those keys.  The VBA loads column A into a dictionary, so a
  repeated key would make every call fail; a key present in the sheet wins
  over the user's config file even when blank, which is what we want here:
  ``%USERPROFILE%\\.myaddin\\myaddin.conf`` is shared by every add-in built
  from this template, so the add-in carries all its own settings.

``xl/vbaProject.bin`` is never touched (the VBA project stays byte-identical
to xlwings' template).  openpyxl is not used: it would drop the ribbon part.
The edited parts are parsed and written with lxml (:mod:`xl_kpi.ooxml.xmltree`),
as the refresh edits a workbook's parts: every namespace declaration and
prefix of the template stays as it was.

Ribbon callback names are global in Excel: two add-ins built from this
template both register ``RibbonMyAddin.RunMain``, and Excel may route one
add-in's button to the other's macro (xlwings issue 973).  Users who also
run another xlwings "quickstart --addin --ribbon" add-in should know this.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import zipfile
from pathlib import Path, PureWindowsPath
from typing import Mapping

from xl_kpi.errors import UserError
from xl_kpi.ooxml import xmltree
from xl_kpi.ooxml.atomic import write_atomically
from xl_kpi.ooxml.namespaces import NS_MAIN, NS_PKG_REL, NS_REL, NS_XML, REL_WORKSHEET

TEMPLATE_NAME = "quickstart_addin_ribbon.xlam"
ADDIN_NAME = "xl_kpi.xlam"
#: The template's VBA constant PROJECT_NAME is "myaddin": it looks for this sheet.
CONFIG_SHEET = "myaddin.conf"
DISABLED_CONFIG_SHEET = "_myaddin.conf"
UDF_MODULES = "xl_kpi.udfs"
#: The template's only ribbon callback: ``import <file stem>; <file stem>.main()``.
ON_ACTION = "RibbonMyAddin.RunMain"

TAB_LABEL = "KPI"
BUTTON_LABEL = "Refresh KPIs"



def template_path() -> Path:
    """The ribbon add-in template shipped inside the installed xlwings package."""
    import xlwings

    path = Path(xlwings.__file__).parent / TEMPLATE_NAME
    if not path.is_file():
        raise UserError(f"the xlwings package at {path.parent} has no {TEMPLATE_NAME}; "
                        "reinstall xlwings (pip install --force-reinstall xlwings)")
    return path


def excel_interpreter(python: str | os.PathLike, platform: str = sys.platform) -> str:
    """The interpreter Excel should start: ``pythonw.exe`` beside ``python.exe`` on Windows.

    pythonw has no console window, so clicking the ribbon does not flash one.

    >>> excel_interpreter("/usr/bin/python3", platform="darwin")
    '/usr/bin/python3'
    """
    python = str(python)
    if platform == "win32":
        exe = PureWindowsPath(python)  # the plan is also computed (in tests) on other systems
        if exe.name.lower() == "python.exe":
            pythonw = exe.with_name("pythonw.exe")
            if platform != sys.platform or Path(str(pythonw)).exists():
                return str(pythonw)
    return python


def build_addin(out_dir: str | os.PathLike, *, interpreter_win: str = "", interpreter_mac: str = "",
                template: str | os.PathLike | None = None) -> Path:
    """Write ``out_dir/xl_kpi.xlam`` and return its path.

    ``interpreter_win`` / ``interpreter_mac`` go into the config sheet (blank:
    the template's default, ``pythonw`` / ``python`` found on the PATH).  The
    file is written beside the target and renamed over it
    (:func:`xl_kpi.ooxml.atomic.write_atomically`), so a failed build never
    leaves half an add-in behind.
    """
    source = Path(template) if template is not None else template_path()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    target = out / ADDIN_NAME
    data = addin_bytes(source, {"INTERPRETER_WIN": interpreter_win, "INTERPRETER_MAC": interpreter_mac,
                                "UDF MODULES": UDF_MODULES})
    write_atomically(target, data)
    return target


def addin_bytes(template: Path, config: Mapping[str, str]) -> bytes:
    """The add-in package: the template with ribbon, sheet name and config values rewritten."""
    with zipfile.ZipFile(template) as src:
        infos = src.infolist()
        parts = {info.filename: src.read(info) for info in infos}
    config_part = _config_sheet_part(parts)
    changed = {name: _kpi_ribbon(parts[name], name) for name in parts
               if name.startswith("customUI/") and name.endswith(".xml")}
    if not changed:
        raise UserError(f"{template} has no customUI ribbon part; is it xlwings' {TEMPLATE_NAME}?")
    changed["xl/workbook.xml"] = _enable_config_sheet(parts["xl/workbook.xml"])
    changed[config_part], changed["xl/sharedStrings.xml"] = _set_config(
        parts[config_part], parts["xl/sharedStrings.xml"], config)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as dst:
        for info in infos:  # same order, names, dates and compression: a reproducible build
            dst.writestr(info, changed.get(info.filename, parts[info.filename]))
    return buffer.getvalue()


# -- the three edits ----------------------------------------------------------------------

def _kpi_ribbon(xml: bytes, part: str) -> bytes:
    """Turn the template's "MyAddin" tab into the "KPI" tab with a large Refresh button."""
    root = _parse(xml, part)
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    q = (lambda tag: f"{{{ns}}}{tag}") if ns else (lambda tag: tag)
    tabs = root.findall(f"{q('ribbon')}/{q('tabs')}/{q('tab')}")
    buttons = [b for b in root.iter(q("button")) if b.get("onAction") == ON_ACTION]
    if len(tabs) != 1 or len(buttons) != 1:
        raise UserError(f"unexpected ribbon in the xlwings template: {len(tabs)} tabs, "
                        f"{len(buttons)} buttons calling {ON_ACTION}")
    tab = tabs[0]
    tab.attrib.update({"id": "xlKpiTab", "label": TAB_LABEL})
    for group in tab.findall(q("group")):
        group.attrib.update({"id": "xlKpiGroup", "label": "Dashboard"})
    button = buttons[0]
    button.attrib.clear()
    button.attrib.update({
        "id": "xlKpiRefresh", "label": BUTTON_LABEL, "size": "large", "onAction": ON_ACTION,
        "imageMso": "RefreshAll",
        "screentip": "Refresh KPIs",
        "supertip": "Recompute the MRR bridge, cohorts and KPI summary of this workbook "
                    "from its Ledger table (xl_kpi).",
    })
    return xmltree.serialise(root, xml)


def _enable_config_sheet(xml: bytes) -> bytes:
    """Rename the sheet ``_myaddin.conf`` to ``myaddin.conf`` in workbook.xml."""
    root = _parse(xml, "xl/workbook.xml")
    sheets = root.findall(f"{{{NS_MAIN}}}sheets/{{{NS_MAIN}}}sheet")
    names = [s.get("name") for s in sheets]
    if names.count(DISABLED_CONFIG_SHEET) != 1 or CONFIG_SHEET in names:
        raise UserError(f"the xlwings template's sheets are {names}; expected one {DISABLED_CONFIG_SHEET!r}")
    for sheet in sheets:
        if sheet.get("name") == DISABLED_CONFIG_SHEET:
            sheet.set("name", CONFIG_SHEET)
    for name in root.iter(f"{{{NS_MAIN}}}definedName"):
        if DISABLED_CONFIG_SHEET in (name.text or ""):
            raise UserError("the xlwings template has a defined name on its config sheet; not supported")
    return xmltree.serialise(root, xml)


def _config_sheet_part(parts: Mapping[str, bytes]) -> str:
    """Zip member name of the config sheet, found through workbook.xml and its relationships."""
    workbook = _parse(parts["xl/workbook.xml"], "xl/workbook.xml")
    rid = next((s.get(f"{{{NS_REL}}}id") for s in workbook.iter(f"{{{NS_MAIN}}}sheet")
                if s.get("name") == DISABLED_CONFIG_SHEET), None)
    rels = _parse(parts["xl/_rels/workbook.xml.rels"], "xl/_rels/workbook.xml.rels")
    for rel in rels.iter(f"{{{NS_PKG_REL}}}Relationship"):
        if rel.get("Id") == rid and rel.get("Type") == REL_WORKSHEET:
            return "xl/" + rel.get("Target").lstrip("/").removeprefix("xl/")
    raise UserError(f"the xlwings template has no sheet {DISABLED_CONFIG_SHEET!r}")


def _set_config(sheet_xml: bytes, strings_xml: bytes, config: Mapping[str, str]) -> tuple[bytes, bytes]:
    """Write ``config`` values into column B beside their (existing) keys in column A.

    Keys are matched upper-cased, as the VBA does; every key must already be
    in the sheet exactly once (no row is ever appended).  Values become shared
    strings (count/uniqueCount kept right); a blank value leaves B empty.
    """
    sheet = _parse(sheet_xml, "config sheet")
    sst = _parse(strings_xml, "xl/sharedStrings.xml")
    m = f"{{{NS_MAIN}}}"
    items = sst.findall(f"{m}si")
    texts = ["".join(t.text or "" for t in si.iter(f"{m}t")) for si in items]
    key_rows: dict[str, list] = {}
    for row in sheet.iter(f"{m}row"):
        cell_a = row.find(f"{m}c[@r='A{row.get('r')}']")
        if cell_a is not None and cell_a.get("t") == "s":
            key = texts[int(cell_a.findtext(f"{m}v"))].strip().upper()
            key_rows.setdefault(key, []).append(row)
    added = 0
    for key, value in config.items():
        rows = key_rows.get(key.upper(), [])
        if len(rows) != 1:
            raise UserError(f"the xlwings template's config sheet has {len(rows)} rows for {key!r}; expected 1")
        row = rows[0]
        ref = f"B{row.get('r')}"
        old = row.find(f"{m}c[@r='{ref}']")
        if old is not None:
            if old.get("t") == "s":
                raise UserError(f"the xlwings template already has a text value in {ref}; not supported")
            row.remove(old)
        if not value:
            continue
        cell_a = row.find(f"{m}c[@r='A{row.get('r')}']")
        # cells stay in column order
        cell = xmltree.add_child(row, "c", {"r": ref, "s": cell_a.get("s", "0"), "t": "s"},
                                 index=list(row).index(cell_a) + 1)
        xmltree.add_child(cell, "v").text = str(len(texts) + added)
        si = xmltree.add_child(sst, "si")
        text = xmltree.add_child(si, "t")
        text.text = value
        if value != value.strip():
            text.set(f"{{{NS_XML}}}space", "preserve")
        added += 1
        row.set("spans", "1:2")
    string_cells = sum(1 for c in sheet.iter(f"{m}c") if c.get("t") == "s")
    sst.set("count", str(string_cells))
    sst.set("uniqueCount", str(len(texts) + added))
    return xmltree.serialise(sheet, sheet_xml), xmltree.serialise(sst, strings_xml)


# -- XML in and out -----------------------------------------------------------------------

def _parse(xml: bytes, part: str):
    """Parse one template part (no DTD, no entities: :func:`xl_kpi.ooxml.xmltree.parse`)."""
    return xmltree.parse(xml, part, "the xlwings add-in template")


# -- command line -------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="action")
    build = actions.add_parser("build", help=f"write DIR/{ADDIN_NAME} from xlwings' ribbon add-in template")
    build.add_argument("--out", required=True, metavar="DIR", help="folder for the add-in (created if missing)")
    build.add_argument("--interpreter-win", metavar="PATH", default=None,
                       help="Python that Excel on Windows starts (default: this Python when on "
                            "Windows, else blank = pythonw on the PATH)")
    build.add_argument("--interpreter-mac", metavar="PATH", default=None,
                       help="Python that Excel on macOS starts (default: this Python when on "
                            "macOS, else blank = python on the PATH)")


def run(args: argparse.Namespace) -> int:
    here = excel_interpreter(sys.executable)
    win = args.interpreter_win if args.interpreter_win is not None else (here if sys.platform == "win32" else "")
    mac = args.interpreter_mac if args.interpreter_mac is not None else (here if sys.platform == "darwin" else "")
    path = build_addin(args.out, interpreter_win=win, interpreter_mac=mac)
    print(f"wrote {path}  (ribbon tab {TAB_LABEL!r}, button {BUTTON_LABEL!r} -> {ON_ACTION}; "
          f"UDF MODULES = {UDF_MODULES}; INTERPRETER_WIN = {win or '(blank)'}; "
          f"INTERPRETER_MAC = {mac or '(blank)'})")
    return 0
