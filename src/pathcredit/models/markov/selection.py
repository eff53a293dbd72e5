"""Choosing the Markov chain's order by cross-validation over journeys.

Anderl et al. (2016) compare orders 1-4 by 10-fold cross-validation with the ROC
AUC and the top-decile lift of predicting conversion [1]_. A journey that has
ended is predicted from its last state only: the chain's probability of
conversion against null from that state. pathcredit adds the held-out
log-likelihood of conversion vs null (a proper scoring rule) and recommends the
order that maximises it.

References
----------
.. [1] Anderl, E., Becker, I., von Wangenheim, F. and Schumann, J. H. (2016). Mapping the
   customer journey: Lessons learned from graph-based online attribution modeling.
   International Journal of Research in Marketing 33(3), 457-474.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from ..._absorbing import check_order, last_window_digits
from ...exceptions import ModelError
from ...journeys import Journeys

__all__ = ["OrderSelection", "select_order", "last_state_codes"]

#: Most folds accepted by :func:`select_order` (memory and time grow with paths x folds).
MAX_FOLDS = 100


class OrderSelection(NamedTuple):
    """Result of :func:`select_order`: the table and the recommended order."""

    table: object  # pandas.DataFrame
    recommended: int


def last_state_codes(journeys: Journeys, order: int) -> np.ndarray:
    """Integer id of each path's last state at ``order`` (equal ids = equal windows).

    The last state is the last ``order`` channels, or the whole path when it is
    shorter (ChannelAttribution's convention; merging repeated states does not
    change the last one).
    """
    digits = last_window_digits(journeys.touches, journeys.offsets, order)
    _, inverse = np.unique(digits, axis=0, return_inverse=True)
    return inverse.ravel()


def _split_counts(counts: np.ndarray, folds: int, rng: np.random.Generator) -> np.ndarray:
    """Assign each journey of each path to a fold at random: ``(paths, folds)`` counts.

    Integer parts are split multinomially; a fractional remainder goes whole to
    one random fold.
    """
    whole = np.floor(counts).astype(np.int64)
    out = rng.multinomial(whole, np.full(folds, 1.0 / folds)).astype(np.float64)
    frac = counts - whole
    pick = rng.integers(0, folds, size=len(counts))
    out[np.arange(len(counts)), pick] += frac
    return out


def _auc(score, pos, neg) -> float:
    """Weighted ROC AUC (ties count one half)."""
    uniq, inv = np.unique(score, return_inverse=True)
    p = np.bincount(inv, weights=pos, minlength=len(uniq))
    q = np.bincount(inv, weights=neg, minlength=len(uniq))
    below = np.concatenate([[0.0], np.cumsum(q)[:-1]])
    total = p.sum() * q.sum()
    return float(np.sum(p * (below + 0.5 * q)) / total) if total > 0 else np.nan


def _top_decile_lift(score, pos, neg, share=0.1) -> float:
    """Conversion rate of the top ``share`` of journeys by score over the overall rate.

    Tied scores at the boundary enter in proportion (same rate within a tie).
    """
    uniq, inv = np.unique(-score, return_inverse=True)
    p = np.bincount(inv, weights=pos, minlength=len(uniq))
    w = p + np.bincount(inv, weights=neg, minlength=len(uniq))
    total = w.sum()
    if total <= 0 or p.sum() <= 0:
        return np.nan
    cap = share * total
    before = np.concatenate([[0.0], np.cumsum(w)[:-1]])
    take = np.clip((cap - before) / np.where(w > 0, w, 1.0), 0.0, 1.0)
    top_rate = np.sum(take * p) / cap
    return float(top_rate / (p.sum() / total))


def _mean(x) -> float:
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    return float(x.mean()) if len(x) else np.nan


def _sd(x) -> float:
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    return float(x.std(ddof=1)) if len(x) > 1 else np.nan


def select_order(
    journeys: Journeys, max_order: int = 4, *, folds: int = 10, seed: int = 0
) -> OrderSelection:
    """Cross-validate Markov chain orders ``1..max_order`` over journeys.

    Journeys (not distinct paths) are split at random into ``folds`` folds. For each
    held-out journey the chain fitted on the other folds predicts conversion from
    the journey's last state: ``(C_s + p0) / (C_s + N_s + 1)``, with ``C_s`` and
    ``N_s`` the training conversions and nulls leaving state ``s`` and ``p0`` the
    training conversion rate (one pseudo-journey toward ``p0``, so an unseen state
    predicts ``p0`` and no prediction is 0 or 1).

    Parameters
    ----------
    journeys : Journeys
        Must have non-converting journeys (a null column).
    max_order : int, default 4
        From 1 to :data:`pathcredit.models.markov.MAX_ORDER` (32).
    folds : int, default 10
        From 2 to the number of journeys, and at most :data:`MAX_FOLDS` (100).
    seed : int, default 0

    Returns
    -------
    OrderSelection
        ``table`` with one row per order: ``order, n_last_states, log_likelihood,
        log_likelihood_sd, auc, auc_sd, top_decile_lift, top_decile_lift_sd``
        (means and standard deviations over the folds that hold journeys;
        log-likelihood per journey),
        and ``recommended``: the order with the highest mean held-out
        log-likelihood.

    Raises
    ------
    ModelError
        No nulls or no conversions, or bad ``max_order``/``folds``.

    Notes
    -----
    Cost: ``O(total touches * max_order + paths * folds)``; no linear system is
    solved, since a finished journey's prediction depends only on its last state.

    Examples
    --------
    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["A", "B"], ["B", "B"], ["A"], ["B"]],
    ...                         conversions=[30, 2, 5, 10], nulls=[5, 40, 30, 20])
    >>> sel = select_order(j, max_order=2, folds=5)
    >>> sel.recommended
    2
    >>> sel.table["order"].tolist()
    [1, 2]
    """
    check_order(max_order, "max_order")
    if not journeys.has_nulls or (journeys.total_nulls or 0.0) <= 0:
        raise ModelError("order selection needs non-converting journeys (a null column)")
    if journeys.total_conversions <= 0:
        raise ModelError("order selection needs conversions")
    n_journeys = journeys.total_conversions + (journeys.total_nulls or 0.0)
    # (paths, folds) tables are held in memory, and every fold scores every path
    high = int(min(MAX_FOLDS, np.floor(n_journeys)))
    if high < 2:
        raise ModelError(
            f"order selection needs at least 2 journeys (one per fold), got {n_journeys:g}"
        )
    if isinstance(folds, bool) or not isinstance(folds, int | np.integer) or not 2 <= folds <= high:
        raise ModelError(
            f"folds must be a whole number from 2 to {high} (at most {MAX_FOLDS} and at most "
            f"the number of journeys, {n_journeys:g}), got {folds!r}"
        )
    rng = np.random.default_rng(seed)
    conv = _split_counts(journeys.conversions, folds, rng)  # (paths, folds)
    null = _split_counts(journeys.nulls, folds, rng)
    rows = []
    for order in range(1, int(max_order) + 1):
        code = last_state_codes(journeys, order)
        m = int(code.max()) + 1 if len(code) else 0
        c_state = np.stack(
            [np.bincount(code, weights=conv[:, f], minlength=m) for f in range(folds)]
        )
        n_state = np.stack(
            [np.bincount(code, weights=null[:, f], minlength=m) for f in range(folds)]
        )
        ll, auc, lift = [], [], []
        for f in range(folds):
            tc = c_state.sum(axis=0) - c_state[f]
            tn = n_state.sum(axis=0) - n_state[f]
            p0 = tc.sum() / (tc.sum() + tn.sum())
            prob = (tc + p0) / (tc + tn + 1.0)
            score = prob[code]
            pos, neg = conv[:, f], null[:, f]
            w = pos.sum() + neg.sum()
            if w <= 0:  # a fold that drew no journey (folds close to the journey count)
                ll.append(np.nan)
                auc.append(np.nan)
                lift.append(np.nan)
                continue
            ll.append(float((pos @ np.log(score) + neg @ np.log1p(-score)) / w))
            auc.append(_auc(score, pos, neg))
            lift.append(_top_decile_lift(score, pos, neg))
        rows.append(
            dict(
                order=order,
                n_last_states=m,
                log_likelihood=_mean(ll),
                log_likelihood_sd=_sd(ll),
                auc=_mean(auc),
                auc_sd=_sd(auc),
                top_decile_lift=_mean(lift),
                top_decile_lift_sd=_sd(lift),
            )
        )
    table = pd.DataFrame(rows)
    best = int(table["order"].iloc[int(np.argmax(table["log_likelihood"].to_numpy()))])
    return OrderSelection(table, best)
