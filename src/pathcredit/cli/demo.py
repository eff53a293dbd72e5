"""``pathcredit demo``: every model on the bundled example journeys, scored against their truth.

The example journeys are a sample of the simulator's ``markov`` scenario, so the true
credit is known (:func:`pathcredit.load_example_truth`). The demo prints each model's
shares beside the true shares and each model's error: the total variation distance
between its shares and the true ones (half the sum of the absolute differences: the
share of credit put on the wrong channels), against both definitions of the truth.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import click
import numpy as np

from ._output import write_atomic

__all__ = ["demo"]


def demo_tables(results, truth):
    """Shares by model with the truth beside them, and each additive model's error.

    Returns ``(shares, errors)``: ``shares`` has one row per channel, a column per
    model and the columns ``truth: incremental`` and ``truth: removal``; ``errors``
    one row per additive model (sorted by the error against the incremental truth),
    columns ``incremental`` and ``removal`` (total variation distances).
    """
    import pandas as pd

    from ..benchmark.metrics import share_metrics
    from ..results import compare

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
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..datasets import load_example_paths, load_example_truth
    from ..exceptions import ModelError
    from ..models import _REGISTRY
    from ..models import attribute as run
    from ..plotting import plot_attribution

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
    additive = [r for r in results if r.additive]
    fig, ax = plt.subplots(figsize=(12, 5))
    plot_attribution(additive, ax=ax, title="pathcredit example data: share of conversions")
    # the truth drawn across each channel's group of bars, one line per definition
    channel_pos = {t.get_text(): t.get_position()[0] for t in ax.get_xticklabels()}
    for kind, style in (("incremental", "-"), ("removal", ":")):
        shown = [
            (channel_pos[c], s)
            for c, s in zip(truth.channels, truth.share(kind), strict=True)
            if c in channel_pos
        ]
        xs = np.array([x for x, _ in shown])
        ax.hlines(
            [s for _, s in shown],
            xs - 0.45,
            xs + 0.45,
            colors="black",
            linestyles=style,
            linewidth=2,
            zorder=5,
            label=f"truth: {kind}",
        )
    ax.legend(fontsize="small", ncol=4)
    fig.tight_layout()
    target = Path(output)
    kind = target.suffix.lstrip(".").lower() or "png"  # the temporary file has no telling suffix
    try:
        write_atomic(target, lambda tmp: fig.savefig(tmp, dpi=110, format=kind))
    finally:
        plt.close(fig)
    click.echo(f"\nwrote {target}")
