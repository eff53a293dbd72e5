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
from .models import attribute, get_model
from .results import LONG_COLUMNS, WIDE_COLUMNS

__all__ = ["tiny_journeys", "check_attribution_model"]


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


def check_attribution_model(name: str, journeys: Journeys | None = None, **params) -> None:
    """Assert the properties every model must have; raises AssertionError on failure.

    1. Fixed output shape: the long table's and wide view's columns, one row per
       channel, JSON-serialisable ``to_dict()``.
    2. Deterministic: the same input gives the same credit.
    3. Additive models credit exactly the total conversions and value.
    4. Relabelling the channels permutes the credit.
    5. Duplicating every journey (all counts doubled) changes no share.
    6. Data with one channel give that channel all the credit (additive models).
    """
    spec = get_model(name)
    j = tiny_journeys() if journeys is None else journeys
    r = attribute(j, model=name, **params)

    assert list(r.table.columns) == LONG_COLUMNS
    assert list(r.wide().columns) == WIDE_COLUMNS
    assert list(r.wide()["channel"]) == list(j.channels)
    json.dumps(r.to_dict())
    assert r.additive == spec.additive
    assert np.all(np.isfinite(r.conversions))

    r2 = attribute(j, model=name, **params)
    np.testing.assert_array_equal(r.conversions, r2.conversions)

    if spec.additive:
        np.testing.assert_allclose(r.conversions.sum(), j.total_conversions, rtol=1e-9)
        if j.value is not None and r.value is not None:
            np.testing.assert_allclose(r.value.sum(), j.total_value, rtol=1e-9)

    mapping = {c: f"z{len(j.channels) - i}_{c}" for i, c in enumerate(j.channels)}
    rr = attribute(_relabel(j, mapping), model=name, **params)
    by_name = dict(zip(rr.channels, rr.conversions, strict=True))
    np.testing.assert_allclose(
        [by_name[mapping[c]] for c in r.channels], r.conversions, rtol=1e-9, atol=1e-12
    )

    rd = attribute(_scaled(j, 2.0), model=name, **params)
    np.testing.assert_allclose(rd.share, r.share, rtol=1e-9, atol=1e-12)

    if spec.additive:
        one = Journeys.from_paths(
            [["X"], ["X", "X"]],
            conversions=[2, 1],
            value=[5.0, 1.0],
            nulls=[3, 1],
            times=[[1.0], [3.0, 0.0]],
        )
        ro = attribute(one, model=name, **params)
        np.testing.assert_allclose(ro.conversions, [3.0], rtol=1e-12)
