"""Scenarios: the truth against brute force and Monte Carlo counterfactuals, population
mode against samples, determinism, parameter checks, the event log round trip.

Tolerances: Monte Carlo comparisons allow 4.5 standard errors of the simulated
difference (two-sided false alarm about 7e-6 per comparison), computed from the
simulated Bernoulli variances, not guessed.
"""

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathcredit import InputError, attribute
from pathcredit import _games as G
from pathcredit.simulate import SCENARIOS, get_scenario, list_scenarios, simulate_journeys

EXPOSURE = [n for n in SCENARIOS if n != "markov"]


# ---------------------------------------------------------------------- kernels
@pytest.mark.parametrize("C", [1, 2, 3, 5])
def test_shapley_matrix_matches_permutation_definition(C):
    rng = np.random.default_rng(C)
    V = rng.random((4, 2**C))
    phi = V @ G.shapley_matrix(C)
    for row in range(4):

        def v(s, row=row):
            return V[row, sum(1 << c for c in s)]

        ref = G.shapley_reference(v, range(C))
        np.testing.assert_allclose(phi[row], [ref[c] for c in range(C)], atol=1e-12)
    # efficiency
    np.testing.assert_allclose(phi.sum(axis=1), V[:, -1] - V[:, 0], atol=1e-12)


# ---------------------------------------------------------------------- truth: brute force
def _without(ch, length, keep_channels):
    """The journeys with every touch of a channel outside ``keep_channels`` deleted."""
    out = np.full_like(ch, -1)
    new_len = np.zeros_like(length)
    for i in range(len(ch)):
        t = [c for c in ch[i, : length[i]] if c in keep_channels]
        out[i, : len(t)] = t
        new_len[i] = len(t)
    return out, new_len


@pytest.mark.parametrize("name", EXPOSURE)
def test_masked_response_equals_deleting_the_touches(name):
    """P(convert | only S) computed by masks == the response on the path with the other
    channels' touches actually deleted (times of the kept touches unchanged)."""
    sc = get_scenario(name)
    sim = sc.simulate(300, seed=5)
    r = sim._rows
    ch, length, days, latent = r["ch"][:60], r["length"][:60], r["days"][:60], r["latent"][:60]
    C = len(sc.params["channels"])
    bits = G.mask_bits(C)
    V = sc._response(ch, length, days, latent, bits)
    full = np.ones((1, C), dtype=bool)
    for m in [0, 1, 5, 2**C - 2, 2**C - 1, 22]:
        keep = set(np.flatnonzero(bits[m]).tolist())
        ch2, len2 = _without(ch, length, keep)
        days2 = None
        if days is not None:
            days2 = np.full(days.shape, np.nan)
            for i in range(len(ch)):
                d = [days[i, k] for k in range(length[i]) if ch[i, k] in keep]
                days2[i, : len(d)] = d
        direct = sc._response(ch2, len2, days2, latent, full)[:, 0]
        np.testing.assert_allclose(V[:, m], direct, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ["synergy", "order", "funnel", "logistic"])
