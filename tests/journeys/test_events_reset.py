"""``reset_at_conversion``: whether a journey ends at each conversion (the default) or each
conversion's path keeps every earlier touch inside its lookback window (GA4's paths).

Every expected path below is worked out by hand in the comments; each case runs on
DuckDB and the pandas reference, the first on Spark (local mode) too.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from pathcredit import InputError
from pathcredit.cli import main
from pathcredit.journeys import Removal
from pathcredit.journeys.events import build_journeys

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")  # py4j sockets

BACKENDS = ["duckdb", "pandas", pytest.param("spark", marks=pytest.mark.slow)]
#: Spark costs tens of seconds per build here: the hand case runs on it, the other
#: cases on DuckDB and pandas (test_events_random.py compares Spark on random logs)
LOCAL = ["duckdb", "pandas"]
DAY0 = pd.Timestamp("2024-01-01")
_NAMES = itertools.count()


def log(rows) -> pd.DataFrame:
    """``(user, day, channel or None, conversion, value)`` rows; day is days after DAY0."""
    return pd.DataFrame(
        {
            "user_id": [r[0] for r in rows],
            "timestamp": [DAY0 + pd.Timedelta(days=r[1]) for r in rows],
            "channel": [r[2] for r in rows],
            "conversion": [r[3] for r in rows],
            "value": [r[4] for r in rows],
        }
    )


@pytest.fixture
def maybe_spark(request):
    """The session-scoped ``spark`` of conftest.py, started only by a Spark case."""
    if "spark" not in request.node.name:
        return None
    return request.getfixturevalue("spark")


def build(frame, backend, spark, **kw):
    kw.setdefault("value_col", "value")
    if backend == "spark":
        import ibis

        from pathcredit.journeys._engine import to_arrow_frame

        name = f"reset_{next(_NAMES)}"
        spark.createDataFrame(to_arrow_frame(frame)).createOrReplaceTempView(name)
        return build_journeys(ibis.pyspark.connect(spark).table(name), backend=spark, **kw)
    return build_journeys(frame, backend=None if backend == "duckdb" else backend, **kw)


def table(ej) -> dict:
    f = ej.journeys.to_frame()
    return {
        r.path: (r.total_conversions, r.total_conversion_value, r.total_null)
        for r in f.itertuples()
    }


#: p: a, b, conversion (10.0), c, conversion (20.0); q: x, conversion, y (never converts)
BRIEF = log(
    [
        ("p", 0, "a", 0, 0.0),
        ("p", 1, "b", 0, 0.0),
        ("p", 2, None, 1, 10.0),
        ("p", 3, "c", 0, 0.0),
        ("p", 4, None, 1, 20.0),
        ("q", 0, "x", 0, 0.0),
        ("q", 1, None, 1, 5.0),
        ("q", 2, "y", 0, 0.0),
    ]
)


@pytest.mark.parametrize("backend", BACKENDS)
def test_hand_case_both_rules(backend, maybe_spark):
    ev = BRIEF
    # True: p's journeys are [a, b] and [c]; q's are [x] and the non-converting [y]
    reset = build(ev, backend, maybe_spark)
    assert table(reset) == {
        "a > b": (1, 10.0, 0),
        "c": (1, 20.0, 0),
        "x": (1, 5.0, 0),
        "y": (0, 0.0, 1),
    }
    assert reset.repeated_touches == 0
    # False: p's second conversion keeps a and b (2 and 3 days old, inside 30 days);
    # y comes after q's last conversion: it stays the non-converting journey
    keep = build(ev, backend, maybe_spark, reset_at_conversion=False)
    assert table(keep) == {
        "a > b": (1, 10.0, 0),
        "a > b > c": (1, 20.0, 0),
        "x": (1, 5.0, 0),
        "y": (0, 0.0, 1),
    }
    assert keep.repeated_touches == 2  # a and b once more
    assert list(keep.removed) == [] == list(reset.removed)
    # the touch table: days to each path's own conversion (a: 4 days before the second)
    t = keep.touches()
    second = t[(t.person == "p") & (t.journey == 1)]
    assert second.channel.tolist() == ["a", "b", "c"]
    assert second.position.tolist() == [0, 1, 2] and second.length.tolist() == [3, 3, 3]
    np.testing.assert_allclose(second.days_to_conversion, [4.0, 3.0, 1.0])
    assert second.value.tolist() == [20.0] * 3 and second.converted.tolist() == [1] * 3
    jp = keep.journey_paths()
    assert jp.path_strings() == ["a > b", "a > b > c", "x", "y"]
    np.testing.assert_allclose(jp.times, [2.0, 1.0, 4.0, 3.0, 1.0, 1.0, 0.0])


#: a on day 0, b on day 20, conversion on day 25, c on day 40, conversion on day 45
WINDOW = log(
    [
        ("p", 0, "a", 0, 0.0),
        ("p", 20, "b", 0, 0.0),
        ("p", 25, None, 1, 1.0),
        ("p", 40, "c", 0, 0.0),
        ("p", 45, None, 1, 2.0),
    ]
)


@pytest.mark.parametrize("backend", LOCAL)
def test_lookback_window_cuts_carried_touches(backend, maybe_spark):
    # 30 days: the second conversion reaches b (25 days) and c (5), not a (45)
    ej = build(WINDOW, backend, maybe_spark, reset_at_conversion=False, lookback_days=30)
    assert table(ej) == {"a > b": (1, 1.0, 0), "b > c": (1, 2.0, 0)}
    assert ej.repeated_touches == 1 and list(ej.removed) == []
    # 10 days: a (25 days) leaves the first path and so every path; b (25 days before
    # the second conversion) stays on the first only: nothing is repeated
    ej = build(WINDOW, backend, maybe_spark, reset_at_conversion=False, lookback_days=10)
    assert table(ej) == {"b": (1, 1.0, 0), "c": (1, 2.0, 0)}
    assert ej.repeated_touches == 0
    assert list(ej.removed) == [Removal("lookback_days=10", touches=1)]
    # no window: everything before each conversion
    ej = build(WINDOW, backend, maybe_spark, reset_at_conversion=False, lookback_days=None)
    assert table(ej) == {"a > b": (1, 1.0, 0), "a > b > c": (1, 2.0, 0)}
    assert ej.repeated_touches == 2
    # per touch type: views 1 day, clicks 30; b is a view 5 days before the first
    typed = WINDOW.assign(kind=["click", "view", None, "click", None])
    ej = build(
        typed,
        backend,
        maybe_spark,
        reset_at_conversion=False,
        lookback_days={"click": 30, "view": 1},
        type_col="kind",
    )
    # a: 25 days (kept), b: a view 5 days old (cut), c: 5 days; a is 45 days before the second
    assert table(ej) == {"a": (1, 1.0, 0), "c": (1, 2.0, 0)}
    assert list(ej.removed) == [Removal("lookback_days=click:30,view:1", touches=1)]


#: a, a conversion one day later, another (a second purchase) one day after that
TWO_CONVERSIONS = log([("p", 0, "a", 0, 0.0), ("p", 1, None, 1, 3.0), ("p", 2, None, 1, 4.0)])


@pytest.mark.parametrize("backend", LOCAL)
def test_conversion_without_touch_of_its_own(backend, maybe_spark):
    # True: the second conversion has no touch in its journey
    ej = build(TWO_CONVERSIONS, backend, maybe_spark)
    assert table(ej) == {"a": (1, 3.0, 0)}
    assert list(ej.removed) == [
        Removal("conversions with no touch", paths=1, conversions=1.0, value=4.0)
    ]
    # False: a (2 days old) is on both paths
    ej = build(TWO_CONVERSIONS, backend, maybe_spark, reset_at_conversion=False)
    assert table(ej) == {"a": (2, 7.0, 0)}
    assert list(ej.removed) == [] and ej.repeated_touches == 1
    # False with 1.5 days: a is outside the second conversion's window, so that
    # conversion had a touch and lost it to the window (no touch is removed: a is
    # on the first path)
    ej = build(TWO_CONVERSIONS, backend, maybe_spark, reset_at_conversion=False, lookback_days=1.5)
    assert table(ej) == {"a": (1, 3.0, 0)}
    assert list(ej.removed) == [
        Removal("lookback_days=1.5", touches=0, paths=1, conversions=1.0, value=4.0)
    ]


#: a, conversion, 10 quiet days, b, conversion, d (never converts)
GAP = log(
    [
        ("p", 0, "a", 0, 0.0),
        ("p", 1, None, 1, 1.0),
        ("p", 11, "b", 0, 0.0),
        ("p", 12, None, 1, 2.0),
        ("p", 13, "d", 0, 0.0),
    ]
)


@pytest.mark.parametrize("backend", LOCAL)
def test_inactivity_gap_and_trailing_touches(backend, maybe_spark):
    # no gap rule: the second conversion keeps a (12 days); d is the non-converting rest
    ej = build(GAP, backend, maybe_spark, reset_at_conversion=False)
    assert table(ej) == {"a": (1, 1.0, 0), "a > b": (1, 2.0, 0), "d": (0, 0.0, 1)}
    # a gap of more than 5 days separates: a is never on the second path
    ej = build(GAP, backend, maybe_spark, reset_at_conversion=False, inactivity_days=5)
    assert table(ej) == {"a": (1, 1.0, 0), "b": (1, 2.0, 0), "d": (0, 0.0, 1)}
    assert ej.repeated_touches == 0


#: a, b, c, conversion, d, conversion
LONG = log(
    [
        ("p", 0, "a", 0, 0.0),
        ("p", 1, "b", 0, 0.0),
        ("p", 2, "c", 0, 0.0),
        ("p", 3, None, 1, 1.0),
        ("p", 4, "d", 0, 0.0),
        ("p", 5, None, 1, 2.0),
    ]
)


@pytest.mark.parametrize("backend", LOCAL)
def test_max_touches(backend, maybe_spark):
    # the last two of [a, b, c] and of [a, b, c, d]: a is on no path (removed once),
    # c is on both (repeated once)
    ej = build(LONG, backend, maybe_spark, reset_at_conversion=False, max_touches=2)
    assert table(ej) == {"b > c": (1, 1.0, 0), "c > d": (1, 2.0, 0)}
    assert list(ej.removed) == [Removal("max_touches=2", touches=1)]
    assert ej.repeated_touches == 1
    # conservation: 4 path touches - 1 repeated + 1 removed = the log's 4 touches
    lengths = np.diff(ej.journeys.offsets) * (ej.journeys.conversions + ej.journeys.nulls)
    assert lengths.sum() - ej.repeated_touches + 1 == 4


def test_partitions_and_copies_give_the_one_pass_result():
    # copies of touches and of conversions are removed once, whatever the rule
    ev = pd.concat([BRIEF, BRIEF.iloc[[1, 2, 4]]], ignore_index=True)
    one = build_journeys(ev, value_col="value", reset_at_conversion=False)
    assert table(one) == table(build_journeys(BRIEF, value_col="value", reset_at_conversion=False))
    assert list(one.removed) == [Removal("duplicate events", touches=1, conversions=2, value=30.0)]
    for k in (2, 5):
        parts = build_journeys(ev, value_col="value", reset_at_conversion=False, partitions=k)
        assert table(parts) == table(one) and parts.repeated_touches == one.repeated_touches
        assert list(parts.removed) == list(one.removed)
    ref = build_journeys(ev, value_col="value", reset_at_conversion=False, backend="pandas")
    assert table(ref) == table(one) and list(ref.removed) == list(one.removed)


@pytest.mark.parametrize("bad", ["no", 0, None, 1.0])
def test_reset_at_conversion_must_be_a_bool(bad):
    with pytest.raises(InputError, match="reset_at_conversion must be True or False"):
        build_journeys(BRIEF, reset_at_conversion=bad)


def test_cli_journeys_and_attribute_events(tmp_path):
    f = tmp_path / "ev.csv"
    BRIEF.to_csv(f, index=False)
    out = tmp_path / "paths.csv"
    common = ["--value-col", "value"]
    res = CliRunner().invoke(main, ["journeys", str(f), *common, "--output", str(out)])
    assert res.exit_code == 0, res.output
    assert sorted(pd.read_csv(out)["path"]) == ["a > b", "c", "x", "y"]
    res = CliRunner().invoke(
        main, ["journeys", str(f), *common, "--no-reset-at-conversion", "--output", str(out)]
    )
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out).set_index("path")
    assert sorted(got.index) == ["a > b", "a > b > c", "x", "y"]
    assert got.loc["a > b > c", "total_conversion_value"] == 20.0

    def first_touch(*flags):
        res = CliRunner().invoke(
            main,
            ["attribute", "--events", str(f), "--model", "first_touch", "--format", "json", *flags],
        )
        assert res.exit_code == 0, res.output
        (result,) = json.loads(res.stdout)
        return {r["channel"]: r["conversions"] for r in result["channels"]}

    # first touch: the second conversion of p goes to c, and to a without reset
    assert first_touch() == {"a": 1.0, "b": 0.0, "c": 1.0, "x": 1.0, "y": 0.0}
    assert first_touch("--no-reset-at-conversion") == {
        "a": 2.0,
        "b": 0.0,
        "c": 0.0,
        "x": 1.0,
        "y": 0.0,
    }
