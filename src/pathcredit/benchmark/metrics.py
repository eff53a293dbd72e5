"""Distances between a model's channel shares and the true shares (pure numpy / scipy).

The metrics follow DOMAIN.md's list (errors in shares, rank agreement, interval
coverage): share errors are in share units (0.02 = two percentage points). The
headline is ``tv_distance`` (the share of credit put on the wrong channels); for k
channels it is k / 2 times ``share_mae``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["share_metrics", "prediction_metrics", "last_state_predictions", "METRICS"]

#: Metric name -> what it measures.
METRICS = {
    "share_mae": "mean over channels of |estimated share - true share|",
    "tv_distance": "total variation distance: half the sum of |estimated - true share|",
    "max_error": "largest |estimated share - true share| over the channels",
    "spearman": "Spearman rank correlation of estimated and true shares (NaN if one is constant)",
    "kendall": "Kendall tau-b of estimated and true shares (NaN if either is constant)",
    "coverage": "fraction of channels whose interval (90 %: the models' default ci_prob) "
    "contains the true share (interval models: bayesian_markov, bootstrap entries)",
    "width": "mean width of the share intervals, share units (interval models)",
    "log_loss": "held-out log loss of P(convert | last state) per journey (Markov models)",
    "auc": "held-out ROC AUC of P(convert | last state), journeys weighted (Markov models)",
    "top_decile_lift": "conversion rate of the top 10 % of held-out journeys by predicted "
    "probability over the overall rate (Markov models)",
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


def _state_keys(journeys, order: int) -> np.ndarray:
    """Last ``order`` channel names of every path, as one string key per path."""
    names = np.asarray(journeys.channels, dtype=object)
    ends = journeys.offsets[1:]
    start = ends - np.minimum(journeys.lengths, order)
    keys = np.full(journeys.n_paths, "", dtype=object)
    for j in range(order):
        ok = start + j < ends
        keys[ok] = keys[ok] + "\x1f" + names[journeys.touches[start[ok] + j]]
    return keys


def last_state_predictions(train, test, order: int) -> np.ndarray:
    """``P(convert | last state)`` of each test path from the training paths.

    A journey that has ended is predicted from its last state only: conversions
    over journeys among training paths ending in the same last ``order``
    channels, the chain's probability of conversion against null from that state
    (Anderl et al. 2016). A state never seen in training gets the overall rate.
    """
    import pandas as pd

    tk = _state_keys(train, order)
    conv = train.conversions
    tot = conv + train.null_counts()
    g = pd.DataFrame({"k": tk, "c": conv, "t": tot}).groupby("k", sort=False)[["c", "t"]].sum()
    rate = (g["c"] / g["t"]).to_dict()
    overall = conv.sum() / max(tot.sum(), np.finfo(float).tiny)
    return np.array([rate.get(k, overall) for k in _state_keys(test, order)], dtype=np.float64)


def prediction_metrics(score, pos, neg, *, eps: float = 1e-12) -> dict[str, float]:
    """Log loss, ROC AUC and top-decile lift of predicted probabilities, journeys weighted.

    Parameters
    ----------
    score : array of float
        Predicted conversion probability per path.
    pos, neg : array of float
        Converting and non-converting journeys per path (may be fractional).

    Examples
    --------
    >>> m = prediction_metrics([0.9, 0.1], [1, 0], [0, 1])
    >>> round(m["auc"], 3), round(m["log_loss"], 3)
    (1.0, 0.105)
    """
    score = np.asarray(score, dtype=np.float64)
    pos = np.asarray(pos, dtype=np.float64)
    neg = np.asarray(neg, dtype=np.float64)
    p = np.clip(score, eps, 1 - eps)
    n = pos.sum() + neg.sum()
    out = {"log_loss": float(-(pos @ np.log(p) + neg @ np.log1p(-p)) / n)}
    # AUC: P(score of a converter > score of a non-converter), ties count half
    order = np.argsort(score, kind="stable")
    s, a, b = score[order], pos[order], neg[order]
    uniq, start = np.unique(s, return_index=True)
    A = np.add.reduceat(a, start)
    B = np.add.reduceat(b, start)
    below = np.cumsum(B) - B
    auc = (A @ (below + 0.5 * B)) / max(A.sum() * B.sum(), np.finfo(float).tiny)
    out["auc"] = float(auc) if A.sum() > 0 and B.sum() > 0 else float("nan")
    # top-decile lift: the 10 % of journeys with the highest scores (ties split evenly)
    top = 0.1 * n
    T = (A + B)[::-1]
    rate_g = np.divide(A[::-1], T, out=np.zeros_like(T), where=T > 0)
    taken = np.minimum(T, np.maximum(top - (np.cumsum(T) - T), 0))
    overall = pos.sum() / n
    out["top_decile_lift"] = (
        float((taken @ rate_g) / top / overall) if overall > 0 else float("nan")
    )
    return out
