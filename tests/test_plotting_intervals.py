"""Uncertainty plots render (Agg backend) and draw exactly the results' numbers."""

import io
import warnings

import numpy as np
import pytest
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.container import ErrorbarContainer

import pathcredit as pc
from pathcredit import AttributionResult, Journeys, ModelError
from pathcredit.models.bootstrap import BootstrapWarning
from pathcredit.plotting import plot_intervals, plot_removal_effects


@pytest.fixture(scope="module")
def journeys():
    return Journeys.from_paths(
        [["A", "B", "C"], ["B", "C"], ["A"], ["C"], ["B"]],
        conversions=[40, 30, 12, 25, 8],
        nulls=[300, 400, 500, 350, 450],
    )


@pytest.fixture(scope="module")
def interval_results(journeys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BootstrapWarning)
        boot = pc.bootstrap(journeys, model="markov", n_resamples=150, seed=3)
    bayes = pc.attribute(journeys, model="bayesian_markov", draws=300, seed=2)
    return [boot, bayes]


def _rendered(ax):
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png")
    return buf.getbuffer().nbytes


def _errorbars(ax):
    return [c for c in ax.containers if isinstance(c, ErrorbarContainer)]


def _xspans(container):
    """(lower, upper, y) of every horizontal bar of an error-bar container."""
    (coll,) = [c for c in container.lines[2] if isinstance(c, LineCollection)]
    segs = coll.get_segments()
    return (np.array([s[0, 0] for s in segs]), np.array([s[1, 0] for s in segs]),
            np.array([s[0, 1] for s in segs]))  # fmt: skip


def test_forest_bars_are_the_intervals_and_truth_is_drawn(interval_results, journeys):
    truth = {"A": 0.2, "B": 0.3, "C": 0.5}
    ax = plot_intervals(interval_results, truth=truth)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(journeys.channels)
    bars = _errorbars(ax)
    assert len(bars) == 2
    for container, r in zip(bars, interval_results, strict=True):
        lo, hi, y = _xspans(container)
        np.testing.assert_allclose(lo, r.lower["share"])
        np.testing.assert_allclose(hi, r.upper["share"])
        x_dot, y_dot = container.lines[0].get_data()
        np.testing.assert_allclose(x_dot, r.conversions / r.total_conversions)
        # each result's row i sits within channel i's band
        np.testing.assert_array_equal(np.round(y), np.arange(3))
        np.testing.assert_allclose(y, y_dot)
    # the two models are side by side, not on top of each other, and in distinct colours
    assert np.all(_xspans(bars[0])[2] < _xspans(bars[1])[2])
    colours = {tuple(c.lines[0].get_color()) if not isinstance(c.lines[0].get_color(), str)
               else c.lines[0].get_color() for c in bars}  # fmt: skip
    assert len(colours) == 2
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["markov (bootstrap)", "bayesian_markov(draws=300, seed=2)", "truth"]
    (dots,) = [c for c in ax.collections if c.get_label() == "truth"]
    np.testing.assert_allclose(dots.get_offsets(), [[0.2, 0], [0.3, 1], [0.5, 2]])
    assert "90% intervals" in ax.get_xlabel()
    assert _rendered(ax) > 10_000


def test_conversions_value_and_share_from_conversion_bounds():
    r = AttributionResult(
        "m", {}, ["A", "B"], [3.0, 1.0], [30.0, 20.0],
        total_conversions=4.0, total_value=50.0,
        lower={"conversions": [2.0, 0.5], "value": [25.0, 10.0]},
        upper={"conversions": [3.5, 2.0], "value": [40.0, 22.0]},
        ci_prob=0.8,
    )  # fmt: skip
    ax = plot_intervals(r, metric="conversions")
    lo, hi, _ = _xspans(_errorbars(ax)[0])
    np.testing.assert_allclose(lo, [2.0, 0.5])
    np.testing.assert_allclose(hi, [3.5, 2.0])
    assert "80% intervals" in ax.get_xlabel()
    ax = plot_intervals(r, metric="value")
    lo, hi, _ = _xspans(_errorbars(ax)[0])
    np.testing.assert_allclose(lo, [25.0, 10.0])
    np.testing.assert_allclose(hi, [40.0, 22.0])
    # no share bounds: the conversion bounds over the total
    ax = plot_intervals(r, metric="share")
    lo, hi, _ = _xspans(_errorbars(ax)[0])
    np.testing.assert_allclose(lo, [0.5, 0.125])
    np.testing.assert_allclose(hi, [0.875, 0.5])


