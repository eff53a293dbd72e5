"""pathcredit.bootstrap: percentile intervals for any model from reweighted path counts."""

import json

import numpy as np
import pytest

from pathcredit import Journeys, attribute, bootstrap
from pathcredit.exceptions import ModelError
from pathcredit.models.bootstrap import BootstrapWarning
from pathcredit.testing import tiny_journeys


def _two_paths(a=300, b=700, nulls=(1000, 2000)):
    return Journeys.from_paths([["A"], ["B"]], conversions=[a, b], nulls=list(nulls))


@pytest.mark.parametrize("resampling", ["poisson", "multinomial"])
def test_share_spread_matches_the_binomial_standard_error(resampling):
    # last touch on one-touch paths: share_A = a_b / (a_b + b_b). Under either bootstrap, given
    # the resampled conversions n_b, a_b is Binomial(n_b, p) with p = 0.3: the share's sd is
    # sqrt(p (1 - p) / n) = 0.014491 (n = 1000), to O(1/n). With 4000 resamples the sd of the
    # draws has a Monte Carlo error of about 1.1%; the tolerance is 5%.
    r = bootstrap(_two_paths(), model="last_touch", n_resamples=4000, seed=7,
                  resampling=resampling)  # fmt: skip
    share = r.draws["share"][0, :, 0]
    expected_sd = np.sqrt(0.3 * 0.7 / 1000)
    assert share.std() == pytest.approx(expected_sd, rel=0.05)
    assert share.mean() == pytest.approx(0.3, abs=3 * expected_sd / np.sqrt(4000) + 1e-4)
    # the 90% percentile interval is close to p +- 1.645 sd (normal approximation)
    lo, hi = r.lower["share"][0], r.upper["share"][0]
    assert lo == pytest.approx(0.3 - 1.645 * expected_sd, abs=0.15 * expected_sd)
    assert hi == pytest.approx(0.3 + 1.645 * expected_sd, abs=0.15 * expected_sd)
    # conversions draws are the shares scaled to the observed total
    np.testing.assert_allclose(r.draws["conversions"], r.draws["share"] * 1000, rtol=1e-12)


def test_point_estimate_is_the_models_answer_and_inside_the_interval():
    j = tiny_journeys(with_times=False)
    for model in ["linear", "markov", "position_based"]:
        r = bootstrap(j, model=model, n_resamples=200, seed=3)
        exact = attribute(j, model=model)
        np.testing.assert_array_equal(r.conversions, exact.conversions)
        np.testing.assert_array_equal(r.value, exact.value)
        assert np.all(r.lower["conversions"] <= r.conversions)
        assert np.all(r.conversions <= r.upper["conversions"])
        assert r.ci_kind == "eti" and r.ci_prob == 0.9
        assert r.label == f"{exact.label} (bootstrap)"
        assert r.draws["conversions"].shape == (1, 200 - r.extras["bootstrap"]["dropped"], 3)


@pytest.mark.parametrize(
    "model, params",
    [("linear", {}), ("position_based", {"first": 0.3, "last": 0.5}), ("j_shaped", {}),
     ("custom", {"first": 2.0, "middle": 1.0, "last": 1.0})],
)  # fmt: skip
def test_vectorised_rule_equals_rerunning_the_model_per_resample(model, params, monkeypatch):
    # The sparse product of path fractions against the same model rerun on every resample
    # (its weight kernel taken away). Same seed -> same resampled counts -> the same draws.
    import dataclasses

    from pathcredit.models import _REGISTRY

    j = Journeys.from_paths(
        [["A", "B", "C"], ["B", "A"], ["C"], ["A", "A", "B", "C"], ["B", "C"]],
        conversions=[3, 1, 2, 1.5, 0.5], value=[30.0, 12.0, 8.0, 20.0, 1.0],
        nulls=[4, 6, 10, 3, 5],
    )  # fmt: skip
    fast = bootstrap(j, model=model, n_resamples=150, seed=11, **params)
    spec = _REGISTRY[model]
    monkeypatch.setitem(_REGISTRY, model, dataclasses.replace(spec, weights_target=None))
    slow = bootstrap(j, model=model, n_resamples=150, seed=11, **params)
    assert fast.extras["bootstrap"]["vectorised"] and not slow.extras["bootstrap"]["vectorised"]
    for metric in ["conversions", "share", "value"]:
        np.testing.assert_allclose(fast.draws[metric], slow.draws[metric], rtol=1e-12, atol=1e-12)


