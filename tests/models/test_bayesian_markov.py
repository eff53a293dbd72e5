"""bayesian_markov: Dirichlet posteriors of the transition rows, exact removal effects per draw."""

import warnings

import numpy as np
import pytest

from oracles import chain_truth, random_chain, simulate_chain
from pathcredit import Journeys, attribute
from pathcredit.exceptions import ModelError
from pathcredit.journeys._fingerprint import fingerprint
from pathcredit.models.bayesian.markov import bayesian_markov
from pathcredit.testing import check_attribution_model, tiny_journeys


# ---------------------------------------------------------------------- conjugate formulas
def test_one_state_posterior_is_the_beta_of_its_counts():
    # One channel: P(conversion) is the probability of X -> conversion, Beta(c + 1/2, z + 1/2).
    c, z = 30.0, 170.0
    j = Journeys.from_paths([["X"]], conversions=[c], nulls=[z])
    r = bayesian_markov(j, draws=20000, seed=1)
    a, b = c + 0.5, z + 0.5
    mean = a / (a + b)
    sd = np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    assert r.extras["conversion_probability"] == pytest.approx(mean, abs=4 * sd / np.sqrt(20000))
    assert r.extras["conversion_probability_sd"] == pytest.approx(sd, rel=0.03)
    assert r.conversions.tolist() == [c]


def test_two_state_posterior_matches_monte_carlo_over_the_dirichlet_rows():
    # start -> A or B; A -> B / conversion / null; B -> A / conversion / null (A <-> B never
    # observed, but allowed). P(conversion) = (sA (cA + aB cB) + sB (cB + bA cA)) / (1 - aB bA),
    # with the rows drawn here from their Dirichlet(1/2 + counts) posteriors directly.
    j = Journeys.from_paths([["A"], ["B"]], conversions=[12, 30], nulls=[88, 70])
    r = bayesian_markov(j, draws=20000, seed=2)
    rng = np.random.default_rng(99)
    s = rng.dirichlet([100.5, 100.5], size=200000)
    ra = rng.dirichlet([0.5, 12.5, 88.5], size=200000)  # A -> B, conversion, null
    rb = rng.dirichlet([0.5, 30.5, 70.5], size=200000)  # B -> A, conversion, null
    p = s[:, 0] * (ra[:, 1] + ra[:, 0] * rb[:, 1]) + s[:, 1] * (rb[:, 1] + rb[:, 0] * ra[:, 1])
    p /= 1 - ra[:, 0] * rb[:, 0]
    se = np.sqrt(p.var() / 20000 + p.var() / 200000)
    assert r.extras["conversion_probability"] == pytest.approx(p.mean(), abs=4 * se)
    assert r.extras["conversion_probability_sd"] == pytest.approx(p.std(), rel=0.03)


def test_hdi_bounds_are_arviz_hdi_of_the_draws():
    az = pytest.importorskip("arviz")
    r = bayesian_markov(tiny_journeys(with_times=False), draws=3000, seed=3)
    assert r.ci_kind == "hdi" and r.ci_prob == 0.9
    for metric in ["conversions", "value"]:
        d = r.draws[metric][0]
        for i in range(d.shape[1]):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                lo, hi = az.hdi(d[:, i], hdi_prob=0.9)
            assert r.lower[metric][i] == pytest.approx(
                min(lo, r.conversions[i] if metric == "conversions" else r.value[i])
            )
            assert r.upper[metric][i] == pytest.approx(
                max(hi, r.conversions[i] if metric == "conversions" else r.value[i])
            )


# ---------------------------------------------------------------------- against the exact model
@pytest.fixture(scope="module")
def large_chain_data():
    rng = np.random.default_rng(12)
    start, T = random_chain(6, rng)
    return start, T, simulate_chain(start, T, 200_000, rng)


@pytest.mark.parametrize("order", [1, 2])
def test_posterior_mean_agrees_with_exact_markov_within_one_sd(large_chain_data, order):
    j = large_chain_data[2]
    r = bayesian_markov(j, order=order, draws=1000, seed=0)
    exact = attribute(j, model="markov", order=order)
    sd = r.draws["conversions"][0].std(axis=0)
    assert np.all(np.abs(r.conversions - exact.conversions) <= sd), (
        r.conversions,
        exact.conversions,
        sd,
    )
    eff = np.array([exact.extras["removal_effects"][c] for c in j.channels])
    eff_sd = np.array([r.extras["removal_effects_sd"][c] for c in j.channels])
    got = np.array([r.extras["removal_effects"][c] for c in j.channels])
    assert np.all(np.abs(got - eff) <= eff_sd)


def test_intervals_narrow_as_the_data_grow(large_chain_data):
    start, T, _ = large_chain_data
    rng = np.random.default_rng(5)
    widths = []
    for n in (4_000, 40_000):
        r = bayesian_markov(simulate_chain(start, T, n, rng), draws=1000, seed=1)
        widths.append(np.mean(r.upper["conversions"] - r.lower["conversions"]) / n)
    # credited conversions per journey: the width shrinks like 1 / sqrt(n), i.e. by sqrt(10)
    assert widths[0] / widths[1] == pytest.approx(np.sqrt(10), rel=0.25)


