"""Coalitions as integer keys, the distinct channel sets of paths, and per-journey credit.

Shared by the Shapley models and Shao-Li: a path's credit is a fraction per distinct
channel on it (``frac[set, channel]``); :func:`_assemble` spreads it over the touches,
sums channel totals and builds the result, with the per-journey tables (credit per
path and channel, per channel and position) computed only when first read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..exceptions import InternalError
from ..journeys import Journeys
from ..results import LazyValue
from ._credit import build_result


# ---------------------------------------------------------------------- coalition keys
# A coalition of channels is a key of ``_words(n)`` unsigned 64-bit words: channel ``c``
# is bit ``c % 64`` of word ``c // 64``. Up to 64 channels a key is one integer, so
# distinct coalitions are found by a dense bitmap (up to ``_TABLE_LIMIT`` channels) or
# a one-dimensional integer sort, never by sorting boolean rows.
def _words(n: int) -> int:
    return max(1, -(-n // 64))


def _bit_keys(codes: np.ndarray, n: int) -> np.ndarray:
    """Key of each single channel: ``codes`` shape ``(...)`` -> ``(..., words)``."""
    codes = np.asarray(codes, dtype=np.int64)
    out = np.zeros((*codes.shape, _words(n)), dtype=np.uint64)
    bit = np.left_shift(np.uint64(1), (codes & 63).astype(np.uint64))
    for w in range(out.shape[-1]):
        out[..., w] = np.where((codes >> 6) == w, bit, np.uint64(0))
    return out


def _member_keys(member: np.ndarray) -> np.ndarray:
    """Keys of boolean membership rows ``(m, n)`` -> ``(m, words)``."""
    m, n = member.shape
    out = np.zeros((m, _words(n)), dtype=np.uint64)
    for w in range(out.shape[1]):
        cols = member[:, 64 * w : 64 * (w + 1)].astype(np.uint64)
        out[:, w] = (cols << np.arange(cols.shape[1], dtype=np.uint64)).sum(axis=1, dtype=np.uint64)
    return out


def _key_rows(keys: np.ndarray, n: int) -> np.ndarray:
    """Boolean membership rows ``(m, n)`` of keys ``(m, words)``."""
    c = np.arange(n)
    return ((keys[:, c >> 6] >> (c & 63).astype(np.uint64)) & np.uint64(1)).astype(bool)


def _sortable(keys: np.ndarray) -> np.ndarray:
    """A one-dimensional array ordering and comparing keys ``(m, words)`` as wholes."""
    if keys.shape[1] == 1:
        return keys[:, 0]
    keys = np.ascontiguousarray(keys)
    return keys.view(np.dtype((np.void, 8 * keys.shape[1]))).reshape(-1)


def _key_size(keys: np.ndarray) -> np.ndarray:
    """Number of channels of each key."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(keys).sum(axis=1, dtype=np.int64)
    bits = np.unpackbits(np.ascontiguousarray(keys).view(np.uint8), axis=1)
    return bits.sum(axis=1, dtype=np.int64)


def _masks(member: np.ndarray) -> np.ndarray:
    """Integer bitmask of each boolean row (at most 62 columns)."""
    return member.astype(np.int64) @ (np.int64(1) << np.arange(member.shape[1], dtype=np.int64))


# ---------------------------------------------------------------------- distinct channel sets
@dataclass
class _Pairs:
    """The distinct channels of every path: one (path, channel) pair each."""

    pair_path: np.ndarray  # (pairs,) path of each (path, channel) pair, sorted by path, channel
    pair_chan: np.ndarray  # (pairs,) channel code
    touch_pair: np.ndarray  # (touches,) pair of each touch
    pair_touches: np.ndarray  # (pairs,) touches of the channel on the path


def _path_pairs(journeys: Journeys) -> _Pairs:
    """Distinct (path, channel) pairs by one integer sort: ``O(touches)`` memory, no
    ``(paths, channels)`` table (so any number of channels)."""
    n = max(journeys.n_channels, 1)
    key = journeys.path_index * n + journeys.touches
    pair_key, touch_pair, pair_touches = np.unique(key, return_inverse=True, return_counts=True)
    return _Pairs(
        pair_path=pair_key // n,
        pair_chan=pair_key % n,
        touch_pair=touch_pair.reshape(-1),
        pair_touches=pair_touches,
    )


@dataclass
class _Sets(_Pairs):
    """Distinct channels of every path and the distinct channel sets."""

    path_set: np.ndarray  # (paths,) distinct-set id of each path
    member: np.ndarray  # (sets, n) bool membership of each distinct set
    size: np.ndarray  # (sets,) channels in each set
    keys: np.ndarray  # (sets, words) coalition key of each set, sets in key order

    def codes(self, idx) -> np.ndarray:
        """Member codes of sets ``idx`` (all of one size k): array (len(idx), k)."""
        sub = self.member[idx]
        return np.nonzero(sub)[1].reshape(len(idx), -1)


