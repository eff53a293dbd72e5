"""The ``pathcredit`` command line: a thin layer over the public API.

Errors in the input or in model parameters print one line to stderr and exit
with status 2; output files are written atomically (never half-written).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import click

from ._format import plain_number
from .exceptions import PathcreditError

# CLI option -> model parameter it sets (on every selected model that has it)
_PARAM_OPTIONS = {
    "order": "order",
    "value_function": "value_function",
    "half_life": "half_life",
    "first": "first",
    "middle": "middle",
    "last": "last",
    "direct_channel": "direct_channels",
}


#: set to 1 to see the full traceback of an unexpected error (same as ``pathcredit --debug``)
DEBUG_ENV = "PATHCREDIT_DEBUG"


class _Group(click.Group):
    """One line on stderr for every failure, never a traceback unless asked for.

    Exit status: 2 for bad input, parameters or usage (the package's own errors,
    unreadable files, click's usage errors); 1 for an unexpected internal error,
    whose one line says how to get the traceback (``--debug`` or ``PATHCREDIT_DEBUG=1``).
    """

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv or os.environ.get(DEBUG_ENV, "") not in ("", "0")
        try:
            rv = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            click.echo("pathcredit: aborted", err=True)
            code = 1
        except click.ClickException as exc:  # usage errors: bad option, missing argument
            click.echo(f"pathcredit: error: {_one_line(exc.format_message())}", err=True)
            code = exc.exit_code
        except (PathcreditError, OSError) as exc:
            if debug:
                raise
            click.echo(f"pathcredit: error: {_one_line(str(exc))}", err=True)
            code = 2
        except Exception as exc:
            if debug:
                raise
            click.echo(
                f"pathcredit: internal error: {type(exc).__name__}: {_one_line(str(exc))} "
                f"(run `pathcredit --debug ...` or set {DEBUG_ENV}=1 for the traceback; "
                "please report it)",
                err=True,
            )
            code = 1
        else:
            if not standalone_mode:
                return rv
            code = rv if isinstance(rv, int) else 0
        sys.exit(code)


def _one_line(text: str) -> str:
    return " ".join(text.split())


@click.group(cls=_Group)
@click.version_option(package_name="pathcredit")
@click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    help=f"Show the full traceback of an unexpected error (or set {DEBUG_ENV}=1).",
)
def main():
    """Marketing attribution from conversion paths."""


def _input_options(f):
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


#: the options of _input_options that go to read_paths; the rest are transforms
_READ_KEYS = ("sep", "path_col", "conversions_col", "value_col", "nulls_col")


def _load(input_path, options: dict):
    """Read aggregated paths with the input options, then apply the transform options."""
    from .journeys import io

    journeys = io.read_paths(input_path, **{k: options[k] for k in _READ_KEYS})
    return _transform(journeys, options)


def _transform(j, options: dict):
    """Apply the transform options in a fixed order: rename, drop, collapse, first, last N."""
    from .exceptions import InputError
    from .journeys import transforms

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


def _write(text: str, output: str | None) -> None:
    """Print, or write atomically: a temp file in the target folder, then rename."""
    if output is None:
        click.echo(text)
        return
    target = Path(output)
    fd, tmp = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _parse_param(item: str):
    from .exceptions import ModelError

    if "=" not in item:
        raise ModelError(f"--param takes KEY=VALUE, got {item!r}")
    key, raw = item.split("=", 1)
    try:
        return key.strip(), json.loads(raw)
    except json.JSONDecodeError:
        return key.strip(), raw


def _params_for(models, named: dict, extra: list[str]):
    """Give each model the parameters it accepts; a parameter no model takes is an error."""
    from .exceptions import ModelError
    from .models import get_model

    given = {k: v for k, v in named.items() if v not in (None, ())}
    for item in extra:
        key, val = _parse_param(item)
        given[key] = val
    per_model: dict[str, dict] = {m: {} for m in models}
    for key, val in given.items():
        takers = [m for m in models if key in get_model(m).parameters()]
        if not takers:
            raise ModelError(f"no selected model takes the parameter {key!r} (models: {models})")
        for m in takers:
            per_model[m][key] = list(val) if isinstance(val, tuple) else val
    return per_model


def _removed_note(journeys) -> str | None:
    if not journeys.removed:
        return None
    parts = [
        f"{r.step}: {r.touches} touches, {r.paths} paths "
        f"({r.conversions:g} conversions, {r.value:g} value, {r.nulls:g} nulls) removed"
        for r in journeys.removed
    ]
    return "pathcredit: " + "; ".join(parts)


def _baseline_json(results, label: str, baseline: str) -> dict:
    from .results import compare

    table = compare(results, baseline=baseline)[label]
    return {
        "label": baseline,
        "channels": [
            {
                "channel": channel,
                "change": float(row["change"]),
                "change_pct": None if row["change_pct"] != row["change_pct"] else float(
                    row["change_pct"]
                ),
            }
            for channel, row in table.iterrows()
        ],
    }


def _format_results(results, fmt: str, baseline: str | None = None) -> str:
    import pandas as pd

    from .results import compare

    if fmt == "json":
        out = [r.to_dict() for r in results]
        if baseline is not None:
            for r, obj in zip(results, out, strict=True):
                if r.label != baseline:
                    obj["baseline"] = _baseline_json(results, r.label, baseline)
        return json.dumps(out, indent=2, allow_nan=False)
    if fmt == "csv":
        if baseline is not None:
            table = compare(results, baseline=baseline).stack(level=0, future_stack=True)
            return table.reset_index().to_csv(index=False)
        return pd.concat([r.table for r in results], ignore_index=True).to_csv(index=False)
    blocks = []
    for metric in ["conversions", "value", "share"]:
        if metric == "value" and all(r.value is None for r in results):
            continue
        table = compare(results, metric=metric)
        blocks.append(f"{metric}:\n{table.to_string(float_format=plain_number)}")
    if baseline is not None:
        table = compare(results, baseline=baseline)
        blocks.append(
            f"conversions against {baseline} (change, change %):\n"
            + table.to_string(float_format=plain_number)
        )
    notes = [
        f"{r.label}: not additive (credits exceed the total)" for r in results if not r.additive
    ]
    return "\n\n".join(blocks + notes)


@main.command()
@click.argument("input_path", metavar="INPUT", required=False)
@click.option(
    "--model",
    "models",
    multiple=True,
    default=["linear"],
    show_default=True,
    help="Model name (repeatable); see `pathcredit models`.",
)
@_input_options
@click.option(
    "--events",
    type=click.Path(),
    default=None,
    help="Read an event log instead of aggregated paths (see `pathcredit journeys`).",
)
@click.option("--user-col", default="user_id", show_default=True, help="Event log: person id.")
@click.option("--time-col", default="timestamp", show_default=True, help="Event log: time.")
@click.option("--channel-col", default="channel", show_default=True, help="Event log: channel.")
@click.option(
    "--conversion-col", default="conversion", show_default=True, help="Event log: conversion flag."
)
@click.option(
    "--lookback-days",
    type=float,
    default=30,
    show_default=True,
    help="Event log: drop touches older than this before the conversion.",
)
@click.option(
    "--identity-map",
    type=click.Path(),
    default=None,
    help="Event log: device_id -> person_id file for cross-device stitching.",
)
@click.option(
    "--partitions",
    type=int,
    default=None,
    help="Event log: build in N hash partitions of the people (bounds engine memory).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option("--output", type=click.Path(dir_okay=False), default=None, help="Write to FILE.")
@click.option("--order", default=None, help="Markov order (integer or 'auto').")
@click.option("--value-function", default=None, help="Shapley value function.")
@click.option("--half-life", type=float, default=None, help="Time-decay half-life.")
@click.option("--first", type=float, default=None, help="Weight of the first touch.")
@click.option("--middle", type=float, default=None, help="Weight of the middle touches.")
@click.option("--last", type=float, default=None, help="Weight of the last touch.")
@click.option("--direct-channel", multiple=True, help="Direct channel name (repeatable).")
@click.option(
    "--compare-to",
    "baseline",
    default=None,
    metavar="MODEL",
    help="Also show each model's change against this one (e.g. last_touch), per channel.",
)
@click.option(
    "--param",
    "extra_params",
    multiple=True,
    metavar="KEY=VALUE",
    help="Any model parameter (VALUE parsed as JSON when possible).",
)
def attribute(
    input_path,
    models,
    events,
    user_col,
    time_col,
    channel_col,
    conversion_col,
    lookback_days,
    identity_map,
    partitions,
    fmt,
    output,
    order,
    value_function,
    half_life,
    first,
    middle,
    last,
    direct_channel,
    baseline,
    extra_params,
    **input_options,
):
    """Attribute the conversions in INPUT (CSV or Parquet of aggregated paths) to channels."""
    from .exceptions import InputError
    from .models import attribute as run

    if (input_path is None) == (events is None):
        raise InputError("give exactly one of INPUT (aggregated paths) or --events FILE")
    if events is not None:
        from .journeys.events import build_journeys

        # --value-col names the event log's value column only when given explicitly
        source = click.get_current_context().get_parameter_source("value_col")
        built = build_journeys(
            events,
            user_col=user_col,
            time_col=time_col,
            channel_col=channel_col,
            conversion_col=conversion_col,
            value_col=(
                input_options["value_col"]
                if source == click.core.ParameterSource.COMMANDLINE
                else None
            ),
            lookback_days=lookback_days,
            identity_map=identity_map,
            partitions=partitions,
        )
        # time_decay needs touch times: then keep one row per journey, not distinct paths
        raw = built.journey_paths() if "time_decay" in models else built.journeys
        journeys = _transform(raw, input_options)
    else:
        journeys = _load(input_path, input_options)
    if order is not None and order != "auto":
        try:
            order = int(order)
        except ValueError:
            raise InputError("--order takes a whole number or 'auto'", value=order) from None
    named = {
        "order": order,
        "value_function": value_function,
        "half_life": half_life,
        "first": first,
        "middle": middle,
        "last": last,
        "direct_channels": tuple(direct_channel),
    }
    params = _params_for(list(models), named, list(extra_params))
    models = list(models)
    from .models import available_models

    if baseline is not None and baseline not in models and baseline in available_models():
        models.append(baseline)  # the baseline at its defaults, e.g. last_touch
        params[baseline] = {}
    results = [run(journeys, model=m, **params[m]) for m in models]
    if baseline is not None:
        labels = [r.label for r in results]
        if baseline not in labels:
            raise InputError(
                f"--compare-to {baseline!r} names none of the results {labels}; "
                "give a model label (e.g. last_touch)"
            )
    note = _removed_note(journeys)
    if note:
        click.echo(note, err=True)
    _write(_format_results(results, fmt, baseline), output)


@main.command()
@click.argument("input_path", metavar="INPUT")
@_input_options
@click.option("--top", type=int, default=10, show_default=True, help="Number of top paths.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option("--output", type=click.Path(dir_okay=False), default=None)
def report(input_path, top, fmt, output, **input_options):
    """Path reports: first, last and assisted conversions; top paths; path length."""
    from .reports import path_reports

    journeys = _load(input_path, input_options)
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
    note = _removed_note(journeys)
    if note:
        click.echo(note, err=True)
    _write(text, output)


@main.command("models")
def models_command():
    """List the models with their one-line definitions."""
    from .models import _REGISTRY

    for spec in _REGISTRY.values():
        flag = "" if spec.additive else "  [not additive]"
        click.echo(f"{spec.name:22s} {spec.definition}{flag}")


@main.command()
@click.option(
    "--output",
    type=click.Path(dir_okay=False),
    default="pathcredit-demo.png",
    show_default=True,
    help="Where to write the comparison figure.",
)
def demo(output):
    """Run every model on the bundled example journeys, print a comparison, write a figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .datasets import load_example_paths
    from .exceptions import ModelError
    from .models import _REGISTRY
    from .models import attribute as run
    from .plotting import plot_attribution
    from .results import compare

    journeys = load_example_paths()
    click.echo(f"example data: {journeys!r}")
    results, skipped = [], []
    from tqdm import tqdm

    # progress on stderr, only when it is a terminal (disable=None)
    for name in tqdm(list(_REGISTRY), desc="models", unit="model", disable=None, leave=False):
        try:
            results.append(run(journeys, model=name))
        except ModelError as exc:
            skipped.append(f"{name}: {exc}")
    shares = compare(results, metric="share")
    click.echo("\nshare of conversions by model:\n")
    click.echo(shares.T.to_string(float_format=lambda x: f"{x:.3f}"))
    for s in skipped:
        click.echo(f"\nskipped {s}")
    additive = [r for r in results if r.additive]
    fig, ax = plt.subplots(figsize=(12, 5))
    plot_attribution(additive, ax=ax, title="pathcredit example data: share of conversions")
    fig.tight_layout()
    target = Path(output)
    fd, tmp = tempfile.mkstemp(dir=target.parent or ".", suffix=target.suffix or ".png")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
        plt.close(fig)
    click.echo(f"\nwrote {target}")


from ._cli_journeys import journeys_command  # noqa: E402  (needs `main` above)

main.add_command(journeys_command, "journeys")

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

from ._cli_simulate import benchmark_command, simulate_command  # noqa: E402

main.add_command(simulate_command, "simulate")
main.add_command(benchmark_command, "benchmark")
