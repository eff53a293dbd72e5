"""Every error and warning class of the package, in one module.

Errors pathcredit raises on purpose because of the caller's input derive from
:class:`PathcreditError`, so callers can catch them apart from programming errors. A
broken internal invariant (a model's credit not summing to the journeys' totals, a
kernel's result outside its own interval) is an :class:`InternalError`, a
``RuntimeError`` and deliberately not a ``PathcreditError``: it is a bug to report,
not bad input to fix, and the command line exits 1 for it where it exits 2 for bad input.
"""

from __future__ import annotations

__all__ = [
    "PathcreditError",
    "InputError",
    "ModelError",
    "InternalError",
    "PathcreditWarning",
    "BootstrapWarning",
    "SamplingWarning",
]


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


class InternalError(RuntimeError):
    """An internal invariant failed: a bug in pathcredit (or in a registered model), not bad input.

    Not a :class:`PathcreditError`, so ``except PathcreditError`` (bad input) does not
    swallow it; ``pathcredit`` commands report it with exit status 1 and say how to get
    the traceback.
    """


class PathcreditWarning(UserWarning):
    """A result was computed but may not be what was meant (e.g. ``last_non_direct`` on
    data with no direct channel, an identity map that matched nothing, most
    conversions dropped). The command line prints each as one line on stderr."""


class BootstrapWarning(PathcreditWarning):
    """The plug-in credit of a channel lies outside its percentile interval
    (:func:`pathcredit.bootstrap` widens the interval to reach it)."""


class SamplingWarning(PathcreditWarning):
    """The sampler's diagnostics failed (R-hat, effective sample size or divergences):
    the posterior (and so the intervals) may be wrong. The message names the fix."""
