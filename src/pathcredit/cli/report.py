"""``pathcredit report``: Google Analytics-style path reports."""

from __future__ import annotations

import json

import click

from .._format import plain_number
from ..reports import path_reports
from ._options import input_options, load_paths
from ._output import output_file, removed_note, write_text

__all__ = ["report"]


@click.command("report")
@click.argument("input_path", metavar="INPUT")
@input_options
@click.option("--top", type=int, default=10, show_default=True, help="Number of top paths.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option("--output", type=click.Path(dir_okay=False), default=None)
def report(input_path, top, fmt, output, **input_options):
    """Path reports: first, last and assisted conversions; top paths; path length."""
    output_file(output)  # before the work
    journeys = load_paths(input_path, input_options)
    reports = path_reports(journeys, top=top)
    if fmt == "json":
        text = json.dumps(reports.to_dict(), indent=2, allow_nan=False)
    else:
        fmt_float = plain_number
        text = "\n\n".join(
            [
                "channels:\n" + reports.channels.to_string(index=False, float_format=fmt_float),
                "top conversion paths:\n"
                + reports.top_paths.to_string(index=False, float_format=fmt_float),
                "path length:\n"
                + reports.path_length.to_string(index=False, float_format=fmt_float),
            ]
        )
    note = removed_note(journeys)
    if note:
        click.echo(note, err=True)
    write_text(text, output)
