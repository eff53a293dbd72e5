"""Bayesian Markov-chain attribution: Dirichlet posteriors of the transition rows, exact removal
effects per posterior draw.

Each state's outgoing transition row (next channel window, conversion, null) gets a
Dirichlet prior; with multinomial transition counts the posterior of each row is
again Dirichlet (prior + counts), and the rows are independent, so the posterior is
sampled exactly with gamma variates: no MCMC. Every draw is a complete absorbing
chain, and its conversion probability, removal effects, credited conversions,
value and shares are computed exactly (the same quantities as
:func:`pathcredit.models.markov.markov`, on the same states) [1]_ [2]_.

Priors
------
Order 1: each row is Dirichlet(``prior`` + counts) over the outcomes the chain
allows: every other channel state, conversion, and null (when the data record
non-converting journeys). The start row's outcomes are the states that begin at
least one observed path.

Order ``k >= 2``: the row of window ``(a_1..a_k)`` is shrunk toward its parent, the
order ``k - 1`` row of ``(a_2..a_k)`` (same outcomes: the next channel, conversion,
null), built the same way one order lower, down to order 1 (a hierarchical
Dirichlet back-off, MacKay and Peto 1995 [3]_; parent counts are the children's
counts pooled by suffix). The prior is a generalised Dirichlet centred on the
parent row [4]_, in three conjugate stages: P(conversion) ~ Beta(k1 pi1, k1 (1 -
pi1)), P(null | no conversion) ~ Beta(k2 pi2, k2 (1 - pi2)), next channel given the
journey goes on ~ Dirichlet(k3 pi3), ``pi`` the parent's stages. One concentration
per stage lets the conversion rates back off as much as their own data say, apart
from the next-channel mix (whose many counts would otherwise dominate a single
kappa). The concentrations are one number for every stage (default 1.0: a light
pull toward the parent) or, with ``concentration="auto"``, drawn per draw from
their posterior on a log grid: the Beta- or Dirichlet-multinomial evidence of that
stage and level with the parents at their posterior means (empirical Bayes), flat
in ``log kappa``. ``"auto"`` pools much more; it is calibrated when the higher order
adds little but over-pools when the oldest channel of the window changes the
conversion rate (77% coverage of 90% intervals at order 2 in the simulator's
``markov`` world, against 90% at 1.0; ``benchmarks/bayesian/README.md``). Windows
shorter than ``k`` (paths shorter than the order) only go to conversion or null and
get Dirichlet(``prior`` + counts).

In every draw the parent rows are drawn first, from their own posteriors, and each
child row then from its staged posterior given that parent draw: with large
concentrations the children follow their parent's draw and keep its uncertainty,
with small ones their own counts. (Plugging in the parents' means instead made
the credit far too certain when the concentration is large: 78% coverage of 90%
intervals at order 2.)

Removal effects, batched
------------------------
For each draw, ``G = (I - Q)^-1`` is computed once (one factorisation per draw,
batched over draws). Removing the set ``S`` of states that contain a channel sends
every edge into ``S`` to null; with ``x = G r`` the absorption values and
``u = p0 G`` the expected visits, the Schur complement gives

    P(conversion | S removed) = P(conversion) - u_S (G_SS)^-1 x_S,

so every channel's removal needs only a solve with its ``|S| x |S|`` block of
``G``: all channels and draws go through one batched solve (blocks padded to the
largest ``|S|`` with the identity). At order 1, ``|S| = 1`` and this is the
first-passage formula ``visits(c) * x_c / G_cc`` (Anderl et al. 2016).

References
----------
.. [1] Anderl, E., Becker, I., von Wangenheim, F. and Schumann, J. H. (2016). Mapping the
   customer journey: Lessons learned from graph-based online attribution modeling.
   International Journal of Research in Marketing 33(3), 457-474.
.. [2] Heck, D. W., Overstall, A. M., Gronau, Q. F. and Wagenmakers, E.-J. (2019).
   Quantifying uncertainty in transdimensional Markov chain Monte Carlo using discrete
   Markov models. Statistics and Computing 29, 631-643 (Dirichlet posteriors of
   transition rows, functionals computed per draw).
.. [3] MacKay, D. J. C. and Peto, L. C. B. (1995). A hierarchical Dirichlet language
   model. Natural Language Engineering 1(3), 289-308.
.. [4] Connor, R. J. and Mosimann, J. E. (1969). Concepts of independence for proportions
   with a generalization of the Dirichlet distribution. JASA 64(325), 194-206.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import gammaln

from ..._absorbing import removal_batch, removal_sets
from ..._params import check_integer, check_probability, check_real, check_seed
from ..._stats import CI_PROB, posterior_summary
from ...exceptions import InternalError, ModelError
from ...journeys import Journeys
from ...results import AttributionResult
from .._credit import build_result
from ..markov.chain import fit_chain

__all__ = ["bayesian_markov"]

#: Float64 entries per batch of dense (draws x states x states) matrices (32 MiB).
_BATCH_CELLS = 2**22
#: Largest chain sampled (dense inverse per draw, O(states^3)).
_MAX_STATES = 6000
_CONV, _NULL = -1, -2
#: Range and grid size of the concentrations' posterior (flat on the log scale).
_KAPPA_RANGE = (1e-2, 1e8)
_KAPPA_GRID = 121


def bayesian_markov(
    journeys: Journeys,
    order: int = 1,
    *,
    draws: int = 1000,
    prior: float = 0.5,
    concentration: float | str = 1.0,
    ci_prob: float = CI_PROB,
    seed=0,
) -> AttributionResult:
    """Markov-chain attribution with a posterior: Dirichlet transition rows, exact removal
    effects per draw.

    Parameters
    ----------
    journeys : Journeys
    order : int, default 1
        Window length (ChannelAttribution's states, as :func:`pathcredit.models.markov.markov`).
    draws : int, default 1000
        Posterior draws (independent: no chains, no burn-in).
    prior : float, default 0.5
        Dirichlet pseudo-count of every allowed outcome of a row at order 1, of the
        start row, and of the order-1 parents at higher orders (0.5: Jeffreys'
        prior of a multinomial).
    concentration : float or ``"auto"``, default 1.0
        At order >= 2, the weight (in pseudo-journeys) of the parent row in each
        child's prior, for every stage. ``"auto"``: one per stage (conversion, null,
        next channel) and order level, drawn per draw from its evidence posterior
        (empirical Bayes over a log grid; medians in ``extras["concentration"]``).
        ``"auto"`` pools far more and gives narrower intervals, calibrated when the
        higher-order structure is weak (89% coverage of 90% intervals on first-order
        data at order 2) but over-pooled when the earlier channels change the
        conversion rates (77% in the simulator's ``markov`` world at order 2, whose
        assist effects live in the oldest channel of the window, exactly what the
        back-off drops). The default 1.0 is a light pull toward the parent, calibrated
        in both worlds (``benchmarks/bayesian/README.md``).
    ci_prob : float, default 0.9
        Probability mass of the highest-density intervals.
    seed : None, int or numpy Generator, default 0

    Returns
    -------
    AttributionResult
        ``conversions`` and ``value``: posterior means; ``lower``/``upper``:
        their highest-density intervals (``ci_kind="hdi"``); ``draws`` (1 chain) of
        ``conversions``, ``share``, ``removal_effect`` and ``value`` (with value).
        ``extras``: ``conversion_probability`` and ``removal_effects`` (posterior
        means), their posterior sds (``conversion_probability_sd``,
        ``removal_effects_sd``), ``expected_value`` and ``value_removal_effects``
        (with value), ``order``, ``n_states``, ``prior``, ``concentration`` (dict
        order -> {stage: concentration} at order >= 2), ``widened`` (below).

    Raises
    ------
    ModelError
        A bad parameter, no conversions, or a chain too large to sample
        (more than 6000 states: use a lower order).

    Notes
    -----
    The point estimate is the posterior mean, so shares sum to one. The
    highest-density interval of a strongly skewed posterior can exclude the
    mean; it is then widened to reach it and the metric and channels are listed
    in ``extras["widened"]``.

    Value: leaving a state for conversion earns that state's observed mean value per
    conversion (the mean over all conversions for a state that never converted),
    as in the exact model; the value removal effects are computed per draw.

    Cost: ``O(draws * (edges + states^3 + channels * s^3))``, ``s`` the largest
    number of states containing one channel (1 at order 1, about ``2 * channels``
    at order 2). Memory is bounded by batching the draws.

    References
    ----------
    .. [1] Anderl et al. (2016), IJRM 33(3).
    .. [2] Heck et al. (2019), Statistics and Computing 29.
    .. [3] MacKay and Peto (1995), Natural Language Engineering 1(3).

    Examples
    --------
    With many journeys the posterior concentrates on the exact removal-effect credit
    (ChannelAttribution's example scaled up 1000 times: 200, 400, 400).

    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["C1", "C2", "C3"], ["C1"], ["C2", "C3"]],
    ...                         conversions=[1000, 0, 0], nulls=[0, 1000, 1000])
    >>> r = bayesian_markov(j, draws=400, seed=1)
    >>> [round(c, -1) for c in r.conversions.tolist()]
    [200.0, 400.0, 400.0]
    >>> r.draws["share"].shape
    (1, 400, 3)
    """
    order = check_integer("order", order, low=1, high=32)
    draws = check_integer("draws", draws, low=2, high=10**7)
    # pseudo-counts beyond 1e9 swamp any data and overflow the gamma sums
    prior = check_real("prior", prior, low=0, high=1e9, low_open=True)
    if not (isinstance(concentration, str) and concentration == "auto"):
        concentration = check_real("concentration", concentration, low=0, high=1e9, low_open=True)
    ci_prob = check_probability("ci_prob", ci_prob)
    seed = check_seed(seed)
    if journeys.total_conversions <= 0:
        raise ModelError("the journeys have no conversions: removal effects are undefined")
    chain = fit_chain(journeys, order)
    if chain.n_states > _MAX_STATES:
        raise ModelError(
            f"bayesian_markov samples a dense chain per draw; order {order} has "
            f"{chain.n_states} states (at most {_MAX_STATES}): use a lower order"
        )
    post = _posterior(chain, journeys.has_nulls, prior, concentration)
    rng = np.random.default_rng(seed)
    vbar = _value_per_conversion(chain, journeys)
    s = _sample(post, chain.contains, vbar, rng, draws)

    n = len(journeys.channels)
    T, TV = journeys.total_conversions, journeys.total_value
    eff = s["eff"]
    share = eff / eff.sum(axis=1, keepdims=True)
    sampled = {
        "conversions": share * T,
        "share": share,
        "removal_effect": eff,
    }
    if journeys.has_value:
        veff = s["veff"]
        vsum = veff.sum(axis=1, keepdims=True)
        sampled["value"] = np.divide(veff * TV, vsum, out=np.zeros_like(veff), where=vsum > 0)
    # HDI bounds of the credited metrics and the shares; removal effects are in the draws
    means, lower, upper, widened = posterior_summary(sampled, journeys.channels, ci_prob)
    channels = journeys.channels
    extras = {
        "conversion_probability": float(s["p"].mean()),
        "conversion_probability_sd": float(s["p"].std()),
        "removal_effects": dict(zip(channels, means["removal_effect"].tolist(), strict=True)),
        "removal_effects_sd": dict(zip(channels, eff.std(axis=0).tolist(), strict=True)),
    }
    if journeys.has_value:
        extras["expected_value"] = float(s["ev"].mean())
        extras["value_removal_effects"] = dict(
            zip(channels, s["veff"].mean(axis=0).tolist(), strict=True)
        )
    extras.update(
        order=order,
        n_states=chain.n_states,
        prior=prior,
        concentration={
            int(k): {stage: float(x) for stage, x in v.items()} for k, v in post.kappa.items()
        },
        widened=widened,
        chain=chain,
    )
    params = dict(order=order, draws=draws, prior=prior, concentration=concentration,
                  ci_prob=ci_prob, seed=seed)  # fmt: skip
    assert len(means["conversions"]) == n
    return build_result(
        journeys,
        "bayesian_markov",
        params,
        means["conversions"],
        means.get("value"),
        extras=extras,
        channels=channels,
        draws={k: v[None] for k, v in sampled.items()},
        lower=lower,
        upper=upper,
        ci_prob=ci_prob,
        ci_kind="hdi",
    )


# ---------------------------------------------------------------------- the posterior
@dataclass
class _Posterior:
    """Dirichlet rows as a flat edge list sorted by row (row ``n`` is start).

    ``alpha`` holds each edge's Dirichlet parameter (counts + prior) on the rows that
    are not shrunk. Shrunk rows (full windows at order >= 2) are drawn per draw by
    :meth:`hier_draws` from the staged posteriors of ``levels`` and ``top``.
    """

    n: int
    row: np.ndarray  # (E,) source row, 0..n
    target: np.ndarray  # (E,) target state, or _CONV / _NULL
    count: np.ndarray  # (E,) observed transitions
    alpha: np.ndarray  # (E,) fixed part of the posterior Dirichlet parameter
    kappa: dict  # order -> concentration used
    prior: float = 0.5
    hier: np.ndarray | None = None  # (E,) bool: edge of a shrunk row
    hier_pos: np.ndarray | None = None  # index of the edge's row among the shrunk rows
    hier_symbol: np.ndarray | None = None  # outcome symbol of the edge
    levels: list | None = None  # parent levels 1 .. k - 1
    top: dict | None = None  # the states' own level

    def hier_draws(self, rng, b: int):
        """``(b, shrunk edges)``: probabilities of the shrunk rows' edges, per draw.

        Level 1 rows are drawn from Dirichlet(prior + pooled counts); every higher level
        and then the states' rows from the staged posterior toward their parent's draw.
        """
        assert self.levels is not None and self.top is not None  # set for order >= 2
        m: Any = None
        for j, lv in enumerate(self.levels):
            if j == 0:
                g = rng.standard_gamma(lv["N"][None] + self.prior, size=(b, *lv["N"].shape))
                m = g / g.sum(axis=2, keepdims=True)
            else:
                m = _staged_draw(rng, lv, m[:, lv["parent"], :])
        top = self.top
        P = _staged_draw(rng, top, m[:, top["parent"], :])
        return P[:, self.hier_pos, self.hier_symbol]


def _windows(chain) -> np.ndarray:
    """``(states, order)`` channel codes of each state's window, -1 after a short window."""
    return chain.window_digits - 1


