"""Rule-based attribution pushed down to the query engine.

Each rule gives every touch a weight (the weights of a journey sum to one);
the credit of a channel is ``sum(weight * converted)`` and
``sum(weight * value)`` over its touches. Here the weights are window
expressions over the touch-level table of :func:`build_journeys`, and the sums
a ``GROUP BY channel`` inside the engine, so the work scales with the engine
and only one row per channel comes back. The rules are those of
:mod:`pathcredit.models.heuristics`, and the results equal the in-memory ones.

This is a model (it turns journeys into credit), so it lives in :mod:`pathcredit.models`
above the data layer it reads. Each rule's Ibis twin below is named by its registry
entry (``ModelSpec.engine_target``); the parameters and their defaults are the
in-memory rule's own, read from the registry, so the two cannot drift apart.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import ibis
import numpy as np

from ..exceptions import ModelError, PathcreditWarning
from ..journeys._engine import connect, engine_of, is_ibis_table, to_arrow_frame
from ..journeys.events import EventJourneys, build_journeys
from ..results import AttributionResult
from ._credit import label_of
from ._registry import _REGISTRY, get_model
from .heuristics import INVERSE_J, J_SHAPED, position_split

__all__ = ["attribute_in_engine", "ENGINE_MODELS"]

#: Models that can run inside the engine, with their parameter defaults: the registered
#: models with an ``engine_target``, their defaults those of the in-memory rule.
ENGINE_MODELS: dict[str, dict[str, Any]] = {
    name: spec.parameters() for name, spec in _REGISTRY.items() if spec.engine_target
}


def _positional(t, first, middle, last):
    w = np.array([first, middle, last], dtype=np.float64)
    if np.any(w < 0) or not np.all(np.isfinite(w)) or w.sum() <= 0:
        raise ModelError(f"position weights must be finite, >= 0 and not all 0: {w.tolist()}")
    if first + last <= 0:
        raise ModelError("first and last weights cannot both be 0 (two-touch paths)")
    f, m, la = (w / w.sum()).tolist()
    scale = 1.0 if m > 0 else 1.0 / (f + la)
    length, pos = t.length, t.position
    return ibis.cases(
        (length == 1, 1.0),
        ((length == 2) & (pos == 0), f / (f + la)),
        (length == 2, la / (f + la)),
        (pos == 0, f * scale),
        (pos == length - 1, la * scale),
        else_=m / (length - 2).cast("float64"),
    )


def _journey_window(t):
    return ibis.window(group_by=[t.person, t.journey])


def _ibis_first(t):
    return (t.position == 0).cast("float64")


def _ibis_last(t):
    return (t.position == t.length - 1).cast("float64")


def _ibis_linear(t):
    return 1.0 / t.length.cast("float64")


def _ibis_last_non_direct(t, direct_channels):
    direct = [direct_channels] if isinstance(direct_channels, str) else list(direct_channels)
    wanted = [c.strip().lower() for c in direct]
    nd = (~t.channel.lower().isin(wanted)).ifelse(t.position, ibis.null("int64"))
    chosen = ibis.coalesce(nd.max().over(_journey_window(t)), t.length - 1)
    return (t.position == chosen).cast("float64")


def _ibis_position_based(t, first, last):
    return _positional(t, *position_split(first, last))


def _ibis_j_shaped(t):
    return _positional(t, *J_SHAPED)


def _ibis_inverse_j(t):
    return _positional(t, *INVERSE_J)


def _ibis_custom(t, first, middle, last):
    return _positional(t, float(first), float(middle), float(last))


def _ibis_time_decay(t, half_life):
    h = half_life
    if not isinstance(h, int | float) or not math.isfinite(h) or h <= 0:
        raise ModelError(f"half_life must be a positive number, got {h!r}")
    two = ibis.literal(2.0, type="float64")
    raw = two.pow(-t.days_to_conversion / float(h))
    return raw / raw.sum().over(_journey_window(t))


def attribute_in_engine(data, model: str = "linear", *, build=None, **params) -> AttributionResult:
    """Run a rule-based model as a weighted aggregation inside the query engine.

    Parameters
    ----------
    data : EventJourneys, ibis.Table or event log
        The result of :func:`build_journeys`; or a touch-level Ibis table with
        the columns of :data:`~pathcredit.journeys.events.TOUCH_COLUMNS`; or
        anything :func:`build_journeys` accepts (then ``build`` holds its options).
    model : str, default "linear"
        One of :data:`ENGINE_MODELS`: ``first_touch, last_touch,
        last_non_direct, linear, position_based, j_shaped, inverse_j, custom,
        time_decay`` (real time: days from touch to conversion).
    build : dict, optional
        Options for :func:`build_journeys` when ``data`` is an event log.
    **params
        Model parameters, as for :func:`pathcredit.attribute`.

    Returns
    -------
    AttributionResult
        Equal (to rounding) to ``pathcredit.attribute(ej.journeys, model=...)``,
        and for ``time_decay`` to ``attribute(ej.journey_paths(), ...)``.

    Raises
    ------
    ModelError
        Unknown model or parameter, impossible parameter values.

    Examples
    --------
    >>> import pandas as pd
    >>> from pathcredit.journeys.events import build_journeys
    >>> ev = pd.DataFrame({"user_id": ["a", "a", "a"],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-08"]),
    ...     "channel": ["email", "search", None], "conversion": [0, 0, 1]})
    >>> ej = build_journeys(ev)
    >>> attribute_in_engine(ej, "time_decay", half_life=7).conversions.tolist()
    [0.3333333333333333, 0.6666666666666666]

    Notes
    -----
    One window pass over the touches (for models that need journey totals)
    and one ``GROUP BY channel``: O(n) work in the engine for n touches.
    """
    if model not in ENGINE_MODELS:
        raise ModelError(
            f"model {model!r} cannot run in the engine; engine models are {sorted(ENGINE_MODELS)}"
        )
    unknown = sorted(set(params) - set(ENGINE_MODELS[model]))
    if unknown:
        raise ModelError(
            f"model {model!r} has no parameter(s) {unknown}; its parameters are "
            f"{sorted(ENGINE_MODELS[model]) or 'none'}"
        )
    full = {**ENGINE_MODELS[model], **params}
    if isinstance(full.get("direct_channels"), tuple):
        full["direct_channels"] = list(full["direct_channels"])
    removed: tuple = ()
    if isinstance(data, EventJourneys):
        ej = data
    else:
        ej = None
        if not is_ibis_table(data) or "days_to_conversion" not in data.columns:
            ej = build_journeys(data, **(build or {}))
    if ej is not None:
        removed = ej.removed
        has_value = ej.has_value
        if ej.touch_table is None:  # pandas backend: run the same expressions on DuckDB
            engine = connect(None)
            t = engine.register(to_arrow_frame(ej.touches()))
        else:
            engine, t = ej._engine, ej.touch_table
    else:
        t, engine = data, engine_of(data)
        has_value = "value" in t.columns
    w = get_model(model).engine(t, **full)
    t = t.mutate(_w=w, _v=t.value.cast("float64"), _c=t.converted.cast("float64"))
    credit = t.group_by("channel").agg(conversions=(t._w * t._c).sum(), value=(t._w * t._v).sum())
    per_journey = t.group_by(["person", "journey"]).agg(c=t._c.max(), v=t._v.max())
    totals = per_journey.agg(c=per_journey.c.sum(), v=per_journey.v.sum())
    tab = engine.to_arrow(credit.order_by("channel"))
    tot = engine.to_arrow(totals).to_pylist()[0]
    channels = [str(c) for c in tab.column("channel").to_pylist()]
    conv = np.asarray(tab.column("conversions").to_numpy(), dtype=np.float64)
    value = np.asarray(tab.column("value").to_numpy(), dtype=np.float64) if has_value else None
    if model == "last_non_direct":
        _warn_without_direct(channels, full["direct_channels"])
    # not build_result: the engine's journeys never exist as a Journeys in memory, so
    # there is no fingerprint to take; the totals are the engine's own sums
    return AttributionResult(
        model,
        full,
        channels,
        conv,
        value,
        total_conversions=float(tot["c"] or 0.0),
        total_value=float(tot["v"] or 0.0) if has_value else None,
        extras={"engine": engine.name},
        removed=removed,
        label=label_of(model, full),
    )


def _warn_without_direct(channels, direct) -> None:
    """The in-memory model's warning: no channel of the data is direct (then the
    result equals last_touch)."""
    direct = [direct] if isinstance(direct, str) else list(direct)
    wanted = {c.strip().lower() for c in direct}
    if channels and not any(c.lower() in wanted for c in channels):
        warnings.warn(
            f"last_non_direct: no direct channel in the data (looked for "
            f"{', '.join(repr(c) for c in direct[:5])}{', ...' if len(direct) > 5 else ''}), "
            "so it equals last_touch; name the data's direct channel with direct_channels= "
            "(CLI --direct-channel)",
            PathcreditWarning,
            stacklevel=3,
        )
