"""The ``markov`` model: credit by the exact removal effects of the fitted chain.

The chain, its states and its solvers are in :mod:`pathcredit.models.markov.chain`
(see its notes for the state convention and the removal rule); the order
selection of ``order="auto"`` is :mod:`pathcredit.models.markov.selection`.
"""

from __future__ import annotations

import numpy as np

from ..._absorbing import MAX_ORDER, check_order
from ...exceptions import ModelError
from ...journeys import Journeys
from ...results import AttributionResult, LazyValue
from .._credit import build_result
from .chain import fit_chain
from .selection import select_order

__all__ = ["markov"]

#: ``states="auto"`` computes visit probabilities when no cycle block is larger.
_STATES_AUTO_MAX = 500


def markov(
    journeys: Journeys,
    order: int | str = 1,
    *,
    credit: str = "removal",
    states: bool | str = "auto",
    max_order: int = 4,
    folds: int = 10,
    seed: int = 0,
    solver: str = "auto",
) -> AttributionResult:
    """Markov-chain attribution by exact removal effects (any order).

    Each channel's relative removal effect ``1 - P(conv | c removed) / P(conv)``
    is computed exactly; credited conversions are the removal effects normalised
    to sum to one, times the total conversions. Value is credited with the value
    removal effects of the expected conversion value (see the module notes).

    Parameters
    ----------
    journeys : Journeys
    order : int or ``"auto"``, default 1
        Window length, from 1 to :data:`MAX_ORDER` (32; every order at least
        the longest path gives the same chain). ``"auto"`` picks the order with the best held-out
        log-likelihood by ``folds``-fold cross-validation over ``1..max_order``
        (:func:`pathcredit.models.markov.selection.select_order`).
    credit : ``"removal"`` or ``"anderl"``, default ``"removal"``
        ``"removal"`` (ChannelAttribution's convention): a channel's effect is that
        of removing every state containing it. ``"anderl"``: the mean removal
        effect of the single states whose window ends in the channel (Anderl et
        al. 2016's higher-order credit). Both are the same at order 1. Value follows
        the same rule with the expected conversion value in place of the
        conversion probability (so equal-valued conversions give value credit
        proportional to conversion credit under either rule).
    states : bool or ``"auto"``, default ``"auto"``
        Whether to compute per-state visit probabilities and state removal
        effects (a dense inverse of each strongly connected block of states);
        ``"auto"`` does it when the largest block has at most 500 states
        (otherwise those columns are NaN; ``True`` forces them).
    max_order, folds, seed : int
        Order selection settings, used only with ``order="auto"``: ``max_order``
        from 1 to 32, ``folds`` from 2 to the number of journeys and at most 100.
    solver : {"auto", "dense", "direct", "iterative"}, default "auto"
        Linear solver, see :func:`fit_chain`.

    Returns
    -------
    AttributionResult
        ``extras``: ``conversion_probability`` (float), ``removal_effects`` (dict
        channel -> relative removal effect), ``expected_value`` and
        ``value_removal_effects`` (with value), ``order`` (the one used),
        ``n_states``, ``chain`` (the :class:`MarkovChain`), ``transition_matrix``
        (``from, to, count, probability``), ``states`` (the state table of
        :meth:`MarkovChain.state_table`), ``order_selection`` (with
        ``order="auto"``).

    Raises
    ------
    ModelError
        Bad ``order``, ``credit``, ``states``, ``solver``, ``max_order`` or
        ``folds`` (the message names the parameter and its range); no conversions
        (removal effects undefined); ``credit="anderl"`` on a chain too large
        for per-state removal effects.

    Notes
    -----
    No null column means every journey converted: ``P(conv) = 1`` and a channel's
    removal effect is the probability that a journey passes through it. A
    channel seen only on non-converting paths can still get credit when the chain
    leads from its states to converting states. States that become unreachable
    after a removal simply drop out of the system.

    Cost: building is ``O(total touches * order)``; each removal solves one
    linear system (see ``solver``), ``n_channels + 1`` in all, plus a dense
    inverse of each strongly connected block of states for the state table
    (``O(c^3)`` for a block of ``c`` states).

    References
    ----------
    .. [1] Anderl, E. et al. (2016). Mapping the customer journey. IJRM 33(3), 457-474.
    .. [2] Altomare, D. and Loris, D. ChannelAttribution, ``markov_model``.

    Examples
    --------
    The published example: ``C1 > C2 > C3`` converts, ``C1`` and ``C2 > C3`` do not.

    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["C1", "C2", "C3"], ["C1"], ["C2", "C3"]],
    ...                         conversions=[1, 0, 0], nulls=[0, 1, 1])
    >>> r = markov(j)
    >>> r.conversions.round(12).tolist()
    [0.2, 0.4, 0.4]
    >>> {c: round(e, 12) for c, e in r.extras["removal_effects"].items()}
    {'C1': 0.5, 'C2': 1.0, 'C3': 1.0}
    """
    if credit not in ("removal", "anderl"):
        raise ModelError(f"credit must be 'removal' or 'anderl', got {credit!r}")
    if states not in (True, False, "auto"):
        raise ModelError(f"states must be True, False or 'auto', got {states!r}")
    extras = {}
    params = dict(order=order, credit=credit, states=states, solver=solver)
    if isinstance(order, str):
        if order != "auto":
            if not order.isdigit():
                raise ModelError(
                    f"order must be a whole number from 1 to {MAX_ORDER} or 'auto', got {order!r}"
                )
            order = int(order)
        else:
            sel = select_order(journeys, max_order=max_order, folds=folds, seed=seed)
            extras["order_selection"] = sel.table
            params.update(max_order=max_order, folds=folds, seed=seed)
            order = sel.recommended
    order = check_order(order)
    if journeys.total_conversions <= 0:
        raise ModelError("the journeys have no conversions: removal effects are undefined")
    chain = fit_chain(journeys, order, solver=solver)
    n = chain.n_channels
    sets = [[c] for c in chain.channels]
    base = chain.solve_kept_states(np.ones(chain.n_states, dtype=bool), scaled=True)[0]
    res = chain.solve_kept_states(
        np.array([chain.keep_mask(s) for s in sets]).reshape(n, -1), scaled=True
    )
    # p_conv and ev are scaled by a power of two when tiny (_absorbing.scaled_reward): only
    # their ratios are used here; the extras report them unscaled
    p_conv, ev = float(base[0]), float(base[1])
    p_conv_unscaled, ev_unscaled = (float(x) for x in chain.unscale(base))
    if p_conv <= 0 and np.all(chain.conv_counts == 0):
        raise ModelError("the chain never converts: removal effects are undefined")
    tiny = np.finfo(np.float64).tiny
    if p_conv < tiny or (journeys.has_value and 0 < ev < tiny):
        # Only reachable when the converting journeys' start weights and rewards are
        # both below about 2^-1022 of the rest (e.g. every converting path counted
        # 5e-324 next to nulls of 7): P(conversion) is then outside double precision's
        # range, and its ratios (the removal effects) would be noise.
        what = "conversions" if p_conv < tiny else "conversion value"
        raise ModelError(
            f"the {what} (total {journeys.total_conversions:.3g} conversions, "
            f"{journeys.total_value or 0:.3g} value) are too small next to the "
            f"{journeys.total_conversions + (journeys.total_nulls or 0):.3g} journeys for "
            "double precision: P(conversion) underflows, so the removal effects cannot be "
            "computed; drop the paths with negligible counts"
        )
    eff = np.clip(1.0 - res[:, 0] / p_conv, 0.0, None)

    def want_states() -> bool:
        return states is True or (
            states == "auto" and chain.largest_cycle_block() <= _STATES_AUTO_MAX
        )

    if credit == "anderl":
        if chain.largest_cycle_block() > 2 * _STATES_AUTO_MAX:
            raise ModelError(
                f"credit='anderl' needs every state's removal effect; this chain has a block "
                f"of {chain.largest_cycle_block()} mutually reachable states (dense inverse "
                "too large): use a lower order or credit='removal'"
            )
        state_table = chain.state_table(visits=True)
    if credit == "anderl":
        se = state_table["removal_effect"].to_numpy()
        sums = np.bincount(chain.last_channel, weights=se, minlength=n)
        cnt = np.bincount(chain.last_channel, minlength=n)
        weights = np.divide(sums, cnt, out=np.zeros(n), where=cnt > 0)
    else:
        weights = eff
    conv = weights / weights.sum() * journeys.total_conversions
    value = None
    extras.update(
        conversion_probability=p_conv_unscaled,
        removal_effects=dict(zip(chain.channels, eff.tolist(), strict=True)),
    )
    if journeys.has_value:
        total_value = journeys.total_value
        if ev > 0:
            veff = np.clip(1.0 - res[:, 1] / ev, 0.0, None)
            if credit == "anderl":
                # value by the same rule as conversions: the mean over the states ending in
                # the channel of visit * eventual value / expected value (first-entry split)
                visit = state_table["visit_probability"].to_numpy()
                state_veff = visit * chain.absorption(scaled=True)[:, 1] / ev
                vsums = np.bincount(chain.last_channel, weights=state_veff, minlength=n)
                vweights = np.divide(vsums, cnt, out=np.zeros(n), where=cnt > 0)
                value = vweights / vweights.sum() * total_value
            else:
                value = veff / veff.sum() * total_value
        else:  # no value to attribute
            veff = np.zeros(n)
            value = np.zeros(n)
        extras["expected_value"] = ev_unscaled
        extras["value_removal_effects"] = dict(zip(chain.channels, veff.tolist(), strict=True))
    extras.update(
        order=order,
        n_states=chain.n_states,
        chain=chain,
        # tables built on first read (LazyValue): the long form of the transition
        # matrix and the state table cost more than the credit at orders 3-4
        transition_matrix=LazyValue(chain.transition_table),
        states=(
            state_table
            if credit == "anderl"
            else LazyValue(lambda: chain.state_table(visits=want_states()))
        ),
    )
    return build_result(journeys, "markov", params, conv, value, extras=extras)
