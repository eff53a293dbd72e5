"""Options shared by the commands: aggregated-path input, event-log input, model parameters.

The event-log options are ONE group (:func:`event_options`, one help text each),
used by ``pathcredit journeys`` and ``pathcredit attribute --events``, so both
accept the same options with the same meaning (``--lookback-days`` included);
:func:`build_kwargs` turns them into :func:`~pathcredit.journeys.events.build_journeys`
arguments.
"""

from __future__ import annotations

import json
import warnings
from contextlib import contextmanager

import click

from ..exceptions import InputError, ModelError, PathcreditWarning
from ..journeys import io, transforms
from ..models import get_model

__all__ = [
    "input_options",
    "event_options",
    "EVENT_KEYS",
    "build_kwargs",
    "echo_warnings",
    "identity_line",
    "load_paths",
    "transform",
    "params_for",
    "parse_params",
]


def input_options(f):
    options = [
        click.option("--sep", default=">", show_default=True, help="Separator between channels."),
        click.option("--path-col", default="path", show_default=True),
        click.option("--conversions-col", default="total_conversions", show_default=True),
        click.option("--value-col", default="total_conversion_value", show_default=True),
        click.option("--nulls-col", default="total_null", show_default=True),
        click.option("--collapse-repeats", is_flag=True, help="Merge consecutive repeats."),
        click.option("--first-occurrence", is_flag=True, help="Keep each channel's first touch."),
        click.option("--keep-last", type=int, default=None, help="Keep the last N touches."),
        click.option("--drop-channel", multiple=True, help="Remove a channel (repeatable)."),
        click.option("--rename", multiple=True, metavar="OLD=NEW", help="Rename (repeatable)."),
    ]
    for opt in reversed(options):
        f = opt(f)
    return f


def event_options(f):
    """The event-log options of ``journeys`` and ``attribute --events`` (one group)."""
    options = [
        click.option("--user-col", default="user_id", show_default=True, help="Person id column."),
        click.option(
            "--time-col",
            default="timestamp",
            show_default=True,
            help="Time column: timestamps, dates, ISO 8601 strings (an offset such as "
            "+02:00 or Z is read as the instant it names) or integers with --time-unit.",
        ),
        click.option(
            "--time-unit",
            type=click.Choice(["s", "ms", "us", "ns"]),
            default=None,
            help="Unit of integer times since 1970-01-01 UTC (GA4's event_timestamp: us).",
        ),
        click.option("--channel-col", default="channel", show_default=True, help="Channel column."),
        click.option(
            "--conversion-col",
            default="conversion",
            show_default=True,
            help="Conversion flag column (non-zero = conversion); not read with "
            "--conversion-event.",
        ),
        click.option(
            "--event-col",
            default=None,
            help="Event-name column (default event_name when --conversion-event is given).",
        ),
        click.option(
            "--conversion-event",
            "conversion_events",
            multiple=True,
            metavar="NAME",
            help="An event name that is a conversion (repeatable), e.g. purchase.",
        ),
        click.option(
            "--touch-event",
            "touch_events",
            multiple=True,
            metavar="NAME",
            help="An event name that is a touch (repeatable); other events are ignored "
            "and counted. Without it every non-conversion row with a channel is a touch.",
        ),
        click.option(
            "--type-col",
            default=None,
            help="Touch-type column (click, view or impression, offline, ...).",
        ),
        click.option(
            "--lookback-days",
            type=float,
            default=30.0,
            show_default=True,
            help="Drop touches older than this before the end of their journey "
            "(negative: no limit); with --type-lookback, the window of the other types. "
            "With the ga4 format the default is GA4's: 90 days, 30 when every conversion "
            "event is first_open / first_visit.",
        ),
        click.option(
            "--type-lookback",
            multiple=True,
            metavar="TYPE=DAYS",
            help="Lookback window of one touch type (repeatable), e.g. view=1 "
            "(negative DAYS: no limit).",
        ),
        click.option(
            "--ignore-views",
            is_flag=True,
            help="Leave view (impression) touches out of the journeys (counted).",
        ),
        click.option(
            "--offline",
            type=click.Path(dir_okay=False),
            default=None,
            help="CSV/Parquet file of offline touches (store visits, calls...), keyed by a "
            "customer id and joined through --identity-map.",
        ),
        click.option(
            "--offline-user-col",
            default=None,
            help="Customer-id column of --offline (default: --user-col).",
        ),
        click.option(
            "--reset-at-conversion/--no-reset-at-conversion",
            default=True,
            show_default=True,
            help="A journey ends at each conversion and the next starts empty; with "
            "--no-reset-at-conversion each conversion's path keeps every touch of the "
            "person inside its lookback window, before earlier conversions too (as "
            "GA4's conversion paths do).",
        ),
        click.option("--max-touches", type=int, default=None, help="Keep the last N touches."),
        click.option(
            "--inactivity-days",
            type=float,
            default=None,
            help="End a non-converting journey after this many days without events.",
        ),
        click.option(
            "--identity-map",
            type=click.Path(dir_okay=False),
            default=None,
            help="CSV/Parquet file mapping device ids to person ids (ids read as text).",
        ),
        click.option(
            "--identity-cols",
            nargs=2,
            default=("device_id", "person_id"),
            show_default=True,
            help="Device and person columns of the identity map.",
        ),
        click.option(
            "--invalid",
            type=click.Choice(["drop", "raise"]),
            default="drop",
            show_default=True,
            help="Drop and count bad events, or stop at the first kind.",
        ),
        click.option(
            "--backend",
            type=click.Choice(["duckdb", "spark", "pandas"]),
            default="duckdb",
            show_default=True,
            help="Engine that builds the journeys: DuckDB (embedded), Spark (the active "
            "session or a local one; pathcredit[spark] and Java 17) or the pandas reference.",
        ),
        click.option(
            "--partitions",
            type=int,
            default=None,
            help="Build in N hash partitions of the people to bound the engine's memory "
            "(default: one pass, more only if DuckDB runs out of memory).",
        ),
    ]
    for opt in reversed(options):
        f = opt(f)
    return f


