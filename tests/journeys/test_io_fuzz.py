"""Fuzzing read_paths (issue 9): CSV text, raw bytes and DataFrames with odd dtypes, nulls,
duplicated columns, categoricals, huge, negative and NaN counts, odd separators and unicode.

Any outcome other than a Journeys or a PathcreditError fails. For frames (and CSV files written
from them) a plain-Python oracle decides independently whether the input is valid and what
it holds; read_paths must succeed exactly when the oracle says valid and then agree with it.
The budget comes from the hypothesis profile (tests/conftest.py: ci 60 examples a test,
nightly 2,000; HYPOTHESIS_PROFILE=nightly)."""

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import pathcredit as pc
from pathcredit.exceptions import InputError, PathcreditError
from pathcredit.journeys import io

LIKELY = (">", "|", ",", ";", "->", "/", "~", "\t")
FUZZ = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# channel names: ASCII letters, whitespace of every kind Python's str.strip removes (the same set
# as Arrow's utf8_trim_whitespace), separator characters, quotes, newlines and non-ASCII text
ALPHABET = "ab AB_\t\n\r\x1c\xa0\u3000é中😀>-|,;/~\"'"
name_st = st.text(ALPHABET, min_size=0, max_size=6) | st.sampled_from(
    ["email", "NA", "null", "NaN", " tv ", "x" * 70, "a" * 9, "search-paid"]
)
sep_st = st.sampled_from([">", "->", " > ", "|", ",", ";", "--", "\t", "→", ">>"])
count_st = st.one_of(
    st.integers(0, 5).map(float),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, float(np.finfo(np.float64).max), -1.0, -0.0, 0.5, 1e-320]),
)


@st.composite
def path_tables(draw):
    """(rows of (path, conversions, value, nulls), sep, the separator used when writing)."""
    sep = draw(sep_st)
    joiner = draw(st.sampled_from([sep, f" {sep} ", f"{sep} ", ">", " > "]))
    n = draw(st.integers(0, 8))
    rows = []
    for _ in range(n):
        names = draw(st.lists(name_st, min_size=1, max_size=4))
        path = (
            draw(st.sampled_from([joiner.join(names), None, ""]))
            if draw(st.integers(0, 9)) == 0
            else joiner.join(names)
        )
        conv = draw(count_st)
        value = draw(st.sampled_from([0.0, conv * 10 if math.isfinite(conv) else 1.0, 3.5]))
        rows.append((path, conv, value, draw(count_st)))
    return rows, sep


