"""One rule per input quirk, the same answer on DuckDB, the pandas reference and Spark.

Each case is an input on which the engines used to disagree (issue 18's audit): the
expected answer is written here by hand from the rule stated in the module docstring
of :mod:`pathcredit.journeys.events` (section "Engines agree"), and every backend must
give it: the same path table and removal counts, or the same :class:`InputError`
(file, column, row and value). Spark runs the same Ibis expressions as DuckDB, so it
is checked on frames (the channel, time and decimal rules); CSV files are read by
each engine's own reader (pandas and DuckDB here, given the same dialect).
"""

from __future__ import annotations

import datetime as dt
import decimal

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pathcredit import InputError
from pathcredit.journeys._engine import NAME_SPACE, parse_iso
from pathcredit.journeys._events_pandas import _parse_iso
from pathcredit.journeys.events import build_journeys

# py4j leaves sockets to the garbage collector; logs built to lose conversions warn so
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pathcredit.exceptions.PathcreditWarning"),
]

BACKENDS = ["duckdb", "pandas"]
HEADER = "user_id,timestamp,channel,conversion\n"


def outcome(events, backend, **kw):
    """What a build gives, comparable across engines: the path table and the removal
    steps, or the error's message, source, column, row and value."""
    try:
        ej = build_journeys(events, backend=backend, **kw)
    except InputError as exc:
        return ("error", exc.reason, exc.source, exc.column, exc.row, exc.value)
    j = ej.journeys
    paths = dict(zip(j.path_strings(), j.conversions.tolist(), strict=True))
    removed = {r.step: (r.touches, r.conversions, r.paths) for r in j.removed}
    return ("ok", paths, removed)


def all_agree(events, expected, **kw):
    for backend in BACKENDS:
        assert outcome(events, backend, **kw) == expected, backend


