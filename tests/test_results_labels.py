"""The result type: labels that tell settings apart, draws and intervals, what produced it."""

import json

import numpy as np
import pytest

import pathcredit as pc
from pathcredit import AttributionResult, InternalError, Journeys, ModelError
from pathcredit.journeys._fingerprint import fingerprint
from pathcredit.models import label_of


@pytest.fixture(scope="module")
def journeys():
    return pc.load_example_paths()


def test_compare_markov_orders_gives_three_labelled_columns(journeys):
    results = [pc.attribute(journeys, model="markov", order=o) for o in (1, 2, 3)]
    table = pc.compare(results)
    assert list(table.columns) == ["markov", "markov(order=2)", "markov(order=3)"]
    for r in results:  # each column holds its own result's numbers, not the last one's
        np.testing.assert_array_equal(table[r.label].to_numpy(), r.conversions)
    assert not np.allclose(table.iloc[:, 0], table.iloc[:, 2])


def test_plot_draws_one_labelled_bar_series_per_setting(journeys):
    results = [pc.attribute(journeys, model="markov", order=o) for o in (1, 2, 3)]
    ax = pc.plot_attribution(results, metric="conversions")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["markov", "markov(order=2)", "markov(order=3)"]
    heights = [[bar.get_height() for bar in c] for c in ax.containers]
    for r, h in zip(results, heights, strict=True):
        np.testing.assert_allclose(h, r.conversions)


def test_compare_refuses_two_results_with_one_label(journeys):
    a = pc.attribute(journeys, model="markov", order=2)
    b = pc.attribute(journeys, model="markov", order=2)
    with pytest.raises(ModelError, match=r"two results are labelled 'markov\(order=2\)'"):
        pc.compare([a, b])
    assert list(pc.compare([a, b.replace(label="second")]).columns) == ["markov(order=2)", "second"]


def test_labels_name_every_non_default_parameter():
    assert label_of("markov", {"order": 1}) == "markov"
    assert label_of("position_based", {"first": 0.3, "last": 0.4}) == "position_based(first=0.3)"
    assert label_of("shapley", {"value_function": "markov", "order": 2}) == (
        "shapley(value_function='markov', order=2)"
    )
    j = Journeys.from_paths([["A", "B"]], conversions=[1])
    assert pc.attribute(j, model="custom", first=2, middle=1.0).label == "custom(first=2.0)"


def test_draws_give_equal_tailed_bounds_and_xarray():
    rng = np.random.default_rng(0)
    draws = rng.gamma(5.0, 1.0, size=(2, 400, 3))
    point = draws.mean(axis=(0, 1))
    r = AttributionResult(
        "demo", {}, ["A", "B", "C"], point, total_conversions=point.sum(),
        draws={"conversions": draws}, ci_prob=0.8,
    )  # fmt: skip
    flat = draws.reshape(-1, 3)
    for c in range(3):  # by hand: sort the 800 draws, take the 10% and 90% quantiles
        s = np.sort(flat[:, c])
        np.testing.assert_allclose(r.lower["conversions"][c], np.interp(0.1 * 799, range(800), s))
        np.testing.assert_allclose(r.upper["conversions"][c], np.interp(0.9 * 799, range(800), s))
    ds = r.to_xarray()
    assert ds["conversions"].dims == ("chain", "draw", "channel")
    assert list(ds["channel"].values) == ["A", "B", "C"]
    assert ds.attrs["label"] == "demo" and ds.attrs["ci_prob"] == 0.8
    row = r.to_dict()["channels"][1]
    assert row["conversions_lower"] == r.lower["conversions"][1]
    assert row["conversions_upper"] == r.upper["conversions"][1]


def test_arviz_summary_works_on_draws():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import arviz as az
    draws = np.random.default_rng(1).normal(10, 1, size=(4, 100, 2))
    r = AttributionResult(
        "demo", {}, ["A", "B"], draws.mean((0, 1)), total_conversions=draws.mean((0, 1)).sum(),
        draws={"conversions": draws}, ci_prob=0.9,
    )  # fmt: skip
    summary = az.summary(r.to_inference_data(), kind="stats")
    np.testing.assert_allclose(summary["mean"].to_numpy(), draws.mean((0, 1)), atol=1e-3)


def test_credit_outside_its_interval_is_refused():
    with pytest.raises(InternalError, match="outside its interval"):
        AttributionResult(
            "m", {}, ["A"], [2.0], total_conversions=2.0,
            lower={"conversions": [0.0]}, upper={"conversions": [1.0]}, ci_prob=0.9,
        )  # fmt: skip
    with pytest.raises(ModelError, match="shape"):
        AttributionResult("m", {}, ["A"], [2.0], total_conversions=2.0,
                          draws={"conversions": np.ones((5, 1))}, ci_prob=0.9)  # fmt: skip
    with pytest.raises(ModelError, match="ci_prob"):
        AttributionResult("m", {}, ["A"], [2.0], total_conversions=2.0,
                          draws={"conversions": np.full((1, 5, 1), 2.0)})  # fmt: skip


def test_results_are_immutable(journeys):
    r = pc.attribute(journeys, model="linear")
    with pytest.raises(ValueError, match="read-only"):
        r.conversions[0] = 0.0
    with pytest.raises(ValueError, match="read-only"):
        r.value[0] = 0.0


