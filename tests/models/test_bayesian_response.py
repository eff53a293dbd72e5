"""bayesian_response: the Shapley kernel against brute force, the pattern table, priors as data,
save/load, diagnostics, lazy import, and one real recovery test on the simulator's logistic world.

Model structures are compiled once per process (nutpie), so the fits here after the first
one on a structure cost well under a second each.
"""

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest

from pathcredit import Journeys, attribute
from pathcredit._games import shapley_reference
from pathcredit.exceptions import ModelError
from pathcredit.journeys._fingerprint import fingerprint
from pathcredit.models.bayesian._shapley_kernel import incremental_shapley, pattern_shapley
from pathcredit.models.bayesian.response import (
    DEFAULT_MODEL_CONFIG,
    BayesianResponse,
    SamplingWarning,
    _merge_model_config,
    exposure_patterns,
)
from pathcredit.simulate import simulate_journeys
from pathcredit.testing import tiny_journeys

FAST = {"draws": 1000, "tune": 1000}
#: structures fitted once here: PyMC's C backend compiles faster than nutpie's numba one
ONCE = {**FAST, "sampler_config": {"sampler": "pymc"}}


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


# ---------------------------------------------------------------------- the Shapley kernel
def _brute(alpha, beta, x, gamma):
    """Shapley values of one pattern's game by enumerating every permutation of its players."""
    players = [j for j in range(len(x)) if x[j] != 0]

    def v(S):
        eta = alpha + sum(beta[j] * x[j] for j in S)
        eta += sum(gamma[a, b] * x[a] * x[b] for a in S for b in S if a < b)
        return sigmoid(eta) - sigmoid(alpha)

    phi = shapley_reference(v, players)
    return np.array([phi.get(j, 0.0) for j in range(len(x))])


@pytest.mark.parametrize("with_gamma", [False, True])
def test_kernel_equals_permutation_enumeration(with_gamma):
    rng = np.random.default_rng(5)
    D, C, P = 3, 6, 40
    alpha = rng.normal(-3, 1, D)
    beta = rng.gamma(2.0, 0.4, (D, C))
    gamma = np.triu(rng.normal(0, 0.5, (D, C, C)), 1) if with_gamma else None
    X = np.log2(1 + rng.integers(0, 3, (P, C)) * (rng.random((P, C)) < 0.6))
    X[0] = 0.0  # an unexposed pattern: no credit
    phi = pattern_shapley(alpha, beta, X, gamma)
    g0 = np.zeros((C, C))
    for d in range(D):
        for p in range(P):
            want = _brute(alpha[d], beta[d], X[p], g0 if gamma is None else gamma[d])
            np.testing.assert_allclose(phi[d, p], want, rtol=1e-10, atol=1e-14)
    # the weighted channel totals are the weighted sums of the per-pattern values
    w = rng.random((P, 2)) * 10
    tot = incremental_shapley(alpha, beta, X, w, gamma)
    np.testing.assert_allclose(tot, np.einsum("dpc,pk->dck", phi, w), rtol=1e-10)


def test_kernel_small_blocks_give_the_same_totals(monkeypatch):
    import pathcredit.models.bayesian._shapley_kernel as K

    rng = np.random.default_rng(1)
    alpha, beta = rng.normal(-2, 1, 5), rng.random((5, 4))
    X = (rng.random((30, 4)) < 0.5).astype(float)
    w = rng.random((30, 1))
    full = incremental_shapley(alpha, beta, X, w)
    monkeypatch.setattr(K, "_BLOCK_CELLS", 7)  # one draw and one pattern per block
    np.testing.assert_allclose(incremental_shapley(alpha, beta, X, w), full, rtol=1e-12)


