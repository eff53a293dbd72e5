"""``pathcredit journeys``: an event log in, the aggregated path table out (CSV or Parquet).

A thin layer over :func:`pathcredit.journeys.events.build_journeys`.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..exceptions import InputError
from ..journeys.events import build_journeys
from ..journeys.events import read_events_as_journeys as _read
from ._ga4 import check_not_ga4, events_format_option, ga4_journeys, ga4_options
from ._options import build_kwargs, echo_warnings, event_options, identity_line
from ._output import TABLE_FORMATS, output_file, removed_lines, write_table

__all__ = ["journeys_command", "read_events_as_journeys"]


def check_table_output(output) -> None:
    """Refuse an output extension that names no table format before any work is done."""

    if Path(output).suffix.lower() not in TABLE_FORMATS:
        raise InputError(
            f"cannot tell the output format from the extension; use one of {sorted(TABLE_FORMATS)}",
            source=str(output),
        )


def read_events_as_journeys(path, **column_options):
    """The path table of an event log file (for ``pathcredit attribute --events FILE``).

    ``column_options`` go to :func:`~pathcredit.journeys.events.build_journeys`;
    ``identity_map`` may be a file path.
    """

    return _read(path, **column_options)


@click.command("journeys")
@click.argument("events", metavar="EVENTS", nargs=-1, required=True)
@event_options
@click.option("--value-col", default=None, help="Conversion value column.")
@events_format_option("--format", "--events-format")
@ga4_options
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="File for the path table: .csv or .parquet (the extension decides).",
)
def journeys_command(
    events, value_col, output, input_format, channel_grouping, session_source, **options
):
    """Build the path table of an event log (CSV or Parquet files) with DuckDB.

    Writes ``path, total_conversions[, total_conversion_value], total_null`` to
    OUTPUT (CSV or Parquet by its extension, atomically) and prints what was removed.
    """

    check_table_output(output)
    output_file(output)  # the folder holding it must exist, as for every command
    if input_format == "ga4":
        ga4_journeys(events, output, value_col, channel_grouping, session_source, options)
        return
    check_not_ga4(events)
    try:
        with echo_warnings():
            ej = build_journeys(
                list(events) if len(events) > 1 else events[0],
                value_col=value_col,
                **build_kwargs(options),
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
    line = identity_line(ej)
    if line:
        click.echo(line)
    for line in removed_lines(j):
        click.echo(f"removed: {line}")
