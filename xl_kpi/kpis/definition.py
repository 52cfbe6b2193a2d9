"""The per-KPI definition record, and the decorator that turns a formula into a KPI function.

Every KPI is written once, as a small numpy function decorated with :func:`kpi`.
The decorator records everything the other faces need next to the code:

* the Excel name and a one-line summary (the UDF's name and wizard text),
* per argument: help text, the domain it must lie in, whether a range is
  totalled first ("summed"),
* the unit, which fixes the number format of every output cell,
* the native Excel formula the template workbooks use, written with the
  Python argument names (``"customers_lost/customers_at_start"``), and the
  denominators that must not be zero (which also give the templates their
  "blank instead of #DIV/0!" guard).

Element-wise KPIs get their validation and broadcasting from the decorator, so
that the Python API, the Excel functions and the templates agree on what is
valid.  KPIs that reduce a whole range (MRR, NPS, LEAD_SCORE ...) validate
themselves and are registered with ``elementwise=False``.
"""

from __future__ import annotations

import functools
import inspect
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from xl_kpi.errors import KPIDivisionByZeroError, KPIDomainError, KPIError, KPIValueError

# --------------------------------------------------------------------------- units


@dataclass(frozen=True)
class Unit:
    """What a number means, and how Excel should show it.

    ``number_format`` formats a KPI's result cell; ``input_format`` an input
    cell a user types the number into.  They differ for counts and periods:
    an input keeps what the user typed (General), a result gets separators.
    """

    name: str
    number_format: str
    description: str
    input_format: str = "General"


FRACTION = Unit("fraction", "0.0%", "a fraction (0.1 = 10%), shown as a percentage", input_format="0.0%")
MONEY = Unit("money", "#,##0.00", "an amount of money, in the unit of the inputs", input_format="#,##0.00")
RATIO = Unit("ratio", '0.00"x"', "a multiple (2.0 = twice)")
COUNT = Unit("count", "#,##0", "a number of things")
POINTS = Unit("points", "0.0", "points (NPS runs from -100 to 100)")
PERIODS = Unit("periods", "0.0", "a number of periods (months when the inputs are monthly)")
HOURS = Unit("hours", "0.00", "hours")
#: General, not "@": in Excel a formula in a Text-formatted cell turns into
#: literal text the moment a user edits it.
TEXT = Unit("text", "General", "a text label")
#: Inputs only: survey scores (whole numbers 0..10) and Excel date-times (serials shown as dates).
SCORE = Unit("score", "0", "a survey score, a whole number from 0 to 10", input_format="0")
DATETIME = Unit("datetime", "yyyy-mm-dd hh:mm", "a date and time (an Excel date serial)",
                input_format="yyyy-mm-dd hh:mm")

UNITS = (FRACTION, MONEY, RATIO, COUNT, POINTS, PERIODS, HOURS, TEXT, SCORE, DATETIME)

# --------------------------------------------------------------------------- domains


@dataclass(frozen=True)
class Domain:
    """The values an argument may take; anything else is a #NUM! error.

    ``check`` names the same rule as an Excel data validation (the templates'
    input cells, :meth:`validation`), with ``error`` as the message Excel shows.
    """

    name: str
    low: float | None = None
    high: float | None = None
    describe: str = "any number"
    integer: bool = False
    check: str = "any"
    error: str = "Enter a number."

    def validation(self) -> dict[str, str]:
        """This domain as the keyword arguments of an Excel data validation (openpyxl's ``DataValidation``).

        >>> UNIT_INTERVAL.validation()["formula2"], NONNEG.validation()["operator"]
        ('1', 'greaterThanOrEqual')
        """
        kind = "whole" if self.integer else "decimal"
        # Excel's validation has no "any number": a between over (almost) the whole double range.
        low = "-1E+307" if self.low is None else f"{self.low:g}"
        if self.high is None and self.low is not None:
            return dict(type=kind, operator="greaterThanOrEqual", formula1=low, error=self.error)
        high = "1E+307" if self.high is None else f"{self.high:g}"
        return dict(type=kind, operator="between", formula1=low, formula2=high, error=self.error)

    def violated(self, values: np.ndarray) -> np.ndarray:
        """Boolean mask of finite elements outside the domain."""
        bad = np.zeros(values.shape, dtype=bool)
        with np.errstate(invalid="ignore"):
            if self.low is not None:
                bad |= values < self.low
            if self.high is not None:
                bad |= values > self.high
            if self.integer:
                bad |= np.isfinite(values) & (values != np.round(values))
        return bad

    def rejects(self, value: float) -> bool:
        """:meth:`violated` for one finite float, without numpy's overhead."""
        return ((self.low is not None and value < self.low) or (self.high is not None and value > self.high)
                or (self.integer and value != round(value)))


