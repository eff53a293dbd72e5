"""Bundled example data: a sample of the simulator's ``markov`` scenario and its truth.

Both files are written by :mod:`pathcredit.datasets._generate` with a fixed seed
(``python -m pathcredit.datasets._generate``); a test checks that rerunning it gives
the bundled files.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["load_example_paths", "load_example_truth", "example_paths_file"]


def example_paths_file() -> Path:
    """Path of the bundled CSV (ChannelAttribution's columns, ``>`` between channels)."""
    return Path(__file__).parent / "data" / "example_paths.csv"


def load_example_paths():
    """The bundled example journeys: six channels, 40,000 simulated journeys.

    A sample of the simulator's ``markov`` scenario (default parameters, seed
    20261124), so the true credit is known: :func:`load_example_truth`.

    Returns
    -------
    Journeys

    Examples
    --------
    >>> from pathcredit import load_example_paths
    >>> j = load_example_paths()
    >>> j.channels
    ('affiliate', 'direct', 'display', 'email', 'search', 'social')
    >>> int(j.total_conversions + j.total_nulls)
    40000
    """
    from ..journeys import read_paths

    return read_paths(example_paths_file())


def load_example_truth(with_params: bool = False):
    """The true credit of the bundled example journeys.

    Parameters
    ----------
    with_params : bool, default False
        Also return the scenario's description: ``truth.json`` as ``pathcredit
        simulate`` writes it (scenario, params, seed, ...), without its ``truth`` block.

    Returns
    -------
    Truth, or (Truth, dict)
        Per channel, incremental conversions (the Shapley value of each journey's
        incremental game, summed) and removal conversions (lost when the channel is
        withheld), with their shares: ``truth.table``.

    Examples
    --------
    >>> from pathcredit import load_example_truth
    >>> truth, about = load_example_truth(with_params=True)
    >>> about["scenario"], about["seed"], truth.channels[:2]
    ('markov', 20261124, ('search', 'display'))
    >>> round(float(truth.incremental_share.sum()), 12)
    1.0
    """
    from ..simulate.truth import Truth

    data = json.loads((Path(__file__).parent / "data" / "example_truth.json").read_text())
    about = {k: v for k, v in data.items() if k != "truth"}
    truth = Truth.from_dict(data["truth"], channels=data["params"]["channels"])
    return (truth, about) if with_params else truth
