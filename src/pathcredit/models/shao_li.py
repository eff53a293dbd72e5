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

from ..exceptions import ModelError
from ..journeys import Journeys
from ..results import AttributionResult
from ._coalitions import _assemble, _channel_sets

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
    Rates by sparse sufficient statistics: with ``M`` the (paths x channels)
    exposure matrix, ``M' c`` and ``M' (M * c)`` give the single and pair
    conversion counts, O(paths x channels^2) at most; the per-path sums are one
    matrix product.

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
    sets = _channel_sets(journeys)
    n = journeys.n_channels
    m = sets.member.astype(np.float64)  # (sets, n)
    n_sets = len(sets.size)
    conv = np.bincount(sets.path_set, journeys.conversions, minlength=n_sets)
    tot = conv + np.bincount(sets.path_set, journeys.nulls, minlength=n_sets)
    pair_conv = m.T @ (m * conv[:, None])
    pair_tot = m.T @ (m * tot[:, None])
    pair = np.divide(pair_conv, pair_tot, out=np.zeros((n, n)), where=pair_tot > 0)
    p = np.diag(pair).copy()  # p(y | x_i): the pair rate of i with itself
    k = sets.size.astype(np.float64)
    # sum over the other channels j of [p(i, j) - p(i) - p(j)], for every set and member i
    others = (m @ pair) - p - (k[:, None] - 1) * p - ((m @ p)[:, None] - p)
    half_n = np.where(k > 1, 2 * (k - 1), 1.0)
    c = (p + np.where(k[:, None] > 1, others / half_n[:, None], 0.0)) * m
    total_c = c.sum(axis=1)
    degenerate = total_c <= 0
    frac = np.where(
        degenerate[:, None], m / k[:, None], c / np.where(degenerate, 1, total_c)[:, None]
    )
    names = journeys.channels
    import pandas as pd

    ii, jj = np.nonzero(pair_tot > 0)
    extras = {
        "contribution": dict(zip(names, (conv[:, None] * c).sum(axis=0).tolist(), strict=True)),
        "rates": dict(zip(names, p.tolist(), strict=True)),
        "degenerate_paths": int((degenerate & (conv > 0))[sets.path_set].sum()),
        "pair_rates": pd.DataFrame(
            {
                "channel_i": np.asarray(names, dtype=object)[ii],
                "channel_j": np.asarray(names, dtype=object)[jj],
                "rate": pair[ii, jj],
            }
        ),
    }
    return _assemble(journeys, sets, frac, model="shao_li", params={}, extras=extras)
