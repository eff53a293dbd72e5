"""The result type: fixed columns, totals check, JSON and HTML forms."""

import json

import numpy as np
import pytest

from pathcredit import AttributionResult, Journeys, ModelError, attribute, compare


def test_long_and_wide_tables():
    j = Journeys.from_paths([["A", "B"], ["B"]], conversions=[1, 3], value=[2.0, 6.0])
    r = attribute(j, model="linear")
    t = r.table
    assert list(t.columns) == ["model", "channel", "metric", "value", "lower", "upper"]
    assert t[t.metric == "value"]["value"].tolist() == [1.0, 7.0]
    assert t["lower"].isna().all()
    w = r.wide()
    assert w["share"].tolist() == [0.125, 0.875]
    assert "<table" in r._repr_html_()


def test_totals_are_checked():
    with pytest.raises(ModelError, match="internal error"):
        AttributionResult("broken", {}, ["A"], [0.5], total_conversions=1.0)
    # non-additive results are not held to the total
    AttributionResult("p", {}, ["A"], [5.0], total_conversions=1.0, additive=False)


def test_json_contract():
    j = Journeys.from_paths([["A", "B"]], conversions=[2], nulls=[1])
    r = attribute(j, model="last_non_direct", direct_channels=["B"])
    d = json.loads(json.dumps(r.to_dict()))
    assert d["model"] == "last_non_direct"
    assert d["params"] == {"direct_channels": ["B"]}
    assert d["total_conversions"] == 2.0 and d["total_value"] is None
    assert d["channels"] == [
        {"channel": "A", "conversions": 2.0, "value": None, "share": 1.0},
        {"channel": "B", "conversions": 0.0, "value": None, "share": 0.0},
    ]


def test_json_extras_skip_tables():
    import pandas as pd

    r = AttributionResult(
        "m",
        {},
        ["A"],
        [1.0],
        total_conversions=1.0,
        extras={"p": np.float64(0.5), "effects": {"A": 1.0}, "table": pd.DataFrame({"x": [1]})},
    )
    assert r.to_dict()["extras"] == {"p": 0.5, "effects": {"A": 1.0}}


def test_compare_and_unknown_metric():
    j = Journeys.from_paths([["A", "B"]], conversions=[1])
    rs = [attribute(j, model="first_touch"), attribute(j, model="last_touch")]
    assert compare(rs, metric="share").loc["A"].tolist() == [1.0, 0.0]
    with pytest.raises(ModelError):
        compare(rs, metric="banana")


def test_share_is_nan_without_conversions():
    j = Journeys.from_paths([["A"]], conversions=[0], nulls=[3])
    assert np.isnan(attribute(j, model="linear").share).all()
