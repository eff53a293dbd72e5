"""Named worlds with a known truth: the scenarios of the benchmark.

Every scenario produces journeys (an event log and the aggregated
:class:`~pathcredit.Journeys`) and their :class:`~pathcredit.simulate.Truth`.
Two families:

**Exposure-response scenarios** (``additive``, ``noisy_or``, ``logistic``,
``synergy``, ``order``, ``decay``, ``funnel``, ``confounded``), after Kelly,
Vaver and Koehler (2018) and Shender et al. (2023). First an exposure process,
independent of conversion (except in ``confounded``):

* path length ``L``: one touch, then one more with probability
  ``continue_prob`` (geometric), at most ``max_length`` touches (renormalised);
  the defaults (0.45, 10) give a mean of 1.8 touches and 55 % one-touch
  journeys, inside the ranges Anderl et al. (2016) report (mean 1.3-2.5);
* first channel from ``mix``; each next channel is the previous one again with
  probability ``repeat``, otherwise drawn from ``next_mix`` (or from the rows of
  ``transitions`` where given). The defaults put upper-funnel channels
  (display, social) first more often and lower-funnel ones (search, email,
  direct) later, so first and last touch differ as in real paths;
* times: consecutive touches an exponential ``mean_gap_days`` apart, the
  decision (conversion, or the end of a journey without one) an exponential
  ``lag_days`` after the last touch; journeys start uniformly over ``days``.

Then the journey converts with probability ``P(convert | exposures)``, the
scenario's response; a converting journey's value is log-normal (``value_sigma``)
with mean the average of ``value_mean`` over its touches. Value is a property of
the buyer, not caused by the ads: withholding an exposure changes whether the
journey converts, not what it would spend. The truth of every journey is the
Shapley value of its incremental game ``v(S) = P(convert | only the exposures
to the channels in S) - P(convert | none)`` (:mod:`pathcredit.simulate.truth`),
computed exactly over all ``2**C`` coalitions; in sampled mode it is summed over
the sampled journeys (expected incremental conversions given their exposures,
free of the conversion coin flips), in population mode weighted by each path's
probability.

**The Markov scenario** (``markov``): the journey itself is an absorbing Markov
chain over channels (Anderl et al. 2016; Archak et al. 2010), the world where
the removal assumption holds; its truth is computed exactly from the chain with
the Markov model's solver (:class:`pathcredit._absorbing.AbsorbingSolver`).

Population mode (``population=True``) returns expected path counts (fractional
conversions and nulls) for ``n_journeys`` journeys instead of a sample: every
touch sequence whose prefix probability ``P(L > l) P(prefix)`` is at least
``population_tol`` is enumerated (the left-out probability is reported as
``coverage``). Continuous touch times cannot be enumerated: where a scenario's
response depends on them (``decay``), and for the touch times that
``time_decay`` needs, each path gets ``time_draws`` fixed, seeded time patterns
of equal weight, so population mode is deterministic and its truth exact for
the population it returns.

Decisions and their reasons: the incremental truth splits a journey's
interaction effects equally (Shapley, the one split that is symmetric and
efficient), so a synergy's lift is shared by its two channels; a channel absent
from a journey is a null player of its game; parameters given as channel
mappings may be partial (other channels keep their defaults) but must name only
known channels.

References
----------
.. [1] Kelly, J., Vaver, J. and Koehler, J. (2018). A causal framework for digital
   attribution. Google.
.. [2] Shender, D. et al. (2023). A time-to-event framework for multi-touch
   attribution. Journal of Data Science 21(4).
.. [3] Anderl, E., Becker, I., von Wangenheim, F. and Schumann, J. H. (2016). Mapping
   the customer journey. IJRM 33(3), 457-474.
.. [4] Singal, R., Besbes, O., Desir, A., Goyal, V. and Iyengar, G. (2022). Shapley
   meets uniform: an axiomatic framework for attribution in online advertising.
   Management Science 68(10).
.. [5] Abhishek, V., Fader, P. and Hosanagar, K. (2012). Media exposure through the
   funnel: a model of multi-stage attribution. SSRN 2158421.
.. [6] Shapley, L. S. (1953). A value for n-person games.
"""