ANY = Domain("any")
NONNEG = Domain("nonneg", low=0.0, describe=">= 0", check="nonneg", error="Enter a number of 0 or more.")
UNIT_INTERVAL = Domain("unit_interval", low=0.0, high=1.0, describe="between 0 and 1", check="fraction",
                       error="Enter a fraction between 0 and 1 (80% = 0.8).")
SCORE_0_10 = Domain("score", low=0.0, high=10.0, describe="a whole number from 0 to 10", integer=True, check="score",
                    error="Enter a whole score from 0 to 10.")
DOMAINS = (ANY, NONNEG, UNIT_INTERVAL, SCORE_0_10)


# --------------------------------------------------------------------------- arguments


@dataclass(frozen=True)
class Arg:
    """Help text, unit and domain of one argument.  Defaults come from the function signature."""

    name: str
    help: str
    domain: Domain = NONNEG
    #: A range is totalled first (CAC's spend: a range of costs -> one total).
    summed: bool = False
    #: The argument is naturally a whole range (MRR's amounts, NPS's scores).
    array: bool = False
    #: What the number is (money, a fraction, a count, a date-time ...): fixes the input cell's format.
    unit: Unit | None = None

    @property
    def input_check(self) -> str:
        """The data validation of the argument's input cells: a date-time is checked as a date."""
        return "date" if self.unit is DATETIME else self.domain.check


@dataclass(frozen=True)
class Example:
    """A KPI's worked example (the catalog's first): argument values in order, and the result.

    Optional arguments the example leaves out take their defaults.  The
    calculator template shows it as its sample inputs; the suite checks it
    against its own transcription of the catalog.
    """

    args: tuple[Any, ...]
    result: Any
    #: Absolute tolerance where the catalog rounds its result.
    abs: float = 0.0


# --------------------------------------------------------------------------- Excel formulas

_IDENT = re.compile(r'"[^"]*"|\b[A-Za-z_][A-Za-z0-9_]*\b')


def render_formula(template: str, refs: Mapping[str, str]) -> str:
    """Replace argument names in ``template`` by the Excel references in ``refs``.

    Text in double quotes and names that are not keys of ``refs`` (Excel
    functions such as SUMPRODUCT) are left as they are.

    >>> render_formula('IF(a<=0.03,"a",b/c)', {"a": "B2", "b": "B3", "c": "Inputs!C4"})
    'IF(B2<=0.03,"a",B3/Inputs!C4)'
    """

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        return refs.get(token, token) if not token.startswith('"') else token

    return _IDENT.sub(swap, template)


def _names_in(template: str) -> set[str]:
    return {m.group(0) for m in _IDENT.finditer(template) if not m.group(0).startswith('"')}


# --------------------------------------------------------------------------- input conversion


def object_array(value: list | tuple, name: str) -> np.ndarray:
    """A list / tuple (nested for a 2-D range) as an object array, each element kept as it is.

    Not ``np.asarray``: ``np.asarray([9, True])`` would quietly make True a 1,
    and ``[9, "10"]`` all text; as objects, every element is checked on its
    own.  Rows of different lengths are refused as not a rectangular range.
    """
    try:
        arr = np.array(value, dtype=object)
    except ValueError:  # numpy refuses some ragged nestings outright
        arr = None
    if arr is None or any(isinstance(item, (list, tuple)) for item in arr.flat):
        raise KPIValueError(f"{name} is not a rectangular range (rows of different lengths)")
    return arr


def nullable_numbers(value: Any) -> np.ndarray | None:
    """A pandas nullable Int64 / Float64 column as a float array (``<NA>`` -> NaN); None otherwise.

    Their ``to_numpy()`` would give objects with ``<NA>`` in them.
    """
    dtype = getattr(value, "dtype", None)
    # A DataFrame has no single dtype: it is read like any other array.
    if dtype is not None and hasattr(value, "to_numpy") and not isinstance(dtype, np.dtype) \
            and getattr(dtype, "kind", None) in ("i", "u", "f"):
        return value.to_numpy(dtype=float, na_value=np.nan)
    return None


