"""Uncertainty plots: credit per channel with its interval (forest plot), and the
posterior (or bootstrap) distribution of the removal effects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .._stats import CI_PROB, hdi
from ..exceptions import ModelError
from ..results import AttributionResult

__all__ = ["plot_intervals", "plot_removal_effects"]

_METRICS = ("share", "conversions", "value")
_AXIS_LABEL = {
    "share": "share of conversions",
    "conversions": "credited conversions",
    "value": "credited value",
}


def plot_intervals(
    results,
    *,
    metric: str = "share",
    truth=None,
    ax=None,
    title: str | None = None,
):
    """Forest plot: each channel's credit with its interval, models side by side.

    Parameters
    ----------
    results : AttributionResult or sequence of them
        Results with intervals: :func:`pathcredit.bootstrap` of any model, or a
        Bayesian model (``bayesian_markov``). Each gets its own colour and its
        ``label`` in the legend; two results with one label are refused.
    metric : {"share", "conversions", "value"}, default "share"
        ``share`` uses the result's share bounds, or its conversion bounds over
        its total conversions when it has no share bounds.
    truth : mapping or pandas Series, optional
        A true value per channel (``{channel: value}``, in the units of
        ``metric``), drawn as a black diamond labelled "truth": for simulated
        data (``sim.truth.share("incremental")`` with ``sim.channels``).
    ax : matplotlib Axes, optional
        Drawn on a new figure when omitted.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        One row per channel (the first result's channels first, top to bottom;
        channels only in later results or in ``truth`` after them). Each result
        is one error bar container: a dot at its point estimate, a bar from
        ``lower`` to ``upper``.

    Raises
    ------
    ModelError
        No results, an unknown metric, a result without intervals of ``metric``
        (point estimates only: run it through :func:`pathcredit.bootstrap`),
        duplicate labels, or more than 20 results.

    Notes
    -----
    Read it row by row: where two models' bars do not overlap, the data tell them
    apart; where they overlap, the sample cannot say which split is right. An
    interval shows sampling noise only: a biased model (a heuristic in a world
    it does not describe, any model under confounding) has a narrow interval in
    the wrong place, which only a truth (simulation, experiment) reveals.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from pathcredit import Journeys, bootstrap, plot_intervals
    >>> j = Journeys.from_paths([["A", "B"], ["B"]], conversions=[30, 10], nulls=[70, 90])
    >>> r = bootstrap(j, model="linear", n_resamples=100, seed=1)
    >>> ax = plot_intervals(r, truth={"A": 0.3, "B": 0.7})
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['A', 'B']
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['linear (bootstrap)', 'truth']
    """
    import matplotlib.pyplot as plt

    results = _as_list(results, "plot_intervals")
    if metric not in _METRICS:
        raise ModelError(f"unknown metric {metric!r}; use one of {list(_METRICS)}")
    if len(results) > 20:
        raise ModelError(
            f"plot_intervals draws at most 20 results side by side, got {len(results)}"
        )
    series = [(r, *_bounds(r, metric)) for r in results]
    truth_map = _truth_mapping(truth)
    channels = _channel_order(results, truth_map)
    n_rows, n_models = len(channels), len(results)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, max(2.5, 0.22 * n_rows * (n_models + 1) + 1.2)))
    cmap = plt.get_cmap("tab10" if n_models <= 10 else "tab20")
    band = 0.8
    step = band / n_models
    row = {c: i for i, c in enumerate(channels)}
    handles = []
    for k, (r, point, lo, hi) in enumerate(series):
        y = np.array([row[c] for c in r.channels], dtype=float) - band / 2 + step * (k + 0.5)
        bars = ax.errorbar(
            point,
            y,
            xerr=np.vstack([point - lo, hi - point]),
            fmt="o",
            ms=4,
            capsize=2.5,
            lw=1.5,
            color=cmap(k),
            label=r.label,
        )
        handles.append(bars)
    if truth_map:
        known = [c for c in channels if c in truth_map]
        dots = ax.scatter(
            [truth_map[c] for c in known],
            [row[c] for c in known],
            marker="D",
            s=30,
            color="black",
            zorder=5,
            label="truth",
        )
        handles.append(dots)
    ax.set_yticks(np.arange(n_rows), channels)
    ax.set_ylim(n_rows - 0.5, -0.5)  # first channel on top
    for i in range(1, n_rows):
        ax.axhline(i - 0.5, color="0.9", lw=0.8, zorder=0)
    probs = sorted({r.ci_prob for r in results if r.ci_prob is not None})
    ci = " and ".join(f"{p:.0%}" for p in probs)
    ax.set_xlabel(f"{_AXIS_LABEL[metric]} ({ci} intervals)")
    ax.set_title(title or f"Credit per channel with {ci} intervals")
    ax.legend(handles=handles, fontsize="small", loc="best")
    ax.grid(axis="x", alpha=0.3)
    return ax


def plot_removal_effects(results, *, ax=None, title: str | None = None):
    """Distribution of each channel's removal effect: one violin per channel and result.

    Parameters
    ----------
    results : AttributionResult or sequence of them
        Results with removal-effect draws: ``bayesian_markov`` (posterior draws)
        or ``bootstrap(journeys, model="markov")`` (resampling draws).
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        One row per channel (top to bottom); per result a violin of its draws
        (a kernel density over the draws' range), a bar over its interval
        (``result.lower``/``upper`` of ``removal_effect`` when the result has
        them, else the ``ci_prob`` interval of the draws of the result's kind:
        highest density for a posterior, equal-tailed for a bootstrap) and a
        dot at its point estimate (``extras["removal_effects"]``).

    Raises
    ------
    ModelError
        No results, a result without removal-effect draws, duplicate labels.

    Notes
    -----
    The removal effect of a channel is the fraction of conversions lost when
    it is removed from every path (Anderl et al. 2016); effects do not sum to
    one. A posterior that piles up at zero says the data cannot tell the
    channel from no effect at all.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from pathcredit import Journeys, attribute, plot_removal_effects
    >>> j = Journeys.from_paths([["A", "B"], ["B"]], conversions=[30, 10], nulls=[70, 90])
    >>> ax = plot_removal_effects(attribute(j, model="bayesian_markov", draws=200))
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['A', 'B']
    """
    import matplotlib.pyplot as plt

    results = _as_list(results, "plot_removal_effects")
    for r in results:
        if "removal_effect" not in r.draws:
            raise ModelError(
                f"{r.label} has no removal-effect draws: use model='bayesian_markov' or "
                "pathcredit.bootstrap(journeys, model='markov')"
            )
    channels = _channel_order(results, {})
    n_rows, n_models = len(channels), len(results)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, max(2.5, 0.45 * n_rows * n_models + 1.2)))
    cmap = plt.get_cmap("tab10" if n_models <= 10 else "tab20")
    band = 0.85
    step = band / n_models
    row = {c: i for i, c in enumerate(channels)}
    for k, r in enumerate(results):
        colour = cmap(k % cmap.N)
        d = np.asarray(r.draws["removal_effect"])
        flat = d.reshape(-1, d.shape[-1])
        y = np.array([row[c] for c in r.channels], dtype=float) - band / 2 + step * (k + 0.5)
        lo, hi = _removal_bounds(r, flat)
        point = _removal_point(r, flat)
        spread = np.ptp(flat, axis=0) > 0
        if spread.any():
            parts = ax.violinplot(
                [flat[:, i] for i in np.flatnonzero(spread)],
                positions=y[spread],
                widths=step * 0.95,
                showextrema=False,
                **_horizontal(),
            )
            for body in parts["bodies"]:
                body.set_facecolor(colour)
                body.set_edgecolor(colour)
                body.set_alpha(0.35)
        ax.hlines(y, lo, hi, color=colour, lw=2.5, label=r.label)
        ax.plot(point, y, "o", color=colour, ms=4, mec="white", mew=0.6)
    ax.set_yticks(np.arange(n_rows), channels)
    ax.set_ylim(n_rows - 0.5, -0.5)
    ax.set_xlabel("removal effect (fraction of conversions lost without the channel)")
    probs = sorted({r.ci_prob for r in results if r.ci_prob is not None})
    ci = " and ".join(f"{p:.0%}" for p in probs)
    ax.set_title(title or f"Removal effects: distribution and {ci} intervals")
    ax.legend(fontsize="small", loc="best")
    ax.grid(axis="x", alpha=0.3)
    return ax


# ---------------------------------------------------------------------- helpers
def _as_list(results, name: str) -> list:

    if isinstance(results, AttributionResult):
        results = [results]
    results = list(results)
    if not results:
        raise ModelError(f"{name} needs at least one result")
    labels = [r.label for r in results]
    dup = sorted({x for x in labels if labels.count(x) > 1})
    if dup:
        raise ModelError(
            f"two results are labelled {dup[0]!r}; give one a distinct label "
            "(result.replace(label=...))"
        )
    return results


def _bounds(result, metric: str):
    """``(point, lower, upper)`` of ``metric`` in the result's channel order."""
    lower, upper = result.lower, result.upper
    if metric in lower:
        point = result.share if metric == "share" else getattr(result, metric)
        return (np.asarray(point, dtype=float), np.asarray(lower[metric]),
                np.asarray(upper[metric]))  # fmt: skip
    if metric == "share" and "conversions" in lower and result.total_conversions > 0:
        t = result.total_conversions
        return result.share, lower["conversions"] / t, upper["conversions"] / t
    if metric == "value" and result.value is None:
        raise ModelError(f"{result.label} has no value: the journeys carry no conversion value")
    raise ModelError(
        f"{result.label} has no intervals of {metric} (point estimates only): run it "
        "through pathcredit.bootstrap(journeys, model=...) or use a Bayesian model"
    )


def _truth_mapping(truth) -> dict[str, float]:
    if truth is None:
        return {}
    if isinstance(truth, Mapping):
        items = truth.items()
    elif hasattr(truth, "items") and hasattr(truth, "index"):  # pandas Series
        items = truth.items()
    else:
        raise ModelError(
            "truth must be a mapping or a pandas Series of channel -> true value, "
            f"got {type(truth).__name__}"
        )
    return {str(k): float(v) for k, v in items}


def _channel_order(results: Sequence, truth: Mapping[str, float]) -> list[str]:
    seen: dict[str, None] = {}
    for r in results:
        seen.update(dict.fromkeys(r.channels))
    seen.update(dict.fromkeys(truth))
    return list(seen)


def _horizontal() -> dict:
    """Matplotlib's keyword for horizontal violins (``orientation`` from 3.10 on)."""
    import matplotlib

    major, minor = (int(x) for x in matplotlib.__version__.split(".")[:2])
    return {"orientation": "horizontal"} if (major, minor) >= (3, 10) else {"vert": False}


def _removal_bounds(result, flat: np.ndarray):
    if "removal_effect" in result.lower:
        return np.asarray(result.lower["removal_effect"]), np.asarray(
            result.upper["removal_effect"]
        )
    prob = CI_PROB if result.ci_prob is None else result.ci_prob
    if result.ci_kind == "hdi":
        return hdi(flat, prob)
    return tuple(np.quantile(flat, [(1 - prob) / 2, (1 + prob) / 2], axis=0))


def _removal_point(result, flat: np.ndarray) -> np.ndarray:
    eff = result.extras.get("removal_effects")
    if isinstance(eff, Mapping) and all(c in eff for c in result.channels):
        return np.array([float(eff[c]) for c in result.channels])
    return flat.mean(axis=0)