def test_one_draw_equals_the_model_on_the_resampled_counts():
    # reproduce resample 0 by hand: the Poisson counts of the first chunk's first row
    j = tiny_journeys(with_times=False)
    r = bootstrap(j, model="markov", n_resamples=5, seed=5)
    rng = np.random.default_rng(5)
    c = rng.poisson(np.broadcast_to(j.conversions, (5, j.n_paths))).astype(float)
    z = rng.poisson(np.broadcast_to(j.nulls, (5, j.n_paths))).astype(float)
    mean_value = np.divide(j.value, j.conversions, out=np.zeros(j.n_paths), where=j.conversions > 0)
    b = int(np.flatnonzero(c.sum(axis=1) > 0)[0])
    jb = Journeys.from_paths(j.paths(), conversions=c[b], nulls=z[b], value=c[b] * mean_value)
    by_hand = attribute(jb, model="markov")
    np.testing.assert_allclose(r.draws["share"][0, 0], by_hand.share, rtol=1e-12)
    eff = [by_hand.extras["removal_effects"][ch] for ch in j.channels]
    np.testing.assert_allclose(r.draws["removal_effect"][0, 0], eff, rtol=1e-12)
    np.testing.assert_allclose(
        r.draws["value"][0, 0], by_hand.value / by_hand.value.sum() * j.total_value, rtol=1e-12
    )


def test_value_draws_follow_conversions_when_every_conversion_is_worth_the_same():
    j = tiny_journeys(with_times=False)
    j = j.replace(value=j.conversions * 7.5)
    r = bootstrap(j, model="markov", n_resamples=50, seed=2)
    np.testing.assert_allclose(r.draws["value"], r.draws["conversions"] * 7.5, rtol=1e-9)


def test_deterministic_for_a_seed_and_different_across_seeds():
    j = tiny_journeys(with_times=False)
    a = bootstrap(j, model="linear", n_resamples=100, seed=4)
    b = bootstrap(j, model="linear", n_resamples=100, seed=4)
    c = bootstrap(j, model="linear", n_resamples=100, seed=5)
    np.testing.assert_array_equal(a.draws["conversions"], b.draws["conversions"])
    assert not np.array_equal(a.upper["conversions"], c.upper["conversions"])


def test_plug_in_outside_the_interval_widens_it_and_warns():
    # A has 0.5 expected conversions: Poisson(0.5) is 0 in 61% of resamples, so the central
    # 10% interval of A's share is [0, 0] while the plug-in share is 0.5 / 100.5.
    j = Journeys.from_paths([["A"], ["B"]], conversions=[0.5, 100], nulls=[10, 10])
    with pytest.warns(BootstrapWarning, match="outside"):
        r = bootstrap(j, model="last_touch", n_resamples=500, seed=0, ci_prob=0.1)
    # B's share is 1 - A's, so B's plug-in (100 / 100.5) is outside its interval [1, 1] too
    assert r.extras["bootstrap"]["widened"]["conversions"] == ["A", "B"]
    assert r.lower["conversions"][0] == 0.0 and r.upper["conversions"][0] == r.conversions[0]
    assert r.lower["conversions"][1] == r.conversions[1] and r.upper["conversions"][1] == 100.5


def test_idata_for_arviz():
    r = bootstrap(tiny_journeys(with_times=False), model="markov", n_resamples=40, seed=0)
    idata = r.idata
    assert set(idata.posterior.data_vars) == {"conversions", "share", "value", "removal_effect"}
    assert dict(idata.posterior.sizes) == {"chain": 1, "draw": 40, "channel": 3}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_resamples": 1}, "n_resamples"),
        ({"resampling": "jackknife"}, "resampling"),
        ({"ci_prob": 1.5}, "ci_prob"),
        ({"seed": "x"}, "seed"),
        ({"model": "nope"}, "unknown model"),
        ({"model": "linear", "half_life": 3}, "no parameter"),
    ],
)
def test_bad_settings_are_one_line_model_errors(kwargs, match):
    with pytest.raises(ModelError, match=match):
        bootstrap(tiny_journeys(with_times=False), **kwargs)


