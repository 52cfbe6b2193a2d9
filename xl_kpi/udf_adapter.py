"""How an Excel function call becomes a core KPI call, and its result a cell value.

This is the plumbing behind :mod:`xl_kpi.udfs`; it holds no KPI maths.

Inputs arrive as xlwings passes them (see :mod:`xl_kpi.excel_values`).  Per
element, in Excel's order of precedence:

1. an Excel error in an input propagates as that same error (the first
   argument's error wins, as in Excel's own functions);
2. text that is not a number, a boolean, or a blank required value -> #VALUE!
   (numeric text such as ``"12"`` or ``"5%"`` is coerced, as Excel does in
   arithmetic);
3. the core's own checks: #NUM! (out of domain), #DIV/0! (zero denominator).

Whole-call problems (ranges that do not broadcast, a ragged range, an
unexpected exception) give a single #VALUE!.  Nothing here ever raises.
"""

from __future__ import annotations

import inspect
import re
from itertools import chain
from typing import Any, Callable

import numpy as np

from xl_kpi.errors import KPIError
from xl_kpi.cells import ERROR_CODES, VALUE, error_literal, is_blank
from xl_kpi.excel_values import CallFailed, ExcelError, finite_or_error, is_ragged, to_rows, to_serial
from xl_kpi.kpis.definition import OK, KPIDefinition

_NUMERIC_TEXT = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*(%?)\s*$")


def coerce_cell(value: Any) -> tuple[float, str | None, str]:
    """One cell -> (number or NaN, error literal or None, reason).

    >>> coerce_cell(2.5), coerce_cell(None)[1], coerce_cell("5%")[0], coerce_cell("abc")[1]
    ((2.5, None, ''), None, 0.05, '#VALUE!')
    """
    literal = error_literal(value)
    if literal is not None:
        return np.nan, literal, f"the input holds {literal}"
    if is_blank(value):
        return np.nan, None, ""
    if isinstance(value, (bool, np.bool_)):
        return np.nan, VALUE, f"{value} is not a number"
    if isinstance(value, str):
        match = _NUMERIC_TEXT.match(value)
        if not match:
            return np.nan, VALUE, f"text {value!r} is not a number"
        number = float(value.strip().rstrip("%").strip())
        return (number / 100 if match.group(4) else number), None, ""
    serial = to_serial(value)
    if serial is None:
        return np.nan, VALUE, f"{value!r} is not a number"
    return serial, None, ""


def convert_argument(name: str, value: Any) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, bool]:
    """An Excel argument -> (2-D float array, 2-D error literals, 2-D reasons, was_range).

    The error and reason arrays are None when no cell has a problem (the
    common case, which also takes the fast path for an all-number range).
    """
    if isinstance(value, (tuple, list)) and value and isinstance(value[0], (tuple, list)):
        # Fast path for the common case, a range of floats only (C-speed type
        # scan). Ints take the slow path: COM error codes are ints.
        widths = set(map(len, value))
        if len(widths) == 1 and 0 not in widths and set(map(type, chain.from_iterable(value))) == {float}:
            (width,) = widths
            numbers = np.fromiter(chain.from_iterable(value), float, count=len(value) * width)
            return numbers.reshape(len(value), width), None, None, (len(value), width) != (1, 1)
    rows = to_rows(value)
    if not rows or not rows[0]:
        raise CallFailed(VALUE, f"{name} is an empty range")
    if is_ragged(rows):
        raise CallFailed(VALUE, f"{name} is not a rectangular range")
    shape = (len(rows), len(rows[0]))
    numbers = np.empty(shape, dtype=float)
    errors = np.full(shape, None, dtype=object)
    reasons = np.full(shape, "", dtype=object)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            numbers[i, j], errors[i, j], why = coerce_cell(cell)
            if why:
                reasons[i, j] = f"{name}: {why}"
    return numbers, errors, reasons, shape != (1, 1)


def _first_error(errors: np.ndarray | None, reasons: np.ndarray | None) -> ExcelError | None:
    if errors is None:
        return None
    hits = np.flatnonzero(errors.ravel() != None)  # noqa: E711 - elementwise on an object array
    if hits.size == 0:
        return None
    k = hits[0]
    return ExcelError(errors.ravel()[k], reasons.ravel()[k])


def _cell(value: Any) -> Any:
    """A core result element -> what a cell shows (NaN never reaches a cell unexplained)."""
    if isinstance(value, str):  # text labels and ExcelError
        return value
    return finite_or_error(float(value))


