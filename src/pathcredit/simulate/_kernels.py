"""Numpy kernels of the scenarios: the exposure process (coalition masks and Shapley
weights are in :mod:`pathcredit._games`).

Journeys are held as padded matrices: ``ch[i, k]`` is the channel code of
journey (or distinct path) ``i``'s ``k``-th touch, ``-1`` past its length
``length[i]``. Nothing here builds a DataFrame.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "sample_categorical",
    "length_probabilities",
    "sample_exposures",
    "enumerate_exposures",
    "sample_days_before",
    "to_csr",
    "group_rows",
]


def sample_categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row of ``probs`` (rows sum to 1), by inverse CDF."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cdf[:, -1]
    return np.minimum((u[:, None] >= cdf).sum(axis=1), probs.shape[1] - 1)


def length_probabilities(continue_prob: float, max_length: int) -> np.ndarray:
    """``P(L = l)``, ``l = 1..max_length``: geometric (one more touch with ``continue_prob``),
    truncated at ``max_length`` and renormalised."""
    p = (1.0 - continue_prob) * continue_prob ** np.arange(max_length)
    return p / p.sum()


def sample_exposures(rng, n, mix, trans, latent_probs, length_probs):
    """Sample ``n`` journeys' touch sequences.

    Parameters
    ----------
    mix : ``(U, C)`` first-touch channel probabilities per latent class.
    trans : ``(U, C, C)`` next-touch probabilities given the previous channel.
    latent_probs : ``(U,)`` class shares (one class: ``[1.0]``).
    length_probs : ``(max_length,)`` path-length distribution.

    Returns
    -------
    ch : ``(n, max_length)`` int16, -1 padded; length : ``(n,)`` int; latent : ``(n,)`` int.
    """
    U = len(latent_probs)
    latent = rng.choice(U, size=n, p=latent_probs) if U > 1 else np.zeros(n, dtype=np.int64)
    max_len = len(length_probs)
    length = 1 + rng.choice(max_len, size=n, p=length_probs)
    ch = np.full((n, max_len), -1, dtype=np.int16)
    ch[:, 0] = sample_categorical(rng, mix[latent])
    for t in range(1, max_len):
        rows = np.flatnonzero(length > t)
        if not len(rows):
            break
        ch[rows, t] = sample_categorical(rng, trans[latent[rows], ch[rows, t - 1]])
    return ch, length, latent


def enumerate_exposures(mix, trans, latent_probs, length_probs, tol):
    """Every touch sequence (and latent class) with its probability, for population mode.

    Prefixes are extended while ``P(class) * P(L > l) * P(prefix)`` is at least
    ``tol``; the probability of the sequences left out is ``1 - weight.sum()``
    (the coverage is reported by the scenarios).

    Returns ``ch, length, latent, weight`` (weights are probabilities).
    """
    max_len = len(length_probs)
    U, C = mix.shape
    surv = np.concatenate([np.cumsum(length_probs[::-1])[::-1], [0.0]])  # surv[l] = P(L > l)
    out_ch, out_len, out_u, out_w = [], [], [], []
    for u in range(U):
        prefix = np.arange(C, dtype=np.int16)[:, None]
        q = mix[u].copy()
        for ln in range(1, max_len + 1):
            keep = q > 0
            prefix, q = prefix[keep], q[keep]
            if not len(q):
                break
            padded = np.full((len(q), max_len), -1, dtype=np.int16)
            padded[:, :ln] = prefix
            out_ch.append(padded)
            out_len.append(np.full(len(q), ln))
            out_u.append(np.full(len(q), u))
            out_w.append(latent_probs[u] * length_probs[ln - 1] * q)
            if ln == max_len:
                break
            ext = latent_probs[u] * surv[ln] * q >= tol
            prefix, q = prefix[ext], q[ext]
            last = prefix[:, -1]
            child_q = (q[:, None] * trans[u][last]).ravel()
            child = np.tile(np.arange(C, dtype=np.int16), len(q))[:, None]
            prefix = np.concatenate([np.repeat(prefix, C, axis=0), child], axis=1)
            q = child_q
    return (
        np.concatenate(out_ch),
        np.concatenate(out_len),
        np.concatenate(out_u),
        np.concatenate(out_w),
    )


def sample_days_before(rng, length, max_len, mean_gap_days, lag_days):
    """Days from each touch to the journey's decision (``(n, max_len)``, NaN padded).

    Consecutive touches are exponential gaps apart (mean ``mean_gap_days``); the
    decision (conversion, or the end of a journey that does not convert) comes an
    exponential time with mean ``lag_days`` after the last touch.
    """
    n = len(length)
    pos = np.arange(max_len)
    gaps = np.zeros((n, max_len))
    inner = pos[None, :] < (length[:, None] - 1)  # gap k: from touch k to touch k + 1
    gaps[inner] = rng.exponential(mean_gap_days, size=int(inner.sum()))
    lag = rng.exponential(lag_days, size=n)
    after = np.cumsum(gaps[:, ::-1], axis=1)[:, ::-1]  # sum of gaps k.. end
    days = lag[:, None] + after
    days[pos[None, :] >= length[:, None]] = np.nan
    return days


def to_csr(ch: np.ndarray, length: np.ndarray):
    """Padded touches -> ``(touches, offsets)`` (row-major, so path order is kept)."""
    touches = ch[ch >= 0].astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(length)]).astype(np.int64)
    return touches, offsets


def group_rows(ch: np.ndarray, latent: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(first, inverse)``: one representative row per distinct padded path (and latent class).

    Paths are encoded as base-``(C + 1)`` integers when they fit in 63 bits (a
    sort of int64 keys), else compared as raw bytes.
    """
    n, width = ch.shape
    lat = np.zeros(n, dtype=np.int64) if latent is None else np.asarray(latent, dtype=np.int64)
    base = int(ch.max(initial=0)) + 2
    n_lat = int(lat.max(initial=0)) + 1
    if width * math.log2(base) + math.log2(n_lat) < 62:
        code = np.zeros(n, dtype=np.int64)
        for k in range(width):
            code *= base
            code += ch[:, k].astype(np.int64) + 1
        code = code * n_lat + lat
        _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
        return first, inverse.ravel()
    mat = np.ascontiguousarray(np.column_stack([ch.astype(np.int64), lat]))
    keys = mat.view(np.dtype((np.void, mat.dtype.itemsize * mat.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return first, inverse.ravel()