def position(flat_index: int, shape: tuple[int, ...]) -> str:
    """Where a bad element sits, as the user indexed it: ``3`` for a list, ``(1, 2)`` for a range."""
    if len(shape) <= 1:
        return f"position {flat_index}"
    return f"position {tuple(int(i) for i in np.unravel_index(flat_index, shape))}"


def first_index(mask: np.ndarray) -> int | None:
    """Flat index of the first True in ``mask``, or None."""
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def as_float_array(value: Any, name: str) -> np.ndarray:
    """Convert a scalar, list, tuple, numpy array or pandas Series to a float array.

    ``None``, NaN and pandas' ``<NA>`` (a blank) become NaN.  Text and
    booleans are refused with a :class:`KPIValueError` naming the argument and
    the position: a KPI never guesses that ``"12"`` or ``True`` was meant as a
    number.  Lists and tuples go through :func:`object_array` (each element
    checked on its own, ragged rows refused).

    >>> as_float_array([[1, None], [2.5, 3]], "x")
    array([[1. , nan],
           [2.5, 3. ]])
    """
    if isinstance(value, (bool, np.bool_)):
        raise KPIValueError(f"{name} must be a number, got {value!r}")
    if value is None:
        return np.asarray(np.nan)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return np.asarray(float(value))
    if isinstance(value, str):
        raise KPIValueError(f"{name} must be a number, got text {value!r}")
    numbers = nullable_numbers(value)
    if numbers is not None:
        return numbers
    if isinstance(value, (list, tuple)) and set(map(type, value)) <= {float, int}:
        return np.array(value, dtype=float)  # a flat list of numbers: no per-element check needed
    if isinstance(value, (list, tuple)):
        arr = object_array(value, name)
    else:
        arr = np.asarray(getattr(value, "to_numpy", lambda: value)())
    if arr.dtype.kind in "fiu":
        return arr.astype(float, copy=False)
    if arr.dtype.kind == "O":
        out = np.empty(arr.shape, dtype=float)
        for index, item in np.ndenumerate(arr):
            if item is None:
                out[index] = np.nan
            elif isinstance(item, (bool, np.bool_)) or not isinstance(item, (int, float, np.integer, np.floating)):
                where = f" at {position(int(np.ravel_multi_index(index, arr.shape)), arr.shape)}" if arr.ndim else ""
                raise KPIValueError(f"{name} must hold numbers, got {item!r}{where}")
            else:
                out[index] = float(item)
        return out
    raise KPIValueError(f"{name} must hold numbers, got {arr.dtype} values")


# --------------------------------------------------------------------------- the record

@functools.lru_cache(maxsize=None)
def _compiled(expression: str):
    """A denominator expression (our own, over argument names) compiled once."""
    return compile(expression, f"<denominator {expression}>", "eval")


#: Check outcome codes, in order of precedence: a higher code wins, like Excel (text or a
#: blank beats an out-of-domain number, which beats a zero denominator).
OK, DIV0, NUM, VALUE = 0, 1, 2, 3
_ERROR_FOR_CODE = {DIV0: KPIDivisionByZeroError, NUM: KPIDomainError, VALUE: KPIValueError}


@dataclass(frozen=True)
class Evaluation:
    """Result of an element-wise KPI over broadcast inputs, with per-element checks.

    ``codes`` holds OK / DIV0 / NUM / VALUE per element; ``error_at(index)``
    builds the exception (with its reason) for a failing element.
    """

    definition: "KPIDefinition"
    inputs: Mapping[str, np.ndarray]
    values: np.ndarray
    codes: np.ndarray

    @property
    def is_scalar(self) -> bool:
        return self.values.ndim == 0

    def error_at(self, index: tuple[int, ...] = ()) -> KPIError | None:
        code = int(self.codes[index])
        if code == OK:
            return None
        point = {k: v[index] for k, v in self.inputs.items()}
        return _ERROR_FOR_CODE[code](self.definition.reason(point, code))


