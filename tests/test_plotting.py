"""Plots render (Agg backend) and show what they claim."""

import numpy as np

from pathcredit import AttributionResult, Journeys, attribute, load_example_paths
from pathcredit.plotting import plot_attribution


def test_plot_attribution_bars_match_shares(tmp_path):
    j = load_example_paths()
    results = [attribute(j, model=m) for m in ["first_touch", "last_touch", "participation"]]
    ax = plot_attribution(results)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(j.channels)
    bars = ax.containers
    assert len(bars) == 3
    np.testing.assert_allclose([b.get_height() for b in bars[0]], results[0].share)
    assert bars[2].patches[0].get_hatch() == "//"  # not additive
    out = tmp_path / "fig.png"
    ax.figure.savefig(out)
    assert out.stat().st_size > 10_000


def test_plot_attribution_draws_intervals():
    j = Journeys.from_paths([["A"], ["B"]], conversions=[1, 1])
    r = AttributionResult(
        "m",
        {},
        ["A", "B"],
        [1.0, 1.0],
        total_conversions=2.0,
        lower={"conversions": [0.5, 0.8]},
        upper={"conversions": [1.5, 1.1]},
        ci_prob=0.9,
    )
    ax = plot_attribution(r, metric="conversions")
    bars = next(c for c in ax.containers if hasattr(c, "errorbar"))
    seg = bars.errorbar.lines[2][0].get_segments()
    np.testing.assert_allclose([s[:, 1] for s in seg], [[0.5, 1.5], [0.8, 1.1]])
    assert j.n_paths == 2


def test_every_model_its_own_colour_and_a_heatmap_beyond_twenty():
    from matplotlib.image import AxesImage

    from pathcredit import Journeys, attribute, plot_attribution

    j = Journeys.from_paths([["A", "B", "C"], ["C"]], conversions=[3, 1])
    results = [
        attribute(j, model="custom", first=float(k + 1), middle=1.0, last=1.0) for k in range(12)
    ]
    ax = plot_attribution(results, metric="conversions")
    colours = {tuple(c.patches[0].get_facecolor()) for c in ax.containers}
    assert len(colours) == 12  # a 10-colour cycle would repeat two of them
    many = [attribute(j, model="custom", first=float(k + 1)) for k in range(21)]
    ax = plot_attribution(many, metric="conversions")
    (image,) = [a for a in ax.get_children() if isinstance(a, AxesImage)]
    np.testing.assert_allclose(image.get_array()[:, 0], many[0].conversions)
    assert [t.get_text() for t in ax.get_xticklabels()][0] == many[0].label
