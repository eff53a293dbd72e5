"""Conservation: conversions, value and nulls in = what the model credits + what `removed` reports,
for every model after any chain of transforms, on random journeys."""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathcredit import Journeys, ModelError, attribute, available_models
from pathcredit.exceptions import PathcreditWarning
from pathcredit.journeys import transforms
from pathcredit.models import get_model

CHANNELS = ["A", "B", "C", "D"]


@st.composite
def journeys(draw):
    n = draw(st.integers(1, 8))
    paths = [draw(st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=5)) for _ in range(n)]
    count = st.sampled_from([0, 0.5, 1, 2, 3, 7.25])
    conversions = [draw(count) for _ in range(n)]
    value = [c * draw(st.sampled_from([1.0, 2.5, 10.0])) for c in conversions]
    nulls = [draw(count) for _ in range(n)]
    times = [sorted(draw(st.lists(st.floats(0, 30), min_size=len(p), max_size=len(p))),
                    reverse=True) for p in paths]  # fmt: skip
    return Journeys.from_paths(paths, conversions=conversions, value=value, nulls=nulls,
                               times=times)  # fmt: skip


STEPS = {
    "collapse_repeats": transforms.collapse_repeats,
    "first_occurrence": transforms.first_occurrence,
    "keep_last_1": lambda j: transforms.keep_last(j, 1),
    "keep_last_2": lambda j: transforms.keep_last(j, 2),
    "drop_A": lambda j: transforms.drop_channels(j, ["A"]) if "A" in j.channels else j,
    "drop_B_C": lambda j: transforms.drop_channels(j, [c for c in "BC" if c in j.channels]),
    "group_C_D": lambda j: transforms.rename_channels(
        j, {c: "CD" for c in ("C", "D") if c in j.channels}
    ),
}


def _totals(j):
    return np.array([j.total_conversions, j.value_counts().sum(), j.null_counts().sum()])


def _removed(j):
    return np.array([[r.conversions, r.value, r.nulls] for r in j.removed]).reshape(-1, 3).sum(0)


@pytest.mark.slow
@pytest.mark.parametrize("model", available_models())
@given(j=journeys(), steps=st.lists(st.sampled_from(sorted(STEPS)), max_size=3))
def test_inputs_equal_credit_plus_removed(model, j, steps):
    original = _totals(j)
    for step in steps:
        j = STEPS[step](j)
    np.testing.assert_allclose(_totals(j) + _removed(j), original, rtol=1e-12, atol=1e-12)
    if j.n_paths == 0 or j.total_conversions == 0:
        return
    with warnings.catch_warnings():  # short chains on random data warn; not what is tested
        warnings.simplefilter("ignore", PathcreditWarning)
        try:
            # the registry's quick settings (short MCMC): conservation holds for any draws
            r = attribute(j, model=model, **get_model(model).quick)
        except ModelError as exc:  # models of P(convert) refuse data with no null journey
            assert j.null_counts().sum() == 0 and "null" in str(exc), exc
            return
    assert tuple(r.removed) == tuple(j.removed)  # the result carries what was removed
    if get_model(model).additive:
        credited = np.array([r.conversions.sum(), r.value.sum()])
        np.testing.assert_allclose(credited + _removed(j)[:2], original[:2], rtol=1e-9, atol=1e-9)
    else:  # participation: each channel's credit is at most the conversions it took part in
        assert np.all(r.conversions <= j.total_conversions + 1e-9)