def test_truth_of_the_simulating_chain_is_covered_at_large_n(large_chain_data):
    start, T, j = large_chain_data
    r = bayesian_markov(j, draws=1000, seed=4)
    truth = chain_truth(start, T)
    sd = r.draws["share"][0].std(axis=0)
    assert np.all(np.abs(r.share - truth) <= 4 * sd), (r.share, truth, sd)


# ---------------------------------------------------------------------- hierarchical back-off
def test_concentration_is_large_for_first_order_data_and_smaller_for_second_order_data():
    rng = np.random.default_rng(8)
    start, T = random_chain(4, rng)
    first = bayesian_markov(
        simulate_chain(start, T, 30_000, rng), order=2, draws=50, concentration="auto"
    )
    # second-order data: the next channel depends on the previous one too (a strong memory:
    # after a -> b, go back to a with high probability)
    paths, conv, nulls = [], [], []
    for a in range(4):
        for b in range(4):
            if a != b:
                paths += [[f"c{a}", f"c{b}", f"c{a}"], [f"c{a}", f"c{b}", f"c{(b + 1) % 4}"]]
                conv += [40, 2]
                nulls += [400, 20 if (b + 1) % 4 != a else 0]
    keep = [i for i, p in enumerate(paths) if p[1] != p[2]]
    second = Journeys.from_paths([paths[i] for i in keep], conversions=[conv[i] for i in keep],
                                 nulls=[nulls[i] for i in keep])  # fmt: skip
    r2 = bayesian_markov(second, order=2, draws=50, concentration="auto")
    # the next-channel stage: first-order data say the previous channel adds nothing
    k1, k2 = first.extras["concentration"][2], r2.extras["concentration"][2]
    assert k1["next"] > 100 * k2["next"]


def test_parent_uncertainty_is_propagated_when_children_follow_their_parent():
    # First-order data at order 2 with a huge concentration: every child row is its parent's
    # draw, so the credit is as uncertain as the order-1 chain's (pooled counts), not
    # certain. (Plugging in the parents' means gave sds near 0 and 78% coverage.)
    rng = np.random.default_rng(8)
    start, T = random_chain(4, rng)
    j = simulate_chain(start, T, 30_000, rng)
    sd1 = bayesian_markov(j, draws=2000).draws["share"][0].std(axis=0)
    sd2 = bayesian_markov(j, order=2, draws=2000, concentration=1e9).draws["share"][0].std(axis=0)
    assert np.all((sd2 / sd1 > 0.85) & (sd2 / sd1 < 1.4)), sd2 / sd1


def test_a_given_concentration_is_used_and_shrinks_toward_the_parent():
    j = tiny_journeys(with_times=False)
    r = bayesian_markov(j, order=2, concentration=3.0, draws=50)
    assert r.extras["concentration"] == {2: {"conversion": 3.0, "null": 3.0, "next": 3.0}}
    assert r.label == "bayesian_markov(order=2, draws=50, concentration=3.0)"


# ---------------------------------------------------------------------- the common suite
SETTINGS = [
    {"order": 2},
    {"order": 3},
    {"order": 2, "concentration": 0.5},
    {"order": 3, "concentration": "auto"},
    {"draws": 200, "ci_prob": 0.5, "seed": 9},
]


@pytest.mark.parametrize("params", SETTINGS)
def test_common_checks_at_higher_orders_and_settings(params):
    check_attribution_model("bayesian_markov", **params)


def test_idata_has_the_posterior_of_every_metric():
    r = attribute(tiny_journeys(with_times=False), model="bayesian_markov", draws=100)
    post = r.idata.posterior
    assert set(post.data_vars) == {"conversions", "share", "removal_effect", "value"}
    assert dict(post.sizes) == {"chain": 1, "draw": 100, "channel": 3}
    np.testing.assert_allclose(post["share"].sum("channel"), 1.0, rtol=1e-12)


def test_no_null_column_means_every_journey_converts():
    j = Journeys.from_paths([["A", "B"], ["B"]], conversions=[5, 5])
    r = bayesian_markov(j, draws=200)
    assert r.extras["conversion_probability"] == 1.0


def test_bootstrap_refuses_a_posterior_model():
    from pathcredit import bootstrap

    with pytest.raises(ModelError, match="posterior"):
        bootstrap(tiny_journeys(with_times=False), model="bayesian_markov")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"order": 0}, "order"),
        ({"draws": 1}, "draws"),
        ({"prior": 0}, "prior"),
        ({"concentration": "big"}, "concentration"),
        ({"ci_prob": 1}, "ci_prob"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ModelError, match=match):
        bayesian_markov(tiny_journeys(with_times=False), **kwargs)


def test_no_conversions():
    with pytest.raises(ModelError, match="no conversions"):
        bayesian_markov(Journeys.from_paths([["A"]], conversions=[0], nulls=[3]))


def test_a_direct_call_carries_the_fingerprint_of_its_input():
    # built through build_result: the same fingerprint as through attribute()
    j = tiny_journeys()
    r = bayesian_markov(j, draws=50, seed=0)
    assert r.fingerprint == fingerprint(j)
    assert attribute(j, "bayesian_markov", draws=50, seed=0).fingerprint == r.fingerprint
    assert r.total_conversions == j.total_conversions
