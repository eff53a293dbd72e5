"""Path transforms: what they keep, and that what they remove is counted."""

import numpy as np
import pytest
from click.testing import CliRunner

from pathcredit import (
    InputError,
    Journeys,
    attribute,
    collapse_repeats,
    drop_channels,
    first_occurrence,
    keep_last,
    read_paths,
    rename_channels,
)
from pathcredit.cli import main


@pytest.fixture
def j():
    return Journeys.from_paths(
        [["A", "A", "B", "A"], ["B", "B"], ["C"], ["A", "B"]],
        conversions=[1, 2, 3, 4],
        value=[10.0, 20.0, 30.0, 40.0],
        nulls=[5, 6, 7, 8],
    )


def test_collapse_repeats(j):
    out = collapse_repeats(j)
    assert out.path_strings() == ["A > B > A", "B", "C", "A > B"]
    assert out.removed[-1].touches == 2 and out.removed[-1].paths == 0
    assert out.total_conversions == j.total_conversions


def test_first_occurrence_merges_paths_that_become_equal(j):
    out = first_occurrence(j)
    assert out.path_strings() == ["A > B", "B", "C"]
    np.testing.assert_array_equal(out.conversions, [5, 2, 3])
    assert out.removed[-1].touches == 3


def test_keep_last(j):
    out = keep_last(j, 2)
    assert out.path_strings() == ["B > A", "B > B", "C", "A > B"]
    assert out.removed[-1].step == "keep_last(2)" and out.removed[-1].touches == 2
    with pytest.raises(InputError):
        keep_last(j, 0)


def test_drop_channels_counts_emptied_paths(j):
    out = drop_channels(j, ["B", "C"])
    assert out.channels == ("A",)
    assert out.path_strings() == ["A > A > A", "A"]
    r = out.removed[-1]
    # paths 'B > B' and 'C' vanish with their counts
    assert (r.paths, r.conversions, r.value, r.nulls, r.touches) == (2, 5.0, 50.0, 13.0, 5)
    result = attribute(out, model="linear")
    assert result.removed == out.removed
    assert result.to_dict()["removed"][0]["conversions"] == 5.0
    with pytest.raises(InputError, match="unknown channel"):
        drop_channels(j, ["Z"])


def test_rename_groups_channels(j):
    out = rename_channels(j, {"B": "paid", "C": "paid"})
    assert out.channels == ("A", "paid")
    assert out.path_strings()[2] == "paid"
    with pytest.raises(InputError):
        rename_channels(j, {"B": " "})


def test_transforms_compose(j):
    a = keep_last(collapse_repeats(j), 2)
    b = j.pipe(collapse_repeats).pipe(keep_last, 2)
    assert a.path_strings() == b.path_strings()
    assert [r.step for r in a.removed] == ["collapse_repeats()", "keep_last(2)"]
    assert "2 removal step(s)" in repr(a)
    assert list(a.removed_frame()["step"]) == ["collapse_repeats()", "keep_last(2)"]


def test_collapse_keeps_the_first_touch_time():
    j = Journeys.from_paths([["A", "A", "B"]], conversions=[1], times=[[5.0, 3.0, 1.0]])
    assert collapse_repeats(j).times.tolist() == [5.0, 1.0]


@pytest.mark.parametrize("new", ["x > y", "x>y", ">", "a->b"])
def test_rename_to_a_name_with_the_separator_is_refused(j, new):
    """Written and read back, 'x > y' would be two channels on every path (the round trip
    below shows it), so the name is refused, naming the channel and the separator."""
    with pytest.raises(InputError, match=r"channel 'B' contains the path separator '>'") as info:
        rename_channels(j, {"B": new})
    assert info.value.value == new
    # why: the path table of such journeys reads back as other channels
    odd = Journeys.from_paths([["A", "x > y"]], conversions=[1])
    assert read_paths(odd.to_frame()).channels == ("A", "x", "y")


def test_cli_rename_to_a_name_with_the_separator_is_one_line_exit_2(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("path,total_conversions\nA > B,1\nB,2\n")
    res = CliRunner().invoke(main, ["attribute", str(f), "--rename", "B=x>y"])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "contains the path separator '>'" in lines[0], res.stderr


def test_unknown_names_of_mixed_types_are_one_error(j):
    for call in (
        lambda: drop_channels(j, ["Z", 1]),
        lambda: rename_channels(j, {"Z": "z", 1: "one"}),
    ):
        with pytest.raises(InputError, match=r"unknown channel\(s\) \[1, 'Z'\]"):
            call()


def test_position_and_path_index_by_their_definitions():
    """``Journeys.position`` (a cumulative sum of steps that drop back at each path's
    start) against the position counted per path in Python, on random lengths."""
    import numpy as np

    from pathcredit import Journeys

    rng = np.random.default_rng(5)
    for n_paths in (1, 2, 7, 300):
        lengths = rng.integers(1, 9, n_paths)
        offsets = np.r_[0, np.cumsum(lengths)]
        j = Journeys(["a", "b", "c"], rng.integers(0, 3, offsets[-1]), offsets,
                     np.ones(n_paths), merge=False)  # fmt: skip
        expected = [p for n in lengths for p in range(n)]
        assert j.position.tolist() == expected
        assert j.path_index.tolist() == [i for i, n in enumerate(lengths) for _ in range(n)]
