"""read_paths: formats, column names, exact counts, and every bad input."""

import numpy as np
import pandas as pd
import polars as pl
import pytest

import pathcredit as pc
from pathcredit import InputError


def frame(**cols):
    base = {"path": ["A > B", "B"], "total_conversions": [1, 2]}
    base.update(cols)
    return pd.DataFrame(base)


def test_channelattribution_format_and_whitespace():
    j = pc.read_paths(
        pd.DataFrame(
            {
                "path": [" A >  B > A ", "B", "A>B>A"],
                "total_conversions": [1, 0.25, 2],
                "total_conversion_value": [10.0, 1.5, 3.0],
                "total_null": [0.5, 4, 1],
            }
        )
    )
    assert j.path_strings() == ["A > B > A", "B"]
    np.testing.assert_array_equal(j.conversions, [3.0, 0.25])  # merged, fractions kept
    np.testing.assert_array_equal(j.value, [13.0, 1.5])
    np.testing.assert_array_equal(j.nulls, [1.5, 4.0])


def test_multi_character_separator_and_custom_columns():
    df = pd.DataFrame({"p": ["tv -> web -> tv", "web"], "c": [1, 1], "v": [2.0, 3.0], "n": [0, 5]})
    j = pc.read_paths(df, sep="->", path_col="p", conversions_col="c", value_col="v", nulls_col="n")
    assert j.paths() == [["tv", "web", "tv"], ["web"]]
    assert j.total_value == 5.0 and j.total_nulls == 5.0


def test_optional_columns_absent_by_default():
    j = pc.read_paths(frame())
    assert j.value is None and j.nulls is None


def test_polars_csv_parquet_give_the_same_journeys(tmp_path):
    df = frame(total_conversion_value=[1.5, 2.0], total_null=[3, 0])
    csv = tmp_path / "p.csv"
    df.to_csv(csv, index=False)
    semi = tmp_path / "p_semicolon.csv"
    df.to_csv(semi, index=False, sep=";")
    parquet = tmp_path / "p.parquet"
    df.to_parquet(parquet)
    ref = pc.read_paths(df).to_frame()
    for source in [pl.from_pandas(df), csv, str(semi), parquet]:
        pd.testing.assert_frame_equal(pc.read_paths(source).to_frame(), ref)


def test_channelattribution_example_file_reads(ca_data_path):
    j = pc.read_paths(ca_data_path)
    raw = pd.read_csv(ca_data_path, sep=";")
    assert j.total_conversions == raw["total_conversions"].sum()
    assert j.total_nulls == raw["total_null"].sum()
    assert len(j.channels) == 12


@pytest.mark.parametrize(
    ("df", "kwargs", "match"),
    [
        (frame().drop(columns="total_conversions"), {}, "missing column.*total_conversions"),
        (frame(), {"value_col": "revenue"}, "missing column.*revenue"),
        (frame(total_conversions=[1, -1]), {}, "column 'total_conversions', row 1, value -1"),
        (frame(total_conversions=[np.nan, 1]), {}, "row 0.*NaN"),
        (frame(total_conversions=["x", 1]), {}, "row 0, value 'x'"),
        (frame(total_null=[1, -2]), {}, "column 'total_null', row 1"),
        (frame(path=["A > B", ""]), {}, "row 1.*conversions on a row with no path"),
        (frame(path=["A > B", None]), {}, "row 1.*conversions on a row with no path"),
        (pd.DataFrame({"path": ["A", " "], "total_conversions": [1, 0]}), {}, "row 1.*empty path"),
        (frame(path=["A > > B", "B"]), {}, "row 0.*empty channel name"),
        (frame(path=["A > B", "B >"]), {}, "row 1.*empty channel name"),
        (
            frame(total_conversion_value=[1.0, 0.0], total_conversions=[0, 2]),
            {},
            "row 0.*value on a row with no conversions",
        ),
        (frame(path=["A|B", "B|C"]), {}, "separator '>' never occurs.*sep='\\|'"),
        (frame(), {"sep": ""}, "separator must be a non-empty string"),
    ],
)
def test_bad_input_is_a_located_error(df, kwargs, match):
    with pytest.raises(InputError, match=match):
        pc.read_paths(df, **kwargs)


def test_error_names_the_file(tmp_path):
    bad = tmp_path / "bad.csv"
    frame(total_conversions=[1, -3]).to_csv(bad, index=False)
    with pytest.raises(InputError) as info:
        pc.read_paths(bad)
    assert info.value.source == str(bad) and info.value.row == 1 and info.value.value == -3
    assert str(bad) in str(info.value)


def test_missing_file_and_unsupported_source(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        pc.read_paths(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="cannot read paths from a list"):
        pc.read_paths([1, 2])


def test_single_channel_paths_without_separator_are_fine():
    j = pc.read_paths(pd.DataFrame({"path": ["A", "B"], "total_conversions": [1, 1]}))
    assert j.paths() == [["A"], ["B"]]


def test_path_column_that_is_not_text():
    with pytest.raises(InputError, match=r"column 'path', row 0, value 1: paths must be text"):
        pc.read_paths(pd.DataFrame({"path": [1, 2], "total_conversions": [1, 0]}))
    with pytest.raises(InputError, match=r"row 1, value 3: paths must be text .*not int"):
        pc.read_paths(pd.DataFrame({"path": ["a > b", 3], "total_conversions": [1, 0]}))
