"""Tiny journeys and the common checks every attribution model must pass.

``check_attribution_model(name)`` runs the suite on a registered model; the
project's ``tests/test_common.py`` applies it to every model in the registry, and
a third-party model registered with :func:`pathcredit.models.register_model` can
use it too.
"""

from __future__ import annotations

import json

import numpy as np

from .journeys import Journeys
from .models import _REGISTRY, attribute, available_models, get_model, label_of
from .results import LONG_COLUMNS, WIDE_COLUMNS

__all__ = [
    "tiny_journeys",
    "check_attribution_model",
    "parametrize_with_checks",
    "model_settings",
    "CHECKS",
]


def tiny_journeys(*, with_times: bool = True) -> Journeys:
    """Five journeys over three channels with conversions, value, nulls and touch times.

    Examples
    --------
    >>> tiny_journeys().path_strings()
    ['A > B > C', 'B > A', 'C', 'A > A > B', 'B > C']
    """
    paths = [["A", "B", "C"], ["B", "A"], ["C"], ["A", "A", "B"], ["B", "C"]]
    times = [[9.0, 3.0, 0.5], [2.0, 0.0], [1.0], [20.0, 6.0, 1.0], [4.0, 2.0]]
    return Journeys.from_paths(
        paths,
        conversions=[3, 1, 2, 1.5, 0],
        value=[30.0, 12.0, 8.0, 20.0, 0.0],
        nulls=[4, 6, 10, 3, 5],
        times=times if with_times else None,
    )


def _relabel(j: Journeys, mapping: dict[str, str]) -> Journeys:
    return Journeys.from_paths(
        [[mapping[c] for c in p] for p in j.paths()],
        conversions=j.conversions,
        value=j.value,
        nulls=j.nulls,
        times=None if j.times is None else np.split(j.times, j.offsets[1:-1]),
    )


def _scaled(j: Journeys, k: float) -> Journeys:
    return j.replace(
        conversions=j.conversions * k,
        value=None if j.value is None else j.value * k,
        nulls=None if j.nulls is None else j.nulls * k,
    )


# ---------------------------------------------------------------------------- named checks
# Each check takes (name, journeys, params) and raises AssertionError on failure, so a failing
# test names the property that broke (as scikit-learn's parametrize_with_checks does).


def _run(name, journeys, params):
    return attribute(journeys, model=name, **params)


