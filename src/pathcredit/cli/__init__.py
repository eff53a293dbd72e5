"""The ``pathcredit`` command line: a thin layer over the public API, one module per command.

Errors in the input or in model parameters print one line to stderr and exit
with status 2; output files are written atomically (never half-written) by
:mod:`pathcredit.cli._output`, the one writer. A new command is a module here
with a click command, registered at the end of this file.
"""

from __future__ import annotations

import os
import sys

import click

from ..exceptions import PathcreditError

__all__ = ["main", "DEBUG_ENV"]

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


from .attribute import attribute  # noqa: E402
from .benchmark import benchmark_command  # noqa: E402
from .demo import demo  # noqa: E402
from .journeys import journeys_command  # noqa: E402
from .models import models_command  # noqa: E402
from .report import report  # noqa: E402
from .simulate import simulate_command  # noqa: E402

main.add_command(attribute, "attribute")
main.add_command(report, "report")
main.add_command(models_command, "models")
main.add_command(demo, "demo")
main.add_command(journeys_command, "journeys")
main.add_command(simulate_command, "simulate")
main.add_command(benchmark_command, "benchmark")
