"""Checks of user-given parameters: one place that turns a bad value into a one-line error.

Every checker takes the parameter's name and value and returns the value in its
canonical type, or raises the given error type (``ModelError`` by default) with a
message naming the parameter, the value and what is allowed. ``bool`` is refused
where a number is expected (``True`` is an ``int`` in Python), and so are strings:
``first='0.4'`` is a mistake to report, not to guess at.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .exceptions import InputError, ModelError

__all__ = ["check_real", "check_integer", "check_seed", "check_probability", "check_has_paths"]


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def check_real(
    name: str,
    value,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    error=ModelError,
) -> float:
    """A finite real number in the stated range.

    Examples
    --------
    >>> check_real("half_life", 7, low=0, low_open=True)
    7.0
    >>> check_real("first", "0.4")
    Traceback (most recent call last):
    ...
    pathcredit.exceptions.ModelError: first must be a number, got '0.4' (str)
    """
    if not _is_number(value):
        raise error(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    x = float(value)
    if not math.isfinite(x):
        raise error(f"{name} must be a finite number, got {value!r}")
    below = low is not None and (x <= low if low_open else x < low)
    above = high is not None and (x >= high if high_open else x > high)
    if below or above:
        lo = "" if low is None else f"{low} {'<' if low_open else '<='} "
        hi = "" if high is None else f" {'<' if high_open else '<='} {high}"
        raise error(f"{name} must satisfy {lo}{name}{hi}, got {value!r}")
    return x


def check_integer(
    name: str, value, *, low: int | None = None, high: int | None = None, error=ModelError
) -> int:
    """A whole number in ``[low, high]`` (a float such as ``3.0`` is accepted).

    Examples
    --------
    >>> check_integer("folds", 5, low=2)
    5
    >>> check_integer("keep_last", 10**21, low=1, high=2**62)
    Traceback (most recent call last):
    ...
    pathcredit.exceptions.ModelError: keep_last must be a whole number in [1, 4611686018427387904], got 1000000000000000000000
    """  # noqa: E501
    ok = _is_number(value) and math.isfinite(float(value)) and float(value) == int(value)
    if ok:
        n = int(value)
        ok = (low is None or n >= low) and (high is None or n <= high)
    if not ok:
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise error(f"{name} must be a whole number in [{lo}, {hi}], got {value!r}")
    return n


def check_seed(value, *, name: str = "seed", error=ModelError):
    """``None``, a non-negative integer or a ``numpy.random.Generator``.

    Examples
    --------
    >>> check_seed(3)
    3
    >>> check_seed("x")
    Traceback (most recent call last):
    ...
    pathcredit.exceptions.ModelError: seed must be None, a whole number >= 0 or a numpy Generator, got 'x'
    """  # noqa: E501
    if value is None or isinstance(value, np.random.Generator | np.random.SeedSequence):
        return value
    if _is_number(value) and math.isfinite(float(value)) and float(value) == int(value):
        if int(value) >= 0:
            return int(value)
    raise error(f"{name} must be None, a whole number >= 0 or a numpy Generator, got {value!r}")


def check_probability(name: str, value, *, error=ModelError) -> float:
    """A probability strictly between 0 and 1 (``ci_prob``).

    Examples
    --------
    >>> check_probability("ci_prob", 0.9)
    0.9
    """
    return check_real(name, value, low=0, high=1, low_open=True, high_open=True, error=error)


def check_has_paths(journeys) -> None:
    """Refuse journeys without a path, saying which transform removed them when one did.

    An empty input is a mistake to report (a header-only file, a filter that
    removed everything), not an empty table to print.
    """
    if journeys.n_paths > 0:
        return
    steps = [f"{r.step} removed {r.paths}" for r in journeys.removed if r.paths]
    detail = f"no paths left ({'; '.join(steps)})" if steps else "no paths in the input"
    raise InputError(detail, source=getattr(journeys, "source", None))
