"""The VBA that xlwings' "Import Functions" would write for xl_kpi.udfs, generated here on Linux.

xlwings' Windows UDF code (``xlwings/udfs.py``) imports pythoncom, pywintypes
and win32com.client at module level; with small stand-ins for those it runs
here, so its real ``xlfunc``/``xlarg`` decorators and ``generate_vba_wrapper``
can be exercised on our module.
"""

from __future__ import annotations

import importlib
import io
import re
import sys
import types

import pytest

from .catalog_data import CATALOG, LEDGER_FUNCTIONS


class _Workbook:
    Name = "xl_kpi.xlam"


@pytest.fixture(scope="module")
def windows_udfs():
    """(xlwings.udfs, xl_kpi.udfs decorated by xlwings' Windows decorators)."""
    saved = {k: sys.modules.get(k) for k in ("pythoncom", "pywintypes", "win32com", "win32com.client",
                                             "xlwings.udfs", "xl_kpi.udfs")}
    pythoncom = types.ModuleType("pythoncom")
    pythoncom.CoInitialize = lambda: None
    pythoncom.IID_IDispatch = None
    win32com = types.ModuleType("win32com")
    client = types.ModuleType("win32com.client")
    client.Dispatch = lambda *a, **k: None
    win32com.client = client
    sys.modules.update({"pythoncom": pythoncom, "pywintypes": types.ModuleType("pywintypes"),
                        "win32com": win32com, "win32com.client": client})
    import xlwings

    sys.modules.pop("xlwings.udfs", None)
    xlu = importlib.import_module("xlwings.udfs")
    saved_decorators = (xlwings.func, xlwings.arg, xlwings.ret)
    xlwings.func, xlwings.arg, xlwings.ret = xlu.xlfunc, xlu.xlarg, xlu.xlret
    sys.modules.pop("xl_kpi.udfs", None)
    module = importlib.import_module("xl_kpi.udfs")
    yield xlu, module
    xlwings.func, xlwings.arg, xlwings.ret = saved_decorators
    for k, v in saved.items():
        if v is None:
            sys.modules.pop(k, None)
        else:
            sys.modules[k] = v


@pytest.fixture(scope="module")
def vba(windows_udfs):
    xlu, module = windows_udfs
    buf = io.StringIO()
    xlu.generate_vba_wrapper("xl_kpi.udfs", module, buf, _Workbook())
    return buf.getvalue()


def _signature(vba_text, name):
    match = re.search(rf"^Function {name}\((.*)\)$", vba_text, re.M)
    assert match, f"no VBA wrapper for {name}"
    return [a.strip() for a in match.group(1).split(",")] if match.group(1) else []


@pytest.mark.parametrize("entry", CATALOG, ids=lambda e: e.excel_name)
def test_every_catalog_function_gets_a_vba_wrapper_with_its_arguments(vba, entry):
    expected = [f"Optional {a}" if a in entry.defaults else a for a in entry.args]
    assert _signature(vba, entry.excel_name) == expected
    call = f'{entry.excel_name} = XLPy.CallUDF("xl_kpi.udfs", "{entry.excel_name}", Array({", ".join(entry.args)}), ActiveWorkbook, Application.Caller)'
    assert call in vba


def test_ledger_functions_get_wrappers(vba):
    assert _signature(vba, "MRR_BRIDGE") == ["customer_ids", "months", "mrr", "Optional period", "Optional segments",
                                             "Optional fiscal_year_start"]
    assert _signature(vba, "COHORT_RETENTION") == ["customer_ids", "months", "mrr", "Optional basis",
                                                   "Optional period", "Optional fiscal_year_start"]
    assert _signature(vba, "TRAILING_RETENTION") == ["customer_ids", "months", "mrr", "Optional window"]
    assert _signature(vba, "MRR_MOVEMENTS") == ["customer_ids", "months", "mrr", "Optional month"]
    for name, args in [("TRAILING_RETENTION", "customer_ids, months, mrr, window"),
                       ("MRR_BRIDGE", "customer_ids, months, mrr, period, segments, fiscal_year_start"),
                       ("COHORT_RETENTION", "customer_ids, months, mrr, basis, period, fiscal_year_start")]:
        assert (f'{name} = XLPy.CallUDF("xl_kpi.udfs", "{name}", Array({args}), ActiveWorkbook, '
                'Application.Caller)') in vba


@pytest.mark.parametrize("name", LEDGER_FUNCTIONS)
def test_ledger_function_wizard_metadata(windows_udfs, name):
    """Every argument of a spilling function has its help; ranges read 2-D with errors as text, options as values."""
    _, module = windows_udfs
    info = getattr(module, name).__xlfunc__
    assert info["category"] == "xl_kpi" and 0 < len(info["ret"]["doc"]) <= 255
    for arg in info["args"]:
        assert not arg["doc"].startswith("Positional argument") and len(arg["doc"]) <= 255, arg["name"]
        is_range = arg["name"] in ("customer_ids", "months", "mrr", "segments")
        # options too read errors as text: xlwings would otherwise pass an error cell as None (the default)
        assert arg["options"] == ({"ndim": 2, "err_to_str": True} if is_range else {"err_to_str": True}), arg["name"]


def test_windows_decorated_ledger_functions_compute(windows_udfs):
    _, module = windows_udfs
    ids, months, mrr = (("a",), ("b",), ("a",)), ((45292.0,), (45292.0,), (45658.0,)), ((100.0,), (50.0,), (120.0,))
    rows = module.TRAILING_RETENTION(ids, months, mrr)
    assert rows[-1][6] == pytest.approx(0.8)  # NRR: 120 of the base 150
    february = module.MRR_MOVEMENTS(ids, months, mrr, "2024-02")[1:]  # both leave; a's 100 is the larger move
    assert [row[:3] for row in february] == [[rows[2][0], "a", "churn"], [rows[2][0], "b", "churn"]]


def test_no_other_function_is_exported(vba):
    names = set(re.findall(r"^Function (\w+)\(", vba, re.M))
    assert names == {e.excel_name for e in CATALOG} | set(LEDGER_FUNCTIONS)


@pytest.mark.parametrize("entry", CATALOG, ids=lambda e: e.excel_name)
def test_function_wizard_metadata(windows_udfs, entry):
    """What import_udfs sends through Application.MacroOptions: description, category, argument help."""
    _, module = windows_udfs
    info = getattr(module, entry.excel_name).__xlfunc__
    assert info["category"] == "xl_kpi"
    assert info["ret"]["doc"] and len(info["ret"]["doc"]) <= 255
    for arg in info["args"]:
        assert not arg["doc"].startswith("Positional argument"), f"{arg['name']} has no help"
        assert len(arg["doc"]) <= 255
        assert arg["options"] == {"ndim": 2, "err_to_str": True}
    optional = {a["name"]: a["optional"] for a in info["args"] if "optional" in a}
    assert optional == entry.defaults


def test_windows_decorated_functions_still_compute(windows_udfs):
    _, module = windows_udfs
    assert module.CHURN_RATE(20.0, 200.0) == 0.1
    assert module.CLV(300.0, 0.15) == pytest.approx(2000.0)
