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

from ..._games import shapley_values
from .games import VALUE_FUNCTIONS
from .solve import ordered_shapley, shapley

__all__ = ["shapley", "ordered_shapley", "shapley_values", "VALUE_FUNCTIONS"]
