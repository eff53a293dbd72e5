"""pathcredit: data-driven marketing attribution from conversion paths.

Read paths with :func:`read_paths`, run any model with :func:`attribute`, compare
models with :func:`compare`, and get Google Analytics-style path reports with
:func:`path_reports`.
"""

import importlib

from ._version import __version__
from .exceptions import (
    BootstrapWarning,
    InputError,
    InternalError,
    ModelError,
    PathcreditError,
    PathcreditWarning,
    SamplingWarning,
)
from .journeys import (
    Journeys,
    collapse_repeats,
    drop_channels,
    first_occurrence,
    keep_last,
    read_paths,
    rename_channels,
)
from .models import attribute, available_models
from .results import AttributionResult, compare

__all__ = [
    "__version__",
    "PathcreditError",
    "InputError",
    "ModelError",
    "InternalError",
    "PathcreditWarning",
    "BootstrapWarning",
    "SamplingWarning",
    "Journeys",
    "read_paths",
    "build_journeys",
    "collapse_repeats",
    "first_occurrence",
    "keep_last",
    "drop_channels",
    "rename_channels",
    "attribute",
    "available_models",
    "AttributionResult",
    "compare",
    "path_reports",
    "load_example_paths",
    "load_example_truth",
    "plot_attribution",
    "plot_intervals",
    "plot_removal_effects",
    "bootstrap",
    "read_ga4",
]

_LAZY = {
    "path_reports": ("pathcredit.reports", "path_reports"),
    "load_example_paths": ("pathcredit.datasets", "load_example_paths"),
    "load_example_truth": ("pathcredit.datasets", "load_example_truth"),
    "plot_attribution": ("pathcredit.plotting", "plot_attribution"),
    "plot_intervals": ("pathcredit.plotting", "plot_intervals"),
    "plot_removal_effects": ("pathcredit.plotting", "plot_removal_effects"),
    "bootstrap": ("pathcredit.models.bootstrap", "bootstrap"),
    "read_ga4": ("pathcredit.journeys.ga4", "read_ga4"),
    "build_journeys": ("pathcredit.journeys.events", "build_journeys"),
}


def __getattr__(name):
    # Reports, data, plotting and the event-log readers import pandas, matplotlib or Ibis:
    # load them on first use so `import pathcredit` stays light.
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'pathcredit' has no attribute {name!r}")


def __dir__():
    # the lazily loaded names are public too: list them for dir() and tab completion
    return sorted(set(globals()) | set(__all__))
