"""The result type: fixed columns, totals check, JSON and HTML forms."""

import json

import numpy as np
import pytest

from pathcredit import AttributionResult, InternalError, Journeys, ModelError, attribute, compare


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
    with pytest.raises(InternalError, match="credited 0.5 conversions but the journeys have 1.0"):
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


# ------------------------------------------------- compare against a baseline: paired intervals
def _paired_journeys():
    return Journeys.from_paths(
        [["A", "B"], ["B"], ["A", "C", "B"], ["C"], ["C", "A"]],
        conversions=[12, 7, 5, 3, 6], value=[120.0, 35.0, 80.0, 9.0, 30.0],
        nulls=[40, 60, 30, 50, 20],
    )  # fmt: skip


def test_compare_refuses_what_is_not_a_result():
    from pathcredit import InputError

    with pytest.raises(InputError, match=r"results\[0\] is a str, not an AttributionResult"):
        compare(["not a result"])
    r = attribute(_paired_journeys(), model="linear")
    with pytest.raises(InputError, match=r"results\[1\] is a int"):
        compare([r, 3])
    with pytest.raises(InputError, match="a list of results"):
        compare(r)
    with pytest.raises(InputError, match="list of AttributionResult, got int"):
        compare(5)


def test_a_model_against_itself_has_a_zero_interval_exactly():
    from pathcredit import bootstrap

    j = _paired_journeys()
    boot = bootstrap(j, model="markov", n_resamples=200, seed=3)
    twin = bootstrap(j, model="markov", n_resamples=200, seed=3).replace(label="twin")
    for metric in ["conversions", "share", "value"]:
        t = compare([boot, twin], metric=metric, baseline="markov")["twin"]
        assert (t["change"] == 0).all()
        assert (t["change_lower"] == 0).all() and (t["change_upper"] == 0).all()


@pytest.mark.parametrize("metric", ["conversions", "share", "value"])
def test_paired_interval_equals_the_hand_computation_from_the_draws(metric):
    from pathcredit import bootstrap

    j = _paired_journeys()
    last = bootstrap(j, model="last_touch", n_resamples=400, seed=5, ci_prob=0.8)
    mark = bootstrap(j, model="markov", n_resamples=400, seed=5, ci_prob=0.8)
    t = compare([last, mark], metric=metric, baseline="last_touch")["markov (bootstrap)"]
    # by hand: per resample, markov's draw minus last touch's; the 10% and 90% quantiles;
    # reaching the point change (markov's answer minus last touch's) if it is outside
    diff = mark.draws[metric][0] - last.draws[metric][0]
    lo, hi = np.quantile(diff, [0.1, 0.9], axis=0)
    point = getattr(mark, metric) - getattr(last, metric)
    np.testing.assert_allclose(t["change"], point, rtol=1e-12)
    np.testing.assert_allclose(t["change_lower"], np.minimum(lo, point), rtol=1e-12)
    np.testing.assert_allclose(t["change_upper"], np.maximum(hi, point), rtol=1e-12)
    # pairing matters: the same differences with the baseline's resamples shuffled spread wider
    shuffled = mark.draws[metric][0] - np.random.default_rng(0).permutation(last.draws[metric][0])
    slo, shi = np.quantile(shuffled, [0.1, 0.9], axis=0)
    assert np.all(shi - slo > hi - lo)


def test_pairing_is_refused_for_different_resamples():
    from pathcredit import bootstrap

    j = _paired_journeys()
    a = bootstrap(j, model="linear", n_resamples=100, seed=1)
    for other, what in [
        (bootstrap(j, model="last_touch", n_resamples=100, seed=2), "seed 1 vs 2"),
        (bootstrap(j, model="last_touch", n_resamples=150, seed=1), "n 100 vs 150"),
        (bootstrap(j, model="last_touch", n_resamples=100, seed=1, resampling="multinomial"),
         "scheme 'poisson' vs 'multinomial'"),
        (bootstrap(j.replace(nulls=j.nulls * 2), model="last_touch", n_resamples=100, seed=1),
         "fingerprint"),
    ]:  # fmt: skip
        with pytest.raises(ModelError, match=f"different resamples.*{what}"):
            compare([other, a], baseline="last_touch")
        # without draws the point comparison still works, with no interval
        point_only = other.replace(draws=None, lower=None, upper=None)
        t = compare([point_only, a], baseline="last_touch")["linear (bootstrap)"]
        assert t["change_lower"].isna().all() and t["change_upper"].isna().all()
        np.testing.assert_allclose(t["change"], a.conversions - other.conversions)


def test_posterior_draws_are_not_paired():
    from pathcredit import bootstrap

    j = _paired_journeys()
    post = attribute(j, model="bayesian_markov", draws=300, seed=0)
    boot = bootstrap(j, model="last_touch", n_resamples=300, seed=0)
    post2 = attribute(j, model="bayesian_markov", draws=300, seed=0).replace(label="again")
    for results, base, label in [
        ([boot, post], "last_touch", post.label),
        ([post, boot], post.label, "last_touch (bootstrap)"),
        ([post, post2], post.label, "again"),  # same draws, but a posterior is never paired
    ]:
        t = compare(results, baseline=base)[label]
        assert t["change_lower"].isna().all() and t["change_upper"].isna().all()
        assert t["change"].notna().all()


def test_baseline_named_as_written():
    from pathcredit import bootstrap

    j = _paired_journeys()
    rs = [bootstrap(j, model=m, n_resamples=50, seed=0) for m in ["last_non_direct", "linear"]]
    rs.append(bootstrap(j, model="markov", order=2, n_resamples=50, seed=0))
    for name in ["last_non_direct", "last_non_direct (bootstrap)"]:
        t = compare(rs, baseline=name)
        assert list(t.columns.get_level_values(0).unique()) == [
            "linear (bootstrap)", "markov(order=2) (bootstrap)"
        ]  # fmt: skip
    for name in ["markov", "markov(order=2)", "markov(order=2) (bootstrap)"]:
        t = compare(rs, baseline=name)
        assert "markov(order=2) (bootstrap)" not in t.columns.get_level_values(0)
    # an exact label wins over a model name; two results of one model need a label
    two = [attribute(j, model="markov"), attribute(j, model="markov", order=2)]
    assert (
        list(compare(two, baseline="markov").columns.get_level_values(0)) == ["markov(order=2)"] * 5
    )
    two = [attribute(j, model="markov", order=3), attribute(j, model="markov", order=2)]
    with pytest.raises(ModelError, match="names several of the compared results"):
        compare(two, baseline="markov")
    with pytest.raises(ModelError, match="not one of the compared results"):
        compare(two, baseline="markov(order=4)")


def test_two_generators_in_one_state_give_paired_results():
    # the fingerprint covers the generator's state: fresh Generators seeded alike pair
    from pathcredit import bootstrap

    j = _paired_journeys()
    a = bootstrap(j, model="linear", n_resamples=60, seed=np.random.default_rng(4))
    b = bootstrap(j, model="last_touch", n_resamples=60, seed=np.random.default_rng(4))
    c = bootstrap(j, model="last_touch", n_resamples=60, seed=4)  # int 4: the same state
    for base in (b, c):
        t = compare([base, a], baseline="last_touch")["linear (bootstrap)"]
        assert t["change_lower"].notna().all()
