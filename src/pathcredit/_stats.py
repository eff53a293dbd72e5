"""Interval statistics of draws: the highest-density interval and the posterior summary.

Numpy only, below :mod:`pathcredit.results` (which derives a result's bounds from its
draws with :func:`hdi`) and the Bayesian models (which summarise their posteriors with
:func:`posterior_summary`), so neither has to import the other's private helpers.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CI_PROB", "hdi", "posterior_summary"]

#: The interval probability every model defaults to: 90% intervals, the convention of the
#: Bayesian workflow literature (and ArviZ's default ``hdi_prob`` in recent versions),
#: narrow enough to be stable with a few thousand draws.
CI_PROB = 0.9


def hdi(flat: np.ndarray, prob: float):
    """Shortest interval holding ``prob`` of the draws, per column (ArviZ's HDI for one mode).

    Examples
    --------
    >>> lo, hi = hdi(np.array([[0.0], [1.0], [1.1], [1.2], [1.3], [5.0]]), 0.5)
    >>> float(lo[0]), float(hi[0])
    (1.0, 1.3)
    """
    s = np.sort(flat, axis=0)
    n = s.shape[0]
    k = max(int(np.floor(prob * n)), 1)  # spans k + 1 sorted draws, as ArviZ's hdi
    k = min(k, n - 1)
    widths = s[k:] - s[: n - k]
    start = np.argmin(widths, axis=0)
    cols = np.arange(s.shape[1])
    return s[start, cols], s[start + k, cols]


def posterior_summary(sampled: dict, channels, ci_prob: float):
    """Posterior means of every sampled metric, and HDI bounds of the credited ones.

    ``sampled`` maps a metric to its ``(draws, channels)`` array. The bounds of
    ``conversions``, ``value`` and ``share`` are the HDI widened to contain the mean
    (a skewed posterior's mean can fall outside its shortest interval); the channels
    where that happened are listed per metric. Returns ``(means, lower, upper, widened)``.
    """
    means = {k: v.mean(axis=0) for k, v in sampled.items()}
    lower: dict[str, np.ndarray] = {}
    upper: dict[str, np.ndarray] = {}
    widened: dict[str, list] = {}
    for metric in ("conversions", "value", "share"):
        if metric not in sampled:
            continue
        lo, hi = hdi(sampled[metric], ci_prob)
        mu = means[metric]
        out = np.flatnonzero((mu < lo) | (mu > hi))
        if len(out):
            widened[metric] = [channels[i] for i in out]
        lower[metric], upper[metric] = np.minimum(lo, mu), np.maximum(hi, mu)
    return means, lower, upper, widened