def _close(a, b, ra, rb, metric="conversions"):
    """Equal to 1e-9, or, for sampled results, within the sum of their interval widths."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if ra.lower.get(metric) is not None and rb.lower.get(metric) is not None:
        width = (ra.upper[metric] - ra.lower[metric]) + (rb.upper[metric] - rb.lower[metric])
        assert np.all(np.abs(a - b) <= width + 1e-9), (a, b, width)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def check_fixed_shape(name, journeys, params):
    """Long and wide tables have the fixed columns, one row per channel; JSON works."""
    r = _run(name, journeys, params)
    assert list(r.table.columns) == LONG_COLUMNS
    assert list(r.wide().columns) == WIDE_COLUMNS
    assert list(r.wide()["channel"]) == list(journeys.channels)
    json.dumps(r.to_dict(), allow_nan=False)
    assert r.additive == get_model(name).additive
    assert np.all(np.isfinite(r.conversions))
    assert r.label.startswith(name)


def check_deterministic(name, journeys, params):
    """The same input and parameters (seed included) give the same credit, bit for bit."""
    r1, r2 = _run(name, journeys, params), _run(name, journeys, params)
    np.testing.assert_array_equal(r1.conversions, r2.conversions)
    if r1.value is not None:
        np.testing.assert_array_equal(r1.value, r2.value)


def check_totals(name, journeys, params):
    """Additive models credit exactly the total conversions and value."""
    if not get_model(name).additive:
        return
    r = _run(name, journeys, params)
    np.testing.assert_allclose(r.conversions.sum(), journeys.total_conversions, rtol=1e-9)
    if journeys.value is not None and r.value is not None:
        np.testing.assert_allclose(r.value.sum(), journeys.total_value, rtol=1e-9)


def check_row_order(name, journeys, params):
    """Reversing the order of the paths changes nothing."""
    r = _run(name, journeys, params)
    rev = _rebuild(journeys, order=np.arange(journeys.n_paths)[::-1])
    rr = _run(name, rev, params)
    _close(rr.conversions, r.conversions, rr, r)
    if r.value is not None:
        _close(rr.value, r.value, rr, r, "value")


def check_relabel(name, journeys, params):
    """Renaming the channels (reversing their sort order) permutes conversions and value."""
    r = _run(name, journeys, params)
    mapping = {c: f"z{len(journeys.channels) - i}_{c}" for i, c in enumerate(journeys.channels)}
    if "direct_channels" in params:  # a parameter that names channels is renamed too
        named = [mapping.get(c, c) for c in params["direct_channels"]]
        params = {**params, "direct_channels": named}
    rr = _run(name, _relabel(journeys, mapping), params)
    order = [rr.channels.index(mapping[c]) for c in r.channels]
    _close(rr.conversions[order], r.conversions, rr, r)
    if r.value is not None:
        _close(rr.value[order], r.value, rr, r, "value")


def check_duplicate(name, journeys, params):
    """Doubling every count (each journey twice) changes no share."""
    r = _run(name, journeys, params)
    rd = _run(name, _scaled(journeys, 2.0), params)
    if not r.lower:
        np.testing.assert_allclose(rd.share, r.share, rtol=1e-9, atol=1e-12)
        return
    # sampled: halved credits agree within the two intervals (the doubled one halved too)
    width = (rd.upper["conversions"] - rd.lower["conversions"]) / 2 + (
        r.upper["conversions"] - r.lower["conversions"]
    )
    assert np.all(np.abs(rd.conversions / 2 - r.conversions) <= width + 1e-9)


def check_one_channel(name, journeys, params):
    """Data with one channel give that channel all the credit (additive models)."""
    if not get_model(name).additive:
        return
    one = Journeys.from_paths(
        [["X"], ["X", "X"]], conversions=[2, 1], value=[5.0, 1.0], nulls=[3, 1],
        times=[[1.0], [3.0, 0.0]],
    )  # fmt: skip
    r = _run(name, one, {k: v for k, v in params.items() if k != "direct_channels"})
    np.testing.assert_allclose(r.conversions, [3.0], rtol=1e-12)
    if r.value is not None:
        np.testing.assert_allclose(r.value, [6.0], rtol=1e-12)


def check_intervals(name, journeys, params):
    """Where a model gives intervals, they contain its credit and state their probability."""
    r = _run(name, journeys, params)
    points = {"conversions": r.conversions, "value": r.value, "share": r.share}
    for metric, lo in r.lower.items():
        hi = r.upper[metric]
        assert np.all(lo <= hi + 1e-12)
        assert r.ci_prob is not None and 0 < r.ci_prob < 1
        point = points.get(metric)
        if point is None:  # a sampled quantity with no point estimate (removal_effect)
            continue
        assert np.all(lo <= point + 1e-9) and np.all(point <= hi + 1e-9)


def check_value_proportional(name, journeys, params):
    """When every conversion is worth the same, value credit = conversion credit x that value."""
    if not get_model(name).additive:
        return
    flat = journeys.replace(value=journeys.conversions * 7.5)
    r = _run(name, flat, params)
    np.testing.assert_allclose(r.value, r.conversions * 7.5, rtol=1e-9, atol=1e-9)


#: every named check, in the order they run
CHECKS = (
    check_fixed_shape,
    check_deterministic,
    check_totals,
    check_row_order,
    check_relabel,
    check_duplicate,
    check_one_channel,
    check_intervals,
    check_value_proportional,
)

#: main parameter settings of the registered models, beyond their defaults: a snapshot of
#: the registry's ``ModelSpec.settings`` (which :func:`model_settings` reads)
MAIN_SETTINGS: dict[str, list[dict]] = {
    name: [dict(p) for p in spec.settings] for name, spec in _REGISTRY.items() if spec.settings
}


def model_settings(models=None) -> list[tuple[str, dict]]:
    """(model, params) pairs: every registered model with its defaults and its main settings."""
    out: list[tuple[str, dict]] = []
    for name in models or available_models():
        out.append((name, {}))
        out.extend((name, dict(p)) for p in get_model(name).settings)
    return out


def parametrize_with_checks(models=None):
    """A ``pytest.mark.parametrize`` over (model, params, check) for every model and setting.

    Examples
    --------
    In a test module::

        @parametrize_with_checks()
        def test_common(model, params, check):
            check(model, tiny_journeys(), params)
    """
    import pytest

    cases = []
    for name, params in model_settings(models):
        label = label_of(name, params)
        cases += [
            pytest.param(name, params, check, id=f"{label}-{check.__name__}") for check in CHECKS
        ]
    return pytest.mark.parametrize(("model", "params", "check"), cases)


def _rebuild(j: Journeys, *, order) -> Journeys:
    paths = j.paths()
    times = None if j.times is None else np.split(j.times, j.offsets[1:-1])
    return Journeys.from_paths(
        [paths[i] for i in order],
        conversions=j.conversions[order],
        value=None if j.value is None else j.value[order],
        nulls=None if j.nulls is None else j.nulls[order],
        times=None if times is None else [times[i] for i in order],
    )


def check_attribution_model(name: str, journeys: Journeys | None = None, **params) -> None:
    """Run every named check on one model and parameter setting; AssertionError on failure.

    A model registered with :func:`pathcredit.models.register_model` passes the suite
    by calling this (or by using :func:`parametrize_with_checks`).

    Examples
    --------
    >>> check_attribution_model("linear")
    """
    j = tiny_journeys() if journeys is None else journeys
    for check in CHECKS:
        check(name, j, params)
