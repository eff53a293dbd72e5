"""``pathcredit attribute``: credit per channel from aggregated paths or an event log."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .._format import plain_number
from .._stats import CI_PROB
from ..exceptions import InputError, ModelError
from ..journeys.events import build_journeys
from ..models import attribute as run
from ..models import available_models
from ..models.bootstrap import bootstrap
from ..results import compare, find_result
from ._ga4 import check_not_ga4, events_format_option, ga4_build, ga4_options
from ._options import (
    EVENT_KEYS,
    build_kwargs,
    echo_warnings,
    event_options,
    identity_line,
    input_options,
    load_paths,
    params_for,
    transform,
)
from ._output import output_file, removed_note, write_text

__all__ = ["attribute"]


def _num(x) -> float | None:
    return None if x != x else float(x)


#: Columns of ``compare(..., baseline=)`` that hold the paired interval of the change.
_INTERVAL = ["change_lower", "change_upper"]


def _baseline_json(results, label: str, baseline: str) -> dict:
    """The ``"baseline"`` object of one model in ``--format json`` (see the README)."""
    r, base = find_result(results, label), find_result(results, baseline)
    conv = compare(results, baseline=baseline)[label]
    share = compare(results, metric="share", baseline=baseline)[label]
    value = (
        compare(results, metric="value", baseline=baseline)[label]
        if r.value is not None and base.value is not None
        else None
    )
    paired = bool(conv["change_lower"].notna().all()) and len(conv) > 0
    channels = []
    for channel, row in conv.iterrows():
        s, v = share.loc[channel], None if value is None else value.loc[channel]
        channels.append(
            {
                "channel": channel,
                "change": float(row["change"]),
                "change_pct": _num(row["change_pct"]),
                "change_lower": _num(row["change_lower"]),
                "change_upper": _num(row["change_upper"]),
                "share_change": _num(s["change"]),
                "share_change_lower": _num(s["change_lower"]),
                "share_change_upper": _num(s["change_upper"]),
                "value_change": None if v is None else _num(v["change"]),
                "value_change_pct": None if v is None else _num(v["change_pct"]),
                "value_change_lower": None if v is None else _num(v["change_lower"]),
                "value_change_upper": None if v is None else _num(v["change_upper"]),
            }
        )
    return {
        "label": baseline,
        "paired": paired,
        "ci_prob": r.ci_prob if paired else None,
        "channels": channels,
    }


def _format_results(results, fmt: str, baseline: str | None = None) -> str:
    """``baseline``: the label of the baseline result (resolved by the caller)."""
    import pandas as pd

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
        interval = table.columns.get_level_values(1).isin(_INTERVAL)
        if table.loc[:, interval].isna().all().all():
            title = f"conversions against {baseline} (change, change %):"
            table = table.loc[:, ~interval]
        else:
            probs = sorted({r.ci_prob for r in results if r.label != baseline and r.ci_prob})
            ci = "/".join(f"{p:.0%}" for p in probs)
            title = (
                f"conversions against {baseline} (change, change %, and the {ci} interval "
                "of the change, paired on the same resamples):"
            )
        blocks.append(title + "\n" + table.to_string(float_format=plain_number))
    for r in results:
        if "conversions" in r.lower:
            wide = r.wide()[["channel", "conversions"]].assign(
                lower=r.lower["conversions"], upper=r.upper["conversions"]
            )
            blocks.append(
                f"{r.label}: conversions with {r.ci_prob:.0%} intervals:\n"
                + wide.to_string(index=False, float_format=plain_number)
            )
    notes = [
        f"{r.label}: not additive (credits exceed the total)" for r in results if not r.additive
    ]
    return "\n\n".join(blocks + notes)


#: ``attribute --output`` formats by file extension
OUTPUT_FORMATS = {".json": "json", ".csv": "csv", ".txt": "table"}


def output_format(fmt: str | None, output: str | None) -> str:
    """The output format: the one ``--output``'s extension names (an unknown extension,
    or one that contradicts ``--format``, is refused), else ``--format``, else table."""
    if output is None:
        return fmt or "table"
    named = OUTPUT_FORMATS.get(Path(output).suffix.lower())
    if named is None:
        raise InputError(
            "cannot tell the output format from the extension; use one of "
            f"{sorted(OUTPUT_FORMATS)}",
            source=str(output),
        )
    if fmt is not None and fmt != named:
        raise InputError(
            f"--format {fmt} but the extension names {named}; make them agree",
            source=str(output),
        )
    return named


def _baseline_label(results, name: str) -> str:
    """The label of the result ``--compare-to NAME`` names: a label as printed, a model as
    given to ``--model`` (``last_non_direct`` for ``last_non_direct (bootstrap)``)."""
    try:
        return find_result(results, name).label
    except ModelError as e:
        labels = [r.label for r in results]
        if "several" in str(e):
            raise InputError(f"--compare-to {name!r}: {e}") from None
        raise InputError(
            f"--compare-to {name!r} names none of the results {labels}; "
            "give a model name or label (e.g. last_touch)"
        ) from None


@click.command("attribute")
@click.argument("input_path", metavar="INPUT", required=False)
@click.option(
    "--model",
    "models",
    multiple=True,
    default=["linear"],
    show_default=True,
    help="Model name (repeatable); see `pathcredit models`.",
)
@input_options
@click.option(
    "--events",
    type=click.Path(),
    default=None,
    help="Read an event log instead of aggregated paths; every option of "
    "`pathcredit journeys` applies (--user-col, --time-unit, --conversion-event...).",
)
@event_options
@events_format_option("--events-format")
@ga4_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "ga4"]),
    default=None,
    help="Output format [default: table; with --output, the one its extension names]; "
    "'ga4' is no output format: it is read as --events-format ga4.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write to FILE: .json, .csv or .txt (table); the extension decides the format.",
)
@click.option("--order", default=None, help="Markov order (integer or 'auto').")
@click.option("--value-function", default=None, help="Shapley value function.")
@click.option("--half-life", type=float, default=None, help="Time-decay half-life.")
@click.option("--first", type=float, default=None, help="Weight of the first touch.")
@click.option("--middle", type=float, default=None, help="Weight of the middle touches.")
@click.option("--last", type=float, default=None, help="Weight of the last touch.")
@click.option("--direct-channel", multiple=True, help="Direct channel name (repeatable).")
@click.option("--draws", type=int, default=None, help="Posterior draws (bayesian_markov).")
@click.option("--seed", type=int, default=None, help="Random seed (sampling models, --bootstrap).")
@click.option(
    "--ci-prob", type=float, default=None, help="Interval probability (default 0.9 for intervals)."
)
@click.option(
    "--bootstrap",
    "n_resamples",
    type=int,
    default=None,
    metavar="N",
    help="Percentile intervals for any model from N resamples of the path counts.",
)
@click.option(
    "--resampling",
    type=click.Choice(["poisson", "multinomial"]),
    default="poisson",
    show_default=True,
    help="Bootstrap scheme (with --bootstrap).",
)
@click.option(
    "--compare-to",
    "baseline",
    default=None,
    metavar="MODEL",
    help="Also show each model's change against this one, per channel: a model as given to "
    "--model (e.g. last_touch, added if not among them) or a label (markov(order=2)); with "
    "--bootstrap, with paired intervals of the change.",
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
    fmt,
    output,
    order,
    value_function,
    half_life,
    first,
    middle,
    last,
    direct_channel,
    draws,
    seed,
    ci_prob,
    n_resamples,
    resampling,
    baseline,
    extra_params,
    input_format="events",
    channel_grouping="default",
    session_source="own",
    **input_options,
):
    """Attribute the conversions in INPUT (CSV or Parquet of aggregated paths) to channels."""
    event_opts = {k: input_options.pop(k) for k in EVENT_KEYS}
    if (input_path is None) == (events is None):
        raise InputError("give exactly one of INPUT (aggregated paths) or --events FILE")
    if fmt == "ga4":  # an input format, never an output one
        if events is None:
            raise InputError("--format ga4 reads a GA4 export: give it as --events FILE")
        fmt, input_format = None, "ga4"
    fmt = output_format(fmt, output)
    output_file(output)  # before the work
    identity = None
    if events is not None:
        # --value-col names the event log's value column only when given explicitly
        source = click.get_current_context().get_parameter_source("value_col")
        value_col = (
            input_options["value_col"] if source == click.core.ParameterSource.COMMANDLINE else None
        )
        if input_format == "ga4":
            built = ga4_build(events, value_col, channel_grouping, session_source, event_opts)
        else:
            check_not_ga4(events)
            with echo_warnings():
                built = build_journeys(events, value_col=value_col, **build_kwargs(event_opts))
        identity = identity_line(built)
        # time_decay needs touch times: then keep one row per journey, not distinct paths
        raw = built.journey_paths() if "time_decay" in models else built.journeys
        journeys = transform(raw, input_options)
    else:
        journeys = load_paths(input_path, input_options)
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
        "draws": draws,
    }
    if n_resamples is None:  # seed and ci_prob go to the models that take them
        named |= {"seed": seed, "ci_prob": ci_prob}
    params = params_for(list(models), named, list(extra_params))
    models = list(models)

    if baseline is not None and baseline not in models and baseline in available_models():
        models.append(baseline)  # the baseline at its defaults, e.g. last_touch
        params[baseline] = {}
    if n_resamples is None:
        with echo_warnings():
            results = [run(journeys, model=m, **params[m]) for m in models]
    else:
        # every model, the baseline included, on the same resamples (same seed): the
        # changes against the baseline get paired intervals
        with echo_warnings():
            results = [
                bootstrap(
                    journeys,
                    model=m,
                    n_resamples=n_resamples,
                    seed=0 if seed is None else seed,
                    ci_prob=CI_PROB if ci_prob is None else ci_prob,
                    resampling=resampling,
                    **params[m],
                )
                for m in models
            ]
    if baseline is not None:
        baseline = _baseline_label(results, baseline)
    if identity:
        click.echo(f"pathcredit: {identity}", err=True)
    note = removed_note(journeys)
    if note:
        click.echo(note, err=True)
    write_text(_format_results(results, fmt, baseline), output)
