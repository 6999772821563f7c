"""Up-front validation helpers: each raises :class:`AssumptionError` naming the parameter.

Private: public functions call these before any computation so that bad input never reaches
numpy or JAX as a NaN.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .errors import AssumptionError


def real_scalar(name: str, value) -> float:
    """A finite real number (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise AssumptionError(f"{name}: need a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise AssumptionError(f"{name}: need a finite number, got {value!r}")
    return value


def in_range(name, value, lo=None, hi=None, *, lo_open=False, hi_open=False) -> float:
    """A finite real in the interval given by ``lo``/``hi`` (closed unless ``*_open``)."""
    value = real_scalar(name, value)
    bad_lo = lo is not None and (value <= lo if lo_open else value < lo)
    bad_hi = hi is not None and (value >= hi if hi_open else value > hi)
    if bad_lo or bad_hi:
        left = "-inf" if lo is None else f"{lo:g}"
        right = "inf" if hi is None else f"{hi:g}"
        interval = ("(" if lo_open or lo is None else "[") + f"{left}, {right}" + (
            ")" if hi_open or hi is None else "]")
        raise AssumptionError(f"{name}: need a value in {interval}, got {value!r}")
    return value


INT32_MAX = 2 ** 31 - 1      # step counters are int32: a period beyond it never ends


def integer(name: str, value, lo: int | None = None, hi: int | None = None) -> int:
    """An integer (bools refused), at least ``lo`` and at most ``hi`` when given."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise AssumptionError(f"{name}: need an integer, got {value!r}")
    value = int(value)
    if lo is not None and value < lo:
        raise AssumptionError(f"{name}: need an integer >= {lo}, got {value}")
    if hi is not None and value > hi:
        raise AssumptionError(f"{name}: need an integer <= {hi}, got {value}")
    return value


def vector(name: str, value, *, nonnegative: bool = False, length: int | None = None,
           length_of: str | None = None) -> np.ndarray:
    """A non-empty, finite, one-dimensional float64 array."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AssumptionError(f"{name}: need an array of real numbers ({exc})") from None
    if arr.ndim != 1 or arr.size == 0:
        raise AssumptionError(f"{name}: need a non-empty 1-d array, got shape {arr.shape}")
    if length is not None and arr.size != length:
        raise AssumptionError(
            f"{name}: need the same length as {length_of} ({length}), got {arr.size}")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise AssumptionError(f"{name}: need finite values, got {arr[bad][0]!r} "
                              f"at index {int(np.flatnonzero(bad)[0])}")
    if nonnegative and (arr < 0).any():
        i = int(np.flatnonzero(arr < 0)[0])
        raise AssumptionError(f"{name}: need every entry >= 0, got {arr[i]!r} at index {i}")
    return arr
