"""The package's error types: every error pathcredit raises on purpose derives from
:class:`PathcreditError`, so callers can catch them apart from programming errors."""

from __future__ import annotations

__all__ = ["PathcreditError", "InputError", "ModelError", "PathcreditWarning"]


class PathcreditError(Exception):
    """Base class of every error raised by pathcredit on purpose."""


class InputError(PathcreditError, ValueError):
    """Bad input data, located as precisely as the data allow.

    Parameters
    ----------
    message : str
        What is wrong.
    source : str, optional
        File name (or a description such as ``"DataFrame"``).
    column : str, optional
        Offending column.
    row : int, optional
        0-based row index in the input (data rows, header excluded).
    value : object, optional
        The offending value.
    """

    def __init__(self, message, *, source=None, column=None, row=None, value=None):
        self.reason = message
        self.source = source
        self.column = column
        self.row = row
        self.value = value
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.source is not None:
            where.append(str(self.source))
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.value is not None:
            where.append(f"value {self.value!r}")
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


class ModelError(PathcreditError, ValueError):
    """A model cannot be run as asked (unknown model, bad parameter, missing data)."""


class PathcreditWarning(UserWarning):
    """A result was computed but may not be what was meant (e.g. ``last_non_direct`` on
    data with no direct channel, an identity map that matched nothing, most
    conversions dropped). The command line prints each as one line on stderr."""
