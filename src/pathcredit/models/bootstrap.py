"""Intervals for any model: a Poisson or multinomial bootstrap on the aggregated path counts.

Resampling journeys with replacement changes only how many journeys each distinct
path carries, so a bootstrap of aggregated paths needs no journey-level data: each
resample draws new conversion and null counts per path (vectorised over paths), the
model runs on the reweighted paths, and the spread of its credit over the resamples
is the interval. Rule models with a per-touch weight kernel are not rerun at all:
their credit is linear in the counts, so every resample's credit is one sparse
matrix product with the paths' channel fractions.

References
----------
.. [1] Efron, B. and Tibshirani, R. J. (1993). An Introduction to the Bootstrap.
   Chapman & Hall (percentile interval: ch. 13).
.. [2] Hanley, J. A. and MacGibbon, B. (2006). Creating non-parametric bootstrap samples
   using Poisson frequencies. Computer Methods and Programs in Biomedicine 83(1), 57-62.
"""

from __future__ import annotations

import hashlib
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._absorbing import digit_codes, removal_batch, removal_sets, window_digits
from .._params import check_has_paths, check_integer, check_probability, check_seed
from ..exceptions import ModelError, PathcreditWarning
from ..journeys import Journeys
from ..results import AttributionResult
from . import _CONSTRAINTS, attribute, get_model
from .markov.chain import fit_chain

__all__ = ["bootstrap", "bootstrap_resamples", "BootstrapWarning"]

_RESAMPLING = ("poisson", "multinomial")
#: Resamples drawn at once (bounds the (resamples, paths) weight block in memory).
_CHUNK_CELLS = 2**23
#: Markov with removal credit: rebuild each resample's chain from a path-transition design
#: matrix and solve all resamples in batches (False: rerun ``markov`` per resample).
_VECTORISE_MARKOV = True
#: Largest chain solved densely per resample in the vectorised Markov path.
_MARKOV_DENSE_MAX = 1000
#: Above this mean a Poisson count is drawn by the normal approximation: numpy refuses means
#: above about 9.2e18 and, measured on 200,000 draws (seed 0; tests/models/test_bootstrap.py),
#: its sd is 1.005 sqrt(mean) at 1e14, 1.018 at 1e15 and 1.10 at 2^53, 1.000 at 2^40.
_POISSON_MAX = 2.0**40
#: A multinomial of more journeys is scaled from one of this many (float64 stops holding
#: every whole number above it; numpy's totals must fit int64).
_MULTINOMIAL_MAX = 2.0**53


class BootstrapWarning(PathcreditWarning):
    """The plug-in credit of a channel lies outside its percentile interval."""


