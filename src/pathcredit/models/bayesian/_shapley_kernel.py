"""Exact Shapley values of logistic response games, batched over posterior draws and patterns.

For an exposure pattern ``p`` with present channels ``P`` (``m = |P|``), the game is
``v(S) = sigmoid(eta_p(S)) - sigmoid(alpha)`` for ``S`` a subset of ``P``, with
``eta_p(S) = alpha + sum_{j in S} a_pj + sum_{j < k in S} g_pjk``. Its Shapley
value is ``phi = V @ W_m`` with ``V`` the ``2**m`` coalition values and ``W_m`` the
Shapley matrix (:func:`pathcredit._games.shapley_matrix`); the constant
``sigmoid(alpha)`` drops out because every column of ``W_m`` sums to zero. Patterns
are grouped by ``m`` (at most ``C`` groups, no loop over patterns) and the draws
and patterns of a group are processed in blocks of bounded memory.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..._games import mask_bits, shapley_matrix

__all__ = ["incremental_shapley", "pattern_shapley"]

#: Float64 cells per block of (draws x patterns x coalitions).
_BLOCK_CELLS = 2**22


@lru_cache(maxsize=32)
def _tables(m: int):
    bits = mask_bits(m).astype(np.float64)
    pairs = [(a, b) for a in range(m) for b in range(a + 1, m)]
    pair_bits = (
        np.stack([bits[:, a] * bits[:, b] for a, b in pairs], axis=1)
        if pairs
        else np.zeros((2**m, 0))
    )
    return bits, shapley_matrix(m), pairs, pair_bits


def _group_phi(alpha, beta, x, idx, gamma, dtype=np.float64):
    """``(D, P, m)`` Shapley values of one group of patterns with ``m`` present channels.

    ``alpha (D,)``, ``beta (D, C)``, ``x (P, m)`` feature values of the present channels,
    ``idx (P, m)`` their channel indices, ``gamma (D, C, C)`` or ``None``. The log-odds of
    the ``2**m`` coalitions are ``alpha + a @ bits.T``.
    """
    m = idx.shape[1]
    _, W, pairs, pair_bits = _tables(m)
    bits = _tables(m)[0].astype(dtype, copy=False)
    a = (beta[:, idx] * x[None]).astype(dtype, copy=False)  # (D, P, m)
    # einsum with optimize dispatches to BLAS; a stacked 3-d matmul does not
    eta = np.einsum("dpm,sm->dps", a, bits, optimize=True)
    eta += alpha.astype(dtype, copy=False)[:, None, None]
    if gamma is not None and pairs:
        ia = idx[:, [p[0] for p in pairs]]
        ib = idx[:, [p[1] for p in pairs]]
        xx = x[:, [p[0] for p in pairs]] * x[:, [p[1] for p in pairs]]
        g = gamma[:, ia, ib] * xx[None]  # (D, P, pairs)
        eta += (g @ pair_bits.T).astype(dtype, copy=False)
    np.negative(eta, out=eta)
    np.exp(eta, out=eta)
    eta += 1.0
    np.reciprocal(eta, out=eta)  # sigmoid
    return np.einsum("dps,sm->dpm", eta, W.astype(dtype, copy=False), optimize=True)


def _groups(X: np.ndarray):
    """Patterns grouped by their number of present channels: ``[(rows, idx (P, m))]``."""
    present = X != 0
    m = present.sum(axis=1)
    out = []
    for k in np.unique(m):
        if k == 0:
            continue
        rows = np.flatnonzero(m == k)
        # the present channels of each row, in channel order
        idx = np.nonzero(present[rows])[1].reshape(len(rows), int(k))
        out.append((rows, idx))
    return out


def incremental_shapley(alpha, beta, X, weights, gamma=None, dtype=np.float64) -> np.ndarray:
    """Weighted sums over patterns of the Shapley values of their incremental games.

    Parameters
    ----------
    alpha : (D,) array
        Intercepts (log-odds of converting without exposure), one per draw.
    beta : (D, C) array
        Channel effects per unit of feature.
    X : (P, C) array
        Feature values per pattern (0: not exposed).
    weights : (P, K) array
        Weights of each pattern (e.g. its journeys, and journeys x value per conversion).
    gamma : (D, C, C) array, optional
        Pairwise interaction effects (upper triangle used), per unit of ``x_j x_k``.
    dtype : numpy float type, default float64
        Of the coalition arrays (float32 halves the time and memory of large tables;
        the sums over patterns are float64 either way).

    Returns
    -------
    (D, C, K) array
        ``sum_p weights[p, k] phi_pj`` per draw.

    Examples
    --------
    One pattern with two channels, one draw: ``v({0}) = s(1) - s(0)``, ``v({1}) = s(2) -
    s(0)``, ``v({0, 1}) = s(3) - s(0)``, ``s`` the sigmoid.

    >>> import numpy as np
    >>> s = lambda z: 1 / (1 + np.exp(-z))
    >>> phi = incremental_shapley(np.zeros(1), np.array([[1.0, 2.0]]), np.ones((1, 2)),
    ...                           np.ones((1, 1)))[0, :, 0]
    >>> bool(np.allclose(phi, [(s(1) - s(0) + s(3) - s(2)) / 2,
    ...                        (s(2) - s(0) + s(3) - s(1)) / 2]))
    True
    """
    alpha = np.asarray(alpha, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    D, C = beta.shape
    out = np.zeros((D, C, weights.shape[1]))
    for rows, idx in _groups(X):
        m = idx.shape[1]
        x = X[rows[:, None], idx]
        w = weights[rows]
        # blocks: as many draws and patterns as fit in _BLOCK_CELLS cells
        per_pattern = 2**m + m * m
        pb = max(1, min(len(rows), _BLOCK_CELLS // per_pattern))
        db = max(1, min(D, _BLOCK_CELLS // (pb * per_pattern)))
        for p0 in range(0, len(rows), pb):
            sl = slice(p0, p0 + pb)
            # H[p, a, c, k] = w[p, k] where the pattern's a-th channel is c: the scatter
            # of every block's values to channels is then one BLAS product
            ii = idx[sl]
            h = np.zeros((len(ii), m, C, w.shape[1]))
            h[np.arange(len(ii))[:, None], np.arange(m)[None, :], ii] = w[sl][:, None, :]
            for d0 in range(0, D, db):
                ds = slice(d0, d0 + db)
                g = None if gamma is None else gamma[ds]
                phi = _group_phi(alpha[ds], beta[ds], x[sl], idx[sl], g, dtype)  # (d, p, m)
                out[ds] += np.einsum("dpa,pack->dck", phi.astype(np.float64), h, optimize=True)
    return out


def pattern_shapley(alpha, beta, X, gamma=None) -> np.ndarray:
    """``(D, P, C)`` Shapley values of every pattern's incremental game (for tests and
    per-pattern tables; the credit itself uses :func:`incremental_shapley`)."""
    alpha = np.asarray(alpha, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    D, C = beta.shape
    out = np.zeros((D, X.shape[0], C))
    for rows, idx in _groups(X):
        x = X[rows[:, None], idx]
        phi = _group_phi(alpha, beta, x, idx, gamma)
        out[:, rows[:, None], idx] = phi
    return out
