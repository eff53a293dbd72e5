"""Real exports without preprocessing (issue 13, points 2, 4 and 5): integer times with a
unit, conversions named by event, ids read as text, ISO offsets as instants, touch types
with their own lookback windows, offline touches through the identity map, and the
warnings that replace silent wrong results. Every expected path is worked out by hand
in the comments; each test failed on the code before issue 13."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from pathcredit import InputError, attribute
from pathcredit.exceptions import PathcreditWarning
from pathcredit.journeys import Journeys
from pathcredit.journeys.events import build_journeys

BACKENDS = [None, "pandas"]  # None = DuckDB


def pc_warnings(fn, *args, **kwargs):
    """``fn``'s result and the messages of the PathcreditWarnings it gave (others ignored)."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", PathcreditWarning)
        out = fn(*args, **kwargs)
    return out, [str(w.message) for w in rec if issubclass(w.category, PathcreditWarning)]


def table(ej) -> dict:
    f = ej.journeys.to_frame()
    return {r.path: (r.total_conversions, r.total_null) for r in f.itertuples()}


def removed(ej) -> dict:
    return {r.step: r for r in ej.removed}


# -------------------------------------------------------------------- time units
#: u1: email, then search one day later, then a purchase 2 days after the email;
#: u2: display 40 days before its purchase (outside 30 days) and search 1 day before.
SECONDS = [
    ("u1", 1_704_067_200, "email", 0),  # 2024-01-01 00:00 UTC
    ("u1", 1_704_153_600, "search", 0),  # 2024-01-02
    ("u1", 1_704_240_000, None, 1),  # 2024-01-03
    ("u2", 1_704_067_200, "display", 0),  # 2024-01-01
    ("u2", 1_707_436_800, "search", 0),  # 2024-02-09
    ("u2", 1_707_523_200, None, 1),  # 2024-02-10: 40 days after the display
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("unit", "scale"), [("s", 1), ("ms", 10**3), ("us", 10**6), ("ns", 10**9)])
def test_integer_times_with_a_unit(backend, unit, scale):
    frame = pd.DataFrame(SECONDS, columns=["user_id", "t", "channel", "conversion"])
    frame["t"] = frame["t"].astype(np.int64) * scale
    ej = build_journeys(frame, time_col="t", time_unit=unit, backend=backend)
    assert table(ej) == {"email > search": (1, 0), "search": (1, 0)}
    # the display is 40 days before u2's purchase: cut by the 30-day lookback
    assert removed(ej)["lookback_days=30"].touches == 1
    days = ej.touches().set_index(["person", "channel"])["days_to_conversion"]
    assert days[("u1", "email")] == 2.0 and days[("u1", "search")] == 1.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_integer_times_without_a_unit_name_the_option(backend):
    frame = pd.DataFrame(SECONDS, columns=["user_id", "t", "channel", "conversion"])
    with pytest.raises(InputError, match="time_unit"):
        build_journeys(frame, time_col="t", backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_integer_times_with_missing_values(tmp_path, backend):
    # a CSV column of integers with a gap: read as integers by both backends, the gap
    # is a missing timestamp; a float column is refused alike
    rows = [(u, str(t) if i != 1 else "", c or "", v) for i, (u, t, c, v) in enumerate(SECONDS)]
    text = "user_id,t,channel,conversion\n" + "".join(",".join(map(str, r)) + "\n" for r in rows)
    (tmp_path / "ev.csv").write_text(text)
    ej = build_journeys(tmp_path / "ev.csv", time_col="t", time_unit="s", backend=backend)
    assert table(ej) == {"email": (1, 0), "search": (1, 0)}  # u1's search had no time
    assert removed(ej)["missing timestamp"].touches == 1
    frame = pd.DataFrame(SECONDS, columns=["user_id", "t", "channel", "conversion"])
    frame["t"] = frame["t"].astype(np.float64)
    with pytest.raises(InputError, match="time_unit='s' is for integer times"):
        build_journeys(frame, time_col="t", time_unit="s", backend=backend)


# -------------------------------------------------------------------- event names
def ga4_like() -> pd.DataFrame:
    """A log whose conversions are named by event; page views carry no channel."""
    rows = [
        ("u1", "2024-01-01 00:00:00", "session_start", "email"),
        ("u1", "2024-01-01 00:01:00", "page_view", None),  # neither touch nor conversion
        ("u1", "2024-01-02 00:00:00", "session_start", "search"),
        ("u1", "2024-01-02 00:05:00", "purchase", None),
        ("u2", "2024-01-01 00:00:00", "session_start", None),  # a session without a source
        ("u2", "2024-01-01 00:00:30", "page_view", None),
        ("u2", "2024-01-03 00:00:00", "session_start", "display"),
        ("u2", "2024-01-03 00:01:00", "generate_lead", None),
        ("u2", "2024-01-04 00:00:00", "purchase", None),
    ]
    return pd.DataFrame(rows, columns=["user_id", "timestamp", "event_name", "channel"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_conversions_named_by_event(backend):
    ej = build_journeys(ga4_like(), conversion_events=["purchase"], backend=backend)
    # no conversion column is read; rows without a channel are not touches
    assert table(ej) == {"email > search": (1, 0), "display": (1, 0)}
    r = removed(ej)
    # 2 page views, u2's session without a source and the generate_lead row
    assert r["other events ignored"].touches == 4
    assert "missing channel" not in r


@pytest.mark.parametrize("backend", BACKENDS)
def test_touch_events_separate_other_events_from_missing_channels(backend):
    ej = build_journeys(
        ga4_like(),
        event_col="event_name",
        conversion_events=["purchase", "generate_lead"],
        touch_events=["session_start"],
        backend=backend,
    )
    # u2: display, then generate_lead (a conversion) ends the journey; the purchase a
    # day later has no touch before it
    assert table(ej) == {"email > search": (1, 0), "display": (1, 0)}
    r = removed(ej)
    assert r["other events ignored"].touches == 2  # the page views
    assert r["missing channel"].touches == 1  # u2's session without a source
    assert r["conversions with no touch"].conversions == 1


def test_event_options_are_checked():
    with pytest.raises(InputError, match="conversion_events"):
        build_journeys(ga4_like(), event_col="event_name")
    with pytest.raises(InputError, match="conversion_events must be a non-empty"):
        build_journeys(ga4_like(), conversion_events=[])


# -------------------------------------------------------------------- ids as text
def test_numeric_looking_ids_match_a_string_identity_map(tmp_path):
    # GA4's user_pseudo_id looks like a number; read as a DOUBLE it became
    # 1234567890.1234567 and the map (text) matched nothing: the output was the
    # unstitched one, two journeys, with no warning
    a, b = "1234567890.1234567890", "2234567890.0000000001"
    (tmp_path / "ev.csv").write_text(
        f"user_id,timestamp,channel,conversion\n{a},2024-01-01,email,0\n"
        f"{b},2024-01-02,search,0\n{b},2024-01-03,,1\n"
    )
    (tmp_path / "map.csv").write_text(f"device_id,person_id\n{b},{a}\n")
    as_frame = pd.DataFrame({"device_id": [b], "person_id": [a]})
    for backend in BACKENDS:
        for identity in (as_frame, tmp_path / "map.csv"):
            ej = build_journeys(tmp_path / "ev.csv", identity_map=identity, backend=backend)
            assert table(ej) == {"email > search": (1, 0)}, backend
            assert set(ej.touches()["person"]) == {a}  # the id as written
            assert ej.identity == {"rows": 1, "matched": 1}


# -------------------------------------------------------------------- ISO offsets
#: A at 10:00+02:00 is 08:00 UTC, before B at 09:00Z: the path is A > B. Read without
#: the offset, A (10:00) comes after B and the path is B > A.
OFFSET_ROWS = [
    ("u", "2024-01-01T10:00:00+02:00", "A", 0),
    ("u", "2024-01-01T09:00:00Z", "B", 0),
    ("u", "2024-01-01T09:30:00-00:30", None, 1),  # 10:00 UTC
]


def _offset_inputs(tmp_path):
    frame = pd.DataFrame(OFFSET_ROWS, columns=["user_id", "timestamp", "channel", "conversion"])
    csv = tmp_path / "offsets.csv"
    frame.to_csv(csv, index=False)
    pq = tmp_path / "offsets.parquet"
    frame.to_parquet(pq)  # a string column
    return {"frame": frame, "csv": csv, "parquet": pq}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["frame", "csv", "parquet"])
def test_iso_offsets_are_instants_on_every_input(tmp_path, backend, kind):
    source = _offset_inputs(tmp_path)[kind]
    ej = build_journeys(source, backend=backend)
    assert table(ej) == {"A > B": (1, 0)}
    days = ej.touches().set_index("channel")["days_to_conversion"]
    assert days["A"] * 24 == pytest.approx(2.0) and days["B"] * 24 == pytest.approx(1.0)


# -------------------------------------------------------------------- touch types
def typed_log() -> pd.DataFrame:
    rows = [
        # u1 buys on Jan 31: a display view 5 days before (outside 1 day for views),
        # a search click 20 days before (inside 30), a social view 12 hours before
        ("u1", "2024-01-11 00:00:00", "search", "click", 0),
        ("u1", "2024-01-26 00:00:00", "display", "view", 0),
        ("u1", "2024-01-30 12:00:00", "social", "Impression", 0),
        ("u1", "2024-01-31 00:00:00", None, None, 1),
        # u2: one view 2 days before: the journey is lost to the view window
        ("u2", "2024-01-01 00:00:00", "display", "view", 0),
        ("u2", "2024-01-03 00:00:00", None, None, 1),
        # u3: a touch with no type is a click
        ("u3", "2024-01-01 00:00:00", "email", None, 0),
        ("u3", "2024-01-20 00:00:00", None, None, 1),
    ]
    return pd.DataFrame(rows, columns=["user_id", "timestamp", "channel", "touch", "conversion"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_lookback_per_touch_type(backend):
    ej = build_journeys(
        typed_log(), type_col="touch", lookback_days={"click": 30, "view": 1}, backend=backend
    )
    assert table(ej) == {"search > social": (1, 0), "email": (1, 0)}
    r = removed(ej)["lookback_days=click:30,view:1"]
    assert (r.touches, r.paths, r.conversions) == (2, 1, 1)
    t = ej.touches()
    assert t.set_index("channel")["touch_type"].to_dict() == {
        "search": "click",
        "social": "view",
        "email": "click",
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_views_can_be_ignored_and_types_must_be_covered(backend):
    ej = build_journeys(
        typed_log(), type_col="touch", include_views=False, lookback_days=None, backend=backend
    )
    assert table(ej) == {"search": (1, 0), "email": (1, 0)}
    assert removed(ej)["views ignored"].touches == 3
    assert removed(ej)["conversions with no touch"].conversions == 1  # u2
    with pytest.raises(InputError, match=r"touch types \['click'\].*\['view'\]"):
        build_journeys(typed_log(), type_col="touch", lookback_days={"click": 30}, backend=backend)


# -------------------------------------------------------------------- offline touches
@pytest.mark.parametrize("backend", BACKENDS)
def test_offline_touches_join_through_the_identity_map(tmp_path, backend):
    online = pd.DataFrame(
        {
            "user_id": ["cookie1", "cookie1", "cookie2"],
            "timestamp": ["2024-01-01", "2024-01-10", "2024-01-05"],
            "channel": ["search", None, "email"],
            "conversion": [0, 1, 0],
        }
    )
    # customer C7 is cookie1's person; C9 is known to nobody: a journey of its own
    offline = pd.DataFrame(
        {
            "customer_id": ["C7", "C9"],
            "timestamp": ["2024-01-08", "2024-01-02"],
            "channel": ["store visit", "trade fair"],
        }
    )
    path = tmp_path / "offline.csv"
    offline.to_csv(path, index=False)
    identity = {"cookie1": "C7", "cookie2": "C8"}
    ej = build_journeys(
        online,
        offline=path,
        offline_user_col="customer_id",
        identity_map=identity,
        backend=backend,
    )
    assert table(ej) == {"search > store visit": (1, 0), "email": (0, 1), "trade fair": (0, 1)}
    t = ej.touches()
    assert t.set_index("channel")["touch_type"]["store visit"] == "offline"
    assert ej.identity == {"rows": 2, "matched": 2}


# -------------------------------------------------------------------- warnings
def test_identity_map_that_matches_nothing_warns():
    frame = pd.DataFrame(
        {"user_id": ["a", "a"], "timestamp": ["2024-01-01", "2024-01-02"], "channel": ["x", None]}
    ).assign(conversion=[0, 1])
    for backend in BACKENDS:
        ej, said = pc_warnings(
            build_journeys, frame, identity_map={"1.0": "p", "2.0": "p"}, backend=backend
        )
        assert len(said) == 1 and "none of the identity map's 2 rows matched" in said[0]
        assert ej.identity == {"rows": 2, "matched": 0}


def test_losing_most_conversions_warns_with_the_biggest_reason():
    # the real ids are in "uid"; the default user_id column is mostly empty
    n = 20
    frame = pd.DataFrame(
        {
            "uid": [f"u{i // 2}" for i in range(n)],
            "user_id": ["u0", "u0"] + [None] * (n - 2),
            "timestamp": ["2024-01-01", "2024-01-02"] * (n // 2),
            "channel": ["x", None] * (n // 2),
            "conversion": [0, 1] * (n // 2),
        }
    )
    for backend in BACKENDS:
        _, said = pc_warnings(build_journeys, frame, backend=backend)
        assert len(said) == 1
        assert "9 of the log's 10 conversions were dropped" in said[0]
        assert "the biggest reason: 'missing user' (9 conversions)" in said[0]
        _, said = pc_warnings(build_journeys, frame, user_col="uid", backend=backend)
        assert said == []


def test_last_non_direct_warns_without_a_direct_channel():
    j = Journeys.from_paths([["email", "search"], ["search"]], conversions=[1, 1])
    r, said = pc_warnings(attribute, j, model="last_non_direct")
    assert len(said) == 1 and "no direct channel in the data" in said[0]
    # it then equals last touch, which is why it warns
    assert r.conversions.tolist() == attribute(j, model="last_touch").conversions.tolist()
    _, said = pc_warnings(attribute, j, model="last_non_direct", direct_channels=["email"])
    assert said == []


def test_last_non_direct_in_the_engine_warns_too():
    from pathcredit.models.engine import attribute_in_engine

    ej = build_journeys(ga4_like(), conversion_events=["purchase"])
    r, said = pc_warnings(attribute_in_engine, ej, "last_non_direct")
    assert len(said) == 1 and "no direct channel in the data" in said[0]
    # u1's last touch is search, u2's display: last touch, as the warning says
    assert dict(zip(r.channels, r.conversions.tolist(), strict=True)) == {
        "display": 1.0,
        "email": 0.0,
        "search": 1.0,
    }
    _, said = pc_warnings(attribute_in_engine, ej, "last_non_direct", direct_channels=["email"])
    assert said == []
