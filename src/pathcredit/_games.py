"""Coalitional games on bit masks: subset transforms, the Shapley matrix, the reference.

The one home of the exact Shapley machinery (the Shapley models, the Bayesian
response model's per-draw credit and the simulated worlds' truth all use it); it
is numpy only and imports nothing of the package but its errors.

A game on ``n`` players is an array ``v`` of length ``2 ** n`` with ``v[mask]``
the worth of the coalition whose members are the set bits of ``mask`` (bit ``i``
is player ``i``). Every kernel works on the last axis, so a stack of games of the
same size, shape ``(..., 2 ** n)``, is processed in one call.

The kernels are subset transforms: each is ``n`` vectorised passes over the
table, one per player, pairing every coalition without player ``i`` with the same
coalition plus ``i`` through a reshape ``(..., 2 ** (n - 1 - i), 2, 2 ** i)``.
That is O(n 2^n) arithmetic with no Python loop over coalitions.

For many small games at once (one per journey), :func:`shapley_matrix` gives the
``(2 ** C, C)`` matrix ``W`` with ``phi = V @ W`` (one game per row of ``V``), and
:func:`mask_bits` the members of every coalition. :func:`shapley_reference` is the
permutation definition, slow and obviously correct, for tests and benchmarks.

References
----------
.. [1] Shapley, L. S. (1953). A value for n-person games. In Contributions to the
   Theory of Games II, Annals of Mathematics Studies 28, 307-317.
.. [2] Harsanyi, J. C. (1963). A simplified bargaining model for the n-person
   cooperative game. International Economic Review 4(2), 194-220 (dividends).
.. [3] Grabisch, M., Marichal, J.-L. and Roubens, M. (2000). Equivalent
   representations of set functions. Mathematics of Operations Research 25(2),
   157-178 (zeta and Moebius transforms).
.. [4] Castro, J., Gomez, D. and Tejada, J. (2009). Polynomial calculation of the
   Shapley value based on sampling. Computers & Operations Research 36(5),
   1726-1730 (permutation sampling).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np

from .exceptions import ModelError

__all__ = [
    "n_players",
    "popcount",
    "subset_sum",
    "subset_max",
    "mobius",
    "shapley_values",
    "shapley_from_dividends",
    "sample_shapley",
    "sample_shapley_stack",
    "mask_bits",
    "shapley_matrix",
    "shapley_reference",
]


def n_players(size: int) -> int:
    """``n`` such that ``size == 2 ** n``; a :class:`ModelError` otherwise."""
    n = int(size).bit_length() - 1
    if size < 1 or (1 << n) != size:
        raise ModelError(f"a game table needs 2**n entries, got {size}")
    return n


def popcount(n: int) -> np.ndarray:
    """Coalition sizes: ``popcount(n)[mask]`` is the number of set bits of ``mask``."""
    pc = np.zeros(1 << n, dtype=np.int64)
    for i in range(n):
        pc.reshape(-1, 2, 1 << i)[:, 1, :] += 1
    return pc


def _pairs(x: np.ndarray, i: int):
    """Views of ``x`` at coalitions without and with player ``i``."""
    r = x.reshape(*x.shape[:-1], -1, 2, 1 << i)
    return r[..., 0, :], r[..., 1, :]


def subset_sum(v) -> np.ndarray:
    """Zeta transform: ``out[S] = sum of v[T] over T contained in S``.

    Examples
    --------
    >>> subset_sum([1.0, 2.0, 3.0, 4.0]).tolist()
    [1.0, 3.0, 4.0, 10.0]
    """
    out = np.array(v, dtype=np.float64)
    for i in range(n_players(out.shape[-1])):
        lo, hi = _pairs(out, i)
        hi += lo
    return out


def mobius(v) -> np.ndarray:
    """Moebius transform (inverse of :func:`subset_sum`): the Harsanyi dividends.

    ``out[S] = sum over T in S of (-1) ** (|S| - |T|) v[T]``.

    Examples
    --------
    >>> mobius([1.0, 3.0, 4.0, 10.0]).tolist()
    [1.0, 2.0, 3.0, 4.0]
    """
    out = np.array(v, dtype=np.float64)
    for i in range(n_players(out.shape[-1])):
        lo, hi = _pairs(out, i)
        hi -= lo
    return out


def subset_max(v) -> np.ndarray:
    """Max-zeta transform: ``out[S] = max of v[T] over T contained in S``.

    Examples
    --------
    >>> subset_max([0.0, 5.0, -np.inf, 1.0]).tolist()
    [0.0, 5.0, 0.0, 5.0]
    """
    out = np.array(v, dtype=np.float64)
    for i in range(n_players(out.shape[-1])):
        lo, hi = _pairs(out, i)
        np.maximum(hi, lo, out=hi)
    return out


def _outside_weights(n: int) -> np.ndarray:
    """``w[mask] = |S|! (n - |S| - 1)! / n!`` for every coalition (used where S lacks j)."""
    by_size = np.array([1.0 / (n * math.comb(n - 1, s)) if s < n else 0.0 for s in range(n + 1)])
    return by_size[popcount(n)]


def shapley_values(v) -> np.ndarray:
    """Exact Shapley values of a game given as a bitmask-indexed table.

    Parameters
    ----------
    v : array_like, shape (..., 2 ** n)
        ``v[..., mask]`` is the worth of the coalition of the players whose bits
        are set in ``mask``. Leading axes hold independent games.

    Returns
    -------
    ndarray, shape (..., n)
        ``phi[..., j] = sum over S without j of |S|! (n-|S|-1)! / n! (v(S+j) - v(S))``.
        They sum to ``v(N) - v(empty)`` (efficiency).

    Raises
    ------
    ModelError
        If the last axis is not a power of two.

    Notes
    -----
    For each player ``j`` the marginal contributions ``v(S + j) - v(S)`` of all
    ``2 ** (n - 1)`` coalitions are one vectorised difference of two strided
    views, weighted by the size-dependent Shapley weight: O(n 2^n) time and
    O(2^n) extra memory. Differences are taken before weighting, so a large
    constant in ``v`` does not cancel catastrophically.

    References
    ----------
    .. [1] Shapley, L. S. (1953). A value for n-person games.

    Examples
    --------
    The three-player game v(1)=11, v(2)=6, v(3)=8, v(12)=15, v(13)=17,
    v(23)=11, v(123)=20:

    >>> phi = shapley_values([0, 11, 6, 15, 8, 17, 11, 20])
    >>> phi.round(4).tolist()
    [9.6667, 4.1667, 6.1667]
    """
    v = np.asarray(v, dtype=np.float64)
    n = n_players(v.shape[-1])
    out = np.empty((*v.shape[:-1], n))
    if n == 0:
        return out
    w = _outside_weights(n)
    for j in range(n):
        lo, hi = _pairs(v, j)
        w_lo, _ = _pairs(w, j)
        out[..., j] = ((hi - lo) * w_lo).sum(axis=(-2, -1))
    return out


def shapley_from_dividends(v) -> np.ndarray:
    """Shapley values by a second route: each Harsanyi dividend shared equally.

    ``phi[j] = sum over T containing j of d(T) / |T|`` with ``d = mobius(v)``.
    Exact in exact arithmetic; in floating point the alternating sums of the
    Moebius transform lose digits for large ``n``, so :func:`shapley_values` is
    the default and this one serves as a check.

    Examples
    --------
    >>> shapley_from_dividends([0, 11, 6, 15, 8, 17, 11, 20]).round(4).tolist()
    [9.6667, 4.1667, 6.1667]
    """
    d = mobius(v)
    n = n_players(d.shape[-1])
    pc = popcount(n)
    share = np.divide(d, pc, out=np.zeros_like(d), where=pc > 0)
    out = np.empty((*d.shape[:-1], n))
    for j in range(n):
        _, hi = _pairs(share, j)
        out[..., j] = hi.sum(axis=(-2, -1))
    return out


def sample_shapley(
    game: Callable[[np.ndarray], np.ndarray],
    n: int,
    *,
    tol: float = 1e-3,
    max_permutations: int = 20_000,
    batch: int = 64,
    seed=None,
):
    """Shapley values estimated by antithetic permutation sampling.

    Each draw is a uniformly random order of the players paired with its
    reverse; a player's marginal contribution when it joins, averaged over the
    pair, is one sample whose mean is its Shapley value. Sampling stops when the
    largest standard error is at most ``tol * |v(N) - v(empty)|`` or after
    ``max_permutations`` orders.

    Parameters
    ----------
    game : callable
        ``game(members)`` with ``members`` a boolean array ``(m, n)`` (one
        coalition per row) returns the ``m`` worths.
    n : int
        Number of players.
    tol : float, default 1e-3
        Stopping tolerance on the standard error, relative to ``|v(N) - v(empty)|``
        (absolute when that is 0).
    max_permutations : int, default 20000
        Upper bound on sampled orders (counting both members of a pair).
    batch : int, default 64
        Antithetic pairs evaluated per call of ``game``.
    seed : int or numpy Generator, optional

    Returns
    -------
    phi : ndarray (n,)
        Estimates; they sum exactly to ``v(N) - v(empty)``, since every
        order's contributions do.
    se : ndarray (n,)
        Standard errors (standard deviation of the pair means over sqrt(pairs)).
    permutations : int
        Orders used.

    Notes
    -----
    Each pair costs ``2 (n + 1)`` evaluations of the game. The reverse order
    makes a player that joins early in one draw join late in the other, which
    cancels most of the variance that comes from the coalition size
    (antithetic variates; see Castro et al. 2009 for plain permutation sampling).
    This is :func:`sample_shapley_stack` on a stack of one game.

    Examples
    --------
    >>> import numpy as np
    >>> weights = np.array([1.0, 2.0, 3.0])
    >>> phi, se, m = sample_shapley(lambda s: s @ weights, 3, seed=0)
    >>> phi.round(12).tolist(), round(float(se.max()), 12)
    ([1.0, 2.0, 3.0], 0.0)
    """
    if not (isinstance(n, int | np.integer) and n >= 1):
        raise ModelError(f"n must be a positive integer, got {n!r}")
    ends = np.asarray(game(np.array([np.zeros(n, bool), np.ones(n, bool)])), dtype=np.float64)
    steps = np.arange(n + 1)

    def prefix_worth(games, order):
        rank = np.argsort(order, axis=-1)  # (1, p, n): when each player joins
        members = rank[0, :, None, :] < steps[None, :, None]  # (p, n + 1, n): the prefixes
        worth = np.asarray(game(members.reshape(-1, n)), dtype=np.float64)
        return worth.reshape(1, -1, n + 1)

    phi, se, used = sample_shapley_stack(
        prefix_worth,
        1,
        n,
        scale=np.array([abs(float(ends[1] - ends[0])) or 1.0]),
        tol=tol,
        max_permutations=max_permutations,
        batch=batch,
        seed=seed,
    )
    return phi[0], se[0], int(used[0])


def sample_shapley_stack(
    prefix_worth: Callable[[np.ndarray, np.ndarray], np.ndarray],
    m: int,
    n: int,
    *,
    scale,
    tol: float = 1e-3,
    max_permutations: int = 20_000,
    batch: int = 64,
    seed=None,
    max_draws: int = 1 << 21,
    progress: Callable[[float], object] | None = None,
):
    """Antithetic permutation sampling of ``m`` games on ``n`` players each, at once.

    Every game follows :func:`sample_shapley`'s estimator and stopping rule on
    its own (a game stops when its largest standard error is at most
    ``tol * scale``, after at least ``2 * batch`` pairs); the games still running
    draw their orders together, so the Python loop is over rounds of ``batch``
    pairs, never over games.

    Parameters
    ----------
    prefix_worth : callable
        ``prefix_worth(games, order)``: ``games`` is an int array ``(a,)`` of game
        indices and ``order`` an int array ``(a, p, n)``, the players of each
        sampled order in the order they join. Returns ``(a, p, n + 1)`` worths:
        entry ``i`` is the worth of the first ``i`` players of the order
        (``i = 0`` the empty coalition, ``i = n`` all players).
    m, n : int
        Number of games and players per game.
    scale : array_like (m,)
        The games' ``|v(N) - v(empty)|`` (1 where that is 0): the unit of ``tol``.
    tol, max_permutations, batch
        As :func:`sample_shapley`.
    seed : int or numpy Generator, optional
        Orders are drawn game by game within a round, in game-index order, so
        results are deterministic for a seed; with ``m = 1`` they are exactly
        :func:`sample_shapley`'s.
    max_draws : int, default 2**21
        Random numbers drawn per call of ``prefix_worth`` (bounds memory).
    progress : callable, optional
        Called with a number of finished games (fractions while running) after
        every call of ``prefix_worth``; the calls sum to ``m``.

    Returns
    -------
    phi : ndarray (m, n)
    se : ndarray (m, n)
    permutations : ndarray of int (m,)
        Orders used per game.

    Notes
    -----
    Each round costs ``2 (n + 1)`` worths per pair and game still running, and
    O(n log n) per order for the ranks.
    """
    if not (isinstance(n, int | np.integer) and n >= 1):
        raise ModelError(f"n must be a positive integer, got {n!r}")
    if not (np.isfinite(tol) and tol >= 0):
        raise ModelError(f"tol must be a finite number >= 0, got {tol!r}")
    if int(max_permutations) < 4:
        raise ModelError(f"max_permutations must be at least 4, got {max_permutations!r}")
    rng = np.random.default_rng(seed)
    scale = np.broadcast_to(np.asarray(scale, dtype=np.float64), (m,))
    max_pairs = max(int(max_permutations) // 2, 2)
    mean = np.zeros((m, n))
    m2 = np.zeros((m, n))  # sum of squared deviations, combined batch by batch (Chan et al.)
    se = np.full((m, n), np.inf)
    used = np.zeros(m, dtype=np.int64)
    active = np.arange(m)
    pairs = 0
    while pairs < max_pairs and len(active):
        k = min(batch, max_pairs - pairs)
        step = max(1, int(max_draws) // (k * n))
        for lo in range(0, len(active), step):
            games = active[lo : lo + step]
            rank = np.argsort(rng.random((len(games), k, n)), axis=2).argsort(axis=2)
            ranks = np.concatenate([rank, n - 1 - rank], axis=1)  # and the reversed orders
            order = np.argsort(ranks, axis=2)
            worth = np.asarray(prefix_worth(games, order), dtype=np.float64)
            worth = worth.reshape(len(games), 2 * k, n + 1)
            if not np.all(np.isfinite(worth)):
                raise ModelError("the value function returned a non-finite worth")
            marg = np.take_along_axis(worth, ranks + 1, axis=2) - np.take_along_axis(
                worth, ranks, axis=2
            )
            sample = 0.5 * (marg[:, :k] + marg[:, k:])  # (games, k, n)
            b_mean = sample.mean(axis=1)
            delta = b_mean - mean[games]
            m2[games] += ((sample - b_mean[:, None, :]) ** 2).sum(axis=1) + delta**2 * pairs * k / (
                pairs + k
            )
            mean[games] = mean[games] + delta * k / (pairs + k)
            if progress is not None:
                progress(len(games) * k / max_pairs)
        pairs += k
        used[active] = 2 * pairs
        if pairs > 1:
            se[active] = np.sqrt(m2[active] / (pairs - 1) / pairs)
        if pairs >= 2 * batch:
            done = se[active].max(axis=1) <= tol * scale[active]
            if progress is not None and done.any():
                progress(done.sum() * (max_pairs - pairs) / max_pairs)
            active = active[~done]
    return mean, se, used


# ---------------------------------------------------------------------- many small games
def mask_bits(n_channels: int) -> np.ndarray:
    """``(2**C, C)`` bool: row ``m`` says which channels coalition ``m`` holds."""
    masks = np.arange(2**n_channels)
    return ((masks[:, None] >> np.arange(n_channels)) & 1).astype(bool)


def shapley_matrix(n_channels: int) -> np.ndarray:
    """``W`` of shape ``(2**C, C)`` with ``phi = V @ W`` the Shapley values of the games ``V``.

    ``V`` has one game per row and one column per coalition mask. Column ``j``
    holds ``+w(|S|)`` at ``S + j`` and ``-w(|S|)`` at ``S`` for every ``S``
    without ``j``, ``w(s) = s! (C - s - 1)! / C!`` (Shapley 1953). Channels not
    on a journey are null players of its game, so using all ``C`` channels for
    every journey gives the same values as using only the journey's own.

    Examples
    --------
    >>> import numpy as np
    >>> V = np.array([[0.0, 1.0, 2.0, 4.0]])  # v({}), v({0}), v({1}), v({0, 1})
    >>> (V @ shapley_matrix(2)).tolist()
    [[1.5, 2.5]]
    """
    C = n_channels
    bits = mask_bits(C)
    size = bits.sum(axis=1)
    w = np.array(
        [math.factorial(s) * math.factorial(C - s - 1) / math.factorial(C) for s in range(C)]
    )
    W = np.zeros((2**C, C))
    masks = np.arange(2**C)
    for j in range(C):
        without = masks[~bits[:, j]]
        W[without | (1 << j), j] += w[size[without]]
        W[without, j] -= w[size[without]]
    return W


def shapley_reference(value, players) -> dict:
    """Shapley values by the permutation definition (slow, obviously correct; for tests).

    ``value`` maps a frozenset of players to a number.
    """
    players = list(players)
    phi = dict.fromkeys(players, 0.0)
    cache: dict = {}

    def v(s):
        if s not in cache:
            cache[s] = value(s)
        return cache[s]

    perms = list(itertools.permutations(players))
    for perm in perms:
        s: frozenset = frozenset()
        for p in perm:
            phi[p] += v(s | {p}) - v(s)
            s = s | {p}
    return {p: v / len(perms) for p, v in phi.items()}