#: the parameters of :func:`event_options`
EVENT_KEYS = (
    "user_col",
    "time_col",
    "time_unit",
    "channel_col",
    "conversion_col",
    "event_col",
    "conversion_events",
    "touch_events",
    "type_col",
    "lookback_days",
    "type_lookback",
    "ignore_views",
    "offline",
    "offline_user_col",
    "reset_at_conversion",
    "max_touches",
    "inactivity_days",
    "identity_map",
    "identity_cols",
    "invalid",
    "backend",
    "partitions",
)


def build_kwargs(options: dict) -> dict:
    """``build_journeys`` arguments from the :func:`event_options` values."""

    def days(v):
        return None if v is None or v < 0 else v

    lookback = days(options["lookback_days"])
    if options["type_lookback"]:
        mapping: dict = {}
        for item in options["type_lookback"]:
            if "=" not in item:
                raise InputError("--type-lookback takes TYPE=DAYS", value=item)
            kind, raw = item.split("=", 1)
            try:
                mapping[kind.strip()] = days(float(raw))
            except ValueError:
                raise InputError("--type-lookback takes TYPE=DAYS", value=item) from None
        lookback = {**mapping, "default": lookback}
    if not options["conversion_events"] and options["event_col"] is not None:
        raise InputError("--event-col needs --conversion-event NAME (repeatable)")
    return dict(
        user_col=options["user_col"],
        time_col=options["time_col"],
        time_unit=options["time_unit"],
        channel_col=options["channel_col"],
        conversion_col=options["conversion_col"],
        event_col=options["event_col"],
        conversion_events=list(options["conversion_events"]) or None,
        touch_events=list(options["touch_events"]) or None,
        type_col=options["type_col"],
        lookback_days=lookback,
        include_views=not options["ignore_views"],
        offline=options["offline"],
        offline_user_col=options["offline_user_col"],
        reset_at_conversion=options["reset_at_conversion"],
        max_touches=options["max_touches"],
        inactivity_days=options["inactivity_days"],
        identity_map=options["identity_map"],
        identity_cols=tuple(options["identity_cols"]),
        invalid=options["invalid"],
        backend=None if options["backend"] == "duckdb" else options["backend"],
        partitions=options["partitions"],
    )


@contextmanager
def echo_warnings():
    """Print each :class:`~pathcredit.exceptions.PathcreditWarning` raised inside as one
    line on stderr (``pathcredit: warning: ...``); other warnings are not shown."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", PathcreditWarning)
        try:
            yield
        finally:
            seen = []
            for w in caught:
                msg = " ".join(str(w.message).split())
                if issubclass(w.category, PathcreditWarning) and msg not in seen:
                    seen.append(msg)
            for msg in seen:
                click.echo(f"pathcredit: warning: {msg}", err=True)


def identity_line(built) -> str | None:
    """One line on how much of the identity map matched the log, or None without a map."""
    report = getattr(built, "identity", None)
    if not report:
        return None
    return f"identity map: {report['matched']:,} of {report['rows']:,} rows matched ids in the log"


#: the options of _input_options that go to read_paths; the rest are transforms
_READ_KEYS = ("sep", "path_col", "conversions_col", "value_col", "nulls_col")


def load_paths(input_path, options: dict):
    """Read aggregated paths with the input options, then apply the transform options."""
    journeys = io.read_paths(input_path, **{k: options[k] for k in _READ_KEYS})
    return transform(journeys, options)


def transform(j, options: dict):
    """Apply the transform options in a fixed order: rename, drop, collapse, first, last N."""

    if options["rename"]:
        mapping = {}
        for item in options["rename"]:
            if "=" not in item:
                raise InputError("--rename takes OLD=NEW", value=item)
            old, new = item.split("=", 1)
            mapping[old.strip()] = new.strip()
        j = transforms.rename_channels(j, mapping)
    if options["drop_channel"]:
        j = transforms.drop_channels(j, list(options["drop_channel"]))
    if options["collapse_repeats"]:
        j = transforms.collapse_repeats(j)
    if options["first_occurrence"]:
        j = transforms.first_occurrence(j)
    if options["keep_last"] is not None:
        j = transforms.keep_last(j, options["keep_last"])
    return j


def parse_params(items) -> dict:
    """The one ``--param KEY=VALUE`` parser of every command: VALUE is read as JSON when
    it is JSON (``2``, ``0.5``, ``true``, ``'{"search": 0.02}'``), else kept as text.

    A malformed item is an :class:`~pathcredit.exceptions.InputError` naming it.

    Examples
    --------
    >>> parse_params(["order=2", "value_function=markov", 'beta={"a": 0.1}'])
    {'order': 2, 'value_function': 'markov', 'beta': {'a': 0.1}}
    """
    out = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--param takes KEY=VALUE, got {item!r}")
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out


def params_for(models, named: dict, extra: list[str]):
    """Give each model the parameters it accepts; a parameter no model takes is an error."""

    given = {k: v for k, v in named.items() if v not in (None, ())}
    given.update(parse_params(extra))
    per_model: dict[str, dict] = {m: {} for m in models}
    for key, val in given.items():
        takers = [m for m in models if key in get_model(m).parameters()]
        if not takers:
            raise ModelError(f"no selected model takes the parameter {key!r} (models: {models})")
        for m in takers:
            per_model[m][key] = list(val) if isinstance(val, tuple) else val
    return per_model