def _posterior(chain, has_nulls: bool, prior: float, concentration) -> _Posterior:
    """Edges of every row (allowed outcomes), their counts and posterior Dirichlet parameters."""
    n, k, C = chain.n_states, chain.order, chain.n_channels
    win = _windows(chain)
    full = win[:, k - 1] >= 0
    # allowed state -> state edges: a full window shifts by one channel into an observed state
    by_prefix: dict[tuple, list[int]] = {}
    for t in np.flatnonzero(full):
        by_prefix.setdefault(tuple(win[t, :-1].tolist()), []).append(int(t))
    rows: Any = []
    targets: Any = []
    for s in np.flatnonzero(full):
        for nxt in by_prefix.get(tuple(win[s, 1:].tolist()), ()):
            if nxt != s:
                rows.append(int(s))
                targets.append(nxt)
    rows = np.asarray(rows, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    counts = chain.counts.tocsr()
    observed = float(counts[:n].sum())
    c_state = np.asarray(counts[rows, targets]).ravel() if len(rows) else np.zeros(0)
    if not np.isclose(c_state.sum(), observed, rtol=1e-12, atol=1e-9):
        raise InternalError("an observed transition is outside the allowed edges")
    # start edges: the observed first windows
    start = counts[n].tocoo()
    absorbing = [(_CONV, chain.conv_counts)] + ([(_NULL, chain.null_counts)] if has_nulls else [])
    all_rows: list[Any] = [rows, np.full(len(start.col), n)] + [np.arange(n) for _ in absorbing]
    all_targets: list[Any] = [targets, start.col.astype(np.int64)] + [
        np.full(n, a) for a, _ in absorbing
    ]
    all_counts: list[Any] = [c_state, start.data.astype(np.float64)] + [
        np.asarray(w, float) for _, w in absorbing
    ]
    row = np.concatenate(all_rows)
    target = np.concatenate(all_targets)
    count = np.concatenate(all_counts)
    order_ = np.lexsort((target, row))
    row, target, count = row[order_], target[order_], count[order_]
    # symbol of each edge: next channel, conversion (C) or null (C + 1)
    last = win[np.arange(n), np.maximum((win >= 0).sum(axis=1) - 1, 0)]
    symbol = np.where(
        target == _CONV, C, np.where(target == _NULL, C + 1, last[np.maximum(target, 0)])
    )
    hier = (row < n) & full[np.minimum(row, n - 1)] if k >= 2 else np.zeros(len(row), bool)
    # shrunk rows get a dummy parameter here (their edges are drawn by hier_draws)
    post = _Posterior(n, row, target, count, np.where(hier, 1.0, count + prior), {}, prior)
    if k >= 2 and hier.any():
        post.hier = hier
        post.hier_pos, post.hier_symbol, post.levels, post.top, post.kappa = _back_off(
            win, full, row[hier], symbol[hier], count[hier], C, has_nulls, prior, concentration
        )
    return post


def _back_off(win, full, row, symbol, count, C, has_nulls, prior, concentration):
    """The staged back-off of the full-window rows at order ``k >= 2``.

    Returns ``(pos, symbol, levels, top, kappa)``: each shrunk edge's row among the
    shrunk rows and its symbol; the parent levels ``j = 1 .. k - 1`` (pooled counts of
    each ``j``-suffix, its parent group, the stage concentrations) and the states'
    own level ``top``; ``kappa`` as order -> {stage: concentration}. Concentrations are
    chosen with the parents at their posterior means (empirical Bayes).
    """
    k = win.shape[1]
    A = C + 2
    states = np.flatnonzero(full)
    groups = {}
    for j in range(1, k):  # level-j groups of the full states: their last j channels
        _, g = np.unique(win[states, k - j :], axis=0, return_inverse=True)
        groups[j] = np.full(len(win), -1)
        groups[j][states] = g.ravel()
    kappa: dict[int, dict[str, float]] = {}
    levels = []
    m_prev = None
    every = np.ones(A, dtype=bool)
    every[C + 1] = has_nulls
    for j in range(1, k):
        g = groups[j][row]
        G = int(groups[j].max()) + 1
        N = np.zeros((G, A))
        np.add.at(N, (g, symbol), count)
        if j == 1:
            lv = {"N": N}
            m = (N + prior) * every / ((N + prior) * every).sum(axis=1, keepdims=True)
        else:
            parent = np.zeros(G, dtype=np.int64)
            parent[groups[j][states]] = groups[j - 1][states]
            lv = _staged_level(N, np.broadcast_to(every, N.shape), parent, m_prev, concentration)
            kappa[j] = lv["kappa"]
            m = lv["mean"]
        levels.append(lv)
        m_prev = m
    # the states' own rows, over their allowed outcomes
    pos_of = np.full(len(win), -1)
    pos_of[states] = np.arange(len(states))
    pos = pos_of[row]
    N = np.zeros((len(states), A))
    allowed = np.zeros((len(states), A), dtype=bool)
    np.add.at(N, (pos, symbol), count)
    allowed[pos, symbol] = True
    top = _staged_level(N, allowed, groups[k - 1][states], m_prev, concentration)
    kappa[k] = top["kappa"]
    return pos, symbol, levels, top, kappa


def _stages(P, allowed):
    """Stage probabilities of rows over (channels..., conversion, null) restricted to ``allowed``.

    ``(conv, null, next)``: P(conversion), P(null | no conversion), and the next-channel
    distribution given the journey goes on (a generalised Dirichlet's stick-breaking).
    """
    C = P.shape[-1] - 2
    P = P * allowed
    nxt = P[..., :C]
    tn = nxt.sum(axis=-1)
    total = tn + P[..., C] + P[..., C + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        conv = np.where(total > 0, P[..., C] / total, 0.0)
        null = np.where(tn + P[..., C + 1] > 0, P[..., C + 1] / (tn + P[..., C + 1]), 0.0)
        nxt = np.where(tn[..., None] > 0, nxt / tn[..., None], 0.0)
    return conv, null, nxt


def _staged_level(N, allowed, parent, m_parent, concentration):
    """One level of shrunk rows: counts, allowed outcomes, parent, stage concentrations, mean.

    Each row's prior is a generalised Dirichlet centred on its parent row: conversion
    ~ Beta(k1 pi1, k1 (1 - pi1)), null given no conversion ~ Beta(k2 pi2, k2 (1 - pi2)),
    next channel given going on ~ Dirichlet(k3 pi3), so the conversion rate, the exit
    rate and the next-channel mix each borrow from the parent as much as the data say
    (one concentration per stage and level); conjugate, so the posterior adds the
    counts stage by stage (Connor and Mosimann 1969).
    """
    C = N.shape[1] - 2
    N = N * allowed
    n_conv, n_null, n_next = N[:, C], N[:, C + 1], N[:, :C]
    stage_counts = {
        "conversion": np.stack([n_conv, n_null + n_next.sum(axis=1)], axis=1),
        "null": np.stack([n_null, n_next.sum(axis=1)], axis=1),
        "next": n_next,
    }
    pi = _stages(m_parent[parent], allowed)
    bases = {
        "conversion": np.stack([pi[0], 1 - pi[0]], axis=1),
        "null": np.stack([pi[1], 1 - pi[1]], axis=1),
        "next": pi[2],
    }
    kappa, grids = {}, {}
    for stage, cnt in stage_counts.items():
        if stage == "null" and not allowed[:, C + 1].any():
            kappa[stage] = 1.0
            continue
        if concentration != "auto":
            kappa[stage] = float(concentration)
            continue
        rows = np.repeat(np.arange(len(cnt)), cnt.shape[1])
        grids[stage] = _evidence_grid(rows, cnt.ravel(), bases[stage].ravel())
        ks, w = grids[stage]
        kappa[stage] = float(ks[min(np.searchsorted(np.cumsum(w), 0.5), len(w) - 1)])
    lv = {"counts": stage_counts, "allowed": allowed, "parent": parent, "kappa": kappa,
          "grids": grids}  # fmt: skip
    post_mean = {
        s: (kappa[s] * bases[s] + stage_counts[s])
        / (kappa[s] + stage_counts[s].sum(axis=1, keepdims=True)).clip(1e-300)
        for s in stage_counts
    }
    lv["mean"] = _compose(post_mean["conversion"][:, 0], post_mean["null"][:, 0],
                          post_mean["next"], allowed)  # fmt: skip
    return lv


def _compose(conv, null, nxt, allowed):
    """Row probabilities over (channels..., conversion, null) from the stage probabilities."""
    C = nxt.shape[-1]
    has_null = allowed[..., C + 1]
    null = np.where(has_null, null, 0.0)
    P = np.empty((*nxt.shape[:-1], C + 2))
    P[..., C] = conv
    P[..., C + 1] = (1 - conv) * null
    P[..., :C] = ((1 - conv) * (1 - null))[..., None] * nxt
    return P


def _staged_draw(rng, lv, m_parent):
    """Draws ``(b, rows, symbols)`` of a level's rows given their parents' draws."""
    allowed = lv["allowed"]
    conv_pi, null_pi, next_pi = _stages(m_parent, allowed)
    cnt = lv["counts"]
    b = m_parent.shape[0]
    kap = {}
    for stage, k in lv["kappa"].items():  # per draw, from the concentration's posterior
        if stage in lv["grids"]:
            ks, w = lv["grids"][stage]
            k = ks[rng.choice(len(ks), size=b, p=w)][:, None]
        kap[stage] = k

    def beta(pi, k, c):
        a = rng.standard_gamma(k * pi + c[:, 0])
        z = rng.standard_gamma(k * (1 - pi) + c[:, 1])
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(a + z > 0, a / (a + z), pi)

    conv = beta(conv_pi, kap["conversion"], cnt["conversion"])
    null = beta(null_pi, kap["null"], cnt["null"])
    k_next = kap["next"][..., None] if np.ndim(kap["next"]) else kap["next"]
    g = rng.standard_gamma(k_next * next_pi + cnt["next"])
    tot = g.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        nxt = np.where(tot > 0, g / tot, next_pi)
    return _compose(
        conv, null, nxt, np.broadcast_to(allowed, nxt.shape[:-1] + (allowed.shape[-1],))
    )


def _evidence_grid(row, count, base):
    """Posterior of the concentration on a log grid: ``(kappas, weights)``.

    ``log p(n | kappa) = sum_rows [lgamma(kappa) - lgamma(kappa + N_r)]
    + sum_entries [lgamma(kappa b + n) - lgamma(kappa b)]`` (the Dirichlet-multinomial
    evidence; multinomial coefficients dropped), times a flat prior on ``log kappa``
    over ``_KAPPA_RANGE``. When the data cannot tell a large concentration from a
    small one the weights say so, and the draws carry that uncertainty instead of
    committing to the evidence's maximum.
    """
    keep = base > 0
    row, count, base = row[keep], count[keep], base[keep]
    _, r = np.unique(row, return_inverse=True)
    N = np.bincount(r, weights=count)
    N = N[N > 0]
    nz = count > 0
    c, b = count[nz], base[nz]
    kappas = np.exp(np.linspace(*np.log(_KAPPA_RANGE), _KAPPA_GRID))
    logev = np.empty(len(kappas))
    for i, kappa in enumerate(kappas):
        rows = len(N) * gammaln(kappa) - gammaln(kappa + N).sum()
        logev[i] = rows + (gammaln(kappa * b + c) - gammaln(kappa * b)).sum()
    w = np.exp(logev - logev.max())
    return kappas, w / w.sum()


def _evidence_kappa(row, count, base) -> float:
    """Posterior median of the concentration (:func:`_evidence_grid`)."""
    kappas, w = _evidence_grid(row, count, base)
    return float(kappas[min(np.searchsorted(np.cumsum(w), 0.5), len(w) - 1)])


def _value_per_conversion(chain, journeys: Journeys) -> np.ndarray:
    """Mean value of a conversion leaving each state (overall mean where a state never converts)."""
    if not journeys.has_value:
        return np.zeros(chain.n_states)
    overall = (journeys.total_value or 0.0) / journeys.total_conversions
    conv = chain.conv_counts
    return np.divide(chain.value_counts, conv, out=np.full(chain.n_states, overall), where=conv > 0)


# ---------------------------------------------------------------------- sampling and solving
def _sample(post: _Posterior, contains: np.ndarray, vbar: np.ndarray, rng, draws: int):
    """Posterior draws of P(conversion), E(value) and every channel's removal effects."""
    n = post.n
    C = contains.shape[1]
    idx, mask = removal_sets(contains)
    starts = np.flatnonzero(np.r_[True, post.row[1:] != post.row[:-1]])
    edge_row = np.cumsum(np.r_[True, post.row[1:] != post.row[:-1]]) - 1
    st = post.target >= 0
    from_state = st & (post.row < n)
    from_start = post.row == n
    conv_edge = np.full(n, -1)
    conv_edge[post.row[post.target == _CONV]] = np.flatnonzero(post.target == _CONV)
    m = idx.shape[1]
    per_draw = max(n * n, C * m * m, len(post.row))
    batch = max(1, min(draws, _BATCH_CELLS // per_draw))
    out: dict[str, list] = {k: [] for k in ("p", "ev", "eff", "veff")}
    for lo in range(0, draws, batch):
        b = min(batch, draws - lo)
        g = rng.standard_gamma(post.alpha, size=(b, len(post.alpha)))
        sums = np.add.reduceat(g, starts, axis=1)
        prob = g / sums[:, edge_row]
        if post.levels is not None:
            prob[:, post.hier] = post.hier_draws(rng, b)
        Q = np.zeros((b, n, n))
        Q[:, post.row[from_state], post.target[from_state]] = prob[:, from_state]
        p0 = np.zeros((b, n))
        p0[:, post.target[from_start]] = prob[:, from_start]
        r = np.empty((b, n, 2))
        r[:, :, 0] = prob[:, conv_edge]
        r[:, :, 1] = r[:, :, 0] * vbar
        base, removed = removal_batch(Q, p0, r, idx, mask)
        out["p"].append(base[:, 0])
        out["ev"].append(base[:, 1])
        with np.errstate(invalid="ignore", divide="ignore"):
            out["eff"].append(np.clip(1.0 - removed[:, :, 0] / base[:, :1], 0.0, None))
            ev = base[:, 1:]
            veff = np.where(ev > 0, 1.0 - removed[:, :, 1] / np.where(ev > 0, ev, 1.0), 0.0)
            out["veff"].append(np.clip(veff, 0.0, None))
    return {k: np.concatenate(v) for k, v in out.items()}
