"""The committed benchmark grid is reproduced: every per-seed row of
``benchmarks/attribution/results/results.parquet`` for the cells a run repeats equals
the rerun to 1e-12 (the machine-dependent runtime and memory rows aside).

A move of code that changed any number a model computes, a simulated world or a
metric would show here, cell by cell, model by model.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pathcredit.benchmark import QUICK_GRID, Cell, default_models, run_benchmark, run_cell

GRID = Path(__file__).parents[2] / "benchmarks" / "attribution" / "results" / "results.parquet"
KEY = ["scenario", "mode", "size", "seed", "model", "truth", "metric"]
#: measured on the machine, not computed: never reproducible
MEASURED = ["runtime_s", "peak_memory_mb"]


@pytest.fixture(scope="module")
def committed():
    table = pd.read_parquet(GRID)
    return table[~table.metric.isin(MEASURED)]


def assert_reproduces(committed: pd.DataFrame, rerun: pd.DataFrame) -> int:
    """Every rerun row has its committed twin with the same value (to 1e-12) and note."""
    rerun = rerun[~rerun.metric.isin(MEASURED)]
    cells = rerun[["scenario", "mode", "size", "seed"]].drop_duplicates()
    ref = committed.merge(cells, on=list(cells.columns))
    assert len(ref) == len(rerun), "the rerun has other rows than the committed grid"
    both = ref.merge(rerun, on=KEY, how="outer", suffixes=("_ref", "_got"), indicator=True)
    missing = both[both._merge != "both"]
    assert missing.empty, missing[[*KEY, "_merge"]].head(10)
    a, b = both.value_ref.to_numpy(float), both.value_got.to_numpy(float)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ok = np.isnan(a) | (np.abs(a - b) <= 1e-12 * np.maximum(1.0, np.abs(a)))
    assert ok.all(), both.loc[~ok, [*KEY, "value_ref", "value_got"]].head(10)
    assert (both.note_ref.fillna("") == both.note_got.fillna("")).all()
    return len(both)


def test_one_world_of_the_quick_grid_reproduces_the_committed_rows(committed):
    # both quick-grid seeds of one world with every default model (bootstrap entries too)
    rows = pd.concat(
        [run_cell(Cell("additive", "sample", 10**4, s), default_models()) for s in (0, 1)]
    )
    assert assert_reproduces(committed, rows) > 500


@pytest.mark.slow
def test_benchmark_quick_reproduces_the_committed_rows(committed):
    # the run of `pathcredit benchmark --quick`: every world, sample and population cells
    result = run_benchmark(n_jobs=1, progress=False, **QUICK_GRID)
    n = assert_reproduces(committed, result.table)
    assert n > 5000