def test_incremental_truth_is_per_journey_shapley(name):
    """Truth == sum over journeys of brute-force Shapley values of the incremental game."""
    sc = get_scenario(name)
    sim = sc.simulate(40, seed=2)
    r = sim._rows
    C = len(sc.params["channels"])
    full = np.ones((1, C), dtype=bool)
    total = np.zeros(C)
    for i in range(40):
        ch, ln, lat = r["ch"][i : i + 1], r["length"][i : i + 1], r["latent"][i : i + 1]

        def v(S, ch=ch, ln=ln, lat=lat):
            c2, l2 = _without(ch, ln, set(S))
            if l2[0] == 0:  # no touch left: the baseline (the empty coalition)
                return sc._response(ch, ln, None, lat, np.zeros((1, C), bool))[0, 0]
            return sc._response(c2, l2, None, lat, full)[0, 0]

        ref = G.shapley_reference(v, range(C))
        total += [ref[c] for c in range(C)]
    np.testing.assert_allclose(sim.truth.incremental, total, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("population", [False, True])
def test_additive_truth_is_beta_times_exposed_journeys(population):
    sim = simulate_journeys("additive", 20_000, seed=3, population=population)
    beta = np.array([sim.params["beta"][c] for c in sim.channels])
    j = sim.journeys
    exposed = np.zeros(len(sim.channels))
    for i, path in enumerate(j.paths()):
        for c in set(path):
            exposed[sim.channels.index(c)] += j.conversions[i] + j.nulls[i]
    np.testing.assert_allclose(sim.truth.incremental, beta * exposed, rtol=1e-10)
    np.testing.assert_allclose(sim.truth.removal, beta * exposed, rtol=1e-10)
    assert sim.truth.baseline_conversions == pytest.approx(
        sim.params["baseline"] * (j.total_conversions + j.total_nulls)
    )


def test_confounded_targeted_channels_have_zero_truth():
    sim = simulate_journeys("confounded", 20_000, seed=1)
    for c in ("retargeting", "brand_search"):
        i = sim.channels.index(c)
        assert abs(sim.truth.incremental[i]) < 1e-9
        assert abs(sim.truth.removal[i]) < 1e-9
    # ... yet last touch credits them
    res = attribute(sim.journeys, model="last_touch")
    share = dict(zip(res.channels, res.share, strict=True))
    assert share["retargeting"] + share["brand_search"] > 0.2


# ---------------------------------------------------------------------- truth: Monte Carlo
def _mc_removal(sc, ch, length, days, latent, rng, reps):
    """Conversions lost when each channel's touches are deleted, by simulation."""
    C = len(sc.params["channels"])
    full = np.ones((1, C), dtype=bool)
    base_p = sc._response(ch, length, days, latent, full)[:, 0]
    lost, se = np.zeros(C), np.zeros(C)
    for c in range(C):
        ch2 = np.where(ch == c, -1, ch)
        order = np.argsort(ch2 < 0, axis=1, kind="stable")  # push deleted touches to the end
        ch2 = np.take_along_axis(ch2, order, axis=1)
        len2 = (ch2 >= 0).sum(axis=1)
        days2 = (
            None
            if days is None
            else np.take_along_axis(np.where(ch == c, np.nan, days), order, axis=1)
        )
        has = len2 > 0
        p = np.full(len(ch), 0.0)
        if has.any():
            p[has] = sc._response(
                ch2[has], len2[has], None if days2 is None else days2[has], latent[has], full
            )[:, 0]
        if (~has).any():  # journeys left without touches convert at their baseline
            p[~has] = sc._response(
                ch[~has],
                length[~has],
                None if days is None else days[~has],
                latent[~has],
                np.zeros((1, C), bool),
            )[:, 0]
        a = (rng.random((reps, len(ch))) < base_p).sum(axis=1)
        b = (rng.random((reps, len(ch))) < p).sum(axis=1)
        lost[c] = (a - b).mean()
        se[c] = np.sqrt((base_p * (1 - base_p) + p * (1 - p)).sum() / reps)
    return lost, se


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPOSURE)
def test_removal_truth_against_monte_carlo_counterfactual(name):
    sc = get_scenario(name)
    sim = sc.simulate(20_000, seed=11)
    r = sim._rows
    rng = np.random.default_rng(0)
    lost, se = _mc_removal(sc, r["ch"], r["length"], r["days"], r["latent"], rng, reps=40)
    err = np.abs(lost - sim.truth.removal)
    assert np.all(err <= 4.5 * se + 1e-9), (lost, sim.truth.removal, se)


def _walk(sc, n, removed, rng):
    """Independent order-1 Markov walker: a journey reaching a removed channel ends (null)."""
    mix, trans, kappa = sc.mix, sc.trans, sc.conv  # trans: repeat + next_mix
    cont = sc.params["continue_prob"]
    c = (rng.random(n)[:, None] > np.cumsum(mix)).sum(axis=1)
    alive = np.ones(n, dtype=bool)
    conv = np.zeros(n, dtype=bool)
    for _ in range(sc.params["max_length"]):
        alive &= c != removed
        u = rng.random(n)
        k = kappa[c]
        conv |= alive & (u < k)
        alive &= (u >= k) & (u < k + (1 - k) * cont)
        if not alive.any():
            break
        c = np.minimum(
            (rng.random(n)[:, None] > np.cumsum(trans[c], axis=1)).sum(axis=1), len(mix) - 1
        )
    return conv.sum()


@pytest.mark.slow
def test_markov_removal_truth_against_monte_carlo():
    sc = get_scenario("markov")
    n = 400_000
    truth = sc.simulate(n, seed=0).truth
    rng = np.random.default_rng(1)
    base = _walk(sc, n, -1, rng)
    p = base / n
    assert base == pytest.approx(truth.expected_conversions, abs=4.5 * np.sqrt(n * p * (1 - p)))
    for c in range(len(sc.params["channels"])):
        lost = base - _walk(sc, n, c, rng)
        se = np.sqrt(2 * n * p * (1 - p))
        assert abs(lost - truth.removal[c]) <= 4.5 * se


