"""Channel-by-channel comparison of models."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..exceptions import ModelError

__all__ = ["plot_attribution"]


def plot_attribution(results, *, metric: str = "share", ax=None, title: str | None = None):
    """Grouped bars: one group per channel, one bar per model.

    Parameters
    ----------
    results : AttributionResult or sequence of them
    metric : {"share", "conversions", "value"}, default "share"
    ax : matplotlib Axes, optional
        Drawn on a new figure when omitted.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Bars of non-additive models (participation) are hatched: their shares do not
    sum to one. Interval bounds, when a model gives them, are drawn as error bars.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from pathcredit import Journeys, attribute, plot_attribution
    >>> j = Journeys.from_paths([["A", "B"], ["B"]], conversions=[1, 1])
    >>> ax = plot_attribution([attribute(j, model="first_touch"), attribute(j, model="linear")])
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['A', 'B']
    """
    import matplotlib.pyplot as plt

    from ..results import AttributionResult, compare

    if isinstance(results, AttributionResult):
        results = [results]
    results = list(results)
    if not results:
        raise ModelError("plot_attribution needs at least one result")
    table = compare(results, metric=metric)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(table.index) + 2), 4.5))
    n_models = len(results)
    width = 0.8 / n_models
    x = np.arange(len(table.index))
    for k, r in enumerate(results):
        heights = table[r.label].to_numpy(dtype=float)
        yerr = _errors(r, metric, table.index)
        ax.bar(
            x - 0.4 + width * (k + 0.5),
            np.nan_to_num(heights),
            width,
            label=r.label + ("" if r.additive else " (not additive)"),
            hatch=None if r.additive else "//",
            yerr=yerr,
        )
    ax.set_xticks(x, list(table.index), rotation=30 if len(x) > 6 else 0)
    ax.set_ylabel({"share": "share of conversions"}.get(metric, f"credited {metric}"))
    ax.set_title(title or f"Attribution by channel ({metric})")
    ax.legend(fontsize="small", ncols=2 if n_models > 4 else 1)
    ax.grid(axis="y", alpha=0.3)
    return ax


def _errors(result, metric: str, channels: Sequence[str]):
    base = "conversions" if metric == "share" else metric
    lo, hi = result.lower.get(base), result.upper.get(base)
    if lo is None or hi is None:
        return None
    scale = 1.0 / result.total_conversions if metric == "share" else 1.0
    wide = result.wide().set_index("channel")
    idx = [list(result.channels).index(c) for c in channels]
    mid = wide.loc[list(channels), metric].to_numpy(dtype=float)
    return np.vstack([mid - lo[idx] * scale, hi[idx] * scale - mid])
