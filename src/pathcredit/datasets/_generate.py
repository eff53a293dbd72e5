"""Generator of the bundled example journeys and their truth (run as a module to rewrite both).

The example data are a sample of the simulator's ``markov`` scenario
(:mod:`pathcredit.simulate.scenarios`, default parameters: six channels, 2.3 %
conversion rate, 1.8 touches on average, 55 % one-touch journeys), so their true
credit is known: ``example_truth.json`` holds it, as ``pathcredit simulate``
writes ``truth.json``, under both definitions (incremental: the Shapley value of
each journey's incremental game; removal: conversions lost when a channel is
withheld). ``pathcredit demo`` prints it beside every model's shares.

    python -m pathcredit.datasets._generate
"""

from __future__ import annotations

import json
from pathlib import Path

from ..simulate import simulate_journeys

SCENARIO = "markov"
SEED = 20261124
N_JOURNEYS = 40_000
DATA = Path(__file__).parent / "data"


def generate_example(seed: int = SEED, n_journeys: int = N_JOURNEYS):
    """The :class:`~pathcredit.simulate.Simulation` behind the bundled files."""
    return simulate_journeys(SCENARIO, n_journeys, seed=seed)


def example_frame(sim):
    """One row per distinct path, sorted by path, in ChannelAttribution's columns."""
    frame = sim.journeys.to_frame().sort_values("path", ignore_index=True)
    for col in ("total_conversions", "total_null"):
        frame[col] = frame[col].astype("int64")  # a sample: whole journeys
    return frame


def generate_example_paths(seed: int = SEED, n_journeys: int = N_JOURNEYS):
    """Simulate the example journeys and aggregate them to one row per distinct path.

    Returns a DataFrame with ChannelAttribution's columns ``path``,
    ``total_conversions``, ``total_conversion_value`` and ``total_null``.
    """
    return example_frame(generate_example(seed, n_journeys))


def main() -> None:  # pragma: no cover - regenerates the bundled files
    sim = generate_example()
    paths = DATA / "example_paths.csv"
    example_frame(sim).to_csv(paths, index=False, float_format="%.12g")
    truth = DATA / "example_truth.json"
    truth.write_text(json.dumps(sim.to_dict(), indent=2, sort_keys=True) + "\n")
    print(f"wrote {paths} and {truth}")


if __name__ == "__main__":  # pragma: no cover
    main()
