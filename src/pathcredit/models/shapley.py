"""Shapley-value attribution with the coalition value function stated, not hidden.

A Shapley attribution is only defined once the worth ``v(S)`` of every coalition
``S`` of channels is: the open-source implementations disagree because each
hides a different ``v``. Here it is a named argument:

``"zhao"`` (default)
    ``v(S)`` = conversions (or value) of the converting journeys whose set of
    channels is contained in ``S`` (Zhao, Mahboobi and Bagheri 2018 [2]_). One
    game over all channels. Each journey's conversions are the Harsanyi dividend
    of its channel set, so the Shapley value splits them equally over the distinct
    channels of the journey ("simplified Shapley"): the result equals
    ``linear_unique``.
``"conversion_rate"``
    ``v(S)`` = conversion rate of the journeys whose channel set is exactly ``S``,
    ``conversions / (conversions + nulls)`` (Dalessandro et al. 2012 [3]_).
    ``v(empty)`` is ``baseline`` (the conversion rate without exposure, e.g. from a
    holdout; 0 when unknown, since journeys without touches are not recorded).
    Coalitions no journey has get a value by the ``missing`` policy:
    ``"zero"`` (default) or ``"best_subset"`` (the largest value among the
    coalition's observed subsets, the empty set included).
``"markov"``
    ``v(S)`` = conversion probability of the fitted Markov chain
    (:func:`pathcredit.models.markov.fit_chain`, ``order``) with every channel
    outside ``S`` removed (the removal of Anderl et al. 2016 [4]_; the Shapley value
    averages a channel's removal effect over every set of other channels kept).
a callable
    ``v(frozenset of channel names) -> float``; with ``vectorized=True`` it takes a
    boolean matrix (one coalition per row, columns in ``journeys.channels`` order)
    and returns one worth per row.
a fitted classifier
    Any object with ``predict_proba``: ``v(S)`` is its predicted conversion
    probability (last column) for the 0/1 exposure row of ``S`` (columns in
    ``journeys.channels`` order), as in Du et al. (2019) [5]_.

From Shapley values to credited conversions
-------------------------------------------
``zhao`` is a game of conversions: its Shapley values already sum to the total.
Every other value function is a *response model*, ``v(S)`` a conversion
probability of exposure set ``S``, and its Shapley values are rates. pathcredit
credits each converting journey in the game of the channels that journey touched
(the subgame of ``v`` on its distinct channels ``T``): channel ``j`` receives the
fraction ``phi_j(T) / (v(T) - v(empty))`` of the journey's conversions and value,
i.e. the journey's conversions are split in proportion to the channels' shares of
the probability lift over no exposure. This is per-journey by construction, sums
exactly to the total conversions, never credits a channel the journey did not
touch, and reduces to last touch on one-touch data. Rescaling one global game's
rates to the total would instead credit channels for journeys they never touched,
and for ``conversion_rate`` the global coalition of all channels is almost never
observed. When ``v(T) = v(empty)`` (no lift to split) the journey is split equally
over its distinct channels; ``extras["degenerate_paths"]`` counts such paths.
Shares can be negative where a channel lowers the modelled probability.

Per touch: a channel repeated on a path shares its part of the path evenly over
its touches (Zhao et al.'s ordered Shapley), so every path's conversions are split
over its touches and the touches' credits sum to the channel totals.

Computation: exact Shapley values of a game table by subset transforms
(:func:`shapley_values`, O(k 2^k) for a game on k channels, vectorised and batched
over all journeys' games of the same size); above ``max_exact_channels`` players,
antithetic permutation sampling with standard errors and a stopping tolerance
(:func:`~pathcredit._games.sample_shapley_stack`: every sampled path's
game at once, in stacks of equal size). ``extras["method"]`` says which was used.
Coalitions are integer bitmask keys: distinct coalitions come from a dense bitmap
(up to 22 channels) or one integer sort, never from sorting boolean rows.
``conversion_rate`` reads rates from a dense table (up to 22 channels) or by
binary search; above that, large subgames are built by scattering the observed
subsets of the path's channel set, and with ``missing="zero"`` their Shapley
values come from the non-zero worths alone. ``markov`` worths solve each kept
state set's own system, batched by size; first-order subgames of 13 or more
channels are built over the subset lattice by bordered inverses. Work is
reported by a tqdm progress bar on stderr when stderr is a terminal.

References
----------
.. [1] Shapley, L. S. (1953). A value for n-person games. Contributions to the Theory
   of Games II, 307-317.
.. [2] Zhao, K., Mahboobi, S. H. and Bagheri, S. R. (2018). Shapley value methods for
   attribution modeling in online advertising. arXiv:1804.05327.
.. [3] Dalessandro, B., Perlich, C., Stitelman, O. and Provost, F. (2012). Causally
   motivated attribution for online advertising. ADKDD '12.
.. [4] Anderl, E., Becker, I., von Wangenheim, F. and Schumann, J. H. (2016). Mapping
   the customer journey. International Journal of Research in Marketing 33(3).
.. [5] Du, R., Zhong, Y., Nair, H., Cui, B. and Shou, R. (2019). Causally driven
   incremental multi touch attribution using a recurrent neural network.
   arXiv:1902.00215.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._absorbing import solve_subsystems
from .._games import popcount, sample_shapley_stack, shapley_values, subset_max, subset_sum
from ..exceptions import ModelError
from ..journeys import Journeys
from ..results import AttributionResult
from ._coalitions import (
    _assemble,
    _bit_keys,
    _channel_sets,
    _key_rows,
    _key_size,
    _masks,
    _member_keys,
    _Sets,
    _sortable,
    _words,
)
from .markov.chain import fit_chain

__all__ = ["shapley", "ordered_shapley", "shapley_values", "VALUE_FUNCTIONS"]

#: Named value functions.
VALUE_FUNCTIONS = ("zhao", "conversion_rate", "markov")
#: Largest game solved exactly by the subset transforms (memory 2**26 floats = 512 MiB).
_EXACT_LIMIT = 26
#: Largest number of channels whose full table is used for coalition look-ups.
_TABLE_LIMIT = 22
#: Coalition tables larger than this carry no channel-name column (it costs strings).
_NAMED_ROWS = 1 << 10
#: Above this many distinct coalitions, coalition_values lists the paths' channel sets only.
_COALITION_ROWS = 1 << 21
#: Markov subgames of at least this many channels are built over the subset lattice
#: (first-order dense chains). At O(2^k) for all 2^k worths it beats evaluating the
#: distinct coalitions apart at every size, so every exact subgame uses it.
_LATTICE_MIN = 1


def _coalition_names(rows: np.ndarray, channels) -> list[str]:
    names = np.asarray(channels, dtype=object)
    return [" + ".join(names[r]) if r.any() else "(empty)" for r in rows]


def _subgame_keys(codes: np.ndarray, n: int) -> np.ndarray:
    """Keys of every coalition of each set's subgame, in bitmask order.

    ``codes`` ``(m, k)`` -> ``(m, 2 ** k, words)``; entry ``s`` holds ``codes[:, i]``
    exactly when bit ``i`` of ``s`` is set (the layout of :func:`shapley_values`).
    """
    bits = _bit_keys(codes, n)
    out = np.zeros((len(codes), 1, bits.shape[-1]), dtype=np.uint64)
    for i in range(codes.shape[1]):
        out = np.concatenate([out, out + bits[:, i : i + 1]], axis=1)
    return out


# ---------------------------------------------------------------------- value functions
class _ConversionRate:
    """Dalessandro et al.: conversion rate of the journeys with exactly the channel set S."""

    name = "conversion_rate"

    def __init__(self, journeys: Journeys, sets: _Sets, missing: str, baseline: float | None):
        if journeys.nulls is None:
            raise ModelError(
                "value_function='conversion_rate' needs the non-converting journeys "
                "(a total_null column): a rate cannot be computed from conversions alone"
            )
        if missing not in ("zero", "best_subset"):
            raise ModelError(f"missing must be 'zero' or 'best_subset', got {missing!r}")
        self.n = journeys.n_channels
        self.missing = missing
        self.empty = 0.0 if baseline is None else float(baseline)
        conv = np.bincount(sets.path_set, journeys.conversions, minlength=len(sets.size))
        tot = conv + np.bincount(sets.path_set, journeys.nulls, minlength=len(sets.size))
        seen = tot > 0
        self.obs_keys = sets.keys[seen]  # sorted: sets are in key order
        self.obs_sorted = _sortable(self.obs_keys)
        self.rate = conv[seen] / tot[seen]
        self.candidates: tuple[np.ndarray, np.ndarray] | None = None
        if self.n <= _TABLE_LIMIT:
            table = np.full(1 << self.n, 0.0 if missing == "zero" else -np.inf)
            table[self.obs_keys[:, 0].astype(np.intp)] = self.rate
            table[0] = self.empty
            self.table: np.ndarray | None = subset_max(table) if missing == "best_subset" else table
        else:
            self.table = None
        # above the table limit, best_subset needs the maximum over the observed subsets
        # of a coalition: within an exact subgame, a subset-max transform of its table
        self.local_max = missing == "best_subset" and self.table is None

    def _exact(self, keys: np.ndarray) -> np.ndarray:
        """Rate of the observed set equal to each key; ``missing``'s fill otherwise."""
        fill = 0.0 if self.missing == "zero" else -np.inf
        q = _sortable(keys)
        if not len(self.obs_sorted):
            out = np.full(len(keys), fill)
        else:
            pos = np.minimum(np.searchsorted(self.obs_sorted, q), len(self.obs_sorted) - 1)
            out = np.where(self.obs_sorted[pos] == q, self.rate[pos], fill)
        out[~keys.any(axis=1)] = self.empty
        return out

    def worth(self, keys: np.ndarray) -> np.ndarray:
        """Worths of coalitions; with ``local_max`` the exact-match rates (-inf if unseen)."""
        if self.table is not None:
            return self.table[keys[:, 0].astype(np.intp)]
        return self._exact(keys)

    def _inside(self, set_keys: np.ndarray, codes: np.ndarray):
        """Observed non-empty sets inside each set: (set, observed set, local bitmask).

        Small sets enumerate their subsets and search them; large ones test every
        observed set for containment (cost: sets x observed sets, so only for the
        few sets with more than 12 channels).
        """
        m, k = codes.shape
        obs, local_bit = self.obs_keys, np.int64(1) << np.arange(k, dtype=np.int64)
        if (k <= 12 and (m << k) < 64 * len(obs)) or not len(obs):
            sub = _subgame_keys(codes, self.n)[:, 1:]  # (m, 2**k - 1, words): non-empty
            q = _sortable(sub.reshape(-1, sub.shape[-1]))
            pos = np.minimum(np.searchsorted(self.obs_sorted, q), max(len(obs) - 1, 0))
            hit = np.flatnonzero(self.obs_sorted[pos] == q) if len(obs) else np.zeros(0, int)
            width = (1 << k) - 1
            return hit // width, pos[hit], hit % width + 1
        nonempty = np.flatnonzero(obs.any(axis=1))
        code_keys = _bit_keys(codes, self.n)  # (m, k, words)
        step = max(1, (1 << 24) // max(len(nonempty) * obs.shape[1], 1))
        out = []
        for lo in range(0, m, step):  # chunks of sets, not one per set
            t = set_keys[lo : lo + step]
            inside = np.all((obs[nonempty][None] & ~t[:, None, :]) == 0, axis=2)
            o, c = np.nonzero(inside)
            o, c = o + lo, nonempty[c]
            has = np.all((code_keys[o] & obs[c][:, None, :]) == code_keys[o], axis=2)
            out.append((o, c, has.astype(np.int64) @ local_bit))
        return tuple(np.concatenate(x) for x in zip(*out, strict=True))

    def subgame_tables(self, set_keys: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Tables ``(m, 2 ** k)`` of the subgames of sets of ``k`` channels, by scattering.

        Each table starts at ``missing``'s fill with ``v(empty)`` at 0, and every
        observed set inside the subgame's set is written at its local bitmask
        (bit ``i`` = ``codes[:, i]``); ``best_subset`` then takes a subset-max.
        """
        m, k = codes.shape
        fill = 0.0 if self.missing == "zero" else -np.inf
        tables = np.full((m, 1 << k), fill)
        tables[:, 0] = self.empty
        o, c, local = self._inside(set_keys, codes)
        tables[o, local] = self.rate[c]
        return subset_max(tables) if self.missing == "best_subset" else tables

    def sparse_shapley(self, set_keys: np.ndarray, codes: np.ndarray):
        """``missing="zero"``: Shapley values of the subgames from their non-zero worths.

        With ``v`` zero except on the observed subsets ``U`` and the empty set,
        ``phi_j = sum over U containing j of w(|U| - 1) v(U) - sum over U without j
        of w(|U|) v(U)``, ``w(s) = s! (k - s - 1)! / k!`` (Shapley 1953 [1]_,
        regrouped by coalition): O(observed subsets x k) instead of O(k 2 ** k).

        Returns ``phi`` ``(m, k)``, ``v(T)`` and ``v(empty)`` per set.
        """
        m, k = codes.shape
        o, c, local = self._inside(set_keys, codes)
        size = np.bitwise_count(local) if hasattr(np, "bitwise_count") else None
        if size is None:
            size = ((local[:, None] >> np.arange(k)) & 1).sum(axis=1)
        w = np.array([1.0 / (k * math.comb(k - 1, s)) if s < k else 0.0 for s in range(k + 1)])
        v = self.rate[c]
        has = ((local[:, None] >> np.arange(k)) & 1).astype(bool)  # (pairs, k)
        contrib = np.where(has, w[size - 1][:, None], -w[size][:, None]) * v[:, None]
        phi = np.zeros((m, k))
        np.add.at(phi, o, contrib)
        phi -= w[0] * self.empty  # the empty coalition, without every j
        v_full = np.zeros(m)
        full = local == (1 << k) - 1
        v_full[o[full]] = v[full]
        return phi, v_full, np.full(m, self.empty)

    def prepare_sampling(self, set_keys: np.ndarray) -> None:
        """best_subset above the table limit: the observed subsets of each sampled set."""
        if not self.local_max:
            return
        obs, rate = self.obs_keys, self.rate
        nonempty = obs.any(axis=1)
        obs, rate = obs[nonempty], rate[nonempty]
        owners, cands = [], []
        step = max(1, (1 << 24) // max(len(obs) * obs.shape[1], 1))
        for lo in range(0, len(set_keys), step):  # chunks of sampled sets, not one per set
            t = set_keys[lo : lo + step]
            inside = np.all((obs[None, :, :] & ~t[:, None, :]) == 0, axis=2)  # (chunk, obs)
            o, c = np.nonzero(inside)
            owners.append(o + lo)
            cands.append(c)
        owner = np.concatenate(owners) if owners else np.zeros(0, np.int64)
        cand = np.concatenate(cands) if cands else np.zeros(0, np.int64)
        counts = np.bincount(owner, minlength=len(set_keys))
        width = max(int(counts.max(initial=0)), 1)
        slot = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
        ck = np.full((len(set_keys), width, obs.shape[1]), ~np.uint64(0), dtype=np.uint64)
        cr = np.full((len(set_keys), width), -np.inf)
        ck[owner, slot] = obs[cand]
        cr[owner, slot] = rate[cand]
        self.candidates = (ck, cr)

    def worth_within(self, keys: np.ndarray, owner: np.ndarray) -> np.ndarray:
        """Worths of coalitions of the sampled sets ``owner`` (see :meth:`prepare_sampling`)."""
        if self.candidates is None:
            return self.worth(keys)
        ck, cr = self.candidates
        out = np.empty(len(keys))
        step = max(1, (1 << 24) // (ck.shape[1] * ck.shape[2]))
        for lo in range(0, len(keys), step):
            q, o = keys[lo : lo + step], owner[lo : lo + step]
            inside = np.all((ck[o] & ~q[:, None, :]) == 0, axis=2)
            best = np.where(inside, cr[o], -np.inf).max(axis=1)
            out[lo : lo + step] = np.maximum(best, self.empty)
        return out


class _NoStatePerChannel(Exception):
    """A first-order chain with a channel that has no state (the lattice needs one each)."""


def _chain_conversion(chain, keeps: np.ndarray) -> np.ndarray:
    """P(conversion) of ``chain`` with only the states ``keeps`` ``(m, states)`` kept.

    Dense chains: each kept set's own system ``(I - Q_KK) x = r_K`` is solved,
    batched by its number of states (equal to solving the full system with the
    removed states' rows and columns replaced by the identity, as
    :meth:`MarkovChain.conversion_probabilities` does, at a fraction of the cost).
    """
    if chain.solver != "dense":
        return np.asarray(chain.solve_kept_states(keeps), dtype=np.float64)[:, 0]
    A = np.eye(chain.n_states) - chain.transient_matrix.toarray()
    r = np.asarray(chain.step_rewards, dtype=np.float64)[:, 0]
    p0 = np.asarray(chain.start_probability, dtype=np.float64)
    return solve_subsystems(A, r, p0, keeps)


class _Markov:
    """Conversion probability of the fitted chain with the channels outside S removed."""

    name = "markov"
    local_max = False

    def __init__(self, journeys: Journeys, order: int):
        self.chain = fit_chain(journeys, order=order)
        self.channels = np.asarray(journeys.channels, dtype=object)
        # each state as the key of the journeys' channels its window contains
        index = {c: i for i, c in enumerate(journeys.channels)}
        cols = np.array([index.get(c, -1) for c in self.chain.channels], dtype=np.int64)
        contains = np.asarray(self.chain.contains, dtype=bool)
        member = np.zeros((contains.shape[0], journeys.n_channels), dtype=bool)
        ok = cols >= 0
        member[:, cols[ok]] = contains[:, ok]
        self.state_keys = _member_keys(member)

    def worth(self, keys: np.ndarray) -> np.ndarray:
        # a state is kept when every channel of its window is in the coalition
        n_states = len(self.state_keys)
        out = np.empty(len(keys))
        step = max(1, (1 << 23) // max(n_states * keys.shape[1], 1))
        for lo in range(0, len(keys), step):
            k = keys[lo : lo + step]
            keeps = np.all((self.state_keys[None, :, :] & ~k[:, None, :]) == 0, axis=2)
            out[lo : lo + step] = _chain_conversion(self.chain, keeps)
        return out

    def lattice_ready(self) -> bool:
        """Whether :meth:`subgame_tables` applies: a dense first-order chain."""
        chain = self.chain
        return chain.order == 1 and chain.solver == "dense"

    def subgame_tables(self, set_keys: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Worth tables ``(m, 2 ** k)`` of first-order subgames, by recursive Schur complements.

        The worth of ``S`` is ``p0_S' (I - Q_SS)^-1 r_S``, the Schur complement of the
        zero corner of the bordered matrix ``B = [[I - Q_TT, r_T], [-p0_T', 0]]`` on
        the block ``S`` (``T`` the set's channels). Channel by channel, each matrix of
        the previous level gives two: the channel left out (its row and column
        deleted) or kept (eliminated: the Schur complement on its pivot). After ``k``
        levels the ``2 ** k`` corners are ``v(S)`` for every ``S``, in subset-mask order. This is
        the principal-minor recursion of Griffin and Tsatsomeros (2006): level ``i``
        costs ``2 ** i (k + 1 - i) ** 2``, so all ``2 ** k`` worths cost ``O(2 ** k)``
        in all (about 12 ``2 ** k`` multiply-adds), against ``O(k ** 2)`` per
        coalition for the bordered inverses used before. No pivoting is needed:
        ``I - Q_SS`` is a nonsingular M-matrix for every ``S`` (every state of a fitted
        chain leads to absorption, and no self-loops: pivots stay positive), and its
        Schur complements are M-matrices again.

        References
        ----------
        .. [1] Griffin, K. and Tsatsomeros, M. J. (2006). Principal minors, Part I: a
           method for computing all the principal minors of a matrix. Linear Algebra
           and its Applications 419, 107-124.
        """
        chain = self.chain
        Q = chain.transient_matrix.toarray()
        r = np.asarray(chain.step_rewards, dtype=np.float64)[:, 0]
        p0 = np.asarray(chain.start_probability, dtype=np.float64)
        m, k = codes.shape
        st = self._state_of()[codes]  # (m, k)
        if np.any(st < 0):
            raise _NoStatePerChannel("a channel without its own state")
        out = np.empty((m, 1 << k))
        eye = np.eye(k)
        per = max(1, _LEAVES >> k)  # games per batch
        for lo in range(0, m, per):
            s_ = st[lo : lo + per]
            B = np.zeros((len(s_), k + 1, k + 1))
            B[:, :k, :k] = eye - Q[s_[:, :, None], s_[:, None, :]]
            B[:, :k, k] = r[s_]
            B[:, k, :k] = -p0[s_]  # so the corners are +v (no negation pass)
            _schur_corners(B, k, out[lo : lo + len(s_)])
        return out

    def prefix_worths(self, codes: np.ndarray, order: np.ndarray) -> np.ndarray:
        """Worths of every prefix of sampled orders, by elimination in each order.

        ``codes`` ``(a, k)``: the channels of each game; ``order`` ``(a, p, k)``: the
        players of each sampled order. Eliminating the bordered matrix's channels in
        the order they join, the corner after ``t`` pivots is ``-v`` of the first
        ``t`` players (the Schur complement on a leading block involves that block
        only), so one elimination, ``O(k^3)``, gives all ``k + 1`` prefix worths of
        an order; solving each prefix apart cost ``O(k^4)``. First-order dense
        chains only (:meth:`lattice_ready`).
        """
        chain = self.chain
        Q = chain.transient_matrix.toarray()
        r = np.asarray(chain.step_rewards, dtype=np.float64)[:, 0]
        p0 = np.asarray(chain.start_probability, dtype=np.float64)
        st = self._state_of()[codes]
        if np.any(st < 0):
            raise _NoStatePerChannel("a channel without its own state")
        a, p, k = order.shape
        s_ = np.take_along_axis(np.broadcast_to(st[:, None, :], (a, p, k)), order, axis=2)
        s_ = s_.reshape(a * p, k)
        M = np.zeros((a * p, k + 1, k + 1))
        M[:, :k, :k] = np.eye(k) - Q[s_[:, :, None], s_[:, None, :]]
        M[:, :k, k] = r[s_]
        M[:, k, :k] = p0[s_]
        out = np.empty((a * p, k + 1))
        out[:, 0] = 0.0
        for t in range(k):  # pivot t: rows and columns below t are updated in place
            piv = M[:, t + 1 :, t : t + 1] / M[:, t : t + 1, t : t + 1]
            M[:, t + 1 :, t + 1 :] -= piv * M[:, t : t + 1, t + 1 :]
            out[:, t + 1] = -M[:, k, k]
        return out.reshape(a, p, k + 1)

    def _state_of(self) -> np.ndarray:
        """The state of each channel code (first-order chains), -1 for none."""
        single = np.flatnonzero(_key_size(self.state_keys) == 1)
        state_of = np.full(self.state_keys.shape[1] * 64, -1, dtype=np.int64)
        rows = _key_rows(self.state_keys[single], len(state_of))
        state_of[np.argmax(rows, axis=1)] = single
        return state_of

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        removed = [self.channels[~r].tolist() for r in rows]
        return np.asarray(self.chain.conversion_probabilities(removed), dtype=np.float64)


#: Leaves (coalitions) of the Schur-complement lattice computed per batch: the last
#: levels then stay in cache (about 2 MiB of 2 x 2 and 1 x 1 matrices).
_LEAVES = 1 << 16


def _schur_levels(M: np.ndarray, levels: int) -> np.ndarray:
    """``levels`` steps of the lattice recursion on ``M`` ``(b, c, s, s)``.

    Each matrix gives two: its first row and column deleted (the channel left out),
    then the Schur complement on its first pivot (the channel kept); the second
    axis doubles each step, the channel of step ``i`` becoming bit ``i`` of it.
    """
    for _ in range(levels):
        rest = M[:, :, 1:, 1:]
        kept = rest - M[:, :, 1:, :1] * (M[:, :, :1, 1:] / M[:, :, :1, :1])
        M = np.concatenate([rest, kept], axis=1)
    return M


def _schur_last_two(M: np.ndarray) -> np.ndarray:
    """The four leaves of each ``3 x 3`` matrix of ``M`` ``(c, n, 3, 3)``, in closed form.

    With ``M = [[a, b, e], [c, d, f], [g, h, z]]`` (two channels and the corner), the
    corners of the subsets {}, {0}, {1}, {0, 1} are ``z``, ``z - g e / a``,
    ``z - h f / d`` and, after eliminating 0, ``z' - h' f' / d'``. Returns
    ``(c, 4 n)``: leaf ``2 * bit1 + bit0`` of matrix ``i`` at ``i + n * leaf``,
    the layout :func:`_schur_levels` would give after two more steps.
    """
    a, b, e = M[..., 0, 0], M[..., 0, 1], M[..., 0, 2]
    c, d, f = M[..., 1, 0], M[..., 1, 1], M[..., 1, 2]
    g, h, z = M[..., 2, 0], M[..., 2, 1], M[..., 2, 2]
    ga, ca = g / a, c / a
    z0 = z - ga * e
    out = np.empty((M.shape[0], 4, M.shape[1]))
    out[:, 0] = z
    out[:, 1] = z0
    out[:, 2] = z - h * f / d
    out[:, 3] = z0 - (h - ga * b) * (f - ca * e) / (d - ca * b)
    return out.reshape(M.shape[0], -1)


def _schur_corners(B: np.ndarray, k: int, out: np.ndarray) -> None:
    """Corner entries of all ``2 ** k`` lattice leaves of ``B`` ``(b, k + 1, k + 1)``.

    Breadth-first for the first channels, then subtree by subtree so each subtree
    (at most ``_LEAVES`` leaves per batch) is finished while it is in cache; the last
    two channels of every subtree in closed form (:func:`_schur_last_two`). Written
    to ``out`` ``(b, 2 ** k)`` in subset-mask order (channel ``i`` = bit ``i``).
    """
    b = len(B)
    tail = min(k, max(1, (_LEAVES // max(b, 1)).bit_length() - 1))
    head = k - tail
    top = _schur_levels(B[:, None], head)  # (b, 2**head, s, s)
    view = out.reshape(b, 1 << tail, 1 << head)  # leaf mask = high (tail) bits, low (head)
    per = max(1, _LEAVES >> tail)  # subtrees per batch, over the b games
    flat = top.reshape(b * (1 << head), 1, *top.shape[2:])
    for lo in range(0, len(flat), per):
        sub = flat[lo : lo + per]
        if tail >= 2:
            leaves = _schur_last_two(_schur_levels(sub, tail - 2))  # (c, 2**tail)
        else:
            leaves = _schur_levels(sub, tail)[:, :, 0, 0]
        g, h = np.divmod(np.arange(lo, lo + len(leaves)), 1 << head)
        view[g, :, h] = leaves


def _shapley_from_table(v: np.ndarray) -> np.ndarray:
    """Shapley values of games ``v`` ``(m, 2 ** k)`` with ``v(empty) = 0``, in O(2 ** k).

    ``phi_j = sum over T with j of c(T) - sum over all T of w(|T|) v(T)``, with
    ``w(s) = s! (k - s - 1)! / k!`` (zero at ``s = k``) and ``c(T) = v(T) (w(|T| - 1)
    + w(|T|))``: the marginal contributions regrouped by coalition. The sums over the
    coalitions containing each ``j`` are one row sum and one column sum of the table
    seen as ``(2 ** (k - h), 2 ** h)`` and two small products with the bit patterns,
    instead of ``k`` passes over half the table (:func:`shapley_values`). The
    weights sum to about ``ln k``, so for worths in ``[0, 1]`` (conversion
    probabilities) rounding stays near ``1e-16 ln k``.
    """
    m, size = v.shape
    k = size.bit_length() - 1
    if k == 0:
        return np.zeros((m, 0))
    w_out = np.array([1.0 / (k * math.comb(k - 1, t)) if t < k else 0.0 for t in range(k + 1)])
    w_in = np.r_[0.0, w_out[:-1]]
    pc = popcount(k)
    c = v * (w_in + w_out)[pc]
    base = v @ w_out[pc]
    h = k // 2
    c3 = c.reshape(m, 1 << (k - h), 1 << h)
    low_bits = ((np.arange(1 << h)[:, None] >> np.arange(h)) & 1).astype(np.float64)
    high_bits = ((np.arange(1 << (k - h))[:, None] >> np.arange(k - h)) & 1).astype(np.float64)
    phi = np.empty((m, k))
    phi[:, :h] = c3.sum(axis=1) @ low_bits
    phi[:, h:] = c3.sum(axis=2) @ high_bits
    return phi - base[:, None]


class _UserFunction:
    """A user's callable on frozensets (or on boolean rows), or a classifier's probability."""

    local_max = False

    def __init__(self, func, channels, vectorized: bool):
        self.func = func
        self.channels = np.asarray(channels, dtype=object)
        self.vectorized = vectorized
        self.classifier = hasattr(func, "predict_proba")
        kind = "classifier" if self.classifier else "callable"
        self.name = f"{kind}:{getattr(func, '__name__', type(func).__name__)}"

    def worth(self, keys: np.ndarray) -> np.ndarray:
        return self(_key_rows(keys, len(self.channels)))

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        if self.classifier:
            proba = np.asarray(self.func.predict_proba(rows.astype(np.float64)), dtype=np.float64)
            if proba.ndim != 2 or proba.shape[0] != len(rows):
                raise ModelError(
                    f"predict_proba returned shape {proba.shape}, expected ({len(rows)}, classes)"
                )
            out = proba[:, -1]
        elif self.vectorized:
            got = self.func(rows)
            try:
                out = np.asarray(got, dtype=np.float64).reshape(-1)
            except (TypeError, ValueError):
                raw = np.asarray(got, dtype=object).reshape(-1)
                bad = next((i for i, v in enumerate(raw) if not _is_number(v)), 0)
                named = sorted(self.channels[rows[bad]]) if bad < len(rows) else "?"
                raise ModelError(
                    f"the value function returned a non-number for coalition {named} "
                    f"(row {bad}): {_show(raw[bad] if bad < len(raw) else got)}"
                ) from None
        else:
            out = np.empty(len(rows))
            for i, r in enumerate(rows):
                coalition = frozenset(self.channels[r])
                v = self.func(coalition)
                if not _is_number(v):
                    raise ModelError(
                        f"the value function returned a non-number for coalition "
                        f"{sorted(coalition)}: {_show(v)}"
                    )
                out[i] = float(v)
        if out.shape != (len(rows),):
            raise ModelError(f"the value function returned {out.shape[0]} worths for {len(rows)}")
        if not np.all(np.isfinite(out)):
            i = int(np.flatnonzero(~np.isfinite(out))[0])
            raise ModelError(
                f"the value function returned a non-finite worth for coalition "
                f"{sorted(self.channels[rows[i]])}: {out[i]!r}"
            )
        return out


def _is_number(v) -> bool:
    """A real number (Python or numpy, bools included); not a string, None or complex.

    A string such as ``"0.5"`` is refused although ``float`` would read it: a value
    function returning text has most likely returned the wrong thing.
    """
    if isinstance(v, numbers.Real | np.bool_):
        return True
    return isinstance(v, np.ndarray) and v.shape == () and v.dtype.kind in "biuf"


def _show(v) -> str:
    """``repr`` of a returned value, cut short, with its type."""
    text = repr(v)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(v).__name__})"


# ---------------------------------------------------------------------- per-journey games
@dataclass
class _Split:
    """Per distinct set, the fraction of a path's conversions each channel gets."""

    frac: np.ndarray  # (sets, n)
    se: np.ndarray | None  # (sets, n) standard errors of frac (sampled sets only)
    method: str
    sampled: np.ndarray  # (sets,) bool: estimated by sampling
    permutations: int
    degenerate: np.ndarray  # (sets,) bool
    coalitions: tuple[np.ndarray, np.ndarray] | None  # (keys, worths) evaluated exactly


def _progress_bar(total: int):
    """A tqdm bar on stderr, shown on terminals only (``disable=None``)."""
    import sys

    from .._progress import tqdm_class

    return tqdm_class()(
        total=total, desc="shapley games", unit="path set", file=sys.stderr, disable=None,
        leave=False, bar_format="{l_bar}{bar}| {n:.0f}/{total} path sets [{elapsed}<{remaining}]",
    )  # fmt: skip


def _unique_keys(keys: np.ndarray):
    """Distinct keys (sorted) and the inverse map, by one sort of a one-dimensional view."""
    _, first, inverse = np.unique(_sortable(keys), return_index=True, return_inverse=True)
    return keys[first], inverse.reshape(-1)


def _exact_games(sets, game, n, exact, frac, gain, scale, bar):
    """Every coalition of every exact set, solved in batches by set size.

    Games whose worths cost more than a look-up (a Markov chain, a user's function)
    are evaluated once per distinct coalition. Returns the evaluated coalitions
    (keys, worths) for ``extras["coalition_values"]``: all of them up to
    ``_COALITION_ROWS`` distinct coalitions, above that the channel sets of the
    paths only (the coalitions whose worths split the journeys).
    """
    groups = []
    for k in np.unique(sets.size[exact]):
        idx = np.flatnonzero(exact & (sets.size == k))
        groups.append((idx, sets.codes(idx), int(k)))
    if not groups:
        return None
    total = sum(len(idx) << k for idx, _, k in groups)
    cheap = isinstance(game, _ConversionRate)
    if isinstance(game, _Markov) and game.lattice_ready():
        big = [g for g in groups if g[2] >= _LATTICE_MIN]
        if big:
            keep_tables = total <= _COALITION_ROWS  # then coalition_values lists them all
            state_of = game._state_of()
            direct: list | None = None
            # a chain whose states are not one per channel: the coalitions one by one
            if all(np.all(state_of[codes] >= 0) for _, codes, _ in big):
                direct = []
                for idx, codes, _k in big:
                    table = game.subgame_tables(sets.keys[idx], codes)
                    frac[idx[:, None], codes] = _shapley_from_table(table)
                    gain[idx] = table[:, -1] - table[:, 0]
                    scale[idx] = np.maximum(np.abs(table[:, -1]), np.abs(table[:, 0]))
                    bar.update(len(idx))
                    direct.append(table if keep_tables else table[:, -1:])
            if direct is not None:
                small = [g for g in groups if g[2] < _LATTICE_MIN]
                coal = _exact_games(sets, game, n, exact & (sets.size < _LATTICE_MIN), frac,
                                    gain, scale, bar) if small else None  # fmt: skip
                if coal is None:
                    coal = (np.zeros((0, _words(n)), np.uint64), np.zeros(0))
                if keep_tables:  # then the small sets' table is complete too
                    keys = np.concatenate(
                        [coal[0]] + [_subgame_keys(c, n).reshape(-1, _words(n)) for _, c, _ in big]
                    )
                    worth = np.concatenate([coal[1]] + [t.reshape(-1) for t in direct])
                    first = np.unique(_sortable(keys), return_index=True)[1]
                    return keys[first], worth[first]
                idx = np.flatnonzero(exact)
                keys = np.concatenate([np.zeros((1, _words(n)), np.uint64), sets.keys[idx]])
                v_full = np.zeros(len(sets.size))
                for (i, _c, _k), t in zip(big, direct, strict=True):
                    v_full[i] = t[:, -1]
                for i, _c, _k in small:
                    v_full[i] = gain[i] + 0.0  # v(empty) = 0 for a chain
                worth = np.concatenate([[0.0], v_full[idx]])
                order = np.argsort(_sortable(keys), kind="stable")
                return keys[order], worth[order]
    if cheap and n > _TABLE_LIMIT and total > _COALITION_ROWS:
        coalitions = None
        ends = []
        for idx, codes, k in groups:
            if game.missing == "zero" and k > 12:
                phi, v_full, v_empty = game.sparse_shapley(sets.keys[idx], codes)
            else:
                table = game.subgame_tables(sets.keys[idx], codes)
                phi, v_full, v_empty = shapley_values(table), table[:, -1], table[:, 0]
            frac[idx[:, None], codes] = phi
            gain[idx] = v_full - v_empty
            scale[idx] = np.maximum(np.abs(v_full), np.abs(v_empty))
            ends.append((v_full, v_empty))
            bar.update(len(idx))
        idx = np.concatenate([g[0] for g in groups])
        keys = np.concatenate([np.zeros((1, _words(n)), np.uint64), sets.keys[idx]])
        worth = np.concatenate([ends[0][1][:1]] + [e[0] for e in ends])
        order = np.argsort(_sortable(keys), kind="stable")
        return keys[order], worth[order]
    elif n <= _TABLE_LIMIT:  # a dense bitmap marks the coalitions; a dense table holds worths
        blocks = [_subgame_keys(c, n)[..., 0].astype(np.intp) for _, c, _ in groups]
        seen = np.zeros(1 << n, dtype=bool)
        for block in blocks:
            seen[block] = True
        uniq = np.flatnonzero(seen)
        ukeys = uniq.astype(np.uint64)[:, None]
        worth = np.asarray(game.worth(ukeys), dtype=np.float64)
        dense = np.zeros(1 << n)
        dense[uniq] = worth
        tables = [dense[block] for block in blocks]
        coalitions = (ukeys, worth) if len(ukeys) <= _COALITION_ROWS else None
    else:
        keys = np.concatenate([_subgame_keys(c, n).reshape(-1, _words(n)) for _, c, _ in groups])
        ukeys, inverse = _unique_keys(keys)
        del keys
        worth = np.asarray(game.worth(ukeys), dtype=np.float64)
        tables, start = [], 0
        for idx, _codes, k in groups:
            inv = inverse[start : start + (len(idx) << k)]
            start += len(idx) << k
            table = worth[inv].reshape(len(idx), 1 << k)
            if game.local_max:  # best observed subset: a max over each subgame's own table
                table = subset_max(table)
                worth[inv] = table.reshape(-1)
            tables.append(table)
        coalitions = (ukeys, worth) if len(ukeys) <= _COALITION_ROWS else None
    for (idx, codes, _k), table in zip(groups, tables, strict=True):
        frac[idx[:, None], codes] = shapley_values(table)
        gain[idx] = table[:, -1] - table[:, 0]
        scale[idx] = np.maximum(np.abs(table[:, -1]), np.abs(table[:, 0]))
        bar.update(len(idx))
    if coalitions is None:  # the paths' own channel sets (and the empty coalition)
        idx = np.concatenate([g[0] for g in groups])
        keys = np.concatenate([np.zeros((1, _words(n)), np.uint64), sets.keys[idx]])
        worth = np.concatenate([tables[0][:1, 0]] + [t[:, -1] for t in tables])
        order = np.argsort(_sortable(keys), kind="stable")
        coalitions = (keys[order], worth[order])
    return coalitions


def _sampled_games(sets, game, n, sampled, frac, se, gain, scale, bar, *, tol, mp, seed):
    """Permutation sampling of every sampled set at once, in stacks of equal size."""
    rng = np.random.default_rng(seed)
    if hasattr(game, "prepare_sampling"):
        game.prepare_sampling(sets.keys[sampled])
    within = getattr(game, "worth_within", None)
    owner_of = np.full(len(sets.size), -1, dtype=np.int64)
    owner_of[sampled] = np.arange(len(sampled))
    perms = 0
    words = _words(n)
    by_elimination = (
        isinstance(game, _Markov)
        and game.lattice_ready()
        and bool(np.all(game._state_of()[np.flatnonzero(sets.member[sampled].any(axis=0))] >= 0))
    )
    for k in np.unique(sets.size[sampled]):
        idx = sampled[sets.size[sampled] == k]
        codes = sets.codes(idx)
        bits = _bit_keys(codes, n)  # (m, k, words)
        full = bits.sum(axis=1, dtype=np.uint64)
        ends = np.stack([np.zeros_like(full), full], axis=1).reshape(-1, words)
        if within is None:
            ends_worth = game.worth(ends).reshape(len(idx), 2)
        else:
            ends_worth = within(ends, np.repeat(owner_of[idx], 2)).reshape(len(idx), 2)
        if not np.all(np.isfinite(ends_worth)):
            raise ModelError("the value function returned a non-finite worth")

        def prefix_worth(games, order, bits=bits, idx=idx, codes=codes):
            if by_elimination:
                return game.prefix_worths(codes[games], order).reshape(-1)
            step = np.take_along_axis(bits[games][:, None, :, :], order[..., None], axis=2)
            keys = np.zeros((*order.shape[:2], order.shape[2] + 1, words), dtype=np.uint64)
            np.cumsum(step, axis=2, dtype=np.uint64, out=keys[:, :, 1:])
            flat = keys.reshape(-1, words)
            if within is None:
                return game.worth(flat)
            return within(flat, np.repeat(owner_of[idx[games]], keys.shape[1] * keys.shape[2]))

        phi, phi_se, used = sample_shapley_stack(
            prefix_worth,
            len(idx),
            int(k),
            scale=np.where(
                np.abs(ends_worth[:, 1] - ends_worth[:, 0]) > 0,
                np.abs(ends_worth[:, 1] - ends_worth[:, 0]),
                1.0,
            ),
            tol=tol,
            max_permutations=mp,
            seed=rng,
            progress=bar.update,
        )
        perms += int(used.sum())
        gain[idx] = ends_worth[:, 1] - ends_worth[:, 0]
        scale[idx] = np.maximum(np.abs(ends_worth[:, 0]), np.abs(ends_worth[:, 1]))
        frac[idx[:, None], codes] = phi
        se[idx[:, None], codes] = phi_se
    return perms


def _journey_games(sets, game, n, *, method, max_exact, tol, max_permutations, seed):
    """Shapley split of every distinct channel set in the subgame of ``game`` on it."""
    n_sets = len(sets.size)
    frac = np.zeros((n_sets, n))
    gain = np.zeros(n_sets)
    scale = np.zeros(n_sets)
    exact = np.zeros(n_sets, dtype=bool) if method == "sampling" else sets.size <= max_exact
    if method == "exact":
        if sets.size.max(initial=0) > _EXACT_LIMIT:
            raise ModelError(
                f"a path has {int(sets.size.max())} distinct channels; exact Shapley is "
                f"limited to {_EXACT_LIMIT} (2**{_EXACT_LIMIT} coalitions); use method='sampling'"
            )
        exact[:] = True
    sampled = np.flatnonzero(~exact)
    se = np.zeros((n_sets, n)) if len(sampled) else None
    perms = 0
    with _progress_bar(n_sets) as bar:
        coalitions = _exact_games(sets, game, n, exact, frac, gain, scale, bar)
        if len(sampled):
            perms = _sampled_games(
                sets, game, n, sampled, frac, se, gain, scale, bar,
                tol=tol, mp=max_permutations, seed=seed,
            )  # fmt: skip
    degenerate = np.abs(gain) <= 1e-12 * scale
    ok = ~degenerate
    frac[ok] /= gain[ok, None]
    if se is not None:
        se[ok] /= np.abs(gain[ok, None])
        se[degenerate] = 0.0
    frac[degenerate] = sets.member[degenerate] / sets.size[degenerate, None]
    kind = "exact" if not len(sampled) else ("sampling" if not exact.any() else "exact+sampling")
    return _Split(frac, se, kind, ~exact, perms, degenerate, coalitions)


def _coalition_frame(worth, channels, *, rows=None, mask=None, size=None):
    """The evaluated game as a table: ``[coalition,] [mask,] size, value``, sorted by mask.

    ``coalition`` (names joined by " + ") is given for at most ``_NAMED_ROWS`` rows;
    ``mask`` (bit i = ``channels[i]``) when there are at most 62 channels.
    """
    import pandas as pd

    n = len(channels)
    if mask is None and n <= 62:
        mask = _masks(rows)
    if size is None:
        size = rows.sum(axis=1)
    data = {}
    if len(worth) <= _NAMED_ROWS:
        if rows is None:
            rows = ((mask[:, None] >> np.arange(n)) & 1).astype(bool)
        data["coalition"] = _coalition_names(rows, channels)
    if mask is not None:
        data["mask"] = mask
    data["size"] = size
    data["value"] = worth
    frame = pd.DataFrame(data)
    if mask is not None:
        frame = frame.sort_values("mask", ignore_index=True)
    return frame


# ---------------------------------------------------------------------- zhao (one global game)
def _zhao(journeys, sets, *, method, max_exact):
    """Channel totals of Zhao's game; per-journey shares are the equal dividend split."""
    n = journeys.n_channels
    frac = sets.member / sets.size[:, None]
    use_exact = method == "exact" or (method == "auto" and n <= max_exact)
    if not use_exact:
        return frac, None, None, "closed_form", None
    if n > _EXACT_LIMIT:
        raise ModelError(
            f"{n} channels: exact Shapley over 2**{n} coalitions is limited to {_EXACT_LIMIT} "
            "channels; zhao's closed form (method='auto') is exact at any size"
        )
    masks = _masks(sets.member)
    n_sets = len(sets.size)
    stats = [np.bincount(sets.path_set, journeys.conversions, minlength=n_sets)]
    if journeys.value is not None:
        stats.append(np.bincount(sets.path_set, journeys.value, minlength=n_sets))
    dividends = np.stack([np.bincount(masks, s, minlength=1 << n) for s in stats])
    games = subset_sum(dividends)  # v(S) = sum of R(T) over T within S
    phi = shapley_values(games)
    value = phi[1] if journeys.value is not None else None
    table = _coalition_frame(
        games[0], journeys.channels, mask=np.arange(1 << n, dtype=np.int64), size=popcount(n)
    )
    return frac, phi[0], value, "exact", table


# ---------------------------------------------------------------------- public functions
def _resolve_game(journeys, sets, value_function, *, missing, baseline, order, vectorized):
    if isinstance(value_function, str):
        if value_function not in VALUE_FUNCTIONS:
            raise ModelError(
                f"unknown value_function {value_function!r}; use one of {list(VALUE_FUNCTIONS)}, "
                "a callable on frozensets of channels, or a classifier with predict_proba"
            )
    elif not (callable(value_function) or hasattr(value_function, "predict_proba")):
        raise ModelError(
            f"value_function must be a name, a callable or a classifier, "
            f"got {type(value_function).__name__}"
        )
    only = {
        "missing": (missing, "conversion_rate"),
        "baseline": (baseline, "conversion_rate"),
        "order": (order, "markov"),
    }
    for arg, (given, owner) in only.items():
        if given is not None and value_function != owner:
            raise ModelError(f"{arg!r} applies to value_function={owner!r} only")
    if vectorized and isinstance(value_function, str):
        raise ModelError("vectorized=True applies to a callable value function only")
    if value_function == "zhao":
        return None
    if value_function == "conversion_rate":
        if baseline is not None and not (np.isfinite(baseline) and 0 <= baseline <= 1):
            raise ModelError(f"baseline must be a conversion rate in [0, 1], got {baseline!r}")
        return _ConversionRate(journeys, sets, missing or "zero", baseline)
    if value_function == "markov":
        return _Markov(journeys, 1 if order is None else order)
    return _UserFunction(value_function, journeys.channels, bool(vectorized))


def _check_common(method, max_exact_channels, tol, max_permutations):
    if method not in ("auto", "exact", "sampling"):
        raise ModelError(f"method must be 'auto', 'exact' or 'sampling', got {method!r}")
    if not (
        isinstance(max_exact_channels, int | np.integer) and 0 <= max_exact_channels <= _EXACT_LIMIT
    ):
        raise ModelError(
            f"max_exact_channels must be an integer in [0, {_EXACT_LIMIT}], "
            f"got {max_exact_channels!r}"
        )
    if not (np.isfinite(tol) and tol > 0):
        raise ModelError(f"tol must be a positive number, got {tol!r}")
    if not (isinstance(max_permutations, int | np.integer) and max_permutations >= 4):
        raise ModelError(f"max_permutations must be an integer >= 4, got {max_permutations!r}")


def _run(
    journeys,
    model,
    value_function,
    *,
    missing,
    baseline,
    order,
    vectorized,
    method,
    max_exact_channels,
    tol,
    max_permutations,
    seed,
    ci_prob,
    json_positions,
):
    _check_common(method, max_exact_channels, tol, max_permutations)
    if not (0 < ci_prob < 1):
        raise ModelError(f"ci_prob must be in (0, 1), got {ci_prob!r}")
    sets = _channel_sets(journeys)
    game = _resolve_game(
        journeys,
        sets,
        value_function,
        missing=missing,
        baseline=baseline,
        order=order,
        vectorized=vectorized,
    )
    vf_name = value_function if isinstance(value_function, str) else game.name
    params = {
        "value_function": vf_name,
        "method": method,
        "max_exact_channels": int(max_exact_channels),
        "tol": tol,
        "max_permutations": int(max_permutations),
        "seed": seed,
    }
    if value_function == "conversion_rate":
        params |= {"missing": missing or "zero", "baseline": baseline}
    if value_function == "markov":
        params["order"] = 1 if order is None else order
    extras: dict = {"value_function": vf_name}
    if game is None:
        if method == "sampling":
            raise ModelError(
                "value_function='zhao' is solved exactly at any size (subset transforms, or "
                "its closed form above max_exact_channels); sampling is not offered"
            )
        frac, conv, value, kind, table = _zhao(
            journeys, sets, method=method, max_exact=max_exact_channels
        )
        extras["method"] = kind
        if table is not None:
            extras["coalition_values"] = table
        return _assemble(
            journeys,
            sets,
            frac,
            model=model,
            params=params,
            extras=extras,
            conversions=conv,
            value=value,
            json_positions=json_positions,
        )
    split = _journey_games(
        sets,
        game,
        journeys.n_channels,
        method=method,
        max_exact=max_exact_channels,
        tol=tol,
        max_permutations=max_permutations,
        seed=seed,
    )
    extras["method"] = split.method
    credited = (journeys.conversions != 0) | (journeys.value_counts() != 0)
    extras["degenerate_paths"] = int((split.degenerate[sets.path_set] & credited).sum())
    if split.coalitions is not None:
        ukeys, worth = split.coalitions
        n = journeys.n_channels
        if n <= 62:
            frame = _coalition_frame(
                worth, journeys.channels, mask=ukeys[:, 0].astype(np.int64), size=_key_size(ukeys)
            )
        else:
            frame = _coalition_frame(worth, journeys.channels, rows=_key_rows(ukeys, n))
        extras["coalition_values"] = frame
    ci = None
    if split.se is not None:
        from scipy.stats import norm

        # sets are sampled independently: variances add over paths
        conv_set = np.bincount(sets.path_set, journeys.conversions, minlength=len(sets.size))
        se_conv = np.sqrt(((conv_set[:, None] * split.se) ** 2).sum(axis=0))
        extras["sampled_paths"] = int(split.sampled[sets.path_set].sum())
        extras["permutations"] = split.permutations
        extras["standard_errors"] = dict(zip(journeys.channels, se_conv.tolist(), strict=True))
        z = float(norm.ppf(0.5 + ci_prob / 2))
        ses = {"conversions": se_conv}
        if journeys.value is not None:
            val_set = np.bincount(sets.path_set, journeys.value, minlength=len(sets.size))
            ses["value"] = np.sqrt(((val_set[:, None] * split.se) ** 2).sum(axis=0))
        ci = ses, z
    result = _assemble(
        journeys,
        sets,
        split.frac,
        model=model,
        params=params,
        extras=extras,
        json_positions=json_positions,
    )
    if ci is not None:
        ses, z = ci
        metrics = {"conversions": result.conversions, "value": result.value}
        result = result.replace(
            lower={m: metrics[m] - z * s for m, s in ses.items()},
            upper={m: metrics[m] + z * s for m, s in ses.items()},
            ci_prob=ci_prob,
        )
    return result


def shapley(
    journeys: Journeys,
    value_function: str | Callable = "zhao",
    *,
    missing: str | None = None,
    baseline: float | None = None,
    order: int | None = None,
    vectorized: bool = False,
    method: str = "auto",
    max_exact_channels: int = 20,
    tol: float = 1e-3,
    max_permutations: int = 20_000,
    seed: int | None = 0,
    ci_prob: float = 0.95,
) -> AttributionResult:
    """Shapley-value attribution with an explicit coalition value function.

    See the module notes for the value functions, their sources, and how a
    response model's Shapley values (rates) become credited conversions.

    Parameters
    ----------
    journeys : Journeys
    value_function : {"zhao", "conversion_rate", "markov"}, callable or classifier
        ``"zhao"`` (default): conversions of the journeys whose channels lie
        within S. ``"conversion_rate"``: conversion rate of the journeys whose
        channel set is exactly S (needs nulls). ``"markov"``: conversion
        probability of the fitted chain with the channels outside S removed. A
        callable ``f(frozenset) -> float`` or a classifier with ``predict_proba``.
    missing : {"zero", "best_subset"}, optional
        ``conversion_rate`` only: worth of a coalition no journey has; default
        ``"zero"``.
    baseline : float, optional
        ``conversion_rate`` only: ``v(empty)``, the conversion rate without
        exposure (from a holdout); default 0.
    order : int, optional
        ``markov`` only: the chain's order; default 1.
    vectorized : bool, default False
        The callable takes a boolean matrix (rows are coalitions, columns
        ``journeys.channels``) and returns one worth per row.
    method : {"auto", "exact", "sampling"}, default "auto"
        ``"auto"``: exact for games of at most ``max_exact_channels`` players,
        permutation sampling above (``zhao`` uses its exact closed form above).
    max_exact_channels : int, default 20
        Largest game solved exactly under ``"auto"``: the number of channels for
        ``zhao``, the distinct channels of a path for the other value functions.
    tol : float, default 1e-3
        Sampling stops when every standard error is at most ``tol`` times the
        game's total ``|v(T) - v(empty)|``.
    max_permutations : int, default 20000
        Cap on sampled orders per game.
    seed : int, optional
        Seed of the sampler (results are deterministic for a seed).
    ci_prob : float, default 0.95
        Probability of the normal interval ``lower``/``upper`` given when sampling.

    Returns
    -------
    AttributionResult
        ``extras``: ``value_function`` and ``method`` (``"exact"``,
        ``"closed_form"``, ``"sampling"`` or ``"exact+sampling"``); with sampling,
        ``standard_errors`` per channel, ``permutations`` and ``sampled_paths``;
        for response models ``degenerate_paths``; DataFrames ``coalition_values``
        (the game table evaluated exactly; when more than 2**21 coalitions were
        evaluated, only the empty coalition and the paths' own channel sets),
        ``journey_credit`` (per distinct path
        and channel), ``position_credit`` (channel x touch position, 1 = first) and
        ``touchpoint_totals`` (per position).

    Raises
    ------
    ModelError
        Unknown value function, an argument given to a value function it does not
        apply to, conversion rates without nulls, a game too large for
        ``method="exact"``, a value function returning non-finite worths.

    Notes
    -----
    Exact games cost O(k 2^k) each for k channels (k = all channels for ``zhao``,
    the distinct channels of a path otherwise; games of the same size are solved
    in one batched call and each distinct coalition is evaluated once). Sampling
    costs ``2 (k + 1)`` evaluations per antithetic pair of orders; all sampled
    paths are sampled together, so the cost is linear in the number of paths.
    A progress bar (tqdm, stderr) is shown when stderr is a terminal.

    Sampled results are deterministic for a seed. Since the sampled paths now
    draw their orders together (round by round) rather than path after path,
    a seed gives different draws than in pathcredit versions before this change.

    References
    ----------
    .. [1] Zhao, K., Mahboobi, S. H. and Bagheri, S. R. (2018). arXiv:1804.05327.
    .. [2] Dalessandro, B., Perlich, C., Stitelman, O. and Provost, F. (2012).
       Causally motivated attribution for online advertising. ADKDD '12.

    Examples
    --------
    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["A", "B"], ["B"], ["A"]], conversions=[2, 1, 1],
    ...                         nulls=[2, 3, 1])
    >>> shapley(j).conversions.tolist()
    [2.0, 2.0]

    With conversion rates, path A > B (rate 0.5) is split by the Shapley values
    of its subgame: v(A) = 0.5, v(B) = 0.25, v(AB) = 0.5, so A's value is
    (0.5 + 0.25) / 2 = 0.375 of the lift 0.5 (75% of the path's 2 conversions)
    and B's 0.125 (25%):

    >>> r = shapley(j, "conversion_rate")
    >>> r.conversions.round(6).tolist(), r.extras["method"]
    ([2.5, 1.5], 'exact')
    """
    return _run(
        journeys,
        "shapley",
        value_function,
        missing=missing,
        baseline=baseline,
        order=order,
        vectorized=vectorized,
        method=method,
        max_exact_channels=max_exact_channels,
        tol=tol,
        max_permutations=max_permutations,
        seed=seed,
        ci_prob=ci_prob,
        json_positions=False,
    )


def ordered_shapley(
    journeys: Journeys,
    value_function: str | Callable = "zhao",
    *,
    missing: str | None = None,
    baseline: float | None = None,
    order: int | None = None,
    vectorized: bool = False,
    method: str = "auto",
    max_exact_channels: int = 20,
    tol: float = 1e-3,
    max_permutations: int = 20_000,
    seed: int | None = 0,
    ci_prob: float = 0.95,
) -> AttributionResult:
    """Ordered Shapley (Zhao et al. 2018): credit per channel and touchpoint position.

    A channel's Shapley credit on a path is shared evenly over its touches, so
    the channel totals equal :func:`shapley`'s and each touch position gets a
    part. ``extras["position_credit"]`` is the channel x position table (position
    1 is the first touch) and ``extras["touchpoint_conversions"]`` the conversions
    credited to each position (also in JSON). Parameters as :func:`shapley`.

    Returns
    -------
    AttributionResult

    Raises
    ------
    ModelError
        As :func:`shapley`.

    Notes
    -----
    Same cost as :func:`shapley` plus O(total touches) for the position tables.

    References
    ----------
    .. [1] Zhao, K., Mahboobi, S. H. and Bagheri, S. R. (2018). Shapley value methods
       for attribution modeling in online advertising. arXiv:1804.05327, section 3.3.

    Examples
    --------
    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["A", "B", "A"]], conversions=[4])
    >>> r = ordered_shapley(j)
    >>> r.conversions.tolist(), r.extras["touchpoint_conversions"]
    ([2.0, 2.0], [1.0, 2.0, 1.0])
    """
    return _run(
        journeys,
        "ordered_shapley",
        value_function,
        missing=missing,
        baseline=baseline,
        order=order,
        vectorized=vectorized,
        method=method,
        max_exact_channels=max_exact_channels,
        tol=tol,
        max_permutations=max_permutations,
        seed=seed,
        ci_prob=ci_prob,
        json_positions=True,
    )
