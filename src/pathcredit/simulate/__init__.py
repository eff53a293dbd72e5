"""Data-generating processes with known structure and known truth, for tests, notebooks
and benchmarks.

:func:`simulate_journeys` runs a named scenario (:func:`list_scenarios`) and
returns the journeys with their :class:`Truth`; :func:`simulate_events` is the
simple event-log process used by the event-log tests and benchmark.
"""

from .events import simulate_events
from .scenarios import (
    SCENARIOS,
    Scenario,
    Simulation,
    get_scenario,
    list_scenarios,
    simulate_journeys,
)
from .truth import DEFINITIONS, Truth

__all__ = [
    "simulate_events",
    "simulate_journeys",
    "list_scenarios",
    "get_scenario",
    "Scenario",
    "Simulation",
    "SCENARIOS",
    "Truth",
    "DEFINITIONS",
]
