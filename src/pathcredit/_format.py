"""Numbers as people read them in tables: ``8,447`` not ``8,447.0000``, never ``1.912e+04``."""

from __future__ import annotations

import math

__all__ = ["plain_number"]


def plain_number(x) -> str:
    """Thousands separators; whole numbers without decimals; others to 4 decimals, trimmed.

    Examples
    --------
    >>> [plain_number(v) for v in (8447.0, 19120.5, 0.125, 2 / 3, -3.0, 1e-7)]
    ['8,447', '19,120.5', '0.125', '0.6667', '-3', '0.0']
    """
    x = float(x)
    if math.isnan(x):
        return ""
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == round(x) and abs(x) < 1e15:
        return f"{x:,.0f}"
    text = f"{x:,.4f}".rstrip("0")
    return text + "0" if text.endswith(".") else text
