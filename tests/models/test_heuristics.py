"""Rule-based models: hand-computed cases, ChannelAttribution as oracle, invariants."""

import json
import re
from fractions import Fraction as F

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pathcredit as pc
from pathcredit import Journeys, ModelError, attribute
from pathcredit.models import heuristics

RULES = [
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "linear_unique",
    "position_based",
    "j_shaped",
    "inverse_j",
    "custom",
    "time_decay_position",
]


@pytest.fixture
def foundation_case():
    # The foundation issue's hand case: one conversion each.
    return pc.read_paths(
        pd.DataFrame({"path": ["A>B>A>B>B>A", "A>B>B>A>A", "A>A"], "total_conversions": [1, 1, 1]})
    )


def credit(j, model, **params):
    r = attribute(j, model=model, **params)
    return dict(zip(r.channels, r.conversions.tolist(), strict=True))


def one_path(path, conversions=1.0, value=None, times=None):
    return Journeys.from_paths(
        [path.split(">")],
        conversions=[conversions],
        value=None if value is None else [value],
        times=None if times is None else [times],
    )


def test_foundation_case_first_last_linear(foundation_case):
    assert credit(foundation_case, "first_touch") == {"A": 3.0, "B": 0.0}
    assert credit(foundation_case, "last_touch") == {"A": 3.0, "B": 0.0}
    lin = credit(foundation_case, "linear")
    # A: 3/6 + 3/5 + 2/2 = 2.1, B: 3/6 + 2/5 = 0.9
    assert lin["A"] == pytest.approx(2.1, abs=1e-12)
    assert lin["B"] == pytest.approx(0.9, abs=1e-12)
    assert credit(foundation_case, "linear_unique") == pytest.approx({"A": 2.0, "B": 1.0})


def test_foundation_case_position_based(foundation_case):
    # path 1 (6 touches): A gets 0.4 + 0.4 + one of four middle touches x 0.2/4
    # path 2 (5 touches): A gets 0.4 + 0.4 + one of three middle touches x 0.2/3
    a = F(4, 5) + F(1, 20) + F(4, 5) + F(1, 15) + 1
    got = credit(foundation_case, "position_based")
    assert got["A"] == pytest.approx(float(a), abs=1e-12)
    assert got["B"] == pytest.approx(float(3 - a), abs=1e-12)


@pytest.mark.parametrize(
    ("model", "params", "path", "expected"),
    [
        ("position_based", {}, "C>D>E>F", [0.4, 0.1, 0.1, 0.4]),
        ("position_based", {}, "C>D", [0.5, 0.5]),
        ("position_based", {}, "C", [1.0]),
        ("position_based", {"first": 0.3, "last": 0.5}, "C>D>E", [0.3, 0.2, 0.5]),
        ("position_based", {"first": 0.3, "last": 0.5}, "C>D", [0.375, 0.625]),
        ("j_shaped", {}, "C>D>E>F", [0.2, 0.1, 0.1, 0.6]),
        ("j_shaped", {}, "C>D", [0.25, 0.75]),
        ("j_shaped", {}, "C", [1.0]),
        ("inverse_j", {}, "C>D>E>F", [0.6, 0.1, 0.1, 0.2]),
        ("inverse_j", {}, "C>D", [0.75, 0.25]),
        ("custom", {"first": 3, "middle": 2, "last": 5}, "C>D>E>F", [0.3, 0.1, 0.1, 0.5]),
        ("custom", {"first": 3, "middle": 2, "last": 5}, "C>D", [0.375, 0.625]),
        ("custom", {"first": 1, "middle": 0, "last": 1}, "C>D>E", [0.5, 0.0, 0.5]),
        ("time_decay_position", {}, "C>D>E", [1 / 7, 2 / 7, 4 / 7]),
        # half-life 2 touches: weights 2^-1, 2^-0.5, 1
        (
            "time_decay_position",
            {"half_life": 2},
            "C>D>E",
            np.array([0.5, 2**-0.5, 1]) / (1.5 + 2**-0.5),
        ),
        ("linear", {}, "C>D>E>F", [0.25] * 4),
        ("first_touch", {}, "C>D>E>F", [1, 0, 0, 0]),
        ("last_touch", {}, "C>D>E>F", [0, 0, 0, 1]),
    ],
)
def test_positional_rules_by_hand(model, params, path, expected):
    # channels C < D < E < F are sorted, so credit is in path order
    r = attribute(one_path(path, conversions=10.0, value=4.0), model=model, **params)
    np.testing.assert_allclose(r.conversions, 10 * np.asarray(expected), atol=1e-12)
    np.testing.assert_allclose(r.value, 4 * np.asarray(expected), atol=1e-12)


