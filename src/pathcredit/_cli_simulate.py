"""``pathcredit simulate`` and ``pathcredit benchmark``: thin layers over
:func:`pathcredit.simulate.simulate_journeys` and :func:`pathcredit.benchmark.run_benchmark`."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import click

from .exceptions import InputError

__all__ = ["simulate_command", "benchmark_command"]


def _atomic(target: Path, write) -> None:
    """``write(tmp_path)`` then rename onto ``target`` (never a half-written file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=target.suffix)
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _parse_params(items) -> dict:
    out = {}
    for item in items:
        if "=" not in item:
            raise InputError(f"--param must be KEY=VALUE, got {item!r}")
        key, raw = item.split("=", 1)
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out[key.strip()] = value
    return out


def _paths_frame(journeys):
    frame = journeys.to_frame()
    for col in ("total_conversions", "total_null"):
        if col in frame and (frame[col] % 1 == 0).all():
            frame[col] = frame[col].astype("int64")
    return frame


@click.command(
    "simulate",
    epilog="Example: pathcredit simulate additive --journeys 100000 --seed 1 --out sim/",
)
@click.argument("scenario", required=False)
@click.option(
    "--journeys",
    "n_journeys",
    type=int,
    default=100_000,
    show_default=True,
    help="Journeys to simulate (population mode: the total of the expected counts).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--population",
    is_flag=True,
    help="Expected path counts (fractional) instead of a sample; no event log.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default=None,
    help="Output folder (default: sim-SCENARIO).",
)
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="A scenario parameter; VALUE is JSON (e.g. beta='{\"search\": 0.02}').",
)
@click.option("--list", "list_", is_flag=True, help="List the scenarios and exit.")
def simulate_command(scenario, n_journeys, seed, population, out, params, list_):
    """Simulate journeys from SCENARIO with their known true credit.

    Writes events.parquet (sampled mode; identity_map.parquet with cross-device
    touches), paths.csv (the input of `pathcredit attribute`: path,
    total_conversions, total_conversion_value, total_null) and truth.json
    (scenario, params, truth: incremental and removal credit per channel).
    """
    from .simulate import list_scenarios, simulate_journeys

    if list_:
        for name, summary in list_scenarios().items():
            click.echo(f"{name:12s} {summary}")
        return
    if scenario is None:
        raise InputError("give a SCENARIO (see `pathcredit simulate --list`)")
    sim = simulate_journeys(
        scenario, n_journeys, seed=seed, population=population, **_parse_params(params)
    )
    folder = Path(out or f"sim-{scenario}")
    written = []
    if not population:
        events = sim.events()
        _atomic(folder / "events.parquet", lambda p: events.to_parquet(p, index=False))
        written.append("events.parquet")
        idm = sim.identity_map()
        if idm is not None:
            _atomic(folder / "identity_map.parquet", lambda p: idm.to_parquet(p, index=False))
            written.append("identity_map.parquet")
    frame = _paths_frame(sim.journeys)
    _atomic(folder / "paths.csv", lambda p: frame.to_csv(p, index=False, float_format="%.12g"))
    written.append("paths.csv")
    text = json.dumps(sim.to_dict(), indent=2, allow_nan=False)
    _atomic(folder / "truth.json", lambda p: Path(p).write_text(text + "\n"))
    written.append("truth.json")
    j = sim.journeys
    click.echo(f"{scenario}: {j!r}" + (f", coverage {sim.coverage:.4f}" if population else ""))
    t = sim.truth.table
    wide = t.pivot(index="channel", columns="truth", values="share").loc[list(sim.channels)]
    click.echo("\ntrue share of credit:\n")
    click.echo(wide.to_string(float_format=lambda x: f"{x:.3f}"))
    click.echo(f"\nwrote {', '.join(written)} to {folder}")


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
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default="benchmark-results",
    show_default=True,
    help="Output folder; finished cells are cached in OUT/cache.",
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
    quick, scenarios, models, sizes, seeds, population, out, n_jobs, n_bootstrap, no_progress
):
    """Score every model against the truth of every scenario and print the summary.

    Writes results.parquet and results.csv (tidy: one row per scenario, mode,
    size, seed, model, truth and metric), summary.md, run.json (settings,
    machine, wall time) and figures to OUT. A rerun skips finished cells.
    Interval models (bayesian_markov, and bootstrap entries of the usual rules
    and markov) are scored on the coverage and width of their 90% intervals.
    """
    from .benchmark import FULL_GRID, QUICK_GRID, run_benchmark

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
        cache_dir=Path(out) / "cache",
        n_jobs=n_jobs,
        progress=not no_progress,
        bootstrap=n_bootstrap,
        **grid,
    )
    result.save(out)
    click.echo(result.summary())
    click.echo(f"wrote results.parquet, results.csv, summary.md, run.json and figures to {out}")
