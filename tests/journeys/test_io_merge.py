"""Duplicate paths merged on read: the hashed grouping in Journeys against the exact reference
and against plain-Python grouping, including forced hash collisions."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pathcredit as pc
from pathcredit.journeys import _core


def python_groups(paths):
    seen = {}
    return np.array([seen.setdefault(tuple(p), len(seen)) for p in paths])


def csr(paths):
    touches = np.array([c for p in paths for c in p], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum([len(p) for p in paths])]).astype(np.int64)
    return touches, offsets


paths_st = st.lists(st.lists(st.integers(0, 3), min_size=1, max_size=5), min_size=1, max_size=40)


@pytest.mark.parametrize("grouping", ["hashed", "exact", "collisions"])
@given(paths=paths_st)
def test_grouping_matches_python(paths, grouping):
    touches, offsets = csr(paths)
    if grouping == "exact":
        got = _core._group_paths_exact(touches, offsets)
    elif grouping == "collisions":  # every path hashes alike: must be caught, not merged
        original = _core._path_hashes
        try:
            _core._path_hashes = lambda t, o, n: np.zeros(len(n), dtype=np.uint64)
            got = _core._group_paths(touches, offsets)
        finally:
            _core._path_hashes = original
    else:
        got = _core._group_paths(touches, offsets)
    np.testing.assert_array_equal(got, python_groups(paths))


def test_equal_length_collision_is_detected(monkeypatch):
    # paths of the same length with the same hash but different codes
    monkeypatch.setattr(_core, "_path_hashes", lambda t, o, n: np.zeros(len(n), dtype=np.uint64))
    touches, offsets = csr([[0, 1], [1, 0], [0, 1]])
    np.testing.assert_array_equal(_core._group_paths(touches, offsets), [0, 1, 0])


def test_long_paths_across_hash_chunks():
    rng = np.random.default_rng(3)
    paths = [list(rng.integers(0, 3, rng.integers(1, 400))) for _ in range(3000)]
    paths += paths[::7]  # duplicates
    touches, offsets = csr(paths)
    np.testing.assert_array_equal(_core._group_paths(touches, offsets), python_groups(paths))


def test_read_paths_merges_rows_that_differ_only_in_spacing():
    df = pd.DataFrame(
        {"path": ["a>b", " a > b ", "b", "a >b", "b>a"], "total_conversions": [1.0, 2, 4, 8, 16]}
    )
    j = pc.read_paths(df)
    assert dict(zip(j.path_strings(), j.conversions.tolist(), strict=True)) == {
        "a > b": 11.0,
        "b": 4.0,
        "b > a": 16.0,
    }