def test_markov_population_recovered_by_markov_model():
    """In the Markov world, markov(order=1) on the population recovers the removal shares."""
    sim = simulate_journeys("markov", 10_000, population=True)
    res = attribute(sim.journeys, model="markov")
    np.testing.assert_allclose(res.share, sim.truth.removal_share, atol=0.003)
    eff = res.extras["removal_effects"]
    for c, e in sim.truth.extras["removal_effects"].items():
        assert eff[c] == pytest.approx(e, abs=0.01)


def test_markov_higher_order_truth_runs():
    sim = simulate_journeys("markov", 5_000, seed=1, order=2)
    assert sim.truth.removal.sum() > 0
    assert sim.truth.incremental.sum() == pytest.approx(sim.truth.expected_conversions)


# ---------------------------------------------------------------------- population mode
@pytest.mark.slow
@pytest.mark.parametrize("name", ["markov", "additive", "decay", "funnel", "confounded"])
def test_population_is_the_mean_of_large_samples(name):
    n = 200_000
    pop = simulate_journeys(name, n, population=True)
    pf = pop.journeys.to_frame().set_index("path")
    seeds = range(4)
    sims = [simulate_journeys(name, n, seed=s) for s in seeds]
    # totals and truth per journey
    conv = np.mean([s.journeys.total_conversions for s in sims])
    p = conv / n
    se = np.sqrt(p * (1 - p) / (n * len(sims)))
    assert conv / n == pytest.approx(
        pop.journeys.total_conversions / (n * pop.coverage), abs=4.5 * se + (1 - pop.coverage) * p
    )
    inc = np.mean([s.truth.incremental_share for s in sims], axis=0)
    np.testing.assert_allclose(inc, pop.truth.incremental_share, atol=0.01)
    # the most frequent paths: journeys per path
    top = pf.assign(j=pf.total_conversions + pf.total_null).j.nlargest(20)
    counts = np.zeros(len(top))
    for s in sims:
        f = s.journeys.to_frame().set_index("path")
        counts += (f.total_conversions + f.total_null).reindex(top.index).fillna(0).to_numpy()
    counts /= len(sims)
    sd = np.sqrt(top.to_numpy() / len(sims))
    assert np.all(np.abs(counts - top.to_numpy()) <= 4.5 * sd + 1e-9)


def test_population_counts_are_fractional_and_sum_to_coverage():
    pop = simulate_journeys("noisy_or", 1000, population=True)
    j = pop.journeys
    assert 0.98 < pop.coverage <= 1
    assert j.total_conversions + j.total_nulls == pytest.approx(1000 * pop.coverage)
    assert np.any(j.conversions % 1 != 0)
    assert pop.truth.journeys == pytest.approx(1000 * pop.coverage)


# ---------------------------------------------------------------------- determinism
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_same_seed_same_output(name):
    a = simulate_journeys(name, 3000, seed=7)
    b = simulate_journeys(name, 3000, seed=7)
    c = simulate_journeys(name, 3000, seed=8)
    assert a.journeys.to_frame().equals(b.journeys.to_frame())
    assert a.events().equals(b.events())
    np.testing.assert_array_equal(a.truth.incremental, b.truth.incremental)
    assert json.dumps(a.to_dict()) == json.dumps(b.to_dict())
    assert not a.journeys.to_frame().equals(c.journeys.to_frame())


def test_population_is_deterministic_and_ignores_seed():
    a = simulate_journeys("decay", 1000, seed=1, population=True, population_tol=1e-4)
    b = simulate_journeys("decay", 1000, seed=2, population=True, population_tol=1e-4)
    assert a.journeys.to_frame().equals(b.journeys.to_frame())
    np.testing.assert_array_equal(a.truth.incremental, b.truth.incremental)


# ---------------------------------------------------------------------- realistic defaults
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_defaults_are_realistic(name):
    """Anderl et al. (2016): conversion rate about 1-3 %, mean path length 1.3-3."""
    sim = simulate_journeys(name, 1000, population=True, population_tol=1e-5)
    j = sim.journeys
    n = j.total_conversions + j.total_nulls
    assert 0.01 <= j.total_conversions / n <= 0.03
    mean_len = np.average(j.lengths, weights=j.conversions + j.nulls)
    assert 1.3 <= mean_len <= 3
    one = (j.lengths == 1) @ (j.conversions + j.nulls) / n
    assert one > 0.4


