"""The journeys data model: distinct paths with their counts, stored as flat arrays."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..exceptions import InputError

__all__ = ["Journeys", "Removal"]


@dataclass(frozen=True)
class Removal:
    """What one transform or filter removed, so nothing is dropped silently.

    Attributes
    ----------
    step : str
        The transform that removed it, e.g. ``"drop_channels(['direct'])"``.
    touches : int
        Touchpoints removed (summed over distinct paths, not weighted by counts).
    paths : int
        Distinct paths removed entirely (they had no touch left).
    conversions, value, nulls : float
        Conversions, conversion value and non-converting journeys carried by the
        removed paths; these are no longer in the totals that models attribute.
    """

    step: str
    touches: int = 0
    paths: int = 0
    conversions: float = 0.0
    value: float = 0.0
    nulls: float = 0.0


class Journeys:
    """Distinct conversion paths with their conversions, value and non-conversions.

    The storage is compressed sparse rows: the touches of path ``i`` are
    ``touches[offsets[i]:offsets[i + 1]]``, integer codes into ``channels``.
    Counts are float64 and may be fractional. Build one with
    :func:`pathcredit.read_paths` or :meth:`Journeys.from_paths`; the
    constructor merges duplicate paths unless touch times are given.

    Parameters
    ----------
    channels : sequence of str
        Channel names; code ``i`` is ``channels[i]``.
    touches : array of int
        Flat channel codes of every path, concatenated.
    offsets : array of int
        ``len(paths) + 1`` boundaries into ``touches``; ``offsets[0] == 0``.
    conversions : array of float
        Conversions per path.
    value : array of float, optional
        Total conversion value per path; ``None`` when the data have no value.
    nulls : array of float, optional
        Journeys with the path that did not convert; ``None`` when unknown
        (then every recorded journey converted).
    times : array of float, optional
        Per touch, days from the touch to the end of its journey (the conversion).
        Only journey-level data have times; such journeys are not merged.
    removed : tuple of Removal
        What earlier transforms removed.
    source : str, optional
        Where the data came from (a file name), for messages.

    Examples
    --------
    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["A", "B"], ["B"], ["A", "B"]], conversions=[1, 2, 1])
    >>> j.path_strings()
    ['A > B', 'B']
    >>> j.conversions.tolist()
    [2.0, 2.0]
    """

    def __init__(
        self,
        channels: Sequence[str],
        touches,
        offsets,
        conversions,
        value=None,
        nulls=None,
        *,
        times=None,
        removed: tuple[Removal, ...] = (),
        source: str | None = None,
        merge: bool = True,
    ):
        touches = np.ascontiguousarray(touches, dtype=np.int64)
        offsets = np.ascontiguousarray(offsets, dtype=np.int64)
        conversions = np.ascontiguousarray(conversions, dtype=np.float64)
        n = len(offsets) - 1
        if n < 0 or offsets[0] != 0 or offsets[-1] != len(touches):
            raise InputError("offsets must start at 0 and end at len(touches)")
        if np.any(np.diff(offsets) <= 0):
            raise InputError("every path needs at least one touch", source=source)
        if conversions.shape != (n,):
            raise InputError("conversions must have one entry per path")
        value = None if value is None else np.ascontiguousarray(value, dtype=np.float64)
        nulls = None if nulls is None else np.ascontiguousarray(nulls, dtype=np.float64)
        times = None if times is None else np.ascontiguousarray(times, dtype=np.float64)
        if times is not None and times.shape != touches.shape:
            raise InputError("times must have one entry per touch")
        self.channels: tuple[str, ...] = tuple(str(c) for c in channels)
        self.touches = touches
        self.offsets = offsets
        self.conversions = conversions
        self.value = value
        self.nulls = nulls
        self.times = times
        self.removed = tuple(removed)
        self.source = source
        if merge and times is None:
            self._merge_duplicates()
        for arr in (
            self.touches,
            self.offsets,
            self.conversions,
            self.value,
            self.nulls,
            self.times,
        ):
            if arr is not None:
                arr.flags.writeable = False

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_paths(
        cls,
        paths: Iterable[Sequence[str]],
        conversions,
        value=None,
        nulls=None,
        *,
        times=None,
        source: str | None = None,
    ) -> Journeys:
        """Build journeys from a list of paths, each a sequence of channel names.

        ``times``, if given, is a list parallel to ``paths`` with the days from each
        touch to the conversion; such journeys are kept one row each.
        """
        paths = [list(p) for p in paths]
        lengths = np.array([len(p) for p in paths], dtype=np.int64)
        for i, p in enumerate(paths):
            if not p:
                raise InputError("empty path", source=source, row=i)
            for c in p:
                if not isinstance(c, str) or not c.strip():
                    raise InputError("empty channel name", source=source, row=i, value=c)
        flat = [c.strip() for p in paths for c in p]
        channels = sorted(set(flat))
        index = {c: k for k, c in enumerate(channels)}
        touches = np.fromiter((index[c] for c in flat), dtype=np.int64, count=len(flat))
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        flat_times = None
        if times is not None:
            flat_times = np.concatenate([np.asarray(t, dtype=np.float64) for t in times])
        return cls(
            channels, touches, offsets, conversions, value, nulls, times=flat_times, source=source
        )

    def _merge_duplicates(self) -> None:
        starts = self.offsets[:-1]
        codes = _group_paths(self.touches, self.offsets)
        m = int(codes.max()) + 1 if len(codes) else 0
        if m == len(codes):
            return
        first = np.full(m, -1, dtype=np.int64)
        # first occurrence of each distinct path, to take its touches
        order = np.arange(len(codes))[::-1]
        first[codes[order]] = order
        lengths = np.diff(self.offsets)[first]
        starts = starts[first]
        self.offsets = np.concatenate([[0], np.cumsum(lengths)])
        self.touches = _gather(self.touches, starts, lengths)
        self.conversions = np.bincount(codes, weights=self.conversions, minlength=m)
        if self.value is not None:
            self.value = np.bincount(codes, weights=self.value, minlength=m)
        if self.nulls is not None:
            self.nulls = np.bincount(codes, weights=self.nulls, minlength=m)

    # ------------------------------------------------------------------ basic views
    @property
    def n_paths(self) -> int:
        """Number of distinct paths (rows)."""
        return len(self.offsets) - 1

    @property
    def n_channels(self) -> int:
        return len(self.channels)

    @property
    def lengths(self) -> np.ndarray:
        """Touches per path."""
        return np.diff(self.offsets)

    @property
    def has_value(self) -> bool:
        return self.value is not None

    @property
    def has_nulls(self) -> bool:
        return self.nulls is not None

    @property
    def path_index(self) -> np.ndarray:
        """For every touch, the index of its path."""
        return np.repeat(np.arange(self.n_paths), self.lengths)

    @property
    def position(self) -> np.ndarray:
        """For every touch, its 0-based position on its path."""
        # one cumulative sum of steps of 1 that drop back to 0 at each path's start: a
        # third of the time of arange - repeat(starts) (one array, no repeat)
        n = len(self.touches)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        step = np.ones(n, dtype=np.int64)
        step[0] = 0
        starts = self.offsets[1:-1]
        step[starts] = 1 - np.diff(self.offsets[:-1])
        return np.cumsum(step, out=step)

    @property
    def first_touch(self) -> np.ndarray:
        """Channel code of the first touch of every path."""
        return self.touches[self.offsets[:-1]]

    @property
    def last_touch(self) -> np.ndarray:
        """Channel code of the last touch of every path."""
        return self.touches[self.offsets[1:] - 1]

    def null_counts(self) -> np.ndarray:
        """Non-converting journeys per path (zeros when the data have none)."""
        return np.zeros(self.n_paths) if self.nulls is None else self.nulls

    def value_counts(self) -> np.ndarray:
        """Conversion value per path (zeros when the data have none)."""
        return np.zeros(self.n_paths) if self.value is None else self.value

    @property
    def total_conversions(self) -> float:
        return float(self.conversions.sum())

    @property
    def total_value(self) -> float | None:
        return None if self.value is None else float(self.value.sum())

    @property
    def total_nulls(self) -> float | None:
        return None if self.nulls is None else float(self.nulls.sum())

    def path(self, i: int) -> list[str]:
        """Channel names of path ``i``."""
        return [self.channels[c] for c in self.touches[self.offsets[i] : self.offsets[i + 1]]]

    def paths(self) -> list[list[str]]:
        """Every path as a list of channel names."""
        names = np.asarray(self.channels, dtype=object)[self.touches]
        return [list(p) for p in np.split(names, self.offsets[1:-1])]

    def path_strings(self, sep: str = " > ") -> list[str]:
        """Every path joined with ``sep``."""
        return [sep.join(p) for p in self.paths()]

    def to_frame(self, sep: str = " > "):
        """The aggregated table in ChannelAttribution's columns (value and nulls if present)."""
        import pandas as pd

        data = {"path": self.path_strings(sep), "total_conversions": self.conversions}
        if self.value is not None:
            data["total_conversion_value"] = self.value
        if self.nulls is not None:
            data["total_null"] = self.nulls
        return pd.DataFrame(data)

    def removed_frame(self):
        """What transforms removed, one row per step (empty when nothing was removed)."""
        import pandas as pd

        cols = ["step", "touches", "paths", "conversions", "value", "nulls"]
        return pd.DataFrame([r.__dict__ for r in self.removed], columns=cols)

    def replace(self, **changes) -> Journeys:
        """A copy with some fields changed (used by transforms)."""
        fields = dict(
            channels=self.channels,
            touches=self.touches,
            offsets=self.offsets,
            conversions=self.conversions,
            value=self.value,
            nulls=self.nulls,
            times=self.times,
            removed=self.removed,
            source=self.source,
        )
        fields.update(changes)
        return Journeys(**fields)

    def pipe(self, func, *args, **kwargs) -> Journeys:
        """``func(self, *args, **kwargs)``: chain transforms left to right."""
        return func(self, *args, **kwargs)

    def __len__(self) -> int:
        return self.n_paths

    def __repr__(self) -> str:
        parts = [
            f"{self.n_paths} distinct paths",
            f"{self.n_channels} channels",
            f"conversions={_fmt(self.total_conversions)}",
        ]
        if self.value is not None:
            parts.append(f"value={_fmt(self.total_value)}")
        if self.nulls is not None:
            parts.append(f"nulls={_fmt(self.total_nulls)}")
        if self.removed:
            parts.append(f"{len(self.removed)} removal step(s)")
        return f"<Journeys: {', '.join(parts)}>"


