"""The independent oracles of the test suite, each written once.

Slow and obviously correct on purpose: built from the definitions with dicts,
loops and dense solves, sharing no code with the package beyond
:class:`pathcredit.Journeys` (the data they read).

- :func:`brute_shapley`: the Shapley formula enumerated over coalitions.
- :class:`BruteChain` (:func:`brute_from`): the order-``k`` absorbing chain of a set
  of journeys, ChannelAttribution's state convention, solved densely per removal.
- :func:`random_chain`, :func:`simulate_chain`, :func:`chain_truth`: a known
  first-order chain, journeys walked through it, and its exact removal-effect
  credit (the ground truth of the Bayesian Markov model's calibration).

The permutation definition of the Shapley value is the package's own reference,
:func:`pathcredit._games.shapley_reference` (the benchmarks use it too).
Test modules import this one as ``from oracles import ...`` (``tests/`` is on
``sys.path`` through its ``conftest.py``); a benchmark adds ``tests/`` to
``sys.path`` itself.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from pathcredit import Journeys

__all__ = [
    "BruteChain",
    "brute_from",
    "brute_shapley",
    "chain_truth",
    "random_chain",
    "simulate_chain",
]


# ---------------------------------------------------------------------- Shapley
def brute_shapley(worth, players):
    """Shapley formula by enumeration: worth(frozenset) -> float, over the given players."""
    players = list(players)
    n = len(players)
    out = {}
    for j in players:
        others = [p for p in players if p != j]
        total = 0.0
        for size in range(n):
            w = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for s in itertools.combinations(others, size):
                s = frozenset(s)
                total += w * (worth(s | {j}) - worth(s))
        out[j] = total
    return out


# ---------------------------------------------------------------------- chains
class BruteChain:
    """The order-k chain built with dicts from the definitions, solved densely.

    States follow ChannelAttribution's convention: windows of k consecutive
    channels, a shorter path is one state, consecutive identical states merged.
    Removing channels kills every state containing one (its inflow goes to null).
    """

    def __init__(self, paths, conversions, nulls, values, order):
        self.trans = {}  # (from, to) -> weight; from may be "START"
        self.conv = {}
        self.null = {}
        self.value = {}
        for path, c, n, v in zip(paths, conversions, nulls, values, strict=True):
            w = c + n
            if w <= 0:
                continue
            if len(path) < order:
                seq = [tuple(path)]
            else:
                seq = [tuple(path[i : i + order]) for i in range(len(path) - order + 1)]
            merged = [seq[0]]
            for s in seq[1:]:
                if s != merged[-1]:
                    merged.append(s)
            prev = "START"
            for s in merged:
                self.trans[(prev, s)] = self.trans.get((prev, s), 0.0) + w
                prev = s
            self.conv[prev] = self.conv.get(prev, 0.0) + c
            self.null[prev] = self.null.get(prev, 0.0) + n
            self.value[prev] = self.value.get(prev, 0.0) + v
        self.states = sorted({s for (_, s) in self.trans})
        self.out = {s: 0.0 for s in self.states}
        self.out["START"] = 0.0
        for (f, _), w in self.trans.items():
            self.out[f] += w
        for s in self.states:
            self.out[s] += self.conv.get(s, 0.0) + self.null.get(s, 0.0)

    def solve(self, removed=(), killed_states=(), absorbing=None):
        """(P(conversion), E(value)) from start; ``absorbing`` turns one state into
        the target instead (returns P(hit it))."""
        keep = [s for s in self.states if not set(s) & set(removed) and s not in set(killed_states)]
        idx = {s: i for i, s in enumerate(keep)}
        n = len(keep)
        Q = np.zeros((n, n))
        r = np.zeros((n, 2))
        for (f, t), w in self.trans.items():
            if f != "START" and f in idx and t in idx and f != absorbing:
                Q[idx[f], idx[t]] += w / self.out[f]
        for s in keep:
            if absorbing is not None:
                r[idx[s], 0] = 1.0 if s == absorbing else 0.0
            else:
                r[idx[s], 0] = self.conv.get(s, 0.0) / self.out[s]
                r[idx[s], 1] = self.value.get(s, 0.0) / self.out[s]
        x = np.linalg.solve(np.eye(n) - Q, r) if n else np.zeros((0, 2))
        p0 = np.zeros(n)
        for (f, t), w in self.trans.items():
            if f == "START" and t in idx:
                p0[idx[t]] += w / self.out["START"]
        return p0 @ x

    def credit(self, channels, total_conv, total_value):
        base = self.solve()
        re = np.array([1 - self.solve([c])[0] / base[0] for c in channels])
        conv = re / re.sum() * total_conv
        vre = np.array([1 - self.solve([c])[1] / base[1] for c in channels]) if base[1] else None
        value = None if vre is None else vre / vre.sum() * total_value
        return base, re, conv, value


def brute_from(j: Journeys, order: int) -> BruteChain:
    """The :class:`BruteChain` of ``j`` at ``order``."""
    return BruteChain(j.paths(), j.conversions, j.null_counts(), j.value_counts(), order)


# ---------------------------------------------------------------------- a known chain
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
