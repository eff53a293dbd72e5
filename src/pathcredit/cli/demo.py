"""``pathcredit demo``: every model on the bundled example journeys, a table and a figure."""

from __future__ import annotations

from pathlib import Path

import click

from ._output import write_atomic

__all__ = ["demo"]


@click.command("demo")
@click.option(
    "--output",
    type=click.Path(dir_okay=False),
    default="pathcredit-demo.png",
    show_default=True,
    help="Where to write the comparison figure.",
)
def demo(output):
    """Run every model on the bundled example journeys, print a comparison, write a figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..datasets import load_example_paths
    from ..exceptions import ModelError
    from ..models import _REGISTRY
    from ..models import attribute as run
    from ..plotting import plot_attribution
    from ..results import compare

    journeys = load_example_paths()
    click.echo(f"example data: {journeys!r}")
    results, skipped = [], []
    from tqdm import tqdm

    # progress on stderr, only when it is a terminal (disable=None)
    for name in tqdm(list(_REGISTRY), desc="models", unit="model", disable=None, leave=False):
        try:
            results.append(run(journeys, model=name))
        except ModelError as exc:
            skipped.append(f"{name}: {exc}")
    shares = compare(results, metric="share")
    click.echo("\nshare of conversions by model:\n")
    click.echo(shares.T.to_string(float_format=lambda x: f"{x:.3f}"))
    for s in skipped:
        click.echo(f"\nskipped {s}")
    additive = [r for r in results if r.additive]
    fig, ax = plt.subplots(figsize=(12, 5))
    plot_attribution(additive, ax=ax, title="pathcredit example data: share of conversions")
    fig.tight_layout()
    target = Path(output)
    kind = target.suffix.lstrip(".").lower() or "png"  # the temporary file has no telling suffix
    try:
        write_atomic(target, lambda tmp: fig.savefig(tmp, dpi=110, format=kind))
    finally:
        plt.close(fig)
    click.echo(f"\nwrote {target}")
