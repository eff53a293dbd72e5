"""read_paths at the sizes users have: 200,000+ distinct paths from CSV, Parquet, pandas, polars
and through the CLI. A crash on chunked Arrow arrays above ~5 MB of CSV once landed because every
test read a small input; these are checked against plain-Python counting of the same rows."""

import json
from collections import Counter

import numpy as np
import pandas as pd
import polars as pl
import pytest
from click.testing import CliRunner

import pathcredit as pc
from pathcredit.cli import main

pytestmark = pytest.mark.slow

N_PATHS = 200_000


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    rng = np.random.default_rng(7)
    names = np.array([f"channel_{i:02d}" for i in range(20)])
    lengths = rng.integers(1, 12, size=int(N_PATHS * 1.6))
    touches = rng.integers(0, 20, size=int(lengths.sum()))
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    paths = pd.unique(
        np.array(
            [" > ".join(names[touches[s : s + n]]) for s, n in zip(starts, lengths, strict=True)]
        )
    )[:N_PATHS]
    assert len(paths) == N_PATHS
    conv = rng.integers(0, 4, N_PATHS).astype(float)
    df = pd.DataFrame(
        {
            "path": paths,
            "total_conversions": conv,
            "total_conversion_value": conv * rng.uniform(1, 100, N_PATHS).round(2),
            "total_null": rng.integers(0, 30, N_PATHS).astype(float),
        }
    )
    folder = tmp_path_factory.mktemp("big")
    df.to_csv(folder / "paths.csv", index=False)
    df.to_parquet(folder / "paths.parquet", index=False)
    touches_by_channel = Counter(c for p in df["path"] for c in p.split(" > "))
    return df, folder, touches_by_channel


def _check(j, df, touches_by_channel):
    assert j.n_paths == N_PATHS
    assert j.total_conversions == pytest.approx(df["total_conversions"].sum(), rel=1e-12)
    assert j.total_value == pytest.approx(df["total_conversion_value"].sum(), rel=1e-12)
    assert j.total_nulls == pytest.approx(df["total_null"].sum(), rel=1e-12)
    counts = np.bincount(j.touches, minlength=len(j.channels))
    assert dict(zip(j.channels, counts.tolist(), strict=True)) == dict(touches_by_channel)
    # a path read back is the row's own path (rows are distinct, so no merging)
    lookup = dict(zip(df["path"], df["total_conversions"], strict=True))
    strings = j.path_strings()
    for i in np.random.default_rng(0).integers(0, N_PATHS, 500):
        assert j.conversions[i] == lookup[strings[i]]


@pytest.mark.parametrize("kind", ["csv", "parquet", "pandas", "pandas_arrow", "polars"])
def test_read_paths_realistic_size(big, kind):
    df, folder, touches_by_channel = big
    source = {
        "csv": folder / "paths.csv",
        "parquet": folder / "paths.parquet",
        "pandas": df,
        "pandas_arrow": pd.read_csv(
            folder / "paths.csv", engine="pyarrow", dtype_backend="pyarrow"
        ),
        "polars": pl.from_pandas(df),
    }[kind]
    _check(pc.read_paths(source), df, touches_by_channel)


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_cli_realistic_size(big, suffix):
    df, folder, _ = big
    res = CliRunner().invoke(
        main,
        ["attribute", str(folder / f"paths.{suffix}"), "--model", "linear", "--format", "json"],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    (linear,) = out
    total = sum(row["conversions"] for row in linear["channels"])
    assert total == pytest.approx(df["total_conversions"].sum(), rel=1e-9)
