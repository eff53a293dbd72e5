"""Plain-JSON forms of the numbers and containers a result or a world carries.

The ``--format json`` outputs and :meth:`pathcredit.AttributionResult.to_dict` promise
plain JSON (``json.dumps(..., allow_nan=False)`` works): NaN becomes ``null``, numpy
scalars become Python numbers, and anything that is not plain data (a table, an
object) is :data:`SKIP`-ped by its container rather than stringified.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

__all__ = ["SKIP", "json_number", "jsonable"]

#: Marker for a value with no plain-JSON form; a container holding one is skipped whole.
SKIP = object()


def json_number(x):
    """``x`` as a float, ``None`` for NaN (JSON has no NaN)."""
    x = float(x)
    return None if math.isnan(x) else x


def jsonable(v):
    """Plain-JSON form of an extras value, or SKIP for tables and other objects."""
    if v is None or isinstance(v, bool | str):
        return v
    if isinstance(v, int | float | np.integer | np.floating):
        return json_number(v) if isinstance(v, float | np.floating) else int(v)
    if isinstance(v, Mapping):
        out = {str(k): jsonable(x) for k, x in v.items()}
        return SKIP if any(x is SKIP for x in out.values()) else out
    if isinstance(v, list | tuple) or (isinstance(v, np.ndarray) and v.ndim == 1):
        out = [jsonable(x) for x in v]
        return SKIP if any(x is SKIP for x in out) else out
    return SKIP
