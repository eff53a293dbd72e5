"""Distances between a model's channel shares and the true shares (pure numpy / scipy).

The metrics follow DOMAIN.md's list (errors in shares, rank agreement, interval
coverage): share errors are in share units (0.02 = two percentage points).
"""

from __future__ import annotations

import numpy as np

__all__ = ["share_metrics", "METRICS"]

#: Metric name -> what it measures.
METRICS = {
    "share_mae": "mean over channels of |estimated share - true share|",
    "tv_distance": "total variation distance: half the sum of |estimated - true share|",
    "max_error": "largest |estimated share - true share| over the channels",
    "spearman": "Spearman rank correlation of estimated and true shares (NaN if one is constant)",
    "kendall": "Kendall tau-b of estimated and true shares (NaN if either is constant)",
    "coverage": "share of channels whose interval contains the true share (interval models)",
    "width": "mean width of the share intervals (interval models)",
    "runtime_s": "wall time of attribute() on the cell's journeys, seconds",
    "peak_memory_mb": "peak memory allocated during attribute() (tracemalloc), MiB",
}


def share_metrics(estimate, truth, lower=None, upper=None) -> dict[str, float]:
    """Errors and rank agreement of estimated shares against true shares.

    Parameters
    ----------
    estimate, truth : array of float
        Shares per channel, aligned.
    lower, upper : array of float, optional
        Interval bounds of the estimated shares; adds ``coverage`` and ``width``.

    Returns
    -------
    dict
        ``share_mae``, ``tv_distance``, ``max_error``, ``spearman``, ``kendall``
        (and ``coverage``, ``width``); see :data:`METRICS`.

    Examples
    --------
    >>> m = share_metrics([0.5, 0.3, 0.2], [0.6, 0.3, 0.1])
    >>> {k: round(v, 3) for k, v in m.items()}
    {'share_mae': 0.067, 'tv_distance': 0.1, 'max_error': 0.1, 'spearman': 1.0, 'kendall': 1.0}
    """
    from scipy import stats

    est = np.asarray(estimate, dtype=np.float64)
    tru = np.asarray(truth, dtype=np.float64)
    err = np.abs(est - tru)
    out = {
        "share_mae": float(err.mean()),
        "tv_distance": float(0.5 * err.sum()),
        "max_error": float(err.max()),
    }
    constant = np.ptp(est) == 0 or np.ptp(tru) == 0 or len(est) < 2
    if constant:
        out["spearman"] = out["kendall"] = float("nan")
    else:
        out["spearman"] = float(stats.spearmanr(est, tru).statistic)
        out["kendall"] = float(stats.kendalltau(est, tru).statistic)
    if lower is not None and upper is not None:
        lo = np.asarray(lower, dtype=np.float64)
        hi = np.asarray(upper, dtype=np.float64)
        out["coverage"] = float(np.mean((lo <= tru + 1e-12) & (tru <= hi + 1e-12)))
        out["width"] = float(np.mean(hi - lo))
    return out
