"""Score every registered attribution model against simulated worlds with a known truth.

:func:`run_benchmark` runs the grid (models x scenarios x sizes x seeds, plus
population cells; interval models are scored on the coverage and width of their
90 % intervals), cached and in parallel, and returns a :class:`BenchmarkResult`
with a tidy table, a Markdown summary and figures. The headline error is the total
variation distance of the shares (:data:`HEADLINE_METRIC`: the share of credit put on
the wrong channels), the mean absolute error per channel the secondary one. Metrics are in
:data:`METRICS`; scenarios and their truth in :mod:`pathcredit.simulate`.
"""

from .metrics import METRICS, prediction_metrics, share_metrics
from .report import (
    HEADLINE_METRIC,
    RECOVERY_THRESHOLD,
    SECONDARY_METRIC,
    BenchmarkResult,
    machine_info,
)
from .runner import (
    BOOTSTRAP_RESAMPLES,
    DEFAULT_BOOTSTRAP,
    DEFAULT_VARIANTS,
    FULL_GRID,
    OPT_IN_MODELS,
    QUICK_GRID,
    TABLE_COLUMNS,
    Cell,
    ModelEntry,
    default_models,
    make_grid,
    run_benchmark,
    run_cell,
)

__all__ = [
    "run_benchmark",
    "run_cell",
    "make_grid",
    "default_models",
    "share_metrics",
    "prediction_metrics",
    "machine_info",
    "BenchmarkResult",
    "Cell",
    "ModelEntry",
    "METRICS",
    "HEADLINE_METRIC",
    "SECONDARY_METRIC",
    "RECOVERY_THRESHOLD",
    "TABLE_COLUMNS",
    "DEFAULT_VARIANTS",
    "DEFAULT_BOOTSTRAP",
    "BOOTSTRAP_RESAMPLES",
    "OPT_IN_MODELS",
    "FULL_GRID",
    "QUICK_GRID",
]