def test_last_non_direct():
    j = Journeys.from_paths(
        [["email", "Direct"], ["direct", "direct"], ["search", "email", "direct", "direct"]],
        conversions=[1, 2, 4],
    )
    assert credit(j, "last_non_direct") == {
        "Direct": 0.0,
        "direct": 2.0,
        "email": 5.0,
        "search": 0.0,
    }
    # a configurable direct set: 'email' counted as direct too
    got = credit(j, "last_non_direct", direct_channels=["direct", "email"])
    assert got == {"Direct": 1.0, "direct": 2.0, "email": 0.0, "search": 4.0}


def test_time_decay_with_touch_times():
    # 14, 7 and 0 days before conversion, half-life 7: weights 1/4, 1/2, 1
    j = one_path("C>D>E", conversions=7.0, times=[14.0, 7.0, 0.0])
    assert attribute(j, model="time_decay").conversions.tolist() == pytest.approx([1, 2, 4])
    # half-life 14: weights 1/2, 2^-0.5, 1
    w = np.array([0.5, 2**-0.5, 1.0])
    np.testing.assert_allclose(
        attribute(j, model="time_decay", half_life=14).conversions, 7 * w / w.sum()
    )


def test_time_decay_on_aggregated_paths_is_a_clear_error(foundation_case):
    with pytest.raises(ModelError, match="time_decay_position"):
        attribute(foundation_case, model="time_decay")


def test_participation_is_full_credit_per_distinct_channel(foundation_case):
    r = attribute(foundation_case, model="participation")
    assert credit(foundation_case, "participation") == {"A": 3.0, "B": 2.0}
    assert not r.additive
    np.testing.assert_allclose(r.share, [1.0, 2 / 3])


@pytest.mark.parametrize(
    ("model", "params"),
    [
        ("position_based", {"first": 0.7, "last": 0.7}),
        ("custom", {"first": -1}),
        ("custom", {"first": 0, "middle": 1, "last": 0}),
        ("time_decay_position", {"half_life": 0}),
    ],
)
def test_bad_parameters_are_model_errors(foundation_case, model, params):
    with pytest.raises(ModelError):
        attribute(foundation_case, model=model, **params)


def test_unknown_model_and_parameter(foundation_case):
    with pytest.raises(ModelError, match="unknown model 'lienar'"):
        attribute(foundation_case, model="lienar")
    with pytest.raises(ModelError, match="no parameter"):
        attribute(foundation_case, model="linear", order=2)


# ---------------------------------------------------------------- ChannelAttribution oracle
CA_COLUMNS = {"first_touch": "first_touch", "last_touch": "last_touch", "linear": "linear_touch"}


@pytest.mark.parametrize("model", sorted(CA_COLUMNS))
def test_equals_channelattribution_heuristic_models(ca_data_path, model):
    # Expected values: ChannelAttribution 2.2.5 heuristic_models on its own example data;
    # the producing call is stored in the JSON ("call").
    expected = json.loads((ca_data_path.parent / "heuristic_models_expected.json").read_text())
    rows = {row["channel_name"]: row for row in expected["rows"]}
    r = attribute(pc.read_paths(ca_data_path), model=model)
    assert sorted(r.channels) == sorted(rows)
    col = CA_COLUMNS[model]
    for ch, conv, val in zip(r.channels, r.conversions, r.value, strict=True):
        assert abs(conv - rows[ch][f"{col}_conversions"]) <= 1e-9
        assert abs(val - rows[ch][f"{col}_value"]) <= 1e-9


# ---------------------------------------------------------------- invariants (hypothesis)
channel_names = st.sampled_from(["a", "b", "c", "d", "direct"])
journey_sets = st.lists(
    st.tuples(
        st.lists(channel_names, min_size=1, max_size=7),
        st.integers(0, 5),
        st.floats(0, 100, allow_nan=False),
    ),
    min_size=1,
    max_size=8,
)


def build(rows, reverse=False):
    paths = [list(reversed(p)) if reverse else p for p, _, _ in rows]
    conv = [float(c) for _, c, _ in rows]
    value = [v if c > 0 else 0.0 for _, c, v in rows]
    return Journeys.from_paths(paths, conversions=conv, value=value)


@given(journey_sets)
def test_totals_are_preserved(rows):
    j = build(rows)
    for model in RULES:
        r = attribute(j, model=model)
        assert r.conversions.sum() == pytest.approx(j.total_conversions, abs=1e-9)
        assert r.value.sum() == pytest.approx(j.total_value, rel=1e-9, abs=1e-9)


@given(journey_sets, st.permutations(["p", "q", "r", "s", "t"]))
def test_relabelling_permutes_the_credit(rows, names):
    j = build(rows)
    mapping = dict(zip(["a", "b", "c", "d", "direct"], names, strict=True))
    relabelled = Journeys.from_paths(
        [[mapping[c] for c in p] for p in j.paths()], conversions=j.conversions, value=j.value
    )
    for model in [m for m in RULES if m != "last_non_direct"]:
        before, after = credit(j, model), credit(relabelled, model)
        for ch, x in before.items():
            assert after[mapping[ch]] == pytest.approx(x, abs=1e-9)


