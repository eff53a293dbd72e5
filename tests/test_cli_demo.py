"""``pathcredit demo``'s figure draws exactly the models' numbers, and the README's demo
paragraph states what the demo computes (Agg backend, no screen).

The numbers checked against are computed here independently of the figure code: shares
from the results, truth from the bundled ``example_truth.json``, total variation distances
by hand.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402

import pathcredit as pc  # noqa: E402
from pathcredit.cli.demo import (  # noqa: E402
    FIGURE_MODELS,
    FIGURE_RESAMPLES,
    PALETTE,
    demo_figure,
    demo_tables,
    figure_results,
)

ROOT = Path(__file__).parents[1]
#: the figure's models without bayesian_response (a PyMC fit: the demo's slow part; the
#: figure code treats it like bayesian_markov, a posterior with intervals)
FAST = [m for m in FIGURE_MODELS if m != "bayesian_response"]


@pytest.fixture(scope="module")
def example():
    j = pc.load_example_paths()
    truth = pc.load_example_truth()
    raw = json.loads((pc.datasets.example_paths_file().parent / "example_truth.json").read_text())
    true = {
        kind: pd.Series({c: v["share"] for c, v in raw["truth"][kind].items()})
        for kind in ("incremental", "removal")
    }
    return j, truth, true


@pytest.fixture(scope="module")
def figure(example):
    j, truth, _ = example
    results = [pc.attribute(j, model=m) for m in FAST]
    shares, errors = demo_tables(results, truth)
    shown, notes = figure_results(j, results)
    fig = demo_figure(shown, truth, errors=errors)
    yield fig, shown, results, errors, notes
    plt.close(fig)


def _bars(ax):
    return [c for c in ax.containers if isinstance(c, ErrorbarContainer)]


def _spans(container):
    """(lower, upper) x of every horizontal bar of an error-bar container."""
    (coll,) = [c for c in container.lines[2] if isinstance(c, LineCollection)]
    segs = coll.get_segments()
    return np.array([s[0, 0] for s in segs]), np.array([s[1, 0] for s in segs])


def test_figure_shows_the_models_a_team_compares_each_with_an_interval(figure, example):
    fig, shown, results, _, notes = figure
    j = example[0]
    assert [r.label for r in shown] == FAST  # in that order, named as on the command line
    for r in shown:
        assert set(r.lower) >= {"share"} or set(r.lower) >= {"conversions"}
        assert r.ci_prob == 0.9  # the README's "90% interval"
    # the rule, Markov and Shapley intervals are bootstraps of the model itself
    lt = next(r for r in shown if r.label == "last_touch")
    assert lt.draws["share"].shape == (1, FIGURE_RESAMPLES, j.n_channels)
    np.testing.assert_allclose(lt.share, pc.attribute(j, model="last_touch").share)
    assert not notes  # no bootstrap warning on 923 conversions


def test_left_panel_draws_shares_intervals_and_both_truths(figure, example):
    fig, shown, _, _, _ = figure
    _, truth, true = example
    ax, dx = fig.axes[:2]
    chans = list(truth.channels)
    assert [t.get_text() for t in ax.get_yticklabels()] == chans
    bars = _bars(ax)
    assert len(bars) == len(shown)
    for container, r in zip(bars, shown, strict=True):
        order = [list(r.channels).index(c) for c in chans]
        x, _ = container.lines[0].get_data()
        np.testing.assert_allclose(x, r.share[order])
        lo, hi = _spans(container)
        t = r.total_conversions
        want_lo = r.lower["share"] if "share" in r.lower else r.lower["conversions"] / t
        want_hi = r.upper["share"] if "share" in r.upper else r.upper["conversions"] / t
        np.testing.assert_allclose(lo, np.asarray(want_lo)[order])
        np.testing.assert_allclose(hi, np.asarray(want_hi)[order])
        assert np.all(lo <= x + 1e-12) and np.all(x <= hi + 1e-12)
    ticks = [c for c in ax.collections if isinstance(c, LineCollection) and c not in
             [cc for b in bars for cc in b.lines[2]]]  # fmt: skip
    xs = sorted(tuple(np.round([s[0, 0] for s in c.get_segments()], 12)) for c in ticks)
    want = sorted(tuple(np.round(true[k][chans].to_numpy(), 12)) for k in true)
    assert xs == want  # one vertical tick per channel and truth, at the true share


def test_right_panel_is_the_difference_from_the_incremental_truth(figure, example):
    fig, shown, _, _, _ = figure
    _, truth, true = example
    dx = fig.axes[1]
    chans = list(truth.channels)
    inc = true["incremental"][chans].to_numpy()
    for container, r in zip(_bars(dx), shown, strict=True):
        order = [list(r.channels).index(c) for c in chans]
        x, _ = container.lines[0].get_data()
        np.testing.assert_allclose(x, r.share[order] - inc)
        lo, hi = _spans(container)
        assert np.all(lo <= x + 1e-12) and np.all(x <= hi + 1e-12)
    (diamonds,) = [ln for ln in dx.lines if ln.get_marker() == "D"]
    np.testing.assert_allclose(diamonds.get_xdata(), true["removal"][chans].to_numpy() - inc)
    assert any(np.allclose(ln.get_xdata(), 0) for ln in dx.lines)  # the zero line


def test_each_model_has_its_own_colour_and_marker(figure):
    fig, shown, _, _, _ = figure
    bars = _bars(fig.axes[0])
    colours = [to_hex(b.lines[0].get_color()) for b in bars]
    markers = [b.lines[0].get_marker() for b in bars]
    assert len(set(colours)) == len(shown) and len(set(markers)) == len(shown)
    assert colours == [c.lower() for c in PALETTE[: len(shown)]]


def test_legend_states_each_models_distance_to_the_truth(figure, example):
    fig, shown, results, _, _ = figure
    _, truth, true = example
    (legend,) = fig.legends
    texts = [t.get_text() for t in legend.get_texts()]
    for r in results:
        by_hand = (
            0.5 * (pd.Series(r.share, index=list(r.channels)) - true["incremental"]).abs().sum()
        )
        assert f"{r.label} (off by {by_hand:.3f})" in texts
    assert "truth: incremental" in texts and "truth: removal" in texts


def test_figure_renders_and_refuses_too_many_models(figure, example, tmp_path):
    fig, shown, _, _, _ = figure
    out = tmp_path / "demo.png"
    fig.savefig(out, dpi=60)
    assert out.stat().st_size > 20_000
    with pytest.raises(pc.ModelError, match="at most"):
        demo_figure(shown * 2, example[1])


# ------------------------------------------------------------------ the README's paragraph
def _readme_demo_paragraph() -> str:
    text = (ROOT / "README.md").read_text()
    para = text.split("The example journeys are a sample", 1)[1].split("\n\n", 1)[0]
    return re.sub(r"\s+", " ", para)


def test_readme_demo_paragraph_states_the_demos_numbers(example):
    j, truth, _ = example
    para = _readme_demo_paragraph()
    from pathcredit.datasets import load_example_truth
    from pathcredit.simulate import SCENARIOS

    _, about = load_example_truth(with_params=True)
    m = re.search(r"`(\w+)` world \(([\d,]+) journeys, (\w+) channels\)", para)
    assert m, para
    words = {"six": 6, "seven": 7, "eight": 8, "five": 5}
    assert m.group(1) == about["scenario"]
    assert int(m.group(2).replace(",", "")) == about["n_journeys"]
    assert words[m.group(3)] == j.n_channels
    results = [pc.attribute(j, model=m) for m in ["last_touch", "linear", "shapley", "markov",
                                                   "bayesian_markov"]]  # fmt: skip
    _, errors = demo_tables(results, truth)
    m = re.search(r"linear and Shapley are about (\d\.\d+) off", para)
    assert m and round(errors.loc["linear", "incremental"], 2) == float(m.group(1))
    assert round(errors.loc["shapley", "incremental"], 2) == float(m.group(1))
    m = re.search(
        r"Markov models \(exact and Bayesian\) are nearest the removal truth \((\d\.\d+)\)", para
    )
    assert m
    assert set(errors["removal"].nsmallest(2).index) == {"markov", "bayesian_markov"}
    assert round(errors["removal"].min(), 2) == float(m.group(1))
    m = re.search(r"scores every model in (\w+) of them", para)
    assert m and {"nine": 9, "ten": 10, "eight": 8}[m.group(1)] == len(SCENARIOS)
    # the figure's models, as the README lists them
    assert "last click, last non-direct, position-based, linear, Markov, Shapley" in para