def call_elementwise(definition: KPIDefinition, args: tuple[Any, ...]) -> Any:
    """Run an element-wise KPI over Excel arguments; element-wise Excel errors out."""
    names = definition.arg_names
    converted = [convert_argument(n, v) for n, v in zip(names, args)]
    inputs: dict[str, Any] = {}
    pre_errors, pre_reasons = [], []
    any_range = False
    for arg, (numbers, errors, reasons, was_range) in zip(definition.args, converted):
        if arg.summed:
            # A total: one error anywhere in the range is the error of the total.
            err = _first_error(errors, reasons)
            if err is not None:
                raise CallFailed(str(err), err.reason)
            inputs[arg.name] = numbers if was_range else numbers[0, 0]
            continue
        any_range |= was_range
        inputs[arg.name] = numbers
        pre_errors.append(errors)
        pre_reasons.append(reasons)
    ev = definition.evaluate(inputs)  # a whole-call KPIError is caught by call_kpi
    shape = ev.values.shape
    if not ev.codes.any() and all(e is None for e in pre_errors) and (any_range or ev.values.size != 1):
        return ev.values.tolist()  # every cell computed (the usual case): no per-cell work
    out = ev.values.astype(object)
    for index in map(tuple, np.argwhere(ev.codes != OK)):
        problem = ev.error_at(index)
        out[index] = ExcelError(problem.excel_error, str(problem))
    # Input errors beat the core's verdict; the first argument's error wins,
    # so later arguments are written first and overwritten.
    for errors, reasons in reversed(list(zip(pre_errors, pre_reasons))):
        if errors is None:
            continue
        errors, reasons = np.broadcast_to(errors, shape), np.broadcast_to(reasons, shape)
        for index in map(tuple, np.argwhere(errors != None)):  # noqa: E711
            out[index] = ExcelError(errors[index], reasons[index])
    if not any_range and out.size == 1:
        return _cell(out.reshape(-1)[0])
    return out.tolist()


def call_reduction(definition: KPIDefinition, args: tuple[Any, ...]) -> Any:
    """Run a range-reducing KPI (MRR, NPS ...): one result, the first input error wins.

    Missing optional arguments have already been given their defaults by :func:`call_kpi`.
    """
    inputs: dict[str, Any] = {}
    for arg, value in zip(definition.args, args):
        numbers, errors, reasons, was_range = convert_argument(arg.name, value)
        err = _first_error(errors, reasons)
        if err is not None:
            raise CallFailed(str(err), err.reason)
        inputs[arg.name] = numbers if (was_range or arg.array) else numbers[0, 0]
    return _cell(definition.function(**inputs))


def _plain_number(value: Any) -> bool:
    """A float, or an int that is not a COM error code: a whole-number cell, or a catalog default.

    xlwings hands an omitted optional argument over as the signature's default
    (``gross_margin=1``, an int), so ints must not push a call off the scalar path.
    """
    return type(value) is float or (type(value) is int and value not in ERROR_CODES)


def call_kpi(definition: KPIDefinition, args: tuple[Any, ...]) -> Any:
    """Call one KPI with Excel-shaped arguments; never raises.

    Missing optional arguments (``None``, as xlwings passes a blank optional
    cell) take the definition's default.
    """
    try:
        args = tuple(
            definition.defaults[arg.name] if (value is None and arg.name in definition.defaults) else value
            for arg, value in zip(definition.args, args)
        )
        if definition.elementwise:
            if all(map(_plain_number, args)):
                # All single numbers, the usual cell formula: the core's scalar path.
                return _cell(definition.function(*args))
            return call_elementwise(definition, args)
        return call_reduction(definition, args)
    except CallFailed as exc:
        return exc.cell()
    except KPIError as exc:  # the core refused the call: its error and reason
        return ExcelError(exc.excel_error, str(exc))
    except Exception as exc:  # noqa: BLE001 - a cell must never show a traceback
        return ExcelError(VALUE, f"{definition.excel_name}: {type(exc).__name__}: {exc}", unexpected=True)


def make_udf(definition: KPIDefinition, decorate: Callable[[Callable[..., Any]], Callable[..., Any]]) -> Callable[..., Any]:
    """Build the Excel function for one KPI: its name, signature and docstring come from the definition.

    ``decorate`` applies xlwings' ``func``/``arg`` decorators (see :mod:`xl_kpi.udfs`).
    """

    def udf(*args: Any) -> Any:
        padded = args + (None,) * (len(definition.args) - len(args))
        return call_kpi(definition, padded[: len(definition.args)])

    udf.__name__ = udf.__qualname__ = definition.excel_name
    udf.__doc__ = definition.summary
    udf.__module__ = "xl_kpi.udfs"
    udf.__annotations__ = {}
    params = [
        inspect.Parameter(
            a.name,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=definition.defaults.get(a.name, inspect.Parameter.empty),
        )
        for a in definition.args
    ]
    udf.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    udf.kpi = definition  # type: ignore[attr-defined]
    return decorate(udf)
