"""Fuzzing ``build_journeys`` on DuckDB and pandas with small odd event logs (issue 9).

Random DataFrames (odd values, mixed types, missing fields) and random CSV text
(odd cells, short rows, odd headers). The only acceptable outcomes are a
result or one of pathcredit's own errors (:class:`~pathcredit.PathcreditError`);
anything else (a pandas, Arrow or DuckDB exception escaping) fails the test.
The budget is the hypothesis profile of ``tests/conftest.py`` (ci: 60 examples).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathcredit import PathcreditError
from pathcredit.journeys.events import build_journeys

# random logs often lose most of their conversions: that warning is on purpose
pytestmark = [
    pytest.mark.filterwarnings("ignore::pathcredit.exceptions.PathcreditWarning"),
    pytest.mark.slow,  # hypothesis over whole event-log builds
]

BACKENDS = ["duckdb", "pandas"]
COLUMNS = ["user_id", "timestamp", "channel", "conversion", "value"]

odd_text = st.sampled_from(
    ["", " ", "a", "b", "a>b", "nan", "NaN", "inf", "-1", "0", "1", "1.5", "é", "\t", "x,y", '"']
)
times = st.sampled_from(
    [
        "2024-01-01",
        "2024-01-01 10:00",
        "2024-01-02T00:00:00",
        "2024-01-03T00:00+01:00",
        "2024-01-03T00:00Z",
        "1970-01-01",
        "9999-12-31",
        "notatime",
        "",
        "2024-13-45",
    ]
)
numbers = st.one_of(
    st.integers(-2, 3),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([0.0, 1.0, 2.5]),
)
cells = {
    "user_id": st.one_of(odd_text, st.integers(0, 3), st.none()),
    "timestamp": st.one_of(times, st.none()),
    "channel": st.one_of(odd_text, st.none()),
    "conversion": st.one_of(numbers, st.booleans(), st.none()),
    "value": st.one_of(numbers, st.none()),
}


@st.composite
def frames(draw):
    n = draw(st.integers(0, 12))
    data = {}
    for col in COLUMNS:
        kind = draw(st.sampled_from(["mixed", "typed"]))
        if kind == "typed" and col == "timestamp":
            days = draw(st.lists(st.integers(0, 40), min_size=n, max_size=n))
            data[col] = pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D")
        elif kind == "typed" and col in ("conversion", "value"):
            data[col] = np.array(draw(st.lists(numbers, min_size=n, max_size=n)), dtype=float)
        else:
            data[col] = pd.Series(draw(st.lists(cells[col], min_size=n, max_size=n)), dtype=object)
    return pd.DataFrame(data)


@st.composite
def csv_texts(draw):
    header = draw(
        st.sampled_from(
            [
                ",".join(COLUMNS),
                ",".join(COLUMNS[:4]),
                ",".join([*COLUMNS[:4], "channel"]),
                ";".join(COLUMNS),
                "",
            ]
        )
    )
    rows = []
    for _ in range(draw(st.integers(0, 10))):
        fields = [
            str(draw(st.one_of(odd_text, st.integers(0, 3)))),
            draw(times),
            draw(odd_text),
            str(draw(st.one_of(numbers, st.sampled_from(["", "true", "x"])))),
            str(draw(st.one_of(numbers, st.sampled_from(["", "x"])))),
        ]
        rows.append(",".join(fields[: draw(st.integers(3, 5))]))
    return "\n".join([header, *rows]) + draw(st.sampled_from(["", "\n"]))


def _options(draw_value, options):
    kw = dict(options)
    if draw_value:
        kw["value_col"] = "value"
    return kw


option_sets = st.fixed_dictionaries(
    {
        "lookback_days": st.one_of(st.none(), st.floats(0, 40)),
        "inactivity_days": st.one_of(st.none(), st.floats(0, 5)),
        "max_touches": st.one_of(st.none(), st.integers(1, 3)),
    }
)


def _run(events, kw):
    try:
        ej = build_journeys(events, **kw)
    except PathcreditError as exc:
        assert "\n" not in str(exc)
        return
    j = ej.journeys
    assert np.all(j.conversions >= 0) and np.all(j.nulls >= 0)
    if j.value is not None:
        assert all(math.isfinite(v) and v >= 0 for v in j.value)


@pytest.mark.parametrize("backend", BACKENDS)
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(frame=frames(), options=option_sets, with_value=st.booleans())
def test_fuzz_frames(backend, frame, options, with_value):
    _run(frame, dict(_options(with_value, options), backend=backend))


@pytest.mark.parametrize("backend", BACKENDS)
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=csv_texts(), options=option_sets, with_value=st.booleans())
def test_fuzz_csv_text(tmp_path, backend, text, options, with_value):
    path = tmp_path / "events.csv"
    path.write_text(text, encoding="utf-8")
    _run(str(path), dict(_options(with_value, options), backend=backend))