def write(tmp_path, text, name="events.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def spark_table(spark, frame, name):
    spark.createDataFrame(frame).createOrReplaceTempView(name)
    return ibis.pyspark.connect(spark).table(name)


# --- channels are text ---------------------------------------------------------------


def test_integer_looking_channels_stay_as_written(tmp_path):
    # "1", "2" with a missing channel (the conversion row) would make pandas guess floats
    path = write(tmp_path, HEADER + "a,2024-01-01,1,0\na,2024-01-02,2,0\na,2024-01-03,,1\n")
    all_agree(path, ("ok", {"1 > 2": 1.0}, {}))


def test_leading_zeros_and_decimals_in_channels_stay_as_written(tmp_path):
    text = HEADER + "a,2024-01-01,007,0\na,2024-01-02,1.50,0\na,2024-01-03,,1\n"
    all_agree(write(tmp_path, text), ("ok", {"007 > 1.50": 1.0}, {}))


#: Channel names and what the rule makes of them: trimmed of what Python's str.strip()
#: removes; nothing left is a missing channel. Control characters that are not
#: whitespace (U+0001) and the zero-width space (not whitespace) are kept.
NAMES = ["\u00a0", "\x1f", "\u3000x\u2029", " y\x85", "\x01", "é", "z\u200b", "a b", "\x1c"]


def names_log() -> pd.DataFrame:
    rows = []
    for i, name in enumerate(NAMES):
        rows += [
            (f"u{i}", "2024-01-01 00:00:00", name, 0),
            (f"u{i}", "2024-01-01 01:00:00", "k", 0),
            (f"u{i}", "2024-01-02 00:00:00", None, 1),
        ]
    return pd.DataFrame(rows, columns=["user_id", "timestamp", "channel", "conversion"])


def names_expected():
    paths: dict[str, float] = {}
    blank = 0
    for name in NAMES:
        kept = name.strip()  # the independent definition of the rule
        key = "k" if not kept else f"{kept} > k"
        blank += not kept
        paths[key] = paths.get(key, 0.0) + 1.0
    assert blank == 3  # the no-break space, U+001F, U+001C
    return ("ok", dict(sorted(paths.items())), {"missing channel": (blank, 0.0, 0)})


def test_channel_names_are_trimmed_of_unicode_whitespace(tmp_path):
    assert set(NAME_SPACE) == {chr(i) for i in range(0x110000) if chr(i).isspace()}
    expected = names_expected()
    frame = names_log()

    def sorted_paths(out):
        return (out[0], dict(sorted(out[1].items())), out[2])

    for backend in BACKENDS:
        assert sorted_paths(outcome(frame, backend)) == expected, backend
    path = str(tmp_path / "names.csv")
    frame.to_csv(path, index=False)
    for backend in BACKENDS:
        assert sorted_paths(outcome(path, backend)) == expected, backend


@pytest.mark.slow
def test_channel_names_are_trimmed_alike_on_spark(spark):
    frame = names_log()
    got = outcome(spark_table(spark, frame, "engines_names"), spark)
    assert (got[0], dict(sorted(got[1].items())), got[2]) == names_expected()


# --- the time grammar ----------------------------------------------------------------

US = dt.timedelta(microseconds=1)

#: Time strings and the instant (naive UTC) the grammar gives them; None: unparseable.
TIMES = [
    ("2024-01-01", dt.datetime(2024, 1, 1)),
    ("2024-01-01 10:00", dt.datetime(2024, 1, 1, 10)),
    ("2024-01-01T10:00:30", dt.datetime(2024, 1, 1, 10, 0, 30)),
    ("2024-01-01T10:00:00.5", dt.datetime(2024, 1, 1, 10, 0, 0, 500000)),
    ("2024-01-01T10:00:00,25", dt.datetime(2024, 1, 1, 10, 0, 0, 250000)),
    ("2024-01-01T10:00:00.1234567", dt.datetime(2024, 1, 1, 10, 0, 0, 123456)),
    ("2024-01-01T10:00:00.1234569999", dt.datetime(2024, 1, 1, 10, 0, 0, 123456)),
    ("0001-01-01", dt.datetime(1, 1, 1)),
    ("0001-01-01T00:00:00.000000001", dt.datetime(1, 1, 1)),
    ("9999-12-31T23:59:59.999999999", dt.datetime(9999, 12, 31, 23, 59, 59, 999999)),
    ("2024-01-01T10:00:00Z", dt.datetime(2024, 1, 1, 10)),
    ("2024-01-01T10:00:00+02:00", dt.datetime(2024, 1, 1, 8)),
    ("2024-01-01T10:00:00+0530", dt.datetime(2024, 1, 1, 4, 30)),
    ("2024-01-01 10:00 -05", dt.datetime(2024, 1, 1, 15)),
    ("2024-01-01T10:00:00.1234567-01:00", dt.datetime(2024, 1, 1, 11, 0, 0, 123456)),
    # refused on every backend
    ("20240101T100000", None),  # basic format (pandas read it)
    ("20240101", None),
    ("2024-01-01T10", None),  # an hour alone (pandas read it)
    ("2024-01", None),
    ("2024", None),
    ("2024-01-01T24:00:00", None),  # DuckDB read it as the next midnight
    ("2024-01-01T10:00:00 UTC", None),  # a zone name (DuckDB read it)
    ("2024-01-01T10:00:60", None),
    ("2024-01-01T10:00:00+24:00", None),
    ("2024-1-5", None),
    ("2024-01-01 1:00", None),
    ("0000-01-01", None),
    ("10000-01-01", None),
    ("-0001-01-01", None),
    ("2024-02-30", None),
    ("2024-01-01t10:00", None),
    ("2024-01-01 10:00:00.", None),
    ("2024-W01-1", None),
]


def _micros(values) -> list:
    """Naive timestamps (Arrow or pandas) as microseconds since the epoch (None if missing)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(values, pa.timestamp("us"))
    return pa.compute.cast(values, pa.int64()).to_pylist()


def expected_micros() -> list:
    epoch = dt.datetime(1970, 1, 1)
    return [None if t is None else (t - epoch) // US for _, t in TIMES]


def test_time_grammar_parses_alike_on_duckdb_and_pandas():
    texts = [s for s, _ in TIMES]
    t = ibis.memtable(pa.table({"s": pa.array(texts)}))
    duck = ibis.duckdb.connect().to_pyarrow(parse_iso(t, "s")).column("ts").combine_chunks()
    assert _micros(duck) == expected_micros()
    pts, _ = _parse_iso(pd.Series(texts, dtype="string"))
    got = [None if pd.isna(v) else v for v in pts.astype("datetime64[us]").tolist()]
    assert _micros(got) == expected_micros()


@pytest.mark.slow
def test_time_grammar_parses_alike_on_spark(spark):
    texts = [s for s, _ in TIMES]
    table = spark_table(spark, pd.DataFrame({"s": texts}), "engines_times")
    con = ibis.pyspark.connect(spark)
    out = spark.sql(con.compile(parse_iso(table, "s").select("s", "ts"))).toArrow()
    by_text = dict(zip(out.column("s").to_pylist(), _micros(out.column("ts")), strict=True))
    assert [by_text[s] for s in texts] == expected_micros()


def naive_times_log() -> tuple[pd.DataFrame, int]:
    """One touch per naive time string (its own user and channel) and a conversion."""
    rows = []
    refused = 0
    for i, (text, when) in enumerate(TIMES):
        tail = text[10:]
        if when is not None and (tail.endswith(("Z", "z")) or "+" in tail or "-" in tail):
            continue  # times with and without an offset do not mix in one column (refused)
        rows.append((f"u{i}", text, f"c{i}", 0))
        rows.append((f"u{i}", "9999-12-31T23:59:59.999999", None, 1))
        refused += when is None
    frame = pd.DataFrame(rows, columns=["user_id", "timestamp", "channel", "conversion"])
    return frame, refused


def test_time_grammar_keeps_and_drops_the_same_events(tmp_path):
    frame, refused = naive_times_log()
    kept = {
        f"c{i}": 1.0
        for i, (text, when) in enumerate(TIMES)
        if when is not None and f"c{i}" in set(frame["channel"])
    }
    # a refused time leaves its user's conversion with no touch
    removed = {
        "unparseable timestamp": (refused, 0.0, 0),
        "conversions with no touch": (0, float(refused), refused),
    }
    expected = ("ok", dict(sorted(kept.items())), removed)
    assert refused >= 15 and len(kept) >= 9
    path = str(tmp_path / "times.csv")
    frame.to_csv(path, index=False)
    for events in (frame, path):
        for backend in BACKENDS:
            got = outcome(events, backend, lookback_days=None)
            assert (got[0], dict(sorted(got[1].items())), got[2]) == expected, backend


def test_years_1_and_9999_with_nanoseconds_keep_the_same_events(tmp_path):
    # nanosecond digits used to move pandas to a unit where years 1 and 9999 do not fit
    text = HEADER + (
        "a,0001-01-01T00:00:00.123456789,x,0\n"
        "a,2024-01-01T00:00:00.5,y,0\n"
        "a,9999-12-31T23:59:59.999999999,,1\n"
    )
    all_agree(write(tmp_path, text), ("ok", {"x > y": 1.0}, {}), lookback_days=None)


# --- decimal values, delimiters --------------------------------------------------------


def decimal_log() -> pa.Table:
    return pa.table(
        {
            "user_id": ["a", "a", "b", "b"],
            "timestamp": ["2024-01-01", "2024-01-02", "2024-01-01", "2024-01-02"],
            "channel": ["x", None, "y", None],
            "conversion": [0, 1, 0, 1],
            "value": pa.array(
                [None, decimal.Decimal("12.50"), None, decimal.Decimal("0.10")],
                pa.decimal128(10, 2),
            ),
        }
    )


def values_of(events, backend):
    ej = build_journeys(events, backend=backend, value_col="value")
    return dict(zip(ej.journeys.path_strings(), ej.journeys.value.tolist(), strict=True))


def test_decimal_value_columns_are_read_as_numbers(tmp_path):
    path = str(tmp_path / "dec.parquet")
    pq.write_table(decimal_log(), path)
    frame = decimal_log().to_pandas()  # Python Decimal objects
    assert frame["value"].dtype == object
    for events in (path, frame):
        for backend in BACKENDS:
            assert values_of(events, backend) == {"x": 12.5, "y": 0.1}, backend


@pytest.mark.slow
def test_decimal_value_columns_on_spark(spark):
    table = spark_table(spark, decimal_log(), "engines_decimals")
    assert values_of(table, spark) == {"x": 12.5, "y": 0.1}


@pytest.mark.parametrize("delim", [";", "\t", "|"])
def test_delimiters_are_read_from_the_header(tmp_path, delim):
    rows = [
        ["user_id", "timestamp", "channel", "conversion", "value"],
        ["a", "2024-01-01", '"e,mail"', "0", ""],
        ["a", "2024-01-02", "search", "0", ""],
        ["a", "2024-01-03", "", "1", "2.5"],
    ]
    path = write(tmp_path, "\n".join(delim.join(r) for r in rows) + "\n")
    expected = ("ok", {"e,mail > search": 1.0}, {})
    all_agree(path, expected, value_col="value")


# --- ragged rows ----------------------------------------------------------------------


@pytest.mark.parametrize(("row", "fields"), [("a,2024-01-02,y,0,extra", 5), ("a,2024-01-02,y", 3)])
@pytest.mark.parametrize("before", [1, 30_000])  # inside and past DuckDB's sniffing sample
def test_a_ragged_row_is_refused_naming_its_line(tmp_path, row, fields, before):
    lines = [f"u{i},2024-01-01,x,0" for i in range(before)]
    text = HEADER + "\n".join([*lines, row, "a,2024-01-03,,1"]) + "\n"
    path = write(tmp_path, text)
    line = before + 2  # the header is line 1
    expected = (
        "error",
        f"line {line} has the wrong number of fields: {fields} where the header has 4 "
        "(delimiter ','); every row needs one field per column (quote a field that holds "
        "the delimiter)",
        path,
        None,
        before,  # 0-based data row
        row,
    )
    all_agree(path, expected)


def test_a_quoted_line_break_is_one_field(tmp_path):
    text = HEADER + 'a,2024-01-01,"x\ny",0\na,2024-01-03,,1\nb,2024-01-01,z\n'
    path = write(tmp_path, text)
    # the ragged row is data row 2, on line 5: the quoted break counts as a line
    expected = (
        "error",
        "line 5 has the wrong number of fields: 3 where the header has 4 (delimiter ','); "
        "every row needs one field per column (quote a field that holds the delimiter)",
        path,
        None,
        2,
        "b,2024-01-01,z",
    )
    all_agree(path, expected)


# --- what a missing cell is ------------------------------------------------------------


def test_only_an_empty_cell_is_missing_in_text_columns(tmp_path):
    # pandas read "NA", "null", "nan" as missing users and channels; they are names
    text = HEADER + (
        "NA,2024-01-01,null,0\nNA,2024-01-02,,1\n"
        "b,2024-01-01,nan,0\nb,2024-01-02,,1\n"
        ",2024-01-01,x,0\nc,2024-01-01, ,0\n"
    )
    expected = (
        "ok",
        {"nan": 1.0, "null": 1.0},
        {"missing user": (1, 0.0, 0), "missing channel": (1, 0.0, 0)},
    )
    all_agree(write(tmp_path, text), expected)


def test_csv_batches_remove_alike(tmp_path):
    """Random CSV logs with the cells engines used to read differently (NA words,
    blanks, bad times): every backend removes the same events under the same steps."""
    odd = ["", " ", "a", "b", "nan", "NaN", "NA", "null", "N/A", "None", "-1", "0", "1", "é"]
    times = ["2024-01-01", "2024-01-01 10:00", "2024-01-02T00:00:00", "notatime", "", "NA"]
    for batch in range(CSV_BATCHES):
        rng = np.random.default_rng(batch)
        n = CSV_EVENTS
        frame = pd.DataFrame(
            {
                "user_id": rng.choice(odd, n),
                "timestamp": rng.choice(times, n),
                "channel": rng.choice(odd, n),
                "conversion": rng.choice(["0", "1", "", "nan", "1.0"], n),
                "value": rng.choice(["", "1", "2.5", "nan", "NA"], n),
            }
        )
        path = str(tmp_path / f"batch{batch}.csv")
        frame.to_csv(path, index=False)
        duck, ref = (outcome(path, b, value_col="value", lookback_days=None) for b in BACKENDS)
        assert duck == ref, batch
        # the raw file's conversions (flag 1) are all accounted for
        raw = float(frame["conversion"].isin(["1", "1.0"]).sum())
        assert sum(duck[1].values()) + sum(c for _, c, _ in duck[2].values()) == raw


#: Random CSV logs of :func:`test_csv_batches_remove_alike` (counted in the README's
#: Testing section with the logs of test_events_random.py).
CSV_BATCHES = 20
CSV_EVENTS = 60
