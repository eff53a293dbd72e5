"""The bundled example data is what its generator produces."""

import pandas as pd

from pathcredit import load_example_paths
from pathcredit.datasets import example_paths_file
from pathcredit.datasets._generate import generate_example_paths


def test_bundled_file_is_reproducible():
    bundled = pd.read_csv(example_paths_file())
    pd.testing.assert_frame_equal(bundled, generate_example_paths(), check_exact=False, rtol=1e-12)


def test_loaded_journeys_match_the_file():
    j = load_example_paths()
    raw = pd.read_csv(example_paths_file())
    assert j.n_paths == len(raw)
    assert j.total_conversions == raw["total_conversions"].sum()
    assert j.total_nulls == raw["total_null"].sum()
    assert j.total_conversions + j.total_nulls == 40_000


def test_bundled_truth_is_the_scenarios_truth():
    import json

    from pathcredit.datasets import load_example_truth
    from pathcredit.datasets._generate import generate_example

    sim = generate_example()
    truth, about = load_example_truth(with_params=True)
    assert about["scenario"] == sim.scenario and about["n_journeys"] == 40_000
    assert truth.channels == sim.truth.channels
    pd.testing.assert_frame_equal(truth.table, sim.truth.table, rtol=1e-12)
    # the file is what the generator writes (the same JSON)
    bundled = json.loads((example_paths_file().parent / "example_truth.json").read_text())
    assert bundled == json.loads(json.dumps(sim.to_dict()))


def test_bundled_truth_matches_the_bundled_paths():
    """The sample's conversions are within four standard errors of the conversions the
    truth expects for 40,000 journeys of the scenario's chain."""
    from pathcredit.datasets import load_example_truth

    truth = load_example_truth()
    j = load_example_paths()
    expected = truth.expected_conversions
    assert abs(j.total_conversions - expected) < 4 * expected**0.5
    assert truth.journeys == 40_000
