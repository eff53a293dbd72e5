"""GA4 BigQuery exports on the command line: ``journeys --format ga4`` and
``attribute --events FILE --events-format ga4``.

A thin layer over :func:`pathcredit.read_ga4`; both commands dispatch here, with one
set of GA4 options (:func:`ga4_options`) and one input-format option
(:func:`events_format_option`: ``journeys --format`` / ``--events-format``; on
``attribute``, whose ``--format`` is the output format, ``--events-format``).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import click

from ..exceptions import InputError
from ..journeys.ga4 import looks_like_ga4, read_ga4
from ._options import echo_warnings
from ._output import removed_lines, write_table

__all__ = [
    "ga4_journeys",
    "ga4_build",
    "ga4_options",
    "events_format_option",
    "check_not_ga4",
    "FORMAT_HELP",
    "GROUPING_HELP",
    "SESSION_SOURCE_HELP",
]

FORMAT_HELP = (
    "Input format: 'events' (one row per touch or conversion, the column options) or "
    "'ga4' (a GA4 BigQuery export as Parquet or newline-delimited JSON: one touch per "
    "session, click ids read as GA4 reads them, --conversion-event names, default "
    "purchase, each transaction_id counted once; --value-col a field path, default "
    "ecommerce.purchase_revenue; user_id stitching; lookback GA4's 90 days, 30 for "
    "first_open / first_visit, unless --lookback-days is given)."
)
GROUPING_HELP = (
    "With the ga4 format: how a session's source / medium / campaign becomes a channel: "
    "'default' (GA4's default channel group), 'media' (paid / owned / earned), "
    "'source_medium', or a CSV of rules (channel,source,medium,campaign regular expressions)."
)
SESSION_SOURCE_HELP = (
    "With the ga4 format: 'own' (each session keeps the source it brought; direct stays "
    "Direct; 'collected' is the same) or 'last_click' (GA4's report view: a direct "
    "session takes the device's previous non-direct source within 90 days), the same on "
    "exports before and after July 2024."
)


def events_format_option(*names):
    """The input-format option (``--format`` / ``--events-format`` on ``journeys``)."""
    return click.option(
        *names,
        "input_format",
        type=click.Choice(["events", "ga4"]),
        default="events",
        show_default=True,
        help=FORMAT_HELP,
    )


def ga4_options(f):
    """``--channel-grouping`` and ``--session-source`` (read with the ga4 format only)."""
    options = [
        click.option(
            "--channel-grouping", default="default", show_default=True, help=GROUPING_HELP
        ),
        click.option(
            "--session-source",
            type=click.Choice(["own", "collected", "last_click"]),
            default="own",
            show_default=True,
            help=SESSION_SOURCE_HELP,
        ),
    ]
    for opt in reversed(options):
        f = opt(f)
    return f


def check_not_ga4(events) -> None:
    """Stop with one line when an event-log input is a GA4 export read without the ga4 format.

    Only Parquet and newline-delimited JSON files are looked at (a GA4 export is
    nested, so never CSV): the Parquet schema, or the keys of the first JSON line.
    """

    paths = [events] if isinstance(events, str) else list(events)
    for p in paths:
        path = Path(str(p))
        low = path.name.lower().removesuffix(".gz")
        if not path.is_file():
            continue
        cols: list[str] = []
        try:
            if low.endswith((".parquet", ".pq")):
                import pyarrow.parquet as pq

                cols = list(pq.read_schema(path).names)
            elif low.endswith((".json", ".ndjson", ".jsonl")):
                opener = gzip.open if path.name.lower().endswith(".gz") else open
                with opener(path, "rt", encoding="utf-8") as fh:
                    first = json.loads(fh.readline() or "{}")
                cols = list(first) if isinstance(first, dict) else []
        except Exception:  # noqa: BLE001 - not readable here: the reader says why
            continue
        if looks_like_ga4(cols):
            raise InputError("this looks like a GA4 export: add --format ga4", source=str(path))


def _days(v):
    return None if v is None or v < 0 else v


def ga4_build(events, value_col, channel_grouping, session_source, options: dict):
    """:func:`pathcredit.read_ga4` with the event-log options (``--lookback-days`` only
    when given on the command line: GA4's default otherwise)."""

    ctx = click.get_current_context(silent=True)
    given = (
        ctx is not None
        and ctx.get_parameter_source("lookback_days") == click.core.ParameterSource.COMMANDLINE
    )
    extra = {}
    for key in ("offline", "offline_user_col"):  # offline touches, where build_journeys has them
        if options.get(key) is not None:
            extra[key] = options[key]
    if options.get("reset_at_conversion") is not None:
        extra["reset_at_conversion"] = options["reset_at_conversion"]
    events = list(events) if not isinstance(events, str) else [events]
    with echo_warnings():
        return read_ga4(
            events if len(events) > 1 else events[0],
            conversion_events=tuple(options.get("conversion_events") or ()) or ("purchase",),
            value_field=value_col or "ecommerce.purchase_revenue",
            channel_grouping=channel_grouping,
            session_source=session_source,
            lookback_days=_days(options.get("lookback_days")) if given else "ga4",
            max_touches=options.get("max_touches"),
            inactivity_days=options.get("inactivity_days"),
            invalid=options.get("invalid") or "drop",
            backend=options.get("backend") or "duckdb",
            **extra,
        )


def ga4_journeys(events, output, value_col, channel_grouping, session_source, options) -> None:
    """Read the export, write the path table to ``output``, print the counts."""

    ej = ga4_build(events, value_col, channel_grouping, session_source, options)
    j = ej.journeys
    write_table(j.to_frame(), output)
    c = ej.ga4
    click.echo(
        f"{j.n_paths} distinct paths, {j.total_conversions:g} conversions, "
        f"{j.total_nulls:g} non-converting journeys -> {output}"
    )
    src = ", ".join(f"{k} {v:,}" for k, v in c["session_source"].items())
    click.echo(
        f"GA4 export: {c['events']:,} events, {c['sessions']:,} sessions (source from: {src}), "
        f"{c['conversion_events']:,} conversion events ({', '.join(c['conversion_event_names'])}), "
        f"{c.get('devices_stitched', 0):,} of {c['devices']:,} devices stitched to a user_id"
    )
    ids = ", ".join(f"{k} {v:,}" for k, v in c["click_ids"].items() if v)
    if ids:
        click.echo(f"sessions decided by a click id: {ids}")
    click.echo(
        f"session source: {c['session_source_mode']}; lookback: "
        + ("none" if c["lookback_days"] is None else f"{c['lookback_days']:g} days")
    )
    if c["events_without_session"]:
        click.echo(f"ignored: {c['events_without_session']:,} events without a ga_session_id")
    for line in removed_lines(j):
        click.echo(f"removed: {line}")
