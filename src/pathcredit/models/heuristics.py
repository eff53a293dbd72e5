"""Rule-based attribution models.

Every model here is a rule that splits each path's conversions (and value) over
its touches with weights that sum to one on the path; the channel credit is the
weighted sum over all paths. The kernels compute one weight per touch, vectorised
over the flat touch array, so the cost is O(total touches).

Definitions follow ChannelAttribution (first, last, linear) and Adobe Analytics'
attribution models (position-based, J-shaped, inverse J, custom, participation,
time decay); Google's last non-direct click skips direct touches.

References
----------
.. [1] Altomare, D. and Loris, D. ChannelAttribution: Markov model for online
   multi-channel attribution. R/Python package, ``heuristic_models``.
.. [2] Adobe Analytics, "Attribution models and lookback windows" (Attribution IQ).
.. [3] Google Analytics, Multi-Channel Funnels: "Attribution modeling overview".
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np

from .._params import check_real
from ..exceptions import ModelError, PathcreditWarning
from ..journeys import Journeys
from ..results import AttributionResult
from . import get_model
from ._credit import build_result, credit_from_weights

__all__ = [
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "linear_unique",
    "position_based",
    "j_shaped",
    "inverse_j",
    "custom",
    "time_decay",
    "time_decay_position",
    "participation",
    "touch_weights",
]

# GA4 writes "(direct) / (none)"; Universal Analytics "(direct) / (none)" and "direct / (none)"
DEFAULT_DIRECT = ("direct", "(direct)", "direct / (none)", "(direct) / (none)", "direct / none")


# ---------------------------------------------------------------------- kernels
def _result(journeys, model, params, weights, *, additive=True, extras=None):
    conv, value = credit_from_weights(journeys, weights)
    return build_result(journeys, model, params, conv, value, additive=additive, extras=extras)


def _positional_weights(journeys: Journeys, first: float, middle: float, last: float):
    """Adobe's first/middle/last scheme, normalised per path.

    One touch: everything. Two touches: first/(first+last) and last/(first+last)
    (the middle weight is ignored). Three or more: the middle weight is spread
    evenly over the middle touches.
    """
    given = {"first": first, "middle": middle, "last": last}
    weights = np.array([check_real(name, w, low=0) for name, w in given.items()])
    if weights[0] == 0 and weights[2] == 0:
        raise ModelError("first and last weights cannot both be 0 (two-touch paths)")
    # scale by the largest first: weights near the float maximum would overflow in the sum
    weights = weights / weights.max()
    first, middle, last = weights / weights.sum()
    lengths = journeys.lengths
    L = np.repeat(lengths, lengths)
    pos = journeys.position
    w = np.zeros(len(pos))
    one = L == 1
    two = L == 2
    many = L >= 3
    w[one] = 1.0
    w[two & (pos == 0)] = first / (first + last)
    w[two & (pos == 1)] = last / (first + last)
    is_first = many & (pos == 0)
    is_last = many & (pos == L - 1)
    is_mid = many & ~is_first & ~is_last
    # With no middle weight the ends share the path in proportion first : last.
    scale = 1.0 if middle > 0 else 1.0 / (first + last)
    w[is_first] = first * scale
    w[is_last] = last * scale
    w[is_mid] = middle / (L[is_mid] - 2)
    return w


def _distinct_weights(journeys: Journeys):
    """Each distinct channel of a path gets 1/(distinct channels), split evenly over its touches."""
    key = journeys.path_index * max(journeys.n_channels, 1) + journeys.touches
    uniq, first, inverse, counts = np.unique(
        key, return_index=True, return_inverse=True, return_counts=True
    )
    distinct = np.bincount(journeys.path_index[first], minlength=journeys.n_paths)
    return 1.0 / (counts[inverse] * np.repeat(distinct, journeys.lengths))


def touch_weights(journeys: Journeys, model: str, **params) -> np.ndarray:
    """Per-touch weights of a rule-based model (each path's weights sum to 1).

    Useful for per-journey credit and for pushing a rule down to a query engine.
    """
    spec = get_model(model)
    if spec.weights is None:
        raise ModelError(f"model {model!r} is not a per-touch rule")
    return spec.weights(journeys, **params)


def _w_first(journeys):
    return (journeys.position == 0).astype(np.float64)


def _w_last(journeys):
    lengths = journeys.lengths
    return (journeys.position == np.repeat(lengths - 1, lengths)).astype(np.float64)


def _w_linear(journeys):
    lengths = journeys.lengths
    return np.repeat(1.0 / lengths, lengths)


def _direct_names(direct_channels) -> list[str]:
    if isinstance(direct_channels, str):
        direct_channels = [direct_channels]
    if not isinstance(direct_channels, Iterable) or not all(
        isinstance(c, str) for c in direct_channels
    ):
        raise ModelError(f"direct_channels must be channel names, got {direct_channels!r}")
    return list(direct_channels)


def _direct_codes(journeys, direct_channels):
    wanted = {c.strip().lower() for c in _direct_names(direct_channels)}
    return np.array(
        [i for i, c in enumerate(journeys.channels) if c.lower() in wanted], dtype=np.int64
    )


def _w_last_non_direct(journeys, direct_channels=DEFAULT_DIRECT):
    codes = _direct_codes(journeys, direct_channels)
    idx = np.arange(len(journeys.touches))
    candidate = np.where(np.isin(journeys.touches, codes), -1, idx)
    last_nd = np.maximum.reduceat(candidate, journeys.offsets[:-1]) if len(idx) else candidate
    chosen = np.where(last_nd >= 0, last_nd, journeys.offsets[1:] - 1)  # all direct: last touch
    w = np.zeros(len(idx))
    w[chosen] = 1.0
    return w


def _w_time_decay(journeys, half_life=7.0):
    if journeys.times is None:
        raise ModelError(
            "time_decay needs the time from each touch to the conversion, which aggregated "
            "paths do not have; build journeys from an event log, or use "
            "'time_decay_position' (decay by position, half-life in touches)"
        )
    half_life = _check_half_life(half_life)
    if np.any(journeys.times < 0) or not np.all(np.isfinite(journeys.times)):
        raise ModelError("touch times must be finite days before the conversion (>= 0)")
    # relative to each path's latest touch, so a short half-life cannot underflow every weight
    t = journeys.times
    latest = np.repeat(np.minimum.reduceat(t, journeys.offsets[:-1]), journeys.lengths)
    raw = np.exp2(-(t - latest) / half_life)
    return raw / np.repeat(np.add.reduceat(raw, journeys.offsets[:-1]), journeys.lengths)


def _w_time_decay_position(journeys, half_life=1.0):
    half_life = _check_half_life(half_life)
    lengths = journeys.lengths
    before = np.repeat(lengths - 1, lengths) - journeys.position  # 0 for the last touch
    raw = np.exp2(-before / half_life)
    return raw / np.repeat(np.add.reduceat(raw, journeys.offsets[:-1]), lengths)


def _check_half_life(h) -> float:
    return check_real("half_life", h, low=0, low_open=True)


# ---------------------------------------------------------------------- public functions
def first_touch(journeys: Journeys) -> AttributionResult:
    """All credit to the first touch of each path.

    Examples
    --------
    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["A", "B"], ["B", "A"], ["B"]], conversions=[1, 1, 2])
    >>> first_touch(j).conversions.tolist()
    [1.0, 3.0]
    """
    return _result(journeys, "first_touch", {}, _w_first(journeys))


def last_touch(journeys: Journeys) -> AttributionResult:
    """All credit to the last touch of each path (last click).

    Examples
    --------
    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["A", "B"], ["B", "A"], ["B"]], conversions=[1, 1, 2])
    >>> last_touch(j).conversions.tolist()
    [1.0, 3.0]
    """
    return _result(journeys, "last_touch", {}, _w_last(journeys))


def last_non_direct(journeys: Journeys, direct_channels: Iterable[str] = DEFAULT_DIRECT):
    """All credit to the last touch that is not direct; an all-direct path credits direct.

    Parameters
    ----------
    direct_channels : iterable of str
        Channel names counted as direct, compared case-insensitively.
        Default ``DEFAULT_DIRECT``: ``direct``, ``(direct)``, ``direct / (none)`` and GA4's
        ``(direct) / (none)`` and ``direct / none``.

    Examples
    --------
    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["email", "direct"], ["direct"]], conversions=[1, 1])
    >>> last_non_direct(j).wide()[["channel", "conversions"]].values.tolist()
    [['direct', 1.0], ['email', 1.0]]

    When no channel of the data is a direct channel, the result equals
    ``last_touch`` and a :class:`~pathcredit.exceptions.PathcreditWarning` says so
    (the data may spell direct otherwise: pass ``direct_channels``).
    """
    direct_channels = _direct_names(direct_channels)
    if len(journeys.channels) and not len(_direct_codes(journeys, direct_channels)):
        shown = ", ".join(repr(c) for c in direct_channels[:5])
        warnings.warn(
            f"last_non_direct: no direct channel in the data (looked for {shown}"
            f"{', ...' if len(direct_channels) > 5 else ''}), so it equals last_touch; "
            "name the data's direct channel with direct_channels= (CLI --direct-channel)",
            PathcreditWarning,
            stacklevel=2,
        )
    return _result(
        journeys,
        "last_non_direct",
        {"direct_channels": direct_channels},
        _w_last_non_direct(journeys, direct_channels),
    )


def linear(journeys: Journeys) -> AttributionResult:
    """Each touch gets an equal share; a repeated channel gets one share per touch.

    This is ChannelAttribution's ``linear_touch``.

    Examples
    --------
    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["A", "B", "A"]], conversions=[3])
    >>> linear(j).conversions.tolist()
    [2.0, 1.0]
    """
    return _result(journeys, "linear", {}, _w_linear(journeys))


def linear_unique(journeys: Journeys) -> AttributionResult:
    """Each distinct channel on a path gets an equal share, however often it appears.

    Examples
    --------
    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["A", "B", "A"]], conversions=[3])
    >>> linear_unique(j).conversions.tolist()
    [1.5, 1.5]
    """
    return _result(journeys, "linear_unique", {}, _distinct_weights(journeys))


def position_based(journeys: Journeys, first: float = 0.4, last: float = 0.4) -> AttributionResult:
    """U-shaped: ``first`` to the first touch, ``last`` to the last, the rest over the middle.

    Two-touch paths split ``first : last`` (50/50 by default); one-touch paths get
    everything.

    Examples
    --------
    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["A", "B", "C", "D"]], conversions=[1])
    >>> position_based(j).conversions.round(10).tolist()
    [0.4, 0.1, 0.1, 0.4]
    """
    first = check_real("first", first, low=0, high=1)
    last = check_real("last", last, low=0, high=1)
    w = _w_position_based(journeys, first, last)
    return _result(journeys, "position_based", {"first": first, "last": last}, w)


#: (first, middle, last) shares of the fixed positional rules, shared with their
#: in-engine twins in :mod:`pathcredit.models.engine`
J_SHAPED = (0.2, 0.2, 0.6)
INVERSE_J = (0.6, 0.2, 0.2)


def position_split(first, last) -> tuple[float, float, float]:
    """``(first, middle, last)`` shares of ``position_based``, checked once for the numpy
    weights and the engine's twin alike."""
    first = check_real("first", first, low=0, high=1)
    last = check_real("last", last, low=0, high=1)
    middle = 1.0 - first - last
    if middle < -1e-12:
        raise ModelError(f"first + last must be at most 1, got {first} + {last}")
    return first, max(middle, 0.0), last


