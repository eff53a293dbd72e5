"""``pathcredit benchmark``: a thin layer over :func:`pathcredit.benchmark.run_benchmark`."""

from __future__ import annotations

import click

from ..benchmark import FULL_GRID, QUICK_GRID, run_benchmark
from ..exceptions import InputError
from ._output import output_folder, output_folder_option

__all__ = ["benchmark_command"]


@click.command("benchmark")
@click.option(
    "--quick",
    is_flag=True,
    help="10,000 journeys x 2 seeds plus population cells (a few minutes on 2 cores).",
)
@click.option("--scenario", "scenarios", multiple=True, help="Scenario(s) (default: all).")
@click.option(
    "--model",
    "models",
    multiple=True,
    help="Registered model(s) (default: all but bayesian_response, which runs when "
    "named; with their grid variants).",
)
@click.option(
    "--size",
    "sizes",
    multiple=True,
    type=int,
    help="Journeys per cell (default 1000 10000 100000 1000000).",
)
@click.option("--seeds", type=int, default=None, help="Seeds per cell (default 20).")
@click.option(
    "--population/--no-population",
    default=True,
    show_default=True,
    help="Add one expected-count cell per scenario.",
)
@output_folder_option(
    help="Output folder [default: benchmark-results]; finished cells are cached in OUTPUT/cache."
)
@click.option("--jobs", "n_jobs", type=int, default=2, show_default=True, help="Worker processes.")
@click.option(
    "--bootstrap",
    "n_bootstrap",
    type=int,
    default=200,
    show_default=True,
    help="Resamples of the bootstrap entries scored on interval coverage (0: none).",
)
@click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
def benchmark_command(
    quick, scenarios, models, sizes, seeds, population, output, n_jobs, n_bootstrap, no_progress
):
    """Score every model against the truth of every scenario and print the summary.

    Writes results.parquet and results.csv (tidy: one row per scenario, mode,
    size, seed, model, truth and metric), summary.md, run.json (settings,
    machine, wall time) and figures to OUTPUT. A rerun skips finished cells.
    Interval models (bayesian_markov, and bootstrap entries of the usual rules
    and markov) are scored on the coverage and width of their 90% intervals.
    """
    out = output_folder(output or "benchmark-results")
    grid = dict(QUICK_GRID if quick else FULL_GRID)
    if sizes:
        grid["sizes"] = tuple(sizes)
    if seeds is not None:
        if seeds < 1:
            raise InputError(f"--seeds must be at least 1, got {seeds}")
        grid["seeds"] = tuple(range(seeds))
    grid["population"] = population
    result = run_benchmark(
        scenarios or None,
        models or None,
        cache_dir=out / "cache",
        n_jobs=n_jobs,
        progress=not no_progress,
        bootstrap=n_bootstrap,
        **grid,
    )
    result.save(out)
    click.echo(result.summary())
    click.echo(f"wrote results.parquet, results.csv, summary.md, run.json and figures to {out}")
