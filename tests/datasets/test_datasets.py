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
