"""The coalition games of :func:`~pathcredit.models.shapley.shapley`: one worth per coalition.

Each named value function (``"conversion_rate"``, ``"markov"``) and a user's
callable is a class with ``worth(keys)`` over coalition keys (bit sets of
channels, :mod:`pathcredit.models._coalitions`) and, where it pays, whole
subgame tables at once (the Markov chain's by recursive Schur complements).
``"zhao"`` needs no class: its game is the journeys' channel-set table itself.
:func:`_resolve_game` turns the ``value_function`` argument into one of them.
The solvers that split each journey by its game's Shapley values are in
:mod:`~pathcredit.models.shapley.solve`.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..._absorbing import solve_subsystems
from ..._games import popcount, subset_max
from ...exceptions import ModelError
from ...journeys import Journeys
from .._coalitions import (
    _bit_keys,
    _key_rows,
    _key_size,
    _member_keys,
    _Sets,
    _sortable,
)
from ..markov.chain import fit_chain

__all__ = ["VALUE_FUNCTIONS"]

#: Named value functions.
VALUE_FUNCTIONS = ("zhao", "conversion_rate", "markov")
#: Largest number of channels whose full table is used for coalition look-ups.
_TABLE_LIMIT = 22


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
