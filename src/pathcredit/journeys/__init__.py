"""Journeys: the data model, reading aggregated paths, and path transforms."""

from ._core import Journeys, Removal
from .ga4 import read_ga4
from .io import read_paths
from .transforms import (
    collapse_repeats,
    drop_channels,
    first_occurrence,
    keep_last,
    rename_channels,
)

__all__ = [
    "Journeys",
    "Removal",
    "read_paths",
    "read_ga4",
    "collapse_repeats",
    "first_occurrence",
    "keep_last",
    "drop_channels",
    "rename_channels",
]