def test_multinomial_refuses_fractional_counts_and_keeps_the_journey_count():
    j = tiny_journeys(with_times=False)  # 1.5 conversions on one path
    with pytest.raises(ModelError, match="whole numbers"):
        bootstrap(j, resampling="multinomial")
    whole = _two_paths(3, 5, nulls=(2, 0))
    rng = np.random.default_rng(0)
    from pathcredit.models.bootstrap import _resample

    c, z = _resample(rng, whole.conversions, whole.nulls, 200, "multinomial", True)
    np.testing.assert_array_equal(c.sum(axis=1) + z.sum(axis=1), np.full(200, 10.0))
    assert np.all(z[:, 1] == 0)  # a cell with no journey is never drawn


def test_too_few_conversions():
    j = Journeys.from_paths([["A"], ["B"]], conversions=[0.1, 0.1], nulls=[5, 5])
    with pytest.raises(ModelError, match="no conversion"):
        bootstrap(j, model="linear", n_resamples=50)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_vectorised_markov_equals_rerunning_markov_per_resample(order, monkeypatch):
    # the vectorised path rebuilds each resample's chain from a path-transition design matrix
    # and solves all resamples in batches; rerunning markov on the reweighted paths is the
    # reference (same seed, one chunk of resamples -> the same resampled counts)
    import pathcredit.models.bootstrap as boot

    j = tiny_journeys(with_times=False)
    fast = bootstrap(j, model="markov", order=order, n_resamples=60, seed=8)
    monkeypatch.setattr(boot, "_VECTORISE_MARKOV", False)
    slow = bootstrap(j, model="markov", order=order, n_resamples=60, seed=8)
    assert fast.extras["bootstrap"]["vectorised"] and not slow.extras["bootstrap"]["vectorised"]
    for metric in ["conversions", "share", "value", "removal_effect"]:
        np.testing.assert_allclose(fast.draws[metric], slow.draws[metric], rtol=1e-9, atol=1e-12)


def test_markov_with_anderl_credit_or_auto_order_reruns_the_model():
    j = tiny_journeys(with_times=False)
    r = bootstrap(j, model="markov", order=2, credit="anderl", n_resamples=5, seed=0)
    assert not r.extras["bootstrap"]["vectorised"]


def test_journey_level_rows_with_touch_times():
    # time_decay needs times, so the journeys are one row per journey (not merged); the
    # vectorised rule and a per-resample rerun agree there too
    j = tiny_journeys()
    fast = bootstrap(j, model="time_decay", half_life=2.0, n_resamples=40, seed=1)
    assert fast.extras["bootstrap"]["vectorised"]
    exact = attribute(j, model="time_decay", half_life=2.0)
    np.testing.assert_array_equal(fast.conversions, exact.conversions)
    rng = np.random.default_rng(1)
    c = rng.poisson(np.broadcast_to(j.conversions, (40, j.n_paths))).astype(float)
    z = rng.poisson(np.broadcast_to(j.nulls, (40, j.n_paths))).astype(float)
    b = int(np.flatnonzero(c.sum(axis=1) > 0)[0])
    per_conversion = j.value / np.where(j.conversions > 0, j.conversions, 1)
    jb = j.replace(conversions=c[b], nulls=z[b], value=per_conversion * c[b])
    by_hand = attribute(jb, model="time_decay", half_life=2.0)
    np.testing.assert_allclose(fast.draws["share"][0, 0], by_hand.share, rtol=1e-12)


# ------------------------------------------------------------ the same resamples for every model
def _three_paths():
    return Journeys.from_paths(
        [["A", "B"], ["B"], ["A", "C", "B"], ["C"]],
        conversions=[12, 7, 5, 3], value=[120.0, 35.0, 80.0, 9.0], nulls=[40, 60, 30, 50],
    )  # fmt: skip


