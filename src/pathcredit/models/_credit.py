"""The one place where model output becomes an :class:`~pathcredit.results.AttributionResult`.

Kernels compute on arrays (per-touch weights, per-channel credit); :func:`build_result`
adds what every result carries: the journeys' totals, what transforms removed, the
input's fingerprint and the label (:func:`label_of`, the one label rule, which needs the
registry's defaults and so lives here rather than in :mod:`pathcredit.results`). A new
model calls it once and returns what it gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..journeys import Journeys
from ..journeys._fingerprint import fingerprint
from ..results import AttributionResult
from ._registry import _REGISTRY

__all__ = ["build_result", "credit_from_weights", "label_of"]


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
        label=label_of(model, params),
        **intervals,
    )


def label_of(model: str, params: Mapping[str, Any]) -> str:
    """``model(param=value, ...)`` with the parameters that differ from the registered defaults.

    The one label rule: a parameter is named when its value differs from its default
    in the registry (``None`` defaults included, so ``order=2`` given to a Shapley model
    whose default ``order`` is ``None`` shows). :func:`pathcredit.attribute` labels from
    the arguments the caller gave, so a value the model resolves on its own never
    shows there. An unregistered model is labelled with every parameter.

    Examples
    --------
    >>> label_of("markov", {"order": 2}), label_of("markov", {"order": 1})
    ('markov(order=2)', 'markov')
    >>> label_of("shapley", {"value_function": "markov"})
    "shapley(value_function='markov')"
    """
    spec = _REGISTRY.get(model)
    defaults = spec.parameters() if spec is not None else {}
    parts = [
        f"{name}={_short(value)}"
        for name, value in params.items()
        if not (name in defaults and _same(value, defaults[name]))
    ]
    return f"{model}({', '.join(parts)})" if parts else model


def _same(a, b) -> bool:
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return list(a) == list(b)
    if isinstance(a, bool | np.bool_) != isinstance(b, bool | np.bool_):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays, objects without a truth value
        return False


def _short(value) -> str:
    if callable(value):
        return getattr(value, "__name__", type(value).__name__)
    if isinstance(value, float) and value == int(value) and abs(value) < 1e15:
        return repr(value)
    text = repr(list(value)) if isinstance(value, tuple) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