def bootstrap(
    journeys: Journeys,
    model: str = "linear",
    *,
    n_resamples: int = 1000,
    seed=0,
    ci_prob: float = 0.9,
    resampling: str = "poisson",
    **params,
) -> AttributionResult:
    """Percentile bootstrap intervals for any registered model's credit.

    Parameters
    ----------
    journeys : Journeys
    model : str, default ``"linear"``
        A registered model name (:func:`pathcredit.available_models`).
    n_resamples : int, default 1000
        Number of bootstrap resamples (at least 2; about 1000 for stable 90% bounds).
    seed : None, int or numpy Generator, default 0
        Seed of the resampling. The resampled counts are those of
        :func:`bootstrap_resamples` with the same journeys, ``n_resamples``, ``seed``
        and ``resampling``, whatever the model, so results of several models with
        one seed are paired resample by resample (:func:`pathcredit.compare` uses it).
        A model that takes a ``seed`` of its own (a sampler) runs at its default seed
        for the point estimate and gets a seed per resample from a separate stream
        derived from this one (so it never shifts the resampled counts).
    ci_prob : float, default 0.9
        Probability mass of the percentile intervals.
    resampling : {"poisson", "multinomial"}, default ``"poisson"``
        ``"poisson"``: every journey is drawn Poisson(1) times, so a path's
        conversions and nulls become independent Poisson variables with the
        observed counts as means (fractional counts allowed) [2]_.
        ``"multinomial"``: the classical bootstrap, exactly as many journeys as
        observed, drawn with replacement (needs whole counts).
    **params
        The model's parameters, as for :func:`pathcredit.attribute`.

    Returns
    -------
    AttributionResult
        ``conversions`` and ``value`` are the model's plug-in credit on the data
        (what :func:`pathcredit.attribute` returns); ``lower`` and ``upper`` the
        percentile bounds (``ci_kind="eti"``); ``draws`` (chain 1, draw =
        resample, channel) of ``conversions``, ``share``, ``value`` (with value)
        and ``removal_effect`` (models that report removal effects).
        ``extras["bootstrap"]``: the settings, resamples dropped for having no
        conversion, and the channels whose interval was widened (below).
        ``extras["resamples"]``: which resamples were used, ``{"scheme", "seed",
        "n", "dropped", "fingerprint"}``; two results with the same
        ``fingerprint`` were computed on the same resampled counts (a hash of the
        random stream's starting state, the scheme, ``n`` and the journeys' paths and
        counts in row order), which :func:`pathcredit.compare` checks before pairing.

    Raises
    ------
    ModelError
        Unknown model or parameter, bad bootstrap setting, fractional counts with
        ``resampling="multinomial"``, too few conversions to resample, or a model
        that samples its own posterior (``bayesian_markov``: its draws are the
        intervals).

    Warns
    -----
    BootstrapWarning
        When a channel's plug-in credit lies outside its percentile interval.

    Notes
    -----
    - **What varies.** Each resample's credit is rescaled to the observed totals
      (``credit_b * total / total_b``), so the draws show how uncertain the split
      is, not how the number of conversions varies; ``share`` draws are
      ``credit_b / total_b``.
    - **Value.** Aggregated paths do not carry each conversion's value, so a
      resampled path's value is its conversions times the path's mean value per
      conversion. Journey-level data (one row per journey) resample exact values.
    - **Point estimate inside the interval.** The plug-in estimate can fall
      outside the percentile interval (a skewed or biased statistic, very few
      conversions). The result keeps the plug-in estimate, which is the model's
      answer, and widens the interval to reach it; such channels are listed in
      ``extras["bootstrap"]["widened"]`` and a :class:`BootstrapWarning` says
      that the interval is unreliable there.
    - Resamples without any conversion say nothing about the split and are
      dropped (counted in ``extras``; more than half dropped is an error). Which
      resamples are dropped depends on the counts only, so every model drops the
      same ones and the kept draws stay paired.
    - **The same resamples for every model.** Vectorised rules, vectorised
      ``markov`` and models rerun once per resample all read the counts from one
      generator (:func:`bootstrap_resamples`); a per-resample model seed comes from
      a second stream, so a sampler cannot shift the counts of later resamples.
    - **Huge counts.** numpy draws Poisson means only up to about 9.2e18, and its
      draws are too spread from about 1e14 (sd 1.005 sqrt(m) at 1e14 and 1.02
      sqrt(m) at 1e15 on 200,000 draws);
      multinomial totals must fit int64. A path count ``m`` above ``M = 2^40``
      (about 1.1e12) is drawn as ``m + (x - M) * sqrt(m / M)`` with ``x``
      Poisson(M): mean ``m``, variance ``m``, the normal approximation of
      Poisson(m), whose skewness ``m^-1/2`` is below 1e-6 there. A multinomial of
      ``N > 2^53`` journeys is scaled the same way from one of ``2^53`` journeys
      (mean ``N p``, covariance ``N (diag p - p p^T)``, total ``N``).
    - **Cost.** Rule models with a per-touch weight kernel (first, last,
      linear, linear_unique, last_non_direct, time decay): one sparse product,
      ``O(n_resamples * (paths + nnz))``. ``markov`` with removal credit at a fixed
      order (chains up to 1000 states): each resample's chain comes from a
      paths x transitions design matrix (the chain's counts are linear in the path
      counts) and all resamples are solved exactly in dense batches (one inverse per
      resample, a Schur-complement solve per channel, as ``bayesian_markov``).
      Other models run once per resample on the reweighted paths (a Python loop
      over resamples, never over journeys).

    References
    ----------
    .. [1] Efron and Tibshirani (1993), An Introduction to the Bootstrap, ch. 13.
    .. [2] Hanley and MacGibbon (2006), Poisson bootstrap.

    Examples
    --------
    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["A", "B"], ["B"]], conversions=[30, 10], nulls=[70, 90])
    >>> r = bootstrap(j, model="last_touch", n_resamples=200, seed=1)
    >>> r.conversions.tolist()
    [0.0, 40.0]
    >>> r.draws["conversions"].shape
    (1, 200, 2)
    >>> r.label
    'last_touch (bootstrap)'
    """
    spec = get_model(model)
    n_resamples = check_integer("n_resamples", n_resamples, low=2, high=10**7)
    seed = check_seed(seed)
    ci_prob = check_probability("ci_prob", ci_prob)
    if resampling not in _RESAMPLING:
        raise ModelError(f"resampling must be one of {list(_RESAMPLING)}, got {resampling!r}")
    check_has_paths(journeys)
    allowed = spec.parameters()
    if "draws" in allowed:  # a Bayesian model: its parameters name its posterior draws
        raise ModelError(
            f"model {model!r} samples its own posterior; its intervals need no bootstrap"
        )
    model_seeded = "seed" in allowed
    point = attribute(journeys, model=model, **dict(params))
    for name, value in list(params.items()):
        if name in _CONSTRAINTS:
            params[name] = _CONSTRAINTS[name](name, value)

    conv = journeys.conversions
    nulls = journeys.null_counts()
    _check_multinomial(conv, nulls, resampling)
    stream = _Resamples(journeys, n_resamples, seed, resampling)
    model_seeds = stream.model_seeds() if model_seeded else None
    weights_kernel = spec.weights
    fast = weights_kernel is not None and spec.additive
    if fast:
        fractions = _path_fractions(journeys, weights_kernel(journeys, **params))
    design = _markov_design(journeys, model, params) if _VECTORISE_MARKOV else None
    n_paths = journeys.n_paths
    # lists of per-chunk arrays, concatenated into arrays below
    credit_c: Any = []
    credit_v: Any = []
    totals_c: Any = []
    totals_v: Any = []
    removal: list = []
    has_value = journeys.has_value
    mean_value = np.divide(journeys.value_counts(), conv, out=np.zeros(n_paths), where=conv > 0)
    for lo, c_b, n_b in stream.chunks():
        k = len(c_b)
        v_b: Any = c_b * mean_value if has_value else None
        if design is not None:
            tc = c_b.sum(axis=1)
            tv: Any = v_b.sum(axis=1) if has_value else None
            share_b, vshare_b, eff_b = _markov_resamples(design, c_b, n_b, v_b)
            credit_c.append(share_b * tc[:, None])
            totals_c.append(tc)
            if has_value:
                credit_v.append(vshare_b * tv[:, None])
                totals_v.append(tv)
            removal.extend(eff_b)
            continue
        if fast:
            credit_c.append(np.asarray(fractions.T @ c_b.T).T)
            if has_value:
                credit_v.append(np.asarray(fractions.T @ v_b.T).T)
            totals_c.append(c_b.sum(axis=1))
            if has_value:
                totals_v.append(v_b.sum(axis=1))
            continue
        for b in range(k):
            tc = float(c_b[b].sum())
            totals_c.append([tc])
            if has_value:
                totals_v.append([float(v_b[b].sum())])
            if tc <= 0:  # dropped below; nothing to attribute
                credit_c.append(np.zeros((1, journeys.n_channels)))
                if has_value:
                    credit_v.append(np.zeros((1, journeys.n_channels)))
                removal.append(None)
                continue
            jb = journeys.replace(
                conversions=c_b[b],
                nulls=n_b[b] if journeys.has_nulls else None,
                value=v_b[b] if has_value else None,
            )
            run_params = dict(params)
            if model_seeds is not None:
                run_params["seed"] = int(model_seeds[lo + b])
            rb = spec.function(jb, **run_params)
            credit_c.append(rb.conversions[None])
            if has_value:
                credit_v.append(
                    (rb.value if rb.value is not None else np.zeros(journeys.n_channels))[None]
                )
            eff = rb.extras.get("removal_effects")
            removal.append(None if eff is None else np.array([eff[c] for c in rb.channels]))

    credit_c = np.concatenate(credit_c)
    totals_c = np.concatenate([np.ravel(t) for t in totals_c])
    keep = totals_c > 0
    dropped = int((~keep).sum())
    if dropped * 2 > n_resamples:
        raise ModelError(
            f"{dropped} of {n_resamples} resamples have no conversion: too few conversions "
            f"({journeys.total_conversions:g}) to bootstrap"
        )
    share = credit_c[keep] / totals_c[keep, None]
    draws = {
        "conversions": (share * journeys.total_conversions)[None],
        "share": share[None],
    }
    if has_value:
        credit_v = np.concatenate(credit_v)[keep]
        totals_v = np.concatenate([np.ravel(t) for t in totals_v])[keep]
        scale = np.divide(
            float(journeys.total_value or 0.0),
            totals_v,
            out=np.zeros_like(totals_v),
            where=totals_v > 0,
        )
        draws["value"] = (credit_v * scale[:, None])[None]
    if removal and all(e is not None for e, k in zip(removal, keep, strict=True) if k):
        draws["removal_effect"] = np.array([e for e, k in zip(removal, keep, strict=True) if k])[
            None
        ]

    points = {"conversions": point.conversions, "share": point.share}
    if has_value and point.value is not None:
        points["value"] = point.value
    else:
        draws.pop("value", None)
    eff = point.extras.get("removal_effects")
    if "removal_effect" in draws and isinstance(eff, dict):
        points["removal_effect"] = np.array([eff[c] for c in point.channels])
    q = [(1 - ci_prob) / 2, (1 + ci_prob) / 2]
    lower, upper, widened = {}, {}, {}
    for metric, d in draws.items():
        lo_b, hi_b = np.quantile(d[0], q, axis=0)
        p = points.get(metric)
        if p is not None:
            out = np.flatnonzero((p < lo_b) | (p > hi_b))
            if len(out):
                widened[metric] = [point.channels[i] for i in out]
            lo_b, hi_b = np.minimum(lo_b, p), np.maximum(hi_b, p)
        lower[metric], upper[metric] = lo_b, hi_b
    if widened:
        names = sorted({c for cs in widened.values() for c in cs})
        warnings.warn(
            f"{point.label}: the plug-in credit of {names} lies outside its "
            f"{ci_prob:g} bootstrap interval (widened to include it); the bootstrap "
            "distribution is off-centre there, so do not trust that interval",
            BootstrapWarning,
            stacklevel=2,
        )
    extras = dict(point.extras)
    extras["bootstrap"] = {
        "n_resamples": n_resamples,
        "resampling": resampling,
        "seed": seed if isinstance(seed, int | None) else repr(seed),
        "dropped": dropped,
        "widened": widened,
        "vectorised": fast or design is not None,
    }
    extras["resamples"] = {
        "scheme": resampling,
        "seed": extras["bootstrap"]["seed"],
        "n": n_resamples,
        "dropped": dropped,
        "fingerprint": stream.fingerprint,
    }
    return point.replace(
        draws=draws,
        lower=lower,
        upper=upper,
        ci_prob=ci_prob,
        ci_kind="eti",
        extras=extras,
        label=f"{point.label} (bootstrap)",
    )


