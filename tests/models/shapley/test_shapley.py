"""Shapley attribution: known games, brute-force enumeration, axioms, every value function.

Every oracle here is computed independently of pathcredit's kernels: the Shapley
formula by explicit enumeration with math.factorial (``tests/oracles.py``) or by the
permutation definition (:func:`pathcredit._games.shapley_reference`, a loop over
``itertools.permutations`` that shares no code with the kernels),
value functions straight from their definitions with Python loops over journeys,
and the Markov chain's absorption probabilities from the dict-built chain of
``tests/oracles.py``.
"""

import json
import math
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oracles import brute_from, brute_shapley
from pathcredit import Journeys, ModelError, attribute
from pathcredit._games import (
    mobius,
    sample_shapley,
    shapley_from_dividends,
    shapley_reference,
    shapley_values,
    subset_max,
    subset_sum,
)
from pathcredit.models.shapley import ordered_shapley, shapley

KERNELS = [shapley_values, shapley_from_dividends]


# ---------------------------------------------------------------------- independent oracles
def table_worth(v):
    """worth(frozenset of player indices) from a bitmask-indexed table."""
    return lambda s: v[sum(1 << i for i in s)]


def random_journeys(rng, n_channels, n_paths, *, value=True, max_len=5):
    names = [f"c{i}" for i in range(n_channels)]
    paths = [list(rng.choice(names, size=rng.integers(1, max_len + 1))) for _ in range(n_paths)]
    conv = rng.integers(0, 5, n_paths).astype(float)
    conv[0] = max(conv[0], 1.0)
    nulls = rng.integers(0, 8, n_paths).astype(float)
    val = conv * rng.uniform(1, 10, n_paths) if value else None
    return Journeys.from_paths(paths, conversions=conv, value=val, nulls=nulls)


def brute_journey_split(j, worth, value=False):
    """Response-model rule: each path split by its subgame's Shapley values / lift."""
    credit = dict.fromkeys(j.channels, 0.0)
    amounts = j.value if value else j.conversions
    for path, amount in zip(j.paths(), amounts, strict=True):
        t = sorted(set(path))
        if amount == 0:
            continue
        phi = brute_shapley(worth, t)
        lift = worth(frozenset(t)) - worth(frozenset())
        for c in t:
            credit[c] += amount * phi[c] / lift
    return np.array([credit[c] for c in j.channels])


def brute_rates(j):
    """Conversion rate per exact channel set, from a loop over journeys."""
    conv, tot = {}, {}
    for path, c, nl in zip(j.paths(), j.conversions, j.nulls, strict=True):
        key = frozenset(path)
        conv[key] = conv.get(key, 0.0) + c
        tot[key] = tot.get(key, 0.0) + c + nl
    return {k: conv[k] / tot[k] for k in conv if tot[k] > 0}


def brute_markov_probability(j, kept):
    """P(conversion) of the first-order chain with channels outside ``kept`` sent to null."""
    return float(brute_from(j, 1).solve([c for c in j.channels if c not in kept])[0])


# ---------------------------------------------------------------------- the kernels
GAME3 = [0, 11, 6, 15, 8, 17, 11, 20]  # v(1)=11, v(2)=6, v(12)=15, v(3)=8, v(13)=17, ...


