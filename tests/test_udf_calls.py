"""The ledger functions called as Excel calls them: through xlwings' own ``call_udf`` (``xlwings/udfs.py``).

``call_udf`` is what the VBA wrapper (``XLPy.CallUDF``) reaches: it replaces
a missing optional argument (VBA's ``DISP_E_PARAMNOTFOUND``, -2147352572)
by the argument's Python default, reads a cell reference through the
argument's options (``ndim``, ``err_to_str``) and cleans every value with the
Windows engine's ``clean_value_data`` (COM error integers -> ``None`` or their
text, "" -> ``None``). Here the COM side is stood in for: a cell reference is
a small object whose ``Value`` is what COM gives (a scalar for one cell, a
tuple of row tuples for more), and the cleaning functions are xlwings' own,
executed from its ``_xlwindows.py`` source (that module needs pywin32 to
import). So the tests see exactly the values a Windows Excel would hand to
``xl_kpi.udfs``, decorated by xlwings' real Windows decorators.
"""

from __future__ import annotations

import ast
import datetime as dt
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.test_ledger import HAND_ROWS
from tests.test_ledger_excel import excel_ranges
from tests.test_vba_wrappers import windows_udfs  # noqa: F401 - the fixture: xl_kpi.udfs under xlwings' decorators
from xl_kpi.excel_values import ExcelError

MISSING = -2147352572  # what VBA passes for an omitted Optional Variant
COM_ERRORS = {"#DIV/0!": -2146826281, "#N/A": -2146826246, "#NUM!": -2146826252, "#REF!": -2146826265,
              "#VALUE!": -2146826273}


def _windows_cleaning() -> types.ModuleType:
    """A stand-in ``xlwings._xlwindows``: xlwings' own cleaning code, executed from its source, and COM ranges."""
    import xlwings

    source = (Path(xlwings.__file__).parent / "_xlwindows.py").read_text()
    tree = ast.parse(source)
    wanted = {"cell_errors", "_com_time_to_datetime", "_clean_value_data_element"}
    body = [n for n in tree.body if (isinstance(n, ast.FunctionDef) and n.name in wanted)
            or (isinstance(n, ast.Assign) and any(getattr(t, "id", None) in wanted for t in n.targets))]
    engine = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Engine")
    for method in ("clean_value_data", "prepare_xl_data_element"):  # static methods: module functions here
        fn = next(n for n in engine.body if isinstance(n, ast.FunctionDef) and n.name == method)
        fn.decorator_list = []
        body.append(fn)
    assert len(body) == 5, "xlwings' _xlwindows.py changed: update this stand-in"
    module = types.ModuleType("xlwings._xlwindows")
    module.dt, module.np, module.pd = dt, np, pd
    module.time_types = (dt.date, dt.datetime)  # pywintypes.TimeType is a datetime subclass
    module._datetime_to_com_time = lambda value: value  # pywintypes.Time(value): a datetime to COM
    exec(compile(ast.Module(body=body, type_ignores=[]), "xlwings/_xlwindows.py", "exec"), module.__dict__)

    class Engine:
        name, type = "excel", "desktop"
        clean_value_data = staticmethod(module.clean_value_data)
        prepare_xl_data_element = staticmethod(module.prepare_xl_data_element)

    class Range:  # the impl of a COM range: what conversion.read needs of it
        max_cells_per_read = None

        def __init__(self, xl=None):
            self.xl = xl
            self.options = {}

        @property
        def raw_value(self):
            return self.xl.Value

        engine = Engine()

        @property
        def sheet(self):
            return self

        book = app = sheet
        pid = 1

    module.Range, module.Engine = Range, Engine
    module.is_range_instance = lambda value: isinstance(value, ComRange)
    module.BOOK_CALLER = None
    return module


class ComRange:
    """A cell reference as COM passes it: ``Value`` is one value or a tuple of row tuples."""

    def __init__(self, value):
        self.Value = value


def column(values):
    """A single-column COM range."""
    return ComRange(tuple((v,) for v in values))


