"""Shao and Li's (2011) simple probabilistic model: an approximation, labelled as one.

For a converting journey with distinct channels ``T`` and a channel ``i`` in ``T``,
with ``N = |T| - 1`` the number of other distinct channels on the path,

    C(i) = p(y | x_i) + 1 / (2 N) * sum over j in T, j != i of
           [p(y | x_i, x_j) - p(y | x_i) - p(y | x_j)]

where ``p(y | x_i)`` is the conversion rate of the journeys exposed to channel
``i`` (whatever else they saw) and ``p(y | x_i, x_j)`` that of the journeys
exposed to both ``i`` and ``j`` [1]_. A one-channel journey has ``C(i) = p(y | x_i)``.
The formula keeps only first- and second-order terms, so it approximates an
exposure-based Shapley value; it is not a Shapley value and satisfies none of the
axioms exactly.

pathcredit splits each converting journey's conversions (and value) over its
distinct channels in proportion to ``C`` (the paper reports the unnormalised sums;
those are in ``extras["contribution"]``), so the model is additive: credits sum
to the total conversions. Should ``C`` sum to 0 or less on a path, the path is
split equally over its distinct channels and counted in
``extras["degenerate_paths"]``. ``C`` can be negative, and so can a credit.

References
----------
.. [1] Shao, X. and Li, L. (2011). Data-driven multi-touch attribution models.
   Proceedings of the 17th ACM SIGKDD, 258-264.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..exceptions import ModelError
from ..journeys import Journeys
from ..results import AttributionResult, LazyValue
from ._coalitions import _assemble, _path_pairs

__all__ = ["shao_li"]


def shao_li(journeys: Journeys) -> AttributionResult:
    """Shao and Li's simple probabilistic model (first- and second-order terms).

    Parameters
    ----------
    journeys : Journeys
        Must have non-converting journeys (nulls): the model needs conversion rates.

    Returns
    -------
    AttributionResult
        Additive. ``extras``: ``contribution`` (per channel, the paper's sum of
        ``C(i)`` times conversions over converting paths, not normalised),
        ``rates`` (``p(y | x_i)``), ``degenerate_paths``, and the DataFrames
        ``pair_rates`` (``p(y | x_i, x_j)``), ``journey_credit``,
        ``position_credit`` and ``touchpoint_totals``.

    Raises
    ------
    ModelError
        The journeys have no nulls.

    Notes
    -----
    Everything is computed per (path, channel) pair and per pair of channels that
    co-occur on a path, never as a channels x channels table: the pair rates are
    sums over the enumerated within-path pairs (grouped by one integer sort), and
    each channel's sum of ``p(y | x_i, x_j)`` over its path is a bincount over the
    same pairs. Work and memory are ``O(touches + sum over paths of k^2)`` with
    ``k`` the distinct channels of a path, whatever the number of channels (10,000
    channels cost what their co-occurring pairs cost); the pairs are enumerated in
    chunks of about four million. ``extras["pair_rates"]`` is built on first read.

    References
    ----------
    .. [1] Shao, X. and Li, L. (2011). Data-driven multi-touch attribution models.
       KDD '11, 258-264.

    Examples
    --------
    Rates: p(A) = 3/6, p(B) = 2/8, p(A, B) = 2/4. Path A > B: C(A) = 0.5 +
    (0.5 - 0.5 - 0.25) / 2 = 0.375 and C(B) = 0.25 - 0.125 = 0.125, so A gets 3/4
    of its 2 conversions.

    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["A", "B"], ["B"], ["A"]], conversions=[2, 0, 1],
    ...                         nulls=[2, 4, 1])
    >>> shao_li(j).conversions.tolist()
    [2.5, 0.5]
    """
    if journeys.nulls is None:
        raise ModelError(
            "shao_li needs the non-converting journeys (a total_null column): its terms are "
            "conversion rates"
        )

    n = journeys.n_channels
    pairs = _path_pairs(journeys)
    pp, pc = pairs.pair_path, pairs.pair_chan  # sorted by path, then channel
    conv_path = journeys.conversions
    tot_path = conv_path + journeys.nulls
    # p(y | x_i): conversion rate of the paths exposed to i
    single_conv = np.bincount(pc, conv_path[pp], minlength=n)
    single_tot = np.bincount(pc, tot_path[pp], minlength=n)
    p = np.divide(single_conv, single_tot, out=np.zeros(n), where=single_tot > 0)
    k_path = np.bincount(pp, minlength=journeys.n_paths)  # distinct channels per path
    k = k_path[pp].astype(np.float64)
    # the pairs i < j of channels that co-occur on a path, their rates, and per (path, i)
    # the sum over the other channels j of p(i, j)
    pair_i, pair_j, pair_rate, pair_tot, rate_sum = _pair_rates(
        pp, pc, k_path, conv_path, tot_path, n
    )
    p_i = p[pc]
    p_sum = np.bincount(pp, p_i, minlength=journeys.n_paths)[pp]  # sum of p(j) over the path
    # sum over the other channels j of [p(i, j) - p(i) - p(j)]
    others = rate_sum - (k - 1) * p_i - (p_sum - p_i)
    c = p_i + np.divide(others, 2 * (k - 1), out=np.zeros(len(k)), where=k > 1)
    total_c = np.bincount(pp, c, minlength=journeys.n_paths)
    degenerate = total_c <= 0
    pair_frac = np.where(degenerate[pp], 1.0 / k, c / np.where(degenerate, 1.0, total_c)[pp])

    def pair_table():
        # every pair with journeys, both orders and each channel with itself, row-major
        diag = np.flatnonzero(single_tot > 0)
        pos = pair_tot > 0
        rows = np.concatenate([diag, pair_i[pos], pair_j[pos]])
        cols = np.concatenate([diag, pair_j[pos], pair_i[pos]])
        rates = np.concatenate([p[diag], pair_rate[pos], pair_rate[pos]])
        order = np.lexsort((cols, rows))
        names = np.asarray(journeys.channels, dtype=object)
        return pd.DataFrame(
            {
                "channel_i": names[rows[order]],
                "channel_j": names[cols[order]],
                "rate": rates[order],
            }
        )

    extras = {
        "contribution": dict(
            zip(
                journeys.channels,
                np.bincount(pc, conv_path[pp] * c, minlength=n).tolist(),
                strict=True,
            )
        ),  # fmt: skip
        "rates": dict(zip(journeys.channels, p.tolist(), strict=True)),
        "degenerate_paths": int((degenerate & (conv_path > 0)).sum()),
        # on first read: with many channels the table of co-occurring pairs is most of a call
        "pair_rates": LazyValue(pair_table),
    }
    return _assemble(
        journeys, pairs, None, model="shao_li", params={}, extras=extras, pair_frac=pair_frac
    )


#: Pairs enumerated at once (bounds the memory of the pair enumeration).
_CHUNK = 1 << 22


def _chunks(k_path: np.ndarray):
    """Ranges of paths whose within-path pairs number at most about ``_CHUNK``."""
    work = np.cumsum(k_path * (k_path - 1) // 2)
    lo = 0
    while lo < len(k_path):
        base = work[lo - 1] if lo else 0
        hi = int(np.searchsorted(work, base + _CHUNK, side="right"))
        hi = max(hi, lo + 1)
        yield lo, hi
        lo = hi


def _within_path_pairs(pp, k_path, start, lo, hi):
    """Indices ``(a, b)``, ``a < b``, of the (path, channel) pairs of paths ``lo..hi-1``
    that lie on the same path (``start[p]``: the path's first pair)."""
    first, last = start[lo], start[hi] if hi < len(start) else len(pp)
    a_all = np.arange(first, last)
    reps = (k_path[pp[a_all]] - 1 - (a_all - start[pp[a_all]])).astype(np.int64)
    a = np.repeat(a_all, reps)
    # b runs from a + 1 to the path's last pair
    offs = np.arange(len(a)) - np.repeat(np.cumsum(reps) - reps, reps)
    return a, a + 1 + offs


def _pair_rates(pp, pc, k_path, conv_path, tot_path, n):
    """The co-occurring pairs ``i < j`` with ``p(y | x_i, x_j)``, and per (path, channel)
    pair the sum of ``p(y | x_i, x_j)`` over the other channels ``j`` of its path.

    Only pairs that share a path exist: work and memory are ``O(sum over paths of
    k^2)`` for ``k`` distinct channels on a path, enumerated in chunks, never the
    ``channels x channels`` table (10,000 channels would be 800 MB per table).
    """
    start = np.r_[0, np.cumsum(k_path)[:-1]]
    chunks = list(_chunks(k_path))
    codes, convs, tots, kept = [], [], [], []
    for lo, hi in chunks:
        a, b = _within_path_pairs(pp, k_path, start, lo, hi)
        uc, inv = np.unique(pc[a] * n + pc[b], return_inverse=True)
        codes.append(uc)
        convs.append(np.bincount(inv, conv_path[pp[a]], minlength=len(uc)))
        tots.append(np.bincount(inv, tot_path[pp[a]], minlength=len(uc)))
        # the first chunk's pairs are kept for the second pass (one chunk is the usual case)
        kept.append((a, b, inv) if not kept else None)
    if codes:
        u, inv = np.unique(np.concatenate(codes), return_inverse=True)
        pair_conv = np.bincount(inv, np.concatenate(convs), minlength=len(u))
        pair_tot = np.bincount(inv, np.concatenate(tots), minlength=len(u))
        where = np.split(inv, np.cumsum([len(c) for c in codes])[:-1])  # chunk code -> u
    else:
        u = np.zeros(0, dtype=np.int64)
        pair_conv = pair_tot = np.zeros(0)
    rate = np.divide(pair_conv, pair_tot, out=np.zeros(len(u)), where=pair_tot > 0)
    rate_sum = np.zeros(len(pp))
    for c, (lo, hi) in enumerate(chunks):
        got = kept[c]
        if got is not None:
            a, b, inv = got
        else:
            a, b = _within_path_pairs(pp, k_path, start, lo, hi)
            inv = np.searchsorted(codes[c], pc[a] * n + pc[b])
        r = rate[where[c]][inv]
        rate_sum += np.bincount(a, r, minlength=len(pp)) + np.bincount(b, r, minlength=len(pp))
    return u // max(n, 1), u % max(n, 1), rate, pair_tot, rate_sum