@dataclass(frozen=True)
class KPIDefinition:
    """Everything xl_kpi knows about one KPI; read by the UDFs, templates and docs."""

    name: str
    excel_name: str
    family: str
    summary: str
    args: tuple[Arg, ...]
    defaults: Mapping[str, Any]
    unit: Unit
    excel: str
    denominators: tuple[str, ...]
    constants: Mapping[str, float]
    elementwise: bool
    example: Example
    compute: Callable[..., Any] = field(repr=False)
    function: Callable[..., Any] = field(repr=False, default=None)  # the public wrapper

    # -- Excel ----------------------------------------------------------------
    def excel_formula(self, refs: Mapping[str, str] | None = None, **more: str) -> str:
        """The native Excel formula (without the leading ``=``) for cell references ``refs``.

        Optional arguments and constants without a reference are written as
        their default value; templates should rather point them at named
        assumption cells.
        """
        fallback = {**{k: repr(v) for k, v in self.defaults.items()}, **{k: repr(v) for k, v in self.constants.items()}}
        return render_formula(self.excel, {**fallback, **(refs or {}), **more})

    def excel_guarded_formula(self, refs: Mapping[str, str] | None = None, **more: str) -> str:
        """Like :meth:`excel_formula`, but empty text instead of #DIV/0! on a zero denominator.

        A blank input cell counts as zero in Excel arithmetic, so a blank
        denominator also gives an empty cell.
        """
        body = self.excel_formula(refs, **more)
        if not self.denominators:
            return body
        refs = {**(refs or {}), **more}
        tests = [f"({render_formula(d, refs)})=0" for d in self.denominators]
        test = tests[0] if len(tests) == 1 else "OR(" + ",".join(tests) + ")"
        return f'IF({test},"",{body})'

    @property
    def arg_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.args)

    # -- evaluation -------------------------------------------------------------
    def evaluate(self, inputs: Mapping[str, Any]) -> Evaluation:
        """Validate and compute an element-wise KPI over already-bound arguments."""
        arrays: dict[str, np.ndarray] = {}
        for arg in self.args:
            arr = as_float_array(inputs[arg.name], arg.name)
            if arg.summed and arr.ndim:
                if arr.size == 0 or np.isnan(arr).all():
                    raise KPIValueError(f"{arg.name} has no values to total")
                arr = np.asarray(np.nansum(arr))
            arrays[arg.name] = arr
        try:
            shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
        except ValueError:
            shapes = ", ".join(f"{k} {v.shape}" for k, v in arrays.items())
            raise KPIValueError(f"{self.excel_name}: argument shapes do not match: {shapes}") from None
        arrays = {k: np.broadcast_to(v, shape) for k, v in arrays.items()}
        codes = np.zeros(shape, dtype=np.int64)
        env = {**arrays, **self.constants}
        with np.errstate(all="ignore"):
            for den in self.denominators:
                np.maximum(codes, np.where(eval(_compiled(den), {"__builtins__": {}}, env) == 0, DIV0, OK), out=codes)  # noqa: S307 - our own expressions
            for arg in self.args:
                a = arrays[arg.name]
                np.maximum(codes, np.where(arg.domain.violated(a) | np.isinf(a), NUM, OK), out=codes)
                np.maximum(codes, np.where(np.isnan(a), VALUE, OK), out=codes)
            values = np.asarray(self.compute(**arrays))
            if values.dtype.kind == "f":
                codes = np.maximum(codes, np.where((codes == OK) & ~np.isfinite(values), NUM, OK))
        # A writable copy of the full shape; text results (CHURN_BENCHMARK) as objects, to hold NaN.
        values = np.broadcast_to(values, shape).astype(values.dtype if values.dtype.kind == "f" else object)
        values[codes != OK] = np.nan
        return Evaluation(self, arrays, values, codes)

    def evaluate_scalar(self, inputs: Mapping[str, float]) -> float | str:
        """The all-numbers case of :meth:`evaluate` in plain Python floats (about 10x faster).

        Same checks in the same precedence; raises the element's error.
        """
        point = {k: float(v) for k, v in inputs.items()}
        code = OK
        for arg in self.args:
            v = point[arg.name]
            if math.isnan(v):
                code = VALUE
                break
            if math.isinf(v) or arg.domain.rejects(v):
                code = NUM
        if code == OK and self.denominators:
            env = {**point, **self.constants}
            if any(eval(_compiled(den), {"__builtins__": {}}, env) == 0 for den in self.denominators):  # noqa: S307
                code = DIV0
        if code != OK:
            raise _ERROR_FOR_CODE[code](self.reason(point, code))
        try:
            value = self.compute(**point)
        except (OverflowError, ZeroDivisionError):  # numpy would give inf: #NUM! either way
            value = math.inf
        if isinstance(value, np.ndarray):
            value = value[()]
        if isinstance(value, str):
            return value
        value = float(value)
        if not math.isfinite(value):
            raise KPIDomainError(self.reason(point, NUM))
        return value

    def reason(self, point: Mapping[str, Any], code: int) -> str:
        """Human-readable reason for a failing element (``point`` maps arg -> value)."""
        if code == VALUE:
            for arg in self.args:
                if np.isnan(point[arg.name]):
                    return f"{arg.name} is blank or not a number"
        if code == NUM:
            for arg in self.args:
                v = float(point[arg.name])
                if np.isinf(v):
                    return f"{arg.name} must be a finite number, got {v}"
                if arg.domain.rejects(v):
                    return f"{arg.name} must be {arg.domain.describe}, got {format_number(v)}"
            return f"{self.excel_name}: the result is not a finite number"
        if code == DIV0:
            env = {**{k: float(v) for k, v in point.items()}, **self.constants}
            for den in self.denominators:
                if eval(_compiled(den), {"__builtins__": {}}, env) == 0:  # noqa: S307
                    arg = next((a for a in self.args if a.name == den), None)
                    if arg is not None and arg.domain.low == 0:
                        return f"{den} must be > 0, got {format_number(env[den])}"
                    return f"{den} must not be 0"
        return f"{self.excel_name}: invalid input"


