"""The fast reader of read_paths (Arrow kernels over whole batches) against the batch-by-batch
reader it falls back to: on random CSV files, Parquet files and frames both give the same
Journeys, or the same error (the error always comes from the batch-by-batch reader, which
names the file, column, row and value). Budget from the hypothesis profile (tests/conftest.py).
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pathcredit as pc
from pathcredit.exceptions import InputError, PathcreditError
from pathcredit.journeys import io

FUZZ = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

name_st = st.text("ab AB_\t\xa0é中>-|,;\"'", min_size=0, max_size=5) | st.sampled_from(
    ["email", "NA", " tv ", "x" * 30, "Paid Search", "café"]
)
count_st = st.one_of(
    st.integers(0, 5).map(float),
    st.sampled_from([0.5, 1e308, -1.0, float("nan"), float("inf"), 1e-320]),
)


@st.composite
def tables(draw):
    sep = draw(st.sampled_from([">", "->", " > ", "|", "--", "→"]))
    joiner = draw(st.sampled_from([sep, f" {sep} ", f"{sep}  "]))
    rows = []
    for _ in range(draw(st.integers(0, 7))):
        path = joiner.join(draw(st.lists(name_st, min_size=1, max_size=4)))
        conv = draw(count_st)
        value = draw(st.sampled_from([0.0, 2.5]))
        rows.append((path, conv, value, draw(count_st)))
    return rows, sep


def read_both(source, **kwargs):
    """(fast outcome, slow outcome), each a Journeys or the text of its PathcreditError."""
    out = []
    for fast in (True, False):
        io._FAST_READER = fast
        try:
            out.append(pc.read_paths(source, **kwargs))
        except PathcreditError as exc:
            out.append(f"{type(exc).__name__}: {exc}")
        finally:
            io._FAST_READER = True
    return out


def assert_same(a, b):
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return
    assert a.channels == b.channels
    np.testing.assert_array_equal(a.touches, b.touches)
    np.testing.assert_array_equal(a.offsets, b.offsets)
    for field in ("conversions", "value", "nulls"):
        x, y = getattr(a, field), getattr(b, field)
        assert (x is None) == (y is None)
        if x is not None:
            np.testing.assert_array_equal(x, y)
    assert a.source == b.source


@FUZZ
@given(tables(), st.sampled_from(["csv", "tsv", "parquet", "frame", "frame_int"]))
def test_fast_and_batch_readers_agree(tmp_path, table, kind):
    rows, sep = table
    df = pd.DataFrame(
        rows, columns=["path", "total_conversions", "total_conversion_value", "total_null"]
    )
    if kind == "frame":
        source = df
    elif kind == "frame_int":
        df["total_null"] = df["total_null"].fillna(0).clip(0, 9).astype(int)
        source = df
    elif kind == "parquet":
        source = tmp_path / "p.parquet"
        df.to_parquet(source)
    else:
        source = tmp_path / f"p.{kind}"
        df.to_csv(source, index=False, sep="\t" if kind == "tsv" else ",")
    assert_same(*read_both(source, sep=sep))


def test_fast_reader_reads_the_usual_files_alone(tmp_path, monkeypatch):
    """Valid CSV, gzip CSV, Parquet and frames never reach the batch-by-batch reader."""

    def refuse(*args, **kwargs):
        raise AssertionError("the batch-by-batch reader ran")

    monkeypatch.setattr(io, "_PathBuilder", refuse)
    df = pd.DataFrame(
        {
            "path": ["Paid Search > email", "email", " café >tv", "email"],
            "total_conversions": [1, 0, 2, 3],
            "total_conversion_value": [10.0, 0.0, 5.5, 1.0],
            "total_null": [4.0, 1.0, 0.0, 2.0],
        }
    )
    csv = tmp_path / "p.csv"
    df.to_csv(csv, index=False)
    gz = tmp_path / "p.csv.gz"
    df.to_csv(gz, index=False)
    parquet = tmp_path / "p.parquet"
    df.to_parquet(parquet)
    for source in (csv, gz, parquet, df):
        j = pc.read_paths(source)
        # by hand: 'email' twice merged (3 + 0 conversions), names trimmed and sorted
        assert j.channels == ("Paid Search", "café", "email", "tv")
        assert j.path_strings() == ["Paid Search > email", "email", "café > tv"]
        assert j.conversions.tolist() == [1.0, 3.0, 2.0]
        assert j.value.tolist() == [10.0, 1.0, 5.5]
        assert j.nulls.tolist() == [4.0, 3.0, 0.0]


def test_error_in_a_late_block_names_the_row_from_the_top(tmp_path, monkeypatch):
    """A bad count in the third block the fast reader parses: the error (from the batch
    reader) counts rows from the top of the file."""
    monkeypatch.setattr(io, "_FAST_BLOCK", 1 << 11)  # blocks of 2 KiB in the fast reader
    monkeypatch.setattr(io, "_CSV_PIECE", 1 << 10)  # pieces of 1 KiB in the batch reader
    lines = ["path,total_conversions"] + [f"a > b{i % 7},1" for i in range(1000)]
    lines[1 + 700] = "a > b,-3"
    f = tmp_path / "p.csv"
    f.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="negative count") as info:
        pc.read_paths(f)
    assert (info.value.row, info.value.column, info.value.value) == (700, "total_conversions", -3.0)


def test_the_callers_arrow_pool_is_restored(tmp_path):
    import pyarrow as pa

    before = pa.default_memory_pool().backend_name
    f = tmp_path / "p.csv"
    f.write_text("path,total_conversions\na > b,1\n")
    pc.read_paths(f)
    with pytest.raises(InputError):
        pc.read_paths(tmp_path / "missing.csv")
    assert pa.default_memory_pool().backend_name == before
