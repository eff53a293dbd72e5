"""``pathcredit demo``: every model on the bundled example journeys, scored against their truth.

The example journeys are a sample of the simulator's ``markov`` scenario, so the true
credit is known (:func:`pathcredit.load_example_truth`). The demo prints each model's
shares beside the true shares and each model's error: the total variation distance
between its shares and the true ones (half the sum of the absolute differences: the
share of credit put on the wrong channels), against both definitions of the truth.

The figure answers the question a team brings to such a comparison: for the few models
it would choose between (:data:`FIGURE_MODELS`), where each one's shares sit against the
truth, with a 90 % interval for every model (bootstrap for the rules, Markov and
Shapley; posterior for the Bayesian models), and which channels each over- or
under-credits (:func:`demo_figure`).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import click
import numpy as np

from ..benchmark.metrics import share_metrics
from ..datasets import load_example_paths, load_example_truth
from ..exceptions import ModelError
from ..models import _REGISTRY
from ..models import attribute as run
from ..models.bootstrap import bootstrap
from ..plotting.intervals import _bounds
from ..results import compare
from ._output import output_file, write_atomic

__all__ = ["demo"]


def demo_tables(results, truth):
    """Shares by model with the truth beside them, and each additive model's error.

    Returns ``(shares, errors)``: ``shares`` has one row per channel, a column per
    model and the columns ``truth: incremental`` and ``truth: removal``; ``errors``
    one row per additive model (sorted by the error against the incremental truth),
    columns ``incremental`` and ``removal`` (total variation distances).
    """
    import pandas as pd

    shares = compare(results, metric="share")
    truth_cols = {
        f"truth: {kind}": pd.Series(truth.share(kind), index=list(truth.channels))
        for kind in ("incremental", "removal")
    }
    order = list(truth.channels)
    shares = shares.reindex(order)
    for name, col in truth_cols.items():
        shares[name] = col.reindex(order)
    rows = {}
    for r in results:
        if not r.additive:  # shares that do not sum to one have no distance to the truth
            continue
        label = r.label
        est = shares[label].fillna(0.0).to_numpy()
        rows[label] = {
            kind: share_metrics(est, truth.share(kind))["tv_distance"]
            for kind in ("incremental", "removal")
        }
    errors = pd.DataFrame.from_dict(rows, orient="index").sort_values("incremental")
    errors.index.name = "model"
    return shares, errors


#: The models a team compares, in the figure's order: Google's last click and last
#: non-direct, the position-based and linear rules, the Markov and Shapley models, and
#: the Bayesian ones (``bayesian_response`` only when its extra is installed). The table
#: shows every registered model; the figure only these, so each is readable.
FIGURE_MODELS = (
    "last_touch",
    "last_non_direct",
    "position_based",
    "linear",
    "markov",
    "shapley",
    "bayesian_markov",
    "bayesian_response",
)
#: Bootstrap resamples for the rule, Markov and Shapley models' intervals in the figure:
#: enough for stable 90 % bounds on the example data while keeping the demo quick (the
#: rules and Markov resample in vectorised batches; shapley reruns its game per resample
#: and costs most of it).
FIGURE_RESAMPLES = 200
#: Paul Tol's "muted" qualitative scheme (https://personal.sron.nl/~pault/), designed to
#: stay distinguishable under the common colour-vision deficiencies; one marker shape per
#: model as well, so no model is told apart by colour alone.
PALETTE = ("#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE", "#882255", "#44AA99",
           "#999933", "#AA4499")  # fmt: skip
MARKERS = ("o", "s", "^", "v", "p", "P", "X", "*", "h")  # diamonds: the truth


def figure_results(journeys, results):
    """The figure's models, each with 90 % intervals, and the warnings they raised.

    Rule models, ``markov`` and ``shapley`` get percentile intervals from
    :func:`pathcredit.bootstrap` (:data:`FIGURE_RESAMPLES` resamples, seed 0), labelled by
    their model name; the Bayesian models keep their posterior intervals. A model absent
    from ``results`` (skipped: e.g. ``bayesian_response`` without PyMC) is left out.
    """
    done = {r.model: r for r in results}
    shown, notes = [], []
    for name in FIGURE_MODELS:
        if name not in done:
            continue
        r = done[name]
        if not r.lower:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                r = bootstrap(journeys, model=name, n_resamples=FIGURE_RESAMPLES, seed=0)
            notes += [f"{name} (bootstrap): {w.message}" for w in caught]
        shown.append(r.replace(label=name))
    return shown, notes


def demo_figure(results, truth, *, errors=None):
    """Each model's shares against the truth, and its difference from the truth.

    Parameters
    ----------
    results : list of AttributionResult
        Additive results with share intervals (:func:`figure_results`).
    truth : pathcredit.simulate.Truth
        The example data's truth (:func:`pathcredit.load_example_truth`).
    errors : pandas.DataFrame, optional
        :func:`demo_tables`' errors; each model's total variation distance to the
        incremental truth is then written in the legend.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels sharing the channel rows (channels in the truth's order, top to
        bottom; within a channel the models in ``results`` order). Left: each model's
        share (marker) with its 90 % interval (bar), and the incremental (solid) and
        removal (dotted) true shares as black vertical ticks. Right: the model's share
        minus the incremental true share, with the interval shifted alike, a zero line,
        and the removal truth's difference as an open black diamond. One error-bar
        container per model and panel, in ``results`` order.

    Notes
    -----
    The difference panel answers what a team asks of the comparison: which channels a
    model over- or under-credits, by how much, and whether the interval (sampling noise
    of these 40,000 journeys) could explain it. A bar that does not reach the zero line
    is a bias the data resolve; the intervals never show the bias itself.
    """
    import matplotlib.pyplot as plt

    if len(results) > len(PALETTE):
        raise ModelError(f"the demo figure shows at most {len(PALETTE)} models")
    channels = list(truth.channels)
    inc = np.asarray(truth.share("incremental"), dtype=float)
    rem = np.asarray(truth.share("removal"), dtype=float)
    n, k = len(channels), len(results)
    fig, (ax, dx) = plt.subplots(
        1, 2, figsize=(12, 0.75 * n * max(k, 4) / 4 + 2.2), sharey=True, layout="constrained"
    )
    rows = np.arange(n)[::-1].astype(float)  # first channel on top
    step = 0.8 / max(k, 1)
    offsets = (np.arange(k) - (k - 1) / 2) * -step
    for i, r in enumerate(results):
        point, lo, hi = _bounds(r, "share")
        pos = {c: j for j, c in enumerate(r.channels)}
        idx = [pos.get(c) for c in channels]
        p, low, up = (
            np.array([a[j] if j is not None else np.nan for j in idx]) for a in (point, lo, hi)
        )
        y = rows + offsets[i]
        label = r.label
        if errors is not None and r.label in errors.index:
            label = f"{r.label} (off by {errors.loc[r.label, 'incremental']:.3f})"
        style = dict(fmt=MARKERS[i], color=PALETTE[i], ms=5, capsize=0, elinewidth=1.6)
        ax.errorbar(p, y, xerr=[p - low, up - p], label=label, **style)
        dx.errorbar(p - inc, y, xerr=[p - low, up - p], **style)
    half = 0.45
    ax.vlines(inc, rows - half, rows + half, colors="black", linewidth=2,
              label="truth: incremental")  # fmt: skip
    ax.vlines(rem, rows - half, rows + half, colors="black", linestyles=":", linewidth=2,
              label="truth: removal")  # fmt: skip
    dx.axvline(0, color="black", linewidth=2)
    dx.plot(rem - inc, rows, "D", mfc="none", mec="black", ms=7,
            label="truth: removal (right: minus incremental)")  # fmt: skip
    for a in (ax, dx):
        a.set_yticks(rows, channels)
        a.grid(axis="x", alpha=0.3)
        for b in rows[:-1] - 0.5:
            a.axhline(b, color="0.85", linewidth=0.8)
    ax.set_ylim(rows[-1] - 0.6, rows[0] + 0.6)
    ax.set_xlabel("share of conversions (bar: 90% interval)")
    dx.set_xlabel("share minus the true incremental share (right: over-credited)")
    ax.set_title("Each model's shares and the true shares")
    dx.set_title("Over- or under-credited: difference from the truth, per channel")
    fig.suptitle(
        "pathcredit example data (simulated, so the truth is known): intervals are 90% "
        f"bootstrap ({FIGURE_RESAMPLES} resamples) for the rules, markov and shapley, "
        "posterior for the Bayesian models; (off by: total variation distance to the "
        "incremental truth)",
        fontsize="small",
        wrap=True,
    )
    handles, labels = ax.get_legend_handles_labels()
    more = dx.get_legend_handles_labels()
    handles, labels = handles + more[0], labels + more[1]
    fig.legend(handles, labels, loc="outside lower center", ncol=min(4, len(labels)),
               fontsize="small", frameon=False)  # fmt: skip
    return fig


@click.command("demo")
@click.option(
    "--output",
    type=click.Path(dir_okay=False),
    default="pathcredit-demo.png",
    show_default=True,
    help="Where to write the comparison figure.",
)
def demo(output):
    """Run every model on the bundled example journeys, score it against the known truth,
    write a figure."""
    output_file(output)  # before the work
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    journeys = load_example_paths()
    truth, about = load_example_truth(with_params=True)
    click.echo(f"example data: {journeys!r}")
    click.echo(
        f"simulated from the '{about['scenario']}' scenario ({about['n_journeys']:,} journeys, "
        f"seed {about['seed']}), so the true credit is known: pathcredit.load_example_truth()"
    )
    results, skipped, notes = [], [], []
    from tqdm import tqdm

    # progress on stderr, only when it is a terminal (disable=None)
    for name in tqdm(list(_REGISTRY), desc="models", unit="model", disable=None, leave=False):
        # a model's warnings (e.g. a sampler's diagnostics) are printed with its name
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                results.append(run(journeys, model=name))
            except ModelError as exc:
                skipped.append(f"{name}: {exc}")
        notes += [f"{name}: {w.message}" for w in caught]
    shares, errors = demo_tables(results, truth)
    click.echo("\nshare of conversions by model, and the true shares:\n")
    click.echo(shares.T.to_string(float_format=lambda x: f"{x:.3f}"))
    click.echo(
        "\nerror against the truth: total variation distance, the share of credit put on the "
        "wrong channels\n(incremental: Shapley value of each journey's incremental game; "
        "removal: conversions lost when the channel is withheld)\n"
    )
    click.echo(errors.to_string(float_format=lambda x: f"{x:.3f}"))
    left_out = [r.label for r in results if not r.additive]
    if left_out:
        click.echo(f"(not scored, their shares do not add up to one: {', '.join(left_out)})")
    best = {kind: errors[kind].idxmin() for kind in ("incremental", "removal")}
    click.echo(
        f"\nnearest the incremental truth: {best['incremental']} "
        f"({errors.loc[best['incremental'], 'incremental']:.3f}); nearest the removal truth: "
        f"{best['removal']} ({errors.loc[best['removal'], 'removal']:.3f}); last click: "
        f"{errors.loc['last_touch', 'incremental']:.3f} and "
        f"{errors.loc['last_touch', 'removal']:.3f}"
    )
    for s in skipped:
        click.echo(f"\nskipped {s}")
    for s in dict.fromkeys(notes):
        click.echo(f"\nwarning from {s}")
    shown, more_notes = figure_results(journeys, results)
    notes += more_notes
    for s in dict.fromkeys(more_notes):
        click.echo(f"\nwarning from {s}")
    fig = demo_figure(shown, truth, errors=errors)
    target = Path(output)
    kind = target.suffix.lstrip(".").lower() or "png"  # the temporary file has no telling suffix
    try:
        write_atomic(target, lambda tmp: fig.savefig(tmp, dpi=110, format=kind))
    finally:
        plt.close(fig)
    click.echo(f"\nwrote {target}")
