"""The one result type every model returns."""

from __future__ import annotations

import html
import importlib
import math
import warnings
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np

from ._format import plain_number
from ._json import SKIP, json_number, jsonable
from ._stats import hdi
from ._version import __version__
from .exceptions import InputError, InternalError, ModelError

__all__ = ["AttributionResult", "compare", "LazyValue", "Extras"]

#: Columns of the long table, fixed for every model.
LONG_COLUMNS = ["model", "channel", "metric", "value", "lower", "upper"]
#: Columns of the wide view, fixed for every model.
WIDE_COLUMNS = ["channel", "conversions", "value", "share"]


class LazyValue:
    """An extras entry computed on first read (per-journey tables), then kept.

    Models put tables that cost more than the credit itself behind one, so a
    bootstrap or a benchmark that never reads them never pays for them.
    """

    __slots__ = ("_compute", "_value", "_done")

    def __init__(self, compute):
        self._compute = compute
        self._value = None
        self._done = False

    def get(self):
        if not self._done:
            self._value = self._compute()
            self._done = True
            self._compute = None
        return self._value


class Extras(Mapping):
    """Read-only mapping of a result's extras; :class:`LazyValue` entries resolve when read.

    Examples
    --------
    >>> calls = []
    >>> e = Extras({"n": 1, "table": LazyValue(lambda: calls.append(1) or "built")})
    >>> len(calls)
    0
    >>> e["table"], e["table"], len(calls)
    ('built', 'built', 1)
    """

    def __init__(self, data: Mapping[str, Any]):
        self._data = dict(data)

    def __getitem__(self, key):
        value = self._data[key]
        return value.get() if isinstance(value, LazyValue) else value

    def __iter__(self):
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def is_lazy(self, key) -> bool:
        """Whether ``key`` is computed on demand (tables; left out of JSON)."""
        return isinstance(self._data[key], LazyValue)

    def raw(self) -> dict[str, Any]:
        """The entries as given, lazy ones unresolved (for :meth:`AttributionResult.replace`)."""
        return dict(self._data)

    def __repr__(self) -> str:
        return f"Extras({sorted(self._data)})"