def _channel_sets(journeys: Journeys) -> _Sets:
    """Distinct (path, channel) pairs and distinct channel sets: two integer sorts."""
    n = max(journeys.n_channels, 1)
    pairs = _path_pairs(journeys)
    pair_path, pair_chan = pairs.pair_path, pairs.pair_chan
    if journeys.n_paths:
        # pairs are sorted by path and every path has a touch: one segment per path,
        # and the sum of distinct bits is their union
        starts = np.flatnonzero(np.r_[True, pair_path[1:] != pair_path[:-1]])
        path_keys = np.add.reduceat(_bit_keys(pair_chan, n), starts, axis=0)
    else:
        path_keys = np.zeros((0, _words(n)), dtype=np.uint64)
    _, first, path_set = np.unique(_sortable(path_keys), return_index=True, return_inverse=True)
    set_keys = path_keys[first]
    member = _key_rows(set_keys, journeys.n_channels)
    return _Sets(
        pair_path=pair_path,
        pair_chan=pair_chan,
        touch_pair=pairs.touch_pair,
        pair_touches=pairs.pair_touches,
        path_set=path_set.reshape(-1),
        member=member,
        size=member.sum(axis=1),
        keys=set_keys,
    )


# ---------------------------------------------------------------------- result assembly
def _assemble(
    journeys,
    sets,
    frac,
    *,
    model,
    params,
    extras,
    conversions=None,
    value=None,
    json_positions=False,
    pair_frac=None,
):
    """Per-touch credit from per-set fractions; channel totals; the per-journey tables.

    ``frac`` is ``(sets, channels)`` for a :class:`_Sets`; a model that works per
    (path, channel) pair passes ``frac=None`` and ``pair_frac`` (one per pair of a
    :class:`_Pairs`) instead.
    """

    n = journeys.n_channels
    if pair_frac is None:
        pair_frac = frac[sets.path_set[sets.pair_path], sets.pair_chan]
    touch_w = pair_frac[sets.touch_pair] / sets.pair_touches[sets.touch_pair]
    pidx = journeys.path_index
    conv_touch = touch_w * journeys.conversions[pidx]
    conv_sum = np.bincount(journeys.touches, conv_touch, minlength=n)
    val_touch = val_sum = None
    if journeys.value is not None:
        val_touch = touch_w * journeys.value[pidx]
        val_sum = np.bincount(journeys.touches, val_touch, minlength=n)
    if conversions is None:
        conversions, value = conv_sum, val_sum
    else:  # totals from the game itself: they must agree with the per-journey split
        for a, b in ((conversions, conv_sum), (value, val_sum)):
            if a is not None and not np.allclose(a, b, rtol=1e-9, atol=1e-9 * max(1, abs(b).sum())):
                raise InternalError(f"{model} channel totals {a} != journey sums {b}")

    def journey_credit():
        path_col, chan_col = _pair_labels(journeys, sets)
        jc = {
            "path": path_col,
            "channel": chan_col,
            "share": pair_frac,
            "conversions": pair_frac * journeys.conversions[sets.pair_path],
        }
        if journeys.value is not None:
            jc["value"] = pair_frac * journeys.value[sets.pair_path]
        return pd.DataFrame(jc)

    position = journeys.position + 1
    width = int(position.max(initial=0)) + 1

    def position_credit():
        names = np.asarray(journeys.channels, dtype=object)
        cell = journeys.touches * width + position
        touched = np.bincount(cell, minlength=n * width) > 0
        by_cell = {"conversions": np.bincount(cell, conv_touch, minlength=n * width)}
        if val_touch is not None:
            by_cell["value"] = np.bincount(cell, val_touch, minlength=n * width)
        cells = np.flatnonzero(touched)
        return pd.DataFrame(
            {"channel": names[cells // width], "position": cells % width}
            | {k: v[cells] for k, v in by_cell.items()}
        )

    tp = {"position": np.arange(1, width)}
    tp["conversions"] = np.bincount(position, conv_touch, minlength=width)[1:]
    if val_touch is not None:
        tp["value"] = np.bincount(position, val_touch, minlength=width)[1:]
    extras = dict(extras)
    # per-journey tables on demand: building them (path text per pair) is most of a call
    extras["journey_credit"] = LazyValue(journey_credit)
    extras["position_credit"] = LazyValue(position_credit)
    extras["touchpoint_totals"] = LazyValue(lambda: pd.DataFrame(tp))
    if json_positions:
        extras["touchpoint_conversions"] = [float(x) for x in tp["conversions"]]
    return build_result(journeys, model, params, conversions, value, extras=extras)


def _pair_labels(journeys, sets):
    """Path text (``"a > b"``) and channel name of every (path, channel) pair.

    Joined in Arrow (``binary_join`` over the paths' touch lists) and returned as
    pandas string arrays: no Python string per path or pair.
    """

    names = pa.array(list(journeys.channels), type=pa.string())
    touches = names.take(pa.array(journeys.touches))
    lists = pa.LargeListArray.from_arrays(pa.array(journeys.offsets, type=pa.int64()), touches)
    paths = pc.binary_join(lists, " > ").take(pa.array(sets.pair_path))
    chans = names.take(pa.array(sets.pair_chan))
    try:
        dtype = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default "str" dtype
        return pd.array(paths, dtype=dtype), pd.array(chans, dtype=dtype)
    except (TypeError, ValueError, ImportError):  # pandas without that dtype: plain objects
        return (
            np.asarray(paths.to_pylist(), dtype=object),
            np.asarray(chans.to_pylist(), dtype=object),
        )
