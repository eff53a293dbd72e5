"""Channel-by-channel comparison of models."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._format import plain_number
from ..exceptions import ModelError
from ..results import AttributionResult, compare

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
    Every model gets its own colour (``tab10`` up to 10 models, ``tab20`` up to 20);
    beyond 20 models, bars would be unreadable and a palette would repeat, so the
    comparison is drawn as a channel x model heatmap with the values written in.

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

    if isinstance(results, AttributionResult):
        results = [results]
    results = list(results)
    if not results:
        raise ModelError("plot_attribution needs at least one result")
    table = compare(results, metric=metric)
    n_models = len(results)
    if n_models > 20:
        return _heatmap(table, metric, ax=ax, title=title)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(table.index) + 2), 4.5))
    cmap = plt.get_cmap("tab10" if n_models <= 10 else "tab20")
    palette = [cmap(k) for k in range(n_models)]  # qualitative maps: one colour per index
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
            color=palette[k],
        )
    ax.set_xticks(x, list(table.index), rotation=30 if len(x) > 6 else 0)
    ax.set_ylabel({"share": "share of conversions"}.get(metric, f"credited {metric}"))
    ax.set_title(title or f"Attribution by channel ({metric})")
    ax.legend(fontsize="small", ncols=2 if n_models > 4 else 1)
    ax.grid(axis="y", alpha=0.3)
    return ax


def _heatmap(table, metric: str, *, ax=None, title=None):
    import matplotlib.pyplot as plt

    values = table.to_numpy(dtype=float)
    if ax is None:
        _, ax = plt.subplots(
            figsize=(max(6.0, 0.5 * values.shape[1] + 3), max(3.0, 0.45 * values.shape[0] + 1.5))
        )
    image = ax.imshow(values, aspect="auto", cmap="viridis")
    ax.set_xticks(np.arange(values.shape[1]), list(table.columns), rotation=60, ha="right")
    ax.set_yticks(np.arange(values.shape[0]), list(table.index))
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, plain_number(v), ha="center", va="center", fontsize="x-small", color="w")
    ax.figure.colorbar(image, ax=ax, label=metric)
    ax.set_title(title or f"Attribution by channel ({metric})")
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