def test_result_records_version_and_input_fingerprint(journeys):
    r = pc.attribute(journeys, model="linear")
    assert r.version == pc.__version__
    fp = r.fingerprint
    assert fp["paths"] == journeys.n_paths and fp["touches"] == len(journeys.touches)
    assert fp["conversions"] == journeys.total_conversions
    out = json.loads(json.dumps(r.to_dict()))
    assert out["input"] == fp and out["version"] == pc.__version__ and out["label"] == "linear"


def test_fingerprint_ignores_row_order_and_sees_every_change():
    paths = [["A", "B"], ["B"], ["C", "A", "A"]]
    base = fingerprint(Journeys.from_paths(paths, conversions=[1, 2, 3], nulls=[0, 1, 2]))
    shuffled = fingerprint(Journeys.from_paths(paths[::-1], conversions=[3, 2, 1], nulls=[2, 1, 0]))
    assert shuffled == base
    changed = [
        Journeys.from_paths(paths, conversions=[1, 2, 3.5], nulls=[0, 1, 2]),
        Journeys.from_paths(paths, conversions=[1, 2, 3], nulls=[0, 1, 3]),
        Journeys.from_paths(
            [["B", "A"], ["B"], ["C", "A", "A"]], conversions=[1, 2, 3], nulls=[0, 1, 2]
        ),  # fmt: skip
        Journeys.from_paths(
            [["A", "B"], ["B"], ["C", "A", "D"]], conversions=[1, 2, 3], nulls=[0, 1, 2]
        ),  # fmt: skip
    ]
    assert len({fingerprint(j)["sha256"] for j in changed} | {base["sha256"]}) == 5


def test_hdi_bounds_are_the_shortest_interval_by_brute_force():
    rng = np.random.default_rng(5)
    draws = rng.lognormal(0, 1, size=(1, 301, 2))  # skewed: HDI differs from equal tails
    r = AttributionResult(
        "demo", {}, ["A", "B"], np.median(draws, axis=(0, 1)),
        total_conversions=np.median(draws, axis=(0, 1)).sum(),
        draws={"conversions": draws, "removal_effect": draws / 10}, ci_prob=0.8, ci_kind="hdi",
    )  # fmt: skip
    for c in range(2):
        s = np.sort(draws[0, :, c])
        k = int(np.floor(0.8 * 301))
        best = min(range(301 - k), key=lambda i: s[i + k] - s[i])  # every window of k + 1 draws
        assert r.lower["conversions"][c] == s[best] and r.upper["conversions"][c] == s[best + k]
    np.testing.assert_allclose(r.upper["removal_effect"], r.upper["conversions"] / 10)
    eti = r.replace(ci_kind="eti", draws=r.draws)
    assert np.all(eti.upper["conversions"] - eti.lower["conversions"]
                  >= r.upper["conversions"] - r.lower["conversions"])  # fmt: skip


def test_compare_against_a_baseline_as_ga_model_comparison():
    j = Journeys.from_paths([["A", "B", "C"], ["C"], ["B", "A"]], conversions=[3, 1, 2])
    last = pc.attribute(j, model="last_touch")  # A 2, B 0, C 4
    lin = pc.attribute(j, model="linear")  # A 1 + 1, B 1 + 1, C 1 + 1
    t = pc.compare([last, lin], baseline="last_touch")
    assert list(t.columns.get_level_values(0).unique()) == ["linear"]
    np.testing.assert_allclose(t["linear"]["conversions"], [2.0, 2.0, 2.0])
    np.testing.assert_allclose(t["linear"]["change"], [0.0, 2.0, -2.0])
    pct = t["linear"]["change_pct"].to_numpy()
    assert pct[0] == 0.0 and np.isnan(pct[1]) and pct[2] == -50.0  # B: baseline gave it 0
    with pytest.raises(ModelError, match="baseline 'first_touch' is not one of"):
        pc.compare([last, lin], baseline="first_touch")


def test_attributes_cannot_be_reassigned(journeys):
    r = pc.attribute(journeys, model="linear")
    with pytest.raises(AttributeError, match="immutable; use result.replace"):
        r.model = "something else"
    with pytest.raises(TypeError):
        r.extras["x"] = 1
    assert r.replace(label="other").label == "other" and r.label == "linear"


def test_per_journey_tables_are_built_on_demand(journeys, monkeypatch):
    from pathcredit.models import _coalitions

    calls = []
    real = _coalitions._pair_labels
    monkeypatch.setattr(_coalitions, "_pair_labels", lambda *a: calls.append(1) or real(*a))
    r = pc.attribute(journeys, model="shapley", value_function="conversion_rate")
    json.dumps(r.to_dict())  # JSON leaves tables out: still not built
    assert calls == [] and r.extras.is_lazy("journey_credit")
    table = r.extras["journey_credit"]
    assert calls == [1]
    # the table is the credit split per journey: it sums back to the channel totals
    sums = table.groupby("channel")["conversions"].sum().reindex(list(r.channels)).to_numpy()
    np.testing.assert_allclose(sums, r.conversions, rtol=1e-9)
    r.extras["journey_credit"]
    assert calls == [1]  # computed once