@pytest.mark.parametrize("kernel", KERNELS)
def test_a_three_player_game_solved_by_hand(kernel):
    phi = kernel(GAME3)
    np.testing.assert_allclose(phi, [9.6667, 4.1667, 6.1667], atol=1e-4)
    exact = [F(29, 3), F(25, 6), F(37, 6)]
    np.testing.assert_allclose(phi, [float(x) for x in exact], rtol=1e-14)
    assert F(29, 3) + F(25, 6) + F(37, 6) == 20  # efficiency of the fractions themselves


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("n", range(1, 9))
def test_kernels_match_enumeration_of_the_formula(kernel, n):
    rng = np.random.default_rng(n)
    v = rng.normal(size=1 << n)
    v[0] = rng.normal()  # a non-zero empty coalition too
    expected = brute_shapley(table_worth(v), range(n))
    np.testing.assert_allclose(kernel(v), [expected[i] for i in range(n)], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("n", [2, 3, 5])
def test_kernel_matches_the_mean_over_all_orders(n):
    v = np.random.default_rng(10 + n).uniform(-5, 5, 1 << n)
    expected = shapley_reference(table_worth(v), range(n))
    np.testing.assert_allclose(shapley_values(v), [expected[i] for i in range(n)], rtol=1e-12)


def test_kernel_solves_a_stack_of_games_at_once():
    games = np.random.default_rng(3).normal(size=(4, 2, 1 << 5))
    stacked = shapley_values(games)
    assert stacked.shape == (4, 2, 5)
    for a in range(4):
        for b in range(2):
            np.testing.assert_allclose(stacked[a, b], shapley_values(games[a, b]), rtol=1e-13)


def test_subset_transforms_match_their_definitions():
    n = 5
    v = np.random.default_rng(4).normal(size=1 << n)
    zeta = [sum(v[t] for t in range(1 << n) if t & s == t) for s in range(1 << n)]
    mu = [
        sum(
            (-1) ** (bin(s).count("1") - bin(t).count("1")) * v[t]
            for t in range(1 << n)
            if t & s == t
        )
        for s in range(1 << n)
    ]
    top = [max(v[t] for t in range(1 << n) if t & s == t) for s in range(1 << n)]
    np.testing.assert_allclose(subset_sum(v), zeta, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mobius(v), mu, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(subset_max(v), top)
    np.testing.assert_allclose(mobius(subset_sum(v)), v, atol=1e-12)


def test_a_table_that_is_not_a_power_of_two_is_refused():
    with pytest.raises(ModelError, match="2\\*\\*n"):
        shapley_values(np.zeros(6))


# ---------------------------------------------------------------------- axioms (hypothesis)
games = st.integers(1, 6).flatmap(
    lambda n: st.lists(st.floats(-100, 100, allow_nan=False), min_size=1 << n, max_size=1 << n).map(
        np.array
    )
)


@settings(max_examples=25, deadline=None)
@given(games)
def test_efficiency(v):
    assert math.isclose(shapley_values(v).sum(), v[-1] - v[0], rel_tol=1e-9, abs_tol=1e-9)


@settings(max_examples=25, deadline=None)
@given(games, st.data())
def test_symmetry(v, data):
    n = len(v).bit_length() - 1
    if n < 2:
        return
    i, k = data.draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))

    def swap(mask):
        bi, bk = (mask >> i) & 1, (mask >> k) & 1
        return mask & ~((1 << i) | (1 << k)) | (bk << i) | (bi << k)

    sym = v + v[[swap(m) for m in range(len(v))]]  # symmetric in players i and k
    phi = shapley_values(sym)
    assert math.isclose(phi[i], phi[k], rel_tol=1e-9, abs_tol=1e-9)