# ---------------------------------------------------------------------- events
def test_event_log_round_trip_with_identity_map():
    from pathcredit.journeys.events import build_journeys

    sim = simulate_journeys("synergy", 3000, seed=4, cross_device=0.3, offline_channels=("direct",))
    ev = sim.events()
    assert list(ev.columns) == ["user_id", "timestamp", "channel", "conversion", "value"]
    idm = sim.identity_map()
    assert idm is not None and set(idm.columns) == {"device_id", "person_id"}
    assert ev.user_id.str.contains("~").any()
    # touches fall in the time span from `start` (journeys start in the first `days` days)
    start = pd.Timestamp(sim.params["start"])
    assert ev.timestamp.min() >= start
    assert ev.timestamp.max() <= start + pd.Timedelta(days=sim.params["days"] + 60)
    ej = build_journeys(ev, value_col="value", identity_map=idm, lookback_days=None)
    a = ej.journeys.to_frame().sort_values("path").reset_index(drop=True)
    b = sim.journeys.to_frame().sort_values("path").reset_index(drop=True)
    assert (a.path == b.path).all()
    np.testing.assert_allclose(a.total_conversions, b.total_conversions)
    np.testing.assert_allclose(a.total_null, b.total_null)
    np.testing.assert_allclose(a.total_conversion_value, b.total_conversion_value, rtol=1e-9)


def test_timed_journeys_feed_time_decay():
    for pop in (False, True):
        sim = simulate_journeys("decay", 2000, seed=1, population=pop, population_tol=1e-4)
        tj = sim.timed_journeys()
        assert tj.times is not None
        assert tj.total_conversions == pytest.approx(sim.journeys.total_conversions)
        res = attribute(tj, model="time_decay")
        assert res.conversions.sum() == pytest.approx(tj.total_conversions)
    with pytest.raises(InputError, match="population"):
        sim.events()


def test_truth_dict_shape():
    sim = simulate_journeys("order", 2000, seed=1)
    d = json.loads(json.dumps(sim.to_dict()))
    assert set(d) >= {"scenario", "params", "truth"}
    assert set(d["truth"]["incremental"]) == set(sim.channels)
    assert set(d["truth"]["incremental"]["search"]) == {"conversions", "value", "share"}
    assert sum(v["share"] for v in d["truth"]["removal"].values()) == pytest.approx(1)
    assert "definitions" in d["truth"]


def test_list_scenarios():
    s = list_scenarios()
    assert set(s) == {
        "markov",
        "additive",
        "noisy_or",
        "logistic",
        "synergy",
        "order",
        "decay",
        "funnel",
        "confounded",
    }
    assert all(isinstance(v, str) and v for v in s.values())


# ---------------------------------------------------------------------- parameter checks
BAD = [
    ("additive", {"baseline": 1.5}, "baseline"),
    ("additive", {"beta": {"search": 2}}, "beta"),
    ("additive", {"beta": {"tv": 0.1}}, "beta"),
    ("additive", {"baseline": 0.5, "beta": {"search": 0.6}}, "baseline"),
    ("additive", {"continue_prob": 1.0}, "continue_prob"),
    ("additive", {"max_length": 0}, "max_length"),
    ("additive", {"mix": {"search": -1}}, "mix"),
    ("additive", {"channels": ["a", "a"]}, "channels"),
    ("additive", {"channels": ["a", "b"]}, "mix"),
    ("additive", {"next_mix": {"search": -1}}, "next_mix"),
    ("additive", {"value_sigma": -1}, "value_sigma"),
    ("additive", {"cross_device": 2}, "cross_device"),
    ("additive", {"offline_channels": ["store"]}, "offline_channels"),
    ("additive", {"start": "not a date"}, "start"),
    ("additive", {"betta": 1}, "betta"),
    ("noisy_or", {"p": {"search": 1.0}}, "p"),
    ("logistic", {"intercept": "x"}, "intercept"),
    ("synergy", {"synergy": {"search & tv": 0.1}}, "synergy"),
    ("synergy", {"synergy": {"search & display": -0.5}}, "probability"),
    ("order", {"after": "tv"}, "after"),
    ("order", {"lift": 2}, "lift"),
    ("decay", {"half_life": {"search": 0}}, "half_life"),
    ("funnel", {"stage_conversion": (0.1, 0.2)}, "stage_conversion"),
    ("funnel", {"advance": {"search": (0.1,)}}, "advance"),
    ("confounded", {"intent_share": -0.1}, "intent_share"),
    ("confounded", {"beta": {"retargeting": 0.01}}, "targeted"),
    ("markov", {"order": 5}, "order"),
    ("markov", {"conversion": {"search": 1.5}}, "conversion"),
    ("markov", {"population_tol": 0}, "population_tol"),
]


