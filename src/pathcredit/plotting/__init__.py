"""Plots: ``plot_<thing>(data, *, ax=None) -> matplotlib Axes``; matplotlib is imported on use."""

from __future__ import annotations

from .attribution import plot_attribution
from .intervals import plot_intervals, plot_removal_effects
from .markov import plot_markov_graph

__all__ = ["plot_attribution", "plot_intervals", "plot_removal_effects", "plot_markov_graph"]
