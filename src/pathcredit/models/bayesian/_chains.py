"""A known first-order chain: journeys simulated from it and its exact removal-effect credit.

Used by the calibration benchmark and the tests as ground truth for
:func:`pathcredit.models.bayesian.markov.bayesian_markov` (until
:mod:`pathcredit.simulate` offers a ``markov`` scenario). Slow and obvious on purpose:
the truth is a dense solve per removed channel, independent of the batched kernel.
"""

from __future__ import annotations

import numpy as np

from ...journeys import Journeys

__all__ = ["random_chain", "simulate_chain", "chain_truth"]


def random_chain(n_channels: int, rng, *, conversion=(0.02, 0.12), null=(0.25, 0.45)):
    """A random first-order chain without self-loops.

    Returns ``(start, T)``: ``start`` the first-channel distribution, ``T`` the
    ``(n_channels, n_channels + 2)`` rows over next channel, conversion, null.
    """
    C = n_channels
    start = rng.dirichlet(np.full(C, 2.0))
    T = np.zeros((C, C + 2))
    for c in range(C):
        pc = rng.uniform(*conversion)
        pn = rng.uniform(*null)
        move = rng.dirichlet(np.full(C - 1, 1.5)) * (1 - pc - pn)
        T[c, [x for x in range(C) if x != c]] = move
        T[c, C], T[c, C + 1] = pc, pn
    return start, T


def simulate_chain(start, T, n_journeys: int, rng, *, max_length: int = 200) -> Journeys:
    """``n_journeys`` journeys walked through the chain, aggregated to distinct paths.

    A journey still moving after ``max_length`` touches is recorded as null (with the
    default chains the chance is below 1e-25).
    """
    C = len(start)
    cum_start = np.cumsum(start)
    cum = np.cumsum(T, axis=1)
    state = np.minimum(np.searchsorted(cum_start, rng.random(n_journeys), side="right"), C - 1)
    alive = np.arange(n_journeys)
    steps_j, steps_c = [alive.copy()], [state.copy()]
    outcome = np.full(n_journeys, C + 1)
    for _ in range(max_length - 1):
        u = rng.random(len(alive))
        nxt = np.minimum((cum[state] < u[:, None]).sum(axis=1), C + 1)
        ended = nxt >= C
        outcome[alive[ended]] = nxt[ended]
        alive, state = alive[~ended], nxt[~ended]
        if len(alive) == 0:
            break
        steps_j.append(alive.copy())
        steps_c.append(state.copy())
    j = np.concatenate(steps_j)
    c = np.concatenate(steps_c)
    order = np.argsort(j, kind="stable")  # steps were appended in time order
    touches = c[order]
    lengths = np.bincount(j, minlength=n_journeys)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    converted = (outcome == C).astype(np.float64)
    return Journeys(
        [f"c{i:02d}" for i in range(C)], touches, offsets, converted, None, 1.0 - converted
    )


def chain_truth(start, T) -> np.ndarray:
    """Each channel's share of the normalised removal effects of the chain (dense solves)."""
    C = len(start)
    Q = T[:, :C]
    r = T[:, C]
    p = start @ np.linalg.solve(np.eye(C) - Q, r)
    eff = np.empty(C)
    for c in range(C):
        keep = np.arange(C) != c
        pk = start[keep] @ np.linalg.solve(np.eye(C - 1) - Q[np.ix_(keep, keep)], r[keep])
        eff[c] = 1.0 - pk / p
    return eff / eff.sum()
