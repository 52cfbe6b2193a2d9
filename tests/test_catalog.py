"""The catalog is the contract: every KPI exists on every face and gives the catalog's numbers.

Faces checked here: the Python API (``xl_kpi.<name>``), the Excel functions
(``xl_kpi.udfs.<NAME>``, called with Excel-shaped values) and the native Excel
formula of each definition, computed by LibreOffice on the worked examples.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xl_kpi
from xl_kpi import udfs
from xl_kpi.kpis import REGISTRY, definitions
from xl_kpi.errors import KPIError
from xl_kpi.kpis.definition import UNITS

from .catalog_data import CATALOG, FAMILY, LEDGER_FUNCTIONS, REDUCTIONS
from .libreoffice import computed as libreoffice_computed

EXAMPLES = [(e, i, ex) for e in CATALOG for i, ex in enumerate(e.examples)]


def _ids(item):
    entry, i, _ = item
    return f"{entry.excel_name}-{i}"


def _check(value, ex):
    if isinstance(ex.expected, str):
        assert value == ex.expected
    elif ex.abs:
        assert value == pytest.approx(ex.expected, abs=ex.abs)
    else:
        assert value == pytest.approx(ex.expected, rel=1e-12)


def test_registry_is_exactly_the_catalog_in_order():
    assert [d.excel_name for d in definitions()] == [e.excel_name for e in CATALOG]
    assert len(REGISTRY) == 43


@pytest.mark.parametrize("entry", CATALOG, ids=lambda e: e.excel_name)
def test_python_function_signature_matches_catalog(entry):
    func = getattr(xl_kpi, entry.python_name)
    params = inspect.signature(func).parameters
    assert tuple(params) == entry.args
    defaults = {n: p.default for n, p in params.items() if p.default is not inspect.Parameter.empty}
    assert defaults == entry.defaults
    assert func.kpi is REGISTRY[entry.excel_name]
    assert func.kpi.family == FAMILY[entry.excel_name]
    assert func.kpi.elementwise is (entry.excel_name not in REDUCTIONS)


@pytest.mark.parametrize("entry", CATALOG, ids=lambda e: e.excel_name)
def test_definition_carries_everything_the_other_faces_need(entry):
    d = REGISTRY[entry.excel_name]
    assert d.summary and len(d.summary) <= 255  # Excel's MacroOptions limit
    assert all(a.help for a in d.args)
    assert d.unit in UNITS and d.unit.number_format
    assert d.excel
    refs = {a: f"R{i}" for i, a in enumerate(entry.args)}
    rendered = d.excel_formula(refs)
    for name in entry.args:
        assert name not in rendered, f"{name} left unreplaced in {rendered}"
    doc = inspect.getdoc(getattr(xl_kpi, entry.python_name))
    for section in ("Parameters", "Returns", "Notes", "References", "Examples"):
        assert section in doc, f"{entry.excel_name} docstring lacks {section}"
    # Each argument's unit (input format) and domain (validation) are part of the record.
    assert all(a.unit in UNITS for a in d.args)
    # The record's worked example is the catalog's first one (this file's own transcription).
    first = entry.examples[0]
    if entry.excel_name not in ("AVG_FIRST_RESPONSE_HOURS", "AVG_RESOLUTION_HOURS"):  # here as serials, there as datetimes
        assert d.example.args == first.args
    if isinstance(first.expected, str):
        assert d.example.result == first.expected == d.function(*d.example.args)
    else:
        assert d.example.result == pytest.approx(first.expected, abs=first.abs or 1e-12)
        assert d.function(*d.example.args) == pytest.approx(d.example.result, abs=d.example.abs or 1e-12)


def test_argument_units_follow_what_the_arguments_are():
    """Money, fractions, date-times and scores are told apart by the record, not by the names."""
    by_unit = {}
    for d in definitions():
        for a in d.args:
            by_unit.setdefault(a.unit.name, set()).add(a.name)
    assert {"mrr_at_start", "churned_mrr", "cac", "cash", "ebit", "amounts"} <= by_unit["money"]
    assert {"churn_rate", "gross_margin", "discount_rate", "revenue_growth_rate"} <= by_unit["fraction"]
    assert by_unit["datetime"] == {"opened_at", "first_response_at", "resolved_at"}
    assert by_unit["score"] == {"scores"}
    assert {"customers_lost", "leads", "dau"} <= by_unit["count"]
    assert not by_unit["money"] & by_unit["count"]


@pytest.mark.parametrize("entry", CATALOG, ids=lambda e: e.excel_name)
def test_excel_function_exists_with_catalog_arguments(entry):
    udf = getattr(udfs, entry.excel_name)
    params = inspect.signature(udf).parameters
    assert tuple(params) == entry.args
    assert udf.__doc__ == REGISTRY[entry.excel_name].summary


def test_ledger_excel_functions_exist():
    for name in LEDGER_FUNCTIONS:
        assert callable(getattr(udfs, name))


@pytest.mark.parametrize("item", EXAMPLES, ids=_ids)
def test_worked_example_in_python(item):
    entry, _, ex = item
    value = getattr(xl_kpi, entry.python_name)(*ex.args)
    assert type(value) is (str if isinstance(ex.expected, str) else float)  # not a numpy scalar
    _check(value, ex)


def _as_excel(value):
    """A Python example argument as Excel passes it: floats, ranges as a column of row tuples."""
    if isinstance(value, (list, tuple)):
        return tuple((float(v),) for v in value)
    return float(value)


@pytest.mark.parametrize("item", EXAMPLES, ids=_ids)
def test_worked_example_through_excel_function(item):
    entry, _, ex = item
    value = getattr(udfs, entry.excel_name)(*(_as_excel(a) for a in ex.args))
    _check(value, ex)


# --------------------------------------------------------------------------- LibreOffice


@pytest.fixture(scope="module")
def native_results(tmp_path_factory):
    """Every worked example computed by its native Excel formula in LibreOffice.

    Inputs go into cells (a list into a column), the definition renders its
    formula with those references, LibreOffice recalculates.
    """
    wb = openpyxl.Workbook()
    ws = wb.active
    cells = {}
    row = 1
    for entry, i, ex in EXAMPLES:
        d = REGISTRY[entry.excel_name]
        refs = {}
        for col, (name, value) in enumerate(zip(entry.args, ex.args), start=2):
            values = list(value) if isinstance(value, (list, tuple)) else [value]
            for k, v in enumerate(values):
                ws.cell(row=row + k, column=col, value=v)
            letter = openpyxl.utils.get_column_letter(col)
            refs[name] = f"${letter}${row}" if len(values) == 1 else f"${letter}${row}:${letter}${row + len(values) - 1}"
        ws.cell(row=row, column=1, value="=" + d.excel_formula(refs))
        cells[(entry.excel_name, i)] = f"A{row}"
        row += max([len(v) if isinstance(v, (list, tuple)) else 1 for v in ex.args] + [1]) + 1
    tmp = tmp_path_factory.mktemp("native")
    values = libreoffice_computed(wb, tmp, "examples").active
    return {key: values[ref].value for key, ref in cells.items()}


@pytest.mark.parametrize("item", EXAMPLES, ids=_ids)
def test_worked_example_by_native_formula_in_libreoffice(item, native_results):
    entry, i, ex = item
    value = native_results[(entry.excel_name, i)]
    if isinstance(ex.expected, str):
        assert value == ex.expected
    else:
        # LibreOffice stores 15 significant digits.
        assert value == pytest.approx(ex.expected, rel=1e-12, abs=max(ex.abs, 1e-12))


@pytest.mark.parametrize("entry", [e for e in CATALOG if REGISTRY[e.excel_name].denominators],
                         ids=lambda e: e.excel_name)
def test_guarded_formula_names_only_arguments(entry):
    d = REGISTRY[entry.excel_name]
    refs = {a: f"X{i}" for i, a in enumerate(entry.args)}
    guarded = d.excel_guarded_formula(refs)
    assert guarded.startswith("IF(") and d.excel_formula(refs) in guarded
    assert not any(name in guarded for name in entry.args)


ELEMENTWISE = [d.excel_name for d in definitions() if d.elementwise]
_values = st.floats(min_value=-1e6, max_value=1e9, allow_nan=False) | st.sampled_from([0.0, 0.5, 1.0, -1.0, 1.5, np.nan])


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(ELEMENTWISE), data=st.data())
def test_array_results_agree_elementwise_with_scalar_calls(name, data):
    """Array in = the scalar function element by element, NaN exactly where the scalar call raises."""
    d = REGISTRY[name]
    n = data.draw(st.integers(1, 6))
    # A summed argument is totalled before broadcasting: keep it scalar here.
    columns = {a.name: (data.draw(_values) if a.summed else data.draw(st.lists(_values, min_size=n, max_size=n)))
               for a in d.args}
    got = d.function(**{k: np.array(v) if isinstance(v, list) else v for k, v in columns.items()})
    assert got.shape == (n,)
    for i in range(n):
        try:
            expected = d.function(**{k: v[i] if isinstance(v, list) else v for k, v in columns.items()})
        except KPIError:
            assert isinstance(got[i], float) and math.isnan(got[i]), (name, i)
        else:
            if isinstance(expected, str):
                assert got[i] == expected
            else:
                # numpy's vectorised pow may differ from the scalar one in the last bits
                assert math.isclose(got[i], expected, rel_tol=1e-13), (name, i)



#: Three valid rows per element-wise KPI: its worked example, scaled (fractions stay fractions, >= 0 stays >= 0).
_SCALES = (1.0, 0.5, 0.9)


def _valid_rows(d):
    return [{a.name: float(v) * k for a, v in zip(d.args, d.example.args + tuple(d.defaults[a.name] for a in
                                                   d.args[len(d.example.args):]))} for k in _SCALES]


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_every_elementwise_kpi_broadcasts_like_a_ufunc(name):
    """Lists, Series, scalars against lists and a column against a row: each element is the scalar call's float."""
    import pandas as pd

    d = REGISTRY[name]
    rows = _valid_rows(d)
    scalars = [d.function(**row) for row in rows]
    assert all(type(s) in (float, str) for s in scalars)
    columns = {a.name: [row[a.name] for row in rows] for a in d.args}
    summed = {a.name for a in d.args if a.summed}
    # A summed argument (CAC's spend) is totalled first: it stays one number while the others vary.
    if summed:
        for k in range(3):
            kw = {a: (v if a not in summed else v[k]) for a, v in columns.items()}
            assert d.function(**kw)[k] == scalars[k]
        return
    assert d.function(**columns).tolist() == scalars
    assert d.function(**{a: pd.Series(v) for a, v in columns.items()}).tolist() == scalars
    first, *rest = d.arg_names
    one_list = d.function(**{first: columns[first], **{a: rows[0][a] for a in rest}})
    assert one_list.tolist() == [d.function(**{**rows[0], first: v}) for v in columns[first]]
    if rest:
        second = rest[0]
        matrix = d.function(**{**rows[0], first: np.array(columns[first]).reshape(3, 1),
                               second: np.array(columns[second]).reshape(1, 3)})
        assert matrix.shape == (3, 3)
        for i in range(3):
            for j in range(3):
                assert matrix[i, j] == d.function(**{**rows[0], first: columns[first][i], second: columns[second][j]})