@pytest.fixture(scope="module")
def call(windows_udfs):  # noqa: F811
    """call(name, *args): ``xlwings.udfs.call_udf`` on xl_kpi.udfs, as XLPy.CallUDF invokes it."""
    xlu, module = windows_udfs
    import xlwings
    from xlwings.main import Engine

    saved = {k: sys.modules.get(k) for k in ("xlwings._xlwindows", "xlwings.com_server")}
    saved_attr = getattr(xlwings, "_xlwindows", None)
    windows = _windows_cleaning()
    com_server = types.ModuleType("xlwings.com_server")
    com_server.loop = None
    sys.modules.update({"xlwings._xlwindows": windows, "xlwings.com_server": com_server})
    xlwings._xlwindows = windows
    added = "excel" not in xlwings.engines.engines_by_name
    if added:
        xlwings.engines.add(Engine(impl=windows.Engine()))
    xlu.udf_modules["xl_kpi.udfs"] = {"module": module, "filetime": None}

    def run(name, *args):
        return xlu.call_udf("xl_kpi.udfs", name, args)

    yield run
    xlu.udf_modules.pop("xl_kpi.udfs", None)
    if added:
        engine = xlwings.engines.engines_by_name.pop("excel")
        xlwings.engines.engines.remove(engine)
    for k, v in saved.items():
        if v is None:
            sys.modules.pop(k, None)
        else:
            sys.modules[k] = v
    if saved_attr is None:
        delattr(xlwings, "_xlwindows")
    else:
        xlwings._xlwindows = saved_attr


def com_ledger(rows: int):
    """The hand ledger as three COM columns of ``rows`` cells, those below the ledger blank.

    COM hands a blank cell as None and a date as a datetime (pywintypes.TimeType); every other month is
    a serial number, as a General-formatted cell holds it.
    """
    ids, months, amounts = excel_ranges(HAND_ROWS)
    pad = [None] * (rows - len(ids))
    return (column([c[0] for c in ids] + pad), column([m[0] for m in months] + pad),
            column([a[0] for a in amounts] + pad))


@pytest.fixture(scope="module")
def ledger():
    """A:A-like columns with 2,000 trailing blank cells (a whole column, A:A, is tested once: xlwings'
    cleaning is a Python loop over every cell, about 2 seconds a million cells)."""
    return com_ledger(len(HAND_ROWS) + 2000)


def test_whole_columns_a_to_c(call):
    """=MRR_BRIDGE(A:A, B:B, C:C, "quarter", , 2): 1,048,576 cells a column, the blank ones ignored."""
    from xl_kpi.ledger_excel import mrr_bridge_table

    rows = call("MRR_BRIDGE", *com_ledger(1_048_576), "quarter", MISSING, 2.0)
    assert rows == mrr_bridge_table(*excel_ranges(HAND_ROWS), "quarter", None, 2)
    assert [r[0] for r in rows[1:]] == ["FY2024-Q4", "FY2025-Q1", "FY2025-Q2"]


def test_omitted_options_arrive_as_the_python_defaults(call, ledger):
    from xl_kpi.ledger_excel import cohort_retention_table, mrr_bridge_table

    plain = excel_ranges(HAND_ROWS)
    assert call("MRR_BRIDGE", *ledger, MISSING, MISSING, MISSING) == mrr_bridge_table(*plain)
    assert call("MRR_BRIDGE", *ledger) == mrr_bridge_table(*plain)
    assert call("COHORT_RETENTION", *ledger, MISSING, MISSING, MISSING) == cohort_retention_table(*plain)
    # =MRR_BRIDGE(A:A, B:B, C:C, "quarter", , 2): segments omitted between two given options
    fiscal = call("MRR_BRIDGE", *ledger, "quarter", MISSING, 2.0)
    assert [row[0] for row in fiscal[1:]] == ["FY2024-Q4", "FY2025-Q1", "FY2025-Q2"]
    assert fiscal == mrr_bridge_table(*plain, "quarter", None, 2)