def test_logistic_games_by_hand():
    s = sigmoid
    a, b1, b2 = -2.0, 0.7, 1.3
    # one channel: its whole lift
    phi = pattern_shapley(np.array([a]), np.array([[b1, b2]]), np.array([[1.0, 0.0]]))[0, 0]
    assert phi[0] == pytest.approx(s(a + b1) - s(a), rel=1e-12) and phi[1] == 0.0
    # two channels: the average of the two orders
    phi = pattern_shapley(np.array([a]), np.array([[b1, b2]]), np.array([[1.0, 1.0]]))[0, 0]
    want1 = ((s(a + b1) - s(a)) + (s(a + b1 + b2) - s(a + b2))) / 2
    want2 = ((s(a + b2) - s(a)) + (s(a + b1 + b2) - s(a + b1))) / 2
    np.testing.assert_allclose(phi, [want1, want2], rtol=1e-12)
    # efficiency: the values add up to the pattern's lift over the baseline
    X = np.array([[1.0, 1.58, 2.0]])
    beta = np.array([[0.3, 0.5, 0.2]])
    phi = pattern_shapley(np.array([a]), beta, X)[0, 0]
    assert phi.sum() == pytest.approx(s(a + float(beta[0] @ X[0])) - s(a), rel=1e-12)


def test_additive_limit_identity_link():
    # tiny effects: sigmoid is linear to first order, so the game is additive and each
    # channel gets sigmoid'(alpha) beta_j x_j (the identity-link Shapley value)
    a = -1.0
    beta = np.array([[1e-6, 2e-6, 3e-6]])
    X = np.array([[1.0, 1.0, 2.0]])
    phi = pattern_shapley(np.array([a]), beta, X)[0, 0]
    slope = sigmoid(a) * (1 - sigmoid(a))
    np.testing.assert_allclose(phi, slope * beta[0] * X[0], rtol=1e-5)


# ---------------------------------------------------------------------- sufficient statistics
def _per_journey(j: Journeys) -> Journeys:
    """One row per journey (conversions and nulls expanded into 0/1 rows)."""
    paths, conv, nulls = [], [], []
    for p, c, n in zip(j.paths(), j.conversions, j.nulls, strict=True):
        for _ in range(int(c)):
            paths.append(p)
            conv.append(1.0)
            nulls.append(0.0)
        for _ in range(int(n)):
            paths.append(p)
            conv.append(0.0)
            nulls.append(1.0)
    return Journeys.from_paths(paths, conversions=conv, nulls=nulls)


def test_patterns_are_the_per_journey_sufficient_statistics():
    j = Journeys.from_paths(
        [["A", "B"], ["B", "A"], ["A", "A", "C"], ["C"], ["A", "C", "A"]],
        conversions=[2, 1, 1, 0, 2],
        nulls=[3, 4, 2, 6, 1],
    )
    p = exposure_patterns(j)
    q = exposure_patterns(_per_journey(j))
    assert p.fingerprint() == q.fingerprint()
    # by hand: {A, B} 3 of 10, {A x2, C} 3 of 6, {C} 0 of 6
    table = zip(p.X, p.journeys, p.conversions, strict=True)
    rows = {tuple(np.round(x, 6)): (n, y) for x, n, y in table}
    assert rows == {
        (1.0, 1.0, 0.0): (10.0, 3.0),
        (round(math.log2(3), 6), 0.0, 1.0): (6.0, 3.0),
        (0.0, 0.0, 1.0): (6.0, 0.0),
    }
    presence = exposure_patterns(j, "presence")
    assert sorted(presence.journeys.tolist()) == [6.0, 6.0, 10.0]


@pytest.mark.slow
def test_fit_on_patterns_equals_fit_on_one_row_per_journey():
    j = Journeys.from_paths(
        [["A", "B"], ["A"], ["B", "B"], ["C", "A"]],
        conversions=[4, 2, 3, 1],
        nulls=[20, 30, 25, 12],
    )
    with warnings.catch_warnings():  # equality is the point here, not these data's R-hat
        warnings.simplefilter("ignore", SamplingWarning)
        a = BayesianResponse(**FAST, seed=3).fit(j)
        b = BayesianResponse(**FAST, seed=3).fit(_per_journey(j))
    np.testing.assert_array_equal(a.idata_.posterior["beta"], b.idata_.posterior["beta"])
    ra, rb = a.attribute(), b.attribute()
    np.testing.assert_array_equal(ra.conversions, rb.conversions)