@pytest.mark.parametrize("name,params,word", BAD, ids=[f"{b[0]}-{b[2]}" for b in BAD])
def test_bad_parameters_name_the_parameter(name, params, word):
    with pytest.raises(InputError, match=word):
        get_scenario(name, **params)


@pytest.mark.parametrize(
    "kw,word",
    [
        ({"n_journeys": 0}, "n_journeys"),
        ({"n_journeys": 1.5}, "n_journeys"),
        ({"seed": -1}, "seed"),
        ({"population": "yes"}, "population"),
    ],
)
def test_bad_simulate_arguments(kw, word):
    args = {"n_journeys": 10, **kw}
    with pytest.raises(InputError, match=word):
        simulate_journeys("additive", **args)


def test_unknown_scenario():
    with pytest.raises(InputError, match="unknown scenario"):
        simulate_journeys("nope")


def test_channel_mappings_override_key_by_key():
    sc = get_scenario("additive", beta={"search": 0.02})
    assert sc.params["beta"]["search"] == 0.02
    assert sc.params["beta"]["display"] == 0.004
    sc = get_scenario(
        "additive",
        channels=["a", "b"],
        mix={"a": 1, "b": 1},
        next_mix={"a": 1, "b": 0},
        beta={"a": 0.01, "b": 0.0},
        value_mean={"a": 10, "b": 20},
    )
    sim = sc.simulate(100, seed=0)
    assert sim.channels == ("a", "b")
    assert list(itertools.islice(sim.truth.table.channel, 2)) == ["a", "b"]


@pytest.mark.parametrize("name", EXPOSURE)
def test_truth_equals_all_coalitions_on_every_journey(name):
    """The fast path (one-channel journeys need two coalitions; distinct paths grouped) gives
    the same truth as every journey's game evaluated on all 2**C coalitions."""
    sc = get_scenario(name)
    sim = sc.simulate(3000, seed=9)
    r = sim._rows
    C = len(sc.params["channels"])
    V = sc._response(r["ch"], r["length"], r["days"], r["latent"], G.mask_bits(C))
    full = 2**C - 1
    np.testing.assert_allclose(
        sim.truth.incremental, (V @ G.shapley_matrix(C)).sum(axis=0), rtol=1e-10, atol=1e-12
    )
    lost = V[:, [full]] - V[:, full ^ (1 << np.arange(C))]
    np.testing.assert_allclose(sim.truth.removal, lost.sum(axis=0), rtol=1e-10, atol=1e-12)
    assert sim.truth.expected_conversions == pytest.approx(V[:, full].sum(), rel=1e-12)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_markov_truth_from_the_path_distribution(order):
    """Withholding c sends every walk that reaches c to null, so the conversions lost are
    exactly the expected conversions of the paths containing c; the chain's Shapley value
    is uniform credit over the distinct channels of converting paths (Singal et al. 2022)."""
    n = 100_000
    pop = simulate_journeys("markov", n, population=True, order=order, population_tol=1e-8)
    j = pop.journeys
    # population mode leaves out long paths (1 - coverage of the journeys); they convert
    # at well under 5 % each at the defaults
    slack = (1 - pop.coverage) * n * 0.05 + 1e-6
    for i in range(len(pop.channels)):
        has = (
            np.add.reduceat(
                (j.touches == j.channels.index(pop.channels[i])).astype(int), j.offsets[:-1]
            )
            > 0
        )
        assert pop.truth.removal[i] == pytest.approx(j.conversions[has].sum(), abs=slack)
    uniform = attribute(j, model="linear_unique").conversions
    np.testing.assert_allclose(uniform, pop.truth.incremental, atol=slack)
    if order > 1:
        res = attribute(j, model="markov", order=order)
        np.testing.assert_allclose(res.share, pop.truth.removal_share, atol=0.002)


