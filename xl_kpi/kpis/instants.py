"""Date-times for the support-time KPIs: Excel serial numbers and Python date-times on one time base.

Excel hands date cells over as serial days since 1899-12-30; Python users
pass datetime, numpy datetime64 or pandas Timestamps.  :func:`day_and_hours`
turns any of them into (whole days, hours into the day), so that two instants
subtract without the ~1 microsecond rounding a serial near 46000 carries.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np

from xl_kpi.errors import KPIDomainError, KPIValueError
from xl_kpi.cells import EXCEL_EPOCH, is_blank
from xl_kpi.kpis.definition import first_index, nullable_numbers, object_array, position

_US_PER_DAY = 86_400_000_000
_US_PER_HOUR = 3_600_000_000
_EPOCH64 = np.datetime64(EXCEL_EPOCH, "us")


def _split_us(us: np.ndarray, nat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Microseconds since the Excel epoch -> (whole days, hours into the day), NaN where blank."""
    days = np.floor_divide(us, _US_PER_DAY)
    hours = (us - days * _US_PER_DAY) / _US_PER_HOUR
    return np.where(nat, np.nan, days.astype(float)), np.where(nat, np.nan, hours)


def _split_serial(serial: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Excel serial days -> (whole days, hours into the day)."""
    days = np.floor(serial)
    return days, (serial - days) * 24.0


def _element_us(item: Any) -> int | None:
    """One date-time -> microseconds since the Excel epoch; None if it is not a date-time."""
    if isinstance(item, np.datetime64):
        item = item.astype("datetime64[us]")
        return None if np.isnat(item) else int((item - _EPOCH64).astype(np.int64))
    if isinstance(item, _dt.datetime):
        if item.tzinfo is not None:
            item = item.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return (item - EXCEL_EPOCH) // _dt.timedelta(microseconds=1)
    if isinstance(item, _dt.date):
        return (_dt.datetime.combine(item, _dt.time()) - EXCEL_EPOCH) // _dt.timedelta(microseconds=1)
    return None


def day_and_hours(value: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Date-times or Excel serial numbers -> (whole days, hours into the day) since 1899-12-30.

    Why two parts: a serial near 46000 carries ~1 microsecond of rounding, so
    datetime input is kept exact (integer microseconds split into day and
    hour) and the subtraction of two such instants loses nothing.  Blanks
    (None, NaN, NaT) are NaN in both parts.  Time-zone-aware values are taken
    in UTC, so two columns in different zones still subtract correctly.
    """
    if is_blank(value):
        return np.asarray(np.nan), np.asarray(np.nan)
    if getattr(getattr(value, "dtype", None), "tz", None) is not None:  # pandas tz-aware Series / DatetimeIndex
        value = value.dt.tz_convert("UTC").dt.tz_localize(None) if hasattr(value, "dt") else value.tz_convert("UTC").tz_localize(None)
    elif (numbers := nullable_numbers(value)) is not None:
        value = numbers
    if isinstance(value, (list, tuple)):
        arr = object_array(value, name)
    else:
        arr = np.asarray(getattr(value, "to_numpy", lambda: value)())
    kind = arr.dtype.kind
    if kind == "O" and set(map(type, arr.flat)) <= {_dt.datetime, type(None)} and not any(
        item is not None and item.tzinfo is not None for item in arr.flat
    ):
        # Plain naive datetimes and blanks (the usual Python list): numpy converts them
        # in C, ~15x faster than the element loop below.
        arr, kind = arr.astype("datetime64[us]"), "M"
    if kind == "M":
        arr = arr.astype("datetime64[us]")
        nat = np.isnat(arr)
        return _split_us((arr - _EPOCH64).astype(np.int64), nat)
    if kind in "fiu":
        serial = arr.astype(float)
        bad = first_index(np.isinf(serial))
        if bad is not None:
            raise KPIDomainError(f"{name} must hold finite date-times, got {serial.flat[bad]} at {position(bad, arr.shape)}")
        return _split_serial(serial)
    if kind != "O":
        raise KPIValueError(f"{name} must hold date-times or Excel serial numbers, got {arr.dtype} values")
    # Mixed Python objects (datetimes, None, numbers): one look per element.
    days = np.empty(arr.shape, dtype=float)
    hours = np.empty(arr.shape, dtype=float)
    for k, item in enumerate(arr.flat):
        where = position(k, arr.shape)
        if is_blank(item):
            days.flat[k] = hours.flat[k] = np.nan
        elif isinstance(item, (bool, np.bool_, str, bytes)):
            raise KPIValueError(f"{name} must hold date-times or Excel serial numbers, got {item!r} at {where}")
        elif isinstance(item, (int, float, np.integer, np.floating)):
            if np.isinf(item):
                raise KPIDomainError(f"{name} must hold finite date-times, got {item} at {where}")
            d, h = _split_serial(np.asarray(float(item)))
            days.flat[k], hours.flat[k] = d, h
        else:
            us = _element_us(item)
            if us is None:
                raise KPIValueError(f"{name} must hold date-times or Excel serial numbers, got {item!r} at {where}")
            d, h = _split_us(np.asarray(us, dtype=np.int64), np.asarray(False))
            days.flat[k], hours.flat[k] = d, h
    return days, hours
