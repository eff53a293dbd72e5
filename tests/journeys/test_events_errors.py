"""Event logs (issue 9): located one-line errors, decisions on odd inputs, and
byte-identical output of ``pathcredit journeys``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pathcredit import InputError
from pathcredit.journeys.events import build_journeys, resolve_identity

BACKENDS = ["duckdb", "pandas"]


def log(**changes) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "b"],
            "timestamp": ["2024-01-01", "2024-01-02", "2024-01-01", "2024-01-02"],
            "channel": ["x", None, "y", None],
            "conversion": [0, 1, 0, 1],
            "value": [0.0, 3.0, 0.0, 4.0],
        }
    )
    for col, values in changes.items():
        frame[col] = pd.Series(values, dtype=object) if isinstance(values, list) else values
    return frame


def one_line(exc_info) -> str:
    text = str(exc_info.value)
    assert "\n" not in text
    assert type(exc_info.value) is InputError
    return text


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (
            log(timestamp=["2024-01-01", pd.Timestamp("2024-01-02"), "2024-01-01", "2024-01-02"]),
            r"column 'timestamp', row 1, value Timestamp.*mixes text and Timestamp",
        ),
        (
            log(user_id=[1, "a", 2, "b"]),
            r"column 'user_id', row 1, value 'a': .*mixes int and text",
        ),
        (
            log(value=np.array([0.0, np.inf, 0.0, 4.0])),
            r"column 'value', row 1, value inf: .*finite",
        ),
        (log(value=np.array([0.0, 3.0, 0.0, -4.0])), r"column 'value', row 3, value -4.0: .*>= 0"),
        (
            log(channel=["x", None, "a>b", None]),
            r"column 'channel', row 2, value 'a>b': .*separator",
        ),
    ],
)
def test_located_errors_on_frames(backend, frame, match):
    with pytest.raises(InputError, match=match) as exc:
        build_journeys(frame, value_col="value", backend=backend)
    one_line(exc)


@pytest.mark.parametrize("backend", BACKENDS)
def test_offsets_mixed_with_naive_times_are_refused_alike(backend):
    # different offsets are instants (issue 13); a time without one names no instant:
    # the rarer kind is located, the same on every backend
    frame = log(timestamp=["2024-01-01T00:00+01:00", "2024-01-02T00:00+02:00", "2024-01-01", "x"])
    with pytest.raises(
        InputError, match=r"column 'timestamp', row 2, value '2024-01-01': the time column mixes"
    ):
        build_journeys(frame, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_file_errors(tmp_path, backend):
    (tmp_path / "dir").mkdir()
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("user_id,timestamp,channel,conversion\n")
    (tmp_path / "dup.csv").write_text(
        "user_id,timestamp,channel,conversion,channel\na,2024-01-01,x,0,q\na,2024-01-02,,1,\n"
    )
    (tmp_path / "times.csv").write_text(
        "user_id,timestamp,channel,conversion\na,notatime,x,0\na,garbage,,1\n"
    )
    (tmp_path / "sep.csv").write_text(
        "user_id,timestamp,channel,conversion\na,2024-01-01,y,0\na,2024-01-01,a>b,0\nb,2024-01-02,,1\n"
    )
    cases = [
        ("empty.csv", r"empty\.csv: the file is empty \(0 bytes\)"),
        ("header.csv", r"header\.csv: the event log has no events"),
        ("dup.csv", r"dup\.csv, column 'channel': the header repeats a column name"),
        ("times.csv", r"column 'timestamp', value '(notatime|garbage)': no valid event"),
        ("sep.csv", r"column 'channel', row 1, value 'a>b'"),
    ]
    if backend == "pandas":  # DuckDB reads a folder of Parquet files
        cases.append(("dir", r"dir: the pandas backend reads one file, not a folder"))
    for name, match in cases:
        with pytest.raises(InputError, match=match) as exc:
            build_journeys(str(tmp_path / name), backend=backend)
        one_line(exc)


@pytest.mark.parametrize("backend", BACKENDS)
def test_duplicate_columns_in_a_frame(backend):
    frame = log()
    frame.columns = ["user_id", "timestamp", "channel", "conversion", "channel"]
    with pytest.raises(InputError, match="column 'channel': the column name is repeated"):
        build_journeys(frame, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_nan_conversion_flag_in_csv_is_missing(tmp_path, backend):
    # "nan" in a CSV is a missing flag (not a conversion) on every backend, as in a DataFrame
    path = tmp_path / "nan.csv"
    path.write_text(
        "user_id,timestamp,channel,conversion\n"
        "a,2024-01-01,x,0\na,2024-01-02,,nan\nb,2024-01-01,y,0\nb,2024-01-02,,1\n"
    )
    t = build_journeys(str(path), backend=backend).journeys.to_frame()
    assert t.to_dict("list") == {
        "path": ["x", "y"],
        "total_conversions": [0.0, 1.0],
        "total_null": [1.0, 0.0],
    }
    # the "nan" row is a conversion-less row without channel: dropped and counted
    ej = build_journeys(str(path), backend=backend)
    assert ej.removed_frame().set_index("step").loc["missing channel", "touches"] == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_identity_map_chains_resolve_and_cycles_are_refused(backend):
    events = pd.DataFrame(
        {
            "user_id": ["d1", "d2", "p"],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
            "channel": ["x", "y", None],
            "conversion": [0, 0, 1],
        }
    )
    # d1 -> d2 -> p: all three are one person, one journey x > y
    t = build_journeys(events, identity_map={"d1": "d2", "d2": "p"}, backend=backend)
    assert t.journeys.to_frame().to_dict("list") == {
        "path": ["x > y"],
        "total_conversions": [1.0],
        "total_null": [0.0],
    }
    for cycle in ({"d1": "d2", "d2": "d1"}, {"d1": "d2", "d2": "p", "p": "d1"}):
        with pytest.raises(InputError, match=r"value 'd1': the identity map has a cycle"):
            build_journeys(events, identity_map=cycle, backend=backend)


def test_resolve_identity_long_chain():
    n = 1000
    dev = np.array([f"n{i}" for i in range(n)], dtype=object)
    per = np.array([f"n{i + 1}" for i in range(n)], dtype=object)
    d, p = resolve_identity(dev[::-1], per[::-1], "map")
    assert set(p) == {f"n{n}"} and len(d) == n
    with pytest.raises(InputError, match="several person ids"):
        resolve_identity(np.array(["a", "a"]), np.array(["b", "c"]), "map")
    d, p = resolve_identity(np.array(["a"]), np.array(["a"]), "map")  # a -> a: no-op
    assert len(d) == 0


@pytest.mark.slow
def test_cli_output_is_byte_identical(tmp_path):
    from click.testing import CliRunner

    from pathcredit.cli.journeys import journeys_command

    rng = np.random.default_rng(3)
    n = 300_000
    conv = rng.random(n) < 0.2
    pd.DataFrame(
        {
            "user_id": rng.integers(0, 40_000, n).astype(str),
            "timestamp": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 60 * 86400, n), unit="s"),
            "channel": np.where(conv, None, rng.choice(list("abcdef"), n)),
            "conversion": conv.astype(int),
            "value": np.where(conv, rng.lognormal(3, 1.5, n), 0.0),
        }
    ).to_parquet(tmp_path / "ev.parquet")
    outputs = []
    for run, extra in enumerate([[], [], [], ["--partitions", "4"], ["--partitions", "4"]]):
        out = tmp_path / f"paths{run}.parquet"
        result = CliRunner().invoke(
            journeys_command,
            [str(tmp_path / "ev.parquet"), "--value-col", "value", "--output", str(out), *extra],
        )
        assert result.exit_code == 0, result.output
        outputs.append(out.read_bytes())
    # same bytes run after run, and the same with 4 partitions as in one pass
    assert all(o == outputs[0] for o in outputs)
    # and no value is lost: the log's total = the path table's + what was dropped
    t = pd.read_parquet(tmp_path / "paths0.parquet")
    total = pd.read_parquet(tmp_path / "ev.parquet")["value"].sum()
    dropped = build_journeys(str(tmp_path / "ev.parquet"), value_col="value").removed_frame()
    assert np.isclose(t["total_conversion_value"].sum() + dropped["value"].sum(), total)
