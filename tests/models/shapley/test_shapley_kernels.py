"""Fast Shapley kernels against slow, obviously correct references.

The references enumerate coalitions in plain Python: the Shapley formula with
factorial weights (Shapley 1953, ``tests/oracles.py``) over every subset of a path's
distinct channels, with the value function written from its definition (conversion rates of exact
channel sets; a fitted chain's conversion probability with channels removed).
"""

from __future__ import annotations

import numpy as np
import pytest

from oracles import brute_shapley
from pathcredit import Journeys
from pathcredit._games import sample_shapley, sample_shapley_stack, shapley_values
from pathcredit.models import _coalitions as co
from pathcredit.models import shapley as sh
from pathcredit.models.markov import fit_chain
from pathcredit.models.shapley import games, solve


def random_journeys(rng, n_channels, n_paths, max_len):
    names = [f"c{i}" for i in range(n_channels)]
    paths = [list(rng.choice(names, size=rng.integers(1, max_len + 1))) for _ in range(n_paths)]
    paths += [[c] for c in names]  # every channel present
    k = len(paths)
    return Journeys.from_paths(
        paths,
        conversions=rng.integers(0, 4, k).astype(float),
        nulls=rng.integers(0, 5, k).astype(float),
    )


def rate_game(journeys, missing, baseline):
    conv, tot = {}, {}
    for path, c, u in zip(journeys.paths(), journeys.conversions, journeys.nulls, strict=True):
        key = frozenset(path)
        conv[key] = conv.get(key, 0.0) + c
        tot[key] = tot.get(key, 0.0) + c + u
    rate = {k: conv[k] / tot[k] for k in conv if tot[k] > 0}
    empty = baseline or 0.0

    def v(s):
        if not s:
            return empty
        if missing == "zero":
            return rate.get(s, 0.0)
        return max([empty] + [r for u, r in rate.items() if u <= s])

    return v


def brute_journey_shares(journeys, v):
    """Per distinct path and channel: phi_j(T) / (v(T) - v(empty)), equal split if no lift."""
    out = {}
    for path in journeys.paths():
        players = sorted(set(path))
        phi = brute_shapley(v, players)
        lift = v(frozenset(players)) - v(frozenset())
        scale = max(abs(v(frozenset(players))), abs(v(frozenset())))
        for c in players:
            if abs(lift) <= 1e-12 * scale:
                out[(" > ".join(path), c)] = 1.0 / len(players)
            else:
                out[(" > ".join(path), c)] = phi[c] / lift
    return out


def check_shares(result, expected):
    jc = result.extras["journey_credit"]
    got = dict(zip(zip(jc["path"], jc["channel"], strict=True), jc["share"], strict=True))
    assert got.keys() == expected.keys()
    for key, want in expected.items():
        assert got[key] == pytest.approx(want, rel=1e-9, abs=1e-9), key


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("missing", "baseline"), [("zero", None), ("best_subset", 0.05)])
def test_conversion_rate_subgames_match_brute_force(seed, missing, baseline):
    rng = np.random.default_rng(seed)
    j = random_journeys(rng, int(rng.integers(2, 7)), 30, 5)
    r = sh.shapley(j, "conversion_rate", missing=missing, baseline=baseline)
    check_shares(r, brute_journey_shares(j, rate_game(j, missing, baseline)))


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(
    ("missing", "baseline"), [("zero", None), ("zero", 0.1), ("best_subset", 0.2)]
)
def test_conversion_rate_above_the_table_limit_scattered_and_sparse(
    monkeypatch, seed, missing, baseline
):
    """25 channels (no dense table) and a tiny coalition cap: the scattered subgame
    tables and, for missing='zero' on sets of more than 12 channels, the sparse
    Shapley formula."""
    monkeypatch.setattr(solve, "_COALITION_ROWS", 0)
    rng = np.random.default_rng(50 + seed)
    names = [f"c{i}" for i in range(25)]
    paths = [list(rng.choice(names[:14], size=rng.integers(10, 40))) for _ in range(3)]
    paths += [list(rng.choice(names, size=rng.integers(1, 4))) for _ in range(80)]
    paths += [[c] for c in names]
    k = len(paths)
    j = Journeys.from_paths(paths, conversions=rng.integers(0, 3, k), nulls=rng.integers(0, 4, k))
    assert co._channel_sets(j).size.max() > 12
    # the brute force is exponential: check the shares of the paths up to 14 channels
    expected = brute_journey_shares(j, rate_game(j, missing, baseline))
    r = sh.shapley(j, "conversion_rate", missing=missing, baseline=baseline)
    check_shares(r, expected)
    table = r.extras["coalition_values"]  # the paths' own channel sets (cap reached)
    assert len(table) == len(np.unique(co._channel_sets(j).keys[:, 0])) + 1


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("order", [1, 2])
def test_markov_subgames_match_brute_force(seed, order):
    rng = np.random.default_rng(100 + seed)
    j = random_journeys(rng, int(rng.integers(2, 6)), 25, 4)
    chain = fit_chain(j, order=order)

    def v(s):
        return chain.conversion_probability([c for c in j.channels if c not in s])

    r = sh.shapley(j, "markov", order=order)
    check_shares(r, brute_journey_shares(j, v))


