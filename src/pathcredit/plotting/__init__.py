"""Plots: ``plot_<thing>(data, *, ax=None) -> matplotlib Axes``; matplotlib is imported on use."""

from __future__ import annotations

from .attribution import plot_attribution
from .intervals import plot_intervals, plot_removal_effects

__all__ = ["plot_attribution", "plot_intervals", "plot_removal_effects", "plot_markov_graph"]


def __getattr__(name):
    if name == "plot_markov_graph":
        from .markov import plot_markov_graph

        return plot_markov_graph
    raise AttributeError(name)
