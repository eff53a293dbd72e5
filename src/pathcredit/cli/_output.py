"""The one writer of the command line: atomic files, tables by extension, what was removed."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import click

from ..exceptions import InputError

__all__ = ["write_atomic", "write_text", "write_table", "removed_lines", "removed_note"]

#: table formats by file extension
TABLE_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def write_atomic(output: str | os.PathLike, write: Callable[[str], None]) -> None:
    """``write(tmp)`` to a temporary file beside ``output``, then rename it onto ``output``.

    A failure leaves neither a half-written ``output`` nor the temporary file.
    """
    target = Path(output)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError("output folder does not exist", source=str(folder))
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
