"""The same event logs on Ibis's PySpark backend (Spark in local mode) and on DuckDB.

PySpark and Java are required: CI installs them, so this test fails (never
skips) when they are missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_events import (  # same folder (rootdir import)
    CLEANING_CASES,
    EXPECTED,
    IDENTITY,
    _table,
    cleaned,
    hand_log,
)

from pathcredit.journeys.events import build_journeys
from pathcredit.models.engine import ENGINE_MODELS, attribute_in_engine
from pathcredit.simulate import simulate_events

# py4j leaves sockets to the garbage collector; that is PySpark's, not ours.
pytestmark = [pytest.mark.filterwarnings("ignore::ResourceWarning"), pytest.mark.slow]  # Spark


def _spark_table(spark, frame):
    """The events as a Spark table seen through Ibis (how a cluster user would pass them)."""
    import ibis

    from pathcredit.journeys._engine import to_arrow_frame

    con = ibis.pyspark.connect(spark)
    name = f"events_{abs(hash(tuple(frame.columns))) % 10_000}_{len(frame)}"
    spark.createDataFrame(to_arrow_frame(frame)).createOrReplaceTempView(name)
    return con.table(name)


def _path_frame(ej):
    return ej.journeys.to_frame().sort_values("path").reset_index(drop=True)


def test_hand_made_log_on_spark(spark):
    ev = hand_log()
    # the same events given as a frame with a SparkSession backend
    sj = build_journeys(ev, value_col="value", identity_map=IDENTITY, backend=spark)
    assert sj.backend == "pyspark"
    assert _table(sj.journeys) == EXPECTED
    dj = build_journeys(ev, value_col="value", identity_map=IDENTITY)
    pd.testing.assert_frame_equal(_path_frame(sj), _path_frame(dj))
    assert sj.removed == dj.removed
    pd.testing.assert_frame_equal(sj.touches(), dj.touches(), check_dtype=False)


def test_simulated_log_spark_equals_duckdb(spark):
    ev = simulate_events(300, seed=11, duplicate_rate=0.05)
    ev.loc[::53, "timestamp"] = pd.NaT
    options = dict(value_col="value", lookback_days=14, max_touches=6, inactivity_days=20)
    table = _spark_table(spark, ev)
    sj = build_journeys(table, **options)  # an Ibis table on Spark: Spark does the work
    assert sj.backend == "pyspark"
    dj = build_journeys(ev, **options)
    pd.testing.assert_frame_equal(_path_frame(sj), _path_frame(dj))
    assert sj.removed == dj.removed
    for model in ("linear", "last_non_direct", "position_based", "time_decay"):
        a = attribute_in_engine(sj, model)
        b = attribute_in_engine(dj, model)
        assert a.extras["engine"] == "pyspark" and model in ENGINE_MODELS
        assert a.channels == b.channels
        np.testing.assert_allclose(a.conversions, b.conversions, rtol=0, atol=1e-9)
        np.testing.assert_allclose(a.value, b.value, rtol=0, atol=1e-9)


def test_partitions_on_spark(spark):
    """Spark's hash is a signed 32-bit int: every person must still land in one partition."""
    ev = simulate_events(300, seed=11, duplicate_rate=0.05)
    table = _spark_table(spark, ev)
    sj = build_journeys(table, value_col="value", partitions=3)
    assert (sj.backend, sj.partitions) == ("pyspark", 3)
    dj = build_journeys(ev, value_col="value")
    pd.testing.assert_frame_equal(_path_frame(sj), _path_frame(dj))
    assert [(r.step, r.touches, r.paths) for r in sj.removed] == [
        (r.step, r.touches, r.paths) for r in dj.removed
    ]


def test_id_cleaning_on_spark(spark):
    """Ibis's strip() wrote '\\v\\f' into Spark SQL and stripped the letters v and f."""
    from pathcredit.journeys import _engine as eng

    table = _spark_table(spark, pd.DataFrame({"v": CLEANING_CASES}, dtype=object))
    engine = eng.engine_of(table)
    got = engine.to_arrow(table.select(c=eng._clean_string(table.v))).column("c").to_pylist()
    assert got == cleaned(CLEANING_CASES)


def test_exports_on_spark(spark, tmp_path):
    """Issue 13's hand-made cases on Spark: ISO offsets, integer microseconds, event
    names, per-type lookback windows, offline touches through the identity map."""
    from test_events_exports import (  # same folder (rootdir import)
        OFFSET_ROWS,
        SECONDS,
        ga4_like,
        removed,
        table,
        typed_log,
    )

    offsets = pd.DataFrame(OFFSET_ROWS, columns=["user_id", "timestamp", "channel", "conversion"])
    sj = build_journeys(_spark_table(spark, offsets))
    assert sj.backend == "pyspark" and table(sj) == {"A > B": (1, 0)}

    us = pd.DataFrame(SECONDS, columns=["user_id", "t", "channel", "conversion"])
    us["t"] = us["t"].astype(np.int64) * 10**6
    sj = build_journeys(_spark_table(spark, us), time_col="t", time_unit="us")
    assert table(sj) == {"email > search": (1, 0), "search": (1, 0)}

    sj = build_journeys(_spark_table(spark, ga4_like()), conversion_events=["purchase"])
    assert table(sj) == {"email > search": (1, 0), "display": (1, 0)}
    assert removed(sj)["other events ignored"].touches == 4

    sj = build_journeys(
        _spark_table(spark, typed_log()), type_col="touch", lookback_days={"click": 30, "view": 1}
    )
    assert table(sj) == {"search > social": (1, 0), "email": (1, 0)}
    types = sj.touches().set_index("channel")["touch_type"].to_dict()
    assert types == {"search": "click", "social": "view", "email": "click"}

    online = pd.DataFrame(
        {
            "user_id": ["cookie1", "cookie1"],
            "timestamp": ["2024-01-01", "2024-01-10"],
            "channel": ["search", None],
            "conversion": [0, 1],
        }
    )
    store = pd.DataFrame({"user_id": ["C7"], "timestamp": ["2024-01-08"], "channel": ["store"]})
    sj = build_journeys(
        _spark_table(spark, online), offline=store, identity_map={"cookie1": "C7"}, backend=spark
    )
    assert table(sj) == {"search > store": (1, 0)}
    assert sj.identity == {"rows": 1, "matched": 1}


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_cli_backend_spark_equals_duckdb(spark, tmp_path):
    """``pathcredit journeys --backend spark`` and ``attribute --events --backend spark``:
    the same bytes and credits as on DuckDB."""
    import json

    from click.testing import CliRunner

    from pathcredit.cli import main

    src = tmp_path / "events.parquet"
    simulate_events(300, seed=9).to_parquet(src)
    outputs = {}
    for backend in ("duckdb", "spark"):
        out = tmp_path / f"paths_{backend}.csv"
        r = CliRunner().invoke(
            main, ["journeys", str(src), "--value-col", "value", "--backend", backend,
                   "--output", str(out)],
        )  # fmt: skip
        assert r.exit_code == 0, r.output
        outputs[backend] = out.read_bytes()
    assert outputs["spark"] == outputs["duckdb"]
    credits = []
    for backend in ("duckdb", "spark"):
        r = CliRunner().invoke(
            main, ["attribute", "--events", str(src), "--value-col", "value", "--backend",
                   backend, "--model", "linear", "--format", "json"],
        )  # fmt: skip
        assert r.exit_code == 0, r.output
        credits.append(json.loads(r.stdout)[0]["channels"])
    assert credits[0] == credits[1]
