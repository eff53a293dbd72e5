"""What a result was computed from: counts and an order-independent hash of the journeys."""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["fingerprint"]

# odd 64-bit multiplier of the polynomial path hash (any odd constant works; this is 2^64/phi)
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


def fingerprint(journeys) -> dict:
    """Counts of the journeys and a hash that ignores row order and channel coding.

    Two journey tables with the same paths (by channel name, in order), counts, value
    and nulls get the same hash whatever order their rows are in; any change to a
    path or a count changes it (up to 64-bit collisions of a path's digest).

    Returns
    -------
    dict
        ``paths, channels, touches, conversions, value, nulls, sha256`` (hex, 16 chars).

    Notes
    -----
    Each path's digest is a polynomial hash over its channels' name hashes, computed
    for all touches at once; the sorted (digest, counts) rows are hashed with SHA-256.
    O(touches + paths log paths).

    Examples
    --------
    >>> from pathcredit import Journeys
    >>> a = Journeys.from_paths([["A", "B"], ["B"]], conversions=[1, 2])
    >>> b = Journeys.from_paths([["B"], ["A", "B"]], conversions=[2, 1])
    >>> fingerprint(a)["sha256"] == fingerprint(b)["sha256"]
    True
    >>> fingerprint(a)["conversions"]
    3.0
    """
    names = np.array(
        [
            int.from_bytes(hashlib.blake2b(c.encode("utf-8"), digest_size=8).digest(), "little")
            for c in journeys.channels
        ],
        dtype=np.uint64,
    )
    position = journeys.position
    powers = np.cumprod(np.full(int(journeys.lengths.max(initial=1)), _MULTIPLIER))
    powers = np.concatenate([[np.uint64(1)], powers[:-1]])
    terms = names[journeys.touches] * powers[position] if len(journeys.touches) else names[:0]
    digest = (
        np.add.reduceat(terms, journeys.offsets[:-1])
        if journeys.n_paths
        else np.zeros(0, np.uint64)
    )
    columns = [
        digest,
        journeys.lengths.astype(np.int64),
        np.asarray(journeys.conversions, dtype=np.float64),
        np.asarray(journeys.value_counts(), dtype=np.float64),
        np.asarray(journeys.null_counts(), dtype=np.float64),
    ]
    order = np.lexsort(columns[::-1])  # by digest, then length, then the counts
    data = b"".join(np.ascontiguousarray(c[order]).tobytes() for c in columns)
    sha = hashlib.sha256(data).hexdigest()[:16]
    return {
        "paths": int(journeys.n_paths),
        "channels": int(journeys.n_channels),
        "touches": int(len(journeys.touches)),
        "conversions": float(journeys.total_conversions),
        "value": None if journeys.value is None else float(journeys.total_value),
        "nulls": None if journeys.nulls is None else float(journeys.total_nulls),
        "sha256": sha,
    }
