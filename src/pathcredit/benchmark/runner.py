"""The model x scenario x size x seed grid: run cells in parallel, cache them, score them.

One *cell* is one simulated data set (scenario, mode, size, seed). A cell is
simulated once and every model of the grid runs on it; its rows are written
to ``<cache>/<key>.parquet``, so a rerun skips the models a cell already has
and only runs new ones (a model registered later is added without recomputing
the rest). The key hashes the scenario's resolved parameters, the mode, size
and seed, and the pathcredit version.

How the grid is run and scored, and why:

* every registered model runs with its default parameters, plus the variants
  in :data:`DEFAULT_VARIANTS` (Markov orders 2 and 3, the other Shapley value
  functions; the registry's ``grid_variants``); models are told apart by their
  result label (``markov(order=2)``).
  The exception is :data:`OPT_IN_MODELS` (``bayesian_response``: MCMC per cell,
  10-60 s each on 2 cores, 10-100 times any other model), which runs only when
  named (``models=["bayesian_response"]``, ``--model bayesian_response``);
* a model that needs touch times (``time_decay``: it raises a ModelError about
  times on aggregated paths) is rerun on the converting journeys with their
  touch times (:meth:`Simulation.timed_journeys`); the row's ``note`` says so;
* a model that cannot run on a cell gets one row with ``metric="error"`` and
  the message in ``note``: nothing is dropped silently;
* estimated shares are normalised to sum to one over the channels before
  scoring, so a non-additive model (``participation``, whose credits exceed the
  conversions by design) is compared on its relative credit;
* every cell is scored against both truths (``truth`` column: ``incremental``,
  ``removal``); ``runtime_s`` and ``peak_memory_mb`` rows have no truth. Runtime
  is measured with tracemalloc running (it tracks numpy's allocations), which
  adds a little to pure-Python work;
* population cells (``mode="population"``, seed 0) use expected counts, so
  their errors are the models' bias without sampling noise;
* ``baseline="holdout"`` (a :data:`DEFAULT_VARIANTS` entry of ``shapley``) is
  replaced in each cell by the scenario's true conversion rate without
  exposure: what a holdout experiment would add to the observational data;
* interval models are scored on their 90 % intervals of the channel shares:
  ``coverage`` (the fraction of channels whose interval contains the true share)
  and ``width`` (mean interval width). ``bayesian_markov`` gives posterior
  intervals itself (orders 1 and 2 in the default grid); the models in
  :data:`DEFAULT_BOOTSTRAP` are also run through :func:`pathcredit.bootstrap`
  (``n_resamples`` :data:`BOOTSTRAP_RESAMPLES`, Poisson resampling, seeded by the
  cell's seed) as separate entries labelled ``"<model> (bootstrap)"``. Their
  point estimate is the model's own (already scored under the model's label), so
  bootstrap entries get only ``coverage``, ``width``, ``runtime_s`` and
  ``peak_memory_mb`` rows. A bootstrap interval widened to reach the plug-in
  estimate, or a posterior interval widened to reach the posterior mean, is said
  in ``note``;
* models that predict conversion (``markov`` at each order) also get held-out
  ``log_loss``, ``auc`` and ``top_decile_lift`` of ``P(convert | last state)``
  (Anderl et al. 2016): fitted on the cell, scored on an independent sample of
  the same scenario (``min(size, 100 000)`` journeys, seed ``10**9 + seed``); a
  population cell is scored on itself (expected counts, no noise).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import sys
import time
import tracemalloc
import warnings
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._progress import tqdm_class
from .._version import __version__
from ..exceptions import BootstrapWarning, InputError, ModelError, PathcreditError
from ..models import _REGISTRY, attribute, available_models, get_model, label_of
from ..models.bootstrap import bootstrap
from ..simulate import SCENARIOS, get_scenario, simulate_journeys
from .metrics import last_state_predictions, prediction_metrics, share_metrics
from .report import BenchmarkResult, _git_commit, _git_dirty

__all__ = [
    "Cell",
    "ModelEntry",
    "DEFAULT_VARIANTS",
    "DEFAULT_BOOTSTRAP",
    "BOOTSTRAP_RESAMPLES",
    "OPT_IN_MODELS",
    "HOLDOUT",
    "default_models",
    "make_grid",
    "run_cell",
    "run_benchmark",
    "TABLE_COLUMNS",
    "FULL_GRID",
    "QUICK_GRID",
]

#: Columns of the tidy result table (one row per cell, model, truth and metric).
TABLE_COLUMNS = [
    "scenario",
    "mode",
    "size",
    "seed",
    "model",
    "model_name",
    "truth",
    "metric",
    "value",
    "note",
]
#: Extra settings run beside each model's defaults: the registry's ``grid_variants``.
DEFAULT_VARIANTS: dict[str, list[dict]] = {
    n: [dict(v) for v in s.grid_variants] for n, s in _REGISTRY.items() if s.grid_variants
}
#: Registered models left out of the default grid (run when named), the registry's
#: ``opt_in``: MCMC fits whose cost per cell (``bayesian_response``: 10-60 s with nutpie
#: at 10**4-10**6 journeys, the first fit compiling) would multiply the grid's time by
#: hundreds.
OPT_IN_MODELS: tuple[str, ...] = tuple(n for n, s in _REGISTRY.items() if s.opt_in)
#: Model settings (labels) also bootstrapped in the default grid, the registry's
#: ``grid_bootstrap``: the rules teams use in practice (first and last touch, last
#: non-direct, linear, position-based), ``linear_unique`` (equal to Zhao et al.'s
#: ``shapley``) and ``markov`` at orders 1 and 2. All but ``position_based`` resample
#: in one vectorised product or batched solve (about 0.2 s for 200 resamples of 10**6
#: journeys, 20,000 distinct paths). Left out of the default grid, not out of reach
#: (``ModelEntry(name, params, bootstrap=n)``): the models that rerun once per resample
#: (the Shapley games, ``shao_li``: about 10x the cost) and ``markov(order=3)``, whose
#: chain of a few hundred states costs 2-9 s per cell of 10**3-10**4 journeys.
DEFAULT_BOOTSTRAP: tuple[str, ...] = tuple(
    label_of(n, setting) for n, s in _REGISTRY.items() for setting in s.grid_bootstrap
)
#: Resamples per bootstrap entry in the grid (``pathcredit benchmark --bootstrap N``).
BOOTSTRAP_RESAMPLES = 200
#: A parameter value replaced, per cell, by the true conversion rate without exposure,
#: as a holdout experiment would measure it (``shapley``'s ``baseline``).
HOLDOUT = "holdout"
FULL_SIZES: tuple[int, ...] = (10**3, 10**4, 10**5, 10**6)
FULL_SEEDS: tuple[int, ...] = tuple(range(20))
#: The full grid: every scenario, 10^3 to 10^6 journeys (three orders of magnitude, to
#: show how error falls with data), 20 seeds per cell (the mean's standard error is
#: sd / sqrt(20), under a quarter of the seed-to-seed spread), and the population cells.
FULL_GRID: dict[str, Any] = {"sizes": FULL_SIZES, "seeds": FULL_SEEDS, "population": True}
#: ``pathcredit benchmark --quick``: one size, two seeds, population cells.
QUICK_GRID: dict[str, Any] = {"sizes": (10**4,), "seeds": (0, 1), "population": True}
_CACHE_VERSION = 3
#: Held-out journeys for the predictive metrics: at most this many, seed offset.
_HOLDOUT_MAX = 100_000
_HOLDOUT_SEED = 10**9
_POPULATION_SIZE = 10**6
_INTERVAL_METRICS = ("coverage", "width")


@dataclass(frozen=True)
class Cell:
    """One simulated data set of the grid."""

    scenario: str
    mode: str  # "sample" | "population"
    size: int
    seed: int


@dataclass(frozen=True)
class ModelEntry:
    """A model and the parameters it runs with in the grid.

    ``bootstrap=n`` (``n >= 2``) runs the model through :func:`pathcredit.bootstrap`
    with ``n`` resamples instead, labelled ``"<label> (bootstrap)"`` (``"(bootstrap
    n)"`` when ``n`` is not :data:`BOOTSTRAP_RESAMPLES`, so cached cells of another
    resample count are not reused).
    """

    name: str
    params: tuple = ()
    bootstrap: int = 0

    @property
    def kwargs(self) -> dict:
        return dict(self.params)

    @property
    def label(self) -> str:

        base = label_of(self.name, self.kwargs)
        if not self.bootstrap:
            return base
        if self.bootstrap == BOOTSTRAP_RESAMPLES:
            return f"{base} (bootstrap)"
        return f"{base} (bootstrap {self.bootstrap})"


def default_models(
    names: Iterable[str] | None = None, *, bootstrap: int = BOOTSTRAP_RESAMPLES
) -> list[ModelEntry]:
    """Every registered model but :data:`OPT_IN_MODELS` (or the models named) with defaults,
    plus :data:`DEFAULT_VARIANTS`, plus a bootstrap entry (``bootstrap`` resamples; 0:
    none) for each setting in :data:`DEFAULT_BOOTSTRAP`.

    Examples
    --------
    >>> [e.label for e in default_models(["markov"], bootstrap=0)]
    ['markov', 'markov(order=2)', 'markov(order=3)']
    >>> [e.label for e in default_models(["linear"])]
    ['linear', 'linear (bootstrap)']
    """
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int | np.integer) or bootstrap < 0:
        raise ModelError(f"bootstrap must be a whole number >= 0, got {bootstrap!r}")
    if bootstrap == 1:
        raise ModelError("bootstrap needs at least 2 resamples (0: no bootstrap entries)")
    registered = [n for n in available_models() if not get_model(n).opt_in]
    chosen = registered if names is None else list(names)
    specs = [get_model(n) for n in chosen]  # unknown names: one ModelError listing the choices
    out = []
    for spec in specs:
        out.append(ModelEntry(spec.name))
        for v in spec.grid_variants:
            out.append(ModelEntry(spec.name, tuple(sorted(v.items()))))
    if bootstrap:
        boot = {(s.name, tuple(sorted(b.items()))) for s in specs for b in s.grid_bootstrap}
        out += [
            ModelEntry(e.name, e.params, int(bootstrap))
            for e in list(out)
            if (e.name, e.params) in boot
        ]
    return out


def make_grid(
    scenarios: Iterable[str] | None = None,
    *,
    sizes: Sequence[int] = FULL_SIZES,
    seeds: Iterable[int] = FULL_SEEDS,
    population: bool = True,
) -> list[Cell]:
    """The cells: every scenario x size x seed (sampled), plus one population cell each."""

    names = list(SCENARIOS) if scenarios is None else list(scenarios)
    for s in names:
        if s not in SCENARIOS:
            raise InputError(f"unknown scenario {s!r}; choose one of {sorted(SCENARIOS)}")
    cells = [Cell(s, "sample", int(n), int(seed)) for s in names for n in sizes for seed in seeds]
    if population:
        cells += [Cell(s, "population", _POPULATION_SIZE, 0) for s in names]
    return cells


def _cell_key(cell: Cell, scenario_params: Mapping) -> str:

    params = get_scenario(cell.scenario, **scenario_params).params
    blob = json.dumps(
        [
            _CACHE_VERSION,
            __version__,
            cell.scenario,
            cell.mode,
            cell.size,
            cell.seed,
            _plain(params),
        ],
        sort_keys=True,
        default=str,
    )
    digest = hashlib.sha256(blob.encode()).hexdigest()[:16]
    return f"{cell.scenario}-{cell.mode}-{cell.size}-{cell.seed}-{digest}"


def _plain(v):
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return v


def _aligned(result, channels, metric="share"):
    """The result's per-channel shares (and share bounds) in the truth's channel order."""
    index = {c: i for i, c in enumerate(result.channels)}
    take = np.array([index.get(c, -1) for c in channels])

    def align(x):
        x = np.asarray(x, dtype=np.float64)
        return np.where(take >= 0, x[np.maximum(take, 0)], 0.0)

    share = align(result.share)
    scale = 1.0
    total = share.sum()
    if total > 0 and not np.isclose(total, 1.0):  # non-additive credit (participation)
        scale = 1.0 / total
        share = share * scale
    lo = hi = None
    lower, upper = result.lower or {}, result.upper or {}
    if "share" in lower and "share" in upper:
        lo, hi = align(lower["share"]) * scale, align(upper["share"]) * scale
    elif "conversions" in lower and "conversions" in upper:
        conv = float(np.sum(result.conversions))
        if conv > 0:
            lo, hi = align(lower["conversions"]) / conv, align(upper["conversions"]) / conv
    return share, lo, hi


def _run_model(entry: ModelEntry, sim, seed: int = 0):
    """``(result, note)``; retries on timed journeys when the model needs touch times.

    A bootstrap entry runs :func:`pathcredit.bootstrap` seeded with ``seed``; a
    :class:`~pathcredit.models.bootstrap.BootstrapWarning` (an interval widened to
    reach the plug-in estimate) becomes part of the note instead of a warning. Any
    other warning (a sampler's failed diagnostics) is passed on and also written
    in the note, so the rows keep it.
    """

    kwargs = entry.kwargs
    for k, v in kwargs.items():
        if isinstance(v, str) and v == HOLDOUT:
            kwargs[k] = sim.truth.baseline_conversions / sim.truth.journeys

    def run(journeys):
        if entry.bootstrap:
            return bootstrap(
                journeys, model=entry.name, n_resamples=entry.bootstrap, seed=seed, **kwargs
            )
        return attribute(journeys, model=entry.name, **kwargs)

    notes = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BootstrapWarning)
        try:
            result = run(sim.journeys)
        except ModelError as e:
            if "time" not in str(e).lower():
                raise
            result = run(sim.timed_journeys())
            notes.append("ran on converting journeys with touch times")
    for w in caught:
        if issubclass(w.category, BootstrapWarning):
            continue  # said below, from the result's extras
        # a model's warning (a sampler's failed diagnostics...) stays with its rows
        text = f"{w.category.__name__}: {str(w.message).splitlines()[0][:200]}"
        if text not in notes:
            notes.append(text)
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    widened = _widened(result)
    if widened:
        notes.append(f"share interval widened to reach the point estimate for {widened}")
    return result, "; ".join(notes)


def _widened(result) -> list[str]:
    """Channels whose share interval was widened to include the point estimate."""
    extras = result.extras
    found = extras.get("widened")
    if "bootstrap" in extras and isinstance(extras["bootstrap"], Mapping):
        found = extras["bootstrap"].get("widened")
    if not isinstance(found, Mapping):
        return []
    return sorted(found.get("share", []))


def run_cell(
    cell: Cell,
    models: Sequence[ModelEntry],
    *,
    cache_dir: str | os.PathLike | None = None,
    scenario_params: Mapping | None = None,
):
    """Simulate one cell, run the models it does not have yet, return its rows (DataFrame)."""
    import pandas as pd

    scenario_params = dict(scenario_params or {})
    path = None
    done = pd.DataFrame(columns=TABLE_COLUMNS)
    if cache_dir is not None:
        path = Path(cache_dir) / f"{_cell_key(cell, scenario_params)}.parquet"
        if path.exists():
            done = _typed(pd.read_parquet(path))
    have = set(done["model"]) if len(done) else set()
    todo = [m for m in models if m.label not in have]
    if not todo:
        return done[done["model"].isin({m.label for m in models})].reset_index(drop=True)
    sim = simulate_journeys(
        cell.scenario,
        cell.size,
        seed=cell.seed,
        population=cell.mode == "population",
        **scenario_params,
    )
    truths = {k: sim.truth.share(k) for k in ("incremental", "removal")}
    holdout = None
    rows: list[tuple] = []
    base = (cell.scenario, cell.mode, cell.size, cell.seed)
    for m in todo:
        tracemalloc.start()
        t0 = time.perf_counter()
        try:
            result, note = _run_model(m, sim, cell.seed)
        except (PathcreditError, ValueError, np.linalg.LinAlgError) as e:
            tracemalloc.stop()
            msg = f"{type(e).__name__}: {e}".splitlines()[0][:300]
            rows.append((*base, m.label, m.name, None, "error", np.nan, msg))
            continue
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        share, lo, hi = _aligned(result, sim.channels)
        for kind, tru in truths.items():
            for metric, value in share_metrics(share, tru, lo, hi).items():
                if m.bootstrap and metric not in _INTERVAL_METRICS:
                    continue  # the plug-in estimate is scored under the model's own label
                rows.append((*base, m.label, m.name, kind, metric, value, note))
        order = m.kwargs.get("order", 1)
        if m.name == "markov" and isinstance(order, int) and not m.bootstrap:
            if holdout is None:
                holdout = (
                    sim.journeys
                    if cell.mode == "population"
                    else simulate_journeys(
                        cell.scenario,
                        min(cell.size, _HOLDOUT_MAX),
                        seed=_HOLDOUT_SEED + cell.seed,
                        **scenario_params,
                    ).journeys
                )
            score = last_state_predictions(sim.journeys, holdout, order)
            for metric, value in prediction_metrics(
                score, holdout.conversions, holdout.null_counts()
            ).items():
                rows.append((*base, m.label, m.name, None, metric, value, note))
        rows.append((*base, m.label, m.name, None, "runtime_s", elapsed, note))
        rows.append((*base, m.label, m.name, None, "peak_memory_mb", peak, note))
    new = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    new["truth"] = new["truth"].astype(object)
    out = pd.concat([done, new], ignore_index=True) if len(done) else new
    out = _typed(out)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        out.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    return out[out["model"].isin({m.label for m in models})].reset_index(drop=True)


def _typed(df):
    df = df.copy()
    for c in ("scenario", "mode", "model", "model_name", "truth", "metric", "note"):
        df[c] = df[c].astype(object)
    df["size"] = df["size"].astype(np.int64)
    df["seed"] = df["seed"].astype(np.int64)
    df["value"] = df["value"].astype(np.float64)
    return df


def _cell_job(args):
    cell, models, cache_dir, scenario_params = args
    return run_cell(cell, models, cache_dir=cache_dir, scenario_params=scenario_params)


def _parallel(jobs, n_jobs, progress):
    """Run jobs, yielding results as they finish: joblib when installed, else
    :class:`concurrent.futures.ProcessPoolExecutor`; inline with ``n_jobs=1``."""

    tqdm = tqdm_class()
    bar = tqdm(total=len(jobs), disable=not progress, file=sys.stderr, desc="benchmark cells")
    try:
        if n_jobs == 1 or len(jobs) <= 1:
            for j in jobs:
                yield _cell_job(j)
                bar.update()
            return
        try:
            from joblib import Parallel, delayed
        except ImportError:
            Parallel = None
        if Parallel is not None:
            par = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
            for r in par(delayed(_cell_job)(j) for j in jobs):
                yield r
                bar.update()
            return

        ctx = mp.get_context("spawn")
        with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx) as ex:
            futures = [ex.submit(_cell_job, j) for j in jobs]
            for f in as_completed(futures):
                yield f.result()
                bar.update()
    finally:
        bar.close()


def run_benchmark(
    scenarios: Iterable[str] | None = None,
    models: Iterable[str | ModelEntry] | None = None,
    *,
    sizes: Sequence[int] = FULL_SIZES,
    seeds: Iterable[int] = FULL_SEEDS,
    population: bool = True,
    cache_dir: str | os.PathLike | None = None,
    n_jobs: int = 2,
    progress: bool = True,
    scenario_params: Mapping[str, Mapping] | None = None,
    bootstrap: int = BOOTSTRAP_RESAMPLES,
):
    """Score every model against the truth over the grid of scenarios, sizes and seeds.

    Parameters
    ----------
    scenarios : iterable of str, optional
        Scenario names (default: all of :data:`pathcredit.simulate.SCENARIOS`).
    models : iterable of str or ModelEntry, optional
        Model names (with their variants and bootstrap entries) or entries;
        default: every registered model (:func:`default_models`).
    sizes : sequence of int, default (10**3, 10**4, 10**5, 10**6)
        Journeys per sampled cell.
    seeds : iterable of int, default 0..19
    population : bool, default True
        Add one population cell (expected counts of 10**6 journeys) per scenario.
    cache_dir : path, optional
        Where finished cells are kept; a rerun skips them.
    n_jobs : int, default 2
        Worker processes (``1``: run inline).
    progress : bool, default True
        A tqdm progress bar on stderr.
    scenario_params : mapping, optional
        ``{scenario: {param: value}}`` overrides.
    bootstrap : int, default :data:`BOOTSTRAP_RESAMPLES` (200)
        Resamples of the bootstrap entries that model names bring in
        (:data:`DEFAULT_BOOTSTRAP`); 0 leaves them out. Entries given as
        :class:`ModelEntry` keep their own setting.

    Returns
    -------
    BenchmarkResult
        ``.table`` (tidy: :data:`TABLE_COLUMNS`), ``.summary()``, ``.save(dir)``.

    Examples
    --------
    >>> r = run_benchmark(["additive"], ["linear", "last_touch"], sizes=[2000], seeds=[0],
    ...                   population=False, n_jobs=1, progress=False)
    >>> sorted(r.table.model.unique())
    ['last_touch', 'last_touch (bootstrap)', 'linear', 'linear (bootstrap)']
    >>> cov = r.pivot("coverage")  # of the 90 % intervals of the true shares
    >>> list(cov.index), bool(0 <= cov.loc["linear (bootstrap)", "additive"] <= 1)
    (['last_touch (bootstrap)', 'linear (bootstrap)'], True)
    """

    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise ModelError(f"n_jobs must be a whole number >= 1, got {n_jobs!r}")
    entries: list[ModelEntry] = []
    if models is None:
        entries = default_models(bootstrap=bootstrap)
    else:
        for m in models:
            entries += (
                [m] if isinstance(m, ModelEntry) else default_models([m], bootstrap=bootstrap)
            )
    cells = make_grid(scenarios, sizes=sizes, seeds=seeds, population=population)
    scenario_params = {k: dict(v) for k, v in (scenario_params or {}).items()}
    # biggest cells first, so the pool ends on small ones
    cells.sort(key=lambda c: (-c.size, c.mode, c.scenario, c.seed))
    jobs = [(c, entries, cache_dir, scenario_params.get(c.scenario, {})) for c in cells]

    # the code the workers import is the checkout at the start, not at save time
    source = {"commit": _git_commit(), "uncommitted_source_files": _git_dirty()}
    t0 = time.perf_counter()
    import pandas as pd

    frames = list(_parallel(jobs, n_jobs, progress))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=TABLE_COLUMNS)
    table = table.sort_values(
        ["scenario", "mode", "size", "seed", "model", "truth", "metric"],
        na_position="last",
        kind="stable",
    ).reset_index(drop=True)
    return BenchmarkResult(
        table=_typed(table) if len(table) else table,
        wall_time_s=time.perf_counter() - t0,
        settings={
            "scenarios": sorted({c.scenario for c in cells}),
            "models": [e.label for e in entries],
            "sizes": [int(s) for s in sizes],
            "seeds": [int(s) for s in seeds],
            "population": bool(population),
            "n_jobs": n_jobs,
            "bootstrap_resamples": int(bootstrap),
            "scenario_params": _plain(scenario_params),
            "source_at_start": source,
        },
    )
