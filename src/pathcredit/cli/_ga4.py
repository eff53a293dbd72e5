"""``pathcredit journeys --format ga4``: a GA4 BigQuery export in, the path table out.

A thin layer over :func:`pathcredit.read_ga4`; ``journeys`` dispatches here.
"""

from __future__ import annotations

import click

__all__ = ["ga4_journeys", "FORMAT_HELP", "GROUPING_HELP"]

FORMAT_HELP = (
    "Input format: 'events' (one row per touch or conversion, the column options) or "
    "'ga4' (a GA4 BigQuery export as Parquet or newline-delimited JSON: one touch per "
    "session, --conversion-event names, default purchase; --value-col a field path, "
    "default ecommerce.purchase_revenue; user_id stitching)."
)
GROUPING_HELP = (
    "With --format ga4: how a session's source / medium / campaign becomes a channel: "
    "'default' (GA4's default channel group), 'media' (paid / owned / earned), "
    "'source_medium', or a CSV of rules (channel,source,medium,campaign regular expressions)."
)


def ga4_journeys(events, output, value_col, channel_grouping, options: dict) -> None:
    """Read the export, write the path table to ``output``, print the counts."""
    from ..journeys.ga4 import read_ga4
    from ._output import removed_lines, write_table

    def days(v):
        return None if v is None or v < 0 else v

    extra = {}
    for key in ("offline", "offline_user_col"):  # offline touches, where build_journeys has them
        if options.get(key) is not None:
            extra[key] = options[key]
    ej = read_ga4(
        list(events) if len(events) > 1 else events[0],
        conversion_events=tuple(options.get("conversion_events") or ()) or ("purchase",),
        value_field=value_col or "ecommerce.purchase_revenue",
        channel_grouping=channel_grouping,
        lookback_days=days(options.get("lookback_days")),
        max_touches=options.get("max_touches"),
        inactivity_days=options.get("inactivity_days"),
        invalid=options.get("invalid") or "drop",
        backend=options.get("backend") or "duckdb",
        **extra,
    )
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
    if c["events_without_session"]:
        click.echo(f"ignored: {c['events_without_session']:,} events without a ga_session_id")
    for line in removed_lines(j):
        click.echo(f"removed: {line}")