def test_options_from_cells(call, ledger):
    """An option given as a cell: a COM range of one cell, its value a scalar; an empty cell is the default."""
    quarterly = call("MRR_BRIDGE", *ledger, ComRange("Quarter"), MISSING, ComRange(2.0))
    assert quarterly == call("MRR_BRIDGE", *ledger, "quarter", MISSING, 2.0)
    assert call("MRR_BRIDGE", *ledger, ComRange("quarter"), MISSING, ComRange(None)) == \
        call("MRR_BRIDGE", *ledger, "quarter")
    assert call("MRR_BRIDGE", *ledger, ComRange(""), MISSING, ComRange("")) == call("MRR_BRIDGE", *ledger)
    by_quarter = call("COHORT_RETENTION", *ledger, ComRange("revenue"), ComRange("quarter"))
    assert by_quarter[0] == ["Cohort", 0, 1] and by_quarter[1][0] == "2024-Q1"
    assert by_quarter[1][1] == pytest.approx(190 / 220) and by_quarter[2][1:] == [pytest.approx(1.25), ""]
    window = call("TRAILING_RETENTION", *ledger, ComRange(3.0))
    assert window[-1][1:6] == [3, 2, pytest.approx(2 / 3), 190, 130]
    moves = call("MRR_MOVEMENTS", *ledger, ComRange(dt.datetime(2024, 6, 15)))
    assert [r[1:3] for r in moves[1:]] == [["E", "expansion"], ["C", "reactivation"], ["A", "contraction"]]


@pytest.mark.parametrize("literal", sorted(COM_ERRORS))
def test_an_error_cell_as_an_option_is_that_error_not_the_default(call, ledger, literal):
    """Without err_to_str xlwings would hand the error cell over as None, and the default would be used."""
    code = COM_ERRORS[literal]
    for name, args in [("MRR_BRIDGE", ("quarter", MISSING, ComRange(code))),
                       ("MRR_BRIDGE", (ComRange(code),)),
                       ("COHORT_RETENTION", (MISSING, ComRange(code))),
                       ("COHORT_RETENTION", (ComRange(code),)),
                       ("TRAILING_RETENTION", (ComRange(code),)),
                       ("MRR_MOVEMENTS", (ComRange(code),))]:
        result = call(name, *ledger, *args)
        assert len(result) == 1 and len(result[0]) == 1, (name, args)
        assert isinstance(result[0][0], ExcelError) and str(result[0][0]) == literal, (name, args, result)


def test_an_error_in_a_ledger_column_propagates(call, ledger):
    ids = list(v[0] for v in ledger[0].Value)
    ids[3] = COM_ERRORS["#REF!"]
    result = call("MRR_BRIDGE", column(ids), *ledger[1:], "year", MISSING, 4.0)
    assert str(result[0][0]) == "#REF!" and "customer_ids, row 4" in result[0][0].reason


@pytest.mark.parametrize("value, literal", [(0.0, "#NUM!"), (13.0, "#NUM!"), (4.5, "#NUM!"), ("April", "#VALUE!"),
                                            (True, "#VALUE!"), ("4", None), (" 4 ", None)])
def test_fiscal_year_start_values(call, ledger, value, literal):
    for name, args in [("MRR_BRIDGE", ("year", MISSING, value)), ("COHORT_RETENTION", ("logo", "year", value))]:
        for given in (value, ComRange(value)):
            result = call(name, *ledger, *args[:-1], given)
            if literal is None:
                assert result == call(name, *ledger, *args[:-1], 4.0)
            else:
                assert str(result[0][0]) == literal and "fiscal_year_start" in result[0][0].reason


def test_segments_from_a_column_with_trailing_blanks(call, ledger):
    from tests.test_ledger_metrics_excel import PLANS

    plans = column([PLANS[c] for c, _, _ in HAND_ROWS] + [None] * (len(ledger[0].Value) - len(HAND_ROWS)))
    rows = call("MRR_BRIDGE", *ledger, "quarter", plans, 2.0)
    assert rows[0][:2] == ["Segment", "Period"]
    assert {(r[0], r[1]) for r in rows[1:]} == {(p, q) for p in ("Basic", "Pro")
                                                for q in ("FY2024-Q4", "FY2025-Q1", "FY2025-Q2")}
    short = column([PLANS[c] for c, _, _ in HAND_ROWS])  # D1:D15 beside A:A
    assert str(call("MRR_BRIDGE", *ledger, "quarter", short)[0][0]) == "#VALUE!"


@pytest.mark.parametrize("value, literal", [(0.0, "#NUM!"), (2.5, "#NUM!"), ("twelve", "#VALUE!"), ("3", None)])
def test_window_values(call, ledger, value, literal):
    for given in (value, ComRange(value)):
        result = call("TRAILING_RETENTION", *ledger, given)
        if literal is None:
            assert result == call("TRAILING_RETENTION", *ledger, 3.0)
        else:
            assert str(result[0][0]) == literal and "window" in result[0][0].reason
