"""Path transforms: each takes journeys and returns new journeys, so they compose.

Whatever a transform removes (touches, whole paths and the conversions, value
and nulls they carried) is recorded in ``journeys.removed`` and reported on every
result computed from the transformed journeys.

Examples
--------
>>> from pathcredit import Journeys
>>> from pathcredit.journeys import collapse_repeats, keep_last
>>> j = Journeys.from_paths([["A", "A", "B", "C", "C"]], conversions=[1])
>>> keep_last(collapse_repeats(j), 2).path_strings()
['B > C']
>>> j.pipe(collapse_repeats).pipe(keep_last, 2).path_strings()
['B > C']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from .._params import check_integer
from ..exceptions import InputError
from ._core import Journeys, Removal

#: the separator of written paths (``"a > b"``): a channel name must not contain it
PATH_SEPARATOR = ">"

__all__ = [
    "collapse_repeats",
    "first_occurrence",
    "keep_last",
    "drop_channels",
    "rename_channels",
]


def collapse_repeats(journeys: Journeys) -> Journeys:
    """Merge consecutive touches of the same channel into one (``A>A>B`` -> ``A>B``).

    With touch times, the first touch of each run keeps its time.
    """
    t = journeys.touches
    keep = np.ones(len(t), dtype=bool)
    keep[1:] = t[1:] != t[:-1]
    keep[journeys.offsets[:-1]] = True  # a path's first touch is never a repeat
    return _apply_mask(journeys, keep, "collapse_repeats()")


def first_occurrence(journeys: Journeys) -> Journeys:
    """Keep only the first touch of each channel on a path (``A>B>A`` -> ``A>B``)."""
    key = journeys.path_index * max(journeys.n_channels, 1) + journeys.touches
    _, first = np.unique(key, return_index=True)
    keep = np.zeros(len(key), dtype=bool)
    keep[first] = True
    return _apply_mask(journeys, keep, "first_occurrence()")


def keep_last(journeys: Journeys, n: int) -> Journeys:
    """Keep the last ``n`` touches of every path (the ones closest to the end)."""
    n = check_integer("keep_last", n, low=1, error=InputError)
    lengths = journeys.lengths
    # n beyond the longest path keeps everything (and must not overflow int64)
    n_eff = min(n, int(lengths.max(initial=0)))
    keep = journeys.position >= np.repeat(lengths - n_eff, lengths)
    return _apply_mask(journeys, keep, f"keep_last({n})")


def drop_channels(journeys: Journeys, channels: Iterable[str]) -> Journeys:
    """Remove every touch of the given channels.

    Paths left without any touch are removed; their conversions, value and nulls
    are counted in ``journeys.removed`` and no longer attributed.
    """
    channels = [channels] if isinstance(channels, str) else list(channels)
    unknown = sorted(set(channels) - set(journeys.channels), key=str)
    if unknown:
        raise InputError(
            f"unknown channel(s) {unknown}; the channels are {list(journeys.channels)}"
        )
    codes = np.array([journeys.channels.index(c) for c in channels], dtype=np.int64)
    keep = ~np.isin(journeys.touches, codes)
    out = _apply_mask(journeys, keep, f"drop_channels({sorted(channels)})")
    remaining = [c for c in journeys.channels if c not in set(channels)]
    recode = np.full(journeys.n_channels, -1, dtype=np.int64)
    recode[[journeys.channels.index(c) for c in remaining]] = np.arange(len(remaining))
    return out.replace(channels=remaining, touches=recode[out.touches])


def rename_channels(journeys: Journeys, mapping: Mapping[str, str]) -> Journeys:
    """Rename channels; several old names may map to one new name (grouping).

    Paths that become identical are merged. A new name may not contain ``">"``, the
    separator with which paths are written (:meth:`Journeys.path_strings`,
    :meth:`Journeys.to_frame`, the CLI's path tables): read back, ``"x > y"`` would be
    two channels on every path.

    Raises
    ------
    InputError
        An unknown old name; a new name that is empty, not text, or contains ``">"``.
    """
    unknown = sorted(set(mapping) - set(journeys.channels), key=str)
    if unknown:
        raise InputError(
            f"unknown channel(s) {unknown}; the channels are {list(journeys.channels)}"
        )
    for old, new in mapping.items():
        if not isinstance(new, str) or not new.strip():
            raise InputError("a new channel name must be a non-empty string", value=new)
        if PATH_SEPARATOR in new:
            # paths are written (path_strings, to_frame, the CLI's path tables) and read
            # back with this separator: the name would become two channels on every path
            raise InputError(
                f"the new name of channel {old!r} contains the path separator "
                f"{PATH_SEPARATOR!r}, so written paths would read it as two channels; "
                "choose a name without it",
                value=new,
            )
    names = [mapping.get(c, c).strip() for c in journeys.channels]
    new_channels = sorted(set(names))
    recode = np.array([new_channels.index(n) for n in names], dtype=np.int64)
    return journeys.replace(channels=new_channels, touches=recode[journeys.touches])


def _apply_mask(journeys: Journeys, keep: np.ndarray, step: str) -> Journeys:
    """Keep the touches where ``keep`` is true; drop paths left empty, and record both."""
    if keep.all():
        return journeys
    pidx = journeys.path_index
    new_lengths = np.bincount(pidx[keep], minlength=journeys.n_paths)
    alive = new_lengths > 0
    dead = ~alive
    removal = Removal(
        step=step,
        touches=int((~keep).sum()),
        paths=int(dead.sum()),
        conversions=float(journeys.conversions[dead].sum()),
        value=float(journeys.value_counts()[dead].sum()),
        nulls=float(journeys.null_counts()[dead].sum()),
    )
    if alive.all():
        offsets = np.concatenate([[0], np.cumsum(new_lengths)])
        fields = {}
    else:
        offsets = np.concatenate([[0], np.cumsum(new_lengths[alive])])
        fields = {
            "conversions": journeys.conversions[alive],
            "value": None if journeys.value is None else journeys.value[alive],
            "nulls": None if journeys.nulls is None else journeys.nulls[alive],
        }
    return journeys.replace(
        touches=journeys.touches[keep],
        offsets=offsets,
        times=None if journeys.times is None else journeys.times[keep],
        removed=journeys.removed + (removal,),
        **fields,
    )
