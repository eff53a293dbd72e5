"""Generator of the bundled example journeys (run as a module to rewrite the file).

The process is a first-order Markov chain over six channels with channel-specific
conversion and drop-out probabilities, so the data look like real path data
(many one-touch journeys, conversion rate of a few percent, repeats of the same
channel). It is an illustration, not a benchmark scenario with ground truth.

    python -m pathcredit.datasets._generate
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

CHANNELS = ("affiliate", "direct", "display", "email", "search", "social")
SEED = 20261124
N_JOURNEYS = 40_000
MAX_TOUCHES = 12

# start distribution and next-channel transitions, in CHANNELS order
_START = np.array([0.05, 0.15, 0.30, 0.10, 0.25, 0.15])
_NEXT = np.array(
    [
        [0.30, 0.20, 0.10, 0.10, 0.20, 0.10],  # affiliate
        [0.05, 0.45, 0.05, 0.15, 0.25, 0.05],  # direct
        [0.05, 0.15, 0.35, 0.10, 0.25, 0.10],  # display
        [0.05, 0.25, 0.05, 0.40, 0.20, 0.05],  # email
        [0.05, 0.25, 0.10, 0.10, 0.40, 0.10],  # search
        [0.05, 0.15, 0.15, 0.10, 0.20, 0.35],  # social
    ]
)
_CONVERT = np.array([0.030, 0.045, 0.006, 0.035, 0.040, 0.010])  # after a touch
_DROP = np.array([0.45, 0.35, 0.55, 0.40, 0.40, 0.55])  # journey ends unconverted
_MEAN_VALUE = 80.0


def generate_example_paths(seed: int = SEED, n_journeys: int = N_JOURNEYS):
    """Simulate the example journeys and aggregate them to one row per distinct path.

    Returns a DataFrame with ChannelAttribution's columns ``path``,
    ``total_conversions``, ``total_conversion_value`` and ``total_null``.
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    state = rng.choice(len(CHANNELS), size=n_journeys, p=_START)
    paths = np.full((n_journeys, MAX_TOUCHES), -1, dtype=np.int64)
    outcome = np.zeros(n_journeys, dtype=np.int64)  # 0 running, 1 converted, 2 null
    for step in range(MAX_TOUCHES):
        running = outcome == 0
        paths[running, step] = state[running]
        u = rng.random(n_journeys)
        conv = running & (u < _CONVERT[state])
        drop = running & ~conv & (u < _CONVERT[state] + _DROP[state])
        outcome[conv] = 1
        outcome[drop] = 2
        cum = _NEXT[state].cumsum(axis=1)
        state = (rng.random((n_journeys, 1)) > cum).sum(axis=1)
    outcome[outcome == 0] = 2  # journeys that reached MAX_TOUCHES end unconverted
    value = np.where(outcome == 1, np.round(rng.gamma(2.0, _MEAN_VALUE / 2.0, n_journeys), 2), 0.0)
    names = np.array(CHANNELS, dtype=object)
    path_strings = [" > ".join(names[row[row >= 0]]) for row in paths]
    frame = pd.DataFrame(
        {
            "path": path_strings,
            "total_conversions": (outcome == 1).astype(np.int64),
            "total_conversion_value": value,
            "total_null": (outcome == 2).astype(np.int64),
        }
    )
    agg = frame.groupby("path", sort=True, as_index=False).sum()
    agg["total_conversion_value"] = agg["total_conversion_value"].round(2)
    return agg


def main() -> None:  # pragma: no cover - regenerates the bundled file
    out = Path(__file__).parent / "data" / "example_paths.csv"
    generate_example_paths().to_csv(out, index=False)
    print(f"wrote {out}")


if __name__ == "__main__":  # pragma: no cover
    main()