def _fmt(x: float | None) -> str:
    return "None" if x is None else f"{x:.6g}"


def _group_paths(touches: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Group id of every path (equal paths share an id, numbered by first appearance).

    Each path is hashed to one 64-bit integer (a polynomial in its codes, in chunks of
    touches so that memory stays small) and the hashes are sorted (a hash table of as
    many entries would take several times the memory). Equal paths have equal hashes,
    so distinct hashes are distinct paths; paths that share a hash are compared code by
    code with the first of their group, and a collision falls back to
    :func:`_group_paths_exact`.
    """
    n = len(offsets) - 1
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    lengths = np.diff(offsets)
    hashes = _path_hashes(touches, offsets, lengths)
    hashes.sort()
    if not (hashes[1:] == hashes[:-1]).any():  # the usual case: no two paths alike
        return np.arange(n, dtype=np.int64)
    hashes = _path_hashes(touches, offsets, lengths)
    order = np.argsort(hashes, kind="stable")
    new = np.ones(n, dtype=bool)
    new[1:] = hashes[order[1:]] != hashes[order[:-1]]
    del hashes
    firsts = order[new]  # the first path of every group (stable sort: lowest index first)
    rank = np.empty(len(firsts), dtype=np.int64)
    rank[np.argsort(firsts)] = np.arange(len(firsts))  # groups numbered by first appearance
    codes = np.empty(n, dtype=np.int64)
    codes[order] = rank[np.cumsum(new) - 1]
    del order, new
    rep = np.sort(firsts)[codes]
    others = np.flatnonzero(rep != np.arange(n))  # paths grouped with an earlier one
    if not np.array_equal(lengths[others], lengths[rep[others]]):
        return _group_paths_exact(touches, offsets)
    for chunk in np.array_split(others, max(1, len(others) // 65536)):
        size = lengths[chunk]
        within = np.arange(int(size.sum())) - np.repeat(np.cumsum(size) - size, size)
        mine = np.repeat(offsets[chunk], size) + within
        theirs = np.repeat(offsets[rep[chunk]], size) + within
        if not np.array_equal(touches[mine], touches[theirs]):
            return _group_paths_exact(touches, offsets)
    return codes


def _path_hashes(touches, offsets, lengths, chunk: int = 1 << 15) -> np.ndarray:
    """A 64-bit polynomial hash of every path's codes (wrapping arithmetic)."""
    n = len(lengths)
    powers = np.full(int(lengths.max()), 0x9E3779B97F4A7C15, dtype=np.uint64)
    powers[0] = 1
    np.cumprod(powers, out=powers)
    out = np.empty(n, dtype=np.uint64)
    # path boundaries that cut the touches into chunks of about `chunk`
    cuts = np.unique(np.searchsorted(offsets, np.arange(0, offsets[-1], chunk), side="right") - 1)
    cuts = np.append(cuts, n)
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        size = lengths[a:b]
        base = offsets[a]
        codes = touches[base : offsets[b]].astype(np.uint64) + np.uint64(1)
        starts = offsets[a:b] - base
        codes *= powers[np.arange(len(codes)) - np.repeat(starts, size)]
        out[a:b] = np.add.reduceat(codes, starts)
    out ^= lengths.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
    out ^= out >> np.uint64(31)
    return out


def _group_paths_exact(touches: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Reference grouping: each path's int32 codes viewed as one binary string, numbered by
    Arrow's hash-based dictionary encoding (exact, no Python loop; slower, more memory)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    data = pa.py_buffer(np.ascontiguousarray(touches, dtype=np.int32))
    byte_offsets = pa.py_buffer(np.ascontiguousarray(offsets * 4, dtype=np.int64))
    keys = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(offsets) - 1, [None, byte_offsets, data]
    )
    return np.asarray(pc.dictionary_encode(keys).indices, dtype=np.int64)


def _gather(flat: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenate ``flat[starts[i]:starts[i] + lengths[i]]`` for every i, vectorised."""
    total = int(lengths.sum())
    if total == 0:
        return flat[:0].copy()
    new_offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    idx = np.arange(total) - np.repeat(new_offsets, lengths) + np.repeat(starts, lengths)
    return flat[idx]
