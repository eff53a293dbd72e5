"""The one writer of the command line: atomic files, tables by extension, what was removed.

Every command follows one rule for where it writes: ``--output`` names a file or a
folder, and pathcredit creates at most that one name. The folder that holds it must
exist already; a missing one is refused with an :class:`~pathcredit.exceptions.InputError`
before any work, so a mistyped path fails fast instead of growing a tree of folders
somewhere unexpected. Commands that write several files (``simulate``, ``benchmark``)
create the folder ``--output`` names, as a file-writing command creates its file.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import click

from ..exceptions import InputError

__all__ = [
    "write_atomic",
    "write_text",
    "write_table",
    "output_file",
    "output_folder",
    "make_output_folder",
    "output_folder_option",
    "removed_lines",
    "removed_note",
]

#: table formats by file extension
TABLE_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def write_atomic(output: str | os.PathLike, write: Callable[[str], None]) -> None:
    """``write(tmp)`` to a temporary file beside ``output``, then rename it onto ``output``.

    A failure leaves neither a half-written ``output`` nor the temporary file.
    """
    target = Path(output)
    folder = _holder(target)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a normal file is 0666 - umask
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _holder(target: Path) -> Path:
    """The existing folder that holds ``target`` (an InputError when it does not exist)."""
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError("output folder does not exist", source=str(folder))
    return folder


def output_folder(output: str | os.PathLike) -> Path:
    """The folder ``--output`` names, checked before any work (created by
    :func:`make_output_folder`): not an existing file, and its own folder exists."""
    target = Path(output)
    if target.exists() and not target.is_dir():
        raise InputError("--output names a file; give a folder", source=str(target))
    _holder(target)
    return target


def output_file(output: str | os.PathLike | None) -> None:
    """Check the file ``--output`` names before any work: its folder exists and it is not
    a folder itself (``None``, printing to stdout, passes)."""
    if output is None:
        return
    target = Path(output)
    if target.is_dir():
        raise InputError("--output names a folder; give a file name", source=str(target))
    _holder(target)


def make_output_folder(output: str | os.PathLike) -> Path:
    """:func:`output_folder`, created if missing (only that one level)."""
    target = output_folder(output)
    target.mkdir(exist_ok=True)
    return target


def output_folder_option(*, help: str):
    """``--output FOLDER`` and its deprecated spelling ``--out`` (still accepted, with a
    one-line warning on stderr), for commands that write a folder of files.

    The command receives ``output`` (``None`` when neither is given: the command
    applies its own default folder).
    """

    def decorate(f):
        @functools.wraps(f)
        def run(*args, output, out_alias, **kwargs):
            if out_alias is not None:
                if output is not None:
                    raise InputError("give --output only (--out is its old spelling)")
                click.echo("pathcredit: warning: --out is deprecated; use --output", err=True)
                output = out_alias
            return f(*args, output=output, **kwargs)

        kind = click.Path(file_okay=False)
        run = click.option("--out", "out_alias", type=kind, default=None, hidden=True)(run)
        return click.option("--output", "output", type=kind, default=None, help=help)(run)

    return decorate


def write_text(text: str, output: str | None) -> None:
    """Print ``text``, or write it atomically to ``output``."""
    if output is None:
        click.echo(text)
        return
    body = text if text.endswith("\n") else text + "\n"

    def write(tmp: str) -> None:
        Path(tmp).write_text(body, encoding="utf-8")

    write_atomic(output, write)


def write_table(frame, output: str) -> None:
    """Write a DataFrame in the format its file extension names (``.csv``, ``.parquet``).

    An unknown extension is refused rather than guessed (a ``.csv`` once received
    Parquet bytes that ``pathcredit attribute`` could not read back).
    """
    kind = TABLE_FORMATS.get(Path(output).suffix.lower())
    if kind is None:
        raise InputError(
            f"cannot tell the output format from the extension; use one of {sorted(TABLE_FORMATS)}",
            source=str(output),
        )
    if kind == "csv":
        write_atomic(output, lambda tmp: frame.to_csv(tmp, index=False))
    else:
        write_atomic(output, lambda tmp: frame.to_parquet(tmp, index=False))


def removed_lines(journeys) -> list[str]:
    """One line per removal step, in the one format every command prints."""
    return [
        f"{r.step}: {r.touches} touches, {r.paths} paths ({r.conversions:g} conversions, "
        f"{r.value:g} value, {r.nulls:g} non-converting journeys) removed"
        for r in journeys.removed
    ]


def removed_note(journeys) -> str | None:
    """All removal steps on one line for stderr, or None when nothing was removed."""
    lines = removed_lines(journeys)
    return "pathcredit: " + "; ".join(lines) if lines else None
