"""Rule models inside the engine (attribute_in_engine): equal to the in-memory models, their
parameters and errors, and defaults read from the in-memory rule models."""

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pathcredit import attribute
from pathcredit.journeys.events import build_journeys
from pathcredit.models import get_model
from pathcredit.models.engine import ENGINE_MODELS, attribute_in_engine

# the hand-made event log and its builder live once, with the event-log tests
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "journeys"))
from test_events import IDENTITY, build, hand_log  # noqa: E402

from pathcredit.models.heuristics import DEFAULT_DIRECT
from pathcredit.simulate import simulate_events


def test_engine_direct_channels_are_the_in_memory_default():
    assert tuple(ENGINE_MODELS["last_non_direct"]["direct_channels"]) == DEFAULT_DIRECT


def test_engine_models_are_the_registrys_with_their_in_memory_defaults():
    want = {
        "first_touch", "last_touch", "last_non_direct", "linear", "position_based",
        "j_shaped", "inverse_j", "custom", "time_decay",
    }  # fmt: skip
    assert set(ENGINE_MODELS) == want
    for name, defaults in ENGINE_MODELS.items():
        assert defaults == get_model(name).parameters()


def test_the_old_import_path_still_works_and_warns():
    import pathcredit.journeys.pushdown as old

    with pytest.warns(DeprecationWarning, match="moved to pathcredit.models.engine"):
        assert old.attribute_in_engine is attribute_in_engine
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AttributeError):
            old.nothing_here  # noqa: B018


def test_ga4_direct_spelling_in_the_engine_and_in_memory():
    t = pd.Timestamp("2026-01-01")
    log = pd.DataFrame(
        {
            "user_id": ["u1", "u1", "u2", "u2"],
            "timestamp": [t, t + pd.Timedelta(hours=1), t, t + pd.Timedelta(hours=2)],
            "channel": ["email", "(direct) / (none)", "(direct) / (none)", "(direct) / (none)"],
            "conversion": [0, 1, 0, 1],
        }
    )
    built = build_journeys(log)
    engine = attribute_in_engine(built, "last_non_direct")
    memory = attribute(built.journeys, model="last_non_direct")
    by = dict(zip(engine.channels, engine.conversions, strict=True))
    assert by == {"(direct) / (none)": 1.0, "email": 1.0}  # u1's conversion goes to email
    np.testing.assert_allclose(memory.conversions, engine.conversions)


@pytest.mark.parametrize("model", sorted(ENGINE_MODELS))
def test_pushdown_equals_in_memory(model):
    ev = simulate_events(300, seed=5)
    ej = build(ev, lookback_days=20, max_touches=5)
    got = attribute_in_engine(ej, model)
    ref = attribute(ej.journey_paths() if model == "time_decay" else ej.journeys, model=model)
    assert got.channels == ref.channels
    np.testing.assert_allclose(got.conversions, ref.conversions, rtol=0, atol=1e-9)
    np.testing.assert_allclose(got.value, ref.value, rtol=0, atol=1e-9)
    assert got.removed == ej.removed
    # the journey-level and path-level journeys give the same rule-based credit
    if model != "time_decay":
        alt = attribute(ej.journey_paths(), model=model)
        np.testing.assert_allclose(alt.conversions, ref.conversions, atol=1e-9)


@pytest.mark.slow
def test_pushdown_params_and_errors():
    ej = build(hand_log(), identity_map=IDENTITY)
    res = attribute_in_engine(ej, "position_based", first=0.3, last=0.5)
    ref = attribute(ej.journeys, model="position_based", first=0.3, last=0.5)
    np.testing.assert_allclose(res.conversions, ref.conversions, atol=1e-12)
    # last non-direct with "search" declared direct: u1's journey credits display
    res = attribute_in_engine(ej, "last_non_direct", direct_channels=["search"])
    assert dict(zip(res.channels, res.conversions, strict=True))["display"] == 2.0
    from pathcredit import ModelError

    with pytest.raises(ModelError, match="cannot run in the engine"):
        attribute_in_engine(ej, "markov")
    with pytest.raises(ModelError, match="no parameter"):
        attribute_in_engine(ej, "linear", half_life=3)
    with pytest.raises(ModelError, match="half_life"):
        attribute_in_engine(ej, "time_decay", half_life=0)
    # raw events and a pandas-backend result work too
    raw = attribute_in_engine(hand_log(), "linear", build={"identity_map": IDENTITY})
    np.testing.assert_allclose(raw.conversions, attribute(ej.journeys, model="linear").conversions)
    pdb = build(hand_log(), identity_map=IDENTITY, backend="pandas")
    np.testing.assert_allclose(
        attribute_in_engine(pdb, "time_decay").value,
        attribute(pdb.journey_paths(), model="time_decay").value,
        atol=1e-9,
    )
