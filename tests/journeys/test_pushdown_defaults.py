"""The rules that run inside the engine read their defaults from the in-memory rule models."""

import numpy as np
import pandas as pd

from pathcredit import attribute
from pathcredit.journeys.events import build_journeys
from pathcredit.journeys.pushdown import ENGINE_MODELS, attribute_in_engine
from pathcredit.models.heuristics import DEFAULT_DIRECT


def test_engine_direct_channels_are_the_in_memory_default():
    assert tuple(ENGINE_MODELS["last_non_direct"]["direct_channels"]) == DEFAULT_DIRECT


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