def test_channels_of_every_result_and_of_the_truth_get_a_row():
    a = AttributionResult(
        "a",
        {},
        ["A", "B"],
        [1.0, 1.0],
        total_conversions=2,
        ci_prob=0.9,
        lower={"conversions": [0.5, 0.5]},
        upper={"conversions": [1.5, 1.5]},
    )
    b = AttributionResult(
        "b",
        {},
        ["C", "A"],
        [1.0, 3.0],
        total_conversions=4,
        ci_prob=0.9,
        lower={"conversions": [0.5, 2.0]},
        upper={"conversions": [2.0, 3.5]},
    )
    # fmt: skip
    import pandas as pd

    ax = plot_intervals([a, b], truth=pd.Series({"D": 0.1, "A": 0.5}))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B", "C", "D"]
    _, _, yb = _xspans(_errorbars(ax)[1])
    np.testing.assert_array_equal(np.round(yb), [2, 0])  # C, then A
    (dots,) = [c for c in ax.collections if c.get_label() == "truth"]
    np.testing.assert_allclose(dots.get_offsets(), [[0.5, 0], [0.1, 3]])


def test_refusals(journeys, interval_results):
    point = pc.attribute(journeys, model="linear")
    with pytest.raises(ModelError, match="no intervals of share.*bootstrap"):
        plot_intervals([interval_results[0], point])
    with pytest.raises(ModelError, match="no value"):
        plot_intervals(interval_results[0], metric="value")
    with pytest.raises(ModelError, match="unknown metric"):
        plot_intervals(interval_results, metric="removal")
    with pytest.raises(ModelError, match="labelled"):
        plot_intervals([interval_results[0], interval_results[0]])
    with pytest.raises(ModelError, match="at least one"):
        plot_intervals([])
    with pytest.raises(ModelError, match="truth must be"):
        plot_intervals(interval_results, truth=[0.2, 0.3, 0.5])
    many = [interval_results[1].replace(label=f"m{k}") for k in range(21)]
    with pytest.raises(ModelError, match="at most 20"):
        plot_intervals(many)
    with pytest.raises(ModelError, match="no removal-effect draws"):
        plot_removal_effects(point)
    linear_boot = pc.bootstrap(journeys, model="linear", n_resamples=20, seed=0)
    with pytest.raises(ModelError, match="no removal-effect draws"):
        plot_removal_effects([interval_results[1], linear_boot])


def test_removal_effect_violins_bars_and_points(interval_results, journeys):
    import arviz as az

    ax = plot_removal_effects(interval_results)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(journeys.channels)
    bodies = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bodies) == 2 * 3
    bars = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert [b.get_label() for b in bars] == [r.label for r in interval_results]
    for k, r in enumerate(interval_results):
        flat = np.asarray(r.draws["removal_effect"]).reshape(-1, 3)
        # each violin spans its channel's draws, from the smallest to the largest
        for i in range(3):
            x = bodies[3 * k + i].get_paths()[0].vertices[:, 0]
            assert x.min() == pytest.approx(flat[:, i].min())
            assert x.max() == pytest.approx(flat[:, i].max())
        segs = bars[k].get_segments()
        lo = np.array([s[0, 0] for s in segs])
        hi = np.array([s[1, 0] for s in segs])
        if k == 0:  # the bootstrap's own percentile bounds
            np.testing.assert_allclose(lo, r.lower["removal_effect"])
            np.testing.assert_allclose(hi, r.upper["removal_effect"])
        else:  # the posterior's 90% HDI, recomputed by ArviZ
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                want = az.hdi(flat[None], hdi_prob=0.9)
            np.testing.assert_allclose(np.c_[lo, hi], want, atol=1e-12)
        points = [ln for ln in ax.get_lines()][k].get_xdata()
        eff = r.extras["removal_effects"]
        np.testing.assert_allclose(points, [eff[c] for c in r.channels])
    assert _rendered(ax) > 10_000
