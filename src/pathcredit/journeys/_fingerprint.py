"""What a result was computed from: counts and an order-independent hash of the journeys."""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["fingerprint"]

# odd 64-bit multiplier of the polynomial path hash (any odd constant works; this is 2^64/phi)
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser (Steele, Lea and Flood 2014): spreads every input bit."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


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
    for all touches at once; each row's digest and counts are mixed into one 64-bit
    hash, and the rows' hashes are summed (and their squares summed) modulo 2^64, which
    does not depend on row order; SHA-256 of those sums is reported. O(touches).

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
    # one 64-bit hash per row, mixed from the path digest and the counts' bits, then summed:
    # a sum is order-independent and costs no sort (the fingerprint runs on every attribute)
    row = digest ^ _mix(journeys.lengths.astype(np.uint64))
    for counts in (journeys.conversions, journeys.value_counts(), journeys.null_counts()):
        row = _mix(row ^ _mix(np.ascontiguousarray(counts, dtype=np.float64).view(np.uint64)))
    total = np.add.reduce(row, dtype=np.uint64) if len(row) else np.uint64(0)
    squares = np.add.reduce(row * row, dtype=np.uint64) if len(row) else np.uint64(0)
    sums = np.array([total, squares, len(row)], dtype=np.uint64).tobytes()
    sha = hashlib.sha256(sums).hexdigest()[:16]
    return {
        "paths": int(journeys.n_paths),
        "channels": int(journeys.n_channels),
        "touches": int(len(journeys.touches)),
        "conversions": float(journeys.total_conversions),
        "value": None if journeys.value is None else float(journeys.total_value),
        "nulls": None if journeys.nulls is None else float(journeys.total_nulls),
        "sha256": sha,
    }
