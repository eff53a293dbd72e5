"""Randomized agreement of DuckDB, Spark (local mode) and the pandas reference, and
conservation, on small random event logs (issues 9, 13 and 18; ``LOGS_PER_SET`` per
option set).

Each log has a few hundred events with exact copies, ties in time, missing
fields, conversions with values, and (in some option sets) an identity map with
chains. Spark costs seconds per call, so the logs of one option set are built in
ONE call per engine: each log gets its own user ids and its channels are
prefixed with its number (``"17_b"``), so no journey or path mixes two logs; the
batched path table is split back per log by that prefix and compared with the
pandas reference run on each log alone.

Conservation is checked against numbers counted straight from each raw log:
conversion rows (flag present and non-zero, or an event name that is a conversion),
their value, and the other rows (touches, and events that are neither).

Issue 13's options have their own sets: integer times in microseconds, ISO strings
with mixed UTC offsets (``+05:30``, ``Z``, ``-05:00``...), conversions named by
event with page views that are neither touches nor conversions, and touch types
(``click``, ``view``, ``Impression``, ``offline``, missing) with one lookback window
per type or views left out.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from pathcredit.journeys.events import build_journeys

# py4j leaves sockets to the garbage collector; the random logs drop many conversions
# and the batched identity map mostly matches other logs: both warn on purpose
pytestmark = [
    pytest.mark.slow,  # Spark and many random logs
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pathcredit.exceptions.PathcreditWarning"),
]

#: Option sets: one batched Spark call each (Spark costs seconds per call), LOGS_PER_SET
#: logs each; those with inactivity_days (where DuckDB used to disagree) also run on
#: DuckDB log by log.
OPTION_SETS = [
    dict(inactivity_days=0.25, lookback_days=3.0, max_touches=3, identity=True),
    dict(inactivity_days=1.0, lookback_days=None),
    dict(lookback_days=2.0, max_touches=2, identity=True),
    # issue 13: offsets, event names, touch types with a window each
    dict(
        times="iso_offset",
        events=True,
        types=True,
        lookback_days={"click": 3.0, "view": 0.5, "default": 2.0},
        identity=True,
    ),
    # issue 13: integer microseconds, touch events, views left out, inactivity
    dict(
        times="us",
        events=True,
        touch_events=["session_start"],
        types=True,
        include_views=False,
        inactivity_days=1.0,
        lookback_days=2.0,
    ),
    # issue 18: each conversion keeps the earlier touches inside its window
    dict(
        reset_at_conversion=False,
        inactivity_days=1.0,
        lookback_days=3.0,
        max_touches=3,
        identity=True,
    ),
    dict(
        reset_at_conversion=False,
        types=True,
        lookback_days={"click": 4.0, "view": 1.0, "default": 2.0},
    ),
]
LOGS_PER_SET = 107
#: Logs of a set also built on DuckDB one by one: the old tie bug showed on
#: single small logs (about 1 in 12), not in large batches, where DuckDB sorts otherwise.
DUCKDB_ONE_BY_ONE = 30
T0 = np.datetime64("2024-03-01T00:00:00", "us")


#: UTC offsets of the ISO strings, and how they are written
OFFSETS = [(-300, "-05:00"), (0, "Z"), (0, "+00:00"), (120, "+02:00"), (330, "+05:30")]


def with_features(rng, frame: pd.DataFrame, times=None, events=False, types=False):
    """Issue 13's columns: times as text with offsets or as integer microseconds, an
    event name (``purchase`` is the conversion; ``page_view`` rows have no channel), and
    a touch type."""
    n = len(frame)
    if events:
        conv = frame["conversion"].fillna(0).to_numpy() != 0
        touch = rng.choice(["session_start", "page_view", "lead"], n, p=[0.7, 0.2, 0.1])
        frame["event_name"] = np.where(conv, "purchase", touch)
        frame.loc[frame["event_name"] == "page_view", "channel"] = None
        frame.loc[rng.random(n) < 0.03, "event_name"] = None
        frame = frame.drop(columns="conversion")
    if types:
        kinds = np.array(["click", "view", "Impression", "offline", None], dtype=object)
        frame["kind"] = rng.choice(kinds, n, p=[0.4, 0.3, 0.1, 0.1, 0.1])
    if times == "us":
        us = frame["timestamp"].astype("datetime64[us]").astype("int64")
        frame["timestamp"] = pd.array(us.where(frame["timestamp"].notna()), dtype="Int64")
    elif times == "iso_offset":
        pick = rng.integers(0, len(OFFSETS), n)
        out = []
        for t, i in zip(frame["timestamp"], pick, strict=True):
            if pd.isna(t):
                out.append(None)
                continue
            minutes, text = OFFSETS[i]
            local = t + pd.Timedelta(minutes=minutes)
            out.append(local.strftime("%Y-%m-%dT%H:%M:%S") + text)
        frame["timestamp"] = pd.Series(out, dtype=object)
    return frame


def random_log(rng, k: int) -> tuple[pd.DataFrame, dict | None]:
    """Log number ``k``: users ``L{k}u{i}``, channels ``{k}_a`` ... with ties and copies."""
    n = int(rng.integers(60, 300))
    users = np.array([f"L{k}u{i}" for i in range(int(rng.integers(2, 12)))], dtype=object)
    channels = np.array([f"{k}_{c}" for c in "abcde"[: int(rng.integers(1, 6))]], dtype=object)
    # coarse times (6-hour steps over 8 days) give many exact ties
    steps = rng.integers(0, 32, n) * np.timedelta64(6 * 3600 * 10**6, "us")
    user = rng.choice(users, n)
    channel = rng.choice(channels, n)
    conversion = (rng.random(n) < rng.uniform(0.05, 0.35)).astype(np.float64)
    value = rng.choice([0.0, 1.0, 2.5, 10.0, 0.1, 7.3], n)
    frame = pd.DataFrame(
        {
            "user_id": user,
            "timestamp": pd.Series(T0 + steps),
            "channel": channel,
            "conversion": conversion,
            "value": value,
        }
    )
    # missing fields: user, time, channel, conversion flag (-> not a conversion), value
    for col, p in (("user_id", 0.02), ("timestamp", 0.02), ("channel", 0.05)):
        frame.loc[rng.random(n) < p, col] = None
    frame.loc[rng.random(n) < 0.03, "conversion"] = np.nan
    frame.loc[rng.random(n) < 0.05, "value"] = np.nan
    # exact copies (sometimes several of one row)
    copies = frame.iloc[rng.integers(0, n, int(rng.integers(0, n // 4 + 1)))]
    frame = pd.concat([frame, copies, copies.iloc[: len(copies) // 3]], ignore_index=True)
    frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    # an identity map with chains: u0 -> u1 -> u2, u3 -> u2
    ident = None
    if len(users) >= 4:
        ident = {users[0]: users[1], users[1]: users[2], users[3]: users[2]}
    return frame, ident


def raw_counts(frame: pd.DataFrame) -> dict:
    """What the log holds, counted without pathcredit."""
    if "event_name" in frame:
        cv = (frame["event_name"] == "purchase").fillna(False).to_numpy(dtype=bool)
    else:
        cv = frame["conversion"].fillna(0).to_numpy() != 0
    val = np.where(cv, frame["value"].fillna(0.0).to_numpy(), 0.0)
    return {"conversions": cv.sum(), "value": val.sum(), "touches": (~cv).sum()}


def path_rows(journeys) -> pd.DataFrame:
    t = journeys.to_frame()
    t["log"] = t["path"].str.split("_", n=1).str[0].astype(int)
    return t.sort_values(["log", "path"]).reset_index(drop=True)


def check_conservation(ej, counts: dict) -> None:
    """Each conversion (and its value) is on one path or removed once; each touch is on
    at least one path or removed once. With ``reset_at_conversion=False`` a touch may be
    on several paths: ``ej.repeated_touches`` counts its appearances beyond the first
    (0 with the default, where every touch is on at most one path)."""
    j = ej.journeys
    removed = ej.removed_frame()
    lengths = np.diff(j.offsets)
    journeys_per_path = j.conversions + j.nulls
    path_touches = float((lengths * journeys_per_path).sum())
    assert j.conversions.sum() + removed["conversions"].sum() == counts["conversions"]
    assert np.isclose(j.value.sum() + removed["value"].sum(), counts["value"], rtol=1e-12)
    assert 0 <= ej.repeated_touches <= path_touches
    assert path_touches - ej.repeated_touches + removed["touches"].sum() == counts["touches"]
    # a removed conversion is never also a path-table conversion
    assert (removed["conversions"] >= 0).all() and (j.conversions >= 0).all()


def _spark_table(spark, frame, name):
    import ibis

    from pathcredit.journeys._engine import to_arrow_frame

    spark.createDataFrame(to_arrow_frame(frame)).createOrReplaceTempView(name)
    return ibis.pyspark.connect(spark).table(name)


@pytest.mark.parametrize("set_no", range(len(OPTION_SETS)))
def test_duckdb_spark_pandas_agree_and_conserve(spark, tmp_path, set_no):
    options = dict(OPTION_SETS[set_no])
    use_identity = options.pop("identity", False)
    features = {k: options.pop(k, None) for k in ("times", "events", "types")}
    rng = np.random.default_rng(9_000 + set_no)
    logs, idents = zip(*(random_log(rng, k) for k in range(LOGS_PER_SET)), strict=True)
    logs = tuple(with_features(rng, log, **features) for log in logs)
    ident = {}
    if use_identity:
        for m in idents:
            ident.update(m or {})
    kw = dict(value_col="value", **options)
    if features["times"] == "us":
        kw["time_unit"] = "us"
    if features["events"]:
        kw["conversion_events"] = ["purchase"]
    if features["types"]:
        kw["type_col"] = "kind"

    # the reference, one log at a time; conservation against the raw log
    con = ibis.duckdb.connect()
    reference, removed, repeated = [], [], 0
    for k, log in enumerate(logs):
        ej = build_journeys(
            log, backend="pandas", identity_map=ident if use_identity else None, **kw
        )
        check_conservation(ej, raw_counts(log))
        t = ej.journeys.to_frame()
        assert t["path"].str.startswith(f"{k}_").all()
        reference.append(t.assign(log=k))
        removed.append(ej.removed_frame())
        repeated += ej.repeated_touches
        if k < DUCKDB_ONE_BY_ONE and "inactivity_days" in options:
            one = build_journeys(
                log, backend=con, identity_map=ident if use_identity else None, **kw
            )
            check_conservation(one, raw_counts(log))
            assert one.repeated_touches == ej.repeated_touches
            pd.testing.assert_frame_equal(one.journeys.to_frame(), t, check_exact=False, rtol=1e-12)
    expected_removed = pd.concat(removed).groupby("step").sum().sort_index()
    expected = pd.concat(reference).sort_values(["log", "path"]).reset_index(drop=True)

    batch = pd.concat(logs, ignore_index=True)
    counts = raw_counts(batch)
    map_frame = (
        pd.DataFrame({"device_id": list(ident), "person_id": list(ident.values())})
        if use_identity
        else None
    )
    duck = build_journeys(batch, identity_map=map_frame, **kw)
    spk = build_journeys(
        _spark_table(spark, batch, f"random_events_{set_no}"),
        identity_map=map_frame,
        backend=spark,
        **kw,
    )
    # the whole batch on the pandas reference, and the batch as a CSV file on DuckDB and
    # pandas (each engine's own reader, given the same dialect)
    ref = build_journeys(batch, identity_map=map_frame, backend="pandas", **kw)
    csv_path = tmp_path / f"random_events_{set_no}.csv"
    batch.to_csv(csv_path, index=False)
    from_csv = [
        build_journeys(str(csv_path), identity_map=map_frame, backend=b, **kw)
        for b in ("duckdb", "pandas")
    ]
    if options.get("reset_at_conversion") is False:
        assert repeated > 0  # the option set meets touches on several paths
    for ej in (duck, spk, ref, *from_csv):
        check_conservation(ej, counts)
        assert ej.repeated_touches == repeated
        got = path_rows(ej.journeys)
        pd.testing.assert_frame_equal(
            got[["log", "path", "total_conversions", "total_null"]],
            expected[["log", "path", "total_conversions", "total_null"]],
            check_exact=True,
        )
        np.testing.assert_allclose(
            got["total_conversion_value"], expected["total_conversion_value"], rtol=1e-12
        )
        # what was removed agrees step by step (touches, conversions, journeys, nulls
        # exactly; a row failing several checks counted under the first, on every engine)
        # with the per-log reference sums, so the engines' counts are equal to each other
        rem = ej.removed_frame().groupby("step").sum().sort_index()
        pd.testing.assert_frame_equal(
            rem.drop(columns="value"), expected_removed.drop(columns="value"), check_dtype=False
        )
        np.testing.assert_allclose(rem["value"], expected_removed["value"], rtol=1e-12)


#: Random event logs this module builds (the README's Testing section states it).
RANDOM_LOGS = len(OPTION_SETS) * LOGS_PER_SET


def test_readme_states_the_number_of_random_logs():
    """The README gives the number of random logs once, and it is the one run here."""
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", readme)
    stated = re.findall(r"(\d[\d,]*) random (?:event )?logs", text)
    assert [int(n.replace(",", "")) for n in stated] == [RANDOM_LOGS]
    testing = text.split("## Testing", 1)[1]
    assert f"{RANDOM_LOGS:,} random event logs" in testing