def test_bootstrap_resamples_are_the_counts_every_code_path_uses(monkeypatch):
    # first_touch on these paths credits A with paths 0 and 2, B with path 1, C with path 3:
    # its share draws give the resampled conversions back, for the vectorised rule; a
    # recording wrapper around markov sees every count of the per-resample reruns
    # (order="auto" is seeded and rerun one resample at a time)
    import functools
    import importlib

    from pathcredit.models import _REGISTRY
    from pathcredit.models.bootstrap import bootstrap_resamples

    j = _three_paths()
    conv, nulls = bootstrap_resamples(j, 30, seed=9)
    assert conv.shape == nulls.shape == (30, 4)
    first = bootstrap(j, model="first_touch", n_resamples=30, seed=9)
    by_path = np.c_[conv[:, 0] + conv[:, 2], conv[:, 1], conv[:, 3]]
    np.testing.assert_allclose(
        first.draws["share"][0], by_path / conv.sum(axis=1)[:, None], rtol=1e-12
    )
    seen = []
    module, name = _REGISTRY["markov"].target.split(":")
    module = importlib.import_module(module, "pathcredit.models")
    markov = getattr(module, name)

    @functools.wraps(markov)
    def recording(jb, **kw):
        seen.append((jb.conversions.copy(), jb.nulls.copy(), kw.get("seed")))
        return markov(jb, **kw)

    monkeypatch.setattr(module, name, recording)
    auto = bootstrap(j, model="markov", order="auto", n_resamples=30, seed=9)
    assert not auto.extras["bootstrap"]["vectorised"]
    reruns = seen[1:]  # seen[0] is the point estimate on the data
    assert len(reruns) == 30
    np.testing.assert_array_equal(np.array([c for c, _, _ in reruns]), conv)
    np.testing.assert_array_equal(np.array([z for _, z, _ in reruns]), nulls)
    seeds = [s for _, _, s in reruns]
    assert len(set(seeds)) == 30  # a seed per resample, from a stream of its own
    # the same resamples, so the same record of them
    assert auto.extras["resamples"] == first.extras["resamples"]
    monkeypatch.undo()
    again = bootstrap(j, model="markov", order="auto", n_resamples=30, seed=9)
    np.testing.assert_array_equal(again.draws["share"], auto.draws["share"])


def test_resamples_do_not_depend_on_the_block_size(monkeypatch):
    # with blocks of one resample, bootstrap_resamples and bootstrap still agree row by row
    import pathcredit.models.bootstrap as boot

    j = _three_paths()
    monkeypatch.setattr(boot, "_CHUNK_CELLS", 1)
    conv, _ = boot.bootstrap_resamples(j, 12, seed=2)
    r = bootstrap(j, model="first_touch", n_resamples=12, seed=2)
    np.testing.assert_allclose(r.draws["share"][0, :, 2], conv[:, 3] / conv.sum(axis=1))


def test_resamples_record_says_which_resamples():
    j = _three_paths()
    a = bootstrap(j, model="linear", n_resamples=50, seed=1)
    rec = a.extras["resamples"]
    assert set(rec) == {"scheme", "seed", "n", "dropped", "fingerprint"}
    assert (rec["scheme"], rec["seed"], rec["n"], rec["dropped"]) == ("poisson", 1, 50, 0)
    same = bootstrap(j, model="markov", n_resamples=50, seed=1).extras["resamples"]
    assert same == rec
    others = [
        bootstrap(j, model="linear", n_resamples=50, seed=2),
        bootstrap(j, model="linear", n_resamples=51, seed=1),
        bootstrap(j, model="linear", n_resamples=50, seed=1, resampling="multinomial"),
        bootstrap(j.replace(nulls=j.nulls + 1), model="linear", n_resamples=50, seed=1),
    ]
    fps = {o.extras["resamples"]["fingerprint"] for o in others}
    assert len(fps) == 4 and rec["fingerprint"] not in fps
    # a Generator is advanced by the draws: two bootstraps with it use different resamples
    g = np.random.default_rng(3)
    r1, r2 = (bootstrap(j, model="linear", n_resamples=20, seed=g) for _ in range(2))
    assert r1.extras["resamples"]["fingerprint"] != r2.extras["resamples"]["fingerprint"]
    assert json.loads(json.dumps(a.to_dict()))["extras"]["resamples"] == rec


# ---------------------------------------------------------------- huge counts
@pytest.mark.parametrize("big", [1e13, 1e19, 1e25])
def test_huge_poisson_counts_follow_the_normal_approximation(big):
    # numpy cannot draw Poisson means above ~9.2e18; above M = 2^40 the count is drawn as
    # m + (x - M) sqrt(m / M), x ~ Poisson(M): mean m and variance m, as Poisson(m)
    from pathcredit.models.bootstrap import bootstrap_resamples

    j = Journeys.from_paths([["A"], ["B"], ["A", "B"]], conversions=[big, 3 * big, 5.0],
                            nulls=[big, big, 2.0])  # fmt: skip
    conv, nulls = bootstrap_resamples(j, 4000, seed=0)
    z = (conv[:, :2] - [big, 3 * big]) / np.sqrt([big, 3 * big])
    # mean 0 (standard error 1 / sqrt(4000) = 0.016) and sd 1 (standard error 0.011)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=0.06)
    np.testing.assert_allclose(z.std(axis=0), 1.0, atol=0.05)
    assert np.all(conv[:, 2] == np.round(conv[:, 2]))  # the small path keeps exact Poisson draws
    assert conv[:, 2].mean() == pytest.approx(5.0, abs=0.15)