def bootstrap_resamples(
    journeys: Journeys,
    n_resamples: int = 1000,
    *,
    seed=0,
    resampling: str = "poisson",
):
    """The resampled path counts :func:`bootstrap` uses, for every model alike.

    Resample ``b`` of :func:`bootstrap` (before resamples without a conversion are
    dropped) is row ``b`` here, whatever the model and however it is computed
    (vectorised or rerun per resample): the counts are a deterministic function of
    the journeys' counts in row order, ``n_resamples``, ``seed`` and ``resampling``.
    That is what makes bootstrap results of several models comparable resample by
    resample (paired), as :func:`pathcredit.compare` does.

    Parameters
    ----------
    journeys : Journeys
    n_resamples : int, default 1000
    seed : None, int or numpy Generator, default 0
        As for :func:`bootstrap` (a Generator is advanced by the draws).
    resampling : {"poisson", "multinomial"}, default ``"poisson"``

    Returns
    -------
    conversions, nulls : numpy arrays of shape ``(n_resamples, journeys.n_paths)``
        The resampled conversions and nulls per path (nulls all zero for journeys
        without a null column, as :func:`bootstrap` treats them).

    Notes
    -----
    The counts are drawn from ``numpy.random.default_rng(seed)`` in blocks of
    resamples (conversions then nulls per block, the block size set by the number of
    paths only); the Poisson scheme draws Poisson(count) per path and cell, the
    multinomial one draws the observed number of journeys over the paths' cells.
    Huge counts use the normal approximation described in :func:`bootstrap`.

    Examples
    --------
    >>> from pathcredit import Journeys, bootstrap
    >>> j = Journeys.from_paths([["A", "B"], ["B"]], conversions=[30, 10], nulls=[70, 90])
    >>> conv, nulls = bootstrap_resamples(j, 200, seed=1)
    >>> conv.shape
    (200, 2)
    >>> r = bootstrap(j, model="first_touch", n_resamples=200, seed=1)  # A: path 0's share
    >>> bool(np.allclose(r.draws["share"][0, :, 0], conv[:, 0] / conv.sum(axis=1)))
    True
    """
    n_resamples = check_integer("n_resamples", n_resamples, low=1, high=10**7)
    seed = check_seed(seed)
    if resampling not in _RESAMPLING:
        raise ModelError(f"resampling must be one of {list(_RESAMPLING)}, got {resampling!r}")
    check_has_paths(journeys)
    conv = journeys.conversions
    nulls = journeys.null_counts()
    _check_multinomial(conv, nulls, resampling)
    parts = list(_Resamples(journeys, n_resamples, seed, resampling).chunks())
    return (
        np.concatenate([c for _, c, _ in parts]),
        np.concatenate([z for _, _, z in parts]),
    )


