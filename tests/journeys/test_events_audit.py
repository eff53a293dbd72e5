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
    if backend is None:  # the case is real: DuckDB's own reader stops at that line
        import duckdb

        with pytest.raises(duckdb.ConversionException, match="sample_size = 20480") as err:
            duckdb.read_csv(str(tmp_path / "bad.csv")).fetchall()
        assert "Line: 25002" in str(err.value)
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


# --- integer times outside years 1 to 9999 ----------------------------------------------


def int_log(times) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ["p"] * len(times),
            "timestamp": pd.array(times, dtype="Int64"),
            "channel": ["x"] * (len(times) - 1) + [None],
            "conversion": [0] * (len(times) - 1) + [1],
        }
    )


#: 0001-01-01T00:00:00 and 9999-12-31T23:59:59 UTC in seconds since 1970 (proleptic
#: Gregorian calendar, as Python's datetime counts them)
FIRST_S = -62_135_596_800
LAST_S = 253_402_300_799


def test_the_bounds_are_years_1_and_9999():
    import datetime as dt

    epoch = dt.datetime(1970, 1, 1)
    assert (dt.datetime(1, 1, 1) - epoch).total_seconds() == FIRST_S
    assert (dt.datetime(9999, 12, 31, 23, 59, 59) - epoch).total_seconds() == LAST_S


@pytest.mark.parametrize(
    ("unit", "bad"),
    [
        ("s", 10**17),
        ("s", LAST_S + 1),
        ("s", FIRST_S - 1),
        ("ms", (LAST_S + 1) * 1000),
        ("us", FIRST_S * 10**6 - 1),
    ],
)
@pytest.mark.parametrize("backend", BACKENDS)
def test_integer_times_outside_the_range_are_refused(backend, unit, bad):
    scale = {"s": 1, "ms": 1000, "us": 10**6}[unit]
    ev = int_log([1_704_067_200 * scale, bad, 1_704_070_800 * scale])
    with pytest.raises(InputError, match="from 0001-01-01 to 9999-12-31 UTC") as err:
        build_journeys(ev, time_unit=unit, backend=backend)
    assert (err.value.column, err.value.row, err.value.value) == ("timestamp", 1, bad)


@pytest.mark.parametrize("backend", BACKENDS)
def test_integer_times_at_the_bounds_are_kept(backend):
    # years 1 and 9999: a touch at each end, the conversion last (no lookback)
    ev = int_log([FIRST_S, LAST_S - 10, LAST_S])
    ej = build_journeys(ev, time_unit="s", lookback_days=None, backend=backend)
    assert ej.journeys.path_strings() == ["x > x"]
    np.testing.assert_allclose(
        ej.touches()["days_to_conversion"], [(LAST_S - FIRST_S) / 86400, 10 / 86400]
    )
    # nanoseconds: every int64 is inside (1677 to 2262)
    ev = int_log([-(2**63) + 1, 0, 2**63 - 1])
    assert build_journeys(
        ev, time_unit="ns", lookback_days=None, backend=backend
    ).journeys.path_strings() == ["x > x"]


def test_integer_time_out_of_range_on_the_cli(tmp_path):
    f = tmp_path / "ev.csv"
    int_log([1_704_067_200, 10**17, 1_704_070_800]).to_csv(f, index=False)
    for backend in ("duckdb", "pandas"):
        line = errline(
            run(
                "journeys",
                f,
                "--time-unit",
                "s",
                "--backend",
                backend,
                "--output",
                tmp_path / "p.csv",
            )
        )
        assert "column 'timestamp', row 1, value 100000000000000000" in line


# --- parameters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("max_touches", True),
        ("max_touches", np.bool_(True)),
        ("max_touches", 2**63),
        ("max_touches", 2**31),
        ("max_touches", 10**30),
        ("max_touches", 0),
        ("max_touches", 2.0),
        ("partitions", True),
        ("partitions", 2**63),
        ("partitions", 10_001),
        ("partitions", 0),
    ],
)
@pytest.mark.parametrize("backend", BACKENDS)
def test_whole_number_parameters_have_a_range(backend, name, bad):
    ev = int_log([1, 2, 3])
    with pytest.raises(InputError, match=f"{name} must be a whole number from 1 to"):
        build_journeys(ev, time_unit="s", backend=backend, **{name: bad})


@pytest.mark.parametrize("backend", BACKENDS)
def test_largest_whole_number_parameters_are_accepted(backend):
    ev = int_log([1, 2, 3])
    for kw in ({"max_touches": 2**31 - 1}, {"max_touches": np.int64(1)}, {"partitions": 10_000}):
        ej = build_journeys(ev, time_unit="s", backend=backend, **kw)
        want = "x" if kw.get("max_touches") == 1 else "x > x"
        assert ej.journeys.path_strings() == [want]


def test_whole_number_parameters_on_the_cli(tmp_path):
    f = tmp_path / "ev.csv"
    int_log([1, 2, 3]).to_csv(f, index=False)
    for opt, value in (("--max-touches", 2**63), ("--partitions", 2**63)):
        line = errline(
            run("journeys", f, "--time-unit", "s", opt, value, "--output", tmp_path / "p.csv")
        )
        assert "must be a whole number from 1 to" in line


