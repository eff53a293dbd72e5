"""The one place where model output becomes an :class:`~pathcredit.results.AttributionResult`.

Kernels compute on arrays (per-touch weights, per-channel credit); :func:`build_result`
adds what every result carries: the journeys' totals, what transforms removed, and the
input's fingerprint. A new model calls it once and returns what it gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..journeys import Journeys
from ..journeys._fingerprint import fingerprint
from ..results import AttributionResult

__all__ = ["build_result", "credit_from_weights"]


def credit_from_weights(journeys: Journeys, weights: np.ndarray):
    """Channel credit (conversions, value) from per-touch weights that sum to 1 on each path.

    Examples
    --------
    >>> j = Journeys.from_paths([["A", "B"], ["B"]], conversions=[2, 1])
    >>> conv, value = credit_from_weights(j, np.array([0.5, 0.5, 1.0]))
    >>> conv.tolist(), value
    ([1.0, 2.0], None)
    """
    pidx = journeys.path_index
    n = journeys.n_channels
    conv = np.bincount(journeys.touches, weights=weights * journeys.conversions[pidx], minlength=n)
    value = None
    if journeys.value is not None:
        value = np.bincount(journeys.touches, weights=weights * journeys.value[pidx], minlength=n)
    return conv, value


def build_result(
    journeys: Journeys,
    model: str,
    params: Mapping[str, Any],
    conversions,
    value=None,
    *,
    additive: bool = True,
    extras: Mapping[str, Any] | None = None,
    channels=None,
    **intervals,
) -> AttributionResult:
    """An :class:`AttributionResult` of ``journeys`` with their totals, removals and fingerprint.

    ``intervals`` are passed on (``lower``, ``upper``, ``draws``, ``ci_prob``, ``ci_kind``).

    Examples
    --------
    >>> j = Journeys.from_paths([["A", "B"], ["B"]], conversions=[2, 1])
    >>> r = build_result(j, "demo", {}, [1.0, 2.0])
    >>> r.total_conversions, r.fingerprint["paths"]
    (3.0, 2)
    """
    return AttributionResult(
        model,
        params,
        journeys.channels if channels is None else channels,
        conversions,
        value,
        total_conversions=journeys.total_conversions,
        total_value=journeys.total_value,
        additive=additive,
        extras=extras,
        removed=journeys.removed,
        fingerprint=fingerprint(journeys),
        **intervals,
    )