class AttributionResult:
    """Credit per channel from one model, with everything needed to check and reproduce it.

    Parameters
    ----------
    model : str
        Model name as passed to :func:`pathcredit.attribute`.
    params : dict
        The model's parameters, defaults filled in.
    channels : sequence of str
    conversions : array of float
        Credited conversions per channel (the point estimate).
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
        Interval bounds, from models that give uncertainty. Derived from ``draws``
        when those are given and the bounds are not.
    removed : tuple of Removal
        What transforms removed before the model ran.
    draws : mapping of metric -> array, optional
        Posterior or resampling draws, shape ``(chain, draw, channel)`` (ArviZ's dims):
        ``"conversions"`` and optionally ``"value"``, ``"share"`` or any per-channel
        quantity a model samples (``"removal_effect"``...).
    ci_prob : float, optional
        Probability mass of the intervals; required with ``draws`` or bounds.
    ci_kind : {"eti", "hdi"}, default "eti"
        How bounds are derived from draws: equal-tailed (the ``(1 - ci_prob) / 2`` and
        ``(1 + ci_prob) / 2`` quantiles, a bootstrap's percentile interval) or highest
        density (the shortest interval holding ``ci_prob`` of the draws, for posteriors).
    label : str, optional
        Name in tables and plots; by default the model's name. The models' results
        are labelled by :func:`pathcredit.models.build_result` with the model and every
        parameter that differs from the registered default, e.g. ``markov(order=2)``
        (the registry lives above this module, so the label is computed there).
    fingerprint : mapping, optional
        What the model saw: counts and an order-independent hash of the journeys
        (:func:`pathcredit.journeys.fingerprint`); filled by :func:`pathcredit.attribute`.

    Attributes
    ----------
    table : pandas.DataFrame
        Long table with columns ``model, channel, metric, value, lower, upper``;
        metrics are ``conversions`` and, when the data have value, ``value``.
        ``model`` holds the label.
    version : str
        The pathcredit version that computed the result.

    Notes
    -----
    A result is immutable (as ArviZ treats its containers): its arrays are read-only,
    and :meth:`replace` returns a changed copy. The checks at construction:
    additive credits sum to the totals, and ``lower <= credit <= upper`` wherever
    intervals exist.

    Examples
    --------
    >>> import numpy as np
    >>> r = AttributionResult("demo", {}, ["A", "B"], [1.0, 2.0], total_conversions=3,
    ...                       draws={"conversions": np.array([[[0.5, 2.5], [1.5, 1.5]]])},
    ...                       ci_prob=0.5)
    >>> r.lower["conversions"].tolist(), r.upper["conversions"].tolist()
    ([0.75, 1.75], [1.25, 2.25])
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
        draws: Mapping[str, np.ndarray] | None = None,
        ci_prob: float | None = None,
        ci_kind: str = "eti",
        label: str | None = None,
        fingerprint: Mapping[str, Any] | None = None,
    ):
        self.model = model
        self.params = dict(params)
        self.channels = tuple(channels)
        self.conversions = _frozen(conversions)
        self.value = None if value is None else _frozen(value)
        self.total_conversions = float(total_conversions)
        self.total_value = None if total_value is None else float(total_value)
        self.additive = additive
        self.extras: Mapping[str, Any] = (
            extras.raw() if isinstance(extras, Extras) else dict(extras or {})
        )
        self.removed = tuple(removed)
        self.draws = {k: _frozen(v) for k, v in (draws or {}).items()}
        self.ci_prob = None if ci_prob is None else float(ci_prob)
        if ci_kind not in ("eti", "hdi"):
            raise ModelError(f"ci_kind must be 'eti' or 'hdi', got {ci_kind!r}")
        self.ci_kind = ci_kind
        self.fingerprint = None if fingerprint is None else dict(fingerprint)
        self.version = __version__
        self.label = model if label is None else str(label)
        if self.draws and lower is None and upper is None:
            lower, upper = self._bounds_from_draws()
        self.lower = {k: _frozen(v) for k, v in (lower or {}).items()}
        self.upper = {k: _frozen(v) for k, v in (upper or {}).items()}
        self._check_draws_and_bounds()
        if additive:
            self._check_totals()
        object.__setattr__(self, "extras", Extras(self.extras))
        for name in ("params", "lower", "upper", "draws"):
            object.__setattr__(self, name, MappingProxyType(getattr(self, name)))
        if self.fingerprint is not None:
            object.__setattr__(self, "fingerprint", MappingProxyType(self.fingerprint))
        self._frozen = True

    def __setattr__(self, name, value):
        if getattr(self, "_frozen", False):
            raise AttributeError(
                f"AttributionResult is immutable; use result.replace({name}=...) for a changed copy"
            )
        object.__setattr__(self, name, value)

    def replace(self, **changes) -> AttributionResult:
        """A copy with some constructor arguments changed (the result itself never changes).

        Examples
        --------
        >>> r = AttributionResult("m", {}, ["A"], [1.0], total_conversions=1)
        >>> r.replace(label="mine").label, r.label
        ('mine', 'm')
        """
        args: dict[str, Any] = {
            "model": self.model, "params": dict(self.params), "channels": self.channels,
            "conversions": self.conversions, "value": self.value,
            "total_conversions": self.total_conversions, "total_value": self.total_value,
            "additive": self.additive, "extras": self.extras,
            "lower": dict(self.lower) or None, "upper": dict(self.upper) or None,
            "removed": self.removed,
            "draws": dict(self.draws) or None,
            "ci_prob": self.ci_prob, "ci_kind": self.ci_kind, "label": self.label,
            "fingerprint": None if self.fingerprint is None else dict(self.fingerprint),
        }  # fmt: skip
        unknown = sorted(set(changes) - set(args))
        if unknown:
            raise TypeError(f"replace() got unknown argument(s) {unknown}")
        if "draws" in changes and "lower" not in changes and "upper" not in changes:
            args["lower"] = args["upper"] = None  # re-derive the bounds from the new draws
        if ("model" in changes or "params" in changes) and "label" not in changes:
            args["label"] = None
        args.update(changes)
        return AttributionResult(**args)

    def _bounds_from_draws(self):
        if self.ci_prob is None:
            raise ModelError("draws need a ci_prob to derive lower and upper bounds")
        lower, upper = {}, {}
        for metric, d in self.draws.items():
            flat = d.reshape(-1, d.shape[-1])
            if self.ci_kind == "hdi":
                lower[metric], upper[metric] = hdi(flat, self.ci_prob)
            else:
                q = [(1 - self.ci_prob) / 2, (1 + self.ci_prob) / 2]
                lower[metric], upper[metric] = np.quantile(flat, q, axis=0)
        return lower, upper

    def _check_draws_and_bounds(self) -> None:
        n = len(self.channels)
        points = {"conversions": self.conversions, "value": self.value, "share": self.share}
        for metric, d in self.draws.items():
            if metric == "value" and self.value is None:
                raise ModelError("draws of value for a result without value")
            if d.ndim != 3 or d.shape[2] != n or d.shape[0] < 1 or d.shape[1] < 1:
                raise ModelError(
                    f"draws of {metric!r} must have shape (chain, draw, channel={n}), got {d.shape}"
                )
        if set(self.lower) != set(self.upper):
            raise ModelError("lower and upper bounds must cover the same metrics")
        if self.lower and (self.ci_prob is None or not 0 < self.ci_prob < 1):
            raise ModelError(f"interval bounds need a ci_prob in (0, 1), got {self.ci_prob!r}")
        for metric, lo in self.lower.items():
            hi, point = self.upper[metric], points.get(metric)
            if lo.shape != (n,) or hi.shape != (n,):
                raise ModelError(f"bounds of {metric!r} must have one entry per channel")
            if point is None:  # a sampled quantity without a point estimate here
                if np.any(lo > hi):
                    raise InternalError(f"{metric} lower bound above upper")
                continue
            slack = 1e-9 * np.maximum(1.0, np.abs(point))
            bad = np.flatnonzero(~((lo <= point + slack) & (point <= hi + slack)))
            if len(bad):
                i = int(bad[0])
                raise InternalError(
                    f"{self.label} {metric} of {self.channels[i]!r} is "
                    f"{point[i]!r}, outside its interval [{lo[i]!r}, {hi[i]!r}]"
                )

    def _check_totals(self) -> None:
        pairs = [("conversions", self.conversions, self.total_conversions)]
        if self.value is not None and self.total_value is not None:
            pairs.append(("value", self.value, self.total_value))
        for name, credit, total in pairs:
            got = float(credit.sum())
            if not math.isclose(got, total, rel_tol=1e-9, abs_tol=1e-9):
                raise InternalError(
                    f"model {self.model!r} credited {got!r} {name} but the journeys have {total!r}"
                )

    # ------------------------------------------------------------------ draws
    def to_xarray(self):
        """The draws as an ``xarray.Dataset`` with dims ``(chain, draw, channel)``.

        Needs xarray (``pip install 'pathcredit[bayes]'``) and a result with draws.
        """
        xr = _require("xarray", "bayes")
        if not self.draws:
            raise ModelError(f"{self.label} has no draws (point estimates only)")
        data = {m: (("chain", "draw", "channel"), np.asarray(d)) for m, d in self.draws.items()}
        first = next(iter(self.draws.values()))
        coords = {
            "chain": np.arange(first.shape[0]),
            "draw": np.arange(first.shape[1]),
            "channel": list(self.channels),
        }
        return xr.Dataset(data, coords=coords, attrs=self._attrs())

    @property
    def idata(self):
        """The draws as ArviZ ``InferenceData``; see :meth:`to_inference_data`."""
        return self.to_inference_data()

    def to_inference_data(self):
        """The draws as an ArviZ ``InferenceData`` (group ``posterior``), so ``az.summary`` works.

        Needs ArviZ (``pip install 'pathcredit[bayes]'``).
        """
        with warnings.catch_warnings():  # ArviZ 0.2x announces its refactor on import
            warnings.simplefilter("ignore", FutureWarning)
            az = _require("arviz", "bayes")
        return az.InferenceData(posterior=self.to_xarray())

    def _attrs(self) -> dict[str, Any]:
        attrs: dict[str, Any] = {
            "label": self.label,
            "model": self.model,
            "pathcredit_version": self.version,
        }
        if self.ci_prob is not None:
            attrs["ci_prob"] = self.ci_prob
        if self.fingerprint is not None:
            attrs.update({f"input_{k}": v for k, v in self.fingerprint.items()})
        return attrs

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
                        "model": self.label,
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
            "label": self.label,
            "params": jsonable(self.params),
            "total_conversions": self.total_conversions,
            "total_value": self.total_value,
            "additive": self.additive,
            "channels": [
                {
                    "channel": c,
                    "conversions": float(self.conversions[i]),
                    "value": None if self.value is None else float(self.value[i]),
                    "share": json_number(self.share[i]),
                    **{
                        f"{metric}_{side}": float(bounds[metric][i])
                        for side, bounds in (("lower", self.lower), ("upper", self.upper))
                        for metric in bounds
                    },
                }
                for i, c in enumerate(self.channels)
            ],
            "ci_prob": self.ci_prob,
            "version": self.version,
            "input": None if self.fingerprint is None else dict(self.fingerprint),
        }
        given: Extras = self.extras  # type: ignore[assignment]  # frozen in __init__
        extras = {k: jsonable(given[k]) for k in given if not given.is_lazy(k)}
        out["extras"] = {k: v for k, v in extras.items() if v is not SKIP}
        out["removed"] = [dict(r.__dict__) for r in self.removed]
        return out

    def __repr__(self) -> str:
        return f"<AttributionResult {self.label}: {len(self.channels)} channels>\n{self.wide()}"

    def _repr_html_(self) -> str:
        note = "" if self.additive else " (not additive: credits exceed the total by design)"
        head = (
            f"<p><b>{html.escape(self.label)}</b>{note}: "
            f"total conversions {plain_number(self.total_conversions)}"
            + ("" if self.total_value is None else f", value {plain_number(self.total_value)}")
            + "</p>"
        )
        return head + self.wide().to_html(index=False, float_format=plain_number)


def compare(
    results: Sequence[AttributionResult],
    metric: str = "conversions",
    *,
    baseline: str | None = None,
):
    """Channels x models table of one metric (``conversions``, ``value`` or ``share``).

    Parameters
    ----------
    results : sequence of AttributionResult
        Columns are named by ``result.label``; two results with one label are refused.
    metric : {"conversions", "value", "share"}
    baseline : str, optional
        One of the results, named by its label (``"last_touch"``,
        ``"markov(order=2)"``), by its label without the ``" (bootstrap)"`` suffix,
        or by a model name that exactly one result has (``"markov"`` for a lone
        ``markov(order=2)``). Then, as Google Analytics' Model Comparison Tool,
        every other model gets its change against the baseline per channel:
        columns ``(label, metric)``, ``(label, "change")``, ``(label, "change_pct")``
        (percent of the baseline; empty where the baseline credits the channel
        nothing), and ``(label, "change_lower")``, ``(label, "change_upper")``: the
        paired interval of the change (below; empty when there is none).

    Returns
    -------
    pandas.DataFrame
        Indexed by channel; without ``baseline`` one column per result, with it the
        two-level columns above (the baseline's own column left out).

    Raises
    ------
    InputError
        An item of ``results`` is not an :class:`AttributionResult`.
    ModelError
        Unknown metric, two results with one label, a ``baseline`` that names none
        (or several) of the results, or bootstrap results on different resamples.

    Notes
    -----
    **Paired intervals of the change.** Two bootstrap results (:func:`pathcredit.bootstrap`)
    of the same journeys with the same ``seed``, ``n_resamples`` and ``resampling``
    were computed on the same resampled counts, resample by resample, whatever the
    models (``extras["resamples"]["fingerprint"]`` records which). The change then
    gets a paired percentile interval: per resample ``b``, the model's draw minus the
    baseline's draw of ``metric``, and the ``(1 - ci_prob) / 2`` and ``(1 + ci_prob) / 2``
    quantiles of those differences, at the compared model's ``ci_prob``. Pairing
    removes the sampling noise the two models share (models of one data set move
    together across resamples), so the interval of the change is usually narrower
    than the two models' own intervals suggest, and a model compared with itself
    gets exactly ``[0, 0]``. As :func:`pathcredit.bootstrap` does for the
    credit, the interval is widened to reach the point change where that falls outside.

    - Bootstrap results on different resamples (another seed, ``n_resamples``,
      scheme or journeys) are refused with a :class:`ModelError` rather than paired
      by position, which would give a meaningless interval; to compare their point
      estimates only, drop the draws: ``result.replace(draws=None, lower=None,
      upper=None)``.
    - Posterior draws (``bayesian_markov``, ``bayesian_response``) are never paired:
      draw ``i`` of a posterior has nothing to do with resample ``i`` of a bootstrap
      or draw ``i`` of another posterior. Where the model or the baseline has no
      resampled draws of ``metric`` (posterior draws, or a point estimate only), the
      change has no interval (``change_lower`` and ``change_upper`` are NaN); the
      result's own interval is still in ``result.lower`` / ``result.upper``.
    - A channel one result does not have counts as credited nothing there, in the
      change and in every draw.

    Examples
    --------
    >>> from pathcredit import Journeys, attribute, bootstrap, compare
    >>> j = Journeys.from_paths([["A", "B"], ["B"]], conversions=[1, 1])
    >>> compare([attribute(j, model="first_touch"), attribute(j, model="last_touch")])
    model    first_touch  last_touch
    channel
    A                1.0         0.0
    B                1.0         2.0
    >>> t = compare([attribute(j, model="last_touch"), attribute(j, model="linear")],
    ...             baseline="last_touch")
    >>> t["linear"][["conversions", "change", "change_pct"]]
             conversions  change  change_pct
    channel
    A                0.5     0.5         NaN
    B                1.5    -0.5       -25.0

    Bootstrap both models with one seed and the change gets a paired interval:

    >>> j = Journeys.from_paths([["A", "B"], ["B"], ["A"]], conversions=[30, 10, 20],
    ...                         nulls=[70, 90, 80])
    >>> boots = [bootstrap(j, model=m, n_resamples=400, seed=1) for m in ["last_touch", "linear"]]
    >>> t = compare(boots, baseline="last_touch")  # the label is 'last_touch (bootstrap)'
    >>> t["linear (bootstrap)"][["change", "change_lower", "change_upper"]].round(2)
             change  change_lower  change_upper
    channel
    A          15.0         11.53         18.20
    B         -15.0        -18.20        -11.53
    >>> again = boots[1].replace(label="linear again")  # a model against itself: [0, 0]
    >>> t = compare([boots[1], again], baseline="linear")
    >>> t["linear again"][["change_lower", "change_upper"]]
             change_lower  change_upper
    channel
    A                 0.0           0.0
    B                 0.0           0.0
    """
    import pandas as pd

    results = _check_results(results)
    cols = {}
    for r in results:
        w = r.wide().set_index("channel")
        if metric not in w.columns:
            raise ModelError(f"unknown metric {metric!r}; use one of {WIDE_COLUMNS[1:]}")
        if r.label in cols:
            raise ModelError(
                f"two results are labelled {r.label!r}; give one a distinct label "
                "(result.replace(label=...)) to compare them"
            )
        cols[r.label] = w[metric]
    out = pd.DataFrame(cols)
    out.index.name = "channel"
    out.columns.name = "model"
    if baseline is None:
        return out
    base_result = find_result(results, baseline)
    base_label = base_result.label
    base = out[base_label].fillna(0.0)
    parts = {}
    for r in results:
        label = r.label
        if label == base_label:
            continue
        change = out[label].fillna(0.0) - base
        pct = (100.0 * change / base.where(base != 0)).astype(float)
        lo, hi = _paired_change(r, base_result, metric, list(out.index), change.to_numpy())
        parts[label] = pd.DataFrame(
            {
                metric: out[label],
                "change": change,
                "change_pct": pct,
                "change_lower": lo,
                "change_upper": hi,
            },
            index=out.index,
        )
    table = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=out.index)
    table.columns.names = ["model", None]
    return table


#: Suffix :func:`pathcredit.bootstrap` adds to a model's label.
_BOOTSTRAP_SUFFIX = " (bootstrap)"


def find_result(results: Sequence[AttributionResult], name: str) -> AttributionResult:
    """The one result ``name`` names: its label, its label without ``" (bootstrap)"``,
    or a model name exactly one result has (the rules of ``compare(..., baseline=)``).

    Examples
    --------
    >>> from pathcredit import Journeys, attribute
    >>> j = Journeys.from_paths([["A", "B"]], conversions=[1])
    >>> rs = [attribute(j, model="linear"), attribute(j, model="markov", order=2)]
    >>> find_result(rs, "markov").label, find_result(rs, "markov(order=2)").label
    ('markov(order=2)', 'markov(order=2)')
    """
    results = _check_results(results)
    labels = [r.label for r in results]
    for rule in (
        lambda r: r.label == name,
        lambda r: (
            r.label.endswith(_BOOTSTRAP_SUFFIX) and r.label[: -len(_BOOTSTRAP_SUFFIX)] == name
        ),
        lambda r: r.model == name,
    ):
        found = [r for r in results if rule(r)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise ModelError(
                f"baseline {name!r} names several of the compared results "
                f"{[r.label for r in found]}; give one of their labels"
            )
    raise ModelError(f"baseline {name!r} is not one of the compared results {labels}")


def _check_results(results) -> list[AttributionResult]:
    """``results`` as a list, every item an :class:`AttributionResult` (else InputError)."""
    if isinstance(results, AttributionResult):
        raise InputError(
            "compare() takes a list of results, got one AttributionResult: compare([result, ...])"
        )
    if isinstance(results, str | bytes | Mapping) or not isinstance(results, Sequence | tuple):
        try:
            results = list(results)
        except TypeError:
            raise InputError(
                f"compare() takes a list of AttributionResult, got {type(results).__name__}"
            ) from None
    out = list(results)
    for i, r in enumerate(out):
        if not isinstance(r, AttributionResult):
            shown = r if isinstance(r, str | int | float) and len(repr(r)) <= 60 else None
            raise InputError(
                f"results[{i}] is a {type(r).__name__}, not an AttributionResult "
                "(from pathcredit.attribute or pathcredit.bootstrap)",
                source="compare",
                value=shown,
            )
    return out


def _paired_change(result, base, metric: str, channels: list, point: np.ndarray):
    """Paired percentile interval of ``result - base`` in ``metric``, NaN where none.

    Pairs only bootstrap draws of both (``extras["resamples"]``) and refuses two
    different sets of resamples; see :func:`compare`.
    """
    none = np.full(len(channels), np.nan)
    da, db = result.draws.get(metric), base.draws.get(metric)
    ra, rb = result.extras.get("resamples"), base.extras.get("resamples")
    if da is None or db is None or not isinstance(ra, Mapping) or not isinstance(rb, Mapping):
        return none, none
    # the fingerprint decides (it covers the generator's state, so two Generators in one
    # state pair, and two int seeds pair only if equal); the rest names what differs
    keys = ("scheme", "n", "seed", "fingerprint")
    differ = [f"{k} {ra.get(k)!r} vs {rb.get(k)!r}" for k in keys if ra.get(k) != rb.get(k)]
    if any(ra.get(k) != rb.get(k) for k in ("scheme", "n", "fingerprint")):
        raise ModelError(
            f"{result.label} and {base.label} were bootstrapped on different resamples "
            f"({'; '.join(differ)}), so their draws cannot be paired: run both on the same "
            "journeys with the same seed, n_resamples and resampling, or compare point "
            "estimates only (result.replace(draws=None, lower=None, upper=None))"
        )
    a = _aligned_draws(da, result.channels, channels)
    b = _aligned_draws(db, base.channels, channels)
    if a.shape != b.shape:
        raise InternalError(
            f"{result.label} has {a.shape[0]} draws of {metric} and "
            f"{base.label} {b.shape[0]} on the same resamples"
        )
    prob = result.ci_prob if result.ci_prob is not None else base.ci_prob
    if prob is None:
        return none, none
    lo, hi = np.quantile(a - b, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
    return np.minimum(lo, point), np.maximum(hi, point)


def _aligned_draws(draws: np.ndarray, have: Sequence[str], channels: list) -> np.ndarray:
    """``(chain * draw, len(channels))`` draws, zero for a channel the result lacks."""
    flat = np.asarray(draws).reshape(-1, draws.shape[-1])
    out = np.zeros((flat.shape[0], len(channels)))
    where = {c: i for i, c in enumerate(have)}
    for j, c in enumerate(channels):
        if c in where:
            out[:, j] = flat[:, where[c]]
    return out


def _frozen(values) -> np.ndarray:
    """A read-only float64 copy: a result's numbers cannot change after it is checked."""
    out = np.array(values, dtype=np.float64)
    out.flags.writeable = False
    return out


def _require(module: str, extra: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ModelError(
            f"this needs {module}, which is not installed: pip install 'pathcredit[{extra}]'"
        ) from None


def __getattr__(name):
    # Deprecated alias: the label rule needs the model registry, which sits above this
    # module, so it moved to pathcredit.models; importing it here lazily keeps old code
    # working without an import pointing up the layering at load time.
    if name == "label_of":
        from .models._credit import label_of

        warnings.warn(
            "pathcredit.results.label_of moved to pathcredit.models.label_of",
            DeprecationWarning,
            stacklevel=2,
        )
        return label_of
    raise AttributeError(f"module 'pathcredit.results' has no attribute {name!r}")