@given(journey_sets)
def test_merging_duplicate_rows_changes_nothing(rows):
    split = [(p, c, v) for p, c, v in rows] + [(p, c, v) for p, c, v in rows]
    once, twice = build(rows), build(split)
    assert twice.n_paths == once.n_paths
    for model in RULES + ["participation"]:
        a, b = attribute(once, model=model), attribute(twice, model=model)
        np.testing.assert_allclose(b.conversions, 2 * a.conversions, atol=1e-9)


@given(journey_sets)
def test_order_matters_only_where_the_model_says_so(rows):
    j, rev = build(rows), build(rows, reverse=True)
    for model in ["linear", "linear_unique", "participation"]:
        np.testing.assert_allclose(
            attribute(j, model=model).conversions,
            attribute(rev, model=model).conversions,
            atol=1e-9,
        )
    np.testing.assert_allclose(
        attribute(j, model="first_touch").conversions,
        attribute(rev, model="last_touch").conversions,
        atol=1e-9,
    )
    np.testing.assert_allclose(
        attribute(j, model="j_shaped").conversions,
        attribute(rev, model="inverse_j").conversions,
        atol=1e-9,
    )


def test_touch_weights_sum_to_one_per_path(foundation_case):
    from pathcredit.models.heuristics import touch_weights

    j = foundation_case
    for model in ["linear", "position_based", "j_shaped", "inverse_j", "custom"]:
        w = touch_weights(j, model)
        np.testing.assert_allclose(np.add.reduceat(w, j.offsets[:-1]), 1.0)
        # the weights times the path conversions are the model's credit
        credit = np.bincount(j.touches, w * np.repeat(j.conversions, j.lengths), j.n_channels)
        np.testing.assert_allclose(credit, attribute(j, model=model).conversions, rtol=1e-12)
    with pytest.raises(ModelError):
        touch_weights(j, "participation")  # not additive: no per-touch split


@pytest.mark.parametrize(
    ("model", "params", "fragment"),
    [
        ("position_based", {"first": "0.4"}, "first must be a number, got '0.4' (str)"),
        ("position_based", {"last": True}, "last must be a number, got True (bool)"),
        ("custom", {"middle": float("nan")}, "middle must be a finite number"),
        ("time_decay_position", {"half_life": "1"}, "half_life must be a number"),
        ("time_decay_position", {"half_life": 0}, "half_life must satisfy 0 < half_life"),
    ],
)
def test_bad_weights_are_model_errors_naming_the_parameter(model, params, fragment):
    j = Journeys.from_paths([["A", "B", "C"]], conversions=[1])
    with pytest.raises(ModelError, match=re.escape(fragment)):
        getattr(heuristics, model)(j, **params)  # the function itself, not only attribute()
    with pytest.raises(ModelError, match=re.escape(fragment)):
        pc.attribute(j, model=model, **params)


def test_weights_near_float_max_do_not_overflow():
    j = Journeys.from_paths([["A", "B", "C"], ["A", "B"]], conversions=[3, 2])
    big = heuristics.custom(j, first=1e308, middle=1e308, last=1e308)
    np.testing.assert_allclose(big.conversions, heuristics.custom(j).conversions, rtol=1e-15)
    lopsided = heuristics.custom(j, first=1e308, middle=1.0, last=1e308)
    # 3-touch path: 1e308 : 1 : 1e308 -> 1/2, ~0, 1/2; 2-touch path 1/2, 1/2
    np.testing.assert_allclose(lopsided.conversions, [2.5, 1.0, 1.5], rtol=1e-12)


def test_short_half_life_time_decay_gives_the_latest_touch_everything():
    # every touch is >= 1 day old: 2**(-t / 1e-3) underflowed to 0 for all of them (0/0 = nan)
    j = Journeys.from_paths([["A", "B", "C"]], conversions=[1], times=[[30.0, 5.0, 1.0]])
    np.testing.assert_array_equal(heuristics.time_decay(j, half_life=1e-3).conversions, [0, 0, 1])
    # a long half-life is unchanged by the shift: weights 2^(-t/7) normalised
    w = 2 ** (-np.array([30.0, 5.0, 1.0]) / 7)
    np.testing.assert_allclose(heuristics.time_decay(j).conversions, w / w.sum(), rtol=1e-12)


def test_empty_journeys_are_refused_not_attributed():
    from pathcredit import InputError

    with pytest.raises(InputError, match="no paths in the input"):
        pc.attribute(Journeys.from_paths([], conversions=[]), model="linear")


@pytest.mark.parametrize("spelling", ["(direct) / (none)", "direct / none", "(Direct) / (None)"])
def test_last_non_direct_knows_ga4_direct_spellings(spelling):
    j = Journeys.from_paths([["email", spelling], [spelling]], conversions=[2, 1])
    r = attribute(j, model="last_non_direct")
    by = dict(zip(r.channels, r.conversions, strict=True))
    assert by == {spelling: 1.0, "email": 2.0}  # the all-direct path keeps its last touch
