"""Absorbing Markov chains over channel windows: window codes and exact solves.

The bottom-layer kernel of every Markov computation in the package (the Markov
model and its order selection, the bootstrap's vectorised resamples, the
Bayesian Markov posterior, the Markov Shapley games and the simulated Markov
world). It works on plain arrays (touch codes and path offsets, transition
matrices), so it imports nothing of the package but its errors.

Two jobs, each written once here:

- **Window codes.** A state of an order-``k`` chain is a window of ``k``
  consecutive channels (ChannelAttribution's convention: a path shorter than
  ``k`` is one state, left-aligned and padded). A window is held as a row of
  *digits* (channel code + 1, 0 pads) and, while ``k * log2(base) < 62``, as the
  integer *code* of those digits in base ``n_channels + 1`` (so sorting the codes
  sorts the windows).
- **Absorbing solves with some states removed.** Removing a state sends every
  transition into it to null; what remains is the system ``(I - Q_KK) x = r_K``
  over the kept states ``K``. :class:`AbsorbingSolver` solves it for many kept
  sets of one chain (batched dense LU, sparse LU, or the certified Neumann
  series for large higher-order chains, where LU fill-in explodes);
  :func:`solve_subsystems` solves each kept set's own smaller system (dense
  chains with many kept sets: the Shapley games); :func:`removal_batch` solves a
  batch of chains at once, whole and with each removal set removed, by Schur
  complements of one inverse (posterior draws and bootstrap resamples).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from .exceptions import ModelError

__all__ = [
    "MAX_ORDER",
    "SOLVERS",
    "AbsorbingSolver",
    "check_order",
    "contains_channels",
    "digit_codes",
    "last_window_digits",
    "removal_batch",
    "removal_sets",
    "solve_subsystems",
    "unique_codes",
    "unique_windows",
    "window_codes",
    "window_digits",
]

#: Largest Markov order accepted. Every order at least the longest path gives the
#: same chain (each path one state), and the work grows with the order.
MAX_ORDER = 32
#: Window codes below this are deduplicated with a lookup table (no sort).
LOOKUP_MAX = 2**25
#: Largest chain solved densely (batched) when many removal sets are asked at once.
DENSE_MAX = 96
#: ``solver="auto"`` factorises sparse LU up to this many states, iterates above.
DIRECT_MAX = 1000
SOLVERS = ("auto", "dense", "direct", "iterative")
ITER_RTOL = 1e-14
ITER_MAX = 100_000
#: Largest certified absolute error accepted from the iterative solver.
ITER_BOUND = 1e-11
#: Rewards (conversion and value per step) are rescaled when the answer is below
#: ``2**-SCALE_BELOW`` (far from any ordinary data, where the scale stays 1).
SCALE_BELOW = 500


def check_order(order, name: str = "order") -> int:
    """``order`` as an int in ``1..MAX_ORDER``, or a one-line :class:`ModelError`."""
    if isinstance(order, bool) or not isinstance(order, int | np.integer):
        raise ModelError(
            f"{name} must be a whole number from 1 to {MAX_ORDER} or 'auto', got {order!r}"
        )
    if not 1 <= order <= MAX_ORDER:
        raise ModelError(f"{name} must be a whole number from 1 to {MAX_ORDER}, got {order}")
    return int(order)


# ---------------------------------------------------------------------- window codes
def window_digits(touches: np.ndarray, offsets: np.ndarray, order: int):
    """Every window of every path as a row of channel digits (code + 1, 0 pads).

    Returns ``(digits, path_of_window)``: ``digits`` is ``(m, order)`` int64 with one
    row per window in path order, ``path_of_window`` the path of each row. A path of
    length ``L >= order`` has ``L - order + 1`` windows; a shorter path has one,
    left-aligned and padded with 0.
    """
    lengths = np.diff(offsets)
    L = np.repeat(lengths, lengths)
    pos = np.arange(len(touches), dtype=np.int64) - np.repeat(offsets[:-1], lengths)
    starts = np.flatnonzero(pos <= np.maximum(L - order, 0))
    m = len(starts)
    digits = np.zeros((m, order), dtype=np.int64)
    Ls = L[starts]
    ps = pos[starts]
    for j in range(order):
        ok = ps + j < Ls
        digits[ok, j] = touches[starts[ok] + j] + 1
    path_of = np.repeat(np.arange(len(lengths)), lengths)[starts]
    return digits, path_of


def last_window_digits(touches: np.ndarray, offsets: np.ndarray, order: int) -> np.ndarray:
    """``(paths, order)`` digits of each path's last window (its last state).

    The last ``order`` channels, or the whole path when it is shorter, left-aligned
    with 0 pads (merging repeated states never changes the last one).
    """
    lengths = np.diff(offsets)
    ends = offsets[1:]
    digits = np.zeros((len(lengths), order), dtype=np.int64)
    start = ends - np.minimum(lengths, order)
    for j in range(order):
        ok = start + j < ends
        digits[ok, j] = touches[start[ok] + j] + 1
    return digits


def digit_codes(digits: np.ndarray, base: int) -> np.ndarray:
    """The base-``base`` integer code of each row of digits (``order * log2(base) < 62``)."""
    code = np.zeros(len(digits), dtype=np.int64)
    for j in range(digits.shape[1]):
        code = code * base + digits[:, j]
    return code


def window_codes(touches: np.ndarray, offsets: np.ndarray, order: int, base: int):
    """The code of every window, built in place: ``(code, n_windows)`` (``order >= 2``).

    The same codes as ``digit_codes(window_digits(...)[0], base)`` without the
    per-window digit rows or a per-touch path index: the code of the window starting
    at each touch is accumulated one window position at a time, windows that would
    cross into the next path are masked with ``O(paths * order)`` work, and a path
    shorter than the order gets its one padded window. ``n_windows`` is the number
    of windows per path (``max(L - order + 1, 1)``).
    """
    lengths = np.diff(offsets)
    n_touch = len(touches)
    starts, ends = offsets[:-1], offsets[1:]
    # code of the window starting at every touch (digits past the end read as 0)
    code = touches.astype(np.int64) + 1
    digit = code.copy()
    for j in range(1, order):
        code *= base
        code[: max(n_touch - j, 0)] += digit[j:]
    # a path shorter than the order is one window, padded with 0
    short = np.flatnonzero(lengths < order)
    if len(short):
        s, ln = starts[short], lengths[short]
        c = np.zeros(len(short), dtype=np.int64)
        for j in range(order):
            c = c * base + np.where(j < ln, digit[np.minimum(s + j, n_touch - 1)], 0)
        code[s] = c
    # windows starting in the last order - 1 touches of a path cross its end
    valid = np.ones(n_touch, dtype=bool)
    for j in range(1, order):
        m = lengths > j
        valid[ends[m] - j] = False
    return code[valid], np.maximum(lengths - order + 1, 1)


def unique_codes(code: np.ndarray, base: int, order: int):
    """Distinct window codes: ``(inverse, windows)``, windows sorted by their code.

    ``windows`` is ``(n_unique, order)`` digits decoded from the codes; ``inverse``
    the index of each input code among them. Codes below :data:`LOOKUP_MAX` are
    deduplicated with a dense lookup table instead of a sort.
    """
    if base**order <= LOOKUP_MAX:
        seen = np.zeros(base**order, dtype=bool)
        seen[code] = True
        uniq = np.flatnonzero(seen)
        ids = np.cumsum(seen, dtype=np.int64) - 1
        inverse = ids[code]
    else:
        uniq, inverse = np.unique(code, return_inverse=True)
    windows = np.zeros((len(uniq), order), dtype=np.int64)
    rest = uniq.copy()
    for j in range(order - 1, -1, -1):
        windows[:, j] = rest % base
        rest //= base
    return inverse.ravel(), windows


def unique_windows(digits: np.ndarray, base: int):
    """Distinct rows of digits: ``(inverse, windows)``, sorted by their code.

    Through integer codes when they fit in int64, else by sorting the rows.
    """
    order = digits.shape[1]
    if order * np.log2(base) < 62:
        return unique_codes(digit_codes(digits, base), base, order)
    udig, inverse = np.unique(digits, axis=0, return_inverse=True)
    return inverse.ravel(), udig


def contains_channels(windows: np.ndarray, n_channels: int) -> np.ndarray:
    """``(states, n_channels)`` bool: whether each window of digits holds each channel.

    Removing a channel removes every state whose window holds it.
    """
    n = len(windows)
    contains = np.zeros((n, n_channels), dtype=bool)
    for j in range(windows.shape[1]):
        ok = windows[:, j] > 0
        contains[np.flatnonzero(ok), windows[ok, j] - 1] = True
    return contains


def scaled_reward(weight: np.ndarray, out: np.ndarray, total: float) -> tuple[np.ndarray, int]:
    """``(weight / out, k)`` per state, times ``2**k`` if the answer is tiny (else ``k = 0``).

    A chain fitted to counts conserves the observed flow, so the solve's answer is
    known in size beforehand: ``P(conversion)`` is the observed conversion rate and
    the expected value the value per journey. When that is below
    ``2**-SCALE_BELOW`` the rewards are scaled by the power of two that brings it
    near 1, capped so no reward exceeds ``2**1000`` (exponents from ``frexp``, so
    no quotient that underflows is needed to choose it). With conversions of
    1e-310 next to millions of nulls, P(conversion) would otherwise underflow to 0
    or to a subnormal with a few bits, yet the removal effects, ratios of such
    probabilities, are well defined.
    """
    pos = (weight > 0) & (out > 0)
    r = np.divide(weight, out, out=np.zeros(len(out)), where=pos)
    total = float(total)
    if not pos.any() or total <= 0:
        return r, 0
    answer = math.frexp(float(weight.sum()))[1] - math.frexp(total)[1]
    if answer >= -SCALE_BELOW:
        return r, 0
    m_w, e_w = np.frexp(weight[pos])
    m_o, e_o = np.frexp(out[pos])
    top = int((e_w - e_o).max())  # the largest reward is below 2**top
    k = min(-answer, 1000 - top)
    if k > 0:
        r[pos] = np.ldexp(m_w / m_o, e_w - e_o + k)
        return r, int(k)
    return r, 0


# ------------------------------------------------------- one chain, many kept sets
class AbsorbingSolver:
    """Absorption values of one chain with any sets of its transient states kept.

    Parameters
    ----------
    Q : scipy.sparse.csr_matrix
        ``(n, n)`` transition probabilities between the transient states (no
        self-loops, every state leads to absorption).
    rhs : ndarray
        ``(n, k)`` one-step rewards; columns ``0, 2, ...`` are probabilities (the
        certified error bound of the iterative solver is on those).
    start_weight : ndarray
        ``(n,)`` start counts, not their proportions: a proportion of a few
        subnormal counts underflows, so ``total_weight`` is divided out at the end.
    total_weight : float
    solver : {"auto", "dense", "direct", "iterative"}
        ``"auto"``: dense up to :data:`DENSE_MAX` states, sparse LU up to
        :data:`DIRECT_MAX`, the Neumann series above.
    bound_shift : int, default 0
        The probabilities in ``rhs`` are scaled by ``2**bound_shift`` (exactly);
        :attr:`error_bound` is reported unscaled.

    Attributes
    ----------
    solver : str
        The solver used: ``"dense"``, ``"direct"`` or ``"iterative"``.
    absorb : ndarray
        ``(n, k)``: the absorption values from every state with all states kept.
    error_bound : float or None
        With the iterative solver, a certified bound on the absolute error of every
        probability computed so far; None for the direct ones (exact up to rounding).
    """

    def __init__(
        self, Q, rhs, start_weight, total_weight, solver: str = "auto", *, bound_shift: int = 0
    ):
        if solver not in SOLVERS:
            raise ModelError(f"solver must be one of {SOLVERS}, got {solver!r}")
        n = Q.shape[0]
        if solver == "auto":
            solver = "dense" if n <= DENSE_MAX else "direct" if n <= DIRECT_MAX else "iterative"
        self.Q = Q
        self.rhs = rhs
        self.start_weight = start_weight
        self.total_weight = total_weight
        self.solver = solver
        self._shift = bound_shift
        self.scale = np.zeros(rhs.shape[1], dtype=np.int64)
        self.out_weight: np.ndarray | None = None
        self._A_cache = None
        self._steps: float | None = None
        self.error_bound: float | None = 0.0 if solver == "iterative" else None
        self.absorb = self._absorption_all_kept()

    @classmethod
    def from_counts(cls, counts, conv, null, value, solver: str = "auto") -> AbsorbingSolver:
        """The chain of transition weights ``counts``, with its two reward columns scaled.

        Parameters
        ----------
        counts : scipy.sparse matrix
            ``(n + 1, n)`` transition weights between the transient states; row
            ``n`` is the start.
        conv, null, value : ndarray
            ``(n,)`` weight of each state's edge to conversion and to null, and the
            value of the conversions leaving it.
        solver : str
            As the class.

        Returns
        -------
        AbsorbingSolver
            With ``rhs`` the conversion and value rewards (each scaled by
            :func:`scaled_reward`; :attr:`scale` holds the exponents and
            :meth:`unscale` undoes them), ``out_weight`` each state's total outgoing
            weight.
        """
        n = counts.shape[1]
        out = np.asarray(counts[:n].sum(axis=1)).ravel() + conv + null
        total = float(counts[n].sum())
        # Every probability is a count divided by its row total, never a count times
        # the reciprocal of the total: a total below 2^-1022 (a subnormal count such
        # as 5e-324) has a reciprocal that overflows to inf, and inf * 0 made the rows
        # NaN (the solves then failed as "singular"). A quotient of two floats is
        # correctly rounded, so rows of tiny counts give their exact proportions.
        Q = counts[:n].tocsr(copy=True)
        Q.data = Q.data / out[np.repeat(np.arange(n), np.diff(Q.indptr))]
        start = np.asarray(counts[n].todense()).ravel()
        r_conv, k_conv = scaled_reward(conv, out, total)
        r_value, k_value = scaled_reward(value, out, total)
        self = cls(Q, np.column_stack([r_conv, r_value]), start, total, solver,
                   bound_shift=k_conv)  # fmt: skip
        self.scale = np.array([k_conv, k_value], dtype=np.int64)
        self.out_weight = out
        return self

    def unscale(self, x: np.ndarray) -> np.ndarray:
        """Values of the scaled solves (columns conversion, value) back in their own units."""
        if not self.scale.any():
            return x
        x = np.array(x, dtype=np.float64)
        x[..., 0] = np.ldexp(x[..., 0], -int(self.scale[0]))
        x[..., 1] = np.ldexp(x[..., 1], -int(self.scale[1]))
        return x

    @property
    def n_states(self) -> int:
        return self.Q.shape[0]

    @property
    def A(self):
        """``I - Q`` (sparse CSC), built on first use."""
        if self._A_cache is None:
            n = self.n_states
            self._A_cache = (sp.identity(n, format="csc") - self.Q).tocsc()
        return self._A_cache

    def _absorption_all_kept(self) -> np.ndarray:
        n = self.n_states
        if n == 0:
            return np.zeros((0, self.rhs.shape[1]))
        if self.solver == "iterative":
            return self._iterate(np.ones((n, self.rhs.shape[1])), self.rhs)
        if self.solver == "dense":
            return np.linalg.solve(self.A.toarray(), self.rhs)
        return splu(self.A).solve(self.rhs.copy())

    def solve_kept(self, keeps: np.ndarray) -> np.ndarray:
        """``(sets, k)``: the start's absorption values per row of a ``(sets, n)`` keep mask."""
        n = self.n_states
        kc = self.rhs.shape[1]
        out = np.zeros((len(keeps), kc))
        if n == 0 or len(keeps) == 0:
            return out
        p0 = self.start_weight
        full = keeps.all(axis=1)
        out[full] = p0 @ self.absorb
        todo = np.flatnonzero(~full)
        if self.solver == "dense":
            A = self.A.toarray()
            eye = np.eye(n)
            chunk = max(1, int(2**24 // (8 * n * n)))
            for lo in range(0, len(todo), chunk):
                rows = todo[lo : lo + chunk]
                k = keeps[rows].astype(np.float64)  # (b, n)
                # removed states: rows and columns replaced by the identity, reward 0
                M = A[None] * k[:, :, None] * k[:, None, :] + eye[None] * (1.0 - k)[:, :, None]
                x = np.linalg.solve(M, self.rhs[None] * k[:, :, None])
                out[rows] = np.einsum("j,bjc->bc", p0, x)
        elif self.solver == "direct":
            for i in todo:
                idx = np.flatnonzero(keeps[i])
                if len(idx):
                    sub = self.A[idx][:, idx].tocsc()
                    out[i] = p0[idx] @ splu(sub).solve(self.rhs[idx].copy())
        else:
            chunk = 16
            for lo in range(0, len(todo), chunk):
                rows = todo[lo : lo + chunk]
                k = np.repeat(keeps[rows].T.astype(np.float64), kc, axis=1)  # (n, kc * b)
                rhs = np.tile(self.rhs, len(rows)) * k
                x = self._iterate(k, rhs)
                out[rows] = (p0 @ x).reshape(len(rows), kc)
        return out / self.total_weight

    # ------------------------------------------------------------------ the Neumann series
    def _iterate(self, keep: np.ndarray, rhs: np.ndarray) -> np.ndarray:
        """Solve ``x = keep * (Q x) + rhs`` column-wise by the Neumann series.

        The iterates increase to the solution; the increment of the last step is
        the residual, and ``|x - x_t| <= max expected steps * residual``
        (``(I - Q)^-1`` has infinity norm = the longest expected time to
        absorption, which removing states only shortens). That bound on the
        probability columns is kept in :attr:`error_bound`.
        """
        steps = self.max_expected_steps()
        x = self._neumann(keep, rhs)
        inc = np.abs(self._neumann_step(x, keep, rhs) - x).max(axis=0)
        prob_cols = np.arange(0, rhs.shape[1], 2)
        bound = float(steps * inc[prob_cols].max()) if len(prob_cols) else 0.0
        # the bound is on the scaled probabilities; reported unscaled
        self.error_bound = max(self.error_bound or 0.0, float(np.ldexp(bound, -self._shift)))
        if bound > ITER_BOUND:
            raise ModelError(
                f"iterative solve did not reach {ITER_BOUND:g} (bound {bound:.3g}); "
                "use solver='direct'"
            )
        return x

    def _neumann_step(self, x, keep, rhs):
        y = self.Q @ x
        y *= keep
        y += rhs
        return y

    def _neumann(self, keep, rhs, rtol=ITER_RTOL, check_every=4):
        """Iterate until a step changes no column by more than ``rtol`` of its size.

        The iterates never decrease (``Q``, ``keep`` and ``rhs`` are non-negative),
        so the step is ``max(y - x)``; it is checked every ``check_every`` steps.
        """
        x = rhs.copy()
        for it in range(1, ITER_MAX + 1):
            y = self._neumann_step(x, keep, rhs)
            if it % check_every == 0:
                scale = np.maximum(y.max(axis=0), np.finfo(float).tiny)
                np.subtract(y, x, out=x)
                if np.all(x.max(axis=0) <= rtol * scale):
                    return y
            x = y
        raise ModelError("iterative solve did not converge; use solver='direct'")

    def max_expected_steps(self) -> float:
        """``max_s E[steps to absorption from s]`` = infinity norm of ``(I - Q)^-1``."""
        if self._steps is None:
            n = self.n_states
            ones = np.ones((n, 1))
            t = self._neumann(ones, ones)
            resid = float(np.abs(self._neumann_step(t, ones, ones) - t).max())
            tmax = float(t.max())
            # T <= t + T * resid  =>  T <= t / (1 - resid); a 1% margin on top
            self._steps = 1.01 * tmax / max(1.0 - resid, 0.5)
        return self._steps


def solve_subsystems(A: np.ndarray, r: np.ndarray, p0: np.ndarray, keeps: np.ndarray):
    """``p0_K' (I - Q_KK)^-1 r_K`` for each kept set ``K`` (rows of ``keeps``), dense.

    Each kept set's own system is solved, batched by its number of states: the same
    answer as replacing the removed states' rows and columns by the identity
    (:meth:`AbsorbingSolver.solve_kept`), at a fraction of the cost when many small
    sets are asked (the coalitions of a Shapley game). ``A`` is the dense
    ``I - Q``, ``r`` one reward column, ``p0`` the start distribution.
    """
    out = np.zeros(len(keeps))
    count = keeps.sum(axis=1)
    by_count = np.argsort(count, kind="stable")
    bounds = np.searchsorted(count[by_count], np.arange(keeps.shape[1] + 2))
    for s in range(1, keeps.shape[1] + 1):
        rows = by_count[bounds[s] : bounds[s + 1]]
        step = max(1, (1 << 22) // (s * s))
        for lo in range(0, len(rows), step):
            sub = rows[lo : lo + step]
            idx = np.nonzero(keeps[sub])[1].reshape(len(sub), s)
            x = np.linalg.solve(A[idx[:, :, None], idx[:, None, :]], r[idx][:, :, None])
            out[sub] = np.einsum("bs,bs->b", p0[idx], x[:, :, 0])
    return out


# ------------------------------------------------------- many chains, each removal set
def removal_sets(contains: np.ndarray):
    """``(channels, m)`` state indices of each channel's removal set, padded; and the pad mask.

    ``contains`` is ``(states, channels)``: whether a state's window holds a channel.
    """
    sizes = contains.sum(axis=0)
    m = max(int(sizes.max()), 1)
    idx = np.zeros((contains.shape[1], m), dtype=np.int64)
    mask = np.zeros((contains.shape[1], m), dtype=bool)
    for c in range(contains.shape[1]):
        s = np.flatnonzero(contains[:, c])
        idx[c, : len(s)] = s
        mask[c, : len(s)] = True
    return idx, mask


def removal_batch(Q, p0, r, idx, mask):
    """Absorption values of a batch of chains, whole and with each removal set removed.

    Parameters
    ----------
    Q : (b, n, n) transient transition probabilities of ``b`` chains
    p0 : (b, n) start distribution
    r : (b, n, k) one-step rewards (column 0: probability of converting next)
    idx, mask : (c, m) each removal set's states, padded (``mask`` False on padding;
        see :func:`removal_sets`)

    Returns
    -------
    base : (b, k)
        ``p0 (I - Q)^-1 r``.
    removed : (b, c, k)
        The same with every edge into the set's states sent to null: ``base - u_S
        G_SS^-1 x_S`` (Schur complement; ``G = (I - Q)^-1``, ``u = p0 G``, ``x = G r``).
        One inverse per chain serves every removal set, which is what makes
        thousands of posterior draws or resamples cheap.
    """
    b, n, _ = Q.shape
    A = np.negative(Q)
    A[:, np.arange(n), np.arange(n)] += 1.0
    G = np.linalg.inv(A)
    x = G @ r
    u = np.einsum("bi,bij->bj", p0, G)
    base = np.einsum("bi,bik->bk", p0, x)
    m = idx.shape[1]
    Gss = G[:, idx[:, :, None], idx[:, None, :]]
    if not mask.all():
        both = mask[:, :, None] & mask[:, None, :]
        Gss = np.where(both, Gss, 0.0) + np.eye(m) * (~mask)[:, :, None]
    xs = x[:, idx, :] * mask[None, :, :, None]
    us = u[:, idx] * mask[None]
    z = np.linalg.solve(Gss, xs)
    drop = np.einsum("bcm,bcmk->bck", us, z)
    return base, base[:, None, :] - drop
