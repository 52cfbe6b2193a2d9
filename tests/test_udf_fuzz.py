"""Random junk into every Excel function: it never raises, and every cell is a finite number,
a text label, or an Excel error literal with a reason."""

from __future__ import annotations

import datetime as dt
import inspect
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xl_kpi import udfs
from xl_kpi.excel_values import ERROR_CODES, ERROR_LITERALS, ExcelError
from xl_kpi.kpis import definitions

from .catalog_data import LEDGER_FUNCTIONS

cells = st.one_of(
    st.none(),
    st.just(""),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-5, max_value=15),
    st.integers(min_value=-10, max_value=10**6),
    st.booleans(),
    st.text(max_size=6),
    st.sampled_from(sorted(ERROR_CODES)),
    st.sampled_from(sorted(ERROR_CODES.values())),
    st.sampled_from(["12", "5%", " 3 ", "1e3", "-0", "nan", "inf", "#VALUE!"]),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
)

row_lists = st.lists(cells, min_size=0, max_size=4)
ranges = st.one_of(
    st.lists(row_lists, min_size=0, max_size=4).map(lambda rows: tuple(tuple(r) for r in rows)),  # possibly ragged
    st.integers(1, 4).flatmap(lambda n: st.lists(st.tuples(*[cells] * n), min_size=1, max_size=4)).map(tuple),
    row_lists,  # a flat list (ndim=1 style)
)
arguments = st.one_of(cells, ranges)

FUNCTIONS = [getattr(udfs, d.excel_name) for d in definitions()] + [getattr(udfs, n) for n in LEDGER_FUNCTIONS]


def _valid_cell(value):
    if isinstance(value, ExcelError):
        # An unexpected exception caught at the Excel boundary is a bug of ours, not bad input.
        return str(value) in ERROR_LITERALS and bool(value.reason) and not value.unexpected
    if isinstance(value, str):
        return True  # text labels (CHURN_BENCHMARK, headers, cohort labels, blank "")
    if isinstance(value, (dt.datetime, dt.date)):
        return True
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _cells(result):
    if isinstance(result, list):
        assert result and all(isinstance(r, list) for r in result)
        assert len({len(r) for r in result}) == 1, "a spilled result must be rectangular"
        return [c for r in result for c in r]
    return [result]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_excel_function_survives_junk(data):
    for func in FUNCTIONS:
        n_args = len(inspect.signature(func).parameters)
        args = [data.draw(arguments) for _ in range(n_args)]
        result = func(*args)
        for cell in _cells(result):
            assert _valid_cell(cell), f"{func.__name__}{tuple(args)!r} -> {cell!r}"


def test_an_unexpected_exception_is_marked_and_fails_the_fuzz_check():
    """The fuzz check above can fail: a TypeError inside the core reaches the cell marked unexpected."""
    from xl_kpi.kpis import get

    definition = get("CHURN_RATE")

    def broken(**_):
        raise TypeError("a bug")

    original = definition.compute
    object.__setattr__(definition, "compute", broken)  # a frozen dataclass: the record itself is patched
    try:
        cell = udfs.CHURN_RATE(20.0, 200.0)
        spilled = udfs.CHURN_RATE(((20.0,), (1.0,)), 200.0)
    finally:
        object.__setattr__(definition, "compute", original)
    assert isinstance(cell, ExcelError) and cell.unexpected and "TypeError: a bug" in cell.reason
    assert not _valid_cell(cell)
    assert any(isinstance(c, ExcelError) and c.unexpected for c in _cells(spilled))
    assert udfs.CHURN_RATE(20.0, 200.0) == 0.1  # restored


def test_an_unexpected_exception_in_a_ledger_function_is_marked(monkeypatch):
    import xl_kpi.ledger_excel as ledger_excel

    def broken(*_a, **_k):
        raise TypeError("a bug")

    monkeypatch.setattr(ledger_excel, "prepare_ledger", broken)
    (cell,), = udfs.MRR_BRIDGE((("a",),), ((45292.0,),), ((10.0,),))
    assert isinstance(cell, ExcelError) and cell.unexpected and not _valid_cell(cell)
