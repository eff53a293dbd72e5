"""The event-log cases of the reliability audit (issue 18, point 3): each gives the right
answer or one :class:`~pathcredit.InputError` naming file, column, row and value, the
same on DuckDB and the pandas reference (Spark where it is cheap), and on the CLI one
line with exit status 2."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from pathcredit import InputError
from pathcredit.cli import main
from pathcredit.journeys import Removal
from pathcredit.journeys.events import build_journeys

BACKENDS = [None, "pandas"]  # None = DuckDB

#: Rows before the bad one: more than DuckDB's type-sniffing sample (20,480 rows).
N_GOOD = 25_000


def good_rows() -> pd.DataFrame:
    """25,000 events of 1,000 people (25 each), every tenth a conversion with a value."""
    i = np.arange(N_GOOD)
    return pd.DataFrame(
        {
            "user_id": [f"u{k}" for k in i // 25],
            "timestamp": (pd.Timestamp("2024-01-01") + pd.to_timedelta(i * 200, unit="s")).strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
            "channel": np.where(i % 10 == 9, "", np.array(["a", "b", "c"])[i % 3]),
            "conversion": (i % 10 == 9).astype(int).astype(str),
            "value": np.where(i % 10 == 9, "2.5", "0"),
        }
    )


def write(path, frame: pd.DataFrame, extra: list[str] = ()) -> None:
    """The frame as CSV with ``extra`` lines appended as they are written."""
    text = frame.to_csv(index=False)
    path.write_text(text + "".join(line + "\n" for line in extra))


def table(ej) -> pd.DataFrame:
    return ej.journeys.to_frame().sort_values("path").reset_index(drop=True)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def errline(res) -> str:
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    return lines[0]


# --- a bad value after DuckDB's type-sniffing sample ------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_unparseable_time_after_the_sample_is_dropped_and_counted(tmp_path, backend):
    good = good_rows()
    write(tmp_path / "ok.csv", good)
    # line 25,002 (header is line 1): a touch whose time is not a date
    write(tmp_path / "bad.csv", good, ["u1,not a date,a,0,0"])
    ok = build_journeys(tmp_path / "ok.csv", value_col="value", backend=backend)
    bad = build_journeys(tmp_path / "bad.csv", value_col="value", backend=backend)
    pd.testing.assert_frame_equal(table(bad), table(ok))
    assert list(bad.removed) == [Removal("unparseable timestamp", touches=1), *ok.removed]


@pytest.mark.parametrize("backend", BACKENDS)
def test_conversion_flag_that_is_no_number_after_the_sample(tmp_path, backend):
    write(tmp_path / "bad.csv", good_rows(), ["u1,2024-01-02 10:00:00,a,yes,0"])
    with pytest.raises(InputError, match="conversion column must be boolean or numeric") as err:
        build_journeys(tmp_path / "bad.csv", value_col="value", backend=backend)
    e = err.value
    assert (e.source, e.column, e.row, e.value) == (
        str(tmp_path / "bad.csv"),
        "conversion",
        N_GOOD,
        "yes",
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_missing_value_spelled_na_after_the_sample(tmp_path, backend):
    good = good_rows()
    # a conversion worth n/a (missing: 0) is the same as one with an empty value
    write(tmp_path / "na.csv", good, ["u1,2024-03-01 10:00:00,,1,n/a"])
    write(tmp_path / "empty.csv", good, ["u1,2024-03-01 10:00:00,,1,"])
    na = build_journeys(tmp_path / "na.csv", value_col="value", backend=backend)
    empty = build_journeys(tmp_path / "empty.csv", value_col="value", backend=backend)
    pd.testing.assert_frame_equal(table(na), table(empty))
    assert list(na.removed) == list(empty.removed)
    # a value that is no number is refused naming it
    write(tmp_path / "bad.csv", good, ["u1,2024-03-01 10:00:00,,1,lots"])
    with pytest.raises(InputError, match="value column must be numeric") as err:
        build_journeys(tmp_path / "bad.csv", value_col="value", backend=backend)
    assert (err.value.column, err.value.row, err.value.value) == ("value", N_GOOD, "lots")


def test_late_bad_values_on_the_cli(tmp_path):
    good = good_rows()
    write(tmp_path / "flag.csv", good, ["u1,2024-01-02 10:00:00,a,yes,0"])
    write(tmp_path / "ragged.csv", good, ["u1,2024-01-02 10:00:00"])
    write(tmp_path / "time.csv", good, ["u1,not a date,a,0,0"])
    out = tmp_path / "paths.csv"
    for backend in ("duckdb", "pandas"):
        line = errline(
            run("journeys", tmp_path / "flag.csv", "--backend", backend, "--output", out)
        )
        assert "column 'conversion', row 25000, value 'yes'" in line
        res = run("journeys", tmp_path / "time.csv", "--backend", backend, "--output", out)
        assert res.exit_code == 0, res.output
        assert "removed: unparseable timestamp: 1 touches" in res.output
    # a row with too few fields, after the sample: DuckDB names its line
    line = errline(run("journeys", tmp_path / "ragged.csv", "--output", out))
    assert "ragged.csv" in line and "line 25002" in line and "wrong number of fields" in line


# --- compressed files -------------------------------------------------------------------


@pytest.mark.parametrize("cut", [5, 200, 2000])
@pytest.mark.parametrize("backend", BACKENDS)
def test_truncated_gzip_is_refused(tmp_path, backend, cut):
    data = good_rows().to_csv(index=False).encode()
    packed = gzip.compress(data)
    f = tmp_path / "events.csv.gz"
    f.write_bytes(packed[:-cut])  # cut 5 bytes: the stream ends where a line ends
    with pytest.raises(InputError, match="the gzip file is truncated or corrupt") as err:
        build_journeys(f, value_col="value", backend=backend)
    assert err.value.source == str(f)
    line = errline(
        run("journeys", f, "--backend", backend or "duckdb", "--output", tmp_path / "p.csv")
    )
    assert "events.csv.gz" in line and "truncated or corrupt" in line
    # the whole file reads as the plain CSV does
    f.write_bytes(packed)
    write(tmp_path / "plain.csv", good_rows())
    pd.testing.assert_frame_equal(
        table(build_journeys(f, value_col="value", backend=backend)),
        table(build_journeys(tmp_path / "plain.csv", value_col="value", backend=backend)),
    )


# --- conversion columns of pandas' nullable types ---------------------------------------


@pytest.mark.parametrize(
    "flags",
    [
        pd.array([False, None, True, False, True], dtype="boolean"),
        pd.array([0, None, 1, 0, 1], dtype="Int64"),
        pd.array([0.0, None, 1.0, 0.0, 1.0], dtype="Float64"),
        ["0", "n/a", "1", " 0 ", "1.0"],
    ],
    ids=["boolean", "Int64", "Float64", "text"],
)
@pytest.mark.parametrize("backend", BACKENDS)
def test_nullable_conversion_columns(backend, flags):
    ev = pd.DataFrame(
        {
            "user_id": ["p"] * 5,
            "timestamp": pd.date_range("2024-01-01", periods=5, freq="D"),
            "channel": ["x", "y", None, "z", None],
            "conversion": flags,
        }
    )
    # x, y (the missing flag is not a conversion), conversion; z, conversion
    got = build_journeys(ev, backend=backend).journeys.to_frame()
    assert got.to_dict("records") == [
        {"path": "x > y", "total_conversions": 1.0, "total_null": 0.0},
        {"path": "z", "total_conversions": 1.0, "total_null": 0.0},
    ]