@pytest.mark.parametrize("backend", BACKENDS)
def test_identity_cols_naming_one_column_twice(backend):
    ev = int_log([1, 2, 3])
    ident = pd.DataFrame({"device_id": ["p"], "person_id": ["P"]})
    for cols in (("device_id", "device_id"), ("person_id", "person_id")):
        with pytest.raises(InputError, match="names the same column twice") as err:
            build_journeys(
                ev, time_unit="s", identity_map=ident, identity_cols=cols, backend=backend
            )
        assert err.value.column == cols[0]
    with pytest.raises(InputError, match="two column names"):
        build_journeys(ev, time_unit="s", identity_map=ident, identity_cols=("a",), backend=backend)


def test_identity_cols_twice_on_the_cli(tmp_path):
    f = tmp_path / "ev.csv"
    int_log([1, 2, 3]).to_csv(f, index=False)
    pd.DataFrame({"device_id": ["p"], "person_id": ["P"]}).to_csv(tmp_path / "id.csv", index=False)
    line = errline(
        run(
            "journeys", f, "--time-unit", "s", "--identity-map", tmp_path / "id.csv",
            "--identity-cols", "device_id", "device_id", "--output", tmp_path / "p.csv",
        )
    )  # fmt: skip
    assert "names the same column twice" in line


# --- nested channels ---------------------------------------------------------------------


def nested_log(channels) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ["p", "p", "p"],
            "timestamp": pd.date_range("2024-01-01", periods=3, freq="D"),
            "channel": channels,
            "conversion": [0, 0, 1],
        }
    )


@pytest.mark.parametrize(
    ("channels", "kind", "first"),
    [
        ([None, ["x", "y"], None], "lists", ["x", "y"]),
        ([None, ("x",), None], "lists", ["x"]),
        ([None, {"name": "x"}, None], "records", {"name": "x"}),
    ],
)
@pytest.mark.parametrize("backend", BACKENDS)
def test_nested_channels_are_refused(tmp_path, backend, channels, kind, first):
    ev = nested_log(channels)
    with pytest.raises(InputError, match=rf"nested values \({kind}\)") as err:
        build_journeys(ev, backend=backend)
    assert (err.value.column, err.value.row) == ("channel", 1)
    assert list(err.value.value) == list(first)
    # a Parquet file with a list or struct column: the same error
    ev.to_parquet(tmp_path / "ev.parquet")
    with pytest.raises(InputError, match=rf"nested values \({kind}\)") as err:
        build_journeys(tmp_path / "ev.parquet", backend=backend)
    assert (err.value.column, err.value.row) == ("channel", 1)
    line = errline(
        run("journeys", tmp_path / "ev.parquet", "--backend", backend or "duckdb",
            "--output", tmp_path / "p.csv")
    )  # fmt: skip
    assert "column 'channel', row 1" in line and "nested values" in line


# --- Spark, where it is cheap ------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_spark_refuses_alike(spark):
    import ibis

    from pathcredit.journeys._engine import to_arrow_frame

    con = ibis.pyspark.connect(spark)

    def table(frame, name):
        spark.createDataFrame(to_arrow_frame(frame)).createOrReplaceTempView(name)
        return con.table(name)

    with pytest.raises(InputError, match="from 0001-01-01 to 9999-12-31 UTC") as err:
        build_journeys(
            table(int_log([1_704_067_200, 10**17, 1_704_070_800]), "audit_int"),
            time_unit="s",
            backend=spark,
        )
    assert (err.value.column, err.value.value) == ("timestamp", 10**17)
    with pytest.raises(InputError, match=r"nested values \(lists\)") as err:
        build_journeys(table(nested_log([None, ["x", "y"], None]), "audit_nested"), backend=spark)
    assert (err.value.column, list(err.value.value)) == ("channel", ["x", "y"])
    with pytest.raises(InputError, match="max_touches must be a whole number"):
        build_journeys(con.table("audit_int"), time_unit="s", max_touches=True, backend=spark)


def test_readme_states_the_ranges_the_code_uses(tmp_path):
    """The numbers of the README's event-log rules come from the code (and DuckDB)."""
    import re
    from pathlib import Path

    import duckdb

    from pathcredit.journeys import events
    from pathcredit.journeys._event_journeys import integer_time_bounds

    text = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    flat = re.sub(r"\s+", " ", text)
    lo, hi = integer_time_bounds("s")
    assert (lo, hi) == (FIRST_S, LAST_S)
    assert f"in seconds, {lo:,} to {hi:,}" in flat
    assert events.MAX_TOUCHES_LIMIT == 2**31 - 1 and "from 1 to 2^31 - 1" in flat
    assert f"`partitions` from 1 to {events.PARTITIONS_LIMIT:,}" in flat
    # DuckDB's type-sniffing sample, as its own error message states it
    m = re.search(r"a sample of ([\d,]+) rows", flat)
    assert m
    f = tmp_path / "sniff.csv"
    f.write_text("a,b\n" + "1,2\n" * 30_000 + "x,2\n")
    with pytest.raises(duckdb.Error, match=rf"sample_size = {m.group(1).replace(',', '')}\b"):
        duckdb.read_csv(str(f)).fetchall()