# ---------------------------------------------------------------------- recovery (real sampling)
@pytest.mark.slow
def test_recovers_the_incremental_shares_of_the_logistic_world():
    sim = simulate_journeys("logistic", 60_000, seed=11)
    r = attribute(sim.journeys, model="bayesian_response", ci_prob=0.99, **ONCE)
    truth = sim.truth.incremental_share
    # posterior mean shares within 0.04 of the true incremental shares (largest is ~0.3)
    np.testing.assert_allclose(r.share, truth, atol=0.04)
    # 99% intervals contain every channel's true share
    assert np.all(r.lower["share"] <= truth) and np.all(truth <= r.upper["share"])
    # the baseline: journeys x sigmoid(-5), the world's intercept, within 30%
    base = sim.truth.baseline_conversions
    assert abs(r.extras["baseline_conversions"] - base) < 0.3 * base
    assert r.extras["diagnostics"]["divergences"] == 0


# ---------------------------------------------------------------------- priors as data
def test_model_config_overrides_key_by_key():
    cfg = _merge_model_config({"intercept": {"kwargs": {"mu": -5.0}}})
    assert cfg["intercept"] == {"dist": "Normal", "kwargs": {"mu": -5.0, "sigma": 3.0}}
    assert cfg["beta_scale"] == DEFAULT_MODEL_CONFIG["beta_scale"]
    cfg = _merge_model_config({"beta_scale": {"dist": "Exponential", "kwargs": {"lam": 2}}})
    assert cfg["beta_scale"] == {"dist": "Exponential", "kwargs": {"lam": 2.0}}


@pytest.mark.slow
def test_an_overridden_prior_is_the_one_sampled():
    # a near-point prior on the intercept pins the posterior there, whatever the data say
    j = tiny_journeys()
    m = BayesianResponse(
        **ONCE, model_config={"intercept": {"kwargs": {"mu": -4.0, "sigma": 0.001}}}
    ).fit(j)
    assert float(m.idata_.posterior["intercept"].mean()) == pytest.approx(-4.0, abs=0.005)


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"slope": {}}, "unknown key"),
        ({"intercept": {"dist": "Beta"}}, "must be one of"),
        ({"intercept": {"kwargs": {"mu": "a"}}}, "finite number"),
        ({"intercept": {"mean": 1}}, "'dist' and/or 'kwargs'"),
        ("normal", "dict of prior specs"),
    ],
)
def test_bad_model_config_is_refused(config, match):
    with pytest.raises(ModelError, match=match):
        attribute(tiny_journeys(), model="bayesian_response", model_config=config)


def test_bad_sampler_config_is_refused():
    with pytest.raises(ModelError, match="'auto', 'nutpie' or 'pymc'"):
        attribute(tiny_journeys(), model="bayesian_response", sampler_config={"sampler": "x"})
    with pytest.raises(ModelError, match="pass draws"):
        attribute(tiny_journeys(), model="bayesian_response", sampler_config={"draws": 5})


def test_needs_nulls():
    j = Journeys.from_paths([["A"], ["B"]], conversions=[1, 2])
    with pytest.raises(ModelError, match="did not convert"):
        attribute(j, model="bayesian_response")


# ---------------------------------------------------------------------- result, checks, samplers
@pytest.mark.slow
def test_result_layout_and_predictive_checks():
    j = tiny_journeys()
    r = attribute(j, model="bayesian_response", **FAST)
    assert r.draws["share"].shape == (2, 1000, 3)
    inc = np.asarray(r.draws["incremental_conversions"])
    np.testing.assert_allclose(
        np.asarray(r.draws["share"]), inc / inc.sum(axis=2, keepdims=True), rtol=1e-12
    )
    assert r.extras.is_lazy("posterior_predictive") and r.extras.is_lazy("prior_predictive")
    ppc = r.extras["posterior_predictive"]
    assert list(ppc.columns) == ["pattern", "journeys", "observed", "predicted", "lower",
                                 "upper", "p_value"]  # fmt: skip
    assert ppc["observed"].iloc[-1] == j.total_conversions
    prior = r.extras["prior_predictive"]
    # the prior is far wider than the posterior for the total
    width = lambda t: t["upper"].iloc[-1] - t["lower"].iloc[-1]  # noqa: E731
    assert width(prior) > width(ppc)
    az = pytest.importorskip("arviz")
    assert set(az.summary(r.idata)["mean"].index) >= {"share[A]", "conversions[C]"}


