"""Path-table holes of a reliability audit: count columns that are times or complex numbers,
empty frames, over-long file names and files that are not regular files. Each is one
InputError naming the source, column, 0-based row and value, and the CLI prints it as one
line with exit status 2. The expected rows and values are those written in each test."""

import os
import socket
import tempfile
import threading

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import pathcredit as pc
from pathcredit import InputError
from pathcredit.cli import main


def one_line_cli_error(*args):
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    return lines[0]


# ------------------------------------------------------------ counts that are not numbers
PARQUET_TIMES = {
    "timestamp": pa.array([None, 5, 6], pa.timestamp("us")),
    "timestamp with zone": pa.array([None, 5, 6], pa.timestamp("us", tz="Europe/Paris")),
    "duration": pa.array([None, 5, 6], pa.duration("s")),
    "date": pa.array([None, 5, 6], pa.date32()),
}


@pytest.mark.parametrize("kind", list(PARQUET_TIMES))
@pytest.mark.parametrize("col", ["total_conversions", "total_null"])
def test_parquet_counts_typed_as_times_are_refused(tmp_path, kind, col):
    cols = {"path": ["a", "b", "a > b"], "total_conversions": [1.0, 2.0, 3.0]}
    cols["total_null"] = [0.0, 1.0, 2.0]
    cols[col] = PARQUET_TIMES[kind]
    f = tmp_path / "p.parquet"
    pq.write_table(pa.table(cols), f)
    with pytest.raises(InputError, match="counts must be numbers, not ") as info:
        pc.read_paths(f)
    # row 0 is missing: the first value shown is row 1's (5 units after the epoch)
    e = info.value
    assert (e.source, e.column, e.row) == (str(f), col, 1)
    assert e.value == PARQUET_TIMES[kind][1].as_py()
    line = one_line_cli_error("attribute", f, "--model", "linear")
    assert f"column '{col}', row 1" in line and "counts must be numbers" in line


FRAME_COUNTS = {
    "complex": (np.array([1 + 0j, 2 + 0j, 0 + 1j]), 1 + 0j),
    "datetime": (pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]), None),
    "datetime with zone": (
        pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]).tz_localize("UTC"),
        None,
    ),
    "timedelta": (pd.to_timedelta([1, 2, 3], unit="D"), None),
    "period": (pd.period_range("2024-01", periods=3, freq="M"), None),
    "object complex": (np.array([1 + 0j, 2, 3], dtype=object), 1 + 0j),
    "object timedelta": (np.array([pd.Timedelta(1), 2, 3], dtype=object), pd.Timedelta(1)),
}


@pytest.mark.parametrize("kind", list(FRAME_COUNTS))
def test_frame_counts_that_are_complex_or_times_are_refused(kind):
    counts, first = FRAME_COUNTS[kind]
    df = pd.DataFrame({"path": ["a", "b", "a > b"], "total_conversions": counts})
    with pytest.raises(InputError, match="counts must be numbers, not ") as info:
        pc.read_paths(df)
    e = info.value
    assert (e.source, e.column, e.row) == ("DataFrame", "total_conversions", 0)
    assert e.value == (df["total_conversions"].iloc[0] if first is None else first)


def test_plain_numbers_of_every_kind_are_still_counts():
    """ints, floats, bools, nullable ints, Decimals and numeric text: read as their value."""
    from decimal import Decimal

    df = pd.DataFrame(
        {
            "path": ["a", "b", "c"],
            "total_conversions": pd.array([1, 2, 3], dtype="Int64"),
            "total_conversion_value": np.array([Decimal("1.5"), "2", 3.0], dtype=object),
            "total_null": [True, False, True],
        }
    )
    j = pc.read_paths(df)
    assert j.conversions.tolist() == [1.0, 2.0, 3.0]
    assert j.value.tolist() == [1.5, 2.0, 3.0]
    assert j.nulls.tolist() == [1.0, 0.0, 1.0]


# ------------------------------------------------------------ empty frames
def test_empty_frame_is_missing_columns_and_empty_columns_are_no_paths():
    with pytest.raises(InputError, match=r"missing column\(s\) \['path', 'total_conversions'\]"):
        pc.read_paths(pd.DataFrame())
    # pandas gives empty columns without data whatever dtype it likes (float64 here)
    for df in (
        pd.DataFrame({"path": [], "total_conversions": []}),
        pd.DataFrame({"path": np.array([], dtype=float), "total_conversions": []}),
    ):
        with pytest.raises(InputError, match="no paths") as info:
            pc.read_paths(df)
        assert info.value.source == "DataFrame"


def test_frame_whose_paths_are_all_missing_is_a_located_error():
    df = pd.DataFrame({"path": [np.nan, np.nan], "total_conversions": [0.0, 2.0]})
    with pytest.raises(InputError, match="empty path") as info:
        pc.read_paths(df)
    assert (info.value.column, info.value.row) == ("path", 0)


# ------------------------------------------------------------ file names and file kinds
def test_file_name_longer_than_the_system_allows(tmp_path):
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    name = tmp_path / ("p" * (limit + 1) + ".csv")
    with pytest.raises(InputError, match="longer than the system allows") as info:
        pc.read_paths(name)
    assert f"longest part {limit + 5} bytes" in str(info.value)
    assert "longer than the system allows" in one_line_cli_error("attribute", name)


def test_named_pipe_nobody_writes_to_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "paths.csv"
    os.mkfifo(fifo)
    outcome = {}

    def read():
        try:
            pc.read_paths(fifo)
        except InputError as exc:
            outcome["error"] = exc

    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(20)
    if t.is_alive():  # unblock the reader so that the test process can end
        with open(fifo, "wb"):
            pass
        pytest.fail("read_paths waited on a named pipe")
    assert "not a regular file (a named pipe)" in str(outcome["error"])
    assert outcome["error"].source == str(fifo)
    assert "not a regular file (a named pipe)" in one_line_cli_error("attribute", fifo)
    assert "not a regular file (a named pipe)" in one_line_cli_error("report", fifo)


def test_devices_and_sockets_are_refused(tmp_path):
    with pytest.raises(InputError, match=r"not a regular file \(a character device\)"):
        pc.read_paths("/dev/null")
    with tempfile.TemporaryDirectory() as short:  # a socket path is limited to ~100 bytes
        path = os.path.join(short, "s.csv")
        with socket.socket(socket.AF_UNIX) as s:
            s.bind(path)
            with pytest.raises(InputError, match=r"not a regular file \(a socket\)"):
                pc.read_paths(path)


def test_path_through_a_file_is_not_found(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("path,total_conversions\na,1\n")
    with pytest.raises(InputError, match="file not found") as info:
        pc.read_paths(f / "inner.csv")
    assert info.value.source == str(f / "inner.csv")