def test_counts_beyond_float_resolution_resample_to_themselves():
    # at 1e300 a Poisson sd (1e150) is below float64's resolution of the count (~1e284)
    from pathcredit.models.bootstrap import bootstrap_resamples

    j = Journeys.from_paths([["A"], ["B"]], conversions=[1e300, 3e300], nulls=[1e300, 1.0])
    conv, _ = bootstrap_resamples(j, 50, seed=0)
    np.testing.assert_array_equal(conv, np.broadcast_to([1e300, 3e300], (50, 2)))
    r = bootstrap(j, model="linear", n_resamples=50, seed=0)
    np.testing.assert_array_equal(r.lower["conversions"], [1e300, 3e300])
    np.testing.assert_array_equal(r.upper["conversions"], [1e300, 3e300])


def test_bootstrap_on_huge_counts_gives_the_binomial_spread():
    # last touch on one-touch paths: share_A = a_b / (a_b + b_b) with sd sqrt(p (1 - p) / N)
    # (N = 4e19 conversions, p = 0.25): 6.85e-11
    j = Journeys.from_paths([["A"], ["B"]], conversions=[1e19, 3e19], nulls=[5e19, 5e19])
    for resampling in ["poisson", "multinomial"]:
        r = bootstrap(j, model="last_touch", n_resamples=3000, seed=4, resampling=resampling)
        np.testing.assert_array_equal(r.conversions, [1e19, 3e19])
        share = r.draws["share"][0, :, 0]
        assert share.std() == pytest.approx(np.sqrt(0.25 * 0.75 / 4e19), rel=0.06)
        assert share.mean() == pytest.approx(0.25, abs=1e-11)
        assert r.lower["conversions"][0] < 1e19 < r.upper["conversions"][0]


def test_multinomial_above_two_to_the_53_keeps_the_journey_count():
    from pathcredit.models.bootstrap import bootstrap_resamples

    j = Journeys.from_paths([["A"], ["B"]], conversions=[2e18, 6e18], nulls=[1e18, 1e18])
    conv, nulls = bootstrap_resamples(j, 500, seed=1, resampling="multinomial")
    np.testing.assert_allclose(conv.sum(axis=1) + nulls.sum(axis=1), 1e19, rtol=1e-15)
    # each cell is Binomial(N, p) in the limit: sd sqrt(N p (1 - p)), p = 0.2 for path A
    z = (conv[:, 0] - 2e18) / np.sqrt(1e19 * 0.2 * 0.8)
    assert abs(z.mean()) < 0.2 and z.std() == pytest.approx(1.0, abs=0.1)


def test_readme_states_the_poisson_threshold():
    from pathlib import Path

    from pathcredit.models.bootstrap import _POISSON_MAX

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert _POISSON_MAX == 2.0**40 and "means above 2^40" in readme


def test_numpys_own_poisson_is_too_spread_above_the_threshold():
    # why counts above 2^40 use the normal approximation: numpy's Poisson draws at large
    # means (200,000 draws, seed 0) have an sd above sqrt(mean), the standard error of the
    # sd being 1 / sqrt(2 * 200,000) = 0.0016; at 2^40 they are still right
    rng = np.random.default_rng(0)
    sds = {}
    for lam in [2.0**40, 1e14, 1e15, 2.0**53]:
        x = rng.poisson(lam, size=200_000).astype(np.float64)
        sds[lam] = ((x - lam) / np.sqrt(lam)).std()
    assert abs(sds[2.0**40] - 1.0) < 0.005
    assert sds[1e14] == pytest.approx(1.005, abs=0.003)
    assert sds[1e15] == pytest.approx(1.018, abs=0.003)
    assert sds[2.0**53] == pytest.approx(1.10, abs=0.005)