from __future__ import annotations

from ..exceptions import InputError
from ._base import CHANNELS, EXPOSURE_DEFAULTS, Scenario, Simulation
from .exposure import (
    Additive,
    Confounded,
    Decay,
    ExposureScenario,
    Funnel,
    Logistic,
    NoisyOr,
    Order,
    Synergy,
)
from .markov_world import MarkovWorld

__all__ = [
    "Scenario",
    "Simulation",
    "SCENARIOS",
    "get_scenario",
    "list_scenarios",
    "simulate_journeys",
]
# Where the pieces live: the result and the base class in ``_base.py``, the eight
# exposure worlds in ``exposure.py``, the Markov world in ``markov_world.py``, the
# event-log writer in ``event_log.py``; this module is the registry of names. The
# classes stay importable from here, where they were defined before the split.
_MOVED = (
    CHANNELS,
    EXPOSURE_DEFAULTS,
    ExposureScenario,
    Additive,
    NoisyOr,
    Decay,
    Logistic,
    Synergy,
    Order,
    Confounded,
    Funnel,
    MarkovWorld,
)


# ---------------------------------------------------------------------- registry
SCENARIOS: dict[str, type[Scenario]] = {
    s.name: s
    for s in (MarkovWorld, Additive, NoisyOr, Logistic, Synergy, Order, Decay, Funnel, Confounded)
}


def get_scenario(name: str, **params) -> Scenario:
    """The scenario called ``name`` with its parameters checked (defaults filled in)."""
    if name not in SCENARIOS:
        raise InputError(f"unknown scenario {name!r}; choose one of {sorted(SCENARIOS)}")
    return SCENARIOS[name](**params)


def list_scenarios() -> dict[str, str]:
    """Scenario name -> one-line description."""
    return {name: cls.summary for name, cls in SCENARIOS.items()}


def simulate_journeys(
    scenario: str = "additive",
    n_journeys: int = 100_000,
    *,
    seed=0,
    population: bool = False,
    **params,
) -> Simulation:
    """Simulate journeys from a named scenario, with their true credit.

    Parameters
    ----------
    scenario : str, default "additive"
        One of :data:`SCENARIOS` (``list_scenarios()`` describes them).
    n_journeys : int, default 100 000
        Journeys to sample (population mode: the total of the expected counts).
    seed : int, optional
        The same seed gives the same journeys, truth and event log.
    population : bool, default False
        Expected path counts (fractional conversions and nulls) instead of a sample.
    **params
        The scenario's parameters (see its class docstring); channel mappings may
        be partial.

    Returns
    -------
    Simulation
        ``.journeys``, ``.truth``, ``.events()``, ``.timed_journeys()``, ``.to_dict()``.

    Raises
    ------
    InputError
        Unknown scenario or parameter, or a value out of range (named).

    Examples
    --------
    >>> sim = simulate_journeys("additive", 10_000, seed=1)
    >>> sim.truth.channels
    ('search', 'display', 'social', 'email', 'affiliate', 'direct')
    >>> sim.truth.table.query("truth == 'incremental'").round(3).head(2)
        channel        truth  conversions    value  share
    0    search  incremental       41.208  3632.753  0.453
    1   display  incremental       13.000   970.630  0.143

    Population mode: expected counts of ``n_journeys`` journeys (less what is left out):

    >>> pop = simulate_journeys("additive", 1000, population=True)
    >>> j = pop.journeys
    >>> round(j.total_conversions + j.total_nulls - 1000 * pop.coverage, 9)
    0.0

    Notes
    -----
    Cost: sampling is O(n x max_length); the truth evaluates each distinct
    path's game on all ``2**C`` coalitions, O(paths x 2**C x C) (per journey
    when the response depends on touch times).
    """
    return get_scenario(scenario, **params).simulate(n_journeys, seed=seed, population=population)