def test_reduced_chain_solves_equal_the_chains_own_method():
    rng = np.random.default_rng(7)
    j = random_journeys(rng, 6, 40, 6)
    chain = fit_chain(j)
    keys_rows = rng.random((200, j.n_channels)) < 0.5
    game = games._Markov(j, 1)
    got = game.worth(co._member_keys(keys_rows))
    names = np.asarray(j.channels, dtype=object)
    want = chain.conversion_probabilities([names[~r].tolist() for r in keys_rows])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_callable_subgames_match_brute_force():
    rng = np.random.default_rng(3)
    j = random_journeys(rng, 5, 20, 5)

    def f(s):
        return len(s) ** 1.5 + 2.0 * ("c0" in s) - 0.5 * ("c1" in s and "c2" in s)

    check_shares(sh.shapley(j, f), brute_journey_shares(j, f))


@pytest.mark.parametrize("n", [1, 5, 64, 70, 130])
def test_coalition_keys_round_trip(n):
    rng = np.random.default_rng(n)
    rows = rng.random((50, n)) < 0.3
    keys = co._member_keys(rows)
    assert keys.shape == (50, co._words(n))
    np.testing.assert_array_equal(co._key_rows(keys, n), rows)
    np.testing.assert_array_equal(co._key_size(keys), rows.sum(axis=1))
    codes = np.array([np.flatnonzero(r)[:3] for r in rows if r.sum() >= 3])
    if len(codes):
        sub = games._subgame_keys(codes, n)  # (m, 8, words), bit i of the index = codes[:, i]
        for s in range(8):
            want = np.zeros((len(codes), n), bool)
            for i in range(3):
                if s >> i & 1:
                    want[np.arange(len(codes)), codes[:, i]] = True
            np.testing.assert_array_equal(co._key_rows(sub[:, s], n), want)


def test_stacked_sampler_with_one_game_is_sample_shapley():
    v = np.random.default_rng(0).normal(size=1 << 6)
    w = 1 << np.arange(6)

    def game(r):
        return v[r.astype(np.int64) @ w]

    a = sample_shapley(game, 6, tol=0.01, max_permutations=3000, seed=4)
    steps = np.arange(7)

    def prefix_worth(games, order):
        rank = np.argsort(order, axis=-1)[0]
        return game((rank[:, None, :] < steps[None, :, None]).reshape(-1, 6)).reshape(1, -1, 7)

    scale = abs(v[-1] - v[0])
    b = sample_shapley_stack(
        prefix_worth, 1, 6, scale=[scale], tol=0.01, max_permutations=3000, seed=4
    )
    np.testing.assert_array_equal(a[0], b[0][0])
    np.testing.assert_array_equal(a[1], b[1][0])
    assert a[2] == b[2][0]


def test_stacked_sampler_estimates_every_game_within_its_errors_and_reports_progress():
    rng = np.random.default_rng(1)
    m, n = 40, 5
    tables = rng.normal(size=(m, 1 << n))
    exact = shapley_values(tables)
    w = 1 << np.arange(n)

    def prefix_worth(games, order):
        rank = np.argsort(order, axis=-1)
        steps = np.arange(n + 1)
        masks = (rank[:, :, None, :] < steps[None, None, :, None]).astype(np.int64) @ w
        flat = np.take_along_axis(tables[games], masks.reshape(len(games), -1), axis=1)
        return flat.reshape(masks.shape)

    done = []
    phi, se, used = sample_shapley_stack(
        prefix_worth,
        m,
        n,
        scale=np.abs(tables[:, -1] - tables[:, 0]),
        tol=0.02,
        max_permutations=4000,
        seed=9,
        progress=done.append,
    )
    assert sum(done) == pytest.approx(m)
    np.testing.assert_allclose(phi.sum(axis=1), tables[:, -1] - tables[:, 0], rtol=1e-9)
    z = (phi - exact) / se
    assert np.sqrt(np.mean(z**2)) < 1.5  # calibrated errors: rms z near 1
    again = sample_shapley_stack(
        prefix_worth,
        m,
        n,
        scale=np.abs(tables[:, -1] - tables[:, 0]),
        tol=0.02,
        max_permutations=4000,
        seed=9,
    )
    np.testing.assert_array_equal(phi, again[0])
    np.testing.assert_array_equal(used, again[2])


