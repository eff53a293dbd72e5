"""``pathcredit journeys``: an event log in, the aggregated path table out (CSV or Parquet).

A thin layer over :func:`pathcredit.journeys.events.build_journeys`.
"""

from __future__ import annotations

import click

from ..exceptions import InputError
from ._ga4 import FORMAT_HELP, GROUPING_HELP
from ._output import removed_lines, write_table

__all__ = ["journeys_command", "read_events_as_journeys"]


def read_events_as_journeys(path, **column_options):
    """The path table of an event log file (for ``pathcredit attribute --events FILE``).

    ``column_options`` go to :func:`~pathcredit.journeys.events.build_journeys`;
    ``identity_map`` may be a file path.
    """
    from ..journeys.events import read_events_as_journeys as _read

    return _read(path, **column_options)


@click.command("journeys")
@click.argument("events", metavar="EVENTS", nargs=-1, required=True)
@click.option("--user-col", default="user_id", show_default=True)
@click.option("--time-col", default="timestamp", show_default=True)
@click.option("--channel-col", default="channel", show_default=True)
@click.option("--conversion-col", default="conversion", show_default=True)
@click.option("--value-col", default=None, help="Conversion value column.")
@click.option(
    "--lookback-days",
    type=float,
    default=30.0,
    show_default=True,
    help="Drop touches older than this before the conversion (negative: no limit).",
)
@click.option("--max-touches", type=int, default=None, help="Keep the last N touches.")
@click.option(
    "--inactivity-days",
    type=float,
    default=None,
    help="End a non-converting journey after this many days without events.",
)
@click.option(
    "--identity-map",
    type=click.Path(dir_okay=False),
    default=None,
    help="CSV/Parquet file mapping device ids to person ids.",
)
@click.option(
    "--identity-cols",
    nargs=2,
    default=("device_id", "person_id"),
    show_default=True,
    help="Device and person columns of the identity map.",
)
@click.option(
    "--invalid",
    type=click.Choice(["drop", "raise"]),
    default="drop",
    show_default=True,
    help="Drop and count bad events, or stop at the first kind.",
)
@click.option(
    "--partitions",
    type=int,
    default=None,
    help="Build in N hash partitions of the people to bound the engine's memory "
    "(default: one pass, more only if DuckDB runs out of memory).",
)
@click.option(
    "--format",
    "input_format",
    type=click.Choice(["events", "ga4"]),
    default="events",
    show_default=True,
    help=FORMAT_HELP,
)
@click.option("--channel-grouping", default="default", show_default=True, help=GROUPING_HELP)
@click.option(
    "--conversion-event",
    "conversion_events",
    multiple=True,
    metavar="NAME",
    help="An event name that is a conversion (repeatable), e.g. purchase.",
)
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="File for the path table: .csv or .parquet (the extension decides).",
)
def journeys_command(
    events,
    user_col,
    time_col,
    channel_col,
    conversion_col,
    value_col,
    lookback_days,
    max_touches,
    inactivity_days,
    identity_map,
    identity_cols,
    invalid,
    partitions,
    output,
    input_format,
    channel_grouping,
    conversion_events,
):
    """Build the path table of an event log (CSV or Parquet files) with DuckDB.

    Writes ``path, total_conversions[, total_conversion_value], total_null`` to
    OUTPUT (CSV or Parquet by its extension, atomically) and prints what was removed.
    """
    from ..journeys.events import build_journeys

    if input_format == "ga4":
        from ._ga4 import ga4_journeys

        options = dict(
            conversion_events=conversion_events,
            lookback_days=lookback_days,
            max_touches=max_touches,
            inactivity_days=inactivity_days,
            invalid=invalid,
        )
        ga4_journeys(events, output, value_col, channel_grouping, options)
        return
    if conversion_events:
        raise InputError("--conversion-event is read with --format ga4 only (for now)")
    try:
        ej = build_journeys(
            list(events) if len(events) > 1 else events[0],
            user_col=user_col,
            time_col=time_col,
            channel_col=channel_col,
            conversion_col=conversion_col,
            value_col=value_col,
            lookback_days=None if lookback_days < 0 else lookback_days,
            max_touches=max_touches,
            inactivity_days=inactivity_days,
            identity_map=identity_map,
            identity_cols=tuple(identity_cols),
            invalid=invalid,
            partitions=partitions,
        )
    except ImportError as exc:  # ibis/duckdb missing
        raise InputError(f"event logs need ibis-framework[duckdb]: {exc}") from exc
    j = ej.journeys
    write_table(j.to_frame(), output)
    click.echo(
        f"{j.n_paths} distinct paths, {j.total_conversions:g} conversions, "
        f"{j.total_nulls:g} non-converting journeys -> {output}"
        + (f" (built in {ej.partitions} partitions)" if ej.partitions > 1 else "")
    )
    for line in removed_lines(j):
        click.echo(f"removed: {line}")