def _w_position_based(journeys, first=0.4, last=0.4):
    return _positional_weights(journeys, *position_split(first, last))


def _w_j_shaped(journeys):
    return _positional_weights(journeys, *J_SHAPED)


def _w_inverse_j(journeys):
    return _positional_weights(journeys, *INVERSE_J)


def _w_custom(journeys, first=1.0, middle=1.0, last=1.0):
    return _positional_weights(journeys, first, middle, last)


def j_shaped(journeys: Journeys) -> AttributionResult:
    """Adobe's J-shaped: 20% first, 60% last, 20% over the middle; two touches 25/75.

    Examples
    --------
    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["A", "B"]], conversions=[1])
    >>> j_shaped(j).conversions.tolist()
    [0.25, 0.75]
    """
    return _result(journeys, "j_shaped", {}, _w_j_shaped(journeys))


def inverse_j(journeys: Journeys) -> AttributionResult:
    """Adobe's inverse J: 60% first, 20% last, 20% over the middle; two touches 75/25.

    Examples
    --------
    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["A", "B"]], conversions=[1])
    >>> inverse_j(j).conversions.tolist()
    [0.75, 0.25]
    """
    return _result(journeys, "inverse_j", {}, _w_inverse_j(journeys))


def custom(journeys: Journeys, first: float = 1.0, middle: float = 1.0, last: float = 1.0):
    """User weights for the first, middle and last touches, normalised (Adobe's custom model).

    The middle weight is spread evenly over the middle touches; two-touch paths
    ignore it and split ``first : last``; one-touch paths get everything.

    Examples
    --------
    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["A", "B", "C"]], conversions=[1])
    >>> custom(j, first=2, middle=1, last=1).conversions.tolist()
    [0.5, 0.25, 0.25]
    """
    w = _w_custom(journeys, first, middle, last)
    return _result(journeys, "custom", {"first": first, "middle": middle, "last": last}, w)