# ---------------------------------------------------------------------- invariants
@given(
    name=st.sampled_from(
        ["additive", "noisy_or", "logistic", "synergy", "order", "funnel", "decay", "confounded"]
    ),
    seed=st.integers(0, 2**31),
    continue_prob=st.floats(0.0, 0.8),
    repeat=st.floats(0.0, 0.9),
)
def test_truth_invariants(name, seed, continue_prob, repeat):
    """Efficiency (incremental credit sums to expected minus baseline conversions), removal
    and incremental credit are non-negative in these monotone worlds, shares sum to 1."""
    sim = simulate_journeys(name, 300, seed=seed, continue_prob=continue_prob, repeat=repeat)
    t = sim.truth
    assert t.incremental.sum() == pytest.approx(
        t.expected_conversions - t.baseline_conversions, rel=1e-9, abs=1e-12
    )
    assert np.all(t.removal >= -1e-12)
    assert np.all(t.incremental >= -1e-12)
    if t.incremental.sum() > 0:
        assert t.incremental_share.sum() == pytest.approx(1)
    j = sim.journeys
    assert j.total_conversions + j.total_nulls == 300


def test_relabelling_channels_permutes_the_truth():
    a = simulate_journeys("synergy", 3000, seed=5)
    chans = a.params["channels"]
    rev = tuple(reversed(chans))
    b = simulate_journeys(
        "synergy",
        3000,
        seed=5,
        channels=rev,
        mix={c: a.params["mix"][c] for c in rev},
        next_mix={c: a.params["next_mix"][c] for c in rev},
    )
    # same process, channels listed in another order: the truth per name is identical in law;
    # with the population (no sampling) it is identical in value
    pa = simulate_journeys("synergy", 3000, population=True, population_tol=1e-5)
    pb = simulate_journeys(
        "synergy",
        3000,
        population=True,
        population_tol=1e-5,
        channels=rev,
        mix={c: a.params["mix"][c] for c in rev},
        next_mix={c: a.params["next_mix"][c] for c in rev},
    )
    for i, c in enumerate(chans):
        k = rev.index(c)
        assert pa.truth.incremental[i] == pytest.approx(pb.truth.incremental[k], rel=1e-9)
        assert pa.truth.removal[i] == pytest.approx(pb.truth.removal[k], rel=1e-9)
    assert b.truth.channels == rev


# ---------------------------------------------------------------------- mechanisms
def _funnel_walk(sc, ch, length, rng, withheld=-1):
    """Stages drawn touch by touch (not the dynamic programme): conversions of each journey."""
    n = len(ch)
    stage = (rng.random(n)[:, None] > np.cumsum(sc.start)).sum(axis=1)
    for t in range(ch.shape[1]):
        c = ch[:, t]
        act = (c >= 0) & (c != withheld)
        adv = sc.adv[np.maximum(c, 0), stage]
        stage = stage + (act & (rng.random(n) < adv))
    return rng.random(n) < sc.stage_conv[stage]


def _noisy_or_draw(sc, ch, days, rng, withheld=-1):
    """Every touch (and the baseline) gets its own coin: a journey converts if any lands."""
    c = np.maximum(ch, 0)
    p = sc.p[c]
    if days is not None and hasattr(sc, "half_life"):
        p = p * np.exp2(-np.nan_to_num(days) / sc.half_life[c])
    hit = (rng.random(ch.shape) < p) & (ch >= 0) & (ch != withheld)
    return hit.any(axis=1) | (rng.random(len(ch)) < sc.baseline)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["funnel", "noisy_or", "decay"])
def test_truth_against_the_mechanism(name):
    """P(convert) and the removal truth against a simulation of the mechanism itself (stages
    moved touch by touch; one coin per touch), 4.5 standard errors."""
    sc = get_scenario(name)
    sim = sc.simulate(20_000, seed=13)
    r = sim._rows
    rng = np.random.default_rng(2)
    reps = 30
    draw = (
        (lambda w: _funnel_walk(sc, r["ch"], r["length"], rng, w))
        if name == "funnel"
        else (lambda w: _noisy_or_draw(sc, r["ch"], r["days"], rng, w))
    )
    base = np.array([draw(-1).sum() for _ in range(reps)], dtype=float)
    p = sim.truth.expected_conversions / 20_000
    se = np.sqrt(20_000 * p * (1 - p) / reps)
    assert base.mean() == pytest.approx(sim.truth.expected_conversions, abs=4.5 * se)
    for c in range(len(sim.channels)):
        without = np.array([draw(c).sum() for _ in range(reps)], dtype=float)
        lost = base.mean() - without.mean()
        assert lost == pytest.approx(sim.truth.removal[c], abs=4.5 * np.sqrt(2) * se)
