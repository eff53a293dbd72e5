"""Exact Markov-chain attribution of any order: removal effects by sparse linear algebra.

The chain is built from the aggregated paths (sufficient statistics): a start
state, one transient state per window of ``order`` consecutive channels, and the
absorbing states conversion and null. ChannelAttribution's state convention is
followed so results are comparable [3]_: sliding windows of ``order`` consecutive
channels, a path shorter than ``order`` is one state, consecutive identical states
are merged (self-loops dropped; this changes no absorption probability). Each path
weighs its transitions by its conversions plus its nulls; its last state goes to
conversion with weight ``conversions`` and to null with weight ``nulls``.

Removing channel ``c`` sends every transition into a state that contains ``c`` to
null [1]_ [2]_. The conversion probability with and without each channel is the
absorption probability of the chain, solved exactly, never simulated: a batched
dense solve for small chains, ``scipy.sparse.linalg.splu`` for mid-sized ones and,
for large higher-order chains (where LU fill-in explodes), the deterministic
Neumann series ``x = Q x + r`` run to convergence with a certified error bound
(see :func:`fit_chain`). ChannelAttribution estimates the same quantities by Monte
Carlo simulation.

Value is attributed through the expected conversion value: leaving state ``s``
earns ``V_s / T_s`` (``V_s`` the value of the paths ending in ``s``, ``T_s`` its
total outgoing weight), so the expected value per journey solves the same linear
system with a second right-hand side, and its relative drop under removal is the
value removal effect. Value is not assumed proportional to conversions.

References
----------
.. [1] Archak, N., Mirrokni, V. S. and Muthukrishnan, S. (2010). Mining advertiser-specific
   user behavior using adfactors. WWW '10.
.. [2] Anderl, E., Becker, I., von Wangenheim, F. and Schumann, J. H. (2016). Mapping the
   customer journey: Lessons learned from graph-based online attribution modeling.
   International Journal of Research in Marketing 33(3), 457-474.
.. [3] Altomare, D. and Loris, D. ChannelAttribution: Markov model for online multi-channel
   attribution. R/Python package, ``markov_model``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..._absorbing import (
    LOOKUP_MAX,
    MAX_ORDER,
    SOLVERS,
    AbsorbingSolver,
    check_order,
    contains_channels,
    unique_codes,
    unique_windows,
    window_codes,
    window_digits,
)
from ...exceptions import ModelError
from ...journeys import Journeys

__all__ = ["MAX_ORDER", "MarkovChain", "fit_chain"]

#: Names of the non-channel states (ChannelAttribution's); a chain whose state names
#: collide with them wraps them in more parentheses (:attr:`MarkovChain.reserved`).
START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"


# ---------------------------------------------------------------------- kernels
def _chain_arrays_reference(journeys: Journeys, order: int):
    """Slow, obviously correct form of :func:`_chain_arrays` (the tests compare them).

    Builds every window as a row of digits, deduplicates the rows, merges repeated
    states per path and counts the transitions.
    """
    nulls = journeys.null_counts()
    weight = journeys.conversions + nulls
    digits, path_of = window_digits(journeys.touches, journeys.offsets, order)
    keep = weight[path_of] > 0  # paths with no journeys carry no transitions
    digits, path_of = digits[keep], path_of[keep]
    inverse, windows = unique_windows(digits, journeys.n_channels + 1)
    # merge consecutive identical states within a path
    same = np.zeros(len(inverse), dtype=bool)
    same[1:] = (inverse[1:] == inverse[:-1]) & (path_of[1:] == path_of[:-1])
    state, path_of = inverse[~same], path_of[~same]
    n = len(windows)
    first = np.ones(len(state), dtype=bool)
    first[1:] = path_of[1:] != path_of[:-1]
    last = np.ones(len(state), dtype=bool)
    last[:-1] = path_of[1:] != path_of[:-1]
    frm = np.where(first, n, np.roll(state, 1))
    counts = _count_transitions(frm, state, weight[path_of], n)
    lp = path_of[last]
    ls = state[last]
    conv = np.bincount(ls, weights=journeys.conversions[lp], minlength=n)
    null = np.bincount(ls, weights=nulls[lp], minlength=n)
    value = np.bincount(ls, weights=journeys.value_counts()[lp], minlength=n)
    return windows, counts, conv, null, value


def _count_transitions(frm, to, weight, n):
    """``(n + 1, n)`` CSR matrix of summed ``weight`` per ``(frm, to)`` pair (row n: start)."""
    if (n + 1) * n <= LOOKUP_MAX:  # aggregate by a flat bincount (no sort)
        flat = np.bincount(frm * n + to, weights=weight, minlength=(n + 1) * n)
        nz = np.flatnonzero(flat)
        return sp.csr_matrix((flat[nz], (nz // n, nz % n)), shape=(n + 1, n))
    counts = sp.coo_matrix((weight, (frm, to)), shape=(n + 1, n)).tocsr()
    counts.sum_duplicates()
    return counts


def _chain_arrays(journeys: Journeys, order: int):
    """The chain's sufficient statistics: ``(windows, counts, conv, null, value)``.

    ``windows`` is ``(n_states, order)``: the channel digits (code + 1, 0 pads) of
    each state, sorted by their base-``(n_channels + 1)`` code; ``counts`` the
    ``(n_states + 1, n_states)`` transition weights (last row: start); ``conv``,
    ``null``, ``value`` what leaves each state for the absorbing states.

    One pass per window position over the touches, no per-window digit rows and
    no per-touch path index: the code of the window starting at each touch is
    built in place, windows that would cross into the next path are masked with
    ``O(paths * order)`` work, and path weights are repeated per window. Sums are
    accumulated in the same order as :func:`_chain_arrays_reference`, so the
    arrays are bitwise identical (``tests/models/markov/test_markov.py``).
    """
    base = journeys.n_channels + 1
    if order * np.log2(base) >= 62:  # codes would overflow int64
        return _chain_arrays_reference(journeys, order)
    touches = journeys.touches
    offsets = journeys.offsets
    lengths = np.diff(offsets)
    conversions = journeys.conversions
    nulls = journeys.null_counts()
    value = journeys.value_counts()
    weight = conversions + nulls
    if not np.all(weight > 0):  # paths with no journeys carry no transitions
        kept = weight > 0
        touches = touches[np.repeat(kept, lengths)]
        lengths = lengths[kept]
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        conversions, nulls, value, weight = (
            conversions[kept],
            nulls[kept],
            value[kept],
            weight[kept],
        )
    if order == 1:
        return _chain_arrays_order1(touches, offsets, base - 1, conversions, nulls, value, weight)
    code, n_windows = window_codes(touches, offsets, order, base)
    win_end = np.cumsum(n_windows)  # one past each path's last window
    first = win_end - n_windows  # each path's first window
    # state ids: windows numbered in the order of their codes
    state, windows = unique_codes(code, base, order)
    n = len(windows)
    last_state = state[win_end - 1]  # merging repeats keeps the last state
    w = np.repeat(weight, n_windows)
    # merging consecutive identical states within a path drops exactly the
    # self-loops: every other transition keeps its source (the run's state)
    frm = np.empty_like(state)
    frm[1:] = state[:-1]
    frm[first] = n
    if (n + 1) * n <= LOOKUP_MAX:
        # The chain has no self-loops, so the diagonal bins collect exactly the
        # merged repeats: count everything, then empty the diagonal (no compaction).
        frm *= n
        frm += state
        flat = np.bincount(frm, weights=w, minlength=(n + 1) * n)
        flat[np.arange(n) * (n + 1)] = 0.0
        nz = np.flatnonzero(flat)
        counts = sp.csr_matrix((flat[nz], (nz // n, nz % n)), shape=(n + 1, n))
    else:
        keep = frm != state  # never on a first window (frm = n there)
        counts = _count_transitions(frm[keep], state[keep], w[keep], n)
    conv = np.bincount(last_state, weights=conversions, minlength=n)
    null = np.bincount(last_state, weights=nulls, minlength=n)
    value = np.bincount(last_state, weights=value, minlength=n)
    return windows, counts, conv, null, value


def _chain_arrays_order1(touches, offsets, n_channels, conversions, nulls, value, weight):
    """:func:`_chain_arrays` at order 1: a state per channel that occurs, no window codes.

    The states are the channels themselves (renumbered only when some channel never
    occurs), so the per-touch code, its lookup table and the gather of state ids are
    skipped; the sums are the same, in the same order, as the general code's.
    """
    lengths = np.diff(offsets)
    present = np.bincount(touches, minlength=n_channels) > 0
    if present.all():
        state = touches
        uniq = np.arange(n_channels)
    else:
        uniq = np.flatnonzero(present)
        ids = np.cumsum(present, dtype=np.int64) - 1
        state = ids[touches]
    n = len(uniq)
    windows = (uniq + 1).reshape(-1, 1).astype(np.int64)
    if len(lengths) == 0:
        counts = sp.csr_matrix((n + 1, n))
        z = np.zeros(n)
        return windows, counts, z, z.copy(), z.copy()
    last_state = state[offsets[1:] - 1]
    w = np.repeat(weight, lengths)
    if (n + 1) * n <= LOOKUP_MAX:
        key = np.empty(len(state), dtype=np.int64)
        key[1:] = state[:-1]
        key[offsets[:-1]] = n
        key *= n
        key += state
        flat = np.bincount(key, weights=w, minlength=(n + 1) * n)
        flat[np.arange(n) * (n + 1)] = 0.0  # merged repeats: the chain has no self-loops
        nz = np.flatnonzero(flat)
        counts = sp.csr_matrix((flat[nz], (nz // n, nz % n)), shape=(n + 1, n))
    else:
        frm = np.empty_like(state)
        frm[1:] = state[:-1]
        frm[offsets[:-1]] = n
        keep = frm != state
        counts = _count_transitions(frm[keep], state[keep], w[keep], n)
    conv = np.bincount(last_state, weights=conversions, minlength=n)
    null = np.bincount(last_state, weights=nulls, minlength=n)
    val = np.bincount(last_state, weights=value, minlength=n)
    return windows, counts, conv, null, val


# ---------------------------------------------------------------------- the chain
class MarkovChain:
    """A fitted absorbing Markov chain over channel windows, with exact solvers.

    Build one with :func:`fit_chain`. Transient states are indexed ``0..n_states-1``;
    start, conversion and null are kept apart (start is never revisited).

    Attributes
    ----------
    order : int
    channels : tuple of str
    states : tuple of tuple of str
        The channel window of each transient state.
    state_names : list of str
        ``"a > b"`` for each state.
    solver : str
        ``"dense"``, ``"direct"`` (sparse LU) or ``"iterative"``.
    error_bound : float or None
        With the iterative solver, a certified bound on the absolute error of
        every conversion probability computed so far; None for the direct ones
        (exact up to rounding).
    counts : scipy.sparse.csr_matrix
        ``(n_states + 1, n_states)`` transition weights; row ``n_states`` is start.
    conv_counts, null_counts, value_counts : ndarray
        Weight of each state's edge to conversion and to null, and the value of
        the conversions leaving it.
    contains : ndarray of bool
        ``(n_states, n_channels)``: whether a state's window contains a channel.
    has_value : bool
    """

    def __init__(
        self, order, channels, windows, counts, conv, null, value, has_value, solver="auto"
    ):
        if solver not in SOLVERS:
            raise ModelError(f"solver must be one of {SOLVERS}, got {solver!r}")
        self.order = order
        self.channels = tuple(channels)
        n = len(windows)
        self._windows = windows
        self.counts = counts
        self.conv_counts = conv
        self.null_counts = null
        self.value_counts = value
        self.has_value = has_value
        self.contains = contains_channels(windows, len(self.channels))
        self.last_channel = windows[np.arange(n), (windows > 0).sum(axis=1) - 1] - 1
        # Q (transient -> transient), start weights and absorption rewards; the rewards
        # are scaled by a power of two (exact) when the answer would be far below 1
        # (:func:`pathcredit._absorbing.scaled_reward`), the public values scaled back
        self._solver = AbsorbingSolver.from_counts(counts, conv, null, value, solver)
        self.out_weight = self._solver.out_weight
        self.total_weight = self._solver.total_weight
        self._Q = self._solver.Q
        self._start_weight = self._solver.start_weight
        start = self._start_weight
        self.start_probability = start / self.total_weight if self.total_weight > 0 else np.zeros(n)
        self._scale = self._solver.scale
        self._rhs = self._solver.rhs
        self.solver = self._solver.solver
        self._absorb = self._solver.absorb  # scaled (see scaled_reward)
        self.eventual_conversion = self._unscale(self._absorb)[:, 0].copy()

    def _unscale(self, x: np.ndarray) -> np.ndarray:
        """Probabilities and values of the scaled solves, back in their own units."""
        return self._solver.unscale(x)

    # ------------------------------------------------------------------ basics
    @property
    def n_states(self) -> int:
        return len(self._windows)

    @property
    def n_channels(self) -> int:
        return len(self.channels)

    @functools.cached_property
    def states(self) -> tuple[tuple[str, ...], ...]:
        """The channel window of each transient state."""
        names = list(self.channels)
        return tuple(tuple(names[d - 1] for d in w if d) for w in self._windows.tolist())

    @functools.cached_property
    def state_names(self) -> list[str]:
        """``"a > b"`` for each state."""
        return [" > ".join(s) for s in self.states]

    @functools.cached_property
    def reserved(self) -> tuple[str, str, str]:
        """Names of start, conversion and null, never equal to a state's name.

        ``("(start)", "(conversion)", "(null)")`` unless a channel is called that;
        then each gets one more pair of parentheses until no name collides.
        """
        taken = set(self.state_names)
        names = [START, CONVERSION, NULL]
        while taken.intersection(names):
            names = [f"({n})" for n in names]
        return names[0], names[1], names[2]

    @property
    def _A(self):
        return self._solver.A

    @property
    def error_bound(self) -> float | None:
        """With the iterative solver, a certified bound on the absolute error of every
        conversion probability computed so far; None for the direct ones."""
        return self._solver.error_bound

    @property
    def window_digits(self) -> np.ndarray:
        """``(n_states, order)`` int64: each state's channel codes + 1, left-aligned, 0 pads.

        The states are sorted by the base-``(n_channels + 1)`` code of these digits
        (:func:`pathcredit._absorbing.digit_codes`).
        """
        return self._windows

    @property
    def transient_matrix(self):
        """``Q``: transition probabilities between the transient states (sparse CSR)."""
        return self._Q

    @property
    def step_rewards(self) -> np.ndarray:
        """``(n_states, 2)``: per state, the probability that the next step converts and the
        expected value it brings (the right-hand sides of the absorption equations)."""
        return self._unscale(self._rhs)

    def solve_kept_states(self, keeps: np.ndarray, *, scaled: bool = False) -> np.ndarray:
        """``[P(conversion), E(value)]`` per row of a ``(sets, n_states)`` boolean mask of
        the states kept (the others removed: every transition into them goes to null).

        The state-level form of :meth:`outcomes`, for callers that build masks over
        states (Shapley games over higher-order windows, removal effects). With
        ``scaled=True`` the values keep the power-of-two scale of tiny rewards
        (:func:`pathcredit._absorbing.scaled_reward`): their ratios, the removal
        effects, are then defined even where the unscaled probabilities underflow.
        """
        keeps = np.asarray(keeps, dtype=bool)
        if keeps.ndim == 1:
            keeps = keeps[None]
        out = self._solver.solve_kept(keeps)
        return out if scaled else self._unscale(out)

    def absorption(self, *, scaled: bool = False) -> np.ndarray:
        """``(n_states, 2)``: P(conversion) and E(value) from every state, all states kept."""
        return self._absorb if scaled else self._unscale(self._absorb)

    def unscale(self, x: np.ndarray) -> np.ndarray:
        """Values from ``scaled=True`` solves back in their own units."""
        return self._unscale(x)

    def outcomes(self, removed_sets: Iterable[Iterable[str]]) -> np.ndarray:
        """``(sets, 2)``: :meth:`conversion_probabilities` and :meth:`expected_values` of
        each removal set, from one solve per set.

        Examples
        --------
        >>> from pathcredit import Journeys
        >>> j = Journeys.from_paths([["A"], ["B"]], conversions=[1, 1], value=[10, 30],
        ...                         nulls=[1, 1])
        >>> fit_chain(j).outcomes([[], ["A"]]).tolist()
        [[0.5, 10.0], [0.25, 7.5]]
        """
        return self._many(removed_sets)

    def __repr__(self) -> str:
        return (
            f"<MarkovChain order={self.order}: {self.n_states} states, "
            f"{len(self.channels)} channels, P(conversion)={self.conversion_probability():.6g}>"
        )

    def _codes(self, removed) -> np.ndarray:
        if isinstance(removed, str):
            removed = [removed]
        index = {c: i for i, c in enumerate(self.channels)}
        codes = []
        for c in removed:
            if c not in index:
                raise ModelError(f"unknown channel {c!r}; the chain has {list(self.channels)}")
            codes.append(index[c])
        return np.asarray(codes, dtype=np.int64)

    def keep_mask(self, removed: Iterable[str]) -> np.ndarray:
        """``(n_states,)`` bool: the states kept when the ``removed`` channels are removed."""
        codes = self._codes(removed)
        if len(codes) == 0:
            return np.ones(self.n_states, dtype=bool)
        return ~self.contains[:, codes].any(axis=1)

    # ------------------------------------------------------------------ solvers
    def _solve_kept(self, keep: np.ndarray) -> np.ndarray:
        """``[P(conversion), E(value)]`` per journey with only the ``keep`` states (scaled)."""
        return self._solve_many(keep[None])[0]

    def _solve_many(self, keeps: np.ndarray) -> np.ndarray:
        """``[P(conversion), E(value)]`` (scaled) for each row of a ``(sets, n_states)`` mask."""
        return self._solver.solve_kept(keeps)

    # ------------------------------------------------------------------ public solvers
    def conversion_probability(self, removed: Iterable[str] = ()) -> float:
        """Probability that a journey converts, with the ``removed`` channels removed at once.

        Removing a channel sends every transition into a state containing it to null.

        Parameters
        ----------
        removed : iterable of str, default ()
            Channel names removed together.

        Returns
        -------
        float

        Examples
        --------
        >>> from pathcredit import Journeys
        >>> j = Journeys.from_paths([["C1", "C2", "C3"], ["C1"], ["C2", "C3"]],
        ...                         conversions=[1, 0, 0], nulls=[0, 1, 1])
        >>> chain = fit_chain(j)
        >>> round(chain.conversion_probability(), 12)
        0.333333333333
        >>> round(chain.conversion_probability(["C1"]), 12)
        0.166666666667
        """
        return float(self._unscale(self._solve_kept(self.keep_mask(removed)))[0])

    def expected_value(self, removed: Iterable[str] = ()) -> float:
        """Expected conversion value per journey with the ``removed`` channels removed.

        Examples
        --------
        >>> from pathcredit import Journeys
        >>> j = Journeys.from_paths([["A"], ["B"]], conversions=[1, 1], value=[10, 30],
        ...                         nulls=[1, 1])
        >>> fit_chain(j).expected_value(), fit_chain(j).expected_value(["A"])
        (10.0, 7.5)
        """
        return float(self._unscale(self._solve_kept(self.keep_mask(removed)))[1])

    def conversion_probabilities(self, removed_sets: Iterable[Iterable[str]]) -> np.ndarray:
        """:meth:`conversion_probability` for many removal sets at once.

        Small chains (up to 96 states) are solved in dense batches; larger ones
        factorise one sparse submatrix per set.

        Parameters
        ----------
        removed_sets : iterable of iterables of str

        Returns
        -------
        ndarray of float, one per set

        Examples
        --------
        >>> from pathcredit import Journeys
        >>> j = Journeys.from_paths([["A", "B"], ["B"]], conversions=[1, 0], nulls=[0, 1])
        >>> fit_chain(j).conversion_probabilities([[], ["A"], ["B"], ["A", "B"]]).tolist()
        [0.5, 0.25, 0.0, 0.0]
        """
        return self._many(removed_sets)[:, 0]

    def expected_values(self, removed_sets: Iterable[Iterable[str]]) -> np.ndarray:
        """:meth:`expected_value` for many removal sets at once."""
        return self._many(removed_sets)[:, 1]

    def _many(self, removed_sets) -> np.ndarray:
        keeps = np.array([self.keep_mask(r) for r in removed_sets], dtype=bool)
        if keeps.size == 0:
            return np.zeros((len(keeps), 2))
        return self._unscale(self._solve_many(keeps.reshape(len(keeps), self.n_states)))

    # ------------------------------------------------------------------ tables
    def removal_effects(self, *, value: bool = False) -> dict[str, float]:
        """Relative removal effect ``1 - P(conv | c removed) / P(conv)`` per channel.

        With ``value=True``, the same for the expected conversion value. A zero
        baseline gives NaN effects.
        """
        keeps = np.array([self.keep_mask([c]) for c in self.channels], dtype=bool)
        res = self._solve_many(keeps.reshape(len(keeps), self.n_states))  # scaled alike
        base = self._solve_kept(np.ones(self.n_states, dtype=bool))
        col = 1 if value else 0
        with np.errstate(invalid="ignore", divide="ignore"):
            eff = 1.0 - res[:, col] / base[col]
        return dict(zip(self.channels, eff.tolist(), strict=True))

    def transition_table(self):
        """The transition matrix as a long table: ``from, to, count, probability``."""
        n = self.n_states
        start, conversion, null = self.reserved
        names = np.asarray(self.state_names + [start], dtype=object)
        coo = self.counts.tocoo()
        frm = [names[coo.row]]
        to = [names[coo.col]]
        cnt = [coo.data]
        for target, w in ((conversion, self.conv_counts), (null, self.null_counts)):
            nz = np.flatnonzero(w > 0)
            frm.append(names[nz])
            to.append(np.full(len(nz), target, dtype=object))
            cnt.append(w[nz])
        row_total = np.append(self.out_weight, self.total_weight)
        absorbing = [np.flatnonzero(w > 0) for w in (self.conv_counts, self.null_counts)]
        rows = np.concatenate([coo.row, *absorbing])
        count = np.concatenate(cnt)
        table = pd.DataFrame(
            {
                "from": np.concatenate(frm),
                "to": np.concatenate(to),
                "count": count,
                "probability": count / row_total[rows],
            }
        )
        key = np.where(rows == n, -1, rows)
        return table.iloc[np.lexsort((table["to"].to_numpy(dtype=str), key))].reset_index(drop=True)

    def visit_probability(self) -> np.ndarray:
        """Probability that a journey ever visits each state (exact).

        ``G[start, s] / G[s, s]`` with ``G = (I - Q)^-1``. ``G[start, s]`` is the
        observed flow into ``s`` per journey (the maximum-likelihood chain conserves
        the observed flow). A journey can only return
        to ``s`` inside its strongly connected component, so ``G[s, s]`` is the
        diagonal of the inverse of that component's block: one dense inverse per
        component (``O(c^3)`` for a component of ``c`` states).
        """
        n = self.n_states
        if n == 0:
            return np.zeros(0)
        # Expected visits from start, g = p0 (I - Q)^-1, equal the observed flow into
        # each state over the number of journeys: the fitted chain's flow is conserved.
        g = np.asarray(self.counts.sum(axis=0)).ravel() / self.total_weight
        diag = np.ones(n)  # no self-loops: a state outside any cycle is visited at most once
        _, label = connected_components(self._Q, connection="strong")
        sizes = np.bincount(label)
        for comp in np.flatnonzero(sizes > 1):
            idx = np.flatnonzero(label == comp)
            block = self._A[idx][:, idx].toarray()
            diag[idx] = np.diag(np.linalg.inv(block))
        return g / diag

    def largest_cycle_block(self) -> int:
        """Size of the largest strongly connected set of states (cost of the state table)."""
        if self.n_states == 0:
            return 0
        _, label = connected_components(self._Q, connection="strong")
        return int(np.bincount(label).max())

    def state_table(self, *, visits: bool = True):
        """One row per state: ``state, last_channel, visit_probability,
        eventual_conversion, removal_effect``.

        ``removal_effect`` is the relative drop in the conversion probability when
        only that state is removed: ``visit * eventual_conversion / P(conversion)``
        (the first-entry decomposition; Anderl et al. 2016). With
        ``visits=False`` the visit and removal columns are NaN (they cost a dense
        inverse per strongly connected block of states).
        """
        p = self._solve_kept(np.ones(self.n_states, dtype=bool))[0]  # scaled like _absorb
        if visits:
            visit = self.visit_probability()
            with np.errstate(invalid="ignore", divide="ignore"):
                eff = visit * self._absorb[:, 0] / p
        else:
            visit = eff = np.full(self.n_states, np.nan)
        return pd.DataFrame(
            {
                "state": self.state_names,
                "last_channel": [s[-1] for s in self.states],
                "visit_probability": visit,
                "eventual_conversion": self.eventual_conversion,
                "removal_effect": eff,
            }
        )

    def to_networkx(self, removal_effects: dict[str, float] | None = None):
        """The chain as a :class:`networkx.DiGraph`.

        Nodes are the state names plus ``"(start)"``, ``"(conversion)"`` and
        ``"(null)"`` (see :attr:`reserved`); edges carry ``count`` and
        ``probability``. Transient nodes carry ``channels`` (the window),
        ``eventual_conversion`` and, when given, ``removal_effect`` of their last
        channel.
        """
        g = nx.DiGraph(order=self.order)
        start, conversion, null = self.reserved
        g.add_node(start, kind="start")
        g.add_node(conversion, kind="conversion")
        g.add_node(null, kind="null")
        for i, name in enumerate(self.state_names):
            attrs = dict(
                kind="state",
                channels=self.states[i],
                eventual_conversion=float(self.eventual_conversion[i]),
            )
            if removal_effects is not None:
                attrs["removal_effect"] = float(removal_effects[self.states[i][-1]])
            g.add_node(name, **attrs)
        t = self.transition_table()
        g.add_edges_from(
            (f, to, {"count": float(c), "probability": float(p)})
            for f, to, c, p in t.itertuples(index=False)
        )
        return g


def fit_chain(journeys: Journeys, order: int = 1, *, solver: str = "auto") -> MarkovChain:
    """Fit the order-``order`` absorbing Markov chain of the journeys.

    Parameters
    ----------
    journeys : Journeys
    order : int, default 1
        Window length, 1 to :data:`MAX_ORDER` (ChannelAttribution's state
        convention, see the module notes).
    solver : {"auto", "dense", "direct", "iterative"}, default "auto"
        How absorption probabilities are solved. ``"dense"``: batched dense LU;
        ``"direct"``: sparse LU (``scipy.sparse.linalg.splu``) per removal set;
        ``"iterative"``: the Neumann series ``x = Q x + r`` (the chain's own
        transitions, no sampling) run to a relative increment of 1e-14, with a
        certified error bound (:attr:`MarkovChain.error_bound`, at most 1e-11 or
        a :class:`ModelError`). ``"auto"``: dense up to 96 states, sparse LU up
        to 1000, iterative above, where LU fill-in of higher-order chains explodes.

    Returns
    -------
    MarkovChain

    Raises
    ------
    ModelError
        ``order`` is not a whole number from 1 to :data:`MAX_ORDER`.

    Notes
    -----
    Cost: ``O(total touches * order)`` to build the windows plus one solve of
    ``(I - Q) x = r``: a sparse LU, or ``O(nnz(Q) * iterations)`` for the
    iterative solver, where the iterations grow with the longest expected journey.

    Examples
    --------
    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["A", "B", "A"], ["B"]], conversions=[1, 0], nulls=[1, 1])
    >>> fit_chain(j, order=2).state_names
    ['A > B', 'B', 'B > A']
    """
    order = check_order(order)
    nulls = journeys.null_counts()
    if np.any(journeys.conversions < 0) or np.any(nulls < 0):
        raise ModelError("conversions and nulls must be non-negative for a Markov chain")
    windows, counts, conv, null, value = _chain_arrays(journeys, order)
    return MarkovChain(
        order, journeys.channels, windows, counts, conv, null, value, journeys.has_value, solver
    )