def _check_multinomial(conv, nulls, resampling) -> None:
    if resampling == "multinomial":
        counts = np.concatenate([conv, nulls])
        if np.any(counts != np.round(counts)):
            raise ModelError(
                "resampling='multinomial' needs whole numbers of journeys; these counts are "
                "fractional: use resampling='poisson'"
            )


class _Resamples:
    """The one source of resampled counts of a bootstrap: blocks of ``(conversions, nulls)``.

    Every model's bootstrap reads its counts here, so the resamples depend on the
    journeys, ``n``, the seed and the scheme only. ``fingerprint`` identifies them: a
    hash of the generator's starting state, the scheme, ``n`` and the journeys' paths
    and counts in row order.
    """

    def __init__(self, journeys: Journeys, n: int, seed, resampling: str):
        self.rng = np.random.default_rng(seed)
        self.n = n
        self.resampling = resampling
        self.conv = journeys.conversions
        self.nulls = journeys.null_counts()
        self.has_nulls = journeys.has_nulls
        n_paths = journeys.n_paths
        self.chunk = max(1, min(n, _CHUNK_CELLS // max(2 * n_paths, 1)))
        h = hashlib.sha256()
        h.update(repr(self.rng.bit_generator.state).encode())
        h.update(f"{resampling}|{n}|{n_paths}|{self.has_nulls}|".encode())
        h.update("\x1f".join(journeys.channels).encode("utf-8"))
        for a in (journeys.path_index, journeys.touches, self.conv, self.nulls):
            h.update(np.ascontiguousarray(a).tobytes())
        self.digest = h.digest()
        self.fingerprint = h.hexdigest()[:16]

    def model_seeds(self) -> np.ndarray:
        """One seed per resample for models that sample, from a stream of their own."""
        entropy = int.from_bytes(self.digest[:16], "little")
        return np.random.default_rng([entropy, 1]).integers(2**63, size=self.n)

    def chunks(self):
        """``(first resample index, conversions, nulls)`` per block, shapes ``(k, paths)``."""
        for lo in range(0, self.n, self.chunk):
            k = min(self.chunk, self.n - lo)
            c, z = _resample(self.rng, self.conv, self.nulls, k, self.resampling, self.has_nulls)
            yield lo, c, z


def _poisson(rng, lam: np.ndarray, k: int) -> np.ndarray:
    """``k`` rows of Poisson(lam) draws; means above 2^53 by the normal approximation."""
    big = lam > _POISSON_MAX
    if not big.any():
        return rng.poisson(np.broadcast_to(lam, (k, len(lam)))).astype(np.float64)
    x = rng.poisson(np.broadcast_to(np.where(big, _POISSON_MAX, lam), (k, len(lam))))
    x = x.astype(np.float64)
    scale = np.sqrt(lam[big] / _POISSON_MAX)
    x[:, big] = lam[big] + (x[:, big] - _POISSON_MAX) * scale
    return x


def _resample(rng, conv, nulls, k, resampling, has_nulls):
    """``k`` resampled ``(conversions, nulls)`` count arrays, shape ``(k, paths)`` each."""
    n = len(conv)
    if resampling == "poisson":
        c = _poisson(rng, conv, k)
        z = _poisson(rng, nulls, k) if has_nulls else np.zeros((k, n))
        return c, z
    cells = np.concatenate([conv, nulls])
    total = float(cells.sum())
    p = cells / total
    if total <= _MULTINOMIAL_MAX:
        draw = rng.multinomial(int(round(total)), p, size=k).astype(np.float64)
    else:  # scaled from a multinomial of 2^53 journeys: same mean and covariance
        small = rng.multinomial(int(_MULTINOMIAL_MAX), p, size=k).astype(np.float64)
        draw = total * p + (small - _MULTINOMIAL_MAX * p) * np.sqrt(total / _MULTINOMIAL_MAX)
        draw = np.maximum(draw, 0.0)
    return draw[:, :n], draw[:, n:]


def _markov_design(journeys: Journeys, model: str, params: dict):
    """The chain's transitions per path, so any reweighting of the paths gives its chain.

    ``None`` unless the model is ``markov`` with removal credit at a fixed order and a
    chain small enough for dense batched solves. The chain's sufficient statistics are
    linear in the path counts: transition counts ``= W @ T`` (``T``: paths x edges,
    how often each path makes each transition, consecutive repeats merged as in
    :func:`pathcredit.models.markov.fit_chain`), and what leaves each state for
    conversion, null and value is summed over the paths ending there.
    """
    if model != "markov" or params.get("credit", "removal") != "removal":
        return None
    order = params.get("order", 1)
    if isinstance(order, bool) or not isinstance(order, int | np.integer):
        return None  # "auto" or a string: selection per resample needs the model itself
    base = journeys.n_channels + 1
    order = int(order)
    if order * np.log2(base) >= 62:
        return None
    weight = journeys.conversions + journeys.null_counts()
    kept = np.flatnonzero(weight > 0)  # a path without journeys stays empty when resampled
    chain = fit_chain(journeys, order)
    n = chain.n_states
    if n > _MARKOV_DENSE_MAX or n == 0:
        return None
    # the chain's states and every window of every path as base-(channels + 1) codes
    scode = digit_codes(chain.window_digits, base)
    digits, path_of = window_digits(journeys.touches, journeys.offsets, order)
    code = digit_codes(digits, base)
    use = weight[path_of] > 0
    code, path_of = code[use], path_of[use]
    state = np.searchsorted(scode, code)
    if np.any(state >= n) or np.any(scode[np.minimum(state, n - 1)] != code):
        return None  # not the chain's states: leave it to the model
    same = np.zeros(len(state), dtype=bool)
    same[1:] = (state[1:] == state[:-1]) & (path_of[1:] == path_of[:-1])
    state, path_of = state[~same], path_of[~same]
    first = np.ones(len(state), dtype=bool)
    first[1:] = path_of[1:] != path_of[:-1]
    last = np.ones(len(state), dtype=bool)
    last[:-1] = path_of[1:] != path_of[:-1]
    frm = np.where(first, n, np.roll(state, 1))
    key = frm * n + state
    edges, col = np.unique(key, return_inverse=True)
    P = journeys.n_paths
    T = sp.csr_matrix((np.ones(len(key)), (path_of, col.ravel())), shape=(P, len(edges)))
    T.sum_duplicates()
    ends = sp.csr_matrix((np.ones(int(last.sum())), (path_of[last], state[last])), shape=(P, n))
    assert len(np.unique(path_of[last])) == len(kept)
    idx, mask = removal_sets(chain.contains)
    return {"n": n, "T": T.T.tocsr(), "ends": ends.T.tocsr(), "frm": edges // n,
            "to": edges % n, "idx": idx, "mask": mask}  # fmt: skip


def _markov_resamples(design, c_b, n_b, v_b):
    """Shares of conversions and value, and removal effects, of ``markov`` on each resample."""
    n, frm, to = design["n"], design["frm"], design["to"]
    w = c_b + n_b
    flow = np.asarray(design["T"] @ w.T).T  # (k, edges)
    conv = np.asarray(design["ends"] @ c_b.T).T  # (k, n)
    null = np.asarray(design["ends"] @ n_b.T).T
    value = np.asarray(design["ends"] @ v_b.T).T if v_b is not None else np.zeros_like(conv)
    k = len(c_b)
    inner = frm < n
    out = conv + null
    np.add.at(out.T, frm[inner], flow[:, inner].T)
    start_total = flow[:, ~inner].sum(axis=1)
    inv = np.divide(1.0, out, out=np.zeros_like(out), where=out > 0)
    shares, vshares, effs = [], [], []
    batch = max(1, 2**22 // (n * n))
    for lo in range(0, k, batch):
        sl = slice(lo, min(k, lo + batch))
        b = sl.stop - sl.start
        Q = np.zeros((b, n, n))
        Q[:, frm[inner], to[inner]] = flow[sl][:, inner] * inv[sl][:, frm[inner]]
        p0 = np.zeros((b, n))
        st = np.divide(1.0, start_total[sl], out=np.zeros(b), where=start_total[sl] > 0)
        p0[:, to[~inner]] = flow[sl][:, ~inner] * st[:, None]
        r = np.stack([conv[sl] * inv[sl], value[sl] * inv[sl]], axis=2)
        whole, removed = removal_batch(Q, p0, r, design["idx"], design["mask"])
        with np.errstate(invalid="ignore", divide="ignore"):
            eff = np.clip(1.0 - removed[:, :, 0] / whole[:, :1], 0.0, None)
            ev = whole[:, 1:]
            veff = np.where(ev > 0, np.clip(1.0 - removed[:, :, 1] / np.where(ev > 0, ev, 1), 0,
                                            None), 0.0)  # fmt: skip
            s = eff / eff.sum(axis=1, keepdims=True)
            vs = veff / veff.sum(axis=1, keepdims=True)
        shares.append(np.nan_to_num(s))
        vshares.append(np.nan_to_num(vs))
        effs.append(eff)
    return np.concatenate(shares), np.concatenate(vshares), list(np.concatenate(effs))


def _path_fractions(journeys: Journeys, touch_weights: np.ndarray):
    """``(paths, channels)`` sparse matrix: each path's share of credit per channel."""
    m = sp.csr_matrix(
        (touch_weights, (journeys.path_index, journeys.touches)),
        shape=(journeys.n_paths, journeys.n_channels),
    )
    m.sum_duplicates()
    return m