def format_number(v: float) -> str:
    """A number as a message shows it: 0 rather than 0.0, 0.25 as it is."""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


#: Every KPI, by Excel name, in catalog order (filled as the family modules import).
REGISTRY: dict[str, KPIDefinition] = {}


def kpi(
    excel_name: str,
    *,
    summary: str,
    unit: Unit,
    args: tuple[Arg, ...] | list[Arg],
    example: Example,
    excel: str,
    denominators: tuple[str, ...] = (),
    constants: Mapping[str, float] | None = None,
    elementwise: bool = True,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a KPI and, for element-wise KPIs, wrap it with validation and broadcasting.

    The decorated function receives broadcast float arrays and only computes;
    the wrapper returns a float for all-scalar input (raising a
    :class:`~xl_kpi.errors.KPIError` if it is invalid) and an array of the
    broadcast shape otherwise (NaN where an element is invalid).
    """

    def decorate(compute: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(compute)
        names = [a.name for a in args]
        if list(sig.parameters) != names:
            raise TypeError(f"{excel_name}: Arg records {names} != signature {list(sig.parameters)}")
        defaults = {n: p.default for n, p in sig.parameters.items() if p.default is not inspect.Parameter.empty}
        missing_units = [a.name for a in args if a.unit is None]
        if missing_units:
            raise TypeError(f"{excel_name}: arguments without a unit: {missing_units}")
        unknown = _names_in(excel) - set(names) - set(constants or {})
        unknown = {n for n in unknown if not n.isupper()}  # Excel functions are upper case
        if unknown:
            raise TypeError(f"{excel_name}: Excel formula uses unknown names {sorted(unknown)}")
        definition = KPIDefinition(
            name=compute.__name__,
            excel_name=excel_name,
            family=compute.__module__.rsplit(".", 1)[-1],
            summary=summary,
            args=tuple(args),
            defaults=defaults,
            unit=unit,
            excel=excel,
            denominators=tuple(denominators),
            constants=dict(constants or {}),
            elementwise=elementwise,
            example=example,
            compute=compute,
        )

        if elementwise:

            @functools.wraps(compute)
            def function(*a: Any, **kw: Any) -> Any:
                bound = sig.bind(*a, **kw)
                bound.apply_defaults()
                if all(type(v) in (float, int) for v in bound.arguments.values()):
                    return definition.evaluate_scalar(bound.arguments)
                ev = definition.evaluate(bound.arguments)
                if ev.is_scalar:
                    error = ev.error_at()
                    if error is not None:
                        raise error
                    value = ev.values[()]
                    return value if isinstance(value, str) else float(value)
                return ev.values

        else:
            function = compute

        object.__setattr__(definition, "function", function)
        function.kpi = definition  # type: ignore[attr-defined]
        if excel_name in REGISTRY:
            raise TypeError(f"{excel_name} is defined twice")
        REGISTRY[excel_name] = definition
        return function

    return decorate


def exports(module_name: str, *extra: str) -> list[str]:
    """A family module's ``__all__``: its registered KPI functions in catalog order, then ``extra``.

    Called at the end of each family module, after its ``@kpi`` functions have
    registered, so that adding a KPI needs no second list.
    """
    family = module_name.rsplit(".", 1)[-1]
    return [d.name for d in REGISTRY.values() if d.family == family] + list(extra)
