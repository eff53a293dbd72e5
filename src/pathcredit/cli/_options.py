"""Options shared by the commands that read aggregated paths, and model parameters."""

from __future__ import annotations

import json

import click

__all__ = ["input_options", "load_paths", "transform", "params_for"]


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


#: the options of _input_options that go to read_paths; the rest are transforms
_READ_KEYS = ("sep", "path_col", "conversions_col", "value_col", "nulls_col")


def load_paths(input_path, options: dict):
    """Read aggregated paths with the input options, then apply the transform options."""
    from ..journeys import io

    journeys = io.read_paths(input_path, **{k: options[k] for k in _READ_KEYS})
    return transform(journeys, options)


def transform(j, options: dict):
    """Apply the transform options in a fixed order: rename, drop, collapse, first, last N."""
    from ..exceptions import InputError
    from ..journeys import transforms

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


def _parse_param(item: str):
    from ..exceptions import ModelError

    if "=" not in item:
        raise ModelError(f"--param takes KEY=VALUE, got {item!r}")
    key, raw = item.split("=", 1)
    try:
        return key.strip(), json.loads(raw)
    except json.JSONDecodeError:
        return key.strip(), raw


def params_for(models, named: dict, extra: list[str]):
    """Give each model the parameters it accepts; a parameter no model takes is an error."""
    from ..exceptions import ModelError
    from ..models import get_model

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
