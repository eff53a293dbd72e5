"""``pathcredit models``: the registered models with their definitions."""

from __future__ import annotations

import click

__all__ = ["models_command"]


@click.command("models")
def models_command():
    """List the models with their one-line definitions."""
    from ..models import _REGISTRY

    for spec in _REGISTRY.values():
        flag = "" if spec.additive else "  [not additive]"
        click.echo(f"{spec.name:22s} {spec.definition}{flag}")