@settings(max_examples=25, deadline=None)
@given(games, st.data())
def test_null_player(v, data):
    n = len(v).bit_length() - 1
    j = data.draw(st.integers(0, n - 1))
    null = v[[m & ~(1 << j) for m in range(len(v))]]  # j never changes a coalition's worth
    phi = shapley_values(null)
    assert abs(phi[j]) <= 1e-9
    others = [p for p in range(n) if p != j]
    # the other players' values are those of the game without j
    reduced = null[[m for m in range(len(v)) if not (m >> j) & 1]]
    np.testing.assert_allclose(phi[others], shapley_values(reduced), rtol=1e-9, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(games, st.integers(0, 2**32 - 1))
def test_additivity(v, seed):
    w = np.random.default_rng(seed).normal(scale=50, size=len(v))
    np.testing.assert_allclose(
        shapley_values(v + w), shapley_values(v) + shapley_values(w), rtol=1e-9, atol=1e-9
    )


# ---------------------------------------------------------------------- permutation sampling
def test_sampler_is_within_a_few_standard_errors_and_its_error_shrinks():
    n = 10
    v = np.random.default_rng(7).normal(size=1 << n) * np.arange(1 << n) ** 0.5
    exact = shapley_values(v)
    weights = np.int64(1) << np.arange(n)

    def game(rows):
        return v[rows.astype(np.int64) @ weights]

    small = sample_shapley(game, n, tol=1e-12, max_permutations=2_000, seed=1)
    big = sample_shapley(game, n, tol=1e-12, max_permutations=8_000, seed=2)
    for phi, se, _ in (small, big):
        assert np.all(np.abs(phi - exact) <= 4 * se)
        assert math.isclose(phi.sum(), v[-1] - v[0], rel_tol=1e-9)  # each order is efficient
    assert small[2] == 2_000 and big[2] == 8_000
    # four times the orders: standard errors about halve
    assert np.all(big[1] < 0.7 * small[1])


def test_sampler_standard_errors_are_calibrated_even_when_it_stops_early():
    """Over 300 seeds, (estimate - exact) / se behaves like a standard normal: its
    root mean square is 1 and 95% of the intervals hold the exact value, both for
    a fixed number of orders and when the tolerance stops the sampling (a
    stopping rule that watches the standard error could make intervals narrow)."""
    n = 8
    rng = np.random.default_rng(1)
    w, pair = rng.random(n), rng.random((n, n)) * (rng.random((n, n)) < 0.3)

    def game(rows):  # interactions of order 3 and a threshold: antithetic pairs are not exact
        m = rows.astype(np.float64)
        return (m @ w) ** 3 + 3.0 * ((m @ w[::-1]) > 1.7) + np.einsum("ij,jk,ik->i", m, pair, m)

    exact = shapley_values(game((np.arange(1 << n)[:, None] >> np.arange(n)) & 1))
    for options in ({"tol": 0.0, "max_permutations": 1_000}, {"tol": 1e-3}):
        z = []
        for seed in range(300):
            phi, se, _ = sample_shapley(game, n, seed=seed, **options)
            z.append((phi - exact) / se)
        z = np.concatenate(z)
        assert 0.93 < np.sqrt(np.mean(z**2)) < 1.07
        assert 0.93 < np.mean(np.abs(z) < 1.959963984540054) < 0.97


def test_sampler_stops_at_its_tolerance():
    n = 6
    v = np.random.default_rng(8).normal(size=1 << n)
    weights = np.int64(1) << np.arange(n)
    phi, se, used = sample_shapley(
        lambda r: v[r.astype(np.int64) @ weights], n, tol=0.05, max_permutations=100_000, seed=0
    )
    assert used < 100_000
    assert se.max() <= 0.05 * abs(v[-1] - v[0])


# ---------------------------------------------------------------------- value functions on journeys
@pytest.mark.parametrize("seed", range(4))
def test_zhao_equals_linear_unique_to_machine_precision(seed):
    rng = np.random.default_rng(seed)
    j = random_journeys(rng, n_channels=int(rng.integers(2, 9)), n_paths=30)
    r = attribute(j, model="shapley", value_function="zhao")
    lu = attribute(j, model="linear_unique")
    assert r.extras["method"] == "exact"
    np.testing.assert_allclose(r.conversions, lu.conversions, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(r.value, lu.value, rtol=1e-12, atol=1e-12)
    closed = shapley(j, max_exact_channels=0)  # Zhao's closed form, no coalition table
    assert closed.extras["method"] == "closed_form"
    np.testing.assert_allclose(closed.conversions, lu.conversions, rtol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_zhao_game_matches_the_definition_by_enumeration(seed):
    rng = np.random.default_rng(100 + seed)
    j = random_journeys(rng, n_channels=5, n_paths=12)
    sets = [frozenset(p) for p in j.paths()]

    def worth(s, amounts):
        return sum(a for t, a in zip(sets, amounts, strict=True) if t <= s)

    for amounts, got in ((j.conversions, "conversions"), (j.value, "value")):
        phi = brute_shapley(lambda s, a=amounts: worth(s, a), j.channels)
        r = shapley(j)
        np.testing.assert_allclose(getattr(r, got), [phi[c] for c in j.channels], rtol=1e-10)
        table = r.extras["coalition_values"]
        names = table["coalition"].tolist()
        assert names[0] == "(empty)"
        for name, val in zip(names[1:], table["value"].tolist()[1:], strict=True):
            if got == "conversions":
                assert math.isclose(val, worth(frozenset(name.split(" + ")), amounts))


@pytest.mark.parametrize("missing", ["zero", "best_subset"])
@pytest.mark.parametrize("baseline", [None, 0.05])
@pytest.mark.parametrize("seed", range(3))
def test_conversion_rate_matches_brute_force(missing, baseline, seed):
    rng = np.random.default_rng(200 + seed)
    j = random_journeys(rng, n_channels=5, n_paths=25, max_len=4)
    rates = brute_rates(j)
    empty = 0.0 if baseline is None else baseline

    def worth(s):
        if not s:
            return empty
        if missing == "zero":
            return rates.get(s, 0.0)
        return max([empty] + [r for t, r in rates.items() if t <= s])

    kw = {"missing": missing} if missing != "zero" else {}
    r = shapley(j, "conversion_rate", baseline=baseline, **kw)
    np.testing.assert_allclose(r.conversions, brute_journey_split(j, worth), rtol=1e-10)
    np.testing.assert_allclose(r.value, brute_journey_split(j, worth, value=True), rtol=1e-10)
    assert r.extras["method"] == "exact"
    assert r.extras["degenerate_paths"] == 0


def test_conversion_rate_above_the_table_limit_uses_the_same_definition():
    # 24 channels exceed the full-table look-up; the containment path must agree with brute force
    rng = np.random.default_rng(5)
    j = random_journeys(rng, n_channels=24, n_paths=80, max_len=3)
    assert j.n_channels > 22
    rates = brute_rates(j)
    for missing in ("zero", "best_subset"):

        def worth(s, missing=missing):
            if not s:
                return 0.0
            if missing == "zero":
                return rates.get(s, 0.0)
            return max([0.0] + [r for t, r in rates.items() if t <= s])

        r = shapley(j, "conversion_rate", missing=missing)
        np.testing.assert_allclose(r.conversions, brute_journey_split(j, worth), rtol=1e-10)


@pytest.mark.parametrize("seed", range(3))
def test_markov_value_function_matches_an_independent_chain(seed):
    rng = np.random.default_rng(300 + seed)
    j = random_journeys(rng, n_channels=4, n_paths=15, max_len=4)

    def worth(s):
        return brute_markov_probability(j, s) if s else 0.0

    r = shapley(j, "markov")
    np.testing.assert_allclose(r.conversions, brute_journey_split(j, worth), rtol=1e-9)
    np.testing.assert_allclose(r.value, brute_journey_split(j, worth, value=True), rtol=1e-9)
    assert r.params["order"] == 1


class TinyClassifier:
    """Logistic response with fixed coefficients: predict_proba on 0/1 exposure rows."""

    def __init__(self, coef, intercept):
        self.coef = np.asarray(coef, dtype=float)
        self.intercept = intercept

    def predict_proba(self, x):
        p = 1 / (1 + np.exp(-(x @ self.coef + self.intercept)))
        return np.column_stack([1 - p, p])


def test_callable_vectorised_callable_and_classifier_match_brute_force():
    rng = np.random.default_rng(11)
    j = random_journeys(rng, n_channels=5, n_paths=20)
    coef = rng.normal(size=5)
    clf = TinyClassifier(coef, -2.0)

    def prob(s):  # the same response as a function of the channel names
        x = np.array([c in s for c in j.channels], dtype=float)
        return float(1 / (1 + np.exp(-(x @ coef - 2.0))))

    expected = brute_journey_split(j, prob)
    r_clf = shapley(j, clf)
    r_call = shapley(j, prob)
    r_vec = shapley(j, lambda rows: clf.predict_proba(rows.astype(float))[:, 1], vectorized=True)
    for r in (r_clf, r_call, r_vec):
        np.testing.assert_allclose(r.conversions, expected, rtol=1e-10)
    assert r_clf.extras["value_function"] == "classifier:TinyClassifier"
    assert r_call.extras["value_function"] == "callable:prob"
    json.dumps(r_clf.to_dict())


def test_one_touch_data_gives_last_touch_for_every_variant():
    j = Journeys.from_paths(
        [["A"], ["B"], ["C"], ["A", "A"]],
        conversions=[3, 1, 2, 1],
        value=[6.0, 1.0, 9.0, 2.0],
        nulls=[7, 9, 4, 2],
    )
    last = attribute(j, model="last_touch")
    runs = [attribute(j, model="shapley", value_function=vf) for vf in VFS]
    runs += [attribute(j, model="ordered_shapley", value_function=vf) for vf in VFS]
    runs += [shapley(j, lambda s: len(s) ** 2 + 1.0), attribute(j, model="shao_li")]
    for r in runs:
        np.testing.assert_allclose(r.conversions, last.conversions, rtol=1e-12)
        np.testing.assert_allclose(r.value, last.value, rtol=1e-12)


VFS = ["zhao", "conversion_rate", "markov"]


@pytest.mark.parametrize("vf", VFS)
def test_per_journey_credit_splits_each_path_and_sums_to_the_channel_totals(vf):
    j = random_journeys(np.random.default_rng(12), n_channels=5, n_paths=25)
    r = shapley(j, vf)
    jc = r.extras["journey_credit"]
    by_channel = jc.groupby("channel")[["conversions", "value"]].sum()
    np.testing.assert_allclose(by_channel.loc[list(j.channels), "conversions"], r.conversions)
    np.testing.assert_allclose(by_channel.loc[list(j.channels), "value"], r.value)
    by_path = jc.groupby("path", sort=False)["conversions"].sum()
    paths = dict(zip(j.path_strings(), j.conversions, strict=True))
    np.testing.assert_allclose(by_path.values, [paths[p] for p in by_path.index], atol=1e-12)
    pos = r.extras["position_credit"].groupby("channel")["conversions"].sum()
    np.testing.assert_allclose(pos.loc[list(j.channels)], r.conversions)
    tp = r.extras["touchpoint_totals"]
    assert math.isclose(tp["conversions"].sum(), j.total_conversions)


def test_ordered_shapley_shares_a_repeated_channel_evenly_over_its_touches():
    # Zhao et al. ordered Shapley by hand: A > B > A > C, 6 conversions; zhao splits
    # 2 each to A, B, C; A's 2 go 1 + 1 to positions 1 and 3. C > B, 2: 1 each.
    j = Journeys.from_paths([["A", "B", "A", "C"], ["C", "B"]], conversions=[6, 2])
    r = ordered_shapley(j)
    np.testing.assert_allclose(r.conversions, [2, 3, 3])
    assert r.extras["touchpoint_conversions"] == [2.0, 3.0, 1.0, 2.0]
    cells = r.extras["position_credit"].set_index(["channel", "position"])["conversions"]
    # B is second on both paths: 2 from path 1 and 1 from path 2
    expected = {("A", 1): 1, ("A", 3): 1, ("B", 2): 3, ("C", 1): 1, ("C", 4): 2}
    assert cells.to_dict() == pytest.approx(expected)
    np.testing.assert_allclose(r.conversions, shapley(j).conversions)
    assert "touchpoint_conversions" in r.to_dict()["extras"]


def test_sampling_on_journeys_reports_errors_and_is_within_them():
    j = random_journeys(np.random.default_rng(13), n_channels=6, n_paths=30, max_len=6)
    exact = shapley(j, "conversion_rate")
    r = shapley(j, "conversion_rate", method="sampling", tol=1e-3, max_permutations=4000, seed=1)
    assert r.extras["method"] == "sampling"
    se = np.array([r.extras["standard_errors"][c] for c in j.channels])
    assert np.all(np.abs(r.conversions - exact.conversions) <= 4 * se + 1e-12)
    np.testing.assert_allclose(r.lower["conversions"], r.conversions - 1.959963984540054 * se)
    np.testing.assert_allclose(r.upper["conversions"], r.conversions + 1.959963984540054 * se)
    again = shapley(
        j, "conversion_rate", method="sampling", tol=1e-3, max_permutations=4000, seed=1
    )
    np.testing.assert_array_equal(again.conversions, r.conversions)
    d = r.to_dict()["extras"]
    assert set(d) >= {"value_function", "method", "standard_errors", "permutations"}
    assert len(json.dumps(d)) < 2000  # tables stay out of the JSON


def test_auto_samples_only_paths_above_the_exact_limit():
    j = random_journeys(np.random.default_rng(14), n_channels=6, n_paths=30, max_len=6)
    r = shapley(j, "conversion_rate", max_exact_channels=3, max_permutations=2000)
    assert r.extras["method"] == "exact+sampling"
    big = sum(len(set(p)) > 3 for p in j.paths())
    assert r.extras["sampled_paths"] == big > 0


def test_twenty_channels_exact_equals_linear_unique():
    j = random_journeys(np.random.default_rng(15), n_channels=20, n_paths=300, max_len=8)
    r = shapley(j)
    assert r.extras["method"] == "exact"
    np.testing.assert_allclose(r.conversions, attribute(j, model="linear_unique").conversions)
    assert len(r.extras["coalition_values"]) == 1 << 20


# ---------------------------------------------------------------------- errors
def test_errors_are_model_errors_with_clear_messages():
    j = Journeys.from_paths([["A", "B"], ["B"]], conversions=[1, 1])
    with pytest.raises(ModelError, match="total_null"):
        shapley(j, "conversion_rate")
    with pytest.raises(ModelError, match="unknown value_function"):
        shapley(j, "banzhaf")
    with pytest.raises(ModelError, match="applies to value_function='conversion_rate'"):
        shapley(j, "zhao", missing="zero")
    with pytest.raises(ModelError, match="applies to value_function='markov'"):
        shapley(j, "zhao", order=2)
    with pytest.raises(ModelError, match="missing must be"):
        shapley(j.replace(nulls=[1.0, 1.0]), "conversion_rate", missing="mean")
    with pytest.raises(ModelError, match="method must be"):
        shapley(j, method="fast")
    with pytest.raises(ModelError, match="sampling is not offered"):
        shapley(j, method="sampling")
    with pytest.raises(ModelError, match="non-finite"):
        shapley(j, lambda s: float("nan"))
    with pytest.raises(ModelError, match="predict_proba returned shape"):
        shapley(j, TinyClassifierWrongShape())
    with pytest.raises(ModelError, match="max_exact_channels"):
        shapley(j, max_exact_channels=40)
    with pytest.raises(ModelError, match="no parameter"):
        attribute(j, model="shapley", alpha=1)


@pytest.mark.parametrize(
    "bad, shown",
    [
        ("0.5", "'0.5' (str)"),
        (None, "None (NoneType)"),
        (1 + 2j, "(1+2j) (complex)"),
        ([0.5], "[0.5] (list)"),
        ({"A": 1}, "{'A': 1} (dict)"),
        (np.complex128(1), "complex128"),
    ],
)
def test_callable_returning_a_non_number_names_the_coalition_and_value(bad, shown):
    """The audit: a callable returning a non-number gave numpy's ValueError. The error
    names the first coalition that got one and the value, whatever the call order."""
    j = Journeys.from_paths([["A", "B"], ["B"]], conversions=[1, 1])

    def v(s):
        return bad if s == frozenset({"B"}) else float(len(s))

    with pytest.raises(ModelError, match=r"non-number for coalition \['B'\]") as e:
        shapley(j, v)
    assert shown in str(e.value)
    assert "\n" not in str(e.value)


def test_vectorized_callable_returning_non_numbers_names_the_coalition():
    j = Journeys.from_paths([["A", "B"], ["B"]], conversions=[1, 1])

    def v(rows):
        return ["x" if r.tolist() == [True, True] else 1.0 for r in rows]

    with pytest.raises(ModelError, match=r"non-number for coalition \['A', 'B'\].*'x' \(str\)"):
        shapley(j, v, vectorized=True)


@pytest.mark.parametrize("good", [True, np.float32(0.25), np.int64(1), np.array(0.5)])
def test_callable_returning_numpy_or_bool_numbers_is_accepted(good):
    j = Journeys.from_paths([["A", "B"], ["B"]], conversions=[1, 1])
    got = shapley(j, lambda s: good if s else 0.0).conversions
    # every non-empty coalition is worth the same: the first channel to join gets it all
    # in every order, so the two channels of A > B share it equally; B alone gets its path
    np.testing.assert_allclose(got, [0.5, 1.5])


class TinyClassifierWrongShape:
    def predict_proba(self, x):
        return np.zeros(len(x) + 1)
