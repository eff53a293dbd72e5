"""``pathcredit simulate``: a thin layer over :func:`pathcredit.simulate.simulate_journeys`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..exceptions import InputError
from ..simulate import list_scenarios, simulate_journeys
from ._options import parse_params
from ._output import make_output_folder, output_folder, output_folder_option, write_atomic

__all__ = ["simulate_command"]


def _paths_frame(journeys):
    frame = journeys.to_frame()
    for col in ("total_conversions", "total_null"):
        if col in frame and (frame[col] % 1 == 0).all():
            frame[col] = frame[col].astype("int64")
    return frame


@click.command(
    "simulate",
    epilog="Example: pathcredit simulate additive --journeys 100000 --seed 1 --output sim/",
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
@output_folder_option(help="Output folder (default: sim-SCENARIO).")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="A scenario parameter; VALUE is JSON (e.g. beta='{\"search\": 0.02}').",
)
@click.option("--list", "list_", is_flag=True, help="List the scenarios and exit.")
def simulate_command(scenario, n_journeys, seed, population, output, params, list_):
    """Simulate journeys from SCENARIO with their known true credit.

    Writes events.parquet (sampled mode; identity_map.parquet with cross-device
    touches), paths.csv (the input of `pathcredit attribute`: path,
    total_conversions, total_conversion_value, total_null) and truth.json
    (scenario, params, truth: incremental and removal credit per channel).
    """
    if list_:
        for name, summary in list_scenarios().items():
            click.echo(f"{name:12s} {summary}")
        return
    if scenario is None:
        raise InputError("give a SCENARIO (see `pathcredit simulate --list`)")
    folder = output_folder(output or f"sim-{scenario}")  # checked before the work
    sim = simulate_journeys(
        scenario, n_journeys, seed=seed, population=population, **parse_params(params)
    )
    make_output_folder(folder)
    written = []
    if not population:
        events = sim.events()
        write_atomic(folder / "events.parquet", lambda p: events.to_parquet(p, index=False))
        written.append("events.parquet")
        idm = sim.identity_map()
        if idm is not None:
            write_atomic(folder / "identity_map.parquet", lambda p: idm.to_parquet(p, index=False))
            written.append("identity_map.parquet")
    frame = _paths_frame(sim.journeys)
    write_atomic(folder / "paths.csv", lambda p: frame.to_csv(p, index=False, float_format="%.12g"))
    written.append("paths.csv")
    text = json.dumps(sim.to_dict(), indent=2, allow_nan=False)
    write_atomic(folder / "truth.json", lambda p: Path(p).write_text(text + "\n"))
    written.append("truth.json")
    j = sim.journeys
    click.echo(f"{scenario}: {j!r}" + (f", coverage {sim.coverage:.4f}" if population else ""))
    t = sim.truth.table
    wide = t.pivot(index="channel", columns="truth", values="share").loc[list(sim.channels)]
    click.echo("\ntrue share of credit:\n")
    click.echo(wide.to_string(float_format=lambda x: f"{x:.3f}"))
    click.echo(f"\nwrote {', '.join(written)} to {folder}")