@pytest.mark.slow
def test_a_direct_call_carries_the_fingerprint_of_its_input():
    from pathcredit.models.bayesian.response import bayesian_response

    j = tiny_journeys()
    r = bayesian_response(j, **FAST)
    assert r.fingerprint == fingerprint(j)
    assert r.removed == j.removed


@pytest.mark.slow
def test_pymc_sampler_agrees_with_nutpie():
    j = tiny_journeys()
    a = attribute(j, model="bayesian_response", **ONCE)
    b = attribute(j, model="bayesian_response", sampler_config={"sampler": "nutpie"}, **FAST)
    assert a.extras["diagnostics"]["sampler"] == "pymc"
    assert b.extras["diagnostics"]["sampler"] == "nutpie"
    width = (a.upper["share"] - a.lower["share"]) + (b.upper["share"] - b.lower["share"])
    assert np.all(np.abs(a.share - b.share) <= width / 2)


@pytest.mark.slow
def test_failed_diagnostics_warn_with_the_fix():
    with pytest.warns(SamplingWarning, match="tune") as rec:
        attribute(tiny_journeys(), model="bayesian_response", draws=10, tune=5)
    assert "target_accept" in str(rec[0].message) or "draws" in str(rec[0].message)


@pytest.mark.slow
def test_interactions_undetermined_are_refused_with_the_reason():
    with pytest.raises(ModelError, match="fit without them or with more journeys"):
        attribute(tiny_journeys(), model="bayesian_response", interactions=True, **ONCE)


# ---------------------------------------------------------------------- save / load
@pytest.mark.slow
def test_save_load_round_trip_and_refusals(tmp_path):
    j = tiny_journeys()
    m = BayesianResponse(**FAST, seed=2).fit(j)
    path = m.save(tmp_path / "model.nc")
    back = BayesianResponse.load(path, journeys=j)
    assert back.model_config_ == m.model_config_ and back.draws == 1000
    r1, r2 = m.attribute(), back.attribute()
    np.testing.assert_array_equal(r1.conversions, r2.conversions)
    np.testing.assert_array_equal(r1.draws["share"], r2.draws["share"])
    # fitted to other journeys
    other = j.replace(conversions=j.conversions + 1)
    with pytest.raises(ModelError, match="other journeys"):
        BayesianResponse.load(path, journeys=other)
    # not a bayesian_response file: a bayesian_markov result's draws
    bm = attribute(j, model="bayesian_markov", draws=50)
    bm.idata.to_netcdf(str(tmp_path / "markov.nc"))
    with pytest.raises(ModelError, match="not a saved bayesian_response model"):
        BayesianResponse.load(tmp_path / "markov.nc")
    # a pattern table changed after the fit
    idata = back.idata_.copy()
    idata.constant_data["conversions"] = idata.constant_data["conversions"] + 1
    idata.to_netcdf(str(tmp_path / "tampered.nc"))
    with pytest.raises(ModelError, match="fingerprint"):
        BayesianResponse.load(tmp_path / "tampered.nc")
    (tmp_path / "junk.nc").write_text("not netcdf")
    with pytest.raises(ModelError, match="not a readable"):
        BayesianResponse.load(tmp_path / "junk.nc")


def test_unfitted_model_is_refused():
    with pytest.raises(ModelError, match="not fitted"):
        BayesianResponse().attribute()


# ---------------------------------------------------------------------- imports
def test_import_pathcredit_does_not_import_pymc():
    code = (
        "import sys, pathcredit, pathcredit.models.bayesian; "
        "from pathcredit.models.bayesian import bayesian_response; "
        "assert 'pymc' not in sys.modules and 'nutpie' not in sys.modules, 'imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_pymc_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pymc", None)  # import pymc raises ImportError
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ModelError, match=r'pip install "pathcredit\[bayes\]"'):
            attribute(tiny_journeys(), model="bayesian_response")
