"""The one result type every model returns."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .exceptions import ModelError

__all__ = ["AttributionResult", "compare"]

#: Columns of the long table, fixed for every model.
LONG_COLUMNS = ["model", "channel", "metric", "value", "lower", "upper"]
#: Columns of the wide view, fixed for every model.
WIDE_COLUMNS = ["channel", "conversions", "value", "share"]


class AttributionResult:
    """Credit per channel from one model, with everything needed to check it.

    Parameters
    ----------
    model : str
        Model name as passed to :func:`pathcredit.attribute`.
    params : dict
        The model's parameters, defaults filled in.
    channels : sequence of str
    conversions : array of float
        Credited conversions per channel.
    value : array of float, optional
        Credited conversion value per channel; ``None`` when the data have no value.
    total_conversions, total_value : float
        Totals of the journeys the model saw (after any transform).
    additive : bool, default True
        Whether credits must sum to the totals (checked here). Participation-style
        models are not additive.
    extras : mapping, optional
        Model-specific outputs (removal effects, transition matrix...). Always present.
    lower, upper : mapping of metric -> array, optional
        Interval bounds, from models that give uncertainty.
    removed : tuple of Removal
        What transforms removed before the model ran.

    Attributes
    ----------
    table : pandas.DataFrame
        Long table with columns ``model, channel, metric, value, lower, upper``;
        metrics are ``conversions`` and, when the data have value, ``value``.
    """

    def __init__(
        self,
        model: str,
        params: Mapping[str, Any],
        channels: Sequence[str],
        conversions,
        value=None,
        *,
        total_conversions: float,
        total_value: float | None = None,
        additive: bool = True,
        extras: Mapping[str, Any] | None = None,
        lower: Mapping[str, np.ndarray] | None = None,
        upper: Mapping[str, np.ndarray] | None = None,
        removed: tuple = (),
    ):
        self.model = model
        self.params = dict(params)
        self.channels = tuple(channels)
        self.conversions = np.asarray(conversions, dtype=np.float64)
        self.value = None if value is None else np.asarray(value, dtype=np.float64)
        self.total_conversions = float(total_conversions)
        self.total_value = None if total_value is None else float(total_value)
        self.additive = additive
        self.extras: dict[str, Any] = dict(extras or {})
        self.lower = {k: np.asarray(v, dtype=np.float64) for k, v in (lower or {}).items()}
        self.upper = {k: np.asarray(v, dtype=np.float64) for k, v in (upper or {}).items()}
        self.removed = tuple(removed)
        if additive:
            self._check_totals()

    def _check_totals(self) -> None:
        pairs = [("conversions", self.conversions, self.total_conversions)]
        if self.value is not None and self.total_value is not None:
            pairs.append(("value", self.value, self.total_value))
        for name, credit, total in pairs:
            got = float(credit.sum())
            if not math.isclose(got, total, rel_tol=1e-9, abs_tol=1e-9):
                raise ModelError(
                    f"internal error: model {self.model!r} credited {got!r} {name} "
                    f"but the journeys have {total!r}"
                )

    # ------------------------------------------------------------------ views
    @property
    def share(self) -> np.ndarray:
        """Credited conversions / total conversions (sums to 1 for additive models)."""
        if self.total_conversions == 0:
            return np.full(len(self.channels), np.nan)
        return self.conversions / self.total_conversions

    @property
    def table(self):
        import pandas as pd

        frames = []
        metrics = {"conversions": self.conversions}
        if self.value is not None:
            metrics["value"] = self.value
        for metric, vals in metrics.items():
            lo = self.lower.get(metric)
            hi = self.upper.get(metric)
            frames.append(
                pd.DataFrame(
                    {
                        "model": self.model,
                        "channel": list(self.channels),
                        "metric": metric,
                        "value": vals,
                        "lower": np.nan if lo is None else lo,
                        "upper": np.nan if hi is None else hi,
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)[LONG_COLUMNS]

    def wide(self):
        """One row per channel: ``channel, conversions, value, share``."""
        import pandas as pd

        return pd.DataFrame(
            {
                "channel": list(self.channels),
                "conversions": self.conversions,
                "value": np.nan if self.value is None else self.value,
                "share": self.share,
            }
        )[WIDE_COLUMNS]

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``pathcredit attribute --format json``."""
        out: dict[str, Any] = {
            "model": self.model,
            "params": _jsonable(self.params),
            "total_conversions": self.total_conversions,
            "total_value": self.total_value,
            "additive": self.additive,
            "channels": [
                {
                    "channel": c,
                    "conversions": float(self.conversions[i]),
                    "value": None if self.value is None else float(self.value[i]),
                    "share": _num(self.share[i]),
                }
                for i, c in enumerate(self.channels)
            ],
        }
        extras = {k: _jsonable(v) for k, v in self.extras.items()}
        out["extras"] = {k: v for k, v in extras.items() if v is not _SKIP}
        out["removed"] = [dict(r.__dict__) for r in self.removed]
        return out

    def __repr__(self) -> str:
        return f"<AttributionResult {self.model}: {len(self.channels)} channels>\n{self.wide()}"

    def _repr_html_(self) -> str:
        note = "" if self.additive else " (not additive: credits exceed the total by design)"
        head = (
            f"<p><b>{self.model}</b>{note}: total conversions {self.total_conversions:.6g}"
            + ("" if self.total_value is None else f", total value {self.total_value:.6g}")
            + "</p>"
        )
        return head + self.wide().to_html(index=False, float_format=lambda x: f"{x:.4f}")


def compare(results: Sequence[AttributionResult], metric: str = "conversions"):
    """Channels x models table of one metric (``conversions``, ``value`` or ``share``).

    Examples
    --------
    >>> from pathcredit import Journeys, attribute, compare
    >>> j = Journeys.from_paths([["A", "B"], ["B"]], conversions=[1, 1])
    >>> compare([attribute(j, model="first_touch"), attribute(j, model="last_touch")])
    model    first_touch  last_touch
    channel
    A                1.0         0.0
    B                1.0         2.0
    """
    import pandas as pd

    cols = {}
    for r in results:
        w = r.wide().set_index("channel")
        if metric not in w.columns:
            raise ModelError(f"unknown metric {metric!r}; use one of {WIDE_COLUMNS[1:]}")
        cols[r.model] = w[metric]
    out = pd.DataFrame(cols)
    out.index.name = "channel"
    out.columns.name = "model"
    return out


_SKIP = object()


def _num(x):
    x = float(x)
    return None if math.isnan(x) else x


def _jsonable(v):
    """Plain-JSON form of an extras value, or _SKIP for tables and other objects."""
    if v is None or isinstance(v, bool | str):
        return v
    if isinstance(v, int | float | np.integer | np.floating):
        return _num(v) if isinstance(v, float | np.floating) else int(v)
    if isinstance(v, Mapping):
        out = {str(k): _jsonable(x) for k, x in v.items()}
        return _SKIP if any(x is _SKIP for x in out.values()) else out
    if isinstance(v, list | tuple) or (isinstance(v, np.ndarray) and v.ndim == 1):
        out = [_jsonable(x) for x in v]
        return _SKIP if any(x is _SKIP for x in out) else out
    return _SKIP