def time_decay(journeys: Journeys, half_life: float = 7.0) -> AttributionResult:
    """Weight ``2 ** (-t / half_life)`` with ``t`` the days from touch to conversion.

    Needs journeys with touch times (from an event log). Google's and Adobe's
    default half-life is 7 days. Aggregated paths have no times: use
    :func:`time_decay_position` there, which is a different model.

    Examples
    --------
    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["A", "B"]], conversions=[3], times=[[7.0, 0.0]])
    >>> time_decay(j).conversions.tolist()
    [1.0, 2.0]
    """
    return _result(
        journeys, "time_decay", {"half_life": half_life}, _w_time_decay(journeys, half_life)
    )


def time_decay_position(journeys: Journeys, half_life: float = 1.0) -> AttributionResult:
    """Positional decay: weight ``2 ** (-k / half_life)`` with ``k`` touches before the last.

    Not the time-based model: it ignores time, using position only, so it works
    on aggregated paths. Default half-life 1 touch (each earlier touch counts half).

    Examples
    --------
    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["A", "B", "C"]], conversions=[7])
    >>> time_decay_position(j).conversions.tolist()
    [1.0, 2.0, 4.0]
    """
    w = _w_time_decay_position(journeys, half_life)
    return _result(journeys, "time_decay_position", {"half_life": half_life}, w)


def participation(journeys: Journeys) -> AttributionResult:
    """Every channel on a converting path gets the path's full conversions (not additive).

    Credits sum to more than the total conversions by design; ``share`` is the
    fraction of conversions whose path includes the channel.

    Examples
    --------
    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["A", "B", "A"], ["B"]], conversions=[1, 1])
    >>> participation(j).conversions.tolist()
    [1.0, 2.0]
    """
    # full credit per distinct channel, spread over that channel's touches on the path
    key = journeys.path_index * max(journeys.n_channels, 1) + journeys.touches
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    return _result(journeys, "participation", {}, 1.0 / counts[inverse], additive=False)