@pytest.mark.parametrize("vf", ["conversion_rate", "markov"])
def test_sampled_journeys_are_deterministic_for_a_seed_and_near_exact(vf):
    rng = np.random.default_rng(11)
    j = random_journeys(rng, 6, 60, 6)
    kw = {"method": "sampling", "tol": 1e-3, "max_permutations": 2000}
    a = sh.shapley(j, vf, seed=3, **kw)
    b = sh.shapley(j, vf, seed=3, **kw)
    np.testing.assert_array_equal(a.conversions, b.conversions)
    exact = sh.shapley(j, vf, method="exact")
    se = np.array(list(a.extras["standard_errors"].values()))
    assert np.all(np.abs(a.conversions - exact.conversions) <= 5 * se + 1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_markov_subset_lattice_equals_brute_force(monkeypatch, seed):
    """Every first-order subgame built over the subset lattice (bordered inverses)."""
    monkeypatch.setattr(solve, "_LATTICE_MIN", 1)
    rng = np.random.default_rng(200 + seed)
    j = random_journeys(rng, int(rng.integers(2, 7)), 25, 6)
    chain = fit_chain(j)

    def v(s):
        return chain.conversion_probability([c for c in j.channels if c not in s])

    r = sh.shapley(j, "markov")
    check_shares(r, brute_journey_shares(j, v))
    table = r.extras["coalition_values"]
    for mask, value in zip(table["mask"], table["value"], strict=True):
        kept = {c for i, c in enumerate(j.channels) if mask >> i & 1}
        assert value == pytest.approx(v(kept), abs=1e-12)


def test_progress_bar_is_silent_off_a_terminal(capsys):
    rng = np.random.default_rng(5)
    j = random_journeys(rng, 8, 40, 8)
    sh.shapley(j, "conversion_rate", max_exact_channels=3, max_permutations=200)
    assert capsys.readouterr().err == ""


def test_fast_table_shapley_equals_the_pairwise_form():
    """``_shapley_from_table`` (coalitions regrouped, two sums) against
    :func:`shapley_values` (marginal contributions per player) on random games with
    v(empty) = 0, and on the three-player game of its docstring."""
    rng = np.random.default_rng(11)
    for k in range(1, 11):
        v = rng.random((3, 1 << k))
        v[:, 0] = 0.0
        np.testing.assert_allclose(games._shapley_from_table(v), shapley_values(v), atol=1e-14)
    np.testing.assert_allclose(
        games._shapley_from_table(np.array([[0, 11, 6, 15, 8, 17, 11, 20.0]])),
        [[29 / 3, 25 / 6, 37 / 6]],
    )


@pytest.mark.parametrize("seed", range(3))
def test_markov_prefix_worths_by_elimination_equal_the_solves(seed):
    """Every prefix of sampled orders, by one elimination per order, against the chain's
    own conversion probability with the other channels removed."""
    rng = np.random.default_rng(300 + seed)
    j = random_journeys(rng, 7, 40, 7)
    game = games._Markov(j, 1)
    chain = fit_chain(j)
    k = 5
    codes = np.array([np.sort(rng.permutation(j.n_channels)[:k]) for _ in range(3)])
    order = np.array([[rng.permutation(k) for _ in range(4)] for _ in range(3)])
    got = game.prefix_worths(codes, order)
    assert got.shape == (3, 4, k + 1)
    for a in range(3):
        for p in range(4):
            for t in range(k + 1):
                kept = {j.channels[c] for c in codes[a, order[a, p, :t]]}
                removed = [c for c in j.channels if c not in kept]
                assert got[a, p, t] == pytest.approx(chain.conversion_probability(removed),
                                                     abs=1e-13)  # fmt: skip


def test_sampled_markov_games_by_elimination_equal_a_callable_of_the_chain():
    """Sampled paths (above max_exact_channels): the Markov game's prefix worths by
    elimination give the same estimates, for the same seed and so the same orders, as
    a callable that solves the chain for each prefix."""
    rng = np.random.default_rng(17)
    j = random_journeys(rng, 7, 40, 9)
    chain = fit_chain(j)

    def v(s):
        return chain.conversion_probability([c for c in j.channels if c not in s])

    kw = dict(max_exact_channels=3, max_permutations=60, seed=4)
    a = sh.shapley(j, "markov", **kw)
    b = sh.shapley(j, v, **kw)
    assert a.extras["method"] == "exact+sampling"
    np.testing.assert_allclose(a.conversions, b.conversions, rtol=1e-9, atol=1e-12)
