"""A drawing of a fitted Markov chain: states, transition probabilities, removal effects."""

from __future__ import annotations

import numpy as np

from ..exceptions import ModelError
from ..models.markov import MarkovChain

__all__ = ["plot_markov_graph"]


def plot_markov_graph(
    result_or_chain, *, ax=None, min_probability: float = 0.0, edge_labels: bool | None = None
):
    """Draw the chain: start on the left, conversion and null on the right.

    Channel states sit on a circle in the middle, coloured by the removal effect
    of their (last) channel; edge widths follow transition probabilities.

    Parameters
    ----------
    result_or_chain : AttributionResult or MarkovChain
        A ``markov`` result (its ``extras["chain"]`` and removal effects are used)
        or a chain from :func:`pathcredit.models.markov.fit_chain`.
    ax : matplotlib Axes, optional
        Drawn on a new figure when omitted.
    min_probability : float, default 0
        Edges with a smaller transition probability are not drawn.
    edge_labels : bool, optional
        Print probabilities on edges; by default only for at most 40 edges.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ModelError
        Not a Markov result or chain.

    Notes
    -----
    Meant for a handful of channels (order 1 or small order 2 chains); larger
    chains draw but are not readable. Cost: one networkx graph of the chain.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from pathcredit import Journeys, attribute
    >>> from pathcredit.plotting import plot_markov_graph
    >>> j = Journeys.from_paths([["C1", "C2", "C3"], ["C1"], ["C2", "C3"]],
    ...                         conversions=[1, 0, 0], nulls=[0, 1, 1])
    >>> ax = plot_markov_graph(attribute(j, model="markov"))
    >>> sorted(t.get_text() for t in ax.texts)[:3]
    ['(conversion)', '(null)', '(start)']
    """
    import matplotlib.pyplot as plt
    import networkx as nx

    effects = None
    chain = result_or_chain
    extras = getattr(result_or_chain, "extras", None)
    if extras is not None:
        chain = extras.get("chain")
        effects = extras.get("removal_effects")
    if not isinstance(chain, MarkovChain):
        raise ModelError("plot_markov_graph needs a markov result or a MarkovChain")
    g = chain.to_networkx(effects)
    start, conversion, null = chain.reserved
    drop = [(u, v) for u, v, p in g.edges(data="probability") if p < min_probability]
    g.remove_edges_from(drop)

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 6))
    states = chain.state_names
    angle = np.linspace(0, 2 * np.pi, len(states), endpoint=False) + np.pi / 2
    pos = {s: (np.cos(a), np.sin(a)) for s, a in zip(states, angle, strict=True)}
    pos[start] = (-2.2, 0.0)
    pos[conversion] = (2.2, 0.6)
    pos[null] = (2.2, -0.6)

    cmap = plt.get_cmap("viridis")
    if effects is not None:
        vals = np.array([effects.get(s[-1], 0.0) for s in chain.states])
    else:
        vals = np.array(chain.eventual_conversion)
    top = vals.max() if len(vals) and vals.max() > 0 else 1.0
    colors = [cmap(0.25 + 0.7 * v / top) for v in vals]
    nx.draw_networkx_nodes(g, pos, nodelist=states, node_color=colors, node_size=1400, ax=ax)
    nx.draw_networkx_nodes(
        g,
        pos,
        nodelist=[start, conversion, null],
        node_color=["#dddddd", "#7fc97f", "#f0a0a0"],
        node_shape="s",
        node_size=1600,
        ax=ax,
    )
    widths = [0.5 + 4 * p for _, _, p in g.edges(data="probability")]
    nx.draw_networkx_edges(
        g,
        pos,
        width=widths,
        alpha=0.6,
        arrowsize=12,
        node_size=1500,
        connectionstyle="arc3,rad=0.12",
        ax=ax,
    )
    nx.draw_networkx_labels(g, pos, font_size=8, ax=ax)
    if edge_labels is None:
        edge_labels = g.number_of_edges() <= 40
    if edge_labels:
        labels = {(u, v): f"{p:.2f}" for u, v, p in g.edges(data="probability")}
        nx.draw_networkx_edge_labels(
            g, pos, edge_labels=labels, font_size=7, label_pos=0.3, ax=ax,
            connectionstyle="arc3,rad=0.12",
        )  # fmt: skip
    what = "removal effect" if effects is not None else "eventual conversion"
    ax.set_title(f"Markov chain, order {chain.order} (colour: {what})")
    ax.set_axis_off()
    return ax