def oracle(rows, sep, with_value=True, with_nulls=True):
    """Plain-Python reading: ('invalid', reason) or ('ok', {path tuple: [conv, value, nulls]})."""
    if not rows:
        return "invalid", "no paths"
    for k, col in enumerate(["conv", "value", "nulls"][: 1 + with_value + with_nulls]):
        total = 0.0
        for row in rows:
            x = row[1 + k]
            if not (isinstance(x, float) and math.isfinite(x) and x >= 0):
                return "invalid", f"bad {col}"
    for row in rows:
        if with_value and row[2] != 0 and row[1] == 0:
            return "invalid", "value without conversions"
    for k in range(1 + with_value + with_nulls):
        total = 0.0
        for row in rows:
            total += row[1 + k]
            if math.isinf(total):
                return "invalid", "overflow"
    trimmed = []
    for path, *_ in rows:
        if path is None or not path.strip():
            return "invalid", "empty path"
        trimmed.append(path.strip())
    if not any(sep in p for p in trimmed):
        for other in LIKELY:
            if other != sep and sum(other in p for p in trimmed) >= max(1, len(rows) // 10):
                return "invalid", "separator"
    out = {}
    for p, (_, conv, value, nulls) in zip(trimmed, rows, strict=True):
        key = tuple(part.strip() for part in p.split(sep))
        if "" in key:
            return "invalid", "empty channel"
        acc = out.setdefault(key, [0.0, 0.0, 0.0])
        acc[0] += conv
        acc[1] += value
        acc[2] += nulls
    return "ok", out


def check_against_oracle(read, rows, sep, with_value=True, with_nulls=True):
    verdict, expected = oracle(rows, sep, with_value, with_nulls)
    try:
        j = read()
    except PathcreditError as exc:
        assert verdict == "invalid", f"refused a valid input: {exc}"
        return
    assert verdict == "ok", f"accepted an invalid input ({expected})"
    got = {tuple(p): i for i, p in enumerate(j.paths())}
    assert set(got) == set(expected)
    for key, (conv, value, nulls) in expected.items():
        i = got[key]
        assert j.conversions[i] == pytest.approx(conv, rel=1e-12, abs=1e-300)
        if with_value:
            assert j.value[i] == pytest.approx(value, rel=1e-12, abs=1e-300)
        if with_nulls:
            assert j.nulls[i] == pytest.approx(nulls, rel=1e-12, abs=1e-300)
    totals = np.array([v for v in expected.values()]).sum(axis=0)
    assert j.total_conversions == pytest.approx(totals[0], rel=1e-9)
    assert np.isfinite(j.conversions).all() and (j.conversions >= 0).all()
    pieces = {part.strip() for p, *_ in rows for part in p.strip().split(sep)}
    assert set(j.channels) <= pieces  # every channel is a trimmed piece of an input path


def frame_of(rows, path_dtype):
    df = pd.DataFrame(
        rows, columns=["path", "total_conversions", "total_conversion_value", "total_null"]
    )
    if path_dtype == "category":
        df["path"] = df["path"].astype("category")
    elif path_dtype == "string":
        df["path"] = df["path"].astype("string[pyarrow]")
    elif path_dtype == "str_counts":
        df["total_conversions"] = df["total_conversions"].map(repr).astype(object)
    return df


@FUZZ
@given(path_tables(), st.sampled_from(["object", "category", "string", "str_counts"]))
def test_frames_agree_with_the_oracle(table, path_dtype):
    rows, sep = table
    df = frame_of(rows, path_dtype)
    check_against_oracle(lambda: pc.read_paths(df, sep=sep), rows, sep)


@FUZZ
@given(path_tables(), st.sampled_from([",", ";", "\t", "|"]), st.booleans())
def test_csv_written_by_pandas_agrees_with_the_oracle(tmp_path, table, delimiter, parquet):
    rows, sep = table
    df = frame_of(rows, "object")
    f = tmp_path / ("p.parquet" if parquet else "p.csv")
    if parquet:
        df.to_parquet(f)
    else:
        df.to_csv(f, sep=delimiter, index=False)
        # what a CSV cell can say: None is written as an empty cell, like ''; a path that is
        # only whitespace is kept; floats go through their repr and back
        rows = [(("" if p is None else p), *c) for p, *c in rows]
        assume(all("\r" not in (p or "") for p, *_ in rows))  # CSV itself turns \r\n into \n
    check_against_oracle(lambda: pc.read_paths(f, sep=sep), rows, sep)


@FUZZ
@given(
    st.lists(st.text(ALPHABET + "0123456789.e-", max_size=12), min_size=1, max_size=5),
    st.lists(st.lists(st.text(ALPHABET + "0123456789.e-", max_size=10), max_size=5), max_size=6),
    st.sampled_from([",", ";", "\t", "|"]),
    sep_st,
)
def test_csv_text_is_read_or_refused(tmp_path, header, cells, delimiter, sep):
    text = delimiter.join(header) + "\n" + "".join(delimiter.join(r) + "\n" for r in cells)
    f = tmp_path / "t.csv"
    f.write_text(text, encoding="utf-8")
    j = read_or_refuse(f, sep)
    if j is not None:
        assert all(c and c == c.strip() and c in text for c in j.channels)


@FUZZ
@given(st.binary(max_size=300), st.sampled_from(["b.csv", "b.csv.gz", "b.tsv", "b.parquet", "b"]))
def test_bytes_are_read_or_refused(tmp_path, data, filename):
    f = tmp_path / filename
    f.write_bytes(data)
    read_or_refuse(f, ">")
    g = tmp_path / ("h" + filename)
    g.write_bytes(b"path,total_conversions,total_null\n" + data)
    read_or_refuse(g, ">")


def read_or_refuse(source, sep, **kwargs):
    try:
        j = pc.read_paths(source, sep=sep, **kwargs)
    except PathcreditError:
        return None
    assert j.n_paths > 0
    assert np.isfinite(j.total_conversions) and (j.conversions >= 0).all()
    assert np.isfinite(j.null_counts()).all() and np.isfinite(j.value_counts()).all()
    return j


odd_column = st.one_of(
    st.lists(count_st, min_size=3, max_size=3),
    st.lists(st.none() | st.integers(-3, 3) | st.text(max_size=3), min_size=3, max_size=3),
    st.just([True, False, True]),
    st.just(pd.to_datetime(["2024-01-01", None, "2024-01-02"])),
    st.just(pd.Categorical([1, 2, None])),
    st.just(pd.array([1, None, 3], dtype="Int64")),
    st.just([b"a>b", b"b", b"\xff"]),
    st.just([["a"], ["b"], ["c"]]),
)


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["path", "total_conversions", "total_null", "other"]), odd_column
        ),
        min_size=0,
        max_size=5,
    )
)
def test_frames_with_odd_columns_and_duplicates_are_read_or_refused(columns):
    names = [c for c, _ in columns]
    df = pd.DataFrame(
        {
            i: pd.Series(v, dtype=object if isinstance(v, list) else None)
            for i, (_, v) in enumerate(columns)
        }
    )
    df.columns = names
    j = read_or_refuse(df, ">")
    if j is not None:  # a column that is read is never ambiguous
        assert names.count("path") == names.count("total_conversions") == 1
        assert names.count("total_null") <= 1


# ------------------------------------------------------------ the two splitters agree
@FUZZ
@given(
    st.lists(st.one_of(name_st, st.text(max_size=8)), min_size=1, max_size=12),
    st.sampled_from([">", "->", "|", "=>", "::", "ab"]),
    st.data(),
)
def test_numpy_splitter_matches_the_arrow_reference(names, sep, data):
    pieces = [data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=4)) for _ in names]
    joiners = [data.draw(st.sampled_from([sep, f" {sep} ", f"{sep}  "])) for _ in names]
    paths = [j.join(p) for j, p in zip(joiners, pieces, strict=True)]
    arr = pa.array(paths, type=data.draw(st.sampled_from([pa.string(), pa.large_string()])))
    offset = data.draw(st.integers(0, len(paths) - 1))
    arr = arr.slice(offset)  # Arrow slices keep the parent's buffers
    conv = np.ones(len(arr))
    args = (arr, sep, conv, None, "x", "path", 5)
    try:
        fast = io._split_numpy(*args) if io._fast_separator(sep) else None
    except InputError as exc:
        with pytest.raises(InputError) as ref:
            io._split_arrow(*args)
        assert str(exc) == str(ref.value)
        return
    if fast is None:
        return
    lengths, codes, names_fast, seen = fast
    lengths_ref, codes_ref, names_ref, seen_ref = io._split_arrow(*args)
    np.testing.assert_array_equal(lengths, lengths_ref)
    assert seen == seen_ref
    assert [names_fast[c] for c in codes] == [names_ref[c] for c in codes_ref]
